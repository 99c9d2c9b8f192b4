"""Every numeric refusal is a symgeom OutOfRangeError (also an ArithmeticError and an
InvalidParameterError) that names the family's parameters (their ``Parameter.name``, read from the
family's data: a custom family's own names), their values at the refused entry, and the limit.

Before: ``sg.entropy(sg.Poisson()).numpy()(2.0**53)`` raised a bare ArithmeticError "Poisson-type
entropy: needs a finite rate 0 < c < 2⁵²" (no parameter, no value), the overflow refusal was
"overflowed float64 at index (…): the inputs are too extreme" (no parameter), and the torch/JAX
size refusals were UnknownQuantityError with the size's name written into the message."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
import sympy as sp

import symgeom as sg
from symgeom.errors import InvalidParameterError, OutOfRangeError, SizeOutOfRangeError, UnknownQuantityError
from symgeom.families.base import ExponentialFamilyForm, Family, IntegerSupport, Parameter, Parameterization
from symgeom.numeric import count_entropy, explicit_sums


@cache
def counts() -> Family:
    """A user's Poisson, its rate named ``intensity``: no catalog name appears in any refusal."""
    x = sp.Symbol("x", integer=True, nonnegative=True)
    par = Parameter("intensity", r"\nu", "mean count", lower=0.0)
    nu = par.symbol()
    eta = sp.Symbol("eta", real=True)
    return Family(
        name="user_counts", title="User counts", size=(), variables=(x,), support=IntegerSupport(),
        log_density_reference=x * sp.log(nu) - nu - sp.log(sp.factorial(x)),
        exponential_form=ExponentialFamilyForm(
            statistics=(x,), natural_symbols=(eta,), natural=(sp.log(nu),), log_partition=sp.exp(eta),
            log_base_measure=-sp.log(sp.factorial(x)),
        ),
        parameterizations=(Parameterization("rate", "rate ν", (par,), (nu,)),),
        param="rate",
    )


def _refusal(function, *args) -> OutOfRangeError:
    with pytest.raises(OutOfRangeError) as caught:
        function(*args)
    error = caught.value
    assert isinstance(error, ArithmeticError) and isinstance(error, InvalidParameterError)
    return error


def _names(family: Family, points: int) -> list[str]:
    names = [p.name for p in family.parameters]
    return names if points == 1 else [f"{n}_{i}" for i in (1, 2) for n in names]


@pytest.mark.parametrize("family", [sg.Poisson(), counts()], ids=lambda f: f.name)
def test_poisson_type_rate_past_2_52_names_the_parameter_value_and_limit(family: Family) -> None:
    error = _refusal(sg.entropy(family).numpy(), 2.0**53)
    text = str(error)
    name = family.parameters[0].name
    assert f"{name} = 9.0072e+15" in text  # the parameter, its value
    assert "2⁵² = 4.5036e+15" in text and f"c = {name}" in text  # the limit, c in the parameter
    assert isinstance(error.__cause__, ArithmeticError)


def test_the_refused_entry_of_a_batch_is_named() -> None:
    lam = np.array([[1.0, 2.0], [3.0, 1e300]])
    text = str(_refusal(sg.entropy(sg.Poisson()).numpy(), lam))
    assert "index (1, 1), lam = 1e+300" in text
    text = str(_refusal(sg.entropy(sg.Poisson("log_rate")).numpy(), np.array([1.0, 40.0])))
    assert "log_lam = 40" in text and "c = exp(log_lam)" in text and "got c = 2.35385e+17" in text


@pytest.mark.parametrize("family", [sg.Gamma(), sg.Beta()], ids=lambda f: f.label)
def test_overflow_refusal_names_every_parameter_and_float64s_range(family: Family) -> None:
    """KL((1e-300, …) ‖ (1e300, …)) overflows: refused, naming each of the 2k inputs and its value.
    (The Exponential KL there, 10⁶⁰⁰, is now +inf, its correct rounding, not a nan: its log(λ₁/λ₂)
    comes from log_quotient; tests/numeric/test_ratio_kl_range.py.)"""
    n = len(family.parameters)
    values = [1e-300] * n + [1e300] * n
    text = str(_refusal(sg.kl(family).numpy(), *values))
    for name, value in zip(_names(family, 2), values, strict=True):
        assert f"{name} = {value:.6g}" in text
    assert "float64's range (|x| ≤ 1.798e+308" in text


