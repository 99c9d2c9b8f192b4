"""H(softmax z) = −Σᵢ pᵢ log pᵢ over the last axis, any k, as a sum of non-negative terms, with
its derived gradient (JAX ``custom_jvp``; torch in :mod:`symgeom.backends.torch_softmax_entropy`).

With m = max z, sᵢ = zᵢ − m ≤ 0, wᵢ = e^{sᵢ}, r = Σᵢ wᵢ − 1 (the sum without one top class,
ties at the top counted exactly: r = Σ_{sᵢ<0} wᵢ + (#{sᵢ = 0} − 1)) and S = 1 + r = Σw,

    log pᵢ = sᵢ − log1p(r),
    H = Σᵢ pᵢ (log1p(r) − sᵢ) = log1p(r) + T,    T = Σᵢ pᵢ·(−sᵢ) = Σᵢ wᵢ(−sᵢ)/S,

(Σpᵢ = 1), two non-negative quantities, each a sum of non-negative terms: nothing cancels, H ≥ 0
without a clamp, and a tiny entropy keeps its relative accuracy (one class dominant by Δ:
log1p(r) ≈ r and H ≈ Σ_{i≠top} pᵢ(1 − sᵢ) ≈ e^{−Δ}(1 + Δ), to a few ulps where the derived
form log(Σe^z) − Σzᵢe^{zᵢ}/Σe^z is accurate only to ε·log k in absolute terms).  A class whose
wᵢ underflows adds 0·|sᵢ| = 0 (logits are finite: the domain is checked before).  The only rounding
an input suffers is that of sᵢ = zᵢ − m, relative ε/2 in sᵢ, hence ε|sᵢ|/2 in wᵢ.

Gradient, derived (∂log pᵢ/∂zⱼ = δᵢⱼ − pⱼ, ∂pᵢ/∂zⱼ = pᵢ(δᵢⱼ − pⱼ)):

    ∂H/∂zⱼ = −pⱼ(log pⱼ + H) = −pⱼ(sⱼ + T),

since log pⱼ + H = sⱼ − log1p(r) + log1p(r) + T: the two O(1) log1p(r) terms cancel exactly in
the algebra instead of in floating point (autograd through the derived form lost 6.7e3 float32
ulps at z = (−12, 0, 0) and returned 0 for ∂H/∂z₂ = −4.2e-17 at (−40, 0, 0)).  For a top class
sⱼ = 0 and the component is −pⱼT exactly; elsewhere −sⱼ − T cancels only where the component is
small next to pⱼ|sⱼ| (its condition).  m carries no derivative (sⱼ + T = zⱼ − Σpᵢzᵢ does not
depend on it), and the rule is made of differentiable operations, so ``jax.hessian`` and torch's
double backward work (third derivatives are not claimed: at a top class 1 + sⱼ stands for e^{sⱼ}).

Functions are namespace-generic (``xp`` with max/sum(axis, keepdims), where, exp, log1p,
zeros_like), as in :mod:`symgeom.backends.softmax_kl`; :func:`numpy_entropy` evaluates float32 in
float64 blocks (z − m then rounds to float64, far below a float32 ulp: measured ≤ 0.5 ulp after
the one rounding back), torch and JAX in the input dtype.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

Array = Any

#: Entries per block of rows in :func:`numpy_entropy` (a few float64 buffers stay in cache).
_BLOCK = 1 << 16


#: Rows whose largest sᵢ < 0 is below −C are evaluated scaled by e^{C}: vᵢ = e^{sᵢ + C}; with one
#: top class the entropy is below about k·e^{−C} and H = e^{−C}·Σ_{i≠top} vᵢ(1 − sᵢ) (log1p(r) = r
#: and S = 1 to the last bit there, r ≤ k·e^{−C} < ε); with ties H = log1p(r) + T as elsewhere,
#: and the gradient (every component below k·e^{−C}) is scaled back last.  XLA flushes subnormal
#: intermediates to zero, so e^{sᵢ} itself would lose an entropy of 1.7e-38 (float32) made of
#: subnormal wᵢ times |sᵢ| ≈ 90; after scaling the terms are normal.  C: 40 for float32
#: (e^{−40}k < 6e-8 for k < 10⁹; unscaled rows have H ≥ e^{−40}, 10²⁰ times what a flushed
#: subnormal term can carry), 600 for float64.
SCALE = {32: 40.0, 64: 600.0}


def _bits(xp: Any, x: Array) -> int:
    return 64 if x.dtype == xp.float64 else 32


def parts(xp: Any, stop: Any, z: Array) -> tuple[Array, ...]:
    """(s, v, at_top, single, scale, V, U, r, S, T) per the module docstring and :data:`SCALE`:
    vᵢ = e^{sᵢ}·e^{b}, b = C in a scaled row else 0, ``scale`` = e^{−b}, V = Σ_{non-top} vᵢ,
    U = Σ vᵢ(−sᵢ), r = V·scale + (ties − 1), S = 1 + r, T = U·scale/S, ``single``: a scaled row
    with one top class; row values keep their axis.  ``stop`` detaches the row maximum and b (no
    derivative flows through either)."""
    c = SCALE[_bits(xp, z)]
    top = stop(xp.max(z, axis=-1, keepdims=True))
    s = z - top
    zero = xp.zeros_like(s)
    at_top = s == 0
    # The top classes counted as integers, the others summed on their own, so r = 1e-300 is not
    # lost in 1 + 1e-300.  1 + sᵢ (= 1 at a top class) stands for e^{sᵢ} there: the same value
    # and first derivative, which is all the gradient rule and its derivative (the Hessian) use.
    ties = xp.sum(xp.where(at_top, s + 1, zero), axis=-1, keepdims=True) - 1
    second = xp.max(xp.where(at_top, zero - math.inf, s), axis=-1, keepdims=True)
    tiny = stop(second < -c)
    b = xp.where(tiny, zero[..., :1] + c, zero[..., :1])
    v = xp.exp(s + b)
    big_v = xp.sum(xp.where(at_top, zero, v), axis=-1, keepdims=True)
    u = xp.sum(v * -s, axis=-1, keepdims=True)  # an underflowed class adds 0·|sᵢ| = 0
    scale = xp.exp(-b)
    r = big_v * scale + ties
    total = r + 1
    t = u * scale / total
    return s, v, at_top, tiny & (ties == 0), scale, big_v, u, r, total, t


def value(xp: Any, stop: Any, z: Array) -> Array:
    """H = log1p(r) + T per row (scaled rows with one top class: e^{−C}(V + U)); the last axis
    dropped."""
    _, _, _, single, scale, big_v, u, r, _, t = parts(xp, stop, z)
    return xp.where(single, (big_v + u) * scale, xp.log1p(r) + t)[..., 0]


def gradient(xp: Any, stop: Any, z: Array) -> Array:
    """∂H/∂z = −p ⊙ (s + T), the shape of z: −((1 + sⱼ)(sⱼvⱼ + U/S)/S)·e^{−b} for a top class
    (sⱼ = 0: the value −U·e^{−b}/S², the first derivative that of −pⱼ(sⱼ + T)), (vⱼ(−sⱼ − T)/S)·e^{−b}
    for the others: the scale applied last, so a component made of a subnormal pⱼ times |sⱼ| is
    not flushed (in a scaled row every component is that small)."""
    s, v, at_top, _, scale, _, u, _, total, t = parts(xp, stop, z)
    other = (v * (-s - t) / total) * scale
    # sⱼvⱼ = sⱼe^{b} at a top class: the same rounded e^{b} as U's term vⱼ(−sⱼ), so the O(1)
    # parts of their derivatives cancel exactly (∂²H/∂z_top² is e^{−600}-small in a scaled row)
    first = -((1 + s) * (s * v + u / total) / total) * scale
    return xp.where(at_top, first, other)


def _identity(x: Array) -> Array:
    return x


def numpy_entropy(z: Array) -> Array:
    """H(softmax z) over the last axis of a NumPy array (float32 or float64, shape (..., k)), in
    blocks of rows; float32 is computed in float64 and rounded once."""
    import numpy as np

    z = np.asarray(z)
    dtype = np.result_type(z, np.float32)
    k = z.shape[-1]
    batch = z.shape[:-1]
    flat = z.reshape(-1, k) if k else z.reshape(-1, 0)
    out = np.empty(flat.shape[0], dtype=dtype)
    if k == 0:
        return np.zeros(batch, dtype=dtype)
    step = max(1, _BLOCK // k)
    with np.errstate(under="ignore", invalid="ignore", over="ignore"):
        for start in range(0, flat.shape[0], step):
            block = np.asarray(flat[start : start + step], dtype=np.float64)
            out[start : start + step] = value(np, _identity, block)
    return out.reshape(batch)


def numpy_gradient(z: Array) -> Array:
    """∂H/∂z of :func:`numpy_entropy` (float32 computed in float64 and rounded once)."""
    import numpy as np

    z = np.asarray(z)
    dtype = np.result_type(z, np.float32)
    with np.errstate(under="ignore", invalid="ignore", over="ignore"):
        return gradient(np, _identity, np.asarray(z, dtype=np.float64)).astype(dtype)


@cache
def jax_entropy() -> Any:
    """The JAX function z ↦ H(softmax z) over the last axis, with the derived jvp."""
    import jax
    import jax.numpy as jnp

    stop = jax.lax.stop_gradient

    from symgeom.backends.tiny_entropy import softmax_rows

    @jax.custom_jvp
    def entropy(z: Array) -> Array:
        return softmax_rows(value(jnp, stop, z), z)  # subnormal entropies assembled, not flushed

    @entropy.defjvp
    def _jvp(primals: tuple[Array], tangents: tuple[Array]) -> tuple[Array, Array]:
        (z,), (dz,) = primals, tangents
        return entropy(z), jnp.sum(gradient(jnp, stop, z) * dz, axis=-1)

    return entropy


def entropy(ops: Any, z: Array) -> Array:
    """H(softmax z) over the last axis for the array backends (the vector form of
    :mod:`symgeom.backends.compile`): JAX and torch with the derived gradient, any other Array
    API namespace by the same namespace-generic value."""
    if ops.name == "jax":
        return jax_entropy()(z)
    if ops.name == "torch":
        from symgeom.backends import torch_softmax_entropy

        return torch_softmax_entropy.entropy(z)
    return value(ops.xp, _identity, z)


def applies(family: Any) -> bool:
    """Whether ``family``'s entropy is H(softmax z) of its one array argument, read from its data:
    the softmax structure in the natural chart (A(η) = log(1 + Σe^{ηᵢ}), T one-hot, h = 1, the
    chart coordinates η: :func:`symgeom.numeric.structure.kl_structure`) and one ``pinned``
    vector argument z (the parameters are zᵢ − z_k, so softmax(η, 0) = softmax z)."""
    if family is None or family.exponential_form is None:
        return False
    arrays = family.chart.array_arguments
    if len(arrays) != 1 or arrays[0].form != "pinned":
        return False
    from symgeom.numeric.structure import KLStructure, kl_structure

    return kl_structure(family) == KLStructure("softmax", "natural")


#: The formula a compiled function's signature states.
FORMULA = ("H(softmax z) = log1p(r) + Σᵢ pᵢ(m − zᵢ), m = max z, r = Σe^{z−m} − 1 "
           "(symgeom.backends.softmax_entropy)")
