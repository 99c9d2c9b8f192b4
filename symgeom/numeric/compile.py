"""compile_derivation: a Derivation becomes a cached, validated, broadcasting NumPy function.

KL uses the stable hand-vectorized kernels of :mod:`symgeom.numeric.kl` (each the transcription
of a SymPy form proved equal to the derived KL); Fisher matrices, entropies and any other
quantity are lambdified from ``derivation.result`` once per (family, quantity, route) and cached,
so calling the function never touches SymPy.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache, partial
from typing import TYPE_CHECKING, Any

import numpy as np

from symgeom.backends import softmax_entropy
from symgeom.errors import InvalidParameterError, OutOfRangeError, UnknownQuantityError
from symgeom.numeric import (
    endpoint_limits,
    finite,
    kernels,
    refusal,
    simplex_forms,
    special,
    stirling,
    tiny_sums,
)
from symgeom.numeric import kl as kl_kernels
from symgeom.numeric.dilation import rescaled
from symgeom.numeric.inputs import (
    Input,
    RangeObserver,
    as_float,
    broadcast_check,
    inputs,
    invalid_mask,
    joint_constraints,
    signed_zero,
    unpack,
    unsigned_zeros,
    validate,
)
from symgeom.numeric.logdet import cholesky_logdet, logdet_form
from symgeom.numeric.precision import precision_form, to_precision
from symgeom.numeric.structure import kl_structure
from symgeom.numeric.symbolic import KLDiv, expanded_kl

if TYPE_CHECKING:
    from symgeom.derivation import Derivation
    from symgeom.families.base import Family

Kernel = Callable[..., np.ndarray]

_CORE_RANK = {"scalar": 0, "vector": 1, "matrix": 2}


_SOFTMAX = {
    ("mean", "scalar"): kl_kernels.bernoulli_prob,
    ("natural", "scalar"): kl_kernels.bernoulli_logit,
    ("mean", "simplex"): kl_kernels.categorical_probs,
    ("natural", "pinned"): kl_kernels.categorical_logits,
}
_GAUSSIAN = {
    "mean_std": kl_kernels.gaussian_mean_std,
    "mean_var": kl_kernels.gaussian_mean_var,
    "natural": kl_kernels.gaussian_natural,
    "mean_logstd": kl_kernels.gaussian_mean_logstd,
}


def kl_kernel(family: Family) -> Kernel | None:
    """The stable KL kernel of ``family``'s chart, taking grouped θ₁ arrays then θ₂ arrays.

    Chosen from the recognized structure (:func:`symgeom.numeric.structure.kl_structure`) and
    the chart's array layout; every other exponential family gets the lambdified Bregman form.
    """
    if family.exponential_form is None:
        return None  # not an exponential family: no structure to recognize (see _make)
    shape = kl_structure(family)
    forms = tuple(a.form for a in family.chart.array_arguments)
    if shape.kind == "softmax" and len(forms) == 1 and (shape.chart, forms[0]) in _SOFTMAX:
        return _SOFTMAX[(shape.chart, forms[0])]
    if shape.kind == "normal":
        if forms == ("scalar", "scalar"):
            return _GAUSSIAN[shape.chart]
        if forms == ("vector", "vector"):
            return partial(kl_kernels.diagonal_gaussian, shape.chart)
    if shape.kind == "normal_full":
        return kl_kernels.full_gaussian
    return _stable_lambdified(family)


def _stable_lambdified(family: Family) -> Kernel:
    """``stable_kl(family)`` lambdified (:mod:`symgeom.numeric.symbolic`), on grouped arrays."""
    from symgeom.numeric.symbolic import stable_kl, stable_numpy

    function = stable_numpy(family)
    per_point = len(family.chart.array_arguments)

    def kernel(*arrays: np.ndarray) -> np.ndarray:
        """KL(θ₁‖θ₂) = the generated stable form (Bregman divergence of A with its remainder)."""
        scalars = unpack(family, arrays[:per_point]) + unpack(family, arrays[per_point:])
        dtype = np.result_type(*arrays, np.float32)
        return np.asarray(function(*scalars), dtype=dtype)[()]

    def scalar_kernel(*arrays: np.ndarray, observe: kernels.Observer | None = None) -> np.ndarray:
        """KL(θ₁‖θ₂) = the generated stable form, elementwise on cache-sized blocks."""
        dtype = np.result_type(*arrays, np.float32)
        arrays = np.broadcast_arrays(*(np.asarray(a, dtype=dtype) for a in arrays))

        def block(*parts: np.ndarray) -> np.ndarray:
            return np.asarray(function(*parts), dtype=dtype)

        return kernels.blocked_elements(block, *arrays, observe=observe)[()]

    # A chart of scalars without joint constraints is elementwise and its inputs are checked by
    # ranges alone: blocks keep the form's temporaries in cache, and the ranges are checked on
    # each block while it is there (no separate pass over the inputs for validate=False).
    scalar = all(a.form == "scalar" for a in family.chart.array_arguments)
    chosen = scalar_kernel if scalar and not joint_constraints(family) else kernel
    chosen.__doc__ = f"KL(θ₁‖θ₂) = {str(stable_kl(family))[:140]}"
    return chosen


@dataclass(frozen=True)
class Signature:
    """Argument order and shapes of a compiled function, and the formula it evaluates."""

    quantity: str
    family: str
    inputs: tuple[Input, ...]
    output: str
    formula: str

    def __str__(self) -> str:
        args = ", ".join(f"{i.name}: {i.shape}" for i in self.inputs)
        lines = [
            f"{self.quantity} of {self.family}: f({args}) -> {self.output}",
            f"    {self.formula}",
        ]
        lines += [f"    {i.name}: {i.domain}" for i in self.inputs]
        return "\n".join(lines)


def signature(derivation: Derivation) -> Signature:
    """How the function returned by ``derivation.numpy()`` is called (also its ``.signature``)."""
    return _build(derivation).signature


class CompiledFunction:
    """A vectorized NumPy function of grouped parameter arrays; see :attr:`signature`.

    With ``validate=True`` (the default) every argument is checked (finite, in its domain,
    simplex sums within √ε, Σ symmetric positive definite, shapes compatible) and a violation
    raises :class:`~symgeom.errors.InvalidParameterError` naming the argument.  With
    ``validate=False`` nothing raises: every batch entry with an input outside its domain
    (non-finite, p ∉ [0, 1], σ ≤ 0, η₂ ≥ 0, Σ not positive definite) comes back as nan;
    probability vectors are read as proportional to the distributions (sums are not checked),
    Σ's symmetry is not checked, and shapes must still broadcast.
    """

    def __init__(
        self,
        family: Family,
        kernel: Kernel,
        sig: Signature,
        points: int,
        validate: bool,
        any_size: bool = False,
    ) -> None:
        self.family = family
        self.any_size = any_size
        self.signature = sig
        self.validate = validate
        self._kernel = kernel
        self._points = points
        self._has_endpoints = points > 0 and endpoint_limits.applies(sig.inputs)
        self.__doc__ = str(sig)

    def __call__(self, *args: Any) -> np.ndarray:
        spec = self.signature.inputs
        if len(args) != len(spec):
            raise TypeError(
                f"{self.signature.quantity} of {self.signature.family} takes "
                f"{len(spec)} arrays ({', '.join(i.name for i in spec)}), got {len(args)}"
            )
        arrays = _weak_scalars([as_float(a, inp.name) for a, inp in zip(args, spec, strict=True)], args)
        observable = "observe" in _parameters(self._kernel)
        if self.validate:
            # Values of observable kernels are checked block by block inside the kernel, where
            # the data is in cache; only if a block fails does the full check run to name it.
            self._validate(arrays, values=not observable)
            _check_core_shapes(spec, arrays)
            broadcast_check([i.name for i in spec], arrays, [_CORE_RANK[i.kind] for i in spec])
        try:
            return self._evaluate(arrays, observable)
        except OutOfRangeError:
            raise
        except ArithmeticError as error:
            raise self._refusal(arrays, error) from error

    def _refusal(self, arrays: list[np.ndarray], error: ArithmeticError) -> OutOfRangeError:
        """The low-level refusal ``error`` named: the first refused batch entry's inputs and values
        (:mod:`symgeom.numeric.refusal`), the limit from the error's text."""
        spec = self.signature.inputs
        observable = "observe" in _parameters(self._kernel)

        def run(*part: np.ndarray) -> Any:
            if observable:
                return self._kernel(*part, observe=RangeObserver(list(spec), sums=False))
            return self._kernel(*part)

        found = refusal.first_refused(run, spec, arrays)
        what = f"{self.signature.quantity} of {self.signature.family}"
        if found is None:
            return refusal.named(what, spec, arrays, None, str(error))
        where, first = found
        return refusal.named(what, spec, arrays, where, str(first))

    def _evaluate(self, arrays: list[np.ndarray], observable: bool) -> np.ndarray:
        spec = self.signature.inputs
        if not observable:
            if signed_zero(spec, arrays):
                arrays = unsigned_zeros(arrays)
            with np.errstate(all="ignore"):
                out = self._kernel(*arrays)
            if self.validate:
                return self._no_nan(out, arrays)
            return self._nan_outside_domain(self._endpoints(out, arrays), arrays)
        observer = RangeObserver(list(spec), sums=self.validate)
        with np.errstate(all="ignore"):
            out = self._kernel(*arrays, observe=observer)
        if observer.negative_zero:  # found while the blocks were in cache: evaluate again
            arrays = unsigned_zeros(arrays)
            observer = RangeObserver(list(spec), sums=self.validate)
            with np.errstate(all="ignore"):
                out = self._kernel(*arrays, observe=observer)
        if observer.ok:
            return self._no_nan(out, arrays) if self.validate else self._endpoints(out, arrays)
        if self.validate:
            self._validate(arrays, values=True)
        return self._nan_outside_domain(self._endpoints(out, arrays), arrays)

    def _endpoints(self, out: np.ndarray, arrays: list[np.ndarray]) -> np.ndarray:
        """(validate=False) nan entries whose inputs sit on an included endpoint (a Binomial's
        p = 0) replaced by the derived one-sided limit there; beyond one min over the output
        only a call whose output holds a nan pays."""
        if not self._has_endpoints or not (np.isnan(np.min(out)) if out.size else False):
            return out
        return self._limits(out, arrays)

    def _limits(self, out: np.ndarray, arrays: list[np.ndarray]) -> np.ndarray:
        """``out`` with the limits of :mod:`symgeom.numeric.endpoint_limits` at its nan entries on
        an included endpoint (the others stay nan)."""
        if not self._has_endpoints:
            return out
        return endpoint_limits.fill(self.family, self.signature.quantity, self.signature.inputs, out, arrays)

    def _no_nan(self, out: np.ndarray, arrays: list[np.ndarray]) -> np.ndarray:
        """Validated inputs never give nan silently: an intermediate left float64's range
        (σ₂ = 1e-320, say), or an input sits on an included endpoint of its domain where the
        stable form is not defined (a Binomial's p = 0: its natural parameter is −∞) and SymPy
        found no one-sided limit there (:mod:`symgeom.numeric.endpoint_limits`), so the result
        cannot be computed here, and we say which."""
        if np.isnan(np.min(out)) if out.size else False:
            out = self._limits(out, arrays)
        if np.isnan(np.min(out)) if out.size else False:
            index = np.unravel_index(int(np.argmax(np.isnan(out))), out.shape)
            where = tuple(int(i) for i in index)
            head = (f"{self.signature.quantity} of {self.signature.family} cannot be evaluated at "
                    f"index {where}")
            ends = _endpoints_at(self.signature.inputs, arrays, where)
            if ends:
                raise InvalidParameterError(
                    f"{head}: {', '.join(ends)} (an endpoint of the domain, where this form's "
                    "terms are infinite and SymPy found no limit to take there)"
                )
            raise refusal.named(
                f"{self.signature.quantity} of {self.signature.family}", self.signature.inputs, arrays,
                where[: len(where) - self.signature.output.count(",")],
                f"an intermediate or the result left float64's range ({refusal.FLOAT64_RANGE}); "
                "the inputs are too extreme to evaluate here")
        return out

    def _validate(self, arrays: list[np.ndarray], values: bool) -> None:
        if self._points == 0:
            # Other quantities (natural gradient, expansion) mix θ with free reals (g, Δ, t).
            for inp, arr in zip(self.signature.inputs, arrays, strict=True):
                if not np.all(np.isfinite(arr)):
                    raise InvalidParameterError(f"{inp.name} must be finite")
            return
        per_point = len(self.signature.inputs) // self._points
        for point in range(self._points):
            chunk = tuple(arrays[point * per_point : (point + 1) * per_point])
            suffix = f"_{point + 1}" if self._points > 1 else ""
            validate(self.family, chunk, suffix, self.any_size, values=values)

    def _nan_outside_domain(self, out: np.ndarray, arrays: list[np.ndarray]) -> np.ndarray:
        """nan wherever an input of either point is outside its domain (validate=False)."""
        if self._points == 0:
            return out
        per_point = len(self.signature.inputs) // self._points
        core = self.signature.output.count(",")  # "(...)" → 0, "(..., n, n)" → 2
        for point in range(self._points):
            chunk = tuple(arrays[point * per_point : (point + 1) * per_point])
            mask = invalid_mask(self.family, chunk, self.any_size)
            if mask is not None:
                out = np.where(mask.reshape(mask.shape + (1,) * core), np.nan, out)
        return out

    def __repr__(self) -> str:
        return f"<compiled {self.signature.quantity} of {self.signature.family}>"


