"""torch / JAX / Array API / NumPy functions of the general-size (symbolic d) Gaussian results.

A general result is size-agnostic, so its function reads d from the arrays (batched over the
leading axes, dtype and device kept; differentiable on torch and JAX).  ``.array_api()`` takes
the namespace of its arrays through array-api-compat: torch tensors and JAX arrays get the torch /
JAX functions, another namespace (NumPy, CuPy) its ``linalg`` (``cholesky``, and ``solve`` on the
triangular factor: the standard has no triangular solve), Dask arrays a lazy graph with one NumPy
call per block of the batch axes (an entry with an invalid input nan there).  ``.numpy()`` of a
general result is the NumPy one.  Eager inputs are validated (μ and directions finite, Σ
symmetric positive definite) and an invalid one raises InvalidParameterError naming it.

* matrix notation (``sg.MultivariateGaussian(d)``, full covariance): the trace polynomial of the
  result (:mod:`symgeom.derive.matrix_calculus`) is evaluated term by term with Σ = LLᵀ factored
  once, ln det Σ = 2Σᵢ log Lᵢᵢ and Σ⁻¹M = L⁻ᵀ(L⁻¹M) by triangular solves (on torch and JAX up to
  d = DOUBLE_DOUBLE_MAX_D, Σ⁻¹ and ln det Σ of the double-double factor instead) — the entropy
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

import contextlib
import copy
from collections.abc import Callable
from typing import Any

import sympy as sp

from symgeom.errors import InvalidParameterError, UnknownQuantityError

Array = Any


#: The backends a general-size result is printed for: torch and JAX (differentiable), any Array
#: API namespace through array-api-compat (NumPy, CuPy, Dask, torch tensors …) and NumPy itself
#: (``derivation.numpy()``: NumPy arrays in, NumPy arrays out).
BACKENDS = ("torch", "jax", "array_api", "numpy")


def _backend(backend: str, arrays: list[Array] | None = None) -> tuple[Any, Callable, Callable]:
    """(ops, lower solve L⁻¹B, upper solve L⁻ᵀB) of ``backend``; for ``array_api`` the namespace
    of ``arrays`` (torch tensors and JAX arrays get their differentiable ops and triangular
    solves; another namespace, which the standard gives no triangular solve, ``linalg.solve``)."""
    from symgeom.backends.ops import jax_ops, ops_for, torch_ops

    if backend in ("array_api", "numpy"):
        ops = ops_for(*(arrays or ()))
        if ops.name in ("torch", "jax"):
            return _backend(ops.name)
        xp = ops.xp
        return (ops, lambda low, b: xp.linalg.solve(low, b),
                lambda low, b: xp.linalg.solve(xp.linalg.matrix_transpose(low), b))
    if backend == "torch":
        import torch

        return (torch_ops(), lambda low, b: torch.linalg.solve_triangular(low, b, upper=False),
                lambda low, b: torch.linalg.solve_triangular(low.mT, b, upper=True))
    if backend == "jax":
        from jax.scipy.linalg import solve_triangular

        return (jax_ops(), lambda low, b: solve_triangular(low, b, lower=True),
                lambda low, b: solve_triangular(low, b, lower=True, trans="T"))
    raise UnknownQuantityError(f"general-size results are printed for {', '.join(BACKENDS)}, not {backend!r}")


def _convert(backend: str, args: tuple) -> list[Array]:
    """The arguments as floating arrays of ``backend`` (``array_api``: arrays of any namespace
    stay as they are, anything else becomes a NumPy array; ``numpy``: NumPy arrays)."""
    if backend == "torch":
        import torch

        out = [a if isinstance(a, torch.Tensor) else torch.as_tensor(a) for a in args]
        return [a if a.is_floating_point() else a.to(torch.get_default_dtype()) for a in out]
    if backend == "jax":
        import jax.numpy as jnp

        out = [jnp.asarray(a) for a in args]
        return [a if jnp.issubdtype(a.dtype, jnp.floating) else a.astype(jnp.result_type(float)) for a in out]
    import array_api_compat
    import numpy as np

    if backend == "numpy":
        out = [np.asarray(a) for a in args]
    else:
        out = [a if array_api_compat.is_array_api_obj(a) else np.asarray(a) for a in args]
    xp = array_api_compat.array_namespace(*out)
    return [a if xp.isdtype(a.dtype, "real floating") else xp.astype(a, xp.float64) for a in out]


def _eye(ops: Any, d: int, like: Array) -> Array:
    if ops.name == "torch":
        import torch

        return torch.eye(d, dtype=like.dtype, device=like.device)
    if ops.name == "jax":
        import jax.numpy as jnp

        return jnp.eye(d, dtype=like.dtype)
    import array_api_compat

    return ops.xp.eye(d, dtype=like.dtype, device=array_api_compat.device(like))


def _broadcast_shapes(*shapes: tuple) -> tuple:
    """NumPy's broadcasting rule on shapes (the Array API standard has no broadcast_shapes)."""
    ndim = max((len(s) for s in shapes), default=0)
    out = []
    for axis in range(ndim):
        sizes = {s[axis - ndim + len(s)] for s in shapes if axis - ndim + len(s) >= 0} - {1}
        if len(sizes) > 1:
            raise InvalidParameterError(f"shapes {[tuple(s) for s in shapes]} do not broadcast")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


