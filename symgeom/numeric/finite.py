"""Stable entropy and Fisher matrix of any family on a finite support, generated from its log-density.

    H(θ) = Σₓ entr(p(x|θ), log p(x|θ)),      F(θ) = Σₓ p(x|θ) s(x) s(x)ᵀ,   s = ∇_θ log p(x|θ),

one term per outcome, each non-negative (H) or positive semidefinite (F), so neither can come out
negative or indefinite by cancellation.  log p(x|θ) is rewritten before it is printed:

* a logarithm of a quotient is split and log(1 + Σ eᵃ) becomes :class:`LogSumExp` (0, a₁, …),
  whose derivative e^{aᵢ − LSE} is the softmax, so logits of ±700 neither overflow nor give nan;
* log(1 + u) becomes log1p(u) (H(10⁻¹⁷) keeps the 10⁻¹⁷·log term of the other outcome);
* for a simplex argument, 1 − Σp is replaced by the supplied last probability.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, partial

import numpy as np
import sympy as sp
from sympy.codegen.cfunctions import log1p

from symgeom.families.base import Family, FiniteSupport


class LogSumExp(sp.Function):
    """LSE(a₁, …, a_n) = log Σᵢ e^{aᵢ}, evaluated shifted by max aᵢ; ∂LSE/∂aᵢ = e^{aᵢ − LSE}."""

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sp.exp(self.args[argindex - 1] - self)

    def _eval_rewrite_as_log(self, *args: sp.Expr, **kwargs: object) -> sp.Expr:
        return sp.log(sp.Add(*[sp.exp(a) for a in args]))

    def _latex(self, printer: sp.printing.latex.LatexPrinter) -> str:
        return r"\operatorname{LSE}\left(" + ", ".join(printer._print(a) for a in self.args) + r"\right)"

    def _numpycode(self, printer: sp.printing.numpy.NumPyPrinter) -> str:
        return "logsumexp_args(" + ", ".join(printer._print(a) for a in self.args) + ")"

    _pythoncode = _numpycode


class Entr(sp.Function):
    """entr(p, ℓ) = −p·ℓ for ℓ = log p, and 0 where p = 0 (0·log 0 = 0)."""

    nargs = 2

    def _eval_rewrite_as_log(self, p: sp.Expr, ell: sp.Expr, **kwargs: object) -> sp.Expr:
        return -p * ell

    def _numpycode(self, printer: sp.printing.numpy.NumPyPrinter) -> str:
        return f"entr_log({printer._print(self.args[0])}, {printer._print(self.args[1])})"

    _pythoncode = _numpycode


def logsumexp_args(*args: np.ndarray) -> np.ndarray:
    """log Σᵢ e^{aᵢ} of broadcast arrays = m + log1p(Σ_{i≠i*} e^{aᵢ−m}), m = a_{i*} the (first)
    maximum: the other terms keep their digits where 1 + Σ would round them away (log σ(700) =
    −LSE(0, −700) = −e^{−700}, not 0); ±inf and nan maxima are returned as they are."""
    arrays = np.broadcast_arrays(*(np.asarray(a) for a in args))
    dtype = np.result_type(*arrays, np.float32)
    peak = np.max(arrays, axis=0).astype(dtype, copy=False)
    top = np.where(np.isfinite(peak), peak, 0)
    first = np.argmax(arrays, axis=0)
    with np.errstate(under="ignore"):
        rest = sum(np.where(first == i, 0, np.exp(a - top)) for i, a in enumerate(arrays))
    return np.where(np.isfinite(peak), np.log1p(rest) + top, peak)


def entr_log(p: np.ndarray, ell: np.ndarray) -> np.ndarray:
    """−p·ℓ, 0 where p = 0."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(np.asarray(p) == 0, 0, -np.asarray(p) * np.asarray(ell))


def _exp_terms(arg: sp.Expr) -> list[sp.Expr] | None:
    """(a₁, …) with arg = Σ e^{aᵢ} (1 = e⁰), else None."""
    terms = sp.Add.make_args(arg)
    out = []
    for t in terms:
        if t == 1:
            out.append(sp.S.Zero)
        elif isinstance(t, sp.exp):
            out.append(t.args[0])
        else:
            return None
    return out if len(out) > 1 else None


