"""Entropy of a count family on a bounded support {0, …, n} (concrete n), one term per outcome:

    H(θ) = Σₓ₌₀ⁿ entr(p(x), log p(x)),   log p(x) = log C(n, x) + x·log p + (n − x)·log1p(−p)

(log p(x) from the family's log-density through :func:`symgeom.numeric.finite.stable_log`:
log(1 − p) as log1p(−p), log σ(θ) as −LSE(0, −θ)).  Every term is ≥ 0, so nothing cancels, and
a term whose probability is 0 is 0: at p = 10⁻³⁰⁰ the outcome 0 keeps −P₀·log P₀ = 4p (the
derived closed form's log(1 − p) rounds to 0 and loses it, 1.4e-3 low for Binomial(4)), and at
p = 0 and p = 1 the point mass gives 0 (the closed form's 0·log 0 gave nan).
"""

from __future__ import annotations

import sympy as sp

from symgeom.derive.expectation import EXPAND_TERMS
from symgeom.families.base import Family, IntegerSupport
from symgeom.numeric import finite


def bounded_count_entropy(family: Family) -> sp.Expr | None:
    """Σₓ entr(p(x), log p(x)) over {0, …, n} in the chart's symbols; None unless the support is a
    bounded integer range of at most EXPAND_TERMS outcomes and the density has one variable."""
    support = family.support
    if not isinstance(support, IntegerSupport) or support.upper is None or len(family.variables) != 1:
        return None
    upper = sp.sympify(support.upper)
    if not upper.is_Integer or int(upper) + 1 > EXPAND_TERMS:
        return None
    (variable,) = family.variables
    log_density = family.log_density(None)
    terms = []
    for x in range(int(upper) + 1):
        ell = finite.absorbed_log(finite.stable_log(sp.expand_log(
            log_density.xreplace({variable: sp.Integer(x)}), force=True)))
        terms.append(finite.Entr(sp.exp(ell), ell))
    return sp.Add(*terms)
