"""Family constructors, sg.family, derivations, verify and check_identity under hostile arguments:
a result, or a SymgeomError that says what is wrong — never a raw exception."""

from __future__ import annotations

import pytest
import sympy as sp
from fuzz_hostile import HOSTILE, obeys_the_rule
from hypothesis import given, settings
from hypothesis import strategies as st

import symgeom as sg
from symgeom.derivation import Derivation
from symgeom.families.base import Family

NAMES = st.one_of(
    st.sampled_from(["bernoulli", "categorical", "gaussian", "multivariate_gaussian", "normal",
                     "mvn", "Gaussian", "poisson", "", "gauss ian"]),
    st.text(max_size=12),
)
CHARTS = st.one_of(
    st.sampled_from([None, "prob", "logit", "probs", "logits", "mean_std", "mean_var", "natural",
                     "mean_logstd", "mean_cov", "nope"]),
    HOSTILE,
)
#: Sizes that are cheap to build when valid, or invalid (negative, huge, not integers).
SIZES = st.one_of(st.none(), st.integers(-3, 3), st.integers(10**6, 10**30), HOSTILE)
COVARIANCES = st.one_of(st.sampled_from([None, "full", "diagonal", "banded"]), HOSTILE)


def _is_family(value) -> bool:
    return isinstance(value, Family)


@settings(max_examples=60)
@given(name=NAMES, param=CHARTS, k=SIZES, d=SIZES, covariance=COVARIANCES)
def test_family_by_name(name, param, k, d, covariance):
    out = obeys_the_rule(lambda: sg.family(name, param, k=k, d=d, covariance=covariance))
    assert out is None or _is_family(out)


@settings(max_examples=40)
@given(which=st.sampled_from(["Bernoulli", "Categorical", "Gaussian", "MultivariateGaussian"]),
       size=SIZES, param=CHARTS, covariance=COVARIANCES)
def test_constructors(which, size, param, covariance):
    constructor = getattr(sg, which)
    if which in ("Bernoulli", "Gaussian"):
        out = obeys_the_rule(lambda: constructor(param))
    elif which == "Categorical":
        out = obeys_the_rule(lambda: constructor(size, param if param is not None else "probs"))
    else:
        out = obeys_the_rule(lambda: constructor(size, covariance or "full", param))
    assert out is None or _is_family(out)


SMALL = [sg.Bernoulli(), sg.Gaussian("natural"), sg.Categorical(2, "logits")]


@settings(max_examples=30)
@given(quantity=st.sampled_from(["kl", "fisher", "entropy", "expansion"]),
       family=st.one_of(st.sampled_from(SMALL), HOSTILE),
       route=st.one_of(st.none(), st.sampled_from(["definition", "bregman", "pullback", "nope"]),
                       st.sampled_from(SMALL), HOSTILE))
def test_derivations(quantity, family, route):
    function = getattr(sg, quantity)
    call = (lambda: function(family)) if quantity == "expansion" or route is None else (
        lambda: function(family, route))
    out = obeys_the_rule(call)
    assert out is None or isinstance(out, Derivation)


@settings(max_examples=20)
@given(value=HOSTILE)
def test_verify_refuses_what_is_not_a_family(value):
    with pytest.raises(sg.SymgeomError):
        sg.verify(value)


x = sp.Symbol("x", positive=True)
SIDES = st.one_of(
    st.sampled_from([x, x + 1, sp.log(x), sp.Matrix([x, 1]), sp.Integer(0), sp.nan, sp.zoo]),
    HOSTILE,
)


@settings(max_examples=40)
@given(lhs=SIDES, rhs=SIDES)
def test_check_identity(lhs, rhs):
    out = obeys_the_rule(lambda: sg.check_identity(lhs, rhs, time_limit=1.0, points=3))
    if out is not None:
        assert out.status in ("proved", "checked numerically", "failed")
        if out.proved:
            assert sp.simplify(sp.sympify(lhs) - sp.sympify(rhs)) == 0 or lhs == rhs
