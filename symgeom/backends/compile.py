"""``Derivation.torch()`` / ``.jax()`` / ``.array_api()``: a derivation printed for an array library.

The function takes the same grouped arrays, in the same order, as ``derivation.numpy()`` (see
:func:`symgeom.numeric.signature`), broadcasts, keeps dtype and device (16-bit floats are computed
in float32 and returned in their own dtype), and is differentiable through the derived partials
of the primitives.  What is printed:

* KL — the stable form ``symgeom.numeric.symbolic.stable_kl(family)`` (sums of kl_div and χ,
  proved equal to the derived KL), a generic exponential family's Bregman form with its integral
  remainder and exact differences (:mod:`symgeom.backends.forms`, evaluated by
  :mod:`symgeom.backends.bregman`), or for a family without an exponential-family form its proved
  kl_div decomposition; a family whose chart takes one probability or logit vector
  uses the same form written over the vector axis (:mod:`symgeom.backends.vector`), any k;
* Fisher and entropy — ``derivation.result``, entry by entry (Fisher comes back as (..., n, n));
  the entropy of a softmax family in its natural chart with one logit vector is H(softmax z)
  over the vector axis, any k, with its derived gradient (:mod:`symgeom.backends.softmax_entropy`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, partial
from typing import TYPE_CHECKING, Any

import sympy as sp

from symgeom.backends import (
    derived_grad,
    endpoint_where,
    fast_grad,
    finite_supplied,
    gaussian_full,
    numpy_route,
    printer,
    scale_forms,
    softmax_entropy,
    softmax_kl,
    subnormal_inputs,
    tiny_entropy,
    tiny_forms,
    tiny_grad,
    tiny_kl,
    validation,
    vector,
)
from symgeom.backends.finite_forms import finite_entropy
from symgeom.backends.ops import Ops, is_number, jax_ops, ops_for, torch_ops, widen
from symgeom.backends.rate_entropy import rate_entropy
from symgeom.backends.sigmoid import sigmoid_form, softmax_form
from symgeom.backends.trial_entropy import refusal as trial_refusal
from symgeom.backends.trial_entropy import trial_entropy
from symgeom.backends.waiting_entropy import refusal as waiting_refusal
from symgeom.backends.waiting_entropy import waiting_entropy
from symgeom.errors import SizeOutOfRangeError, UnknownQuantityError
from symgeom.numeric import simplex_forms
from symgeom.numeric.inputs import Input, inputs, unpack, zero_closed
from symgeom.numeric.softplus import softplus_merged
from symgeom.numeric.stirling_forms import stirling_form
from symgeom.numeric.trigamma_gap import trigamma_gaps

if TYPE_CHECKING:
    from symgeom.derivation import Derivation
    from symgeom.families.base import Family

Array = Any


@dataclass(frozen=True)
class _Plan:
    """How to evaluate one derivation: either printed source over unpacked scalars, or a vector form."""

    quantity: str
    family: Family
    spec: tuple[Input, ...]
    points: int
    source: printer.Source | None
    vector_form: Callable[..., Array] | None
    matrix_shape: tuple[int, int] | None
    #: whether ``.numpy()`` evaluates the same form (then eager CPU torch may call it, see
    #: :mod:`symgeom.backends.numpy_route`); not for the forms of :mod:`symgeom.backends.forms`,
    #: whose exact differences the NumPy side does not have
    numpy_equivalent: bool = True
    #: float32 arrays evaluated in float64 where the namespace has it (torch; JAX with x64) and
    #: rounded back: the generic forms (Bregman remainder, kl_div sums, special functions) keep
    #: their float64 error analysis then, and float32 results within about one ulp
    float64_inside: bool = False
    #: the printed KL expression (its derived gradient serves eager CPU torch's backward,
    #: :mod:`symgeom.backends.derived_grad`)
    stable_form: sp.Expr | None = None


def _vector_form(family: Family, spec: tuple[Input, ...]) -> Callable[..., Array] | None:
    """The vector KL form for a softmax family (recognized from its exponential-family data)
    whose chart takes one probability vector or one logit vector read up to a common shift, or
    the Cholesky form of a full-covariance Gaussian whose chart takes (mean vector, covariance)."""
    if tuple((i.kind, i.check) for i in spec) == (("vector", "interval"), ("matrix", "covariance")):
        from symgeom.numeric.structure import kl_structure

        if kl_structure(family).kind == "normal_full":
            return gaussian_full.kl
        return None
    if len(spec) != 1 or spec[0].kind != "vector" or family.exponential_form is None:
        return None
    from symgeom.numeric.structure import kl_structure

    if kl_structure(family).kind != "softmax":
        return None
    form = family.chart.array_arguments[0].form
    return {"simplex": vector.categorical_probs, "pinned": vector.categorical_logits}.get(form)


@cache
def plan(derivation: Derivation) -> _Plan:
    family = derivation.family
    if family is None:
        raise UnknownQuantityError(f"{derivation.title} has no family: nothing to evaluate")
    spec = inputs(family)
    if derivation.quantity == "kl":
        form = _vector_form(family, spec)
        if form is not None:
            return _Plan("kl", family, spec, 2, None, form, None)
        from symgeom.backends.forms import kl_form
        from symgeom.numeric.bregman import BregmanKL
        from symgeom.numeric.structure import kl_structure

        expr = kl_form(family, derivation.result)  # a BregmanKL prints as backends.bregman.bregman_kl
        _refuse_explicit_sums(derivation, expr)
        source = printer.print_source((tiny_kl.rescued_kl(expr),), tuple(derivation.arguments))
        same = not expr.has(BregmanKL) and family.exponential_form is not None
        generic = family.exponential_form is None or kl_structure(family).kind == "bregman"
        return _Plan("kl", family, spec, 2, source, None, None, numpy_equivalent=same,
                     float64_inside=generic, stable_form=expr)
    if derivation.quantity == "entropy" and softmax_entropy.applies(family):
        return _Plan("entropy", family, spec, 1, None, softmax_entropy.entropy, None)
    if derivation.quantity in ("fisher", "entropy") and not finite_supplied.finite.supported(family) \
            and simplex_forms.applies(family):  # general-k probabilities (numeric.simplex_forms)
        form = simplex_forms.BACKEND[derivation.quantity]
        return _Plan(derivation.quantity, family, spec, 1, None, form, None)
    if derivation.quantity == "entropy" and (counted := rate_entropy(family)) is not None:
        # a rate count mass (Poisson): outcome sum / derived asymptotic series (backends.rate_entropy)
        return _Plan("entropy", family, spec, 1, None, counted, None, float64_inside=True)
    if derivation.quantity == "entropy" and (waiting := waiting_entropy(family)) is not None:
        # a shape count mass (negative binomial): outcome sum / Frullani quadrature (backends.waiting_entropy)
        return _Plan("entropy", family, spec, 1, None, waiting, None, float64_inside=True)
    if derivation.quantity == "entropy" and (trials := trial_entropy(family)) is not None:
        # n > 64 trials (past the printed per-outcome sum): outcome sum over a table (backends.trial_entropy)
        return _Plan("entropy", family, spec, 1, None, trials, None, float64_inside=True)
    if derivation.quantity == "entropy" and (why := waiting_refusal(family) or trial_refusal(family)):
        raise SizeOutOfRangeError(why)  # a count mass past the sizes analysed: the reason names the size
    if derivation.quantity in ("fisher", "entropy"):
        # per-outcome sums with a simplex's supplied last entry, as .numpy() (backends.finite_supplied)
        finite = finite_supplied.supplied_form(family, derivation.quantity, tuple(derivation.arguments))
        if finite is not None:
            return _Plan(derivation.quantity, family, spec, 1, finite.source if finite.scalars_only else None,
                         None if finite.scalars_only else finite, finite.matrix_shape)
        result = derivation.result
        if isinstance(result, sp.MatrixBase):
            entries, shape = tuple(result), tuple(result.shape)
        else:
            entries, shape = (result,), None
        per_outcome = None
        if derivation.quantity == "entropy":  # per outcome (backends.finite_forms; n trials: .tiny_entropy)
            per_outcome = finite_entropy(family) or tiny_entropy.bounded_count_entropy(family)
        if per_outcome is None:  # a derived sum kept explicit (n > 16 trials) is fine per outcome
            _refuse_explicit_sums(derivation, result)
        if per_outcome is not None:  # the per-outcome sum .numpy() evaluates (backends.finite_forms)
            entries = (per_outcome,)
        else:
            # the same rewrite as .numpy()'s entries (symgeom.numeric.compile._entry_functions)
            entries = tuple(sigmoid_form(e) for e in entries)
            if derivation.quantity == "fisher":
                # and ψ′(x) − ψ′(x + h) without the subtraction (symgeom.numeric.trigamma_gap)
                entries = tuple(trigamma_gaps(softmax_form(e)) for e in entries)
            entries = tuple(softplus_merged(e) for e in entries)
            if derivation.quantity == "entropy":
                # lnΓ/ψ growth cancelled symbolically, as .numpy() (symgeom.backends.stirling)
                entries = tuple(stirling_form(e) for e in entries)
        # scale symmetry, Σ⁻¹ and ln det Σ by Cholesky where they apply (backends.scale_forms)
        # (an entry that may be subnormal also carries its log-magnitude: backends.tiny_forms)
        rescue = tiny_entropy.rescued_entropy if derivation.quantity == "entropy" else tiny_forms.rescued
        source = scale_forms.scaled_source(derivation, entries) or printer.print_source(
            tuple(rescue(e) for e in entries), tuple(derivation.arguments))
        return _Plan(derivation.quantity, family, spec, 1, source, None, shape)
    raise UnknownQuantityError(
        f"{derivation.quantity!r} is not printed for array backends (kl, fisher and entropy are)"
    )


def _refuse_explicit_sums(derivation: Derivation, expr: sp.Basic) -> None:
    """An explicit expectation Σₓ (E[log x!] of a Poisson entropy, say) has no array form."""
    sums = sp.sympify(expr).atoms(sp.Sum)
    if sums:
        raise UnknownQuantityError(
            f"the {derivation.quantity} of {derivation.family.label} keeps the expectation "
            f"{sorted(map(str, sums))[0][:80]} explicit; torch/JAX have no form for it "
            "(.numpy() evaluates it by exact summation with a tail bound)"
        )


def _refuse_matrix_notation(derivation: Derivation, backend: str) -> None:
    """Results kept in matrix notation (a specialized large-d Gaussian) have only NumPy kernels:
    printing their expanded entries for a backend would undo the specialization."""
    from symgeom.numeric.matrix_forms import in_matrix_notation

    if derivation.family is None or in_matrix_notation(derivation.result):
        what = derivation.family.label if derivation.family is not None else derivation.title
        raise UnknownQuantityError(
            f"{derivation.quantity} of {what} is a matrix-notation (general-d) result: no {backend} "
            "function is generated for it; use .numpy(), or a size the family expands"
        )


class BackendFunction:
    """A derivation evaluated on torch, JAX or an Array API namespace; see the module docstring.

    ``validate=True``: eager inputs outside their domain raise InvalidParameterError naming the
    argument; under ``jax.jit``/``vmap``, ``torch.compile`` or on Dask arrays the entries with an
    invalid input come back as nan.  ``validate=False``: no checks at all.
    """

    def __init__(self, derivation: Derivation, backend: str, validate: bool = True) -> None:
        _refuse_matrix_notation(derivation, backend)
        self._plan = plan(derivation)
        self._derivation = derivation
        self._numpy: Callable[..., Any] | None = None
        self.backend = backend
        self.validate = validate
        self._bound: dict[str, Callable[..., tuple[Array, ...]]] = {}
        names = ", ".join(i.name for i in self._plan.spec)
        more = ", …" * (self._plan.points - 1)
        self.__doc__ = f"{derivation.quantity} of {self._plan.family.label} on {backend}: f({names}{more})"

    def _ops(self, arrays: list[Array]) -> Ops:
        if self.backend == "torch":
            return torch_ops()
        if self.backend == "jax":
            return jax_ops()
        return ops_for(*arrays)

    def _convert(self, ops: Ops, args: tuple[Any, ...]) -> list[Array]:
        if ops.name == "torch":
            import torch

            out = [a if isinstance(a, torch.Tensor) else torch.as_tensor(a) for a in args]
            return [a if a.is_floating_point() else a.to(torch.get_default_dtype()) for a in out]
        if ops.name == "jax":
            import jax.numpy as jnp

            out = [jnp.asarray(a) for a in args]
            default = jnp.result_type(float)
            return [a if jnp.issubdtype(a.dtype, jnp.floating) else a.astype(default) for a in out]
        import array_api_compat
        import numpy as np

        out = [a if array_api_compat.is_array_api_obj(a) else np.asarray(a) for a in args]
        xp = ops.xp
        return [a if xp.isdtype(a.dtype, "real floating") else xp.astype(a, xp.float64) for a in out]

    def __call__(self, *args: Any) -> Array:
        p = self._plan
        expected = len(p.spec) * p.points
        if len(args) != expected:
            raise TypeError(f"{p.quantity} of {p.family.label} takes {expected} arrays, got {len(args)}")
        ops = self._ops(list(args))
        arrays = self._convert(ops, args)
        if self.validate and any(i.kind != "scalar" for i in p.spec):
            # shapes are static (also under jit, vmap, torch.compile): a logit vector of k − 1
            # entries for Categorical(k) was read as a (k − 1)-class row
            from symgeom.numeric.inputs import validate as validate_shapes

            per = len(p.spec)
            for index in range(p.points):
                validate_shapes(p.family, tuple(arrays[index * per:(index + 1) * per]),
                                f"_{index + 1}" if p.points > 1 else "", values=False)
        # −0.0 passes 0 ≤ p but flips 1/p's sign: read it as +0, selected by ``where`` (no
        # arithmetic: XLA on the CPU would read a subnormal p as 0 in p + 0)
        arrays = [_unsigned_zero(ops, a) if zero_closed(inp) else a
                  for a, inp in zip(arrays, p.spec * p.points, strict=True)]
        if subnormal_inputs.applies(ops, arrays):  # XLA on the CPU reads subnormal inputs as 0
            return self._subnormal_inputs(ops, arrays)
        if ops.name == "torch" and not self._numpy_kl_route(ops, arrays) \
                and subnormal_inputs.torch_applies(arrays):  # CPU torch: the printed forms lose digits
            mask = subnormal_inputs.torch_entry_mask(p.spec * p.points, arrays)
            tiny = bool(mask.any())
            # the derivative at the tiny entries from the derived result (backends.tiny_grad), the
            # printed form evaluated at stand-ins there (its derivative there is not used)
            partials = tiny_grad.partials_for(self._derivation) if tiny else None
            safe = arrays
            if partials is not None:
                if self.validate:  # NumPy reads the tiny entries; its errors name the argument
                    self._derivation.numpy(validate=True)(*[a.detach().numpy() for a in arrays])
                safe = subnormal_inputs.torch_stand_ins(arrays, mask)
            direct = self._direct(ops, safe, self.validate)
            if not tiny:
                return direct
            return subnormal_inputs.torch_merged(direct, mask, arrays, self._derivation.numpy(validate=False),
                                                 partials)
        return self._direct(ops, arrays, self.validate)

    def _numpy_kl_route(self, ops: Ops, arrays: list[Array]) -> bool:
        """Whether a torch KL is the NumPy kernel on the tensors' memory (:mod:`numpy_route`)."""
        p = self._plan
        return p.quantity == "kl" and p.numpy_equivalent and numpy_route.usable(ops, arrays)

    def _direct(self, ops: Ops, arrays: list[Array], validate: bool) -> Array:
        p = self._plan
        if endpoint_where.applies(p.quantity, p.spec, p.points) \
                and getattr(p.vector_form, "endpoints_inside", False):  # valued there, the slopes attached
            return endpoint_where.with_slopes(ops, p.family, p.quantity, p.spec * p.points, arrays,
                                              self._routes(ops, arrays, validate),
                                              validation.concrete(ops, arrays))
        if endpoint_where.applies(p.quantity, p.spec, p.points):  # limits at included endpoints
            return endpoint_where.call(ops, p.family, p.quantity, p.spec * p.points, arrays,
                                       partial(self._routes, ops, validate=validate),
                                       validation.concrete(ops, arrays))
        return self._routes(ops, arrays, validate)

    def _subnormal_inputs(self, ops: Ops, arrays: list[Array]) -> Array:
        """JAX on the CPU: the entries with a tiny input from ``derivation.numpy``
        (:mod:`symgeom.backends.subnormal_inputs`); eagerly its validation raises, as NumPy's."""
        p = self._plan
        spec = p.spec * p.points
        unchecked = self._derivation.numpy(validate=False)
        validate = self.validate
        if validation.concrete(ops, arrays):
            if not bool(subnormal_inputs.entry_mask(spec, arrays).any()):
                return self._direct(ops, arrays, validate)
            if validate:  # NumPy reads the tiny entries; its errors name the argument
                import numpy as np

                self._derivation.numpy(validate=True)(*[np.asarray(a) for a in arrays])
            validate = False
        invalid = partial(_numpy_invalid, p.family, len(p.spec)) if validate else None
        return subnormal_inputs.evaluate_jax(lambda xs: self._direct(ops, xs, validate), spec, arrays,
                                             unchecked, invalid, tiny_grad.partials_for(self._derivation))

    def _routes(self, ops: Ops, arrays: list[Array], validate: bool | None = None) -> Array:
        validate = self.validate if validate is None else validate
        p = self._plan
        if ops.name == "torch" and p.source is not None:
            from symgeom.backends import torch_compile, torch_printed

            if torch_compile.wanted(*arrays):  # CUDA: one compiled function, one host read
                return torch_printed.evaluate(self, arrays)
        if p.vector_form is softmax_entropy.entropy and numpy_route.usable(ops, arrays):
            if self.validate:  # values only: the blocked NumPy entropy on the tensors' memory
                validation.check(ops, p.spec, arrays, "")
            return numpy_route.call(softmax_entropy.numpy_entropy, list(arrays), arrays[0].dtype)
        if p.quantity == "kl" and p.numpy_equivalent and numpy_route.usable(ops, arrays):
            return self._numpy_kl(ops, *arrays)
        if p.quantity == "kl" and p.numpy_equivalent and ops.name == "torch" and fast_grad.usable(arrays):
            # Forward by the NumPy kernel (it validates), derivatives from the torch primitives.
            return fast_grad.apply(
                lambda *a: self._numpy_kl(ops, *a), lambda *a: self._primitives(ops, a, False), arrays,
                self._derived_gradient(),
            )
        return self._primitives(ops, arrays, validate)

    def _derived_gradient(self) -> derived_grad.Gradient | None:
        """The printed form's derived gradient in NumPy blocks, where it has one."""
        p = self._plan
        if p.stable_form is None:
            return None
        return derived_grad.gradient_for(p.family, p.points, p.stable_form, tuple(self._derivation.arguments))

    def _numpy_kl(self, ops: Ops, *arrays: Array) -> Array:
        p = self._plan
        if p.vector_form is vector.categorical_logits:
            # Logit vectors: the fused row form of symgeom.backends.softmax_kl (float32 error
            # below 1e-6 where the log-softmax kernel of symgeom.numeric reaches 1.6e-6).
            if self.validate:
                for index in range(p.points):
                    validation.check(ops, p.spec, [arrays[index]], f"_{index + 1}")
            function = softmax_kl.numpy_kl
        else:
            if self._numpy is None:
                self._numpy = self._derivation.numpy(validate=self.validate)
            function = self._numpy
        return numpy_route.call(function, list(arrays), ops.xp.result_type(*arrays))

    def _primitives(self, ops: Ops, arrays: list[Array] | tuple[Array, ...], validate: bool) -> Array:
        """The printed form over the backend's primitives (validated when ``validate``)."""
        p = self._plan
        out_dtype = arrays[0].dtype
        compute = [widen(ops, a) for a in arrays]
        if p.float64_inside and _has_float64(ops) and all(a.dtype == ops.xp.float32 for a in compute):
            compute = [ops.xp.astype(a, ops.xp.float64) for a in compute]
        per = len(p.spec)
        groups = [compute[i * per : (i + 1) * per] for i in range(p.points)]
        mask = invalid = None
        if validate:
            if validation.concrete(ops, compute):
                for index, group in enumerate(groups):
                    validation.check(ops, p.spec, group, f"_{index + 1}" if p.points > 1 else "")
            elif self._blocked_jax(ops):
                # scalar arguments only: the printed function's arguments are the groups' arrays
                invalid = partial(validation.invalid_mask, ops, p.spec * p.points)
            else:
                masks = [validation.invalid_mask(ops, p.spec, g) for g in groups]
                mask = masks[0] if len(masks) == 1 else masks[0] | masks[1]
        out = self._evaluate(ops, groups, invalid)
        if mask is not None:
            nan = ops.asarray(float("nan"), out)
            out = ops.xp.where(mask[(...,) + (None,) * (out.ndim - mask.ndim)], nan, out)
        return out if out.dtype == out_dtype else ops.xp.astype(out, out_dtype)

    def _blocked_jax(self, ops: Ops) -> bool:
        """Whether JAX evaluates the printed form in blocks over scalar arguments only."""
        p = self._plan
        return (ops.name == "jax" and p.vector_form is None and p.matrix_shape is None
                and all(i.kind == "scalar" for i in p.spec))

    def _evaluate(
        self, ops: Ops, groups: list[list[Array]], invalid: Callable[[list[Array]], Array] | None = None
    ) -> Array:
        p = self._plan
        if p.vector_form is not None:
            return p.vector_form(ops, *[a for g in groups for a in g])
        function = self._bound.get(ops.name + str(id(ops.xp)))
        if function is None:
            function = self._bound[ops.name + str(id(ops.xp))] = printer.bind(p.source, ops)
        scalars: list[Array] = []
        for group in groups:
            scalars += unpack(p.family, tuple(group))
        if ops.name == "jax" and p.matrix_shape is None:
            return _jax_blocks(function, scalars, invalid)
        values = function(*scalars)
        like = scalars[0]
        values = [ops.asarray(v, like) if is_number(v) else v for v in values]
        values = ops.xp.broadcast_arrays(*values, *scalars)[: len(values)]
        if p.matrix_shape is None:
            return values[0]
        stacked = ops.xp.stack(values, axis=-1)
        return ops.xp.reshape(stacked, (*stacked.shape[:-1], *p.matrix_shape))


