"""A derived KL with no exponential-family form, rewritten as a sum of non-negative kl_div terms.

    c·eʷ − c − c·w = c·kl_div(1, eʷ),        x − 1 − log x = kl_div(1, x),

so :func:`kl_div_form` peels every term c·eʷ of the expanded KL (:func:`expanded_kl`) into
c·kl_div(1, eʷ), and asks whether what is left is x − 1 − log x for x read from its logarithms
(Σ αₖ log aₖ = −log x, x = Π aₖ^{−αₖ}).  The Laplace KL, for instance,

    (b₁/b₂)e^{−|Δμ|/b₁} + |Δμ|/b₂ + log(b₂/b₁) − 1 = (b₁/b₂)·kl_div(1, e^{−|Δμ|/b₁}) + kl_div(1, b₁/b₂),

two terms ≥ 0 that the stable kl_div kernel evaluates to a few ulp each, so the sum keeps its
relative accuracy when the pair is near (the expanded form cancels to its absolute ulp).  The
rewritten form is returned only when SymPy reduces its difference from the derived KL to zero
and every coefficient c and every x is provably positive; otherwise None.
"""

from __future__ import annotations

import sympy as sp

from symgeom.numeric.symbolic import KLDiv, expanded_kl


def kl_div_form(kl: sp.Expr) -> sp.Expr | None:
    """``kl`` as Σ c·kl_div(1, eʷ) + kl_div(1, x), proved equal to it, or None."""
    expanded = expanded_kl(kl)
    pieces: list[sp.Expr] = []
    rest = expanded
    for term in sp.Add.make_args(expanded):
        exps = [f for f in sp.Mul.make_args(term) if isinstance(f, sp.exp)]
        if len(exps) != 1:
            continue
        coefficient, w = term / exps[0], exps[0].args[0]
        if not coefficient.is_positive:
            return None
        pieces.append(coefficient * KLDiv(sp.S.One, exps[0]))
        rest = rest - coefficient * (exps[0] - 1 - w)
    rest = sp.expand(sp.expand_log(rest, force=True))
    logs = [t for t in sp.Add.make_args(rest) if t.has(sp.log)]
    x = sp.S.One
    for term in logs:
        alpha, log = term.as_independent(sp.log, as_Add=False)
        if not (isinstance(log, sp.log) and alpha.is_Rational):
            return None
        x *= log.args[0] ** (-alpha)
    if x != 1:
        if not x.is_positive:
            return None
        pieces.append(KLDiv(sp.S.One, x))
    form = sp.Add(*pieces)
    if not pieces or not _equal(form, kl):
        return None
    return form


def _equal(form: sp.Expr, kl: sp.Expr) -> bool:
    difference = sp.expand(sp.expand_log(form.rewrite(sp.log) - expanded_kl(kl), force=True))
    return sp.simplify(sp.powsimp(difference, force=True)) == 0
