"""The compiled torch route (what CUDA tensors take), forced onto CPU tensors: values, gradients,
double backward, validation, the eager fallback and the switches.

Inductor compiles CPU tensors to C++ (scalar loops, see symgeom.backends.torch_compile), CUDA
tensors to Triton; the traced graph, and so the formulas, are the same.  Compiling takes 10–60 s
on a loaded 2-core machine, so the checks that compile are slow tests; the CUDA versions are in
test_torch_cuda.py.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("array_api_compat")

import symgeom as sg  # noqa: E402
import symgeom.torch as st  # noqa: E402
from symgeom.backends import torch_compile, torch_softmax_kl  # noqa: E402
from symgeom.backends.ops import torch_ops  # noqa: E402
from symgeom.errors import InvalidParameterError  # noqa: E402
from symgeom.numeric import categorical_logits  # noqa: E402

#: float32 bar of issue 13 for logits KL near p = q (≈ 8 float32 ulps).
FLOAT32_BAR = 1e-6


@pytest.fixture
def forced(monkeypatch):
    """The compiled route for CPU tensors; compilation failures fail the test (no silent eager)."""
    monkeypatch.setattr(torch_compile, "FORCE", True)
    monkeypatch.delenv("SYMGEOM_TORCH_COMPILE", raising=False)
    yield
    assert torch_compile.failures() == {}


def _near_logits(rows: int, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    z1 = rng.normal(size=(rows, k)).astype(np.float32)
    z2 = z1.copy()
    z2[:, 0] += np.float32(1e-6) * np.maximum(1, np.abs(z2[:, 0]))
    return z1, z2


def _categorical_peer(z1, z2):
    cat = torch.distributions.Categorical
    return torch.distributions.kl_divergence(cat(logits=z1), cat(logits=z2))


# --- switches and fallback (no compilation) ------------------------------------------------------
def test_route_taken_for_cuda_or_forced_only(monkeypatch):
    x = torch.ones(3)
    monkeypatch.setattr(torch_compile, "FORCE", False)
    assert not torch_compile.wanted(x, x)  # CPU tensors: the NumPy route serves them
    monkeypatch.setattr(torch_compile, "FORCE", True)
    assert torch_compile.wanted(x, x)
    monkeypatch.setenv("SYMGEOM_TORCH_COMPILE", "0")
    assert not torch_compile.wanted(x, x)
    assert not torch_compile.fused_rows(x, x)


def test_compile_failure_falls_back_to_eager_with_one_warning(monkeypatch):
    """A compiler that fails (no Triton, no C++ compiler) leaves the same values, computed eagerly,
    and a warning naming the reason; a SymgeomError from the function itself is not swallowed."""

    def broken_compile(function, **options):
        def run(*args):
            raise RuntimeError("no working compiler here")

        return run

    monkeypatch.setattr(torch, "compile", broken_compile)
    monkeypatch.setattr(torch_compile, "_COMPILED", {})
    monkeypatch.setattr(torch_compile, "_FAILED", {})
    x = torch.linspace(-1, 1, 5)
    with pytest.warns(RuntimeWarning, match="no working compiler here"):
        out = torch_compile.call("test.square", torch.square, x)
    torch.testing.assert_close(out, x * x, rtol=0, atol=0)
    assert "test.square" in torch_compile.failures()
    again = torch_compile.call("test.square", torch.square, x)  # eager from now on, no warning
    torch.testing.assert_close(again, x * x, rtol=0, atol=0)

    def refuses(*args):
        raise InvalidParameterError("sigma must be > 0")

    monkeypatch.setattr(torch, "compile", lambda function, **options: function)
    with pytest.raises(InvalidParameterError, match="sigma"):
        torch_compile.call("test.refuses", refuses, x)


# --- fused softmax KL ----------------------------------------------------------------------------
@pytest.mark.slow
def test_compiled_softmax_kl_float32_bar_and_sign(forced):
    z1, z2 = _near_logits(48, 3000)
    ref = categorical_logits(z1.astype(np.float64), z2.astype(np.float64))
    out = st.CategoricalLogits(3000).kl(torch_ops(), (torch.as_tensor(z1),), (torch.as_tensor(z2),))
    assert out.dtype == torch.float32
    values = out.numpy().astype(np.float64)
    assert np.all(values >= 0)
    assert np.max(np.abs(values - ref) / ref) <= FLOAT32_BAR


@pytest.mark.slow
def test_compiled_softmax_kl_float64_values_gradients_hessian(forced):
    """float64 against the NumPy kernel (≤ 1e-13 relative) and, away from p = q where its
    autodiff is accurate, torch.distributions' gradients and Hessian-vector product; far rows
    (a logit moved by 200: e^{d′} would overflow) take the log-softmax form."""
    gen = torch.Generator().manual_seed(3)
    a = torch.randn(40, 300, dtype=torch.float64, generator=gen)
    b = a + 0.3 * torch.randn(40, 300, dtype=torch.float64, generator=gen)
    b[:4, 7] += 200.0
    out = torch_softmax_kl.kl(a, b)
    ref = categorical_logits(a.numpy(), b.numpy())
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-13, atol=0)

    a1, b1 = a.clone().requires_grad_(), b.clone().requires_grad_()
    a2, b2 = a.clone().requires_grad_(), b.clone().requires_grad_()
    v = torch.randn(a.shape, dtype=torch.float64, generator=gen)
    ga, gb = torch.autograd.grad(torch_softmax_kl.kl(a1, b1).sum(), (a1, b1), create_graph=True)
    ra, rb = torch.autograd.grad(_categorical_peer(a2, b2).sum(), (a2, b2), create_graph=True)
    for mine, peer in ((ga, ra), (gb, rb)):
        torch.testing.assert_close(mine, peer, rtol=0, atol=1e-13 * float(peer.detach().abs().max()))
    (hv,) = torch.autograd.grad((ga * v).sum(), b1)
    (rh,) = torch.autograd.grad((ra * v).sum(), b2)
    torch.testing.assert_close(hv, rh, rtol=0, atol=1e-12 * float(rh.detach().abs().max()))


@pytest.mark.slow
def test_compiled_softmax_kl_gradient_near_equal_and_at_equal(forced):
    """Near p = q the gradient ∂KL/∂z₂ = q − p = p⊙expm1(−y) keeps its digits (float64 against
    q − p from the first-order log-ratio, z₂ − z₁ being one entry of 2⁻³⁰: a difference of
    float64 softmaxes would keep only ≈ 7 digits of it); at p = q it is 0, not nan."""
    gen = torch.Generator().manual_seed(4)
    a = torch.randn(8, 50, dtype=torch.float64, generator=gen)
    b = a.clone()
    b[:, 0] += 2.0**-30
    b.requires_grad_()
    (gb,) = torch.autograd.grad(torch_softmax_kl.kl(a, b).sum(), b)
    p = torch.softmax(a, -1)
    # q − p = p·expm1(−y), y = log p − log q = −δ·e₀ + logsumexp z₂ − logsumexp z₁ = −δ·(e₀ − p₀)
    # to first order in δ = 2⁻³⁰; the second-order term δ²p₀(1 − p₀)/2 is ≈ 1e-9 of y.
    y = -(2.0**-30) * (torch.nn.functional.one_hot(torch.zeros(8, dtype=torch.long), 50) - p[:, :1])
    exact = p * torch.expm1(-y)
    torch.testing.assert_close(gb, exact, rtol=1e-8, atol=0)
    same = a.clone().requires_grad_()
    (g0,) = torch.autograd.grad(torch_softmax_kl.kl(a, same).sum(), same)
    assert torch.all(g0 == 0)


# --- printed forms -------------------------------------------------------------------------------
@pytest.mark.slow
def test_compiled_printed_kl_values_gradients_validation(forced, monkeypatch):
    """The printed Gaussian KL compiled: values against the NumPy kernel (1e-13), gradients and a
    double backward against the eager route, an invalid σ raises naming the argument."""
    gen = torch.Generator().manual_seed(5)
    n = 500
    args = [torch.randn(n, dtype=torch.float64, generator=gen),
            0.5 + torch.rand(n, dtype=torch.float64, generator=gen),
            torch.randn(n, dtype=torch.float64, generator=gen),
            0.5 + torch.rand(n, dtype=torch.float64, generator=gen)]
    args[2][:10] = args[0][:10] + 1e-9  # near-equal pairs
    args[3][:10] = args[1][:10] * (1 + 1e-9)
    kl = sg.kl(sg.Gaussian()).torch()
    out = kl(*args)
    ref = sg.kl(sg.Gaussian()).numpy()(*[a.numpy() for a in args])
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-13, atol=0)

    bad = [a.clone() for a in args]
    bad[3][17] = -1.0
    with pytest.raises(InvalidParameterError, match="sigma_2"):
        kl(*bad)
    with pytest.raises(InvalidParameterError, match="sigma_2"):  # the recorded (autograd) route
        kl(*[a.requires_grad_() for a in bad])

    tracked = [a.clone().requires_grad_() for a in args]
    grads = torch.autograd.grad(kl(*tracked).sum(), tracked, create_graph=True)
    (hess,) = torch.autograd.grad(grads[0].sum(), tracked[3])
    monkeypatch.setattr(torch_compile, "FORCE", False)
    eager = [a.clone().requires_grad_() for a in args]
    grads_eager = torch.autograd.grad(kl(*eager).sum(), eager, create_graph=True)
    (hess_eager,) = torch.autograd.grad(grads_eager[0].sum(), eager[3])
    for mine, peer in zip(grads, grads_eager, strict=True):
        torch.testing.assert_close(mine, peer, rtol=1e-13, atol=0)
    torch.testing.assert_close(hess, hess_eager, rtol=1e-13, atol=0)
    monkeypatch.setattr(torch_compile, "FORCE", True)
    out = kl(*tracked)  # first-order backward through the recorded compiled graph, run twice
    first = torch.autograd.grad(out.sum(), tracked, retain_graph=True)
    second = torch.autograd.grad(out.sum(), tracked)
    for a, b, peer in zip(first, second, grads_eager, strict=True):
        torch.testing.assert_close(a, peer.detach(), rtol=1e-13, atol=0)
        torch.testing.assert_close(b, a, rtol=0, atol=0)


@pytest.mark.slow
def test_compiled_fisher_and_entropy_equal_eager(forced, monkeypatch):
    mu = torch.randn(64, dtype=torch.float64)
    sigma = 0.5 + torch.rand(64, dtype=torch.float64)
    fisher, entropy = sg.fisher(sg.Gaussian()).torch(), sg.entropy(sg.Gaussian()).torch()
    f, h = fisher(mu, sigma), entropy(mu, sigma)
    monkeypatch.setattr(torch_compile, "FORCE", False)
    assert f.shape == (64, 2, 2)
    torch.testing.assert_close(f, fisher(mu, sigma), rtol=1e-14, atol=0)
    torch.testing.assert_close(h, entropy(mu, sigma), rtol=1e-14, atol=0)


def test_compiled_functions_are_one_graph_each():
    """Dynamo traces each compiled function whole (a graph break would split the fused kernels
    into separate passes and Python steps): the printed Gaussian KL with its validity flag, the
    softmax KL's forward and backward passes."""
    from symgeom.backends import torch_printed

    def breaks(function, *args):
        torch._dynamo.reset()
        return torch._dynamo.explain(function)(*args).graph_break_count

    n = torch.ones(16, dtype=torch.float64)
    body = torch_printed._body(sg.kl(sg.Gaussian()).torch(), True)
    assert breaks(body, n, n, n, n) == 0
    fisher = torch_printed._body(sg.fisher(sg.Gaussian()).torch(), True)
    assert breaks(fisher, n, n) == 0
    # a Bregman remainder (quadrature nodes), a softplus difference (a primitive as an
    # autograd.Function) and a covariance argument (its upper triangle unpacked): the whole
    # sweep is the slow test below
    gamma = torch_printed._body(sg.kl(sg.family("gamma")).torch(), True)
    assert breaks(gamma, n, n, n, n) == 0
    logit = torch_printed._body(sg.kl(sg.Bernoulli("logit")).torch(), True)
    assert breaks(logit, n, n) == 0
    sigma = torch.eye(2, dtype=torch.float64).expand(16, 2, 2)
    full = torch_printed._body(sg.entropy(sg.MultivariateGaussian(2, "full")).torch(), True)
    assert breaks(full, torch.zeros(16, 2, dtype=torch.float64), sigma) == 0
    z = torch.randn(4, 7)
    assert breaks(torch_softmax_kl.forward_rows, z, z) == 0
    rows = torch_softmax_kl.forward_rows(z, z)
    assert breaks(torch_softmax_kl.gradient_rows, z, z, rows, torch.ones(4), (True, True)) == 0


