"""Exported entropy and Fisher modules: standalone (NumPy/SciPy only, checked in a fresh interpreter
where symgeom, SymPy and mpmath cannot be imported) and bit-identical to ``.numpy()`` for every
catalog family and chart (and user-declared families, and products past the catalog's sizes), or
refused with the reason."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import numpy as np
import pytest
from export_points import points
from standalone_modules import run_modules
from test_numeric_generic import binomial, exponential

import symgeom as sg
from symgeom.families.base import Family
from symgeom.numeric.bundle import NotExportableError
from symgeom.numeric.count_entropy import count_mass
from symgeom.numeric.export import entropy_module, fisher_module
from symgeom.numeric.inputs import invalid_mask
from symgeom.verification.catalog import catalog_families

MODULES = {"entropy": entropy_module, "fisher": fisher_module}
ROWS = 500

#: Each module, run as pasted (tests/numeric/standalone_modules.py), evaluated on its saved inputs in
#: float64 and float32.
_EVALUATE = '''
args = [data[f"a{i}"] for i in range(len(data.files))]
quantity = "entropy" if hasattr(module, "entropy") else "fisher"
function = getattr(module, quantity)
results[path.stem] = function(*args)
with np.errstate(over="ignore"):
    single = [a.astype(np.float32) for a in args]
results[path.stem + "_f32"] = function(*single)
'''


def _extra() -> list[Family]:
    """Beyond the catalog: families declared as users do (test_numeric_generic), and diagonal
    Gaussians past d = 4, whose entropy and Fisher are products of their factor's."""
    return [binomial(), exponential(), sg.MultivariateGaussian(6, "diagonal"),
            sg.MultivariateGaussian(5, "diagonal", "natural")]


def _cases() -> list[tuple[Family, str]]:
    return [(family, quantity) for family in (*catalog_families(), *_extra()) for quantity in MODULES]


def _exportable(family: Family, quantity: str) -> bool:
    """What the export promises: everything but the count-family saddle-point entropy (read from the
    family's mass ratio by :func:`count_mass`, not from its name)."""
    return not (quantity == "entropy" and count_mass(family) is not None)


def test_every_catalog_entropy_and_fisher_runs_standalone_and_matches_numpy_bit_for_bit(
    tmp_path: pathlib.Path,
) -> None:
    expected: dict[str, np.ndarray] = {}
    keep: dict[str, object] = {}
    refused = []
    for n, (family, quantity) in enumerate(_cases()):
        try:
            text = MODULES[quantity](family)
        except NotExportableError as error:
            assert not _exportable(family, quantity), f"{quantity} of {family.label}: {error}"
            assert "count_entropy" in str(error) and "mpmath" in str(error)
            refused.append(family.label)
            continue
        assert _exportable(family, quantity)
        stem = f"m_{n:03d}"
        (tmp_path / f"{stem}.py").write_text(text)
        args = points(family, ROWS, np.random.default_rng(n))
        np.savez(tmp_path / f"{stem}.npz", **{f"a{i}": a for i, a in enumerate(args)})
        compiled = getattr(sg, quantity)(family).numpy(validate=False)
        expected[stem] = compiled(*args)
        with np.errstate(over="ignore"):
            single = [a.astype(np.float32) for a in args]
        # rows that float32 rounds onto a bound or out of range (η₁ = −1, σ = inf) are outside the
        # domain, where .numpy(validate=False) masks with nan and the module does not validate
        # (rows it rounds onto an included endpoint, p = 1.0f, take the derived limit in both:
        # symgeom.numeric.export_endpoints)
        outside = invalid_mask(family, tuple(single))
        keep[stem + "_f32"] = slice(None) if outside is None else ~outside
        expected[stem + "_f32"] = compiled(*single)
    assert len(refused) == sum(not _exportable(f, q) for f, q in _cases())
    got = run_modules(tmp_path, _EVALUATE)
    assert sorted(got.files) == sorted(expected)
    for stem, want in expected.items():
        # Bit for bit, dtype and shape included: the same generated source and the same routines.
        assert got[stem].dtype == want.dtype and got[stem].shape == want.shape, stem
        rows = keep.get(stem, slice(None))
        np.testing.assert_array_equal(got[stem][rows], want[rows], err_msg=stem, strict=True)


