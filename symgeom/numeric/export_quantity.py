"""Standalone Python source of a family's compiled entropy or Fisher matrix (NumPy/SciPy imports only).

``quantity_module(derivation)`` is the text of a module defining ``entropy(…)`` or ``fisher(…)``
with the arguments of ``derivation.numpy()`` (its ``signature``: grouped arrays, a simplex or
pinned vector as one (..., k) array, Σ as one (..., d, d) array; they broadcast).  It is the very
function ``.numpy()`` runs, not a re-derivation: the export asks :mod:`symgeom.numeric.compile`
which kernel it built, takes the objects that kernel holds (the lambdified stable forms, the
dilation plan, the outcome sums), and writes them out with :func:`symgeom.numeric.bundle.bundle`
(the source of every symgeom routine they call, NumPy/SciPy imports, exact literals).  Inputs are
not validated (as ``.numpy(validate=False)``, but an input outside the domain is not masked:
it gives whatever the formula gives there).

Kernels carried: the outcome sums of finite supports (:mod:`symgeom.numeric.finite`), the softmax
entropy (:mod:`symgeom.backends.softmax_entropy`), the lambdified stable forms (logit charts'
softplus/σ rewriting, :func:`symgeom.numeric.compile._entry_functions`), the same evaluated through
the scale symmetry (:mod:`symgeom.numeric.dilation`) or in the precision matrix
(:mod:`symgeom.numeric.precision`).  Refused with :class:`NotExportableError` naming the reason:
a kernel that needs SymPy or mpmath at run time or holds state a module cannot carry (the
count-family saddle-point entropy, :mod:`symgeom.numeric.count_entropy`, whose μ tables are made by
mpmath on first use and whose fallback sums the derived series; an entry with an explicit sum,
:mod:`symgeom.numeric.explicit_sums`; general-size forms).
"""

from __future__ import annotations

import inspect
import keyword
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from symgeom.errors import UnknownQuantityError
from symgeom.numeric.bundle import NotExportableError, bundle

if TYPE_CHECKING:
    from symgeom.derivation import Derivation
    from symgeom.families.base import Family

QUANTITIES = ("entropy", "fisher")

_PUBLIC = '''

def _as_float(x):
    """float32 and float64 arrays are kept, other real input becomes float64 (as .numpy())."""
    x = np.asarray(x)
    return x if x.dtype in (np.float32, np.float64) else x.astype(np.float64)


def {name}({args}):
    """{doc}"""
    given = ({args},)
    arrays = _weak_scalars([_as_float(a) for a in given], given)
    with np.errstate(all="ignore"):
        return {result}
'''


#: Names the public function's body reads.
_BODY_NAMES = frozenset({"np", "given", "arrays", "_kernel", "_as_float", "_weak_scalars"})


def _nonlocals(function: Callable[..., Any], where: str) -> dict[str, Any]:
    values = inspect.getclosurevars(function).nonlocals
    if not values:
        raise NotExportableError(f"{where}: the compiled kernel holds no values to export")
    return values


def _entries(values: dict[str, Any], where: str) -> tuple[Callable[..., Any], tuple[int, ...]]:
    """The lambdified entry function and result shape a compile kernel holds."""
    function, shape = values["function"], values["shape"]
    if inspect.getclosurevars(function).nonlocals:
        raise NotExportableError(
            f"{where}: an entry keeps an explicit sum over the support (symgeom.numeric.explicit_sums), "
            "summed with a tail bound by closures built at compile time (their captured values have "
            "no source)")
    return function, shape


def _kernel_source(derivation: Derivation) -> tuple[list[tuple[Callable[..., Any], str | None]],
                                                     dict[str, Any], str]:
    """(root functions, constants, wiring source) reproducing the compiled kernel."""
    from symgeom.numeric import compile as compiled

    try:
        kernel = compiled._build(derivation).kernel
    except UnknownQuantityError as error:
        raise NotExportableError(f"{derivation.title}: no compiled function to export ({error})") from None
    try:
        return _source_of(kernel, derivation.family, derivation.quantity)
    except KeyError as error:  # symgeom.numeric.compile's kernels changed what they hold
        raise NotExportableError(
            f"{derivation.title}: the compiled kernel no longer holds {error}; the export must "
            "follow") from None