def _endpoints_at(spec: tuple[Input, ...], arrays: list[np.ndarray], where: tuple[int, ...]) -> list[str]:
    """'p_1 = 0' for each scalar interval input whose value at output index ``where`` (batch
    index first) is an included bound of its domain."""
    scalars = [(inp, arr) for inp, arr in zip(spec, arrays, strict=True)
               if inp.kind == "scalar" and inp.check == "interval"]
    if not scalars:
        return []
    batch = np.broadcast_shapes(*(arr.shape for _, arr in scalars))
    out = []
    for inp, arr in scalars:
        value = float(np.broadcast_to(arr, batch)[where[: len(batch)]])
        for bound, included in ((inp.lower, inp.lower_included), (inp.upper, inp.upper_included)):
            if included and bound is not None and value == bound:
                out.append(f"{inp.name} = {value:g}")
    return out


def _weak_scalars(arrays: list[np.ndarray], args: tuple[Any, ...]) -> list[np.ndarray]:
    """Python int/float arguments take the float32 of the array arguments, as NumPy's own
    promotion treats Python scalars (float32 arrays mixed with 1.0 stay float32)."""
    weak = [isinstance(a, int | float) and not isinstance(a, bool) for a in args]
    strong = {arr.dtype for arr, w in zip(arrays, weak, strict=True) if not w}
    if any(weak) and strong == {np.dtype(np.float32)}:
        return [arr.astype(np.float32) if w else arr for arr, w in zip(arrays, weak, strict=True)]
    return arrays