#: On torch and JAX, Σ⁻¹ and ln det Σ of a positive definite letter come from the double-double
#: Cholesky factor (:func:`symgeom.backends.scale_forms.factored`: ≈ ε relative up to condition
#: ≈ 1/ε, where a float64 factor keeps cond·ε) up to this d; it is unrolled entry by entry
#: (O(d³) operations in the graph, like the KL's), so larger d take the float64 factor and
#: triangular solves.
DOUBLE_DOUBLE_MAX_D = 8


class _Point:
    """Matrices and vectors by letter name, positive definite ones factored once."""

    def __init__(self, ops: Any, solves: tuple[Callable, Callable], matrices: dict, vectors: dict,
                 d: int) -> None:
        self.ops, self.xp, self.solves, self.d = ops, ops.xp, solves, d
        self.matrices, self.vectors, self.chol = matrices, vectors, {}
        self.eye = _eye(ops, d, next(iter(matrices.values())))
        self.exact = ops.name in ("torch", "jax") and d <= DOUBLE_DOUBLE_MAX_D
        self.factored: dict[str, tuple[Array, Array]] = {}

    def double_double(self, name: str) -> tuple[Array, Array]:
        """(ln det, inverse) of the positive definite letter ``name`` from its double-double factor
        (nan where it is not positive definite: eager inputs are validated before)."""
        if name not in self.factored:
            from symgeom.backends.scale_forms import factored

            sigma = self.matrices[name]
            lower = [[sigma[..., i, j] for j in range(i + 1)] for i in range(self.d)]
            logdet, rows = factored(self.ops, lower, True, True)
            inverse = self.xp.stack([self.xp.stack(row, axis=-1) for row in rows], axis=-2)
            self.factored[name] = (logdet, inverse)
        return self.factored[name]

    def factor_of(self, name: str) -> Array:
        if name not in self.chol:
            try:
                self.chol[name] = self.xp.linalg.cholesky(self.matrices[name])
            # torch's and NumPy's LinAlgError (a RuntimeError, a ValueError); JAX returns nan instead
            except (RuntimeError, ValueError) as error:
                raise InvalidParameterError(f"{name} must be symmetric positive definite: {error}") from error
        return self.chol[name]

    def word(self, word: tuple) -> Array:
        out = self.eye
        lower, upper = self.solves
        for name, power in reversed(word):
            if power == 1:
                out = self.matrices[name] @ out
            elif self.exact:
                out = self.double_double(name)[1] @ out
            else:
                chol = self.factor_of(name)
                shape = _broadcast_shapes(tuple(chol.shape[:-2]), tuple(out.shape[:-2]))
                chol = self.xp.broadcast_to(chol, (*shape, self.d, self.d))
                out = self.xp.broadcast_to(out, (*shape, self.d, self.d))
                out = upper(chol, lower(chol, out))
        return out

    def value(self, factor: tuple) -> Array:
        xp = self.xp
        if factor[0] == "logdet" and self.exact:
            return self.double_double(factor[1])[0]
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
    if mu.ndim < 1 or sigma.ndim < 2 or tuple(sigma.shape[-2:]) != (d, d):
        raise InvalidParameterError(
            f"{names[0]} must have trailing shape (d,) and {names[1]} (d, d) with the same d, got "
            f"{tuple(mu.shape)} and {tuple(sigma.shape)}")
    return d


