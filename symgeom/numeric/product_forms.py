"""Compiled entropy and Fisher matrix of a product of d independent one-dimensional coordinates.

For p(x|θ) = Πᵢ p₁(xᵢ|θᵢ) (a family whose ``general`` is a
:class:`~symgeom.families.general.Product`) the product lemma gives

    H(θ) = Σᵢ H₁(θᵢ),    F(θ)_{j·d+i, m·d+i} = F₁(θᵢ)_{jm}  (zero off the coordinate blocks),

so the compiled functions evaluate the one-dimensional factor's compiled function on the
coordinate arrays (each chart array is one parameter of the factor over the d coordinates) and sum
or place the blocks: no d-dimensional expression is lambdified, and the cost of compiling does not
grow with d.  KL takes the family's stable kernel (recognized from the explicit small size).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np

from symgeom.errors import UnknownQuantityError


def _factor_function(derivation) -> tuple[Callable[..., np.ndarray], int]:
    from symgeom.derive.registry import derive

    family = derivation.family
    factor = family.general.factor(family.param)
    arrays = family.chart.array_arguments
    width = len(factor.parameters)
    if len(arrays) != width or any(a.form != "vector" for a in arrays):
        raise UnknownQuantityError(f"{derivation.quantity} of {family.label}: a product's chart must "
                                   "hold one coordinate vector per parameter of its factor")
    return derive(derivation.quantity, factor, derivation.route).numpy(validate=False), width


def entropy_kernel(derivation) -> Callable[..., np.ndarray]:
    """H = Σᵢ H₁(θᵢ) over the trailing coordinate axis."""
    one, _ = _factor_function(derivation)
    return partial(summed_entropy, one)


def summed_entropy(one: Callable[..., np.ndarray], *arrays: np.ndarray) -> np.ndarray:
    """Σᵢ H₁(θᵢ) of the factor's entropy ``one`` (NumPy only: exported modules carry it)."""
    return np.sum(one(*arrays), axis=-1)[()]


def fisher_kernel(derivation) -> Callable[..., np.ndarray]:
    """The (..., w·d, w·d) block-diagonal Fisher matrix (parameter j of coordinate i at j·d + i)."""
    one, width = _factor_function(derivation)
    return partial(placed_fisher, one, width)


def placed_fisher(one: Callable[..., np.ndarray], width: int, *arrays: np.ndarray) -> np.ndarray:
    """The factor's (..., d, w, w) Fisher blocks placed at j·d + i (NumPy only)."""
    blocks = one(*arrays)  # (..., d, w, w)
    d = blocks.shape[-3]
    out = np.zeros((*blocks.shape[:-3], width * d, width * d), dtype=blocks.dtype)
    coordinates = np.arange(d)
    for j in range(width):
        for m in range(width):
            out[..., j * d + coordinates, m * d + coordinates] = blocks[..., j, m]
    return out


def built_product_form(derivation):
    """The compiled pieces (kernel, signature, points) of a product's entropy or Fisher matrix."""
    from symgeom.numeric.compile import Signature, _Built
    from symgeom.numeric.inputs import inputs

    family = derivation.family
    one = inputs(family)
    summary = f"the one-dimensional {derivation.quantity} of each coordinate ({derivation.route} route)"
    if derivation.quantity == "entropy":
        return _Built(entropy_kernel(derivation), Signature("entropy", family.label, one, "(...)",
                                                             "Σᵢ " + summary), 1)
    n = len(family.parameters)
    return _Built(fisher_kernel(derivation), Signature("fisher", family.label, one, f"(..., {n}, {n})",
                                                       "blocks of " + summary), 1)
