"""Hypothesis strategies for valid parameters of every family, for symgeom's tests and for yours.

    from hypothesis import given
    import symgeom as sg
    from symgeom.testing import params, param_pairs, arrays

    fam = sg.Categorical(3, "logits")
    kl = sg.kl(fam).numpy()

    @given(param_pairs(fam, near=True))
    def test_kl_small_for_near_pairs(pair):
        theta1, theta2 = pair
        assert kl(*arrays(fam, theta1), *arrays(fam, theta2)) >= 0

``params(fam)`` draws one point θ as a tuple of floats in ``fam.parameters`` order (so
``dict(zip(fam.symbols(), θ))`` substitutes into SymPy results); ``arrays(fam, θ)`` groups it
into the arrays a compiled function takes (probability or logit vectors of shape (k,), μ (d,),
Σ (d, d), …).  Ranges (documented, deliberately well conditioned):

* probabilities: class weights in [10⁻³, 1] before normalizing (Bernoulli p in [10⁻³, 1 − 10⁻³]);
  ``wide=True``: p down to 10⁻³⁰⁰ and up to 1 − 10⁻¹⁶
* logits, μ, η₁ (through μ): [−10, 10]
* σ: log-uniform in [10⁻², 10²] (σ², log σ, η₂ follow); ``wide=True``: [10⁻¹⁵⁰, 10¹⁵⁰]
* Σ (full): A·Aᵀ + ½I with entries of A in [−1, 1], so its condition number is below ≈ 2d + 1

``param_pairs(fam, near=…)`` draws (θ₁, θ₂): independent points for ``near=False``; for
``near=δ`` (a float) θ₂ is θ₁ perturbed by a relative amount up to δ in every coordinate, staying
valid (simplex, σ > 0, Σ ≻ 0); ``near=True`` draws δ log-uniformly from [10⁻¹², 10⁻²].

Hypothesis profiles: :func:`register_profiles` registers ``ci`` (fixed seed, derandomized,
few examples) and ``deep`` (many examples); select one with ``HYPOTHESIS_PROFILE=deep``.
"""

from __future__ import annotations

import os
from itertools import combinations_with_replacement

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from symgeom.families.base import Family

__all__ = [
    "arrays",
    "catalog",
    "near_pairs",
    "param_pairs",
    "params",
    "perturb",
    "register_profiles",
]

_LOGIT = 10.0
_MEAN = 10.0
_LOG_SIGMA = float(np.log(100.0))
_WIDE_LOG_SIGMA = float(np.log(1e150))


def catalog() -> tuple[Family, ...]:
    """One small family of every kind and chart: what symgeom's own property tests run over."""
    from symgeom.families import Bernoulli, Categorical, Gaussian, MultivariateGaussian

    return (
        Bernoulli("prob"),
        Bernoulli("logit"),
        Categorical(3, "probs"),
        Categorical(3, "logits"),
        *(Gaussian(p) for p in ("mean_std", "mean_var", "natural", "mean_logstd")),
        MultivariateGaussian(2),
        *(MultivariateGaussian(2, "diagonal", p) for p in ("mean_var", "mean_std", "mean_logstd")),
    )


