"""Sweep: every catalog chart's KL, entropy and Fisher on JAX where the true value is subnormal.

    python benchmarks/jax_subnormal_sweep.py [--float32] [--only LABEL-SUBSTRING] [--show N]

XLA on the CPU flushes results below the smallest normal number (2.2e-308; float32 1.2e-38) to 0
(:mod:`symgeom.backends.tiny_forms`).  For each chart of the verification catalog without matrix
arguments (and Categorical k = 7, 8 probabilities, a d = 5 diagonal Gaussian) the points come from
the parameters' domains alone: a base point with one or two coordinates moved to extreme values
of the domain (tiny and huge magnitudes, logits near ±720); KL pairs differ in one coordinate
(two extremes, a few ulps, 0 against 1e-155).  The reference is the derived result evaluated by
mpmath at 120 digits plus twice the decades of the smallest input, raised by 400 until it agrees
to 30 digits with 400 more (rows that never agree are left out; probability vectors: the defining
sums over the supplied entries).  Kept:
entries with 0 < |ref| < smallest normal.  Bar (eager and jit): |got − ref| ≤ 1e-12·|ref| + 2⁻¹⁰⁷⁴
(float32: 100 ulps·|ref| + 2⁻¹⁴⁹).  Prints one row per (chart, quantity) with failures.
"""

from __future__ import annotations

import argparse
import itertools
import math

import mpmath as mp
import numpy as np
import sympy as sp

DPS = 120


def extremes(lower, upper, bits: int) -> list[float]:
    """Extreme values inside (lower, upper) by the domain alone."""
    if bits == 64:
        tiny, small, big, logit = [1e-320, 3e-312, 1e-160, 3e-155], [1e-150], [1e150, 3e154, 1e160, 1e300], [
            709.5, 720.0, 740.0]
    else:
        tiny, small, big = [1e-44, 3e-40, 1e-20, 3e-19], [1e-15], [1e15, 3e18, 1e20, 1e37]
        logit = [90.0, 100.0]
    if lower is not None and upper is not None:  # a probability
        return [*tiny, *small, 1 - 2.0 ** -(24 if bits == 32 else 53)]
    if lower is not None:
        return [lower + v for v in (*tiny, *small, *big)]
    if upper is not None:
        return [upper - v for v in (*tiny, *small, *big)]
    return [s * v for s in (1, -1) for v in (*tiny, *big, *logit)]


def base(lower, upper) -> float:
    if lower is not None and upper is not None:
        return lower + 0.3 * (upper - lower)
    if lower is not None:
        return lower + 1.5
    if upper is not None:
        return upper - 1.5
    return 0.4


def chart_points(family, bits: int) -> list[tuple[float, ...]]:
    params = family.parameters
    simplex = any(a.form == "simplex" for a in family.chart.array_arguments)
    b = [base(p.lower, p.upper) for p in params]
    if simplex:
        b = [0.5 / len(params)] * len(params)
    out = []
    for i, p in enumerate(params):
        for v in extremes(p.lower, p.upper, bits):
            q = list(b)
            q[i] = v
            out.append(tuple(q))
    for i, j in itertools.combinations(range(len(params)), 2):  # two coordinates apart (σ spans)
        ei = extremes(params[i].lower, params[i].upper, bits)
        ej = extremes(params[j].lower, params[j].upper, bits)
        for vi, vj in [(ei[0], ej[-1]), (ei[-1], ej[0]), (ei[2], ej[-2])]:
            q = list(b)
            q[i], q[j] = vi, vj
            out.append(tuple(q))
    if simplex:  # one outcome near 1, the others tiny (all of them, and all but one)
        k = len(params)
        for v in extremes(0.0, 1.0, bits)[:4]:
            out.append(tuple([v] * k))
            out.append(tuple([0.25] + [v] * (k - 1)))
    out = [tuple(float(np.float32(x)) if bits == 32 else x for x in q) for q in out]
    return [q for q in out if _valid(family, q)]


def _valid(family, q) -> bool:
    for p, x in zip(family.parameters, q, strict=True):
        if not math.isfinite(x) or (p.lower is not None and x <= p.lower) or (
                p.upper is not None and x >= p.upper):
            return False
    if any(a.form == "simplex" for a in family.chart.array_arguments):
        return sum(q) < 1
    return True


