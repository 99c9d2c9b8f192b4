"""The product lemma for every d: d independent coordinates add their KL, entropy and expansion,
and have a block-diagonal Fisher matrix.

For p(x|θ) = Πᵢ₌₁ᵈ p₁(xᵢ|θᵢ) (d a symbol), the argument, step by step:

1. ``log_density``: log Πᵢ p₁(xᵢ|θᵢ) = Σᵢ log p₁(xᵢ|θᵢ) — SymPy's ``expand_log`` on the Product of
   the positive factor densities gives a Sum whose summand is the factor's log-density (exact).
2. ``marginal``: E_θ[g(x_j)] = E_{p₁(·|θ_j)}[g] — *cited*: Fubini–Tonelli on ℝᵈ = ℝ × ⋯ × ℝ; checked:
   the factor's density integrates to 1 (SymPy's integral, exact) and Π_{i≠j} 1 = 1 for every d.
3. ``kl`` / ``entropy``: by 1, the integrand log p(x|θ₁) − log p(x|θ₂) (−log p(x|θ)) is the finite
   Sum of the coordinates' integrands (exact), so by linearity of E and 2 it is Σᵢ of the marginal
   expectations; each summand of the general result is checked equal to the factor's own
   expectation E₁[log p₁(x|θ₁ᵢ) − log p₁(x|θ₂ᵢ)] (−E₁[log p₁(x|θᵢ)]), taken exactly.
4. ``fisher``: ∂²log p/∂θ_{j,a}∂θ_{m,b} = δ_ab ∂²log p₁(x_a|θ_a)/∂θ_j∂θ_m and ∂log p/∂θ_{j,a} =
   ∂log p₁(x_a|θ_a)/∂θ_j, SymPy differentiating the indexed Sum (exact, a, b ∈ {1, …, d}); so
   −E[Hessian] = δ_ab F₁(θ_a) by 2, and E[s_{j,a}s_{m,b}] = δ_ab E₁[s_j s_m] because for a ≠ b it is
   E₁[s_j]·E₁[s_m] (2, independent coordinates) and E₁[score] = 0 (exact).
5. ``expansion``: log p(x|θ + tΔ) = Σᵢ log p₁(xᵢ|θᵢ + tΔᵢ) (1 at the moved point), and dⁿ/dtⁿ at
   t = 0 of the Sum is the Sum of the coordinates' dⁿ/dtⁿ (exact), so every cₙ adds by 3.

Verdicts: *proved* when every exact step reduces to 0; the cited theorem (Fubini–Tonelli, with
linearity of the integral) is named in the verdict, never checked numerically in its place.
"""

from __future__ import annotations

import time

import sympy as sp

from symgeom.cache import cached
from symgeom.derive import indexed_product as product
from symgeom.derive.expectation import direct_expectation, expect
from symgeom.families.indexed_product import COLUMN, INDEX, ROW, IndexedProduct
from symgeom.verification.identity import FAILED, PROVED, Verdict

#: The coordinates xᵢ of the product (x[i]).
X = sp.IndexedBase("x", real=True)
FUBINI = "Fubini–Tonelli cited"


def _verdict(failures: list[str], start: float, what: str) -> Verdict:
    if failures:
        return Verdict(FAILED, f"not reduced to 0: {'; '.join(failures)}", time.perf_counter() - start)
    return Verdict(PROVED, f"symbolic for every d: {what}", time.perf_counter() - start)


def _zero(expr: sp.Expr) -> bool:
    return sp.simplify(sp.expand_log(sp.expand(expr))) == 0


def _rename(family: IndexedProduct, index: sp.Symbol) -> dict:
    """The factor's symbols and variable → coordinate ``index`` of the product."""
    (variable,) = family.one.variables
    return {**family.indexed(index), variable: X[index]}


def _sum(family: IndexedProduct, summand: sp.Expr) -> sp.Sum:
    return sp.Sum(summand, (INDEX, 1, family.size))


def _log_density_sum(family: IndexedProduct, point: int | None = None) -> sp.Expr:
    """log Πᵢ p₁(xᵢ|θᵢ) through SymPy's expand_log on the Product of the factor densities."""
    log_p1 = family.one.log_density(point)
    density = sp.exp(log_p1.xreplace(_rename(family, INDEX)))
    return sp.expand_log(sp.log(sp.Product(density, (INDEX, 1, family.size))))


