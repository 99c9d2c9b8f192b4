"""Source of a set of NumPy functions and everything they reach, as one standalone module text.

:func:`bundle` walks the global names each function loads (``dis``: LOAD_GLOBAL / LOAD_NAME, in
nested code too) and its decorators, and emits, in a fixed order:

* an import for each name bound to NumPy, SciPy or the standard library (a routine is imported
  from the module it was bound from, so ``log1p`` from ``scipy.special`` stays SciPy's);
* a ufunc's method kept under a module name (``_MIN = np.minimum.reduce``) as that expression;
* a literal for each module constant (numbers, strings, tuples, dicts, dtypes, float arrays,
  fractions: float arrays and floats by ``repr``, which round-trips every float64 exactly);
* the source of every symgeom function reached (``inspect.getsource``), so a change in symgeom
  flows into the next export.

Anything else (SymPy or mpmath at run time, a closure, a symgeom module object, two different
objects under one name) raises :class:`NotExportableError` naming it: the module is either the
same code or not written.
"""

from __future__ import annotations

import ast
import builtins
import dis
import inspect
import math
import textwrap
import types
from collections.abc import Callable
from fractions import Fraction

import numpy as np

from symgeom.errors import SymgeomError

#: Top-level packages an exported module may import.
ALLOWED = ("numpy", "scipy", "math", "itertools", "functools", "fractions", "collections", "typing",
           "dataclasses", "operator")


class NotExportableError(SymgeomError):
    """The compiled function needs something a standalone NumPy/SciPy module cannot carry."""


def _loaded_names(code: types.CodeType) -> list[str]:
    """Global names a code object (and the code nested in it) loads, in order of first use."""
    out: list[str] = []
    for instruction in dis.get_instructions(code):
        if instruction.opname in ("LOAD_GLOBAL", "LOAD_NAME") and instruction.argval not in out:
            out.append(instruction.argval)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            out += [n for n in _loaded_names(const) if n not in out]
    return out


def _definition_names(source: str) -> list[str]:
    """Names a ``def`` evaluates where it is defined: its decorators and default values."""
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef):
            evaluated = [*node.decorator_list, *node.args.defaults, *(d for d in node.args.kw_defaults if d)]
            for part in evaluated:
                names += [n.id for n in ast.walk(part) if isinstance(n, ast.Name)]
    return names


def literal(value: object, imports: set[str]) -> str:
    """Python source that evaluates to ``value`` exactly (see the module docstring)."""
    if value is None or isinstance(value, bool | int | str):
        return repr(value)
    if isinstance(value, float | np.floating) and not isinstance(value, np.ndarray):
        x = float(value)
        if math.isfinite(x):
            text = repr(x)
        else:
            imports.add("import math")
            text = "math.nan" if math.isnan(x) else ("math.inf" if x > 0 else "-math.inf")
        return text if type(value) is float else f"np.{type(value).__name__}({text})"
    if isinstance(value, Fraction):
        imports.add("from fractions import Fraction")
        return f"Fraction({value.numerator}, {value.denominator})"
    if isinstance(value, np.dtype):
        return f"np.dtype({str(value)!r})"
    if isinstance(value, np.ndarray) and value.dtype.kind in "fiub":
        items = ", ".join(literal(v.item(), imports) for v in value.ravel())
        return f"np.array([{items}], dtype={str(value.dtype)!r}).reshape({value.shape!r})"
    if isinstance(value, tuple):
        inner = ", ".join(literal(v, imports) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v, imports) for v in value) + "]"
    if isinstance(value, dict):
        pairs = (f"{literal(k, imports)}: {literal(v, imports)}" for k, v in value.items())
        return "{" + ", ".join(pairs) + "}"
    raise NotExportableError(f"the constant {value!r:.60} ({type(value).__name__}) has no exact literal")


def _external(name: str, value: object) -> str | None:
    """The import binding ``name`` to ``value`` from an allowed package, None if it is not one."""
    if isinstance(value, types.ModuleType):
        root = value.__name__.split(".")[0]
        if root not in ALLOWED:
            return None
        if "." in value.__name__:
            package, _, leaf = value.__name__.rpartition(".")
            return f"from {package} import {leaf}" + ("" if leaf == name else f" as {name}")
        return f"import {value.__name__}" + ("" if value.__name__ == name else f" as {name}")
    module = getattr(value, "__module__", None)
    if isinstance(value, np.ufunc):
        for home in ("scipy.special", "numpy"):
            if _attribute(home, value.__name__) is value:
                module = home
                break
    candidates = [m for m in (module, "numpy", "scipy.special") if m]
    for home in candidates:
        if home.split(".")[0] not in ALLOWED:
            continue
        for attr in (name, getattr(value, "__name__", name)):
            if _attribute(home, attr) is value:
                return f"from {home} import {attr}" + ("" if attr == name else f" as {name}")
    return None


