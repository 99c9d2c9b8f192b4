"""H(softmax z) on torch tensors with its derived gradient ∂H/∂zⱼ = −pⱼ(sⱼ + T).

The computation of :mod:`symgeom.backends.softmax_entropy` as a ``torch.autograd.Function``
(eager on CPU and CUDA, in the input dtype).  The backward pass recomputes the rule from z with
differentiable operations, so with ``create_graph=True`` (double backward, Hessian-vector
products) autograd differentiates the rule itself.
"""

from __future__ import annotations

from typing import Any

import torch

from symgeom.backends import softmax_entropy
from symgeom.backends.torch_softmax_kl import _Torch

Array = Any


class SoftmaxEntropy(torch.autograd.Function):
    """z ↦ H(softmax z) per row (defined at import: a class built inside a traced call would
    split an outer ``torch.compile``'s graph).  Forward-mode ``jvp`` and ``torch.func``
    transforms (``setup_context``, ``generate_vmap_rule``) use the same derived rule."""

    generate_vmap_rule = True

    @staticmethod
    def forward(z: Array) -> Array:
        return softmax_entropy.value(_Torch, torch.Tensor.detach, z)

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Array], output: Array) -> None:
        (z,) = inputs
        ctx.save_for_backward(z)
        ctx.save_for_forward(z)

    @staticmethod
    def backward(ctx: Any, grad: Array) -> Array:
        (z,) = ctx.saved_tensors
        return grad[..., None] * softmax_entropy.gradient(_Torch, torch.Tensor.detach, z)

    @staticmethod
    def jvp(ctx: Any, dz: Array) -> Array:
        (z,) = ctx.saved_tensors
        return (softmax_entropy.gradient(_Torch, torch.Tensor.detach, z) * dz).sum(dim=-1)


def entropy(z: Array) -> Array:
    """H(softmax z) over the last axis (float32 or float64 tensors)."""
    if z.numel() == 0:
        return torch.zeros(z.shape[:-1], dtype=z.dtype, device=z.device)
    return SoftmaxEntropy.apply(z)
