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
    Categorical,
    Family,
    Gaussian,
    MultivariateGaussian,
    family,
)

__version__ = "0.1.0"

__all__ = [
    "Bernoulli",
    "Categorical",
    "Derivation",
    "Family",
    "Gaussian",
    "InvalidParameterError",
    "InvalidParameterizationError",
    "InvalidSizeError",
    "MultivariateGaussian",
    "Step",
    "SymgeomError",
    "UnknownFamilyError",
    "__version__",
    "family",
]
