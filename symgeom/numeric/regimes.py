"""Deterministic input sets for the accuracy regimes, shared by tests and benchmarks/kl_accuracy.py.

Each regime is (name, kernel arguments, reference(row) → mpf); rows are along the first axis.
The regimes are the ones the accuracy contract names: relative perturbations 10⁻² … 10⁻¹² between
p and q, probabilities down to 10⁻³⁰⁰ and up to 1 − 10⁻¹⁶, σ from 10⁻¹⁵⁰ to 10¹⁵⁰, k up to 10⁴.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import mpmath as mp
import numpy as np

from symgeom.numeric import kl
from symgeom.numeric import reference as ref

DELTAS = (1e-2, 1e-4, 1e-6, 1e-8, 1e-10, 1e-12)

#: The KL kernel for each regime's family label.
KERNELS: dict[str, Callable[..., np.ndarray]] = {
    "bernoulli[prob]": kl.bernoulli_prob,
    "bernoulli[logit]": kl.bernoulli_logit,
    "categorical[probs]": kl.categorical_probs,
    "categorical[logits]": kl.categorical_logits,
    "gaussian[mean_std]": kl.gaussian_mean_std,
    "gaussian[mean_var]": kl.gaussian_mean_var,
    "gaussian[natural]": kl.gaussian_natural,
    "gaussian[mean_logstd]": kl.gaussian_mean_logstd,
    "multivariate_gaussian[mean_cov]": kl.full_gaussian,
}


@dataclass(frozen=True)
class Regime:
    """A named batch of kernel arguments (rows on axis 0) and the reference of one row."""

    family: str
    name: str
    args: tuple[np.ndarray, ...]
    reference: Callable[[int], mp.mpf]

    @property
    def rows(self) -> int:
        return len(self.args[0])


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _perturb_simplex(p: np.ndarray, delta: float, rng: np.random.Generator) -> np.ndarray:
    q = p * (1 + delta * rng.uniform(-1, 1, p.shape))
    return q / q.sum(axis=-1, keepdims=True)


def bernoulli(rows: int = 40) -> Iterator[Regime]:
    rng = _rng(1)

    def make(name: str, p: np.ndarray, q: np.ndarray) -> Regime:
        return Regime("bernoulli[prob]", name, (p, q), lambda i: ref.kl_bernoulli(p[i], q[i]))

    base = rng.uniform(0.01, 0.99, rows)
    for delta in DELTAS:
        step = delta * rng.uniform(-1, 1, rows) * np.minimum(base, 1 - base)
        yield make(f"relative δ = {delta:.0e}", base, base + step)
    tiny = 10.0 ** rng.uniform(-300, -1, rows)
    yield make("p down to 1e-300, q near", tiny, tiny * (1 + 1e-6 * rng.uniform(-1, 1, rows)))
    yield make("p down to 1e-300, q far", tiny, rng.uniform(0.01, 0.99, rows))
    high = 1 - np.maximum(10.0 ** rng.uniform(-16, -1, rows), 1.2e-16)
    yield make("p up to 1 - 1e-16, q near", high, 1 - (1 - high) * (1 + 1e-3 * rng.uniform(-1, 1, rows)))
    yield make("p up to 1 - 1e-16, q far", high, rng.uniform(0.01, 0.99, rows))


def bernoulli_logit(rows: int = 40) -> Iterator[Regime]:
    rng = _rng(2)

    def make(name: str, a: np.ndarray, b: np.ndarray) -> Regime:
        return Regime("bernoulli[logit]", name, (a, b), lambda i: ref.kl_bernoulli_logit(a[i], b[i]))

    base = rng.uniform(-30, 30, rows)
    for delta in DELTAS:
        yield make(f"relative δ = {delta:.0e}", base, base * (1 + delta * rng.uniform(-1, 1, rows)))
    yield make("far, θ in [-700, 700]", rng.uniform(-700, 700, rows), rng.uniform(-700, 700, rows))


def categorical(rows: int = 20, k: int = 10) -> Iterator[Regime]:
    rng = _rng(3)

    def make(name: str, p: np.ndarray, q: np.ndarray) -> Regime:
        return Regime("categorical[probs]", name, (p, q), lambda i: ref.kl_probabilities(p[i], q[i]))

    p = rng.dirichlet(np.ones(k), rows)
    for delta in DELTAS:
        yield make(f"relative δ = {delta:.0e} (k = {k})", p, _perturb_simplex(p, delta, rng))
    weights = 10.0 ** rng.uniform(-300, 0, (rows, k))
    tiny = weights / weights.sum(axis=-1, keepdims=True)
    yield make("probabilities down to 1e-300, near", tiny, _perturb_simplex(tiny, 1e-6, rng))
    yield make("far (independent Dirichlet)", p, rng.dirichlet(np.ones(k), rows))
    big = rng.dirichlet(np.ones(10_000), 1)
    yield make("k = 10⁴, relative δ = 1e-06", big, _perturb_simplex(big, 1e-6, rng))


def categorical_logits(rows: int = 20, k: int = 10) -> Iterator[Regime]:
    rng = _rng(4)

    def make(name: str, a: np.ndarray, b: np.ndarray) -> Regime:
        return Regime("categorical[logits]", name, (a, b), lambda i: ref.kl_logits(a[i], b[i]))

    z = rng.normal(0, 3, (rows, k))
    for delta in DELTAS:
        yield make(f"relative δ = {delta:.0e} (k = {k})", z, z * (1 + delta * rng.uniform(-1, 1, z.shape)))
    yield make(
        "far, logits up to ±300",
        rng.uniform(-300, 300, (rows, k)),
        rng.uniform(-300, 300, (rows, k)),
    )
    big = rng.normal(0, 3, (1, 10_000))
    yield make("k = 10⁴, relative δ = 1e-06", big, big * (1 + 1e-6 * rng.uniform(-1, 1, big.shape)))


def _chart(param: str, mu: np.ndarray, sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if param == "mean_std":
        return mu, sigma
    if param == "mean_var":
        return mu, sigma * sigma
    if param == "mean_logstd":
        return mu, np.log(sigma)
    return mu / sigma**2, -1 / (2 * sigma**2)


def gaussian(param: str, rows: int = 40) -> Iterator[Regime]:
    """σ log-uniform in [10⁻¹⁵⁰, 10¹⁵⁰] and μ = σ·N(0, 1), so the KL itself is representable."""
    rng = _rng(5)

    def make(name: str, m1: np.ndarray, s1: np.ndarray, m2: np.ndarray, s2: np.ndarray) -> Regime:
        a1, b1 = _chart(param, m1, s1)
        a2, b2 = _chart(param, m2, s2)
        return Regime(
            f"gaussian[{param}]",
            name,
            (a1, b1, a2, b2),
            lambda i: ref.kl_gaussian(param, a1[i], b1[i], a2[i], b2[i]),
        )

    sigma = 10.0 ** rng.uniform(-150, 150, rows)
    mu = sigma * rng.normal(size=rows)
    for delta in DELTAS:

        def moved(x: np.ndarray, delta: float = delta) -> np.ndarray:
            return x * (1 + delta * rng.uniform(-1, 1, rows))

        yield make(f"relative δ = {delta:.0e}, σ in [1e-150, 1e150]", mu, sigma, moved(mu), moved(sigma))
    other = sigma * 10.0 ** rng.uniform(-3, 3, rows)
    yield make("σ₂/σ₁ in [1e-3, 1e3]", mu, sigma, mu + sigma * rng.normal(size=rows), other)


def full_gaussian(rows: int = 10, d: int = 3) -> Iterator[Regime]:
    rng = _rng(6)

    def make(name: str, m1: np.ndarray, c1: np.ndarray, m2: np.ndarray, c2: np.ndarray) -> Regime:
        return Regime(
            "multivariate_gaussian[mean_cov]",
            name,
            (m1, c1, m2, c2),
            lambda i: ref.kl_full_gaussian(m1[i], c1[i], m2[i], c2[i]),
        )

    a = rng.uniform(-1, 1, (rows, d, d))
    cov = a @ np.swapaxes(a, -1, -2) + 0.5 * np.eye(d)
    mu = rng.normal(size=(rows, d))
    for delta in DELTAS:
        b = np.eye(d) + delta * rng.uniform(-1, 1, (rows, d, d))
        moved = b @ cov @ np.swapaxes(b, -1, -2)
        yield make(
            f"relative δ = {delta:.0e} (d = {d})",
            mu,
            cov,
            mu * (1 + delta * rng.uniform(-1, 1, mu.shape)),
            moved,
        )
    for scale in (1e-100, 1e100):
        yield make(
            f"Σ scaled by {scale:.0e}, δ = 1e-06",
            mu * np.sqrt(scale),
            cov * scale,
            mu * np.sqrt(scale) * (1 + 1e-6),
            cov * scale * (1 + 1e-6),
        )


def reference_for(regime: Regime) -> Callable[[int], mp.mpf]:
    """The reference of the regime's family on ``regime.args`` (e.g. after a float32 cast)."""
    args, family = regime.args, regime.family
    if family == "bernoulli[prob]":
        return lambda i: ref.kl_bernoulli(args[0][i], args[1][i])
    if family == "bernoulli[logit]":
        return lambda i: ref.kl_bernoulli_logit(args[0][i], args[1][i])
    if family == "categorical[probs]":
        return lambda i: ref.kl_probabilities(args[0][i], args[1][i])
    if family == "categorical[logits]":
        return lambda i: ref.kl_logits(args[0][i], args[1][i])
    if family.startswith("gaussian["):
        param = family[len("gaussian[") : -1]
        return lambda i: ref.kl_gaussian(param, *(a[i] for a in args))
    return lambda i: ref.kl_full_gaussian(*(a[i] for a in args))


def all_regimes() -> Iterator[Regime]:
    yield from bernoulli()
    yield from bernoulli_logit()
    yield from categorical()
    yield from categorical_logits()
    for param in ("mean_std", "mean_var", "natural", "mean_logstd"):
        yield from gaussian(param)
    yield from full_gaussian()
