"""Subnormal and near-underflow inputs (5e-324 … 1e-300) on every backend, against mpmath.

Shared by tests/backends/test_subnormal_inputs_sweep.py and benchmarks/subnormal_inputs_sweep.py.
Which parameters take tiny values is read from the family's data (a parameter whose lower bound is
0: probabilities, rates, σ, σ², scales, shapes, concentrations, simplex entries); each is set to
each tiny value in turn, the other coordinates at an ordinary point (½·(0, 1) entries, 1 for
positive ones, 0 off a covariance's diagonal, 0.3 otherwise).  KL pairs: (tiny, ordinary),
(ordinary, tiny) and every two tiny values of the same coordinate, both ways.

References are independent of symgeom's kernels: the derived closed form (``sg.<q>(f).result``)
by mpmath at 600 digits at the exact binary inputs; an entropy that the derivation keeps as an
infinite sum (Poisson), and the entropy of a probability vector (the simplex input's last entry
cannot hold 1 − 10⁻³¹⁰: the entries are the distribution as given), by −Σₓ p(x) log p(x)
over the outcomes at 600 digits.  Bar: |got − ref| ≤ 1e-12·|ref| + 2⁻¹⁰⁷⁴ (the issue's relative bar
plus the one unit of the subnormal grid); where the true value overflows float64, ±∞ of its sign
or an InvalidParameterError (under ``jit``, where nothing can raise: nan, the traced refusal); a
KL is never negative, nothing else is nan.
"""

from __future__ import annotations

import itertools
from functools import cache

import mpmath as mp
import numpy as np
import sympy as sp

import symgeom as sg
from symgeom.families.base import FiniteSupport, IntegerSupport
from symgeom.numeric.inputs import group, matrix_order

TINY = (5e-324, 1e-320, 1e-310, 2.2250738585072014e-308, 1e-300)
DPS = 600
HUGE = float(np.finfo(np.float64).max)


def tiny_coordinates(family: sg.Family) -> list[int]:
    """Chart coordinates whose domain reaches down to 0 (read from the parameters' bounds)."""
    return [i for i, p in enumerate(family.parameters) if p.lower == 0]


def ordinary_point(family: sg.Family) -> tuple[float, ...]:
    """An ordinary valid point of the chart (module docstring)."""
    off_diagonal: set[int] = set()
    start = 0
    for arg in family.chart.array_arguments:
        if arg.form == "positive_definite":
            d, k = matrix_order(arg.count), 0
            for i in range(d):
                for j in range(i, d):
                    if i != j:
                        off_diagonal.add(start + k)
                    k += 1
        start += arg.count
    simplex = sum(1 for p in family.parameters if p.lower == 0 and p.upper == 1) > 1
    values = []
    for i, p in enumerate(family.parameters):
        if i in off_diagonal:
            values.append(0.0)
        elif p.lower == 0 and p.upper == 1:
            values.append(0.125 if simplex else 0.5)
        elif p.lower == 0:
            values.append(1.0)
        elif p.upper == 0:
            values.append(-1.0)
        elif p.lower is not None:
            values.append(p.lower + 1.0)
        else:
            values.append(0.3)
    return tuple(values)


def points(family: sg.Family, tiny: tuple[float, ...] = TINY) -> list[tuple[float, ...]]:
    base = ordinary_point(family)
    out = []
    for i in tiny_coordinates(family):
        for t in tiny:
            v = list(base)
            v[i] = t
            out.append(tuple(v))
    return out


def kl_pairs(family: sg.Family, tiny: tuple[float, ...] = TINY) -> list[tuple[tuple[float, ...], ...]]:
    base = ordinary_point(family)
    pairs = [(p, base) for p in points(family, tiny)] + [(base, p) for p in points(family, tiny)]
    for i in tiny_coordinates(family):
        for t1, t2 in itertools.combinations(tiny, 2):
            v1, v2 = list(base), list(base)
            v1[i], v2[i] = t1, t2
            pairs += [(tuple(v1), tuple(v2)), (tuple(v2), tuple(v1))]
    return pairs


@cache
def _derived(family: sg.Family, quantity: str):
    d = getattr(sg, quantity)(family)
    return sp.lambdify(tuple(d.arguments), d.result, "mpmath")


def _simplex(family: sg.Family) -> bool:
    return any(a.form == "simplex" for a in family.chart.array_arguments)


def _outcome_entropy(family: sg.Family, theta: tuple[float, ...], grouped: list[np.ndarray]) -> mp.mpf:
    """−Σₓ p(x) log p(x): a probability vector's entries as given, else the family's log-density
    summed over its outcomes (a count family: x = 0 … 400, the tail below 10⁻⁵⁰⁰ of the sum)."""
    if _simplex(family):
        probs = [mp.mpf(float(v)) for v in np.ravel(grouped[0])]
        return -mp.fsum(p * mp.log(p) for p in probs if p != 0)
    log_p = sp.lambdify((*family.variables, *family.symbols()), family.log_density(), "mpmath")
    support = family.support
    if isinstance(support, FiniteSupport):
        xs = support.outcomes
    elif isinstance(support, IntegerSupport):
        xs = [(x,) for x in range(400)]
    else:
        raise ValueError(f"{family.label}: no outcomes to sum")
    args = [mp.mpf(t) for t in theta]
    total = mp.mpf(0)
    for x in xs:
        lp = log_p(*x, *args)
        if lp > -mp.inf:
            total -= mp.exp(lp) * lp
    return total


