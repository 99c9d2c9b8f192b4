"""Policy heads: the distribution a network outputs per state, with its exact KL and Fisher product.

A head's parameters are a tuple of arrays with a leading state axis:

* :class:`CategoricalLogits` — ``(z,)``, z of shape (..., K): all K logits of a softmax (any
  shift).  KL = Σᵢ kl_div(pᵢ, qᵢ) (:func:`symgeom.backends.vector.categorical_logits`; JAX and
  eager CPU torch evaluate it in three fused row passes, :mod:`symgeom.backends.softmax_kl`); Fisher in
  these K coordinates F = diag(p) − ppᵀ, singular along 1 (shifting every logit leaves the
  distribution unchanged), so F·u = p⊙u − p(pᵀu) is exact and conjugate gradient on the network
  Fisher JᵀFJ needs damping λ > 0 or a right-hand side in its range (a policy gradient is: the
  gradient of any function of softmax z sums to 0 over the logits, and range F = {u: Σuᵢ = 0}).
* :class:`DiagonalGaussian` — ``(mean, log_std)``, each of shape (..., d) (log_std may broadcast):
  the product of d univariate Gaussians in the ``mean_logstd`` chart, so KL and Fisher are the
  printed d = 1 stable KL and Fisher of ``sg.Gaussian("mean_logstd")`` summed (KL) or applied
  coordinate by coordinate (F = diag(e^{−2 log σ}, 2)) over the last axis: no symbolic cost per d.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from symgeom.backends import fast_grad, numpy_route, printer, softmax_kl, vector
from symgeom.backends.ops import is_number, widen
from symgeom.errors import InvalidParameterError

Array = Any
Params = tuple[Array, ...]


def _narrow(ops: Any, out: Array, like: Array) -> Array:
    """The result in the dtype of the inputs (16-bit floats are computed in float32)."""
    return out if out.dtype == like.dtype else ops.xp.astype(out, like.dtype)


@dataclass(frozen=True)
class CategoricalLogits:
    """A softmax over ``k`` actions, parameterized by all k logits."""

    k: int

    def __post_init__(self) -> None:
        if not (isinstance(self.k, int) and self.k >= 2):
            raise InvalidParameterError(f"k must be an integer >= 2, got {self.k!r}")

    def check(self, params: Params) -> None:
        """Refuse anything but one logit array whose last axis is all k logits."""
        if len(params) != 1:
            raise InvalidParameterError(f"a categorical head takes (logits,), got {len(params)} arrays")
        (z,) = params
        if z.ndim < 1 or z.shape[-1] != self.k:
            raise InvalidParameterError(
                f"logits must have shape (..., {self.k}) (all {self.k} logits of the softmax), "
                f"got {tuple(z.shape)}"
            )

    def kl(self, ops: Any, old: Params, new: Params) -> Array:
        """KL(π_old(·|s)‖π_new(·|s)) per state."""
        self.check(old)
        self.check(new)
        z1, z2 = widen(ops, old[0]), widen(ops, new[0])
        if numpy_route.usable(ops, [z1, z2]):
            out = numpy_route.call(softmax_kl.numpy_kl, [z1, z2], z2.dtype)
        elif ops.name == "torch" and fast_grad.usable([z1, z2]):
            out = fast_grad.apply(
                lambda *z: numpy_route.call(softmax_kl.numpy_kl, list(z), z2.dtype),
                lambda *z: vector.categorical_logits(ops, *z),
                [z1, z2],
            )
        else:
            out = vector.categorical_logits(ops, z1, z2)
        return _narrow(ops, out, new[0])

    def fisher_product(self, ops: Any, params: Params, tangent: Params) -> Params:
        """F(z)·u = p⊙u − p(pᵀu), F = diag(p) − ppᵀ over all k logits."""
        self.check(params)
        xp = ops.xp
        p = xp.exp(vector.log_softmax(ops, params[0]))
        u = tangent[0]
        return (p * (u - xp.sum(p * u, axis=-1)[..., None]),)

    def log_prob(self, ops: Any, params: Params, actions: Array) -> Array:
        """log π(a|s) for integer actions of the batch shape."""
        self.check(params)
        xp = ops.xp
        logp = vector.log_softmax(ops, params[0])
        onehot = xp.astype(actions[..., None] == ops.asarray(np.arange(self.k), actions), logp.dtype)
        return xp.sum(logp * onehot, axis=-1)


@cache
def _gaussian_kernels() -> tuple[printer.Source, printer.Source]:
    """The printed d = 1 KL (θ₁, θ₂ = μ, log σ) and Fisher of the ``mean_logstd`` chart."""
    import symgeom as sg
    from symgeom.numeric.symbolic import stable_kl

    family = sg.Gaussian("mean_logstd")
    kl = printer.print_source((stable_kl(family),), family.symbols(1) + family.symbols(2))
    fisher = sg.fisher(family)
    return kl, printer.print_source(tuple(fisher.result), tuple(fisher.arguments))


def _gaussian_numpy_kl(mean_1: Array, log_std_1: Array, mean_2: Array, log_std_2: Array) -> Array:
    """Σⱼ KL over the last axis with the NumPy kernel of ``sg.Gaussian("mean_logstd")``."""
    import symgeom as sg

    kl = sg.kl(sg.Gaussian("mean_logstd")).numpy(validate=False)
    return kl(mean_1, log_std_1, mean_2, log_std_2).sum(axis=-1)


@dataclass(frozen=True)
class DiagonalGaussian:
    """d independent Gaussians with means and log standard deviations from the network."""

    d: int

    def __post_init__(self) -> None:
        if not (isinstance(self.d, int) and self.d >= 1):
            raise InvalidParameterError(f"d must be an integer >= 1, got {self.d!r}")

    def check(self, params: Params) -> None:
        if len(params) != 2:
            raise InvalidParameterError(f"a Gaussian head takes (mean, log_std), got {len(params)} arrays")
        for name, x in zip(("mean", "log_std"), params, strict=True):
            if x.ndim < 1 or x.shape[-1] != self.d:
                raise InvalidParameterError(f"{name} must have shape (..., {self.d}), got {tuple(x.shape)}")

    def kl(self, ops: Any, old: Params, new: Params) -> Array:
        """Σⱼ ½[((μ₁ⱼ − μ₂ⱼ)/σ₂ⱼ)² + kl_div(1, σ₁ⱼ²/σ₂ⱼ²)] per state."""
        self.check(old)
        self.check(new)
        arrays = [*old, *new]
        if numpy_route.usable(ops, arrays):
            return numpy_route.call(_gaussian_numpy_kl, arrays, new[0].dtype)
        source, _ = _gaussian_kernels()
        (terms,) = printer.bind(source, ops)(*[widen(ops, x) for x in (*old, *new)])
        return _narrow(ops, ops.xp.sum(terms, axis=-1), new[0])

    def fisher_product(self, ops: Any, params: Params, tangent: Params) -> Params:
        """(F·u) per coordinate with the printed 2×2 Fisher of (μ, log σ)."""
        self.check(params)
        _, source = _gaussian_kernels()
        f = [ops.asarray(v, params[0]) if is_number(v) else v
             for v in printer.bind(source, ops)(*params)]
        u_mean, u_log_std = tangent
        return (f[0] * u_mean + f[1] * u_log_std, f[2] * u_mean + f[3] * u_log_std)

    def log_prob(self, ops: Any, params: Params, actions: Array) -> Array:
        """Σⱼ log N(aⱼ; μⱼ, σⱼ²) per state."""
        self.check(params)
        xp = ops.xp
        mean, log_std = params
        z = (actions - mean) * xp.exp(-log_std)
        return xp.sum(-0.5 * z * z - log_std - 0.5 * math.log(2 * math.pi), axis=-1)
