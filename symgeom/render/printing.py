"""SymPy printers for derivations: LaTeX with the family's symbol names, one-line Unicode text."""

from __future__ import annotations

import re
from collections.abc import Mapping

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.str import StrPrinter

#: An indexed base named for a point of KL(θ₁‖θ₂), ``p_1`` or ``zeta_2``: (stem, point).
POINT_BASE = re.compile(r"^(?P<stem>.+)_(?P<point>[12])$")

#: An indexed base whose name is a braced subscripted symbol, ``{\eta_{2}}`` or ``\Delta {\eta_{2}}``.
SUBSCRIPTED_BASE = re.compile(r"(?P<prefix>\\Delta\s*)?\{(?P<base>\\?[A-Za-z]+)_\{(?P<sub>[^{}]*)\}\}")

#: Undefined functions printed as an expectation: E(f) → 𝔼[f], E_1(f) → 𝔼_{θ₁}[f].
EXPECTATION = re.compile(r"^E(?:_(\w+))?$")


def _expectation_subscript(name: str) -> str | None:
    """``None`` if ``name`` is not an expectation; else the LaTeX subscript ('' for plain 𝔼)."""
    match = EXPECTATION.match(name)
    if match is None:
        return None
    point = match.group(1)
    if point is None:
        return ""
    return rf"\theta_{{{point}}}" if point.isdigit() else point


def _is_remainder(term: sp.Basic) -> bool:
    """``O(tⁿ)`` (symgeom.derive.notation.Remainder or SymPy's Order), possibly times a constant."""
    return any(type(f).__name__ in ("Remainder", "Order") for f in sp.Mul.make_args(term))


def _reading_order(terms: list[sp.Basic]) -> list[sp.Basic]:
    """Terms as a reader expects them: a positive constant first when the sum would otherwise
    open with a minus (1 − p₁ − p₂, not −p₁ − p₂ + 1), a remainder O(tⁿ) last."""
    terms = list(terms)
    rest = [t for t in terms if not _is_remainder(t)]
    tail = [t for t in terms if _is_remainder(t)]
    if rest and rest[0].could_extract_minus_sign():
        positive = [t for t in rest if t.is_Number and t.is_positive]
        if positive:
            rest = positive + [t for t in rest if t is not positive[0]]
    return rest + tail