def test_error_bound_refusals_name_the_parameter(monkeypatch: pytest.MonkeyPatch) -> None:
    """The count entropy's and the explicit expectations' bound refusals (forced by a tolerance no
    evaluation meets) name the parameter and its value, and keep the bound and the limit."""
    monkeypatch.setattr(count_entropy, "GUARD_RTOL", 1e-30)
    monkeypatch.setattr(explicit_sums, "GUARD_RTOL", 1e-30)
    for family, value in ((sg.NegativeBinomial(3), 0.25), (sg.Binomial(100), 0.25), (sg.Poisson(), 50.0)):
        text = str(_refusal(sg.entropy(family).numpy(), np.array([value])))
        assert f"{family.parameters[0].name} = {value:g}" in text
        assert "1e-30" in text


@pytest.mark.parametrize(("family", "size", "limit"), [(sg.NegativeBinomial(1025), "r = 1025", "r ≤ 1024"),
                                                       (sg.Binomial(4097), "n = 4097", "n ≤ 4096")],
                         ids=["nb", "binomial"])
def test_backend_size_refusals_name_the_size_from_the_family(family: Family, size: str, limit: str) -> None:
    pytest.importorskip("torch")
    for backend in ("torch", "jax"):
        with pytest.raises(SizeOutOfRangeError) as caught:
            getattr(sg.entropy(family), backend)()
        error = caught.value
        assert isinstance(error, UnknownQuantityError) and isinstance(error, OutOfRangeError)
        assert dict(family.size)[size[0]] == int(size.split(" = ")[1])  # the name is the family's size key
        assert size in str(error) and limit in str(error)


def _extremes(inp) -> list[float]:
    """Values at the far ends of a scalar input's domain (and a Poisson-type rate past 2⁵²)."""
    lo, hi = inp.lower, inp.upper
    if lo is not None and hi is not None:
        return [lo + 1e-300, hi * (1 - 1e-16)]
    if lo is not None:
        return [lo + 1e-300, 2.0**53, 1e300]
    if hi is not None:
        return [hi - 1e300, hi - 1e-300]
    return [-1e300, -700.0, 700.0, 1e300]


@pytest.mark.slow
def test_catalog_refusals_are_named() -> None:
    """Every scalar-chart catalog family's KL, entropy and Fisher on the grid of its domain's far
    ends: whatever is refused is a SymgeomError, and an OutOfRangeError names every input (29
    refusals on this grid today; bare ArithmeticError before, for the Poisson entropies)."""
    import itertools

    from symgeom.errors import SymgeomError
    from symgeom.verification.catalog import catalog_families

    refused, wrong = 0, []
    for family in catalog_families():
        for quantity in ("kl", "entropy", "fisher"):
            try:
                function = getattr(sg, quantity)(family).numpy()
            except SymgeomError:
                continue
            spec = function.signature.inputs
            if any(inp.kind != "scalar" for inp in spec):
                continue
            grid = [np.array(c) for c in zip(*itertools.product(*[_extremes(i) for i in spec]), strict=True)]
            try:
                function(*grid)
            except OutOfRangeError as error:
                refused += 1
                missing = [inp.name for inp in spec if f"{inp.name} = " not in str(error)]
                if missing:
                    wrong.append((family.label, quantity, f"does not name {missing}: {error}"))
            except SymgeomError:
                pass
            except Exception as error:  # the point: nothing else may escape
                wrong.append((family.label, quantity, f"{type(error).__name__}: {error}"))
    assert not wrong, wrong
    assert refused > 10  # the grid does reach the refusals
