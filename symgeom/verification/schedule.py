"""Running catalog tasks in worker processes so that no derivation is made twice at once.

A task derives everything its rows need, and the derivation cache (memory, then disk) hands each
result to later tasks.  Two workers that need the same derivation at the same time both make it,
so the order matters:

* the charts of one family form one task, reference chart first: the other charts pull their
  Fisher matrix back from it and compare their KL with it (fisher/pullback, kl/invariance);
* a task that re-derives the results of other tasks (the general-size rows specialize to
  concrete sizes and compare with those sizes' own derivations) starts only after they finish,
  and then reads them from the cache instead of deriving them again;
* among the tasks that may start, the one heading the heaviest chain first: its own weight plus
  the heaviest chain of the tasks that wait for it (critical-path order), so that a light task
  a heavy one waits for (Categorical(2) before the general-k rows) does not start last and leave
  the heavy one to run alone at the end; then the workers end together.

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
    the tasks that may start, the one of largest :func:`chain_weight` first (ties: the order of
    ``tasks``).  At most ``jobs`` tasks are in flight, so the choice is made when a worker is free.
    """
    import multiprocessing

    present = set(tasks)
    waits_for = {t: {n for n in (needs or {}).get(t, ()) if n in present and n != t} for t in tasks}
    chain = chain_weight(tasks, weight, waits_for)
    pending = sorted(tasks, key=lambda t: -chain[t])  # stable: ties keep the given order
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


def chain_weight(
    tasks: Sequence[Task], weight: Callable[[Task], float], waits_for: Mapping[Task, set[Task]]
) -> dict[Task, float]:
    """{task: w(task)}, w(t) = weight(t) + max(w(u) for the tasks u that wait for t, else 0):
    the weight of the heaviest chain of tasks that starts at t (its critical path).  A cycle in
    ``waits_for`` is left to :func:`run_in_order` to report; its tasks count their own weight."""
    dependents: dict[Task, list[Task]] = {t: [] for t in tasks}
    for t in tasks:
        for n in waits_for[t]:
            dependents[n].append(t)
    chain: dict[Task, float] = {}

    def visit(t: Task, path: frozenset) -> float:
        if t not in chain:
            later = [visit(u, path | {t}) for u in dependents[t] if u not in path]
            chain[t] = weight(t) + max(later, default=0.0)
        return chain[t]

    for t in tasks:
        visit(t, frozenset())
    return chain