def _attribute(module: str, name: str) -> object:
    import importlib

    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


class _Bundle:
    def __init__(self) -> None:
        self.imports: set[str] = set()
        self.bound: dict[str, object] = {}
        self.constants: list[str] = []
        self.functions: list[str] = []
        self._seen: set[int] = set()

    def bind(self, name: str, value: object, where: str) -> bool:
        """Record ``name`` → ``value``; False if already recorded (the same object)."""
        if name in self.bound:
            if self.bound[name] is not value and not _same_literal(self.bound[name], value):
                raise NotExportableError(
                    f"the name {name!r} means two different things in the compiled function "
                    f"({self.bound[name]!r:.50} and, in {where}, {value!r:.50})")
            return False
        self.bound[name] = value
        return True

    def function(self, function: Callable[..., object], name: str | None = None) -> None:
        if id(function) in self._seen:
            return
        self._seen.add(id(function))
        where = f"{getattr(function, '__module__', '?')}.{getattr(function, '__qualname__', '?')}"
        if not isinstance(function, types.FunctionType):
            raise NotExportableError(f"{where} is not a plain function (a {type(function).__name__})")
        if function.__closure__:
            raise NotExportableError(f"{where} is a closure: its captured values have no source")
        try:
            source = inspect.getsource(function)
        except (OSError, TypeError) as error:
            raise NotExportableError(f"{where} has no source text ({error})") from None
        source = textwrap.dedent(source)
        own = name or function.__name__
        if name is not None:
            source = source.replace(f"def {function.__name__}(", f"def {name}(", 1)
        self.bind(own, function, where)
        self.functions.append(source.rstrip("\n") + "\n")
        names = _loaded_names(function.__code__) + _definition_names(source)
        for global_name in names:
            if global_name in function.__globals__:
                self.value(global_name, function.__globals__[global_name], where)
            elif not hasattr(builtins, global_name):
                raise NotExportableError(f"{where} uses {global_name!r}, which is not defined where it lives")

    def value(self, name: str, value: object, where: str) -> None:
        if isinstance(value, types.FunctionType) and value.__module__.startswith("symgeom"):
            self.function(value, name if name != value.__name__ else None)
            return
        wrapped = getattr(value, "__wrapped__", None)
        if isinstance(wrapped, types.FunctionType) and wrapped.__module__.startswith("symgeom"):
            self.function(wrapped, name if name != wrapped.__name__ else None)
            return
        owner = getattr(value, "__self__", None)
        if isinstance(owner, np.ufunc) and getattr(np, owner.__name__, None) is owner \
                and getattr(owner, getattr(value, "__name__", ""), None) == value:
            # a ufunc's method (np.minimum.reduce) kept under a module name
            if self.bind(name, value, where):
                self.constants.append(f"{name} = np.{owner.__name__}.{value.__name__}\n")
            return
        line = _external(name, value)
        if line is not None:
            if self.bind(name, value, where):
                self.imports.add(line)
            return
        if isinstance(value, types.ModuleType):
            raise NotExportableError(
                f"{where} uses the module {value.__name__} at run time "
                f"(only {', '.join(ALLOWED)} may be imported)")
        if callable(value) and not isinstance(value, np.dtype):
            module = getattr(value, "__module__", "?")
            raise NotExportableError(
                f"{where} calls {name} ({module}), which is neither NumPy/SciPy nor symgeom source")
        if self.bind(name, value, where):
            self.constants.append(f"{name} = {literal(value, self.imports)}\n")

    def text(self) -> str:
        imports = sorted(self.imports, key=lambda s: (not s.startswith("import "), s))
        return "\n".join(["\n".join(imports), "", "".join(self.constants), "", "\n\n".join(self.functions)])


def _same_literal(a: object, b: object) -> bool:
    try:
        return type(a) is type(b) and literal(a, set()) == literal(b, set())
    except NotExportableError:
        return False


def bundle(roots: list[tuple[Callable[..., object], str | None]],
           extra: dict[str, object] | None = None) -> str:
    """The module text defining each root function (renamed where a name is given), every
    function and constant they reach, and ``extra`` names bound to constants."""
    out = _Bundle()
    out.imports.add("import numpy as np")
    out.bound["np"] = np
    for name, value in (extra or {}).items():
        out.value(name, value, "the generated module")
    for function, name in roots:
        out.function(function, name)
    return out.text()
