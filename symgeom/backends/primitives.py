"""The stable primitives (kl_div, χ, logsumexp) written once against an Array API namespace ``xp``.

Each :class:`Primitive` has a stable ``value`` and its ``partials`` (∂value/∂argᵢ, or ``None`` for an
argument that only carries a more accurate copy of something another argument already holds).
Backends wrap the pair: torch in a ``torch.autograd.Function``, JAX in a ``jax.custom_jvp``, other
namespaces (NumPy, CuPy, Dask) call ``value`` directly.  The partials are derived, not autodiffed:

    kl_div(a, b) = a·log(a/b) − a + b:   ∂a = log(a/b),   ∂b = 1 − a/b = −d/b    (d = a − b)
    χ(y) = y·eʸ − eʸ + 1:                χ′(y) = y·eʸ
    logsumexp(z) = log Σᵢ e^{zᵢ}:        ∂zᵢ = softmax(z)ᵢ
    softplus(x) = log(1 + eˣ):           softplus′(x) = σ(x)
    softplus_diff(a, d) = softplus(a + d) − softplus(a):
                                         ∂a = σ(a + d) − σ(a) = −σ(a + d)σ(−a)·expm1(−d),   ∂d = σ(a + d)
    ratio(a, b) = a/b:                   ∂a = 1/b,   ∂b = −(a/b)/b
    log_quotient(a, b, d) = log(a/b):    ∂a = 1/a,   ∂b = −1/b    (d = a − b)
    kl_div_log(a, b, d, lr):             kl_div with ∂ through lr where b < a/2 (kl_div_log_partials)
    quot_sum(a, b, c, d) = a/b + c/d:    ∂a = 1/b,   ∂b = −(a/b)/b,   ∂c = 1/d,   ∂d = −(c/d)/d
    softplus_diff_scaled(a, d) = q = softplus_diff(a, d)/σ(a):
                                         ∂a = σ(−a)(−r·expm1(−d) − q),   ∂d = r = σ(a + d)/σ(a)
    scaled_ratio(x, s, b) = x·s/b:       ∂x = s/b,   ∂s = x/b,   ∂b = −(x/b)(s/b)
    scaled_sum(a, x, s) = a + x·s:       ∂a = 1,   ∂x = s,   ∂s = x

so the gradient is as accurate as the value (no cancellation: log(a/b) = log1p(d/b) near a = b,
and −d/b uses the exact difference d), it is 0, not nan, at a = b, and no branch of the value's
``where`` is ever differentiated.  The partials are themselves ordinary differentiable
expressions, so second derivatives (torch double backward, ``jax.hessian``) follow from them.

The value of kl_div near a = b is the series of :mod:`symgeom.numeric.kernels`: with
s = d/(a + b), kl_div = d·(s + (1 + s)·A(s)), A(s) = Σₙ≥₁ s²ⁿ/(2n + 1); far from it,
a·log(a/b) − d with log(a/b) = log a − log b (no overflow of a/b).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from symgeom.backends.exact_frexp import frexp_for
from symgeom.backends.exact_ldexp import ldexp_for
from symgeom.backends.quotient_sum import quot_sum_partials, quot_sum_value

Array = Any
Namespace = Any

#: Per float width in bits: (|s| below which the series is used, number of terms of A).
#: 64: |s| < 0.05 with 6 terms truncates below |s|·0.05¹⁴/15 < |s|·10⁻¹⁹; 32: |s| < 0.2 with
#: 5 terms truncates below |s|·0.2¹²/13 < |s|·4·10⁻¹⁰; the direct forms cancel at most 20× / 5×.
SERIES = {64: (0.05, 6), 32: (0.2, 5)}


def float_bits(xp: Namespace, x: Array) -> int:
    """64 for float64 arrays, else 32 (16-bit floats are computed in float32 by the callers)."""
    return 64 if x.dtype == xp.float64 else 32


def _series(xp: Namespace, d: Array, s: Array, terms: int) -> Array:
    """d·(s + (1 + s)·A(s)), A(s) = Σₙ₌₁..terms s²ⁿ/(2n + 1) by Horner's rule."""
    t = s * s
    acc = t * (1.0 / (2 * terms + 1))
    for n in range(terms - 1, 0, -1):
        acc = (acc + 1.0 / (2 * n + 1)) * t
    return d * (s + (1 + s) * acc)


