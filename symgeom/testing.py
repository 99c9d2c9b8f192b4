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

Everything is read from the chart's data (parameter bounds, array layout, joint constraints), so
a custom family gets strategies too:

* a simplex (probability vector): class weights in [10⁻³, 1] before normalizing;
  ``wide=True``: weights down to 10⁻³⁰⁰
* a coordinate in an interval [lo, hi] (p): lo + (hi − lo)·u with u in [10⁻³, 1 − 10⁻³];
  ``wide=True``: u down to 10⁻³⁰⁰ and up to 1 − 10⁻¹⁶
* a pinned vector (logits): [−10, 10]
* a coordinate bounded on one side (σ, σ², η₂): log-uniform distance in [10⁻², 10²] from its
  bound; ``wide=True``: [10⁻¹⁵⁰, 10¹⁵⁰]
* an unbounded coordinate (μ, log σ, η₁): [−log 100, log 100]
* a positive definite matrix (Σ): A·Aᵀ + ½I with entries of A in [−1, 1], so its condition number
  is below ≈ 2d + 1
* a chart's other joint constraints: points violating them are filtered out

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

from symgeom.families.base import ArrayArgument, Family, Parameter
from symgeom.numeric.inputs import group, joint_constraints, matrix_order

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
        *(MultivariateGaussian(2, "diagonal", p) for p in ("mean_var", "mean_std", "mean_logstd", "natural")),
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


def _covariance(d: int) -> st.SearchStrategy[np.ndarray]:
    entries = st.lists(_finite(-1.0, 1.0), min_size=d * d, max_size=d * d)
    return entries.map(lambda a: _spd(np.asarray(a).reshape(d, d)))


def _spd(a: np.ndarray) -> np.ndarray:
    return a @ a.T + 0.5 * np.eye(a.shape[0])


def _scalar(par: Parameter, wide: bool) -> st.SearchStrategy[float]:
    """One coordinate within its bounds: an interval [lo, hi] (as a probability on [0, 1]); a
    half-line at log-uniform distance (like σ) from its bound; else [−log 100, log 100] (a
    log-scale like log σ stays within σ ∈ [10⁻², 10²])."""
    lower, upper = par.lower, par.upper
    if lower is not None and upper is not None:
        return _probability(wide).map(lambda u: float(lower + (upper - lower) * u))
    if lower is not None:
        return _sigma(wide).map(lambda s: float(lower + s))
    if upper is not None:
        return _sigma(wide).map(lambda s: float(upper - s))
    return _finite(-_LOG_SIGMA, _LOG_SIGMA)


def _argument(family: Family, arg: ArrayArgument, pars: tuple[Parameter, ...], wide: bool
              ) -> st.SearchStrategy[tuple[float, ...]]:
    if arg.form == "simplex":
        return _simplex(arg.count + 1, wide).map(lambda p: tuple(p[:-1]))
    if arg.form == "pinned":
        return st.lists(_finite(-_LOGIT, _LOGIT), min_size=arg.count, max_size=arg.count).map(tuple)
    if arg.form == "positive_definite":
        d = matrix_order(arg.count)
        return _covariance(d).map(lambda c: tuple(float(c[i, j]) for i, j in _upper(d)))
    return st.tuples(*(_scalar(par, wide) for par in pars))


def _upper(d: int) -> list[tuple[int, int]]:
    return list(combinations_with_replacement(range(d), 2))


def params(family: Family, *, wide: bool = False) -> st.SearchStrategy[tuple[float, ...]]:
    """One valid point θ of ``family``: a tuple of floats in ``family.parameters`` order.

    Drawn from the chart's data: each array argument by its form, each scalar within its
    parameter's bounds, and points violating a joint constraint of the chart filtered out.
    """
    parts = []
    start = 0
    for arg in family.chart.array_arguments:
        parts.append(_argument(family, arg, family.parameters[start : start + arg.count], wide))
        start += arg.count
    points = st.tuples(*parts).map(lambda groups: tuple(x for g in groups for x in g))
    constraints = joint_constraints(family)
    if constraints:
        points = points.filter(lambda t: all(bool(ok(*t)) for ok, _ in constraints))
    return points


def arrays(family: Family, theta: tuple[float, ...]) -> tuple[np.ndarray, ...]:
    """θ (``family.parameters`` order) grouped as a compiled function's arguments for one point."""
    return group(family, np.asarray(theta, dtype=float))


# --- pairs ----------------------------------------------------------------------------------------
def perturb(
    family: Family, theta: tuple[float, ...], delta: float, r: np.ndarray
) -> tuple[float, ...]:
    """θ moved by a relative amount ≤ δ in every coordinate (r ∈ [−1, 1]ⁿ), staying valid."""
    t = np.asarray(theta, dtype=float)
    out: list[float] = []
    start = used = 0
    for arg in family.chart.array_arguments:
        values = t[start : start + arg.count]
        pars = family.parameters[start : start + arg.count]
        start += arg.count
        if arg.form == "simplex":
            full = np.append(values, 1.0 - values.sum())
            moved = full * (1 + delta * r[used : used + full.size])
            used += full.size
            out += [float(x) for x in (moved / moved.sum())[:-1]]
        elif arg.form == "positive_definite":
            d = matrix_order(arg.count)
            cov = np.empty((d, d))
            for value, (i, j) in zip(values, _upper(d), strict=True):
                cov[i, j] = cov[j, i] = value
            b = np.eye(d) + delta * r[used : used + d * d].reshape(d, d)
            used += d * d
            moved = b @ cov @ b.T
            out += [float(moved[i, j]) for i, j in _upper(d)]
        else:
            for value, par, x in zip(values, pars, r[used : used + arg.count], strict=True):
                out.append(_perturb_scalar(par, float(value), delta, float(x)))
            used += arg.count
    return tuple(out)


def _perturb_scalar(par: Parameter, value: float, delta: float, r: float) -> float:
    """Relative move, or within an interval a move relative to the distance to the nearer end."""
    if par.lower is not None and par.upper is not None:
        return float(value + delta * r * min(value - par.lower, par.upper - value))
    return float(value * (1 + delta * r))


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
    size = 0
    for arg in family.chart.array_arguments:
        if arg.form == "simplex":
            size += arg.count + 1
        elif arg.form == "positive_definite":
            size += matrix_order(arg.count) ** 2
        else:
            size += arg.count
    return size


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
