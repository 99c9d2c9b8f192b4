"""Running catalog tasks in worker processes so that no derivation is made twice at once.

A task derives everything its rows need, and the derivation cache (memory, then disk) hands each
result to later tasks.  Two workers that need the same derivation at the same time both make it,
so the order matters:

* the charts of one family form one task, reference chart first: the other charts pull their
  Fisher matrix back from it and compare their KL with it (fisher/pullback, kl/invariance);
* a task that re-derives the results of other tasks (the general-size rows specialize to
  concrete sizes and compare with those sizes' own derivations) starts only after they finish,
  and then reads them from the cache instead of deriving them again;
* among the tasks that may start, the heaviest first, so the workers end together.

The schedule only decides where and when a task runs: every task computes the same rows in any
order, so the report does not depend on it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, TypeVar

Task = TypeVar("Task", bound=Hashable)


def run_in_order(
    tasks: Sequence[Task],
    run: Callable[[Task], Any],
    jobs: int,
    weight: Callable[[Task], float],
    needs: Mapping[Task, Sequence[Task]] | None = None,
) -> dict[Task, Any]:
    """{task: run(task)} computed in ``jobs`` forked processes.

    A task starts once every task it ``needs`` (those present in ``tasks``) has finished; of
    the tasks that may start, the one of largest ``weight`` first (ties: the order of ``tasks``).
    At most ``jobs`` tasks are in flight, so the choice is made when a worker is free.
    """
    import multiprocessing

    present = set(tasks)
    waits_for = {t: {n for n in (needs or {}).get(t, ()) if n in present and n != t} for t in tasks}
    pending = sorted(tasks, key=lambda t: -weight(t))  # stable: ties keep the given order
    results: dict[Task, Any] = {}
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        running: dict[Future, Task] = {}
        while pending or running:
            for task in [t for t in pending if waits_for[t] <= results.keys()]:
                if len(running) >= jobs:
                    break
                pending.remove(task)
                running[pool.submit(run, task)] = task
            if not running:  # only reached if ``needs`` has a cycle
                raise ValueError(f"catalog tasks wait for each other: {pending}")
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                results[running.pop(future)] = future.result()
    return results
