"""Near pairs and extreme scales of the array-valued charts on torch and JAX: the table of
docs/backends.md ("Array-valued charts: near pairs and extreme scales").

    python benchmarks/array_near_pairs.py [--chart SUBSTRING] [--worst N] [--compile]

Cases and references: tests/backends/array_near_cases.py (every diagonal Gaussian chart at d = 3
and 6, the full-covariance Gaussian at d = 2 and 3, Categorical(3, 10) probs and logits,
Dirichlet(3, 6) in both charts; each point at 5 scales with partners moved by a relative
δ = 1e-6 … 1e-14 in one entry and in every entry, plus one far partner; independent textbook
formulas in mpmath at 100 digits).  Columns: maximum relative error over the chart's cases of

* KL on JAX under ``jit`` and eagerly (``jax_enable_x64``), eager torch float64 (the public call:
  the NumPy kernel on the tensors), and the torch primitives (the printed source that
  ``torch.compile``, CUDA and ``torch.func`` run; reached here through ``torch.func.vmap``);
* entropy and Fisher (max over the entries of |error|/|entry|, nonzero entries) at the pairs'
  first points, on JAX ``jit`` and torch;
* the number of negative KL values over all KL columns.

``--compile``: also one chart's KL through ``torch.compile`` on the CPU (symgeom's compiled route
forced; minutes to compile on 2 cores).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "backends"))
from _optional import jax, jnp, torch
from array_near_cases import (
    CHARTS,
    Chart,
    arguments,
    cases,
    entropy_reference,
    fisher_reference,
    kl_reference,
    point_arguments,
    relative_errors,
)

import symgeom as sg


def kl_engines(c: Chart) -> dict:
    d = sg.kl(c.family())
    out = {}
    if jax is not None:
        f = d.jax()
        out["JAX jit"] = lambda args: np.asarray(jax.jit(f)(*[jnp.asarray(a) for a in args]))
        out["JAX eager"] = lambda args: np.asarray(f(*[jnp.asarray(a) for a in args]))
    if torch is not None:
        t = d.torch()
        out["torch"] = lambda args: t(*[torch.tensor(a) for a in args]).numpy()
        out["torch prims"] = lambda args: torch.func.vmap(t)(*[torch.tensor(a) for a in args]).numpy()
    return out


def point_engines(c: Chart, quantity: str) -> dict:
    d = getattr(sg, quantity)(c.family())
    out = {}
    if jax is not None:
        f = d.jax()
        out["JAX jit"] = lambda args: np.asarray(jax.jit(f)(*[jnp.asarray(a) for a in args]))
    if torch is not None:
        t = d.torch()
        out["torch"] = lambda args: t(*[torch.tensor(a) for a in args]).numpy()
    return out


def measure(c: Chart, seed: int = 0) -> dict:
    pairs = cases(c, seed)
    args = arguments(pairs)
    ref = kl_reference(c, pairs)
    row: dict = {"chart": c.label, "pairs": len(pairs), "negative": 0, "worst": []}
    for name, engine in kl_engines(c).items():
        got = engine(args)
        rel = relative_errors(got, ref)
        row[f"KL {name}"] = float(np.max(rel))
        row["negative"] += int(np.sum(got < 0))
        for i in np.argsort(rel)[::-1][:3]:
            row["worst"].append((f"KL {name}", pairs[i][2], float(rel[i]), float(got[i]), float(ref[i])))
    points = [a for a, _, _ in pairs[:: max(1, len(pairs) // 40)]]
    points += [b for _, b, _ in pairs[:: max(1, len(pairs) // 40)]]
    pargs = point_arguments(points)
    for quantity, reference in (("entropy", entropy_reference), ("fisher", fisher_reference)):
        ref = reference(c, points)
        for name, engine in point_engines(c, quantity).items():
            got = engine(pargs)
            rel = relative_errors(got, ref)
            rel = rel.reshape(len(points), -1).max(axis=1)
            row[f"{quantity} {name}"] = float(np.max(rel))
            for i in np.argsort(rel)[::-1][:2]:
                row["worst"].append((f"{quantity} {name}", f"point {i}", float(rel[i]), None, None))
    return row


def compiled(c: Chart) -> float:
    """Max relative KL error of the torch.compile'd symgeom function (the forced compiled route)."""
    from symgeom.backends import torch_compile

    pairs = cases(c, 0, deltas=(1e-6, 1e-14), modes=("all",))
    args, ref = arguments(pairs), kl_reference(c, pairs)
    torch_compile.FORCE = True
    try:
        got = sg.kl(c.family()).torch()(*[torch.tensor(a) for a in args]).numpy()
    finally:
        torch_compile.FORCE = False
    return float(np.max(relative_errors(got, ref)))


COLUMNS = ("KL JAX jit", "KL JAX eager", "KL torch", "KL torch prims", "entropy JAX jit", "entropy torch",
           "fisher JAX jit", "fisher torch")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chart", default="")
    parser.add_argument("--worst", type=int, default=0)
    parser.add_argument("--compile", action="store_true")
    options = parser.parse_args()
    print("| chart | pairs | " + " | ".join(COLUMNS) + " | negative |")
    print("|---|---" + "|---" * len(COLUMNS) + "|---|")
    for c in CHARTS:
        if options.chart not in c.label:
            continue
        row = measure(c)
        cells = [f"{row[k]:.1e}" if k in row else "–" for k in COLUMNS]
        print(f"| {c.label} | {row['pairs']} | " + " | ".join(cells) + f" | {row['negative']} |", flush=True)
        for w in sorted(row["worst"], key=lambda w: -w[2])[: options.worst]:
            print("    ", w, flush=True)
    if options.compile:
        label = "MVN(3, diagonal) natural"
        print(f"torch.compile {label}: {compiled(next(c for c in CHARTS if c.label == label)):.1e}")


if __name__ == "__main__":
    main()
