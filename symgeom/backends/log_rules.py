"""One rule table for log-magnitude copies: expr = s·e^L derived from the printed expression.

XLA on the CPU flushes results below the smallest normal number to 0 (:mod:`symgeom.backends.tiny_forms`),
so a Fisher entry, KL or entropy whose value is subnormal is assembled from L = log|value| instead.
:func:`log_magnitude` derives a sign s and an expression L with expr = s·e^L in which nothing
underflows, from the expression itself (no family is named), by one table of rules:

    log(uv) = log u + log v,   log uⁿ = n·log u (sign sⁿ; +1 for even n),   log eᵘ = u,
    log σ(u) = −softplus(−u),  log Σᵢ uᵢ = logsumexp(log uᵢ)   (every uᵢ of sign +1),
    log kl_div(a, b) = log_kl_div(a, b),   log kl_div(1, eᵘ) = u + log χ(−u),
    log c = log|c| (sign of the number c),  log θ = log θ  (θ a positive parameter),
    log(ℓ) for ℓ = log x ≤ 0 or log1p(y) ≤ 0 (x ≤ 1, y ≤ 0 by SymPy's assumptions or the
        parameter bounds given): sign −1, log(−ℓ) by :func:`log_negative`,

and per quantity the extensions the printed forms of that quantity need
(:data:`KL`, :data:`ENTROPY`, :data:`FISHER`):

    Fisher:   log|ψ⁽ⁿ⁾(x)| = log (n−1)! − n·log x + log1p(n/(2x) + n(n+1)/(12x²)) for x > 10⁸,
              else log|ψ⁽ⁿ⁾(x)| as printed (sign (−1)ⁿ⁺¹, x > 0; :func:`tiny_forms.log_polygamma`);
              log(ψ′(x) − ψ′(x + h)) = log h + log G(x, h) (:mod:`symgeom.numeric.trigamma_gap`);

    KL:       log χ(y) = log_chi(y, log|y|),   log SoftplusDiff(a, d) = log σ(a) + log|d̃|,
              log Square(x) = 2·log|x|,  log|x| = log|x|,  log ∫₀¹ f = log_bregman(log f)
              (:mod:`symgeom.backends.tiny_kl`);
    entropy:  log entr(p, ℓ) = log p + log(−ℓ),  log softplus(x),  log LSE(0, a₁, …),
              log h(x) (logit entropy), log θ = exact_log(θ) read from the bits, also inside
              exponents (:mod:`symgeom.backends.tiny_entropy`).

A factor no rule opens is handled by the profile's fallback: (sign f, log|f|) computed as
printed for Fisher entries and KLs (it underflows only where the value did before), none for
entropies (whose copy is then not made).  The copy is printed by :mod:`symgeom.backends.tiny_forms`
as ``tiny_rescue(v, s, lambda: L)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import sympy as sp
from sympy.codegen.cfunctions import log1p

from symgeom.backends.log_heads import (
    ExactLog,
    LogAbs,
    LogBregman,
    LogChi,
    LogEntr,
    LogLogitEntropy,
    LogLSE,
    LogNegLog1p,
    LogPolygamma,
    LogPositive,
    LogSoftplus,
)
from symgeom.backends.sigmoid import Sigmoid
from symgeom.backends.tiny_forms import LogKLDiv, LogSumExpOf
from symgeom.numeric.bregman import BregmanKL, Square
from symgeom.numeric.finite import Entr, LogSumExp
from symgeom.numeric.softplus import LogitEntropy, ScaledSoftplusDiff, Softplus, SoftplusDiff
from symgeom.numeric.symbolic import Chi, KLDiv
from symgeom.numeric.trigamma_gap import LogTrigammaGap, TrigammaGap

#: (s, L) with expr = s·e^L
Magnitude = tuple[sp.Expr, sp.Expr]
#: parameter → (lower, upper) bound (None where unbounded), from the family's domains
Bounds = Mapping[sp.Symbol, tuple[Any, Any]]

ONE = sp.Integer(1)


@dataclass(frozen=True)
class Profile:
    """The table's per-quantity part: extension rules, how the log of a parameter is printed,
    and what a factor no rule opens becomes."""

    name: str
    extensions: tuple[tuple[type | tuple[type, ...], Callable[[sp.Expr, Walk], Magnitude | None]], ...]
    exact_logs: bool
    fallback: Callable[[sp.Expr], Magnitude | None]


@dataclass(frozen=True)
class Walk:
    """One derivation of (s, L) under a profile and the parameter bounds."""

    profile: Profile
    bounds: Bounds = field(default_factory=dict)

    def of(self, expr: sp.Expr) -> Magnitude | None:
        for kind, rule in (*self.profile.extensions, *BASE):
            if isinstance(expr, kind):
                found = rule(expr, self)
                if found is not None:
                    return found
                break
        return self.profile.fallback(expr)

    def exact(self, expr: sp.Expr) -> sp.Expr:
        """``expr`` with log θ of a positive parameter θ read from its bits (entropy profile)."""
        return exact(expr) if self.profile.exact_logs else expr

    def at_most(self, expr: sp.Expr, bound: int) -> bool:
        """Whether expr ≤ bound, by SymPy's assumptions or (a parameter) its upper bound."""
        if isinstance(expr, sp.Symbol) and expr in self.bounds:
            upper = self.bounds[expr][1]
            if upper is not None and upper <= bound:
                return True
        return bool((bound - expr).is_nonnegative)


