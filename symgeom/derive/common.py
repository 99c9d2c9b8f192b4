"""Small helpers shared by the derivation routes: tidying, Jacobians, point bookkeeping."""

from __future__ import annotations

import functools

import sympy as sp

from symgeom.derive import ring_tidy
from symgeom.derive.rational import RationalContext, reduce_rational
from symgeom.families.base import Family, Point


def tidy_logs(expr: sp.Expr) -> sp.Expr:
    """Cancel and factor every log argument, then split logs SymPy can show are of positive factors.

    Only log nodes change (log is the only node ``expand_log`` rewrites), so each distinct log is
    tidied once (memoized: det Σ₁, p₁ … recur across routes and identities) and put back by
    ``xreplace``, instead of rebuilding and re-walking the whole expression twice; logs nested in
    log arguments take the general bottom-up path.
    """
    logs = expr.atoms(sp.log)
    if not logs:
        return expr
    if any(log.args[0].has(sp.log) for log in logs):
        expr = expr.replace(lambda e: isinstance(e, sp.log), lambda e: sp.log(_factored(e.args[0])))
        return sp.expand_log(expr, deep=True)
    # A log that neither step changes is left out, so that (as in ``replace``) the nodes above
    # it are not rebuilt: an unevaluated product in a derivation step keeps its order.
    tidied = {log: _tidy_log(log) for log in logs}
    return expr.xreplace({log: new for log, (new, changed) in tidied.items() if changed})


@functools.lru_cache(maxsize=8192)
def _factored(argument: sp.Expr) -> sp.Expr:
    return sp.factor(sp.cancel(argument))


@functools.lru_cache(maxsize=8192)
def _tidy_log(log: sp.log) -> tuple[sp.Expr, bool]:
    """(the tidy form of ``log``, whether factoring or splitting changed anything)."""
    factored = sp.log(_factored(log.args[0]))
    split = sp.expand_log(factored, deep=True)
    return split, factored != log or split != log


def looks_negative(expr: sp.Expr) -> bool:
    """Negative at a small interior point (every symbol 1/7), as 1 − p is not and p − 1 is.

    Only chooses how a result is written (which sign to factor out), never what it is worth.
    """
    value = expr.xreplace({s: sp.Rational(1, 7) for s in expr.free_symbols})
    if value.is_number and value != 0:
        return bool(value.is_negative)
    return expr.could_extract_minus_sign()


def _positive_factors(expr: sp.Expr) -> sp.Expr:
    """Flip the sign of sum factors that look negative, p/(p·(1 − p)) rather than −p/(p·(p − 1))."""
    sign = 1
    parts = []
    for part in sp.fraction(expr):
        factors = []
        for factor in sp.Mul.make_args(part):
            base, exponent = factor.as_base_exp()
            if isinstance(base, sp.Add) and exponent.is_integer and looks_negative(base):
                factor = sp.expand(-base) ** exponent
                sign *= (-1) ** exponent
            factors.append(factor)
        parts.append(sp.Mul(*factors))
    return sign * parts[0] / parts[1]


#: Expressions above this many operations are left as derived: cancelling them takes seconds
#: each.  A size rule rather than a clock, so every machine derives (and proofs/ prints) the
#: same thing.
TIDY_MAX_OPS = 1500

#: Families with more parameters than this (full-covariance Gaussians with d ≥ 2, diagonal ones
#: with d ≥ 3) get their rational functions reduced by factor-base arithmetic
#: (symgeom.derive.rational): SymPy's cancel and factor take seconds per entry in that many
#: symbols, minutes per Fisher matrix (d = 3), while the factor base needs no gcd (the d = 2 full
#: and d = 3 diagonal catalog rows: 58 s of CPU by cancel, 8.5 s by the factor base).
LARGE_FAMILY_PARAMETERS = 4


def is_large(family: Family | None) -> bool:
    """Whether ``family`` is reduced by factor-base arithmetic (see LARGE_FAMILY_PARAMETERS)."""
    return family is not None and len(family.parameters) > LARGE_FAMILY_PARAMETERS


def family_context(family: Family, symbols: tuple[sp.Symbol, ...]) -> RationalContext:
    """The factor-base context ℚ[symbols, atoms] for ``family``'s chart.

    A chart may enter the reference parameters through exp (σ² = e^{2 log σ}, softmax): the atoms
    exp(θᵢ) of every point whose symbols are in ``symbols`` become generators, so that
    e^{−2 log σ} is u⁻² and its derivative (u′ = u) is taken by the chain rule.
    """
    wanted = set(symbols)
    exprs = [
        sp.sympify(e).xreplace(family.chart.at(point))
        for point in (None, 1, 2)
        if wanted & set(family.symbols(point))
        for e in family.chart.to_reference
    ]
    return RationalContext.for_expressions(exprs, tuple(symbols))


def tidy_rational(expr: sp.Expr, family: Family | None = None) -> sp.Expr:
    """A rational-function entry in lowest terms: factored when small enough to do quickly; for a
    large family (see :func:`is_large`), an expanded numerator over a factored denominator."""
    if is_large(family):
        return reduce_rational(expr)
    return _tidy_small(expr)


