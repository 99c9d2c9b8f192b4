"""torch and JAX print the same stable logit-chart entropy as ``.numpy()`` (softplus and
h(θ) = softplus(θ) − θσ(θ) primitives, σ(±θ) monomials): equal to it within 1e-12 relative over
logits ±700 in float64, where the form as derived is nan beyond θ ≈ 177 (e^{4θ} overflows)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

import symgeom as sg  # noqa: E402

LOGITS = np.array([-700.0, -300.0, -40.0, -12.0, -1.0, -0.3, 0.0, 0.3, 1.0, 2.5, 12.0, 40.0, 300.0, 700.0])


@pytest.mark.parametrize("family", [sg.Binomial(4, "logit"), sg.Geometric("logit")], ids=lambda f: f.label)
def test_backends_match_numpy_over_the_logit_range(family):
    derivation = sg.entropy(family)
    expected = np.asarray(derivation.numpy(validate=False)(LOGITS))
    assert np.all(np.isfinite(expected)) and np.all(expected > 0)
    for name, convert in (("torch", torch.tensor), ("jax", jnp.asarray)):
        got = np.asarray(getattr(derivation, name)(validate=False)(convert(LOGITS)))
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0, err_msg=name)


def test_logit_entropy_primitive_has_its_derivative():
    """h′(θ) = −θσ(θ)σ(−θ), through torch autograd of the printed entropy of a Binomial(4):
    d/dθ [4h(θ) − E[log C(4, x)]] against a central difference of the NumPy function."""
    derivation = sg.entropy(sg.Binomial(4, "logit"))
    theta = torch.tensor([-3.0, -0.5, 0.7, 2.0], dtype=torch.float64, requires_grad=True)
    derivation.torch(validate=False)(theta).sum().backward()
    f = derivation.numpy(validate=False)
    x, step = theta.detach().numpy(), 1e-6
    numeric = (f(x + step) - f(x - step)) / (2 * step)
    np.testing.assert_allclose(theta.grad.numpy(), numeric, rtol=1e-7)
