"""KL of probability vectors and logit vectors of any length k, built from the primitives.

These are the stable forms Σᵢ kl_div(pᵢ, qᵢ) and Σᵢ qᵢ·χ(yᵢ) of the Categorical family written
over an array axis instead of k symbols, so their cost does not grow with a symbolic k (the
vector charts of a network's softmax head; the same forms symgeom.numeric.kl evaluates).
"""

from __future__ import annotations

from typing import Any

from symgeom.backends import eager_torch, torch_compile
from symgeom.backends.tiny_kl import rescue_vector

Array = Any


def log_softmax(ops: Any, z: Array) -> Array:
    """ℓᵢ = zᵢ − logsumexp(z), with the dominant class's ℓ to its own relative accuracy
    (:func:`symgeom.backends.softmax_kl.log_softmax`)."""
    from symgeom.backends.softmax_kl import log_softmax as accurate

    return accurate(ops.xp, z)


def categorical_probs(ops: Any, p: Array, q: Array) -> Array:
    """KL(p̂‖q̂) = [Σᵢ kl_div(pᵢ, qᵢ) − kl_div(Σp, Σq)]/Σp, p̂ = p/Σp (exact for unnormalized rows).

    kl_div is 1-homogeneous, so Σᵢ kl_div(pᵢ, qᵢ) = Σp·KL(p̂‖q̂) + kl_div(Σp, Σq); the gap
    Σp − Σq is summed from the exact differences pᵢ − qᵢ.
    """
    xp = ops.xp
    d = p - q
    total_p = xp.sum(p, axis=-1)
    gap = xp.sum(d, axis=-1)
    terms = xp.sum(ops.kl_div(p, q, d), axis=-1)
    value = (terms - ops.kl_div(total_p, total_p - gap, gap)) / total_p
    return rescue_vector(ops, value, "simplex", p, q)  # subnormal KLs on JAX (backends.tiny_kl)


def categorical_logits(ops: Any, z1: Array, z2: Array) -> Array:
    """KL(softmax z₁‖softmax z₂) = Σᵢ kl_div(pᵢ, qᵢ) with log(pᵢ/qᵢ) = yᵢ formed without cancellation.

    With Δ = z₁ − z₂ and x = Δ − Σⱼqⱼ Δⱼ, yᵢ = xᵢ − log1p(Σⱼ qⱼ expm1(xⱼ)) (the correction is
    second order in x, so y keeps its relative accuracy when z₁ ≈ z₂); rows with some |xⱼ| ≥ 1
    use yᵢ = ℓᵢ(z₁) − ℓᵢ(z₂).  pᵢ − qᵢ = qᵢ·expm1(yᵢ) for |yᵢ| < ½, else the plain difference.
    JAX, and torch on CUDA (:mod:`symgeom.backends.torch_softmax_kl`), evaluate the fused row
    form of :mod:`symgeom.backends.softmax_kl` instead (the same KL, float32 error below 1e-6).
    """
    if ops.name == "jax":
        from symgeom.backends.softmax_kl import jax_kl

        return rescue_vector(ops, jax_kl()(z1, z2), "pinned", z1, z2)  # subnormal KLs
    if ops.name == "torch" and torch_compile.fused_rows(z1, z2):
        from symgeom.backends import torch_softmax_kl

        return torch_softmax_kl.kl(z1, z2)
    xp = ops.xp
    l2 = log_softmax(ops, z2)
    q = xp.exp(l2)
    dz = z1 - z2
    x = dz - xp.sum(q * dz, axis=-1)[..., None]
    near = xp.max(xp.abs(x), axis=-1) < 1
    # Eager torch reads the masks and skips a branch no entry takes (same values, fewer passes).
    known = ops.name == "torch" and eager_torch.eager(z1, z2)
    if known and bool(xp.all(near)):
        y = x - xp.log1p(xp.sum(q * xp.expm1(x), axis=-1))[..., None]
    else:
        x_near = xp.where(near[..., None], x, xp.zeros_like(x))
        y_near = x_near - xp.log1p(xp.sum(q * xp.expm1(x_near), axis=-1))[..., None]
        y = xp.where(near[..., None], y_near, log_softmax(ops, z1) - l2)
    p = xp.exp(l2 + y)
    small = xp.abs(y) < 0.5
    if known and bool(xp.all(small)):
        d = q * xp.expm1(y)
    else:
        d = xp.where(small, q * xp.expm1(xp.where(small, y, xp.zeros_like(y))), p - q)
    return xp.sum(ops.kl_div(p, q, d, y), axis=-1)
