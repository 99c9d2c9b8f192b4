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

import math
from collections.abc import Callable

import numpy as np

#: Per dtype: |s| below which the series branch is used, the relative truncation allowed, and the
#: most terms of A it sums.  float64: |s| < 0.05 with 6 terms truncates below |s|·0.05¹²/15 <
#: |s|·2·10⁻¹⁸; the direct form at |s| ≥ 0.05 cancels at most a factor ≈ 20.  float32: |s| < 0.2
#: with 5 terms truncates below |s|·0.2¹⁰/13 < |s|·10⁻⁸ (0.2 ulp); the direct form cancels ≤ 5×.
SERIES = {np.dtype(np.float64): (0.05, 1e-17, 6), np.dtype(np.float32): (0.2, 1e-8, 5)}

#: Elements per block: blocks of this size keep the temporaries of a kernel in the CPU cache.
BLOCK = 1 << 15


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
_MIN, _MAX = np.minimum.reduce, np.maximum.reduce


def _block_bounds(threshold: float) -> tuple[float, float, float]:
    """(lowest ratio, highest ratio, |log ratio|) of the series branch for |s| < ``threshold``."""
    low = (1 - threshold) / (1 + threshold)
    return low, 1 / low, 2 * math.atanh(threshold)


_BLOCK_BOUNDS = {dtype: _block_bounds(spec[0]) for dtype, spec in SERIES.items()}


def _series_plan(dtype: np.dtype) -> tuple[float, tuple]:
    plan = _PLANS.get(dtype)
    return plan if plan is not None else _PLANS[np.dtype(np.float64)]


class Scratch:
    """Temporaries reused from block to block of one blocked call.

    A fresh cache-sized array per operation and block costs more in allocation and page faults
    than the arithmetic it holds (measured in benchmarks/kl_speed.py); a kernel that takes a
    Scratch writes into the same few buffers instead.  Arrays handed out are views, valid until
    the same slot is asked for again.
    """

    def __init__(self) -> None:
        self._buffers: dict[tuple[str, np.dtype], np.ndarray] = {}

    def array(self, slot: str, shape: tuple[int, ...], dtype: np.dtype | type) -> np.ndarray:
        """An uninitialised array of ``shape`` and ``dtype`` backed by ``slot``'s buffer."""
        key = (slot, np.dtype(dtype))
        size = math.prod(shape)
        buffer = self._buffers.get(key)
        if buffer is None or buffer.size < size:
            buffer = self._buffers[key] = np.empty(size, dtype)
        return buffer[:size].reshape(shape)


def scratch_array(
    scratch: Scratch | None, slot: str, shape: tuple[int, ...], dtype: np.dtype | type
) -> np.ndarray:
    """An uninitialised array: from ``scratch``'s slot when there is a scratch, else fresh."""
    return np.empty(shape, dtype) if scratch is None else scratch.array(slot, shape, dtype)


def _near_form(
    d: np.ndarray, s: np.ndarray, largest: float | None = None, scratch: Scratch | None = None
) -> np.ndarray:
    """(a − b)·(s + (1 + s)·A(s)) given d = a − b, s = d/(a + b) and |s| ≤ ``largest``."""
    threshold, levels = _series_plan(s.dtype)
    bound = threshold if largest is None else min(largest, threshold)
    coefficients = next(c for m, c in levels if bound <= m)
    t = np.multiply(s, s, out=scratch_array(scratch, "series", s.shape, s.dtype))
    acc = np.multiply(t, coefficients[0], out=scratch_array(scratch, "out", s.shape, s.dtype))
    for c in coefficients[1:]:
        acc += c
        acc *= t
    np.add(s, 1, out=t)
    acc *= t
    acc += s
    acc *= d
    return acc


