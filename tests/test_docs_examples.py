"""Every ```python block of README.md and docs/**/*.md runs as written.

The blocks of one file run in order in one namespace (later blocks may use earlier names), in a
temporary working directory; functions named ``test_*`` that a block defines are called too.
A block whose first line is ``# requires: mod1, mod2`` is skipped unless those modules import;
one whose first line is ``# not-run`` is skipped (say why on the same line).
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def blocks(path: Path) -> list[str]:
    return FENCE.findall(path.read_text(encoding="utf-8"))


def _missing(block: str) -> list[str]:
    first = block.lstrip().splitlines()[0] if block.strip() else ""
    match = re.match(r"#\s*requires:\s*(.+)", first)
    if not match:
        return []
    names = [n.strip() for n in match.group(1).split(",") if n.strip()]
    return [n for n in names if importlib.util.find_spec(n) is None]


def test_the_readme_has_python_blocks():
    assert blocks(ROOT / "README.md")


@pytest.mark.parametrize("path", documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_python_blocks_run(path, tmp_path, monkeypatch):
    found = blocks(path)
    if not found:
        pytest.skip("no python blocks")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": f"doc_{path.stem}"}
    for index, block in enumerate(found, start=1):
        if block.lstrip().startswith("# not-run") or _missing(block):
            continue
        before = set(namespace)
        code = compile(block, f"{path.relative_to(ROOT)} python block {index}", "exec")
        exec(code, namespace)
        for name in sorted(set(namespace) - before):
            if name.startswith("test_") and callable(namespace[name]):
                namespace[name]()
