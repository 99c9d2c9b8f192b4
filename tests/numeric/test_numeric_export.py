"""The exported standalone module runs as pasted (NumPy/SciPy only) and matches the compiled KL."""

from __future__ import annotations

import ast
import importlib.util
import pathlib

import numpy as np
import pytest
from test_numeric_generic import binomial, exponential

import symgeom as sg
from symgeom.families.base import Family
from symgeom.numeric import kl_function
from symgeom.numeric.export import kl_module
from symgeom.numeric.symbolic import stable_numpy


def _load(family: Family, tmp_path: pathlib.Path) -> object:
    path = tmp_path / "exported_kl.py"
    path.write_text(kl_module(family))
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported <= {"__future__", "math", "collections", "numpy", "scipy"}
    spec = importlib.util.spec_from_file_location("exported_kl", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_exported_generic_kl_matches_numpy(tmp_path: pathlib.Path) -> None:
    module = _load(binomial(), tmp_path)
    rng = np.random.default_rng(0)
    p = rng.uniform(1e-6, 1 - 1e-6, 10_000)
    q = np.where(rng.random(p.size) < 0.5, p * (1 + 1e-9 * rng.uniform(-1, 1, p.size)), rng.random(p.size))
    got = module.kl(p, q)
    # Not always bit-equal: NumPy's SIMD log can differ by 1 ulp with the alignment of a
    # temporary, and the direct form A₂ − A₁ − g amplifies that at most 1/SWITCH = 100×.
    np.testing.assert_allclose(got, kl_function(binomial())(p, q), rtol=100 * 2.3e-16, atol=0)
    assert np.all(got >= 0)


def test_exported_exponential_kl_matches(tmp_path: pathlib.Path) -> None:
    module = _load(exponential(), tmp_path)
    rng = np.random.default_rng(1)
    a = 10.0 ** rng.uniform(-50, 50, 1000)
    b = a * (1 + 10.0 ** rng.uniform(-14, 0, 1000))
    np.testing.assert_allclose(module.kl(a, b), kl_function(exponential())(a, b), rtol=100 * 2.3e-16, atol=0)


@pytest.mark.parametrize("family", [sg.Gaussian("mean_logstd"), sg.Bernoulli("prob")], ids=str)
def test_exported_catalog_form_matches_its_lambdified_stable_form(
    family: Family, tmp_path: pathlib.Path
) -> None:
    module = _load(family, tmp_path)
    rng = np.random.default_rng(2)
    args = [rng.uniform(0.01, 0.99, 100) for _ in family.symbols(1) + family.symbols(2)]
    # Same code and ufuncs; NumPy's SIMD exp/log differ by an ulp with alignment, which the
    # kl_div cancellation can grow by a few dozen ulps at most.
    np.testing.assert_allclose(module.kl(*args), stable_numpy(family)(*args), rtol=1e-14, atol=0)


def test_export_is_deterministic() -> None:
    assert kl_module(binomial()) == kl_module(binomial())


def test_cli_kl_python_format_emits_the_stable_module(capsys: pytest.CaptureFixture[str]) -> None:
    from symgeom.cli import main

    assert main(["kl", "bernoulli", "--format", "python"]) == 0
    namespace: dict = {}
    exec(compile(capsys.readouterr().out, "<symgeom>", "exec"), namespace)
    p = 0.3
    q = p * (1 + 1e-12)
    want = stable_numpy(sg.Bernoulli())(p, q)
    assert namespace["kl"](p, q) == want > 0
