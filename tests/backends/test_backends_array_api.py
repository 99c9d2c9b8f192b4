"""Derivation.array_api(): the printed forms on NumPy and Dask arrays through array-api-compat."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("array_api_compat")

from backend_cases import CATALOG, IDS, STABLE, grouped, near

import symgeom as sg
from symgeom.backends import primitives
from symgeom.backends.ops import namespace_ops
from symgeom.errors import SymgeomError


@pytest.mark.parametrize("family", CATALOG, ids=IDS)
def test_numpy_namespace_equals_numpy_kernels(family):
    args = [np.asarray(a) for t in near(family, 1e-3) for a in grouped(family, t)]
    tol = 1e-11 if family in STABLE else 1e-9
    np.testing.assert_allclose(sg.kl(family).array_api()(*args), sg.kl(family).numpy()(*args), rtol=tol)


def test_dask_evaluates_chunk_by_chunk():
    da = pytest.importorskip("dask.array")
    rng = np.random.default_rng(0)
    n, k = 4_000, 16
    z1 = rng.normal(size=(n, k))
    z2 = z1 + 1e-6 * rng.normal(size=(n, k))
    lazy = sg.kl(sg.Categorical(k, "logits")).array_api()
    dz1, dz2 = da.from_array(z1, chunks=(500, k)), da.from_array(z2, chunks=(500, k))
    out = lazy(dz1, dz2)
    # Still lazy, one output chunk per input chunk: the graph is evaluated chunk by chunk.
    assert isinstance(out, da.Array) and out.numblocks == (8,)
    values = out.compute(scheduler="synchronous")
    from symgeom.numeric import kl_function

    ref = kl_function(sg.Categorical(2, "logits"), any_size=True)(z1, z2)
    np.testing.assert_allclose(values, ref, rtol=1e-12)


def test_dask_invalid_entries_become_nan():
    da = pytest.importorskip("dask.array")
    sigma = da.from_array(np.array([1.0, -1.0, 2.0]), chunks=1)
    one = da.ones(3, chunks=1)
    out = sg.kl(sg.Gaussian()).array_api()(one, one, one, sigma).compute(scheduler="synchronous")
    assert np.isnan(out[1]) and out[0] == 0 and np.isfinite(out[2])


def test_numpy_namespace_raises_on_invalid_input():
    with pytest.raises(SymgeomError, match="p_2"):
        sg.kl(sg.Bernoulli()).array_api()(np.array([0.5]), np.array([1.5]))


@pytest.mark.parametrize("y", [1e-9, -3e-4, 0.0999, 0.1001, -0.5, 1.0, 1.5, 30.0, -40.0])
def test_chi_primitive_matches_mpmath(y):
    import mpmath as mp

    ops = namespace_ops(__import__("array_api_compat").array_namespace(np.zeros(1)))
    with mp.workdps(50):
        x = mp.mpf(y)
        ref = float(x * mp.e**x - mp.e**x + 1)
    # The series branch truncates below 1e-19 relative; the direct branches cancel at most 20×,
    # so a few ulps times 20 (ε = 2.2e-16).
    assert abs(float(ops.chi(np.float64(y))) - ref) <= 25 * 2.2e-16 * abs(ref)


@pytest.mark.parametrize(("a", "b"), [(0.3, 0.3 + 1e-9), (0.3, 0.31), (0.3, 0.35), (1e-300, 0.5), (0.0, 0.5)])
def test_kl_div_primitive_matches_mpmath(a, b):
    import mpmath as mp

    xp = __import__("array_api_compat").array_namespace(np.zeros(1))
    a_, b_ = np.float64(a), np.float64(b)
    with np.errstate(all="ignore"):  # both branches of the where are evaluated
        value = primitives.kl_div_value(xp, a_, b_, a_ - b_, primitives.log_ratio(xp, a_, b_, a_ - b_))
    with mp.workdps(50):
        ma, mb = mp.mpf(a), mp.mpf(b)
        ref = float((ma * mp.log(ma / mb) if a else 0) - ma + mb)
    assert abs(float(value) - ref) <= 25 * 2.2e-16 * abs(ref)
