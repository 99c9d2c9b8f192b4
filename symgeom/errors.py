"""Exceptions raised for bad input: each names the offending value and what is accepted."""


class SymgeomError(ValueError):
    """Base class of every error symgeom raises for bad input."""


class UnknownFamilyError(SymgeomError):
    """A family name that is not in the catalog."""


class InvalidParameterizationError(SymgeomError):
    """A parameterization name the family does not define."""


class InvalidSizeError(SymgeomError):
    """A family size (k for Categorical, d for MultivariateGaussian) outside its accepted range."""


class InvalidParameterError(SymgeomError):
    """A numeric parameter value outside its domain (σ ≤ 0, p ∉ (0, 1), Σ not positive definite …)."""


class UnknownQuantityError(SymgeomError):
    """A quantity or route with no registered derivation for the family."""
