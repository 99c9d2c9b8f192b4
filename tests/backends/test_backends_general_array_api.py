"""``.array_api()`` and ``.numpy()`` of the general-d Gaussian results (symbolic d) on NumPy, Dask
and torch arrays through array-api-compat, against ``.numpy()`` of the concrete sizes."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import symgeom as sg

pytest.importorskip("array_api_compat")
da = pytest.importorskip("dask.array")
torch = pytest.importorskip("torch")

D = sp.Symbol("d", integer=True, positive=True)
SIZES = (1, 2, 3, 7)
#: float64 results of a few dozen operations (Cholesky, triangular solves) on O(1) inputs
RTOL = 1e-12
NAMESPACES = ("numpy", "dask", "torch", "numpy()")


def _spd(rng: np.random.Generator, d: int, n: int) -> np.ndarray:
    a = rng.normal(size=(n, d, d))
    return a @ np.swapaxes(a, -1, -2) + d * np.eye(d)


def _evaluate(derivation, namespace: str, args: tuple) -> np.ndarray:
    """The derivation's general function on ``args`` given as arrays of ``namespace``."""
    if namespace == "numpy()":
        out = derivation.numpy()(*args)
        assert isinstance(out, np.ndarray)
        return out
    if namespace == "dask":
        # batch axis in chunks of one entry: the trailing (d,) / (d, d) axes are whole
        lazy = derivation.array_api()(*(da.from_array(a, chunks=1) for a in args))
        assert isinstance(lazy, da.Array)
        return lazy.compute(scheduler="synchronous")
    if namespace == "torch":
        out = derivation.array_api()(*(torch.as_tensor(a) for a in args))
        assert isinstance(out, torch.Tensor) and out.dtype == torch.float64
        return out.numpy()
    out = derivation.array_api()(*args)
    assert isinstance(out, np.ndarray)
    return out


def _close(actual: np.ndarray, reference: np.ndarray) -> None:
    # zero entries (the Fisher's mean × covariance block) on the scale of the whole result
    np.testing.assert_allclose(actual, reference, rtol=RTOL, atol=RTOL * np.abs(reference).max())


@pytest.mark.parametrize("namespace", NAMESPACES)
@pytest.mark.parametrize("d", SIZES)
def test_full_covariance_matches_numpy_of_the_concrete_size(namespace: str, d: int) -> None:
    rng = np.random.default_rng(d)
    m1, s1, m2, s2 = rng.normal(size=(3, d)), _spd(rng, d, 3), rng.normal(size=(3, d)), _spd(rng, d, 3)
    general, concrete = sg.MultivariateGaussian(D), sg.MultivariateGaussian(d, "full")
    for quantity, args in (("kl", (m1, s1, m2, s2)), ("entropy", (m1, s1)), ("fisher", (m1, s1))):
        reference = getattr(sg, quantity)(concrete).numpy()(*args)
        _close(_evaluate(getattr(sg, quantity)(general), namespace, args), reference)


@pytest.mark.parametrize("namespace", NAMESPACES)
@pytest.mark.parametrize("param", ["mean_var", "mean_std", "mean_logstd", "natural"])
@pytest.mark.parametrize("d", SIZES)
def test_diagonal_matches_numpy_of_the_concrete_size(namespace: str, param: str, d: int) -> None:
    rng = np.random.default_rng(d)
    scale = {"mean_logstd": rng.normal(size=(3, d)) * 0.5,
             "natural": -rng.uniform(0.25, 1.0, size=(3, d))}.get(param, rng.uniform(0.5, 2.0, size=(3, d)))
    theta1, theta2 = (rng.normal(size=(3, d)), scale), (rng.normal(size=(3, d)), scale[::-1].copy())
    general = sg.MultivariateGaussian(D, "diagonal", param)
    concrete = sg.MultivariateGaussian(d, "diagonal", param)
    for quantity, args in (("kl", theta1 + theta2), ("entropy", theta1), ("fisher", theta1)):
        reference = getattr(sg, quantity)(concrete).numpy()(*args)
        _close(_evaluate(getattr(sg, quantity)(general), namespace, args), reference)


def test_specialized_full_size_has_an_array_api_function() -> None:
    """MultivariateGaussian(7, 'full') specializes the matrix-notation result: its .array_api() is
    the general function (it was refused), equal to its own .numpy()."""
    rng = np.random.default_rng(7)
    args = (rng.normal(size=(2, 7)), _spd(rng, 7, 2), rng.normal(size=(2, 7)), _spd(rng, 7, 2))
    kl = sg.kl(sg.MultivariateGaussian(7, "full"))
    np.testing.assert_allclose(kl.array_api()(*args), kl.numpy()(*args), rtol=RTOL)


def test_fisher_bilinear_form_on_numpy_and_dask() -> None:
    """F[(a,A),(b,B)] = aᵀΣ⁻¹b + ½tr(Σ⁻¹AΣ⁻¹B), written out with NumPy's inverse."""
    rng = np.random.default_rng(4)
    mu, sigma = rng.normal(size=(5, 4)), _spd(rng, 4, 5)
    a, b = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
    big_a, big_b = (x + np.swapaxes(x, -1, -2) for x in rng.normal(size=(2, 5, 4, 4)))
    inv = np.linalg.inv(sigma)
    expected = (np.einsum("ni,nij,nj->n", a, inv, b)
                + np.einsum("nij,njk,nkl,nli->n", inv, big_a, inv, big_b) / 2)
    fisher = sg.fisher(sg.MultivariateGaussian(D))
    args = (mu, sigma, a, big_a, b, big_b)
    np.testing.assert_allclose(fisher.array_api()(*args), expected, rtol=1e-11)
    lazy = fisher.array_api()(*(da.from_array(x, chunks=2) for x in args))
    np.testing.assert_allclose(lazy.compute(scheduler="synchronous"), expected, rtol=1e-11)


