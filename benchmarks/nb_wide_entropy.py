"""NegativeBinomial(r) entropy where the saddle-point window is too wide (mean up to 10³⁰⁶): accuracy
against 50-digit references and speed of the Frullani-integral path (symgeom.numeric.shape_entropy).

    python benchmarks/nb_wide_entropy.py [--quick]     # Markdown tables on stdout

Reference (independent of the Frullani/PGF identity the code uses): the definition H = Σₓ f(x),
f(x) = −p(x) log p(x), log p(x) = log Γ(x + r) − log Γ(r) − log Γ(x + 1) + r log P + x log Q, at 50 digits:
the first N = 200 terms summed directly, the rest by Euler–Maclaurin,
Σ_{x≥N} f(x) = ∫_N^∞ f dx + f(N)/2 − Σ_{k=1}^{7} B₂ₖ/(2k)!·f^{(2k−1)}(N) + R₇, the integral by mpmath's
tanh-sinh quadrature of f(eᵛ)eᵛ over v (break points one unit apart in v from 16 below log(mean)
up to where log p < −200, longer pieces below; log₁₀ x extra digits carried in log Γ(x + r) − log Γ(x + 1)),
the derivatives by mpmath.diff.  f varies on the scale x (a power of x, times e^{−x/scale}), so
|f^{(j)}(N)| ≲ j!·|f|/N^j and the omitted R₇ is ≲ 16!·|f(N)|/(2πN)^{16} < 1e-30·|f(N)|; the size of the
k = 7 term is reported as the reference's estimated error (not a proof).
"""

from __future__ import annotations

import sys
import time
from fractions import Fraction

import mpmath as mp
import numpy as np

import symgeom as sg

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from count_entropy_accuracy import trial

SHAPES = [1e-3, 0.5, 2.5, 7.3, 1e6]
PROBS = [1e-6, 1e-9, 1e-12, 1e-20, 1e-100, 1e-300]
#: directly summed terms before Euler–Maclaurin
HEAD = 200
#: Euler–Maclaurin correction terms
ORDER = 7


def reference(size, chart: tuple) -> tuple[mp.mpf, mp.mpf]:
    """(H, the size of the last Euler–Maclaurin term) at 50 digits from :func:`trial`'s chart."""
    with mp.workdps(50):
        _p, _q, log_pp, log_qq = chart
        s = mp.mpf(Fraction(size).numerator) / Fraction(size).denominator
        base = -mp.loggamma(s) + s * log_pp

        def log_mass(x):
            # log Γ(x + r) − log Γ(x + 1) cancels log₁₀ x digits: carry them
            with mp.workdps(mp.mp.dps + 10 + int(mp.log10(x + 1))):
                return +(mp.loggamma(x + s) - mp.loggamma(x + 1) + base + x * log_qq)

        def f(x):
            lp = log_mass(x)
            return -mp.exp(lp) * lp

        head = mp.fsum(f(x) for x in range(HEAD))
        # where log p < −200 past the mean: x ≈ (mean + (200 + log stuff)/P); find it by doubling
        top = mp.mpf(HEAD)
        mean = s * mp.exp(log_qq - log_pp)
        while top < mean or log_mass(top) > -200 - 2 * mp.log(top):
            top *= 2
        a, b, centre = mp.log(HEAD), mp.log(top), mp.log(mean)
        # f(eᵛ)eᵛ is a power of eᵛ far below the mean: long pieces there, unit pieces near the mean
        points, v = [a], a
        while v < centre - 16:
            v = min(v + max(1, (centre - 16 - v) / 4), centre - 16)
            points.append(v)
        points += [v + k for k in range(1, int(b - v) + 1)] + [b]
        integral = mp.quad(lambda v: f(mp.exp(v)) * mp.exp(v), points)
        corrections = [mp.bernoulli(2 * k) / mp.factorial(2 * k) * mp.diff(f, HEAD, 2 * k - 1)
                       for k in range(1, ORDER + 1)]
        tail_past_top = mp.mpf(0)  # log p < −200 − 2 log x there and falling geometrically: < e^{−200}
        total = head + integral + f(HEAD) / 2 - mp.fsum(corrections) + tail_past_top
        return total, abs(corrections[-1])


def accuracy(quick: bool) -> None:
    shapes = [2.5, 1e-3] if quick else SHAPES
    for param in ("prob", "logit"):
        head = "p" if param == "prob" else "θ = log(p/(1 − p))"
        print(f"\n| r \\ {head} | " + " | ".join(f"{p:g}" for p in PROBS) + " |")
        print("|---" * (len(PROBS) + 1) + "|")
        for r in shapes:
            function = sg.entropy(sg.NegativeBinomial(r, param)).numpy()
            cells = []
            for p in PROBS:
                v = p if param == "prob" else float(mp.log(p) - mp.log1p(-p))
                want, _ = reference(r, trial(param, v))
                try:
                    got = float(function(np.float64(v)))
                except ArithmeticError:
                    cells.append("raised")
                    continue
                cells.append(f"{abs(got - float(want)) / float(want):.1e}" + (" NEG" if got < 0 else ""))
            print(f"| {r:g} | " + " | ".join(cells) + " |", flush=True)


def speed(quick: bool) -> None:
    """Seconds per 10⁴ points, θ ~ U(−700, −20) (all on the integral path), median of 3."""
    rng = np.random.default_rng(0)
    theta = rng.uniform(-700, -20, 10**3 if quick else 10**4)
    print("\n| r | points | median s | µs/point |\n|---|---|---|---|")
    for r in (1e-3, 2.5, 7.3):
        function = sg.entropy(sg.NegativeBinomial(r, "logit")).numpy()
        function(theta[:10])
        times = []
        for _ in range(3):
            start = time.perf_counter()
            function(theta)
            times.append(time.perf_counter() - start)
        t = float(np.median(times))
        print(f"| {r:g} | {theta.size} | {t:.3f} | {1e6 * t / theta.size:.0f} |", flush=True)


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    speed(quick)
    accuracy(quick)
