"""Shared pytest set-up: slow tests run only with --runslow or SYMGEOM_DEEP=1; every test folder
runs Hypothesis with the fixed-seed ``ci`` profile (``HYPOTHESIS_PROFILE=deep`` for more examples).

On a GPU machine JAX would take 75 % of the device's memory in each process at its first array;
with pytest-xdist (several processes on one GPU) the others then fail with out-of-memory errors.
JAX therefore allocates on demand here, before any test module imports it.

The default run has one pytest-xdist worker per core (pyproject addopts); each worker's torch and
OpenMP then use one thread, so the workers do not oversubscribe the cores they share.

XLA compilations (1–25 s of CPU each for the printed forms) are kept in one JAX compilation cache
per run, shared by the xdist workers: a computation compiled by one worker or one test file (the
same HLO, whatever Python function traced it) is read back by the others, not compiled again.  The
directory is temporary and removed at the end; set ``JAX_COMPILATION_CACHE_DIR`` to keep one."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
if "PYTEST_XDIST_WORKER" in os.environ:
    os.environ.setdefault("OMP_NUM_THREADS", "1")

from symgeom.testing import register_profiles

register_profiles()


def pytest_configure(config: pytest.Config) -> None:
    # the controller (or the only process) makes the directory before the workers start: they
    # inherit the variable, and JAX reads it when the first test module imports it
    if "JAX_COMPILATION_CACHE_DIR" not in os.environ:
        directory = tempfile.mkdtemp(prefix="symgeom-xla-")
        os.environ["JAX_COMPILATION_CACHE_DIR"] = directory
        config.add_cleanup(lambda: shutil.rmtree(directory, ignore_errors=True))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--runslow", action="store_true", default=False,
                     help="also run the slow, deeper checks (same as SYMGEOM_DEEP=1)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--runslow") or os.environ.get("SYMGEOM_DEEP") == "1":
        return
    skip = pytest.mark.skip(reason="slow: run with --runslow or SYMGEOM_DEEP=1")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