def _parameters(kernel: Kernel) -> tuple[str, ...]:
    return _kernel_parameters(kernel.func if isinstance(kernel, partial) else kernel)


@cache
def _kernel_parameters(function: Callable[..., Any]) -> tuple[str, ...]:
    return tuple(inspect.signature(function).parameters)


def _check_core_shapes(spec: tuple[Input, ...], arrays: list[np.ndarray]) -> None:
    """Every vector and matrix argument must agree in k (or d) with the first one."""
    first: tuple[str, int] | None = None
    for inp, arr in zip(spec, arrays, strict=True):
        if inp.kind == "scalar":
            continue
        if first is None:
            first = (inp.name, arr.shape[-1])
        elif arr.shape[-1] != first[1]:
            raise InvalidParameterError(
                f"shape mismatch: {first[0]} has size {first[1]} on its last axis, "
                f"{inp.name} has {arr.shape[-1]}"
            )


@dataclass(frozen=True)
class _Built:
    kernel: Kernel
    signature: Signature
    points: int


_CACHE: dict[tuple[Any, ...], _Built] = {}


def _build(derivation: Derivation) -> _Built:
    key = (derivation.family, derivation.quantity, derivation.route)
    built = _CACHE.get(key)
    if built is None:
        built = _CACHE[key] = _make(derivation)
    return built