def _one_sum(expr: sp.Expr) -> sp.Expr:
    """Σᵢ cₖ·Σᵢ fₖ with equal limits as one Σᵢ Σₖ cₖfₖ (linearity of a finite sum); else ``expr``."""
    parts = [term.as_independent(sp.Sum, as_Add=False) for term in sp.Add.make_args(expr)]
    if not all(isinstance(s, sp.Sum) for _, s in parts) or len({s.limits for _, s in parts}) != 1:
        return expr
    return sp.Sum(sp.Add(*[c * s.function for c, s in parts]), *parts[0][1].limits)


def _is_sum_of(expr: sp.Expr, family: IndexedProduct, summand: sp.Expr) -> bool:
    """``expr`` is Σᵢ₌₁ᵈ ``summand``: one Sum over the same limits, the summands equal."""
    return (isinstance(expr, sp.Sum) and expr.limits == ((INDEX, 1, family.size),)
            and _zero(expr.function - summand))


@cached("general-verdict")
def log_density_lemma(family: IndexedProduct) -> Verdict:
    """Step 1 at θ, θ₁, θ₂: log Πᵢ p₁ = Σᵢ log p₁ (exact, every d)."""
    start = time.perf_counter()
    failures = []
    for point in (None, 1, 2):
        summand = family.one.log_density(point).xreplace(_rename(family, INDEX))
        if not _is_sum_of(_log_density_sum(family, point), family, summand):
            failures.append(f"log Πᵢ p₁ = Σᵢ log p₁ at θ{point or ''}")
    return _verdict(failures, start, "log Πᵢ p₁(xᵢ|θᵢ) = Σᵢ log p₁(xᵢ|θᵢ) (expand_log on the Product)")


@cached("general-verdict")
def marginal_lemma(family: IndexedProduct) -> Verdict:
    """Step 2: the factor density integrates to 1 (SymPy's sum or integral over its support) and
    Π_{i≠j} 1 = 1 (the rest is Fubini–Tonelli)."""
    start = time.perf_counter()
    total = direct_expectation(family.one, sp.Integer(1))
    failures = [] if total is not None and _zero(total - 1) else [f"∫p₁ = 1 ({total})"]
    others = sp.Product(sp.Integer(1), (INDEX, 1, family.size - 1)).doit()
    if others != 1:
        failures.append(f"Π_(i≠j) 1 = 1 ({others})")
    return _verdict(failures, start, f"E[g(x_j)] = E₁[g]: ∫p₁ = 1 exact, Π_(i≠j) 1 = 1; {FUBINI}")


def _additive(family: IndexedProduct, quantity: str) -> list[str]:
    """Step 3: the integrand is the Sum of the coordinates', and each summand of the general result
    is the factor's own expectation of its integrand."""
    one = family.one
    if quantity == "kl":
        point, integrand = 1, one.log_density(1) - one.log_density(2)
        whole = _log_density_sum(family, 1) - _log_density_sum(family, 2)
    else:
        point, integrand = None, -one.log_density()
        whole = -_log_density_sum(family)
    failures = []
    whole = _one_sum(whole)
    if not _is_sum_of(whole, family, integrand.xreplace(_rename(family, INDEX))):
        failures.append(f"the {quantity} integrand is Σᵢ of the coordinates' integrands")
    expected = expect(one, sp.expand(integrand), point).xreplace(_rename(family, INDEX))
    for route in product.routes(quantity, family):
        if not _is_sum_of(product.general_result(quantity, family, route), family, expected):
            failures.append(f"the {quantity} ({route}) summand is E₁ of the coordinate's integrand")
    return failures


@cached("general-verdict")
def additive_lemma(family: IndexedProduct, quantity: str) -> Verdict:
    """Step 3 for ``quantity`` (kl or entropy)."""
    start = time.perf_counter()
    name = "KL(θ₁‖θ₂) = Σᵢ KL₁(θ₁ᵢ‖θ₂ᵢ)" if quantity == "kl" else "H(θ) = Σᵢ H₁(θᵢ)"
    return _verdict(_additive(family, quantity), start,
                    f"{name}: the integrand a Sum of coordinate terms, each summand E₁ of its own; {FUBINI}")


def _in_range(expr: sp.Expr, family: IndexedProduct) -> sp.Expr:
    """Resolve SymPy's "a ≤ d" conditions: the coordinates a, b are in {1, …, d}."""
    return expr.xreplace({sp.Le(ROW, family.size): sp.true, sp.Le(COLUMN, family.size): sp.true})