def kl_pairs(family, points, bits: int) -> list[tuple[tuple[float, ...], tuple[float, ...]]]:
    """Pairs differing in one coordinate: any two of its base and extreme values, a value and the
    same moved by a few ulps, and (unbounded coordinates) 0 against tiny offsets; and every chart
    point against itself moved by a few ulps in one coordinate."""
    params = family.parameters
    simplex = any(a.form == "simplex" for a in family.chart.array_arguments)
    b = [0.5 / len(params)] * len(params) if simplex else [base(p.lower, p.upper) for p in params]
    ulps = (2.0**-50, 2.0**-30) if bits == 64 else (2.0**-21, 2.0**-12)
    offsets = (1e-155, 1e-160, 3e-162) if bits == 64 else (1e-20, 1e-21, 3e-22)
    out = []
    for i, p in enumerate(params):
        values = [b[i], *extremes(p.lower, p.upper, bits)]
        moves = [(x, y) for x in values for y in values if x != y]
        moves += [(x, x * (1 + u)) for x in values for u in ulps]
        if p.lower is None and p.upper is None:
            moves += [(0.0, s) for s in offsets] + [(s, 0.0) for s in offsets]
        for x, y in moves:
            q, r = list(b), list(b)
            q[i], r[i] = x, y
            out.append((tuple(q), tuple(r)))
    for q in points:
        for i, u in itertools.product(range(len(q)), ulps):
            r = list(q)
            r[i] = q[i] * (1 + u)
            out.append((q, tuple(r)))
    if bits == 32:
        out = [tuple(tuple(float(np.float32(x)) for x in v) for v in pair) for pair in out]
    return [(q, r) for q, r in out if _valid(family, q) and _valid(family, r)]


def _mp(x):
    return mp.mpf(float(x))


def supplied(family, row):
    """The grouped arrays' exact entries (the simplex's last entry as supplied: 1 − Σ rounded)."""
    from symgeom.numeric.inputs import group

    return group(family, np.asarray(row, dtype=float))


def reference(family, quantity, rows, dtype) -> np.ndarray:
    from symgeom import derive

    d = getattr(derive, quantity)(family)
    simplex = any(a.form == "simplex" for a in family.chart.array_arguments)
    f = sp.lambdify(tuple(d.arguments), d.result, "mpmath")
    out = []
    for row in rows:
        # 1 − 1e-320 needs 320 digits: DPS plus twice the decades below 1 of the smallest input, then
        # raised by 400 until two evaluations 400 digits apart agree to 30 digits (a subnormal value
        # out of O(1) terms cancels ~330 digits: log(1 + e^{−720}) at 120 digits is 0)
        tiny = min([abs(x) for x in row if x != 0] + [1.0])
        digits = DPS + 2 * max(0, -math.floor(math.log10(tiny)))
        value = np.full(len(np.ravel(ref_shape(family, quantity))), np.nan)
        for _ in range(3):
            low, high = (_flat(_value(family, quantity, f, row, dtype, simplex, dps))
                         for dps in (digits, digits + 400))
            if all(abs(a - b) <= mp.mpf(10) ** -30 * abs(b) for a, b in zip(low, high, strict=True)):
                value = np.array([float(b) for b in high], dtype=float)
                break
            digits += 400
        out.append(value)
    return np.array(out)


def _flat(value) -> list:
    return list(np.array(value.tolist() if hasattr(value, "tolist") else value, dtype=object).ravel())


def ref_shape(family, quantity):
    n = len(family.parameters)
    return np.zeros((n, n)) if quantity == "fisher" else np.zeros(1)


