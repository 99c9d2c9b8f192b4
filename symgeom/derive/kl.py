"""KL(θ₁‖θ₂) by two independent routes: the definition E_θ₁[log p₁ − log p₂] and the Bregman divergence."""

from __future__ import annotations

import sympy as sp

from symgeom.cache import cached
from symgeom.derivation import Derivation, Step
from symgeom.derive.canonical import canonical_form
from symgeom.derive.common import (
    NOT_EXPONENTIAL,
    family_context,
    has_exponential_form,
    is_large,
    natural_parameters,
    natural_symbols_at,
    point_pairs,
    simplified_if_small,
    tidy_logs,
)
from symgeom.derive.expectation import (
    expect,
    expectation_note,
    has_gaussian_moments,
    moment_facts,
    written_sum,
)
from symgeom.derive.notation import (
    ETA_1,
    ETA_2,
    THETA_1,
    THETA_2,
    Density,
    Expect,
    GradLogPartition,
    LogPartition,
    X,
)
from symgeom.derive.rational import split_logs
from symgeom.derive.registry import register
from symgeom.families.base import Family, FiniteSupport

#: Simplifying A(η(θ)) of a 3-d Gaussian (17 000 operations) takes minutes, a 2-d one (800) seconds:
#: larger raw forms are kept exact but unsimplified (a size rule, so every machine agrees).
BREGMAN_MAX_OPS = 4000
#: The evaluated expectation is shown expanded when it has at most this many operations.  The
#: 3-d full Gaussian's (4 200) expands to 60 000 in 1.6 s, and kl/canonical then proves the result
#: equal to that; the 2-d full Gaussian's (314, the largest printed in proofs/) expands to 900.
SHOWN_EXPANDED_MAX_OPS = 1000
KL_LATEX = r"D_{\mathrm{KL}}\left(p_{\theta_{1}} \,\|\, p_{\theta_{2}}\right)"


def _finish(family: Family, raw: sp.Expr) -> tuple[sp.Expr, Step]:
    result = canonical_form(tidy_logs(raw), point_pairs(family), large=is_large(family))
    return result, Step(result, "collect the logarithms in pairs and the rest over one denominator")


def _close(steps: list[Step], last: Step) -> None:
    """Append the closing step unless it would restate the step before (nothing to collect)."""
    if last.expression != steps[-1].expression:
        steps.append(last)


@register("kl", "definition")
@cached("kl-definition")
def kl_definition(family: Family) -> Derivation:
    """KL(θ₁‖θ₂) = E_{x∼p(·|θ₁)}[log p(x|θ₁) − log p(x|θ₂)], by exact sum or Gaussian moments."""
    log_ratio = family.log_density(1) - family.log_density(2)
    steps = [
        Step(
            Expect(sp.log(Density(X, THETA_1)) - sp.log(Density(X, THETA_2)), THETA_1),
            "definition of the Kullback–Leibler divergence",
        )
    ]
    if isinstance(family.support, FiniteSupport):
        steps.append(Step(
            written_sum(family, log_ratio, 1),
            "write the expectation as the sum over the support, Σₓ p(x|θ₁) (log p(x|θ₁) − "
            "log p(x|θ₂))",
        ))
    else:
        steps.append(Step(Expect(sp.expand_log(log_ratio), THETA_1), "substitute the log-densities"))
        if has_gaussian_moments(family):
            polynomial = sp.collect(sp.expand(log_ratio), family.variables)
            why = "expand the logarithms: a polynomial in x (the normalizing constants cancel)"
        else:
            polynomial = sp.collect(sp.expand(sp.expand_log(log_ratio)), _statistics(family))
            why = "expand the logarithms (terms free of the parameters cancel)"
        steps.append(Step(Expect(polynomial, THETA_1), why))
    raw = expect(family, log_ratio, 1)
    if not isinstance(family.support, FiniteSupport):
        note = expectation_note(family).replace("p(x|θ)", "p(x|θ₁)")
        if sp.count_ops(raw) <= SHOWN_EXPANDED_MAX_OPS:
            shown = sp.expand(raw)
        else:
            shown, note = raw, note + f" (not expanded: over {SHOWN_EXPANDED_MAX_OPS} operations)"
        steps.append(Step(shown, note, facts=tuple(moment_facts(family, log_ratio, 1))))
    result, last = _finish(family, raw)
    _close(steps, last)
    return Derivation(
        quantity="kl", route="definition", family=family,
        title=f"KL divergence of the {family.title} family (`{family.param}`), from the definition",
        symbol_latex=KL_LATEX, steps=tuple(steps), result=result,
        arguments=family.symbols(1) + family.symbols(2),
    )


def _statistics(family: Family) -> tuple[sp.Expr, ...]:
    """The x-dependent atoms to collect a log-ratio by: T(x) when the family has one, else x."""
    form = family.exponential_form
    return family.variables if form is None else tuple(form.statistics)


