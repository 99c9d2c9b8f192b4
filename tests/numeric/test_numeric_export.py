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
    # Bit for bit: the same source, and every routine imported from where lambdify bound it
    # (log1p from scipy.special, not NumPy's, which differs by an ulp).
    np.testing.assert_array_equal(got, kl_function(binomial())(p, q))
    assert np.all(got >= 0)


def test_exported_exponential_kl_matches(tmp_path: pathlib.Path) -> None:
    module = _load(exponential(), tmp_path)
    rng = np.random.default_rng(1)
    a = 10.0 ** rng.uniform(-50, 50, 1000)
    b = a * (1 + 10.0 ** rng.uniform(-14, 0, 1000))
    np.testing.assert_array_equal(module.kl(a, b), kl_function(exponential())(a, b))


@pytest.mark.parametrize("family", [sg.Gamma(), sg.Beta(), sg.Poisson()], ids=str)
def test_exported_kl_is_bit_identical_on_the_benchmark_data(family: Family, tmp_path: pathlib.Path) -> None:
    """The data of benchmarks/kl_generic_speed.py (10⁴ rows): far pairs and pairs 10⁻⁶ apart."""
    module = _load(family, tmp_path)
    rng = np.random.default_rng(0)
    n = 10_000
    first = [np.exp(rng.normal(size=n)) for _ in family.symbols(1)]
    near = 1 + 1e-6 * rng.uniform(-1, 1, n)
    for second in ([np.exp(rng.normal(size=n)) for _ in first], [x * near for x in first]):
        np.testing.assert_array_equal(module.kl(*first, *second), kl_function(family)(*first, *second))


@pytest.mark.parametrize("family", [sg.Gaussian("mean_logstd"), sg.Bernoulli("prob")], ids=str)
def test_exported_catalog_form_matches_its_lambdified_stable_form(
    family: Family, tmp_path: pathlib.Path
) -> None:
    module = _load(family, tmp_path)
    rng = np.random.default_rng(2)
    args = [rng.uniform(0.01, 0.99, 100) for _ in family.symbols(1) + family.symbols(2)]
    # The same lambdified form and routines: bit for bit.  (The catalog charts' .numpy() uses the
    # hand-vectorized kernels of symgeom.numeric.kl instead, which agree to ~5e-14, not bitwise.)
    np.testing.assert_array_equal(module.kl(*args), stable_numpy(family)(*args))


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


@pytest.mark.parametrize("family", [sg.Geometric("logit"), sg.Binomial(4, "logit")], ids=str)
def test_exported_exact_difference_bregman_kl_is_bit_identical(
    family: Family, tmp_path: pathlib.Path
) -> None:
    """Logit charts print Δη as e^{θ₁}·expm1(θ₂ − θ₁)-style exact differences and ∇A, ∇²A in σ(±θ):
    the module carries the same sigmoid, so far and near (10⁻¹⁰) pairs agree bitwise."""
    module = _load(family, tmp_path)
    rng = np.random.default_rng(3)
    n = 10_000
    first = rng.uniform(-30, 30, n)
    for second in (rng.uniform(-30, 30, n), first * (1 + 1e-10 * rng.uniform(-1, 1, n))):
        got = module.kl(first, second)
        np.testing.assert_array_equal(got, kl_function(family)(first, second))
        assert np.all(np.isfinite(got)) and np.all(got >= 0)