def log_ratio(xp: Namespace, a: Array, b: Array, d: Array) -> Array:
    """log(a/b): log1p(d/b) where |d| < b/2 (keeps the digits of a small ratio), else the log of the
    ratio of the mantissas plus (eₐ − e_b)·log 2 (a = mₐ·2^eₐ: no over- or underflow of a/b).

    Both branches share one log1p (m_a/m_b − 1 is exact for m_a/m_b in [½, 2], Sterbenz), so a
    fused (jit) evaluation pays one logarithm per entry.  Namespaces without ``frexp``:
    log a − log b.
    """
    near = xp.abs(d) < 0.5 * b
    frexp = frexp_for(xp)
    if frexp is None:
        safe = xp.where(near, d / b, xp.zeros_like(d))
        return xp.where(near, xp.log1p(safe), xp.log(a) - xp.log(b))
    mantissa_a, exponent_a = frexp(a)
    mantissa_b, exponent_b = frexp(b)
    u = xp.where(near, d / b, mantissa_a / mantissa_b - 1)
    shift = xp.astype(exponent_a - exponent_b, d.dtype) * math.log(2)
    return xp.log1p(u) + xp.where(near, xp.zeros_like(shift), shift)


def kl_div_value(xp: Namespace, a: Array, b: Array, d: Array, lr: Array) -> Array:
    """kl_div(a, b) ≥ 0 from a, b, d = a − b and lr = log(a/b); kl_div(0, b) = b."""
    threshold, terms = SERIES[float_bits(xp, d)]
    s = d / (a + b)
    near = xp.abs(s) < threshold
    series = _series(xp, d, xp.where(near, s, xp.zeros_like(s)), terms)
    direct = xp.where(a == 0, b, a * lr - d)
    return xp.where(near, series, direct)


def kl_div_partials(xp: Namespace, a: Array, b: Array, d: Array, lr: Array) -> tuple[Array | None, ...]:
    """(∂a, ∂b) = (log(a/b), −d/b); d and lr are copies of a − b and log(a/b): no partials."""
    return lr, -d / b, None, None


def kl_div_log_partials(xp: Namespace, a: Array, b: Array, d: Array, lr: Array) -> tuple[Array | None, ...]:
    """(∂a, ∂b, ∂d, ∂lr) of kl_div(a, b) when ``lr`` is log(a/b) as a differentiable function of
    its own (the printed ``log_quotient`` of b = (x/y)ᵏ's parts): where b < a/2 (a > 0) the
    b-dependence goes through lr, by db/b = da/a − d lr:

        d kl_div = lr·da − (d/b)·db = (lr − d/a)·da + d·d lr,

    so a b that under- or overflows (σ₁/σ₂ = 10⁻¹⁸⁰: (σ₁/σ₂)² = 0 and −d/b = −∞, its derivative
    0) no longer enters; lr − d/a ≥ log 2 − ½ there (no cancellation).  Elsewhere (b ≥ a/2,
    where b is representable with its digits) the partials of :func:`kl_div_partials`."""
    far = (b < 0.5 * a) & (a > 0)
    one = xp.ones_like(b)
    safe_a = xp.where(far, a, one)
    safe_b = xp.where(far, one, b)
    zero = xp.zeros_like(d)
    return (xp.where(far, lr - d / safe_a, lr), xp.where(far, zero, -d / safe_b), None,
            xp.where(far, d, zero))


def chi_value(xp: Namespace, y: Array) -> Array:
    """χ(y) = y·eʸ − eʸ + 1 ≥ 0: the series near 0, eʸ·y − expm1(y) for y ≤ 1, eʸ(y − 1) + 1 above."""
    threshold, terms = SERIES[float_bits(xp, y)]
    near = xp.abs(y) < 2 * math.atanh(threshold)
    small = xp.where(near, y, xp.zeros_like(y))
    d = xp.expm1(small)
    series = _series(xp, d, d / (d + 2), terms)  # s = (eʸ − 1)/(eʸ + 1)
    e = xp.exp(y)
    direct = xp.where(y > 1, e * (y - 1) + 1, e * y - xp.expm1(y))
    return xp.where(near, series, direct)