def _source_of(kernel: Callable[..., Any], family: Family, quantity: str
               ) -> tuple[list[tuple[Callable[..., Any], str | None]], dict[str, Any], str]:
    """(root functions, constants, wiring source) whose ``_kernel`` is ``kernel``."""
    from symgeom.backends import softmax_entropy
    from symgeom.numeric import compile as compiled
    from symgeom.numeric import dilation, finite, matrix_forms, precision, product_forms
    from symgeom.numeric.inputs import layout, unpack_layout

    kind = getattr(kernel, "__qualname__", type(kernel).__name__)
    where = f"{quantity} of {family.label} ({getattr(kernel, '__module__', '?')}.{kind})"
    shared: list[tuple[Callable[..., Any], str | None]] = [(compiled._weak_scalars, None)]
    products = (product_forms.summed_entropy, product_forms.placed_fisher)
    if isinstance(kernel, partial) and kernel.func in products:
        # a product of d coordinates: its factor's kernel (which .numpy() reaches through the
        # factor's compiled function, validate=False: the same values on valid inputs) as _factor
        one, *width = kernel.args
        roots, constants, wiring = _source_of(one._kernel, one.family, quantity)
        wiring = wiring.replace("def _kernel(", "def _factor(").replace("_kernel = ", "_factor = ")
        roots.append((kernel.func, None))
        arguments = ", ".join(["_factor", *(str(w) for w in width)])
        wiring += f"\n\ndef _kernel(*arrays):\n    return {kernel.func.__name__}({arguments}, *arrays)\n"
        return roots, constants, wiring
    if isinstance(kernel, partial) and kernel.func in (matrix_forms.scalar_form, matrix_forms.bilinear_form):
        # a result in matrix notation: its plan (plain data) and the Cholesky-based evaluation
        (plan,) = kernel.args
        wiring = f"def _kernel(*arrays):\n    return {kernel.func.__name__}(PLAN, *arrays)\n"
        return [*shared, (kernel.func, None)], {"PLAN": plan}, wiring
    if kernel is softmax_entropy.numpy_entropy:
        return [*shared, (softmax_entropy.numpy_entropy, None)], {}, "_kernel = numpy_entropy\n"
    if kind == "_finite_kernel.<locals>.kernel":
        values = _nonlocals(kernel, where)
        function = values["function"]
        simplex = tuple(values["simplex"])
        roots = [*shared, (unpack_layout, None)]
        if isinstance(function, partial) and function.func is finite.fisher_sum:
            probabilities, scores, n = function.args
            roots += [(finite.fisher_sum, None), (probabilities, "_probabilities"), (scores, "_scores")]
            call = f"fisher_sum(_probabilities, _scores, {n}, *scalars)"
        else:
            roots.append((function, "_function"))
            call = "_function(*scalars)"
        wiring = (
            "def _kernel(*arrays):\n"
            "    scalars = unpack_layout(LAYOUT, arrays) + [arrays[i][..., -1] for i in SIMPLEX]\n"
            "    dtype = np.result_type(*arrays, np.float32)\n"
            f"    return np.asarray({call}, dtype=dtype)[()]\n"
        )
        return roots, {"LAYOUT": layout(family), "SIMPLEX": simplex}, wiring
    if kind == "_lambdified.<locals>.kernel":
        values = _nonlocals(kernel, where)
        if values["points"] != 1:
            raise NotExportableError(f"{where}: a kernel of {values['points']} points")
        function, shape = _entries(values, where)
        wiring = (
            "def _kernel(*arrays):\n"
            "    scalars = unpack_layout(LAYOUT, arrays)\n"
            "    return _stack(list(_entries(*scalars)), SHAPE, np.result_type(*arrays))\n"
        )
        roots = [*shared, (unpack_layout, None), (compiled._stack, None), (function, "_entries")]
        return roots, {"LAYOUT": layout(family), "SHAPE": shape}, wiring
    if kind == "_dilated.<locals>.kernel":
        chosen = _nonlocals(kernel, where)["chosen"]
        plan = None
        if isinstance(chosen, partial) and chosen.func is dilation.rescale:
            plan, chosen = chosen.args
        values = _nonlocals(chosen, where)
        function, shape = _entries(values, where)
        roots = [*shared, (unpack_layout, None), (compiled._stack, None), (function, "_entries")]
        constants: dict[str, Any] = {"LAYOUT": layout(family), "SHAPE": shape}
        arguments = "scalars"
        if values["inverse"] is not None:
            roots.append((precision.precision_scalars, None))
            constants["BLOCKS"] = tuple(precision.matrix_blocks(family))
            arguments = "precision_scalars(BLOCKS, scalars)"
        wiring = (
            "def _evaluate(scalars):\n"
            f"    arguments = {arguments}\n"
            "    return _stack(list(_entries(*arguments)), SHAPE, np.result_type(*scalars))\n\n\n"
        )
        if plan is None:
            wiring += "def _kernel(*arrays):\n    return _evaluate(unpack_layout(LAYOUT, arrays))[()]\n"
        else:
            roots.append((dilation.rescale, None))
            constants["PLAN"] = plan
            wiring += ("def _kernel(*arrays):\n"
                       "    return rescale(PLAN, _evaluate, unpack_layout(LAYOUT, arrays))[()]\n")
        return roots, constants, wiring
    reasons = {
        "symgeom.numeric.count_entropy": (
            "the count-family saddle-point entropy (symgeom.numeric.count_entropy) makes its μ tables "
            "with mpmath on first use and falls back to the derived series, built from SymPy at run time"),
        "symgeom.backends.general_forms": "a general-size form is evaluated by symgeom's matrix printer",
    }
    reason = reasons.get(getattr(kernel, "__module__", ""), "no standalone form is written for this kernel")
    raise NotExportableError(f"{where} cannot be exported as a standalone module: {reason}")


