"""Renderers: LaTeX structure, Markdown, text symbols, escaping, line breaking, compilation."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import sympy as sp
from render_fixtures import gaussian_kl, natural_kl_power, wide_fisher

from symgeom.render import latex, layout, texescape
from symgeom.render.printing import DerivationTextPrinter, latex_to_unicode


def balanced(tex: str) -> bool:
    """Environments nest properly and braces balance."""
    stack = []
    for kind, name in re.findall(r"\\(begin|end)\{([^}]*)\}", tex):
        if kind == "begin":
            stack.append(name)
        elif not stack or stack.pop() != name:
            return False
    depth = 0
    for char in re.sub(r"\\[{}]", "", tex):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return not stack and depth == 0


def test_latex_block_is_align_with_text_justifications():
    tex = gaussian_kl().latex()
    assert tex.startswith("\\begin{align*}") and tex.rstrip().endswith("\\end{align*}")
    assert balanced(tex)
    # justifications are math-mode \text (no \tag*, so a line can carry a number or \label)
    assert "\\tag" not in tex
    assert tex.count("\\qquad \\text{(") == len(gaussian_kl().steps)
    assert "\\mu_{1}" in tex and "\\sigma_{2}" in tex
    # specials in a justification are escaped; math in $…$ stays math, outside \text
    assert "50\\% of \\& \\# \\_" in tex
    assert "{E_p[\\log p - \\log q]}" in tex


def test_main_chain_restated_after_a_fact():
    rows = layout.rows(gaussian_kl())
    assert [r.continuation for r in rows] == [False, True, False, False, True]
    assert rows[3].lhs == rows[0].lhs  # the chain resumes with its own left-hand side


def test_standalone_document_is_ascii_and_balanced():
    doc = gaussian_kl().latex(standalone=True)
    assert doc.startswith("\\documentclass")
    assert doc.isascii()
    assert balanced(doc)
    assert "$\\theta _{1}\\Vert \\theta _{2}$" in doc  # Unicode in the title became math


def test_jupyter_uses_aligned_and_text():
    out = gaussian_kl()._repr_latex_()
    assert out.startswith("$$\\begin{aligned}") and out.endswith("\\end{aligned}$$")
    assert "&& \\text{simplify}" in out
    assert balanced(out)


def test_markdown_one_display_per_step():
    md = gaussian_kl().markdown()
    assert md.startswith("### KL of two Gaussians")
    assert md.count("$$\n") == 2 * len(gaussian_kl().steps)
    assert "**5.** simplify" in md


def test_text_uses_unicode_symbols_one_step_a_line():
    text = gaussian_kl().text()
    lines = text.splitlines()
    assert len(lines) == 1 + len(gaussian_kl().steps)
    assert "μ₁" in text and "σ₂" in text and "𝔼[x²] = μ₁² + σ₁²" in text
    assert "[definition: E_p[log p - log q]]" in text or "[definition: Eₚ[log p - log q]]" in text


def test_primed_symbols_are_braced_before_a_power():
    # No family prints primes any more (the second point is a subscript); a user's name may.
    eta = sp.Symbol("eta")
    tex = layout.DerivationLatexPrinter({eta: "\\eta'_{1}"}).doprint(eta**2 / 4)
    assert "{\\eta'_{1}}^{2}" in tex


def test_long_sums_break_between_terms():
    printer = layout.DerivationLatexPrinter({})
    xs = sp.symbols("a0:40")
    lines = layout.break_sum(printer, sp.Add(*[x**2 / (x + 1) for x in xs]), 40)
    assert len(lines) > 3
    assert all(layout.visual_width(line) <= 40 for line in lines[:-1])
    assert all(line[0] in "+-" for line in lines[1:])


def test_wide_matrix_printed_entry_by_entry():
    rows = layout.rows(wide_fisher())
    (row,) = rows
    assert len(row.entries) == 15  # upper triangle of a symmetric 5×5
    assert row.entries[0][0] == "F_{\\mu_{1}\\,\\mu_{1}}"
    assert balanced(wide_fisher().latex())


@pytest.mark.parametrize(
    ("tex", "text"),
    [
        (r"\mu_{1}", "μ₁"),
        (r"\sigma_{2}^{2}", "σ₂²"),
        (r"\Delta \log\sigma_{1}", "Δ log σ₁"),
        (r"\frac{1}{2}\Delta^\top F \Delta", "1/2 Δᵀ F Δ"),
        (r"\mathbb{E}[x^2]", "𝔼[x²]"),
    ],
)
def test_latex_to_unicode(tex, text):
    assert latex_to_unicode(tex) == text


def test_text_printer_powers_and_expectations():
    mu, sigma = sp.symbols("mu sigma", positive=True)
    printer = DerivationTextPrinter({mu: r"\mu", sigma: r"\sigma"})
    assert printer.doprint(1 / (2 * sigma**2)) == "1/(2·σ²)"
    assert printer.doprint(sp.Function("E_1")(mu)) == "𝔼_θ₁[μ]"


def test_text_to_latex_merges_unicode_scripts():
    assert texescape.text_to_latex("Σᵢⱼ") == "$\\sum _{ij}$"  # Σ with an index is a sum
    assert texescape.text_to_latex("costs $5") == "costs \\$5"


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")
@pytest.mark.parametrize("make", [gaussian_kl, natural_kl_power, wide_fisher])
def test_standalone_compiles_with_pdflatex(tmp_path, make):
    (tmp_path / "doc.tex").write_text(make().latex(standalone=True), encoding="ascii")
    run = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stdout[-2000:]
    assert latex.FIT_WIDTH > 0


def test_text_in_math_keeps_math_out_of_text():
    out = texescape.text_in_math("with $E[x]=\\mu$ and θ₁, 50%")
    assert out == "\\text{with }{E[x]=\\mu}\\text{ and }{\\theta _{1}}\\text{, 50\\%}"
    assert all("$" not in piece for piece in out.split("\\text"))
