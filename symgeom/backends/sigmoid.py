"""Rational functions of e^x rewritten in σ(x) = 1/(1 + e^{−x}) and σ(−x), which cannot overflow.

Derived Fisher entries of logit charts are rational functions of e^θ — e^θ/(e^θ + 1)² for a
Bernoulli, 1/(e^θ + 1) for a geometric — and printed as they stand they are inf/inf = nan once
e^θ overflows (θ > 709 in float64, 88 in float32).  With t = e^x = s/u, s = σ(x), u = σ(−x),
s + u = 1, a rational R(t) becomes a homogeneous rational function of (s, u); every factor s + u
is 1, and when what is left has only s and u (powers) in its denominator the entry is printed as
that product: e^θ/(e^θ + 1)² = s·u = σ(θ)σ(−θ), exact for every θ (σ is computed without
overflow by each backend: ``torch.sigmoid``, ``jax.nn.sigmoid``, 1/(1 + e^{−x}) elsewhere).
A Laurent polynomial in e^x is printed cancelled (e^{−θ}, not 1/((1 − 1/(e^θ + 1))(e^θ + 1))).
Anything else (an e^x inside a log, a denominator other than powers of e^x + 1) is left as it is.
"""

from __future__ import annotations

import math

import sympy as sp


class Sigmoid(sp.Function):
    """σ(x) = 1/(1 + e^{−x}), printed as the backend's overflow-free ``sigmoid``."""

    nargs = 1

    def _eval_rewrite_as_exp(self, x: sp.Expr, **kwargs: object) -> sp.Expr:
        return 1 / (1 + sp.exp(-x))

    def _numpycode(self, printer: object) -> str:
        return f"sigmoid({printer._print(self.args[0])})"  # type: ignore[attr-defined]


def one_exponential(expr: sp.Expr, name: str = "t") -> tuple[sp.Expr, sp.Dummy, sp.Expr] | None:
    """(x, t, ``expr`` as a rational function of t = eˣ) when ``expr`` is a rational function of
    one exponential eˣ (its exponentials are e^{c·x} with integer c; x = gcd(c)·rest), else None."""
    exps = expr.atoms(sp.exp)
    if not exps:
        return None
    split = [e.args[0].as_coeff_Mul() for e in exps]
    rests = {rest for _, rest in split}
    if len(rests) != 1 or not all(c.is_Integer for c, _ in split):
        return None
    (rest,) = rests
    step = math.gcd(*[int(c) for c, _ in split])
    x = step * rest
    t = sp.Dummy(name, positive=True)
    in_t = expr.xreplace({e: t ** (int(c) // step) for e, (c, _) in zip(exps, split, strict=True)})
    if in_t.free_symbols & x.free_symbols or not in_t.is_rational_function(t):
        return None
    return x, t, in_t


def sigmoid_form(expr: sp.Expr) -> sp.Expr:
    """``expr`` in σ(x), σ(−x) when it is a rational function of one e^x (see the module doc)."""
    found = one_exponential(expr)
    if found is None:
        return expr
    x, t, in_t = found
    if sp.Poly(sp.fraction(sp.cancel(in_t))[1], t).is_monomial:
        # A Laurent polynomial in e^x: its cancelled form, e^{−θ} rather than
        # 1/((1 − 1/(e^θ + 1))(e^θ + 1)), which is 1/0 once e^θ/(e^θ + 1) rounds to 0 (θ < −37).
        cancelled = sp.expand(sp.cancel(in_t)).xreplace({t: sp.exp(x)})
        return cancelled if sp.count_ops(cancelled) < sp.count_ops(expr) else expr
    s, u = sp.Dummy("s", positive=True), sp.Dummy("u", positive=True)
    numerator, denominator = sp.fraction(sp.factor(sp.cancel(in_t.subs(t, s / u))))
    parts = []
    for polynomial, sign in ((numerator, 1), (denominator, -1)):
        coefficient, factors = sp.factor_list(polynomial, s, u)
        parts.append(coefficient**sign)
        for factor, power in factors:
            if sp.expand(factor - s - u) == 0:
                continue
            if sign < 0 and factor not in (s, u):
                return expr
            parts.append(factor ** (sign * power))
    return sp.Mul(*parts).xreplace({s: Sigmoid(x), u: Sigmoid(-x)})
