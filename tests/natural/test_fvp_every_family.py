"""The Fisher-vector product and the numeric natural gradient for every catalog family and chart.

Before: ``natural.fisher_vector_product(sg.Laplace(), …)`` raised ``AttributeError: 'NoneType'
object has no attribute 'natural_symbols'`` (``kl_structure`` read the exponential-family form of a
family that has none).  Laplace is checked against its textbook Fisher at 40 digits; every catalog
chart against its compiled ``sg.fisher`` matrix (formed, then multiplied), and the CG natural
gradient against the Cholesky solve on the formed matrix."""

from __future__ import annotations

import random

import mpmath as mp
import numpy as np
import pytest

import symgeom as sg
from symgeom import natural
from symgeom.natural.point import dimension
from symgeom.numeric.structure import kl_structure
from symgeom.verification.sampling import draw_point


def _laplace(mu: float, scale: float, log_chart: bool) -> mp.matrix:
    """Laplace(μ, b): F = diag(1/b², 1/b²); in (μ, s = log b): diag(1/b², 1)."""
    b = mp.exp(mp.mpf(scale)) if log_chart else mp.mpf(scale)
    return mp.matrix([[1 / b**2, 0], [0, 1 if log_chart else 1 / b**2]])


@pytest.mark.parametrize(("param", "theta"), [("loc_scale", (0.3, 2.5)), ("loc_logscale", (-1.0, -0.7))])
def test_laplace_fvp_and_natural_gradient(param: str, theta: tuple[float, float]) -> None:
    family = sg.Laplace(param)
    assert kl_structure(family).kind == "general"
    v = np.array([0.4, -1.3])
    with mp.workdps(40):
        f = _laplace(*theta, log_chart=param == "loc_logscale")
        want_fvp = np.array([float(x) for x in f * mp.matrix(v.tolist())])
        want_ng = np.array([float(x) for x in mp.lu_solve(f, mp.matrix(v.tolist()))])
    got = natural.fisher_vector_product(family, np.array(theta), v)
    np.testing.assert_allclose(got, want_fvp, rtol=1e-14)
    np.testing.assert_allclose(natural.fvp_operator(family, np.array(theta))(v), want_fvp, rtol=1e-14)
    for method in ("cg", "solve"):
        got = natural.natural_gradient_at(family, np.array(theta), v, method=method)
        np.testing.assert_allclose(got, want_ng, rtol=1e-12)


def _families() -> list:
    from symgeom.verification.catalog import catalog_families

    return list(catalog_families())


@pytest.mark.slow
def test_every_catalog_chart_has_an_fvp_and_a_natural_gradient() -> None:
    """All 52 catalog charts (≈ 30 s, most of it compiling the Fisher matrices)."""
    rng = random.Random(12)
    vectors = np.random.default_rng(12)
    failures = []
    for family in _families():
        theta = np.array(draw_point(family, rng), dtype=float)
        v = vectors.standard_normal(dimension(family))
        try:
            fisher = natural.fisher_at(family, theta)
            fvp = natural.fisher_vector_product(family, theta, v)
            cg = natural.natural_gradient_at(family, theta, v)
            solved = natural.natural_gradient_at(family, theta, v, method="solve")
        except Exception as error:  # any failure is the finding
            failures.append(f"{family.label}: {type(error).__name__}: {error}")
            continue
        want = fisher @ v
        if not np.max(np.abs(fvp - want)) <= 1e-13 * np.max(np.abs(want)):
            failures.append(f"{family.label}: F v off by {np.max(np.abs(fvp - want)):.3g}")
        if not np.max(np.abs(cg - solved)) <= 1e-10 * np.max(np.abs(solved)):
            failures.append(f"{family.label}: CG natural gradient off by {np.max(np.abs(cg - solved)):.3g}")
    assert not failures, failures
