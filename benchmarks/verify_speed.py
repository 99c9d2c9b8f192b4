"""Cold and warm `symgeom verify` of the whole catalog, with `import sympy` as the same-run baseline.

    python benchmarks/verify_speed.py [--warm-repeats 5] [--jobs 2] [--cache DIR]

Cold: a fresh, empty cache directory (every derivation and verdict computed).  Warm: the same
directory again (everything read from the cache).  With ``--cache DIR`` the cold run is skipped
and DIR (filled by an earlier run) is read warm.  Each figure is a separate process, process
start included: wall time, and CPU time (user + sys, the process and its workers), which a
machine shared with other work changes far less than wall time.  Warm runs are repeated and the
median reported, with its ratio to the median of a process that only imports SymPy (the floor
any symgeom command pays).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time


def _timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one process run to completion."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _median(runs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--warm-repeats", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--cache", help="an already filled cache directory: warm runs only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as fresh:
        env = {**os.environ, "SYMGEOM_CACHE_DIR": args.cache or fresh}
        verify = [sys.executable, "-m", "symgeom", "verify", "--jobs", str(args.jobs)]
        if args.cache is None:
            cold_wall, cold_cpu = _timed(verify, env)
            print(f"cold symgeom verify:        {cold_wall:8.1f} s wall {cold_cpu:8.1f} s CPU")
        warm = [_timed(verify, env) for _ in range(args.warm_repeats)]
        baseline = [_timed([sys.executable, "-c", "import sympy"], env)
                    for _ in range(args.warm_repeats)]
    (warm_wall, warm_cpu), (base_wall, base_cpu) = _median(warm), _median(baseline)
    n = len(warm)
    print(f"warm symgeom verify:        {warm_wall:8.2f} s wall {warm_cpu:8.2f} s CPU (medians of {n})")
    print(f"python -c 'import sympy':   {base_wall:8.2f} s wall {base_cpu:8.2f} s CPU (medians)")
    print(f"warm / import sympy:        {warm_wall / base_wall:8.2f} wall {warm_cpu / base_cpu:8.2f} CPU")
    print("warm runs (wall, CPU):      " + ", ".join(f"({w:.2f}, {c:.2f})" for w, c in warm))


if __name__ == "__main__":
    main()