def chi_partials(xp: Namespace, y: Array) -> tuple[Array | None, ...]:
    """χ′(y) = y·eʸ."""
    return (y * xp.exp(y),)


def logsumexp_value(xp: Namespace, z: Array) -> Array:
    """log Σ e^{zᵢ} over the last axis, shifted by the (finite) maximum so nothing overflows."""
    top = xp.max(z, axis=-1, keepdims=True)
    top = xp.where(xp.isfinite(top), top, xp.zeros_like(top))
    return xp.log(xp.sum(xp.exp(z - top), axis=-1)) + top[..., 0]


def logsumexp_partials(xp: Namespace, z: Array) -> tuple[Array | None, ...]:
    """∂/∂zᵢ = softmax(z)ᵢ (its output gains the reduced axis back in the backends' chain rule)."""
    return (xp.exp(z - logsumexp_value(xp, z)[..., None]),)


def sigmoid_value(xp: Namespace, x: Array) -> Array:
    """σ(x) = 1/(1 + e⁻ˣ) from e = e^{−|x|} ≤ 1: 1/(1 + e) for x ≥ 0, e/(1 + e) below."""
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


def softplus_value(xp: Namespace, x: Array) -> Array:
    """softplus(x) = log(1 + eˣ) = max(x, 0) + log1p(e^{−|x|}): no overflow, ≤ 2 ulps for every x
    (eˣ's own digits for x ≪ 0, where log(1 + eˣ) as written rounds to log 1 = 0)."""
    return xp.maximum(x, xp.zeros_like(x)) + xp.log1p(xp.exp(-xp.abs(x)))


def softplus_partials(xp: Namespace, x: Array) -> tuple[Array | None, ...]:
    """softplus′(x) = σ(x)."""
    return (sigmoid_value(xp, x),)


def softplus_diff_value(xp: Namespace, a: Array, d: Array) -> Array:
    """softplus(a + d) − softplus(a) for the exact step d, without cancellation.

    |d| ≤ 1: log1p(σ(a)·expm1(d)) for d ≥ 0 and −log1p(σ(a + d)·expm1(−d)) for d < 0 (the
    identity 1 + σ(a)(eᵈ − 1) = (1 + e^{a+d})/(1 + eᵃ); the log1p argument is ≥ 0, every factor
    is relatively exact, so the difference keeps the relative accuracy of d).  |d| > 1: the two
    softplus values, which differ by more than the rounding of either (for a, a + d ≤ 0 they are
    eˣ-like and differ by a factor ≥ e^{|d|σ}, so at most a factor 1/(1 − e⁻¹) cancels); when both
    points are ≥ 0, by softplus(x) = x + softplus(−x), d + [softplus(−a − d) − softplus(−a)], a sum
    of d and a term of at most half its size.
    """
    b = a + d
    small = xp.abs(d) <= 1
    step = xp.where(small, d, xp.zeros_like(d))
    rising = xp.log1p(sigmoid_value(xp, a) * xp.expm1(step))
    falling = -xp.log1p(sigmoid_value(xp, b) * xp.expm1(-step))
    near = xp.where(d >= 0, rising, falling)
    positive = (a >= 0) & (b >= 0)
    far = xp.where(
        positive,
        d + (softplus_value(xp, -b) - softplus_value(xp, -a)),
        softplus_value(xp, b) - softplus_value(xp, a),
    )
    return xp.where(small, near, far)


def softplus_diff_partials(xp: Namespace, a: Array, d: Array) -> tuple[Array | None, ...]:
    """(∂a, ∂d) = (σ(a + d) − σ(a), σ(a + d)); the first as −σ(a + d)σ(−a)·expm1(−d) (exact) for
    |d| ≤ 1, else as the difference of the two σ that are ≤ ½ on average (σ(−a) − σ(−a − d)
    where a + (a + d) ≥ 0), which differ by more than their rounding."""
    b = a + d
    rise = sigmoid_value(xp, b)
    small = xp.abs(d) <= 1
    step = xp.where(small, d, xp.zeros_like(d))
    near = -rise * sigmoid_value(xp, -a) * xp.expm1(-step)
    far = xp.where(a + b >= 0, sigmoid_value(xp, -a) - sigmoid_value(xp, -b), rise - sigmoid_value(xp, a))
    return xp.where(small, near, far), rise


