"""KL of an exponential family whose log-partition is a signed sum of lnΓ of affine forms and
w·log z terms, as Σ c·D_φ + Σ kl_div: every piece is small where the KL is, nothing cancels.

With lnΓ(y) = φ(y) + y·log y − y (φ as in :mod:`symgeom.numeric.stirling`), write

    A(η) = Σₖ cₖ·lnΓ(yₖ(η)) − Σⱼ Wⱼ(η)·log Zⱼ(η) + affine(η),      yₖ, Wⱼ, Zⱼ affine in η,

where every Wⱼ is the sum Σ_{i∈Sⱼ} cᵢyᵢ over disjoint sets of the terms with cᵢ > 0 (a term with
c < 0 contributes its own −|c|·y·log y, i.e. W = |c|y, Z = y).  The Bregman divergence of the
y·log y and W·log Z part is then a sum of kl_div terms, so

    KL(θ₁‖θ₂) = Σₖ cₖ·D_φ(yₖ₂, yₖ₁) + Σ_{cᵢ>0} cᵢ·kl_div(yᵢ₂, yᵢ₁·Zⱼ₂/Zⱼ₁)     (j the set of i).

Gamma (A = lnΓ(α) − α·log β): D_φ(α₂, α₁) + kl_div(α₂, α₁β₂/β₁); Beta and Dirichlet
(A = Σ lnΓ(αᵢ) − lnΓ(Σα)): Σ D_φ(αᵢ) − D_φ(Σα) + Σ kl_div(αᵢ₂, αᵢ₁·Σα₂/Σα₁).  For large shapes
D_φ ≈ h²/(4y²) is a small correction and the kl_div terms carry the digits; at extreme shape
ratios (α ≫ β) the subtracted D_φ(Σα) is a fraction β/α³ of the total.  The differences the small
terms need, yₖ₂ − yₖ₁ and uⱼ = Zⱼ₂/Zⱼ₁ − 1, are printed as polynomials in the chart-coordinate
differences θ₂ − θ₁ (exact in floats; e.g. u = (ϑ₁ − ϑ₂)/ϑ₂ for Z = 1/ϑ), so this form is used
when every y and the numerator of every u is such a polynomial (not for log-coordinates, e^{c₂} −
e^{c₁}).  :func:`lngamma_form` returns it, or None; the test suite proves it equal to the derived
KL.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import sympy as sp

from symgeom.families.base import Family
from symgeom.numeric.bregman import BregmanKL
from symgeom.numeric.kernels import BLOCK, blocked_elements, kl_div
from symgeom.numeric.special import gammaln, times_digamma
from symgeom.numeric.stirling import stirling_bregman


class Gap(sp.Function):
    """Gap(x₂, x₁) = x₂ − x₁, printed as one parenthesized float subtraction (exact for x₂ ≈ x₁)."""

    nargs = 2

    def _eval_rewrite_as_log(self, x2: sp.Expr, x1: sp.Expr, **kwargs: object) -> sp.Expr:
        return x2 - x1

    def _latex(self, printer: sp.printing.latex.LatexPrinter) -> str:
        return rf"\left({printer._print(self.args[0])} - {printer._print(self.args[1])}\right)"

    def _numpycode(self, printer: sp.printing.numpy.NumPyPrinter) -> str:
        return f"({printer._print(self.args[0])} - {printer._print(self.args[1])})"

    _pythoncode = _numpycode


def _phi(y: sp.Expr) -> sp.Expr:
    return sp.loggamma(y) - y * sp.log(y) + y


def _d_phi(y1: sp.Expr, y2: sp.Expr) -> sp.Expr:
    """D_φ(y₂, y₁) written out in lnΓ, ψ and log."""
    return _phi(y2) - _phi(y1) - (y2 - y1) * (sp.polygamma(0, y1) - sp.log(y1))


class LnGammaKL(BregmanKL):
    """LnGammaKL(terms, groups): Σₖ cₖ·D_φ(yₖ₂, yₖ₁) + Σ_{cᵢ>0} cᵢ·kl_div(yᵢ₂, yᵢ₁·Zⱼ₂/Zⱼ₁).

    ``terms`` is a Tuple of (cₖ, yₖ₁, yₖ₂, yₖ₂ − yₖ₁ in Gaps, j) with j = −1 for a term in no set;
    ``groups`` a Tuple of (Rⱼ = Zⱼ₂/Zⱼ₁, uⱼ = Rⱼ − 1 with its numerator in Gaps, Zⱼ₁, Zⱼ₂, W′ⱼ₁,
    W′ⱼ₂), W′ⱼ the weight of −log Zⱼ in A itself (not from a subtracted lnΓ; 0 for Beta), which
    the direct textbook form needs.  A Bregman divergence (hence a BregmanKL, so code that has no
    printing for it falls back to the derived KL); printed to NumPy as
    ``lngamma_kl(((c, y₁, y₂, Δy, j), …), ((R, u, W′₁, W′₂), …))``.
    """

    nargs = 2

    def _eval_rewrite_as_log(self, terms: sp.Tuple, groups: sp.Tuple, *rest: sp.Expr,
                             **kwargs: object) -> sp.Expr:
        total = sp.S.Zero
        for c, y1, y2, _, j in terms:
            total += c * _d_phi(y1, y2)
            if c > 0:
                # kl_div(y₂, y₁R) with log(y₂/(y₁R)) split into logs of the positive y and Z.
                log_ratio, b = sp.log(y2) - sp.log(y1), y1
                if j >= 0:
                    ratio, _, z1, z2, *_ = groups[j]
                    log_ratio, b = log_ratio - sp.log(z2) + sp.log(z1), y1 * ratio
                total += c * (y2 * log_ratio - y2 + b)
        return total

    def _latex(self, printer: sp.printing.latex.LatexPrinter) -> str:
        return printer._print(self.rewrite(sp.log))

    def _numpycode(self, printer: sp.printing.numpy.NumPyPrinter) -> str:
        p = printer._print
        terms = ", ".join(f"({p(c)}, {p(y1)}, {p(y2)}, {p(dy)}, {int(j)})"
                          for c, y1, y2, dy, j in self.args[0])
        groups = ", ".join(f"({p(r)}, {p(u)}, {p(w1)}, {p(w2)})"
                           for r, u, _, _, w1, w2 in self.args[1])
        return f"lngamma_kl(({terms},), ({groups}{',' if groups else ''}))"

    _pythoncode = _numpycode


#: Relative gap of every y below which a block skips the direct form (it would keep < 2 digits).
LNGAMMA_CLOSE = 1e-3
#: The direct form is kept where it is at least this fraction of the size of its terms: its error,
#: ≈ 4ε·(that size), is then below 9·10⁻¹⁴ of the value.
LNGAMMA_SWITCH = 1e-2


def lngamma_kl(terms: Sequence[tuple], groups: Sequence[tuple],
               differences: Sequence[tuple] | None = None) -> np.ndarray:
    """KL from the lnΓ-sum structure (see :class:`LnGammaKL`), clipped at 0.

    ``terms``: (c, y₁, y₂, Δy, j) per lnΓ term; ``groups``: (Rⱼ, uⱼ, W′ⱼ₁, W′ⱼ₂) per set.  First
    the textbook direct form Σₖ cₖ[lnΓ(yₖ₂) − lnΓ(yₖ₁) − Δyₖψ(yₖ₁)] − Σⱼ[W′ⱼ₂ log Rⱼ − W′ⱼ₁uⱼ],
    kept where it is at least LNGAMMA_SWITCH of the size of its terms (random far pairs: the cost of the
    naive formula); elsewhere, and for blocks whose pairs are all within LNGAMMA_CLOSE, the stable form
    Σₖ cₖ·D_φ(yₖ₂, yₖ₁) + Σ_{cᵢ>0} cᵢ·kl_div(yᵢ₂, yᵢ₁Rⱼ), whose kl_div difference is Δy − y₁uⱼ from
    the exact gaps where |uⱼ| < ½, else y₂ − y₁Rⱼ (Rⱼ itself, not 1 + uⱼ, which loses Rⱼ's digits
    when Rⱼ ≪ 1).  With ``differences`` (per term, candidate forms of yₖ₂ − yₖ₁Rⱼ as tuples of
    monomials: :func:`symgeom.backends.stirling.exact_differences`) each entry takes the candidate
    with the smallest sum of monomial sizes, its rounding bound, instead: y₂ − y₁Rⱼ alone gave
    2.1·10⁵⁹ for a true 60.14 at Beta (2.1·10⁵¹, 1.07·10¹⁴² ‖ 2, 3.1·10⁹¹).  Evaluated in float64 on
    cache-sized blocks; float32 inputs give float32.
    """
    coefficients = [(float(c), int(j)) for c, *_, j in terms]
    logs = [k for k, g in enumerate(groups) if not all(np.ndim(w) == 0 and w == 0 for w in g[2:])]
    flat = ([x for term in terms for x in term[1:4]] + [x for group in groups for x in group[:2]]
            + [x for k in logs for x in groups[k][2:]])
    first_monomial = len(flat)
    if differences is not None:  # every monomial of every candidate, in order, after the rest
        flat += [m for term in differences for form in term for m in form]
    arrays = np.broadcast_arrays(*(np.asarray(x) for x in flat))
    dtype = np.result_type(*arrays, np.float32)
    shape = arrays[0].shape
    arrays = [x.astype(np.float64, copy=False).reshape(-1) for x in arrays]
    n_terms, n_groups = len(coefficients), len(groups)

    def stable(values: list[np.ndarray]) -> np.ndarray:
        cut = 3 * n_terms
        ratios, gaps = values[cut : cut + 2 * n_groups : 2], values[cut + 1 : cut + 2 * n_groups : 2]
        total = np.zeros_like(values[0])
        at = first_monomial
        for k, (c, j) in enumerate(coefficients):
            y1, y2, dy = values[3 * k : 3 * k + 3]
            part = stirling_bregman(y1, y2, dy)
            if c > 0:
                if j >= 0:
                    b = y1 * ratios[j]
                    if differences is None:
                        d = np.where(np.abs(gaps[j]) < 0.5, dy - y1 * gaps[j], y2 - b)
                    else:
                        d, bound = y2 - b, np.abs(y2) + np.abs(b)
                        for form in differences[k]:
                            monomials = values[at : at + len(form)]
                            at += len(form)
                            value = np.sum(monomials, axis=0)
                            size = np.sum(np.abs(monomials), axis=0)
                            better = size < bound
                            d, bound = np.where(better, value, d), np.where(better, size, bound)
                    part += kl_div(y2, b, d)
                else:
                    part += kl_div(y2, y1, dy)
            if c != 1:
                part *= c
            total += part
        return total

    def direct(values: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray]:
        """(direct form, the size of its terms)."""
        total, size = np.zeros_like(values[0]), np.zeros_like(values[0])
        for k, (c, _) in enumerate(coefficients):
            y1, y2, dy = values[3 * k : 3 * k + 3]
            low, high, slope = gammaln(y1), gammaln(y2), times_digamma(dy, y1)
            term = high - low - slope
            total += c * term if c != 1 else term
            size += abs(c) * (np.abs(low) + np.abs(high) + np.abs(slope) + np.abs(dy))
        cut = 3 * n_terms + 2 * n_groups
        for i, k in enumerate(logs):
            log_ratio, u = np.log(values[3 * n_terms + 2 * k]), values[3 * n_terms + 2 * k + 1]
            w1, w2 = values[cut + 2 * i], values[cut + 2 * i + 1]
            total += w1 * u - w2 * log_ratio
            size += np.abs(w2) * (np.abs(log_ratio) + 1) + np.abs(w1 * u)
        return total, size

    n = arrays[0].size
    out = np.empty(n)
    rejected = []
    with np.errstate(all="ignore"):
        for start in range(0, n, BLOCK):
            values = tuple(x[start : start + BLOCK] for x in arrays)
            gap = np.zeros_like(values[0])
            for k in range(n_terms):
                np.maximum(gap, np.abs(values[3 * k + 2]) / values[3 * k], out=gap)
            if not np.max(gap) > LNGAMMA_CLOSE:
                out[start : start + values[0].size] = stable(list(values))
                continue
            value, size = direct(values)
            out[start : start + value.size] = value
            redo = np.flatnonzero(~(value >= LNGAMMA_SWITCH * size))
            if redo.size:
                rejected.append(redo + start)
        # The stable form once over every rejected pair of the far blocks, gathered: a few large
        # calls, not one small call per block.
        if rejected:
            index = np.concatenate(rejected)
            out[index] = blocked_elements(lambda *v: stable(list(v)), *(x[index] for x in arrays))
        # Rounding of the subtracted D_φ terms (c < 0) must not make a zero KL negative.
        np.maximum(out, 0.0, out=out)
    return out.reshape(shape).astype(dtype, copy=False)[()]


def _affine(expr: sp.Expr, symbols: Sequence[sp.Symbol]) -> bool:
    return all(sp.diff(expr, a, b) == 0 for a in symbols for b in symbols)


def _gapped(expr: sp.Expr, one: Sequence[sp.Symbol], two: Sequence[sp.Symbol]) -> sp.Expr | None:
    """``expr`` (zero where θ₂ = θ₁) as a polynomial in Gap(θₖ₂, θₖ₁), or None if it is not one."""
    deltas = [sp.Dummy(f"d{k}") for k in range(len(one))]
    shifted = sp.expand(expr.xreplace({b: a + d for a, b, d in zip(one, two, deltas, strict=True)}))
    if not shifted.is_polynomial(*deltas) or sp.simplify(shifted.xreplace(dict.fromkeys(deltas, 0))) != 0:
        return None
    gaps = {d: Gap(b, a) for a, b, d in zip(one, two, deltas, strict=True)}
    return sp.collect(shifted, deltas).xreplace(gaps)


def _coefficients(expr: sp.Expr, eta: Sequence[sp.Symbol]) -> list[sp.Expr]:
    """(constant, ∂/∂η₁, …) of an affine expression."""
    return [expr.xreplace(dict.fromkeys(eta, 0))] + [sp.diff(expr, e) for e in eta]


def _split(log_partition: sp.Expr, eta: Sequence[sp.Symbol]) -> tuple[list, dict] | None:
    """([(c, y)] for the lnΓ terms, {Z: W} with A = Σ c·lnΓ(y) + Σ W·log Z + affine), or None."""
    lngammas: list[tuple[sp.Expr, sp.Expr]] = []
    logs: dict[sp.Expr, sp.Expr] = {}
    for term in sp.Add.make_args(sp.expand(log_partition, log=False)):
        if not term.has(*eta) or (_affine(term, eta) and not term.has(sp.log, sp.loggamma)):
            continue
        c, g = term.as_independent(*eta, as_Add=False)
        if isinstance(g, sp.loggamma) and c.is_number and _affine(g.args[0], eta):
            lngammas.append((c, g.args[0]))
            continue
        factors = [f for f in sp.Mul.make_args(term) if isinstance(f, sp.log)]
        if len(factors) != 1 or not _affine(factors[0].args[0], eta):
            return None
        weight = sp.expand(term / factors[0])
        if weight.has(sp.log, sp.loggamma) or not _affine(weight, eta):
            return None
        z = factors[0].args[0]
        logs[z] = sp.expand(logs.get(z, 0) + weight)
    return (lngammas, logs) if lngammas else None


def lngamma_form(family: Family) -> sp.Expr | None:
    """KL(θ₁‖θ₂) as a :class:`LnGammaKL` (module docstring), or None."""
    form = family.exponential_form
    if form is None:
        return None
    eta = tuple(form.natural_symbols)
    split = _split(form.log_partition, eta)
    if split is None:
        return None
    lngammas, logs = split
    original = dict(logs)
    for c, y in lngammas:
        if c < 0:
            # c·(y·log y) of a subtracted lnΓ joins the W·log Z terms.
            logs[y] = sp.expand(logs.get(y, 0) + c * y)
    positive = [i for i, (c, _) in enumerate(lngammas) if c > 0]
    columns = sp.Matrix([_coefficients(sp.expand(lngammas[i][0] * lngammas[i][1]), eta) for i in positive]).T
    member = dict.fromkeys(positive, -1)
    zs = []
    for z, w in logs.items():
        if sp.expand(w) == 0:
            if sp.expand(original.get(z, 0)) != 0:
                return None  # a log term of A that no lnΓ set absorbs: not this shape
            continue
        # −W must be the sum of a set of positive terms cᵢyᵢ: solve for the 0/1 indicator.
        target = sp.Matrix(_coefficients(sp.expand(-w), eta))
        try:
            solution, params = columns.gauss_jordan_solve(target)
        except ValueError:
            return None
        if params.shape[0] or any(x not in (0, 1) for x in solution):
            return None
        for i, x in zip(positive, solution, strict=True):
            if x == 1:
                if member[i] != -1:
                    return None
                member[i] = len(zs)
        zs.append(z)
    one, two = family.symbols(1), family.symbols(2)
    at1 = dict(zip(eta, family.natural_at(1), strict=True))
    at2 = dict(zip(eta, family.natural_at(2), strict=True))
    terms, groups = [], []
    for i, (c, y) in enumerate(lngammas):
        y1, y2 = sp.expand(y.xreplace(at1)), sp.expand(y.xreplace(at2))
        gap = _gapped(y2 - y1, one, two)
        if gap is None:
            return None
        terms.append(sp.Tuple(c, y1, y2, gap, member.get(i, -1)))
    for z in zs:
        z1, z2 = z.xreplace(at1), z.xreplace(at2)
        ratio = sp.cancel(z2 / z1)
        numerator, denominator = sp.fraction(sp.cancel(ratio - 1))
        gap = _gapped(numerator, one, two)
        if gap is None:
            return None
        weight = -sp.expand(original.get(z, 0))
        groups.append(sp.Tuple(ratio, gap / denominator, z1, z2, weight.xreplace(at1),
                               weight.xreplace(at2)))
    return LnGammaKL(sp.Tuple(*terms), sp.Tuple(*groups))
