"""Fisher information F(θ) by four independent routes, plus the reparameterization pull-back JᵀF J."""

from __future__ import annotations

import sympy as sp

from symgeom.cache import cached
from symgeom.derivation import Derivation, Step
from symgeom.derive.common import (
    NOT_EXPONENTIAL,
    NOT_SMOOTH,
    family_context,
    has_exponential_form,
    is_large,
    jacobian,
    natural_parameters,
    smooth_in_parameters,
    tidy_rational,
    tidy_value,
)
from symgeom.derive.expectation import (
    as_fraction,
    as_polynomial,
    centered_scores,
    expect,
    expect_fraction,
    expect_polynomial,
    expectation_note,
    has_gaussian_moments,
    moment_facts,
    multiply,
    written_sum,
)
from symgeom.derive.notation import THETA, Expect, Tex
from symgeom.derive.rational import Fraction, RationalContext, split_logs
from symgeom.derive.registry import register
from symgeom.families.base import Family, FiniteSupport

FISHER_LATEX = r"F(\theta)"
SCORE_OUTER = Tex(r"s s^{T}")


def _matrix(entries: dict[tuple[int, int], sp.Expr], n: int) -> sp.ImmutableMatrix:
    return sp.ImmutableMatrix(n, n, lambda i, j: entries[(min(i, j), max(i, j))])


def _upper(n: int) -> list[tuple[int, int]]:
    return [(i, j) for i in range(n) for j in range(i, n)]


def score(family: Family) -> list[sp.Expr]:
    """s(x, θ) = ∇_θ log p(x|θ)."""
    log_p = family.log_density()
    return [sp.diff(log_p, t) for t in family.symbols()]


#: Evaluated expectations are shown before simplification only up to this many operations (all
#: entries together); past it the step shows the simplified entries (a size rule, so every
#: machine prints the same).
SHOW_RAW_MAX_OPS = 400


def _evaluated(raw: dict[tuple[int, int], sp.Expr], entries: dict[tuple[int, int], sp.Expr],
               n: int, why: str, facts: tuple[sp.Basic, ...] = ()) -> Step:
    """The step that takes the expectations: each entry as evaluated, or, when that is too
    long to read, already simplified (then the justification says so)."""
    if sum(sp.count_ops(v) for v in raw.values()) <= SHOW_RAW_MAX_OPS:
        return Step(_matrix(raw, n), why, facts=facts)
    return Step(_matrix(entries, n), f"{why}; simplify each entry", facts=facts)


def _fisher(family: Family, route: str, title: str, steps: list[Step],
            result: sp.ImmutableMatrix) -> Derivation:
    if steps[-1].expression != result:
        steps.append(Step(result, "simplify each entry"))
    return Derivation(
        quantity="fisher", route=route, family=family,
        title=f"Fisher information of the {family.title} family (`{family.param}`), {title}",
        symbol_latex=FISHER_LATEX, steps=tuple(steps), result=result,
        arguments=family.symbols(),
    )


