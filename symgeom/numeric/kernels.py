"""Elementwise NumPy kernels that keep their digits: kl_div(a, b) = a·log(a/b) − a + b and friends.

Every kernel is pure NumPy (no SymPy import), works in the dtype it is given (float32 in,
float32 out) and broadcasts.  The SymPy counterparts, proved equal to the textbook forms,
live in :mod:`symgeom.numeric.symbolic`.

Why a series: with s = (a − b)/(a + b) one has log(a/b) = 2·atanh(s) and

    a·log(a/b) − a + b = (a − b)·(s + (1 + s)·A(s)),   A(s) = atanh(s)/s − 1 = Σₙ≥₁ s²ⁿ/(2n+1),

a product of accurately computed factors: d = a − b and s share their sign and |A| < |s|/30,
so nothing cancels.  Small |s| sums a few terms of A (see :data:`SERIES` for the thresholds and
truncation bounds); larger |s| uses the direct form a·log(a/b) − (a − b), whose cancellation is
then bounded, so both branches stay within a few tens of ulps.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

#: Per dtype: |s| below which the series branch is used, the relative truncation allowed, and the
#: most terms of A it sums.  float64: |s| < 0.05 with 6 terms truncates below |s|·0.05¹²/15 <
#: |s|·2·10⁻¹⁸; the direct form at |s| ≥ 0.05 cancels at most a factor ≈ 20.  float32: |s| < 0.2
#: with 5 terms truncates below |s|·0.2¹⁰/13 < |s|·10⁻⁸ (0.2 ulp); the direct form cancels ≤ 5×.
SERIES = {np.dtype(np.float64): (0.05, 1e-17, 6), np.dtype(np.float32): (0.2, 1e-8, 5)}

#: Elements per block: blocks of this size keep the temporaries of a kernel in the CPU cache.
BLOCK = 1 << 13


def _plan(threshold: float, tolerance: float, terms: int) -> tuple[float, tuple]:
    """(threshold, ((m₁, coefficients of 1 term), (m₂, … 2 terms), …)).

    With n terms the truncation relative to s is below m²ⁿ⁺¹/(2n+3) for |s| ≤ m, so mₙ is the
    largest m for which that stays under ``tolerance``: a block whose largest |s| is 10⁻⁶ needs
    one term, not six.
    """
    levels = []
    for n in range(1, terms + 1):
        bound = threshold if n == terms else (tolerance * (2 * n + 3)) ** (1 / (2 * n + 1))
        coefficients = tuple(1.0 / (2 * j + 1) for j in range(n, 0, -1))
        levels.append((min(bound, threshold), coefficients))
    return threshold, tuple(levels)


_PLANS = {dtype: _plan(*spec) for dtype, spec in SERIES.items()}


def _series_plan(dtype: np.dtype) -> tuple[float, tuple]:
    plan = _PLANS.get(dtype)
    return plan if plan is not None else _PLANS[np.dtype(np.float64)]


def _near_form(d: np.ndarray, s: np.ndarray, largest: float | None = None) -> np.ndarray:
    """(a − b)·(s + (1 + s)·A(s)) given d = a − b, s = d/(a + b) and |s| ≤ ``largest``."""
    threshold, levels = _series_plan(s.dtype)
    bound = threshold if largest is None else largest
    coefficients = next(c for m, c in levels if bound <= m)
    t = s * s
    acc = t * coefficients[0]
    for c in coefficients[1:]:
        acc += c
        acc *= t
    acc *= 1 + s
    acc += s
    acc *= d
    return acc


def kl_div(
    a: np.ndarray | float,
    b: np.ndarray | float,
    d: np.ndarray | float | None = None,
    log_ratio: np.ndarray | float | None = None,
) -> np.ndarray:
    """kl_div(a, b) = a·log(a/b) − a + b ≥ 0, elementwise, for a, b ≥ 0 (0·log 0 = 0).

    ``d`` is a − b and ``log_ratio`` is log(a/b) when the caller knows them more accurately than
    they can be recomputed from rounded a and b (the Bernoulli complement 1 − p, say, whose
    difference q − p is exact while (1 − p) − (1 − q) is not).
    """
    # Python scalars stay weakly typed, so kl_div(1.0, w) keeps w's float32.
    a, b = (x if isinstance(x, int | float) else np.asarray(x) for x in (a, b))
    d = np.asarray(a - b if d is None else d)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        s = np.asarray(d / (a + b))
        if d.shape != s.shape:
            d = np.broadcast_to(d, s.shape).copy()
        threshold, _ = _series_plan(s.dtype)
        if s.size:
            # nan fails both comparisons, so a nan anywhere sends the block down the general path.
            largest = max(float(np.max(s)), -float(np.min(s)))
            if largest < threshold:
                return _near_form(d, s, largest)
        near = np.abs(s) < threshold
        if log_ratio is None:
            log_ratio = np.log(a / b)
        out = np.asarray(a * log_ratio - d)
        if not np.all(a):
            out = np.asarray(np.where(a == 0, b, out))
        if not near.any():
            return out
        if out.shape != s.shape:
            out = np.broadcast_to(out, s.shape).copy()
        flat = out.reshape(-1)
        index = np.flatnonzero(near)
        flat[index] = _near_form(d.reshape(-1)[index], s.reshape(-1)[index])
        return out


def chi(y: np.ndarray) -> np.ndarray:
    """χ(y) = kl_div(eʸ, 1) = y·eʸ − eʸ + 1 ≥ 0 (the KL term of a log-ratio y)."""
    y = np.asarray(y)
    with np.errstate(over="ignore"):
        return kl_div(np.exp(y), 1.0, np.expm1(y), y)


def logsumexp(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """log Σᵢ exp(zᵢ) along ``axis``, shifted by the maximum so it cannot overflow."""
    m = np.max(z, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    return np.log(np.sum(np.exp(z - m), axis=axis)) + np.squeeze(m, axis=axis)


def log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """ℓᵢ = zᵢ − log Σⱼ exp(zⱼ)."""
    return z - np.expand_dims(logsumexp(z, axis=axis), axis)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1/(1 + e⁻ˣ), as e^x/(1 + e^x) for x < 0: relative error of a few ulps for every x."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1, e) / (1 + e)


def log_sigmoid(x: np.ndarray) -> np.ndarray:
    """log σ(x) = −log(1 + e⁻ˣ) = min(x, 0) − log1p(e^{−|x|}), no overflow for any x."""
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


def entr(p: np.ndarray) -> np.ndarray:
    """−p·log p with 0·log 0 = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p == 0, 0, -p * np.log(p))


