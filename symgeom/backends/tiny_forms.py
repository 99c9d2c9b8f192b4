"""Printed entries whose value may be subnormal: a log-magnitude copy, for flush-to-zero backends.

XLA on the CPU flushes every arithmetic result below the smallest normal number to 0 and reads
subnormal operands as 0, so an entry such as the logit Fisher σ(θ)σ(−θ) at θ = −720 (true
2.9e-313) or a Categorical-logit Fisher entry pᵢpⱼ comes back 0, and a product of normal factors
whose value is subnormal is flushed at its last multiplication.  Such a value can only be
assembled from its bits (:mod:`symgeom.backends.exact_ldexp`).

For an entry built from products, quotients, numeric powers and sums of positive terms of
exponentials, σ(·) and positive parameters (any other factor f taken as sign f·e^{log|f|}),
the one rule table :func:`symgeom.backends.log_rules.log_magnitude` derives, from the expression
itself (no family is named), a sign s and an expression L with

    entry = s·e^L,   log(uv) = log u + log v,   log uⁿ = n·log u,   log eᵘ = u,
    log σ(u) = −softplus(−u),   log Σᵢ uᵢ = logsumexp(log uᵢ)  (every uᵢ > 0),

in which nothing underflows (L ≥ −745 where the entry is representable).  The entry is printed
as ``tiny_rescue(v, s, lambda: L)``: the direct value v where |v| ≥ 2⁻¹⁰⁰⁰ (float64; 2⁻¹⁰⁰ in
float32), else s·e^L with e^L assembled exactly (its relative error is that of L, |L|·ε ≤
3e-13 in float64, as the direct form's exponent is), taken under ``lax.cond`` only for a batch
with such an entry.  Namespaces that are not flushed return v and never evaluate L.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import sympy as sp

from symgeom.backends.sigmoid import Sigmoid

Array = Any

#: |v| below which the log-magnitude copy is taken: 2⁻¹⁰⁰⁰ / 2⁻¹⁰⁰, far enough above the
#: smallest normal (2⁻¹⁰²² / 2⁻¹²⁶) that a product of normal factors has not lost digits above it
THRESHOLD = {64: 2.0**-1000, 32: 2.0**-100}


class LogSumExpOf(sp.Function):
    """log Σᵢ e^{xᵢ} of its arguments, printed as the backend's overflow-free ``logsumexp``."""

    def _numpycode(self, printer: Any) -> str:
        return f"logsumexp(_stack({', '.join(printer._print(a) for a in self.args)}))"


class LogKLDiv(sp.Function):
    """log kl_div(a, b), printed as ``log_kl_div(a, b)`` (:func:`log_kl_div`)."""

    nargs = 2

    def _numpycode(self, printer: Any) -> str:
        return f"log_kl_div({printer._print(self.args[0])}, {printer._print(self.args[1])})"


class TinyRescue(sp.Function):
    """TinyRescue(v, s, L) = v = s·e^L: printed as ``tiny_rescue(v, s, lambda: L)``."""

    nargs = 3

    def _numpycode(self, printer: Any) -> str:
        v, s, log_abs = (printer._print(a) for a in self.args)
        return f"tiny_rescue({v}, {s}, lambda: {log_abs})"


def rescued(expr: sp.Expr) -> sp.Expr:
    """``expr`` as TinyRescue(expr, s, L) where the entry depends on a parameter through an
    exponential or σ, or every factor is opened by a rule (powers of positive parameters such as
    1/σ², special-function factors with a rule): the ways a normal input gives a subnormal entry;
    else unchanged.  (s, L) by the Fisher profile of the one rule table,
    :mod:`symgeom.backends.log_rules`."""
    from symgeom.backends.log_rules import FISHER, OPENED, log_magnitude

    expr = sp.sympify(expr)
    if not expr.free_symbols:
        return expr
    if not (expr.has(sp.exp) or expr.has(Sigmoid)) and log_magnitude(expr, OPENED) is None:
        return expr
    sign, log_abs = log_magnitude(expr, FISHER)
    return TinyRescue(expr, sign, log_abs)


def log_kl_div(xp: Any, a: Array, b: Array) -> Array:
    """log kl_div(a, b) for a, b ≥ 0 of any size, subnormal ones included: with k the larger binary
    exponent, kl_div(a, b) = 2ᵏ·kl_div(a·2⁻ᵏ, b·2⁻ᵏ) (kl_div is homogeneous of degree 1), the
    scaled pair read exactly from the bits (≤ 1, the larger ≥ ½) and its kl_div evaluated by the
    primitive (≥ 2⁻¹⁰⁷ unless a = b: no underflow); log of it plus k·log 2."""
    from symgeom.backends.exact_frexp import frexp_for
    from symgeom.backends.exact_ldexp import ldexp_for
    from symgeom.backends.primitives import kl_div_value, log_ratio

    frexp, ldexp = frexp_for(xp), ldexp_for(xp)
    like = b if hasattr(b, "dtype") else a  # a printed number (kl_div(1, λ₂/λ₁)) as an array
    a, b = (x if hasattr(x, "dtype") else xp.full_like(like, x) for x in (a, b))
    ma, ea = frexp(a)
    mb, eb = frexp(b)
    ea = xp.where(ma == 0, eb, ea)
    eb = xp.where(mb == 0, ea, eb)
    k = xp.maximum(ea, eb)
    sa, sb = ldexp(ma, ea - k), ldexp(mb, eb - k)
    d = sa - sb
    value = kl_div_value(xp, sa, sb, d, log_ratio(xp, sa, sb, d))
    return xp.log(value) + xp.astype(k, value.dtype) * 0.6931471805599453