@register("fisher", "score_covariance")
@cached("fisher-score")
def fisher_score_covariance(family: Family) -> Derivation:
    """F(θ) = E_θ[s sᵀ], s = ∇_θ log p(x|θ)."""
    s = score(family)
    n = len(s)
    shown = s if is_large(family) else [tidy_value(si, family) for si in s]
    if not has_gaussian_moments(family):
        s = shown
    steps = [
        Step(Expect(SCORE_OUTER, THETA),
             "definition: the covariance of the score s = ∇_θ log p(x|θ) (whose mean is 0)",
             facts=(sp.Eq(Tex("s"), sp.ImmutableMatrix(shown), evaluate=False),)),
    ]
    if isinstance(family.support, FiniteSupport):
        entries = {(i, j): tidy_rational(expect(family, s[i] * s[j]), family) for i, j in _upper(n)}
        written = {(i, j): written_sum(family, s[i] * s[j]) for i, j in _upper(n)}
        steps.append(Step(_matrix(written, n),
                          "write the expectation as the sum over the support, "
                          "Σₓ p(x|θ) s(x) s(x)ᵀ, entry by entry"))
    elif not has_gaussian_moments(family):
        # Each score in lowest terms first: products of uncancelled scores expand enormously.
        s = [tidy_rational(si, family) for si in s]
        raw = {(i, j): expect(family, s[i] * s[j]) for i, j in _upper(n)}
        entries = {key: tidy_rational(value, family) for key, value in raw.items()}
        steps.append(_evaluated(
            raw, entries, n, expectation_note(family),
            facts=tuple(moment_facts(family, sp.Add(*[s[i] * s[j] for i, j in _upper(n)]))),
        ))
    else:
        if is_large(family):
            fractions, z = centered_scores(family)
            entries = {
                (i, j): expect_fraction(family, fractions[i] * fractions[j], centered=z).as_expr()
                for i, j in _upper(n)
            }
            top = 2 * max(f.numerator.degree(f.context.generators[v]) for f in fractions for v in z)
        else:
            polys = [as_polynomial(family, si) for si in s]
            raw = {
                (i, j): expect_polynomial(family, multiply(polys[i], polys[j]))
                for i, j in _upper(n)
            }
            entries = {key: tidy_rational(value, family) for key, value in raw.items()}
            top = 2 * max(sum(k) for poly in polys for k in poly)
        x = family.variables
        why = f"sᵢsⱼ is a polynomial of degree {top} in x: take expectations with the Gaussian moments"
        facts = tuple(moment_facts(family, sp.Add(*[v**2 for v in x]) + sp.Add(*x)))
        if is_large(family):
            steps.append(Step(Expect(SCORE_OUTER, THETA), why, facts=facts))
        else:
            steps.append(_evaluated(raw, entries, n, why, facts))
    return _fisher(family, "score_covariance", "as the covariance of the score", steps,
                   _matrix(entries, n))


@register("fisher", "negative_hessian", applies=smooth_in_parameters, reason=NOT_SMOOTH)
@cached("fisher-hessian")
def fisher_negative_hessian(family: Family) -> Derivation:
    """F(θ) = −E_θ[∇²_θ log p(x|θ)]."""
    log_p = family.log_density()
    theta = family.symbols()
    n = len(theta)
    if is_large(family):
        fractions = [as_fraction(family, si) for si in score(family)]
        second = {(i, j): fractions[i].diff(theta[j]) for i, j in _upper(n)}
        hessian = {key: h.as_expr() for key, h in second.items()}
        entries = {key: (-expect_fraction(family, h)).as_expr() for key, h in second.items()}
    else:
        hessian = {
            (i, j): tidy_value(sp.diff(log_p, theta[i], theta[j]), family) for i, j in _upper(n)
        }
        expected = {key: -expect(family, h) for key, h in hessian.items()}
        entries = {key: tidy_rational(value, family) for key, value in expected.items()}
    steps = [
        Step(-Expect(Tex(r"\nabla^2 \log p"), THETA),
             "information equality: F = −E[∇² log p] (differentiate E[s] = 0 under the integral)",
             facts=(sp.Eq(Tex(r"\nabla^2 \log p"), _matrix(hessian, n), evaluate=False),)),
    ]
    constant = None if is_large(family) else _constant_on_support(family, hessian)
    if constant is not None:
        value, why = constant
        steps.append(Step(_matrix({key: -h for key, h in value.items()}, n), why))
    elif not is_large(family):
        if isinstance(family.support, FiniteSupport):
            raw = {key: written_sum(family, -h) for key, h in hessian.items()}
            why, facts = "write the expectation as the sum over the support, entry by entry", ()
        else:
            raw = expected
            why = expectation_note(family)
            facts = tuple(moment_facts(family, sp.Add(*hessian.values())))
        steps.append(_evaluated(raw, entries, n, why, facts))
    return _fisher(family, "negative_hessian", "as minus the expected Hessian of log p", steps,
                   _matrix(entries, n))


