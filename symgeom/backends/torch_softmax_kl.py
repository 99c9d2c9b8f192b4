"""KL(softmax z₁‖softmax z₂) on torch tensors in fused row passes, with its derived gradient.

The computation of :mod:`symgeom.backends.softmax_kl` (KL = S + h(u), S = E_p[g(d′)] ≥ 0, its
``g``, ``finish`` and constants; float32 error below 1e-6, the row sums accumulated in float64) as a
``torch.autograd.Function``, for the tensors :func:`symgeom.backends.torch_compile.wanted` picks
(CUDA).  Where JAX picks a branch for the whole batch with ``lax.cond``, here every branch is a
``where`` (no host synchronization; a compiled kernel computes both at no extra pass):

* g takes its ``where`` form (series for |d′| ≤ 1, expm1(d′) − d′ beyond);
* rows with max|d′| > LIMIT (e^{d′} could overflow) take Σ p·y with the log-ratio

      y = log p − log q = (z₁ − max z₁) − (z₂ − max z₂) − (log1p s₁ − log1p s₂),

  sₙ = (tₙ − 1) + Σ_{zₙⱼ < max zₙ} e^{zₙⱼ − max zₙ} (tₙ classes at the maximum): each log-softmax
  keeps its own relative accuracy, the dominant class's too.  (logsumexp z₂ − logsumexp z₁ − E_p[d]
  is the same number, but subtracts terms of size |d| ≈ 60 to leave a KL that can be 1e-5:
  0.7 % off at z₁ = (−1.5, 12, 0), z₂ = (1.5, 80, 0) in float32, 24 % at the reverse pair.)

The forward pass keeps per row (not per entry) what the gradient needs: max z₁, Σw, c, u,
max z₂, log1p s₂, log1p s₁ − log1p s₂, the far flag and the KL; the backward pass is then one
elementwise pass, with y = log(p/q) = log1p(u) − d′ (far rows: the y above, and q − p itself for
∂KL/∂z₂, where p·expm1(−y) would be 0·∞ for a class whose p underflows),

    ∂KL/∂z₁ = p ⊙ (y − KL),      ∂KL/∂z₂ = p ⊙ expm1(−y),

the rule of the JAX ``custom_jvp`` (0, not nan, at p = q).  Both passes run through
:func:`symgeom.backends.torch_compile.call` (one Triton kernel per row pass on CUDA).  When a
graph of the gradient is asked for (``create_graph=True``: double backward, Hessian-vector
products) the rule is recomputed from z₁, z₂ with differentiable eager operations, the KL in it
being this function's output (so its derivative is this rule again).
"""

from __future__ import annotations

from typing import Any

import torch

from symgeom.backends import softmax_kl, torch_compile

Array = Any


class _Torch:
    """The few namespace functions softmax_kl's helpers call, as plain torch operations (the
    array-api-compat wrappers call ``torch.result_type``, at which Dynamo splits the graph)."""

    _torch = torch

    float64 = _torch.float64
    abs = staticmethod(_torch.abs)
    where = staticmethod(_torch.where)
    zeros_like = staticmethod(_torch.zeros_like)
    exp = staticmethod(_torch.exp)
    expm1 = staticmethod(_torch.expm1)
    log = staticmethod(_torch.log)
    log1p = staticmethod(_torch.log1p)

    @staticmethod
    def maximum(x: Array, y: Any) -> Array:
        return x.clamp(min=y) if isinstance(y, int | float) else _Torch._torch.maximum(x, y)

    @staticmethod
    def max(x: Array, axis: int, keepdims: bool = False) -> Array:
        return x.amax(dim=axis, keepdim=keepdims)

    @staticmethod
    def sum(x: Array, axis: int, keepdims: bool = False, dtype: Any = None) -> Array:
        return x.sum(dim=axis, keepdim=keepdims, dtype=dtype)


def _xp() -> Any:
    return _Torch


def _same(x: Array) -> Array:
    return x


