"""Shared pytest set-up: slow tests run only with --runslow or SYMGEOM_DEEP=1; every test folder
runs Hypothesis with the fixed-seed ``ci`` profile (``HYPOTHESIS_PROFILE=deep`` for more examples)."""

from __future__ import annotations

import os

import pytest

from symgeom.testing import register_profiles

register_profiles()


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
