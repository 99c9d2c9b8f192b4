"""The Gaussian moment lemmas for every d: Stein's identity, and Wick's (Isserlis') pairing from it.

The general-d derivations take every expectation over z = x − μ ~ N(0, Σ) by Wick's pairing
(:func:`symgeom.derive.matrix_calculus.expect`: the z-ends of the bilinear factors joined in pairs
through Σ).  Here the same expectations are taken by a second, independent rule, and the two are
compared in the trace normal form, whose rewrites hold for every d:

* **Stein's identity** E[z·h(z)] = Σ·E[∇h(z)] for polynomial h, every d.  Argument:
  0 = ∫ ∂_b(h p) dx (integration by parts on ℝᵈ: Fubini and the one-dimensional fundamental
  theorem of calculus, h·p → 0 at infinity since p ≤ c·exp(−|x − μ|²/2λ_max), λ_max of Σ — *cited*, not
  checked), and ∂_b log p = −(Σ⁻¹z)_b, so E[∇h] = Σ⁻¹E[z h].  The score part is checked here: the
  directional derivative D_w log p(μ + z) = −wᵀΣ⁻¹z, and D_{Σu} log p = −uᵀz, both in the normal
  form (:func:`stein_score`).
* **Stein's recursion** (:func:`stein_expect`): for a factor zᵀWv of a monomial with the rest g,
  E[zᵀWv·g] = Σ_ab Σ_ab E[∂_b((Wv)_a g)] = E[D_{ΣWv} g] + [v = z]·tr(ΣW)E[g]; each step removes two
  z's, E[c] = c for z-free c (the density normalizes: row ``lemma/normalization@d``).  Nothing
  here pairs anything.
* **Isserlis** (:func:`isserlis_closed_forms`): the recursion gives E[zᵀPz·zᵀQz] =
  tr(PΣ)tr(QΣ) + 2tr(PΣQΣ), E[zᵀPz] = tr(PΣ), E[uᵀz·vᵀz] = uᵀΣv, E of four vectors' products the
  three pairings, odd products 0 — for symbolic letters P, Q, u, v, …, so for every d.
* **The derivations' expectations** (:func:`derivation_expectations`): every integrand the
  general-d routes hand to Wick's pairing (``general_gaussian.EXPECTATIONS``) has the same
  expectation by Stein's recursion, in the normal form.

* **Normalization** (:func:`normalization`), E[1] = 1 for every d: x = μ + Su with S = Σ^{1/2}
  symmetric positive definite (SS = Σ), dx = det S du; log p(μ + Su) + ln det S = −½uᵀu − (d/2)ln 2π
  in the normal form (Σ⁻¹ = S⁻¹S⁻¹, ln det Σ = 2 ln det S); log ∏ᵢ e^{−uᵢ²/2} = Σᵢ(−uᵢ²/2) = −½uᵀu and
  ∏ᵢ₌₁ᵈ ∫e^{−uᵢ²/2}duᵢ = (2π)^{d/2} exactly (SymPy, symbolic d).

Assumed (cited): integration by parts on ℝᵈ with vanishing boundary terms; the symmetric square
root of Σ (spectral theorem), the change of variables formula, det(PQ) = det P det Q, and
Fubini–Tonelli (∫ of a product of functions of separate coordinates = the product of integrals).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import sympy as sp

from symgeom.cache import cached
from symgeom.derive import general_gaussian as gg
from symgeom.derive import matrix_calculus as mc
from symgeom.derive.matrix_calculus import D, Monomial, Poly, form, lin, logdet, mat, trace, vec
from symgeom.verification.identity import FAILED, PROVED, Verdict

#: The direction letter of Stein's derivative (replaced at once by ΣWv; no letter is named so).
_DIRECTION = "stein·w"


def _z_ends(mono: Monomial, z: str) -> int:
    return sum((f[1] == z) + (f[3] == z) for f in mono if f[0] == "bil")


def max_z_ends(poly: Poly, z: str) -> int:
    """The largest number of z's in one monomial (the order of the moments used)."""
    return max((_z_ends(mono, z) for mono, _ in poly.terms), default=0)


def stein_expect(poly: Poly, z: str, covariance: str) -> Poly:
    """E over z ~ N(0, Σ) (Σ = the letter ``covariance``) by Stein's recursion (module docstring):
    E[zᵀWv·g] = E[D_{ΣWv} g] + [v = z]·tr(ΣW)·E[g], until no z is left."""

    def one(mono: Monomial) -> Poly:
        k = next((k for k, f in enumerate(mono) if f[0] == "bil" and z in (f[1], f[3])), None)
        if k is None:
            return Poly.of([(1, mono)])
        factor = mono[k]
        rest = Poly.of([(1, mono[:k] + mono[k + 1:])])
        _, u, word, v = factor
        if u != z:  # uᵀWz = zᵀWᵀu, Wᵀ the word reversed (symmetric letters)
            u, word, v = v, tuple(reversed(word)), u
        sigma_w = ((covariance, 1), *word)
        moved = mc.substitute(mc.derivative(rest, {z: _DIRECTION}),
                              vectors={_DIRECTION: {(sigma_w, v): 1}})
        if v == z:
            moved = moved + trace({sigma_w: 1}) * rest
        return stein_expect(moved, z, covariance)

    return poly.map_terms(one)