def test_dask_stays_lazy_one_block_per_batch_chunk() -> None:
    rng = np.random.default_rng(1)
    n, d = 12, 3
    mu, sigma = rng.normal(size=(n, d)), _spd(rng, d, n)
    out = sg.entropy(sg.MultivariateGaussian(D)).array_api()(da.from_array(mu, chunks=(4, 1)),
                                                             da.from_array(sigma, chunks=(4, 2, 2)))
    assert isinstance(out, da.Array) and out.numblocks == (3,)
    matrix = sg.fisher(sg.MultivariateGaussian(D)).array_api()(da.from_array(mu, chunks=4),
                                                               da.from_array(sigma, chunks=4))
    assert matrix.shape == (n, 9, 9) and matrix.numblocks == (3, 1, 1)


def test_dask_invalid_entries_become_nan_and_eager_arrays_raise() -> None:
    sigma = np.stack([np.eye(2), -np.eye(2), 2 * np.eye(2)])
    mu = np.zeros((3, 2))
    entropy = sg.entropy(sg.MultivariateGaussian(D))
    for chunks in (1, 3):  # the bad entry alone in its block, or inside a block with good ones
        out = entropy.array_api()(da.from_array(mu, chunks=chunks), da.from_array(sigma, chunks=chunks))
        values = out.compute(scheduler="synchronous")
        assert np.isnan(values[1]) and np.isfinite(values[[0, 2]]).all()
        np.testing.assert_allclose(values[[0, 2]], entropy.numpy()(mu[[0, 2]], sigma[[0, 2]]), rtol=RTOL)
    kl = sg.kl(sg.MultivariateGaussian(D))
    with pytest.raises(sg.SymgeomError, match="Sigma_1 must be finite, symmetric and positive definite"):
        kl.array_api()(mu, sigma, mu, np.stack([np.eye(2)] * 3))
    with pytest.raises(sg.SymgeomError, match="mu_2 must be finite"):
        kl.numpy()(np.zeros(2), np.eye(2), np.array([0.0, np.inf]), np.eye(2))
    with pytest.raises(sg.SymgeomError, match="Sigma must be finite, symmetric and positive definite"):
        entropy.array_api()(torch.zeros(2), -torch.eye(2))
    with pytest.raises(sg.SymgeomError, match="sigma_1 must be > 0"):
        sg.kl(sg.MultivariateGaussian(D, "diagonal", "mean_std")).numpy()(
            np.zeros(2), np.array([1.0, -1.0]), np.zeros(2), np.ones(2))


def test_dtype_kept_and_the_expansion_refused_clearly() -> None:
    kl = sg.kl(sg.MultivariateGaussian(D)).array_api()
    out = kl(np.zeros(2, np.float32), np.eye(2, dtype=np.float32), np.ones(2, np.float32),
             np.eye(2, dtype=np.float32))
    assert out.dtype == np.float32 and out == pytest.approx(1.0, rel=1e-6)  # ½‖μ₂ − μ₁‖² at Σ = I
    with pytest.raises(sg.SymgeomError, match="'expansion' is not printed"):
        sg.expansion(sg.MultivariateGaussian(D)).array_api()


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("library", ["torch", "cupy"])
def test_gpu_arrays_keep_their_device(library: str) -> None:
    """General-d KL, entropy, Fisher (full and diagonal) on CUDA arrays: computed there, equal to
    NumPy's (float64: the same rounding budget as on the CPU)."""
    xp = torch if library == "torch" else pytest.importorskip("cupy")
    rng = np.random.default_rng(3)
    d = 7
    m1, s1, m2, s2 = rng.normal(size=(3, d)), _spd(rng, d, 3), rng.normal(size=(3, d)), _spd(rng, d, 3)
    scale = rng.uniform(0.5, 2.0, size=(3, d))
    full = (("kl", (m1, s1, m2, s2)), ("entropy", (m1, s1)), ("fisher", (m1, s1)))
    diagonal = (("kl", (m1, scale, m2, scale[::-1].copy())), ("entropy", (m1, scale)),
                ("fisher", (m1, scale)))
    cases = [(sg.MultivariateGaussian(D), full),
             (sg.MultivariateGaussian(D, "diagonal", "mean_std"), diagonal)]
    for family, quantities in cases:
        for quantity, args in quantities:
            derivation = getattr(sg, quantity)(family)
            on_device = [torch.as_tensor(a, device="cuda") if library == "torch" else xp.asarray(a)
                         for a in args]
            out = derivation.array_api()(*on_device)
            if library == "torch":
                assert out.device.type == "cuda"
                out = out.cpu().numpy()
            else:
                assert isinstance(out, xp.ndarray)
                out = xp.asnumpy(out)
            _close(out, derivation.numpy()(*args))
