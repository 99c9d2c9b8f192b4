"""Deterministic parameter batches for any family, read from its inputs' domains (never its name).

Wide on purpose, as the numeric tests' regimes: probabilities from 10⁻³⁰⁰ to 1 − 10⁻¹⁶ and exactly 0
where the domain is closed, positive scalars over ±30 decades (shapes, rates, σ) and ±150 for a
scale, reals and logits up to ±700 (classes whose probability underflows), negative natural
parameters over ±30 decades, covariances of condition number up to 10¹² scaled by 10^{±100}.
"""

from __future__ import annotations

import numpy as np

from symgeom.families.base import Family
from symgeom.numeric.inputs import Input, inputs


def _size(inp: Input) -> int:
    return int(inp.shape.strip("()").split(",")[-1])


def _scalars(inp: Input, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    low, high = inp.lower, inp.upper
    if low is None and high is None:
        return rng.choice([-1.0, 1.0], shape) * 10.0 ** rng.uniform(-6, np.log10(700), shape)
    if low is not None and high is not None:  # an interval: p in (0, 1), say
        width = high - low
        tiny = width * 10.0 ** rng.uniform(-300, 0, shape)
        near_top = high - width * 10.0 ** rng.uniform(-16, 0, shape)
        edge = np.where(rng.random(shape) < 0.5, low + tiny, near_top)
        middle = rng.uniform(low, high, shape)
        out = np.where(rng.random(shape) < 0.3, middle, edge)
        return np.clip(out, np.nextafter(low, high), np.nextafter(high, low))
    magnitude = 10.0 ** rng.uniform(-30, 30, shape)
    if low is not None:  # past the bound even where low + magnitude rounds to it
        return np.maximum(low + magnitude, np.nextafter(low, np.inf))
    return np.minimum(high - magnitude, np.nextafter(high, -np.inf))


def _covariance(d: int, rows: int, rng: np.random.Generator) -> np.ndarray:
    q, _ = np.linalg.qr(rng.normal(size=(rows, d, d)))
    eigen = 10.0 ** rng.uniform(-12, 0, (rows, d)) * 10.0 ** rng.uniform(-100, 100, (rows, 1))
    out = (q * eigen[:, None, :]) @ np.swapaxes(q, -1, -2)
    return (out + np.swapaxes(out, -1, -2)) / 2


def points(family: Family, rows: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """``rows`` parameter points of ``family``'s chart as the grouped arrays ``.numpy()`` takes."""
    out = []
    for inp in inputs(family):
        if inp.kind == "scalar":
            out.append(_scalars(inp, (rows,), rng))
        elif inp.kind == "matrix":
            out.append(_covariance(_size(inp), rows, rng))
        elif inp.check == "simplex":
            k = _size(inp)
            weights = rng.exponential(size=(rows, k)) * 10.0 ** rng.uniform(-300, 0, (rows, k))
            weights[rows // 4 : rows // 2, -1] = 0.0  # a class of probability 0 (valid)
            out.append(weights / weights.sum(axis=-1, keepdims=True))
        else:
            out.append(_scalars(inp, (rows, _size(inp)), rng))
    return tuple(out)
