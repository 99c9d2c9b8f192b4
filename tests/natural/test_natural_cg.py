"""Conjugate gradient against a direct solve, with damping, preconditioning and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from symgeom.errors import InvalidParameterError
from symgeom.natural import categorical_logits_fvp, conjugate_gradient
from symgeom.natural.fvp import softmax_free


def spd(n: int, seed: int, condition: float = 1e3) -> np.ndarray:
    """A random symmetric positive definite matrix with the given condition number."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    return (q * np.geomspace(1.0, condition, n)) @ q.T


def rel_err(x: np.ndarray, ref: np.ndarray) -> float:
    return float(np.linalg.norm(x - ref) / np.linalg.norm(ref))


# CG stops at ‖r‖ ≤ 1e-14‖b‖, so the error is at most cond·1e-14 ≤ 1e-11 for cond ≤ 1e3.
@pytest.mark.parametrize("n", [1, 2, 7, 60])
@pytest.mark.parametrize("seed", [0, 1])
def test_matches_direct_solve(n: int, seed: int) -> None:
    a = spd(n, seed)
    b = np.random.default_rng(seed + 100).normal(size=n)
    result = conjugate_gradient(a, b)
    assert result.converged
    assert rel_err(result.x, np.linalg.solve(a, b)) < 1e-10


def test_callable_operator_equals_matrix() -> None:
    a = spd(30, 3)
    b = np.arange(30.0)
    from_matrix = conjugate_gradient(a, b)
    from_callable = conjugate_gradient(lambda v: a @ v, b)
    np.testing.assert_array_equal(from_matrix.x, from_callable.x)
    assert from_matrix.iterations == from_callable.iterations


@pytest.mark.parametrize("damping", [1e-3, 0.5, 10.0])
def test_damping_solves_shifted_system(damping: float) -> None:
    a = spd(25, 4)
    b = np.random.default_rng(5).normal(size=25)
    x = conjugate_gradient(a, b, damping=damping).x
    assert rel_err(x, np.linalg.solve(a + damping * np.eye(25), b)) < 1e-10


@pytest.mark.parametrize("k", [3, 50, 400])
def test_categorical_fvp_cg_matches_direct_solve(k: int) -> None:
    rng = np.random.default_rng(k)
    z = rng.normal(size=k - 1)
    g = rng.normal(size=k - 1)
    p = softmax_free(z)
    f = np.diag(p) - np.outer(p, p)
    direct = np.linalg.solve(f, g)
    plain = conjugate_gradient(lambda v: categorical_logits_fvp(z, v, logits="free"), g)
    jacobi = conjugate_gradient(
        lambda v: categorical_logits_fvp(z, v, logits="free"), g, preconditioner=lambda v: v / (p * (1 - p))
    )
    assert plain.converged and jacobi.converged
    assert rel_err(plain.x, direct) < 1e-10
    assert rel_err(jacobi.x, direct) < 1e-10


def test_categorical_fvp_cg_large_k_against_sherman_morrison() -> None:
    # (diag(p) − ppᵀ)⁻¹ = diag(1/p) + 11ᵀ/p_k, an O(k) exact inverse that needs no k×k matrix.
    k = 10_000
    rng = np.random.default_rng(7)
    z = rng.normal(size=k - 1)
    g = rng.normal(size=k - 1)
    p = softmax_free(z)
    exact = g / p + g.sum() / (1.0 - p.sum())
    jacobi = conjugate_gradient(
        lambda v: categorical_logits_fvp(z, v, logits="free"), g, preconditioner=lambda v: v / (p * (1 - p))
    )
    assert jacobi.iterations < 50
    assert rel_err(jacobi.x, exact) < 1e-10


def test_zero_right_hand_side() -> None:
    result = conjugate_gradient(spd(4, 0), np.zeros(4))
    assert result.iterations == 0 and result.converged
    np.testing.assert_array_equal(result.x, np.zeros(4))


def test_not_positive_definite_is_an_error() -> None:
    indefinite = np.diag([1.0, -1.0, 2.0])
    with pytest.raises(InvalidParameterError, match="not positive definite"):
        conjugate_gradient(indefinite, np.ones(3))


def test_singular_fisher_needs_damping() -> None:
    # Softmax over all k logits (none pinned): F = diag(p) − ppᵀ has F·1 = 0.
    p = np.array([0.2, 0.3, 0.5])
    f = np.diag(p) - np.outer(p, p)
    with pytest.raises(InvalidParameterError, match="not positive definite"):
        conjugate_gradient(f, np.ones(3))
    x = conjugate_gradient(f, np.ones(3), damping=1e-2).x
    assert rel_err(x, np.linalg.solve(f + 1e-2 * np.eye(3), np.ones(3))) < 1e-10


@pytest.mark.parametrize(
    ("a", "b", "kwargs", "message"),
    [
        (np.eye(3), np.ones(4), {}, "shape"),
        (np.eye(3), np.ones((3, 1)), {}, "vector"),
        (lambda v: np.ones(2), np.ones(3), {}, "operator returned shape"),
        (np.eye(3), np.array([1.0, np.nan, 0.0]), {}, "finite"),
        (np.eye(3), np.ones(3), {"damping": -1.0}, "damping"),
        (np.eye(3), np.ones(3), {"tol": 0.0}, "tol"),
    ],
)
def test_bad_input(a: object, b: np.ndarray, kwargs: dict, message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        conjugate_gradient(a, b, **kwargs)
