"""Catalog of families and charts for the natural-gradient tests, and seeded valid points."""

from __future__ import annotations

import numpy as np

import symgeom as sg
from symgeom.families.base import Family

CATALOG: tuple[Family, ...] = (
    sg.Bernoulli("prob"),
    sg.Bernoulli("logit"),
    sg.Categorical(3, "probs"),
    sg.Categorical(3, "logits"),
    sg.Categorical(4, "logits"),
    sg.Gaussian("mean_std"),
    sg.Gaussian("mean_var"),
    sg.Gaussian("mean_logstd"),
    sg.Gaussian("natural"),
    sg.MultivariateGaussian(2, "diagonal", "mean_var"),
    sg.MultivariateGaussian(2, "diagonal", "mean_std"),
    sg.MultivariateGaussian(2, "diagonal", "mean_logstd"),
    sg.MultivariateGaussian(2, "full"),
)

IDS = [fam.label for fam in CATALOG]


def sample_point(fam: Family, rng: np.random.Generator) -> np.ndarray:
    """A valid θ, away from the boundary, in the order of ``fam.symbols(None)``."""
    if fam.name == "categorical" and fam.param == "probs":
        return rng.dirichlet(np.full(len(fam.parameters) + 1, 3.0))[:-1]
    if fam.name == "multivariate_gaussian" and fam.param == "mean_cov":
        d = dict(fam.size)["d"]
        a = rng.normal(size=(d, d))
        cov = a @ a.T + np.eye(d)
        return np.concatenate([rng.normal(size=d), cov[np.triu_indices(d)]])
    values = []
    for par in fam.parameters:
        if par.lower == 0.0 and par.upper == 1.0:
            values.append(rng.uniform(0.15, 0.85))
        elif par.lower == 0.0:
            values.append(rng.uniform(0.5, 2.0))
        elif par.upper == 0.0:
            values.append(-rng.uniform(0.5, 2.0))
        else:
            values.append(rng.normal())
    return np.array(values)
