"""When and how torch runs a form through ``torch.compile``: CUDA tensors, with an eager fallback.

Eager torch runs a stable form one operation at a time, each a kernel launch and a pass over
memory; on a GPU the passes, not the arithmetic, cost the time (H100, 10⁷ Gaussian pairs: the
printed form op by op 2.3 ms, one read of the inputs 0.14 ms).  ``torch.compile`` (inductor,
Triton on CUDA) fuses the elementwise work and each row reduction into single kernels, so the
``where`` forms (both branches computed, no host synchronization to pick one) cost no extra pass.

The route is taken for CUDA tensors (not on the CPU, where the NumPy kernels of
:mod:`symgeom.backends.numpy_route` serve eager torch), outside an outer ``torch.compile`` (which
traces the plain function itself) and ``torch.func`` transforms.  Switches:

* ``SYMGEOM_TORCH_COMPILE=0`` — never compile (eager torch, the same formulas);
* :data:`FORCE` (or ``SYMGEOM_TORCH_COMPILE=force``) — compile CPU tensors too (inductor's C++
  backend): how the tests on a machine without a GPU check the compiled route's values and
  gradients against the eager ones.

A function whose compilation fails (no Triton, no C++ compiler, an unsupported operation) is
run eagerly from then on (same values), with one warning naming the reason.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from typing import Any

Array = Any

#: Compile CPU tensors as well (tests); ``SYMGEOM_TORCH_COMPILE=force`` sets it at import.
FORCE = os.environ.get("SYMGEOM_TORCH_COMPILE", "").strip().lower() == "force"

_COMPILED: dict[Any, Callable[..., Any]] = {}
_FAILED: dict[Any, str] = {}


def disabled() -> bool:
    """``SYMGEOM_TORCH_COMPILE=0`` (read at each call, so a test or a session can flip it)."""
    return os.environ.get("SYMGEOM_TORCH_COMPILE", "").strip().lower() in ("0", "false", "no", "off")


def wanted(*arrays: Array) -> bool:
    """Whether these tensors take the compiled route: eager torch tensors on CUDA (or any device
    with :data:`FORCE`), no forward-mode dual, compilation not switched off."""
    import torch
    import torch.autograd.forward_ad as forward_ad

    from symgeom.backends import eager_torch

    if not arrays or disabled() or not eager_torch.eager(*arrays):
        return False
    if not all(isinstance(a, torch.Tensor) for a in arrays):
        return False
    if not (FORCE or all(a.device.type == "cuda" for a in arrays)):
        return False
    return all(forward_ad.unpack_dual(a).tangent is None for a in arrays)


def fused_rows(*arrays: Array) -> bool:
    """Whether the softmax KL of these tensors takes :mod:`symgeom.backends.torch_softmax_kl`:
    where :func:`wanted` says so, and under an outer ``torch.compile`` for CUDA tensors (or any
    with :data:`FORCE`), where the outer compile traces it (the plain function, not a nested
    compile)."""
    import torch

    if wanted(*arrays):
        return True
    if not torch.compiler.is_compiling() or disabled():
        return False
    return FORCE or all(getattr(a, "device", None) is not None and a.device.type == "cuda" for a in arrays)


def call(key: Any, function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)`` through a cached ``torch.compile(function, dynamic=True)`` (one per
    ``key``); eagerly where compilation is off, under an outer compile, or has failed for ``key``."""
    import torch

    if disabled() or torch.compiler.is_compiling() or key in _FAILED:
        return function(*args)
    device = next((a.device.type for a in args if isinstance(a, torch.Tensor)), "cpu")
    compiled = _COMPILED.get((key, device))
    if compiled is None:
        # inductor's vectorized C++ (the CPU, tests) mistypes frexp's exponents and computes
        # expm1 as exp − 1: scalar loops there; CUDA gets Triton's kernels.
        options = {"cpp.simdlen": 1} if device == "cpu" else None
        compiled = _COMPILED[(key, device)] = torch.compile(function, dynamic=True, options=options)
    try:
        with warnings.catch_warnings():
            # printer.bind and the special functions are cached pure functions: tracing through
            # the cache wrapper is what we want
            warnings.filterwarnings("ignore", message=".*functools.lru_cache", category=UserWarning)
            return compiled(*args)
    except Exception as error:  # any compiler failure: the same values, eagerly
        from symgeom.errors import SymgeomError

        if isinstance(error, SymgeomError):
            raise
        _FAILED[key] = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
        warnings.warn(
            f"torch.compile failed for {key!r} ({_FAILED[key][:200]}); evaluating eagerly "
            "(same values, more passes over memory)",
            RuntimeWarning,
            stacklevel=2,
        )
        return function(*args)


def failures() -> dict[Any, str]:
    """The keys whose compilation failed, with the reason (for tests and diagnostics)."""
    return dict(_FAILED)
