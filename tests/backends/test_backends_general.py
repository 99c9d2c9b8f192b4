"""torch / JAX functions of the general-d Gaussian results (symbolic d), for arrays of any d."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

import symgeom as sg
from symgeom.backends import general_forms
from symgeom.derive import general_gaussian as gg

torch = pytest.importorskip("torch")
jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)

D = sp.Symbol("d", integer=True, positive=True)
SIZES = (1, 2, 3, 7)
BACKENDS = ("torch", "jax")
#: float64 results of a few dozen operations on O(1) inputs: agreement to 1e-12 relative.
RTOL = 1e-12


def _spd(rng: np.random.Generator, d: int, n: int) -> np.ndarray:
    a = rng.normal(size=(n, d, d))
    return a @ np.swapaxes(a, -1, -2) + d * np.eye(d)


def _points(d: int, n: int = 4):
    rng = np.random.default_rng(d)
    return rng.normal(size=(n, d)), _spd(rng, d, n), rng.normal(size=(n, d)), _spd(rng, d, n)


def _as_numpy(value) -> np.ndarray:
    return value.detach().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("d", SIZES)
def test_full_covariance_matches_numpy_of_the_concrete_size(backend: str, d: int) -> None:
    general = sg.MultivariateGaussian(D)
    concrete = sg.MultivariateGaussian(d, "full")
    m1, s1, m2, s2 = _points(d)
    kl = getattr(sg.kl(general), backend)()
    np.testing.assert_allclose(_as_numpy(kl(m1, s1, m2, s2)), sg.kl(concrete).numpy()(m1, s1, m2, s2),
                               rtol=RTOL)
    entropy = getattr(sg.entropy(general), backend)()
    np.testing.assert_allclose(_as_numpy(entropy(m1, s1)), sg.entropy(concrete).numpy()(m1, s1), rtol=RTOL)
    fisher = getattr(sg.fisher(general), backend)()
    reference = sg.fisher(concrete).numpy()(m1, s1)
    # zero entries (mean × covariance block) are compared on the scale of the matrix
    np.testing.assert_allclose(_as_numpy(fisher(m1, s1)), reference, rtol=RTOL,
                               atol=RTOL * np.abs(reference).max())


@pytest.mark.parametrize("d", SIZES)
def test_cholesky_kl_equals_the_derived_trace_polynomial(d: int) -> None:
    """The stable Cholesky KL and the derivation's own normal form, evaluated on the same arrays."""
    ops, lower, upper = general_forms._backend("torch")
    m1, s1, m2, s2 = (torch.as_tensor(a) for a in _points(d))
    point = general_forms._Point(ops, (lower, upper), {"Sigma_1": s1, "Sigma_2": s2},
                                 {"mu_1": m1, "mu_2": m2}, d)
    derived = general_forms.evaluate(gg.kl_poly("definition"), point)
    stable = sg.kl(sg.MultivariateGaussian(D)).torch()(m1, s1, m2, s2)
    np.testing.assert_allclose(stable.numpy(), derived.numpy(), rtol=RTOL)
    broken = general_forms.evaluate(gg.kl_poly("definition") * sp.Rational(1, 2), point)
    assert not np.allclose(stable.numpy(), broken.numpy(), rtol=1e-3)


def test_kl_against_50_digit_mpmath_at_d3() -> None:
    m1, s1, m2, s2 = (a[0] for a in _points(3))
    with mp.workdps(50):
        a, b = mp.matrix(s1.tolist()), mp.matrix(s2.tolist())
        diff = mp.matrix((m2 - m1).tolist())
        inv = b**-1
        exact = (sum((inv * a)[i, i] for i in range(3)) + (diff.T * inv * diff)[0, 0] - 3
                 + mp.log(mp.det(b) / mp.det(a))) / 2
        entropy = mp.log(mp.det(2 * mp.pi * mp.e * a)) / 2
    general = sg.MultivariateGaussian(D)
    for backend in BACKENDS:
        assert float(_as_numpy(getattr(sg.kl(general), backend)()(m1, s1, m2, s2))) == pytest.approx(
            float(exact), rel=RTOL)
        assert float(_as_numpy(getattr(sg.entropy(general), backend)()(m1, s1))) == pytest.approx(
            float(entropy), rel=RTOL)


def test_fisher_bilinear_form_in_given_directions() -> None:
    """F[(a,A),(b,B)] = aᵀΣ⁻¹b + ½tr(Σ⁻¹AΣ⁻¹B) against 50-digit mpmath."""
    rng = np.random.default_rng(5)
    m, s = rng.normal(size=4), _spd(rng, 4, 1)[0]
    a, b = rng.normal(size=4), rng.normal(size=4)
    big_a, big_b = (x + x.T for x in rng.normal(size=(2, 4, 4)))
    with mp.workdps(50):
        inv = mp.matrix(s.tolist()) ** -1
        exact = ((mp.matrix(a.tolist()).T * inv * mp.matrix(b.tolist()))[0, 0]
                 + sum((inv * mp.matrix(big_a.tolist()) * inv * mp.matrix(big_b.tolist()))[i, i]
                       for i in range(4)) / 2)
    for backend in BACKENDS:
        fisher = getattr(sg.fisher(sg.MultivariateGaussian(D)), backend)()
        assert float(_as_numpy(fisher(m, s, a, big_a, b, big_b))) == pytest.approx(float(exact), rel=RTOL)