#: Called with each block's input arrays before the kernel sees them (see compile.RangeObserver).
Observer = Callable[[Sequence[np.ndarray]], None]


def blocked_rows(
    function: Callable[..., np.ndarray], *arrays: np.ndarray, k: int, observe: Observer | None = None
) -> np.ndarray:
    """Apply ``function`` to row blocks of arrays shaped (n, k); returns the (n,) concatenation.

    Blocks of about :data:`BLOCK` elements keep every temporary of a many-step kernel in cache,
    which is what lets a 25-operation stable kernel run about as fast as a 4-operation naive one;
    ``observe`` sees each block while it is in cache (input range checks cost almost nothing).
    """
    n = arrays[0].shape[0]
    rows = max(1, BLOCK // max(k, 1))
    if n <= rows:
        if observe is not None:
            observe(arrays)
        return function(*arrays)
    out = np.empty(n, dtype=np.result_type(*arrays))
    for start in range(0, n, rows):
        block = [x[start : start + rows] for x in arrays]
        if observe is not None:
            observe(block)
        out[start : start + rows] = function(*block)
    return out


def blocked_elements(
    function: Callable[..., np.ndarray], *arrays: np.ndarray, observe: Observer | None = None
) -> np.ndarray:
    """Apply an elementwise ``function`` to flat blocks of equally shaped arrays."""
    shape = arrays[0].shape
    flat = [x.reshape(-1) for x in arrays]
    n = flat[0].size
    if n <= BLOCK:
        if observe is not None:
            observe(arrays)
        return function(*arrays)
    out = np.empty(n, dtype=np.result_type(*flat))
    for start in range(0, n, BLOCK):
        block = [x[start : start + BLOCK] for x in flat]
        if observe is not None:
            observe(block)
        out[start : start + BLOCK] = function(*block)
    return out.reshape(shape)
