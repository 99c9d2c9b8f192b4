"""Accuracy of the compiled Binomial(n) and NegativeBinomial(r) entropies vs 50-digit references.

    python benchmarks/count_entropy_accuracy.py [--quick]     # Markdown table on stdout

Reference: H = −Σₓ p(x) log p(x) by mpmath at 50 digits, the log-mass from log Γ at the mode and the
exact mass ratio c(n − x)/(x + 1) (Binomial) or c(x + r)/(x + 1) (negative binomial) away from it,
over mean ± 16 sd (+ 60; for the negative binomial, whose tail decays like e^{−px}, also + 80/p
above), where the rest is below e^{−80} of the total.  Each cell: the relative error of symgeom,
"raised" (ArithmeticError: the bound was not met), or the exception's kind; a derivation that
does not finish in the time limit is reported as such.
"""

from __future__ import annotations

import signal
import sys
import time
from fractions import Fraction

import mpmath as mp
import numpy as np

import symgeom as sg

PROBS = [1e-300, 1e-20, 1e-8, 0.01, 0.3, 0.5, 0.9, 1 - 1e-8, 1 - 1e-16]
LOGITS = [-700.0, -40.0, -3.0, 0.0, 3.0, 40.0, 700.0]
#: widest reference sum (terms); beyond it the cell is not checked
MAX_TERMS = 2_000_000


def trial(param: str, v: float) -> tuple[mp.mpf, mp.mpf, mp.mpf, mp.mpf]:
    """(p, q, log p, log q) of a chart value, each to 50 digits (q = 1 − p exactly in the prob chart)."""
    with mp.workdps(50):
        if param == "prob":
            p = mp.mpf(v)
            with mp.workprec(2200):
                q = 1 - p
            return p, +q, mp.log(p), mp.log1p(-p)
        t = mp.mpf(v)
        return 1 / (1 + mp.exp(-t)), 1 / (1 + mp.exp(t)), -mp.log1p(mp.exp(-t)), -mp.log1p(mp.exp(t))


def _reference(kind: str, size, chart: tuple) -> mp.mpf | None:
    """−Σ p log p at 50 digits from :func:`trial`'s (p, q, log p, log q)."""
    with mp.workdps(50):
        p, q, log_pp, log_qq = chart
        size = mp.mpf(Fraction(size).numerator) / Fraction(size).denominator
        if kind == "binomial":
            mean, sd, top, extra = size * p, mp.sqrt(size * p * q), size, 0
        else:
            mean = size * q / p
            sd, top = mp.sqrt(size * q) / p, None
            # the tail decays like (1 − p)ˣ ≈ e^{−px}, slower than the Gaussian window for small r
            extra = 80 / p
        if sd * 32 + 120 + extra > MAX_TERMS:
            return None
        lo = max(0, int(mp.floor(mean - 16 * sd - 60)))
        hi = int(mp.ceil(mean + 16 * sd + 60 + extra))
        if top is not None:
            hi = min(hi, int(top))
        mode = min(max(int(mean), lo), hi)

        def log_mass(x: int) -> mp.mpf:
            if kind == "binomial":
                return (mp.loggamma(size + 1) - mp.loggamma(x + 1) - mp.loggamma(size - x + 1)
                        + x * log_pp + (size - x) * log_qq)
            return mp.loggamma(x + size) - mp.loggamma(x + 1) - mp.loggamma(size) + size * log_pp + x * log_qq

        def ratio(x: int) -> mp.mpf:  # p(x + 1)/p(x)
            if kind == "binomial":
                return p / q * (size - x) / (x + 1)
            return q * (x + size) / (x + 1)

        total = mp.mpf(0)
        log_p = log_mass(mode)
        for x in range(mode, hi + 1):
            total += -mp.exp(log_p) * log_p
            log_p += mp.log(ratio(x)) if x < hi else 0
        log_p = log_mass(mode)
        for x in range(mode - 1, lo - 1, -1):
            log_p -= mp.log(ratio(x))
            total += -mp.exp(log_p) * log_p
        return total


class _TimeoutError(Exception):
    pass


def _alarm(signum, frame):
    raise _TimeoutError


def _compiled(family, limit: float):
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(int(limit))
    try:
        return sg.entropy(family).numpy()
    finally:
        signal.alarm(0)


def row(kind: str, size, param: str, limit: float) -> list[str]:
    make = sg.Binomial if kind == "binomial" else sg.NegativeBinomial
    points = PROBS if param == "prob" else LOGITS
    try:
        family = make(size, param)
    except Exception as e:
        return [f"rejected ({type(e).__name__})"] * len(points)
    start = time.perf_counter()
    try:
        function = _compiled(family, limit)
    except _TimeoutError:
        return [f"derivation > {limit:g} s"] * len(points)
    cells = []
    for v in points:
        want = _reference(kind, size, trial(param, v))
        try:
            with np.errstate(all="ignore"):
                got = float(function(np.float64(v)))
        except ArithmeticError:
            cells.append("raised")
            continue
        except Exception as e:
            cells.append(type(e).__name__)
            continue
        if want is None:
            cells.append(f"{got:.3g} (no ref)")
            continue
        err = abs(got - float(want)) / abs(float(want)) if want != 0 else abs(got)
        cells.append("nan" if not np.isfinite(got) else f"{err:.1e}" + (" NEG" if got < 0 else ""))
    del start
    return cells


def main() -> None:
    quick = "--quick" in sys.argv
    limit = 20.0 if quick else 60.0
    sizes_b = [4, 10, 40, 1000, 10**6, 10**9]
    sizes_nb = [1, 3, 0.5, 2.5, 1e-3, 1e6]
    for param in ("prob", "logit"):
        points = PROBS if param == "prob" else LOGITS
        head = "p" if param == "prob" else "θ"
        print(f"\n| family ({param}) \\ {head} | " + " | ".join(f"{v:.3g}" for v in points) + " |")
        print("|---" * (len(points) + 1) + "|")
        for kind, sizes in (("binomial", sizes_b), ("negative_binomial", sizes_nb)):
            for size in sizes:
                cells = row(kind, size, param, limit)
                print(f"| {kind}({size:g}) | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
