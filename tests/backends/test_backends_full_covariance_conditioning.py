"""Full-covariance KL, entropy and Fisher on torch/JAX at condition number 10¹² (issue 12).

The backends factor Σ in double-double (symgeom.numeric.double_double): KL through
symgeom.backends.gaussian_full (near/far forms), entropy and Fisher through
symgeom.backends.scale_forms.factored.  Every value is compared with 60-digit mpmath evaluated
from textbook formulas on the same float inputs (tests/backends/kl_references.py,
tests/numeric/gaussian_references.py), never with a derivation.  The bar is the issue's: ≤ 1e-12
relative in float64 (Fisher: of its largest entry; entrywise is measured too).  With float64
Cholesky factors (the previous path) the KL of the issue's pair was inf in NumPy and 7.7e-5 off
on torch, the Fisher 8.1e-5 of its largest entry at condition 10¹².
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import mpmath as mp
import numpy as np
import pytest

torch = pytest.importorskip("torch")
jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

sys.path.insert(0, str(Path(__file__).parents[1] / "numeric"))
sys.path.insert(0, str(Path(__file__).parent))
from gaussian_references import entropy_mvn, fisher_mvn, ill_conditioned  # noqa: E402
from kl_references import entrywise, graded, kl_mvn, near_pair  # noqa: E402

import symgeom as sg  # noqa: E402
from symgeom.backends import gaussian_full  # noqa: E402
from symgeom.backends.ops import jax_ops, torch_ops  # noqa: E402

BAR = 1e-12
S1 = np.array([[0.9964962006475304, -0.059089108493561755], [-0.059089108493561755, 0.003503799353469783]])
S2 = np.array([[0.00017582556662275897, -0.013258757520712736], [-0.013258757520712736, 0.9998241744343772]])


def _kl(backend: str, m1, s1, m2, s2, dtype=np.float64) -> np.ndarray:
    """The Cholesky form itself on the backend's primitives (eager torch without autograd would
    otherwise take the NumPy kernel, symgeom.backends.numpy_route); JAX under jit."""
    arrays = [np.asarray(a, dtype=dtype) for a in (m1, s1, m2, s2)]
    if backend == "torch":
        return gaussian_full.kl(torch_ops(), *map(torch.as_tensor, arrays)).numpy()
    return np.asarray(_JAX_KL(*map(jnp.asarray, arrays)))


#: one jitted function for the module: XLA compiles each (d, batch) once (≈ 10–40 s at d = 5 on a
#: loaded 2-core CPU: the unrolled double-double graph)
_JAX_KL = jax.jit(lambda *a: gaussian_full.kl(jax_ops(), *a))


def _public(backend: str, derivation, arrays) -> np.ndarray:
    """``derivation.torch()`` on its primitive route / ``jax.jit(derivation.jax())``."""
    if backend == "torch":
        function = derivation.torch()
        return function._primitives(torch_ops(), [torch.as_tensor(a) for a in arrays], True).numpy()
    if derivation not in _JITTED:
        _JITTED[derivation] = jax.jit(derivation.jax())
    return np.asarray(_JITTED[derivation](*map(jnp.asarray, arrays)))


_JITTED: dict = {}


def _relative(got, want) -> float:
    want = np.asarray([float(w) for w in np.ravel(want)])
    return float(np.max(np.abs(np.ravel(got) / want - 1)))


def _far_pairs(d: int, n: int = 16):
    rng = np.random.default_rng(100 + d)
    s1 = np.stack([ill_conditioned(d, seed) for seed in range(n)])
    s2 = np.stack([ill_conditioned(d, 50 + seed) for seed in range(n)])
    return rng.normal(size=(n, d)), s1, rng.normal(size=(n, d)), s2


def _near_pairs(d: int, relative: float):
    """Rotated condition-10¹² Σ moved along its own factor, graded ones moved entrywise."""
    rng = np.random.default_rng(7 * d)
    rotated = [ill_conditioned(d, seed) for seed in range(2)]
    scaled = [graded(d, seed) for seed in range(2)]
    s1 = np.stack(rotated + scaled)
    s2 = np.stack([near_pair(s, relative, i) for i, s in enumerate(rotated)]
                  + [entrywise(s, relative, i) for i, s in enumerate(scaled)])
    m1 = rng.normal(size=(4, d))
    sd = np.sqrt(np.diagonal(s1, axis1=-2, axis2=-1))
    return m1, s1, m1 + relative * sd * rng.normal(size=(4, d)), s2


def _references(pairs) -> list:
    return [kl_mvn(*(x[i] for x in pairs)) for i in range(len(pairs[0]))]


@pytest.mark.parametrize("backend", ["torch", "jax"])
def test_issue_pair(backend):
    """The issue's pair (NumPy: inf; true 4.97377339797e11)."""
    want = kl_mvn(np.zeros(2), S1, np.zeros(2), S2)
    got = _kl(backend, np.zeros(2), S1, np.zeros(2), S2)
    assert _relative(got, want) <= BAR
    public = _public(backend, sg.kl(sg.MultivariateGaussian(2)), (np.zeros(2), S1, np.zeros(2), S2))
    assert _relative(public, want) <= BAR