def stable_log(expr: sp.Expr) -> sp.Expr:
    """log of quotients split, log Σe^a → LogSumExp, log(1 + u) → log1p(u)."""

    def log_of(arg: sp.Expr) -> sp.Expr:
        arg = sp.together(arg)
        numerator, denominator = sp.fraction(arg)
        if denominator != 1:
            return (log_of(numerator) if numerator != 1 else sp.S.Zero) - log_of(denominator)
        factors = sp.Mul.make_args(arg)
        if len(factors) > 1:
            return sp.Add(*[log_of(f) for f in factors])
        if isinstance(arg, sp.exp):
            return arg.args[0]
        if isinstance(arg, sp.Pow) and arg.exp.is_integer:
            return arg.exp * log_of(arg.base)
        exps = _exp_terms(arg)
        if exps is not None:
            return LogSumExp(*exps)
        if isinstance(arg, sp.Add) and 1 in sp.Add.make_args(arg):
            return log1p(arg - 1)
        return sp.log(arg)

    def split(e: sp.Expr) -> sp.Expr:
        return log_of(e.args[0])

    return expr.replace(lambda e: isinstance(e, sp.log), split)


def absorbed_log(ell: sp.Expr) -> sp.Expr:
    """``ell`` = K + c·aᵢ − c·LSE(a₁, …, a_n) (K free of symbols, c > 0) as K − c·LSE(a₁ − aᵢ, …,
    a_n − aᵢ): log σ(θ) = θ − LSE(0, θ) cancels θ against θ for θ ≫ 0 and rounds to 0, where
    −LSE(−θ, 0) = −log1p(e^{−θ}) keeps its digits (the Bernoulli-logit entropy at θ = 40 lost the
    σ(θ)·e^{−θ} term: 2.4 % low in float64, 2·10⁵ float32 ulps).  ``ell`` unchanged otherwise."""
    sums = [t for t in sp.Add.make_args(ell) if t.as_coeff_Mul()[0].is_negative
            and isinstance(t.as_coeff_Mul()[1], LogSumExp)]
    if len(sums) != 1:
        return ell
    c, lse = sums[0].as_coeff_Mul()
    rest = ell - sums[0]
    for a in lse.args:
        head = sp.expand(rest + c * a)
        if head.free_symbols or a == 0:
            continue
        return head + c * LogSumExp(*[sp.expand(b - a) for b in lse.args])
    return ell


@cache
def _outcome_terms(family: Family) -> tuple[tuple[sp.Expr, sp.Expr, tuple[sp.Expr, ...]], ...]:
    """(p(x), log p(x), ∇log p(x)) for each outcome, in the chart symbols plus last-probability symbols."""
    symbols = family.symbols()
    log_density = family.log_density(None)
    replace = _simplex_last(family)
    out = []
    for outcome in family.support.outcomes:
        raw = log_density.xreplace(dict(zip(family.variables, outcome)))
        # Differentiate first (1 − Σp depends on every p), then feed the supplied last entry.
        score = tuple(stable_log(sp.diff(stable_log(raw), s).xreplace(replace)) for s in symbols)
        ell = absorbed_log(stable_log(raw.xreplace(replace)))
        out.append((sp.exp(ell), ell, score))
    return tuple(out)


def _simplex_last(family: Family) -> dict[sp.Expr, sp.Symbol]:
    """1 − Σp of each simplex argument → a symbol fed with the array's supplied last entry."""
    out = {}
    start = 0
    for arg in family.chart.array_arguments:
        if arg.form == "simplex":
            pars = family.symbols()[start : start + arg.count]
            out[1 - sp.Add(*pars)] = sp.Symbol(f"{arg.name}_last", positive=True)
        start += arg.count
    return out


def last_symbols(family: Family) -> tuple[sp.Symbol, ...]:
    return tuple(_simplex_last(family).values())


_NAMESPACE = {"logsumexp_args": logsumexp_args, "entr_log": entr_log}


def supported(family: Family) -> bool:
    """Finite support written out per outcome; a size past the explicit limit keeps its
    log-density in index notation (k outcomes of k terms each), and its derived result is
    compiled instead."""
    return isinstance(family.support, FiniteSupport) and family.general is None


@cache
def entropy_function(family: Family) -> Callable[..., np.ndarray]:
    """H(θ) = Σₓ entr(p(x), log p(x)) of the chart scalars (and simplex last entries)."""
    terms = _outcome_terms(family)
    expr = sp.Add(*[Entr(p, ell) for p, ell, _ in terms])
    return sp.lambdify(family.symbols() + last_symbols(family), expr, modules=[_NAMESPACE, "numpy"])


