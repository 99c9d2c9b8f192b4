"""Justifications as text and math: find the formulas in a plain sentence and write them as math.

A justification such as ``normalization: Σₓ p(x|θ) = 1`` is prose with formulas in it.  Escaping
the whole sentence as text prints ``p(x\\textbar{}θ)`` (and MathJax 3 rejects ``\\textbar`` in
math mode); here each word is classified, runs of formula words become one math chunk
(``\\sum_{x} p(x \\mid \\theta) = 1``) and the rest stays text, so the result renders in pdflatex,
MathJax 3 and KaTeX alike.
"""

from __future__ import annotations

import re

#: Characters that make a word a formula (Unicode mathematics is added by the caller's tables).
_MARKS = set("|_^=<>+/∼~")
#: Words that are mathematics when they stand next to a formula word (``log p(x|θ)``, ``s = …``).
_BRIDGES = {"log", "exp", "det", "tr", "dt", "dx", "-", "−", "±"}
#: Operator names printed upright.
_OPERATORS = {"log": r"\log", "exp": r"\exp", "det": r"\det", "tr": r"\operatorname{tr}",
              "Cov": r"\operatorname{Cov}", "KL": r"\mathrm{KL}", "Var": r"\operatorname{Var}"}
_FUNCTION_CALL = re.compile(r"^[A-Za-z∇∂𝔼ΣΠ]{1,3}[\(\[]")
_TRAILING = re.compile(r"[,.;:!?]+$")


def _is_formula_word(word: str, math_chars: set[str]) -> bool:
    if word in ("=", "+", "<", ">", "/", "∼", "~") or word in math_chars:
        return True
    if not any(c.isalnum() or c in math_chars for c in word):
        return False
    if any(c in _MARKS or c in math_chars for c in word):
        return True
    return bool(_FUNCTION_CALL.match(word))


def _is_bridge(word: str) -> bool:
    return (
        word in _BRIDGES
        or re.fullmatch(r"-?\d+(\.\d+)?", word) is not None
        or (len(word) == 1 and word.isalpha() and word not in "aAI")
    )


def words(text: str) -> list[str]:
    """Words and runs of spaces; the arguments of a call such as ``N(0, Σ)`` stay one word."""
    out: list[str] = []
    depth, start, i = 0, 0, 0
    while i < len(text):
        c = text[i]
        if c in "([{" and (depth or (i > 0 and not text[i - 1].isspace() and text[i - 1] != "(")):
            depth += 1
        elif c in ")]}" and depth:
            depth -= 1
        elif c.isspace() and not depth:
            j = i
            while j < len(text) and text[j].isspace():
                j += 1
            out.extend((text[start:i], text[i:j]))
            start = i = j
            continue
        i += 1
    out.append(text[start:])
    return out


