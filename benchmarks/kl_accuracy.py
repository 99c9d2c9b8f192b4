"""Accuracy of KL per regime: max relative error of symgeom, naive NumPy, SciPy and torch vs mpmath.

    python benchmarks/kl_accuracy.py            # Markdown tables on stdout (docs/benchmarks.md)

The regimes and the references (≥ 50 correct digits, precision doubled until two evaluations
agree) come from symgeom.numeric.regimes / symgeom.numeric.reference; the baselines from
benchmarks/numeric_baselines.py.  Each cell: the max relative error over the finite results,
then "(n neg)" for results below zero (a KL is never negative) and "(m non-finite)" for inf/nan
results (every reference here is finite); "–" where the library has no such KL (SciPy: Gaussians).
The float32 table casts the same inputs to float32 and compares with the reference of the
float32 values; it keeps the rows whose inputs and true KL are normal float32 numbers.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scipy
from numeric_baselines import NAIVE, SCIPY, TORCH, TORCH_VERSION

from symgeom.numeric import reference as ref
from symgeom.numeric import regimes

TINY32, HUGE32 = float(np.finfo(np.float32).tiny), float(np.finfo(np.float32).max)

FAMILIES = (
    "bernoulli[prob]",
    "bernoulli[logit]",
    "categorical[probs]",
    "categorical[logits]",
    "gaussian[mean_std]",
    "gaussian[natural]",
    "multivariate_gaussian[mean_cov]",
)


def _measure(fn, args: tuple[np.ndarray, ...], refs: list, keep: np.ndarray) -> tuple[float, int, int]:
    """Over the rows in ``keep``: max relative error of the finite results, the number of negative
    results and the number of non-finite ones."""
    if fn is None:
        return float("nan"), -1, -1
    with np.errstate(all="ignore"):
        try:
            out = np.asarray(fn(*args), dtype=float)
        except Exception:  # a baseline that raises on a regime counts as failing every row
            return float("inf"), 0, int(keep.sum())
    rows = [(float(v), r) for v, r, k in zip(out, refs, keep, strict=True) if k]
    errors = [ref.relative_error(v, r) for v, r in rows if np.isfinite(v)]
    bad = sum(1 for v, _ in rows if not np.isfinite(v))
    # no finite result (or no row kept): the error column reads "–", the counts say why
    return max(errors, default=float("nan")), sum(1 for v, _ in rows if v < 0), bad


def _fmt(err: float, neg: int, bad: int) -> str:
    if neg < 0:
        return "–"
    text = "–" if not np.isfinite(err) else f"{err:.1e}"
    counts = [f"{neg} neg"] * bool(neg) + [f"{bad} non-finite"] * bool(bad)
    return f"{text} ({', '.join(counts)})" if counts else text


def _float32_rows(regime: regimes.Regime) -> np.ndarray:
    ok = np.ones(regime.rows, dtype=bool)
    for a in regime.args:
        flat = np.abs(a.reshape(regime.rows, -1))
        ok &= np.all((flat == 0) | ((flat > 1e-30) & (flat < 1e30)), axis=1)
    return ok


def main() -> None:
    impls = [("symgeom", regimes.KERNELS), ("naive NumPy", NAIVE), (f"SciPy {scipy.__version__}", SCIPY)]
    if TORCH is not None:
        impls.append((f"torch {TORCH_VERSION}", TORCH))
    header = "| family | regime | rows | " + " | ".join(name for name, _ in impls) + " |"
    rule = "|" + "---|" * (3 + len(impls))
    tables = {"float64": [header, rule], "float32": [header, rule]}
    for regime in regimes.all_regimes():
        if regime.family not in FAMILIES:
            continue
        refs = [regime.reference(i) for i in range(regime.rows)]
        everything = np.ones(regime.rows, dtype=bool)
        cells = [
            _fmt(*_measure(table.get(regime.family), regime.args, refs, everything))
            for _, table in impls
        ]
        tables["float64"].append(
            f"| {regime.family} | {regime.name} | {regime.rows} | " + " | ".join(cells) + " |"
        )
        keep = _float32_rows(regime)
        if not keep.any() or "10⁴" in regime.name:
            continue
        args32 = tuple(a[keep].astype(np.float32) for a in regime.args)
        exact = dataclasses.replace(regime, args=tuple(a.astype(np.float64) for a in args32))
        ref32 = regimes.reference_for(exact)
        refs32 = [ref32(i) for i in range(len(args32[0]))]
        # A true KL outside float32's normal range has 0 or inf as its correct rounding.
        normal = np.array([TINY32 < abs(r) < HUGE32 for r in refs32])
        cells = [
            _fmt(*_measure(table.get(regime.family), args32, refs32, normal)) for _, table in impls
        ]
        tables["float32"].append(
            f"| {regime.family} | {regime.name} | {int(normal.sum())} | " + " | ".join(cells) + " |"
        )
    for dtype, lines in tables.items():
        print(f"\n### Max relative error, {dtype} inputs\n")
        print("\n".join(lines))
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
