"""NumPy functions for results that keep an expectation explicit (Σₓ p(x|θ) g(x) over ℕ, e.g.
E[log x!] in the Poisson entropy): exact summation, stopped by a stated tail bound.

Each infinite sum Σ_{x≥0} t(x) is summed term by term, the terms computed from their logarithm
(log p by log Γ, so nothing overflows).  Once every term ratio ρ(x) = t(x+1)/t(x) has fallen
below 1 at some x = m, and ρ is non-increasing from there on (true for Poisson and negative
binomial masses times log x! or log C(x+r−1, x): the mass ratio λ/(x+1) or (1−p)(x+r)/(x+1)
decreases and so does the ratio of the log-factor), the tail is bounded by the geometric series
Σ_{x>m} t(x) ≤ t(m+1)/(1 − ρ(m+1)).  Summation stops when that bound is below
``rtol``·|partial sum| (and ``atol``): the returned value is within that bound of the exact sum.

Term by term takes about as many terms as the mean of the mass.  Where the summand is a
negative-binomial-type mass times Σⱼ wⱼ log(x + aⱼ) (:mod:`symgeom.numeric.log_moments`, recognized
from the summand) and the mean exceeds :data:`INTEGRAL_ABOVE`, the sum is the Frullani integral of
that module instead, with its own stated bound: any mean (a negative binomial entropy at θ = −700).
Where the summand is a Poisson-type mass times log x! (:mod:`symgeom.numeric.log_factorial`, also
recognized from the summand) and the mean exceeds :data:`INTEGRAL_ABOVE`, E[log X!] is replaced
symbolically by H_c + c log c − c, so that −c log c + c + E[log X!] becomes H_c, summed in a form
whose terms are all ≥ 0.

Never a silent wrong value: every evaluation carries a bound.  The sums' bounds (tail bound plus
rounding: each term within ε·(4·Σ|parts of log p| + 8) relative, from the magnitudes of the parts
of its logarithm, compensated summation; the integrals' stated bounds plus 16 ulps) are propagated
through the expression around the sums (the change of the result when each sum moves by its bound,
plus 8 ulps of Σ|terms| of that expression, which is where −λ log λ + λ + E[log x!] cancels), and
a result whose bound exceeds :data:`GUARD_RTOL` of its magnitude raises ArithmeticError naming the
regime instead of being returned.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import sympy as sp

from symgeom.numeric import kernels
from symgeom.numeric.log_factorial import log_factorial_moment, poisson_type_entropy
from symgeom.numeric.log_moments import LogMoment, log_moment
from symgeom.numeric.softplus import softplus_form

#: Hard stop: a sum that has not met its tail bound after this many terms is an error, not a guess.
MAX_TERMS = 1_000_000
#: Means above which a recognized log-moment is integrated (≈ 10³ nodes, a few ulps) rather than
#: summed term by term (≈ 10·mean terms, whose rounding grows with the mean: 1e-13 at mean 3300).
INTEGRAL_ABOVE = 10.0
#: a result whose propagated error bound exceeds this fraction of its magnitude raises
GUARD_RTOL = 1e-12
#: float64 unit roundoff
EPS = 2.0 ** -53


def _log_gamma_form(expr: sp.Expr) -> sp.Expr:
    """log x! → log Γ(x+1), log C(n, k) → log Γ(n+1) − log Γ(k+1) − log Γ(n−k+1)."""
    def rewrite(e: sp.Expr) -> sp.Expr:
        inner = e.args[0]
        if isinstance(inner, sp.factorial):
            return sp.loggamma(inner.args[0] + 1)
        if isinstance(inner, sp.binomial):
            n, k = inner.args
            return sp.loggamma(n + 1) - sp.loggamma(k + 1) - sp.loggamma(n - k + 1)
        return e

    return expr.replace(lambda e: isinstance(e, sp.log), rewrite)


def _term_parts(summand: sp.Expr, x: sp.Symbol) -> tuple[sp.Expr, sp.Expr]:
    """(log of the mass factor, the log-factor g) with summand = exp(log mass)·g."""
    factors = sp.Mul.make_args(sp.Mul(*sp.Mul.make_args(summand)))  # flatten 1*(…) products
    g = sp.Mul(*[f for f in factors if f.has(sp.log) and x in f.free_symbols])
    mass = sp.Mul(*[f for f in factors if not (f.has(sp.log) and x in f.free_symbols)])
    log_mass = sp.expand_log(sp.log(mass), force=True)
    log_mass = log_mass.replace(lambda e: isinstance(e, sp.log) and isinstance(e.args[0], sp.factorial),
                                lambda e: sp.loggamma(e.args[0].args[0] + 1))
    log_mass = log_mass.replace(lambda e: isinstance(e, sp.log) and isinstance(e.args[0], sp.binomial),
                                lambda e: _log_gamma_form(e))
    def log_gamma(e: sp.Expr) -> sp.Expr:  # log Γ(z) without overflowing Γ(z) first
        return e.replace(lambda a: isinstance(a, sp.log) and isinstance(a.args[0], sp.gamma),
                         lambda a: sp.loggamma(a.args[0].args[0]))

    # log(1 − e^θ/(e^θ + 1)) = −softplus(θ): as written 1 − σ(θ) rounds to 0 for θ > 37 and x·log 0
    # is nan even at x = 0
    return softplus_form(log_gamma(log_mass)), log_gamma(_log_gamma_form(g))


def _magnitude(expr: sp.Expr) -> sp.Expr:
    """Σ|terms| of ``expr`` as a sum: the scale of its rounding error."""
    return sp.Add(*[sp.Abs(t) for t in sp.Add.make_args(sp.expand(expr))])


def explicit_sum_function(
    expr: sp.Expr, arguments: Sequence[sp.Symbol], rtol: float = 1e-15, atol: float = 1e-300
) -> Callable[..., np.ndarray]:
    """A vectorized function of ``arguments`` evaluating ``expr``, whose infinite sums
    Σ_{x=0}^{∞} are summed exactly up to the tail bound in the module docstring; ArithmeticError
    where the propagated error bound exceeds :data:`GUARD_RTOL` of the result."""
    sums = sorted(expr.atoms(sp.Sum), key=sp.default_sort_key)
    holders = [sp.Dummy(f"S{i}") for i in range(len(sums))]
    body = expr.xreplace(dict(zip(sums, holders)))
    terms, moments, factorials = [], [], []
    for s in sums:
        (x, low, high), = s.limits
        if low != 0 or high != sp.oo:
            raise ValueError(f"only Σ_(x=0)^∞ is supported, got limits {s.limits}")
        # a plain real counter: SymPy turns log Γ of an integer symbol back into log(Γ(·))
        k = sp.Dummy("k", positive=True)
        log_mass, g = _term_parts(s.function.xreplace({x: k}), k)
        parts = (log_mass, g, _magnitude(log_mass), _magnitude(g))
        terms.append(sp.lambdify((k, *arguments), parts,
                                 modules=[{"softplus": kernels.softplus}, "scipy", "numpy"]))
        moments.append(log_moment(s.function, x, arguments))
        factorials.append(log_factorial_moment(s.function, x, arguments))
    plain = _Outer(body, arguments, holders)
    # E[log X!] = H_c + (c log c − c): the closed part cancels symbolically against the expression
    shifted = body.xreplace({h: h + f.closed_part() for h, f in zip(holders, factorials, strict=True)
                             if f is not None})
    stable = _Outer(sp.expand(shifted), arguments, holders) if any(factorials) else None

    def evaluate(*values: np.ndarray) -> np.ndarray:
        arrays = np.broadcast_arrays(*[np.asarray(v, dtype=float) for v in values])
        shape = np.shape(arrays[0]) if arrays else ()
        large = np.zeros(shape, dtype=bool)
        if stable is not None and arrays:
            with np.errstate(invalid="ignore"):
                for f in factorials:
                    if f is not None:
                        large |= ~(f.mean(*arrays) <= INTEGRAL_ABOVE)
        out = np.empty(shape)
        if (~large).any():
            part = [a[~large] for a in arrays] if arrays else []
            sums_ = [_sum_or_integral(term, moment, part, rtol, atol)
                     for term, moment in zip(terms, moments, strict=True)]
            out[~large] = plain(part, sums_, "term-by-term sums / log-moment integrals")
        if large.any():
            part = [a[large] for a in arrays]
            sums_ = [poisson_type_entropy(f.mean(*part), str(f.rate_expr)) if f is not None
                     else _sum_or_integral(term, moment, part, rtol, atol)
                     for term, moment, f in zip(terms, moments, factorials, strict=True)]
            out[large] = stable(part, sums_, "E[log X!] as a Poisson-type entropy")
        return out

    return evaluate


class _Outer:
    """The expression around the sums, with its error propagation (module docstring)."""

    def __init__(self, body: sp.Expr, arguments: Sequence[sp.Symbol], holders: Sequence[sp.Symbol]):
        # the rewritten entries' functions (entr_log from backends.log_terms' guarded logs, softplus)
        from symgeom.numeric.finite import entr_log

        modules = [{"entr_log": entr_log, "softplus": kernels.softplus}, "scipy", "numpy"]
        self.value = sp.lambdify((*arguments, *holders), body, modules=modules)
        self.scale = sp.lambdify((*arguments, *holders), _magnitude(body), modules=modules)

    def __call__(self, arrays: list[np.ndarray], sums: list[tuple[np.ndarray, np.ndarray]],
                 regime: str) -> np.ndarray:
        totals = [np.asarray(t, dtype=float) for t, _ in sums]
        value = np.asarray(self.value(*arrays, *totals), dtype=float)
        with np.errstate(over="ignore", invalid="ignore"):
            bound = 8 * EPS * np.abs(self.scale(*arrays, *[np.abs(t) for t in totals]))
            for i, (_, error) in enumerate(sums):
                moved = list(totals)
                moved[i] = totals[i] + error
                bound = bound + np.abs(self.value(*arrays, *moved) - value)
        ok = bound <= GUARD_RTOL * np.abs(value)
        if arrays:  # a nan parameter gives a nan value, not an error
            ok |= np.isnan(value) & np.any([np.isnan(a) for a in arrays], axis=0)
        if not np.all(ok):
            worst = np.argmax(np.where(ok, 0.0, bound / np.maximum(np.abs(value), 1e-300)))
            at = ", ".join(f"{np.ravel(a)[worst]:.6g}" for a in arrays)
            raise ArithmeticError(
                f"explicit expectation ({regime}): the error bound {np.ravel(bound)[worst]:.3g} exceeds "
                f"{GUARD_RTOL:g} of the value {np.ravel(value)[worst]:.6g} at parameters ({at}); "
                "not returned rather than returned wrong")
        return value


def _sum_or_integral(
    term: Callable, moment: LogMoment | None, arrays: list[np.ndarray], rtol: float, atol: float
) -> tuple[np.ndarray, np.ndarray]:
    """(value, error bound): term by term where the mean is at most :data:`INTEGRAL_ABOVE` (or no
    log-moment form was recognized), the log-moment integral elsewhere (its stated bound, met at
    ``rtol``, plus 16 ulps of rounding)."""
    if moment is None or not arrays:
        return _sum(term, arrays, rtol, atol)
    with np.errstate(invalid="ignore"):
        large = ~(moment.mean(*arrays) <= INTEGRAL_ABOVE)
    if not large.any():
        return _sum(term, arrays, rtol, atol)
    out, bound = np.empty(arrays[0].shape), np.empty(arrays[0].shape)
    out[large] = moment(*[a[large] for a in arrays], rtol=rtol)
    bound[large] = (rtol + 16 * EPS) * np.abs(out[large])
    if not large.all():
        out[~large], bound[~large] = _sum(term, [a[~large] for a in arrays], rtol, atol)
    return out, bound


def _sum(term: Callable, arrays: list[np.ndarray], rtol: float, atol: float
         ) -> tuple[np.ndarray, np.ndarray]:
    """(Σₓ t(x), error bound) up to the tail bound of the module docstring.  The ratio
    ρ(x) = t(x+1)/t(x) is taken from the logarithms of the masses and the log-factors, not from the
    terms: a term that underflows to 0 below the mode (e^{−λ}λˣ/x! at λ = 1000) has no ratio < 1 to
    stop on, where 0/0 read as ρ = 0 ended the sum at its first terms (a Poisson entropy of −5907 for
    the true 4.87).  Where g(x) = 0 (log 0!, log C(n, 0)) ρ is not defined and the sum goes on.
    The terms are added with Neumaier's compensation; the bound is the tail bound plus each term's
    rounding (module docstring) plus 2 ulps of Σ|t|.  A log-factor that evaluates to exactly 0 is
    taken as exact (log 0!, log C(n, 0): the same log Γ values subtracted), else a mass near 1 at
    x = 0 would charge 4 ulps of log Γ(n + 1) to an entropy of 1e-301."""
    shape = np.shape(arrays[0]) if arrays else ()
    total, compensation, rounding, absolute = (np.zeros(shape) for _ in range(4))
    log_mass, g, scale_mass, scale_g = (np.asarray(v, dtype=float) for v in term(0.0, *arrays))
    for k in range(MAX_TERMS):
        following_parts = [np.asarray(v, dtype=float) for v in term(float(k + 1), *arrays)]
        next_log_mass, next_g = following_parts[:2]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
            mass = np.exp(log_mass)
            value = mass * g
            t = total + value
            compensation = compensation + np.where(np.abs(total) >= np.abs(value),
                                                   (total - t) + value, (value - t) + total)
            total = t
            absolute = absolute + np.abs(value)
            rounding = rounding + EPS * (np.abs(value) * (4 * scale_mass + 8)
                                         + np.where(g == 0, 0.0, 4 * mass * scale_g))
            following = np.exp(next_log_mass) * next_g
            ratio = np.where(g > 0, np.exp(next_log_mass - log_mass) * (next_g / g), np.inf)
            bound = np.where(ratio < 1, following / np.maximum(1 - ratio, 1e-300), np.inf)
        if k > 0 and np.all((ratio < 1) & (bound <= np.maximum(rtol * np.abs(total), atol))):
            return total + compensation, bound + rounding + 2 * EPS * absolute
        log_mass, g, scale_mass, scale_g = following_parts
    raise ArithmeticError(f"explicit sum did not meet its tail bound (rtol = {rtol:g}, atol = {atol:g}) "
                          f"within {MAX_TERMS} terms")
