"""Validation of one numeric parameter point θ (a vector in the order of ``fam.symbols(None)``)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from symgeom.errors import InvalidParameterError
from symgeom.families.base import Family
from symgeom.numeric.coerce import float64_array


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
                f"{name}: {par.name} = {value!r} is outside its domain {par.domain_text()} "
                f"for {fam.label}"
            )
    if fam.name == "categorical" and fam.param == "probs" and not point.sum() < 1:
        raise InvalidParameterError(
            f"{name}: the free probabilities of {fam.label} must sum to less than 1, "
            f"got {point.sum()!r}"
        )
    if fam.name == "multivariate_gaussian" and fam.param == "mean_cov":
        d = dict(fam.size)["d"]
        try:
            np.linalg.cholesky(symmetric_from_vech(point[d:], d))
        except np.linalg.LinAlgError:
            raise InvalidParameterError(
                f"{name}: Σ must be positive definite for {fam.label}"
            ) from None
    return point


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

    Categorical: the whole k-vector (p with p_k = 1 − Σp, or logits with z_k = 0); the
    multivariate Gaussian: μ and Σ (full) or the diagonal vector; other families: one scalar
    per coordinate.
    """
    sizes = dict(fam.size)
    if fam.name == "categorical":
        last = 1.0 - theta.sum() if fam.param == "probs" else 0.0
        return (np.append(theta, last),)
    if fam.name == "multivariate_gaussian":
        d = sizes["d"]
        if sizes["covariance"] == "full":
            return theta[:d], symmetric_from_vech(theta[d:], d)
        return theta[:d], theta[d:]
    return tuple(theta)
