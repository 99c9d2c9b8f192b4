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
from symgeom.backends.outcome_sum import PairForm, point_logs, table_entropy
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
class TrialEntropy(PairForm):
    """The entropy for n = ``trials``; its point masses P = 0 and P = 1 are valued here (H = 0)."""

    trials: int = 0

    def __call__(self, ops: Any, *arrays: Array) -> Array:
        xp = ops.xp
        big_p, big_q = self.pair(ops, arrays)
        point = (big_p == 0) | (big_q == 0)
        _, log_p, log_q = point_logs(ops, big_p, big_q, point)
        n = self.trials
        h = table_entropy(ops, _table(n), lambda x: (x, n - x), log_p, log_q)
        return xp.where(point, xp.zeros_like(big_p), h)


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
    return TrialEntropy(family, source, trials=n)


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
