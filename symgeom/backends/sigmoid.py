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


def softmax_form(expr: sp.Expr) -> sp.Expr:
    """``expr`` in the softmax probabilities pᵢ = e^{zᵢ − L}, p₀ = e^{−L}, L = log(1 + Σⱼ e^{zⱼ}),
    when it is a rational function of several e^{zᵢ} (zᵢ symbols) that is homogeneous of degree 0
    in (1, e^{z₁}, …) — a Categorical-logits Fisher entry e^{z₁}(e^{z₂} + 1)/(e^{z₁} + e^{z₂} + 1)²
    is p₁(p₂ + p₀)/(p₀ + p₁ + p₂)² — else unchanged.  The same value; every pᵢ ≤ 1, where e^{2z}
    overflows past z = 44 in float32 (355 in float64) and the entry came out 0 or nan."""
    exps = sorted(expr.atoms(sp.exp), key=str)
    if len(exps) < 2 or not all(e.args[0].is_Symbol for e in exps):
        return expr
    ts = [sp.Dummy(f"t{i}", positive=True) for i in range(len(exps))]
    rational = sp.cancel(expr.xreplace(dict(zip(exps, ts, strict=True))))
    if rational.free_symbols - set(ts) or not rational.is_rational_function(*ts):
        return expr
    numerator, denominator = (sp.Poly(part, *ts) for part in sp.fraction(rational))
    if numerator.is_zero or numerator.total_degree() != denominator.total_degree():
        return expr
    t0 = sp.Dummy("t0", positive=True)
    total = LogOnePlusExp(*(e.args[0] for e in exps))
    probabilities = {t0: sp.exp(-total)}
    probabilities |= {t: sp.exp(e.args[0] - total) for t, e in zip(ts, exps, strict=True)}
    homogeneous = [sp.factor(p.homogenize(t0).as_expr()).xreplace(probabilities)
                   for p in (numerator, denominator)]
    return homogeneous[0] / homogeneous[1]


class LogOnePlusExp(sp.Function):
    """log(1 + Σᵢ e^{zᵢ}), printed as the overflow-free log-sum-exp of (0, z₁, …) (a function of
    its own so that e^{z − L} is not evaluated back into e^z/(1 + Σ e^{zᵢ}))."""

    def _eval_rewrite_as_log(self, *zs: sp.Expr, **kwargs: object) -> sp.Expr:
        return sp.log(1 + sp.Add(*(sp.exp(z) for z in zs)))

    def _numpycode(self, printer: object) -> str:
        return printer._print(sp.log(1 + sp.Add(*(sp.exp(z) for z in self.args))))  # type: ignore[attr-defined]
