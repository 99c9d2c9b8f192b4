"""Entropies whose value may be subnormal: the log-magnitude copy of :mod:`tiny_forms`, with rules for
the forms an entropy is printed in, so XLA's flush to zero on the CPU does not return 0.

An entropy is tiny only next to a point mass, where every outcome but one has a tiny probability:
H(1e-310) of a Bernoulli is 7.1e-308, of a Bernoulli logit at θ = −720 1.5e-310, and JAX returned 0
for both (the products flush, and a subnormal input p is read as 0 by log p).  The printed entropy
is a sum of non-negative terms — per outcome H = Σₓ entr(p(x), ℓ(x)) = Σₓ −p(x)·ℓ(x), ℓ = log p —
or a closed form of positive terms (e^{−θ}·softplus(θ) + softplus(−θ)).  For such an expression
the one rule table (:func:`symgeom.backends.log_rules.log_magnitude`, its entropy profile) derives,
from the expression itself (no family is named), L with H = e^L:

    log entr(p, ℓ) = log p + log(−ℓ)                 (−∞ where p = 0: the term is 0)
    log Σᵢ uᵢ = logsumexp(log uᵢ),   log(uv) = log u + log v,   log uⁿ = n log u,   log eᵘ = u
    log p = exact_log(p)             (p a positive parameter: from the bits, subnormal p included)
    log(−log p) = log(−exact_log(p)),  log(−ℓ) = log max(−ℓ, 0) otherwise (−∞ where ℓ rounds above 0)
    log(−log1p(−u)) = log u + u/2 + 5u²/24         for u < 2⁻²⁰, else as written
    log softplus(x) = x                             for x < −37 (the rest is below e^{−37}/2 ≈ ε/2)
    log LSE(0, a₁, …) = LSE(a₁, …)                   where that is < −37 (log1p(s) = s(1 − s/2 …))
    log σ(x) = −softplus(−x),   log h(x) = log1p(|x|) − |x| for |x| > 40 (h the logit entropy)

each exact to below ε of L where the entropy is below 2⁻¹⁰⁰⁰ and evaluated without an underflowing
intermediate.  The entropy is printed as ``tiny_rescue(H, 1, lambda: L)``: the direct H where it is
≥ 2⁻¹⁰⁰⁰, else e^L assembled from the bits (:func:`symgeom.backends.exact_ldexp.exact_exp`; relative
error |L|·ε ≤ 1.7e-13 for |L| ≤ 745), under ``lax.cond`` only for a block with such an entry.
Namespaces that are not flushed (NumPy, torch, CuPy) evaluate H alone.

The entropy of a bounded count family (n trials, n ≤ :data:`MAX_OUTCOMES`) is printed per outcome
as well (:func:`bounded_count_entropy`): the derived closed form Σ (polynomial in p) − n p log p − …
cancels near p = 1 and is nan on JAX at a subnormal p.

The entropy of a softmax over logit vectors (:mod:`symgeom.backends.softmax_entropy`) has its own
copy, :func:`softmax_rows`: with one top class and every other logit ≥ 600 below it,
H = Σ_{i≠top} e^{sᵢ}(1 − sᵢ) (1 + O(e^{−600})), so L = logsumexp_{i≠top}(sᵢ + log1p(−sᵢ)).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import sympy as sp

from symgeom.backends.log_rules import ENTROPY, log_magnitude
from symgeom.backends.sigmoid import Sigmoid
from symgeom.backends.tiny_forms import THRESHOLD, TinyRescue
from symgeom.numeric.finite import Entr
from symgeom.numeric.softplus import LogitEntropy, Softplus

Array = Any

#: Largest number of trials whose entropy is printed per outcome (n + 1 terms of source)
MAX_OUTCOMES = 64


def rescued_entropy(expr: sp.Expr) -> sp.Expr:
    """``expr`` as TinyRescue(expr, 1, L) where the entropy profile of the one rule table
    (:mod:`symgeom.backends.log_rules`) gives L with sign +1 and the entropy can be tiny (it
    depends on a parameter through a probability, an exponential, σ or softplus); else unchanged."""
    expr = sp.sympify(expr)
    if not expr.free_symbols or not expr.has(Entr, sp.exp, Sigmoid, Softplus, LogitEntropy):
        return expr
    found = log_magnitude(expr, ENTROPY)
    return expr if found is None or found[0] != 1 else TinyRescue(expr, sp.Integer(1), found[1])


def bounded_count_entropy(family: Any) -> sp.Expr | None:
    """Σ_{x=0}^{n} entr(p(x), ℓ(x)) for a one-variable family on {0, …, n}, n ≤ :data:`MAX_OUTCOMES`,
    ℓ(x) its log-density at x written stably (quotients split, log(1 + u) as log1p, log(1 + Σe^a) as
    a log-sum-exp, :func:`symgeom.numeric.finite.stable_log` and ``absorbed_log``); else None."""
    from symgeom.families.base import IntegerSupport
    from symgeom.numeric.finite import absorbed_log, stable_log

    support = family.support if family is not None else None
    if not isinstance(support, IntegerSupport) or support.upper is None or family.general is not None \
            or len(family.variables) != 1:
        return None
    upper = sp.sympify(support.upper)
    if not upper.is_Integer or not 0 < int(upper) <= MAX_OUTCOMES:
        return None
    log_density = family.log_density(None)
    terms = []
    for x in range(int(upper) + 1):  # log C(n, x) and the like evaluate to numbers at an integer x
        ell = absorbed_log(stable_log(log_density.xreplace({family.variables[0]: x})))
        terms.append(Entr(sp.exp(ell), ell))
    return sp.Add(*terms)


# --- printed functions ------------------------------------------------------------------------

_LN2_HI, _LN2_LO = 6.93147180369123816490e-01, 1.90821492927058770002e-10


def printed_names(ops: Any) -> dict[str, Callable[..., Array]]:
    """The functions the copies above print, for ``ops`` (bound by :func:`printer.bind`)."""
    from symgeom.backends.exact_frexp import frexp_for
    from symgeom.backends.finite_forms import logsumexp_args
    from symgeom.backends.primitives import logit_entropy_value, softplus_value

    xp = ops.xp
    frexp = frexp_for(xp)

    def exact_log(x: Array) -> Array:
        if frexp is None or not hasattr(x, "dtype"):
            return xp.log(x)
        # x = m·2ᵉ read from the bits (a subnormal x is 0 to XLA's arithmetic and comparisons),
        # m in [1/√2, √2) so that log m = log1p(m − 1) is exact at x = 1 (log 1 = 0, not ±1e-17)
        m, e = frexp(x)
        low = m < 0.7071067811865476
        m = xp.where(low, 2 * m, m)
        e = xp.astype(e, x.dtype) - xp.astype(low, x.dtype)
        value = e * _LN2_HI + (xp.log1p(m - 1) + e * _LN2_LO)
        return xp.where(m == 0, xp.full_like(x, -float("inf")), value)

    def log_softplus(x: Array) -> Array:
        return xp.where(x < -37, x, xp.log(softplus_value(xp, xp.where(x < -37, xp.zeros_like(x), x))))

    def log_neg_log1p(u: Array) -> Array:
        small = u < 2.0**-20
        big = xp.where(small, xp.full_like(u, 0.5), u)
        return xp.where(small, exact_log(u) + u * (0.5 + u * (5 / 24)), xp.log(-xp.log1p(-big)))

    def log_lse(*args: Array) -> Array:
        rest = logsumexp_args(ops, *args[1:]) if len(args) > 2 else args[1]
        full = logsumexp_args(ops, *args)
        return xp.where(rest < -37, rest, xp.log(xp.where(rest < -37, xp.ones_like(full), full)))

    def log_logit_entropy(x: Array) -> Array:
        a = xp.abs(x)
        far = a > 40
        near = logit_entropy_value(xp, xp.where(far, xp.zeros_like(a), a))
        return xp.where(far, xp.log1p(a) - a, xp.log(near))

    def log_positive(x: Array) -> Array:
        return xp.log(xp.maximum(x, xp.zeros_like(x)))

    def log_entr(log_p: Array, log_minus: Array) -> Array:
        return xp.where(log_p == -float("inf"), log_p, log_p + log_minus)

    return {"exact_log": exact_log, "log_softplus": log_softplus, "log_neg_log1p": log_neg_log1p,
            "log_lse": log_lse, "log_logit_entropy": log_logit_entropy, "log_entr": log_entr,
            "log_positive": log_positive}


def softmax_rows(value: Array, z: Array) -> Array:
    """``value`` = H(softmax z) per row (JAX), with rows below :data:`THRESHOLD` replaced by
    e^L, L = logsumexp_{i≠top}(sᵢ + log1p(−sᵢ)) (module docstring; only such rows can be that
    small: a tie at the top gives H ≥ log 2), under ``lax.cond`` for a batch with one."""
    import jax
    import jax.numpy as jnp

    from symgeom.backends.exact_ldexp import exact_exp

    bits = 64 if value.dtype == jnp.float64 else 32

    def with_copy(value: Array) -> Array:
        s = jax.lax.stop_gradient(z - jnp.max(z, axis=-1, keepdims=True))
        top = jnp.argmax(s, axis=-1)[..., None] == jnp.arange(s.shape[-1])
        terms = jnp.where(top, -jnp.inf, s + jnp.log1p(-s))
        rescue = exact_exp(jax.scipy.special.logsumexp(terms, axis=-1))
        from symgeom.backends.tiny_forms import _pick

        return _pick()(value, rescue)

    small = jnp.any(jnp.abs(value) < THRESHOLD[bits])
    return jax.lax.cond(small, with_copy, lambda v: v, value)


def outcome_rows(ops: Any, value: Array, p: Array) -> Array:
    """``value`` = H = Σᵢ entr(pᵢ) over the last axis of probability vectors ``p`` (the simplex
    forms of :mod:`symgeom.numeric.simplex_forms`), with the log-magnitude copy on JAX:
    L = logsumexp over i of log entr(pᵢ), each term by the entropy profile of the one rule table
    (log pᵢ + log(−log pᵢ), log pᵢ from the bits: subnormal pᵢ included).  Off JAX, ``value``."""
    if ops.name != "jax":
        return value
    from symgeom.backends.primitives import logsumexp_value
    from symgeom.backends.tiny_forms import tiny_rescue_for

    term = _outcome_term(ops)
    return tiny_rescue_for("jax", ops.xp)(value, 1, lambda: logsumexp_value(ops.xp, term(p)[0]))


@cache
def _outcome_term(ops: Any) -> Callable[..., tuple[Array, ...]]:
    """log entr(p, log p) of one outcome probability p ≥ 0, derived by the table and printed."""
    from symgeom.backends import printer

    return printer.bind(_outcome_source(), ops)


@cache
def _outcome_source() -> Any:
    from symgeom.backends import printer
    from symgeom.numeric.finite import Entr

    p = sp.Symbol("p", nonnegative=True)
    found = log_magnitude(Entr(p, sp.log(p)), ENTROPY)
    assert found is not None and found[0] == 1  # log p + log(−log p): opened by the table's rules
    return printer.print_source((found[1],), (p,))