def compile_derivation(derivation: Derivation,
                        validate: bool = True) -> CompiledFunction | Callable[..., Any]:
    """The hook behind ``Derivation.numpy()``: a stable, broadcasting NumPy function, built once."""
    if derivation.family is None and _general_d(derivation):
        from symgeom.backends.general_forms import compile_general

        return compile_general(derivation, "numpy", validate)
    if derivation.family is None:
        raise UnknownQuantityError(
            f"{derivation.title} has no numeric function: its size is symbolic; build a concrete "
            "size (sg.Categorical(10)) or use symgeom.numeric.kl_function(…, any_size=True)"
        )
    built = _build(derivation)
    return CompiledFunction(derivation.family, built.kernel, built.signature, built.points, validate)


def _general_d(derivation: Derivation) -> bool:
    """A symbolic-d Gaussian result (a product of coordinates, or in matrix notation): NumPy
    evaluates it for arrays of any d (:mod:`symgeom.backends.general_forms`)."""
    from symgeom.numeric.matrix_forms import in_matrix_notation

    return getattr(derivation, "general", None) is not None or in_matrix_notation(derivation.result)


def _named(spec: tuple[Input, ...], suffix: str) -> tuple[Input, ...]:
    return tuple(replace(i, name=i.name + suffix) for i in spec)


