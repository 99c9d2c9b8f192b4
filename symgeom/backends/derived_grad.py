"""Derived gradients of a printed stable KL form, evaluated by NumPy in cache-sized blocks.

For a stable form F(θ) built from kl_div and χ (:mod:`symgeom.numeric.symbolic`) the gradient
is written symbolically, by the chain rule through the primitives' derived partials:

    ∂F/∂x = ∂F/∂x|primitives fixed + Σ_kl_div(a,b) ∂F/∂kl·(log(a/b)·∂a/∂x − (d/b)·∂b/∂x)
                                   + Σ_χ(y) ∂F/∂χ·y·eʸ·∂y/∂x,

d = a − b being the factored difference the printer gives kl_div (−expm1(x) for kl_div(1, eˣ))
and log(a/b) printed as ``log_ratio(a, b, d)`` (log1p(d/b) near a = b; −x for kl_div(1, eˣ)):
the partials the torch primitives chain at run time, so the same digits, and 0, not nan, at
p = q.  Common subexpressions are shared (CSE) and nothing is expanded (an expanded σ₁² − σ₂²
would cancel).  A form with any other function (log-sum-exp, log Γ, …) or a primitive nested in
a primitive gets no derived gradient (``None``), and the caller differentiates the recomputed
value instead.

:mod:`symgeom.backends.fast_grad` uses it for the backward of eager CPU torch when no graph is
asked for: one pass of NumPy over blocks of the saved inputs (where the recomputation took a pass
over memory per torch operation of the value and as many for its autograd backward).  Double
backward (``create_graph=True``) keeps the recomputation, whose graph is differentiable.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp
from sympy.codegen.cfunctions import expm1

from symgeom.backends import primitives
from symgeom.backends.printer import BackendPrinter, fold_constants
from symgeom.backends.quotient_forms import quotient_forms
from symgeom.backends.quotient_sum import quot_sum_value
from symgeom.backends.range_forms import diff_quot

if TYPE_CHECKING:
    from symgeom.families.base import Family

Array = Any

#: Binary exponent bound of the inputs where the derived gradient is evaluated (Gradient.in_range).
RANGE = 250

#: Entries per block: ~30 float64 temporaries of 8 192 entries (64 KiB each) stay in L2.
BLOCK = 1 << 13


class LogRatio(sp.Function):
    """log(a/b), given d = a − b exactly (printed ``log_ratio(a, b, d)``: log1p(d/b) near a = b)."""

    nargs = 3

    def _numpycode(self, printer: Any) -> str:
        return f"log_ratio({', '.join(printer._print(x) for x in self.args)})"


def _kl_div_partials(a: sp.Expr, b: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """(∂a, ∂b) of kl_div(a, b) = (log(a/b), −d/b), with d as the printer writes it."""
    if a == 1 and isinstance(b, sp.exp):
        x = b.args[0]
        return -x, expm1(x) / b
    d = sp.factor(a - b)
    return LogRatio(a, b, d), -d / b


def gradient_expressions(expr: sp.Expr, symbols: tuple[sp.Symbol, ...]) -> tuple[sp.Expr, ...] | None:
    """∂expr/∂x for each symbol x (module docstring), or None where that rule does not apply."""
    from symgeom.numeric.symbolic import Chi, KLDiv

    found = sorted(expr.atoms(KLDiv, Chi), key=sp.default_sort_key)
    if any(arg.has(KLDiv, Chi) for p in found for arg in p.args):
        return None
    others = {type(f) for f in expr.atoms(sp.Function)} - {KLDiv, Chi}
    if not others <= {sp.exp, expm1} or expr.has(sp.log):
        return None
    dummies = [sp.Dummy(f"u{i}") for i in range(len(found))]
    outer = expr.xreplace(dict(zip(found, dummies, strict=True)))
    back = dict(zip(dummies, found, strict=True))
    result = []
    for x in symbols:
        total = sp.diff(outer, x)
        for primitive, u in zip(found, dummies, strict=True):
            weight = sp.diff(outer, u)
            if weight == 0:
                continue
            if isinstance(primitive, KLDiv):
                a, b = primitive.args
                partial_a, partial_b = _kl_div_partials(a, b)
                chain = partial_a * sp.diff(a, x) + partial_b * sp.diff(b, x)
            else:
                (y,) = primitive.args
                chain = y * sp.exp(y) * sp.diff(y, x)
            total += weight * chain
        result.append(total.xreplace(back))
    return tuple(result)


class _GradientPrinter(BackendPrinter):
    """Small integer powers of a name as products (NumPy's ``x**(-3.0)`` is a general ``pow``)."""

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:  # noqa: N802 (SymPy name)
        base, exponent = expr.args
        if base.is_Symbol and exponent.is_Integer and 1 <= abs(int(exponent)) <= 4:
            product = "*".join([self._print(base)] * abs(int(exponent)))
            return f"({product})" if exponent > 0 else f"(1/({product}))"
        return super()._print_Pow(expr, rational=rational)


def gradient_source(expr: sp.Expr, symbols: tuple[sp.Symbol, ...]) -> str | None:
    """Source of ``def _gradient(*symbols): return (∂/∂x₁, …)`` with shared subexpressions."""
    gradients = gradient_expressions(expr, symbols)
    if gradients is None:
        return None
    printer = _GradientPrinter({"fully_qualified_modules": True, "inline": True,
                                "allow_unknown_functions": True})
    names = [f"_x{i}" for i in range(len(symbols))]
    rename = {s: sp.Symbol(n, real=True) for s, n in zip(symbols, names, strict=True)}
    # the printed forms' quotient rewrites (exact numerator of a cancelling a/b + c/d, (x/y)ⁿ for
    # xⁿ/yⁿ): a natural-chart Gaussian ∂KL/∂η at a relative 1e-7 step was 2.7e-9 off without them
    folded = [fold_constants(quotient_forms(sp.sympify(g)).xreplace(rename)) for g in gradients]
    shared, reduced = sp.cse(folded, symbols=sp.numbered_symbols("_c"), optimizations=None)
    lines = [f"def _gradient({', '.join(names)}):"]
    lines += [f"    {name} = {printer.doprint(value)}" for name, value in shared]
    lines.append(f"    return ({', '.join(printer.doprint(g) for g in reduced)},)")
    return "\n".join(lines) + "\n"


def _log_ratio(a: Array, b: Array, d: Array) -> Array:
    like = next(x for x in (d, a, b) if isinstance(x, np.ndarray))
    a, b, d = np.broadcast_arrays(*[np.asarray(x, dtype=like.dtype) for x in (a, b, d)])
    return primitives.log_ratio(np, a, b, d)


def _arrays(*xs: Any) -> list[np.ndarray]:
    like = next((x for x in xs if isinstance(x, np.ndarray)), None)
    dtype = np.float64 if like is None else like.dtype
    return np.broadcast_arrays(*[np.asarray(x, dtype=dtype) for x in xs])


def _quot_sum(a: Array, b: Array, c: Array, d: Array) -> Array:
    """a/b + c/d with an exact numerator (:mod:`symgeom.backends.quotient_sum`) on NumPy arrays."""
    return quot_sum_value(np, *_arrays(a, b, c, d))


def _diff_quot(x: Array, y: Array, b: Array) -> Array:
    """(x − y)/b scaled out of the subnormal range (:func:`symgeom.backends.range_forms.diff_quot`)."""
    import array_api_compat.numpy as xp

    from symgeom.backends.ops import namespace_ops

    return diff_quot(namespace_ops(xp), *_arrays(x, y, b))


@cache
def _compiled(source: str) -> Callable[..., tuple[Array, ...]]:
    from symgeom.numeric import kernels

    # A gradient may hold the primitives' values themselves (∂/∂θ₁ of e^{θ₁}·kl_div(1, e^{θ₂−θ₁})).
    namespace: dict[str, Any] = {"numpy": np, "log_ratio": _log_ratio, "kl_div": kernels.kl_div,
                                 "chi": kernels.chi, "quot_sum": _quot_sum, "diff_quot": _diff_quot,
                                 "ratio": np.divide, "log_quotient": kernels.log_quotient}
    exec(compile(source, "<symgeom.backends.derived_grad>", "exec"), namespace)
    return namespace["_gradient"]


class Gradient:
    """∂KL/∂(each grouped input) of one chart's stable form, for NumPy arrays (module docstring).

    ``family``'s arrays must all be scalars or plain vectors (no simplex, pinned or matrix
    layouts, whose entries are not free coordinates one to one).
    """

    def __init__(self, family: Family, points: int, source: str) -> None:
        self._family = family
        self._function = _compiled(source)
        self._counts = [1 if a.form == "scalar" else a.count for a in family.chart.array_arguments]
        self._cores = [0 if a.form == "scalar" else 1 for a in family.chart.array_arguments] * points
        self._points = points

    def _partials(self, arrays: list[np.ndarray]) -> list[np.ndarray]:
        """∂KL/∂(each grouped input) at the given (broadcast-compatible) arrays."""
        from symgeom.numeric.inputs import unpack

        per = len(self._counts)
        scalars: list[np.ndarray] = []
        for point in range(self._points):
            scalars += unpack(self._family, tuple(arrays[point * per : (point + 1) * per]))
        with np.errstate(all="ignore"):
            values = self._function(*scalars)
        shape = np.broadcast_shapes(*[np.shape(s) for s in scalars])
        dtype = np.result_type(*arrays)
        values = [v if np.shape(v) == shape else np.broadcast_to(np.asarray(v, dtype=dtype), shape)
                  for v in values]
        out, start = [], 0
        for count in self._counts * self._points:
            group = values[start : start + count]
            out.append(group[0] if count == 1 and self._cores[len(out)] == 0 else np.stack(group, axis=-1))
            start += count
        return out

    @staticmethod
    def in_range(arrays: list[np.ndarray]) -> bool:
        """Whether every nonzero input lies in [2⁻ᴿ, 2ᴿ], R = :data:`RANGE`: there the printed
        partials' products and powers (up to 4 factors) stay normal numbers.  Outside, a cube
        σ₂³ under- or overflows (∂KL/∂σ₂ at σ₂ = 2.3e124 was 0 for 1.1e-132) and the caller
        differentiates the primitives instead (:mod:`symgeom.backends.fast_grad`)."""
        for a in arrays:
            if a.size == 0:
                continue
            magnitude = np.abs(a)
            top = float(magnitude.max())
            low = float(np.min(magnitude, initial=np.inf, where=magnitude > 0))
            if not (top <= 2.0**RANGE and low >= 2.0**-RANGE):
                return False
        return True

    def __call__(self, arrays: list[np.ndarray], grad: np.ndarray) -> list[np.ndarray]:
        """grad·∂KL/∂(each input), each reduced to its input's shape."""
        batch = [a.shape[: a.ndim - core] for a, core in zip(arrays, self._cores, strict=True)]
        scalar_grad = grad.size > 0 and all(s == 0 for s in grad.strides)
        if len(set(batch)) == 1 and all(a.flags.c_contiguous for a in arrays):
            return self._blocked(arrays, grad, scalar_grad)
        partials = self._partials(arrays)
        out = []
        for a, core, p in zip(arrays, self._cores, partials, strict=True):
            g = grad.reshape(grad.shape + (1,) * core)
            full = p * g
            out.append(_sum_to(full, a.shape))
        return out

    def _blocked(self, arrays: list[np.ndarray], grad: np.ndarray, scalar_grad: bool) -> list[np.ndarray]:
        n = int(np.prod(arrays[0].shape[: arrays[0].ndim - self._cores[0]]))
        cores = self._cores
        flat = [a.reshape((n, *a.shape[a.ndim - core :])) for a, core in zip(arrays, cores, strict=True)]
        weight = grad.reshape(-1)[0] if scalar_grad else np.ascontiguousarray(grad).reshape(n)
        out = [np.empty(f.shape, dtype=np.result_type(*arrays)) for f in flat]
        for start in range(0, n, BLOCK):
            stop = min(start + BLOCK, n)
            partials = self._partials([f[start:stop] for f in flat])
            w = weight if scalar_grad else weight[start:stop]
            for target, p, core in zip(out, partials, self._cores, strict=True):
                np.multiply(p, w if scalar_grad or core == 0 else w[:, None], out=target[start:stop])
        return [o.reshape(a.shape) for o, a in zip(out, arrays, strict=True)]


def _sum_to(x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum a broadcast product back to an input's shape."""
    lead = x.ndim - len(shape)
    kept = tuple(i + lead for i, n in enumerate(shape) if n == 1 and x.shape[i + lead] != 1)
    axes = tuple(range(lead)) + kept
    return np.sum(x, axis=axes).reshape(shape) if axes else np.ascontiguousarray(x)


@cache
def gradient_for(
    family: Family, points: int, expr: sp.Expr, symbols: tuple[sp.Symbol, ...]
) -> Gradient | None:
    """The derived gradient of ``expr`` for ``family``'s grouped inputs, or None (module docstring)."""
    if any(a.form not in ("scalar", "vector") for a in family.chart.array_arguments):
        return None
    source = gradient_source(expr, symbols)
    return None if source is None else Gradient(family, points, source)
