"""KL(p‖q) between two different families, by the definition E_p[log p − log q], or ∞ with the
reason when p's support is not inside q's."""

from __future__ import annotations

import sympy as sp

from symgeom.cache import cached
from symgeom.derivation import Derivation, Step
from symgeom.derive.canonical import canonical_form
from symgeom.derive.common import tidy_logs
from symgeom.derive.expectation import NoClosedFormError, expect, expectation_note, moment_facts
from symgeom.derive.notation import THETA_1, THETA_2, Density, Expect, X
from symgeom.errors import SymgeomError
from symgeom.families.base import (
    Family,
    FiniteSupport,
    IntegerSupport,
    IntervalSupport,
    RealSupport,
    SimplexSupport,
    Support,
)

KL_LATEX = r"D_{\mathrm{KL}}\left(p_{\theta_{1}} \,\|\, q_{\theta_{2}}\right)"


def _points(support: Support) -> tuple[str, object]:
    """(kind, extent): 'count' with the set's bounds, or 'lebesgue' with the interval."""
    if isinstance(support, FiniteSupport):
        values = [o[0] for o in support.outcomes] if all(len(o) == 1 for o in support.outcomes) else None
        return "count", (min(values), max(values)) if values else None
    if isinstance(support, IntegerSupport):
        return "count", (0, sp.oo if support.upper is None else support.upper)
    if isinstance(support, IntervalSupport):
        return "lebesgue", (sp.sympify(support.lower), sp.sympify(support.upper))
    if isinstance(support, RealSupport) and support.dimension == 1:
        return "lebesgue", (-sp.oo, sp.oo)
    return "other", None


def support_nesting(p: Family, q: Family) -> str | None:
    """None when p's support lies inside q's (with the same kind of measure); else the reason
    KL(p‖q) = ∞ (p puts mass where q has none)."""
    kind_p, (low_p, high_p) = _points(p.support)[0], (_points(p.support)[1] or (None, None))
    kind_q, (low_q, high_q) = _points(q.support)[0], (_points(q.support)[1] or (None, None))
    if "other" in (kind_p, kind_q) or isinstance(p.support, SimplexSupport) or low_p is None:
        raise SymgeomError(f"cross-family KL needs one-dimensional supports; got {p.label}, {q.label}")
    if kind_p != kind_q:
        which = "discrete" if kind_p == "count" else "continuous"
        return (f"p ({p.title}) is {which} and q ({q.title}) is not: p is not absolutely "
                "continuous with respect to q")
    if sp.sympify(low_p) < sp.sympify(low_q) or sp.sympify(high_p) > sp.sympify(high_q):
        return (f"p ({p.title}) puts mass on x ∈ ({low_p}, {high_p}) outside q's support "
                f"({low_q}, {high_q}), where q(x) = 0")
    return None


@cached("kl-cross")
def kl_between(p: Family, q: Family) -> Derivation:
    """KL(p_θ₁‖q_θ₂) = E_{x∼p}[log p(x|θ₁) − log q(x|θ₂)], exactly, ∞ (non-nested supports),
    or a NoClosedFormError naming the expectation without a closed form."""
    title = f"KL divergence from the {p.title} (`{p.param}`) to the {q.title} (`{q.param}`) family"
    arguments = p.symbols(1) + q.symbols(2)
    steps = [Step(Expect(sp.log(Density(X, THETA_1)) - sp.log(sp.Function("q")(X, THETA_2)),
                         THETA_1), "definition of the Kullback–Leibler divergence")]
    reason = support_nesting(p, q)
    if reason is not None:
        steps.append(Step(sp.oo, reason))
        return Derivation(quantity="kl", route="definition", family=p, title=title,
                          symbol_latex=KL_LATEX, steps=tuple(steps), result=sp.oo,
                          arguments=arguments)
    shared = set(p.symbols(1)) & set(q.symbols(2))
    if shared:
        raise SymgeomError(f"{p.label} and {q.label} share parameter symbols {shared}")
    (x,) = p.variables
    log_q = q.log_density(2).xreplace({q.variables[0]: x})
    log_ratio = p.log_density(1) - log_q
    steps.append(Step(Expect(sp.expand(sp.expand_log(log_ratio)), THETA_1),
                      "substitute both log-densities (p's support lies inside q's)"))
    try:
        raw = expect(p, log_ratio, 1)
    except NoClosedFormError as error:
        raise NoClosedFormError(f"KL({p.label} ‖ {q.label}) has no closed form: {error}") from None
    steps.append(Step(raw, expectation_note(p).replace("p(x|θ)", "p(x|θ₁)"),
                      facts=tuple(moment_facts(p, log_ratio, 1))))
    result = canonical_form(tidy_logs(raw), [])
    steps.append(Step(result, "collect the logarithms and the rest over one denominator"))
    return Derivation(quantity="kl", route="definition", family=p, title=title,
                      symbol_latex=KL_LATEX, steps=tuple(steps), result=result,
                      arguments=arguments)