def _kl_built(family: Family, any_size: bool = False) -> _Built | None:
    kernel = kl_kernel(family)
    if kernel is None:
        return None
    one = inputs(family, any_size)
    spec = _named(one, "_1") + _named(one, "_2")
    doc = (kernel.func if isinstance(kernel, partial) else kernel).__doc__
    return _Built(kernel, Signature("kl", family.label, spec, "(...)", doc.splitlines()[0]), 2)


def kl_function(family: Family, validate: bool = True, any_size: bool = False) -> CompiledFunction:
    """KL(θ₁‖θ₂) of ``family``'s chart as a compiled function, without deriving anything.

    The same function as ``sg.kl(family).numpy(validate)``.  With ``any_size=True`` the family only
    picks the chart and k (or d) is read from the arrays, e.g.
    ``kl_function(sg.Categorical(2, "logits"), any_size=True)`` for 10⁴ actions, where neither a
    symbolic derivation nor the family object for k = 10⁴ is worth building.
    """
    built = _kl_built(family, any_size)
    if built is None:
        raise UnknownQuantityError(f"no compiled KL kernel for {family.label}")
    return CompiledFunction(family, built.kernel, built.signature, built.points, validate, any_size)


def _make(derivation: Derivation) -> _Built:
    family = derivation.family
    if family is None:
        raise UnknownQuantityError(
            f"{derivation.title} is a general (symbolic-size) result: it has no numeric function; "
            "build the family at a concrete size"
        )
    from symgeom.families.general import Product

    # before reading the result: a product's is made only when read (d terms)
    if derivation.quantity in ("fisher", "entropy") and isinstance(family.general, Product):
        from symgeom.numeric.product_forms import built_product_form

        return built_product_form(derivation)
    if derivation.quantity == "entropy" and softmax_entropy.applies(family):
        sig = Signature("entropy", family.label, inputs(family), "(...)", softmax_entropy.FORMULA)
        return _Built(softmax_entropy.numpy_entropy, sig, 1)
    if derivation.quantity in ("entropy", "fisher") and not finite.supported(family) \
            and simplex_forms.applies(family):  # general-k probabilities (numeric.simplex_forms)
        return _simplex_built(family, derivation.quantity)
    from symgeom.numeric.matrix_forms import in_matrix_notation

    if derivation.quantity != "kl" and in_matrix_notation(derivation.result):
        from symgeom.numeric.matrix_forms import built_matrix_form

        return built_matrix_form(derivation)
    one = inputs(family)
    if derivation.quantity == "kl":
        built = _kl_built(family)
        if built is not None:
            return built
        spec = _named(one, "_1") + _named(one, "_2")
        return _Built(
            _lambdified(derivation, family, 2, form=partial(_kl_div_or_expanded, family)),
            Signature("kl", family.label, spec, "(...)", "lambdified: " + _formula(derivation)),
            2,
        )
    if derivation.quantity in ("fisher", "entropy"):
        out = "(...)" if derivation.quantity == "entropy" else _matrix_shape(derivation)
        sig = Signature(derivation.quantity, family.label, one, out, _formula(derivation))
        if finite.supported(family):
            return _Built(_finite_kernel(family, derivation.quantity), sig, 1)
        if derivation.quantity == "entropy":
            from symgeom.numeric.count_entropy import entropy_kernel

            counted = entropy_kernel(
                family, lambda: _dilated(derivation, family) or _lambdified(derivation, family, 1))
            if counted is not None:
                return _Built(counted, sig, 1)
        return _Built(_dilated(derivation, family) or _lambdified(derivation, family, 1), sig, 1)
    scalar = tuple(Input(str(s), "(...)", "real", "scalar", "interval") for s in derivation.arguments)
    sig = Signature(derivation.quantity, family.label, scalar, "(...)", _formula(derivation))
    return _Built(_lambdified_flat(derivation), sig, 0)


