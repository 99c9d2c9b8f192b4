"""Cold and warm cost of the full-covariance Gaussian's KL, entropy and Fisher at d = 3, 4, 5:
derivation, then ``.numpy()``, ``.torch()`` and ``.jax()`` built and called once, each stage in CPU
seconds of a fresh process (cold: an empty SYMGEOM_CACHE_DIR; warm: the same process run again on
the cache the cold run filled).

    python benchmarks/full_covariance_sizes.py [--sizes 3,4,5] [--expanded 3,4] [--limit 600]

Two routes per size: ``specialized`` (the general-d matrix-notation result with d set, what
``sg.MultivariateGaussian(d, 'full')`` gives for d ≥ 4) and ``expanded`` (the entry-by-entry
derivation of ``symgeom.families.multivariate_gaussian._full``, what it gave up to d = 5 before;
d ≤ 3 still).  An expanded case that passes ``--limit`` CPU-bound seconds of wall clock is reported
as not finished (the cold d = 4 KL did not finish in 20 minutes).  The first stage of each
process includes ``import symgeom`` and torch/JAX imports fall on their first backend stage.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

CHILD = r"""
import sys, time
t0 = time.process_time()
import numpy as np
import symgeom as sg
from symgeom.families.general_gaussian import specialized_full
from symgeom.families.multivariate_gaussian import _full
route, d = sys.argv[1], int(sys.argv[2])
fam = _full(d, "mean_cov") if route == "expanded" else specialized_full(d, "mean_cov")
print(f"import+family {time.process_time() - t0:.2f}", flush=True)
w = np.random.default_rng(0).standard_normal((d, d))
S, m = np.eye(d) + w @ w.T / d, np.zeros(d)
for q in ("entropy", "fisher", "kl"):
    t = time.process_time()
    derivation = getattr(sg, q)(fam)
    derivation.result
    print(f"{q} derive {time.process_time() - t:.2f}", flush=True)
    for backend in ("numpy", "torch", "jax"):
        t = time.process_time()
        f = getattr(derivation, backend)()
        if backend == "torch":
            import torch
            a = (torch.tensor(m), torch.tensor(S))
        elif backend == "jax":
            import jax
            jax.config.update("jax_enable_x64", True)
            a = (jax.numpy.asarray(m), jax.numpy.asarray(S))
        else:
            a = (m, S)
        f(*a, *a) if q == "kl" else f(*a)
        print(f"{q} {backend} {time.process_time() - t:.2f}", flush=True)
"""


def _run(route: str, d: int, cache: str, limit: float) -> dict[str, str]:
    env = {**os.environ, "SYMGEOM_CACHE_DIR": cache}
    try:
        done = subprocess.run([sys.executable, "-c", CHILD, route, str(d)], env=env, text=True,
                              capture_output=True, timeout=limit)
        lines = done.stdout.splitlines()
    except subprocess.TimeoutExpired as stopped:
        text = stopped.stdout or b""  # bytes even with text=True
        lines = [*(text.decode() if isinstance(text, bytes) else text).splitlines(),
                 f"not finished (wall s) {limit:.0f}"]
    out = {}
    for line in lines:
        key, _, value = line.rpartition(" ")
        out[key or line] = value
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="3,4,5")
    parser.add_argument("--expanded", default="3", help="sizes also run on the expanded route")
    parser.add_argument("--limit", type=float, default=600.0, help="seconds per process")
    args = parser.parse_args()
    cases = [("specialized", int(d)) for d in args.sizes.split(",")]
    cases += [("expanded", int(d)) for d in args.expanded.split(",") if d]
    for route, d in cases:
        with tempfile.TemporaryDirectory() as cache:
            cold = _run(route, d, cache, args.limit)
            warm = _run(route, d, cache, args.limit)
        print(f"\n{route} d = {d}: CPU seconds, cold / warm")
        for key in dict.fromkeys([*cold, *warm]):
            print(f"  {key:<28} {cold.get(key, '-'):>8} / {warm.get(key, '-')}")


if __name__ == "__main__":
    main()