def test_torch_kl_is_differentiable() -> None:
    m1, s1, m2, s2 = (torch.as_tensor(a[:2]).requires_grad_() for a in _points(3))
    kl = sg.kl(sg.MultivariateGaussian(D)).torch()

    def symmetric(m1, s1, m2, s2):
        return kl(m1, (s1 + s1.mT) / 2, m2, (s2 + s2.mT) / 2)

    assert torch.autograd.gradcheck(symmetric, (m1, s1, m2, s2))
    entropy = sg.entropy(sg.MultivariateGaussian(D)).torch()
    assert torch.autograd.gradcheck(lambda m, s: entropy(m, (s + s.mT) / 2), (m1, s1))


def test_jax_grad_matches_finite_differences() -> None:
    import jax.numpy as jnp

    m1, s1, m2, s2 = (jnp.asarray(a[0]) for a in _points(3))
    kl = sg.kl(sg.MultivariateGaussian(D)).jax()
    gradient = jax.grad(lambda m: kl(m1, s1, m, s2))(m2)
    step = 1e-6
    for i in range(3):
        e = jnp.zeros(3).at[i].set(step)
        central = (kl(m1, s1, m2 + e, s2) - kl(m1, s1, m2 - e, s2)) / (2 * step)
        # central difference: error O(step²) ≈ 1e-12 times the third derivative, plus rounding 1e-10
        assert float(gradient[i]) == pytest.approx(float(central), rel=1e-7, abs=1e-9)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("param", ["mean_var", "mean_std", "mean_logstd", "natural"])
@pytest.mark.parametrize("d", SIZES)
def test_diagonal_matches_numpy_of_the_concrete_size(backend: str, param: str, d: int) -> None:
    general = sg.MultivariateGaussian(D, "diagonal", param)
    concrete = sg.MultivariateGaussian(d, "diagonal", param)
    rng = np.random.default_rng(d)
    scale = {"mean_logstd": rng.normal(size=(3, d)) * 0.5,
             "natural": -rng.uniform(0.25, 1.0, size=(3, d))}.get(param, rng.uniform(0.5, 2.0, size=(3, d)))
    theta1, theta2 = (rng.normal(size=(3, d)), scale), (rng.normal(size=(3, d)), scale[::-1].copy())
    kl = getattr(sg.kl(general), backend)()
    np.testing.assert_allclose(_as_numpy(kl(*theta1, *theta2)), sg.kl(concrete).numpy()(*theta1, *theta2),
                               rtol=RTOL)
    entropy = getattr(sg.entropy(general), backend)()
    np.testing.assert_allclose(_as_numpy(entropy(*theta1)), sg.entropy(concrete).numpy()(*theta1), rtol=RTOL)
    fisher = getattr(sg.fisher(general), backend)()
    np.testing.assert_allclose(_as_numpy(fisher(*theta1)), sg.fisher(concrete).numpy()(*theta1), rtol=RTOL)


def test_diagonal_torch_keeps_dtype_and_differentiates() -> None:
    kl = sg.kl(sg.MultivariateGaussian(D, "diagonal", "mean_logstd")).torch()
    mu = torch.zeros(5, dtype=torch.float32, requires_grad=True)
    value = kl(mu, torch.zeros(5), torch.ones(5), torch.zeros(5))
    assert value.dtype == torch.float32
    (grad,) = torch.autograd.grad(value, mu)
    torch.testing.assert_close(grad, -torch.ones(5))  # ∂/∂μ₁ Σ(μ₁−μ₂)²/2 at σ = 1


def test_bad_shapes_are_refused() -> None:
    with pytest.raises(sg.SymgeomError, match=r"trailing shape \(d,\)"):
        sg.kl(sg.MultivariateGaussian(D)).torch()(np.zeros(2), np.eye(3), np.zeros(2), np.eye(2))
    with pytest.raises(sg.SymgeomError, match="same trailing length"):
        sg.kl(sg.MultivariateGaussian(D, "diagonal")).jax()(np.zeros(2), np.ones(3), np.zeros(2), np.ones(2))
    with pytest.raises(sg.SymgeomError, match="Sigma must be finite, symmetric and positive definite"):
        sg.entropy(sg.MultivariateGaussian(D)).torch()(np.zeros(2), -np.eye(2))
