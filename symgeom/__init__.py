"""symgeom: derived, proved, printable and fast information geometry of probability families."""

from __future__ import annotations

from symgeom.derivation import Derivation, Step
from symgeom.errors import (
    InvalidParameterError,
    InvalidParameterizationError,
    InvalidSizeError,
    SymgeomError,
    UnknownFamilyError,
)
from symgeom.families import (
    Bernoulli,
    Beta,
    Binomial,
    Categorical,
    Dirichlet,
    Exponential,
    Family,
    Gamma,
    Gaussian,
    Geometric,
    Laplace,
    MultivariateGaussian,
    NegativeBinomial,
    Poisson,
    custom_family,
    family,
)

__version__ = "0.1.0"

__all__ = [
    "Bernoulli",
    "Beta",
    "Binomial",
    "Categorical",
    "Derivation",
    "Dirichlet",
    "Exponential",
    "Family",
    "Gamma",
    "Gaussian",
    "Geometric",
    "InvalidParameterError",
    "InvalidParameterizationError",
    "InvalidSizeError",
    "Laplace",
    "MultivariateGaussian",
    "NegativeBinomial",
    "Poisson",
    "Step",
    "SymgeomError",
    "UnknownFamilyError",
    "__version__",
    "custom_family",
    "family",
]

# Names implemented in sub-packages, imported on first use so `import symgeom` stays light.
_LAZY = {
    "kl": "symgeom.derive",
    "fisher": "symgeom.derive",
    "entropy": "symgeom.derive",
    "expansion": "symgeom.derive",
    "routes": "symgeom.derive",
    "verify": "symgeom.verification",
    "check_identity": "symgeom.verification",
    "assert_proved": "symgeom.verification",
    "Verdict": "symgeom.verification",
    "natural_gradient": "symgeom.natural",
    "trpo_step": "symgeom.natural",
    "conjugate_gradient": "symgeom.natural",
    "ppo_clip_objective": "symgeom.natural",
    "latex_preamble": "symgeom.render.latex",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'symgeom' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