def register_profiles() -> str:
    """Register the ``ci`` and ``deep`` profiles; load ``$HYPOTHESIS_PROFILE`` (default ``ci``)."""
    settings.register_profile(
        "ci",
        max_examples=25,
        derandomize=True,
        deadline=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    settings.register_profile(
        "deep",
        max_examples=500,
        deadline=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    name = os.environ.get("HYPOTHESIS_PROFILE", "ci")
    settings.load_profile(name)
    return name


def _finite(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def _sigma(wide: bool) -> st.SearchStrategy[float]:
    bound = _WIDE_LOG_SIGMA if wide else _LOG_SIGMA
    return _finite(-bound, bound).map(np.exp).map(float)


def _probability(wide: bool) -> st.SearchStrategy[float]:
    if not wide:
        return _finite(1e-3, 1 - 1e-3)
    tiny = _finite(-300.0, -1.0).map(lambda e: 10.0**e)
    return st.one_of(tiny, tiny.map(lambda t: 1.0 - max(t, 1e-16)), _finite(1e-3, 1 - 1e-3))


def _simplex(k: int, wide: bool) -> st.SearchStrategy[list[float]]:
    weight = _finite(-300.0, 0.0).map(lambda e: 10.0**e) if wide else _finite(1e-3, 1.0)

    def normalize(w: list[float]) -> list[float]:
        v = np.asarray(w, dtype=float)
        return [float(x) for x in v / v.sum()]

    return st.lists(weight, min_size=k, max_size=k).map(normalize)


def _gaussian(param: str, wide: bool) -> st.SearchStrategy[tuple[float, float]]:
    return st.tuples(_finite(-_MEAN, _MEAN), _sigma(wide)).map(
        lambda ms: _gaussian_chart(param, *ms)
    )


def _gaussian_chart(param: str, mu: float, sigma: float) -> tuple[float, float]:
    if param == "mean_std":
        return mu, sigma
    if param == "mean_var":
        return mu, sigma * sigma
    if param == "mean_logstd":
        return mu, float(np.log(sigma))
    return mu / sigma**2, -1 / (2 * sigma**2)


def _covariance(d: int) -> st.SearchStrategy[np.ndarray]:
    entries = st.lists(_finite(-1.0, 1.0), min_size=d * d, max_size=d * d)
    return entries.map(lambda a: _spd(np.asarray(a).reshape(d, d)))


def _spd(a: np.ndarray) -> np.ndarray:
    return a @ a.T + 0.5 * np.eye(a.shape[0])


def params(family: Family, *, wide: bool = False) -> st.SearchStrategy[tuple[float, ...]]:
    """One valid point θ of ``family``: a tuple of floats in ``family.parameters`` order."""
    sizes = dict(family.size)
    if family.name == "bernoulli":
        if family.param == "prob":
            return st.tuples(_probability(wide))
        return st.tuples(_finite(-_LOGIT, _LOGIT))
    if family.name == "categorical":
        k = sizes["k"]
        if family.param == "probs":
            return _simplex(k, wide).map(lambda p: tuple(p[:-1]))
        return st.lists(_finite(-_LOGIT, _LOGIT), min_size=k - 1, max_size=k - 1).map(tuple)
    if family.name == "gaussian":
        return _gaussian(family.param, wide)
    d = sizes["d"]
    means = st.lists(_finite(-_MEAN, _MEAN), min_size=d, max_size=d)
    if sizes["covariance"] == "full":
        return st.tuples(means, _covariance(d)).map(lambda mc: _flatten_full(mc[0], mc[1]))
    sigmas = st.lists(_sigma(wide), min_size=d, max_size=d)
    return st.tuples(means, sigmas).map(
        lambda ms: tuple(ms[0]) + tuple(_gaussian_chart(family.param, 0.0, s)[1] for s in ms[1])
    )


def _flatten_full(mu: list[float], cov: np.ndarray) -> tuple[float, ...]:
    d = len(mu)
    upper = [float(cov[i, j]) for i, j in combinations_with_replacement(range(d), 2)]
    return tuple(float(m) for m in mu) + tuple(upper)


def arrays(family: Family, theta: tuple[float, ...]) -> tuple[np.ndarray, ...]:
    """θ (``family.parameters`` order) grouped as a compiled function's arguments for one point."""
    sizes = dict(family.size)
    values = np.asarray(theta, dtype=float)
    if family.name == "categorical":
        if family.param == "probs":
            return (np.append(values, 1.0 - values.sum()),)
        return (np.append(values, 0.0),)
    if family.name == "multivariate_gaussian":
        d = sizes["d"]
        mu = values[:d]
        if sizes["covariance"] == "full":
            cov = np.empty((d, d))
            for value, (i, j) in zip(
                values[d:], combinations_with_replacement(range(d), 2), strict=True
            ):
                cov[i, j] = cov[j, i] = value
            return mu, cov
        return mu, values[d:]
    return tuple(np.float64(v) for v in values)


# --- pairs ----------------------------------------------------------------------------------------
def perturb(
    family: Family, theta: tuple[float, ...], delta: float, r: np.ndarray
) -> tuple[float, ...]:
    """θ moved by a relative amount ≤ δ in every coordinate (r ∈ [−1, 1]ⁿ), staying valid."""
    sizes = dict(family.size)
    t = np.asarray(theta, dtype=float)
    if family.name == "bernoulli" and family.param == "prob":
        p = t[0]
        return (float(p + delta * r[0] * min(p, 1 - p)),)
    if family.name == "categorical" and family.param == "probs":
        full = np.append(t, 1.0 - t.sum())
        moved = full * (1 + delta * r[: full.size])
        return tuple(float(x) for x in (moved / moved.sum())[:-1])
    if family.name == "multivariate_gaussian" and sizes["covariance"] == "full":
        d = sizes["d"]
        mu, cov = arrays(family, theta)
        b = np.eye(d) + delta * r[: d * d].reshape(d, d)
        mu2 = mu * (1 + delta * r[d * d : d * d + d])
        return _flatten_full(list(mu2), b @ cov @ b.T)
    return tuple(float(x) for x in t * (1 + delta * r[: t.size]))


def near_pairs(
    family: Family, delta: float | st.SearchStrategy[float], *, wide: bool = False
) -> st.SearchStrategy[tuple[tuple[float, ...], tuple[float, ...]]]:
    """(θ, θ′) with θ′ a valid relative perturbation of θ of size at most ``delta``."""
    deltas = delta if isinstance(delta, st.SearchStrategy) else st.just(float(delta))
    size = _perturbation_size(family)
    directions = st.lists(_finite(-1.0, 1.0), min_size=size, max_size=size).map(np.asarray)
    return st.tuples(params(family, wide=wide), deltas, directions).map(
        lambda x: (x[0], perturb(family, x[0], x[1], x[2]))
    )


def _perturbation_size(family: Family) -> int:
    sizes = dict(family.size)
    if family.name == "categorical":
        return sizes["k"]
    if family.name == "multivariate_gaussian" and sizes["covariance"] == "full":
        return sizes["d"] * sizes["d"] + sizes["d"]
    return len(family.parameters)


def param_pairs(
    family: Family, near: bool | float = False, *, wide: bool = False
) -> st.SearchStrategy[tuple[tuple[float, ...], tuple[float, ...]]]:
    """(θ₁, θ₂): independent for ``near=False``, within relative ``near`` for a float, and within a
    log-uniform δ ∈ [10⁻¹², 10⁻²] for ``near=True``."""
    if near is False:
        return st.tuples(params(family, wide=wide), params(family, wide=wide))
    if near is True:
        return near_pairs(family, _finite(-12.0, -2.0).map(lambda e: 10.0**e), wide=wide)
    return near_pairs(family, float(near), wide=wide)
