"""The stable KL forms as SymPy expressions, built from kl_div and χ with their own NumPy printing.

``stable_kl(family)`` writes KL(θ₁‖θ₂) of every catalog family as a sum of non-negative terms

    kl_div(a, b) = a·log(a/b) − a + b,        χ(y) = kl_div(eʸ, 1) = y·eʸ − eʸ + 1,

in the symbols of ``sg.kl(family).arguments``.  ``form.rewrite(sp.log)`` gives back ordinary
logarithms, so the test suite proves each form equal to the derived KL; ``stable_numpy(family)``
lambdifies it, printing kl_div(a, b) as ``kl_div(a, b, d)`` with d = factor(a − b), so the
difference that decides the small-KL regime is simplified exactly before floats see it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import sympy as sp
from sympy.codegen.cfunctions import expm1

from symgeom.families.base import Family
from symgeom.numeric import kernels, special
from symgeom.numeric.bregman import BregmanKL, bregman_kl
from symgeom.numeric.lngamma import LnGammaKL, lngamma_kl
from symgeom.numeric.structure import kl_structure
from symgeom.numeric.trigamma_gap import trigamma_gap


class KLDiv(sp.Function):
    """kl_div(a, b) = a·log(a/b) − a + b (≥ 0 for a, b ≥ 0; zero iff a = b)."""

    nargs = 2

    @classmethod
    def eval(cls, a: sp.Expr, b: sp.Expr) -> sp.Expr | None:
        if a == b:
            return sp.S.Zero
        return None

    def _eval_rewrite_as_log(self, a: sp.Expr, b: sp.Expr, **kwargs: object) -> sp.Expr:
        return a * sp.log(a / b) - a + b

    def _eval_is_nonnegative(self) -> bool | None:
        a, b = self.args
        if a.is_nonnegative and b.is_positive:
            return True
        return None

    def _latex(self, printer: sp.printing.latex.LatexPrinter) -> str:
        a, b = (printer._print(x) for x in self.args)
        return rf"\operatorname{{kl}}\left({a}, {b}\right)"

    def _numpycode(self, printer: sp.printing.numpy.NumPyPrinter) -> str:
        a, b = self.args
        difference = sp.factor(a - b)
        text = [printer._print(a), printer._print(b)]
        numerator, denominator = sp.fraction(b)
        if a == 1 and isinstance(b, sp.exp):
            text += [printer._print(-expm1(b.args[0])), printer._print(-b.args[0])]
        elif a == 1 and numerator.is_Symbol and denominator.is_Symbol:
            # b = x/y of two inputs: log(a/b) = −log(x/y) from their mantissas and exponents
            # (kernels.log_quotient), so a ratio that underflows is not read as 0 (Exponential KL at
            # rates 1e300 ‖ 1e-300 was inf for 1380.55)
            x, y, gap = (printer._print(v) for v in (numerator, denominator, numerator - denominator))
            text += [printer._print(difference), f"-log_quotient({x}, {y}, {gap})"]
        else:
            text.append(printer._print(difference))
        return f"kl_div({', '.join(text)})"


class Chi(sp.Function):
    """χ(y) = kl_div(eʸ, 1) = y·eʸ − eʸ + 1 (≥ 0; zero iff y = 0)."""

    nargs = 1

    @classmethod
    def eval(cls, y: sp.Expr) -> sp.Expr | None:
        if y == 0:
            return sp.S.Zero
        return None

    def _eval_rewrite_as_log(self, y: sp.Expr, **kwargs: object) -> sp.Expr:
        return y * sp.exp(y) - sp.exp(y) + 1

    _eval_rewrite_as_exp = _eval_rewrite_as_log

    def _latex(self, printer: sp.printing.latex.LatexPrinter) -> str:
        return rf"\chi\left({printer._print(self.args[0])}\right)"

    def _numpycode(self, printer: sp.printing.numpy.NumPyPrinter) -> str:
        return f"chi({printer._print(self.args[0])})"


#: The primitives stable forms are built from: SymPy class → NumPy implementation.  A backend
#: implements each once (their docstrings give the formula).
PRIMITIVES: dict[str, tuple[type[sp.Function], Callable[..., object]]] = {
    "kl_div": (KLDiv, kernels.kl_div),
    "chi": (Chi, kernels.chi),
    "bregman_kl": (BregmanKL, bregman_kl),
    "lngamma_kl": (LnGammaKL, lngamma_kl),
}


def textbook(expr: sp.Expr) -> sp.Expr:
    """The stable form with kl_div and χ written out in log and exp."""
    return expr.rewrite(sp.log)


# --- stable forms, one per family and chart ------------------------------------------------------
def _log_softmax(z: list[sp.Expr]) -> list[sp.Expr]:
    """ℓᵢ = zᵢ − log Σⱼ e^{zⱼ} for the logits z (class k last, z_k = 0)."""
    total = sp.log(sp.Add(*[sp.exp(x) for x in z]))
    return [x - total for x in z]


def _logit_form(z1: list[sp.Expr], z2: list[sp.Expr]) -> sp.Expr:
    """Σᵢ qᵢ χ(ℓᵢ(z₁) − ℓᵢ(z₂)), q = softmax z₂."""
    l1, l2 = _log_softmax(z1), _log_softmax(z2)
    return sp.Add(*[sp.exp(b) * Chi(a - b) for a, b in zip(l1, l2, strict=True)])


def _gaussian_form(dmu_over_sigma2: sp.Expr, variance_ratio: sp.Expr) -> sp.Expr:
    """½[((μ₁ − μ₂)/σ₂)² + kl_div(1, σ₁²/σ₂²)]."""
    return (dmu_over_sigma2**2 + KLDiv(sp.S.One, variance_ratio)) / 2


def _gaussian_chart(param: str, a: sp.Symbol, b: sp.Symbol) -> tuple[sp.Expr, sp.Expr]:
    """(μ, σ²) of the chart coordinates (a, b)."""
    if param == "mean_std":
        return a, b**2
    if param == "mean_var":
        return a, b
    if param == "mean_logstd":
        return a, sp.exp(2 * b)
    return -a / (2 * b), -1 / (2 * b)


def _gaussian_pair(param: str, a1: sp.Symbol, b1: sp.Symbol, a2: sp.Symbol, b2: sp.Symbol) -> sp.Expr:
    mu1, v1 = _gaussian_chart(param, a1, b1)
    mu2, v2 = _gaussian_chart(param, a2, b2)
    if param == "mean_logstd":
        return _gaussian_form((mu1 - mu2) * sp.exp(-b2), sp.exp(2 * (b1 - b2)))
    return _gaussian_form((mu1 - mu2) / sp.sqrt(v2), sp.cancel(v1 / v2))


@cache
def stable_kl(family: Family) -> sp.Expr:
    """KL(θ₁‖θ₂) of ``family`` in ``family.symbols(1) + symbols(2)``, from its recognized structure.

    Softmax families (categorical, Bernoulli): Σ kl_div over the probabilities, or Σ qᵢχ(Δℓᵢ) over
    the log-probabilities of the logits; Gaussians: ½[z² + kl_div(1, σ₁²/σ₂²)] per coordinate, or
    the full-covariance form; a log-partition that is a sum of exponentials and logarithms of
    affine forms: Σ kl_div (:mod:`symgeom.numeric.separable`); a signed sum of lnΓ of affine forms
    and w·log z terms: Σ c·D_φ + Σ kl_div (:mod:`symgeom.numeric.lngamma`); every other
    exponential family: :class:`BregmanKL` (see :mod:`symgeom.numeric.bregman`).
    """
    if family.exponential_form is None:
        raise NotImplementedError(f"{family.label} is not an exponential family: see expanded_kl")
    one, two = list(family.symbols(1)), list(family.symbols(2))
    shape = kl_structure(family)
    if shape.kind == "softmax":
        if shape.chart == "mean":
            p = [*one, 1 - sp.Add(*one)]
            q = [*two, 1 - sp.Add(*two)]
            return sp.Add(*[KLDiv(a, b) for a, b in zip(p, q, strict=True)])
        return _logit_form([*one, sp.S.Zero], [*two, sp.S.Zero])
    if shape.kind == "normal":
        d = len(family.variables)
        return sp.Add(
            *[_gaussian_pair(shape.chart, one[i], one[d + i], two[i], two[d + i]) for i in range(d)]
        )
    if shape.kind == "normal_full":
        return _full_gaussian_form(family, one, two, len(family.variables))
    from symgeom.backends.forms import bregman_form as exact_bregman_form
    from symgeom.numeric.lngamma import lngamma_form
    from symgeom.numeric.separable import separable_form

    # The Bregman form with Δη from exact coordinate-by-coordinate differences (e^{θ₂} − e^{θ₁}
    # as e^{θ₁}·expm1(θ₂ − θ₁), …) and ∇A, ∇²A in σ(±θ): the one the array backends print.
    return separable_form(family) or lngamma_form(family) or exact_bregman_form(family)


def _full_gaussian_form(family: Family, one: list[sp.Symbol], two: list[sp.Symbol], d: int) -> sp.Expr:
    """½[Δμᵀ Σ₂⁻¹ Δμ + tr(Σ₂⁻¹Σ₁) − d − log det(Σ₂⁻¹Σ₁)].

    The NumPy kernel evaluates the last three terms as Σⱼ kl_div(1, λⱼ) over the eigenvalues λⱼ of
    Σ₂⁻¹Σ₁ (Σⱼ(λⱼ − 1 − log λⱼ) = tr − d − log Π λⱼ), which has no closed symbolic form for d > 1.
    """
    from itertools import combinations_with_replacement

    pairs = list(combinations_with_replacement(range(d), 2))

    def covariance(symbols: list[sp.Symbol]) -> sp.Matrix:
        entries = dict(zip(pairs, symbols[d:], strict=True))
        return sp.Matrix(d, d, lambda i, j: entries[(min(i, j), max(i, j))])

    c1, c2 = covariance(one), covariance(two)
    dmu = sp.Matrix(one[:d]) - sp.Matrix(two[:d])
    inv2 = c2.inv()
    quad = (dmu.T * inv2 * dmu)[0, 0]
    return (quad + (inv2 * c1).trace() - d - sp.log(c1.det() / c2.det())) / 2


def stable_numpy(family: Family) -> Callable[..., object]:
    """``stable_kl(family)`` lambdified with kl_div and χ printed as the stable NumPy kernels."""
    args = family.symbols(1) + family.symbols(2)
    namespace = {
        "kl_div": kernels.kl_div,
        "chi": kernels.chi,
        "bregman_kl": bregman_kl,
        "lngamma_kl": lngamma_kl,
        "polygamma": special.polygamma,
        "trigamma_gap": trigamma_gap,
        "gammaln": special.gammaln,
        "sigmoid": kernels.sigmoid,
        "softplus": kernels.softplus,
        "softplus_diff": kernels.softplus_diff,
        "ratio": kernels.ratio,
        "log_quotient": kernels.log_quotient,
        "softplus_diff_scaled": kernels.softplus_diff_scaled,
        "scaled_ratio": kernels.scaled_ratio,
        "scaled_sum": kernels.scaled_sum,
    }
    return sp.lambdify(args, numpy_kl_form(family), modules=[namespace, "scipy", "numpy"])


def numpy_kl_form(family: Family) -> sp.Expr:
    """``stable_kl(family)`` as NumPy evaluates it, the form the array backends print: an lnΓ-sum KL
    carries, per term, the candidate forms of its kl_div difference y₂ − y₁R
    (:func:`symgeom.backends.stirling.exact_differences`; the same identity, each written so that it
    cancels where another does not), and a Bregman form whose reference chart has an lnΓ-sum form
    takes that one (:func:`symgeom.backends.stirling.in_reference_chart`)."""
    from symgeom.backends.stirling import exact_differences, in_reference_chart

    form = stable_kl(family)
    if isinstance(form, LnGammaKL):
        return exact_differences(form, family.symbols(1), family.symbols(2))
    if form.has(BregmanKL):
        # a chart whose gaps are not polynomials (Dirichlet log concentrations): the reference
        # chart's lnΓ-sum form at θ_ref(θ), gaps by exact differences; the Bregman form kept 0.47 of
        # the value at log α = (327.03, 0, 0) ‖ (log 2, −243.9, log 3) (569.0 for 1221.1)
        moved = in_reference_chart(family, family.symbols(1), family.symbols(2))
        if moved is not None:
            return moved
    return form


def expanded_kl(expr: sp.Expr) -> sp.Expr:
    """A derived KL with no recognized structure (no exponential-family form, e.g. Laplace),
    multiplied out and its exponentials merged (``powsimp(expand(·))``), so no factor eᵘ·e⁻ᵘ is
    evaluated as inf·0: the Laplace KL (b₁ + e^{|Δμ|/b₁}|Δμ|)e^{−|Δμ|/b₁}/b₂ + log(b₂/b₁) − 1
    becomes (b₁/b₂)e^{−|Δμ|/b₁} + |Δμ|/b₂ + log b₂ − log b₁ − 1, every term bounded.  Exact; in
    float64 its absolute error is a few ulp of the largest term, so for near pairs (KL ≪ 1) it is
    accurate absolutely, not relatively, and never below −(a few ulp)."""
    return sp.powsimp(sp.expand(expr))
