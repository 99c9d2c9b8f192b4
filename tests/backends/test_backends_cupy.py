"""Derivation.array_api() on CuPy arrays (a CUDA device): values equal the NumPy kernels, the result
stays on the device, invalid input raises naming the argument."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("array_api_compat")
cp = pytest.importorskip("cupy")

from backend_cases import CATALOG, IDS, STABLE, grouped, near  # noqa: E402

import symgeom as sg  # noqa: E402
from symgeom.errors import SymgeomError  # noqa: E402


def _has_device() -> bool:
    try:
        return cp.cuda.runtime.getDeviceCount() > 0
    except Exception:  # no driver: CuPy imports, but has no device
        return False


pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not _has_device(), reason="needs a CUDA device")]


@pytest.mark.parametrize("family", CATALOG, ids=IDS)
def test_cupy_equals_numpy_kernels(family):
    host = [np.asarray(a) for t in near(family, 1e-3) for a in grouped(family, t)]
    out = sg.kl(family).array_api()(*[cp.asarray(a) for a in host])
    assert isinstance(out, cp.ndarray)
    tol = 1e-11 if family in STABLE else 1e-9
    np.testing.assert_allclose(cp.asnumpy(out), sg.kl(family).numpy()(*host), rtol=tol)


def test_cupy_invalid_input_raises():
    one = cp.asarray([1.0, 1.0])
    with pytest.raises(SymgeomError, match="sigma_2"):
        sg.kl(sg.Gaussian()).array_api()(one, one, one, cp.asarray([1.0, -1.0]))
