"""The Bregman KL with its exact integral remainder, for torch, JAX and Array API namespaces.

    KL(θ₁‖θ₂) = A(η₂) − A(η₁) − Δ·∇A(η₁) = ∫₀¹ (1 − t) Δᵀ∇²A(η₁ + tΔ)Δ dt,   Δ = η₂ − η₁.

The same decisions as the NumPy :func:`symgeom.numeric.bregman.bregman_kl`, with its constants,
made per entry with ``where`` instead of boolean indexing, so the function has no data-dependent
shapes (``jax.jit``, ``vmap``, ``torch.compile``):

* pairs whose chart coordinates agree to a relative CLOSE take the remainder;
* the others take the direct form A₂ − A₁ − g where it exceeds SWITCH of |A₁| + |A₂| + |g|;
* the remainder is the 2-node Gauss–Legendre rule where the integrand's relative slope is at most
  RHO, else 24 nodes on each half of [0, 1] (checked against 24 on the whole interval); where a
  direct value exists and the quadrature does not beat its error bound 4ε(|A₁| + |A₂| + |g|), or
  that bound is already below 10⁻¹² of it, the direct value is kept.

All 2 + 24 + 48 nodes are evaluated in one call of the printed integrand along a leading node
axis, chunk by chunk of CHUNK entries of the batch in eager torch, NumPy and the other eager
namespaces, so the 74 node values take 74 × CHUNK entries rather than 74 × the batch (under
``jax.jit`` the printed form already runs in blocks, see :mod:`symgeom.backends.compile`).
Gradients are those of the selected branch (autodiff through printed, cancellation-free
expressions: the remainder's integrand is a product of exact differences and ∇²A, its derivative
has no cancellation either).  So that no discarded branch can put 0·∞ = nan into a gradient, each
branch sees its unselected entries with θ₂ replaced by θ₁: the direct form at close pairs, the
remainder where the direct form was taken at once.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from symgeom.backends.ops import Ops, is_number
from symgeom.numeric.bregman import _T, _T_HALVES, _TWO, _W, _W_HALVES, CLOSE, RHO, SWITCH

Array = Any

#: All quadrature nodes in one list: the 2-node rule, 24 nodes on [0, 1], 24 on each half.
_NODES = np.concatenate([_TWO[0], _T, _T_HALVES])
#: the same nodes as Python floats: a traced function (``torch.compile``) reads no NumPy array
_NODE_LIST = tuple(float(t) for t in _NODES)
_WHOLE_WEIGHTS = tuple(float(w) for w in _W)
_HALF_WEIGHTS = tuple(float(w) for w in _W_HALVES)
_EPS64, _EPS32 = float(np.finfo(np.float64).eps), float(np.finfo(np.float32).eps)
_TINY64, _TINY32 = float(np.finfo(np.float64).tiny), float(np.finfo(np.float32).tiny)
(_T1, _T2), (_W1, _W2) = (float(x) for x in _TWO[0]), (float(x) for x in _TWO[1])
_SPANS = (slice(0, 2), slice(2, 26), slice(26, 74))
#: Batch entries per chunk: the node values of one chunk (74 × 2¹⁴ float64, 9.7 MB) and their
#: temporaries stay far below the size of a large batch.
CHUNK = 1 << 14


def bregman_kl(
    ops: Ops,
    direct_terms: Callable[..., tuple[Array, Array, Array]],
    integrand: Callable[..., Array],
    args: tuple[Array, ...],
    pairs: tuple[tuple[int, int], ...] = (),
) -> Array:
    """A₂ − A₁ − g where that keeps ≥ 2 digits, else ∫₀¹ f by Gauss–Legendre (module docstring).

    ``direct_terms(θ…)`` gives (A₁, A₂, g); ``integrand(t, θ…)`` gives f; ``pairs`` indexes
    (θᵢ₁, θᵢ₂) in ``args``.
    """
    xp = ops.xp
    like = next(a for a in args if not is_number(a))
    wide = float64_for_float32(ops, like)
    if wide is not None:
        # float32 in, float32 out, computed in float64: the direct form keeps only ≥ 2 digits of
        # its terms, so in float32 it would lose up to 100 ulps where float64 loses none visible.
        widened = tuple(a if is_number(a) else xp.astype(a, wide) for a in args)
        value = bregman_kl(ops, direct_terms, integrand, widened, pairs)
        return xp.astype(value, like.dtype)
    arrays = xp.broadcast_arrays(*[ops.asarray(a, like) if is_number(a) else a for a in args])
    shape = tuple(arrays[0].shape)
    size = math.prod(shape)
    if size <= CHUNK or not _chunked(ops, like):
        return _bregman(ops, direct_terms, integrand, arrays, pairs, like)
    flat = [xp.reshape(a, (-1,)) for a in arrays]
    parts = [
        _bregman(ops, direct_terms, integrand, [a[start : start + CHUNK] for a in flat], pairs, like)
        for start in range(0, size, CHUNK)
    ]
    return xp.reshape(xp.concat(parts), shape)


def _chunked(ops: Ops, like: Array) -> bool:
    """Chunks for eager namespaces; JAX evaluates printed forms in blocks already (compile.py) and
    a Python loop would unroll under ``jit`` (and ``torch.compile``); Dask arrays are evaluated
    chunk by chunk by Dask."""
    if ops.name == "jax":
        return False
    if ops.name == "torch":
        import torch

        return not torch.compiler.is_compiling()
    import array_api_compat

    return not array_api_compat.is_dask_array(like)


def _bregman(
    ops: Ops,
    direct_terms: Callable[..., tuple[Array, Array, Array]],
    integrand: Callable[..., Array],
    arrays: list[Array],
    pairs: tuple[tuple[int, int], ...],
    like: Array,
) -> Array:
    """:func:`bregman_kl` on broadcast arrays of one chunk."""
    xp = ops.xp
    eps = _EPS64 if arrays[0].dtype == xp.float64 else _EPS32
    close = xp.zeros(arrays[0].shape, dtype=xp.bool) if not pairs else None
    for i, j in pairs:
        a, b = arrays[i], arrays[j]
        near = xp.abs(b - a) <= CLOSE * (xp.abs(a) + xp.abs(b))
        close = near if close is None else close & near

    def collapsed(mask: Array) -> list[Array]:
        """The arguments with θ₂ := θ₁ where ``mask`` holds (a pair at distance 0 there)."""
        out = list(arrays)
        for i, j in pairs:
            out[j] = xp.where(mask, arrays[i], arrays[j])
        return out

    terms = [ops.asarray(v, like) if is_number(v) else v for v in direct_terms(*collapsed(close))]
    direct, scale = _direct(xp, terms[:3])
    if len(terms) == 6:
        # A second exact triple (A − an affine function of η): the one that cancels less.
        mirrored, mirrored_scale = _direct(xp, terms[3:])
        better = mirrored * scale > direct * mirrored_scale
        direct = xp.where(better, mirrored, direct)
        scale = xp.where(better, mirrored_scale, scale)
    take_direct = ~close & (direct > SWITCH * scale)
    bound = 4 * eps * scale

    values = _nodes(ops, integrand, collapsed(take_direct), like)
    scaled, power = _binade(xp, values)
    f1, f2 = scaled[0], scaled[1]
    (t1, t2), (w1, w2) = (_T1, _T2), (_W1, _W2)
    g1, g2 = f1 / (1 - t1), f2 / (1 - t2)
    slope = xp.abs(g2 - g1) / ((t2 - t1) * xp.maximum(xp.abs(g1), xp.abs(g2)))
    two = _rescaled(ops, (w1 * f1 + w2 * f2) * power, w1 * values[0] + w2 * values[1])
    whole, halves = (
        _rescaled(ops, _weighted(ops, scaled[span], w, like) * power, _weighted(ops, values[span], w, like))
        for span, w in ((_SPANS[1], _WHOLE_WEIGHTS), (_SPANS[2], _HALF_WEIGHTS))
    )
    steep = ~(slope <= RHO)
    fallback = ~close
    settled = fallback & (bound <= 1e-12 * xp.abs(direct))
    unresolved = fallback & ~(xp.abs(halves - whole) <= bound)
    remainder = xp.where(steep, xp.where(settled | unresolved, direct, halves), two)
    return xp.where(take_direct, direct, remainder)


def _direct(xp: Any, terms: list[Array]) -> tuple[Array, Array]:
    """(A₂ − A₁ − g, |A₁| + |A₂| + |g|)."""
    a1, a2, inner = terms
    return a2 - a1 - inner, xp.abs(a1) + xp.abs(a2) + xp.abs(inner)


def float64_for_float32(ops: Ops, like: Array) -> Any:
    """float64 when ``like`` is float32 and the namespace computes in float64 (JAX only with
    ``jax_enable_x64``), else None."""
    xp = ops.xp
    if like.dtype != xp.float32:
        return None
    if ops.name == "jax":
        import jax

        if not jax.config.jax_enable_x64:
            return None
    return xp.float64


def _nodes(ops: Ops, integrand: Callable[..., Array], arrays: list[Array], like: Array) -> Array:
    """f(tⱼ, θ…) for every node tⱼ of _NODES, stacked along a new leading axis."""
    xp = ops.xp
    shape = tuple(arrays[0].shape)
    t = xp.reshape(ops.asarray(list(_NODE_LIST), like), (len(_NODE_LIST),) + (1,) * len(shape))
    value = integrand(t, *arrays)
    if is_number(value):
        value = ops.asarray(value, like)
    return xp.broadcast_to(value, (len(_NODE_LIST), *shape))


def _binade(xp: Any, values: Array) -> tuple[Array, Array]:
    """(values·2⁻ᵉ, 2ᵉ) per entry, e = ⌊log₂ maxⱼ|fⱼ|⌋ where that largest node value is a normal
    number below 1, else e = 0: an exact rescaling.  XLA on the CPU flushes subnormal products to
    zero, and the quadrature's terms wⱼfⱼ (wⱼ down to 10⁻³) are subnormal where the KL is within a
    factor 10³ of the smallest normal float (Binomial logits (−80, −80.08) in float32: KL 2.2e-37,
    every term flushed, the sum 0)."""
    top = xp.max(xp.abs(values), axis=0)
    tiny = _TINY64 if values.dtype == xp.float64 else _TINY32
    small = (top >= tiny) & (top < 1)
    # ⌊log₂⌋ may be off by one next to a power of 2: the scaled values stay ≤ 4 either way.
    e = xp.where(small, xp.floor(xp.log2(xp.where(small, top, xp.ones_like(top)))), xp.zeros_like(top))
    return values * 2.0 ** (-e), 2.0**e


def _rescaled(ops: Ops, value: Array, plain: Array) -> Array:
    """``value`` (the rule summed after :func:`_binade`) with the derivative of ``plain`` (the same
    rule summed as it is): reverse-mode autodiff of the rescaled sum meets the weights and 2ᵉ
    before 2⁻ᵉ, and XLA flushed the subnormal products wⱼ2ᵉ (Binomial logits (−690, −689.999),
    KL 4.3e-306: ∂KL/∂θ 1.2 % low).  Where ``plain`` is not finite its derivative is not added."""
    xp = ops.xp
    finite = xp.isfinite(plain)
    return _detached(ops, value) + xp.where(finite, plain - _detached(ops, plain), xp.zeros_like(plain))


def _detached(ops: Ops, x: Array) -> Array:
    """``x`` without derivative (torch, JAX); namespaces without autodiff: ``x``."""
    if ops.name == "jax":
        import jax

        return jax.lax.stop_gradient(x)
    if ops.name == "torch":
        return x.detach()
    return x


def _weighted(ops: Ops, values: Array, weights: tuple[float, ...], like: Array) -> Array:
    """Σⱼ wⱼ·values[j] over the leading axis."""
    w = ops.asarray(list(weights), like)
    return ops.xp.sum(ops.xp.reshape(w, (len(weights),) + (1,) * (values.ndim - 1)) * values, axis=0)
