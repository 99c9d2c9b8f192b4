"""Shared cases of the backend tests: one point per catalog chart, near pairs, mpmath gradients."""

from __future__ import annotations

from functools import cache

import mpmath as mp
import numpy as np
import sympy as sp

import symgeom as sg
from symgeom.families.base import Family
from symgeom.numeric.inputs import inputs
from symgeom.testing import arrays, catalog, perturb

CATALOG = catalog()
IDS = [f.label for f in CATALOG]
POINT = {  # one valid point per (family, chart) of the catalog, in family.parameters order
    ("bernoulli", "prob"): (0.3,),
    ("bernoulli", "logit"): (-0.7,),
    ("categorical", "probs"): (0.2, 0.5),
    ("categorical", "logits"): (0.3, -1.2),
    ("gaussian", "mean_std"): (0.5, 2.0),
    ("gaussian", "mean_var"): (0.5, 4.0),
    ("gaussian", "natural"): (0.125, -0.125),
    ("gaussian", "mean_logstd"): (0.5, np.log(2.0)),
    ("multivariate_gaussian", "mean_cov"): (0.1, -0.2, 2.0, 0.3, 1.0),
    ("multivariate_gaussian", "mean_var"): (0.1, -0.2, 2.0, 0.5),
    ("multivariate_gaussian", "mean_std"): (0.1, -0.2, 1.5, 0.5),
    ("multivariate_gaussian", "mean_logstd"): (0.1, -0.2, 0.4, -0.5),
    ("multivariate_gaussian", "natural"): (0.05, -0.4, -0.25, -1.0),
}
#: Charts whose KL the gradient checks below cover: the full-covariance Gaussian (Cholesky form)
#: takes a matrix argument these per-scalar mpmath gradients do not unpack; its values are checked
#: against mpmath in test_backends_gaussian_full.py.
STABLE = [f for f in CATALOG if not (f.name == "multivariate_gaussian" and f.param == "mean_cov")]
STABLE_IDS = [f.label for f in STABLE]


def point(family: Family) -> tuple[float, ...]:
    return POINT[family.name, family.param]


def near(family: Family, delta: float, seed: int = 0) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """(θ, θ′) with θ′ a relative perturbation of θ of size δ in a fixed random direction."""
    r = np.random.default_rng(seed).uniform(-1, 1, size=32)
    theta = point(family)
    moved = perturb(family, theta, delta, r)
    if family.name == "categorical" and family.param == "probs":
        # Free probabilities on a 2⁻⁴⁰ grid: p_k = 1 − Σ is then exact, so the grouped vector and
        # the symbolic chart (p_k = 1 − Σ free) describe the same point to the last bit.
        theta, moved = (tuple(round(x * 2**40) / 2**40 for x in t) for t in (theta, moved))
    return theta, moved


def grouped(family: Family, theta: tuple[float, ...]) -> tuple[np.ndarray, ...]:
    return tuple(np.asarray(a, dtype=np.float64) for a in arrays(family, theta))


def free_gradient(family: Family, gradients: list[np.ndarray]) -> np.ndarray:
    """∂/∂(chart coordinates) from the gradients w.r.t. one point's grouped arrays.

    Probability vectors: p_k = 1 − Σ free, so ∂/∂pᵢ(free) = gᵢ − g_k; logit vectors with z_k = 0:
    ∂/∂zᵢ(free) = gᵢ; every other chart: the arrays' entries in order.
    """
    spec = inputs(family)
    if len(spec) == 1 and spec[0].kind == "vector":
        g = gradients[0]
        return g[:-1] - g[-1] if spec[0].check == "simplex" else g[:-1]
    return np.concatenate([np.ravel(g) for g in gradients])


@cache
def _kl_gradient_exprs(family: Family) -> tuple[tuple[sp.Symbol, ...], tuple[sp.Expr, ...]]:
    d = sg.kl(family)
    return tuple(d.arguments), tuple(sp.diff(d.result, a) for a in d.arguments)


def mp_kl_gradient(family: Family, theta1: tuple[float, ...], theta2: tuple[float, ...]) -> np.ndarray:
    """∇ of the derived (textbook) KL w.r.t. θ₁ then θ₂, evaluated with 50 digits."""
    args, exprs = _kl_gradient_exprs(family)
    values = {a: sp.Float(mp.mpf(float(v)), 60) for a, v in zip(args, (*theta1, *theta2), strict=True)}
    return np.array([float(e.evalf(50, subs=values)) for e in exprs])
