"""High-precision references independent of the symbolic code: mpmath sums, quadrature, Monte Carlo.

Nothing here reads a derivation or a family's SymPy expressions: every density is written again
in mpmath, KL of a finite family is its defining sum, KL and Fisher of a continuous family are
integrals done by ``mpmath.quad``, and Fisher has a third route, the sample covariance of the
score with a confidence bound.  Inputs are taken as exact binary floats; results are mpf.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import mpmath as mp
import numpy as np

#: Working precision (decimal digits).  The defining sums cancel at most ~2·log10(1/δ) ≈ 24
#: digits when p ≈ q with relative perturbation δ ≥ 10⁻¹², so 80 digits leave more than 50.
DPS = 80


def _mpf(x: float | mp.mpf) -> mp.mpf:
    """An exact mpf of a binary float (mpf values pass through unrounded)."""
    return x if isinstance(x, mp.mpf) else mp.mpf(float(x))


def digits_for(*values: object) -> int:
    """Starting precision for inputs spanning many decades: DPS plus twice the decades below 1 of
    the smallest nonzero input, so that terms like 1 + 10⁻¹⁹⁵ are representable before any
    evaluation starts (doubling from too low a precision can agree with itself on 0 when both
    runs round the same term away)."""
    flat = np.concatenate([np.ravel(np.asarray(v, dtype=object)).astype(float) for v in values])
    tiny = np.abs(flat[np.isfinite(flat) & (flat != 0)])
    if not tiny.size:
        return DPS
    # Twice the decades: a KL that is second order in a 10⁻ⁿ input sits 2n decades down.
    return DPS + 2 * int(max(0.0, -np.floor(np.log10(tiny.min()))))


def converged(evaluate: Callable[[], mp.mpf], dps: int = DPS, agree: int = 40) -> mp.mpf:
    """``evaluate()`` at ``dps`` digits, redone at doubled precision until two runs agree.

    Two runs must agree to ``agree`` digits, so a defining sum whose terms cancel down to a tiny
    KL gets the digits it needs.
    """
    with mp.workdps(dps):
        value = evaluate()
    if not mp.isfinite(value):
        return value
    while True:
        dps *= 2
        with mp.workdps(dps):
            better = evaluate()
            if better == value or abs(better - value) <= abs(better) * mp.mpf(10) ** (-agree):
                return better
        if dps > 5000:
            raise ArithmeticError("reference did not converge below 5000 digits")
        value = better


# --- KL: finite supports, defining sums ---------------------------------------------------------
def kl_probabilities(p: Sequence[float], q: Sequence[float]) -> mp.mpf:
    """KL(p̂‖q̂) = Σᵢ p̂ᵢ log(p̂ᵢ/q̂ᵢ) for p̂ = p/Σp, q̂ = q/Σq, summed at the precision it needs."""

    def evaluate() -> mp.mpf:
        ps, qs = [_mpf(x) for x in p], [_mpf(x) for x in q]
        sp_, sq_ = mp.fsum(ps), mp.fsum(qs)
        return mp.fsum(
            (a / sp_) * mp.log((a / sp_) / (b / sq_)) for a, b in zip(ps, qs, strict=True) if a != 0
        )

    return converged(evaluate, dps=digits_for(p, q))


def kl_bernoulli(p1: float, p2: float) -> mp.mpf:
    """p₁ log(p₁/p₂) + (1 − p₁) log((1 − p₁)/(1 − p₂)).

    The complement's log goes through log1p: 1 − 10⁻³⁰⁰ is not representable at DPS digits.
    """

    def evaluate() -> mp.mpf:
        a, b = _mpf(p1), _mpf(p2)
        first = a * mp.log(a / b) if a != 0 else mp.mpf(0)
        second = (1 - a) * (mp.log1p(-a) - mp.log1p(-b)) if a != 1 else mp.mpf(0)
        return first + second

    return converged(evaluate, dps=digits_for(p1, p2))


def _softmax_logs(z: Sequence[float]) -> list[mp.mpf]:
    zs = [_mpf(x) for x in z]
    top = max(range(len(zs)), key=lambda i: zs[i])
    rest = mp.fsum(mp.exp(x - zs[top]) for i, x in enumerate(zs) if i != top)
    # log1p keeps an e^{−547}-sized rest that log(1 + rest) rounds away at any fixed precision.
    log_total = zs[top] + mp.log1p(rest)
    return [x - log_total for x in zs]


def kl_logits(z1: Sequence[float], z2: Sequence[float]) -> mp.mpf:
    """Σᵢ pᵢ (log pᵢ − log qᵢ) with p = softmax z₁, q = softmax z₂."""

    def evaluate() -> mp.mpf:
        l1, l2 = _softmax_logs(z1), _softmax_logs(z2)
        return mp.fsum(mp.exp(a) * (a - b) for a, b in zip(l1, l2, strict=True))

    return converged(evaluate, dps=digits_for(z1, z2))


def kl_bernoulli_logit(t1: float, t2: float) -> mp.mpf:
    return kl_logits([t1, 0.0], [t2, 0.0])


# --- KL: Gaussians --------------------------------------------------------------------------------
def gaussian_from_chart(param: str, a: float, b: float) -> tuple[mp.mpf, mp.mpf]:
    """(μ, σ) of a univariate Gaussian from chart coordinates, in mpmath."""
    a, b = _mpf(a), _mpf(b)
    if param == "mean_std":
        return a, b
    if param == "mean_var":
        return a, mp.sqrt(b)
    if param == "mean_logstd":
        return a, mp.exp(b)
    if param == "natural":
        return -a / (2 * b), mp.sqrt(-1 / (2 * b))
    raise ValueError(f"unknown Gaussian chart {param!r}")


def kl_gaussian(param: str, a1: float, b1: float, a2: float, b2: float) -> mp.mpf:
    """log(σ₂/σ₁) + (σ₁² + (μ₁ − μ₂)²)/(2σ₂²) − ½, at the precision it needs (checked against
    :func:`kl_gaussian_quad` in the tests)."""

    def evaluate() -> mp.mpf:
        mu1, s1 = gaussian_from_chart(param, a1, b1)
        mu2, s2 = gaussian_from_chart(param, a2, b2)
        return mp.log(s2 / s1) + (s1**2 + (mu1 - mu2) ** 2) / (2 * s2**2) - mp.mpf(1) / 2

    return converged(evaluate, dps=digits_for(a1, b1, a2, b2))


def kl_gaussian_quad(param: str, a1: float, b1: float, a2: float, b2: float) -> mp.mpf:
    """∫ p(x) log(p(x)/q(x)) dx by mpmath.quad, substituting x = μ₁ + σ₁t.

    (x − μ₂)/σ₂ is formed as ((μ₁ − μ₂) + σ₁t)/σ₂, never through x itself, which would round σ₁t
    away next to μ₁ when σ₁ ≈ e⁻³⁰⁰.
    """
    with mp.workdps(DPS):
        mu1, s1 = gaussian_from_chart(param, a1, b1)
        mu2, s2 = gaussian_from_chart(param, a2, b2)

        def integrand(t: mp.mpf) -> mp.mpf:
            z = ((mu1 - mu2) + s1 * t) / s2
            log_ratio = -(t**2) / 2 - mp.log(s1) + z**2 / 2 + mp.log(s2)
            return mp.exp(-(t**2) / 2) / mp.sqrt(2 * mp.pi) * log_ratio

        return mp.quad(integrand, [-mp.inf, -5, 0, 5, mp.inf])


def kl_full_gaussian(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray, cov2: np.ndarray) -> mp.mpf:
    """½[tr(Σ₂⁻¹Σ₁) + (μ₂−μ₁)ᵀΣ₂⁻¹(μ₂−μ₁) − d + log det Σ₂ − log det Σ₁] in mpmath matrices."""

    def evaluate() -> mp.mpf:
        m1 = mp.matrix([_mpf(x) for x in np.ravel(mu1)])
        m2 = mp.matrix([_mpf(x) for x in np.ravel(mu2)])
        c1 = mp.matrix([[_mpf(x) for x in row] for row in np.asarray(cov1)])
        c2 = mp.matrix([[_mpf(x) for x in row] for row in np.asarray(cov2)])
        inv2 = c2**-1
        dm = m2 - m1
        d = len(m1)
        trace = mp.fsum((inv2 * c1)[i, i] for i in range(d))
        quad = (dm.T * inv2 * dm)[0, 0]
        return (trace + quad - d + mp.log(mp.det(c2)) - mp.log(mp.det(c1))) / 2

    return converged(evaluate, dps=digits_for(mu1, cov1, mu2, cov2))


# --- Fisher information: exact sums, quadrature, Monte Carlo -------------------------------------
LogDensity = Callable[[Sequence[mp.mpf], object], mp.mpf]


def _score(log_density: LogDensity, theta: Sequence[mp.mpf], x: object) -> list[mp.mpf]:
    """∇_θ log p(x|θ) by mpmath's high-precision numerical differentiation."""
    grads = []
    for i in range(len(theta)):

        def along(t: mp.mpf, i: int = i) -> mp.mpf:
            point = list(theta)
            point[i] = t
            return log_density(point, x)

        grads.append(mp.diff(along, theta[i]))
    return grads


