"""Every display renders without error in MathJax 3 (JupyterLab 4's TeX set-up: AllPackages) and KaTeX.

Runs tests/render/js/render_check.mjs under node (``npm ci`` in tests/render/js first; .ci/run
does it).  Skipped when node or the node modules are absent.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from representative import REPRESENTATIVE, derivation

JS = Path(__file__).resolve().parent / "js"
PROOFS = Path(__file__).resolve().parents[2] / "proofs"

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (JS / "node_modules" / "mathjax-full").is_dir()
    or not (JS / "node_modules" / "katex").is_dir(),
    reason="node or tests/render/js/node_modules missing (run npm ci in tests/render/js)",
)


def render_errors(displays: dict[str, str]) -> list[dict[str, str]]:
    items = [{"id": key, "tex": tex} for key, tex in displays.items()]
    run = subprocess.run(
        ["node", "render_check.mjs"], cwd=JS, input=json.dumps(items), capture_output=True,
        text=True, timeout=600,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout)


def markdown_displays(markdown: str) -> list[str]:
    return re.findall(r"^\$\$\n(.*?)\n\$\$$", markdown, flags=re.S | re.M)


def test_checker_catches_the_old_escaping():
    """What the issue saw: ``\\textbar`` in ``\\text`` is an error in MathJax 3, an unknown macro
    in both engines is an error, and the corrected form passes."""
    errors = render_errors({
        "old": r"\begin{aligned} a &= 1 && \text{p(x\textbar{}\theta)} \end{aligned}",
        "unknown": r"x = \undefinedmacro{1}",
        "new": r"\begin{aligned} a &= 1 && \text{mass }{p(x \mid \theta)} \end{aligned}",
    })
    failed = {(e["id"], e["engine"]) for e in errors}
    assert ("old", "mathjax3") in failed
    assert {("unknown", "mathjax3"), ("unknown", "katex")} <= failed
    assert not any(key == "new" for key, _ in failed)


@pytest.mark.parametrize("name", sorted(REPRESENTATIVE))
def test_derivation_displays_render(name):
    d = derivation(name)
    displays = {
        "latex": d.latex(),
        "latex-column-numbered": d.latex(width="columnwidth", numbered=True),
        "jupyter": d._repr_latex_().strip("$"),
    }
    displays.update(
        {f"markdown-{i}": tex for i, tex in enumerate(markdown_displays(d.markdown()))}
    )
    assert render_errors(displays) == []


@pytest.mark.parametrize(
    "md", sorted(p for p in PROOFS.glob("*.md") if p.name != "README.md"), ids=lambda p: p.name
)
def test_proofs_markdown_displays_render(md):
    displays = {
        f"{md.name}-{i}": tex
        for i, tex in enumerate(markdown_displays(md.read_text(encoding="utf-8")))
    }
    assert displays
    assert render_errors(displays) == []
