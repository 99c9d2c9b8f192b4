"""The catalog's process schedule: waits for what a task needs, and never changes the report."""

from __future__ import annotations

import time

import pytest

from symgeom.verification import catalog
from symgeom.verification.schedule import chain_weight, run_in_order

#: How long each toy task runs: long enough that two workers overlap, short for the suite.
NAP = 0.3


def _timed(task: str) -> tuple[float, float]:
    """(start, end) on the system-wide monotonic clock, shared by forked workers."""
    start = time.monotonic()
    time.sleep(NAP)
    return start, time.monotonic()


def test_a_task_starts_after_what_it_needs_and_the_heaviest_ready_task_first():
    tasks = ["a", "b", "c"]
    weights = {"a": 1, "b": 9, "c": 2}  # b is the heaviest but waits for a
    out = run_in_order(tasks, _timed, jobs=2, weight=weights.__getitem__, needs={"b": ["a"]})
    assert set(out) == set(tasks)
    assert out["b"][0] >= out["a"][1]  # b started after a ended
    assert out["c"][0] < out["a"][1]  # c did not wait: it ran beside a


def test_a_light_task_that_a_heavy_one_waits_for_starts_before_a_heavier_free_one():
    # One worker: the order is the schedule's alone.  c (2) outweighs a (1), but b (9) waits for
    # a, so a heads the heavier chain (10) and goes first; b, the heaviest ready task, next.
    weights = {"a": 1, "b": 9, "c": 2}
    out = run_in_order(["c", "a", "b"], _timed, jobs=1, weight=weights.__getitem__,
                       needs={"b": ["a"]})
    assert out["a"][1] <= out["b"][0] <= out["b"][1] <= out["c"][0]


def test_chain_weight_is_the_heaviest_chain_starting_at_each_task():
    weights = {"a": 1, "b": 9, "c": 2, "d": 4}
    waits_for = {"a": set(), "b": {"a"}, "c": set(), "d": {"a", "c"}}
    assert chain_weight(list(weights), weights.__getitem__, waits_for) == {
        "a": 10, "b": 9, "c": 6, "d": 4}


def test_needs_outside_the_run_are_ignored_and_cycles_are_refused():
    out = run_in_order(["a"], _timed, jobs=2, weight=lambda t: 0, needs={"a": ["missing"]})
    assert set(out) == {"a"}
    with pytest.raises(ValueError, match="wait for each other"):
        run_in_order(["a", "b"], _timed, jobs=2, weight=lambda t: 0,
                     needs={"a": ["b"], "b": ["a"]})


def test_two_workers_give_the_rows_of_one_worker_in_catalog_order():
    families = [f for f in catalog.CATALOG if f.label.startswith(("bernoulli", "categorical(k=2)"))]
    # Logits before probs on purpose: the schedule runs the reference chart (probs) first, the
    # report keeps the order it was given.
    families.sort(key=lambda f: f.param != "logits")
    serial = catalog.run_catalog(families, jobs=1)
    parallel = catalog.run_catalog(families, jobs=2)
    assert [(r.identity, r.family, r.status) for r in parallel] == [
        (r.identity, r.family, r.status) for r in serial]
    assert parallel[0].family == "categorical(k=2)[logits]"