class DerivationLatexPrinter(LatexPrinter):
    """LaTeX with ``symbol_names`` from the family, matrices as ``bmatrix``, E(·) as 𝔼[·]."""

    def __init__(self, names: Mapping[sp.Symbol, str] | None = None) -> None:
        super().__init__(
            {"symbol_names": dict(names or {}), "mat_str": "bmatrix", "mat_delim": ""}
        )
        self._memo: dict[sp.Basic, str] = {}

    def _print(self, expr: object, **kwargs: object) -> str:
        # A sub-expression prints the same wherever it occurs (context comes only through
        # kwargs), so the layout's repeated printing of nested parts stays linear.
        if kwargs or not isinstance(expr, sp.Basic):
            return super()._print(expr, **kwargs)
        tex = self._memo.get(expr)
        if tex is None:
            tex = self._memo[expr] = super()._print(expr)
        return tex

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:  # noqa: N802
        tex = super()._print_Symbol(expr, style)
        # A prime is a superscript: η'_{1} raised to a power would be a TeX double superscript.
        return f"{{{tex}}}" if "'" in tex else tex

    def _print_Indexed(self, expr: sp.Indexed) -> str:  # noqa: N802
        """The base of a point of KL indexed by j, ``p_1[j]``, is p_{1,j}: the point is the first
        subscript, as :func:`symgeom.families.base.point_latex` writes concrete coordinates.  A
        base that is itself subscripted, ``{η_{2}}`` (the coordinate η₂ of a factor), takes the
        index after its own subscript: η_{2,i}, η_{1,2,i} at point 1, Δη_{2,i}."""
        match = POINT_BASE.match(expr.base.name)
        indices = ",".join(self._print(i) for i in expr.indices)
        stem, point = (match["stem"], match["point"] + ",") if match else (expr.base.name, "")
        scripted = SUBSCRIPTED_BASE.fullmatch(stem)
        if scripted is not None:
            tex = f"{scripted['base']}_{{{point}{scripted['sub']},{indices}}}"
            # Δη_{2,i} is one symbol: braced, so that a power reads (Δη_{2,i})², not Δ(η_{2,i}²)
            return f"{{\\Delta {tex}}}" if scripted["prefix"] else tex
        if match is None:
            return super()._print_Indexed(expr)
        return f"{self._print(sp.Symbol(stem))}_{{{point}{indices}}}"

    def _print_Pow(self, expr: sp.Pow) -> str:  # noqa: N802
        base, exp = expr.args
        if isinstance(base, sp.Symbol) and exp.is_Integer and int(exp) > 1:
            name = self._print(base)
            if name.startswith(r"\Delta"):
                # (Δp)³, not Δ p³ (which reads as the change of p³).
                return rf"\left({name}\right)^{{{int(exp)}}}"
        return super()._print_Pow(expr)

    def _print_Mul(self, expr: sp.Mul) -> str:  # noqa: N802
        # An unevaluated product may keep a factor 1 (a cached Σ term is unpickled unevaluated):
        # 1·f is f, and printing it "1 f" would differ between a fresh and a cached derivation.
        if len(expr.args) > 1 and any(a == 1 for a in expr.args):
            rest = [a for a in expr.args if a != 1]
            return self._print(sp.Mul(*rest, evaluate=False) if len(rest) > 1 else rest[0])
        return super()._print_Mul(expr)

    def _print_AppliedUndef(self, expr: AppliedUndef, exp: str | None = None) -> str:  # noqa: N802
        sub = _expectation_subscript(expr.func.__name__)
        if sub is None:
            return super()._print_Function(expr, exp)
        head = r"\mathbb{E}" + (f"_{{{sub}}}" if sub else "")
        body = ", ".join(self._print(a) for a in expr.args)
        tex = rf"{head}\left[{body}\right]"
        return f"{tex}^{{{exp}}}" if exp else tex

    def _print_Function(self, expr: sp.Basic, exp: str | None = None) -> str:  # noqa: N802
        if isinstance(expr, AppliedUndef):
            return self._print_AppliedUndef(expr, exp)
        return super()._print_Function(expr, exp)

    def _print_MatrixBase(self, expr: sp.MatrixBase) -> str:  # noqa: N802
        """bmatrix with display-style entries, so fractions inside stay legible."""
        cells = [[self._print(expr[i, j]) for j in range(expr.cols)] for i in range(expr.rows)]
        tall = any(r"\frac" in cell for row in cells for cell in row)
        style = r"\displaystyle " if tall else ""
        rows = [" & ".join(f"{style}{cell}" for cell in row) for row in cells]
        separator = r"\\[4pt]" if tall else r"\\"
        return r"\begin{bmatrix}" + separator.join(rows) + r"\end{bmatrix}"

    def _print_ImmutableDenseMatrix(self, expr: sp.MatrixBase) -> str:  # noqa: N802
        return self._print_MatrixBase(expr)

    def _print_MutableDenseMatrix(self, expr: sp.MatrixBase) -> str:  # noqa: N802
        return self._print_MatrixBase(expr)

    def _print_Add(self, expr: sp.Add, order: str | None = None) -> str:  # noqa: N802
        terms = list(self._as_ordered_terms(expr, order=None))
        if _reading_order(terms) == terms:
            return super()._print_Add(expr, order)
        pieces = self.signed_terms(expr)
        out = ("- " if pieces[0][0] == "-" else "") + pieces[0][1]
        return out + "".join(f" {sign} {tex}" for sign, tex, _ in pieces[1:])

    def add_terms(self, expr: sp.Add) -> list[tuple[str, str]]:
        """The terms of a sum in printing order as (sign, LaTeX), as ``_print_Add`` joins them."""
        return [(sign, tex) for sign, tex, _ in self.signed_terms(expr)]

    def signed_terms(self, expr: sp.Add) -> list[tuple[str, str, sp.Basic]]:
        """(sign, LaTeX, term with the sign taken out) for each term, in printing order."""
        pieces = []
        ordered = _reading_order(self._as_ordered_terms(expr, order=None))
        for i, term in enumerate(ordered):
            sign = "+"
            if i > 0 and term.could_extract_minus_sign():
                sign, term = "-", -term
            tex = self._print(term)
            if self._needs_add_brackets(term):
                tex = rf"\left({tex}\right)"
            if i == 0 and tex.startswith("-"):
                sign, tex, term = "-", tex[1:].lstrip(), -term
            pieces.append((sign, tex, term))
        return pieces