def _constant_on_support(
    family: Family, hessian: dict[tuple[int, int], sp.Expr]
) -> tuple[dict[tuple[int, int], sp.Expr], str] | None:
    """The Hessian's value and the reason, when it is the same at every x: free of x, or (finite
    support) equal at every outcome, which cancel shows exactly; else ``None``."""
    x = set(family.variables)
    if not any(h.free_symbols & x for h in hessian.values()):
        return hessian, "∇² log p does not depend on x: its expectation is its value"
    if not isinstance(family.support, FiniteSupport) or is_large(family):
        return None
    values = [
        {key: tidy_value(h.xreplace(dict(zip(family.variables, outcome))), family)
         for key, h in hessian.items()}
        for outcome in family.support.outcomes
    ]
    first = values[0]
    if all(sp.cancel(v[key] - first[key]) == 0 for v in values[1:] for key in first):
        return first, (f"∇² log p takes the same value at each of the {len(values)} outcomes of "
                       "the support: its expectation is that value")
    return None


@register("fisher", "log_partition", applies=has_exponential_form, reason=NOT_EXPONENTIAL)
@cached("fisher-partition")
def fisher_log_partition(family: Family) -> Derivation:
    """F(θ) = Jᵀ ∇²A(η) J with J = ∂η/∂θ (exponential family: F_η = ∇²A = Cov[T])."""
    form = family.exponential_form
    eta = form.natural_symbols
    natural = natural_parameters(family)
    theta = family.symbols()
    n = len(theta)
    if is_large(family):
        hessian_a, jac, entries = _log_partition_fractions(family)
    else:
        at = dict(zip(eta, natural))
        hessian_a = sp.Matrix(
            len(eta), len(eta),
            lambda i, j: tidy_rational(sp.diff(form.log_partition, eta[i], eta[j]).xreplace(at), family),
        )
        jac = jacobian(natural, theta).applyfunc(lambda e: tidy_rational(e, family))
        product = jac.T * hessian_a * jac
        entries = {(i, j): tidy_rational(product[i, j], family) for i, j in _upper(n)}
    steps = [
        Step(Tex(r"J^{T} \nabla^{2} A(\eta) J"),
             "exponential family: the Fisher matrix in η is ∇²A(η); pull back by J = ∂η/∂θ",
             facts=(
                 sp.Eq(Tex(r"\nabla^{2} A(\eta(\theta))"), hessian_a, evaluate=False),
                 sp.Eq(Tex("J"), jac, evaluate=False),
             )),
    ]
    return _fisher(family, "log_partition", "from the Hessian of the log-partition", steps,
                   _matrix(entries, n))


def _log_partition_fractions(family: Family) -> tuple[sp.Matrix, sp.Matrix, dict]:
    """(∇²A(η(θ)), J, Jᵀ∇²A J entries) by factor-base arithmetic: A's second derivatives are
    rational in η, composed with the rational η(θ) without expanding either."""
    form = family.exponential_form
    eta, theta = form.natural_symbols, family.symbols()
    context = family_context(family, theta)
    natural = [context.convert(e) for e in family.natural_at()]
    values = dict(zip(eta, natural))
    m, n = len(eta), len(theta)
    # ∂ⱼ(∂ᵢA) from the m first derivatives: sp.diff(A, ηᵢ, ηⱼ) would tidy every second derivative
    # with factor_terms (seconds for the 3-d Gaussian); the fractions come out in lowest terms
    # either way, and subexpressions shared by the entries are converted once (one memo).
    first = [sp.diff(form.log_partition, e) for e in eta]
    memo: dict = {}
    second = {
        (i, j): context.convert(sp.diff(first[i], eta[j]), values, memo)
        for i in range(m) for j in range(i, m)
    }
    hessian = {**second, **{(j, i): h for (i, j), h in second.items()}}
    jac = [[natural[k].diff(t) for t in theta] for k in range(m)]
    entries = {}
    for i, j in _upper(n):
        total = context.constant(0)
        for k in range(m):
            if jac[k][i].is_zero:
                continue
            inner = context.constant(0)
            for h in range(m):
                if not jac[h][j].is_zero:
                    inner = inner + hessian[k, h] * jac[h][j]
            total = total + jac[k][i] * inner
        entries[i, j] = total.as_expr()
    return (
        sp.Matrix(m, m, lambda i, j: hessian[i, j].as_expr()),
        sp.Matrix(m, n, lambda k, i: jac[k][i].as_expr()),
        entries,
    )


