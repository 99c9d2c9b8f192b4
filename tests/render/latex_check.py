"""Compile LaTeX with pdflatex and read what TeX says about widths (used by the fit tests)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

needs_pdflatex = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")

#: An overfull box this small is a hair of the margin, below what a reader sees (½ a character).
OVERFULL_TOLERANCE_PT = 3.0
#: The smallest scale symgeom may shrink a line to (symgeom.render.latex.MIN_SCALE).
MIN_SCALE = 0.8


def compile_tex(directory: Path, name: str, source: str) -> str:
    """Run pdflatex on ``source``; return its log (the test fails with the log tail on error)."""
    (directory / f"{name}.tex").write_text(source, encoding="utf-8")
    run = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"],
        cwd=directory, capture_output=True, text=True, timeout=600,
    )
    log = (directory / f"{name}.log").read_text(encoding="latin-1")
    assert run.returncode == 0, log[-3000:]
    return log


def overfull(log: str) -> list[float]:
    """Every overfull hbox of the log, in pt."""
    return [float(pt) for pt in re.findall(r"Overfull \\hbox \(([0-9.]+)pt too wide\)", log)]


def scales(tex: str) -> list[float]:
    return [float(s) for s in re.findall(r"\\scalebox\{([0-9.]+)\}", tex)]


def article(body: str, preamble: str, width_in: float = 6.5) -> str:
    """A bare ``article`` with ``preamble`` only and a text column of ``width_in`` inches."""
    return (
        "\\documentclass{article}\n" + preamble
        + f"\\setlength{{\\textwidth}}{{{width_in}in}}\\setlength{{\\oddsidemargin}}{{0in}}\n"
        + "\\begin{document}\n" + body + "\n\\end{document}\n"
    )