def kl_div(
    a: np.ndarray | float,
    b: np.ndarray | float,
    d: np.ndarray | float | None = None,
    log_ratio: np.ndarray | float | None = None,
    scratch: Scratch | None = None,
) -> np.ndarray:
    """kl_div(a, b) = a·log(a/b) − a + b ≥ 0, elementwise, for a, b ≥ 0 (0·log 0 = 0).

    ``d`` is a − b and ``log_ratio`` is log(a/b) when the caller knows them more accurately than
    they can be recomputed from rounded a and b (the Bernoulli complement 1 − p, say, whose
    difference q − p is exact while (1 − p) − (1 − q) is not).  With a ``scratch``, temporaries
    and the result live in its buffers (the result until the scratch's next use).

    The branch is decided on the ratio r = a/b (|s| < m ⟺ r ∈ ((1 − m)/(1 + m), (1 + m)/(1 − m)))
    so that the direct form, which needs r anyway, pays for no extra pass; a block whose ratios
    are all near 1 never takes a logarithm.
    """
    if (log_ratio is None and scratch is None and type(a) is np.ndarray and type(b) is np.ndarray
            and type(d) is np.ndarray and a.shape == b.shape == d.shape and a.dtype == b.dtype == d.dtype
            and a.dtype in _PLANS and 0 < a.size <= 2 * BLOCK):
        out = _kl_div_block(a, b, d)
        if out is not None:
            return out
    # Python scalars stay weakly typed, so kl_div(1.0, w) keeps w's float32.
    a, b = (x if isinstance(x, int | float) else np.asarray(x) for x in (a, b))
    d = np.asarray(a - b if d is None else d)
    shape = np.broadcast_shapes(np.shape(a), np.shape(b), d.shape, np.shape(log_ratio))
    dtype = np.result_type(a, b, d)
    if scratch is None and math.prod(shape) > 2 * BLOCK:
        return _kl_div_blocks(a, b, d, log_ratio, shape, dtype)
    threshold, _ = _series_plan(dtype)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if log_ratio is None:
            ratio = np.divide(a, b, out=scratch_array(scratch, "ratio", shape, dtype))
            low, high = (float(np.min(ratio)), float(np.max(ratio))) if ratio.size else (1.0, 1.0)
            # nan fails every comparison, so a nan anywhere sends the block down the general path.
            if _ratio_bound(threshold) < low and high < 1 / _ratio_bound(threshold):
                return _near_form_of(a, b, d, max(_s_of(low), _s_of(high)), shape, dtype, scratch)
            log_ratio = np.log(ratio, out=ratio)
            if not (low > 0 and high < np.inf):
                _unratio(a, b, log_ratio, shape)
            zeros = not low > 0
            magnitude = None
        else:
            magnitude = np.abs(log_ratio, out=scratch_array(scratch, "ratio", shape, dtype))
            largest = float(np.max(magnitude)) if magnitude.size else 0.0
            if largest < _log_bound(threshold):
                return _near_form_of(a, b, d, math.tanh(largest / 2), shape, dtype, scratch)
            zeros = not np.all(a)
        out = np.multiply(a, log_ratio, out=scratch_array(scratch, "out", shape, dtype))
        out -= d
        if zeros:
            np.copyto(out, b, where=np.equal(a, 0))
        if magnitude is None:
            magnitude = np.abs(log_ratio, out=log_ratio)  # the ratio buffer, no longer needed
        index = np.flatnonzero(np.less(magnitude, _log_bound(threshold)))
        if index.size:
            a_near, b_near, d_near = (_flat(x, shape)[index] for x in (a, b, d))
            total = a_near + b_near
            s_near = np.divide(d_near, total, out=np.zeros_like(total), where=np.not_equal(total, 0))
            out.reshape(-1)[index] = _near_form(d_near, s_near)
        return out


def _kl_div_block(a: np.ndarray, b: np.ndarray, d: np.ndarray) -> np.ndarray | None:
    """:func:`kl_div` of one block of equally shaped arrays with a, b > 0 finite and a/b finite
    and non-zero (None otherwise, for the general path): the same branches with fewer passes
    and calls (the lambdified forms call kl_div block by block)."""
    low_ratio, high_ratio, log_bound = _BLOCK_BOUNDS[a.dtype]
    with np.errstate(all="ignore"):
        ratio = np.divide(a, b)
        low, high = _MIN(ratio, axis=None), _MAX(ratio, axis=None)
        if low_ratio < low and high < high_ratio:
            return _near_form(d, d / (a + b), max(_s_of(low), _s_of(high)))
        if not (low > 0 and high < np.inf):
            return None
        log_ratio = np.log(ratio, out=ratio)
        out = np.multiply(a, log_ratio)
        out -= d
        index = np.less(np.abs(log_ratio, out=log_ratio), log_bound).ravel().nonzero()[0]
        if index.size:
            d_near = d.ravel()[index]
            total = a.ravel()[index] + b.ravel()[index]
            out.ravel()[index] = _near_form(d_near, d_near / total)
    return out


