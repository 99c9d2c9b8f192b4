"""log Γ and ψ⁽ⁿ⁾ for the array backends, accurate to a few ulp in value and derivative.

JAX's ``jax.scipy.special`` gammaln, digamma and polygamma are accurate (measured against 40-digit
mpmath for x in 10⁻³ … 10⁶: ≤ 3e-14 relative, polygamma(1) 6e-16) and differentiable, so JAX uses
them.  torch's float64 trigamma (``polygamma(1, ·)``, also the derivative of ``digamma``) is only
good to ~5e-10 relative, which would cap the Bregman KL's integral remainder (ΔᵀHΔ with H made of
trigammas) and every gradient through log Γ or ψ at that.  For torch, therefore:

    ψ⁽ⁿ⁾(x), n ≥ 1, x > 0:   m(x) = (−1)ⁿ⁺¹ψ⁽ⁿ⁾(x) = n!·Σ_{k<10} (x + k)^{−(n+1)} + m(x + 10),
    m(y) ≈ (n−1)!/yⁿ + n!/(2yⁿ⁺¹) + Σ_{j=1..10} B_{2j}·(2j + n − 1)!/((2j)!·y^{2j+n})   (y ≥ 10),

the recurrence and asymptotic series of :mod:`symgeom.numeric.special` (a sum of positive terms,
first omitted term below 2·10⁻¹⁶ of m for n ≤ 3), written in torch operations so autograd
differentiates it (the derivative of the truncated series of ψ⁽ⁿ⁾ is the truncated series of
ψ⁽ⁿ⁺¹⁾); ``digamma`` and ``gammaln`` keep torch's values and get the derived derivatives
ψ′ = that series and (log Γ)′ = ψ, so double backward stays accurate.  x ≤ 0 goes to torch's own
``polygamma``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from math import factorial
from typing import Any

Array = Any

#: The recurrence's shift: every x > 0 is moved to x + SHIFT ≥ 10 before the asymptotic series.
SHIFT = 10
#: B₂, B₄, …, B₂₀.
_BERNOULLI = (
    1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510, 43867 / 798, -174611 / 330,
)


def polygamma_series(n: int, x: Array) -> Array:
    """ψ⁽ⁿ⁾(x) for n ≥ 1 and x > 0 by the recurrence and asymptotic series (module docstring),
    in the array's own operations (differentiable wherever they are)."""
    if n < 1:
        raise ValueError(f"polygamma_series needs n >= 1, got n={n}")
    total = 0.0
    y = x
    for _ in range(SHIFT):
        total = total + y ** -(n + 1)
        y = y + 1
    inverse = 1 / y
    inverse2 = inverse * inverse
    series = 0.0
    for j in range(len(_BERNOULLI), 0, -1):
        coefficient = _BERNOULLI[j - 1] * factorial(2 * j + n - 1) / factorial(2 * j)
        series = (series + coefficient) * inverse2
    head = factorial(n - 1) + factorial(n) / 2 * inverse + series
    value = factorial(n) * total + head * inverse**n
    return value if n % 2 else -value


@cache
def torch_functions() -> dict[str, Callable[..., Array]]:
    """``gammaln`` and ``polygamma`` for printed torch code (see the module docstring)."""
    import torch

    def positive_series(n: int, x: Array) -> Array:
        ok = x > 0
        series = polygamma_series(n, torch.where(ok, x, torch.ones_like(x)))
        return torch.where(ok, series, torch.special.polygamma(n, x.detach()))

    digamma = _with_derivative("Digamma", torch.special.digamma, lambda x: positive_series(1, x))
    gammaln = _with_derivative("Gammaln", torch.special.gammaln, lambda x: digamma(x))

    def polygamma(n: int, x: Array) -> Array:
        if n == 0:
            return digamma(x)
        return positive_series(int(n), x)

    return {"gammaln": _widened(gammaln), "polygamma": _widened(polygamma, 1)}


def _with_derivative(
    name: str, value: Callable[[Array], Array], derivative: Callable[[Array], Array]
) -> Callable[[Array], Array]:
    """``value`` as a ``torch.autograd.Function`` whose backward and jvp multiply by
    ``derivative(x)`` (itself differentiable, so double backward and Hessians follow it)."""
    from symgeom.backends.ops import torch_function

    def forward(x: Array) -> Array:  # a Python function: autograd reads its signature
        return value(x)

    def setup_context(ctx: Any, inputs: tuple[Array, ...], output: Array) -> None:
        ctx.save_for_backward(*inputs)
        ctx.save_for_forward(*inputs)

    def backward(ctx: Any, g: Array) -> Array:
        (x,) = ctx.saved_tensors
        return g * derivative(x)

    def jvp(ctx: Any, t: Array) -> Array:
        (x,) = ctx.saved_tensors
        return t * derivative(x)

    return torch_function(name, forward, setup_context, backward, jvp,
                          doc=f"{name}: the value, and the derived derivative in backward and jvp.")


def _widened(function: Callable[..., Array], position: int = 0) -> Callable[..., Array]:
    """``function`` evaluated in float64 for narrower float arguments, the result cast back (as
    SciPy's float32 loops do): a float32 log Γ or ψ a few ulp off is amplified up to 100× by the
    Bregman direct form, which is kept where it cancels less than that."""
    import torch

    def wide(*args: Array) -> Array:
        x = args[position]
        if not isinstance(x, torch.Tensor) or x.dtype == torch.float64 or not x.is_floating_point():
            return function(*args)
        widened = (*args[:position], x.to(torch.float64), *args[position + 1 :])
        return function(*widened).to(x.dtype)

    return wide


@cache
def jax_functions() -> dict[str, Callable[..., Array]]:
    """``gammaln`` and ``polygamma`` of ``jax.scipy.special``, evaluated in float64 for float32
    arguments when JAX has float64 enabled (``jax_enable_x64``; otherwise in float32)."""
    import jax
    import jax.numpy as jnp
    import jax.scipy.special as jss

    def widened(function: Callable[..., Array], position: int = 0) -> Callable[..., Array]:
        def wide(*args: Array) -> Array:
            x = args[position]
            if not jax.config.jax_enable_x64 or getattr(x, "dtype", jnp.float64) == jnp.float64:
                return function(*args)
            widened_args = (*args[:position], x.astype(jnp.float64), *args[position + 1 :])
            return function(*widened_args).astype(x.dtype)

        return wide

    return {"gammaln": widened(jss.gammaln), "polygamma": widened(jss.polygamma, 1)}