def _proved(ok: bool, start: float, what: str, residual: str = "") -> Verdict:
    if ok:
        return Verdict(PROVED, what, time.perf_counter() - start)
    return Verdict(FAILED, f"not reduced to 0: {what}", time.perf_counter() - start, residual=residual[:200])


def _first_difference(pairs: list[tuple[str, Poly, Poly]]) -> tuple[str, Poly] | None:
    for what, left, right in pairs:
        if not mc.proved_equal(left, right):
            return what, left - right
    return None


@cached("general-verdict")
def stein_score() -> Verdict:
    """The algebra of Stein's identity for every d: D_w log p(x|μ,Σ) at x = μ + z is −wᵀΣ⁻¹z, and
    along w = Σu it is −uᵀz (so ∫D_{Σu}(h p) = 0 reads E[D_{Σu}h] = E[uᵀz·h])."""
    start = time.perf_counter()
    score = gg._centred(mc.derivative(gg.log_density(None, vec("x")), {"x": "w"}))
    along_sigma_u = mc.substitute(score, vectors={"w": vec("u", ("Sigma", 1))})
    found = _first_difference([
        ("D_w log p = −wᵀΣ⁻¹z", score, -form(vec("w"), [mat(("Sigma", -1))], vec("z"))),
        ("D_{Σu} log p = −uᵀz", along_sigma_u, -form(vec("u"), [], vec("z"))),
    ])
    if found:
        return _proved(False, start, found[0], str(mc.to_sympy(found[1])))
    return _proved(True, start, "symbolic for every d: the score −Σ⁻¹(x − μ) in the trace normal "
                   "form; integration by parts on ℝᵈ (boundary terms 0) cited")


def _zf(u: str) -> Poly:
    """uᵀz."""
    return form(vec(u), [], vec("z"))


def _zpz(p: str) -> Poly:
    """zᵀPz."""
    return form(vec("z"), [mat((p, 1))], vec("z"))


def _tr(*letters: str) -> Poly:
    return trace(*[mat((name, 1)) for name in letters])


def _uv(u: str, v: str) -> Poly:
    """uᵀΣv."""
    return form(vec(u), [mat(("Sigma", 1))], vec(v))


def closed_forms() -> list[tuple[str, Poly, Poly]]:
    """(statement, integrand, stated expectation) of the Gaussian moment lemmas."""
    four = _zf("u") * _zf("v") * _zf("w") * _zf("y")
    pairings = _uv("u", "v") * _uv("w", "y") + _uv("u", "w") * _uv("v", "y") + _uv("u", "y") * _uv("v", "w")
    return [
        ("E[uᵀz] = 0", _zf("u"), mc.ZERO),
        ("E[uᵀz·vᵀz] = uᵀΣv", _zf("u") * _zf("v"), _uv("u", "v")),
        ("E[zᵀPz] = tr(PΣ)", _zpz("P"), _tr("P", "Sigma")),
        ("E[uᵀz·vᵀz·wᵀz] = 0", _zf("u") * _zf("v") * _zf("w"), mc.ZERO),
        ("E[uᵀz·zᵀPz] = 0", _zf("u") * _zpz("P"), mc.ZERO),
        ("E[uᵀz·vᵀz·wᵀz·yᵀz] = the three pairings", four, pairings),
        ("E[uᵀz·vᵀz·zᵀPz] = uᵀΣv·tr(PΣ) + 2uᵀΣPΣv", _zf("u") * _zf("v") * _zpz("P"),
         _uv("u", "v") * _tr("P", "Sigma")
         + form(vec("u"), [mat(("Sigma", 1), ("P", 1), ("Sigma", 1))], vec("v")) * 2),
        ("E[zᵀPz·zᵀQz] = tr(PΣ)tr(QΣ) + 2tr(PΣQΣ)", _zpz("P") * _zpz("Q"),
         _tr("P", "Sigma") * _tr("Q", "Sigma") + _tr("P", "Sigma", "Q", "Sigma") * 2),
    ]


Rule = Callable[[Poly, str, str], Poly]


