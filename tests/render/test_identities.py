"""General identities (Fisher, ½ΔᵀFΔ, JᵀFJ, TRPO step) derived by SymPy, with their checks."""

from __future__ import annotations

import pytest
import sympy as sp

from symgeom.render import identities


def test_four_general_identities_render():
    derived = identities.general_identities()
    assert [d.quantity for d in derived] == [
        "fisher_identity", "kl_expansion", "reparameterization", "trpo_step",
    ]
    for d in derived:
        assert d.latex().startswith("\\begin{align*}")
        assert d.family is None and d.text() and d.markdown()


def test_kl_expansion_result_is_half_quadratic_form():
    d = identities.kl_second_order()
    assert d.result == identities.T**2 / 2 * identities.QUADRATIC + sp.Order(identities.T**3)


def test_check_rejects_a_wrong_step():
    with pytest.raises(identities.IdentityCheckError):
        identities._zero(sp.Symbol("x") ** 2 + 1, "deliberately wrong")