@pytest.mark.parametrize("family", [sg.Poisson(), sg.Binomial(4, "logit"), sg.NegativeBinomial(3)], ids=str)
def test_count_family_entropy_is_refused_with_the_reason(family: Family) -> None:
    with pytest.raises(NotExportableError, match="mpmath"):
        entropy_module(family)


def _load(text: str) -> dict:
    namespace: dict = {}
    exec(compile(text, "<exported>", "exec"), namespace)
    return namespace


def test_exported_logit_entropy_keeps_the_stable_forms_of_issue_12() -> None:
    """The reproducers of issue #12 item 3 through the exported modules (the plain lambdified formula
    gives −5.68e-14, nan and 0.0 there)."""
    bernoulli = _load(entropy_module(sg.Bernoulli("logit")))["entropy"]
    theta = 499.16774174385387
    assert bernoulli(theta) > 0
    assert np.all(bernoulli(np.linspace(-700, 700, 100_001)) >= 0)
    categorical = _load(entropy_module(sg.Categorical(3, "logits")))["entropy"]
    assert categorical(np.array([0.0, 0.0, -710.0])) == pytest.approx(np.log(2), rel=4e-16)
    fisher = _load(fisher_module(sg.Bernoulli("logit")))["fisher"]
    # σ(θ)σ(−θ) at θ = 400: e^{−400} to a few ulps (log computed independently: −400 − 2·log1p(e^{−400}))
    assert fisher(400.0)[0, 0] == pytest.approx(np.exp(-400.0), rel=1e-14)


def test_exported_full_gaussian_entropy_is_the_canonical_form() -> None:
    entropy = _load(entropy_module(sg.MultivariateGaussian(3, "full")))["entropy"]
    sigma = np.array([[2, 0.3, 0.1], [0.3, 1, 0.2], [0.1, 0.2, 0.5]])
    # ½ log det(2πeΣ) by a Cholesky factor: a route the derived form does not take
    canonical = np.sum(np.log(np.diag(np.linalg.cholesky(2 * np.pi * np.e * sigma))))
    assert entropy(np.full(3, 1e8), sigma) == pytest.approx(canonical, rel=1e-14)
    assert np.isfinite(entropy(np.zeros(3), 1e-110 * np.eye(3)))


def test_export_is_deterministic() -> None:
    family = sg.Categorical(3)
    assert fisher_module(family) == fisher_module(family)


@pytest.mark.slow
def test_export_is_deterministic_across_processes() -> None:
    """Two interpreters write the same text (no Dummy counters, set orders or ids leak in)."""
    code = ("import symgeom as sg; from symgeom.numeric.export import entropy_module, fisher_module; "
            "print(fisher_module(sg.MultivariateGaussian(2, 'full')), "
            "entropy_module(sg.Bernoulli('logit')))")
    texts = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            timeout=300).stdout for _ in range(2)}
    assert len(texts) == 1


def test_cli_entropy_and_fisher_python_format(capsys: pytest.CaptureFixture[str]) -> None:
    from symgeom.cli import main

    assert main(["fisher", "gaussian", "--param", "natural", "--format", "python"]) == 0
    fisher = _load(capsys.readouterr().out)["fisher"]
    eta = (-2.3873543900134e-70, -1.169523679790314e-140)
    want = sg.fisher(sg.Gaussian("natural")).numpy()(*eta)
    np.testing.assert_array_equal(fisher(*eta), want, strict=True)
    assert np.all(np.isfinite(want))
    assert main(["entropy", "poisson", "--format", "python"]) == 2
    assert "mpmath" in capsys.readouterr().err
