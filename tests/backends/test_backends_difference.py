"""The exact differences of symgeom.backends.difference are proved equal to η(θ₂) − η(θ₁).

Proof used (exact, symbolic): D = exact_difference − (η(θ₂) − η(θ₁)) vanishes at θ₂ = θ₁ and
every ∂D/∂θ₂ₖ simplifies to 0, so D ≡ 0 on the (connected) domain; differentiating removes the
branch constants of logarithms that defeat a direct simplification of log((p₁−1)/(p₂−1)).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import sympy as sp
from sympy.codegen.cfunctions import expm1, log1p

sys.path.insert(0, str(Path(__file__).parent))
from bregman_cases import FAMILIES

from symgeom.backends.difference import exact_difference
from symgeom.backends.forms import _simpler
from symgeom.numeric import log_quotient

EXPONENTIAL = [f for f in FAMILIES if f.exponential_form is not None]


def _plain(expr: sp.Expr) -> sp.Expr:
    expr = log_quotient.plain(expr)
    return expr.replace(expm1, lambda x: sp.exp(x) - 1).replace(log1p, lambda x: sp.log(1 + x))


def _vanishes(expr: sp.Expr) -> bool:
    return sp.simplify(sp.expand_log(expr, force=True)) == 0


def _proved(family, difference=exact_difference) -> bool:
    one, two = family.symbols(1), family.symbols(2)
    for eta in family.natural_at(1):
        eta = _simpler(eta)
        gap = _plain(difference(eta, one, two)) - (eta.xreplace(dict(zip(one, two, strict=True))) - eta)
        if not _vanishes(gap.xreplace(dict(zip(two, one, strict=True)))):
            return False
        if not all(_vanishes(sp.diff(gap, x)) for x in two):
            return False
    return True


@pytest.mark.parametrize("family", EXPONENTIAL, ids=[f.label for f in EXPONENTIAL])
def test_exact_difference_is_proved_equal(family):
    assert _proved(family)


def test_a_first_order_difference_is_caught():
    """∂η/∂θ·Δθ, coordinate by coordinate (exact only to first order: Δλ/λ₁ for Δ log λ), must
    not pass."""
    rate = next(f for f in EXPONENTIAL if f.label == "poisson[rate]")

    def wrong(expr, old, new):
        total = sp.S.Zero
        for x1, x2 in zip(old, new, strict=True):
            total += sp.diff(expr, x1) * (x2 - x1)  # first order only
            expr = expr.xreplace({x1: x2})
        return total

    assert not _proved(rate, wrong)