def _kl_div_or_expanded(family: Family, kl: Any) -> Any:
    """A KL with no exponential-family form as a proved sum of kl_div terms
    (:func:`symgeom.numeric.decompose.kl_div_form`), found in the chart or else in the family's
    reference chart with the chart map substituted (:func:`symgeom.backends.forms.kl_div_form`:
    a log-scale chart's exponentials merge so that no decomposition is found in the chart itself),
    else multiplied out (:func:`expanded_kl`)."""
    from symgeom.backends.forms import kl_div_form as reference_kl_div_form

    return reference_kl_div_form(family, kl) or expanded_kl(kl)


def _simplex_built(family: Family, quantity: str) -> _Built:
    """The vector-axis entropy or Fisher of a softmax family's probability chart (any k)."""
    n = len(family.symbols())
    out = "(...)" if quantity == "entropy" else f"(..., {n}, {n})"
    sig = Signature(quantity, family.label, inputs(family), out, simplex_forms.FORMULA[quantity])
    kernel = simplex_forms.numpy_entropy if quantity == "entropy" else simplex_forms.numpy_fisher
    return _Built(kernel, sig, 1)


def _finite_kernel(family: Family, quantity: str) -> Kernel:
    """Entropy or Fisher of a finite-support family, summed over outcomes (:mod:`.finite`)."""
    function = finite.entropy_function(family) if quantity == "entropy" else finite.fisher_function(family)
    simplex = [i for i, a in enumerate(family.chart.array_arguments) if a.form == "simplex"]

    def kernel(*arrays: np.ndarray) -> np.ndarray:
        scalars = unpack(family, arrays) + [arrays[i][..., -1] for i in simplex]
        dtype = np.result_type(*arrays, np.float32)
        value = function(*scalars)
        if quantity == "entropy":  # a subnormal H rounded once, not per outcome (numeric.tiny_sums)
            value = tiny_sums.refined(value, lambda mask: finite.subnormal_entropy(family, scalars, mask))
        return np.asarray(value, dtype=dtype)[()]

    return kernel


