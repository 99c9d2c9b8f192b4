"""Derivations whose result or steps are made on first read (large specializations, printed forms).

``DeferredDerivation(…, result=Deferred.Make(fn), steps=Deferred.Make(fn_of_result))`` is an
ordinary :class:`~symgeom.derivation.Derivation` to every reader; only what is read is made.
"""

from __future__ import annotations

from collections.abc import Callable

from symgeom.derivation import Derivation


class Deferred:
    """A field of :class:`DeferredDerivation` made on first read (``Deferred.Make(fn)``).

    The steps' maker receives the (made) result.
    """

    class Make:
        def __init__(self, make: Callable[..., object]) -> None:
            self.make = make

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = f"_deferred_{name}"

    def __get__(self, obj: object, owner: type | None = None) -> object:
        if obj is None:
            return self
        value = obj.__dict__[self.slot]
        if isinstance(value, Deferred.Make):
            value = value.make(obj.result) if self.slot == "_deferred_steps" else value.make()
            obj.__dict__[self.slot] = value
        return value

    def __set__(self, obj: object, value: object) -> None:
        obj.__dict__[self.slot] = value


class DeferredDerivation(Derivation):
    """A Derivation whose ``result`` and ``steps`` may be :class:`Deferred.Make` makers."""

    result = Deferred()
    steps = Deferred()

    def __getstate__(self) -> dict:
        self.steps  # noqa: B018 - made before pickling (the makers are closures)
        return self.__dict__