def exact(expr: sp.Expr) -> sp.Expr:
    """``expr`` with log s of a positive parameter s read from its bits (ExactLog)."""
    return expr.replace(lambda e: isinstance(e, sp.log) and isinstance(e.args[0], sp.Symbol)
                        and e.args[0].is_positive, lambda e: ExactLog(e.args[0]))


def log_magnitude(expr: sp.Expr, profile: Profile, bounds: Bounds | None = None) -> Magnitude | None:
    """(s, L) with expr = s·e^L by the table (module docstring), or None where the profile has no
    fallback and some factor is opened by no rule."""
    return Walk(profile, bounds or {}).of(sp.sympify(expr))


def log_negative(ell: sp.Expr, walk: Walk) -> sp.Expr | None:
    """log(−ℓ) for a log-probability ℓ ≤ 0: c·ℓ' by its coefficient, log(−log1p(−u)) of a u ≥ 0
    by its series (LogNegLog1p), log(−log θ) = log(−exact_log θ), else log max(−ℓ, 0) (−∞ where
    ℓ rounds above 0); None where −ℓ = c·r with c > 0 and r has no sign +1 by the rules."""
    coefficient, rest = ell.as_coeff_Mul()
    if coefficient < 0:
        inner = walk.of(rest)
        return None if inner is None or inner[0] != 1 else sp.log(-coefficient) + inner[1]
    if coefficient != 1:
        inner = log_negative(rest, walk)
        return None if inner is None else sp.log(coefficient) + inner
    if isinstance(ell, log1p) and _positive(-ell.args[0]):
        return LogNegLog1p(-ell.args[0])
    if isinstance(ell, sp.log) and isinstance(ell.args[0], sp.Symbol):
        return LogPositive(-ExactLog(ell.args[0]))
    return LogPositive(-exact(ell))  # −ℓ of normal size wherever the value is tiny (ℓ ≈ log of a tiny p)


def _positive(expr: sp.Expr) -> bool:
    return bool(expr.is_positive) or (isinstance(expr, sp.Symbol) and bool(expr.is_nonnegative))


# --- the shared rules ---------------------------------------------------------------------------

def _number(expr: sp.Expr, walk: Walk) -> Magnitude | None:
    if expr == 0:
        return None
    return sp.Integer(1 if expr > 0 else -1), sp.log(sp.Abs(expr))


def _exp(expr: sp.Expr, walk: Walk) -> Magnitude:
    return ONE, walk.exact(expr.args[0])


def _sigmoid(expr: sp.Expr, walk: Walk) -> Magnitude:
    return ONE, -Softplus(-expr.args[0])


def _kl_div(expr: sp.Expr, walk: Walk) -> Magnitude:
    a, b = expr.args
    if a == 1 and isinstance(b, sp.exp):
        u = b.args[0]
        inner = walk.of(-u)
        if inner is not None:
            return ONE, u + LogChi(-u, inner[1])
    return ONE, LogKLDiv(a, b)


def _symbol(expr: sp.Symbol, walk: Walk) -> Magnitude | None:
    if walk.profile.exact_logs and _positive(expr):
        return ONE, ExactLog(expr)
    return (ONE, sp.log(expr)) if expr.is_positive else None


def _pow(expr: sp.Pow, walk: Walk) -> Magnitude | None:
    n = expr.exp
    if not n.is_Number:
        return None
    base = walk.of(expr.base)
    if base is None:
        return None
    sign, log_abs = base
    if n.is_Integer:
        return (ONE if n.is_even else sign**n), n * log_abs
    return (sign, n * log_abs) if sign == 1 or expr.base.is_positive else None


def _mul(expr: sp.Mul, walk: Walk) -> Magnitude | None:
    parts = [walk.of(factor) for factor in expr.args]
    if any(p is None for p in parts):
        return None
    return sp.Mul(*[p[0] for p in parts]), sp.Add(*[p[1] for p in parts])


def _add(expr: sp.Add, walk: Walk) -> Magnitude | None:
    parts = [walk.of(term) for term in expr.args]
    if any(p is None for p in parts) or not all(p[0] == 1 for p in parts):
        return None
    return ONE, LogSumExpOf(*[p[1] for p in parts])


