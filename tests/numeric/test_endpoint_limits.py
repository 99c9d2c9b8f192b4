"""Values at accepted endpoints (symgeom.numeric.endpoint_limits): the KL and entropy of every
catalog chart with an included endpoint, at every pattern of arguments on their endpoints, equal
the point-mass references of point_mass_references.py (50-digit mpmath from the written-out pmfs)
within 1e-12 relative, the issue's float64 bar (each limit form is a few logarithms of an input:
a few ulps); where SymPy finds no limit, the endpoint is refused by name."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from sympy.codegen.cfunctions import log1p

sys.path.insert(0, str(Path(__file__).parent))
from point_mass_references import PMFS, close, entropy, kl, kl_cases

import symgeom as sg
from symgeom.errors import InvalidParameterError
from symgeom.families.base import IntegerSupport, Parameter
from symgeom.families.custom import custom_family
from symgeom.numeric import endpoint_limits
from symgeom.numeric.inputs import inputs
from symgeom.verification.catalog import catalog_families

BAR = 1e-12


def _with_endpoints() -> list[sg.families.base.Family]:
    """Every catalog chart whose scalar arguments declare an included endpoint."""
    return [f for f in catalog_families() if endpoint_limits.applies(inputs(f))]


ENDPOINT_FAMILIES = _with_endpoints()


def _bounds(family) -> tuple[float | None, float | None]:
    (inp,) = inputs(family)
    return (inp.lower if inp.lower_included else None, inp.upper if inp.upper_included else None)


def test_every_catalog_chart_with_an_endpoint_has_a_reference():
    """A new family with an included endpoint is tested once its pmf is written out."""
    labels = {f.label for f in ENDPOINT_FAMILIES}
    assert labels == set(PMFS), labels ^ set(PMFS)


@pytest.mark.parametrize("family", ENDPOINT_FAMILIES, ids=lambda f: f.label)
def test_kl_at_endpoints_is_the_point_mass_value(family):
    pmf, outcomes = PMFS[family.label]
    cases = kl_cases(*_bounds(family))
    a = np.array([c[0] for c in cases])
    b = np.array([c[1] for c in cases])
    got = sg.kl(family).numpy()(a, b)  # one batch: every pattern at once
    bad = [(x, y, g, kl(pmf, outcomes, x, y)) for x, y, g in zip(a, b, got, strict=True)
           if not close(g, kl(pmf, outcomes, x, y), BAR)]
    assert not bad, bad[:5]
    for x, y, g in zip(a, b, got, strict=True):  # the scalar call is the batch's entry
        assert sg.kl(family).numpy()(x, y) == g


@pytest.mark.parametrize("family", ENDPOINT_FAMILIES, ids=lambda f: f.label)
def test_entropy_at_endpoints_is_zero_point_mass(family):
    pmf, outcomes = PMFS[family.label]
    function = sg.entropy(family).numpy()
    for end in [v for v in _bounds(family) if v is not None]:
        assert function(end) == entropy(pmf, outcomes, end) == 0.0


def test_interior_entries_are_untouched_by_endpoints_beside_them():
    """Entries inside the domain come back bit for bit as without an endpoint in the batch."""
    function = sg.kl(sg.Binomial(4)).numpy()
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0.01, 0.99, 64), rng.uniform(0.01, 0.99, 64)
    plain = function(a, b)
    a_end = a.copy()
    a_end[::3] = 0.0
    mixed = function(a_end, b)
    inside = a_end != 0
    np.testing.assert_array_equal(mixed[inside], plain[inside])
    np.testing.assert_allclose(mixed[~inside], -4 * np.log1p(-b[~inside]), rtol=1e-15)


def test_validate_false_takes_the_limits_too():
    function = sg.kl(sg.Geometric()).numpy(validate=False)
    got = function(np.array([1.0, 1.0, 1.5]), np.array([0.3, 1.0, 0.3]))
    assert got[0] == pytest.approx(-np.log(0.3), rel=1e-15)
    assert got[1] == 0.0
    assert np.isnan(got[2])  # outside the domain: nan, as before


def test_fisher_keeps_its_derived_infinity():
    assert sg.fisher(sg.Binomial(4)).numpy()(0.0).item() == np.inf
    assert sg.fisher(sg.Geometric()).numpy()(1.0).item() == np.inf


def test_categorical_zero_classes_in_the_first_argument():
    """A simplex argument has its own zero handling (kl_div terms with 0 log 0 = 0): classes with
    probability 0 in p drop out of KL(p‖q) and H(p)."""
    kl3 = sg.kl(sg.Categorical(3)).numpy()
    assert kl3([0.5, 0.5, 0.0], [0.2, 0.3, 0.5]) == pytest.approx(
        0.5 * np.log(0.5 / 0.2) + 0.5 * np.log(0.5 / 0.3), rel=1e-15)
    assert kl3([0.0, 0.0, 1.0], [0.2, 0.3, 0.5]) == pytest.approx(-np.log(0.5), rel=1e-15)
    assert kl3([0.2, 0.3, 0.5], [0.5, 0.5, 0.0]) == np.inf
    assert sg.entropy(sg.Categorical(3)).numpy()([0.5, 0.5, 0.0]) == pytest.approx(np.log(2), rel=1e-15)


@pytest.fixture(scope="module")
def waiting():
    """A user's family: failures before the first success, q ∈ (0, 1] declared as data."""
    x = sp.Symbol("x", integer=True, nonnegative=True)
    par = Parameter("q", "q", "success probability", lower=0.0, upper=1.0, upper_included=True)
    q = par.symbol()
    return custom_family("waiting", x * sp.log(1 - q) + sp.log(q), x, IntegerSupport(), [par])


def test_a_custom_family_declaring_an_endpoint(waiting):
    pmf, outcomes = PMFS["geometric[prob]"]  # the same pmf, declared by the user
    cases = kl_cases(None, 1.0)
    got = sg.kl(waiting).numpy()(np.array([c[0] for c in cases]), np.array([c[1] for c in cases]))
    for (a, b), g in zip(cases, got, strict=True):
        assert close(g, kl(pmf, outcomes, a, b), BAR), (a, b, g)
    assert sg.entropy(waiting).numpy()(1.0) == 0.0


def test_no_limit_found_keeps_the_refusal_by_name(monkeypatch):
    """Where SymPy finds no limit the endpoint is refused naming it, never guessed."""
    monkeypatch.setattr(endpoint_limits, "_function", lambda *args: None)
    with pytest.raises(InvalidParameterError, match=r"at index \(1,\): p_1 = 0 \(an endpoint of the domain"):
        sg.kl(sg.Binomial(4)).numpy()(np.array([0.3, 0.0]), 0.3)


def test_limits_are_taken_from_inside_and_first_point_first():
    """The derived limits themselves: Bin(4): −4 log1p(−q) at p₁ = 0, −4 log q at p₁ = 1; both
    points on 0 give 0 (the first point's limit first: KL(δ₀‖δ₀) = 0, not lim_{p₂→0} KL = ∞)."""
    family = sg.Binomial(4)
    (p2,) = [s for s in sg.kl(family).arguments if s.name == "p_2"]
    assert endpoint_limits.limit_entries(family, "kl", (-1, 0)) == (-4 * log1p(-p2),)
    assert endpoint_limits.limit_entries(family, "kl", (1, 0)) == (-4 * sp.log(p2),)
    assert endpoint_limits.limit_entries(family, "kl", (-1, -1)) == (0,)
    assert endpoint_limits.limit_entries(family, "kl", (-1, 1)) == (sp.oo,)
