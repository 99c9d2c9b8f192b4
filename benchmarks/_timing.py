"""Timing helpers shared by the benchmarks: medians of repeated calls, interleaved when several
functions are compared (so load drifts hit each of them alike).

``single_thread()`` (call it before JAX is imported) makes XLA run on the calling thread, and
``clock=time.process_time`` then times the work itself: on the shared 2-core machine at load
10–20 the wall time of a multi-threaded XLA call carries the scheduling of its worker threads
(two runs of one function differed by 2×), the process time of a single-threaded call by a few %.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable


def median_time(function: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``repeats`` calls of ``function`` (seconds)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def round_times(
    functions: dict[str, Callable[[], object]], repeats: int, clock: Callable[[], float] = time.perf_counter
) -> dict[str, list[float]]:
    """Times of each function over ``repeats`` interleaved rounds, after one warm-up call each."""
    for function in functions.values():
        function()
    times: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            start = clock()
            function()
            times[name].append(clock() - start)
    return times


def median_times(
    functions: dict[str, Callable[[], object]], repeats: int, clock: Callable[[], float] = time.perf_counter
) -> dict[str, float]:
    """Median time of each function over ``repeats`` interleaved rounds, after one warm-up call."""
    times = round_times(functions, repeats, clock)
    return {name: statistics.median(values) for name, values in times.items()}


def ratio_spread(times: dict[str, list[float]], name: str, base: str) -> tuple[float, float, float]:
    """(median, lower quartile, upper quartile) of the round-by-round ratios name/base."""
    ratios = sorted(a / b for a, b in zip(times[name], times[base], strict=True))
    if len(ratios) < 4:
        return statistics.median(ratios), ratios[0], ratios[-1]
    q1, _, q3 = statistics.quantiles(ratios, n=4)
    return statistics.median(ratios), q1, q3


def single_thread() -> None:
    """XLA (CPU) on one thread, and torch where it is imported; call before importing JAX."""
    flags = os.environ.get("XLA_FLAGS", "")
    os.environ["XLA_FLAGS"] = f"{flags} --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)
