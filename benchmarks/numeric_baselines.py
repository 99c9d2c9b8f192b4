"""Baselines for the KL benchmarks: naive NumPy textbook formulas, SciPy and torch.distributions.

Each baseline takes the same arguments as the symgeom kernel of the same family label (see
symgeom.numeric.regimes.KERNELS) and returns a NumPy array.  torch is optional: ``TORCH`` is
None when it is not installed.  ``SCIPY`` holds the families whose KL SciPy computes
(``scipy.special.rel_entr`` summed over the outcomes, ``scipy.stats.entropy(p, q)`` for a
Categorical, probabilities from ``scipy.special.expit``/``softmax`` in the logit charts); SciPy has
no Gaussian KL, so those labels are absent.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

try:
    import torch
    from torch.distributions import (
        Bernoulli,
        Categorical,
        MultivariateNormal,
        Normal,
        kl_divergence,
    )
except ImportError:  # torch is an optional comparison, never a requirement
    torch = None


def _mean_std(param: str, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(μ, σ) from chart coordinates, the way a user without symgeom would convert them."""
    if param == "mean_std":
        return a, b
    if param == "mean_var":
        return a, np.sqrt(b)
    if param == "mean_logstd":
        return a, np.exp(b)
    return -a / (2 * b), np.sqrt(-1 / (2 * b))


def _naive_gaussian(param: str) -> Callable[..., np.ndarray]:
    def kl(a1: np.ndarray, b1: np.ndarray, a2: np.ndarray, b2: np.ndarray) -> np.ndarray:
        m1, s1 = _mean_std(param, a1, b1)
        m2, s2 = _mean_std(param, a2, b2)
        return np.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5

    return kl


def _naive_bernoulli(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    return p * np.log(p / q) + (1 - p) * np.log((1 - p) / (1 - q))


def _naive_bernoulli_logit(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return _naive_bernoulli(1 / (1 + np.exp(-a)), 1 / (1 + np.exp(-b)))


def _naive_categorical(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    return np.sum(p * np.log(p / q), axis=-1)


def _log_softmax(z: np.ndarray) -> np.ndarray:
    m = z.max(axis=-1, keepdims=True)
    return z - m - np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True))


def _naive_logits(z1: np.ndarray, z2: np.ndarray) -> np.ndarray:
    l1, l2 = _log_softmax(z1), _log_softmax(z2)
    return np.sum(np.exp(l1) * (l1 - l2), axis=-1)


def _naive_full(mu1: np.ndarray, c1: np.ndarray, mu2: np.ndarray, c2: np.ndarray) -> np.ndarray:
    inv2 = np.linalg.inv(c2)
    dm = (mu2 - mu1)[..., None]
    trace = np.trace(inv2 @ c1, axis1=-2, axis2=-1)
    quad = (np.swapaxes(dm, -1, -2) @ inv2 @ dm)[..., 0, 0]
    d = c1.shape[-1]
    return 0.5 * (trace + quad - d + np.linalg.slogdet(c2)[1] - np.linalg.slogdet(c1)[1])


NAIVE: dict[str, Callable[..., np.ndarray]] = {
    "bernoulli[prob]": _naive_bernoulli,
    "bernoulli[logit]": _naive_bernoulli_logit,
    "categorical[probs]": _naive_categorical,
    "categorical[logits]": _naive_logits,
    "gaussian[mean_std]": _naive_gaussian("mean_std"),
    "gaussian[mean_var]": _naive_gaussian("mean_var"),
    "gaussian[natural]": _naive_gaussian("natural"),
    "gaussian[mean_logstd]": _naive_gaussian("mean_logstd"),
    "multivariate_gaussian[mean_cov]": _naive_full,
}


def _scipy_table() -> dict[str, Callable[..., np.ndarray]]:
    from scipy import special, stats

    def bernoulli(p: np.ndarray, q: np.ndarray) -> np.ndarray:
        return special.rel_entr(p, q) + special.rel_entr(1 - p, 1 - q)

    return {
        "bernoulli[prob]": bernoulli,
        "bernoulli[logit]": lambda a, b: bernoulli(special.expit(a), special.expit(b)),
        "categorical[probs]": lambda p, q: stats.entropy(p, q, axis=-1),
        "categorical[logits]": lambda a, b: stats.entropy(
            special.softmax(a, axis=-1), special.softmax(b, axis=-1), axis=-1
        ),
    }


SCIPY = _scipy_table()


def _t(x: np.ndarray) -> object:
    return torch.from_numpy(np.ascontiguousarray(x))


def _torch_table() -> dict[str, Callable[..., np.ndarray]] | None:
    if torch is None:
        return None

    def wrap(make: Callable[..., tuple[object, object]]) -> Callable[..., np.ndarray]:
        def kl(*args: np.ndarray) -> np.ndarray:
            p, q = make(*(_t(a) for a in args))
            return kl_divergence(p, q).numpy()

        return kl

    def gaussian(param: str) -> Callable[..., np.ndarray]:
        def kl(a1: np.ndarray, b1: np.ndarray, a2: np.ndarray, b2: np.ndarray) -> np.ndarray:
            m1, s1 = _mean_std(param, a1, b1)
            m2, s2 = _mean_std(param, a2, b2)
            p = Normal(_t(m1), _t(s1), validate_args=False)
            q = Normal(_t(m2), _t(s2), validate_args=False)
            return kl_divergence(p, q).numpy()

        return kl

    return {
        "bernoulli[prob]": wrap(
            lambda p, q: (
                Bernoulli(probs=p, validate_args=False),
                Bernoulli(probs=q, validate_args=False),
            )
        ),
        "bernoulli[logit]": wrap(
            lambda a, b: (
                Bernoulli(logits=a, validate_args=False),
                Bernoulli(logits=b, validate_args=False),
            )
        ),
        "categorical[probs]": wrap(
            lambda p, q: (
                Categorical(probs=p, validate_args=False),
                Categorical(probs=q, validate_args=False),
            )
        ),
        "categorical[logits]": wrap(
            lambda a, b: (
                Categorical(logits=a, validate_args=False),
                Categorical(logits=b, validate_args=False),
            )
        ),
        "gaussian[mean_std]": gaussian("mean_std"),
        "gaussian[mean_var]": gaussian("mean_var"),
        "gaussian[natural]": gaussian("natural"),
        "gaussian[mean_logstd]": gaussian("mean_logstd"),
        "multivariate_gaussian[mean_cov]": wrap(
            lambda m1, c1, m2, c2: (
                MultivariateNormal(m1, covariance_matrix=c1, validate_args=False),
                MultivariateNormal(m2, covariance_matrix=c2, validate_args=False),
            )
        ),
    }


TORCH = _torch_table()
TORCH_VERSION = None if torch is None else torch.__version__
