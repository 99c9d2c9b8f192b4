"""Points on the boundary of a domain: which endpoints a family accepts (its parameters' data),
−0.0 read as 0, the Fisher matrix's value where an outcome's probability is 0, and the derived
limit where a stable form is not defined at an accepted endpoint."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import symgeom as sg
from symgeom.errors import InvalidParameterError
from symgeom.families.base import Family as FamilyClass
from symgeom.families.base import FiniteSupport, Parameter, Parameterization
from symgeom.natural.natural_gradient import natural_gradient_at

torch = pytest.importorskip("torch")
jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")

CONVERT = {
    "numpy": lambda v: np.asarray(v, dtype=np.float64),
    "torch": lambda v: torch.tensor(v, dtype=torch.float64),
    "jax": lambda v: jnp.asarray(v, dtype=jnp.float64),
}
# (family, an interior point, the same point with a zero entry written +0.0)
ZERO_CASES = [
    (sg.Bernoulli(), 0.5, 0.0),
    (sg.Binomial(4), 0.3, 0.0),
    (sg.Categorical(3), [0.2, 0.3, 0.5], [0.5, 0.5, 0.0]),
]


def _negative(point: object) -> object:
    return -0.0 if np.ndim(point) == 0 else [(-0.0 if v == 0 else v) for v in point]


def _call(function, backend: str, *points: object) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.asarray(function(*[CONVERT[backend](p) for p in points]), dtype=float)


def _outcome(function, backend: str, *points: object) -> np.ndarray | str:
    """The value, or the refusal's message (an accepted endpoint where the form is undefined)."""
    try:
        return _call(function, backend, *points)
    except InvalidParameterError as error:
        return str(error)


@pytest.mark.parametrize("backend", ["numpy", "torch", "jax"])
@pytest.mark.parametrize(("family", "inside", "zero"), ZERO_CASES, ids=lambda c: getattr(c, "label", ""))
def test_negative_zero_is_read_as_zero(backend, family, inside, zero):
    """−0.0 passes 0 ≤ p but flips 1/p: KL(p‖−0) was an 'overflowed' error on NumPy and nan on JAX,
    the Binomial Fisher at −0 was −∞.  Every quantity now equals its value at +0.0."""
    if backend == "jax":
        jax.config.update("jax_enable_x64", True)
    negative = _negative(zero)
    kl = getattr(sg.kl(family), backend)()
    fisher = getattr(sg.fisher(family), backend)()
    for got, want in [
        (_outcome(kl, backend, inside, negative), _outcome(kl, backend, inside, zero)),
        (_outcome(kl, backend, negative, inside), _outcome(kl, backend, zero, inside)),
        (_outcome(fisher, backend, negative), _outcome(fisher, backend, zero)),
    ]:
        if isinstance(want, str):
            assert got == want
            continue
        np.testing.assert_array_equal(got, want)
        assert not np.any(np.signbit(got) & (got == 0))


@pytest.mark.parametrize("backend", ["numpy", "torch", "jax"])
def test_fisher_on_the_boundary_is_the_derived_limit(backend):
    """F = 1/(p(1−p)) is ∞ at p = 0 and 1 (dropping the zero-probability outcome gave 1, and the
    Binomial(1) = Bernoulli printed ∞); Categorical F = diag(1/pᵢ) + 11ᵀ/p_k with 1/0 = ∞; an
    outcome probability that only underflows (Binomial(4) at p = 1e-300) keeps the finite 4/p."""
    if backend == "jax":
        jax.config.update("jax_enable_x64", True)
    bernoulli = getattr(sg.fisher(sg.Bernoulli()), backend)()
    binomial1 = getattr(sg.fisher(sg.Binomial(1)), backend)()
    for p in (0.0, 1.0):
        assert _call(bernoulli, backend, p).item() == np.inf
        assert _call(binomial1, backend, p).item() == np.inf
    assert _call(bernoulli, backend, 0.25).item() == pytest.approx(1 / (0.25 * 0.75), rel=1e-15)
    binomial4 = getattr(sg.fisher(sg.Binomial(4)), backend)()
    assert _call(binomial4, backend, 1e-300).item() == pytest.approx(4e300, rel=1e-14)
    categorical = getattr(sg.fisher(sg.Categorical(3)), backend)()
    assert _call(categorical, backend, [0.0, 0.0, 1.0]).tolist() == [[np.inf, 1.0], [1.0, np.inf]]
    assert np.all(_call(categorical, backend, [0.5, 0.5, 0.0]) == np.inf)
    np.testing.assert_allclose(_call(categorical, backend, [0.5, 0.0, 0.5]), [[4.0, 2.0], [2.0, np.inf]])


