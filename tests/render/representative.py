"""The derivations every rendering check runs over: the issue's typical set plus the wide ones.

Gaussian KL, Fisher in ``mean_logstd``, Categorical KL, the multivariate Gaussian's Fisher,
second-order expansions, and the widest documents of proofs/ (k = 3 expansion, d = 2 full
covariance KL and its Bregman route).  Derived through the cache, so warm runs take seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import symgeom as sg
from symgeom.derivation import Derivation

REPRESENTATIVE: dict[str, Callable[[], Derivation]] = {
    "gaussian-kl": lambda: sg.kl(sg.Gaussian()),
    "gaussian-fisher-mean_logstd": lambda: sg.fisher(sg.Gaussian(param="mean_logstd")),
    "bernoulli-kl-logit": lambda: sg.kl(sg.Bernoulli(param="logit")),
    "categorical-kl": lambda: sg.kl(sg.Categorical(k=3)),
    "categorical-expansion": lambda: sg.expansion(sg.Categorical(k=3)),
    "mvn-fisher": lambda: sg.fisher(sg.MultivariateGaussian(d=2)),
}
#: The widest displays of proofs/ (slow on a cold cache).
WIDE: dict[str, Callable[[], Derivation]] = {
    "mvn-kl": lambda: sg.kl(sg.MultivariateGaussian(d=2)),
    "mvn-kl-bregman": lambda: sg.kl(sg.MultivariateGaussian(d=2), route="bregman"),
    "mvn-expansion": lambda: sg.expansion(sg.MultivariateGaussian(d=2)),
}


@cache
def derivation(name: str) -> Derivation:
    return {**REPRESENTATIVE, **WIDE}[name]()