def logit_entropy_value(xp: Namespace, x: Array) -> Array:
    """h(x) = softplus(x) − x·σ(x) = softplus(−|x|) + |x|·σ(−|x|) (h is even): two non-negative
    terms, a few ulps for every x."""
    a = xp.abs(x)
    e = xp.exp(-a)
    return xp.log1p(e) + a * e / (1 + e)


def logit_entropy_partials(xp: Namespace, x: Array) -> tuple[Array | None, ...]:
    """h′(x) = −x·σ(x)·σ(−x)."""
    return (-x * sigmoid_value(xp, x) * sigmoid_value(xp, -x),)


def ratio_value(xp: Namespace, a: Array, b: Array) -> Array:
    """a/b."""
    return a / b


def ratio_partials(xp: Namespace, a: Array, b: Array) -> tuple[Array | None, ...]:
    """(1/b, −(a/b)/b): the quotient first, so a tiny b does not overflow as b⁻² would."""
    return 1 / b, -(a / b) / b


def log_quotient_value(xp: Namespace, a: Array, b: Array, d: Array) -> Array:
    """log(a/b) given d = a − b: :func:`log_ratio` (log1p(d/b) near, mantissas and exponents far;
    :mod:`symgeom.numeric.log_quotient`)."""
    return log_ratio(xp, a, b, d)


def log_quotient_partials(xp: Namespace, a: Array, b: Array, d: Array) -> tuple[Array | None, ...]:
    """(∂a, ∂b) = (1/a, −1/b); d is a copy of a − b: no partial."""
    return 1 / a, -1 / b, None


def softplus_diff_scaled_value(xp: Namespace, a: Array, d: Array) -> Array:
    """(softplus(a + d) − softplus(a))/σ(a): expm1(d)·log1p(x)/x, x = σ(a)·expm1(d), for |d| ≤ 1
    (log1p(x)/x = 1 for |x| < 10⁻¹⁷), softplus_diff(a, d)/σ(a) beyond."""
    small = xp.abs(d) <= 1
    e = xp.expm1(xp.where(small, d, xp.zeros_like(d)))
    x = sigmoid_value(xp, a) * e
    # log1p(x)/x = 1 − x/2 + … is 1 to the last bit for |x| < 10⁻¹⁷, where x may be subnormal
    # (a vectorized log1p need not be exact there: torch's was off by 7e-12) or flushed to 0.
    tiny = xp.abs(x) < 1e-17
    safe = xp.where(tiny, xp.ones_like(x), x)
    near = e * xp.where(tiny, xp.ones_like(x), xp.log1p(safe) / safe)
    far = softplus_diff_value(xp, a, d) / sigmoid_value(xp, a)
    return xp.where(small, near, far)


def softplus_diff_scaled_partials(xp: Namespace, a: Array, d: Array) -> tuple[Array | None, ...]:
    """q = softplus_diff(a, d)/σ(a): (∂a, ∂d) = (σ(−a)·(−r·expm1(−d) − q), r), r = σ(a + d)/σ(a)
    (from ∂a softplus_diff = σ(a + d) − σ(a) = −σ(a + d)σ(−a)·expm1(−d) and σ′(a)/σ(a) = σ(−a))."""
    r = sigmoid_value(xp, a + d) / sigmoid_value(xp, a)
    q = softplus_diff_scaled_value(xp, a, d)
    return sigmoid_value(xp, -a) * (-r * xp.expm1(-d) - q), r


def _ldexp(xp: Namespace, m: Array, e: Array) -> Array:
    """m·2ᵉ for a float m and an integer e: in two halves so that neither power over- or underflows
    where the product is a normal number; on JAX assembled from the bits where it is subnormal
    (:mod:`symgeom.backends.exact_ldexp`: XLA on the CPU flushes such a product to 0)."""
    return ldexp_for(xp)(m, xp.astype(e, m.dtype))