DIMENSIONS = [2, 3, pytest.param(5, marks=pytest.mark.slow)]


@pytest.mark.parametrize("backend", ["torch", "jax"])
@pytest.mark.parametrize("d", DIMENSIONS)
def test_far_pairs_at_condition_1e12(backend, d):
    """Independent random rotations of spectra 1 … 10⁻¹² (KL ~ 10¹¹): the far form."""
    pairs = _far_pairs(d)
    got = _kl(backend, *pairs)
    assert np.all(np.isfinite(got))
    assert _relative(got, _references(pairs)) <= BAR


@pytest.mark.parametrize("backend", ["torch", "jax"])
@pytest.mark.parametrize("d", DIMENSIONS)
def test_near_pairs_at_condition_1e12(backend, d):
    """Near-equal pairs down to a relative 10⁻¹⁴ (KL down to ≈ 10⁻²⁹): the near form, from the
    exact Σ₁ − Σ₂, never negative."""
    batches = [_near_pairs(d, relative) for relative in (1e-14, 1e-13, 1e-8, 1e-3)]
    pairs = [np.concatenate(parts) for parts in zip(*batches, strict=True)]
    got = _kl(backend, *pairs)
    assert np.all(got > 0)
    assert _relative(got, _references(pairs)) <= BAR


@pytest.mark.parametrize("backend", ["torch", "jax"])
@pytest.mark.parametrize("d", [2, 3])
def test_public_kl_at_condition_1e12(backend, d):
    """``sg.kl(MultivariateGaussian(d)).torch()/.jax()`` on far and near pairs."""
    derivation = sg.kl(sg.MultivariateGaussian(d))
    far, near = _far_pairs(d, 4), _near_pairs(d, 1e-13)
    pairs = [np.concatenate(parts) for parts in zip(far, near, strict=True)]
    assert _relative(_public(backend, derivation, pairs), _references(pairs)) <= BAR


@pytest.mark.parametrize("backend", ["torch", "jax"])
@pytest.mark.parametrize(("scale1", "scale2"), [(1e-110, 1e-110), (1e100, 1e100), (1e-100, 1e100),
                                                 (1e100, 1e-100), (1e-290, 1e-290)])
def test_kl_at_extreme_scales(backend, scale1, scale2):
    """Σ₁ = c₁S, Σ₂ = c₂S' with S, S' of condition 10¹² (means scaled by √c₂): each Σ gets its own
    power of 4, so the splitting never over- or underflows.  (Not 10⁻³⁰⁰: entries of 10⁻³¹² are
    subnormal, which XLA on the CPU reads as 0.)"""
    d = 3
    pairs = _far_pairs(d, 12)
    near = _near_pairs(d, 1e-8)
    m1, s1, m2, s2 = (np.concatenate([a, b]) for a, b in zip(pairs, near, strict=True))
    pairs = (m1 * np.sqrt(scale2), s1 * scale1, m2 * np.sqrt(scale2), s2 * scale2)
    got = _kl(backend, *pairs)
    assert _relative(got, _references(pairs)) <= BAR