def fisher_finite(log_density: LogDensity, theta: Sequence[float], outcomes: Sequence[object]) -> mp.matrix:
    """F = Σₓ p(x|θ) s(x) s(x)ᵀ, s = ∇_θ log p, summed over a finite support at DPS digits."""
    with mp.workdps(DPS):
        th = [_mpf(t) for t in theta]
        n = len(th)
        total = mp.matrix(n, n)
        for x in outcomes:
            s = _score(log_density, th, x)
            weight = mp.exp(log_density(th, x))
            for i in range(n):
                for j in range(n):
                    total[i, j] += weight * s[i] * s[j]
        return total


def fisher_gaussian_quad(param: str, a: float, b: float, dps: int = 30) -> mp.matrix:
    """F = ∫ p(x|θ) s(x) s(x)ᵀ dx by mpmath.quad, with the score by mpmath.diff, chart ``param``."""
    with mp.workdps(dps):
        th = [_mpf(a), _mpf(b)]
        mu, sigma = gaussian_from_chart(param, a, b)

        def log_density(point: Sequence[mp.mpf], x: object) -> mp.mpf:
            m, s = _chart_to_mean_std(param, point)
            return -((x - m) ** 2) / (2 * s**2) - mp.log(s) - mp.log(2 * mp.pi) / 2

        out = mp.matrix(2, 2)
        for i in range(2):
            for j in range(i, 2):

                def integrand(t: mp.mpf, i: int = i, j: int = j) -> mp.mpf:
                    x = mu + sigma * t
                    s = _score(log_density, th, x)
                    return mp.exp(-(t**2) / 2) / mp.sqrt(2 * mp.pi) * s[i] * s[j]

                out[i, j] = out[j, i] = mp.quad(integrand, [-mp.inf, 0, mp.inf])
        return out