@cached("general-verdict")
def fisher_lemma(family: IndexedProduct) -> Verdict:
    """Step 4: the Hessian of the Sum is δ_ab times the coordinate's, the score the coordinate's,
    and E₁[score] = 0."""
    start = time.perf_counter()
    one = family.one
    log_p = _log_density_sum(family)
    symbols = one.symbols()
    failures = []
    for j, theta_j in enumerate(symbols):
        score = _in_range(sp.diff(log_p, family.base(j)[ROW]).doit(), family)
        one_score = sp.diff(one.log_density(), theta_j)
        if not _zero(score - one_score.xreplace(_rename(family, ROW))):
            failures.append(f"∂log p/∂θ_({j},a) = the coordinate's score")
        if not _zero(expect(one, sp.expand(one_score))):
            failures.append(f"E₁[∂log p₁/∂θ_{j}] = 0")
        for m, theta_m in enumerate(symbols):
            hessian = _in_range(sp.diff(log_p, family.base(j)[ROW], family.base(m)[COLUMN]).doit(), family)
            block = sp.diff(one.log_density(), theta_j, theta_m).xreplace(_rename(family, ROW))
            if not _zero(hessian - sp.KroneckerDelta(ROW, COLUMN) * block):
                failures.append(f"∂²log p/∂θ_({j},a)∂θ_({m},b) = δ_ab × the coordinate's")
    return _verdict(failures, start, "F_(j,a),(m,b) = δ_ab F₁(θ_a): Hessian and score of the indexed "
                    f"Sum exact, E₁[score] = 0 exact; {FUBINI} (independent coordinates)")


@cached("general-verdict")
def expansion_lemma(family: IndexedProduct) -> Verdict:
    """Step 5: dⁿ/dtⁿ at t = 0 of log p(x|θ + tΔ) is the Sum of the coordinates' (n ≤ 3); log p at
    θ + tΔ (in the open parameter domain for small |t|) is step 1 there: θᵢ → θᵢ + tΔᵢ in its Sum."""
    start = time.perf_counter()
    t = product.T
    one = family.one
    step = {family.base(j)[INDEX]: family.base(j)[INDEX] + t * family.delta_base(j)[INDEX]
            for j in range(len(one.parameters))}
    moved = _log_density_sum(family).xreplace(step)
    summand = one.log_density().xreplace(_rename(family, INDEX)).xreplace(step)
    failures = []
    for n in range(1, product.ORDER + 1):
        whole = _one_sum(sp.diff(moved, t, n).xreplace({t: 0}))
        if not _is_sum_of(whole, family, sp.diff(summand, t, n).xreplace({t: 0})):
            failures.append(f"d^{n}/dt^{n} log p = Σᵢ d^{n}/dt^{n} log p₁")
    return _verdict(failures, start, "dⁿ/dtⁿ log p(x|θ+tΔ) at t = 0 = Σᵢ of the coordinates' (n ≤ 3), "
                    f"so each cₙ adds; {FUBINI}")


def product_lemma_rows(family: IndexedProduct) -> list[tuple[str, str, str, Verdict]]:
    """(identity, statement, family label, verdict) of the product lemma for every d."""
    return [
        ("lemma/product/log_density@d", "log ∏ᵢ p₁(xᵢ|θᵢ) = Σᵢ log p₁(xᵢ|θᵢ), every d", family.label,
         log_density_lemma(family)),
        ("lemma/product/marginal@d", "E[g(x_j)] = E₁[g] (Fubini–Tonelli; ∫p₁ = 1), every d", family.label,
         marginal_lemma(family)),
        ("lemma/product/kl@d", "KL = Σᵢ KL₁ (the log-ratio a sum over coordinates, E by coordinate), "
         "every d", family.label, additive_lemma(family, "kl")),
        ("lemma/product/entropy@d", "H = Σᵢ H₁, every d", family.label, additive_lemma(family, "entropy")),
        ("lemma/product/fisher@d", "F block diagonal, blocks F₁(θᵢ) (the Hessian δ_ab times the "
         "coordinate's; the score has mean 0), every d", family.label, fisher_lemma(family)),
        ("lemma/product/expansion@d", "every cₙ of KL(θ‖θ+tΔ) adds over the coordinates, every d",
         family.label, expansion_lemma(family)),
    ]
