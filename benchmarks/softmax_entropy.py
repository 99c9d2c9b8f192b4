"""Categorical-logits entropy H(softmax z): accuracy against 60-digit mpmath, and speed.

    python benchmarks/softmax_entropy.py [--rows 100] [--repeats 7]

Accuracy (references: tests/backends/test_softmax_entropy._reference at the rounded inputs):
symgeom (``sg.entropy(sg.Categorical(k, "logits"))`` through .numpy(), .torch(), .jax() under jit),
the path symgeom took before (the per-outcome sum for k ≤ 9, the compiled derived form past it:
``symgeom.numeric.compile._finite_kernel`` / ``_lambdified``), ``torch.distributions.Categorical``,
and ``scipy.stats.entropy(softmax z)``.  float64: max relative error; float32 (logits clipped to
±80): max error in float32 ulps of the rounded reference, both over the rows whose reference is
a normal number (JAX returns 0 for a subnormal entropy: XLA flushes subnormals); then the count
of negative and of non-finite values over all rows.  Gradients: torch autograd of symgeom and of
torch.distributions against ∂H/∂zⱼ = −pⱼΣᵢpᵢ(zⱼ − zᵢ), relative per component where it is ≥ 1e-3
of the largest.

Speed: (10⁵, 100) logits, float64 and float32, interleaved rounds, medians: symgeom
``.numpy(validate=False)``, naive NumPy −Σ softmax·log_softmax (scipy.special.log_softmax), the
read-the-input-once floor (one np.add), and torch CPU symgeom (no autograd: the NumPy kernel on the
tensor's memory) vs ``Categorical(logits).entropy()``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import scipy.special
import scipy.stats

sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "backends"))
from _optional import jax, jnp, torch
from test_softmax_entropy import _reference, _rows

import symgeom as sg
from symgeom.numeric import compile as numeric_compile
from symgeom.numeric import finite

REGIMES64 = [("normal30", 3), ("normal30", 10), ("normal30", 100), ("wide", 3), ("wide", 10),
             ("dominant", 3), ("dominant", 10)]
REGIMES32 = [("normal30", 3), ("normal30", 10), ("normal30", 100), ("wide", 3), ("dominant", 3)]
NAMES = {"normal30": "z ~ N(0, 30)", "wide": "z ~ U(±700)", "dominant": "one class ahead by 40…700"}


def _previous(k: int):
    family = sg.Categorical(k, "logits")
    if finite.supported(family):
        return numeric_compile._finite_kernel(family, "entropy")
    return numeric_compile._lambdified(sg.entropy(family), family, 1)


def _candidates(k: int) -> dict:
    d = sg.entropy(sg.Categorical(k, "logits"))
    out = {"symgeom NumPy": d.numpy(validate=False)}
    if torch is not None:
        on_torch = d.torch(validate=False)
        out["symgeom torch"] = lambda z: on_torch(torch.from_numpy(z)).numpy()
    if jax is not None:
        on_jax = jax.jit(d.jax(validate=False))
        out["symgeom JAX"] = lambda z: np.asarray(on_jax(jnp.asarray(z)))
    previous = _previous(k)
    out["symgeom before"] = lambda z: np.asarray(previous(z))
    if torch is not None:
        out["torch.distributions"] = lambda z: torch.distributions.Categorical(
            logits=torch.from_numpy(z)).entropy().numpy()
    out["scipy.stats"] = lambda z: scipy.stats.entropy(scipy.special.softmax(z, axis=-1), axis=-1)
    return out


def _error(got: np.ndarray, refs: list, bits: int) -> float:
    """The worst error over the rows whose reference is a normal number of the dtype (XLA on the
    CPU flushes subnormal results to 0; NumPy and torch return them)."""
    worst = 0.0
    tiny = float(np.finfo(np.float64 if bits == 64 else np.float32).tiny)
    for value, ref in zip(got, refs):
        value, ref = float(value), float(ref)
        if not np.isfinite(value):
            return float("inf")
        if ref < tiny:
            continue
        if bits == 64:
            err = abs(value - ref) / ref if ref > 0 else abs(value)
        else:
            err = abs(value - ref) / float(np.spacing(np.abs(np.float32(ref))))
        worst = max(worst, err)
    return worst


def accuracy(rows: int) -> None:
    for bits, regimes in ((64, REGIMES64), (32, REGIMES32)):
        dtype = np.float64 if bits == 64 else np.float32
        print(f"\nfloat{bits} values ({'max relative error' if bits == 64 else 'max float32 ulps'}; "
              "negatives, non-finite)")
        header = None
        for regime, k in regimes:
            z = _rows(regime, k, dtype, rows, seed=100 + k)
            refs = [_reference(row)[0] for row in z]
            cells = {}
            for name, f in _candidates(k).items():
                with np.errstate(all="ignore"):
                    try:
                        got = np.asarray(f(z), dtype=np.float64)
                    except Exception as exc:  # a baseline that raises is a result too
                        cells[name] = f"raises {type(exc).__name__}"
                        continue
                neg, bad = int(np.sum(got < 0)), int(np.sum(~np.isfinite(got)))
                finite_got = np.where(np.isfinite(got), got, np.inf)
                cells[name] = f"{_error(finite_got, refs, bits):.2g} ({neg}, {bad})"
            if header is None:
                header = list(cells)
                print("| regime | k | " + " | ".join(header) + " |")
                print("|---" * (len(header) + 2) + "|")
            print(f"| {NAMES[regime]} | {k} | " + " | ".join(cells.get(h, "–") for h in header) + " |")


def _torch_gradient(z: np.ndarray, entropy) -> np.ndarray:
    t = torch.from_numpy(z).requires_grad_(True)
    entropy(t).sum().backward()
    return t.grad.numpy()


def gradients(rows: int) -> None:
    if torch is None:
        return
    print("\ngradients, torch autograd (max relative error per component ≥ 1e-3 of the largest; "
          "float32 in ulps)")
    print("| regime | k | dtype | symgeom | torch.distributions |")
    print("|---|---|---|---|---|")
    for dtype in (np.float64, np.float32):
        for regime, k in (("normal30", 3), ("normal30", 10), ("normal30", 100), ("dominant", 3)):
            z = _rows(regime, k, dtype, min(rows, 40), seed=200 + k)
            refs = [np.array([float(x) for x in _reference(row)[2]]) for row in z]
            f = sg.entropy(sg.Categorical(k, "logits")).torch(validate=False)
            ours = _torch_gradient(z, f)
            theirs = _torch_gradient(z, lambda t: torch.distributions.Categorical(logits=t).entropy())
            cells = []
            for got in (ours, theirs):
                worst = 0.0
                for g, r in zip(got, refs):
                    keep = np.abs(r) >= 1e-3 * np.max(np.abs(r))
                    if not np.all(np.isfinite(g[keep])):
                        worst = float("inf")
                        continue
                    if dtype == np.float64:
                        err = np.abs(g[keep] - r[keep]) / np.abs(r[keep])
                    else:
                        err = np.abs(g[keep] - r[keep]) / np.spacing(np.abs(r[keep].astype(np.float32)))
                    worst = max(worst, float(np.max(err)))
                cells.append(f"{worst:.2g}")
            print(f"| {NAMES[regime]} | {k} | {np.dtype(dtype).name} | " + " | ".join(cells) + " |")


def _naive(z: np.ndarray) -> np.ndarray:
    log_p = scipy.special.log_softmax(z, axis=-1)
    return -np.sum(np.exp(log_p) * log_p, axis=-1)


def speed(repeats: int) -> None:
    print("\nspeed, (10⁵, 100) logits ~ N(0, 3): medians of interleaved rounds (s)")
    print("| dtype | symgeom NumPy | naive NumPy | floor | symgeom/naive | symgeom/floor | symgeom torch | "
          "torch.distributions | torch ratio |")
    print("|---" * 9 + "|")
    f = sg.entropy(sg.Categorical(100, "logits")).numpy(validate=False)
    ft = sg.entropy(sg.Categorical(100, "logits")).torch(validate=False)
    for dtype in (np.float64, np.float32):
        z = np.random.default_rng(0).normal(0, 3, (100_000, 100)).astype(dtype)
        cases = {"ours": f, "naive": _naive, "floor": lambda x: np.add(x, 1.0)}
        if torch is not None:
            cases["torch ours"] = lambda x: ft(torch.from_numpy(x))
            cases["torch dist"] = lambda x: torch.distributions.Categorical(
                logits=torch.from_numpy(x)).entropy()
        times = {name: [] for name in cases}
        for _ in range(repeats):
            for name, call in cases.items():
                start = time.perf_counter()
                call(z)
                times[name].append(time.perf_counter() - start)
        med = {name: float(np.median(v)) for name, v in times.items()}
        torch_cells = (f"{med['torch ours']:.4f} | {med['torch dist']:.4f} | "
                       f"{med['torch ours'] / med['torch dist']:.2f}×") if torch is not None else "– | – | –"
        print(f"| {np.dtype(dtype).name} | {med['ours']:.4f} | {med['naive']:.4f} | {med['floor']:.4f} | "
              f"{med['ours'] / med['naive']:.2f}× | {med['ours'] / med['floor']:.1f}× | {torch_cells} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args()
    accuracy(args.rows)
    gradients(args.rows)
    if not args.skip_speed:
        speed(args.repeats)


if __name__ == "__main__":
    main()
