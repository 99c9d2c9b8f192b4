"""Entropy of a count family whose mass ratio is p(x + 1)/p(x) = c/(x + 1) (rate c, p(0) = e^{−c};
recognized from the log-density by :func:`symgeom.numeric.count_entropy.count_mass`, the data the
NumPy kernel uses), for torch, JAX and Array API namespaces, with autodiff, ``jit`` and ``vmap``:

    c ≤ LIMIT:  H = Σ_{x=0}^{TERMS−1} −p(x)ℓ(x),   ℓ(x) = −c + x·log c − log x!   (non-negative terms)
    c > LIMIT:  H = ½ log(2πc) + Σ_{k=0}^{ORDER} a_k c^{−k}    (a₀ = ½, a₁ = −1/12, a₂ = −1/24, …)

log x! from a 30-digit table, log c printed from the chart (the log-rate chart gives it exactly).
The a_k are derived, not typed (:func:`asymptotic_coefficients`): H = λ − λ log λ + E[log X!] with
Stirling's series for log X! = (X + ½)log X − X + ½ log 2π + Σⱼ B₂ⱼ/(2j(2j − 1)X^{2j−1}), X = λ(1 + v),
expanded in v and averaged with the Poisson central moments (μ_{n+1} = λ(nμ_{n−1} + dμₙ/dλ)),
collected in powers of 1/λ.  Truncation: at c = 64 the first omitted term a₁₅/64¹⁵ is 3e-19 of
H ≥ 2.6; the sum's tail past x = 200 at c = 64 is below e^{−95}.  Rounding: ℓ(x) carries
≈ ε(c + x|log c| + log x!) ≤ 600ε absolute near the mode, so ≤ 5e-14 relative at c = 64.

On JAX a tiny entropy (a log-rate of −720: H ≈ c(1 − log c) = 5e-311) is the copy
e^L, L = logsumexp_x(ℓ(x) + log(−ℓ(x))) with log(−ℓ(0)) = log c, under
:func:`symgeom.backends.tiny_forms.tiny_rescue_for` (only for a batch with a tiny entry).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from math import comb
from typing import Any

import numpy as np
import sympy as sp

from symgeom.backends import printer
from symgeom.families.base import Family

Array = Any

#: rates up to this take the sum over outcomes, above it the asymptotic series
LIMIT = 64.0
#: outcomes 0 … TERMS − 1 of the sum
TERMS = 201
#: last power of 1/c in the asymptotic series
ORDER = 14


@cache
def asymptotic_coefficients(order: int = ORDER) -> tuple[Fraction, ...]:
    """(a₀, …, a_order) of H(λ) ~ ½ log(2πλ) + Σ a_k λ^{−k} (module docstring), exact rationals."""
    n_max = 2 * order + 3
    moments: list[dict[int, Fraction]] = [{0: Fraction(1)}, {}]  # μₙ as {power of λ: coefficient}
    for n in range(1, n_max):
        new: dict[int, Fraction] = {}
        for k, c in moments[n - 1].items():
            new[k + 1] = new.get(k + 1, Fraction(0)) + n * c
        for k, c in moments[n].items():
            if k:
                new[k] = new.get(k, Fraction(0)) + k * c
        moments.append({k: v for k, v in new.items() if v})
    # E[vⁿ] = μₙ/λⁿ as {power of u = 1/λ: coefficient}
    ev = [{n - k: c for k, c in moments[n].items()} for n in range(n_max + 1)]
    out = [Fraction(0)] * (order + 1)

    def add(power: int, value: Fraction) -> None:
        if 0 <= power <= order:
            out[power] += value

    for n in range(2, n_max + 1):  # λ·E[(1 + v)log(1 + v) − v]
        for p, c in ev[n].items():
            add(p - 1, Fraction((-1) ** n, n * (n - 1)) * c)
    for n in range(1, n_max + 1):  # ½·E[log(1 + v)]
        for p, c in ev[n].items():
            add(p, Fraction((-1) ** (n + 1), 2 * n) * c)
    for j in range(1, (order + 1) // 2 + 1):  # Σⱼ B₂ⱼ/(2j(2j − 1)) λ^{−m} E[(1 + v)^{−m}], m = 2j − 1
        m = 2 * j - 1
        b = Fraction(sp.bernoulli(2 * j)) / (2 * j * m)
        for n in range(n_max + 1):
            for p, c in ev[n].items():
                add(p + m, b * (-1) ** n * comb(m + n - 1, n) * c)
    return tuple(out)


@cache
def _log_factorials() -> tuple[float, ...]:
    import mpmath

    with mpmath.workdps(30):
        return tuple(float(mpmath.loggamma(x + 1)) for x in range(TERMS))


def chart_pair(
    ops: Any, family: Family, source: printer.Source, arrays: tuple[Array, ...]
) -> tuple[Array, Array]:
    """The two printed expressions of ``source`` at the chart's scalars, as arrays of their
    broadcast shape ((c, log c) here; (P, Q) in backends.waiting_entropy)."""
    from symgeom.backends.ops import is_number
    from symgeom.numeric.inputs import unpack

    scalars = unpack(family, tuple(arrays))
    first, second = (ops.asarray(v, scalars[0]) if is_number(v) else v
                     for v in printer.bind(source, ops)(*scalars))
    return tuple(ops.xp.broadcast_arrays(first, second, *scalars)[:2])


@dataclass(frozen=True)
class RateEntropy:
    """The entropy as a ``_Plan`` vector form: ``(ops, *arrays) → H``."""

    family: Family
    source: printer.Source  # (c, log c) of the chart scalars

    def __call__(self, ops: Any, *arrays: Array) -> Array:
        from symgeom.backends.tiny_forms import tiny_rescue_for

        xp = ops.xp
        c, log_c = chart_pair(ops, self.family, self.source, arrays)
        small = c <= LIMIT
        one, zero = xp.ones_like(c), xp.zeros_like(c)
        cs, ls = xp.where(small, c, one), xp.where(small, log_c, zero)
        x = ops.asarray(np.arange(TERMS, dtype=np.float64), c)
        table = ops.asarray(np.asarray(_log_factorials(), dtype=np.float64), c)
        ell = x * ls[..., None] - cs[..., None] - table
        p = xp.exp(ell)
        direct = xp.sum(-p * ell, axis=-1)
        # the series at c > LIMIT (its unselected entries at 2·LIMIT: no overflow in c^{−k})
        cb = xp.where(small, one * (2 * LIMIT), c)
        lb = xp.where(small, one * math.log(2 * LIMIT), log_c)
        inverse = 1 / cb
        series = zero
        for a in reversed(asymptotic_coefficients()[1:]):
            series = (series + float(a)) * inverse
        far = 0.5 * (lb + math.log(2 * math.pi)) + (0.5 + series)
        value = xp.where(small, direct, far)

        def log_abs() -> Array:
            minus = xp.where(x == 0, ls[..., None], xp.log(xp.maximum(-ell, xp.zeros_like(ell))))
            return ops.logsumexp(ell + minus)

        return tiny_rescue_for(ops.name, xp)(value, 1, log_abs)


def rate_entropy(family: Family | None) -> RateEntropy | None:
    """The form above for a family whose count mass has the rate shape, else None."""
    from symgeom.backends.log_rules import exact
    from symgeom.numeric.count_entropy import count_mass

    mass = count_mass(family) if family is not None else None
    if mass is None or mass.shape != "rate" or mass.rate_expression is None:
        return None
    c = mass.rate_expression
    log_c = exact(sp.expand_log(sp.log(c), force=True))  # log λ: read from the bits on JAX
    return RateEntropy(family, printer.print_source((c, log_c), family.symbols()))
