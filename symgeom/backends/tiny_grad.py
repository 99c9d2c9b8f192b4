"""The derivative at entries with a tiny input (:mod:`symgeom.backends.subnormal_inputs`), from the
derived result in extended range.

At an input below 2⁻⁵¹¹ the printed form's derivative leaves the float range in its intermediates
(σ₂ = 10⁻³⁰⁰: the partial (μ₁ − μ₂)/σ₂² is 0/0, and XLA on the CPU reads σ₁ = 3·10⁻³²⁰ as 0): JAX
and eager CPU torch gave nan where the true ∂KL/∂σ₂ is 10³⁰⁰.  There the values already come from
``derivation.numpy``; the derivatives come from the derived result itself,

    ∂f/∂xᵢ = the SymPy derivative of ``derivation.result`` in the chart's argument xᵢ,

evaluated per entry by mpmath at :data:`DIGITS` significant digits (its exponent range is
unbounded, so nothing under- or overflows before the final rounding to the float format: a true
derivative past the format's range is ±inf, a representable one is rounded once).  Only the
entries with a tiny input are evaluated (they are rare); the others keep the printed form's
derivative.  Charts whose arguments are all scalars and quantities with one value per entry (KL,
entropy); elsewhere (vector and matrix arguments, Fisher matrices, results with an explicit sum)
:func:`partials_for` is None and the printed form's derivative stays.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp

if TYPE_CHECKING:
    from symgeom.derivation import Derivation

#: Working precision of the mpmath evaluation; a derivative that cancels (a near pair at a relative
#: 1e-14 loses 14 digits) still has 30 left before its rounding to float64.
DIGITS = 50

Partials = Callable[[list[np.ndarray], np.ndarray], list[np.ndarray]]


@cache
def partials_for(derivation: Derivation) -> Partials | None:
    """``partials(arrays, mask)``: ∂f/∂(each argument) over the broadcast shape, at the entries of
    ``mask`` (0 elsewhere); None where the module docstring says the printed derivative stays."""
    from symgeom.numeric.inputs import inputs

    family = derivation.family
    result = derivation.result
    if family is None or any(i.kind != "scalar" for i in inputs(family)):
        return None
    if isinstance(result, sp.MatrixBase) or sp.sympify(result).has(sp.Sum):
        return None
    symbols = tuple(derivation.arguments)
    return _Partials(sp.sympify(result), symbols)


class _Partials:
    """The derivatives of one result, lambdified for mpmath on first use."""

    def __init__(self, result: sp.Expr, symbols: tuple[sp.Symbol, ...]) -> None:
        self._result = result
        self._symbols = symbols
        self._functions: list[Callable[..., Any]] | None = None

    def _built(self) -> list[Callable[..., Any]]:
        if self._functions is None:
            self._functions = [sp.lambdify(self._symbols, sp.diff(self._result, s), "mpmath")
                               for s in self._symbols]
        return self._functions

    def __call__(self, arrays: list[np.ndarray], mask: np.ndarray) -> list[np.ndarray]:
        import mpmath as mp

        functions = self._built()
        shape = np.broadcast_shapes(mask.shape, *[np.shape(a) for a in arrays])
        dtype = np.result_type(*arrays)
        full = [np.broadcast_to(a, shape) for a in arrays]
        where = np.broadcast_to(mask, shape)
        out = [np.zeros(shape, dtype=dtype) for _ in functions]
        with mp.workdps(DIGITS):
            for index in map(tuple, np.argwhere(where)):
                point = [mp.mpf(float(a[index])) for a in full]
                for target, f in zip(out, functions, strict=True):
                    target[index] = _rounded(f(*point), dtype)
        return out


def _rounded(value: Any, dtype: np.dtype) -> float:
    """An mpmath number rounded once to ``dtype`` (±inf past its range; nan if not real)."""
    import mpmath as mp

    if isinstance(value, mp.mpc):
        value = value.real if value.imag == 0 else mp.nan
    with np.errstate(over="ignore"):
        return np.asarray(float(value)).astype(dtype)