def _kl_div_blocks(
    a: np.ndarray | float,
    b: np.ndarray | float,
    d: np.ndarray,
    log_ratio: np.ndarray | float | None,
    shape: tuple[int, ...],
    dtype: np.dtype,
) -> np.ndarray:
    """kl_div on cache-sized blocks of a large broadcast (the lambdified generic forms call it on
    whole arrays; its temporaries then stay in cache).  Python scalars are passed through."""
    parts = [x if x is None or isinstance(x, int | float) else _flat(x, shape) for x in (a, b, d, log_ratio)]
    out = np.empty(math.prod(shape), dtype)
    for start in range(0, out.size, BLOCK):
        block = [x if x is None or isinstance(x, int | float) else x[start : start + BLOCK] for x in parts]
        out[start : start + BLOCK] = kl_div(*block)
    return out.reshape(shape)


def _unratio(
    a: np.ndarray | float, b: np.ndarray | float, log_ratio: np.ndarray, shape: tuple[int, ...]
) -> None:
    """log a − log b where a/b over- or underflowed (a, b > 0 but the ratio is ∞ or 0)."""
    a_flat, b_flat = _flat(a, shape), _flat(b, shape)
    flat = log_ratio.reshape(-1)
    index = np.flatnonzero(~np.isfinite(flat) & (a_flat > 0) & (b_flat > 0) & np.isfinite(a_flat)
                           & np.isfinite(b_flat))
    if index.size:
        flat[index] = np.log(a_flat[index]) - np.log(b_flat[index])


def _flat(x: np.ndarray | float, shape: tuple[int, ...]) -> np.ndarray:
    """x broadcast to ``shape``, flattened (a view; no copy when x already has that shape)."""
    x = np.asarray(x)
    return (x if x.shape == shape else np.broadcast_to(x, shape)).reshape(-1)


def _ratio_bound(threshold: float) -> float:
    """(1 − m)/(1 + m): the ratio a/b below which |s| = |a − b|/(a + b) exceeds m."""
    return (1 - threshold) / (1 + threshold)


def _log_bound(threshold: float) -> float:
    """2·atanh(m): |log(a/b)| below which |s| < m."""
    return 2 * math.atanh(threshold)


def _s_of(ratio: float) -> float:
    """|s| = |r − 1|/(r + 1) for r = a/b."""
    return abs(ratio - 1) / (ratio + 1)


def _near_form_of(
    a: np.ndarray | float,
    b: np.ndarray | float,
    d: np.ndarray,
    largest: float,
    shape: tuple[int, ...],
    dtype: np.dtype,
    scratch: Scratch | None,
) -> np.ndarray:
    """The series form of kl_div for a block whose |s| are all at most ``largest``."""
    s = np.add(a, b, out=scratch_array(scratch, "s", shape, dtype))
    if isinstance(a, float) and a > 0:
        np.divide(d, s, out=s)
    else:
        # a = b = 0 (a class whose probability underflows in both): s = 0, the term is 0.
        np.divide(d, s, out=s, where=np.not_equal(s, 0))
    return _near_form(d if d.shape == shape else np.broadcast_to(d, shape), s, largest, scratch)


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


#: Called with each block's input arrays while they are in cache (see inputs.RangeObserver); a
#: kernel that sums simplex rows anyway passes those sums as ``row_sums=[...]``.
Observer = Callable[..., None]


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


def softplus(x: np.ndarray) -> np.ndarray:
    """softplus(x) = log(1 + eˣ) = max(x, 0) + log1p(e^{−|x|}): no overflow, a few ulps for every x
    (for x ≪ 0 it is eˣ to its own digits, where log(1 + eˣ) as written rounds to 0)."""
    x = np.asarray(x)
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def logit_entropy(x: np.ndarray) -> np.ndarray:
    """h(x) = softplus(x) − x·σ(x), the binary entropy at probability σ(x), as the sum of two
    non-negative terms softplus(−|x|) + |x|·σ(−|x|) (h is even): a few ulps for every x, where
    softplus(x) − x·σ(x) as written loses every digit for x ≫ 0."""
    a = np.abs(np.asarray(x))
    e = np.exp(-a)
    return np.log1p(e) + a * e / (1 + e)