def reference(family: sg.Family, quantity: str, pts: tuple[tuple[float, ...], ...]) -> np.ndarray:
    """The reference at the exact inputs (module docstring), rounded to float64 (±∞ past the range)."""
    grouped = [a for p in pts for a in group(family, np.asarray(p, dtype=float))]
    with mp.workdps(DPS):
        if quantity == "entropy" and (_simplex(family) or _keeps_a_sum(family)):
            value = _outcome_entropy(family, pts[0], grouped)
        else:
            value = _derived(family, quantity)(*(mp.mpf(x) for p in pts for x in p))
        if isinstance(value, mp.matrix) or hasattr(value, "tolist"):
            rows = value.tolist() if hasattr(value, "tolist") else [[value[i, j] for j in range(value.cols)]
                                                                     for i in range(value.rows)]
            return np.array([[float(mp.mpf(v)) for v in row] for row in rows])
        if isinstance(value, (list, tuple)):
            return np.array([[float(mp.mpf(v)) for v in row] for row in value])
        return np.array(float(mp.mpf(value)))


@cache
def _keeps_a_sum(family: sg.Family) -> bool:
    return sg.entropy(family).result.has(sp.Sum)


def within(got: np.ndarray, ref: np.ndarray, quantity: str) -> np.ndarray:
    """Elementwise pass/fail against the bar of the module docstring."""
    got = np.asarray(got, dtype=float).reshape(ref.shape)
    overflow = np.isinf(ref)
    ok = np.where(overflow, got == ref,
                  np.isfinite(got) & (np.abs(got - ref) <= 1e-12 * np.abs(ref) + 2.0**-1074))
    if quantity == "kl":
        ok &= ~(got < 0)
    return ok


BACKENDS = ("numpy", "torch", "jax", "jit")


def catalog() -> list[sg.Family]:
    """The catalog's families and charts up to 6 parameters (the larger diagonal and full
    Gaussians and Categorical(k ≥ 6) repeat the same charts at more coordinates)."""
    from symgeom.verification.catalog import catalog_families

    return [f for f in catalog_families() if len(f.parameters) <= 6]


def _grouped(family: sg.Family, pts: tuple[tuple[float, ...], ...]) -> list[np.ndarray]:
    return [a for p in pts for a in group(family, np.asarray(p, dtype=float))]


def evaluate(family: sg.Family, quantity: str, backend: str, pts: tuple[tuple[float, ...], ...],
             grouped: list[np.ndarray] | None = None):
    """The backend's value at the points (grouped arrays as the functions take them; ``grouped``,
    when given, the arrays of many cases stacked on a leading axis)."""
    grouped = _grouped(family, pts) if grouped is None else grouped
    d = getattr(sg, quantity)(family)
    if backend == "numpy":
        return np.asarray(d.numpy()(*grouped))
    if backend == "torch":
        import torch

        return d.torch()(*[torch.from_numpy(np.array(a, dtype=np.float64)) for a in grouped]).numpy()
    import jax
    import jax.numpy as jnp

    f = d.jax() if backend == "jax" else jax.jit(d.jax())
    return np.asarray(f(*[jnp.asarray(a) for a in grouped]))


def failures(family: sg.Family, quantity: str, backends: tuple[str, ...] = BACKENDS,
             tiny: tuple[float, ...] = TINY) -> list[str]:
    """Every (backend, input) that misses the bar, described; [] when all pass."""
    cases = kl_pairs(family, tiny) if quantity == "kl" else [(p,) for p in points(family, tiny)]
    refs = [reference(family, quantity, pts) for pts in cases]
    out = []
    for backend in backends:
        batch = _batched(family, quantity, backend, cases)
        for k, (pts, ref) in enumerate(zip(cases, refs, strict=True)):
            try:
                got = batch[k] if batch is not None else evaluate(family, quantity, backend, pts)
            except sg.InvalidParameterError as error:
                if not np.isinf(ref).any():  # refusing a representable value is a failure
                    out.append(f"{backend} {pts}: refused ({error}); ref {ref.ravel()[:4]}")
                continue
            ok = within(got, ref, quantity)
            if backend == "jit":  # traced: a value past the float range is refused as nan
                ok |= np.isinf(ref) & np.isnan(np.asarray(got, dtype=float).reshape(ref.shape))
            if not ok.all():
                out.append(f"{backend} {pts}: got {np.ravel(got)[:4]} ref {ref.ravel()[:4]}")
    return out


def _batched(family: sg.Family, quantity: str, backend: str, cases: list) -> np.ndarray | None:
    """All cases in one call (their grouped arrays stacked on a leading axis; an eager JAX call costs
    seconds however many entries it has), or None where that call refuses (an entry is invalid or its
    value overflows): then each case is evaluated alone, its refusal judged alone."""
    stacked = [np.stack(column) for column in zip(*(_grouped(family, pts) for pts in cases), strict=True)]
    try:
        return np.asarray(evaluate(family, quantity, backend, cases[0], stacked))
    except sg.InvalidParameterError:
        return None