def _hessian_fractions(expr: sp.Expr, wrt: tuple[sp.Symbol, ...]) -> dict[tuple[int, int], Fraction]:
    """∂²expr/∂wᵢ∂wⱼ (i ≤ j) by factor-base arithmetic, for expr = rational + Σ c·log(g) with
    constant c and rational g: ∂²log g = ∂ᵢ∂ⱼg/g − ∂ᵢg ∂ⱼg/g²."""
    rational, logs = split_logs(expr)
    symbols = tuple(sorted(expr.free_symbols, key=lambda s: s.name))
    context = RationalContext.for_expressions([rational, *(g for _, g in logs)], symbols)
    base = context.convert(rational)
    arguments = [(context.constant(c), context.convert(g)) for c, g in logs]
    first = {i: [g.diff(w) for _, g in arguments] for i, w in enumerate(wrt)}
    n = len(wrt)
    out = {}
    for i, j in _upper(n):
        total = base.diff(wrt[i]).diff(wrt[j])
        for (c, g), gi, gj in zip(arguments, first[i], first[j]):
            total = total + c * (gi.diff(wrt[j]) / g - gi * gj / (g * g))
        out[i, j] = total
    return out


@register("fisher", "kl_hessian", applies=smooth_in_parameters, reason=NOT_SMOOTH)
@cached("fisher-kl-hessian")
def fisher_kl_hessian(family: Family) -> Derivation:
    """F(θ)ᵢⱼ = ∂²/∂θ₂ᵢ∂θ₂ⱼ KL(θ‖θ₂) at θ₂ = θ."""
    from symgeom.derive.kl import kl_definition

    kl = kl_definition(family).result
    first, second, theta = family.symbols(1), family.symbols(2), family.symbols()
    kl_theta = kl.xreplace(dict(zip(first, theta)))
    n = len(theta)
    back = dict(zip(second, theta))
    if is_large(family):
        entries = {
            key: tidy_rational(h.substituted(back), family)
            for key, h in _hessian_fractions(kl_theta, second).items()
        }
    else:
        entries = {
            (i, j): tidy_rational(sp.diff(kl_theta, second[i], second[j]).xreplace(back), family)
            for i, j in _upper(n)
        }
    steps = [
        Step(Tex(r"\nabla^{2}_{\theta_{2}} D_{\mathrm{KL}}(p_{\theta} \| p_{\theta_{2}})"
                 r"|_{\theta_{2}=\theta}"),
             "KL(θ‖θ₂) has a minimum 0 at θ₂ = θ; its Hessian there is the Fisher matrix",
             facts=(sp.Eq(Tex(r"D_{\mathrm{KL}}(p_{\theta} \| p_{\theta_{2}})"),
                          kl_theta, evaluate=False),)),
    ]
    return _fisher(family, "kl_hessian", "as the Hessian of KL(θ‖θ₂) at θ₂ = θ", steps,
                   _matrix(entries, n))


@register("fisher", "pullback", applies=lambda family: family.param != family.reference.name,
          reason="this is the reference chart: there is nothing to pull back from")
@cached("fisher-pullback")
def fisher_pullback(family: Family) -> Derivation:
    """F_θ = Jᵀ F_ref(θ_ref(θ)) J with J = ∂θ_ref/∂θ (reparameterization)."""
    reference = family.with_param(family.reference.name)
    f_ref = fisher_score_covariance(reference).result
    to_ref = family.reference_at()
    theta = family.symbols()
    jac = jacobian(tuple(to_ref[s] for s in reference.symbols()), theta)
    product = jac.T * f_ref.xreplace(to_ref) * jac
    n = len(theta)
    entries = {(i, j): tidy_rational(product[i, j], family) for i, j in _upper(n)}
    steps = [
        Step(Tex(r"J^{T} F_{\mathrm{ref}}(\theta_{\mathrm{ref}}(\theta)) J"),
             f"chain rule for the score: pull back the Fisher matrix of the {reference.param} chart",
             facts=(sp.Eq(Tex("J"), jac, evaluate=False),
                    sp.Eq(Tex(r"F_{\mathrm{ref}}"), f_ref, evaluate=False))),
    ]
    return _fisher(family, "pullback", f"pulled back from the {reference.param} chart", steps,
                   _matrix(entries, n))
