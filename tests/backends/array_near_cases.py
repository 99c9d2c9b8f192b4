"""Near pairs and extreme scales for the array-valued charts, with independent mpmath references.

Charts: MultivariateGaussian(d, "diagonal") in mean_var, mean_std, mean_logstd and natural;
MultivariateGaussian(d, "full") mean_cov; Categorical(k) probs and logits; Dirichlet(k)
concentration and log_concentration.  A point is a list of float64 arrays (the chart's arguments);
a case is (point₁, point₂, label).  Near pairs move one entry, or every entry, of the point by a
relative δ = 1e-6 … 1e-14 (a logit or mean that is 0 by an absolute δ); scales cover the valid
range: σ over 10^{±150}, probabilities down to 1e-300, logits ±700 (and classes that underflow),
Dirichlet shapes 1e-3 … 1e6, covariance condition numbers up to 1e12 at scales 10^{±100}.

References are textbook formulas evaluated by mpmath from the exact float inputs at ``DIGITS``
digits (enough for a KL of 10⁻²⁸ from terms of order 1 at condition 10¹²), not symgeom's kernels:

* Gaussian: KL = ½[tr(Σ₂⁻¹Σ₁) + Δμᵀ Σ₂⁻¹ Δμ − d + log(|Σ₂|/|Σ₁|)], H = ½ log det(2πeΣ),
  Fisher of (μ, Σᵢⱼ) = Σ⁻¹ ⊕ ½ tr(Σ⁻¹ Eₐ Σ⁻¹ E_b); per coordinate in the diagonal charts
  (mean_var 1/v, 1/(2v²); mean_std 1/σ², 2/σ²; mean_logstd 1/σ², 2; natural Cov(x, x²)).
* Categorical: KL(p̂‖q̂) of the normalized supplied rows, H = −Σ pᵢ log pᵢ,
  Fisher diag(1/pᵢ) + 1/p_k (probs), diag(p) − ppᵀ over i, j < k (logits, p = softmax(z), k logits).
* Dirichlet: KL = log Γ(α₀) − Σ log Γ(αᵢ) − log Γ(β₀) + Σ log Γ(βᵢ) + Σ(αᵢ − βᵢ)(ψ(αᵢ) − ψ(α₀)),
  H = Σ log Γ(αᵢ) − log Γ(α₀) + (α₀ − k)ψ(α₀) − Σ(αᵢ − 1)ψ(αᵢ), Fisher diag ψ′(αᵢ) − ψ′(α₀)
  (log chart: αᵢαⱼ times it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations_with_replacement

import mpmath as mp
import numpy as np

import symgeom as sg
from symgeom.families.base import Family

DIGITS = 100
DELTAS = (1e-6, 1e-8, 1e-10, 1e-12, 1e-14)

Point = list[np.ndarray]


@dataclass(frozen=True)
class Chart:
    label: str
    family: Callable[[], Family]
    points: Callable[[np.random.Generator], list[tuple[str, Point]]]  # (scale label, point)
    to_mp: Callable[[Point], tuple]  # the chart's point in mpmath numbers
    kl: Callable[[tuple, tuple], mp.mpf]
    entropy: Callable[[tuple], mp.mpf]
    fisher: Callable[[tuple, Point], mp.matrix]
    #: digits of the references: 400 for probabilities and logits (a relative δ of an entry 1e-300
    #: moves the normalizations Σp, Σq by 1e-306, whose log ratio the KL of 1e-312 needs in full)
    digits: int = DIGITS


def _mpf(a: np.ndarray) -> list:
    return [mp.mpf(float(x)) for x in np.ravel(a)]


# --- Gaussians: (μ, Σ) in mpmath -------------------------------------------------------------------

def _gauss_kl(a: tuple, b: tuple) -> mp.mpf:
    (m1, s1), (m2, s2) = a, b
    # KL is invariant under (μ, Σ) → (μ/√c, Σ/c): mpmath's LU calls an entry of 10⁻³⁰⁰ singular
    c = max(s2[i, i] for i in range(s2.rows))
    s1, s2, m1, m2 = s1 / c, s2 / c, m1 / mp.sqrt(c), m2 / mp.sqrt(c)
    inv = s2**-1
    diff = m2 - m1
    d = s1.rows
    trace = sum((inv * s1)[i, i] for i in range(d))
    quad = (diff.T * inv * diff)[0, 0]
    return (trace + quad - d + mp.log(mp.det(s2)) - mp.log(mp.det(s1))) / 2


def _gauss_entropy(a: tuple) -> mp.mpf:
    _, s = a
    c = max(s[i, i] for i in range(s.rows))
    return (s.rows * mp.log(2 * mp.pi * mp.e * c) + mp.log(mp.det(s / c))) / 2


def _diag_mp(chart: str) -> Callable[[Point], tuple]:
    def to_mp(point: Point) -> tuple:
        a, b = _mpf(point[0]), _mpf(point[1])
        if chart == "mean_var":
            mu, v = a, b
        elif chart == "mean_std":
            mu, v = a, [s**2 for s in b]
        elif chart == "mean_logstd":
            mu, v = a, [mp.exp(2 * s) for s in b]
        else:  # natural: η₁ = μ/v, η₂ = −1/(2v)
            v = [-1 / (2 * e) for e in b]
            mu = [e * vi for e, vi in zip(a, v)]
        return mp.matrix(mu), mp.diag(v)

    return to_mp


def _diag_fisher(chart: str) -> Callable[[tuple, Point], mp.matrix]:
    def fisher(a: tuple, point: Point) -> mp.matrix:
        mu, s = a
        d = s.rows
        out = mp.zeros(2 * d, 2 * d)
        for i in range(d):
            v, m = s[i, i], mu[i]
            if chart == "natural":  # Cov of (x, x²): v, 2μv, 4μ²v + 2v²
                out[i, i], out[i, d + i] = v, 2 * m * v
                out[d + i, i], out[d + i, d + i] = 2 * m * v, 4 * m**2 * v + 2 * v**2
                continue
            out[i, i] = 1 / v
            out[d + i, d + i] = {"mean_var": 1 / (2 * v**2), "mean_std": 2 / v,
                                 "mean_logstd": mp.mpf(2)}[chart]
        return out

    return fisher


def _diag_points(chart: str, d: int) -> Callable[[np.random.Generator], list[tuple[str, Point]]]:
    def points(rng: np.random.Generator) -> list[tuple[str, Point]]:
        out = []
        for exponent in (-150, -75, 0, 75, 150):
            scale = 10.0**exponent
            sigma = scale * 10 ** rng.uniform(-0.3, 0.3, d)
            mu = scale * rng.normal(size=d)
            mu[0] = 0.0  # an exact zero mean (moved by an absolute δ·σ)
            v = sigma**2
            args = {"mean_var": [mu, v], "mean_std": [mu, sigma], "mean_logstd": [mu, np.log(sigma)],
                    "natural": [mu / v, -0.5 / v]}[chart]
            out.append((f"sigma=1e{exponent}", [np.asarray(x, dtype=float) for x in args]))
        return out

    return points


def _full_mp(point: Point) -> tuple:
    return mp.matrix(_mpf(point[0])), mp.matrix(point[1].tolist())


def _full_fisher(a: tuple, point: Point) -> mp.matrix:
    _, s = a
    d = s.rows
    c = max(s[i, i] for i in range(d))
    p = (s / c) ** -1 / c
    basis = []
    for i, j in combinations_with_replacement(range(d), 2):
        e = mp.zeros(d, d)
        e[i, j] = e[j, i] = 1
        basis.append(e)
    n = d + len(basis)
    out = mp.zeros(n, n)
    for i in range(d):
        for j in range(d):
            out[i, j] = p[i, j]
    for x, ex in enumerate(basis):
        for y, ey in enumerate(basis):
            m = p * ex * p * ey
            out[d + x, d + y] = sum(m[i, i] for i in range(d)) / 2
    return out


def _graded(d: int, rng: np.random.Generator, condition: float) -> np.ndarray:
    """DCD with C a random correlation matrix and D graded over √condition (condition ≈ given)."""
    a = rng.normal(size=(d, d)) / np.sqrt(4 * d)
    c = np.eye(d) + a @ a.T
    c /= np.sqrt(np.outer(np.diag(c), np.diag(c)))
    c = 0.5 * np.eye(d) + 0.5 * c
    s = np.logspace(0, -np.log10(condition) / 2, d)
    out = c * np.outer(s, s)
    return (out + out.T) / 2


def _full_points(d: int) -> Callable[[np.random.Generator], list[tuple[str, Point]]]:
    def points(rng: np.random.Generator) -> list[tuple[str, Point]]:
        out = []
        for exponent, condition in ((-100, 1e3), (0, 1e12), (0, 10.0), (100, 1e6), (50, 1e12)):
            scale = 10.0**exponent
            cov = _graded(d, rng, condition) * scale**2
            mu = scale * rng.normal(size=d)
            out.append((f"scale=1e{exponent},cond={condition:.0e}", [mu, cov]))
        return out

    return points


# --- Categorical ---------------------------------------------------------------------------------

def _probs_points(k: int) -> Callable[[np.random.Generator], list[tuple[str, Point]]]:
    def points(rng: np.random.Generator) -> list[tuple[str, Point]]:
        out = []
        for label, tiny in (("p~Dir(1)", None), ("p_min=1e-300", 1e-300), ("p_min=1e-150", 1e-150),
                            ("p_min=1e-20", 1e-20), ("p_last=1e-300", "last")):
            p = rng.dirichlet(np.ones(k))
            if tiny == "last":
                p[-1] = 1e-300
            elif tiny is not None:
                p[rng.integers(k - 1)] = tiny
                p[-2] = 10 ** rng.uniform(np.log10(tiny), -1)
            big = int(np.argmax(p))
            p[big] = 0.0
            p[big] = 1.0 - np.sum(p)  # the supplied row sums to 1 within an ulp
            out.append((label, [p]))
        return out

    return points


def _probs_mp(point: Point) -> tuple:
    p = _mpf(point[0])
    return (p,)


def _probs_kl(a: tuple, b: tuple) -> mp.mpf:
    (p,), (q,) = a, b
    sp_, sq = mp.fsum(p), mp.fsum(q)
    return mp.fsum(x / sp_ * mp.log((x / sp_) / (y / sq)) for x, y in zip(p, q) if x != 0)


def _probs_entropy(a: tuple) -> mp.mpf:
    (p,) = a
    return -mp.fsum(x * mp.log(x) for x in p if x != 0)


def _probs_fisher(a: tuple, point: Point) -> mp.matrix:
    (p,) = a
    n = len(p) - 1
    out = mp.matrix(n, n)
    for i in range(n):
        for j in range(n):
            out[i, j] = 1 / p[-1] + (1 / p[i] if i == j else 0)
    return out


def _logit_points(k: int) -> Callable[[np.random.Generator], list[tuple[str, Point]]]:
    def points(rng: np.random.Generator) -> list[tuple[str, Point]]:
        out = []
        for label, scale, shift in (("|z|~1", 1.0, 0.0), ("|z|~30", 30.0, 0.0), ("z~+700", 5.0, 700.0),
                                    ("z~-700", 5.0, -700.0), ("one class -800", 3.0, None)):
            z = scale * rng.normal(size=k) + (shift or 0.0)  # k logits, read up to a common shift
            z[-1] = 0.0 if shift is not None else z[-1]  # a pinned class z_k = 0 (moved absolutely)
            if shift is None:
                z[-2] = -800.0  # its probability underflows float64
            out.append((label, [z]))
        return out

    return points


def _logit_probs(z: list) -> list:
    """log softmax(z) over the k logits."""
    lse = mp.log(mp.fsum(mp.exp(x) for x in z))
    return [x - lse for x in z]


def _logits_mp(point: Point) -> tuple:
    return (_mpf(point[0]),)


def _logits_kl(a: tuple, b: tuple) -> mp.mpf:
    lp, lq = _logit_probs(a[0]), _logit_probs(b[0])
    return mp.fsum(mp.exp(x) * (x - y) for x, y in zip(lp, lq))


def _logits_entropy(a: tuple) -> mp.mpf:
    return -mp.fsum(mp.exp(x) * x for x in _logit_probs(a[0]))


def _logits_fisher(a: tuple, point: Point) -> mp.matrix:
    p = [mp.exp(x) for x in _logit_probs(a[0])][:-1]
    n = len(p)
    out = mp.matrix(n, n)
    for i in range(n):
        for j in range(n):
            out[i, j] = (p[i] if i == j else 0) - p[i] * p[j]
    return out


# --- Dirichlet -----------------------------------------------------------------------------------

def _dirichlet_points(chart: str, k: int) -> Callable[[np.random.Generator], list[tuple[str, Point]]]:
    def points(rng: np.random.Generator) -> list[tuple[str, Point]]:
        out = []
        for label, lo, hi in (("alpha~1e-3", -3, -2.5), ("alpha~1", -0.3, 0.3), ("alpha~1e6", 5.7, 6),
                              ("alpha 1e-3…1e6", -3, 6), ("alpha~1e3", 2.7, 3.3)):
            alpha = 10 ** rng.uniform(lo, hi, k)
            if lo == -3 and hi == 6:
                alpha[0], alpha[1] = 1e-3, 1e6
            args = alpha if chart == "concentration" else np.log(alpha)
            out.append((label, [np.asarray(x) for x in args]))
        return out

    return points


def _dirichlet_mp(chart: str) -> Callable[[Point], tuple]:
    def to_mp(point: Point) -> tuple:
        values = [mp.mpf(float(x)) for x in point]
        return (values if chart == "concentration" else [mp.exp(x) for x in values],)

    return to_mp


def _dirichlet_kl(a: tuple, b: tuple) -> mp.mpf:
    (x,), (y,) = a, b
    x0, y0 = mp.fsum(x), mp.fsum(y)
    return (mp.loggamma(x0) - mp.fsum(mp.loggamma(t) for t in x) - mp.loggamma(y0)
            + mp.fsum(mp.loggamma(t) for t in y)
            + mp.fsum((s - t) * (mp.digamma(s) - mp.digamma(x0)) for s, t in zip(x, y)))


def _dirichlet_entropy(a: tuple) -> mp.mpf:
    (x,) = a
    x0, k = mp.fsum(x), len(x)
    return (mp.fsum(mp.loggamma(t) for t in x) - mp.loggamma(x0) + (x0 - k) * mp.digamma(x0)
            - mp.fsum((t - 1) * mp.digamma(t) for t in x))


def _dirichlet_fisher(chart: str) -> Callable[[tuple, Point], mp.matrix]:
    def fisher(a: tuple, point: Point) -> mp.matrix:
        (x,) = a
        k = len(x)
        t0 = mp.psi(1, mp.fsum(x))
        out = mp.matrix(k, k)
        for i in range(k):
            for j in range(k):
                f = (mp.psi(1, x[i]) if i == j else 0) - t0
                out[i, j] = f * x[i] * x[j] if chart == "log_concentration" else f
        return out

    return fisher


# --- the charts ----------------------------------------------------------------------------------

def _diagonal(chart: str, d: int) -> Chart:
    return Chart(f"MVN({d}, diagonal) {chart}", lambda: sg.MultivariateGaussian(d, "diagonal", chart),
                 _diag_points(chart, d), _diag_mp(chart), _gauss_kl, _gauss_entropy, _diag_fisher(chart))


def _full(d: int) -> Chart:
    return Chart(f"MVN({d}, full) mean_cov", lambda: sg.MultivariateGaussian(d, "full"),
                 _full_points(d), _full_mp, _gauss_kl, _gauss_entropy, _full_fisher)


def _dirichlet(chart: str, k: int) -> Chart:
    return Chart(f"Dirichlet({k}) {chart}", lambda: sg.Dirichlet(k, chart), _dirichlet_points(chart, k),
                 _dirichlet_mp(chart), _dirichlet_kl, _dirichlet_entropy, _dirichlet_fisher(chart))


CHARTS: tuple[Chart, ...] = (
    *(_diagonal(c, d) for d in (3, 6) for c in ("mean_var", "mean_std", "mean_logstd", "natural")),
    _full(2), _full(3),
    *(Chart(f"Categorical({k}) probs", lambda k=k: sg.Categorical(k, "probs"), _probs_points(k),
            _probs_mp, _probs_kl, _probs_entropy, _probs_fisher, 400) for k in (3, 10)),
    *(Chart(f"Categorical({k}) logits", lambda k=k: sg.Categorical(k, "logits"), _logit_points(k),
            _logits_mp, _logits_kl, _logits_entropy, _logits_fisher, 400) for k in (3, 10)),
    *(_dirichlet(c, k) for k in (3, 6) for c in ("concentration", "log_concentration")),
)


def chart(label: str) -> Chart:
    return next(c for c in CHARTS if c.label == label)


# --- near pairs ----------------------------------------------------------------------------------

def _perturb(x: np.ndarray, delta: float, mask: np.ndarray, rng: np.random.Generator,
             floor: float) -> np.ndarray:
    """x·(1 + δn) on the masked entries; an entry x = 0 moves by δ·floor·n instead."""
    n = rng.normal(size=x.shape)
    moved = np.where(x != 0, x * (1 + delta * n), x + delta * floor * n)
    return np.where(mask, moved, x)


def near(c: Chart, point: Point, delta: float, mode: str, rng: np.random.Generator) -> Point:
    """The point moved by a relative δ in one entry (``mode="one"``) or every entry ("all")."""
    if c.label.startswith("MVN") and "full" in c.label:
        mu, cov = point
        scale = float(np.sqrt(np.max(np.diag(cov))))
        if mode == "one":  # one diagonal variance (stays positive definite) and one mean
            cov2 = cov.copy()
            i = int(rng.integers(len(cov)))
            cov2[i, i] *= 1 + delta * abs(rng.normal())
            mu2 = mu.copy()
            mu2[0] += delta * scale * rng.normal()
            return [mu2, cov2]
        t = np.eye(len(cov)) + delta * rng.normal(size=cov.shape)  # (I + δE)Σ(I + δE)ᵀ
        cov2 = t @ cov @ t.T
        return [_perturb(mu, delta, np.ones(mu.shape, bool), rng, scale), (cov2 + cov2.T) / 2]
    flat = [np.atleast_1d(np.asarray(a, dtype=float)) for a in point]
    sizes = [a.size for a in flat]
    masks = [np.zeros(s, bool) for s in sizes]
    if mode == "one":
        which = int(rng.integers(len(flat)))
        masks[which][int(rng.integers(sizes[which]))] = True
    else:
        masks = [np.ones(s, bool) for s in sizes]
    # an exact zero (a Gaussian's mean) moves by δ times the typical size of its argument's entries
    floors = [float(np.median(np.abs(a[a != 0]))) if np.any(a != 0) else 1.0 for a in flat]
    if "probs" in c.label:
        # probabilities move relatively only (zeros stay zero)
        (p,) = flat
        q = np.where(masks[0], p * (1 + delta * rng.normal(size=p.shape)), p)
        big = int(np.argmax(p))  # the row sums to 1 within an ulp or two (validation: within √ε)
        q[big] += np.sum(p) - np.sum(q)
        return [q]
    out = [_perturb(a, delta, m, rng, f) for a, m, f in zip(flat, masks, floors)]
    if c.label.startswith("Dirichlet"):  # k scalar arguments
        return [np.asarray(x[0]) for x in out]
    return out


def cases(c: Chart, seed: int = 0, deltas: tuple[float, ...] = DELTAS,
          modes: tuple[str, ...] = ("one", "all")) -> list[tuple[Point, Point, str]]:
    """Every point of the chart with its near partners, and one far partner (the next point)."""
    rng = np.random.default_rng(seed)
    points = c.points(rng)
    out = []
    for index, (label, point) in enumerate(points):
        for delta in deltas:
            for mode in modes:
                out.append((point, near(c, point, delta, mode, rng), f"{label} δ={delta:.0e} {mode}"))
        far = points[(index + 1) % len(points)][1]
        if not c.label.startswith("MVN"):  # Gaussians far apart at 10^±150 overflow the KL
            out.append((point, far, f"{label} far"))
    return out


def _stack(points: list[Point]) -> list[np.ndarray]:
    return [np.stack([np.asarray(p[i], dtype=float) for p in points]) for i in range(len(points[0]))]


def arguments(pairs: list[tuple[Point, Point, str]]) -> list[np.ndarray]:
    """The batched arguments f(x₁…, y₁…) of a list of pairs."""
    return _stack([a for a, _, _ in pairs]) + _stack([b for _, b, _ in pairs])


def point_arguments(points: list[Point]) -> list[np.ndarray]:
    return _stack(points)


def kl_reference(c: Chart, pairs: list[tuple[Point, Point, str]]) -> np.ndarray:
    with mp.workdps(c.digits):
        return np.array([float(c.kl(c.to_mp(a), c.to_mp(b))) for a, b, _ in pairs])


def entropy_reference(c: Chart, points: list[Point]) -> np.ndarray:
    with mp.workdps(c.digits):
        return np.array([float(c.entropy(c.to_mp(p))) for p in points])


def fisher_reference(c: Chart, points: list[Point]) -> np.ndarray:
    with mp.workdps(c.digits):
        out = []
        for p in points:
            m = c.fisher(c.to_mp(p), p)
            out.append([[float(m[i, j]) for j in range(m.cols)] for i in range(m.rows)])
        return np.array(out)


def relative_errors(got: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """|got − ref|/max(|ref|, 2.2e-308) per entry (0 where equal, also ±inf; inf where got is nan or
    inf otherwise)."""
    got = np.asarray(got, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        err = np.abs(got - ref)
        # relative to the smallest normal number at least: a subnormal result keeps fewer digits
        floor = np.finfo(np.float64).smallest_normal
        rel = np.where(ref != 0, err / np.maximum(np.abs(ref), floor), np.where(err == 0, 0.0, np.inf))
    # ±inf where the true value overflows float64 (a Fisher entry 1/(2v²) at v = 1e-300) is exact
    return np.where(got == ref, 0.0, np.where(np.isfinite(got), rel, np.inf))
