"""KL(softmax z₁‖softmax z₂) in three fused row passes, with its derived gradient (JAX ``custom_jvp``).

With p = softmax z₁, d = z₂ − z₁, any row constant c and d′ = d − c,

    KL = log E_p[e^{d′}] − E_p[d′] = S + h(u),   S = E_p[g(d′)],  m = E_p[d′],  u = S + m,
    g(x) = eˣ − 1 − x ≥ 0,   h(u) = log1p(u) − u ≤ 0,

an identity for every c.  With c ≈ E_p[d] (so m is a rounding residual), S carries the whole KL
to first order and h(u) ≈ −u²/2 is a second-order correction; S is a weighted mean of
non-negative terms, so nothing cancels and the result is ≥ 0 (clamped at 0 against rounding).
g is its Taylor series for |x| ≤ 1 (no cancellation) and expm1(x) − x beyond; the KL is
S + h(u) with h's series for |u| < 0.05 and log1p(u) − m beyond (the same number, without S − u
cancelling when u is large).
Expectations are ratios of unnormalized sums with weights w = e^{z₁ − max z₁}: the weights
never take the rounding of log Σ e^{z₁} (≈ |log Σ e^{z₁}|·ε in every p, the float32 error of a
log_softmax form), only that of z₁ − max z₁.

Passes over the rows: max z₁ (w); Σw and Σw·d (c = Σw·d/Σw); Σw·g(d′), Σw·d′ and max|d′|.
Under ``jax.jit`` XLA turns each reduction into one fused loop; what it stores between passes is
w, d and d′ (where the log-softmax form of distrax stores the two shifted logit arrays).  When
every |d′| ≤ 1 (a policy update, a KL penalty between nearby models) g is one polynomial; else g
takes its ``where`` form, chosen for the whole batch (``lax.cond``), so the common case does not
pay for a branch it does not take.  A row with max|d′| beyond :data:`LIMIT` (where e^{d′} could
overflow) is evaluated instead as Σ p(log p − log q) with log-softmaxes (accurate there: the KL
is large), only when some row needs it.  :func:`numpy_kl` is the same computation on NumPy
arrays in cache-sized blocks of rows (what eager CPU torch runs).

Gradient (derived, not autodiffed through the branches): with y = log(p/q) = log1p(u) − d′,

    ∂KL/∂z₁ = p ⊙ (y − KL),      ∂KL/∂z₂ = q − p = p ⊙ expm1(−y),

both accurate near p = q (no difference of rounded probabilities) and 0, not nan, at p = q;
the rule is made of differentiable operations, so ``jax.hessian`` works.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

from symgeom.backends import placement

Array = Any

#: |x| up to which g(x) = eˣ − 1 − x is evaluated by its Taylor series Σₙ₌₂..N xⁿ/n!: at |x| = 1
#: the first omitted term is below 2/(N+1)! of g: N = 11 → 4.2e-9 (float32), N = 18 → 1.6e-17
#: (float64).  Beyond 1, expm1(x) − x cancels at most 2.4×.
G_SERIES = {32: (1.0, 11), 64: (1.0, 18)}
#: |u| below which h(u) = log1p(u) − u uses Σₙ₌₂..N (−1)^{n+1} uⁿ/n: first omitted term below
#: 2·0.05^{N−1}/(N+1) of h: N = 7 → 3.9e-9, N = 13 → 3.5e-17.
H_SERIES = {32: (0.05, 7), 64: (0.05, 13)}
#: max d′ beyond which e^{d′} (times k ≤ 10¹²) could overflow: such rows take the plain form.
LIMIT = {32: 60.0, 64: 600.0}
#: Entries per block of rows (NumPy: three buffers of this size stay in a 1–2 MB cache; JAX: the
#: per-block arrays XLA stores between passes).  JAX at 4 096 × 32 000 float32 (2-core CPU):
#: blocks of 2¹⁸ entries 0.23 s, 2¹⁶ 0.53 s, 2²⁰ 1.35 s, unblocked 2.55 s (distrax's form 1.78 s).
_BLOCK = 1 << 16
_JAX_BLOCK = 1 << 18


def _bits(xp: Any, x: Array) -> int:
    return 64 if x.dtype == xp.float64 else 32


def _g_series(x: Array, bits: int) -> Array:
    """Σₙ₌₂..N xⁿ/n! (g(x) for |x| ≤ 1)."""
    order = G_SERIES[bits][1]
    acc = x * 0 + 1.0 / math.factorial(order)
    for n in range(order - 1, 1, -1):
        acc = acc * x + 1.0 / math.factorial(n)
    return acc * x * x


def _g(xp: Any, x: Array, bits: int) -> Array:
    """g(x) = eˣ − 1 − x ≥ 0, any x."""
    near = xp.abs(x) <= G_SERIES[bits][0]
    series = _g_series(xp.where(near, x, xp.zeros_like(x)), bits)
    return xp.where(near, series, xp.expm1(x) - x)


def _h_series(u: Array, bits: int) -> Array:
    """Σₙ₌₂..N (−1)^{n+1} uⁿ/n (h(u) = log1p(u) − u for |u| < 0.05)."""
    order = H_SERIES[bits][1]
    acc = u * 0 + (1.0 if order % 2 else -1.0) / order
    for n in range(order - 1, 1, -1):
        acc = acc * u + (1.0 if n % 2 else -1.0) / n
    return acc * u * u


def prepare(xp: Any, stop: Any, z1: Array, z2: Array) -> tuple[Array, Array, Array, Array, Array]:
    """Passes 1–2 and the deviations: (w, Σw, d′, E_p[d′], max|d′|) per row (row values keep
    their axis), c = Σw·d/Σw.  Only d′ depends on c, and the KL does not depend on c, so the
    row constants (max z₁, c) carry no derivative."""
    top = stop(xp.max(z1, axis=-1, keepdims=True))
    w = xp.exp(z1 - top)
    d = z2 - z1
    total = xp.sum(w, axis=-1, keepdims=True)
    c = stop(xp.sum(w * d, axis=-1, keepdims=True) / total)
    dp = d - c
    m = xp.sum(w * dp, axis=-1, keepdims=True) / total
    return w, total, dp, m, xp.max(xp.abs(dp), axis=-1, keepdims=True)


def finish(xp: Any, s: Array, m: Array) -> Array:
    """KL = S + h(u), u = S + m, near u = 0 (h by its series); log1p(u) − m elsewhere (the same
    number without S − u cancelling when u is large); clamped at 0 against rounding (S ≥ 0 ≥ h)."""
    bits = _bits(xp, s)
    u = s + m
    near = xp.abs(u) < H_SERIES[bits][0]
    series = s + _h_series(xp.where(near, u, xp.zeros_like(u)), bits)
    direct = xp.log1p(xp.where(near, xp.zeros_like(u), u)) - m
    return xp.maximum(xp.where(near, series, direct), 0)


def expectation_g(xp: Any, w: Array, total: Array, dp: Array, series_only: bool) -> Array:
    """S = Σw·g(d′)/Σw; ``series_only`` when every |d′| ≤ the series bound (one polynomial)."""
    bits = _bits(xp, dp)
    g = _g_series(dp, bits) if series_only else _g(xp, dp, bits)
    return xp.sum(w * g, axis=-1, keepdims=True) / total


@cache
def jax_kl() -> Any:
    """The JAX function (z₁, z₂) ↦ KL over the last axis, with the derived jvp."""
    import jax
    import jax.numpy as jnp

    stop = jax.lax.stop_gradient

    def value(z1: Array, z2: Array) -> Array:
        w, total, dp, m, spread = prepare(jnp, stop, z1, z2)
        bits = _bits(jnp, z1)
        s = jax.lax.cond(
            jnp.any(spread > G_SERIES[bits][0]),
            lambda: expectation_g(jnp, w, total, dp, series_only=False),
            lambda: expectation_g(jnp, w, total, dp, series_only=True),
        )
        out = finish(jnp, s, m)
        far = spread > LIMIT[bits]
        return jax.lax.cond(
            jnp.any(far), lambda: jnp.where(far, jnp.maximum(_plain(z1, z2), 0), out), lambda: out
        )[..., 0]

    def blocked(z1: Array, z2: Array) -> Array:
        """``value`` over blocks of about :data:`_JAX_BLOCK` entries (``lax.map``) on the CPU:
        XLA stores w, d, d′ per block, in cache, instead of arrays the size of the batch (on a
        GPU the blocks would run one after another: :mod:`symgeom.backends.placement`)."""
        k = z1.shape[-1]
        batch = z1.shape[:-1]
        a, b = jnp.reshape(z1, (-1, k)), jnp.reshape(z2, (-1, k))
        rows = a.shape[0]
        step = max(1, _JAX_BLOCK // max(k, 1))
        if rows <= step or not placement.jax_blocks(z1, z2):
            return value(z1, z2)
        pad = (-rows) % step
        a = jnp.pad(a, ((0, pad), (0, 0))).reshape(-1, step, k)  # zero rows: KL = 0
        b = jnp.pad(b, ((0, pad), (0, 0))).reshape(-1, step, k)
        out = jax.lax.map(lambda pair: value(*pair), (a, b))
        return jnp.reshape(jnp.reshape(out, (-1,))[:rows], batch)

    @jax.custom_jvp
    def kl(z1: Array, z2: Array) -> Array:
        return blocked(z1, z2)

    @kl.defjvp
    def _jvp(primals: tuple[Array, Array], tangents: tuple[Array, Array]) -> tuple[Array, Array]:
        z1, z2 = primals
        t1, t2 = tangents
        out = kl(z1, z2)
        w, total, dp, m, spread = prepare(jnp, stop, z1, z2)
        far = stop(spread > LIMIT[_bits(jnp, z1)])
        dp_near = jnp.where(far, jnp.zeros_like(dp), dp)  # no overflow, no nan in any derivative
        u = expectation_g(jnp, w, total, dp_near, series_only=False) + jnp.where(far, 0.0, m)
        p = w / total
        y = jnp.where(far, _log_ratio(z1, z2), jnp.log1p(u) - dp_near)  # y = log(p/q)
        dz1 = p * (y - out[..., None])
        dz2 = p * jnp.expm1(-y)
        return out, jnp.sum(dz1 * t1, axis=-1) + jnp.sum(dz2 * t2, axis=-1)

    def _log_ratio(z1: Array, z2: Array) -> Array:
        return log_softmax(jnp, z1) - log_softmax(jnp, z2)

    def _plain(z1: Array, z2: Array) -> Array:
        """Σ p(log p − log q) with log-softmaxes (rows where some class moves far)."""
        return jnp.sum(jax.nn.softmax(z1, axis=-1) * _log_ratio(z1, z2), axis=-1, keepdims=True)

    def call(z1: Array, z2: Array) -> Array:
        z1, z2 = jnp.broadcast_arrays(z1, z2)
        return kl(z1, z2)

    return call


def numpy_kl(z1: Array, z2: Array) -> Array:
    """The same KL on NumPy arrays (float32 or float64, shape (..., k)), evaluated in blocks of
    rows that stay in cache, with reused buffers; the values of :func:`jax_kl` up to rounding.
    (What eager CPU torch runs, on zero-copy views: :mod:`symgeom.backends.numpy_route`.)"""
    import numpy as np

    z1, z2 = np.broadcast_arrays(z1, z2)
    dtype = np.result_type(z1, z2, np.float32)
    k = z1.shape[-1]
    batch = z1.shape[:-1]
    a_all = np.ascontiguousarray(z1, dtype=dtype).reshape(-1, k)
    b_all = np.ascontiguousarray(z2, dtype=dtype).reshape(-1, k)
    rows = a_all.shape[0]
    out = np.empty(rows, dtype=dtype)
    if rows == 0 or k == 0:
        return out.reshape(batch) if k else np.zeros(batch, dtype=dtype)
    bits = _bits(np, a_all)
    step = max(1, _BLOCK // k)
    w, dp, tmp = (np.empty((min(step, rows), k), dtype=dtype) for _ in range(3))
    with np.errstate(over="ignore", invalid="ignore"):
        for start in range(0, rows, step):
            a, b = a_all[start : start + step], b_all[start : start + step]
            out[start : start + step] = _numpy_rows(np, a, b, w[: len(a)], dp[: len(a)], tmp[: len(a)], bits)
    return out.reshape(batch)




def _numpy_rows(np: Any, a: Array, b: Array, w: Array, dp: Array, tmp: Array, bits: int) -> Array:
    """KL of a block of rows (see the module docstring), in place on the buffers w, dp, tmp."""
    np.subtract(a, a.max(axis=-1, keepdims=True), out=w)
    np.exp(w, out=w)
    np.subtract(b, a, out=dp)
    total = w.sum(axis=-1, keepdims=True)
    c = np.multiply(w, dp, out=tmp).sum(axis=-1, keepdims=True) / total
    dp -= c
    m = np.multiply(w, dp, out=tmp).sum(axis=-1, keepdims=True) / total
    spread = np.abs(dp).max(axis=-1)
    bound, order = G_SERIES[bits]
    if spread.max() <= bound:
        g = tmp
        g.fill(1.0 / math.factorial(order))
        for n in range(order - 1, 1, -1):
            g *= dp
            g += 1.0 / math.factorial(n)
        g *= dp
        g *= dp
    else:
        g = _g(np, dp, bits)
    g *= w
    s = g.sum(axis=-1, keepdims=True) / total
    out = finish(np, s, m)[..., 0]
    far = spread > LIMIT[bits]
    if far.any():
        l1, l2 = log_softmax(np, a[far]), log_softmax(np, b[far])
        out[far] = np.maximum(np.sum(np.exp(l1) * (l1 - l2), axis=-1), 0)
    return out


def log_softmax(xp: Any, z: Array) -> Array:
    """ℓᵢ = (zᵢ − max z) − log1p((t − 1) + Σ_{z_j < max z} e^{z_j − max z}) over the last axis,
    t the number of classes at the maximum (t − 1 is an exact integer; 0 without ties).
    z − logsumexp(z) rounds the dominant class's ℓ to a multiple of ε·|logsumexp z| (ℓ = −7.6e-6
    at z = (−1.5, 12, 0) lost 6 % of its digits in float32: 1 900 ulps of a KL of 5e-4); here it
    is −log1p of a sum of small terms, to its own relative accuracy.  Only elementwise operations
    and reductions: no index array, which would be created on the host, not on z's device."""
    shifted = z - xp.max(z, axis=-1, keepdims=True)
    return shifted - log1p_others(xp, shifted)


def log1p_others(xp: Any, shifted: Array, dtype: Any = None) -> Array:
    """log1p(s) = log Σⱼ e^{zⱼ − max z}, s = (t − 1) + Σ_{zⱼ < max z} e^{zⱼ − max z}, over the last
    axis of ``shifted`` = z − max z (t classes at the maximum, where ``shifted`` is exactly 0):
    the small terms are summed apart from the t ones, so log1p keeps their relative accuracy.
    The two sums, and the result, are in ``dtype`` (default: shifted's; torch's compiled row
    passes accumulate float32 in float64)."""
    dtype = shifted.dtype if dtype is None else dtype
    at_top = shifted == 0
    others = xp.where(at_top, xp.zeros_like(shifted), xp.exp(shifted))
    small = xp.sum(others, axis=-1, keepdims=True, dtype=dtype)
    # The flags summed as they are: an exact count t, no ones-array pass (eager torch: 15–29 %).
    ties = xp.sum(at_top, axis=-1, keepdims=True, dtype=dtype)
    return xp.log1p(small + (ties - 1))
