"""a/b + c/d with an exact numerator (``quot_sum``), as a primitive with derived partials.

The value is :func:`quot_sum_value` (below); the partials are those of a/b + c/d,

    ∂a = 1/b,   ∂b = −(a/b)/b,   ∂c = 1/d,   ∂d = −(c/d)/d,

each a quotient of the inputs (no cancellation, and no b² that under- or overflows where the
partial is representable).  Autodiff through the value instead differentiates its scaling by
frexp/ldexp and the error-free products: JAX's gradient of the natural-chart Gaussian KL was
off by up to 10¹⁶⁹ relative (η₁ = −8.2e-188: 1.7e-20 for 1.0e-189) and inf for 2.5e201.
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np

from symgeom.backends.exact_ldexp import power_of_two
from symgeom.numeric.double_double import two_prod

Array = Any


def quot_sum_value(xp: Any, a: Array, b: Array, c: Array, d: Array) -> Array:
    """a/b + c/d = (a·d + c·b)/b/d with a·d and c·b as exact two-float sums; the direct form
    where a product is not finite or below tiny·2^(p+1) (in magnitude, and not 0).

    The sum is homogeneous, a/b + c/d = 2^(eₐ − e_b)·(a′/b′ + c′/d′) with a′ = a·2^−eₐ,
    c′ = c·2^−eₐ, b′ = b·2^−e_b, d′ = d·2^−e_b (exact), eₐ and e_b the binary exponents of
    max(|a|, |c|) and max(|b|, |d|): the products are formed from numbers of order 1, so they are
    exact wherever the quotient's own range allows (the natural Gaussian chart at σ = 10¹⁵⁰ has
    η₁η₂′ ≈ 10⁻⁴⁵¹, which underflowed to 0 and read as an exact 0: the KL was 0 or nan).  The
    power 2^(eₐ − e_b) is applied as three normal factors (|eₐ − e_b| reaches 2098).
    """
    frexp, ldexp = getattr(xp, "frexp", None), getattr(xp, "ldexp", None)
    # NumPy: the overflowing branch is not selected (not entered for torch: Dynamo cannot trace
    # np.errstate, a graph break in the compiled natural-chart KLs)
    quiet = contextlib.nullcontext() if "torch" in getattr(xp, "__name__", "") else np.errstate(all="ignore")
    with quiet:
        zero = (a == 0) | (d == 0), (c == 0) | (b == 0)  # exact zero products
        direct = a / b + c / d
        if frexp is not None and ldexp is not None:
            one = xp.ones_like(a * b * c * d)
            ea = frexp(xp.maximum(xp.abs(a), xp.abs(c)))[1]
            eb = frexp(xp.maximum(xp.abs(b), xp.abs(d)))[1]
            sa, sb = power_factors(xp, -ea, one, 2), power_factors(xp, -eb, one, 2)
            a, c = a * sa[0] * sa[1], c * sa[0] * sa[1]
            b, d = b * sb[0] * sb[1], d * sb[0] * sb[1]
        p1, e1 = two_prod(a, d)
        p2, e2 = two_prod(c, b)
        s = (p1 + p2) + (e1 + e2)
        info = xp.finfo(s.dtype)
        # below 2^(p+4)·tiny the low parts of the products may be subnormal (not exact)
        floor = float(info.smallest_normal) * 2.0 ** (57 if info.bits > 32 else 28)
        exact = xp.isfinite(s) & ((xp.abs(p1) >= floor) | zero[0]) & ((xp.abs(p2) >= floor) | zero[1])
        value = s / b / d
        if frexp is not None and ldexp is not None:
            for factor in power_factors(xp, ea - eb, one, 3):
                value = value * factor
        return xp.where(exact, value, direct)


def quot_sum_partials(xp: Any, a: Array, b: Array, c: Array, d: Array) -> tuple[Array | None, ...]:
    """(1/b, −(a/b)/b, 1/d, −(c/d)/d): quotients first, each of the size of the true partial."""
    return 1 / b, -(a / b) / b, 1 / d, -(c / d) / d


def power_factors(xp: Any, k: Any, like: Any, parts: int) -> tuple[Any, ...]:
    """``parts`` exact powers of two 2^{k₁}, …, with k₁ + … = k, each kᵢ ≈ k/parts (normal for the
    |k| quot_sum meets: ±1074 over two parts, ±2098 over three).  On JAX and torch each is written
    into its bit pattern (:func:`~symgeom.backends.exact_ldexp.power_of_two`): ``jnp.ldexp`` is
    m·2.0**e, whose ``pow`` is not exact on a GPU (10.7 % of random cases one ulp off on an H200),
    so a scale factor 2^−e that is not a power of two puts a rounding into the exact products.
    NumPy's (and other namespaces') ``ldexp`` is exact."""
    piece = k // parts
    exponents = [piece] * (parts - 1) + [k - (parts - 1) * piece]
    if type(k).__module__.startswith(("jax", "torch")):
        return tuple(power_of_two(e, like.dtype) for e in exponents)
    return tuple(xp.ldexp(like, e) for e in exponents)