def _poly(derivation: Any) -> Any:
    from symgeom.derive import matrix_calculus as mc

    return mc.from_sympy(derivation.result)


def _is_dask(arrays: list[Array]) -> bool:
    import array_api_compat

    return any(array_api_compat.is_dask_array(a) for a in arrays)


#: The trailing (core) dimensions of each argument of a matrix-notation function: 1 for a vector
#: μ, a, b, 2 for a matrix Σ, A, B (arguments alternate vector, matrix).
def _cores(count: int) -> tuple[int, ...]:
    return tuple(1 + (i % 2) for i in range(count))


def _inputs(quantity: str, count: int) -> tuple:
    """The arguments' domains (for :func:`symgeom.backends.validation.check`): μ and the
    directions finite, Σ symmetric positive definite."""
    from symgeom.numeric.inputs import Input

    names = {"kl": ("mu_1", "Sigma_1", "mu_2", "Sigma_2")}.get(quantity, ("mu", "Sigma", "a", "A", "b", "B"))
    return tuple(
        Input(name, "(..., d, d)" if core == 2 else "(..., d)", "", "matrix" if core == 2 else "vector",
              "covariance" if name.startswith("Sigma") else "interval")
        for name, core in zip(names[:count], _cores(count), strict=True))


class MatrixFunction:
    """A general-d matrix-notation result on torch, JAX, an Array API namespace or NumPy; see the
    module docstring.  Dask arrays are evaluated block by block (:func:`_dask_blocks`) by the
    NumPy function, an entry whose Σ is not positive definite coming back as nan."""

    def __init__(self, derivation: Any, backend: str, validate: bool = True) -> None:
        if derivation.quantity not in ("kl", "entropy", "fisher"):
            raise UnknownQuantityError(f"{derivation.quantity!r} is not printed for array backends "
                                       "(kl, fisher and entropy are)")
        if backend not in BACKENDS:
            _backend(backend)  # the clear error
        self.quantity, self.backend, self.validate = derivation.quantity, backend, validate
        self._poly = None if derivation.quantity == "kl" else _poly(derivation)
        self._fixed = _backend(backend) if backend in ("torch", "jax") else None
        names = {"kl": "mu_1, Sigma_1, mu_2, Sigma_2", "entropy": "mu, Sigma",
                 "fisher": "mu, Sigma[, a, A, b, B]"}[self.quantity]
        self.__doc__ = (f"{derivation.quantity} of the multivariate Gaussian for every d on {backend}: "
                        f"f({names})")

    def __call__(self, *args: Array) -> Array:
        arrays = _convert(self.backend, args)
        self._check_count(len(arrays))
        if self.backend == "array_api" and _is_dask(arrays):
            self._check_shapes(arrays)
            return _dask_blocks(self, arrays)
        self._check_shapes(arrays)
        ops, lower, upper = self._fixed or _backend(self.backend, arrays)
        if self.validate:
            from symgeom.backends import validation

            if validation.concrete(ops, arrays):
                validation.check(ops, _inputs(self.quantity, len(arrays)), arrays, "")
        return self._evaluate(ops, (lower, upper), arrays)

    def on(self, backend: str) -> MatrixFunction:
        """The same result on another backend (no re-derivation)."""
        other = copy.copy(self)
        other.backend, other._fixed = backend, _backend(backend) if backend in ("torch", "jax") else None
        return other

    def _check_count(self, count: int) -> None:
        if self.quantity == "kl" and count != 4:
            raise TypeError(f"kl takes 4 arrays (mu_1, Sigma_1, mu_2, Sigma_2), got {count}")
        if self.quantity == "entropy" and count != 2:
            raise TypeError(f"entropy takes 2 arrays (mu, Sigma), got {count}")
        if self.quantity == "fisher" and count not in (2, 6):
            raise TypeError(f"fisher takes (mu, Sigma) or (mu, Sigma, a, A, b, B), got {count} arrays")

    def _check_shapes(self, arrays: list[Array]) -> None:
        names = _inputs(self.quantity, len(arrays))
        d = _check_shapes(arrays[0], arrays[1], (names[0].name, names[1].name))
        for k in range(2, len(arrays), 2):
            if _check_shapes(arrays[k], arrays[k + 1], (names[k].name, names[k + 1].name)) != d:
                raise InvalidParameterError(f"{names[k].name} and {names[k + 1].name} must have the d of "
                                            f"{names[0].name}, got {tuple(arrays[k].shape)}")

    def out_core(self, arrays: list[Array]) -> tuple[int, ...]:
        """The trailing shape the result adds to the batch shape: the Fisher matrix (n, n)."""
        if self.quantity == "fisher" and len(arrays) == 2:
            d = arrays[0].shape[-1]
            return (d * (d + 3) // 2,) * 2
        return ()

    def _evaluate(self, ops: Any, solves: tuple[Callable, Callable], arrays: list[Array]) -> Array:
        if self.quantity == "kl":
            from symgeom.backends import gaussian_full

            # a Σ that is not positive definite gives nan (validated above when asked for)
            return gaussian_full.kl(ops, *arrays)
        if self.quantity == "entropy":
            d = _check_shapes(*arrays, ("mu", "Sigma"))
            return evaluate(self._poly, _Point(ops, solves, {"Sigma": arrays[1]}, {"mu": arrays[0]}, d))
        if len(arrays) == 6:
            return self._bilinear(ops, solves, *arrays)
        return self._matrix(ops, solves, *arrays)

    def bilinear(self, mu: Array, sigma: Array, a: Array, big_a: Array, b: Array, big_b: Array) -> Array:
        """F[(a, A), (b, B)] at (μ, Σ), batched over the leading axes."""
        return self(mu, sigma, a, big_a, b, big_b)

    def matrix(self, mu: Array, sigma: Array) -> Array:
        """F on the mean_cov coordinates (μᵢ, then Σᵢⱼ for i ≤ j): (..., n, n)."""
        return self(mu, sigma)

    def _bilinear(self, ops: Any, solves: tuple, mu: Array, sigma: Array, a: Array, big_a: Array,
                  b: Array, big_b: Array) -> Array:
        d = _check_shapes(mu, sigma, ("mu", "Sigma"))
        point = _Point(ops, solves, {"Sigma": sigma, "A": big_a, "B": big_b}, {"mu": mu, "a": a, "b": b}, d)
        return evaluate(self._poly, point)

    def _matrix(self, ops: Any, solves: tuple, mu: Array, sigma: Array) -> Array:
        xp = ops.xp
        d = _check_shapes(mu, sigma, ("mu", "Sigma"))
        pairs = [(i, j) for i in range(d) for j in range(i, d)]
        n = d + len(pairs)
        vectors = [[float(k == p) for k in range(d)] for p in range(d)] + [[0.0] * d] * len(pairs)
        units = [[[0.0] * d for _ in range(d)] for _ in range(d)]
        for i, j in pairs:
            unit = [[float((r, c) in ((i, j), (j, i))) for c in range(d)] for r in range(d)]
            units.append(unit)
        vec = ops.asarray(vectors, mu)
        mat = ops.asarray(units, mu)
        left_a, right_b = vec[:, None, :], vec[None, :, :]
        left_m, right_m = mat[:, None, :, :], mat[None, :, :, :]
        value = self._bilinear(ops, solves, mu[..., None, None, :], sigma[..., None, None, :, :],
                               left_a, left_m, right_b, right_m)
        return xp.broadcast_to(value, (*value.shape[:-2], n, n)) if value.ndim >= 2 else value


def _dask_blocks(function: MatrixFunction, arrays: list[Array]) -> Array:
    """``function`` on Dask arrays, lazily, one NumPy call per block of the batch axes: the
    trailing (d,) and (d, d) axes are made one chunk each, the batch axes broadcast and aligned;
    a block whose factorization fails is evaluated entry by entry, the failing entries nan."""
    import dask.array as da
    import numpy as np

    cores = _cores(len(arrays))
    batch = _broadcast_shapes(*(tuple(a.shape[: a.ndim - c]) for a, c in zip(arrays, cores, strict=True)))
    letters = "abcdefghijklmn"[: len(batch)]
    pairs: list[Any] = []
    for k, (array, core) in enumerate(zip(arrays, cores, strict=True)):
        array = da.asarray(array)
        array = da.broadcast_to(array, batch + tuple(array.shape[array.ndim - core:]))
        array = array.rechunk({array.ndim - 1 - i: -1 for i in range(core)})
        pairs += [array, letters + "".join(chr(ord("o") + 2 * k + i) for i in range(core))]
    out_core = function.out_core(arrays)
    new = dict(zip("YZ", out_core, strict=False))
    numpy_function = function.on("numpy")
    dtype = np.result_type(*(a.dtype for a in arrays))

    def block(*blocks: Array) -> Array:
        blocks = [np.asarray(b) for b in blocks]
        with np.errstate(all="ignore"):
            try:
                return numpy_function(*blocks)
            except InvalidParameterError:
                return _entry_by_entry(numpy_function, blocks, cores, out_core, dtype)

    return da.blockwise(block, letters + "YZ"[: len(out_core)], *pairs, new_axes=new, dtype=dtype,
                        concatenate=True)


def _entry_by_entry(function: MatrixFunction, blocks: list[Array], cores: tuple[int, ...],
                    out_core: tuple[int, ...], dtype: Any) -> Array:
    import numpy as np

    batch = _broadcast_shapes(*(tuple(b.shape[: b.ndim - c]) for b, c in zip(blocks, cores, strict=True)))
    blocks = [np.broadcast_to(b, batch + tuple(b.shape[b.ndim - c:]))
              for b, c in zip(blocks, cores, strict=True)]
    out = np.full(batch + out_core, np.nan, dtype=dtype)
    for index in np.ndindex(*batch):
        with contextlib.suppress(InvalidParameterError):
            out[index] = function(*(b[index] for b in blocks))
    return out


class ProductFunction:
    """A general-d product (diagonal Gaussian) result from its factor's function on the same
    backend (torch, JAX, an Array API namespace — Dask lazily, entry by entry — or NumPy)."""

    def __init__(self, derivation: Any, backend: str, validate: bool) -> None:
        from symgeom.derive.registry import derive

        if derivation.quantity not in ("kl", "entropy", "fisher"):
            raise UnknownQuantityError(f"{derivation.quantity!r} is not printed for array backends "
                                       "(kl, fisher and entropy are)")
        if backend not in BACKENDS:
            _backend(backend)  # the clear error
        family = derivation.general
        self.quantity, self.width, self.backend = derivation.quantity, len(family.one.parameters), backend
        one = derive(derivation.quantity, family.one, derivation.route)
        self._one = getattr(one, backend)(validate)
        self.__doc__ = (f"{derivation.quantity} of {family.label} on {backend}: the one-dimensional "
                        "function of each coordinate (arrays (..., d)), summed or placed in blocks")

    def __call__(self, *args: Array) -> Array:
        arrays = _convert(self.backend, args)
        if len({tuple(a.shape[-1:]) for a in arrays}) != 1 or any(a.ndim < 1 for a in arrays):
            raise InvalidParameterError("every array of a diagonal Gaussian must have the same trailing "
                                        f"length d, got shapes {[tuple(a.shape) for a in arrays]}")
        values = self._one(*arrays)
        ops = _backend(self.backend)[0] if self.backend in ("torch", "jax") else _backend(self.backend,
                                                                                            [values])[0]
        xp = ops.xp
        if self.quantity != "fisher":
            return xp.sum(values, axis=-1)
        eye = _eye(ops, arrays[0].shape[-1], values)
        rows = [xp.concat([values[..., :, j, m][..., :, None] * eye for m in range(self.width)], axis=-1)
                for j in range(self.width)]
        return xp.concat(rows, axis=-2)


def compile_general(derivation: Any, backend: str, validate: bool = True) -> Callable[..., Array]:
    """The hook of ``Derivation.torch()`` / ``.jax()`` / ``.array_api()`` (and ``.numpy()`` of a
    symbolic-d result) for a general-size result and the concrete sizes that specialize one."""
    if getattr(derivation, "general", None) is not None:
        return ProductFunction(derivation, backend, validate)
    from symgeom.numeric.matrix_forms import in_matrix_notation

    if in_matrix_notation(derivation.result):
        return MatrixFunction(derivation, backend, validate)
    raise UnknownQuantityError(f"{derivation.title} is a general (symbolic-size) result with no "
                               f"{backend} function; build the family at a concrete size")