@pytest.mark.parametrize("backend", ["torch", "jax"])
@pytest.mark.parametrize("d", [2, 3])
def test_entropy_and_fisher_at_condition_1e12(backend, d):
    """Entropy ≤ 1e-12 relative (ln det Σ from the double-double factor); Fisher ≤ 1e-12 of its
    largest entry, and (measured: ≤ 3e-16) ≤ 1e-12 relative per entry not zero by structure."""
    entropy, fisher = sg.entropy(sg.MultivariateGaussian(d)), sg.fisher(sg.MultivariateGaussian(d))
    for seed in range(4):
        cov = ill_conditioned(d, seed) if seed % 2 else graded(d, seed)
        arrays = (np.zeros(d), cov)
        assert _relative(_public(backend, entropy, arrays), entropy_mvn(cov)) <= BAR
        got, want = _public(backend, fisher, arrays), fisher_mvn(cov)
        assert np.max(np.abs(got - want)) <= BAR * np.max(np.abs(want))
        nonzero = want != 0
        assert np.max(np.abs(got[nonzero] / want[nonzero] - 1)) <= BAR
        assert np.all(got[~nonzero] == 0)


@pytest.mark.parametrize("backend", ["torch", "jax"])
def test_float32_through_float64(backend):
    """float32 inputs (condition 10⁶: at 10¹² float32's rounding of Σ leaves it indefinite) are
    factored in double-double float64 and rounded once: KL ≤ 2 float32 ulps of the 60-digit value
    of the float32-rounded inputs, Fisher ≤ 4 ulps of its largest entry, the dtype kept."""
    eps32 = float(np.finfo(np.float32).eps)
    rng = np.random.default_rng(5)
    s1 = np.stack([ill_conditioned(2, i, 1e6) for i in range(3)] + [graded(2, i, 1e6) for i in range(3)])
    s2 = np.stack([ill_conditioned(2, 9 + i, 1e6) for i in range(3)]
                  + [entrywise(graded(2, i, 1e6), 1e-3, i) for i in range(3)])
    m1, m2 = rng.normal(size=(6, 2)), rng.normal(size=(6, 2))
    pairs = [np.asarray(a, dtype=np.float32) for a in (m1, s1, m2, s2)]
    got = _kl(backend, *pairs, dtype=np.float32)
    assert got.dtype == np.float32
    want = _references([a.astype(np.float64) for a in pairs])
    assert _relative(got.astype(np.float64), want) <= 2 * eps32
    cov = graded(3, 1, 1e6).astype(np.float32)
    fisher = _public(backend, sg.fisher(sg.MultivariateGaussian(3)), (np.zeros(3, np.float32), cov))
    assert fisher.dtype == np.float32
    exact = fisher_mvn(cov.astype(np.float64))
    assert np.max(np.abs(fisher - exact)) <= 4 * eps32 * np.max(np.abs(exact))