@register("kl", "bregman", applies=has_exponential_form, reason=NOT_EXPONENTIAL)
@cached("kl-bregman")
def kl_bregman(family: Family) -> Derivation:
    """KL(θ₁‖θ₂) = A(η₂) − A(η₁) − (η₂ − η₁)·∇A(η₁) with η = η(θ)."""
    form = family.exponential_form
    eta = form.natural_symbols
    eta1, eta2 = natural_symbols_at(family, 1), natural_symbols_at(family, 2)
    gradient = [sp.diff(form.log_partition, e) for e in eta]
    at1, at2 = dict(zip(eta, eta1)), dict(zip(eta, eta2))
    in_eta = (
        form.log_partition.xreplace(at2)
        - form.log_partition.xreplace(at1)
        - sp.Add(*[(b - a) * g.xreplace(at1) for a, b, g in zip(eta1, eta2, gradient)])
    )
    natural1, natural2 = natural_parameters(family, 1), natural_parameters(family, 2)
    substitution = {**dict(zip(eta1, natural1)), **dict(zip(eta2, natural2))}
    raw = in_eta.xreplace(substitution)
    eta_vector = sp.Matrix(eta)
    steps = [
        Step(
            LogPartition(ETA_2) - LogPartition(ETA_1)
            - sp.Mul(ETA_2 - ETA_1, GradLogPartition(ETA_1), evaluate=False),
            "exponential family: KL is the Bregman divergence of the log-partition A",
            facts=(
                sp.Eq(LogPartition(eta_vector.T), form.log_partition, evaluate=False),
                sp.Eq(GradLogPartition(eta_vector.T), sp.Matrix(gradient).T, evaluate=False),
            ),
        ),
        Step(in_eta, "substitute A and ∇A"),
        Step(
            raw, "substitute the natural parameters η = η(θ) at both points",
            facts=tuple(
                sp.Eq(e, n, evaluate=False) for e, n in zip(eta1 + eta2, natural1 + natural2)
            ),
        ),
    ]
    def simplify(_: sp.Expr) -> tuple[sp.Expr, Step]:
        # A(η₁), A(η₂) and each ∂A(η₁) on its own: one cancel of the whole sum is far slower.
        first, second = dict(zip(eta, natural1)), dict(zip(eta, natural2))
        pieces = (
            tidy_logs(form.log_partition.xreplace(second))
            - tidy_logs(form.log_partition.xreplace(first))
            - sp.Add(*[
                sp.cancel(n2 - n1) * sp.cancel(g.xreplace(first))
                for n1, n2, g in zip(natural1, natural2, gradient)
            ])
        )
        return _finish(family, pieces)

    if is_large(family) and _log_terms(form.log_partition) is not None:
        finished, done = _finish(family, _bregman_by_fractions(family, gradient)), True
    else:
        finished, done = simplified_if_small(simplify, raw, BREGMAN_MAX_OPS)
    if done:
        result, last = finished
    else:
        result = raw
        last = Step(raw, f"left unsimplified: exact, but over {BREGMAN_MAX_OPS} operations to cancel")
    _close(steps, last)
    return Derivation(
        quantity="kl", route="bregman", family=family,
        title=f"KL divergence of the {family.title} family (`{family.param}`), as a Bregman divergence",
        symbol_latex=KL_LATEX, steps=tuple(steps), result=result,
        arguments=family.symbols(1) + family.symbols(2),
    )


def _log_terms(log_partition: sp.Expr) -> tuple[sp.Expr, list[tuple[sp.Expr, sp.Expr]]] | None:
    """A = rational + Σ c·log g (constant c), or None when A is not of that shape."""
    try:
        return split_logs(log_partition)
    except ValueError:
        return None


def _bregman_by_fractions(family: Family, gradient: list[sp.Expr]) -> sp.Expr:
    """A(η₂) − A(η₁) − (η₂ − η₁)·∇A(η₁) at η = η(θ) by factor-base arithmetic (large families,
    see derive.common.is_large): the rational part of A and ∇A composed with the rational η(θ)
    without expanding either, each log argument of A reduced on its own."""
    form = family.exponential_form
    eta = form.natural_symbols
    context = family_context(family, family.symbols(1) + family.symbols(2))
    first = dict(zip(eta, (context.convert(n) for n in family.natural_at(1))))
    second = dict(zip(eta, (context.convert(n) for n in family.natural_at(2))))
    rational, logs = _log_terms(form.log_partition)
    at_first, at_second = {}, {}  # each point's conversions share their subexpressions (det Λ)
    total = (context.convert(rational, second, at_second)
             - context.convert(rational, first, at_first))
    for e, g in zip(eta, gradient):
        total = total - (second[e] - first[e]) * context.convert(g, first, at_first)
    pieces = [c * (sp.log(context.convert(g, second, at_second).as_expr())
                   - sp.log(context.convert(g, first, at_first).as_expr())) for c, g in logs]
    return total.as_expr() + sp.Add(*pieces)
