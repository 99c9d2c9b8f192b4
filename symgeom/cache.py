"""The explicit derivation cache: in memory, and on disk keyed by inputs, symgeom's math code and SymPy."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import inspect
import os
import pickle
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import sympy as sp
from sympy.core.parameters import evaluate

F = TypeVar("F", bound=Callable[..., Any])

_MATH_PACKAGES = ("families", "derive", "verification")
_memory: dict[str, Any] = {}
_MISSING = object()


def cache_dir() -> Path:
    """``$SYMGEOM_CACHE_DIR``, else ``$XDG_CACHE_HOME/symgeom``, else ``~/.cache/symgeom``."""
    if "SYMGEOM_CACHE_DIR" in os.environ:
        return Path(os.environ["SYMGEOM_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "symgeom"


def disk_cache_enabled() -> bool:
    return os.environ.get("SYMGEOM_CACHE", "1") != "0"


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Hash of every source file that can change a derivation, plus the SymPy version."""
    digest = hashlib.sha256(sp.__version__.encode())
    root = Path(__file__).parent
    for package in _MATH_PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def stable_key(*parts: Any) -> str:
    """A key that is the same in every process: srepr of SymPy data, repr of the rest."""
    digest = hashlib.sha256(code_fingerprint().encode())
    for part in parts:
        digest.update(b"\0")
        digest.update(_stable_repr(part).encode())
    return digest.hexdigest()


#: _stable_repr of frozen dataclasses (families: printing one costs milliseconds, and a catalog
#: run asks for the same few dozen hundreds of times), by id, holding the object so the id stays its.
_REPRS: dict[int, tuple[Any, str]] = {}


def _stable_repr(value: Any) -> str:
    if isinstance(value, sp.Basic):
        return sp.srepr(value)
    if isinstance(value, tuple | list):
        return "(" + ",".join(_stable_repr(v) for v in value) + ")"
    if hasattr(value, "__dataclass_fields__"):
        known = _REPRS.get(id(value))
        if known is not None and known[0] is value:
            return known[1]
        # Fields left out of equality (a family's ``general`` specialization, which holds
        # functions) are not part of what the value is, so they are not part of its key either.
        text = type(value).__name__ + "(" + ",".join(
            f"{f.name}={_stable_repr(getattr(value, f.name))}"
            for f in dataclasses.fields(value) if f.compare
        ) + ")"
        if value.__dataclass_params__.frozen:
            _REPRS[id(value)] = (value, text)
        return text
    name = _function_name(value)
    return repr(value) if name is None else name


def _function_name(value: Any) -> str | None:
    """``module.qualname`` of a module-level function (a family constructor held by a general-size
    family), whose repr would carry its address and so differ in every process; None for anything
    else (lambdas and local functions keep their repr: never a false hit, only a miss)."""
    if not (inspect.isfunction(value) or inspect.isfunction(getattr(value, "__wrapped__", None))):
        return None  # bound methods (their instance is not in the name), objects, classes
    module, qualname = getattr(value, "__module__", None), getattr(value, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str) or "<" in qualname:
        return None
    return f"function:{module}.{qualname}"


#: An entry on disk: this tag, the SHA-256 of the pickle, then the pickle itself.
_MAGIC = b"symgeom-cache-1\n"
_DIGEST_SIZE = 32


def _load(path: Path) -> Any:
    """The stored value, or None when the file is missing, truncated, altered or unreadable.

    The checksum is compared before anything is unpickled, so a flipped byte can neither load a
    different expression nor reach the unpickler; None makes the caller recompute and overwrite.
    """
    try:
        data = path.read_bytes()
    except OSError:
        return None
    header = len(_MAGIC) + _DIGEST_SIZE
    if len(data) <= header or not data.startswith(_MAGIC):
        return None
    digest, payload = data[len(_MAGIC):header], data[header:]
    if hashlib.sha256(payload).digest() != digest:
        return None
    # Unpickling re-runs SymPy constructors; without evaluate(False) every unevaluated
    # structure of a derivation step (Eq with a Matrix side, Mul(a, a)) would collapse on load.
    try:
        with evaluate(False):
            return pickle.loads(payload)
    except Exception:  # a file written by another symgeom/SymPy: any failure means recompute
        return None


def _store(path: Path, value: Any) -> None:
    """Atomic write (temp file + rename), so concurrent runs never read half a file."""
    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as handle:
            handle.write(_MAGIC + hashlib.sha256(payload).digest() + payload)
        os.replace(handle.name, path)
    except OSError:
        pass


def cached(namespace: str) -> Callable[[F], F]:
    """Memoize a pure function of hashable (dataclass/SymPy/str) arguments, in memory and on disk."""

    def decorate(fn: F) -> F:
        def key_of(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
            # the function's name too: two functions of one namespace may take the same arguments
            return stable_key(namespace, fn.__module__, fn.__qualname__, args,
                              tuple(sorted(kwargs.items())))

        def stored(key: str) -> Any:
            if key in _memory:
                return _memory[key]
            value = _load(cache_dir() / namespace / f"{key}.pickle") if disk_cache_enabled() else None
            if value is None:
                return _MISSING
            _memory[key] = value
            return value

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            key = key_of(args, kwargs)
            value = stored(key)
            if value is _MISSING:
                value = fn(*args, **kwargs)
                if disk_cache_enabled():
                    _store(cache_dir() / namespace / f"{key}.pickle", value)
                _memory[key] = value
            return value

        def peek(*args: Any, **kwargs: Any) -> Any:
            """The stored value (memory, then disk) without computing it; None when there is none."""
            value = stored(key_of(args, kwargs))
            return None if value is _MISSING else value

        wrapper.peek = peek  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def clear_memory() -> None:
    """Forget in-memory results (the disk cache stays); used by benchmarks for cold runs."""
    _memory.clear()
