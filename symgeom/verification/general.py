"""Checks of the general-size (symbolic k) results: routes agree for every k (KL, Fisher, entropy;
for the expansion c₀ = c₁ = 0, c₂ = ½ΔᵀFΔ and c₃ by two routes), and each general result, specialized to
k = 2…4, equals the derivation that expands that concrete size (expansion: c₂t² + c₃t³).

Verdicts are honest about their kind: two general routes are *proved* equal for every k when
their difference vanishes after splitting sums by linearity and naming the last class
(p_k = 1 − Σ_{i<k} pᵢ); the specializations go through the ordinary identity checker, which
proves or falls back to a numeric check and says which.
"""

from __future__ import annotations

import time

import sympy as sp

from symgeom.cache import cached
from symgeom.derive import derive
from symgeom.derive import general_categorical as general
from symgeom.derive.notation import T
from symgeom.families.categorical import Categorical, general_categorical
from symgeom.families.general import IndexedFamily
from symgeom.verification.identity import FAILED, PROVED, Verdict, check_identity
from symgeom.verification.sampling import family_sampler

#: Concrete sizes every general result is checked against.
CHECK_SIZES = (2, 3, 4)

#: The general families of the catalog.
GENERAL_FAMILIES: tuple[IndexedFamily, ...] = tuple(
    general_categorical(param) for param in ("probs", "logits")
)


def _equal_for_every_k(first: sp.Expr, second: sp.Expr, family: IndexedFamily) -> Verdict:
    start = time.perf_counter()
    if general.proved_equal(first, second, family):
        return Verdict(PROVED, "symbolic for every k: Σ split by linearity, p_k = 1 − Σ pᵢ",
                       time.perf_counter() - start)
    return Verdict(FAILED, "the difference did not reduce to 0 for general k",
                   time.perf_counter() - start, residual=str(sp.sympify(first - second))[:200])


@cached("general-verdict")
def routes_agree(family: IndexedFamily, quantity: str) -> Verdict:
    """The two general routes of ``quantity`` (kl, fisher or entropy) are equal for every k."""
    table = general.ROUTES_BY_QUANTITY[quantity]
    first, second = (route(family).result for route in table.values())
    return _equal_for_every_k(first, second, family)


@cached("general-verdict")
def expansion_agrees(family: IndexedFamily, order: int) -> Verdict:
    """cₙ of t ↦ KL(θ‖θ + tΔ) for every k: c₀ = c₁ = 0 and c₂ = ½ΔᵀFΔ (F_ab the general Fisher)."""
    coefficient = general.expansion_coefficients(family)[order]
    expected = general.quadratic_form(family) if order == 2 else sp.Integer(0)
    return _equal_for_every_k(coefficient, expected, family)


@cached("general-verdict")
def third_order_agrees(family: IndexedFamily) -> Verdict:
    """c₃ of t ↦ KL(θ‖θ + tΔ) for every k by two routes: the Taylor coefficient of the summed KL
    equals −⅙E_θ[d³/dt³ log p(x|θ + tΔ)] at t = 0 (the log-density differentiated first)."""
    taylor = general.expansion_coefficients(family)[3]
    return _equal_for_every_k(taylor, general.expansion_coefficients_definition(family)[3], family)


@cached("general-verdict")
def printed_form_agrees(family: IndexedFamily, quantity: str, route: str) -> Verdict:
    """The printed form of the result, in pᵢ and p_k (symgeom.derive.general_categorical.textbook,
    the derivation's last line), equals the result for every k once pᵢ, p_k are written in the
    chart's coordinates again (for the expansion also the printed ½ΔᵀFΔ)."""
    results = [general.ROUTES_BY_QUANTITY[quantity][route](family).result]
    if quantity == "expansion":  # the printed ½ΔᵀFΔ as well
        results.append(general.quadratic_form(family))
    for result in results:
        printed = general.textbook(family, result)
        verdict = _equal_for_every_k(general.from_textbook(family, printed), result, family)
        if verdict.status != PROVED:
            break
    return verdict


@cached("general-verdict")
def specialization_agrees(family: IndexedFamily, quantity: str, route: str, k: int) -> Verdict:
    """The general result of ``route``, specialized to k, equals the concrete-size derivation."""
    concrete = Categorical(k, family.param)
    if quantity == "kl":
        symbols = {1: concrete.symbols(1), 2: concrete.symbols(2)}
        specialized = general.specialized_kl(family, route, k, symbols)
    elif quantity == "fisher":
        specialized = general.specialized_fisher(family, route, k, {None: concrete.symbols()})
    else:
        deltas = concrete.delta_symbols() if quantity == "expansion" else ()
        specialized = general.specialized_scalar(family, quantity, route, k, concrete.symbols(),
                                                 deltas)
    reference = derive(quantity, concrete).result
    # The specialization is built unevaluated (for speed at large k): evaluate it for checking.
    specialized = specialized.doit()
    from symgeom.verification.catalog import proof_cover

    def check(left: sp.Expr, right: sp.Expr) -> Verdict:
        return check_identity(left, right, substitution=proof_cover(concrete),
                              sampler=family_sampler(concrete), time_limit=60.0)

    if quantity != "expansion":
        return check(specialized, reference)
    # power by power of t: the logits' c₃ at k = 4 alone is a large rational function
    left, right = _powers(specialized), _powers(reference)
    verdicts = [_cancels(left.get(n, sp.Integer(0)), right.get(n, sp.Integer(0)))
                or check(left.get(n, sp.Integer(0)), right.get(n, sp.Integer(0)))
                for n in sorted(set(left) | set(right))]
    worst = min(verdicts, key=lambda v: (v.status != FAILED, v.status == PROVED))
    if worst.status != PROVED:
        return worst
    return Verdict(PROVED, "each power of t: " + worst.method, sum(v.seconds for v in verdicts))


