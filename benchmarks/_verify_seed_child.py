"""One cold ``symgeom verify`` with every catalog task timed (run by verify_seeds.py).

    python benchmarks/_verify_seed_child.py LOG.json JOBS
"""

from __future__ import annotations

import json
import os
import sys
import time

import symgeom.verification.catalog as catalog

_log_path, _jobs = sys.argv[1], int(sys.argv[2])
_task_log = _log_path + ".tasks"
_original_task = catalog._task
_original_run = catalog.run_catalog
_rows: list = []


def _task(item):
    wall, cpu = time.perf_counter(), time.process_time()
    rows = _original_task(item)
    name = item if isinstance(item, str) else item[0].label
    with open(_task_log, "a") as log:  # one short line per task: appends do not interleave
        log.write(json.dumps({"task": name, "wall": time.perf_counter() - wall,
                              "cpu": time.process_time() - cpu, "pid": os.getpid()}) + "\n")
    return rows


# Pickled by reference into the forked workers, so it must be found under the original's name.
_task.__module__, _task.__qualname__ = _original_task.__module__, _original_task.__qualname__
catalog._task = _task


def _run_catalog(families, jobs=1, extra=()):
    rows = _original_run(families, jobs, extra)
    _rows.extend(rows)
    return rows


catalog.run_catalog = _run_catalog
with open(os.devnull, "w") as _sink:
    catalog.run_verify(jobs=_jobs, stream=_sink)
with open(_task_log) as log:
    tasks = [json.loads(line) for line in log]
os.remove(_task_log)
with open(_log_path, "w") as out:
    json.dump({
        "tasks": tasks,
        "rows": len(_rows),
        "proved": sum(r.verdict.status == "proved" for r in _rows),
        "row_seconds": [[r.identity, r.family, r.verdict.seconds, r.verdict.status, r.verdict.method]
                        for r in _rows],
    }, out)
