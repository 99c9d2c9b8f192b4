"""Derivation.numpy(): every KL, Fisher matrix and entropy of the catalog compiles, broadcasts,
validates its input (or returns nan when told not to) and never re-enters SymPy when called."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import symgeom as sg
from symgeom.errors import InvalidParameterError
from symgeom.families.base import Family
from symgeom.numeric import compile as compile_module
from symgeom.numeric import kl_function, signature
from symgeom.testing import arrays

sys.path.insert(0, str(Path(__file__).parents[1] / "backends"))
from backend_cases import CATALOG, IDS, POINT  # one valid point per catalog chart


def _point(family: Family) -> tuple[np.ndarray, ...]:
    return arrays(family, POINT[family.name, family.param])


def _batched(family: Family, n: int) -> tuple[np.ndarray, ...]:
    """n copies of the point stacked on a leading axis."""
    return tuple(np.stack([a] * n) for a in _point(family))


@pytest.mark.parametrize("family", CATALOG, ids=IDS)
@pytest.mark.parametrize("quantity", ["kl", "fisher", "entropy"])
def test_every_quantity_compiles_and_broadcasts(family: Family, quantity: str) -> None:
    derivation = getattr(sg, quantity)(family)
    f = derivation.numpy()
    points = 2 if quantity == "kl" else 1
    single = f(*(_point(family) * points))
    batch = f(*(_batched(family, 4) * points))
    assert np.all(np.isfinite(single))
    assert batch.shape == (4, *np.shape(single))
    np.testing.assert_allclose(batch, np.broadcast_to(single, batch.shape), rtol=1e-15)
    if quantity == "fisher":
        n = len(family.parameters)
        assert np.shape(single) == (n, n)
    assert str(signature(derivation)) == str(f.signature)


@pytest.mark.parametrize("family", CATALOG, ids=IDS)
def test_compiled_values_equal_the_symbolic_result(family: Family) -> None:
    """Fisher and entropy evaluated by SymPy at the point (exact rationals, 30 digits)."""
    import sympy as sp

    theta = POINT[family.name, family.param]
    subs = {s: sp.Rational(float(v)) for s, v in zip(family.symbols(), theta, strict=True)}
    for quantity in ("fisher", "entropy"):
        d = getattr(sg, quantity)(family)
        expected = np.array(sp.N(d.result.xreplace(subs), 30), dtype=float)
        np.testing.assert_allclose(d.numpy()(*_point(family)), expected, rtol=1e-13)
    theta2 = tuple(v * 1.1 if i % 2 else v * 0.9 for i, v in enumerate(theta))
    subs2 = {s: sp.Rational(float(v)) for s, v in zip(family.symbols(2), theta2, strict=True)}
    subs1 = {s: sp.Rational(float(v)) for s, v in zip(family.symbols(1), theta, strict=True)}
    d = sg.kl(family)
    expected = float(sp.N(d.result.xreplace({**subs1, **subs2}), 30))
    got = d.numpy()(*_point(family), *arrays(family, theta2))
    assert float(got) == pytest.approx(expected, rel=1e-13)


def test_kl_function_is_the_derivations_function() -> None:
    family = sg.Gaussian()
    a = sg.kl(family).numpy()
    b = kl_function(family)
    args = (0.1, 1.0, 0.3, 1.5)
    assert a(*args) == b(*args)
    assert str(a.signature) == str(b.signature)


def test_calls_do_not_touch_sympy(monkeypatch: pytest.MonkeyPatch) -> None:
    """After the first build, numpy() and calls reuse the cached NumPy code: lambdify is not called."""
    import sympy

    family = sg.Gaussian("mean_var")
    fisher = sg.fisher(family)
    fisher.numpy()(0.0, 1.0)

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("lambdify called again")

    monkeypatch.setattr(sympy, "lambdify", forbidden)
    again = fisher.numpy()
    assert again(np.zeros(3), np.ones(3)).shape == (3, 2, 2)
    assert compile_module._build(fisher) is compile_module._build(fisher)


BAD_INPUTS = [
    (sg.Bernoulli(), (1.5, 0.5), "p_1 must lie in [0, 1]"),
    (sg.Bernoulli(), (0.5, np.nan), "p_2 must be finite"),
    (sg.Gaussian(), (0.0, -1.0, 0.0, 1.0), "sigma_1 must be > 0"),
    (sg.Gaussian("mean_var"), (0.0, 1.0, 0.0, 0.0), "sigma2_2 must be > 0"),
    (sg.Gaussian("natural"), (0.0, 0.5, 0.0, -1.0), "eta2_1 must be < 0"),
    (sg.Categorical(3), ([0.2, 0.3, 0.4], [0.2, 0.3, 0.5]), "p_1 must sum to 1"),
    (sg.Categorical(3), ([-0.1, 0.6, 0.5], [0.2, 0.3, 0.5]), "p_1 must lie in [0, 1]"),
    (sg.Categorical(3), ([0.2, 0.8], [0.2, 0.3, 0.5]), "p_1 must have shape (..., 3)"),
    (sg.Categorical(3, "logits"), ([0.0, 1.0, np.inf], [0.0, 0.0, 0.0]), "z_1 must be finite"),
    (
        sg.MultivariateGaussian(2),
        ([0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]], [0.0, 0.0], np.eye(2)),
        "Sigma_1 must be positive definite",
    ),
    (
        sg.MultivariateGaussian(2),
        ([0.0, 0.0], [[1.0, 0.5], [0.0, 1.0]], [0.0, 0.0], np.eye(2)),
        "Sigma_1 must be symmetric",
    ),
    (
        sg.MultivariateGaussian(2, "diagonal", "mean_std"),
        ([0.0, 0.0], [1.0, 1.0], [0.0, 0.0, 0.0], [1.0, 1.0]),
        "mu_2 must have shape (..., 2)",
    ),
    (sg.Gaussian(), (np.zeros(3), 1.0, np.zeros(4), 1.0), "batch shapes do not broadcast"),
]


@pytest.mark.parametrize(("family", "args", "message"), BAD_INPUTS, ids=[m for *_, m in BAD_INPUTS])
def test_bad_input_is_a_clear_error(family: Family, args: tuple, message: str) -> None:
    with pytest.raises(InvalidParameterError, match=_escaped(message)):
        kl_function(family)(*args)


def _escaped(text: str) -> str:
    import re

    return re.escape(text)


NAN_INPUTS = [
    (sg.Bernoulli(), (1.5, 0.5)),
    (sg.Gaussian(), (0.0, -1.0, 0.0, 1.0)),
    (sg.Gaussian("mean_var"), (0.0, -1.0, 0.0, 1.0)),
    (sg.Gaussian("natural"), (0.0, 0.5, 0.0, -1.0)),
    (sg.Categorical(3), ([-0.1, 0.6, 0.5], [0.2, 0.3, 0.5])),
    (sg.MultivariateGaussian(2), ([0.0, 0.0], np.eye(2), [0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]])),
    (sg.MultivariateGaussian(2), ([0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]], [0.0, 0.0], np.eye(2))),
]


@pytest.mark.parametrize(("family", "args"), NAN_INPUTS, ids=[str(a) for _, a in NAN_INPUTS])
def test_without_validation_bad_input_gives_nan(family: Family, args: tuple) -> None:
    assert np.isnan(kl_function(family, validate=False)(*args))


def test_float32_in_float32_out() -> None:
    for family in CATALOG:
        f = sg.kl(family).numpy()
        point = tuple(np.asarray(a, dtype=np.float32) for a in _point(family))
        assert f(*point, *point).dtype == np.float32, family.label


def test_categorical_any_k_up_to_ten_thousand() -> None:
    rng = np.random.default_rng(0)
    f = kl_function(sg.Categorical(2, "logits"), any_size=True)
    z = rng.normal(size=(3, 10_000))
    out = f(z, z + 1e-3 * rng.normal(size=z.shape))
    assert out.shape == (3,) and np.all(out > 0)
    with pytest.raises(InvalidParameterError, match="shape mismatch"):
        f(z, z[:, :100])


def test_without_validation_only_the_bad_entries_are_nan() -> None:
    kl = kl_function(sg.Gaussian(), validate=False)
    out = kl(np.zeros(3), np.array([1.0, -1.0, 2.0]), 0.0, np.array([1.0, 1.0, -2.0]))
    assert out[0] == 0 and np.isnan(out[1]) and np.isnan(out[2])
    fisher = sg.fisher(sg.Categorical(3)).numpy(validate=False)
    values = fisher(np.array([[0.2, 0.3, 0.5], [0.2, -0.3, 1.1]]))
    assert np.all(np.isfinite(values[0])) and np.all(np.isnan(values[1]))
    entropy = sg.entropy(sg.Gaussian("natural")).numpy(validate=False)
    assert np.isnan(entropy(0.0, 1.0)) and np.isfinite(entropy(0.0, -1.0))
