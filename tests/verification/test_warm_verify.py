"""A warm `symgeom verify` reads each family's rows whole from the cache: it builds no family,
checks no identity and starts no worker process, and prints what the cold run printed."""

from __future__ import annotations

import dataclasses
import io
import os
import subprocess
import sys

import pytest

import symgeom as sg
from symgeom import cache
from symgeom.verification import catalog, entries, schedule


def _refuse(*args, **kwargs):
    raise AssertionError("a warm run must not get here")


def _table(rows):
    return [(r.identity, r.family, r.status) for r in rows]


def test_a_warm_run_builds_no_family_checks_nothing_and_starts_no_worker(monkeypatch):
    chosen = [e for e in catalog.select_entries() if e.name in ("bernoulli", "poisson")]
    cold = catalog.run_catalog(chosen, jobs=2)  # fills the cache (or reads it, if already warm)
    assert {e.group for e in chosen} == {"bernoulli[prob]", "poisson[rate]"}  # two tasks
    monkeypatch.setattr(cache, "_memory", {})  # read from disk, as a new process does
    for owner, name in ((catalog, "catalog_families"), (catalog, "check"), (catalog, "verdicts"),
                        (entries.Entry, "family"), (schedule, "run_in_order")):
        monkeypatch.setattr(owner, name, _refuse)
    warm = catalog.run_catalog(catalog.select_entries("bernoulli") + catalog.select_entries("poisson"),
                               jobs=2)
    assert _table(warm) == _table(cold) and len(warm) > 20


def test_entries_name_the_catalog_families_in_order():
    index = entries.catalog_index()
    assert [e.family() for e in index] == list(catalog.CATALOG)
    assert [e.label for e in catalog.select_entries("gamma")] == [
        "gamma[shape_rate]", "gamma[shape_scale]", "gamma[natural]"]


def test_an_entry_refuses_a_family_its_name_does_not_rebuild():
    renamed = dataclasses.replace(sg.Gaussian(), title="not the Gaussian")
    with pytest.raises(sg.SymgeomError, match="builds a different family"):
        entries.entry_of(renamed)


def test_rows_from_entries_equal_rows_from_families():
    families = [f for f in catalog.CATALOG if f.name == "bernoulli"]
    assert _table(catalog.run_catalog(families)) == _table(
        catalog.run_catalog([entries.entry_of(f) for f in families]))


_WARM_CHILD = (
    "import io, sys\n"
    "from symgeom.verification.catalog import run_verify\n"
    "assert run_verify('bernoulli', jobs=2, stream=io.StringIO()) == 0\n"
    "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
)


def test_a_warm_run_imports_no_numeric_backend():
    """numpy, SciPy, torch and JAX belong to compiled functions, never to reading verdicts."""
    assert catalog.run_verify("bernoulli", jobs=1, stream=io.StringIO()) == 0  # fills the cache
    child = subprocess.run([sys.executable, "-c", _WARM_CHILD], capture_output=True, text=True,
                           check=True, env=os.environ.copy())
    assert set(child.stdout.split()) & {"numpy", "scipy", "torch", "jax"} == set()
    assert "sympy" in child.stdout.split()  # the child did run symgeom
