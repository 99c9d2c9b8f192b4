"""One printer for every backend: a SymPy expression becomes Python source over a namespace ``numpy``.

The source is NumPy-printer code (``numpy.exp(x)``, ``kl_div(a, b, d)``, ``chi(y)`` — each stable
primitive prints itself through its ``_numpycode``), executed with ``numpy`` bound to an Array API
namespace shim and the primitive names bound to an :class:`~symgeom.backends.ops.Ops`'s wrapped
primitives.  So one expression runs on torch, JAX, NumPy, CuPy or Dask, and a primitive is
implemented once per namespace, never per family.  Two rewrites happen before printing:

* constant subexpressions (log 2, π, √2 …) are folded to Python floats, which stay weakly typed
  (a float32 input gives a float32 result);
* log(Σᵢ e^{xᵢ} + c) is printed as ``logsumexp`` of the stacked exponents (c > 0 as e^{log c}),
  which cannot overflow.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, partial
from typing import Any

import sympy as sp
from sympy.printing.numpy import NumPyPrinter

from symgeom.backends import finite_forms, stirling, tiny_entropy
from symgeom.backends.bregman import bregman_kl
from symgeom.backends.log_terms import guarded_logs
from symgeom.backends.ops import is_number
from symgeom.backends.quotient_forms import quot_sum, quotient_forms
from symgeom.backends.range_forms import diff_quot
from symgeom.backends.tiny_forms import log_kl_div, log_polygamma, tiny_rescue_for
from symgeom.backends.tiny_kl import namespace as tiny_namespace
from symgeom.backends.weighted_chi import weighted_chi, weighted_chis
from symgeom.errors import UnknownQuantityError
from symgeom.numeric.trigamma_gap import log_trigamma_gap_for, trigamma_gap_for

#: NumPy names the NumPy printer may emit, and their Array API spelling.
_RENAMES = {"absolute": "abs", "power": "pow", "arctan": "atan", "arcsin": "asin", "arccos": "acos",
            "arctanh": "atanh", "arcsinh": "asinh", "arccosh": "acosh", "arctan2": "atan2"}


class NamespaceShim:
    """``numpy.<name>`` in printed code, answered by an Array API namespace ``xp``."""

    def __init__(self, xp: Any) -> None:
        self._xp = xp

    def __getattr__(self, name: str) -> Any:
        return getattr(self._xp, _RENAMES.get(name, name))


def fold_constants(expr: sp.Basic) -> sp.Basic:
    """Every subexpression without free symbols that is not a plain number, as a 17-digit Float."""
    if not expr.args or expr.is_Number:
        return expr
    if not expr.free_symbols and expr.is_real:
        return sp.Float(sp.N(expr, 20), 17)
    return expr.func(*[fold_constants(a) for a in expr.args])


class BackendPrinter(NumPyPrinter):
    """NumPy printer with the overflow-free log-sum-exp rewrite."""

    def _print_log(self, expr: sp.log) -> str:
        (arg,) = expr.args
        if isinstance(arg, sp.Add):
            exponents = []
            for term in arg.args:
                if isinstance(term, sp.exp):
                    exponents.append(term.args[0])
                elif term.is_Number and term.is_positive:
                    exponents.append(sp.Float(sp.N(sp.log(term), 20), 17))
                else:
                    break
            else:
                inner = ", ".join(self._print(e) for e in exponents)
                return f"logsumexp(_stack({inner}))"
        return super()._print_log(expr) if hasattr(super(), "_print_log") else self._print_Function(expr)


    def _print_loggamma(self, expr: sp.loggamma) -> str:
        return f"gammaln({self._print(expr.args[0])})"

    def _print_digamma(self, expr: sp.digamma) -> str:
        return f"polygamma(0, {self._print(expr.args[0])})"

    def _print_polygamma(self, expr: sp.polygamma) -> str:
        order, arg = expr.args
        if not (order.is_Integer and order >= 0):
            return self._print_not_supported(expr)
        return f"polygamma({int(order)}, {self._print(arg)})"


def special_functions(name: str) -> dict[str, Any]:
    """log Γ and ψ⁽ⁿ⁾ of the backend ``name``: :mod:`symgeom.backends.special` (torch),
    jax.scipy.special, else SciPy."""
    if name == "torch":
        from symgeom.backends.special import torch_functions

        return torch_functions()  # torch's own trigamma is good to only ~5e-10
    if name == "jax":
        from symgeom.backends.special import jax_functions

        return jax_functions()
    import scipy.special as ss

    return {"gammaln": ss.gammaln, "polygamma": ss.polygamma}


@dataclass(frozen=True)
class Source:
    """Printed code of one or more expressions of ``arguments`` (a tuple when several)."""

    text: str
    arguments: tuple[str, ...]
    count: int


@cache
def print_source(expressions: tuple[sp.Basic, ...], arguments: tuple[sp.Symbol, ...]) -> Source:
    """Source text of ``def _generated(args): return (e₁, e₂, …)`` for the given expressions."""
    settings = {"fully_qualified_modules": True, "inline": True, "allow_unknown_functions": True}
    printer = BackendPrinter(settings)
    names = tuple(_identifier(printer.doprint(a)) for a in arguments)
    rename = {a: sp.Symbol(n, **a.assumptions0) for a, n in zip(arguments, names, strict=True)}
    body = [printer.doprint(fold_constants(quotient_forms(weighted_chis(guarded_logs(sp.sympify(e))))
                                           .xreplace(rename)))
            for e in expressions]
    text = f"def _generated({', '.join(names)}):\n    return ({', '.join(body)},)\n"
    return Source(text, names, len(body))


def _identifier(name: str) -> str:
    clean = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    return f"{clean}_" if keyword.iskeyword(clean) or not clean.isidentifier() else clean


@cache
def bind(source: Source, ops: Any) -> Callable[..., tuple[Any, ...]]:
    """The printed function with ``numpy`` and the primitives bound to ``ops``."""
    from symgeom.backends.scale_forms import evaluate as dilated

    stirling.special_for(ops)  # its log Γ and ψ built here, outside any trace (see there)
    namespace: dict[str, Any] = {
        "numpy": NamespaceShim(ops.xp),
        "kl_div": ops.kl_div,
        "kl_div_log": partial(ops.kl_div, through_log=True),  # symgeom.backends.quotient_forms
        "bregman_kl": partial(bregman_kl, ops),
        "chi": ops.chi,
        "logsumexp": ops.logsumexp,
        "_stack": lambda *xs: _stack(ops, xs),
        "sigmoid": _sigmoid(ops),
        "softplus": ops.primitive("softplus"),
        "softplus_diff": ops.primitive("softplus_diff"),
        "logit_entropy": ops.primitive("logit_entropy"),
        "logsumexp_args": partial(finite_forms.logsumexp_args, ops),
        "entr_log": partial(finite_forms.entr_log, ops),
        "scaled_score": partial(finite_forms.scaled_score, ops),
        "weighted_chi": partial(weighted_chi, ops),
        "ratio": ops.primitive("ratio"),
        "log_quotient": ops.primitive("log_quotient"),  # symgeom.numeric.log_quotient
        "quot_sum": partial(quot_sum, ops),  # symgeom.backends.quotient_forms
        "diff_quot": partial(diff_quot, ops),  # symgeom.backends.range_forms
        "softplus_diff_scaled": ops.primitive("softplus_diff_scaled"),
        "scaled_ratio": ops.primitive("scaled_ratio"),
        "scaled_sum": ops.primitive("scaled_sum"),
        "dilated": partial(dilated, ops),  # symgeom.backends.scale_forms
        "tiny_rescue": tiny_rescue_for(ops.name, ops.xp),  # symgeom.backends.tiny_forms
        "log_kl_div": partial(log_kl_div, ops.xp),
        "lngamma_kl": partial(stirling.lngamma_kl, ops),  # symgeom.backends.stirling
        "stirling_phi": partial(stirling.phi, ops),
        "stirling_phi_prime": partial(stirling.phi_prime, ops),
        "log_polygamma": partial(log_polygamma, ops),  # symgeom.backends.tiny_forms
        "trigamma_gap": trigamma_gap_for(ops.xp),  # symgeom.numeric.trigamma_gap
        "log_trigamma_gap": log_trigamma_gap_for(ops.xp),
        **tiny_entropy.printed_names(ops),  # symgeom.backends.tiny_entropy
        **tiny_namespace(ops),  # log_chi, log_bregman (symgeom.backends.tiny_kl)
        **special_functions(ops.name),
    }
    exec(compile(source.text, "<symgeom.backends>", "exec"), namespace)
    generated = namespace["_generated"]

    def call(*args: Any) -> tuple[Any, ...]:
        try:
            return generated(*args)
        except NameError as error:
            raise UnknownQuantityError(
                f"the stable form uses {error.name!r}, which has no {ops.name} implementation "
                "(add it to symgeom.backends.primitives.PRIMITIVES)"
            ) from None

    return call


def _sigmoid(ops: Any) -> Callable[[Any], Any]:
    """σ(x) without overflow, differentiable where the library is: torch.sigmoid, jax.nn.sigmoid,
    else from e = e^{−|x|} ≤ 1: 1/(1 + e) for x ≥ 0, e/(1 + e) below."""
    if ops.name == "torch":
        import torch

        def torch_sigmoid(x: Any) -> Any:
            # torch.sigmoid is 0 below x ≈ −709 (float64), where σ(x) = eˣ to 1e-300 relative
            return torch.where(x < -700, torch.exp(x), torch.sigmoid(x))

        return torch_sigmoid
    if ops.name == "jax":
        import jax

        return jax.nn.sigmoid
    xp = ops.xp

    def sigmoid(x: Any) -> Any:
        e = xp.exp(-xp.abs(x))
        return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))

    return sigmoid


def _stack(ops: Any, values: Sequence[Any]) -> Any:
    """Stack scalars and arrays along a new last axis, broadcasting them first."""
    like = next((v for v in values if not is_number(v)), None)
    arrays = [ops.asarray(v, like) if is_number(v) else v for v in values]
    arrays = ops.xp.broadcast_arrays(*arrays)
    return ops.xp.stack(arrays, axis=-1)
