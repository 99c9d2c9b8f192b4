"""Full-covariance Gaussians exported in matrix form (symgeom.numeric.export._matrix_kl_module and
the matrix-notation plans of symgeom.numeric.matrix_forms): the KL, entropy and Fisher modules for
any d are the Cholesky/double-double kernels ``.numpy()`` runs, carried as source; run in a fresh
interpreter where symgeom, SymPy and mpmath cannot be imported, they equal ``.numpy()`` bit for bit
on covariances of condition number up to 10¹² scaled by 10^{±100} (tests/numeric/export_points.py),
in float64 and float32.  No symbolic det or inverse is formed, so d = 8 exports in seconds."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import numpy as np
import pytest
from export_points import points
from standalone_modules import run_modules

import symgeom as sg
from symgeom.numeric.export import entropy_module, fisher_module, kl_module

MODULES = {"kl": kl_module, "entropy": entropy_module, "fisher": fisher_module}
ROWS = 300

_EVALUATE = '''
quantity = str(data["quantity"])
for dtype in ("float64", "float32"):
    args = [data[f"a{i}"] for i in range(len(data.files) - 1)]
    if dtype == "float32":
        top = [np.abs(np.diagonal(a, axis1=-2, axis2=-1)).max(-1) if a.ndim == 3 else 1.0
               for a in args]
        args = [a if a.ndim < 3 else a / t[..., None, None] for a, t in zip(args, top)]
    args = [a.astype(dtype) for a in args]
    results[f"{path.stem}_{dtype}"] = np.asarray(getattr(module, quantity)(*args))
'''


def test_full_covariance_modules_equal_numpy_bit_for_bit(tmp_path: pathlib.Path) -> None:
    expected = {}
    for n, (d, quantity) in enumerate((d, q) for d in (2, 4, 6, 9) for q in MODULES):
        family = sg.MultivariateGaussian(d, "full")
        stem = f"m_{n:02d}"
        (tmp_path / f"{stem}.py").write_text(MODULES[quantity](family))
        rng = np.random.default_rng(n)
        args = points(family, ROWS, rng)
        if quantity == "kl":  # far pairs, and near ones (μ₂ = μ₁, Σ₂ within 10⁻⁶ of Σ₁: the near form)
            second = list(points(family, ROWS, rng))
            near = rng.random(ROWS) < 0.5
            second[0] = np.where(near[:, None], args[0], second[0])
            second[1] = np.where(near[:, None, None], args[1] * (1 + 1e-6 * rng.uniform(-1, 1, (ROWS, 1, 1))),
                                 second[1])
            args = (*args, *second)
        np.savez(tmp_path / f"{stem}.npz", quantity=np.array(quantity),
                 **{f"a{i}": a for i, a in enumerate(args)})
        compiled = getattr(sg, quantity)(family).numpy(validate=False)
        for dtype in ("float64", "float32"):
            # float32: each Σ divided by its largest diagonal entry first (10^{±100} is out of range)
            cast = [(a if dtype == "float64" or a.ndim < 3 else a / _top(a)).astype(dtype) for a in args]
            expected[f"{stem}_{dtype}"] = compiled(*cast)
    got = run_modules(tmp_path, _EVALUATE)
    assert sorted(got.files) == sorted(expected)
    for key, want in expected.items():
        # mostly valid data: a real comparison
        # (float32 holds the condition numbers up to 10¹² less often: Σ rounds to indefinite, nan)
        assert np.isfinite(want).mean() > (0.5 if key.endswith("64") else 0.2), key
        assert got[key].dtype == want.dtype and got[key].shape == want.shape, key
        np.testing.assert_array_equal(got[key], want, err_msg=key, strict=True)


def _top(a: np.ndarray) -> np.ndarray:
    return np.abs(np.diagonal(a, axis1=-2, axis2=-1)).max(-1)[..., None, None]


@pytest.mark.parametrize("quantity", list(MODULES))
def test_cli_exports_d8_in_matrix_form(quantity: str) -> None:
    """``symgeom kl multivariate_gaussian --d 8 --format python`` used to hang in a symbolic
    det/inv (and entropy/Fisher at d ≥ 4 were refused); the timeout guards against a hang, it
    measures nothing."""
    run = subprocess.run([sys.executable, "-m", "symgeom", quantity, "multivariate_gaussian", "--d", "8",
                          "--format", "python"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    namespace: dict = {}
    exec(compile(run.stdout, "<exported>", "exec"), namespace)
    rng = np.random.default_rng(8)
    a = rng.normal(size=(8, 8))
    sigma, mu = a @ a.T + np.eye(8), rng.normal(size=8)
    args = (mu, sigma, np.zeros(8), np.eye(8)) if quantity == "kl" else (mu, sigma)
    want = getattr(sg, quantity)(sg.MultivariateGaussian(8, "full")).numpy()(*args)
    np.testing.assert_array_equal(namespace[quantity](*args), want, strict=True)
