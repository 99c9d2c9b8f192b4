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
  P = Σ⁻¹ is printed in P, and P is computed from the Cholesky factor Σ = LLᵀ
  (``torch.cholesky_inverse``, ``jax.scipy.linalg.cho_solve``; ``linalg.inv`` elsewhere): the
  cofactor/det form lost every digit at condition number 10¹²;
* **log-determinant** — a ``log`` whose argument is c·det Σ for a positive-definite argument Σ
  (the entropy ½ log det(2πeΣ), derived as the log of the expanded determinant) is printed as
  log c + ln det Σ with ln det Σ = 2 Σᵢ log Lᵢᵢ, exact to a few ulps where the expanded determinant
  cancels (5.9 % off at condition number 10¹² in ``.numpy()``).

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
from itertools import combinations_with_replacement
from math import lcm, log
from typing import TYPE_CHECKING, Any

import sympy as sp

from symgeom.backends import printer

if TYPE_CHECKING:
    from symgeom.derivation import Derivation
    from symgeom.families.base import Family

Array = Any


def _logdet_form(
    entries: Sequence[sp.Expr], symbols: Sequence[sp.Symbol], blocks: list[tuple[int, int]]
) -> tuple[tuple[sp.Expr, ...], list[sp.Symbol], list[int]]:
    """``entries`` with every log(c·det Σ) (c > 0 a number) replaced by log c + ℓ, ℓ a new symbol
    standing for ln det Σ; returns the new entries, the ℓ symbols and the index of their blocks."""
    found: list[sp.Symbol] = []
    which: list[int] = []
    out = list(entries)
    for index, (offset, d) in enumerate(blocks):
        pairs = list(combinations_with_replacement(range(d), 2))
        names = dict(zip(pairs, symbols[offset : offset + len(pairs)], strict=True))
        det = sp.Matrix(d, d, [names[(min(i, j), max(i, j))] for i in range(d) for j in range(d)]).det()
        ell = sp.Dummy(f"logdet{index}", real=True)

        def swap(e: sp.log, det: sp.Expr = det, ell: sp.Symbol = ell) -> sp.Expr:
            ratio = sp.cancel(e.args[0] / det)
            if ratio.is_number and ratio.is_positive:
                return sp.log(ratio) + ell
            return e

        new = [sp.sympify(e).replace(lambda e: isinstance(e, sp.log), swap) for e in out]
        if any(n.has(ell) for n in new):
            out = new
            found.append(ell)
            which.append(index)
    return tuple(out), found, which


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
    entries, logdets, logdet_blocks = _logdet_form(entries, arguments, blocks)
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
    text += (f"def _generated({', '.join(names)}):\n"
             f"    return dilated(_entries, {spec!r}, {', '.join(names)})\n")
    return printer.Source(text, names, inner.count)


def _dimension(family: Family) -> int:
    from symgeom.families.base import RealSupport

    return family.support.dimension if isinstance(family.support, RealSupport) else 1


# --- evaluation (bound to an Ops by symgeom.backends.printer.bind) --------------------------------
def evaluate(ops: Any, entries: Callable[..., tuple[Array, ...]], spec: dict, *scalars: Array) -> tuple:
    """The entries of ``spec['quantity']`` at ``scalars`` through the forms ``spec`` names."""
    xp = ops.xp
    like = next(s for s in scalars if not _is_number(s))
    scalars = [ops.asarray(s, like) if _is_number(s) else s for s in scalars]
    scalars = list(xp.broadcast_arrays(*scalars))
    weights = [Fraction(n, d) for n, d in spec["weights"]]
    k = None
    if weights:
        anchors = spec["anchors"]
        k = _exponent(ops, [scalars[i] for i in anchors], [float(weights[i]) for i in anchors], spec["step"])
        scalars = [s if not w else _times_pow2(ops, s, k * float(w))
                   for s, w in zip(scalars, weights, strict=True)]
    logdets = []
    for index, (offset, d) in enumerate(spec["blocks"]):
        pairs = [(i, j) for i in range(d) for j in range(i, d)]  # traceable by torch.compile
        position = {p: offset + n for n, p in enumerate(pairs)}
        rows = [xp.stack([scalars[position[(min(i, j), max(i, j))]] for j in range(d)], axis=-1)
                for i in range(d)]
        matrix = xp.stack(rows, axis=-2)
        chol, bad = _cholesky(ops, matrix)
        if index in spec["logdets"]:
            diagonal = xp.stack([chol[..., i, i] for i in range(d)], axis=-1)
            logdets.append(xp.where(bad, xp.nan, 2 * xp.sum(xp.log(diagonal), axis=-1)))
        if spec["precision"]:
            inverse = _cholesky_inverse(ops, chol, matrix)
            for (i, j), n in position.items():
                scalars[n] = xp.where(bad, xp.nan, inverse[..., i, j])
    values = [ops.asarray(v, like) if _is_number(v) else v for v in entries(*scalars, *logdets)]
    if k is None:
        return tuple(values)
    if spec["quantity"] == "entropy":
        return (values[0] - (spec["dimension"] * log(2.0)) * k,)
    n = len(weights)
    out = []
    for index, v in enumerate(values):
        power = weights[index // n] + weights[index % n]
        out.append(v if not power else _times_pow2(ops, v, k * float(power)))
    return tuple(out)


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


def _times_pow2(ops: Any, x: Array, n: Array) -> Array:
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
    if ops.name == "jax":
        import jax.numpy as jnp

        return jnp.ldexp(jnp.ones_like(q), q.astype(jnp.int32))  # jnp.exp2 is not exact
    return ops.xp.pow(ops.asarray(2.0, q), q)


def _cholesky(ops: Any, matrix: Array) -> tuple[Array, Array]:
    """(L with Σ = LLᵀ, where Σ is not finite or not positive definite), without raising: such a
    Σ is factored as the identity and flagged (its entries come back nan)."""
    xp = ops.xp
    finite = xp.all(xp.isfinite(matrix), axis=(-2, -1))
    eye = xp.eye(matrix.shape[-1], dtype=matrix.dtype)
    if ops.name == "torch":
        import torch

        eye = eye.to(matrix.device)
        safe = torch.where(finite[..., None, None], matrix, eye)
        chol, info = torch.linalg.cholesky_ex(safe)
        return chol, ~finite | (info != 0)
    safe = xp.where(finite[..., None, None], matrix, eye)
    if ops.name == "jax":
        import jax.numpy as jnp

        chol = jnp.linalg.cholesky(safe)  # nan where not positive definite
    else:
        try:
            chol = xp.linalg.cholesky(safe)
        except Exception:  # a namespace whose cholesky raises on a non-PD batch (NumPy)
            chol = xp.full_like(safe, xp.nan)
    bad = ~finite | ~xp.all(xp.isfinite(chol), axis=(-2, -1))
    return chol, bad


def _cholesky_inverse(ops: Any, chol: Array, matrix: Array) -> Array:
    """Σ⁻¹ = L⁻ᵀL⁻¹ from the Cholesky factor."""
    if ops.name == "torch":
        import torch

        return torch.cholesky_inverse(chol)
    if ops.name == "jax":
        import jax.numpy as jnp
        from jax.scipy.linalg import cho_solve

        eye = jnp.broadcast_to(jnp.eye(chol.shape[-1], dtype=chol.dtype), chol.shape)
        return cho_solve((chol, True), eye)
    return ops.xp.linalg.inv(matrix)