def _cancels(left: sp.Expr, right: sp.Expr) -> Verdict | None:
    """PROVED when left − right, a rational function of the symbols and of e^{zᵢ} (each eᵃ with
    a = Σ nᵢzᵢ, integer nᵢ, written Π uᵢ^{nᵢ} with uᵢ = e^{zᵢ} > 0), cancels to 0; else None.
    Sound: a rational function that cancels to 0 is 0 wherever it is defined."""
    start = time.perf_counter()
    units: dict[sp.Symbol, sp.Symbol] = {}

    def unit(symbol: sp.Symbol) -> sp.Symbol:
        return units.setdefault(symbol, sp.Dummy(f"exp_{symbol}", positive=True))

    def monomial(power: sp.exp) -> sp.Expr:
        terms = sp.Add.make_args(sp.expand(power.args[0]))
        if not all(c.is_Integer and s.is_Symbol for c, s in (t.as_coeff_Mul() for t in terms)):
            return power
        return sp.Mul(*[unit(s) ** c for c, s in (t.as_coeff_Mul() for t in terms)])

    difference = (left - right).replace(lambda e: isinstance(e, sp.exp), monomial)
    if difference.has(sp.exp, sp.log) or sp.cancel(sp.together(difference)) != 0:
        return None
    return Verdict(PROVED, "cancelled to 0 as a rational function (of uᵢ = eᶻⁱ)",
                   time.perf_counter() - start)


def _powers(series: sp.Expr) -> dict[int, sp.Expr]:
    """{n: cₙ} of a polynomial Σ cₙtⁿ given as a sum of terms cₙ·tⁿ (nothing expanded)."""
    out: dict[int, sp.Expr] = {}
    for term in sp.Add.make_args(series):
        coefficient, power = term.as_independent(T, as_Add=False)
        n = sp.degree(power, T)
        if power != T**n:
            raise ValueError(f"not a polynomial term in t: {term}")
        out[n] = out.get(n, sp.Integer(0)) + coefficient
    return out


@cached("general-verdict")
def product_agrees(param: str, d: int, quantity: str) -> Verdict:
    """The d-dimensional diagonal Gaussian built from d one-dimensional factors (the path of
    every d past the explicit limit) equals the explicit expansion at this small d."""
    from dataclasses import replace

    from symgeom.derive.registry import derive
    from symgeom.families import Gaussian, MultivariateGaussian
    from symgeom.families.general import Product

    explicit = MultivariateGaussian(d, "diagonal", param)
    product = replace(explicit, general=Product(Gaussian, d))
    return check_identity(derive(quantity, product).result, derive(quantity, explicit).result,
                          sampler=family_sampler(explicit), time_limit=60.0)


def general_rows() -> list[tuple[str, str, str, Verdict]]:
    """(identity, statement, family label, verdict) for every check of every general family."""
    from symgeom.verification.general_dirichlet import dirichlet_rows
    from symgeom.verification.general_gaussian import gaussian_rows
    from symgeom.verification.indexed_product import diagonal_rows

    return categorical_and_product_rows() + gaussian_rows() + diagonal_rows() + dirichlet_rows()


def categorical_and_product_rows() -> list[tuple[str, str, str, Verdict]]:
    """The general-k Categorical rows (the diagonal Gaussian's product rows are
    symgeom.verification.indexed_product.diagonal_rows, its general-d results at d = 1, 2, 3)."""
    rows = []
    for family in GENERAL_FAMILIES:
        for quantity, table in general.ROUTES_BY_QUANTITY.items():
            if len(table) > 1:
                rows.append((f"general/{quantity}_routes",
                             f"the two general-k {quantity} routes agree for every k",
                             family.label, routes_agree(family, quantity)))
            else:
                rows += [(f"general/expansion_c{n}",
                          f"for every k, c{n} of KL(θ‖θ+tΔ) = "
                          + ("½ΔᵀFΔ with the general-k F" if n == 2 else "0"),
                          family.label, expansion_agrees(family, n)) for n in range(3)]
                rows.append(("general/expansion_c3",
                             "for every k, c3 of KL(θ‖θ+tΔ) = −⅙E_θ[d³/dt³ log p(x|θ+tΔ)] at t = 0",
                             family.label, third_order_agrees(family)))
            for route in table:
                rows.append((f"general/{quantity}/{route}/printed",
                             "the printed form in p_i and p_k = the derived result, for every k",
                             family.label, printed_form_agrees(family, quantity, route)))
                for k in CHECK_SIZES:
                    rows.append((f"general/{quantity}/{route}@k={k}",
                                 f"general-k {quantity} ({route}) at k = {k} = the k = {k} derivation",
                                 family.label, specialization_agrees(family, quantity, route, k)))
    return rows
