"""Compiled NumPy entropy and Fisher of every catalog family/chart with scalar arguments, at the
regimes of issue 12, against the derived result evaluated by mpmath at 50+ digits.

    python benchmarks/entropy_regimes_sweep.py [--quantity entropy|fisher] [--family NAME]

Values per argument, from its domain (never from the family's name): probabilities 1e-300 …
1 − 1e-16 (and the endpoints where accepted), positive values (rates, shapes, scales) 1e-10 …
1e10, real values (logits, means) ±700, negative ones mirrored.  Two arguments: the full grid;
more: one at a time, the others at a middle value.  Reference: ``derivation.result`` lambdified
for mpmath at the exact binary value of each input, redone at doubled precision until two runs
agree; entries with an infinite explicit sum have
no reference here and are reported as such.  Each row: the worst relative error (Fisher: per
entry, relative to the largest |entry|), the point where it occurs, negatives of a quantity that
is not negative, non-finite values where the reference is finite.
"""

from __future__ import annotations

import argparse
import itertools
import signal
import warnings

import mpmath as mp
import numpy as np
import sympy as sp

import symgeom as sg
from symgeom.numeric.inputs import inputs
from symgeom.numeric.reference import digits_for
from symgeom.verification.catalog import catalog_families

PROBS = [1e-300, 1e-200, 1e-17, 1e-8, 0.3, 0.5, 0.9, 1 - 1e-8, 1 - 1e-16]
POSITIVE = [1e-10, 1e-3, 0.1, 1.0, 3.5, 1e3, 1e6, 1e10]
REAL = [-700.0, -40.0, -1.0, 0.0, 0.3, 40.0, 700.0]


def values_for(spec: object) -> tuple[list[float], float]:
    """(sweep values, middle value) of one scalar argument, from its domain."""
    lower, upper = spec.lower, spec.upper
    if lower == 0 and upper == 1:
        ends = [0.0] * spec.lower_included + [1.0] * spec.upper_included
        return PROBS + ends, 0.5
    if lower == 0 and upper is None:
        return POSITIVE + [0.0] * spec.lower_included, 1.0
    if lower is None and upper == 0:
        return [-v for v in POSITIVE], -1.0
    if lower is None and upper is None:
        return REAL, 0.3
    if lower is not None and upper is None:  # (a, ∞): a shape above a bound
        return [lower + v for v in POSITIVE], lower + 1.0
    raise ValueError(f"no sweep for the domain ({lower}, {upper}) of {spec.name}")


def points(specs: list[object]) -> list[tuple[float, ...]]:
    sweeps = [values_for(s) for s in specs]
    if len(specs) <= 2:
        return list(itertools.product(*(v for v, _ in sweeps)))
    middle = [m for _, m in sweeps]
    out = []
    for i, (values, _) in enumerate(sweeps):
        out += [(*middle[:i], v, *middle[i + 1:]) for v in values]
    return out


def exact(reference: object, point: tuple[float, ...]) -> list[mp.mpf]:
    """The entries at ``point`` (exact binary inputs), at doubled precision until two runs agree
    to 40 digits of the largest entry.  The start must already resolve 1 + 10⁻³⁰⁰ (digits_for)
    and 1 + e^{−|x|} for |x| ≤ 1000 (|x|/ln 10 more digits): from too few digits, two runs agree
    on log(1 + e^{−700}) = 0."""
    dps = digits_for(point) + int(max([abs(x) for x in point if abs(x) <= 1000] + [0]) / 2.3)
    with mp.workdps(dps):
        value = reference(*map(mp.mpf, point))
    while True:
        dps *= 2
        with mp.workdps(dps):
            better = reference(*map(mp.mpf, point))
            scale = max(abs(b) for b in better)
            if all(abs(b - v) <= scale * mp.mpf(10) ** -40 for b, v in zip(better, value, strict=True)):
                return better
        if dps > 5000:
            raise ArithmeticError("reference did not converge below 5000 digits")
        value = better


def sweep(family: sg.Family, quantity: str) -> str:
    derive = {"entropy": sg.entropy, "fisher": sg.fisher}[quantity]
    derivation = derive(family)
    specs = list(inputs(family))
    if any(s.kind != "scalar" for s in specs) or len(specs) != len(derivation.arguments):
        return f"| {family.label} | {quantity} | vector/matrix arguments: not swept | | | |"
    result = derivation.result
    entries = list(result) if isinstance(result, sp.MatrixBase) else [result]
    if any(e.has(sp.Sum) for e in entries):
        return f"| {family.label} | {quantity} | explicit sum: no reference here | | | |"
    reference = sp.lambdify(derivation.arguments, entries, modules="mpmath")
    compiled = derivation.numpy(validate=False)
    worst, where, negative, nonfinite = 0.0, None, 0, 0
    for point in points(specs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = np.ravel(np.asarray(compiled(*point), dtype=float))
        try:
            true = exact(reference, point)
        except (ArithmeticError, ValueError, ZeroDivisionError, TypeError):
            continue
        if not all(mp.isfinite(t) and abs(t) <= np.finfo(float).max for t in true):
            continue  # not representable in float64 (a Fisher entry 1/p² at p = 1e-300)
        scale = max(abs(t) for t in true)
        for value, t in zip(got, true, strict=True):
            if not np.isfinite(value):
                nonfinite += 1
                error = float("inf")
            elif scale == 0:
                error = abs(value)
            else:
                error = float(abs(mp.mpf(value) - t) / scale)
            if quantity == "entropy" and value < 0 <= t:
                negative += 1
            if error > worst:
                worst, where = error, point
    return (f"| {family.label} | {quantity} | {worst:.2e} | {where} | {negative} | {nonfinite} |")


class _LateError(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise _LateError


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quantity", default="entropy", choices=("entropy", "fisher"))
    parser.add_argument("--family", default=None, help="only families whose label contains this")
    parser.add_argument("--limit", type=int, default=120, help="seconds per family and chart")
    args = parser.parse_args()
    signal.signal(signal.SIGALRM, _alarm)
    print("| family | quantity | max rel. error | at | negatives | non-finite |")
    print("|---|---|---|---|---|---|")
    for family in catalog_families():
        if args.family and args.family not in family.label:
            continue
        signal.alarm(args.limit)
        try:
            print(sweep(family, args.quantity), flush=True)
        except _LateError:
            print(f"| {family.label} | {args.quantity} | not done in {args.limit} s | | | |", flush=True)
        except Exception as error:  # a refusal is a row too
            print(f"| {family.label} | {args.quantity} | {type(error).__name__}: {str(error)[:60]} | | | |",
                  flush=True)
        finally:
            signal.alarm(0)


if __name__ == "__main__":
    main()