@functools.lru_cache(maxsize=8192)
def _tidy_small(expr: sp.Expr) -> sp.Expr:
    """tidy_rational for a small family; memoized because the routes of one family tidy many of
    the same entries (the score-covariance and Hessian Fisher, the pull-back and the expansion)."""
    if sp.count_ops(expr) > TIDY_MAX_OPS:
        return expr
    # The same two forms, read into one polynomial ring when expr is a rational function of
    # symbols and eᶿ (symgeom.derive.ring_tidy); SymPy's expression-level path otherwise.
    value = ring_tidy.fraction(expr, opaque="unexpanded")
    if value is not None:
        cancelled, factored = ring_tidy.cancelled(value), ring_tidy.factored(value)
    else:
        cancelled = sp.cancel(sp.together(expr))
        factored = sp.factor(cancelled)
    best = factored if sp.count_ops(factored) <= sp.count_ops(cancelled) else cancelled
    return _positive_factors(best)


def tidy_value(expr: sp.Expr, family: Family | None = None) -> sp.Expr:
    """One term of a displayed step in lowest terms, by exact rewrites only: logarithms through
    :func:`tidy_logs`, rational functions through :func:`tidy_rational` (e.g. 1 − eᶿ/(eᶿ+1) is
    1/(eᶿ+1)); the input is kept when that is no shorter."""
    tidy = tidy_logs(expr) if expr.has(sp.log) else tidy_rational(expr, family)
    return tidy if sp.count_ops(tidy) <= sp.count_ops(expr) else expr


NOT_EXPONENTIAL = "not an exponential family: there is no log-partition A(η)"
NOT_SMOOTH = ("log p(x|θ) is not twice differentiable in θ (it contains |·| or sign(·) of the "
              "parameters), so this route's derivatives do not exist")


def has_exponential_form(family: Family) -> bool:
    """Whether routes through the log-partition A(η) apply."""
    return family.exponential_form is not None


def smooth_in_parameters(family: Family) -> bool:
    """Whether log p(x|θ) is built from smooth functions of θ only (no |·|, sign, Piecewise,
    max/min of expressions involving the parameters): Hessian and Taylor routes need it."""
    theta = set(family.reference.symbols())
    kinks = family.log_density_reference.atoms(sp.Abs, sp.sign, sp.Piecewise, sp.Max, sp.Min,
                                               sp.Heaviside)
    return not any(k.free_symbols & theta for k in kinks)


def point_pairs(family: Family) -> list[tuple[sp.Symbol, sp.Symbol]]:
    """(θ₁ᵢ, θ₂ᵢ) for each chart parameter: canonical forms are written in their differences."""
    return list(zip(family.symbols(1), family.symbols(2)))


def jacobian(outputs: tuple[sp.Expr, ...], inputs: tuple[sp.Symbol, ...]) -> sp.Matrix:
    """J[i, j] = ∂ outputs[i] / ∂ inputs[j]."""
    return sp.Matrix(len(outputs), len(inputs), lambda i, j: sp.diff(outputs[i], inputs[j]))


def natural_symbols_at(family: Family, point: Point) -> tuple[sp.Symbol, ...]:
    """η symbols renamed for a parameter point: η → η_1, η_2 (η itself for the generic point)."""
    symbols = family.exponential_form.natural_symbols
    if point is None:
        return symbols
    return tuple(sp.Symbol(f"{s.name}_{point}", **s.assumptions0) for s in symbols)


def natural_parameters(family: Family, point: Point = None) -> tuple[sp.Expr, ...]:
    """η(θ) at ``point``, each in its shortest exact form: logarithms of cancelled arguments split
    where SymPy can show the factors positive (log(eᶿ) = θ for real θ), rational parts cancelled.

    Only exact rewrites (cancel, factor, expand_log under the symbols' assumptions); the longer
    form is kept when tidying does not shorten it.  Large families keep η(θ) as composed.
    """
    natural = family.natural_at(point)
    if is_large(family):
        return natural
    out = []
    for eta in natural:
        tidy = tidy_logs(eta)
        if not tidy.has(sp.log):
            tidy = tidy_rational(tidy, family)
        out.append(tidy if sp.count_ops(tidy) <= sp.count_ops(eta) else eta)
    return tuple(out)


def chart_to_point(family: Family, expr: sp.Expr, point: Point) -> sp.Expr:
    """Rename the generic chart symbols θ in ``expr`` to those of ``point``."""
    return expr.xreplace(family.chart.at(point))


def simplified_if_small(simplify: object, expr: sp.Basic, max_ops: int) -> tuple[sp.Basic, bool]:
    """(simplify(expr), True) when expr has at most ``max_ops`` operations, else (expr, False).

    Large rational functions (the log-partition of a 3-d Gaussian at η(θ)) take minutes to
    cancel; the unsimplified expression is still exact, so derivations keep it and say so.  A
    size rule rather than a clock keeps every derivation identical on every machine.
    """
    if sp.count_ops(expr) > max_ops:
        return expr, False
    return simplify(expr), True