#: Entries per block of a JAX evaluation; at 2²² float32 Gaussian pairs (2-core CPU) blocks of
#: 2¹⁸ took 141 ms, 2¹⁶ 180 ms, one block 431 ms (distrax's formula 127 ms).
JAX_BLOCK = 1 << 18


def _jax_blocks(
    function: Callable[..., tuple[Array, ...]],
    scalars: list[Array],
    invalid: Callable[[list[Array]], Array] | None = None,
) -> Array:
    """One printed value over broadcast arrays, in blocks of :data:`JAX_BLOCK` entries when larger and
    on the CPU (:func:`symgeom.backends.placement.jax_blocks`; on a GPU the blocks would run one
    after another): XLA then keeps the intermediates of the stable form (branches, series terms)
    per block, in cache, instead of arrays the size of the batch. A ``fori_loop`` reads each
    block with ``dynamic_slice`` from the inputs and writes it with ``dynamic_update_slice``
    into the output (in place); the last block starts at size − JAX_BLOCK, overlapping the one
    before it (its entries are computed twice, the same values), so no input is sliced or padded
    into a copy (a ``lax.map`` over ``x[:whole].reshape(-1, B)`` or over a padded copy took 2–3×
    the time). ``invalid(arrays)``, when given, marks the entries to return as nan; it is
    evaluated in each block (fused with the value instead of another pass over the batch)."""
    import jax
    import jax.numpy as jnp

    arrays = jnp.broadcast_arrays(*[jnp.asarray(x) for x in scalars])
    shape = arrays[0].shape
    size = math.prod(shape)
    from symgeom.backends import placement

    if size <= JAX_BLOCK or not placement.jax_blocks(*arrays):
        return _jax_value(function, arrays, invalid)
    flat = [jnp.reshape(a, (-1,)) for a in arrays]

    def block(start: Array) -> Array:
        columns = [jax.lax.dynamic_slice(x, (start,), (JAX_BLOCK,)) for x in flat]
        return _jax_value(function, columns, invalid)

    def body(index: Array, out: Array) -> Array:
        start = jnp.minimum(index * JAX_BLOCK, size - JAX_BLOCK)
        return jax.lax.dynamic_update_slice(out, block(start), (start,))

    dtype = jax.eval_shape(block, 0).dtype
    out = jax.lax.fori_loop(0, -(-size // JAX_BLOCK), body, jnp.zeros(size, dtype))
    return jnp.reshape(out, shape)


def _jax_value(
    function: Callable[..., tuple[Array, ...]],
    arrays: list[Array],
    invalid: Callable[[list[Array]], Array] | None = None,
) -> Array:
    import jax.numpy as jnp

    (value, *_) = function(*arrays)
    if is_number(value):
        value = jnp.asarray(value, dtype=arrays[0].dtype)
    value = jnp.broadcast_to(value, arrays[0].shape)
    if invalid is not None:
        value = jnp.where(invalid(arrays), jnp.nan, value)
    return value


def _numpy_invalid(family: Family, per_point: int, arrays: list[Any]) -> Any:
    """Where some point's inputs are outside their domain (NumPy arrays; None where nowhere)."""
    import numpy as np

    from symgeom.numeric.inputs import invalid_mask

    mask = None
    for start in range(0, len(arrays), per_point):
        bad = invalid_mask(family, tuple(arrays[start : start + per_point]))
        if bad is not None:
            mask = bad if mask is None else np.logical_or(mask, bad)
    return mask


def _unsigned_zero(ops: Ops, a: Array) -> Array:
    """``a`` with −0.0 replaced by +0.0 (every other entry, subnormals included, selected as is)."""
    from symgeom.backends.exact_frexp import equals_for

    xp = ops.xp
    # the zero test reads the bits on JAX: XLA reads −1e-310 as −0 (a negative p, refused, not 0)
    return xp.where(xp.signbit(a) & equals_for(xp)(a, 0.0), xp.zeros_like(a), a)


def _has_float64(ops: Ops) -> bool:
    """Whether the namespace computes in float64 (JAX only with ``jax_enable_x64``)."""
    if ops.name == "jax":
        import jax

        return bool(jax.config.jax_enable_x64)
    return True


_FUNCTIONS: dict[tuple[Derivation, str, bool], Callable[..., Any]] = {}


def compile_backend(derivation: Derivation, backend: str, validate: bool = True) -> BackendFunction:
    """The hook behind ``Derivation.torch()``, ``.jax()`` and ``.array_api()``: one function per
    (derivation, backend, validate), built on first use.  ``jax.jit`` keys its compilations by the
    function object, so ``jax.jit(d.jax())`` called again (another call site, another test) reuses
    the compilation of each shape and dtype instead of tracing and compiling XLA code anew."""
    key = (derivation, backend, bool(validate))
    function = _FUNCTIONS.get(key)
    if function is None:
        function = _FUNCTIONS[key] = _compile_backend(derivation, backend, validate)
    return function


def _compile_backend(derivation: Derivation, backend: str, validate: bool) -> BackendFunction:
    from symgeom.families.general_gaussian import MatrixSpecialization

    size_free = derivation.family is None or isinstance(derivation.family.general, MatrixSpecialization)
    if size_free and backend in ("torch", "jax", "array_api"):
        # general-size results (and concrete sizes that specialize one) read d from the arrays
        from symgeom.backends.general_forms import compile_general

        return compile_general(derivation, backend, validate)
    return BackendFunction(derivation, backend, validate)
