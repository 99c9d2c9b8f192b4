"""float32 Categorical-logits KL: worst error in float32 ulps, raw and per unit of condition.

    python benchmarks/float32_logits_ulps.py [--rows 200]

Inputs are drawn in float64, rounded to float32, and compared with the 50-digit mpmath KL of the
rounded values (symgeom.numeric.reference.kl_logits).  Regimes: near pairs at relative δ (k = 10,
z ~ N(0, 3)), far pairs with logits up to ±300 and ±700 (k = 10; classes whose probability
underflows float32 included), and k = 100.  Reported per regime: the worst relative error in
float32 ulps (ε = 1.19e-7), the worst of error / (ε·(1 + max|z|)) (the logit condition number,
see tests/numeric/numeric_kernel_table.condition), and the count of negative / non-finite values.
"""

from __future__ import annotations

import argparse

import numpy as np

import symgeom as sg
from symgeom.numeric import kl_function
from symgeom.numeric import reference as ref

EPS32 = float(np.finfo(np.float32).eps)
TINY32, HUGE32 = float(np.finfo(np.float32).tiny), float(np.finfo(np.float32).max)


def regimes(rows: int):
    rng = np.random.default_rng(12)
    z = rng.normal(0, 3, (rows, 10))
    for delta in (1e-2, 1e-4, 1e-6):
        yield f"near, relative δ = {delta:.0e} (k = 10)", z, z * (1 + delta * rng.uniform(-1, 1, z.shape))
    for bound in (30, 300, 700):
        yield (f"far, logits up to ±{bound} (k = 10)", rng.uniform(-bound, bound, (rows, 10)),
               rng.uniform(-bound, bound, (rows, 10)))
    z = rng.normal(0, 3, (rows // 4, 100))
    yield "near, relative δ = 1e-04 (k = 100)", z, z * (1 + 1e-4 * rng.uniform(-1, 1, z.shape))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200)
    args = parser.parse_args()
    print(f"numpy {np.__version__}; {args.rows} rows per k = 10 regime")
    print("| regime | rows kept | worst ulps | worst ulps / (1 + max abs z) | negative | non-finite |")
    print("|---|---|---|---|---|---|")
    for name, a, b in regimes(args.rows):
        a32, b32 = a.astype(np.float32), b.astype(np.float32)
        k = a.shape[1]
        out = kl_function(sg.Categorical(k, "logits"), any_size=True)(a32, b32)
        assert out.dtype == np.float32
        worst = worst_cond = 0.0
        kept = 0
        for i in range(len(out)):
            want = ref.kl_logits(a32[i].astype(float), b32[i].astype(float))
            if not TINY32 < abs(want) < HUGE32:
                continue  # the true KL is not a normal float32; 0 or inf is its rounding
            kept += 1
            ulps = ref.relative_error(float(out[i]), want) / EPS32
            cond = 1 + float(max(np.max(np.abs(a32[i])), np.max(np.abs(b32[i]))))
            worst, worst_cond = max(worst, ulps), max(worst_cond, ulps / cond)
        print(f"| {name} | {kept} | {worst:.1f} | {worst_cond:.2f} | {int(np.sum(out < 0))} | "
              f"{int(np.sum(~np.isfinite(out)))} |")


if __name__ == "__main__":
    main()