def test_endpoints_are_the_family_data():
    """Bernoulli/Binomial p ∈ [0, 1]; Geometric and negative binomial p ∈ (0, 1] (p = 0 puts no
    mass anywhere); Beta's mean m ∈ (0, 1); a custom parameter's bounds are open unless it says so."""
    assert sg.entropy(sg.Bernoulli()).numpy()(0.0) == 0.0
    assert sg.kl(sg.Bernoulli()).numpy()(0.3, 1.0) == np.inf
    for family, value, domain in [(sg.Geometric(), 0.0, "(0, 1]"), (sg.NegativeBinomial(3), 0.0, "(0, 1]")]:
        with pytest.raises(InvalidParameterError, match=rf"p must lie in \{domain}".replace("]", r"\]")):
            sg.fisher(family).numpy()(value)
    beta = sg.Beta("mean_precision")
    with pytest.raises(InvalidParameterError, match=r"m must lie in \(0, 1\)"):
        sg.entropy(beta).numpy()(1.0, 2.0)
    with pytest.raises(InvalidParameterError, match=r"outside 0 < p < 1"):
        natural_gradient_at(sg.Bernoulli(), [0.0], [1.0])


def _coin(**included: bool) -> FamilyClass:
    x = sp.Symbol("x", integer=True, nonnegative=True)
    par = Parameter("q", "q", "P(x = 1)", lower=0.0, upper=1.0, **included)
    q = par.symbol()
    return FamilyClass(
        name="coin", title="Coin", size=(), variables=(x,),
        support=FiniteSupport(outcomes=((0,), (1,))),
        log_density_reference=x * sp.log(q) + (1 - x) * sp.log(1 - q),
        exponential_form=None,
        parameterizations=(Parameterization("prob", "q", (par,), (q,)),), param="prob",
    )


def test_custom_parameter_bounds_are_open_unless_included():
    with pytest.raises(InvalidParameterError, match=r"q must lie in \(0, 1\)"):
        sg.fisher(_coin()).numpy()(0.0)
    assert sg.fisher(_coin(lower_included=True, upper_included=True)).numpy()(0.0).item() == np.inf
    with pytest.raises(sg.errors.InvalidParameterizationError, match="needs a finite upper bound"):
        Parameter("r", "r", "a rate", lower=0.0, upper_included=True)


def test_an_accepted_endpoint_where_the_form_is_undefined_takes_its_limit():
    """KL(Binomial(4, 0)‖Binomial(4, 0.3)) = −4 log 0.7: the stable Bregman form's natural parameter
    is −∞ there, so the derived one-sided limit is evaluated (symgeom.numeric.endpoint_limits;
    tests/numeric/test_endpoint_limits.py has every pattern and the refusal where none is found)."""
    assert sg.kl(sg.Binomial(4)).numpy()(0.0, 0.3) == pytest.approx(-4 * np.log(0.7), rel=1e-15)
    np.testing.assert_allclose(sg.kl(sg.Binomial(4)).numpy()(np.array([0.3, 0.0]), 0.3),
                               [0.0, -4 * np.log(0.7)], rtol=1e-15)
