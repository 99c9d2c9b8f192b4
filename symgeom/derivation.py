"""Derivation: the ordered steps (expression + one-line justification) that produced a result."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sympy as sp

if TYPE_CHECKING:
    from symgeom.families.base import Family


@dataclass(frozen=True)
class Step:
    """One line of a derivation: ``lhs relation expression``, justified in one short sentence.

    ``lhs`` is ``None`` for a continuation line (it then reads ``= expression``; the first step's
    left-hand side is the derivation's ``symbol_latex``).  ``justification`` is plain text; it may
    contain inline math between ``$…$``.  ``facts`` are the equations the step uses (moments such
    as E[x²] = μ² + σ², A(η), ∇A(η), η(θ)), shown next to it.
    """

    expression: sp.Basic
    justification: str
    lhs: sp.Basic | None = None
    relation: str = "="
    facts: tuple[sp.Basic, ...] = ()


@dataclass(frozen=True, repr=False)
class Derivation:
    """A derived quantity of one family in one parameterization, by one route.

    ``family`` is ``None`` for the general identities (abstract p(x; θ)) of proofs/.
    ``result`` is a SymPy expression (scalars) or an immutable Matrix (Fisher); ``arguments`` is
    the argument order of :meth:`numpy` (θ₁ then θ₂ for KL, θ for Fisher and entropy).
    Rendering only reads the steps; nothing re-derives to print.
    """

    quantity: str
    route: str
    family: Family | None
    title: str
    symbol_latex: str
    steps: tuple[Step, ...]
    result: sp.Basic
    arguments: tuple[sp.Symbol, ...]

    # --- printing (delegated to symgeom.render) -----------------------------------------------
    def latex(self, standalone: bool = False, width: str | float = "textwidth",
              numbered: bool = False) -> str:
        """An ``align*`` block with ``\\text{}`` justifications, or a whole document.

        ``width``: ``"textwidth"`` (6.5 in), ``"columnwidth"`` (3.25 in, one column of a
        two-column paper) or inches; long lines are broken by structure to fit it.
        ``numbered``: ``align`` with one equation number per step (``\\label``-able).
        The snippet needs only the packages of :func:`symgeom.latex_preamble`.
        """
        from symgeom.render import latex

        return latex.render_derivation(self, standalone=standalone, width=width, numbered=numbered)

    def markdown(self) -> str:
        """GitHub-flavoured Markdown with ``$$`` math."""
        from symgeom.render import markdown

        return markdown.render_derivation(self)

    def text(self) -> str:
        """Plain text, one step a line."""
        from symgeom.render import text

        return text.render_derivation(self)

    def _repr_latex_(self) -> str:
        from symgeom.render import latex

        return latex.render_for_jupyter(self)

    def __str__(self) -> str:
        return f"{self.title}: {self.result}"

    def __repr__(self) -> str:
        """A one-line summary (quantity, family, route, abbreviated result, number of steps);
        ``text()`` prints the steps, ``latex()``/``markdown()`` render them."""
        from symgeom.render import text

        return text.summary(self)

    # --- numerics (delegated to symgeom.numeric) ----------------------------------------------
    def numpy(self, validate: bool = True) -> Callable[..., Any]:
        """A vectorized, numerically stable NumPy function of ``arguments`` (see symgeom.numeric)."""
        from symgeom.numeric import compile_derivation

        return compile_derivation(self, validate=validate)

    def torch(self, validate: bool = True) -> Callable[..., Any]:
        """The same function on torch tensors: dtype/device kept, autograd (incl. double backward)."""
        from symgeom.backends.compile import compile_backend

        return compile_backend(self, "torch", validate=validate)

    def jax(self, validate: bool = True) -> Callable[..., Any]:
        """The same function on JAX arrays: ``jit``, ``grad``, ``vmap`` and ``hessian`` work."""
        from symgeom.backends.compile import compile_backend

        return compile_backend(self, "jax", validate=validate)

    def array_api(self, validate: bool = True) -> Callable[..., Any]:
        """The same function on any Array API array (NumPy, CuPy, Dask … via array-api-compat)."""
        from symgeom.backends.compile import compile_backend

        return compile_backend(self, "array_api", validate=validate)