def _matrix_shape(derivation: Derivation) -> str:
    rows, cols = derivation.result.shape
    return f"(..., {rows}, {cols})"


def _formula(derivation: Derivation) -> str:
    import sympy as sp

    result = derivation.result
    if isinstance(result, sp.MatrixBase) and len(result) > 16:
        # entries printed only until the cut: a whole 17 × 17 Fisher matrix takes seconds to print
        text, entries = "Matrix([[", iter(result)
        while len(text) <= 160:
            text += sp.sstr(next(entries, "…"), order="none") + ", "
    else:
        # a large expression is not printed: its text (shared sub-sums written out in every
        # term that holds them) grows like k² for a specialized Categorical, seconds of printing
        large = any(n > 2000 for n, _ in enumerate(sp.preorder_traversal(result)))
        text = (f"{derivation.quantity} by the {derivation.route} route (a large expression: "
                "derivation.text() prints it)") if large else str(result)
    return text if len(text) <= 160 else text[:157] + "..."


def _entry_functions(
    derivation: Derivation, form: Callable[[Any], Any] | None = None
) -> tuple[Callable[..., list[Any]], tuple[int, ...]]:
    """One function returning the list of entries of the derived result (or of ``form`` of it).

    The ordinary entries are lambdified together (one lambdify per entry costs ~30 ms each:
    minutes for a 99×99 Fisher matrix), with common subexpressions such as the softmax
    denominator computed once.  An entry that keeps an expectation explicit (a SymPy ``Sum``
    over the support, e.g. E[log x!] in the Poisson entropy) is summed exactly up to a stated
    tail bound by :func:`symgeom.numeric.explicit_sums.explicit_sum_function`.
    """
    import sympy as sp

    from symgeom.backends.log_terms import guarded_logs
    from symgeom.backends.sigmoid import sigmoid_form
    from symgeom.numeric.explicit_sums import explicit_sum_function
    from symgeom.numeric.softplus import softplus_merged
    from symgeom.numeric.stirling_forms import stirling_form
    from symgeom.numeric.trigamma_gap import trigamma_gap, trigamma_gaps
    from symgeom.numeric.zerolog import with_zero_logs

    result = derivation.result if form is None else form(derivation.result)
    # Logarithms of 1 + e^θ as softplus (symgeom.numeric.softplus) and rational functions of one
    # e^θ in σ(±θ) (symgeom.backends.sigmoid): logit charts' entropies and Fisher matrices keep
    # their digits for every θ instead of rounding log(1 + e^{−700}) to 0 or e^{1400} to inf.
    # c·log(1 + u) whose limit vanishes with 1 + u as c·log1p(u), 0 where c = 0
    # (symgeom.backends.log_terms): the Geometric entropy's (1 − p)/p·log(1 − p) → −1 at p → 0.
    entries = [guarded_logs(softplus_merged(sigmoid_form(e)))
               for e in (list(result) if isinstance(result, sp.MatrixBase) else [result])]
    if derivation.quantity == "entropy":
        # lnΓ/ψ growth cancelled symbolically (symgeom.numeric.stirling_forms): Gamma at α = 10⁶
        entries = [stirling_form(e) for e in entries]
    if derivation.quantity == "fisher":
        # ψ′(x) − ψ′(x + h), h > 0 from the shapes, without the subtraction (numeric.trigamma_gap)
        entries = [trigamma_gaps(e) for e in entries]
    shape = tuple(result.shape) if isinstance(result, sp.MatrixBase) else ()
    arguments = derivation.arguments
    explicit = {i: explicit_sum_function(e, arguments) for i, e in enumerate(entries) if e.has(sp.Sum)}
    plain = [i for i in range(len(entries)) if i not in explicit]
    joint = sp.lambdify(
        arguments,
        [with_zero_logs(entries[i]) for i in plain],
        modules=[{"kl_div": kernels.kl_div, "log_quotient": kernels.log_quotient,
                  "polygamma": special.polygamma, "gammaln": special.gammaln,
                  "softplus": kernels.softplus,
                  "sigmoid": kernels.sigmoid, "logit_entropy": kernels.logit_entropy,
                  "CholeskyLogDet": cholesky_logdet, "entr_log": finite.entr_log,
                  "stirling_phi": stirling.phi, "stirling_phi_prime": stirling.phi_prime,
                  "trigamma_gap": trigamma_gap}, *MODULES],
        # kl_div(a, b) prints the exact difference factor(a − b) it needs; common subexpressions
        # would hand it b = x₀ and so d = 1 − x₀, rounded.
        cse=not any(e.has(KLDiv) for e in entries),
    )
    if not explicit:
        return joint, shape

    def evaluate(*args: Any) -> list[Any]:
        values: list[Any] = [None] * len(entries)
        for i, value in zip(plain, joint(*args), strict=True):
            values[i] = value
        for i, function in explicit.items():
            values[i] = function(*args)
        return values

    return evaluate, shape


