"""Cold and warm `symgeom verify` of the whole catalog, with `import sympy` as the same-run baseline.

    python benchmarks/verify_speed.py [--warm-repeats 5] [--jobs 2]

Cold: a fresh, empty cache directory (every derivation and verdict computed).  Warm: the same
directory again (everything read from the cache).  Each figure is the wall time of a separate
process; warm runs are repeated and the median reported, with its ratio to the median time of
a process that only imports SymPy (the floor any symgeom command pays).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time


def _timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--warm-repeats", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "SYMGEOM_CACHE_DIR": cache}
        verify = [sys.executable, "-m", "symgeom", "verify", "--jobs", str(args.jobs)]
        cold = _timed(verify, env)
        warm = [_timed(verify, env) for _ in range(args.warm_repeats)]
        baseline = [_timed([sys.executable, "-c", "import sympy"], env)
                    for _ in range(args.warm_repeats)]
    print(f"cold symgeom verify:        {cold:8.1f} s")
    print(f"warm symgeom verify:        {statistics.median(warm):8.2f} s (median of {len(warm)})")
    print(f"python -c 'import sympy':   {statistics.median(baseline):8.2f} s (median)")
    print(f"warm / import sympy:        {statistics.median(warm) / statistics.median(baseline):8.2f}")


if __name__ == "__main__":
    main()
