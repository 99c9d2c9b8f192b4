"""Subnormal KLs on flush-to-zero backends: the log-magnitude copy of any printed KL form.

XLA on the CPU flushes results below the smallest normal number to 0 (see
:mod:`symgeom.backends.tiny_forms`), so a KL whose value is subnormal (Gaussian means 10⁻¹⁵⁵ apart,
a Poisson log-rate −690 moved by 10⁻⁵, a logit class at −720, a Binomial p = 10⁻³⁰⁰ …) came back 0
on JAX, and float32 KLs below ~10⁻³⁵ lost their last digits to subnormal intermediates.  A KL
form is a sum of non-negative terms; where each term's sign is provably +1 under the rules below,

    log KL = logsumexp over terms of log|termᵢ|,

with the rules of the one table :func:`symgeom.backends.log_rules.log_magnitude` and its KL
profile's extensions (derived from the form; no family is named):

    log χ(y) = 2·log|y| − log 2              (|y| < e⁻⁴⁰: χ(y) = y²/2·(1 + y/3 + …), y/3 < ε)
             = log χ(y)                       (else; χ(y) ≥ 8e-36 is a normal number),
    log kl_div(1, eᵘ) = u + log χ(−u),       log SoftplusDiff(a, d) = log σ(a) + log|d̃|,
    log Square(x) = log x^{2m} = 2m·log|x|, log|x| = log|x|   (sign +1),
    log ∫₀¹ f(t) dt = logsumexp over Gauss–Legendre nodes of (log wᵢ + log f(tᵢ))
                       (a Bregman remainder: f = (1 − t)Δᵀ∇²A(η + tΔ)Δ ≥ 0 as A is convex),

where d̃ = SoftplusDiff(a, d)/σ(a) is the printed ScaledSoftplusDiff.  The KL is then printed as
``tiny_rescue(v, 1, lambda: log KL)``: the direct value v unless |v| < 2⁻¹⁰⁰⁰ (float32: 2⁻¹⁰⁰),
the copy under ``lax.cond`` only for a batch with such an entry, never evaluated off JAX.
Softmax vector forms (one probability or logit vector) get the same copy over the vector axis:
Σᵢ kl_div(pᵢ, qᵢ) and Σᵢ qᵢ·χ(yᵢ) with log qᵢ the log-softmax (:func:`rescue_vector`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import sympy as sp

from symgeom.backends.log_heads import LogAbs, LogBregman, LogChi
from symgeom.backends.log_rules import KL, Bounds, log_magnitude
from symgeom.backends.tiny_forms import LogSumExpOf, TinyRescue, tiny_rescue_for

Array = Any

#: log|y| below which χ(y) is y²/2 to the last bit (the next term, y/3, is below e⁻⁴¹ < ε/2⁴)
CHI_CUTOFF = -40.0


def rescued_kl(expr: sp.Expr, bounds: Bounds | None = None) -> sp.Expr:
    """A printed KL as TinyRescue(expr, 1, log KL) where every term's sign is +1 by the KL profile
    of the one rule table (:mod:`symgeom.backends.log_rules`; ``bounds``: the parameters' domain
    bounds, which prove a log-probability's sign); else ``expr`` unchanged (the copy needs each
    term's log; a term of unknown sign has none)."""
    if not expr.free_symbols:
        return expr
    parts = [log_magnitude(term, KL, bounds) for term in sp.Add.make_args(expr)]
    if not all(sign == 1 for sign, _ in parts):
        return expr
    logs = [log_abs for _, log_abs in parts]
    return TinyRescue(expr, sp.Integer(1), logs[0] if len(logs) == 1 else LogSumExpOf(*logs))


def log_chi(xp: Any, y: Array, log_abs: Array) -> Array:
    """log χ(y) given L = log|y|: 2L − log 2 below :data:`CHI_CUTOFF` (y itself may have been
    flushed to 0 there), else log χ(y) by the primitive."""
    from symgeom.backends.primitives import chi_value

    like = y if hasattr(y, "dtype") else log_abs
    y = y if hasattr(y, "dtype") else xp.full_like(like, y)
    log_abs = xp.broadcast_to(log_abs, y.shape) if hasattr(log_abs, "dtype") else xp.full_like(y, log_abs)
    small = log_abs < CHI_CUTOFF
    direct = xp.log(chi_value(xp, xp.where(small, xp.ones_like(y), y)))
    return xp.where(small, 2 * log_abs - 0.6931471805599453, direct)


def _nodes() -> tuple[np.ndarray, np.ndarray]:
    from symgeom.numeric.bregman import _T_HALVES, _W_HALVES

    return _T_HALVES, _W_HALVES


def log_bregman(xp: Any, log_integrand: Callable[..., Array], args: tuple[Array, ...]) -> Array:
    """log ∫₀¹ e^{L(t)} dt by the 24-node Gauss–Legendre rule on each half of [0, 1] (the rule
    :mod:`symgeom.backends.bregman` checks its remainder with), summed in log space: every
    node's term is a normal number's logarithm even where e^{L} is subnormal."""
    arrays = [a for a in args if hasattr(a, "dtype")]
    like = xp.broadcast_arrays(*arrays)[0] if arrays else xp.asarray(0.0)
    nodes, weights = _nodes()
    device = {"device": like.device} if getattr(xp, "__name__", "") == "torch" else {}
    t = xp.reshape(xp.asarray(nodes, dtype=like.dtype, **device), (-1,) + (1,) * like.ndim)
    log_w = xp.reshape(xp.asarray(np.log(weights), dtype=like.dtype, **device), t.shape)
    values = log_integrand(t, *args) + log_w
    values = xp.broadcast_to(values, (len(nodes), *like.shape))
    top = xp.max(values, axis=0)
    top = xp.where(xp.isfinite(top), top, xp.zeros_like(top))
    return xp.log(xp.sum(xp.exp(values - top), axis=0)) + top


def namespace(ops: Any) -> dict[str, Any]:
    """The printed names of this module, bound for ``ops`` (see ``printer.bind``)."""
    from functools import partial

    return {"log_chi": partial(log_chi, ops.xp), "log_bregman": partial(log_bregman, ops.xp)}


def rescue_vector(ops: Any, value: Array, kind: str, a: Array, b: Array) -> Array:
    """A vector KL ``value`` (``kind`` "simplex": Σᵢ kl_div(pᵢ, qᵢ) of probability vectors a, b;
    "pinned": Σᵢ qᵢ·χ(yᵢ) of logit vectors) with the log-magnitude copy on JAX (else as is)."""
    if ops.name != "jax":
        return value
    copy = _log_probs_kl if kind == "simplex" else _log_logits_kl
    return tiny_rescue_for("jax", ops.xp)(value, 1, lambda: copy(ops.xp, a, b))


def log_near_gaussian(
    xp: Any, whitened: list[Array], off: list[Array], deviations: list[Array], terms: list[Array]
) -> Array:
    """log of the near full-covariance KL ½[‖y‖² + Σ_{i>j} Cᵢⱼ² + Σᵢ kl_div(1, 1 + eᵢ)]
    (:mod:`symgeom.backends.gaussian_full`) from its parts: 2·log|yᵢ|, 2·log|Cᵢⱼ|, and
    log kl_div(1, 1 + e) = 2·log|e| − log 2 where |e| < e⁻⁴⁰ (e − log1p e = e²/2·(1 − 2e/3 + …)),
    else the log of the term (a normal number there)."""
    from symgeom.backends.primitives import logsumexp_value

    logs = [2 * xp.log(xp.abs(v)) for v in (*whitened, *off)]
    for e, term in zip(deviations, terms, strict=True):
        log_e = xp.log(xp.abs(e))
        logs.append(xp.where(log_e < CHI_CUTOFF, 2 * log_e - 0.6931471805599453, xp.log(term)))
    return logsumexp_value(xp, xp.stack(xp.broadcast_arrays(*logs), axis=-1)) - 0.6931471805599453


def _log_probs_kl(xp: Any, p: Array, q: Array) -> Array:
    """log Σᵢ kl_div(pᵢ, qᵢ) (rows of probabilities that sum to 1: the unnormalized gap term of
    :func:`symgeom.backends.vector.categorical_probs` is second order in the rounding of Σp)."""
    from symgeom.backends.primitives import logsumexp_value
    from symgeom.backends.tiny_forms import log_kl_div

    p, q = xp.broadcast_arrays(p, q)
    return logsumexp_value(xp, log_kl_div(xp, p, q))


def _log_logits_kl(xp: Any, z1: Array, z2: Array) -> Array:
    """log Σᵢ qᵢ·χ(yᵢ), log qᵢ = ℓᵢ(z₂) and yᵢ = log(pᵢ/qᵢ) = xᵢ − log1p(Σⱼ qⱼ·expm1(xⱼ)) with
    x = Δz − Σⱼ qⱼΔzⱼ (Δz = z₁ − z₂) for rows with every |xⱼ| < 1 (no cancellation), else
    ℓ(z₁) − ℓ(z₂): the log of each term is formed without an underflowing qᵢ."""
    from symgeom.backends.primitives import logsumexp_value
    from symgeom.backends.softmax_kl import log_softmax

    z1, z2 = xp.broadcast_arrays(z1, z2)
    l2 = log_softmax(xp, z2)
    q = xp.exp(l2)
    dz = z1 - z2
    x = dz - xp.sum(q * dz, axis=-1, keepdims=True)
    near = xp.max(xp.abs(x), axis=-1, keepdims=True) < 1
    x_near = xp.where(near, x, xp.zeros_like(x))
    y_near = x_near - xp.log1p(xp.sum(q * xp.expm1(x_near), axis=-1, keepdims=True))
    y = xp.where(near, y_near, log_softmax(xp, z1) - l2)
    with np.errstate(divide="ignore"):
        log_abs = xp.log(xp.abs(y))
    return logsumexp_value(xp, l2 + log_chi(xp, y, log_abs))


__all__ = ["CHI_CUTOFF", "LogAbs", "LogBregman", "LogChi", "log_bregman", "log_chi", "log_magnitude",
           "log_near_gaussian", "namespace", "rescue_vector", "rescued_kl"]
