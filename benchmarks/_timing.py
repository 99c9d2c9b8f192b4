"""Timing helpers shared by the benchmarks: medians of repeated calls, interleaved when several
functions are compared (so load drifts hit each of them alike)."""

from __future__ import annotations

import statistics
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


def median_times(functions: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median wall time of each function over ``repeats`` interleaved rounds, after one warm-up call."""
    for function in functions.values():
        function()
    times: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            start = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}
