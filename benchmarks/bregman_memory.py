"""Peak memory of the generic Bregman KL (Gamma, shape–rate) on NumPy and torch: evaluated chunk by
chunk (``symgeom.backends.bregman.CHUNK`` entries) against one call over the whole batch (CHUNK
larger than the batch, the evaluation before chunking), in one run.

The remainder ∫₀¹(1 − t)ΔᵀH(η₁ + tΔ)Δ dt evaluates its integrand at 74 Gauss–Legendre nodes for
every entry (``where`` picks the branch afterwards), so one call holds 74 node values per entry.
Reported: the peak extra memory during the call divided by the bytes of one batch array
(N float64): NumPy through ``tracemalloc`` (NumPy reports its allocations to it); torch as the
growth of the process's peak resident set (``ru_maxrss``) over its resident set before the call,
each case in a fresh process (torch's CPU allocations are not visible to ``tracemalloc``).

Usage: python benchmarks/bregman_memory.py [N]
"""

from __future__ import annotations

import subprocess
import sys


def _case(backend: str, n: int, chunk: int) -> None:
    import resource
    import time
    import tracemalloc

    import numpy as np

    import symgeom as sg
    from symgeom.backends import bregman

    bregman.CHUNK = chunk
    rng = np.random.default_rng(0)
    arrays = [rng.uniform(0.5, 5.0, size=n) for _ in range(4)]
    d = sg.kl(sg.Gamma())
    if backend == "numpy":
        f = d.array_api()
        f(*[a[:1000] for a in arrays])  # warm-up: printing and binding
        tracemalloc.start()
        start = time.perf_counter()
        f(*arrays)
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    else:
        import torch

        torch.set_num_threads(1)
        tensors = [torch.from_numpy(a) for a in arrays]
        f = d.torch()
        f(*[t[:1000] for t in tensors])
        with open("/proc/self/statm") as statm:
            before = int(statm.read().split()[1]) * resource.getpagesize()
        start = time.perf_counter()
        f(*tensors)
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
    label = f"chunks of {chunk:,}" if chunk < n else "one call (no chunks)"
    print(f"  {backend:6s} {label:22s} peak {peak / 2**20:9.1f} MiB = {peak / (8 * n):6.1f} × the batch"
          f"   ({seconds:.2f} s)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--case":
        _case(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        from symgeom.backends.bregman import CHUNK

        n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
        size = 8 * n / 2**20
        print(f"Bregman KL of Gamma(shape, rate), N = {n:,} float64 pairs; batch array {size:.1f} MiB")
        for backend in ("numpy", "torch"):
            for chunk in (CHUNK, 2 * n):
                sys.stdout.flush()
                subprocess.run([sys.executable, __file__, "--case", backend, str(n), str(chunk)], check=True)
