"""torch and JAX at accepted endpoints (symgeom.backends.endpoint_where): the KL and entropy of
every catalog chart with an included endpoint equal the 400-digit point-mass references of
tests/numeric/point_mass_references.py within 1e-12 relative (the float64 bar; each limit form is
a few logarithms of one input), eagerly and under jax.jit; gradients on an endpoint are the one-sided
derivatives (every pattern: test_backends_endpoint_derivatives.py), and interior entries keep the
gradients they have without an endpoint in the batch."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

torch = pytest.importorskip("torch")
jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

sys.path.insert(0, str(Path(__file__).parents[1] / "numeric"))
from point_mass_references import PMFS, close, entropy, kl, kl_cases  # noqa: E402

import symgeom as sg  # noqa: E402
from symgeom.errors import UnknownQuantityError  # noqa: E402
from symgeom.families.base import IntegerSupport, Parameter  # noqa: E402
from symgeom.families.custom import custom_family  # noqa: E402
from symgeom.numeric import endpoint_limits  # noqa: E402
from symgeom.numeric.inputs import inputs  # noqa: E402
from symgeom.verification.catalog import catalog_families  # noqa: E402

BAR = 1e-12
ENDPOINT_FAMILIES = [f for f in catalog_families() if endpoint_limits.applies(inputs(f))]
CONVERT = {
    "torch": lambda v: torch.as_tensor(np.asarray(v, dtype=np.float64)),
    "jax": lambda v: jnp.asarray(np.asarray(v, dtype=np.float64)),
}


def _bounds(family) -> tuple[float | None, float | None]:
    (inp,) = inputs(family)
    return (inp.lower if inp.lower_included else None, inp.upper if inp.upper_included else None)


def _check_kl(family, function, convert, label: str) -> None:
    pmf, outcomes = PMFS[label]
    cases = kl_cases(*_bounds(family))
    a, b = [c[0] for c in cases], [c[1] for c in cases]
    got = np.asarray(function(convert(a), convert(b)), dtype=np.float64)
    bad = [(x, y, g) for x, y, g in zip(a, b, got, strict=True) if not close(g, kl(pmf, outcomes, x, y), BAR)]
    assert not bad, bad[:5]


@pytest.mark.parametrize("backend", ["torch", "jax"])
@pytest.mark.parametrize("family", ENDPOINT_FAMILIES, ids=lambda f: f.label)
def test_kl_at_endpoints_is_the_point_mass_value(backend, family):
    function = getattr(sg.kl(family), backend)()
    _check_kl(family, function, CONVERT[backend], family.label)


@pytest.mark.parametrize("family", ENDPOINT_FAMILIES, ids=lambda f: f.label)
def test_kl_at_endpoints_under_jit(family):
    """Traced: lax.cond picks the branch with limits on the flag; inputs without an endpoint take
    the plain branch and equal the eager values."""
    jitted = jax.jit(sg.kl(family).jax())
    _check_kl(family, jitted, CONVERT["jax"], family.label)
    a, b = jnp.asarray([0.3, 0.6, 1e-8]), jnp.asarray([0.5, 0.2, 0.7])
    np.testing.assert_allclose(np.asarray(jitted(a, b)), np.asarray(sg.kl(family).jax()(a, b)), rtol=1e-15)


@pytest.mark.parametrize("backend", ["torch", "jax"])
@pytest.mark.parametrize("family", ENDPOINT_FAMILIES, ids=lambda f: f.label)
def test_entropy_at_endpoints(backend, family):
    try:
        function = getattr(sg.entropy(family), backend)()
    except UnknownQuantityError as error:  # an explicit expectation (negative binomial): no array form
        pytest.skip(str(error)[:80])
    pmf, outcomes = PMFS[family.label]
    for end in [v for v in _bounds(family) if v is not None]:
        assert float(function(CONVERT[backend](end))) == entropy(pmf, outcomes, end) == 0.0


def test_torch_gradients_at_endpoints_and_interior_ones_unchanged():
    """In the argument on an endpoint the one-sided derivative (∂/∂p of 4p log p… is −∞ at p = 0,
    +∞ at p = 1: test_backends_endpoint_derivatives.py has every pattern against references);
    the interior entries' gradients are those of a batch without endpoints."""
    function = sg.kl(sg.Binomial(4)).torch()
    rng = np.random.default_rng(1)
    a0, b0 = rng.uniform(0.05, 0.95, 12), rng.uniform(0.05, 0.95, 12)
    a0[::4], a0[1::4] = 0.0, 1.0

    def grads(a_values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a = torch.tensor(a_values, requires_grad=True)
        b = torch.tensor(b0, requires_grad=True)
        function(a, b).sum().backward()
        return a.grad.numpy(), b.grad.numpy()

    ga, gb = grads(a0)
    assert np.all(np.isfinite(gb))
    assert np.all(ga[a0 == 0] == -np.inf) and np.all(ga[a0 == 1] == np.inf)
    inside = (a0 != 0) & (a0 != 1)
    plain_a, plain_b = grads(np.where(inside, a0, 0.5))
    np.testing.assert_allclose(ga[inside], plain_a[inside], rtol=1e-14)
    np.testing.assert_allclose(gb[inside], plain_b[inside], rtol=1e-14)
    # on p₁ = 0: ∂/∂q of −4 log(1 − q) = 4/(1 − q); on p₁ = 1: ∂/∂q of −4 log q = −4/q
    np.testing.assert_allclose(gb[a0 == 0], 4 / (1 - b0[a0 == 0]), rtol=1e-14)
    np.testing.assert_allclose(gb[a0 == 1], -4 / b0[a0 == 1], rtol=1e-14)


def test_jax_gradients_at_endpoints():
    function = sg.kl(sg.Geometric()).jax()
    a = jnp.asarray([1.0, 0.4, 1.0, 0.7])
    b = jnp.asarray([0.3, 0.5, 1.0, 0.2])
    ga, gb = jax.grad(lambda x, y: function(x, y).sum(), argnums=(0, 1))(a, b)
    assert bool(jnp.all(jnp.isfinite(gb)))
    assert float(gb[0]) == pytest.approx(-1 / 0.3, rel=1e-14)  # ∂/∂q of −log q
    # ∂/∂p at p = 1: +∞ beside q = 0.3 (KL = −log q + O((1 − p) log(1 − p))), −∞ at q = 1 (the KL
    # jumps from ∞ to 0 there); ∂/∂q at p = q = 1: −1 (−log q)
    assert float(ga[0]) == np.inf and float(ga[2]) == -np.inf and float(gb[2]) == pytest.approx(-1, rel=1e-15)
    assert bool(jnp.all(jnp.isfinite(ga[1::2])))


@pytest.mark.parametrize("backend", ["torch", "jax"])
def test_categorical_zero_classes_in_the_first_argument(backend):
    convert = CONVERT[backend]
    kl3 = getattr(sg.kl(sg.Categorical(3)), backend)()
    got = float(kl3(convert([0.5, 0.5, 0.0]), convert([0.2, 0.3, 0.5])))
    assert got == pytest.approx(0.5 * np.log(0.5 / 0.2) + 0.5 * np.log(0.5 / 0.3), rel=1e-14)
    got = float(kl3(convert([0.0, 0.0, 1.0]), convert([0.2, 0.3, 0.5])))
    assert got == pytest.approx(-np.log(0.5), rel=1e-15)
    entropy3 = getattr(sg.entropy(sg.Categorical(3)), backend)()
    assert float(entropy3(convert([0.5, 0.5, 0.0]))) == pytest.approx(np.log(2), rel=1e-15)


@pytest.mark.parametrize("backend", ["torch", "jax"])
def test_a_custom_family_declaring_an_endpoint(backend):
    x = sp.Symbol("x", integer=True, nonnegative=True)
    par = Parameter("q", "q", "success probability", lower=0.0, upper=1.0, upper_included=True)
    q = par.symbol()
    waiting = custom_family("waiting", x * sp.log(1 - q) + sp.log(q), x, IntegerSupport(), [par])
    function = getattr(sg.kl(waiting), backend)()
    _check_kl(waiting, function, CONVERT[backend], "geometric[prob]")  # the same pmf, user-declared
    assert float(getattr(sg.entropy(waiting), backend)()(CONVERT[backend](1.0))) == 0.0
