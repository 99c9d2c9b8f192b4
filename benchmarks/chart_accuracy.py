"""Per-chart KL accuracy of the generic families in NumPy, torch and JAX: the table of
docs/backends.md ("Accuracy measured").

    python benchmarks/chart_accuracy.py

Cases and references are those of tests/backends/bregman_cases.py (points drawn from the
parameters' domains; references: the derived KL ``sg.kl(f).result`` and its gradient by mpmath at
120 digits).  float64: 8 random pairs and 8 at each relative perturbation 1e-8, 1e-11, 1e-14
(seed 0); NumPy ``.numpy()``, torch with autograd (value and ∂/∂θ), JAX under ``jit``
(``jax_enable_x64``; value and ``grad``).  Gradient columns: max |error| over the largest partial
of the pair.  float32: 16 random pairs and 16 at each of 1e-3, 1e-4, 1e-5 (seed 3), rounded to
float32 first, references at the rounded inputs; NumPy, torch without autograd, JAX under ``jit``.
Reported per chart: the maximum relative error per column, then the number of negative and of
non-finite values over all columns.  torch / JAX columns are "–" where the library is missing.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "backends"))
from _optional import jax, jnp, torch
from bregman_cases import DELTAS_FLOAT32, FAMILIES, columns, pairs, reference

import symgeom as sg
from symgeom.families.base import Family


def _relative(got: np.ndarray, ref: np.ndarray) -> float:
    got = np.asarray(got, dtype=float)
    distinct = ref != 0
    if not np.all(np.isfinite(got)):
        return float("inf")
    return float(np.max(np.abs(got - ref)[distinct] / ref[distinct])) if distinct.any() else 0.0


def _gradient_error(ours: np.ndarray, ref_grad: np.ndarray) -> float:
    scale = np.max(np.abs(ref_grad), axis=-1)
    error = np.max(np.abs(ours - ref_grad), axis=-1)
    keep = scale > 0
    return float(np.max(error[keep] / scale[keep])) if keep.any() else 0.0


def float64_row(family: Family) -> tuple[list[float | None], list[np.ndarray]]:
    """([NumPy, torch, JAX, ∇ torch, ∇ JAX] errors, the values)."""
    cases = pairs(family, seed=0)
    ref, ref_grad = reference(family, cases)
    arrays = columns([a for a, _ in cases]) + columns([b for _, b in cases])
    d = sg.kl(family)
    got = np.asarray(d.numpy()(*arrays))
    errors: list[float | None] = [_relative(got, ref), None, None, None, None]
    values = [got]
    if torch is not None:
        inputs = [torch.tensor(a, requires_grad=True) for a in arrays]
        value = d.torch()(*inputs)
        grads = torch.autograd.grad(value.sum(), inputs)
        values.append(value.detach().numpy())
        errors[1] = _relative(values[-1], ref)
        errors[3] = _gradient_error(np.stack([g.numpy() for g in grads], axis=-1), ref_grad)
    if jax is not None:
        kl = d.jax()
        xs = [jnp.asarray(a) for a in arrays]
        values.append(np.asarray(jax.jit(kl)(*xs)))
        errors[2] = _relative(values[-1], ref)
        grad = jax.jit(jax.grad(lambda *x: jnp.sum(kl(*x)), argnums=tuple(range(len(xs)))))(*xs)
        errors[4] = _gradient_error(np.stack([np.asarray(g) for g in grad], axis=-1), ref_grad)
    return errors, values


def float32_row(family: Family) -> tuple[list[float | None], list[np.ndarray]]:
    """([NumPy, torch, JAX] float32 errors, the values)."""
    cases = pairs(family, count=16, seed=3, deltas=DELTAS_FLOAT32)
    rounded = [tuple(tuple(float(np.float32(v)) for v in p) for p in pair) for pair in cases]
    ref, _ = reference(family, rounded)
    arrays = columns([a for a, _ in rounded], np.float32) + columns([b for _, b in rounded], np.float32)
    d = sg.kl(family)
    got = np.asarray(d.numpy()(*arrays))
    assert got.dtype == np.float32
    errors: list[float | None] = [_relative(got, ref), None, None]
    values = [got]
    if torch is not None:
        with torch.no_grad():
            values.append(d.torch()(*[torch.from_numpy(a) for a in arrays]).numpy())
        errors[1] = _relative(values[-1], ref)
    if jax is not None:
        values.append(np.asarray(jax.jit(d.jax())(*[jnp.asarray(a) for a in arrays])))
        errors[2] = _relative(values[-1], ref)
    return errors, values


def _cell(x: float | None) -> str:
    return "–" if x is None else f"{x:.1e}"


def main() -> None:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"numpy {np.__version__}; torch {getattr(torch, '__version__', '–')}; "
          f"jax {getattr(jax, '__version__', '–')}; load average {load:.1f}")
    print("| chart | f64 NumPy | f64 torch | f64 JAX | ∇ torch | ∇ JAX | f32 NumPy | f32 torch | f32 JAX "
          "| negative | non-finite |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for family in FAMILIES:
        e64, v64 = float64_row(family)
        e32, v32 = float32_row(family)
        values = [np.asarray(v, dtype=float) for v in v64 + v32]
        negative = sum(int(np.sum(v < 0)) for v in values)
        nonfinite = sum(int(np.sum(~np.isfinite(v))) for v in values)
        cells = " | ".join(_cell(x) for x in e64 + e32)
        print(f"| {family.label} | {cells} | {negative} | {nonfinite} |", flush=True)


if __name__ == "__main__":
    main()
