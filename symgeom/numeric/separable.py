"""KL of an exponential family whose log-partition is a sum of exponentials and logarithms of
affine forms of η, as a sum of kl_div terms (each ≥ 0, stable near equality).

The Bregman divergence of A = Σₖ cₖ·gₖ(ℓₖ(η)) (ℓₖ affine) is Σₖ cₖ·D_{gₖ}(ℓₖ(η₂), ℓₖ(η₁)), and

    c·D_exp(y₂, y₁) = c·(e^{y₂} − e^{y₁} − (y₂ − y₁)e^{y₁}) = kl_div(c·e^{y₁}, c·e^{y₂})    (c > 0),
    c·D_log(y₂, y₁) = c·(log y₂ − log y₁ − (y₂ − y₁)/y₁) = −c·kl_div(1, y₂/y₁)        (c < 0),

so e.g. the Poisson KL (A = e^η, η = log λ) is kl_div(λ₁, λ₂) and the Exponential KL
(A = −log(−η), η = −λ) is kl_div(1, λ₂/λ₁).  :func:`separable_form` returns that sum in the chart
symbols of the two points, or None when A has another shape (lnΓ, products, a sign that would
make a term concave); the test suite proves each form equal to the derived KL.
"""

from __future__ import annotations

import sympy as sp

from symgeom.families.base import Family
from symgeom.numeric.symbolic import KLDiv


def _affine(expr: sp.Expr, eta: tuple[sp.Symbol, ...]) -> bool:
    return all(sp.diff(expr, a, b) == 0 for a in eta for b in eta)


def separable_form(family: Family) -> sp.Expr | None:
    """KL(θ₁‖θ₂) as a sum of kl_div terms (see the module docstring), or None."""
    form = family.exponential_form
    eta = tuple(form.natural_symbols)
    at1 = dict(zip(eta, family.natural_at(1), strict=True))
    at2 = dict(zip(eta, family.natural_at(2), strict=True))
    pieces = []
    for term in sp.Add.make_args(sp.expand(form.log_partition)):
        c, g = term.as_independent(*eta, as_Add=False)
        if not c.is_number or not isinstance(g, sp.exp | sp.log) or not _affine(g.args[0], eta):
            return None
        y = g.args[0]
        if isinstance(g, sp.exp) and c > 0:
            a = sp.powsimp(sp.expand_log(c * sp.exp(y.xreplace(at1)), force=True), force=True)
            b = sp.powsimp(sp.expand_log(c * sp.exp(y.xreplace(at2)), force=True), force=True)
            a, b = sp.simplify(a), sp.simplify(b)
            if a.has(sp.exp) or b.has(sp.exp):
                # Chart coordinates inside the exponential (log-rate): e^{y₁}·kl_div(1, e^{y₂−y₁})
                # keeps the exponent difference exact, where e^{y₁} − e^{y₂} would round.
                pieces.append(a * KLDiv(sp.S.One, sp.exp(sp.expand(y.xreplace(at2) - y.xreplace(at1)))))
            else:
                pieces.append(KLDiv(a, b))
        elif isinstance(g, sp.log) and c < 0:
            ratio = sp.powsimp(sp.cancel(y.xreplace(at2) / y.xreplace(at1)), force=True)
            pieces.append(-c * KLDiv(sp.S.One, ratio))
        else:
            return None
    return sp.Add(*pieces) if pieces else None
