"""Validation of one numeric parameter point θ (a vector in the order of ``fam.symbols(None)``)."""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from symgeom.errors import InvalidParameterError
from symgeom.families.base import Family
from symgeom.numeric.coerce import float64_array
from symgeom.numeric.inputs import group


def dimension(fam: Family) -> int:
    """Number of coordinates of the active chart."""
    return len(fam.parameters)


def check_point(fam: Family, theta: ArrayLike, name: str = "theta") -> NDArray[np.float64]:
    """θ as a float vector, after checking its shape, finiteness, bounds and joint constraints."""
    point = float64_array(theta, name)
    n = dimension(fam)
    if point.shape != (n,):
        raise InvalidParameterError(
            f"{name} has shape {point.shape}, expected ({n},) for {fam.label} "
            f"(coordinates {', '.join(p.name for p in fam.parameters)})"
        )
    for value, par in zip(point, fam.parameters, strict=True):
        inside = np.isfinite(value)
        inside = inside and (par.lower is None or value > par.lower)
        inside = inside and (par.upper is None or value < par.upper)
        if not inside:
            raise InvalidParameterError(
                f"{name}: {par.name} = {value!r} is outside {par.domain_text(interior=True)} "
                f"for {fam.label}"
            )
    for satisfied, text in _constraints(fam):
        if not bool(satisfied(*point)):
            raise InvalidParameterError(f"{name}: {text} for {fam.label}, got {point.tolist()!r}")
    _check_positive_definite(fam, point, name)
    return point


def _check_positive_definite(fam: Family, point: NDArray[np.float64], name: str) -> None:
    """A covariance argument must be positive definite: its smallest eigenvalue > 0.  (A chart may
    state the leading minors as constraints; one specialized from matrix notation, at a size where
    d symbolic minors would cost more than the family, states only the array form.)"""
    for arg, value in zip(fam.chart.array_arguments, group(fam, point), strict=True):
        if arg.form == "positive_definite":
            low = float(np.linalg.eigvalsh(value)[0])
            if not low > 0:
                raise InvalidParameterError(
                    f"{name}: {arg.name} must be positive definite for {fam.label}, got smallest "
                    f"eigenvalue {low!r}"
                )


def check_vector(v: ArrayLike, n: int, name: str = "v") -> NDArray[np.float64]:
    """A finite float vector of length n."""
    vec = float64_array(v, name)
    if vec.shape != (n,):
        raise InvalidParameterError(f"{name} has shape {vec.shape}, expected ({n},)")
    if not np.all(np.isfinite(vec)):
        raise InvalidParameterError(f"{name} must be finite")
    return vec


def symmetric_from_vech(entries: NDArray[np.float64], d: int) -> NDArray[np.float64]:
    """The symmetric d×d matrix whose upper triangle, row by row (Σ₁₁, Σ₁₂, …, Σ_dd), is given."""
    rows, cols = np.triu_indices(d)
    out = np.zeros((d, d, *entries.shape[1:]))
    out[rows, cols] = entries
    out[cols, rows] = entries
    return out


def grouped(fam: Family, theta: NDArray[np.float64]) -> tuple[NDArray[np.float64], ...]:
    """Chart coordinates θ → the grouped arrays compiled functions take (see symgeom.numeric).

    Read from the chart's array layout: a simplex gets p_k = 1 − Σp, pinned logits z_k = 0, a
    covariance both triangles; scalars stay one per coordinate.
    """
    return group(fam, theta)


@functools.cache
def _constraints(fam: Family) -> tuple[tuple[Callable[..., object], str], ...]:
    """The chart's joint constraints (Σp < 1, leading minors of Σ > 0, …) as NumPy predicates."""
    import sympy as sp

    return tuple(
        (sp.lambdify(fam.symbols(), relation, modules="numpy"), text)
        for relation, text in fam.chart.constraints
    )