def _mean(w: Array, x: Array | None, total: Array) -> Array:
    """Σw·x/Σw over the last axis (Σw when ``total`` is None), float32 accumulated in float64: a
    compiled reduction adds sequentially per lane (inductor's C++ kernels: k/8 terms per lane),
    whose float32 rounding reached 5e-6 of the KL at k = 3 000; in float64 it costs no pass."""

    terms = w if x is None else w * x
    out = torch.sum(terms, dim=-1, keepdim=True, dtype=torch.float64)
    if total is not None:
        out = out / total
    return out.to(w.dtype)


def _expm1(x: Array, bits: int) -> Array:
    """eˣ − 1 = x + g(x) (g by its series for |x| ≤ 1): inductor's vectorized C++ expm1 is
    exp(x) − 1, which loses the digits of a small x."""
    return x + softmax_kl._g(_xp(), x, bits)


def forward_rows(z1: Array, z2: Array) -> tuple[Array, ...]:
    """(KL, max z₁, Σw, c, u, logsumexp z₂ − logsumexp z₁, far) per row (row values keep their
    axis, the KL does not): the passes of ``softmax_kl.prepare`` and ``expectation_g`` with
    float64 accumulation, then ``softmax_kl.finish``."""

    xp = _xp()
    bits = softmax_kl._bits(xp, z1)
    top = xp.max(z1, axis=-1, keepdims=True)
    w = xp.exp(z1 - top)
    d = z2 - z1
    total64 = torch.sum(w, dim=-1, keepdim=True, dtype=torch.float64)
    total = total64.to(z1.dtype)
    c = _mean(w, d, total64)
    dp = d - c
    m = _mean(w, dp, total64)
    spread = xp.max(xp.abs(dp), axis=-1, keepdims=True)
    s = _mean(w, softmax_kl._g(xp, dp, bits), total64)
    near = softmax_kl.finish(xp, s, m)
    far = spread > softmax_kl.LIMIT[bits]
    top2 = xp.max(z2, axis=-1, keepdims=True)
    lq2 = _log1p_others(z2, top2)
    gap = (_log1p_others(z1, top) - lq2).to(z1.dtype)
    y_far = _far_log_ratio(z1, z2, top, top2, gap)
    out = xp.where(far, xp.maximum(_mean(w, y_far, total64), 0), near)[..., 0]
    return out, top, total, c, s + m, top2, lq2.to(z1.dtype), gap, far


def _log1p_others(z: Array, top: Array) -> Array:
    """log Σ e^{z − max z} to the relative accuracy of the small terms, summed in float64
    (:func:`symgeom.backends.softmax_kl.log1p_others`; float64 out)."""
    return softmax_kl.log1p_others(_xp(), z - top, torch.float64)


def _far_log_ratio(z1: Array, z2: Array, top1: Array, top2: Array, gap: Array) -> Array:
    """y = log p − log q = (z₁ − max z₁) − (z₂ − max z₂) − (log1p s₁ − log1p s₂)."""
    return ((z1 - top1) - (z2 - top2)) - gap


def gradient_rows(
    z1: Array, z2: Array, rows: tuple[Array, ...], grad: Array, need: tuple[bool, bool]
) -> tuple[Array | None, Array | None]:
    """(grad·∂KL/∂z₁, grad·∂KL/∂z₂) in one pass from the row values of :func:`forward_rows`
    (None where ``need`` says no: a compiled kernel then neither computes nor writes it)."""
    xp = _xp()
    out, top, total, c, u, top2, lq2, gap, far = rows
    p = xp.exp(z1 - top) / total
    d = z2 - z1
    y = xp.where(far, _far_log_ratio(z1, z2, top, top2, gap),
                 xp.log1p(xp.where(far, xp.zeros_like(u), u)) - (d - c))
    gp = grad[..., None] * p
    at_top = z1 == top
    dz1 = _balanced(gp * (y - out[..., None]), at_top) if need[0] else None
    if not need[1]:
        return dz1, None
    # far rows: q − p itself (p·expm1(−y) is 0·inf where p underflows and q does not)
    q_minus_p = xp.exp((z2 - top2) - lq2) - p
    near_y = xp.where(far, xp.zeros_like(y), y)
    dz2 = xp.where(far, grad[..., None] * q_minus_p, gp * _expm1(-near_y, softmax_kl._bits(xp, z1)))
    return dz1, _balanced(dz2, at_top)


