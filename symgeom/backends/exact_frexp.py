"""frexp that is exact for subnormal numbers on every namespace.

x = m·2ᵉ with ½ ≤ |m| < 1.  XLA on the CPU treats subnormal inputs as zero in arithmetic
(x > 0 is False for x = 5e-324) and ``jnp.frexp`` returns (0.5, −1074) for *every* subnormal
x (float32: (0.5, −149)), so a log ratio formed from mantissas and exponents was off by up to
52·log 2 — silently: ``kl(Bernoulli)(0.5, 5e-324)`` was 371.87 on JAX for the true 371.53.

Here a subnormal's significand is read from its bits (an integer below 2⁵², converted to a
normal float exactly) and its exponent shifted by the format's minimum exponent, so
x = M·2^{−1074} (float64) or M·2^{−149} (float32) gives frexp(M) with e − 1074 (e − 149):
exact, whatever the hardware does with subnormal arithmetic.  Other namespaces keep their frexp.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Array = Any

#: (unsigned integer type name, significand bits, exponent of the last subnormal bit)
_FORMATS = {"float64": ("uint64", 52, 1074), "float32": ("uint32", 23, 149)}


def frexp_for(xp: Any) -> Callable[[Array], tuple[Array, Array]] | None:
    """The namespace's frexp, made exact for subnormals where it is not (JAX); None without one."""
    frexp = getattr(xp, "frexp", None)
    if frexp is None or not getattr(xp, "__name__", "").startswith("jax"):
        return frexp
    return _jax_frexp


def equals_for(xp: Any) -> Callable[[Array, float], Array]:
    """``x == c`` for namespace ``xp``, exact for subnormal ``x`` where the namespace is not: JAX on
    the CPU reads a subnormal operand as 0 (``1e-310 == 0`` is True there), so ``c = 0`` is tested
    on the mantissa of :func:`_jax_frexp`, which reads the bits; other constants compare as usual."""
    if not getattr(xp, "__name__", "").startswith("jax"):
        return lambda x, c: x == c
    return _jax_equals


def _jax_equals(x: Array, c: float) -> Array:
    # Zero is the mantissa of the subnormal-exact frexp: a direct bit test ((bits << 1) == 0) is
    # folded by LLVM into a float compare with 0 inside XLA's fusions, which reads 1e-310 as 0.
    import jax.numpy as jnp

    if c != 0 or jnp.dtype(x.dtype).name not in _FORMATS:
        return x == c
    mantissa, _ = _jax_frexp(x)
    return mantissa == 0


def _jax_frexp(x: Array) -> tuple[Array, Array]:
    import jax
    import jax.numpy as jnp

    mantissa, exponent = jnp.frexp(x)
    layout = _FORMATS.get(jnp.dtype(x.dtype).name)
    if layout is None:  # float16/bfloat16: no subnormal repair
        return mantissa, exponent
    unsigned, bits_, shift = layout
    bits = jax.lax.bitcast_convert_type(x, jnp.dtype(unsigned))
    significand = bits & ((1 << bits_) - 1)
    subnormal = ((bits >> bits_) & ((1 << (8 * jnp.dtype(unsigned).itemsize - 1 - bits_)) - 1) == 0) & (
        significand != 0)
    sub_mantissa, sub_exponent = jnp.frexp(significand.astype(x.dtype))
    negative = (bits >> (8 * jnp.dtype(unsigned).itemsize - 1)) == 1
    sub_mantissa = jnp.where(negative, -sub_mantissa, sub_mantissa)
    return (jnp.where(subnormal, sub_mantissa, mantissa),
            jnp.where(subnormal, sub_exponent - shift, exponent))
