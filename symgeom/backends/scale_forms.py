"""Entropy and Fisher on torch/JAX through the family's scale symmetry and its covariance factor.

The array-library counterpart of ``.numpy()``'s :func:`symgeom.numeric.compile._dilated`, generated
from the same family data, for the printed entries of :mod:`symgeom.backends.compile`:

* **dilation** (:mod:`symgeom.numeric.dilation`) — where p(cx | c^w θ) = c^{−d} p(x | θ) is proved,
  each batch entry is evaluated at θ' = 2^{kw}θ with k chosen so the signed-domain parameters
  (σ, Σᵢᵢ, η₂, …) are of order 1, then mapped back exactly:
  H(θ) = H(θ') − d·k·log 2 and F(θ)ᵢⱼ = 2^{k(wᵢ+wⱼ)} F(θ')ᵢⱼ.  k comes from ``frexp`` of the
  parameters (``torch.frexp``/``jnp.frexp``; ⌊log₂|x|⌋ + 1 elsewhere), it carries no gradient (the
  identity holds for every k), and each power of two is applied as four factors 2^{⌊n/4⌋}… so that
  none over/underflows (2^{±2048} scalings of a Fisher entry at Σ = 10^{∓300}·I);
* **precision** (:mod:`symgeom.numeric.precision`) — a Fisher whose every entry is a polynomial in
  P = Σ⁻¹ is printed in P, and P = L⁻ᵀL⁻¹ is computed from the double-double Cholesky factor
  Σ = LLᵀ of Σ scaled by a power of 4 (:func:`factored`, :mod:`symgeom.numeric.double_double`)
  and rounded once: ≤ 3e-16 of ‖P‖ at condition number 10¹², where a float64 factor keeps
  ≈ cond·ε (8e-5) and the cofactor/det form lost every digit;
* **log-determinant** — a ``log`` whose argument is c·det Σ for a positive-definite argument Σ
  (the entropy ½ log det(2πeΣ), derived as the log of the expanded determinant) is printed as
  log c + ln det Σ with ln det Σ = 2 Σᵢ log Lᵢᵢ from the same factor (the rewrite of
  :func:`symgeom.numeric.logdet.logdet_form`), to an ulp where the expanded determinant cancels
  (5.9 % off at condition number 10¹² in ``.numpy()``).

The printed source (:func:`scaled_source`) keeps the interface of
:func:`symgeom.backends.printer.print_source`: ``_generated(θ…)`` returning the entries, its body
calling :func:`evaluate` (bound by :func:`symgeom.backends.printer.bind`) around the printed entries.
So the eager primitives, JAX's blocked ``jit`` evaluation and the torch compiled route
(:mod:`symgeom.backends.torch_printed`) all evaluate the same thing; every step is a ``where``
form or a batched factorization, with no host read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from math import lcm, log
from typing import TYPE_CHECKING, Any

import sympy as sp

from symgeom.backends import printer

if TYPE_CHECKING:
    from symgeom.derivation import Derivation
    from symgeom.families.base import Family

Array = Any


def _logdet_form(
    family: Family, entries: Sequence[sp.Expr], blocks: list[tuple[int, int]]
) -> tuple[tuple[sp.Expr, ...], list[sp.Symbol], list[int]]:
    """``entries`` with every log(c·det Σ) (c > 0 a number) replaced by log c + ℓ, ℓ a new symbol
    standing for ln det Σ (the rewrite of :func:`symgeom.numeric.logdet.logdet_form`, its
    ``CholeskyLogDet`` atoms swapped for the symbols); returns the new entries, the ℓ symbols and
    the index of their blocks."""
    from symgeom.numeric.logdet import CholeskyLogDet, logdet_form

    rewritten = []
    for entry in entries:
        new = logdet_form(family, entry)
        rewritten.append(sp.sympify(entry) if new is None else new)
    present = set().union(*(e.atoms(CholeskyLogDet) for e in rewritten))
    symbols = family.symbols()
    found: list[sp.Symbol] = []
    which: list[int] = []
    swap: dict[sp.Expr, sp.Symbol] = {}
    for index, (offset, d) in enumerate(blocks):
        atom = CholeskyLogDet(*symbols[offset : offset + d * (d + 1) // 2])
        if atom in present:
            swap[atom] = sp.Dummy(f"logdet{index}", real=True)
            found.append(swap[atom])
            which.append(index)
    return tuple(e.xreplace(swap) for e in rewritten), found, which


def scaled_source(derivation: Derivation, entries: tuple[sp.Expr, ...]) -> printer.Source | None:
    """The printed entropy/Fisher ``entries`` of ``derivation`` wrapped in the dilation, precision
    and log-determinant forms that apply to its family (see the module docstring), or None when
    none applies (then the entries are printed as they are)."""
    from symgeom.numeric.dilation import dilation_weights
    from symgeom.numeric.precision import matrix_blocks, precision_form

    family = derivation.family
    arguments = tuple(derivation.arguments)
    if family is None or derivation.quantity not in ("entropy", "fisher"):
        return None
    if tuple(family.symbols()) != arguments:
        return None
    weights = dilation_weights(family)
    blocks = matrix_blocks(family)
    precision = False
    if derivation.quantity == "fisher" and blocks:
        inverse = precision_form(family, derivation.result)
        if inverse is not None:
            entries, precision = tuple(inverse), True
    entries, logdets, logdet_blocks = _logdet_form(family, entries, blocks)
    anchors = ()
    if weights is not None:
        anchors = tuple(
            i for i, (w, p) in enumerate(zip(weights, family.parameters, strict=True))
            if w and (p.assumptions.get("positive") or p.assumptions.get("negative"))
        )
    if not anchors and not precision and not logdets:
        return None
    spec = {
        "quantity": derivation.quantity,
        "weights": tuple((w.numerator, w.denominator) for w in weights) if anchors else (),
        "anchors": anchors,
        "step": lcm(*(w.denominator for w in weights)) if anchors else 1,
        "dimension": _dimension(family),
        "blocks": tuple(blocks) if (precision or logdets) else (),
        "precision": precision,
        "logdets": tuple(logdet_blocks),
    }
    inner = printer.print_source(tuple(entries), arguments + tuple(logdets))
    names = inner.arguments[: len(arguments)]
    text = inner.text.replace("def _generated(", "def _entries(", 1)
    rescue = _rescue_text(entries, arguments) if derivation.quantity == "fisher" and not precision else None
    text += rescue or ""
    keyword = ", rescue=_rescue" if rescue else ""
    text += (f"def _generated({', '.join(names)}):\n"
             f"    return dilated(_entries, {spec!r}, {', '.join(names)}{keyword})\n")
    return printer.Source(text, names, inner.count)


def _rescue_text(entries: Sequence[sp.Expr], arguments: tuple[sp.Symbol, ...]) -> str | None:
    """``_rescue(θ…, v…)``: each mapped-back Fisher entry vᵢ with its log-magnitude copy at the
    original θ (:func:`symgeom.backends.tiny_forms.rescued`), where it has one; None if none has.
    The dilated entries are evaluated at 2^{kw}θ, which cannot bring every σᵢ to order 1 when
    they span more than ~300 decades (1/σ₂² = 1e-320 at σ = (1e-160, 1e160) was 0 on JAX)."""
    from symgeom.backends.tiny_forms import TinyRescue, rescued

    values = sp.symbols(f"tiny_value0:{len(entries)}", real=True)
    outs = []
    for entry, value in zip(entries, values, strict=True):
        copy = rescued(entry)
        outs.append(TinyRescue(value, *copy.args[1:]) if isinstance(copy, TinyRescue) else value)
    if not any(isinstance(o, TinyRescue) for o in outs):
        return None
    source = printer.print_source(tuple(outs), arguments + tuple(values))
    return source.text.replace("def _generated(", "def _rescue(", 1)


def _dimension(family: Family) -> int:
    from symgeom.families.base import RealSupport

    return family.support.dimension if isinstance(family.support, RealSupport) else 1


# --- evaluation (bound to an Ops by symgeom.backends.printer.bind) --------------------------------
def evaluate(
    ops: Any, entries: Callable[..., tuple[Array, ...]], spec: dict, *scalars: Array,
    rescue: Callable[..., tuple[Array, ...]] | None = None,
) -> tuple:
    """The entries of ``spec['quantity']`` at ``scalars`` through the forms ``spec`` names;
    ``rescue(θ…, v…)`` (printed by :func:`_rescue_text`) applied to the mapped-back entries."""
    xp = ops.xp
    like = next(s for s in scalars if not _is_number(s))
    scalars = [ops.asarray(s, like) if _is_number(s) else s for s in scalars]
    scalars = list(xp.broadcast_arrays(*scalars))
    original = tuple(scalars)
    weights = [Fraction(n, d) for n, d in spec["weights"]]
    k = None
    if weights:
        anchors = spec["anchors"]
        k = _exponent(ops, [scalars[i] for i in anchors], [float(weights[i]) for i in anchors], spec["step"])
        scalars = [s if not w else times_pow2(ops, s, k * float(w))
                   for s, w in zip(scalars, weights, strict=True)]
    logdets = []
    for index, (offset, d) in enumerate(spec["blocks"]):
        pairs = [(i, j) for i in range(d) for j in range(i, d)]  # traceable by torch.compile
        position = {p: offset + n for n, p in enumerate(pairs)}
        lower = [[scalars[position[(j, i)]] for j in range(i + 1)] for i in range(d)]
        logdet, inverse = factored(ops, lower, index in spec["logdets"], spec["precision"])
        if logdet is not None:
            logdets.append(logdet)
        if inverse is not None:
            for (i, j), n in position.items():
                scalars[n] = inverse[j][i]
    values = [ops.asarray(v, like) if _is_number(v) else v for v in entries(*scalars, *logdets)]
    if k is None:
        return tuple(values) if rescue is None else tuple(rescue(*original, *values))
    if spec["quantity"] == "entropy":
        return (values[0] - (spec["dimension"] * log(2.0)) * k,)
    n = len(weights)
    out = []
    for index, v in enumerate(values):
        power = weights[index // n] + weights[index % n]
        out.append(v if not power else times_pow2(ops, v, k * float(power)))
    return tuple(out) if rescue is None else tuple(rescue(*original, *out))


def _is_number(x: object) -> bool:
    return isinstance(x, int | float) and not hasattr(x, "dtype")


def _exponent(ops: Any, anchors: list[Array], weights: list[float], step: int) -> Array:
    """k (a float array of integers, multiples of ``step``, no gradient) centring the anchors'
    binary exponents eᵢ/wᵢ on 0, as :func:`symgeom.numeric.dilation.rescaled` does."""
    xp = ops.xp
    targets = [-_frexp_exponent(ops, a) / w for a, w in zip(anchors, weights, strict=True)]
    high, low = targets[0], targets[0]
    for t in targets[1:]:
        high, low = xp.maximum(high, t), xp.minimum(low, t)
    k = xp.round((high + low) / (2 * step)) * step
    return xp.where(xp.isfinite(k), k, xp.zeros_like(k))


def _frexp_exponent(ops: Any, x: Array) -> Array:
    """e with x = m·2ᵉ, ½ ≤ |m| < 1 (0 for 0, ±inf and nan), as a float array without gradient."""
    if ops.name == "torch":
        x = x.detach()
        return x.frexp()[1].to(x.dtype)
    if ops.name == "jax":
        import jax
        import jax.numpy as jnp

        x = jax.lax.stop_gradient(x)
        return jnp.frexp(x)[1].astype(x.dtype)
    xp = ops.xp
    finite = xp.isfinite(x) & (x != 0)
    safe = xp.where(finite, xp.abs(x), xp.ones_like(x))
    return xp.where(finite, xp.floor(xp.log2(safe)) + 1, xp.zeros_like(x))


def times_pow2(ops: Any, x: Array, n: Array) -> Array:
    """x·2ⁿ exactly (n an integer-valued float array), as four factors 2^q, none of which
    over/underflows for |n| ≤ 4088 (0·2ⁿ stays 0 where 2ⁿ alone would be inf); on JAX assembled
    from the bits (:mod:`symgeom.backends.exact_ldexp`), as XLA on the CPU flushes a subnormal
    product (a Fisher entry 1/(2σ⁴) below 2⁻¹⁰²²) to 0."""
    xp = ops.xp
    if ops.name == "jax":
        from symgeom.backends.exact_ldexp import ldexp_for

        return ldexp_for(xp)(x, n)
    q = xp.trunc(n / 4)
    last = n - 3 * q
    factor, rest = _pow2(ops, q), _pow2(ops, last)
    return x * factor * factor * factor * rest


def _pow2(ops: Any, q: Array) -> Array:
    if ops.name in ("jax", "torch"):
        # exact from the bits: jnp.exp2, jnp.ldexp and torch.pow go through a pow that is not
        # exact on a GPU
        from symgeom.backends.exact_ldexp import power_of_two

        return power_of_two(q, q.dtype)
    return ops.xp.pow(ops.asarray(2.0, q), q)


def factored(
    ops: Any, lower: list[list[Array]], want_logdet: bool, want_inverse: bool
) -> tuple[Array | None, list[list[Array]] | None]:
    """(ln det Σ, Σ⁻¹ as rows) of the symmetric Σ whose lower triangle is ``lower`` (rows of batch
    arrays), each asked for or None, from the double-double Cholesky factor of Σ scaled by an
    exact power of 4 (:mod:`symgeom.numeric.double_double`) and rounded once: relative error
    ≈ ε of ln det Σ and of ‖Σ⁻¹‖ at condition numbers up to ≈ 1/ε (a float64 factorization
    keeps ≈ cond·ε).  float32 is computed in float64 where the namespace has it.  Where Σ is not
    finite or not positive definite both come back nan, without raising; such a Σ is factored as
    the identity, so no derivative sees its nan."""
    from symgeom.backends.bregman import float64_for_float32
    from symgeom.numeric import double_double as dd

    xp = ops.xp
    d = len(lower)
    like = lower[0][0]
    wide = float64_for_float32(ops, like)
    if wide is not None:
        lower = [[xp.astype(v, wide) for v in row] for row in lower]
    finite = None
    for row in lower:
        for v in row:
            finite = xp.isfinite(v) if finite is None else finite & xp.isfinite(v)
    one, zero = lower[0][0] * 0 + 1, lower[0][0] * 0
    safe = [[xp.where(finite, v, one if i == j else zero) for j, v in enumerate(row)]
            for i, row in enumerate(lower)]
    # Σ = DΣ̃D with D = diag(2^{eᵢ}) exact (numeric.dd_linalg.coordinate_exponents): one scale
    # cannot hold Σ = diag(1e-200, 1e200), whose factor came out nan (Fisher entries nan, not ±inf)
    e = [xp.floor(_frexp_exponent(ops, safe[i][i]) / 2) for i in range(d)]
    safe = [[times_pow2(ops, v, -(e[i] + e[j])) for j, v in enumerate(row)] for i, row in enumerate(safe)]
    k = dd.scale_exponent(xp, [safe[i][i] for i in range(d)])
    factor = dd.cholesky(xp, [[dd.from_float(times_pow2(ops, v, -2 * k)) for v in row] for row in safe])
    bad = ~finite
    for i in range(d):
        hi, lo = factor[i][i]
        bad = bad | ~(hi > 0) | ~xp.isfinite(lo)
    nan = xp.where(bad, xp.nan, zero)  # nan + x: nan where bad, x elsewhere

    def back(x: Array) -> Array:
        return x if x.dtype == like.dtype else xp.astype(x, like.dtype)

    logdet = inverse = None
    if want_logdet:  # ln det Σ = ln det Σ' + d·k·log 4 + 2Σeᵢ·log 2
        shift = d * k + sum(e)  # log 4 · (d·k + Σeᵢ)
        value = dd.add(dd.logdet(xp, factor), dd.mul_float((one * _LOG4[0], one * _LOG4[1]), shift))
        logdet = back(value[0] + nan)
    if want_inverse:  # Σ⁻¹ = D⁻¹ 4⁻ᵏ Σ'⁻¹ D⁻¹
        precision = dd.precision(factor)
        inverse = [[back(times_pow2(ops, precision[i][j][0], -2 * k - (e[i] + e[j])) + nan) for j in range(d)]
                   for i in range(d)]
    return logdet, inverse


#: log 4 as a double-double (hi, lo).
_LOG4 = (1.3862943611198906, 4.638093627692599e-17)
