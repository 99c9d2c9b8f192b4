"""Torch/JAX/Array API values at accepted endpoints: a ``where`` over the endpoint masks.

The same limits as ``.numpy()`` (:mod:`symgeom.numeric.endpoint_limits`: the derived closed form's
one-sided limit, e.g. KL(Bin(4, 0)‖Bin(4, q)) = −4 log1p(−q)), printed for the backend:

    f(θ) = where(θ on endpoint pattern π, f_π(θ with the other entries set inside), …
                 f(θ with every endpoint entry set inside) …)

Every branch is evaluated at points inside its domain, so no branch produces inf/nan that a
``where`` would hide from the value but not from the gradient (0·∞ = nan in the backward pass):
interior entries have the gradients they had, and an entry on an endpoint has the gradient of
its limit form in the other arguments and, in the argument on the endpoint (which the limit no
longer contains), the one-sided derivative of the closed form there
(:func:`symgeom.numeric.endpoint_limits.derivative_entries`, attached by
:mod:`symgeom.backends.one_sided`): ±∞ where it diverges (∂KL(Bin(4, p)‖Bin(4, q))/∂p = −∞ at
p = 0), nan where SymPy finds none, never a silent 0.  Eagerly, arrays with no entry on an endpoint cost one
reduction (min or max) per bound and one read of the flag, and are otherwise evaluated as
before; under ``jax.jit`` a ``lax.cond`` on the same flag runs the branches only when an entry
is on an endpoint; under ``torch.compile`` they are traced and always evaluated.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from functools import cache
from typing import TYPE_CHECKING, Any

from symgeom.backends import one_sided
from symgeom.backends.exact_frexp import equals_for
from symgeom.backends.exact_ldexp import is_flushing
from symgeom.backends.ops import is_number
from symgeom.numeric import endpoint_limits
from symgeom.numeric.endpoint_limits import derivation_of, limit_entries
from symgeom.numeric.inputs import Input

if TYPE_CHECKING:
    from symgeom.families.base import Family

Array = Any

#: quantities whose endpoint values are taken as limits (Fisher keeps its derived value, ∞)
QUANTITIES = ("kl", "entropy")


def applies(quantity: str, spec: tuple[Input, ...], points: int) -> bool:
    return quantity in QUANTITIES and endpoint_limits.applies(spec * points)


def _sides(inp: Input) -> tuple[int, ...]:
    return tuple(s for s, ok in ((-1, inp.lower_included and inp.lower is not None),
                                 (1, inp.upper_included and inp.upper is not None)) if ok)


def _masks(ops: Any, spec: tuple[Input, ...], arrays: list[Array]) -> list[dict[int, Array]]:
    """Per argument: {−1: x == lower, +1: x == upper} for its included bounds."""
    equals = equals_for(ops.xp)  # exact for subnormals on JAX (XLA CPU reads 1e-310 == 0 as True)
    out = []
    for inp, x in zip(spec, arrays, strict=True):
        out.append({side: equals(x, inp.lower if side < 0 else inp.upper) for side in _sides(inp)})
    return out


@cache
def _printed(family: Family, quantity: str, pattern: tuple[int, ...]) -> Any:
    """The printed limit entries for ``pattern``, or None where no limit was found."""
    from symgeom.backends import printer
    entries = limit_entries(family, quantity, pattern)
    if entries is None:
        return None
    rescued = tuple(_rescued(family, quantity, e) for e in entries)
    return printer.print_source(rescued, tuple(derivation_of(family, quantity).arguments))


def _rescued(family: Family, quantity: str, expr: Any) -> Any:
    """The limit entry with the log-magnitude copy JAX needs where the value is subnormal
    (the one rule table, :mod:`symgeom.backends.log_rules`, through tiny_entropy / tiny_kl): a KL
    limit against a point mass is −Σ c·ℓ with ℓ = log q(x) a log-probability (−4·log1p(−q) at
    p₁ = 0: q = 1e-310 gives 4e-310), each term of sign +1 by the table's log/log1p rule, with the
    parameters' domain bounds (q ≤ 1) from the family's inputs."""
    import sympy as sp

    from symgeom.backends import tiny_entropy, tiny_kl
    from symgeom.numeric.inputs import inputs

    expr = sp.sympify(expr)
    if quantity == "entropy":
        return tiny_entropy.rescued_entropy(expr)
    arguments = derivation_of(family, quantity).arguments
    spec = inputs(family)
    spec = spec * (len(arguments) // len(spec))
    bounds = {a: (inp.lower, inp.upper) for a, inp in zip(arguments, spec, strict=True)}
    return tiny_kl.rescued_kl(expr, bounds)


def call(
    ops: Any, family: Family, quantity: str, spec: tuple[Input, ...], arrays: list[Array],
    evaluate: Callable[[list[Array]], Array], eager: bool,
) -> Array:
    """``evaluate(arrays)`` with the entries on an included endpoint replaced by their limits.

    ``spec`` covers every argument (both points of a KL); ``eager`` says the masks' values can be
    read now (then only the patterns present are built).  Traced JAX picks the plain evaluation
    or the one with limits by ``lax.cond`` on the same flag, so only one of them runs."""
    flag = _reaches_an_end(ops.xp, spec, arrays)
    if eager:
        return _with_limits(ops, family, quantity, spec, arrays, evaluate, True) if bool(flag) \
            else evaluate(arrays)
    if ops.name == "jax":
        import jax

        return jax.lax.cond(
            flag, lambda xs: _with_limits(ops, family, quantity, spec, list(xs), evaluate, False),
            lambda xs: evaluate(list(xs)), tuple(arrays))
    return _with_limits(ops, family, quantity, spec, arrays, evaluate, False)


def _with_limits(
    ops: Any, family: Family, quantity: str, spec: tuple[Input, ...], arrays: list[Array],
    evaluate: Callable[[list[Array]], Array], eager: bool,
) -> Array:
    """The evaluation at safe inputs, then a ``where`` per pattern of arguments on endpoints."""
    from symgeom.backends import printer

    xp = ops.xp
    masks = _masks(ops, spec, arrays)
    inside = [ops.asarray(endpoint_limits.inside_point(inp, 0.5), x)
              for inp, x in zip(spec, arrays, strict=True)]
    ends = [_any(list(per.values())) if per else None for per in masks]
    # only the entries on an endpoint move inside: an invalid entry beside them is still refused
    safe = [x if end is None else xp.where(end, c, x) for end, c, x in zip(ends, inside, arrays, strict=True)]
    out = evaluate(safe)
    for pattern, selected in _selections(xp, spec, masks, ends, eager):
        source = _printed(family, quantity, pattern)
        if source is None:
            continue  # no limit: the entry keeps the form's value (nan where it is undefined)
        function = printer.bind(source, ops)
        branch_in = [xp.where(selected, x, c) for c, x in zip(inside, arrays, strict=True)]
        (value, *_) = function(*branch_in)
        value = ops.asarray(value, out) if is_number(value) else xp.astype(value, out.dtype)
        value = xp.broadcast_to(value, out.shape)
        for index, side in enumerate(pattern):
            if side:  # ∂/∂θᵢ of the value: the one-sided derivative (the limit has no θᵢ)
                slope = _slope(ops, family, quantity, pattern, index, branch_in, selected, out)
                value = one_sided.attach(ops, arrays[index], value, slope)
        out = xp.where(selected, value, out)
    return out


def with_slopes(ops: Any, family: Family, quantity: str, spec: tuple[Input, ...], arrays: list[Array],
                out: Array, eager: bool) -> Array:
    """``out``, already valued at the included endpoints by its own form (a point mass inside a
    vector form), with the one-sided derivatives of :func:`_slope` attached there (nan where SymPy
    finds none: never the 0 a constant value would give).  Eagerly, one flag read when no entry
    is on an endpoint."""
    xp = ops.xp
    if eager and not bool(_reaches_an_end(xp, spec, arrays)):
        return out
    masks = _masks(ops, spec, arrays)
    inside = [ops.asarray(endpoint_limits.inside_point(inp, 0.5), x)
              for inp, x in zip(spec, arrays, strict=True)]
    ends = [_any(list(per.values())) if per else None for per in masks]
    for pattern, selected in _selections(xp, spec, masks, ends, eager):
        branch_in = [xp.where(selected, x, c) for c, x in zip(inside, arrays, strict=True)]
        value = out
        for index, side in enumerate(pattern):
            if side:
                slope = _slope(ops, family, quantity, pattern, index, branch_in, selected, out)
                value = one_sided.attach(ops, arrays[index], value, slope)
        out = xp.where(selected, value, out)
    return out


def _selections(xp: Any, spec: tuple[Input, ...], masks: list[dict[int, Array]], ends: list[Array | None],
                eager: bool) -> Iterator[tuple[tuple[int, ...], Array]]:
    """(pattern, entries on it) for every endpoint pattern (a side −1/+1 per argument, 0 inside)
    with at least one endpoint; eagerly, only the patterns some entry is on."""
    for pattern in itertools.product(*[(0, *_sides(i)) for i in spec]):
        if not any(pattern):
            continue
        selected = None
        for per, end, side in zip(masks, ends, pattern, strict=True):
            if side == 0 and end is None:
                continue  # an argument without included ends is inside wherever it is valid
            here = per[side] if side else ~end
            selected = here if selected is None else selected & here
        if eager and not bool(xp.any(selected)):
            continue
        yield pattern, selected


@cache
def _printed_slope(family: Family, quantity: str, pattern: tuple[int, ...], index: int) -> Any:
    """The printed one-sided derivatives in argument ``index`` at ``pattern``
    (:func:`symgeom.numeric.endpoint_limits.derivative_entries`)."""
    from symgeom.backends import printer
    from symgeom.numeric.endpoint_limits import derivation_of, derivative_entries

    entries = derivative_entries(family, quantity, pattern, index)
    if entries is None:
        return None
    return printer.print_source(tuple(entries), tuple(derivation_of(family, quantity).arguments))


def _slope(ops: Any, family: Family, quantity: str, pattern: tuple[int, ...], index: int,
           branch_in: list[Array], selected: Array, out: Array) -> Array:
    """The one-sided derivative at the selected entries, 0 elsewhere (nan where none is found)."""
    from symgeom.backends import printer

    xp = ops.xp
    source = _printed_slope(family, quantity, pattern, index)
    if source is None:
        slope = ops.asarray(float("nan"), out)
    else:
        (slope, *_) = printer.bind(source, ops)(*branch_in)
        slope = ops.asarray(slope, out) if is_number(slope) else xp.astype(slope, out.dtype)
    zero = ops.asarray(0.0, out)
    return xp.where(selected, xp.broadcast_to(slope, out.shape), zero)


def _reaches_an_end(xp: Any, spec: tuple[Input, ...], arrays: list[Array]) -> Array:
    """A 0-d flag, False only when every argument lies strictly inside its included bounds: one
    min or max per bound (a nan makes it True: the masks then decide).  A bound 0 on JAX is
    tested on the bits instead (its CPU backend compares a subnormal minimum as 0)."""
    flags = []
    equals = equals_for(xp)
    for inp, x in zip(spec, arrays, strict=True):
        for side in _sides(inp):
            if side < 0 and inp.lower == 0 and is_flushing(xp):
                flags.append(xp.any(equals(x, 0.0)))
            elif side < 0:
                flags.append(~(xp.min(x) > inp.lower))
            else:
                flags.append(~(xp.max(x) < inp.upper))
    return _any(flags)


def _any(masks: list[Array]) -> Array:
    out = masks[0]
    for m in masks[1:]:
        out = out | m
    return out
