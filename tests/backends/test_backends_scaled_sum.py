"""The ``scaled_sum`` primitive a + x·s (the Bregman remainder's node η₁ + t·q·σ(θ₁)) against the
exact rational value, in NumPy (kernel and Array API primitive), torch and JAX (eager and jit).

The product x·s is subnormal for most cases (10⁻³⁰⁴·7·10⁻¹²): XLA on the CPU flushes such a product
to 0 when it is formed on its own (``jax.jit(lambda x, s: x * s)(7e-12, 9.86e-305)`` is 0.0), so
the sum must come from mantissas and exponents.  Bar: two roundings (mₓmₛ and the scaled sum),
|got − exact| ≤ 2ε(|a| + |x·s|), for every case whose exact sum is a normal float64 (a sum below
the normal range may itself be flushed).
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest

from symgeom.backends import primitives
from symgeom.numeric import kernels

EPS = float(np.finfo(np.float64).eps)
TINY = float(np.finfo(np.float64).tiny)
A = (0.0, 9.86e-305, -9.86e-305, 3.3e-308, -1e-290, 1.5, -2.0e300)
X = (0.0, 7e-12, -7e-12, 1e-3, -0.75, 3.0)
S = (9.86e-305, 3.3e-308, 0.5, 1.0, 4e300)


def _cases() -> list[tuple[float, float, float, float, Fraction, Fraction]]:
    """(a, x, s, a + x·s rounded, exact, bound) over the grid, the cases with a normal exact sum."""
    rows = []
    for a, x, s in itertools.product(A, X, S):
        exact = Fraction(a) + Fraction(x) * Fraction(s)
        if (exact != 0 and abs(exact) < TINY) or abs(exact) > np.finfo(np.float64).max:
            continue
        bound = 2 * EPS * (abs(Fraction(a)) + abs(Fraction(x) * Fraction(s)))
        rows.append((a, x, s, float(exact), exact, bound))
    return rows


ROWS = _cases()


def _columns() -> list[np.ndarray]:
    return [np.array([r[i] for r in ROWS]) for i in range(3)]


def _check(got: np.ndarray) -> None:
    got = np.asarray(got, dtype=float)
    bad = [
        (a, x, s, g, float(e))
        for (a, x, s, _, e, bound), g in zip(ROWS, got, strict=True)
        if not abs(Fraction(float(g)) - e) <= bound
    ]
    assert not bad, bad[:5]


def test_the_grid_has_subnormal_products_with_normal_sums():
    """The cases the primitive exists for are in the grid (and not filtered out)."""
    assert sum(1 for a, x, s, *_ in ROWS if 0 < abs(x * s) < TINY and a != 0) >= 8


def test_numpy_kernel_and_array_api_primitive():
    a, x, s = _columns()
    _check(kernels.scaled_sum(a, x, s))
    array_api_compat = pytest.importorskip("array_api_compat")
    xp = array_api_compat.array_namespace(a)
    _check(primitives.scaled_sum_value(xp, a, x, s))


def test_torch_value_and_partials():
    torch = pytest.importorskip("torch")
    pytest.importorskip("array_api_compat")
    from symgeom.backends.ops import torch_ops

    a, x, s = (torch.tensor(c, requires_grad=True) for c in _columns())
    value = torch_ops().primitive("scaled_sum")(a, x, s)
    _check(value.detach().numpy())
    ga, gx, gs = torch.autograd.grad(value.sum(), (a, x, s))
    assert np.all(ga.numpy() == 1)
    np.testing.assert_array_equal(gx.numpy(), s.detach().numpy())
    np.testing.assert_array_equal(gs.numpy(), x.detach().numpy())


def test_jax_value_under_jit_and_partials():
    jax = pytest.importorskip("jax")
    pytest.importorskip("array_api_compat")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    from symgeom.backends.ops import jax_ops

    function = jax_ops().primitive("scaled_sum")
    a, x, s = (jnp.asarray(c) for c in _columns())
    _check(np.asarray(function(a, x, s)))
    _check(np.asarray(jax.jit(function)(a, x, s)))
    ga, gx, gs = jax.jit(jax.grad(lambda *v: jnp.sum(function(*v)), argnums=(0, 1, 2)))(a, x, s)
    assert np.all(np.asarray(ga) == 1)
    np.testing.assert_array_equal(np.asarray(gx), np.asarray(s))
    np.testing.assert_array_equal(np.asarray(gs), np.asarray(x))
