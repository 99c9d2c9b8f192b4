"""Tiny inputs on JAX (CPU) and CPU torch: the entries that have one are evaluated by the NumPy function.

XLA on the CPU reads a subnormal operand (5e-324 … 2.2e-308; float32 1e-45 … 1.2e-38) as 0 in
every arithmetic operation and comparison, so no printed form can see such an input: a
Binomial(4) KL(10⁻³¹⁰‖0.3) was nan, a Gaussian σ = 10⁻³¹⁰ failed the σ > 0 check (nan under
``jit``, "must be > 0" eagerly), KL(10⁻³¹⁰‖10⁻³⁰⁰) of a Bernoulli was 2.4e-9 off (p₁ read as 0);
and printed forms square their inputs (σ₁ = 10⁻³⁰⁰: σ₁² underflows, the Gaussian KL was ∞ for
690.3).  An input is *tiny* when it is nonzero and below 2⁻⁵¹¹ (float32 2⁻⁶³), read from its bits
(exponent field and significand: exact whatever the hardware does with subnormals).  A batch with
a tiny input is evaluated twice: by the printed form as usual and by ``derivation.numpy`` (NumPy
keeps subnormal numbers; its kernels are the ones every other backend is checked against), the
latter taken at the entries with a tiny input.  Eagerly the NumPy function also validates the
inputs (its errors name the argument); under ``jit`` and ``vmap`` it runs as a ``jax.pure_callback``
in the branch of a ``lax.cond`` that only such a batch takes, invalid entries nan as elsewhere.
The derivative at every entry is the printed form's (a ``custom_jvp``: the NumPy values carry
none), the convention of the subnormal-result copies (:mod:`symgeom.backends.tiny_forms`).
CPU torch keeps subnormal numbers but its printed forms lost digits at them (Binomial(4) H(5e-324)
four subnormal units low): the same route, with an autograd Function for the derivative.

Cost on the common path: one pass over the inputs' bits and one reduction, and eagerly one read
of a boolean from the device.  Not used on GPUs (they keep float64 subnormals) nor for 16-bit floats.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from symgeom.numeric.inputs import Input

if TYPE_CHECKING:
    from symgeom.backends.tiny_grad import Partials

Array = Any

#: (unsigned integer dtype name, significand bits, exponent field mask, the smallest exponent field
#: of an input that is not "tiny") per float format: tiny is nonzero and below 2⁻⁵¹¹ (float32 2⁻⁶³),
#: where a square (σ², a product of two such inputs) is no longer a normal number.
_FORMATS = {"float64": ("uint64", 52, 0x7FF, 1023 - 511), "float32": ("uint32", 23, 0xFF, 127 - 63)}
#: The same bound as a float, for backends that read subnormal numbers (CPU torch).
TINY = {"float64": 2.0**-511, "float32": 2.0**-63}


def applies(ops: Any, arrays: list[Array]) -> bool:
    """Whether ``arrays`` are JAX float32/float64 arrays (or tracers) evaluated on the CPU."""
    if ops.name != "jax" or not arrays:
        return False
    import jax.numpy as jnp

    from symgeom.backends import placement

    return (all(jnp.dtype(a.dtype).name in _FORMATS for a in arrays)
            and placement.jax_blocks(*arrays))


def words(x: Array) -> Array:
    """The bits of float array ``x`` as unsigned integers (they cross XLA operations unflushed)."""
    import jax
    import jax.numpy as jnp

    return jax.lax.bitcast_convert_type(x, jnp.dtype(_FORMATS[jnp.dtype(x.dtype).name][0]))


def subnormal(word: Array, dtype: Any) -> Array:
    """Elementwise: the float of bits ``word`` (format ``dtype``) is tiny — nonzero and below 2⁻⁵¹¹
    (float32 2⁻⁶³), subnormal ones included — read from the exponent field and significand."""
    import jax.numpy as jnp

    _, bits, mask, smallest = _FORMATS[jnp.dtype(dtype).name]
    exponent = (word >> bits) & mask
    significand = word & ((1 << bits) - 1)
    return (exponent < smallest) & ((exponent != 0) | (significand != 0))


def entry_mask(spec: tuple[Input, ...], arrays: list[Array], dtypes: list[Any] | None = None) -> Array:
    """Over the broadcast batch shape: True where some input has a subnormal entry (``arrays`` are
    floats, or their :func:`words` with their float ``dtypes``)."""
    import jax.numpy as jnp

    masks = []
    for i, (inp, x) in enumerate(zip(spec, arrays, strict=True)):
        rank = {"scalar": 0, "vector": 1, "matrix": 2}[inp.kind]
        m = subnormal(x, dtypes[i]) if dtypes is not None else subnormal(words(x), x.dtype)
        masks.append(jnp.any(m, axis=tuple(range(-rank, 0))) if rank else m)
    return jnp.broadcast_arrays(*masks)[0] if len(masks) == 1 else _any_of(masks)


def _any_of(masks: list[Array]) -> Array:
    import jax.numpy as jnp

    shape = jnp.broadcast_shapes(*(m.shape for m in masks))
    out = jnp.zeros(shape, dtype=bool)
    for m in masks:
        out = out | m
    return out


_WORKER: list[Any] = []


def _worker() -> Any:
    """One worker thread, started (on first use) from the calling Python thread, so that its
    floating-point environment is Python's (a thread inherits its creator's)."""
    if not _WORKER:
        from concurrent.futures import ThreadPoolExecutor

        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="symgeom-subnormal")
        executor.submit(lambda: None).result()  # the thread starts here, not in a callback
        _WORKER.append(executor)
    return _WORKER[0]


def evaluate_jax(evaluate: Callable[[list[Array]], Array], spec: tuple[Input, ...], arrays: list[Array],
                 numpy_function: Callable[..., Any], invalid: Callable[[list[Any]], Any] | None,
                 partials: Partials | None = None) -> Array:
    """``evaluate(arrays)`` (the printed form), and for a batch with a tiny input the same with those
    entries from ``numpy_function``: one ``lax.cond`` on a reduction of the inputs' bits, so a batch
    without one pays that reduction only.  Invalid entries (``invalid``, NumPy, or None) are nan.
    ``partials`` (:func:`symgeom.backends.tiny_grad.partials_for`), when given, gives the derivative
    at those entries; the printed form is then evaluated there at stand-ins, every nonzero input
    of the entry ±½ (its sign; zeros stay): its derivative there is not used, and must not be nan
    (a nan times a zero cotangent is nan)."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    floats = [np.dtype(a.dtype) for a in arrays]
    flag = jnp.any(entry_mask(spec, [words(jax.lax.stop_gradient(a)) for a in arrays], floats))

    def rare(xs: tuple[Array, ...]) -> Array:
        # the inputs reach NumPy as their bits (exact whatever XLA does with floats), taken inside
        # the branch: as operands of the cond they were two more batch-sized buffers on every call
        # (Bernoulli KL under jit 1.8-2x the route off, page faults of the larger allocation)
        bits = tuple(words(jax.lax.stop_gradient(x)) for x in xs)
        if partials is None:
            return _merged(evaluate(list(xs)), spec, bits, floats, numpy_function, invalid)
        mask = entry_mask(spec, list(bits), floats)
        safe = [jnp.where(mask & ((w << 1) != 0), jnp.where(jnp.signbit(x), -0.5, 0.5).astype(x.dtype), x)
                for x, w in zip(xs, bits, strict=True)]
        direct = evaluate(safe)
        return _merged(direct, spec, bits, floats, numpy_function, invalid, (xs, partials))

    def common(xs: tuple[Array, ...]) -> Array:
        return evaluate(list(xs))

    return jax.lax.cond(flag, rare, common, tuple(arrays))


