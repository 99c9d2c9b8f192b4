"""Hypothesis profiles for the property tests (``ci`` default, ``deep`` opt-in) and the slow gate."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from symgeom.testing import register_profiles

register_profiles()

_HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip this directory's @slow tests unless --runslow (if defined) or SYMGEOM_DEEP=1."""
    if os.environ.get("SYMGEOM_DEEP") == "1" or config.getoption("--runslow", default=False):
        return
    skip = pytest.mark.skip(reason="slow: run with --runslow or SYMGEOM_DEEP=1")
    for item in items:
        if "slow" in item.keywords and _HERE in Path(str(item.fspath)).parents:
            item.add_marker(skip)
