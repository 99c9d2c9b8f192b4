"""What a family's exponential-family form and chart are, read from the data (never the name).

:func:`kl_structure` classifies the pair (exponential-family form, chart) into the shapes for
which symgeom has a proved stable KL form, and otherwise into the generic Bregman route:

* ``softmax``: A(η) = log(1 + Σᵢ e^{ηᵢ}), h = 1, T the one-hot indicators of all but one outcome
  (any categorical distribution, Bernoulli included).  ``chart`` is ``mean`` when the chart
  coordinates are E[T] = ∇A (probabilities), ``natural`` when they are η (logits).
* ``normal``: T = (x₁…x_d, x₁²…x_d²) on ℝᵈ (independent coordinates).  ``chart`` says how each
  coordinate pair (a, b) gives (μ, σ²): ``mean_std`` (μ = a, σ² = b²), ``mean_var`` (σ² = b),
  ``mean_logstd`` (σ² = e^{2b}), ``natural`` (a = η₁, b = η₂).
* ``normal_full``: T = (x, xᵢxⱼ for i ≤ j) on ℝᵈ, chart (μ, upper triangle of Σ).
* ``bregman``: every other exponential family (KL = A(η₂) − A(η₁) − (η₂ − η₁)·∇A(η₁)).
* ``general``: a family with no exponential-family form (Laplace): no structure to use; its
  quantities come from their derived closed forms.

Each classification is an exact SymPy comparison on the family's expressions.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from itertools import combinations_with_replacement

import sympy as sp

from symgeom.families.base import Family, FiniteSupport, RealSupport


@dataclass(frozen=True)
class KLStructure:
    """The recognized shape of a family's KL: ``kind`` and, for the known kinds, the ``chart``."""

    kind: str  # "softmax" | "normal" | "normal_full" | "bregman" | "general"
    chart: str = ""


def _same(a: sp.Expr, b: sp.Expr) -> bool:
    """a ≡ b for real arguments: rational cancellation, then the same for eᵃ = eᵇ (exp is
    injective on ℝ, and turns log-ratios into rational functions), then simplify."""
    a, b = sp.sympify(a), sp.sympify(b)
    if a == b:
        return True
    if (a.has(sp.log) or b.has(sp.log)) and sp.cancel(sp.powsimp(sp.exp(a) - sp.exp(b))) == 0:
        return True
    if sp.cancel(a - b) == 0:
        return True
    return sp.simplify(a - b) == 0


@cache
def kl_structure(family: Family) -> KLStructure:
    """The shape of ``family``'s KL in its chart (see the module docstring)."""
    explicit = getattr(family.general, "explicit", None)
    if explicit is not None:
        return kl_structure(explicit(family.param))
    form = family.exponential_form
    if form is None:
        return KLStructure("general")
    eta = form.natural_symbols
    softmax = sp.log(1 + sp.Add(*[sp.exp(e) for e in eta]))
    finite = isinstance(family.support, FiniteSupport)
    if finite and form.log_base_measure == 0 and form.log_partition == softmax and _one_hot(family):
        chart = _softmax_chart(family)
        if chart:
            return KLStructure("softmax", chart)
    if isinstance(family.support, RealSupport):
        xs = family.variables
        if tuple(form.statistics) == tuple(xs) + tuple(x**2 for x in xs):
            chart = _gaussian_chart(family)
            if chart:
                return KLStructure("normal", chart)
        pairs = combinations_with_replacement(range(len(xs)), 2)
        full = tuple(xs) + tuple(xs[i] * xs[j] for i, j in pairs)
        forms = tuple(a.form for a in family.chart.array_arguments)
        if (
            len(xs) > 1
            and tuple(form.statistics) == full
            and forms == ("vector", "positive_definite")
            and all(_same(r, s) for r, s in zip(_reference(family), family.symbols()))
        ):
            return KLStructure("normal_full", "mean_cov")
    return KLStructure("bregman")


def _reference(family: Family) -> tuple[sp.Expr, ...]:
    return tuple(family.reference_at(None).values())


#: Above this many statistics only structural (==) comparisons are made, so recognition stays
#: O(k) for Categorical(10⁴); a custom family written differently is then taken as generic.
SMALL = 4


def _statistics(family: Family, outcome: tuple[int, ...]) -> tuple[sp.Expr, ...]:
    at = dict(zip(family.variables, outcome))
    return tuple(sp.sympify(t).xreplace(at) for t in family.exponential_form.statistics)


def _unit(n: int, i: int) -> tuple[int, ...]:
    return tuple(int(j == i) for j in range(n))


def _one_hot(family: Family) -> bool:
    """T over the outcomes is {e₁, …, e_n, 0}: each outcome sets at most one statistic to 1."""
    stats = tuple(family.exponential_form.statistics)
    n = len(stats)
    outcomes = family.support.outcomes
    if len(outcomes) != n + 1:
        return False
    variables = tuple(family.variables)
    if stats == variables[:n]:
        seen = {tuple(o[:n]) for o in outcomes}
    elif n <= SMALL:
        seen = {_statistics(family, o) for o in outcomes}
    else:
        return False
    return seen == {_unit(n, j) for j in range(n)} | {(0,) * n}


def _matches(actual: tuple[sp.Expr, ...], expected: tuple[sp.Expr, ...]) -> bool:
    """Structurally equal, or (for few entries) equal after exact simplification."""
    if len(actual) != len(expected):
        return False
    if all(sp.sympify(a) == b for a, b in zip(actual, expected)):
        return True
    return len(actual) <= SMALL and all(_same(a, b) for a, b in zip(actual, expected))


def _softmax_chart(family: Family) -> str:
    """``mean`` if θᵢ = E[Tᵢ] = pᵢ, ``natural`` if θ = η, else ''.

    The reference parameters must be the probabilities (η = log(pᵢ/(1 − Σp))); the chart is then
    the mean chart if it maps to them identically, the natural one if pᵢ = e^{θᵢ}/(1 + Σe^θ).
    """
    form = family.exponential_form
    reference = family.reference.symbols()
    last = 1 - sp.Add(*reference)
    if not _matches(form.natural, tuple(sp.log(p / last) for p in reference)):
        return ""
    symbols = family.symbols()
    image = tuple(family.chart.to_reference)
    if _matches(image, symbols):
        return "mean"
    denominator = 1 + sp.Add(*[sp.exp(t) for t in symbols])
    if _matches(image, tuple(sp.exp(t) / denominator for t in symbols)):
        return "natural"
    return ""


def _gaussian_chart(family: Family) -> str:
    """The common coordinate convention of every (μᵢ, σᵢ²) pair, read from η(θ)."""
    natural = family.natural_at(None)
    symbols = family.symbols()
    d = len(family.variables)
    if len(symbols) != 2 * d:
        return ""
    if all(_same(n, s) for n, s in zip(natural, symbols)):
        return "natural"
    kinds = set()
    for i in range(d):
        a, b = symbols[i], symbols[d + i]
        eta1, eta2 = natural[i], natural[d + i]
        variance, mean = -1 / (2 * eta2), -eta1 / (2 * eta2)
        if not _same(mean, a):
            return ""
        for kind, expected in (("mean_std", b**2), ("mean_var", b), ("mean_logstd", sp.exp(2 * b))):
            if _same(variance, expected):
                kinds.add(kind)
                break
        else:
            return ""
    return kinds.pop() if len(kinds) == 1 else ""
