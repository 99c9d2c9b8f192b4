"""Log-densities written again by hand, for references independent of the families' SymPy code.

Every function takes a math namespace ``m`` (``numpy`` for Monte Carlo, ``mpmath`` for exact
sums and quadrature), the chart coordinates θ of one point, and an outcome x.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import combinations_with_replacement
from typing import Any

import mpmath as mp
import numpy as np

from symgeom.families.base import Family

LogDensity = Callable[[Any, Sequence[Any], Any], Any]


def _mean_std(m: Any, param: str, a: Any, b: Any) -> tuple[Any, Any]:
    if param == "mean_std":
        return a, b
    if param in ("mean_var",):
        return a, m.sqrt(b)
    if param == "mean_logstd":
        return a, m.exp(b)
    return -a / (2 * b), m.sqrt(-1 / (2 * b))


def _normal(m: Any, x: Any, mu: Any, sigma: Any) -> Any:
    return -((x - mu) ** 2) / (2 * sigma**2) - m.log(sigma) - m.log(2 * m.pi) / 2


def log_density(family: Family) -> LogDensity:
    """log p(x | θ) for ``family``'s chart; x is a class index (finite) or a point of ℝᵈ."""
    sizes = dict(family.size)
    param = family.param
    if family.name == "bernoulli":

        def bernoulli(m: Any, theta: Sequence[Any], x: Any) -> Any:
            (t,) = theta
            p = t if param == "prob" else 1 / (1 + m.exp(-t))
            return m.log(p) if x == 1 else m.log(1 - p)

        return bernoulli
    if family.name == "categorical":

        def categorical(m: Any, theta: Sequence[Any], x: Any) -> Any:
            if param == "probs":
                probs = [*theta, 1 - sum(theta)]
                return m.log(probs[x])
            logits = [*theta, 0 * theta[0]]
            return logits[x] - m.log(sum(m.exp(z) for z in logits))

        return categorical
    if family.name == "gaussian":

        def gaussian(m: Any, theta: Sequence[Any], x: Any) -> Any:
            mu, sigma = _mean_std(m, param, *theta)
            return _normal(m, x, mu, sigma)

        return gaussian
    d = sizes["d"]
    if sizes["covariance"] == "diagonal":

        def diagonal(m: Any, theta: Sequence[Any], x: Any) -> Any:
            total = 0
            for i in range(d):
                mu, sigma = _mean_std(m, param, theta[i], theta[d + i])
                total = total + _normal(m, x[..., i] if hasattr(x, "ndim") else x[i], mu, sigma)
            return total

        return diagonal
    pairs = list(combinations_with_replacement(range(d), 2))

    def full(m: Any, theta: Sequence[Any], x: Any) -> Any:
        entries = dict(zip(pairs, theta[d:], strict=True))
        cov = [[entries[(min(i, j), max(i, j))] for j in range(d)] for i in range(d)]
        if m is mp:
            c = mp.matrix(cov)
            diff = mp.matrix([x[i] - theta[i] for i in range(d)])
            quad = (diff.T * c**-1 * diff)[0, 0]
            return -quad / 2 - mp.log(mp.det(c)) / 2 - d * mp.log(2 * mp.pi) / 2
        c = np.stack([np.stack(np.broadcast_arrays(*row), axis=-1) for row in cov], axis=-2)
        diff = x - np.stack(np.broadcast_arrays(*theta[:d]), axis=-1)
        quad = np.einsum("...i,...ij,...j->...", diff, np.linalg.inv(c), diff)
        return -quad / 2 - np.linalg.slogdet(c)[1] / 2 - d * np.log(2 * np.pi) / 2

    return full


def outcomes(family: Family) -> list[int]:
    """The support of a finite family as class indices."""
    if family.name == "bernoulli":
        return [0, 1]
    return list(range(dict(family.size)["k"]))


def sample(family: Family, theta: Sequence[float], n: int, rng: np.random.Generator) -> np.ndarray:
    """n draws from a Gaussian family at θ (univariate: shape (n,), else (n, d))."""
    sizes = dict(family.size)
    if family.name == "gaussian":
        mu, sigma = _mean_std(np, family.param, *theta)
        return rng.normal(mu, sigma, n)
    d = sizes["d"]
    if sizes["covariance"] == "diagonal":
        mus, sigmas = zip(
            *(_mean_std(np, family.param, theta[i], theta[d + i]) for i in range(d)), strict=True
        )
        return rng.normal(np.array(mus), np.array(sigmas), (n, d))
    pairs = list(combinations_with_replacement(range(d), 2))
    entries = dict(zip(pairs, theta[d:], strict=True))
    cov = np.array([[entries[(min(i, j), max(i, j))] for j in range(d)] for i in range(d)])
    return rng.multivariate_normal(np.asarray(theta[:d]), cov, n)


def numeric_score(family: Family, theta: Sequence[float]) -> Callable[[np.ndarray], np.ndarray]:
    """x ↦ ∇_θ log p(x|θ) by central differences (step 10⁻⁵ of each coordinate's scale)."""
    logp = log_density(family)

    def score(x: np.ndarray) -> np.ndarray:
        columns = []
        for i, t in enumerate(theta):
            h = 1e-5 * max(abs(t), 1e-2)
            up, down = list(theta), list(theta)
            up[i], down[i] = t + h, t - h
            columns.append((logp(np, up, x) - logp(np, down, x)) / (2 * h))
        return np.stack(columns, axis=-1)

    return score