def _merged(direct: Array, spec: tuple[Input, ...], bits: tuple[Array, ...], floats: list[Any],
            numpy_function: Callable[..., Any], invalid: Callable[[list[Any]], Any] | None,
            derivative: tuple[tuple[Array, ...], Partials] | None = None) -> Array:
    """``direct`` with the entries that have a tiny input from a ``pure_callback`` of the NumPy
    function; derivatives are ``direct``'s (a ``custom_jvp``: the NumPy values carry none), or,
    with ``derivative`` = (inputs, partials), those of ``partials`` at those entries."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    worker = _worker()

    def host(shape: tuple[int, ...], dtype: Any, *words: Any) -> Any:
        # XLA runs a callback on a thread whose floating-point unit flushes subnormals (MXCSR
        # FTZ/DAZ: NumPy there read 1e-310 as 0): the NumPy function runs on a thread that
        # Python started, which does not.
        return worker.submit(on_host, shape, dtype, *[np.array(w) for w in words]).result()

    def on_host(shape: tuple[int, ...], dtype: Any, *words: Any) -> Any:
        arrays = [w.view(f) for w, f in zip(words, floats, strict=True)]
        with np.errstate(all="ignore"):
            out = np.array(np.broadcast_to(numpy_function(*arrays), shape), dtype=dtype)
            bad = invalid(arrays) if invalid is not None else None
        if bad is not None:
            bad = np.asarray(bad)
            out[np.broadcast_to(bad[(...,) + (None,) * (out.ndim - bad.ndim)], shape)] = np.nan
        return out

    @jax.custom_jvp
    def patch(value: Array, *bits: Array) -> Array:
        mask = entry_mask(spec, list(bits), floats)
        extra = value.ndim - mask.ndim
        wide = mask[(...,) + (None,) * extra] if extra > 0 else mask
        result = jax.ShapeDtypeStruct(value.shape, value.dtype)
        computed = jax.pure_callback(
            lambda *w: host(value.shape, value.dtype, *w), result, *bits, vmap_method="sequential")
        return jnp.where(wide, computed, value)

    @patch.defjvp
    def _jvp(primals: tuple[Array, ...], tangents: tuple[Array, ...]) -> tuple[Array, Array]:
        return patch(*primals), tangents[0]

    if derivative is None:
        return patch(direct, *bits)
    xs, partials = derivative

    def host_partials(shape: tuple[int, ...], dtype: Any, *words: Any) -> Any:
        return worker.submit(on_host_partials, shape, dtype, *[np.array(w) for w in words]).result()

    def on_host_partials(shape: tuple[int, ...], dtype: Any, *words: Any) -> Any:
        arrays = [w.view(f) for w, f in zip(words, floats, strict=True)]
        mask = np.asarray(entry_mask_numpy(spec, arrays))
        with np.errstate(all="ignore"):
            found = partials(arrays, mask)
        return np.stack([np.broadcast_to(f, shape) for f in found]).astype(dtype)

    @jax.custom_jvp
    def tiny(value: Array, xs: tuple[Array, ...], *bits: Array) -> Array:
        return patch(value, *bits)

    @tiny.defjvp
    def _tiny_jvp(primals: tuple[Any, ...], tangents: tuple[Any, ...]) -> tuple[Array, Array]:
        value, xs, *bits = primals
        out = patch(value, *bits)
        mask = entry_mask(spec, list(bits), floats)
        extra = value.ndim - mask.ndim
        wide = mask[(...,) + (None,) * extra] if extra > 0 else mask
        result = jax.ShapeDtypeStruct((len(xs), *value.shape), value.dtype)
        found = jax.pure_callback(lambda *w: host_partials(value.shape, value.dtype, *w), result, *bits,
                                  vmap_method="sequential")
        total = sum(found[i] * t for i, t in enumerate(tangents[1]))
        return out, jnp.where(wide, total, tangents[0])

    return tiny(direct, tuple(xs), *bits)


def entry_mask_numpy(spec: tuple[Input, ...], arrays: list[Any]) -> Any:
    """:func:`entry_mask` of NumPy float arrays (read on the host, where subnormals are kept)."""
    import numpy as np

    masks = []
    for inp, x in zip(spec, arrays, strict=True):
        rank = {"scalar": 0, "vector": 1, "matrix": 2}[inp.kind]
        m = (x != 0) & (np.abs(x) < TINY[x.dtype.name])
        masks.append(m.any(axis=tuple(range(-rank, 0))) if rank else m)
    return np.logical_or.reduce(np.broadcast_arrays(*masks)) if len(masks) > 1 else masks[0]


# --- torch on the CPU ----------------------------------------------------------------------------
def torch_applies(arrays: list[Array]) -> bool:
    """Eager CPU float32/float64 tensors (outside ``torch.compile`` and ``torch.func``)."""
    import torch

    from symgeom.backends import eager_torch

    return (bool(arrays) and eager_torch.eager(*arrays) and not torch.compiler.is_compiling()
            and all(a.device.type == "cpu" and a.dtype in (torch.float32, torch.float64) for a in arrays))


def torch_entry_mask(spec: tuple[Input, ...], arrays: list[Array]) -> Array:
    """Over the broadcast batch shape: True where some input has a subnormal entry (CPU torch
    keeps subnormal numbers, so the comparison reads them)."""
    import torch

    masks = []
    for inp, x in zip(spec, arrays, strict=True):
        rank = {"scalar": 0, "vector": 1, "matrix": 2}[inp.kind]
        x = x.detach()
        m = (x != 0) & (x.abs() < TINY[str(x.dtype).removeprefix("torch.")])
        for _ in range(rank):
            m = m.any(dim=-1)
        masks.append(m)
    return torch.broadcast_tensors(*masks)[0] if len(masks) == 1 else _torch_any(masks)


def _torch_any(masks: list[Array]) -> Array:
    out = masks[0]
    for m in masks[1:]:
        out = out | m
    return out


def torch_stand_ins(arrays: list[Array], mask: Array) -> list[Array]:
    """Scalar inputs with every nonzero input of an entry of ``mask`` replaced by ±½ (its sign;
    zeros stay): where the printed form is evaluated for a derivative that is not used
    (:func:`torch_merged` with partials), a point inside the domain with no extreme ratio."""
    import torch

    out = []
    for x in arrays:
        half = torch.where(torch.signbit(x), -0.5, 0.5).to(x.dtype)
        out.append(torch.where(mask & (x != 0), half, x))
    return out


def torch_merged(direct: Array, mask: Array, arrays: list[Array],
                 numpy_function: Callable[..., Any], partials: Partials | None = None) -> Array:
    """``direct`` with the entries of ``mask`` from ``numpy_function`` on the tensors' values; the
    gradient is ``direct``'s at every entry, or with ``partials``
    (:func:`symgeom.backends.tiny_grad.partials_for`) theirs at the entries of ``mask``."""
    import numpy as np
    import torch

    host = [a.detach().numpy() for a in arrays]
    with np.errstate(all="ignore"):
        values = np.asarray(numpy_function(*host))
    fixed = torch.from_numpy(np.array(np.broadcast_to(values, tuple(direct.shape)))).to(direct.dtype)
    extra = direct.dim() - mask.dim()
    wide = mask[(...,) + (None,) * extra] if extra > 0 else mask
    if partials is None or not any(a.requires_grad for a in arrays):
        return _Patched.apply(direct, fixed, wide)
    with np.errstate(all="ignore"):
        found = partials(host, mask.numpy())
    stacked = torch.from_numpy(np.stack([np.broadcast_to(f, tuple(direct.shape)) for f in found]))
    return _TinyMerged.apply(direct, fixed, wide, stacked.to(direct.dtype), *arrays)


def _patched_class() -> Any:
    import torch

    class Patched(torch.autograd.Function):
        """where(mask, fixed, direct) whose derivative is direct's everywhere."""

        @staticmethod
        def forward(direct: Array, fixed: Array, mask: Array) -> Array:
            return torch.where(mask, fixed, direct)

        @staticmethod
        def setup_context(ctx: Any, inputs: tuple[Array, ...], output: Array) -> None:
            pass

        @staticmethod
        def backward(ctx: Any, g: Array) -> tuple[Array | None, ...]:
            return g, None, None

    return Patched


