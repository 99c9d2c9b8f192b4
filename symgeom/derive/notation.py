"""Unevaluated notation used inside derivation steps: expectations, p(x|θ), A(η), KL and Fisher symbols."""

from __future__ import annotations

import sympy as sp


class Expect(sp.Function):
    """E_{x∼p(·|θ)}[f(x)], unevaluated: ``Expect(f, theta)`` prints as 𝔼_θ[f]."""

    nargs = 2

    def _latex(self, printer: sp.printing.latex.LatexPrinter) -> str:
        body, under = self.args
        return rf"\mathbb{{E}}_{{{printer._print(under)}}}\left[{printer._print(body)}\right]"

    def _sympystr(self, printer: sp.printing.str.StrPrinter) -> str:
        body, under = self.args
        return f"E_{printer._print(under)}[{printer._print(body)}]"


class Density(sp.Function):
    """p(x | θ), unevaluated."""

    nargs = 2

    def _latex(self, printer: sp.printing.latex.LatexPrinter) -> str:
        x, theta = self.args
        return rf"p\left({printer._print(x)} \mid {printer._print(theta)}\right)"

    def _sympystr(self, printer: sp.printing.str.StrPrinter) -> str:
        x, theta = self.args
        return f"p({printer._print(x)}|{printer._print(theta)})"


class LogPartition(sp.Function):
    """A(η), unevaluated."""

    nargs = 1

    def _latex(self, printer: sp.printing.latex.LatexPrinter) -> str:
        return rf"A\left({printer._print(self.args[0])}\right)"


class GradLogPartition(sp.Function):
    """∇A(η), unevaluated."""

    nargs = 1

    def _latex(self, printer: sp.printing.latex.LatexPrinter) -> str:
        return rf"\nabla A\left({printer._print(self.args[0])}\right)"

    def _sympystr(self, printer: sp.printing.str.StrPrinter) -> str:
        return f"gradA({printer._print(self.args[0])})"




def dot(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    """a·b as an unevaluated product (for (η₂ − η₁)·∇A(η₁))."""
    return sp.Mul(a, b, evaluate=False)


class Remainder(sp.Function):
    """O(tⁿ) as notation only: SymPy's Order does not survive unevaluated unpickling."""

    nargs = 1

    def _latex(self, printer: sp.printing.latex.LatexPrinter) -> str:
        return rf"O\left({printer._print(self.args[0])}\right)"

    def _sympystr(self, printer: sp.printing.str.StrPrinter) -> str:
        return f"O({printer._print(self.args[0])})"


class Tex(sp.Symbol):
    """A placeholder symbol whose name is printed verbatim as LaTeX (e.g. ``J^{T} \\nabla^{2} A J``)."""

    def _latex(self, printer: sp.printing.latex.LatexPrinter) -> str:
        return self.name


THETA = sp.Symbol("theta", real=True)
THETA_1 = sp.Symbol("theta_1", real=True)
THETA_2 = sp.Symbol("theta_2", real=True)
#: The natural-parameter vectors at the two points, η⁽¹⁾ and η⁽²⁾ (η₁, η₂ are coordinates).
ETA_1 = Tex(r"\eta^{(1)}")
ETA_2 = Tex(r"\eta^{(2)}")
X = sp.Symbol("x", real=True)
T = sp.Symbol("t", real=True)