#: x above which ψ⁽ⁿ⁾(x) is its asymptotic series to the last bit (the next term is O(x⁻⁴))
POLYGAMMA_SERIES = 1e8


def log_polygamma(ops: Any, n: int, x: Array) -> Array:
    """log|ψ⁽ⁿ⁾(x)| for x > 0, n ≥ 1: above :data:`POLYGAMMA_SERIES` from the asymptotic series
    (−1)ⁿ⁺¹ψ⁽ⁿ⁾(x) = (n−1)!/xⁿ·(1 + n/(2x) + n(n+1)/(12x²) + O(x⁻⁴)), i.e.
    log (n−1)! − n·log x + log1p(n/(2x) + n(n+1)/(12x²)) (no subnormal or flushed intermediate),
    else log|ψ⁽ⁿ⁾(x)| of the backend's polygamma (a normal number there)."""
    import math

    from symgeom.backends.printer import special_functions

    xp = ops.xp
    polygamma = special_functions(ops.name)["polygamma"]
    big = x > POLYGAMMA_SERIES
    direct = xp.log(xp.abs(polygamma(n, xp.where(big, xp.ones_like(x), x))))
    far = xp.where(big, x, xp.full_like(x, POLYGAMMA_SERIES))
    inverse = 1 / far
    series = math.lgamma(n) - n * xp.log(far) + xp.log1p(inverse * (n / 2 + inverse * (n * (n + 1) / 12)))
    return xp.where(big, series, direct)


def tiny_rescue_for(name: str, xp: Any) -> Callable[[Array, Any, Callable[[], Array]], Array]:
    """The printed ``tiny_rescue`` of backend ``name``: on JAX s·e^L where |v| is below
    :data:`THRESHOLD` (e^L by :func:`symgeom.backends.exact_ldexp.exact_exp`), elsewhere v.
    Its derivative is v's everywhere (a KL is 0 at p = q, where its Hessian is the Fisher).

    The copy is taken only for a batch (block) with a small entry: min |v| < THRESHOLD, or a nan
    in the batch (min is then nan; the copy runs and every entry that is not small keeps v).  It
    is the body of a ``while_loop`` that runs at most once, not a ``lax.cond``: XLA on the CPU
    writes a conditional's result to a buffer of its own (the untaken identity branch copies v,
    1.3× the Gaussian KL), where a loop updates its carry in place; ``min`` rather than
    ``any(|v| < T)`` is a reduction that reads v, where ``any`` made XLA split v's fusion to
    share it with the comparison (``benchmarks/jax_subnormal_cost.py``).  The loop carries no
    derivative (v enters it without one); :func:`_tangent_of` gives the result v's tangent."""
    if name != "jax":
        return lambda value, sign, log_abs: value

    def tiny_rescue(value: Array, sign: Any, log_abs: Callable[[], Array]) -> Array:
        from symgeom.backends.exact_ldexp import exact_exp

        if isinstance(value, int | float):
            return value
        import jax

        bits = 64 if value.dtype == xp.float64 else 32

        def with_copy(state: tuple[Array, Array]) -> tuple[Array, Array]:
            direct = state[0]
            # the copy carries no derivative (0·∞ of an unselected log|f| would be nan)
            log_value = jax.lax.stop_gradient(xp.broadcast_to(log_abs(), direct.shape))
            rescue = exact_exp(xp.astype(log_value, direct.dtype))
            # a sign flip, not s·x: 1·x flushes a subnormal x
            rescue = xp.where(sign < 0, -rescue, rescue) if hasattr(sign, "dtype") or sign < 0 else rescue
            picked = xp.where(xp.abs(direct) < THRESHOLD[bits], jax.lax.stop_gradient(rescue), direct)
            return picked, xp.zeros_like(state[1])

        direct = jax.lax.stop_gradient(value)
        # not (min ≥ T): true for a small entry and for a nan (under vmap: per batch element)
        take = xp.logical_not(xp.min(xp.abs(direct)) >= THRESHOLD[bits])
        out, _ = jax.lax.while_loop(lambda state: state[1], with_copy, (direct, take))
        return _tangent_of()(value, out)

    return tiny_rescue


@cache
def _tangent_of() -> Callable[[Array, Array], Array]:
    """(v, out) ↦ out with v's tangent (a ``jax.custom_jvp``, linear in it, so reverse mode
    transposes it): the rescued value differentiates as the direct one."""
    import jax

    @jax.custom_jvp
    def tangent_of(value: Array, out: Array) -> Array:
        return out

    tangent_of.defjvp(lambda primals, tangents: (tangent_of(*primals), tangents[0]))
    return tangent_of


@cache
def _pick() -> Callable[[Array, Array], Array]:
    """where(|v| < THRESHOLD, copy, v) with v's tangent (a ``jax.custom_jvp``)."""
    import jax
    import jax.numpy as jnp

    @jax.custom_jvp
    def pick(value: Array, rescue: Array) -> Array:
        bits = 64 if value.dtype == jnp.float64 else 32
        return jnp.where(jnp.abs(value) < THRESHOLD[bits], rescue, value)

    pick.defjvp(lambda primals, tangents: (pick(*primals), tangents[0]))
    return pick
