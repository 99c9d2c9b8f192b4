"""x·2ⁿ and eˣ that reach the subnormal range on every namespace, including XLA on the CPU.

XLA on the CPU runs with flush-to-zero and denormals-are-zero: every arithmetic result below the
smallest normal number (2⁻¹⁰²² in float64, 2⁻¹²⁶ in float32) is 0, and a subnormal operand is
read as 0 (the ``xla_cpu_ftz`` flag, per computation or in ``XLA_FLAGS``, changed neither on
jaxlib 0.10.2).  A subnormal result can therefore only be *assembled*, not computed: with
x = m·2ᵉ (½ ≤ |m| < 1, read exactly by :mod:`symgeom.backends.exact_frexp`), m = M·2⁻ᵖ with
the integer significand M (p = 53 / 24 bits), the result x·2ⁿ = M·2^{e+n−p} is

* a normal number when t = e + n ≥ e_min (−1021 / −125): m·2ᵃ·2ᵇ with a = min(t, e_max), the
  powers of two written into their bit patterns (:func:`power_of_two`; ``jnp.ldexp`` is
  m·2.0**e, whose ``pow`` is not exact on a GPU: 10.7 % of random cases one ulp off on an H200);
* else the subnormal q·2^{−1074} (q·2^{−149}) with q = M·2^{−s}, s = e_min − t ≥ 1, rounded half
  to even from the bits shifted out (q = 2ᵖ⁻¹ is the smallest normal, which the same bits encode),
  written into the bit pattern: integers are not flushed.

So ``ldexp(x, n)`` is x·2ⁿ correctly rounded, as ``numpy.ldexp``.  ``exp(x)`` is 2ⁿ·e^r with
n = round(x/log 2) and r = x − n·log 2 (log 2 in two parts, n·log 2_hi exact), |r| ≤ ½ log 2:
e^r is a normal number, and the one rounding to the subnormal grid is the ldexp's.

Other namespaces get their own ldexp (or the two-factor product) and exp: they are not flushed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, partial
from typing import Any

from symgeom.backends.exact_frexp import frexp_for

Array = Any

#: (unsigned integer type, signed integer type, significand bits p, e_min of frexp, |n| clip)
_LAYOUT = {"float64": ("uint64", "int64", 53, -1021, 2200), "float32": ("uint32", "int32", 24, -125, 300)}

#: log 2 = hi + lo with hi of few enough bits that n·hi is exact for the |n| of each format
#: (fdlibm's split: 32 / 16 significant bits for hi)
_LN2 = {"float64": (6.93147180369123816490e-01, 1.90821492927058770002e-10),
        "float32": (6.9314575195e-01, 1.4286067653e-06)}


def is_flushing(xp: Any) -> bool:
    """Whether ``xp`` is JAX, whose CPU backend flushes subnormal results and operands to zero
    (on other devices the assembled result is the same number, so JAX always takes it)."""
    return getattr(xp, "__name__", "").startswith("jax")


def ldexp_for(xp: Any) -> Callable[[Array, Array], Array]:
    """x·2ⁿ (n integer-valued, int or float array) for namespace ``xp``, exact into the subnormal
    range: the bit assembly above on JAX, else the two-factor product m·2^{⌊n/2⌋}·2^{n−⌊n/2⌋}."""
    if is_flushing(xp):
        return _jax_ldexp

    def ldexp(x: Array, n: Array) -> Array:
        n = xp.astype(n, x.dtype) if hasattr(n, "dtype") else n
        half = xp.floor(n / 2)
        return x * 2.0**half * 2.0 ** (n - half)

    return ldexp


def exp_for(xp: Any) -> Callable[[Array], Array]:
    """eˣ for namespace ``xp``: :func:`exact_exp` on JAX (subnormal results kept), else ``xp.exp``."""
    return exact_exp if is_flushing(xp) else xp.exp


def power_of_two(k: Array, dtype: Any) -> Array:
    """2ᵏ exactly, for integer-valued k with e_min − 1 ≤ k ≤ e_max (−1022 … 1023 in float64,
    −126 … 127 in float32), from its bit pattern ((k + bias) in the exponent field) on JAX and
    torch, where ``2.0 ** k`` and ``ldexp`` go through a ``pow`` that is not exact on a GPU;
    ``numpy.ldexp`` elsewhere (exact)."""
    name = getattr(dtype, "name", None) or str(dtype).removeprefix("torch.")
    layout = _LAYOUT.get(name)
    module = type(k).__module__
    if layout is not None and module.startswith("jax"):
        import jax
        import jax.numpy as jnp

        unsigned, signed, p, _, _ = layout
        bias = (1 << (8 * jnp.dtype(unsigned).itemsize - p - 1)) - 1
        field = (jnp.asarray(k).astype(jnp.dtype(signed)) + bias).astype(jnp.dtype(unsigned))
        return jax.lax.bitcast_convert_type(field << (p - 1), jnp.dtype(name))
    if layout is not None and module.startswith("torch"):
        import torch

        signed = {"float64": torch.int64, "float32": torch.int32}[name]
        p = layout[2]
        bias = (1 << (torch.finfo(dtype).bits - p - 1)) - 1
        return ((k.to(signed) + bias) << (p - 1)).view(dtype)
    import numpy as np

    return np.ldexp(np.ones((), dtype=name), np.asarray(k).astype(np.int32))


def _jax_ldexp(x: Array, n: Array) -> Array:
    return _jax_functions()[0](x, n)


def exact_exp(x: Array) -> Array:
    """eˣ on JAX with subnormal results: 2ⁿ·e^r, r = (x − n·hi) − n·lo, n = round(x/log 2)."""
    return _jax_functions()[1](x)


@cache
def _jax_functions() -> tuple[Callable[[Array, Array], Array], Callable[[Array], Array]]:
    """The two JAX functions with their derivatives (∂(x·2ⁿ)/∂x = 2ⁿ, (eˣ)′ = eˣ; the bit
    assembly itself has none), built on first use so that importing this module needs no JAX."""
    import jax
    import jax.numpy as jnp

    ldexp = jax.custom_jvp(_ldexp_bits)

    def ldexp_jvp(primals: tuple[Array, Array], tangents: tuple[Array, Array]) -> tuple[Array, Array]:
        x, n = primals
        half = jnp.floor_divide(n, 2)  # 2ⁿ in two factors: linear in the tangent, no overflow
        one = jnp.ones_like(x)
        return ldexp(x, n), tangents[0] * _ldexp_bits(one, half) * _ldexp_bits(one, n - half)

    ldexp.defjvp(ldexp_jvp)
    exp = jax.custom_jvp(partial(_exp_parts, ldexp))

    def exp_jvp(primals: tuple[Array], tangents: tuple[Array]) -> tuple[Array, Array]:
        value = exp(primals[0])
        return value, value * tangents[0]

    exp.defjvp(exp_jvp)
    return ldexp, exp


def _ldexp_bits(x: Array, n: Array) -> Array:
    import jax
    import jax.numpy as jnp

    x = jnp.asarray(x)
    layout = _LAYOUT.get(jnp.dtype(x.dtype).name)
    if layout is None:  # float16/bfloat16: computed in float32 by the callers
        return jnp.ldexp(x, jnp.asarray(n).astype(jnp.int32))
    unsigned, signed, p, e_min, clip = layout
    u, i = jnp.dtype(unsigned), jnp.dtype(signed)
    n = jnp.clip(jnp.asarray(n), -clip, clip).astype(i)
    mantissa, exponent = frexp_for(jnp)(x)
    t = exponent.astype(i) + n
    e_max = -e_min + 2  # 1023 / 127
    above = jnp.maximum(t, e_min)
    first = jnp.minimum(above, e_max)
    normal = (mantissa * power_of_two(first, x.dtype)
              * power_of_two(jnp.clip(above - first, 0, e_max), x.dtype))
    bits = jax.lax.bitcast_convert_type(mantissa, u)
    width = 8 * u.itemsize
    sign = bits & (jnp.asarray(1, u) << (width - 1))
    significand = (bits & ((1 << (p - 1)) - 1)) | (1 << (p - 1))
    shift = jnp.clip(e_min - t, 1, width - 1).astype(u)
    kept = significand >> shift
    dropped = significand & ((jnp.asarray(1, u) << shift) - 1)
    halfway = jnp.asarray(1, u) << (shift - 1)
    up = (dropped > halfway) | ((dropped == halfway) & ((kept & 1) == 1))
    tiny = jax.lax.bitcast_convert_type(sign | (kept + up.astype(u)), x.dtype)
    keep = (mantissa == 0) | ~jnp.isfinite(x)
    return jnp.where(keep, x, jnp.where(t >= e_min, normal, tiny))


def _exp_parts(ldexp: Callable[[Array, Array], Array], x: Array) -> Array:
    import jax.numpy as jnp

    x = jnp.asarray(x)
    hi, lo = _LN2.get(jnp.dtype(x.dtype).name, _LN2["float32"])
    clip = 1100.0 if x.dtype == jnp.float64 else 160.0
    n = jnp.round(jnp.clip(x, -clip, clip) * (1 / 0.6931471805599453))
    r = (x - n * hi) - n * lo
    value = ldexp(jnp.exp(jnp.where(jnp.isfinite(x), r, x)), n)
    return jnp.where(jnp.isfinite(x), value, jnp.exp(x))
