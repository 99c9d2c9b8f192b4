"""Speed of compiled KL against naive NumPy (and torch.distributions when installed), in one run.

    python benchmarks/kl_speed.py [--repeats 7] [--quick]

Cases: Gaussian KL on 10⁷ pairs and Categorical KL on a (10⁵, 100) batch, each with far-apart
pairs and with near pairs (relative perturbation 10⁻⁶, the trust-region regime).  Every
implementation runs once per round, rounds interleave the implementations, and the table reports
the median time and its ratio to naive NumPy measured in the same run.  symgeom is timed as
users call it: the CompiledFunction returned by ``sg.kl(fam).numpy()`` (built here through
``symgeom.numeric.kl_function``, the same object without deriving), with validation off and on.
torch runs single-threaded (NumPy is), on the same float64 data, distributions built inside the
timed call with ``validate_args=False``.

The floor is the read-the-inputs-once bound of issue 12: one ``np.add`` over the inputs (the first
copied, the others added into it), the least any kernel that reads every input once can cost; the
"× floor" column is how far each implementation is from it.  ``--clock process`` (the default)
times with ``time.process_time`` — the CPU time of this process, BLAS threads included — which
the other jobs on a shared machine disturb far less than the wall time; ``--clock wall`` uses
``time.perf_counter``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from numeric_baselines import NAIVE, TORCH, TORCH_VERSION, torch

import symgeom as sg
from symgeom.numeric import kl_function


def _cases(n: int, rows: int, k: int) -> dict[str, tuple[str, tuple[np.ndarray, ...]]]:
    rng = np.random.default_rng(0)
    mu1, mu2 = rng.normal(size=n), rng.normal(size=n)
    s1, s2 = np.exp(rng.normal(size=n)), np.exp(rng.normal(size=n))
    near_s2 = s1 * (1 + 1e-6 * rng.uniform(-1, 1, n))
    near_mu2 = mu1 + 1e-6 * s1 * rng.uniform(-1, 1, n)
    p = rng.dirichlet(np.ones(k), rows)
    q = rng.dirichlet(np.ones(k), rows)
    near_q = p * (1 + 1e-6 * rng.uniform(-1, 1, p.shape))
    near_q /= near_q.sum(axis=-1, keepdims=True)
    return {
        f"Gaussian, {n:.0e} pairs, far": ("gaussian[mean_std]", (mu1, s1, mu2, s2)),
        f"Gaussian, {n:.0e} pairs, near (δ = 1e-6)": (
            "gaussian[mean_std]",
            (mu1, s1, near_mu2, near_s2),
        ),
        f"Categorical, ({rows:.0e}, {k}), far": ("categorical[probs]", (p, q)),
        f"Categorical, ({rows:.0e}, {k}), near (δ = 1e-6)": ("categorical[probs]", (p, near_q)),
    }


def floor(*arrays: np.ndarray) -> np.ndarray:
    """Read every input once: one np.add over them (the first copied, the others added into it)."""
    out = np.array(np.broadcast_to(arrays[0], np.broadcast_shapes(*(a.shape for a in arrays))))
    for a in arrays[1:]:
        np.add(out, a, out=out)
    return out


def _implementations(label: str) -> dict[str, Callable[..., object]]:
    fam = sg.Gaussian() if label.startswith("gaussian") else sg.Categorical(2)
    any_size = label.startswith("categorical")
    impls: dict[str, Callable[..., object]] = {
        "naive NumPy": NAIVE[label],
        "symgeom (validate=False)": kl_function(fam, validate=False, any_size=any_size),
        "symgeom (validate=True)": kl_function(fam, validate=True, any_size=any_size),
        "floor (one np.add)": floor,
    }
    if TORCH is not None:
        impls[f"torch {TORCH_VERSION}"] = TORCH[label]
    return impls


def _time(fn: Callable[..., object], args: tuple[np.ndarray, ...], clock: Callable[[], float]) -> float:
    start = clock()
    fn(*args)
    return clock() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="10x smaller inputs")
    parser.add_argument("--only", choices=("gaussian", "categorical"), help="time one family's cases")
    parser.add_argument("--clock", choices=("process", "wall"), default="process",
                        help="process CPU time (default) or wall time")
    options = parser.parse_args()
    clock = time.process_time if options.clock == "process" else time.perf_counter
    scale = 10 if options.quick else 1
    if torch is not None:
        torch.set_num_threads(1)
    print(
        f"Python {platform.python_version()}, NumPy {np.__version__}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start; "
        f"{options.repeats} interleaved rounds, median {options.clock} seconds\n"
    )
    print("| case | implementation | median time (s) | × naive NumPy | × floor |")
    print("|---|---|---|---|---|")
    for case, (label, args) in _cases(10_000_000 // scale, 100_000 // scale, 100).items():
        if options.only and not label.startswith(options.only):
            continue
        impls = _implementations(label)
        for fn in impls.values():
            fn(*args)  # warm-up: first-touch page faults and lazy imports stay out of the timing
        times: dict[str, list[float]] = {name: [] for name in impls}
        for _ in range(options.repeats):
            for name, fn in impls.items():
                times[name].append(_time(fn, args, clock))
        base = statistics.median(times["naive NumPy"])
        least = statistics.median(times["floor (one np.add)"])
        for name, values in times.items():
            median = statistics.median(values)
            print(f"| {case} | {name} | {median:.3f} | {median / base:.2f} | {median / least:.1f} |",
                  flush=True)
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