def _tiny_merged_class() -> Any:
    import torch

    class TinyMerged(torch.autograd.Function):
        """where(mask, fixed, direct) whose derivative is Σᵢ partialsᵢ·dxᵢ on mask, direct's elsewhere."""

        @staticmethod
        def forward(direct: Array, fixed: Array, mask: Array, partials: Array, *arrays: Array) -> Array:
            return torch.where(mask, fixed, direct)

        @staticmethod
        def setup_context(ctx: Any, inputs: tuple[Array, ...], output: Array) -> None:
            _, _, mask, partials, *arrays = inputs
            ctx.save_for_backward(mask, partials)
            ctx.shapes = [tuple(a.shape) for a in arrays]

        @staticmethod
        def backward(ctx: Any, g: Array) -> tuple[Array | None, ...]:
            mask, partials = ctx.saved_tensors
            zero = torch.zeros_like(g)
            grads = [torch.where(mask, g * p, zero) for p in partials]
            summed = [x if tuple(x.shape) == s else x.sum_to_size(s) for x, s in zip(grads, ctx.shapes,
                                                                                     strict=True)]
            return (torch.where(mask, zero, g), None, None, None, *summed)

    return TinyMerged


class _Lazy:
    """A torch Function, built on first use (torch is imported only where it is used)."""

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build
        self._cls: Any = None

    def apply(self, *args: Array) -> Array:
        if self._cls is None:
            self._cls = self._build()
        return self._cls.apply(*args)


_Patched = _Lazy(_patched_class)
_TinyMerged = _Lazy(_tiny_merged_class)
