"""The API reference builds from the docstrings with warnings as errors (mkdocs --strict)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(
    importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("mkdocstrings") is None,
    reason="docs extra not installed (pip install -e '.[docs]')",
)
def test_api_reference_builds_strict(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    page = (tmp_path / "site" / "api" / "families" / "index.html").read_text(encoding="utf-8")
    assert "MultivariateGaussian" in page  # generated from the docstrings, not typed in


def test_readme_links_the_api_reference():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/api/index.md" in readme and "mkdocs" in readme
