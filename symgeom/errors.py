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


class OutOfRangeError(InvalidParameterError, ArithmeticError):
    """A point inside the parameters' domains where symgeom cannot evaluate the quantity to its
    stated accuracy (a Poisson-type rate c ≥ 2⁵², an intermediate past float64's largest finite
    number, an error bound above 1e-12 of the value), or a family size past what a backend's form
    was analysed for.  Refused, never guessed: the message names the family's parameters (their
    ``Parameter.name``) or size, their values at the refused entry, and the limit.  Also an
    ArithmeticError, as the low-level refusals it wraps."""


class SizeOutOfRangeError(UnknownQuantityError, OutOfRangeError):
    """A family size (from ``Family.size``: a negative binomial's r, a binomial's n) past the sizes
    a backend's form was analysed for: names the size, its value and the limit."""