@pytest.mark.slow
def test_jax_without_x64():
    """JAX without x64 has no float64: the same algorithm runs in float32 pairs (ε² ≈ 3.6e-15, an
    error ≈ cond·ε² ≈ 30 float32 ulps at condition 10⁶, about the most a float32 Σ can carry:
    at 10¹² its rounding leaves Σ indefinite).  Rotated condition-10⁶ pairs, far and near, in a
    fresh process: ≤ 100 float32 ulps of the 60-digit value of the float32 inputs (measured 0.3;
    the float32 Cholesky form it replaced: 1.9e5 ulps far, 3.6e4 near)."""
    script = (
        "import numpy as np, jax, sys;"
        f"sys.path[:0] = [{str(Path(__file__).parent)!r}, {str(Path(__file__).parents[1] / 'numeric')!r}];"
        "from kl_references import kl_mvn, near_pair; from gaussian_references import ill_conditioned;"
        "from symgeom.backends import gaussian_full; from symgeom.backends.ops import jax_ops;"
        "s1 = np.stack([ill_conditioned(3, i, 1e6) for i in range(8)]).astype(np.float32);"
        "s2 = np.stack([ill_conditioned(3, 9 + i, 1e6) for i in range(4)]"
        " + [near_pair(ill_conditioned(3, i, 1e6), 1e-3, i) for i in range(4)]).astype(np.float32);"
        "m = np.zeros((8, 3), np.float32);"
        "got = np.asarray(jax.jit(lambda *a: gaussian_full.kl(jax_ops(), *a))(m, s1, m, s2));"
        "assert got.dtype == np.float32, got.dtype;"
        "want = [float(kl_mvn(m[i].astype(float), s1[i].astype(float), m[i].astype(float),"
        " s2[i].astype(float))) for i in range(8)];"
        "print(max(abs(g / w - 1) for g, w in zip(got, want)) / np.finfo(np.float32).eps)"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         env={**os.environ, "JAX_ENABLE_X64": "0"})
    assert float(out.stdout.split()[-1]) <= 100


@pytest.mark.parametrize("backend", ["torch", "jax"])
def test_not_positive_definite_is_nan(backend):
    """A Σ that is not positive definite (or not finite) gives nan in its batch entry, no error;
    the other entries keep their values."""
    bad = np.array([[1.0, 2.0], [2.0, 1.0]])
    s1 = np.stack([S1, bad, S1, S1])
    s2 = np.stack([S2, S2, bad, np.full((2, 2), np.inf)])
    m = np.zeros((4, 2))
    got = _kl(backend, m, s1, m, s2)
    assert np.all(np.isnan(got[1:]))
    assert _relative(got[:1], [kl_mvn(m[0], S1, m[0], S2)]) <= BAR
    fisher = sg.fisher(sg.MultivariateGaussian(2))
    if backend == "torch":
        out = fisher.torch(validate=False)(torch.zeros(2, 2, dtype=torch.float64),
                                           torch.as_tensor(np.stack([bad, S1]))).numpy()
    else:
        out = np.asarray(jax.jit(fisher.jax())(jnp.zeros((2, 2)), jnp.asarray(np.stack([bad, S1]))))
    structural = fisher_mvn(S1) == 0  # printed as the constant 0 (without validation, torch keeps it)
    assert np.all(np.isnan(out[0][~structural]))
    assert np.max(np.abs(out[1] - fisher_mvn(S1))) <= BAR * np.max(np.abs(fisher_mvn(S1)))


