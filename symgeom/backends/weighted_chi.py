"""w·χ(y) in printed code, where w = σ(x) and y is a softplus difference, as kl_div(p, w) with
p = w·eʸ found symbolically:

    σ(x)·χ(y) = kl_div(p, w, w·expm1(y), y) for |y| < ½,  p·(y − 1) + w beyond,
    log p = y + log σ(x) = y − softplus(−x)  (simplified)

(χ(y) = y·eʸ − eʸ + 1).  χ(y) overflows for y > 709 while σ(x) underflows, so the product as
printed was ∞·0 = nan: the Bernoulli-logit KL at (709, 10¹⁰) on JAX (true ≈ 1.2168e-298).  Only
where log p simplifies to −softplus(u) (then p = σ(−u), no cancellation left), else unchanged.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from symgeom.backends.sigmoid import Sigmoid
from symgeom.numeric.softplus import Softplus, SoftplusDiff
from symgeom.numeric.symbolic import Chi


class WeightedChi(sp.Function):
    """WeightedChi(y, w, p, ℓ) = w·χ(y) with p = w·eʸ and ℓ = log p supplied; printed
    ``weighted_chi(y, w, p, ℓ)``."""

    nargs = 4

    def _eval_rewrite_as_exp(self, y: sp.Expr, w: sp.Expr, p: sp.Expr, ell: sp.Expr,
                             **kwargs: object) -> sp.Expr:
        return w * (y * sp.exp(y) - sp.exp(y) + 1)

    def _numpycode(self, printer: sp.printing.numpy.NumPyPrinter) -> str:
        return "weighted_chi(" + ", ".join(printer._print(a) for a in self.args) + ")"


def _other_probability(y: sp.Expr, w: sp.Expr) -> tuple[sp.Expr, sp.Expr] | None:
    """(p, log p), p = w·eʸ = σ(−u), where y + log w simplifies to −softplus(u), else None."""
    if not isinstance(w, Sigmoid):
        return None
    difference = y.replace(lambda e: isinstance(e, SoftplusDiff),
                           lambda e: Softplus(e.args[0] + e.args[1]) - Softplus(e.args[0]))
    log_p = sp.expand(difference - Softplus(-w.args[0]))
    if not (isinstance(log_p, sp.Mul) and log_p.args[0] == -1 and len(log_p.args) == 2
            and isinstance(log_p.args[1], Softplus)):
        return None
    return Sigmoid(-log_p.args[1].args[0]), log_p


def _weighted(term: sp.Basic) -> sp.Expr | None:
    if not isinstance(term, sp.Mul):
        return None
    chis = [f for f in term.args if isinstance(f, Chi)]
    weights = [f for f in term.args if isinstance(f, Sigmoid)]
    if len(chis) != 1 or len(weights) != 1 or len(term.args) != 2:
        return None
    other = _other_probability(chis[0].args[0], weights[0])
    return None if other is None else WeightedChi(chis[0].args[0], weights[0], *other)


def weighted_chis(expr: sp.Basic) -> sp.Basic:
    """``expr`` with each σ(x)·χ(y) of the module's shape as :class:`WeightedChi`."""
    if not expr.has(Chi):
        return expr
    return expr.replace(lambda e: _weighted(e) is not None, _weighted)


def weighted_chi(ops: Any, y: Any, w: Any, p: Any, log_p: Any) -> Any:
    """kl_div(p, w, w·expm1(y), y) for |y| < ½; p·(y − 1) + w beyond (p, w differ by a factor
    e^{±½} or more: for y ≤ −½ at most 11× cancels, w − p(1 − y) ≥ 0.09w), with p·(y − 1) as
    ±exp(log p + log|y − 1|) where p < 10⁻³⁰⁰ (subnormal or flushed to 0 by XLA's CPU, while
    p·y is representable: 1.2e-308·10¹⁰).  The branch not taken gets the point (1, 1, 0, 0),
    so neither value nor gradient sees ∞·0."""
    xp = ops.xp
    near = xp.abs(y) < 0.5
    one, zero = xp.ones_like(y), xp.zeros_like(y)
    ys = xp.where(near, y, zero)
    ps, ws = xp.where(near, p, one), xp.where(near, w, one)
    close = ops.kl_div(ps, ws, ws * xp.expm1(ys), ys)
    step = xp.where(near, zero, y) - 1
    tiny = log_p < -690.0
    scaled = xp.exp(xp.where(tiny, log_p, zero) + xp.log(xp.where(tiny, xp.abs(step), one)))
    product = xp.where(tiny, xp.sign(step) * scaled, xp.where(near, zero, p) * step)
    return xp.where(near, close, product + xp.where(near, zero, w))
