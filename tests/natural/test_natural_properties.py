"""Properties over the public Hypothesis strategies: FVP = F@v and CG = Cholesky at any valid θ."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from natural_catalog import CATALOG, IDS

import symgeom as sg
from symgeom.natural import fisher_at, fisher_vector_product, natural_gradient_at
from symgeom.testing import params, register_profiles

register_profiles()

unit_vectors = st.integers(0, 2**32 - 1).map(lambda seed: np.random.default_rng(seed))


@pytest.mark.parametrize("fam", CATALOG, ids=IDS)
def test_fvp_and_cg_at_any_valid_point(fam: sg.Family) -> None:
    @given(params(fam), unit_vectors)
    def check(theta: tuple[float, ...], rng: np.random.Generator) -> None:
        theta = np.array(theta)
        v = rng.normal(size=len(theta))
        f = fisher_at(fam, theta)
        formed = f @ v
        # Entries of F span many decades (σ from 1e-2 to 1e2): compare each entry of Fv against
        # the size of the terms that make it, Σⱼ|Fᵢⱼvⱼ|, to 1e-12.
        scale = np.abs(f) @ np.abs(v)
        assert np.all(np.abs(fisher_vector_product(fam, theta, v) - formed) <= 1e-12 * scale)
        cg = natural_gradient_at(fam, theta, v, method="cg")
        direct = natural_gradient_at(fam, theta, v, method="solve")
        # CG stops at ‖r‖ ≤ 1e-14‖b‖: its error is at most cond(F)·1e-14; Cholesky's is
        # cond(F)·ε. The bound below allows ten times their sum.
        cond = np.linalg.cond(f)
        assert np.linalg.norm(cg - direct) <= 10 * cond * 1.3e-14 * np.linalg.norm(direct)

    check()
