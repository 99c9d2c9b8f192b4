"""Cold `symgeom verify` under several hash seeds: wall, CPU and the CPU seconds of every task.

    python benchmarks/verify_seeds.py [--seeds 0 1 2 3] [--jobs 2] [--top 10] [--out DIR]

SymPy meets the terms of an expression in set/dict order, which follows PYTHONHASHSEED, and
some simplification paths cost very different amounts in different orders.  Each seed runs in a
separate process with a fresh, empty cache directory.  The catalog's tasks (one per family, plus
the general-size and cross rows; see symgeom.verification.schedule) are timed in the worker that
runs them: CPU seconds (time.process_time) are comparable on a loaded machine, wall is not.
With --out, each seed's per-task and per-row seconds are written as JSON for comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    runner = Path(__file__).with_name("_verify_seed_child.py")
    for seed in args.seeds:
        with tempfile.TemporaryDirectory() as cache, tempfile.NamedTemporaryFile("r") as log:
            env = {**os.environ, "SYMGEOM_CACHE_DIR": cache, "PYTHONHASHSEED": str(seed)}
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run([sys.executable, str(runner), log.name, str(args.jobs)], env=env,
                           check=True)
            wall = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            with open(log.name) as handle:
                record = json.load(handle)
        tasks = sorted(record["tasks"], key=lambda t: -t["cpu"])
        print(f"seed {seed}: wall {wall:6.1f} s  CPU {cpu:6.1f} s  "
              f"({record['rows']} rows, {record['proved']} proved)")
        for t in tasks[: args.top]:
            print(f"    {t['cpu']:6.1f} CPU s  {t['wall']:6.1f} s  {t['task']}")
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            record.update(seed=seed, wall=wall, cpu=cpu)
            (args.out / f"seed{seed}.json").write_text(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