def _kl_gradient_mp(m1, s1, m2, s2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(∂/∂μ₁, ∂/∂Σ₁, ∂/∂Σ₂) of the KL, 60 digits: Σ₂⁻¹(μ₁−μ₂), ½(Σ₂⁻¹ − Σ₁⁻¹),
    ½Σ₂⁻¹[Σ₂ − Σ₁ − (μ₁−μ₂)(μ₁−μ₂)ᵀ]Σ₂⁻¹ (symmetric forms)."""
    with mp.workdps(60):
        a, b = mp.matrix(s1.tolist()), mp.matrix(s2.tolist())
        diff = mp.matrix((m1 - m2).tolist())
        inv = b**-1
        out = (inv * diff, (inv - a**-1) / 2, inv * (b - a - diff * diff.T) * inv / 2)
        return tuple(np.array(mp.matrix(x).tolist(), dtype=float).reshape(np.shape(x.tolist())) for x in out)


@pytest.mark.parametrize("condition", [1e3, 1e12])
def test_gradients_against_mpmath(condition):
    """torch autograd (the public function's backward runs the primitives), ``jax.grad`` and
    ``jax.jacfwd`` through the double-double operations against the 60-digit derivative: ≤ 1e-14 of
    the largest entry (measured ≤ 3.4e-16 up to condition 10¹²; the float64 form it replaced is
    differentiated to ≈ cond·ε)."""
    d = 3
    m1, m2 = np.array([0.3, -1.0, 2.0]), np.array([0.1, 0.5, 1.0])
    s1, s2 = graded(d, 1, condition), ill_conditioned(d, 2, condition)
    want = _kl_gradient_mp(m1, s1, m2, s2)
    tensors = [torch.as_tensor(a).requires_grad_() for a in (m1, s1, m2, s2)]
    value = sg.kl(sg.MultivariateGaussian(d)).torch()(*tensors)
    g_m1, g_s1, _, g_s2 = torch.autograd.grad(value, tensors)
    arrays = tuple(map(jnp.asarray, (m1, s1, m2, s2)))
    reverse = jax.grad(lambda *a: gaussian_full.kl(jax_ops(), *a), argnums=(0, 1, 3))(*arrays)
    forward = jax.jacfwd(lambda *a: gaussian_full.kl(jax_ops(), *a), argnums=(0, 1, 3))(*arrays)
    for got in ((g_m1.numpy(), g_s1.numpy(), g_s2.numpy()), reverse, forward):
        for g, w in zip(got, want, strict=True):
            g = np.asarray(g)
            g = g if g.ndim == 1 else (g + g.T) / 2  # only the symmetric part is defined
            assert np.max(np.abs(g.reshape(w.shape) - w)) <= 1e-14 * np.max(np.abs(w))


def test_entropy_and_fisher_gradients_match_finite_differences():
    """JAX gradients of the entropy (½Σ⁻¹, 60 digits) and of one Fisher entry (central
    differences of the 60-digit Fisher, step 1e-6 relative: truncation ≈ 1e-12) at condition 10⁴."""
    d = 2
    cov = graded(d, 3, 1e4)
    entropy = sg.entropy(sg.MultivariateGaussian(d)).jax()
    grad = np.asarray(jax.grad(lambda s: entropy(jnp.zeros(d), s))(jnp.asarray(cov)))
    with mp.workdps(60):
        want = np.array((mp.matrix(cov.tolist()) ** -1 / 2).tolist(), dtype=float)
    assert np.max(np.abs((grad + grad.T) / 2 - want)) <= 1e-11 * np.max(np.abs(want))
    fisher = sg.fisher(sg.MultivariateGaussian(d)).jax()
    grad = np.asarray(jax.grad(lambda s: fisher(jnp.zeros(d), s)[2, 4])(jnp.asarray(cov)))
    h = 1e-6 * cov[0, 0]
    bump = np.zeros((d, d))
    bump[0, 0] = h
    fd = (fisher_mvn(cov + bump)[2, 4] - fisher_mvn(cov - bump)[2, 4]) / (2 * h)
    assert abs(grad[0, 0] - fd) <= 1e-6 * abs(fd)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_compiled_route_at_condition_1e12():
    """On CUDA the printed Fisher/entropy run as one torch.compile'd function (Triton), and the KL on
    the primitives: a compiler that contracted a·b − p into a fused multiply-add, or reassociated,
    would break the error-free transformations.  Same bar as on the CPU against 60-digit mpmath."""
    d = 3
    covs = [ill_conditioned(d, seed) for seed in range(4)]
    cov = torch.as_tensor(np.stack(covs), device="cuda")
    mu = torch.zeros(4, d, dtype=torch.float64, device="cuda")
    fisher = sg.fisher(sg.MultivariateGaussian(d)).torch()(mu, cov).cpu().numpy()
    entropy = sg.entropy(sg.MultivariateGaussian(d)).torch()(mu, cov).cpu().numpy()
    for i, c in enumerate(covs):
        want = fisher_mvn(c)
        assert np.max(np.abs(fisher[i] - want)) <= BAR * np.max(np.abs(want))
        assert _relative(entropy[i:i + 1], [entropy_mvn(c)]) <= BAR
    pairs = _far_pairs(d, 4)
    tensors = [torch.as_tensor(a, device="cuda") for a in pairs]
    got = sg.kl(sg.MultivariateGaussian(d)).torch()(*tensors).cpu().numpy()
    assert _relative(got, _references(pairs)) <= BAR