def _balanced(dz: Array, at_top: Array) -> Array:
    """dz with its entry at a unique max z₁ replaced by −(Σ of the others): both gradients sum to 0
    over a row (the KL is shift-invariant in z₁ and in z₂), and there the dominant class's
    p(y − KL) or q − p is a difference of two numbers near 1 or near the KL (0 for the true
    3.8e-33 at z₁ = (1.5, 80, 0), z₂ = (0, 40, 0) in float32), while every other entry is formed
    without cancellation.  Rows with tied maxima keep dz (tied classes' entries differ, and none
    of them has p > ½)."""
    zero = torch.zeros_like(dz)
    others = torch.sum(torch.where(at_top, zero, dz), dim=-1, keepdim=True, dtype=torch.float64)
    unique = torch.sum(at_top, dim=-1, keepdim=True) == 1
    return torch.where(at_top & unique, (-others).to(dz.dtype), dz)


def _gradient_graph(z1: Array, z2: Array, out: Array, grad: Array) -> tuple[Array, Array]:
    """The same rule from differentiable operations on z₁, z₂ (the row constants carry no
    derivative: the KL does not depend on them), for double backward."""

    xp = _xp()
    bits = softmax_kl._bits(xp, z1)
    w, total, dp, m, spread = softmax_kl.prepare(xp, torch.Tensor.detach, z1, z2)
    far = (spread > softmax_kl.LIMIT[bits]).detach()
    dp_near = xp.where(far, xp.zeros_like(dp), dp)  # no overflow, no nan in any derivative
    u = softmax_kl.expectation_g(xp, w, total, dp_near, series_only=False) + xp.where(far, 0.0, m)
    p = w / total
    top1, top2 = z1.amax(dim=-1, keepdim=True).detach(), z2.amax(dim=-1, keepdim=True).detach()
    gap = (_log1p_others(z1, top1) - _log1p_others(z2, top2)).to(z1.dtype)
    y = xp.where(far, _far_log_ratio(z1, z2, top1, top2, gap), xp.log1p(u) - dp_near)
    gp = grad[..., None] * p
    near_y = xp.where(far, xp.zeros_like(y), y)
    dz2 = xp.where(far, grad[..., None] * (torch.softmax(z2, dim=-1) - p), gp * xp.expm1(-near_y))
    return gp * (y - out[..., None]), dz2


class SoftmaxKL(torch.autograd.Function):
    """(z₁, z₂) ↦ KL per row; see the module docstring (defined at import: a class built
    inside a traced call would split an outer ``torch.compile``'s graph)."""

    @staticmethod
    def forward(ctx: Any, z1: Array, z2: Array) -> Array:
        rows = torch_compile.call("softmax_kl.forward", forward_rows, z1, z2)
        ctx.save_for_backward(z1, z2, *rows)
        return rows[0]

    @staticmethod
    def backward(ctx: Any, grad: Array) -> tuple[Array | None, Array | None]:
        z1, z2, *rows = ctx.saved_tensors
        need = tuple(ctx.needs_input_grad)
        if torch.is_grad_enabled():
            dz1, dz2 = _gradient_graph(z1, z2, rows[0], grad)  # rows[0]: this output
        else:
            dz1, dz2 = torch_compile.call(
                ("softmax_kl.backward", need), gradient_rows, z1, z2, tuple(rows), grad, need
            )
        return (dz1 if need[0] else None), (dz2 if need[1] else None)


def kl(z1: Array, z2: Array) -> Array:
    """KL(softmax z₁‖softmax z₂) over the last axis (float32 or float64 tensors, broadcast)."""

    z1, z2 = torch.broadcast_tensors(z1, z2)
    if z1.shape[-1] == 0 or z1.numel() == 0:
        return torch.zeros(z1.shape[:-1], dtype=z1.dtype, device=z1.device)
    return SoftmaxKL.apply(z1.contiguous(), z2.contiguous())