def _chart_to_mean_std(param: str, point: Sequence[mp.mpf]) -> tuple[mp.mpf, mp.mpf]:
    a, b = point
    if param == "mean_std":
        return a, b
    if param == "mean_var":
        return a, mp.sqrt(b)
    if param == "mean_logstd":
        return a, mp.exp(b)
    return -a / (2 * b), mp.sqrt(-1 / (2 * b))


@dataclass(frozen=True)
class MonteCarloFisher:
    """Sample covariance of the score with its standard error, entrywise."""

    mean: np.ndarray
    standard_error: np.ndarray
    samples: int

    def contains(self, fisher: np.ndarray, z: float = 5.0) -> bool:
        """Whether ``fisher`` lies within z standard errors of the estimate in every entry."""
        return bool(np.all(np.abs(np.asarray(fisher) - self.mean) <= z * self.standard_error))


def fisher_monte_carlo(score: Callable[[np.ndarray], np.ndarray], sample: np.ndarray) -> MonteCarloFisher:
    """F ≈ (1/n) Σ s(xₘ) s(xₘ)ᵀ over draws xₘ ~ p(·|θ); ``score`` maps samples to (n, dim) scores.

    The standard error of each entry is the sample standard deviation of sᵢsⱼ over √n, so
    ``contains(F, z=5)`` fails for a correct F with probability below 10⁻⁶ per entry (CLT).
    """
    s = np.asarray(score(sample), dtype=float)
    products = s[:, :, None] * s[:, None, :]
    n = products.shape[0]
    return MonteCarloFisher(
        mean=products.mean(axis=0),
        standard_error=products.std(axis=0, ddof=1) / np.sqrt(n),
        samples=n,
    )


def relative_error(value: float, reference: mp.mpf) -> float:
    """|value − reference|/|reference| (0 when both are 0, inf when only the reference is)."""
    with mp.workdps(DPS):
        if reference == 0:
            return 0.0 if value == 0 else float("inf")
        if not np.isfinite(value):
            return float("inf")
        return float(abs((_mpf(value) - reference) / reference))