def _log(expr: sp.Expr, walk: Walk) -> Magnitude | None:
    """A logarithm ≤ 0 (log x with x ≤ 1, log1p y with y ≤ 0): sign −1, log(−ℓ)."""
    argument = expr.args[0]
    nonpositive = walk.at_most(argument, 1) if isinstance(expr, sp.log) else walk.at_most(argument, 0)
    if not nonpositive:
        return None
    log_minus = log_negative(expr, walk)
    return None if log_minus is None else (-ONE, log_minus)


BASE = (
    (sp.Number, _number), (sp.exp, _exp), (Sigmoid, _sigmoid), (KLDiv, _kl_div), (sp.Symbol, _symbol),
    (sp.Pow, _pow), (sp.Mul, _mul), (sp.Add, _add), ((sp.log, log1p), _log),
)


# --- KL extensions ------------------------------------------------------------------------------

def _chi(expr: sp.Expr, walk: Walk) -> Magnitude:
    (y,) = expr.args
    return ONE, LogChi(y, walk.of(y)[1])


def _softplus_diff(expr: sp.Expr, walk: Walk) -> Magnitude:
    a, d = expr.args
    return sp.sign(d), -Softplus(-a) + LogAbs(ScaledSoftplusDiff(a, d))


def _square_or_abs(expr: sp.Expr, walk: Walk) -> Magnitude:
    power = 2 if isinstance(expr, Square) else 1
    return ONE, power * walk.of(expr.args[0])[1]


def _bregman(expr: sp.Expr, walk: Walk) -> Magnitude:
    if len(expr.args) < 5:  # a lnΓ-sum KL (numeric.lngamma.LnGammaKL) has no integrand to take the log of
        return _printed_abs(expr)
    integrand, t = expr.args[3], expr.args[4]
    return ONE, LogBregman(walk.of(integrand)[1], t)


def _printed_abs(expr: sp.Expr) -> Magnitude:
    return sp.sign(expr), LogAbs(expr)


KL = Profile("kl", ((Chi, _chi), (SoftplusDiff, _softplus_diff), ((Square, sp.Abs), _square_or_abs),
                    (BregmanKL, _bregman)), exact_logs=False, fallback=_printed_abs)

# --- entropy extensions -------------------------------------------------------------------------

def _softplus(expr: sp.Expr, walk: Walk) -> Magnitude:
    return ONE, LogSoftplus(expr.args[0])


def _logit_entropy(expr: sp.Expr, walk: Walk) -> Magnitude:
    return ONE, LogLogitEntropy(expr.args[0])


def _log_sum_exp(expr: sp.Expr, walk: Walk) -> Magnitude | None:
    return (ONE, LogLSE(0, *[a for a in expr.args if a != 0])) if 0 in expr.args else None


def _entr(expr: sp.Expr, walk: Walk) -> Magnitude | None:
    log_p, log_minus = walk.of(expr.args[0]), log_negative(expr.args[1], walk)
    if log_p is None or log_p[0] != 1 or log_minus is None:
        return None
    return ONE, LogEntr(log_p[1], log_minus)


ENTROPY = Profile("entropy", ((Softplus, _softplus), (LogitEntropy, _logit_entropy),
                              (LogSumExp, _log_sum_exp), (Entr, _entr)),
                  exact_logs=True, fallback=lambda expr: None)

# --- Fisher entries -----------------------------------------------------------------------------

def _polygamma(expr: sp.Expr, walk: Walk) -> Magnitude | None:
    """ψ⁽ⁿ⁾(x), n ≥ 1, x > 0: sign (−1)ⁿ⁺¹ and log|ψ⁽ⁿ⁾(x)| without underflow (ψ′(x) ≈ 1/x is
    subnormal past x ≈ 4.5e307; JAX's ψ′ is 0 from x ≈ 1e300): LogPolygamma."""
    n, x = expr.args
    if not (n.is_Integer and n >= 1 and x.is_positive):
        return None
    return sp.Integer(1 if n % 2 else -1), LogPolygamma(n, x)


def _trigamma_gap(expr: sp.Expr, walk: Walk) -> Magnitude | None:
    """ψ′(x) − ψ′(x + h) = h·G(x, h) > 0 (x, h > 0): log h + log G without underflow
    (:func:`symgeom.numeric.trigamma_gap.log_trigamma_gap_for`, printed ``log_trigamma_gap``)."""
    x, h = expr.args
    if not (x.is_positive and h.is_positive):
        return None
    return ONE, LogTrigammaGap(x, h)


FISHER = Profile("fisher", ((sp.polygamma, _polygamma), (TrigammaGap, _trigamma_gap)), exact_logs=False,
                 fallback=lambda expr: (sp.sign(expr), sp.log(sp.Abs(expr))))
#: the Fisher rules without the fallback: None unless every factor is opened by a rule
OPENED = replace(FISHER, name="opened", fallback=lambda expr: None)


__all__ = ["BASE", "ENTROPY", "FISHER", "KL", "OPENED", "Bounds", "Magnitude", "Profile", "Walk", "exact",
           "log_magnitude", "log_negative"]
