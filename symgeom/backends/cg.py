"""The conjugate-gradient recurrence shared by the torch and JAX natural-gradient code.

x₀ = 0, r₀ = p₀ = b; αₖ = rₖᵀrₖ / pₖᵀApₖ, xₖ₊₁ = xₖ + αₖpₖ, rₖ₊₁ = rₖ − αₖApₖ,
pₖ₊₁ = rₖ₊₁ + (rₖ₊₁ᵀrₖ₊₁ / rₖᵀrₖ) pₖ; it stops after ``iterations`` steps or once
``converged(‖r‖², tol·‖b‖²)`` says so.  Written with ``@``, ``+``, ``*`` only, so any array type
with those operators (torch tensors, JAX arrays, traced or not) runs it on its own device.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Array = Any


def cg_recurrence(
    apply: Callable[[Array], Array], b: Array, zeros: Array, iterations: int, tol: float,
    converged: Callable[[Array, Array], bool],
) -> tuple[Array, Array, int]:
    """(x, final ‖r‖², steps taken) for A x = b with A given as v ↦ Av."""
    x, r, p = zeros, b, b
    rr = b @ b
    stop = tol * rr
    done = 0
    while done < iterations:
        done += 1
        ap = apply(p)
        alpha = rr / (p @ ap)
        x = x + alpha * p
        r = r - alpha * ap
        new = r @ r
        if converged(new, stop):
            return x, new, done
        p = r + (new / rr) * p
        rr = new
    return x, rr, done
