"""torch / JAX functions of the general-size (symbolic d) Gaussian results, for arrays of any d.

A general result is size-agnostic, so its function reads d from the arrays (batched over the
leading axes, differentiable, dtype and device kept):

* matrix notation (``sg.MultivariateGaussian(d)``, full covariance): the trace polynomial of the
  result (:mod:`symgeom.derive.matrix_calculus`) is evaluated term by term with Σ = LLᵀ factored
  once, ln det Σ = 2Σᵢ log Lᵢᵢ and Σ⁻¹M = L⁻ᵀ(L⁻¹M) by triangular solves — the entropy
  ½ ln det(2πeΣ) of (μ, Σ), and the Fisher bilinear form F[(a,A),(b,B)] = aᵀΣ⁻¹b + ½tr(Σ⁻¹AΣ⁻¹B)
  of (μ, Σ, a, A, b, B) or, given only (μ, Σ), its matrix on the mean_cov coordinates (μᵢ, then
  Σᵢⱼ for i ≤ j, direction eᵢeⱼᵀ + eⱼeᵢᵀ off the diagonal: (..., n, n), n = d(d+3)/2, memory
  n²d² per batch entry).  The KL takes the Cholesky form of :mod:`symgeom.backends.gaussian_full`
  (a sum of non-negative terms, accurate when p ≈ q), which the tests check against this
  derivation's trace polynomial;
* a product of d one-dimensional coordinates (the diagonal Gaussian): the factor's own backend
  function on the coordinate arrays, summed over the last axis (KL, entropy) or placed in the
  coordinate blocks (Fisher: parameter j of coordinate i at row j·d + i).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sympy as sp

from symgeom.errors import InvalidParameterError, UnknownQuantityError

Array = Any


def _backend(backend: str) -> tuple[Any, Callable, Callable]:
    """(ops, lower solve L⁻¹B, upper solve L⁻ᵀB) of ``backend`` (torch or jax)."""
    from symgeom.backends.ops import jax_ops, torch_ops

    if backend == "torch":
        import torch

        return (torch_ops(), lambda low, b: torch.linalg.solve_triangular(low, b, upper=False),
                lambda low, b: torch.linalg.solve_triangular(low.mT, b, upper=True))
    if backend == "jax":
        from jax.scipy.linalg import solve_triangular

        return (jax_ops(), lambda low, b: solve_triangular(low, b, lower=True),
                lambda low, b: solve_triangular(low, b, lower=True, trans="T"))
    raise UnknownQuantityError(f"general-size results are printed for torch and jax, not {backend!r}")


def _convert(ops: Any, args: tuple) -> list[Array]:
    if ops.name == "torch":
        import torch

        out = [a if isinstance(a, torch.Tensor) else torch.as_tensor(a) for a in args]
        return [a if a.is_floating_point() else a.to(torch.get_default_dtype()) for a in out]
    import jax.numpy as jnp

    out = [jnp.asarray(a) for a in args]
    return [a if jnp.issubdtype(a.dtype, jnp.floating) else a.astype(jnp.result_type(float)) for a in out]


def _eye(ops: Any, d: int, like: Array) -> Array:
    if ops.name == "torch":
        import torch

        return torch.eye(d, dtype=like.dtype, device=like.device)
    import jax.numpy as jnp

    return jnp.eye(d, dtype=like.dtype)


def _broadcast_shapes(ops: Any) -> Callable[..., tuple]:
    if ops.name == "torch":
        import torch

        return torch.broadcast_shapes
    import jax.numpy as jnp

    return jnp.broadcast_shapes


class _Point:
    """Matrices and vectors by letter name, positive definite ones factored once."""

    def __init__(self, ops: Any, solves: tuple[Callable, Callable], matrices: dict, vectors: dict,
                 d: int) -> None:
        self.xp, self.solves, self.d = ops.xp, solves, d
        self.matrices, self.vectors, self.chol = matrices, vectors, {}
        self.eye = _eye(ops, d, next(iter(matrices.values())))
        self.broadcast_shapes = _broadcast_shapes(ops)

    def factor_of(self, name: str) -> Array:
        if name not in self.chol:
            try:
                self.chol[name] = self.xp.linalg.cholesky(self.matrices[name])
            except RuntimeError as error:  # torch's LinAlgError (JAX returns nan instead)
                raise InvalidParameterError(f"{name} must be symmetric positive definite: {error}") from error
        return self.chol[name]

    def word(self, word: tuple) -> Array:
        out = self.eye
        lower, upper = self.solves
        for name, power in reversed(word):
            if power == 1:
                out = self.matrices[name] @ out
            else:
                chol = self.factor_of(name)
                shape = tuple(self.broadcast_shapes(chol.shape[:-2], out.shape[:-2]))
                chol = self.xp.broadcast_to(chol, (*shape, self.d, self.d))
                out = self.xp.broadcast_to(out, (*shape, self.d, self.d))
                out = upper(chol, lower(chol, out))
        return out

    def value(self, factor: tuple) -> Array:
        xp = self.xp
        if factor[0] == "logdet":
            chol = self.factor_of(factor[1])
            return 2 * xp.sum(xp.log(xp.sum(chol * self.eye, axis=-1)), axis=-1)
        if factor[0] == "tr":
            return xp.sum(self.word(factor[1]) * self.eye, axis=(-2, -1))
        _, u, word, v = factor
        right = self.word(word) @ self.vectors[v][..., None]
        return xp.sum(self.vectors[u] * right[..., 0], axis=-1)


def evaluate(poly: Any, point: _Point) -> Array:
    """Σ coefficient × Π factors of a trace polynomial (the size symbol set to the arrays' d)."""
    total = None
    for mono, c in poly.terms:
        coefficient = sp.sympify(c)
        coefficient = float(coefficient.xreplace({s: point.d for s in coefficient.free_symbols}))
        term = None
        for factor in mono:
            value = point.value(factor)
            term = value if term is None else term * value
        term = coefficient if term is None else coefficient * term
        total = term if total is None else total + term
    return total


def _check_shapes(mu: Array, sigma: Array, names: tuple[str, str]) -> int:
    d = mu.shape[-1] if mu.ndim else 0
    if mu.ndim < 1 or sigma.ndim < 2 or sigma.shape[-2:] != (d, d):
        raise InvalidParameterError(
            f"{names[0]} must have trailing shape (d,) and {names[1]} (d, d) with the same d, got "
            f"{tuple(mu.shape)} and {tuple(sigma.shape)}")
    return d


def _poly(derivation: Any) -> Any:
    from symgeom.derive import matrix_calculus as mc

    return mc.from_sympy(derivation.result)


class MatrixFunction:
    """A general-d matrix-notation result on torch or JAX; see the module docstring."""

    def __init__(self, derivation: Any, backend: str) -> None:
        if derivation.quantity not in ("kl", "entropy", "fisher"):
            raise UnknownQuantityError(f"{derivation.quantity!r} is not printed for array backends "
                                       "(kl, fisher and entropy are)")
        self.quantity, self.backend = derivation.quantity, backend
        self._ops, lower, upper = _backend(backend)
        self._solves = (lower, upper)
        self._poly = None if derivation.quantity == "kl" else _poly(derivation)
        names = {"kl": "mu_1, Sigma_1, mu_2, Sigma_2", "entropy": "mu, Sigma",
                 "fisher": "mu, Sigma[, a, A, b, B]"}[self.quantity]
        self.__doc__ = (f"{derivation.quantity} of the multivariate Gaussian for every d on {backend}: "
                        f"f({names})")

    def _point(self, matrices: dict, vectors: dict, d: int) -> _Point:
        return _Point(self._ops, self._solves, matrices, vectors, d)

    def __call__(self, *args: Array) -> Array:
        arrays = _convert(self._ops, args)
        if self.quantity == "kl":
            from symgeom.backends import gaussian_full

            if len(arrays) != 4:
                raise TypeError(f"kl takes 4 arrays (mu_1, Sigma_1, mu_2, Sigma_2), got {len(arrays)}")
            mu1, s1, mu2, s2 = arrays
            d = _check_shapes(mu1, s1, ("mu_1", "Sigma_1"))
            if _check_shapes(mu2, s2, ("mu_2", "Sigma_2")) != d:
                raise InvalidParameterError("the two points of KL must have the same d")
            return gaussian_full.kl(self._ops, mu1, s1, mu2, s2)
        if self.quantity == "entropy":
            if len(arrays) != 2:
                raise TypeError(f"entropy takes 2 arrays (mu, Sigma), got {len(arrays)}")
            d = _check_shapes(*arrays, ("mu", "Sigma"))
            return evaluate(self._poly, self._point({"Sigma": arrays[1]}, {"mu": arrays[0]}, d))
        if len(arrays) == 6:
            return self.bilinear(*arrays)
        if len(arrays) != 2:
            raise TypeError(f"fisher takes (mu, Sigma) or (mu, Sigma, a, A, b, B), got {len(arrays)} arrays")
        return self.matrix(*arrays)

    def bilinear(self, mu: Array, sigma: Array, a: Array, big_a: Array, b: Array, big_b: Array) -> Array:
        """F[(a, A), (b, B)] at (μ, Σ), batched over the leading axes."""
        d = _check_shapes(mu, sigma, ("mu", "Sigma"))
        point = self._point({"Sigma": sigma, "A": big_a, "B": big_b}, {"mu": mu, "a": a, "b": b}, d)
        return evaluate(self._poly, point)

    def matrix(self, mu: Array, sigma: Array) -> Array:
        """F on the mean_cov coordinates (μᵢ, then Σᵢⱼ for i ≤ j): (..., n, n)."""
        xp = self._ops.xp
        d = _check_shapes(mu, sigma, ("mu", "Sigma"))
        pairs = [(i, j) for i in range(d) for j in range(i, d)]
        n = d + len(pairs)
        vectors = [[float(k == p) for k in range(d)] for p in range(d)] + [[0.0] * d] * len(pairs)
        units = [[[0.0] * d for _ in range(d)] for _ in range(d)]
        for i, j in pairs:
            unit = [[float((r, c) in ((i, j), (j, i))) for c in range(d)] for r in range(d)]
            units.append(unit)
        vec = self._ops.asarray(vectors, mu)
        mat = self._ops.asarray(units, mu)
        left_a, right_b = vec[:, None, :], vec[None, :, :]
        left_m, right_m = mat[:, None, :, :], mat[None, :, :, :]
        value = self.bilinear(mu[..., None, None, :], sigma[..., None, None, :, :],
                              left_a, left_m, right_b, right_m)
        return xp.broadcast_to(value, (*value.shape[:-2], n, n)) if value.ndim >= 2 else value


class ProductFunction:
    """A general-d product (diagonal Gaussian) result on torch or JAX from its factor's function."""

    def __init__(self, derivation: Any, backend: str, validate: bool) -> None:
        from symgeom.derive.registry import derive

        if derivation.quantity not in ("kl", "entropy", "fisher"):
            raise UnknownQuantityError(f"{derivation.quantity!r} is not printed for array backends "
                                       "(kl, fisher and entropy are)")
        family = derivation.general
        self.quantity, self.width = derivation.quantity, len(family.one.parameters)
        one = derive(derivation.quantity, family.one, derivation.route)
        self._one = one.torch(validate) if backend == "torch" else one.jax(validate)
        self._ops = _backend(backend)[0]
        self.__doc__ = (f"{derivation.quantity} of {family.label} on {backend}: the one-dimensional "
                        "function of each coordinate (arrays (..., d)), summed or placed in blocks")

    def __call__(self, *args: Array) -> Array:
        arrays = _convert(self._ops, args)
        xp = self._ops.xp
        if len({tuple(a.shape[-1:]) for a in arrays}) != 1 or any(a.ndim < 1 for a in arrays):
            raise InvalidParameterError("every array of a diagonal Gaussian must have the same trailing "
                                        f"length d, got shapes {[tuple(a.shape) for a in arrays]}")
        values = self._one(*arrays)
        if self.quantity != "fisher":
            return xp.sum(values, axis=-1)
        eye = _eye(self._ops, arrays[0].shape[-1], values)
        rows = [xp.concat([values[..., :, j, m][..., :, None] * eye for m in range(self.width)], axis=-1)
                for j in range(self.width)]
        return xp.concat(rows, axis=-2)


def compile_general(derivation: Any, backend: str, validate: bool = True) -> Callable[..., Array]:
    """The hook of ``Derivation.torch()`` / ``.jax()`` for a general-size (symbolic d) result."""
    if getattr(derivation, "general", None) is not None:
        return ProductFunction(derivation, backend, validate)
    from symgeom.numeric.matrix_forms import in_matrix_notation

    if in_matrix_notation(derivation.result):
        return MatrixFunction(derivation, backend)
    raise UnknownQuantityError(f"{derivation.title} is a general (symbolic-size) result with no "
                               f"{backend} function; build the family at a concrete size")