#: lambdify's namespaces: SciPy first, so every special function SymPy may produce (log Γ, ψ,
#: polygamma, β, erf, …) is printed as its ``scipy.special`` routine, then NumPy.
MODULES = ("scipy", "numpy")


def _stack(values: list[Any], shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    arrays = np.broadcast_arrays(*[np.asarray(v, dtype=dtype) for v in values])
    if not shape:
        return arrays[0] if arrays[0].ndim else arrays[0][()]
    return np.stack(arrays, axis=-1).reshape(*arrays[0].shape, *shape)


def _lambdified(
    derivation: Derivation, family: Family, points: int, form: Callable[[Any], Any] | None = None
) -> Kernel:
    function, shape = _entry_functions(derivation, form)
    per_point = len(inputs(family))

    def kernel(*arrays: np.ndarray) -> np.ndarray:
        scalars: list[np.ndarray] = []
        for point in range(points):
            scalars += unpack(family, tuple(arrays[point * per_point : (point + 1) * per_point]))
        return _stack(list(function(*scalars)), shape, np.result_type(*arrays))

    return kernel


def _dilated(derivation: Derivation, family: Family) -> Kernel | None:
    """Entropy or Fisher evaluated through the family's scale symmetry
    (:mod:`symgeom.numeric.dilation`), at parameters of order 1 and mapped back exactly, with
    covariance arguments entering through their inverse where every entry is a polynomial in it
    (:mod:`symgeom.numeric.precision`).  None when neither applies."""
    inverse = precision_form(family, derivation.result) if derivation.quantity == "fisher" else None
    rewritten = inverse
    if derivation.quantity == "entropy":
        # log(c·det Σ) as log c + ln det Σ by Cholesky (symgeom.numeric.logdet): the expanded
        # determinant cancels at condition number 10¹²
        rewritten = logdet_form(family, derivation.result)
    function, shape = _entry_functions(derivation, None if rewritten is None else lambda _: rewritten)

    def evaluate(scalars: list[np.ndarray]) -> np.ndarray:
        arguments = scalars if inverse is None else to_precision(family, scalars)
        return _stack(list(function(*arguments)), shape, np.result_type(*scalars))

    scaled = rescaled(family, derivation.quantity, evaluate)
    if scaled is None and rewritten is None:
        return None
    chosen = evaluate if scaled is None else scaled

    def kernel(*arrays: np.ndarray) -> np.ndarray:
        return chosen(unpack(family, arrays))[()]

    return kernel


def _lambdified_flat(derivation: Derivation) -> Kernel:
    function, shape = _entry_functions(derivation)

    def kernel(*arrays: np.ndarray) -> np.ndarray:
        return _stack(list(function(*arrays)), shape, np.result_type(*arrays))

    return kernel