@cached("general-verdict")
def isserlis_closed_forms(rule: Rule = stein_expect, wick: Rule = mc.expect) -> Verdict:
    """The moments up to order four, for every d: Stein's recursion gives each stated closed form,
    and Wick's pairing (the derivations' rule) agrees with it."""
    start = time.perf_counter()
    pairs = []
    for statement, integrand, stated in closed_forms():
        by_stein = rule(integrand, "z", "Sigma")
        pairs += [(f"{statement} (Stein)", by_stein, stated),
                  (f"{statement} (Wick = Stein)", wick(integrand, "z", "Sigma"), by_stein)]
    found = _first_difference(pairs)
    if found:
        return _proved(False, start, found[0], str(mc.to_sympy(found[1])))
    return _proved(True, start, "symbolic for every d: Stein's recursion in the trace normal form "
                   "gives each closed form (orders 1–4); Wick's pairing agrees")


@cached("general-verdict")
def derivation_expectations(rule: Rule = stein_expect, wick: Rule = mc.expect) -> Verdict:
    """Every expectation the general-d routes take by Wick's pairing equals Stein's recursion."""
    start = time.perf_counter()
    pairs, order = [], 0
    for name in gg.EXPECTATIONS:
        poly, z, covariance = gg.integrand(name)
        order = max(order, max_z_ends(poly, z))
        pairs.append((name, wick(poly, z, covariance), rule(poly, z, covariance)))
    found = _first_difference(pairs)
    if found:
        return _proved(False, start, f"{found[0]}: Wick ≠ Stein", str(mc.to_sympy(found[1])))
    return _proved(True, start, f"symbolic for every d: {len(pairs)} expectations (moments of order "
                   f"≤ {order}), Wick's pairing = Stein's recursion in the trace normal form")


@cached("general-verdict")
def normalization() -> Verdict:
    """∫ p(x|μ,Σ) dx = 1 for every d (module docstring): the change of variables x = μ + Su in the
    normal form, then the standard normal integral as a Product of d one-dimensional integrals."""
    start = time.perf_counter()
    x = lin((1, vec("mu")), (1, vec("u", ("S", 1))))
    log_p = mc.substitute(gg.log_density(None, x), {("Sigma", -1): mat(("S", -1), ("S", -1))},
                          logdets={"Sigma": logdet("S") * 2})
    standard = form(vec("u"), [], vec("u")) * -gg.HALF + Poly.scalar(-D * sp.log(2 * sp.pi) / 2)
    failures = []
    if not mc.proved_equal(log_p + logdet("S"), standard):
        failures.append("log p(μ + Su) + ln det S = −½uᵀu − (d/2) ln 2π")
    i, v = sp.Symbol("i", integer=True, positive=True), sp.Symbol("v", real=True)
    u = sp.IndexedBase("u", real=True)
    exponent = sp.expand_log(sp.log(sp.Product(sp.exp(-u[i] ** 2 / 2), (i, 1, D))))
    if not (isinstance(exponent, sp.Sum) and exponent.limits == ((i, 1, D),)
            and exponent.function == -u[i] ** 2 / 2):
        failures.append("log ∏ᵢ exp(−uᵢ²/2) = Σᵢ −uᵢ²/2")
    one = sp.integrate(sp.exp(-v ** 2 / 2), (v, -sp.oo, sp.oo))
    total = sp.Product(one, (i, 1, D)).doit()
    if sp.simplify(total * sp.exp(-D * sp.log(2 * sp.pi) / 2)) != 1:
        failures.append(f"∏ᵢ ∫exp(−uᵢ²/2)duᵢ = (2π)^(d/2) ({total})")
    if failures:
        return _proved(False, start, "; ".join(failures))
    return _proved(True, start, "symbolic for every d: x = μ + Σ^(1/2)u in the trace normal form, "
                   "∏ᵢ ∫exp(−uᵢ²/2)duᵢ = (2π)^(d/2) exact; change of variables and Fubini–Tonelli cited")


LABEL = "multivariate_gaussian(d=d,full)[mean_cov]"


def moment_rows() -> list[tuple[str, str, str, Verdict]]:
    """(identity, statement, family label, verdict) of the Gaussian moment lemmas for every d."""
    return [
        ("lemma/normalization@d", "∫ p(x|μ,Σ) dx = 1, every d (x = μ + Σ^(1/2)u, then d one-dimensional "
         "integrals; change of variables and Fubini–Tonelli cited)", LABEL, normalization()),
        ("lemma/stein@d", "Stein: E[z·h(z)] = Σ·E[∇h(z)], z = x − μ, every d (score −Σ⁻¹z in normal "
         "form; integration by parts on ℝᵈ cited)", LABEL, stein_score()),
        ("lemma/isserlis@d", "Isserlis from Stein's recursion, every d: E[zᵀPz·zᵀQz] = tr(PΣ)tr(QΣ) + "
         "2tr(PΣQΣ) and the moments of order ≤ 4", LABEL, isserlis_closed_forms()),
        ("lemma/expectations@d", "every expectation of the general-d routes: Wick's pairing = "
         "Stein's recursion, every d", LABEL, derivation_expectations()),
    ]