def _traced_body(quantity, family):
    """The printed form of ``quantity(family)`` as torch.compile traces it (None where torch
    refuses the quantity, e.g. an explicit infinite sum)."""
    from symgeom.backends import torch_printed
    from symgeom.errors import SymgeomError

    try:
        function = quantity(family).torch()
    except SymgeomError:
        return None
    if function._plan.source is None:  # a hand-fused vector form, checked above
        return None
    return torch_printed._body(function, True)


@pytest.mark.slow
@pytest.mark.parametrize("quantity", [sg.kl, sg.entropy, sg.fisher], ids=["kl", "entropy", "fisher"])
def test_every_printed_form_traces_as_one_graph(quantity):
    """No catalog chart's printed KL, entropy or Fisher splits under Dynamo.  Each primitive is an
    ``autograd.Function`` whose forward has no ``*args`` (Dynamo bound the first tensor to ctx:
    a graph break per primitive on torch 2.13, an InternalTorchDynamoError on torch 2.11), and the
    Bregman remainder's nodes and weights are Python floats, not NumPy arrays read in the trace."""
    from hypothesis import find

    from symgeom.testing import arrays, catalog, params

    broken = []
    for family in catalog():
        body = _traced_body(quantity, family)
        if body is None:
            continue
        theta = find(params(family), lambda _: True)
        points = 1 if quantity is not sg.kl else 2
        tensors = [torch.as_tensor(a, dtype=torch.float64).expand(3, *np.shape(a)).contiguous()
                   for a in arrays(family, theta)] * points
        torch._dynamo.reset()
        explained = torch._dynamo.explain(body)(*tensors)
        if explained.graph_break_count:
            broken.append((family.label, [r.reason.splitlines()[0] for r in explained.break_reasons]))
    assert broken == []


