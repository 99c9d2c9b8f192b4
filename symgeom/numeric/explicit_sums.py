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
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import sympy as sp

from symgeom.numeric import kernels
from symgeom.numeric.log_moments import LogMoment, log_moment
from symgeom.numeric.softplus import softplus_form

#: Hard stop: a sum that has not met its tail bound after this many terms is an error, not a guess.
MAX_TERMS = 1_000_000
#: Means above which a recognized log-moment is integrated (≈ 10³ nodes, a few ulps) rather than
#: summed term by term (≈ 10·mean terms, whose rounding grows with the mean: 1e-13 at mean 3300).
INTEGRAL_ABOVE = 10.0


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


def explicit_sum_function(
    expr: sp.Expr, arguments: Sequence[sp.Symbol], rtol: float = 1e-15, atol: float = 1e-300
) -> Callable[..., np.ndarray]:
    """A vectorized function of ``arguments`` evaluating ``expr``, whose infinite sums
    Σ_{x=0}^{∞} are summed exactly up to the tail bound in the module docstring."""
    sums = sorted(expr.atoms(sp.Sum), key=sp.default_sort_key)
    holders = [sp.Dummy(f"S{i}") for i in range(len(sums))]
    outer = sp.lambdify((*arguments, *holders), expr.xreplace(dict(zip(sums, holders))),
                        modules=["scipy", "numpy"])
    terms, moments = [], []
    for s in sums:
        (x, low, high), = s.limits
        if low != 0 or high != sp.oo:
            raise ValueError(f"only Σ_(x=0)^∞ is supported, got limits {s.limits}")
        # a plain real counter: SymPy turns log Γ of an integer symbol back into log(Γ(·))
        k = sp.Dummy("k", positive=True)
        log_mass, g = _term_parts(s.function.xreplace({x: k}), k)
        terms.append(sp.lambdify((k, *arguments), (log_mass, g),
                                 modules=[{"softplus": kernels.softplus}, "scipy", "numpy"]))
        moments.append(log_moment(s.function, x, arguments))

    def evaluate(*values: np.ndarray) -> np.ndarray:
        arrays = np.broadcast_arrays(*[np.asarray(v, dtype=float) for v in values])
        totals = [_sum_or_integral(term, moment, arrays, rtol, atol)
                  for term, moment in zip(terms, moments, strict=True)]
        return np.asarray(outer(*arrays, *totals), dtype=float)

    return evaluate


def _sum_or_integral(
    term: Callable, moment: LogMoment | None, arrays: list[np.ndarray], rtol: float, atol: float
) -> np.ndarray:
    """Term by term where the mean is at most :data:`INTEGRAL_ABOVE` (or no log-moment form was
    recognized), the log-moment integral elsewhere."""
    if moment is None or not arrays:
        return _sum(term, arrays, rtol, atol)
    with np.errstate(invalid="ignore"):
        large = ~(moment.mean(*arrays) <= INTEGRAL_ABOVE)
    if not large.any():
        return _sum(term, arrays, rtol, atol)
    out = np.empty(arrays[0].shape)
    out[large] = moment(*[a[large] for a in arrays], rtol=rtol)
    if not large.all():
        out[~large] = _sum(term, [a[~large] for a in arrays], rtol, atol)
    return out


def _sum(term: Callable, arrays: list[np.ndarray], rtol: float, atol: float) -> np.ndarray:
    """Σₓ t(x) up to the tail bound of the module docstring.  The ratio ρ(x) = t(x+1)/t(x) is taken
    from the logarithms of the masses and the log-factors, not from the terms: a term that
    underflows to 0 below the mode (e^{−λ}λˣ/x! at λ = 1000) has no ratio < 1 to stop on, where
    0/0 read as ρ = 0 ended the sum at its first terms (a Poisson entropy of −5907 for the true
    4.87).  Where g(x) = 0 (log 0!, log C(n, 0)) ρ is not defined and the sum goes on."""
    total = np.zeros(np.shape(arrays[0]) if arrays else ())
    log_mass, g = (np.asarray(v, dtype=float) for v in term(0.0, *arrays))
    for k in range(MAX_TERMS):
        next_log_mass, next_g = (np.asarray(v, dtype=float) for v in term(float(k + 1), *arrays))
        with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
            total = total + np.exp(log_mass) * g
            following = np.exp(next_log_mass) * next_g
            ratio = np.where(g > 0, np.exp(next_log_mass - log_mass) * (next_g / g), np.inf)
            bound = np.where(ratio < 1, following / np.maximum(1 - ratio, 1e-300), np.inf)
        if k > 0 and np.all((ratio < 1) & (bound <= np.maximum(rtol * np.abs(total), atol))):
            return total
        log_mass, g = next_log_mass, next_g
    raise ArithmeticError(f"explicit sum did not meet its tail bound within {MAX_TERMS} terms")
