"""Entropy H(θ) = −E_θ[log p(x|θ)] by the definition and by the exponential-family form."""

from __future__ import annotations

from collections.abc import Callable

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
    simplified_if_small,
    tidy_logs,
    tidy_rational,
)
from symgeom.derive.expectation import (
    expect,
    expectation_note,
    has_gaussian_moments,
    has_no_closed_form,
    moment_facts,
    written_sum,
)
from symgeom.derive.notation import THETA, Density, Expect, GradLogPartition, LogPartition, Tex, X
from symgeom.derive.rational import RationalContext
from symgeom.derive.registry import register
from symgeom.families.base import Family, FiniteSupport

ENTROPY_LATEX = r"H(\theta)"
#: A(η(θ)) of a 3-d full-covariance Gaussian is too large to expand and regroup quickly.
CANONICAL_MAX_OPS = 4000


def _entropy(family: Family, route: str, title: str, steps: list[Step], raw: sp.Expr) -> Derivation:
    """The closing step collects the logarithms; it is left out when that changes nothing."""
    if is_large(family) or sp.count_ops(raw) > CANONICAL_MAX_OPS:
        # SymPy's cancel takes minutes on 3×3 determinants; factor-base arithmetic takes 0.1 s
        # and brings e.g. the 3-d Gaussian's 3 284 characters to ½ log det Σ + (3/2)(1 + log 2π).
        reduced = reduce_rational(raw, family)
        if reduced is not None and sp.count_ops(reduced) < sp.count_ops(raw):
            steps.append(Step(reduced, "cancel the rational part (logarithms kept as atoms)"))
            raw = reduced
    tidy = _sums_kept(lambda e: canonical_form(tidy_logs(e)))
    result, done = simplified_if_small(tidy, raw, CANONICAL_MAX_OPS)
    if result != steps[-1].expression:
        steps.append(Step(result, "collect the logarithms" if done
                          else "left as derived: too large to rearrange quickly"))
    return Derivation(
        quantity="entropy", route=route, family=family,
        title=f"Entropy of the {family.title} family (`{family.param}`), {title}",
        symbol_latex=ENTROPY_LATEX, steps=tuple(steps), result=result,
        arguments=family.symbols(),
    )


def _sums_kept(tidy: Callable[[sp.Expr], sp.Expr]) -> Callable[[sp.Expr], sp.Expr]:
    """``tidy`` with each explicit finite Σ held as an atom: expanding inside Σ_{x=0}^{n} C(n, x)pˣ(1−p)ⁿ⁻ˣ…
    multiplies out (1 − p)ⁿ, which never ends for n = 10⁹."""
    def tidied(expr: sp.Expr) -> sp.Expr:
        held = {s: sp.Dummy("S") for s in expr.atoms(sp.Sum) if all(limit[2].is_finite for limit in s.limits)}
        return tidy(expr.xreplace(held)).xreplace({v: s for s, v in held.items()})

    return tidied


def reduce_rational(expr: sp.Expr, family: Family) -> sp.Expr | None:
    """expr in lowest terms over ℚ[θ, atoms], every non-rational part (log, π, …) an opaque atom
    (:mod:`symgeom.derive.rational`); exact, so the result equals expr for every θ.  None when a
    part cannot be represented there."""
    try:
        context = RationalContext.for_expressions([expr], family.symbols())
        return context.convert(expr).as_expr()
    except ValueError:
        return None


@register("entropy", "definition")
@cached("entropy-definition")
def entropy_definition(family: Family) -> Derivation:
    """H(θ) = −E_θ[log p(x|θ)] (differential entropy on ℝᵈ)."""
    log_p = family.log_density()
    steps = [Step(-Expect(sp.log(Density(X, THETA)), THETA), "definition of the entropy")]
    if isinstance(family.support, FiniteSupport):
        written = written_sum(family, log_p)
        steps.append(Step(sp.Mul(-1, written, evaluate=False),
                          "write the expectation as the sum over the support, −Σₓ p(x|θ) log p(x|θ)"))
        return _entropy(family, "definition", "from the definition", steps,
                        -expect(family, log_p, explicit=True))
    if not has_gaussian_moments(family):
        steps.append(Step(-Expect(sp.expand(sp.expand_log(log_p)), THETA),
                          f"substitute the log-density; {expectation_note(family)}",
                          facts=tuple(moment_facts(family, log_p))))
    else:
        steps.append(Step(
            -Expect(sp.collect(sp.expand(sp.expand_log(log_p)), family.variables), THETA),
            "substitute the log-density, a polynomial in x",
            facts=tuple(moment_facts(family, log_p)),
        ))
    raw = -expect(family, log_p, explicit=True)
    steps.append(Step(raw, _evaluated(raw)))
    return _entropy(family, "definition", "from the definition", steps, raw)


def _evaluated(raw: sp.Expr) -> str:
    if has_no_closed_form(raw):
        return ("evaluate the expectation; a term with no closed form (not a polynomial in T, "
                "no closed-form sum/integral) stays an explicit expectation")
    return "evaluate the expectation"


@register("entropy", "log_partition", applies=has_exponential_form, reason=NOT_EXPONENTIAL)
@cached("entropy-partition")
def entropy_log_partition(family: Family) -> Derivation:
    """H(θ) = A(η) − η·∇A(η) − E_θ[log h(x)]."""
    form = family.exponential_form
    eta = form.natural_symbols
    natural = natural_parameters(family)
    at = dict(zip(eta, natural))
    a_value = tidy_logs(form.log_partition.xreplace(at))
    if is_large(family):
        # Compose ∂A/∂η (rational in η) with η(θ) as fractions rather than substituting first.
        context = family_context(family, family.symbols())
        values = {e: context.convert(n) for e, n in zip(eta, natural)}
        gradient = [context.convert(sp.diff(form.log_partition, e), values).as_expr() for e in eta]
    else:
        gradient = [tidy_rational(sp.diff(form.log_partition, e).xreplace(at), family) for e in eta]
    raw = a_value - sp.Add(*[n * g for n, g in zip(natural, gradient)]) - expect(
        family, form.log_base_measure, explicit=True
    )
    eta_symbol = Tex(r"\eta")
    steps = [
        Step(LogPartition(eta_symbol) - sp.Mul(eta_symbol, GradLogPartition(eta_symbol),
                                               evaluate=False)
             - Expect(Tex(r"\log h(x)"), THETA),
             "exponential family: log p = η·T − A(η) + log h and E[T] = ∇A(η)",
             facts=tuple(sp.Eq(e, n, evaluate=False) for e, n in zip(eta, natural))),
        Step(raw, "substitute A, ∇A and η(θ)"),
    ]
    return _entropy(family, "log_partition", "from the log-partition", steps, raw)
