"""Exported modules at included endpoints (symgeom.numeric.export_endpoints): every catalog chart's
exported KL, entropy and Fisher module, run in a fresh interpreter where symgeom, SymPy and mpmath
cannot be imported, equals ``.numpy()`` bit for bit at points on its endpoints (p = 0, 1: the
one-sided limits of the derived closed form) and inside, in float64 and float32; a Categorical's
zero entries too (its KL module, which takes the k − 1 free coordinates and a lambdified form
where ``.numpy()`` runs the vector kernel, within 4 ulps: the two kernels' difference inside)."""

from __future__ import annotations

import itertools
import pathlib

import numpy as np
import pytest
from point_mass_references import INSIDE
from standalone_modules import run_modules

import symgeom as sg
from symgeom.families.base import Family
from symgeom.numeric import endpoint_limits
from symgeom.numeric.bundle import NotExportableError
from symgeom.numeric.export import entropy_module, fisher_module, kl_module
from symgeom.numeric.inputs import Input, inputs, invalid_mask, unpack
from symgeom.verification.catalog import catalog_families

MODULES = {"kl": kl_module, "entropy": entropy_module, "fisher": fisher_module}

_EVALUATE = '''
quantity = str(data["quantity"])
for dtype in ("float64", "float32"):
    args = [data[f"a{i}"].astype(dtype) for i in range(len(data.files) - 1)]
    results[f"{path.stem}_{dtype}"] = np.asarray(getattr(module, quantity)(*args))
'''


def _values(inp: Input) -> list[np.ndarray] | None:
    """Values of one input on its included endpoints and inside; None without endpoints."""
    if inp.kind == "scalar" and (inp.lower_included or inp.upper_included):
        ends = [v for v, ok in ((inp.lower, inp.lower_included), (inp.upper, inp.upper_included)) if ok]
        return [np.float64(v) for v in (*ends, *INSIDE)]
    if inp.check == "simplex":  # zero entries, anywhere, and a point mass
        k = int(inp.shape.strip("()").split(",")[-1])
        rows = [np.eye(k)[0], np.eye(k)[-1], np.full(k, 1 / k), np.r_[np.full(k - 1, 1 / (k - 1)), 0.0]]
        rows += [np.r_[0.0, np.full(k - 1, 1 / (k - 1))]] if k > 2 else []
        return rows
    return None


def _cases() -> list[tuple[Family, str]]:
    out = []
    for family in catalog_families():
        if all(_values(i) is not None for i in inputs(family)):
            out += [(family, quantity) for quantity in MODULES]
    return out


def _grid(family: Family, quantity: str) -> list[np.ndarray]:
    """Every combination of the inputs' values, as the grouped arrays ``.numpy()`` takes."""
    spec = inputs(family) * (2 if quantity == "kl" else 1)
    combos = list(itertools.product(*(_values(i) for i in spec)))
    return [np.array([c[j] for c in combos]) for j in range(len(spec))]


def _inside(family: Family, arrays: list[np.ndarray]) -> np.ndarray:
    """Rows whose every point lies in the domain."""
    per_point = len(inputs(family))
    keep = np.ones(len(arrays[0]), dtype=bool)
    for start in range(0, len(arrays), per_point):
        outside = invalid_mask(family, tuple(arrays[start:start + per_point]))
        keep &= True if outside is None else ~outside
    return keep


def _module_arguments(family: Family, quantity: str, arrays: list[np.ndarray]) -> list[np.ndarray]:
    """The KL module takes each point's scalar coordinates (family.symbols()); the others, the
    grouped arrays."""
    if quantity != "kl":
        return arrays
    half = len(arrays) // 2
    return unpack(family, tuple(arrays[:half])) + unpack(family, tuple(arrays[half:]))


def test_cases_cover_every_chart_with_an_included_endpoint() -> None:
    labels = {f.label for f, _ in _cases()}
    assert {f.label for f in catalog_families() if endpoint_limits.applies(inputs(f))} <= labels
    assert any(i.check == "simplex" for f, _ in _cases() for i in inputs(f))


def test_exported_modules_equal_numpy_at_endpoints_bit_for_bit(tmp_path: pathlib.Path) -> None:
    expected: dict[str, tuple[np.ndarray, bool]] = {}
    for n, (family, quantity) in enumerate(_cases()):
        try:
            text = MODULES[quantity](family)
        except NotExportableError as error:
            assert "count_entropy" in str(error)  # the saddle-point entropy only
            continue
        stem = f"m_{n:03d}"
        (tmp_path / f"{stem}.py").write_text(text)
        arrays = _grid(family, quantity)
        given = _module_arguments(family, quantity, arrays)
        np.savez(tmp_path / f"{stem}.npz", quantity=np.array(quantity),
                 **{f"a{i}": a for i, a in enumerate(given)})
        compiled = getattr(sg, quantity)(family).numpy(validate=False)
        vector_kl = quantity == "kl" and len(given) != len(arrays)
        for dtype in ("float64", "float32"):
            cast = [a.astype(dtype) for a in arrays]
            want = compiled(*cast)
            # rows float32 rounds out of the domain (1e-300 → 0 where p = 0 is excluded): .numpy()
            # masks them with nan, the module does not validate
            keep = _inside(family, cast)
            expected[f"{stem}_{dtype}"] = (want, vector_kl, keep)
    got = run_modules(tmp_path, _EVALUATE)
    assert sorted(got.files) == sorted(expected)
    for key, (want, vector_kl, keep) in expected.items():
        assert keep.mean() > 0.6, key
        want, result = want[keep], got[key][keep]
        if vector_kl:  # another kernel: a few ulps (the interior's difference), same inf and nan
            eps = np.finfo(want.dtype).eps
            np.testing.assert_allclose(result, want, rtol=4 * eps, atol=0, err_msg=key)
            continue
        assert result.dtype == want.dtype, key
        np.testing.assert_array_equal(result, want, err_msg=key, strict=True)


@pytest.mark.parametrize("family", [sg.Binomial(4), sg.Geometric()], ids=str)
def test_exported_kl_takes_the_limit_where_the_form_is_nan(family: Family) -> None:
    """The values themselves: KL(Bin(4, 0)‖Bin(4, q)) = −4 log1p(−q), KL(Geo(1)‖Geo(q)) = −log q;
    the module's stable form alone is nan there."""
    namespace: dict = {}
    exec(compile(kl_module(family), "<exported>", "exec"), namespace)
    q = np.array([0.3, 1e-300, 0.5])
    binomial = family.label.startswith("binomial")
    p = np.zeros(3) if binomial else np.ones(3)
    got, want = namespace["kl"](p, q), (-4 * np.log1p(-q) if binomial else -np.log(q))
    assert np.all(np.isnan(namespace["_kl_form"](p, q)))
    np.testing.assert_array_equal(got, want)
