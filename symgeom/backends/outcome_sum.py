"""The pieces the vector-form count entropies share (:mod:`symgeom.backends.trial_entropy`,
:mod:`symgeom.backends.waiting_entropy`): log P and log Q from a chart's (P, Q), and the entropy as a
sum over a fixed table of outcomes,

    H = Σₓ −e^{ℓ(x)}·ℓ(x),   ℓ(x) = T(x) + a(x)·log P + b(x)·log Q,

T(x) the log of the mass's combinatorial factor (a table the caller computes at 30 digits), a and b its
exponents of P and Q (binomial: x and n − x; negative binomial: s and x).  Every term is ≥ 0 where
ℓ(x) ≤ 0, and a term whose p(x) underflows is 0.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from symgeom.backends import printer
from symgeom.backends.rate_entropy import chart_pair
from symgeom.families.base import Family

Array = Any


@dataclass(frozen=True)
class PairForm:
    """A count entropy as a ``_Plan`` vector form ``(ops, *arrays) → H``, from the chart's printed
    pair (P, Q)."""

    family: Family
    source: printer.Source  # (P, Q) of the chart scalars
    #: the point masses are valued by the form (H = 0), not by backends.endpoint_where
    endpoints_inside: ClassVar[bool] = True

    def pair(self, ops: Any, arrays: tuple[Array, ...]) -> tuple[Array, Array]:
        """(P, Q) at the chart scalars ``arrays``, broadcast."""
        return chart_pair(ops, self.family, self.source, arrays)


def point_logs(ops: Any, big_p: Array, big_q: Array, point: Array) -> tuple[Array, Array, Array]:
    """(P, log P, log Q) with the entries flagged ``point`` moved to P = Q = ½ (the caller values them);
    the smaller of P, Q is the float the chart gives and the log of the larger is log1p(−smaller), so
    P = 1 − 1e-16 keeps log Q's digits."""
    xp = ops.xp
    half = xp.ones_like(big_p) * 0.5
    p_in, q_in = xp.where(point, half, big_p), xp.where(point, half, big_q)
    p_small = p_in <= q_in
    small = xp.where(p_small, p_in, q_in)
    log_small, log_large = xp.log(small), xp.log1p(-small)
    return p_in, xp.where(p_small, log_small, log_large), xp.where(p_small, log_large, log_small)


def table_entropy(
    ops: Any,
    table: Sequence[float],
    exponents: Callable[[Array], tuple[Array | float, Array | float]],
    log_p: Array,
    log_q: Array,
) -> Array:
    """Σₓ −e^{ℓ(x)}·ℓ(x) over x = 0 … len(table) − 1 (the last axis), ℓ(x) = table[x] + a·log P + b·log Q
    with (a, b) = ``exponents(x)``, x the outcomes as an array of log P's dtype and device."""
    xp = ops.xp
    x = ops.asarray(np.arange(len(table), dtype=np.float64), log_p)
    a, b = exponents(x)
    ell = ops.asarray(np.asarray(table, dtype=np.float64), log_p)
    ell = ell + a * log_p[..., None] + b * log_q[..., None]
    return xp.sum(-xp.exp(ell) * ell, axis=-1)
