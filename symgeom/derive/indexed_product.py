"""KL, Fisher, entropy and expansion of a product of d independent coordinates, for every d.

Product lemma (proved for every d in :mod:`symgeom.verification.product_lemma`: exact steps on
indexed sums, Fubini–Tonelli cited; also checked against the concrete derivations at d = 1, 2, 3): for
p(x|θ) = Πᵢ p₁(xᵢ|θᵢ), log p = Σᵢ log p₁(xᵢ|θᵢ) and xᵢ has the marginal p₁(·|θᵢ), so by linearity of E

    KL(θ₁‖θ₂) = Σᵢ KL₁(θ₁ᵢ‖θ₂ᵢ),   H(θ) = Σᵢ H₁(θᵢ),   F(θ) = diag(F₁(θ₁), …, F₁(θ_d)),
    KL(θ‖θ + tΔ) = Σᵢ KL₁(θᵢ‖θᵢ + tΔᵢ)   (every coefficient cₙ adds),

the Fisher matrix block diagonal because the scores of different coordinates are independent with
mean 0.  Each route of the product is a route of the one-dimensional family (its derivation,
written for coordinate i) followed by the lemma; the expansion has one more route,
``definition``: cₙ = −E[dⁿ/dtⁿ log p₁(xᵢ|θᵢ + tΔᵢ)]/n! at t = 0 per coordinate (c₀ = 0).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from math import factorial

import sympy as sp

from symgeom.derivation import Derivation, Step
from symgeom.derive.notation import Remainder, T, Tex
from symgeom.errors import SymgeomError, UnknownQuantityError
from symgeom.families.indexed_product import COLUMN, INDEX, ROW, IndexedProduct

ORDER = 3


@dataclass(frozen=True, repr=False)
class ProductDerivation(Derivation):
    """A general-d product derivation; ``general`` is the family (its torch/JAX functions apply
    the factor's function to every coordinate)."""

    general: IndexedProduct | None = None
LEMMA = ("product lemma (proved for every d): the coordinates are independent, log p(x|θ) = "
         "Σᵢ log p₁(xᵢ|θᵢ) and xᵢ has the marginal p₁(·|θᵢ) (Fubini–Tonelli), so by linearity of E")
_LEMMA_BY_QUANTITY = {
    "kl": (r"\sum_{i=1}^{d} D_{\mathrm{KL}}\left(p_{\theta_{1,i}} \,\|\, p_{\theta_{2,i}}\right)",
           "the KL divergence is the sum of the coordinates' KL divergences"),
    "entropy": (r"\sum_{i=1}^{d} H(\theta_{i})", "the entropy is the sum of the coordinates' entropies"),
    "expansion": (r"\sum_{i=1}^{d} D_{\mathrm{KL}}\left(p_{\theta_{i}} \,\|\, "
                  r"p_{\theta_{i} + t\Delta_{i}}\right)",
                  "the expansion is the sum of the coordinates' expansions (each cₙ adds)"),
    "fisher": (r"\delta_{ab}\, F_{1}(\theta_{a})",
               "the Fisher matrix is block diagonal, one block F₁(θᵢ) per coordinate: scores of "
               "different coordinates are independent with mean 0, so E[s_a s_bᵀ] = 0 for a ≠ b"),
}
QUANTITY_TITLES = {"kl": "KL divergence", "fisher": "Fisher information", "entropy": "Entropy",
                   "expansion": "Second-order expansion of KL"}


def _registry():
    import symgeom.derive  # noqa: F401 - registers every route
    from symgeom.derive.registry import derive, routes

    return derive, routes


def routes(quantity: str, family: IndexedProduct) -> tuple[str, ...]:
    """The factor's routes of ``quantity`` (the expansion also ``definition``), default first;
    none for a quantity the product lemma does not cover."""
    if quantity not in QUANTITY_TITLES:
        return ()
    _, factor_routes = _registry()
    names = tuple(factor_routes(quantity, family.one))
    if quantity == "expansion" and "definition" not in names:
        names += ("definition",)
    return names


@cache
def _expansion_definition(factor) -> tuple[sp.Expr, ...]:
    """(c₀, …, c₃) of one coordinate: cₙ = −E_θ[dⁿ/dtⁿ log p₁(x|θ + tΔ)|_{t=0}]/n! (c₀ = 0)."""
    from symgeom.derive.expectation import expect

    moved = dict(zip(factor.symbols(), [s + T * d for s, d in
                                        zip(factor.symbols(), factor.delta_symbols(), strict=True)],
                     strict=True))
    log_p = factor.log_density().xreplace(moved)
    out, current = [sp.Integer(0)], log_p
    for n in range(1, ORDER + 1):
        current = sp.diff(current, T)
        at_zero = sp.expand(current.xreplace({T: 0}))
        out.append(sp.factor(-expect(factor, at_zero) / factorial(n)))
    return tuple(out)


def coordinate(quantity: str, family: IndexedProduct, route: str) -> tuple[Derivation | None, sp.Basic]:
    """(the factor's derivation or None, the per-coordinate result in the factor's symbols)."""
    if quantity == "expansion" and route == "definition":
        c = _expansion_definition(family.one)
        return None, sp.Add(*[c[n] * T**n for n in range(ORDER + 1)])
    derive, _ = _registry()
    one = derive(quantity, family.one, route)
    return one, one.result


def _check(quantity: str, family: IndexedProduct, route: str | None) -> str:
    if route is not None and not isinstance(route, str):
        raise SymgeomError(f"{quantity}: route must be a route name, got {type(route).__name__}")
    if quantity not in QUANTITY_TITLES:
        raise UnknownQuantityError(f"{quantity} of {family.label} is not derived for general d; "
                                   f"accepted: {', '.join(QUANTITY_TITLES)}")
    accepted = routes(quantity, family)
    name = accepted[0] if route is None else route
    if name not in accepted:
        raise UnknownQuantityError(f"unknown route {name!r} of {quantity} for {family.label}; "
                                   f"accepted: {', '.join(accepted)}")
    return name


def general_result(quantity: str, family: IndexedProduct, route: str) -> sp.Basic:
    """The result for every d: Σᵢ of the coordinate's result (Fisher: the (a, b) block δ_ab F₁(θ_a))."""
    _, one = coordinate(quantity, family, route)
    if quantity == "fisher":
        block = sp.ImmutableMatrix(one).xreplace(family.indexed(ROW))
        return sp.ImmutableMatrix(block.shape[0], block.shape[1],
                                  lambda r, c: sp.KroneckerDelta(ROW, COLUMN) * block[r, c])
    return sp.Sum(sp.sympify(one).xreplace(family.indexed(INDEX)), (INDEX, 1, family.size))


def _steps_per_coordinate(one: Derivation | None, family: IndexedProduct, quantity: str,
                          route: str, summand: sp.Basic) -> list[Step]:
    rename = family.indexed(ROW if quantity == "fisher" else INDEX)
    where = "a" if quantity == "fisher" else "i"
    if one is None:
        return [Step(summand.xreplace(rename), f"coordinate {where}: cₙ = −E[dⁿ/dtⁿ log p₁(x_{where}|"
                     f"θ_{where} + tΔ_{where})]/n! at t = 0 (c₀ = 0), each expectation exact",
                     lhs=Tex(rf"\left[{_per_coordinate_symbol(quantity)}\right]_{{{where}}}"))]
    steps = []
    for n, step in enumerate(one.steps):
        lhs = step.lhs.xreplace(rename) if step.lhs is not None else None
        if n == 0 and lhs is None:
            lhs = Tex(rf"\left[{one.symbol_latex}\right]_{{{where}}}")
        why = step.justification if n else (f"coordinate {where}, the one-dimensional {one.title[0].lower()}"
                                            f"{one.title[1:]} ({route} route): {step.justification}")
        steps.append(replace(step, expression=step.expression.xreplace(rename), lhs=lhs,
                             facts=tuple(f.xreplace(rename) for f in step.facts)))
        steps[-1] = replace(steps[-1], justification=why)
    return steps


def _per_coordinate_symbol(quantity: str) -> str:
    return r"D_{\mathrm{KL}}\left(p_{\theta} \,\|\, p_{\theta + t\Delta}\right)" if quantity == "expansion" \
        else quantity


@cache
def derive_product(quantity: str, family: IndexedProduct, route: str | None = None) -> Derivation:
    """``quantity`` of the product for every d by ``route`` (a route of the factor)."""
    name = _check(quantity, family, route)
    one, summand = coordinate(quantity, family, name)
    result = general_result(quantity, family, name)
    lemma_lhs, lemma_why = _LEMMA_BY_QUANTITY[quantity]
    shown = result
    if quantity == "expansion":
        shown = sp.Add(result, Remainder(T ** (ORDER + 1)), evaluate=False)
    steps = [
        Step(Tex(lemma_lhs), f"{LEMMA}: {lemma_why}"),
        *_steps_per_coordinate(one, family, quantity, name, summand),
        Step(shown, "the product lemma, with the coordinate's result"
             + (" (an entry of the 2d × 2d matrix; parameter j of coordinate a is its row j·d + a)"
                if quantity == "fisher" else f", summed over i = 1, …, {family.size}"),
             lhs=Tex(_symbol(quantity))),
    ]
    return ProductDerivation(
        quantity=quantity, route=name, family=None,
        title=f"{QUANTITY_TITLES[quantity]} of the multivariate Gaussian for every d "
              f"({family.kind}, `{family.param}`)",
        symbol_latex=_symbol(quantity), steps=tuple(steps), result=result, arguments=(),
        general=family)


def _symbol(quantity: str) -> str:
    return {"kl": r"D_{\mathrm{KL}}\left(p_{\theta_{1}} \,\|\, p_{\theta_{2}}\right)",
            "fisher": r"F_{(j,a),(m,b)}(\theta)", "entropy": r"H(\theta)",
            "expansion": r"D_{\mathrm{KL}}\left(p_{\theta} \,\|\, p_{\theta + t\Delta}\right)"}[quantity]


def derive_general(quantity: str, family: IndexedProduct, route: str | None = None) -> Derivation:
    """The registry's entry point for an :class:`IndexedProduct`."""
    return derive_product(quantity, family, route)


# --- concrete sizes ---------------------------------------------------------------------------------
def concrete_symbols(family: IndexedProduct, concrete, index: int) -> dict[sp.Basic, sp.Expr]:
    """θⱼ[i] (and Δθⱼ[i]) at every point → the concrete family's symbol of coordinate ``index``
    (0-based; parameter j of coordinate i at position j·d + i of the concrete chart)."""
    d = len(concrete.variables)
    one = family.one
    out: dict[sp.Basic, sp.Expr] = {}
    for point in (None, 1, 2):
        out.update({family.base(j, point)[INDEX]: concrete.symbols(point)[j * d + index]
                    for j in range(len(one.parameters))})
    out.update({family.delta_base(j)[INDEX]: concrete.delta_symbols()[j * d + index]
                for j in range(len(one.parameters))})
    return out


def specialize(quantity: str, family: IndexedProduct, route: str, concrete) -> sp.Basic:
    """The general result of ``route`` at the concrete family's d, in its symbols: the sum written
    out (KL, entropy, expansion) or the blocks placed on the diagonal (Fisher)."""
    d = len(concrete.variables)
    _, one = coordinate(quantity, family, route)
    summand = sp.sympify(one).xreplace(family.indexed(INDEX))
    per = [summand.xreplace(concrete_symbols(family, concrete, i)) for i in range(d)]
    if quantity != "fisher":
        return sp.Add(*per)
    width = len(family.one.parameters)
    entries = {}
    for i, block in enumerate(per):
        for j in range(width):
            for m in range(width):
                entries[j * d + i, m * d + i] = block[j, m]
    n = width * d
    return sp.ImmutableMatrix(n, n, lambda r, c: entries.get((r, c), sp.Integer(0)))