def test_compiled_entropy_and_fisher_gradients_equal_eager(forced, monkeypatch):
    """The gradient of a compiled entropy and Fisher runs (the recorded graph is run backward with
    retain_graph=True, which a compiled backward with donated buffers refuses: RuntimeError on
    CUDA before) and equals the eager one; run twice, it gives the same."""
    gen = torch.Generator().manual_seed(7)
    mu = torch.randn(16, dtype=torch.float64, generator=gen)
    var = 0.5 + torch.rand(16, dtype=torch.float64, generator=gen)
    family = sg.Gaussian("mean_var")
    for quantity in (sg.entropy, sg.fisher):
        function = quantity(family).torch()
        grads = []
        for force in (True, False):
            monkeypatch.setattr(torch_compile, "FORCE", force)
            tracked = [mu.clone().requires_grad_(), var.clone().requires_grad_()]
            out = function(*tracked)
            first = torch.autograd.grad(out.sum(), tracked[1], retain_graph=True)[0]
            again = torch.autograd.grad(out.sum(), tracked[1])[0]
            torch.testing.assert_close(again, first, rtol=0, atol=0)
            grads.append(first)
        monkeypatch.setattr(torch_compile, "FORCE", True)
        torch.testing.assert_close(grads[0], grads[1], rtol=1e-13, atol=0)
