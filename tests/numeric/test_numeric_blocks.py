"""Blocked evaluation: a batch split into many cache-sized blocks (buffers reused from block to
block, near and far rows mixed in one block, a short last block) gives what each row gives alone,
and input checks still see every block."""

from __future__ import annotations

import numpy as np
import pytest

import symgeom as sg
from symgeom.errors import InvalidParameterError
from symgeom.numeric import kernels, kl_function
from symgeom.numeric.regimes import KERNELS, all_regimes

#: Regimes per kernel, with k = 10 categorical rows only (so that rows can be stacked).
GROUPS: dict[str, list] = {}
for _regime in all_regimes():
    if _regime.args[0].ndim == 1 or _regime.args[0].shape[-1] == 10 or "multivariate" in _regime.family:
        GROUPS.setdefault(_regime.family, []).append(_regime)


def _stacked(family: str, copies: int) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """(all regimes' rows once, the same rows repeated and shuffled into one big batch)."""
    regimes = GROUPS[family]
    once = tuple(np.concatenate(parts) for parts in zip(*(r.args for r in regimes), strict=True))
    order = np.random.default_rng(0).permutation(len(once[0]) * copies)
    big = tuple(np.concatenate([a] * copies)[order] for a in once)
    return once, big


@pytest.mark.parametrize("family", sorted(set(GROUPS) - {"multivariate_gaussian[mean_cov]"}))
def test_many_blocks_agree_with_rows_alone(family: str) -> None:
    kernel = KERNELS[family]
    once, _ = _stacked(family, 1)
    width = once[0].shape[-1] if once[0].ndim == 2 else 1
    copies = 2 * kernels.BLOCK // (len(once[0]) * width) + 3  # more than two blocks, and a short last one
    _, big = _stacked(family, copies)
    order = np.random.default_rng(0).permutation(len(once[0]) * copies)
    alone = np.array([kernel(*(a[i : i + 1] for a in once))[0] for i in range(len(once[0]))])
    expected = np.concatenate([alone] * copies)[order]
    blocked = kernel(*big)
    finite = np.isfinite(expected)
    np.testing.assert_array_equal(np.isfinite(blocked), finite)
    np.testing.assert_allclose(blocked[finite], expected[finite], rtol=1e-14, atol=0)
    assert np.all(blocked[finite] >= 0)


@pytest.mark.parametrize("validate", [True, False])
@pytest.mark.parametrize("where", ["middle", "last"])
def test_a_bad_row_in_any_block_is_seen(validate: bool, where: str) -> None:
    rng = np.random.default_rng(1)
    n = 3 * kernels.BLOCK // 10 + 7
    row = n // 2 if where == "middle" else n - 2
    p, q = rng.dirichlet(np.ones(10), n), rng.dirichlet(np.ones(10), n)
    q[row, 3] = -0.01
    f = kl_function(sg.Categorical(10), validate=validate)
    if validate:
        message = rf"p_2 must lie in \[0, 1\], got -0.01 at index \({row}, 3\)"
        with pytest.raises(InvalidParameterError, match=message):
            f(p, q)
        return
    out = f(p, q)
    assert np.isnan(out[row]) and np.all(np.isfinite(np.delete(out, row)))


def test_gaussian_batch_spanning_blocks_with_one_bad_sigma() -> None:
    rng = np.random.default_rng(2)
    n = 2 * kernels.BLOCK + 5
    mu1, mu2 = rng.normal(size=(2, n))
    s1, s2 = np.exp(rng.normal(size=(2, n)))
    s2[-1] = 0.0
    with pytest.raises(InvalidParameterError, match="sigma_2 must be > 0"):
        kl_function(sg.Gaussian(), validate=True)(mu1, s1, mu2, s2)
    out = kl_function(sg.Gaussian(), validate=False)(mu1, s1, mu2, s2)
    assert np.isnan(out[-1]) and np.all(np.isfinite(out[:-1]))
