"""The front door of the public family constructors: names must be strings, sizes sane.

The constructors memoize on their arguments, so an unhashable or absurd argument must be
refused before it reaches them (a list would be a raw TypeError; k = 10**9 would never finish).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import TypeVar

from symgeom.errors import InvalidParameterizationError, InvalidSizeError

C = TypeVar("C", bound=Callable[..., object])

#: Largest sizes built symbolically (a family holds O(k) or O(d²) symbols, built eagerly).
#: Categorical(10 000) already takes tens of seconds; numeric code for any k does not need one:
#: ``symgeom.numeric.kl_function(sg.Categorical(2, "logits"), any_size=True)``.
MAX_SIZE = {"k": 100_000, "d": 1_000}
_NAMES = ("param", "covariance")


def front_door(constructor: C) -> C:
    """Wrap a family constructor: ``param``/``covariance`` must be strings, k and d ≤ MAX_SIZE."""
    signature = inspect.signature(constructor)
    what = constructor.__name__

    @functools.wraps(constructor)
    def build(*args: object, **kwargs: object) -> object:
        bound = signature.bind(*args, **kwargs)
        for name, value in bound.arguments.items():
            if name in _NAMES and value is not None and not isinstance(value, str):
                raise InvalidParameterizationError(
                    f"{what} {name} must be a name (a string), got {type(value).__name__} {value!r:.40}"
                )
            limit = MAX_SIZE.get(name)
            if limit is not None and isinstance(value, int) and not isinstance(value, bool) and value > limit:
                raise InvalidSizeError(
                    f"{what} {name} must be at most {limit} (symbolic families are built eagerly), "
                    f"got {name}={value}; for numbers at any size use symgeom.numeric.kl_function(…, "
                    "any_size=True)"
                )
        return constructor(*args, **kwargs)

    return build  # type: ignore[return-value]