def _value(family, quantity, f, row, dtype, simplex: bool, dps: int):
    with mp.workdps(dps):
        if simplex and quantity in ("entropy", "kl"):
            n = len(family.parameters)
            ps = [[_mp(x) for x in np.asarray(supplied(family, row[s * n:(s + 1) * n])[0], dtype=dtype)]
                  for s in range(len(row) // n)]
            if quantity == "entropy":
                return -sum(p * mp.log(p) for p in ps[0] if p > 0)
            return sum(p * mp.log(p / q) for p, q in zip(*ps, strict=True) if p > 0)
        value = f(*(_mp(x) for x in row))
        return value.applyfunc(lambda v: +v) if hasattr(value, "applyfunc") else +value


def arrays(family, rows, dtype):
    grouped = [supplied(family, np.asarray(r)) for r in rows]
    return [np.stack([g[i] for g in grouped]).astype(dtype) for i in range(len(grouped[0]))]


def sweep(family, quantity, bits: int, show: int) -> tuple[int, int, list[str]]:
    import jax
    import jax.numpy as jnp

    import symgeom as sg

    dtype = np.float64 if bits == 64 else np.float32
    tiny = float(np.finfo(dtype).tiny)
    unit = float(np.finfo(dtype).smallest_subnormal)
    rel = 1e-12 if bits == 64 else 100 * float(np.finfo(np.float32).eps)
    pts = chart_points(family, bits)
    rows = [a + b for a, b in kl_pairs(family, pts, bits)] if quantity == "kl" else pts
    if not rows:
        return 0, 0, []
    try:
        ref = reference(family, quantity, rows, dtype)
    except Exception as e:
        return 0, 0, [f"reference failed: {type(e).__name__}: {str(e)[:80]}"]
    sub = (np.abs(ref) < tiny) & (ref != 0) & np.isfinite(ref)
    keep = sub.any(axis=1)
    if not keep.any():
        return 0, 0, []
    rows = [r for r, k in zip(rows, keep, strict=True) if k]
    ref, sub = ref[keep], sub[keep]
    d = {"kl": sg.kl, "entropy": sg.entropy, "fisher": sg.fisher}[quantity](family)
    n = len(family.parameters)
    if quantity == "kl":
        args = arrays(family, [r[:n] for r in rows], dtype) + arrays(family, [r[n:] for r in rows], dtype)
    else:
        args = arrays(family, rows, dtype)
    bad_rows: set[int] = set()
    notes = []
    try:
        function = d.jax()
    except Exception as e:
        return int(sub.sum()), -1, [f"refused: {type(e).__name__}: {str(e)[:100]}"]
    for mode, f in (("eager", function), ("jit", jax.jit(function))):
        try:
            with jax.enable_x64(bits == 64):
                got = np.asarray(f(*[jnp.asarray(a) for a in args]), dtype=float).reshape(len(rows), -1)
        except Exception as e:
            notes.append(f"{mode}: {type(e).__name__}: {str(e)[:100]}")
            bad_rows.update(range(len(rows)))
            continue
        ok = np.abs(got - ref) <= rel * np.abs(ref) + unit
        bad = sub & ~ok
        for i in np.flatnonzero(bad.any(axis=1)):
            if i not in bad_rows and len(notes) < show:
                j = int(np.flatnonzero(bad[i])[0])
                notes.append(f"{mode} {rows[i]} entry {j}: got {got[i, j]:.6e} ref {ref[i, j]:.6e}")
            bad_rows.add(int(i))
    return int(sub.sum()), len(bad_rows), notes


def catalog() -> list:
    import symgeom as sg
    from symgeom.verification.catalog import catalog_families

    plain = ("scalar", "vector", "simplex", "pinned")  # no matrix arguments
    return [f for f in catalog_families() if all(a.form in plain for a in f.chart.array_arguments)] + [
        sg.Categorical(7), sg.Categorical(8), sg.MultivariateGaussian(5, "diagonal", "mean_std")]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--float32", action="store_true")
    parser.add_argument("--only", default="")
    parser.add_argument("--quantity", default="entropy,fisher,kl")
    parser.add_argument("--show", type=int, default=3)
    args = parser.parse_args()
    import jax

    jax.config.update("jax_enable_x64", True)
    bits = 32 if args.float32 else 64
    total_cases = total_bad = 0
    for family in catalog():
        if args.only not in family.label:
            continue
        for quantity in args.quantity.split(","):
            cases, bad, notes = sweep(family, quantity, bits, args.show)
            total_cases += cases
            total_bad += max(bad, 0)
            if bad or notes:
                print(f"{family.label} {quantity}: {bad} of the rows with subnormal entries fail "
                      f"({cases} subnormal entries)", flush=True)
                for note in notes:
                    print("   ", note, flush=True)
    print(f"float{bits}: {total_cases} subnormal reference entries, {total_bad} failing rows")


if __name__ == "__main__":
    main()
