"""Benchmark: natural gradient for Categorical(k) softmax logits, matrix-free CG vs forming F.

Solves F x = g with F = diag(p) − ppᵀ over the k−1 free logits three ways, all in one run:
  dense  form F (k−1)×(k−1) and call np.linalg.solve                  O(k²) memory, O(k³) time
  cg     conjugate gradient on the closed-form FVP p⊙v − p(pᵀv)       O(k) memory, O(k) per step
  pcg    the same, preconditioned by 1/diag(F) = 1/(p(1−p))
Reports medians of repeats, the ratio dense/cg and dense/pcg, CG iterations, and each solution's
relative error against the exact O(k) inverse F⁻¹ = diag(1/p) + 11ᵀ/p_k (Sherman–Morrison).

    python benchmarks/cg_fvp.py                # k = 10, 10³, 10⁴
    python benchmarks/cg_fvp.py --k 10 100 --repeats 7
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

from symgeom.natural import categorical_logits_fvp, conjugate_gradient
from symgeom.natural.fvp import softmax_free


def median_seconds(run: Callable[[], np.ndarray], repeats: int) -> tuple[float, np.ndarray]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def bench(k: int, repeats: int, seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    z = rng.normal(size=k - 1)
    g = rng.normal(size=k - 1)
    p = softmax_free(z)
    exact = g / p + g.sum() / (1.0 - p.sum())

    def dense() -> np.ndarray:
        return np.linalg.solve(np.diag(p) - np.outer(p, p), g)

    def cg() -> np.ndarray:
        return conjugate_gradient(lambda v: categorical_logits_fvp(z, v, logits="free"), g).x

    jacobi = 1.0 / (p * (1.0 - p))

    def pcg() -> np.ndarray:
        return conjugate_gradient(
            lambda v: categorical_logits_fvp(z, v, logits="free"), g, preconditioner=lambda v: jacobi * v
        ).x

    row: dict[str, float] = {"k": k}
    for name, run in (("dense", dense), ("cg", cg), ("pcg", pcg)):
        seconds, x = median_seconds(run, repeats)
        row[f"{name}_ms"] = 1e3 * seconds
        row[f"{name}_err"] = float(np.linalg.norm(x - exact) / np.linalg.norm(exact))
    row["cg_iter"] = conjugate_gradient(lambda v: categorical_logits_fvp(z, v, logits="free"), g).iterations
    row["pcg_iter"] = conjugate_gradient(
        lambda v: categorical_logits_fvp(z, v, logits="free"), g, preconditioner=lambda v: jacobi * v
    ).iterations
    return row


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, nargs="+", default=[10, 1_000, 10_000])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    header = (f"{'k':>6} {'dense ms':>10} {'cg ms':>9} {'pcg ms':>9} {'dense/cg':>9} "
              f"{'dense/pcg':>9} {'cg it':>6} {'pcg it':>6} {'err dense':>9} {'err cg':>9} "
              f"{'err pcg':>9}")
    print(f"median of {args.repeats} repeats; errors relative to the exact Sherman–Morrison solve")
    print(header)
    for k in args.k:
        r = bench(k, args.repeats, args.seed)
        print(f"{k:>6} {r['dense_ms']:>10.3f} {r['cg_ms']:>9.3f} {r['pcg_ms']:>9.3f} "
              f"{r['dense_ms'] / r['cg_ms']:>9.2f} {r['dense_ms'] / r['pcg_ms']:>9.2f} "
              f"{r['cg_iter']:>6} {r['pcg_iter']:>6} {r['dense_err']:>9.1e} "
              f"{r['cg_err']:>9.1e} {r['pcg_err']:>9.1e}")


if __name__ == "__main__":
    main()
