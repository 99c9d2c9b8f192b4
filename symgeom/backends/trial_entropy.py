"""Entropy of a count family on {0, …, n} whose mass ratio is p(x + 1)/p(x) = (P/Q)(n − x)/(x + 1)
(n trials, P + Q = 1, p(0) = Qⁿ: the binomial; recognized from the log-density by
:func:`symgeom.numeric.count_entropy.count_mass`, never by name) for MAX_OUTCOMES < n ≤ MAX_TRIALS,
where the printed per-outcome sum (:func:`symgeom.backends.tiny_entropy.bounded_count_entropy`,
n ≤ MAX_OUTCOMES) stops, for torch, JAX and Array API namespaces (autodiff, ``jit``, ``vmap``):

    H = Σ_{x=0}^{n} −p(x)ℓ(x),   ℓ(x) = log C(n, x) + x·log P + (n − x)·log Q,

log C(n, x) from a 30-digit table, the smaller of P, Q the float the chart gives and the log of the
larger log1p(−smaller); every term is ≥ 0 and a term whose p(x) underflows is 0.  At P = 0 or Q = 0 (a
point mass, both included endpoints) H = 0 with a finite gradient (the input moved inside).
Rounding: ℓ(x) carries ≈ ε·(log C(n, x) + x|log P| + (n − x)|log Q|) ≤ 2n·log 2·ε absolute near the
mode, ≈ 2e-13 of H at n = 4 096, P = ½ (measured: benchmarks/backend_survey.py and
tests/backends/test_backends_trial_entropy.py).  Past MAX_TRIALS :func:`refusal` names n.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Any

from symgeom.backends import printer
from symgeom.backends.rate_entropy import chart_pair
from symgeom.backends.tiny_entropy import MAX_OUTCOMES
from symgeom.backends.waiting_entropy import count_mass_of
from symgeom.families.base import Family
from symgeom.numeric.refusal import size_name

Array = Any

#: largest n offered (n + 1 terms per entry)
MAX_TRIALS = 4096


@cache
def _table(n: int) -> tuple[float, ...]:
    """log C(n, x), x = 0 … n, at 30 digits."""
    import mpmath

    with mpmath.workdps(30):
        top = mpmath.loggamma(n + 1)
        return tuple(float(top - mpmath.loggamma(x + 1) - mpmath.loggamma(n - x + 1)) for x in range(n + 1))


@dataclass(frozen=True)
class TrialEntropy:
    """The entropy as a ``_Plan`` vector form: ``(ops, *arrays) → H``."""

    family: Family
    trials: int
    source: printer.Source  # (P, Q) of the chart scalars
    #: the point masses P = 0 and P = 1 are valued here (H = 0), not by backends.endpoint_where
    endpoints_inside: bool = True

    def __call__(self, ops: Any, *arrays: Array) -> Array:
        xp = ops.xp
        big_p, big_q = chart_pair(ops, self.family, self.source, arrays)
        one, zero = xp.ones_like(big_p), xp.zeros_like(big_p)
        point = (big_p == 0) | (big_q == 0)
        half = one * 0.5
        p_in, q_in = xp.where(point, half, big_p), xp.where(point, half, big_q)
        p_small = p_in <= q_in
        small = xp.where(p_small, p_in, q_in)
        log_small, log_large = xp.log(small), xp.log1p(-small)
        log_p = xp.where(p_small, log_small, log_large)
        log_q = xp.where(p_small, log_large, log_small)
        n = self.trials
        x = ops.asarray(0.0, big_p) + xp.arange(n + 1, dtype=big_p.dtype)
        ell = ops.asarray(0.0, big_p) + xp.asarray(_table(n), dtype=big_p.dtype)
        ell = ell + x * log_p[..., None] + (n - x) * log_q[..., None]
        return xp.where(point, zero, xp.sum(-xp.exp(ell) * ell, axis=-1))


def _trials(family: Family | None) -> tuple[Any, int] | None:
    mass = count_mass_of(family)
    if mass is None or mass.shape != "trials" or mass.probability_expressions is None:
        return None
    return mass, int(mass.size)


def trial_entropy(family: Family | None) -> TrialEntropy | None:
    """The form above for n trials, MAX_OUTCOMES < n ≤ MAX_TRIALS; else None."""
    found = _trials(family)
    if found is None or not MAX_OUTCOMES < found[1] <= MAX_TRIALS:
        return None
    mass, n = found
    source = printer.print_source(tuple(mass.probability_expressions), family.symbols())
    return TrialEntropy(family, n, source)


def refusal(family: Family | None) -> str | None:
    """Why n trials past MAX_TRIALS have no torch/JAX entropy (None where they have one)."""
    found = _trials(family)
    if found is None or found[1] <= MAX_TRIALS:
        return None
    n = found[1]
    name = size_name(family, n, "n")
    return (f"the entropy of {family.label} on torch/JAX is offered for {name} ≤ {MAX_TRIALS} trials; "
            f"{name} = {n} is larger: the outcome sum takes {name} + 1 = {n + 1} terms per entry and its "
            f"rounding (≈ {name}·log 2·ε per term, {2 * n * math.log(2) * 2.0 ** -53:.1e} absolute) is not "
            "analysed there; .numpy() evaluates it (saddle-point sum with an error bound)")
