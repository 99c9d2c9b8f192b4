"""Plain text (with inline ``$…$`` math and Unicode) made safe for pdflatex: ASCII LaTeX only."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

from symgeom.render.prose import formula_to_latex, split

_GREEK = {
    "α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "δ": r"\delta", "ε": r"\varepsilon",
    "ζ": r"\zeta", "η": r"\eta", "θ": r"\theta", "ι": r"\iota", "κ": r"\kappa",
    "λ": r"\lambda", "μ": r"\mu", "ν": r"\nu", "ξ": r"\xi", "π": r"\pi", "ρ": r"\rho",
    "σ": r"\sigma", "τ": r"\tau", "φ": r"\varphi", "χ": r"\chi", "ψ": r"\psi", "ω": r"\omega",
    "Γ": r"\Gamma", "Δ": r"\Delta", "Θ": r"\Theta", "Λ": r"\Lambda", "Ξ": r"\Xi", "Π": r"\Pi",
    "Σ": r"\Sigma", "Φ": r"\Phi", "Ψ": r"\Psi", "Ω": r"\Omega",
    "ϑ": r"\vartheta", "ϕ": r"\phi", "ϵ": r"\epsilon", "ϱ": r"\varrho", "ς": r"\varsigma",
    "ϖ": r"\varpi",
}
#: Unicode characters that are mathematics, as LaTeX math (used inside and outside ``$…$``).
MATH = {
    **_GREEK,
    "‖": r"\Vert", "≈": r"\approx", "≥": r"\geq", "≤": r"\leq", "≠": r"\neq", "∇": r"\nabla",
    "∂": r"\partial", "∞": r"\infty", "·": r"\cdot", "×": r"\times", "∈": r"\in", "∼": r"\sim",
    "→": r"\to", "↦": r"\mapsto", "−": "-", "𝔼": r"\mathbb{E}", "ℝ": r"\mathbb{R}",
    "½": r"\tfrac{1}{2}", "ᵀ": r"^{\top}", "⁻¹": r"^{-1}", "√": r"\sqrt{}", "∑": r"\sum",
    "∫": r"\int", "∏": r"\prod", "⋯": r"\cdots", "∝": r"\propto", "≡": r"\equiv", "⊤": r"\top",
    "′": "'", "⅓": r"\tfrac{1}{3}", "¼": r"\tfrac{1}{4}", "⅙": r"\tfrac{1}{6}", "⅛": r"\tfrac{1}{8}",
}
#: Typography that may also sit inside math (p₁…p_k), as math there.
MATH_TYPOGRAPHY = {"…": r"\ldots "}
_SUBSCRIPTS = dict(zip("₀₁₂₃₄₅₆₇₈₉₊₋₍₎ᵢⱼₖₙₓₐₑₘₚₜ", "0123456789+-()ijknxaempt", strict=True))
_SUPERSCRIPTS = {
    **dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁽⁾ⁿ", "0123456789+-()n", strict=True)),
    "ᶿ": r"\theta ", "ᵑ": r"\eta ", "ᵈ": "d", "ᵏ": "k",
}
#: Unicode typography outside math, as text-mode LaTeX.
TEXT = {
    "—": "---", "–": "--", "‘": "`", "’": "'", "“": "``", "”": "''", "…": r"\ldots{}",
    "\u00a0": "~",
}
_SPECIALS = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "#": r"\#", "_": r"\_", "{": r"\{",
    "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "<": r"\textless{}",
    ">": r"\textgreater{}", "|": r"\textbar{}", "$": r"\$",
}


def _ascii_fallback(char: str) -> str:
    decomposed = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
    return decomposed or "?"


def _scripts(text: str) -> str:
    """Runs of Unicode sub/superscripts as one ``_{…}``/``^{…}`` group (TeX forbids x_1_2)."""
    out = []
    i = 0
    while i < len(text):
        for table, marker in ((_SUBSCRIPTS, "_"), (_SUPERSCRIPTS, "^")):
            j = i
            while j < len(text) and text[j] in table:
                j += 1
            if j > i:
                out.append(marker + "{" + "".join(table[c] for c in text[i:j]) + "}")
                i = j
                break
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


_MATH_CHARS = set(MATH) | set(_SUBSCRIPTS) | set(_SUPERSCRIPTS)


def math_to_latex(math: str) -> str:
    """Inline math as written in a justification, with Unicode symbols turned into commands."""
    out = []
    for char in _scripts(math):
        if char in MATH or char in MATH_TYPOGRAPHY:
            command = MATH.get(char) or MATH_TYPOGRAPHY[char]
            out.append(command + (" " if command[-1].isalpha() else ""))
        elif ord(char) < 128:
            out.append(char)
        else:
            out.append(_ascii_fallback(char))
    return "".join(out).strip()


def _text_char(char: str) -> str:
    if char in _SPECIALS:
        return _SPECIALS[char]
    if char in TEXT:
        return TEXT[char]
    return char if ord(char) < 128 else _ascii_fallback(char)


def _formula(chars: str) -> str:
    """A formula found in prose (see :mod:`symgeom.render.prose`) as LaTeX math."""
    return formula_to_latex(_scripts(chars), {**MATH, **MATH_TYPOGRAPHY})


def _prose(part: str) -> list[tuple[bool, str]]:
    return split(part, _MATH_CHARS)


def _code_spans(text: str, prose: Callable[[str], str], code: Callable[[str], str]) -> str:
    """``text`` with its `code spans` (identifiers, family labels) through ``code`` and the rest
    through ``prose``; an unmatched backtick is prose."""
    parts = text.split("`")
    if len(parts) % 2 == 0:
        return prose(text)
    return "".join(code(part) if index % 2 else prose(part) for index, part in enumerate(parts))


def _code_latex(code: str) -> str:
    """A code span in text mode: ``\\texttt``, breakable after ``_ , ( [`` (see code_to_latex)."""
    return r"\texttt{" + code_to_latex(code) + "}"


def _code_math(code: str) -> str:
    """A code span in math mode: ``\\mathtt`` (upright; MathJax reads no macros inside
    ``\\text``), with ``\\_`` and braces escaped the way math mode reads them."""
    escaped = {"_": r"\_", "{": r"\{", "}": r"\}", "\\": r"\backslash ", "#": r"\#",
               "%": r"\%", "&": r"\&", "$": r"\$", "~": r"\sim ", "^": r"\hat{}"}
    return r"\mathtt{" + "".join(escaped.get(char, char) for char in code) + "}"


def text_in_math(text: str) -> str:
    """Text for math mode: ``\\text{…}`` pieces around the math, never ``$`` inside ``\\text``
    (MathJax 2 does not read math nested in text); ``p(x|θ)`` becomes ``p(x \\mid \\theta)``;
    `code spans` become ``\\texttt``, never math."""
    if "`" in text:
        return _code_spans(text, lambda part: text_in_math(part) if part else "", _code_math)
    parts = text.split("$")
    if len(parts) % 2 == 0:
        parts = [text]
    out = []
    for index, part in enumerate(parts):
        if index % 2:
            out.append(f"{{{math_to_latex(part)}}}")
            continue
        for is_math, chars in _prose(part):
            if is_math:
                out.append(f"{{{_formula(chars)}}}")
            else:
                out.append(r"\text{" + "".join(_text_char(c) for c in chars) + "}")
    return "".join(out)


def text_to_latex(text: str) -> str:
    """Escape text for LaTeX text mode; ``$…$`` stays math, formulas in the prose become ``$…$``,
    `code spans` ``\\texttt``."""
    if "`" in text:
        return _code_spans(text, text_to_latex, _code_latex)
    text_parts = text.split("$")
    if len(text_parts) % 2 == 0:  # an unmatched $ is a literal dollar sign
        text_parts = [text]
    out = []
    for index, part in enumerate(text_parts):
        if index % 2:
            out.append(f"${math_to_latex(part)}$")
            continue
        for is_math, chars in _prose(part):
            if is_math:
                out.append(f"${_formula(chars)}$")
            else:
                out.extend(_text_char(char) for char in chars)
    return "".join(out)


def _no_pipes(math: str) -> str:
    """Math without a ``|`` character (GitHub splits table cells at every ``|``, even in math)."""
    return math.replace(r"\|", r"\Vert ").replace("|", r"\vert ")


def text_to_markdown(text: str) -> str:
    """Prose for GitHub Markdown (safe in table cells): formulas as ``$…$`` math, no bare ``|``,
    `code spans` kept as code."""
    if "`" in text:
        return _code_spans(text, text_to_markdown, lambda code: f"`{code}`")
    text_parts = text.split("$")
    if len(text_parts) % 2 == 0:
        text_parts = [text]
    out = []
    for index, part in enumerate(text_parts):
        if index % 2:
            out.append(f"${_no_pipes(part)}$")
            continue
        for is_math, chars in _prose(part):
            if is_math:
                out.append(f"${_no_pipes(_formula(chars))}$")
            else:
                out.append(
                    "".join("\\" + c if c in "|*_`<>[]" else c for c in chars)
                )
    return "".join(out)


def code_to_latex(text: str) -> str:
    """Identifiers and labels (``gaussian[mean_var]``) for ``\\texttt``: every character literal."""
    # A label may break after _ , ( [ so a long one does not run into the margin.
    return "".join(
        _text_char(char) + (r"\allowbreak{}" if char in "_,([" else "") for char in text
    )