def split(text: str, math_chars: set[str]) -> list[tuple[bool, str]]:
    """``text`` as (is_math, chunk) pieces; math chunks are still plain Unicode formulas."""
    tokens: list[tuple[str, str]] = []  # (kind, text) with kind in "math", "bridge", "text", "space"
    for piece in words(text):
        if not piece:
            continue
        if piece.isspace():
            tokens.append(("space", piece))
            continue
        trail = _TRAILING.search(piece)
        core, punct = (piece[: trail.start()], trail.group(0)) if trail else (piece, "")
        if core.startswith("(") and core.count("(") > core.count(")"):
            tokens.append(("text", "("))
            core = core[1:]
        if core.endswith(")") and core.count("(") < core.count(")"):
            punct = ")" + punct
            core = core[:-1]
        if core:
            if _is_formula_word(core, math_chars):
                kind = "math"
            elif _is_bridge(core):
                kind = "bridge"
            else:
                kind = "text"
            tokens.append((kind, core))
        if punct:
            tokens.append(("text", punct))
    kinds = [kind for kind, _ in tokens]
    # A bridge word is math when a chain of bridges and spaces links it to a formula word.
    for i, kind in enumerate(kinds):
        if kind != "bridge":
            continue
        for step in (-1, 1):
            j = i + step
            while 0 <= j < len(kinds) and kinds[j] in ("space", "bridge"):
                j += step
            if 0 <= j < len(kinds) and kinds[j] == "math":
                kinds[i] = "bridge-math"
                break
    for i, kind in enumerate(kinds):
        if kind == "bridge-math":
            kinds[i] = "math"
        elif kind == "bridge":
            kinds[i] = "text"
    out: list[tuple[bool, str]] = []
    pending_space = ""
    for kind, (_, chunk) in zip(kinds, tokens):
        if kind == "space":
            pending_space += chunk
            continue
        is_math = kind == "math"
        if out and out[-1][0] == is_math:
            out[-1] = (is_math, out[-1][1] + pending_space + chunk)
        else:
            if pending_space:
                if out and not out[-1][0]:
                    out[-1] = (False, out[-1][1] + pending_space)
                elif not is_math:
                    chunk = pending_space + chunk
                else:
                    out.append((False, pending_space))
            out.append((is_math, chunk))
        pending_space = ""
    if pending_space:
        out.append((False, pending_space))
    merged: list[tuple[bool, str]] = []
    for is_math, chunk in out:
        if merged and merged[-1][0] == is_math:
            merged[-1] = (is_math, merged[-1][1] + chunk)
        else:
            merged.append((is_math, chunk))
    return merged


def formula_to_latex(formula: str, unicode_math: dict[str, str]) -> str:
    """A plain formula (``∇_θ log p(x|θ)``, ``F_ref``, ``Σpᵢ``) as LaTeX math.

    ``unicode_math`` maps single Unicode characters (Greek, ∇, ≈, sub/superscript runs already
    turned into ``_{…}``/``^{…}``) to LaTeX.  ``|`` becomes ``\\mid``, ``_word`` a braced
    subscript (upright when it is a word such as ``ref``), ``log``/``exp``/``det`` operators.
    """
    out: list[str] = []
    i = 0
    n = len(formula)
    while i < n:
        c = formula[i]
        if c in "_^" and i + 1 < n and formula[i + 1] != "{":
            match = re.match(r"[A-Za-z0-9]+|.", formula[i + 1 :])
            assert match is not None
            script = match.group(0)
            body = formula_to_latex(script, unicode_math)
            if len(script) >= 3 and script.isalpha():
                body = rf"\mathrm{{{script}}}"
            primes = re.match(r"['′]*", formula[i + 1 + len(script) :])
            assert primes is not None
            # ∇_θ' is ∇ with subscript θ′ (a prime after a subscript is a TeX double superscript).
            prime = "'" * len(primes.group(0))
            out.append(f"{c}{{{body}{prime}}}")
            i += 1 + len(script) + len(primes.group(0))
            continue
        if c == "|":
            out.append(r" \mid ")
        # Σ is a sum before its summand (Σpᵢ, Σ_{i}), a matrix inside a product of letters (PΣQ)
        elif c == "Σ" and not (i and formula[i - 1].isalpha()) and re.match(r"\s*(?:[A-Za-z(]|_\{)",
                                                                             formula[i + 1 :]):
            out.append(r"\sum ")
        elif c in unicode_math:
            command = unicode_math[c]
            out.append(command + (" " if command[-1].isalpha() else ""))
        elif c.isalpha() and c.isascii():
            match = re.match(r"[A-Za-z]+", formula[i:])
            assert match is not None
            word = match.group(0)
            if word in _OPERATORS:
                out.append(_OPERATORS[word] + " ")
            else:
                out.append(word)
            i += len(word)
            continue
        elif c == "~":
            out.append(r"\sim ")
        elif c in "%#&$":
            out.append("\\" + c)
        else:
            out.append(c)
        i += 1
    return re.sub(r" {2,}", " ", "".join(out)).strip()