# --- LaTeX → Unicode, for text output and for the symbol names in it -----------------------------

_GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ",
    "nu": "ν", "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "phi": "φ",
    "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω", "Gamma": "Γ", "Delta": "Δ",
    "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π", "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ",
    "Omega": "Ω",
}
_COMMANDS = {
    **_GREEK,
    "log": "log", "exp": "exp", "det": "det", "operatorname": "", "mathrm": "", "text": "",
    "top": "ᵀ", "nabla": "∇", "partial": "∂", "infty": "∞", "cdot": "·", "times": "×",
    "approx": "≈", "geq": "≥", "ge": "≥", "leq": "≤", "le": "≤", "neq": "≠", "to": "→",
    "mid": "|", "|": "‖", "Vert": "‖", "sum": "Σ", "prod": "Π", "int": "∫", "quad": " ",
    "qquad": "  ", ",": " ", ";": " ", "!": "", "left": "", "right": "", "bigl": "", "bigr": "",
    "ldots": "…", "dots": "…", "cdots": "⋯", "in": "∈", "sim": "∼", "propto": "∝", "{": "{",
    "}": "}", "_": "_", "%": "%", "&": "&", "#": "#", "prime": "′", "tr": "tr", "mathcal": "",
    "ell": "ℓ", "boldsymbol": "", "mathbf": "", "bmatrix": "", "displaystyle": "", "sqrt": "√",
}
_SUB = dict(
    zip("0123456789+-=()aehijklmnoprstuvx,", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ,", strict=True)
)
_SUP = dict(zip("0123456789+-=()nTᵀ′'", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿᵀᵀ′′", strict=True))


def _group(tex: str, start: int) -> tuple[str, int]:
    """The argument starting at ``start``: a braced group (without braces) or one token."""
    while start < len(tex) and tex[start] == " ":
        start += 1
    if start >= len(tex):
        return "", start
    if tex[start] == "{":
        depth = 0
        for i in range(start, len(tex)):
            depth += {"{": 1, "}": -1}.get(tex[i], 0)
            if depth == 0:
                return tex[start + 1 : i], i + 1
        return tex[start + 1 :], len(tex)
    if tex[start] == "\\":
        match = re.match(r"\\([A-Za-z]+|.)", tex[start:])
        assert match is not None
        return match.group(0), start + len(match.group(0))
    return tex[start], start + 1


def _script(text: str, table: Mapping[str, str], marker: str) -> str:
    if text and all(c in table for c in text):
        return "".join(table[c] for c in text)
    return f"{marker}({text})" if re.search(r"[\s+\-=/·]", text) else f"{marker}{text}"


def latex_to_unicode(tex: str) -> str:
    """Readable Unicode for the small LaTeX vocabulary of symbol names and justifications."""
    out: list[str] = []
    i = 0
    while i < len(tex):
        c = tex[i]
        if c == "\\":
            match = re.match(r"\\([A-Za-z]+|.)", tex[i:])
            assert match is not None
            name = match.group(1)
            i += len(match.group(0))
            if name == "frac":
                num, i = _group(tex, i)
                den, i = _group(tex, i)
                num_u, den_u = latex_to_unicode(num), latex_to_unicode(den)
                out.append(f"{_wrap(num_u)}/{_wrap(den_u)} ")
            elif name == "mathbb":
                arg, i = _group(tex, i)
                out.append({"E": "𝔼", "R": "ℝ", "N": "ℕ"}.get(arg, arg))
            elif name in ("sqrt",):
                arg, i = _group(tex, i)
                out.append(f"√{_wrap(latex_to_unicode(arg))}")
            elif name in ("begin", "end"):
                _, i = _group(tex, i)
            else:
                word = _COMMANDS.get(name, name)
                out.append(word)
                if word.isalpha() and i < len(tex) and (tex[i].isalnum() or tex[i] == "\\"):
                    out.append(" ")
        elif c in "_^":
            arg, i = _group(tex, i + 1)
            text = latex_to_unicode(arg)
            out.append(_script(text, _SUB if c == "_" else _SUP, c))
        elif c in "{}":
            i += 1
        elif c == "~":
            out.append(" ")
            i += 1
        else:
            out.append(c)
            i += 1
    return re.sub(r" {2,}", " ", "".join(out)).strip()


def _wrap(text: str) -> str:
    return text if re.fullmatch(r"[\w.′]+", text) else f"({text})"


class DerivationTextPrinter(StrPrinter):
    """One-line Unicode: μ₁, σ₂², 𝔼[x], products as ·, small integer powers as superscripts."""

    def __init__(self, names: Mapping[sp.Symbol, str] | None = None) -> None:
        super().__init__({"order": None})
        self._latex = DerivationLatexPrinter(names)

    def _print(self, expr: object, **kwargs: object) -> str:
        # symgeom.derive.notation classes carry their own _sympystr (ASCII); read them by name.
        name = type(expr).__name__
        if name in _NOTATION and isinstance(expr, sp.Basic):
            return _NOTATION[name](self, *expr.args)
        if isinstance(expr, sp.Indexed) and POINT_BASE.match(expr.base.name):
            return self._print_point_indexed(expr)  # (Indexed's own _sympystr comes first)
        return super()._print(expr, **kwargs)

    def _print_Symbol(self, expr: sp.Symbol) -> str:  # noqa: N802
        return latex_to_unicode(self._latex._print(expr))

    def _print_Dummy(self, expr: sp.Dummy) -> str:  # noqa: N802
        return self._print_Symbol(expr)

    def _print_point_indexed(self, expr: sp.Indexed) -> str:
        """p_1[j] as p₁,ⱼ (the LaTeX printer's p_{1,j}); other indexed symbols print as p[j]."""
        return latex_to_unicode(self._latex._print(expr))

    def _print_AppliedUndef(self, expr: AppliedUndef) -> str:  # noqa: N802
        sub = _expectation_subscript(expr.func.__name__)
        body = ", ".join(self._print(a) for a in expr.args)
        if sub is None:
            return f"{latex_to_unicode(self._latex._print(sp.Symbol(expr.func.__name__)))}({body})"
        return f"𝔼{latex_to_unicode('_{' + sub + '}') if sub else ''}[{body}]"

    def _print_Function(self, expr: sp.Basic) -> str:  # noqa: N802
        if isinstance(expr, AppliedUndef):
            return self._print_AppliedUndef(expr)
        return super()._print_Function(expr)

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:  # noqa: N802
        base, exp = expr.args
        if exp.is_Integer and 1 < int(exp) < 10:
            head = self.parenthesize(base, PRECEDENCE["Pow"], strict=True)
            if isinstance(base, sp.Symbol) and (
                head.startswith("Δ") or any(c in _SUP.values() for c in head)
            ):
                head = f"({head})"  # (Δμ)², (σ²)³: never Δμ² or σ²³
            return head + "".join(
                _SUP[c] for c in str(int(exp))
            )
        if exp.is_Integer and int(exp) < 0:
            return "1/" + self.parenthesize(base**-exp, PRECEDENCE["Pow"], strict=True)
        if exp == sp.S.Half:
            return f"√{_wrap(self._print(base))}"
        return super()._print_Pow(expr, rational)

    def _print_Derivative(self, expr: sp.Derivative) -> str:  # noqa: N802
        order = sum(count for _, count in expr.variable_count)
        top = "∂" + ("".join(_SUP[c] for c in str(order)) if order > 1 else "")
        below = "".join(
            f"∂{self._print(v)}" + ("".join(_SUP[c] for c in str(n)) if n > 1 else "")
            for v, n in expr.variable_count
        )
        return f"{top}/{below} {self._print(expr.expr)}"

    def _print_Pi(self, expr: sp.Basic) -> str:  # noqa: N802
        return "π"

    def _print_Infinity(self, expr: sp.Basic) -> str:  # noqa: N802
        return "∞"

    def _print_NegativeInfinity(self, expr: sp.Basic) -> str:  # noqa: N802
        return "-∞"

    def _print_Exp1(self, expr: sp.Basic) -> str:  # noqa: N802
        return "e"

    def _limits(self, expr: sp.Basic) -> tuple[str, str]:
        """(range, variables) of an Integral/Sum: ``_{a..b}`` or ``_{x}``, and ``dx dy``."""
        ranges, variables = [], []
        for limit in expr.limits:
            var = self._print(limit[0])
            variables.append(var)
            if len(limit) == 3:
                ranges.append(f"{var}={self._print(limit[1])}..{self._print(limit[2])}")
            else:
                ranges.append(var)
        return ", ".join(ranges), " ".join(variables)

    def _print_Integral(self, expr: sp.Integral) -> str:  # noqa: N802
        ranges, variables = self._limits(expr)
        dvars = " ".join(f"d{v}" for v in variables.split())
        return f"∫[{ranges}] ({self._print(expr.function)}) {dvars}"

    def _print_Sum(self, expr: sp.Sum) -> str:  # noqa: N802
        ranges, _ = self._limits(expr)
        return f"Σ[{ranges}] ({self._print(expr.function)})"

    def _print_Add(self, expr: sp.Add, order: str | None = None) -> str:  # noqa: N802
        terms = _reading_order(self._as_ordered_terms(expr, order=None))
        out = self._print(terms[0])
        for term in terms[1:]:
            text = self._print(term)
            out += f" - {text[1:]}" if text.startswith("-") else f" + {text}"
        return out

    def _print_Relational(self, expr: sp.Basic) -> str:  # noqa: N802
        op = {"==": "=", "!=": "≠", ">=": "≥", "<=": "≤"}.get(expr.rel_op, expr.rel_op)
        return f"{self._print(expr.lhs)} {op} {self._print(expr.rhs)}"

    def _print_MatrixBase(self, expr: sp.MatrixBase) -> str:  # noqa: N802
        rows = (", ".join(self._print(e) for e in expr.row(i)) for i in range(expr.rows))
        return "[" + ", ".join(f"[{row}]" for row in rows) + "]"

    def _print_ImmutableDenseMatrix(self, expr: sp.MatrixBase) -> str:  # noqa: N802
        return self._print_MatrixBase(expr)

    def _print_MutableDenseMatrix(self, expr: sp.MatrixBase) -> str:  # noqa: N802
        return self._print_MatrixBase(expr)

    def doprint(self, expr: sp.Basic) -> str:
        text = super().doprint(expr)
        return text.replace("**", "^").replace("*", "·")


_NOTATION = {
    "Expect": lambda p, body, under: f"𝔼_{p._print(under)}[{p._print(body)}]",
    "Density": lambda p, x, theta: f"p({p._print(x)}|{p._print(theta)})",
    "LogPartition": lambda p, eta: f"A({p._print(eta)})",
    "GradLogPartition": lambda p, eta: f"∇A({p._print(eta)})",
}