def softplus_diff(a: np.ndarray, d: np.ndarray) -> np.ndarray:
    """softplus(a + d) − softplus(a) for the exact step d, without cancellation.

    |d| ≤ 1: log1p(σ(a)·expm1(d)) for d ≥ 0, −log1p(σ(a + d)·expm1(−d)) for d < 0 (1 + σ(a)(eᵈ − 1)
    = (1 + e^{a+d})/(1 + eᵃ); the argument of log1p is ≥ 0 and a product of relatively exact
    factors).  |d| > 1: the difference of the two softplus values, which then cancels at most a
    factor 1/(1 − e⁻¹); where both points are ≥ 0, as d + [softplus(−a − d) − softplus(−a)]
    (softplus(x) = x + softplus(−x)), so large equal-signed logits do not cancel their size.
    """
    a, d = np.broadcast_arrays(np.asarray(a), np.asarray(d))
    b = a + d
    with np.errstate(over="ignore", invalid="ignore"):
        step = np.where(np.abs(d) <= 1, d, 0)
        out = np.where(
            d >= 0,
            np.log1p(sigmoid(a) * np.expm1(step)),
            -np.log1p(sigmoid(b) * np.expm1(-step)),
        )
        far = ~(np.abs(d) <= 1)
        if far.any():
            af, bf = a[far], b[far]
            positive = (af >= 0) & (bf >= 0)
            mirrored = d[far] + (softplus(-bf) - softplus(-af))
            out[far] = np.where(positive, mirrored, softplus(bf) - softplus(af))
    return out[()]


def softplus_diff_scaled(a: np.ndarray, d: np.ndarray) -> np.ndarray:
    """(softplus(a + d) − softplus(a))/σ(a) without forming the difference itself.

    |d| ≤ 1: expm1(d)·log1p(x)/x with x = σ(a)·expm1(d) ≥ −0.64 (log1p(x)/x = 1 for |x| < 10⁻¹⁷,
    where x may be subnormal): a product of relatively exact factors of the size of d, for every a.
    |d| > 1: softplus_diff(a, d)/σ(a).
    """
    a, d = np.broadcast_arrays(np.asarray(a), np.asarray(d))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        small = np.abs(d) <= 1
        e = np.expm1(np.where(small, d, 0))
        x = sigmoid(a) * e
        # log1p(x)/x = 1 − x/2 + … is 1 to the last bit for |x| < 10⁻¹⁷ (x may be subnormal).
        tiny = np.abs(x) < 1e-17
        near = e * np.where(tiny, 1, np.log1p(x) / np.where(tiny, 1, x))
        far = ~small
        if far.any():
            near = np.where(far, softplus_diff(a, d) / sigmoid(a), near)
    return near[()]


def scaled_ratio(x: np.ndarray, s: np.ndarray, b: np.ndarray) -> np.ndarray:
    """x·s/b from mantissas and exponents (x = mₓ·2^{eₓ}, …): mₓmₛ/m_b·2^{eₓ + eₛ − e_b}, so the
    product x·s is never rounded below the normal range (or above it) before the division."""
    mx, ex = np.frexp(x)
    ms, es = np.frexp(s)
    mb, eb = np.frexp(b)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.ldexp(mx * ms / mb, ex + es - eb)[()]


def scaled_sum(a: np.ndarray, x: np.ndarray, s: np.ndarray) -> np.ndarray:
    """a + x·s from mantissas and exponents: (mₐ2^{eₐ−k} + mₓmₛ2^{eₓ+eₛ−k})·2ᵏ, k = max(eₐ, eₓ + eₛ),
    so the product x·s is never rounded below the normal range on its own (the same bits as the
    array backends' ``scaled_sum``, which a flush-to-zero machine needs)."""
    ma, ea = np.frexp(a)
    mx, ex = np.frexp(x)
    ms, es = np.frexp(s)
    mp, ep = mx * ms, ex + es
    ea = np.where(ma == 0, ep, ea)  # frexp(0) has exponent 0: a zero term cannot set k
    ep = np.where(mp == 0, ea, ep)
    k = np.maximum(ea, ep)
    with np.errstate(invalid="ignore"):
        return np.ldexp(np.ldexp(ma, ea - k) + np.ldexp(mp, ep - k), k)[()]


def ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a/b (a primitive only so that the array backends can differentiate it as (1/b, −(a/b)/b))."""
    return np.divide(a, b)


def log_quotient(a: np.ndarray, b: np.ndarray, d: np.ndarray) -> np.ndarray:
    """log(a/b) (NumPy): log1p(d/b) where |d| < b/2, the log of the mantissas' ratio plus the
    exponents' difference elsewhere (:mod:`symgeom.numeric.log_quotient`)."""
    a, b, d = np.broadcast_arrays(*(np.asarray(x) for x in (a, b, d)))
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        near = np.abs(d) < 0.5 * b
        if near.all():
            return np.log1p(d / b)[()]
        mantissa_a, exponent_a = np.frexp(a)
        mantissa_b, exponent_b = np.frexp(b)
        u = np.where(near, d / b, mantissa_a / mantissa_b - 1)
        shift = (exponent_a - exponent_b).astype(u.dtype) * math.log(2)
        return (np.log1p(u) + np.where(near, 0, shift))[()]