@cache
def outcome_logs_function(family: Family) -> Callable[..., list]:
    """[p(x), …, log p(x), …] over the outcomes, of the chart scalars (and simplex last entries)."""
    terms = _outcome_terms(family)
    return sp.lambdify(family.symbols() + last_symbols(family),
                       [p for p, _, _ in terms] + [ell for _, ell, _ in terms], modules=[_NAMESPACE, "numpy"])


def subnormal_entropy(family: Family, scalars: list[np.ndarray], mask: np.ndarray) -> np.ndarray:
    """H at the entries of ``mask`` (over the scalars' broadcast shape) as the scaled sum of
    :func:`symgeom.numeric.tiny_sums.entr_sum`: for entries whose direct sum is subnormal."""
    from symgeom.numeric.tiny_sums import entr_sum

    shape = mask.shape
    picked = [np.broadcast_to(np.asarray(s, dtype=np.float64), shape)[mask] for s in scalars]
    with np.errstate(all="ignore"):
        values = outcome_logs_function(family)(*picked)
    n = len(values) // 2
    size = int(mask.sum())
    values = [np.broadcast_to(np.asarray(v, dtype=np.float64), (size,)) for v in values]
    inputs = [p.is_Symbol for p, _, _ in _outcome_terms(family)]  # exact at any size
    return entr_sum(values[:n], values[n:], inputs)


@cache
def fisher_function(family: Family) -> Callable[..., np.ndarray]:
    """F(θ) = Σₓ t(x)t(x)ᵀ with t(x) = √p(x)·s(x) (= Σₓ p(x) s(x)s(x)ᵀ), as a function returning
    the n×n entries.  Scaling the score by √p first keeps the
    products in range: at p = 1e-300, s = 1/p, p·(s·s) overflowed to inf where √p·s = 1e150
    squares to the representable 1e300; tᵢ·tⱼ is exactly symmetric."""
    terms = _outcome_terms(family)
    args = family.symbols() + last_symbols(family)
    probabilities = sp.lambdify(args, [p for p, _, _ in terms], modules=[_NAMESPACE, "numpy"])
    scores = sp.lambdify(args, [list(s) for _, _, s in terms], modules=[_NAMESPACE, "numpy"])
    return partial(fisher_sum, probabilities, scores, len(family.symbols()))


def fisher_sum(probabilities: Callable[..., list], scores: Callable[..., list], n: int,
               *values: np.ndarray) -> np.ndarray:
    """Σₓ p(x) s(x)s(x)ᵀ from the outcomes' probabilities and scores (NumPy only).

    An outcome with p(x) = 0 on the boundary (Bernoulli p = 0, Categorical [½, ½, 0]: its score
    sᵢ = ∂ log p(x) is ±∞ there) adds lim p·sᵢsⱼ: tᵢ = sᵢ = ±∞, so F = ∞ on the diagonal, the
    limit of 1/(p(1−p)), not the 1 that dropping the outcome gave.  Where p(x) only underflowed
    (a finite score: Binomial(3) at p = 1e-300, P(x = 2) = 3e-600) the term, p·s² = 12 there, is
    below the others' rounding and is dropped; tᵢtⱼ = 0 where either factor is 0.
    """
    dtype = np.result_type(*values, np.float32)
    shape = np.broadcast_shapes(*(np.shape(v) for v in values))
    out = np.zeros((*shape, n, n), dtype=dtype)
    with np.errstate(all="ignore"):
        ps = probabilities(*values)
        ss = scores(*values)
        for p, s in zip(ps, ss, strict=True):
            p = np.broadcast_to(np.asarray(p, dtype=dtype), shape)
            s = np.stack([np.broadcast_to(np.asarray(x, dtype=dtype), shape) for x in s], axis=-1)
            # t tᵀ with t = √p·s: exactly symmetric, and p·s_i·s_j's overflow at p = 1e-300 avoided
            edge = np.where(np.isinf(s), s, 0)  # √p·s on the boundary (s = ±∞), or an underflow
            t = np.where((p == 0)[..., None], edge, np.sqrt(p)[..., None] * s)
            left, right = t[..., :, None], t[..., None, :]
            out += np.where((left == 0) | (right == 0), 0, left * right)
    return out