def quantity_module(derivation: Derivation) -> str:
    """The module text (see the module docstring) for an entropy or Fisher derivation."""
    from symgeom.numeric.compile import signature
    from symgeom.numeric.export_endpoints import FINISH, endpoint_parts

    if derivation.quantity not in QUANTITIES or derivation.family is None:
        raise NotExportableError(
            f"{derivation.title}: only the entropy and Fisher matrix of a concrete family are exported "
            "here (KL: symgeom.numeric.export.kl_module)")
    roots, constants, wiring = _kernel_source(derivation)
    sig = signature(derivation)
    result = "_kernel(*arrays)"
    ends = endpoint_parts(derivation.family, derivation.quantity, sig.inputs)
    if ends is not None:  # the form's nan on an included endpoint: the limit there, as .numpy()
        more_roots, more_constants, limits = ends
        roots, constants = [*roots, *more_roots], {**constants, **more_constants}
        wiring = wiring + "\n\n" + limits
        result = FINISH.format(out=result, arrays="arrays")
    # a parameter named like a keyword (lambda), like a name the function body reads (np), or not
    # an identifier is renamed positionally
    args = ", ".join(i.name if i.name.isidentifier() and not keyword.iskeyword(i.name)
                     and i.name not in _BODY_NAMES else f"arg{n}" for n, i in enumerate(sig.inputs))
    name = derivation.quantity
    body = bundle(roots, constants)
    lines = [f"    {line}".replace("\\", "\\\\") if line else "" for line in str(sig).splitlines()]
    title = derivation.title.replace("\\", "\\\\")
    header = (
        f'"""{title}: the function symgeom compiles (Derivation.numpy()), standalone.\n\n'
        f"    {name}({args})\n\n" + "\n".join(lines[1:]) + "\n\n"
        "Generated by symgeom.numeric.export; inputs are not validated.\n"
        '"""\n\n'
        "from __future__ import annotations\n\n"
    )
    doc = f"{sig.quantity} of {sig.family}; arguments broadcast, output {sig.output}."
    public = _PUBLIC.format(name=name, args=args, doc=doc, result=result)
    return header + body + "\n\n" + wiring + public