def scaled_ratio_value(xp: Namespace, x: Array, s: Array, b: Array) -> Array:
    """x·s/b on mantissas and exponents: mₓmₛ/m_b·2^{eₓ + eₛ − e_b} (no product x·s below the
    normal range is formed); namespaces without ``frexp``: x·(s/b)."""
    frexp = frexp_for(xp)
    if frexp is None:
        return x * (s / b)
    mx, ex = frexp(x)
    ms, es = frexp(s)
    mb, eb = frexp(b)
    return _ldexp(xp, mx * ms / mb, ex + es - eb)


def scaled_ratio_partials(xp: Namespace, x: Array, s: Array, b: Array) -> tuple[Array | None, ...]:
    """(s/b, x/b, −(x/b)(s/b)): quotients first, each of the size of the true partial."""
    return s / b, x / b, -(x / b) * (s / b)


def scaled_sum_value(xp: Namespace, a: Array, x: Array, s: Array) -> Array:
    """a + x·s on mantissas and exponents: with p = mₓmₛ, eₚ = eₓ + eₛ and k = max(eₐ, eₚ),
    (mₐ2^{eₐ−k} + p·2^{eₚ−k})·2ᵏ, so the product x·s is never formed on its own.  Where it is
    below the normal range and a is not (a remainder's node η₁ + tΔη at θ₁ = −700: 10⁻³⁰⁴ plus
    10⁻³¹⁶), a flush-to-zero machine (XLA on the CPU) would drop it as written; here both terms are
    scaled to k's binade first, and a scaled term that is still below the normal range is below
    2⁻¹⁰²² of the other, so the sum keeps its rounding.  Namespaces without ``frexp``: a + x·s."""
    frexp = getattr(xp, "frexp", None)
    if frexp is None:
        return a + x * s
    ma, ea = frexp(a)
    mx, ex = frexp(x)
    ms, es = frexp(s)
    mp, ep = mx * ms, ex + es
    # frexp(0) has exponent 0: a zero term takes the other's exponent, so it cannot set k.
    ea = xp.where(ma == 0, ep, ea)
    ep = xp.where(mp == 0, ea, ep)
    k = xp.maximum(ea, ep)
    return _ldexp(xp, _ldexp(xp, ma, ea - k) + _ldexp(xp, mp, ep - k), k)


def scaled_sum_partials(xp: Namespace, a: Array, x: Array, s: Array) -> tuple[Array | None, ...]:
    """(1, s, x)."""
    return xp.ones_like(a), s, x


@dataclass(frozen=True)
class Primitive:
    """A stable function with derived partials; ``reduces`` when it sums over the last axis."""

    name: str
    value: Callable[..., Array]
    partials: Callable[..., tuple[Array | None, ...]]
    reduces: bool = False


#: The registry the printers and backends read, keyed by the name a SymPy primitive prints as.
PRIMITIVES: dict[str, Primitive] = {
    "kl_div": Primitive("kl_div", kl_div_value, kl_div_partials),
    "kl_div_log": Primitive("kl_div_log", kl_div_value, kl_div_log_partials),
    "chi": Primitive("chi", chi_value, chi_partials),
    "logsumexp": Primitive("logsumexp", logsumexp_value, logsumexp_partials, reduces=True),
    "softplus": Primitive("softplus", softplus_value, softplus_partials),
    "softplus_diff": Primitive("softplus_diff", softplus_diff_value, softplus_diff_partials),
    "ratio": Primitive("ratio", ratio_value, ratio_partials),
    "log_quotient": Primitive("log_quotient", log_quotient_value, log_quotient_partials),
    "quot_sum": Primitive("quot_sum", quot_sum_value, quot_sum_partials),
    "softplus_diff_scaled": Primitive("softplus_diff_scaled", softplus_diff_scaled_value,
                                      softplus_diff_scaled_partials),
    "scaled_ratio": Primitive("scaled_ratio", scaled_ratio_value, scaled_ratio_partials),
    "scaled_sum": Primitive("scaled_sum", scaled_sum_value, scaled_sum_partials),
    "logit_entropy": Primitive("logit_entropy", logit_entropy_value, logit_entropy_partials),
}
