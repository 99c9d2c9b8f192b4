"""Eager torch on the CPU without autograd: symgeom's NumPy kernel run on the tensors' own memory.

Eager torch evaluates a stable form one operation at a time, each a pass over memory into a
fresh allocation, and its branch selection needs extra passes; the NumPy kernels of
:mod:`symgeom.numeric` evaluate the same stable forms (the same primitives, proved equal to the
derived results) in cache-sized blocks with reused scratch and skip branches no entry takes.
Where nothing but the values of a KL is wanted — CPU float32/float64 tensors, outside
``torch.compile`` and ``torch.func`` transforms, with no gradient being recorded — the torch
function therefore calls the NumPy KL kernel on zero-copy views (``Tensor.numpy()``) and wraps its result
(``torch.from_numpy``): same values up to rounding, same validation errors, dtype kept.  With
autograd, on other devices, for 16-bit floats, under tracing, and for Fisher matrices and
entropies (printed entries, no blocked kernels to gain from) the torch primitives are used; the
softmax entropy of a logit vector (:mod:`symgeom.backends.softmax_entropy`) takes this route too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from symgeom.backends import eager_torch

Array = Any


def usable(ops: Any, arrays: list[Array]) -> bool:
    """Whether ``arrays`` are eager CPU float32/float64 tensors and no gradient is recorded."""
    if ops.name != "torch" or not arrays or not eager_torch.eager(*arrays):
        return False
    import torch

    if torch.is_grad_enabled() and any(a.requires_grad for a in arrays):
        return False
    return all(a.device.type == "cpu" and a.dtype in (torch.float32, torch.float64) for a in arrays)


def call(function: Callable[..., Any], arrays: list[Array], dtype: Any) -> Array:
    """``function`` (a NumPy kernel) on zero-copy views of ``arrays``, as a tensor of ``dtype``."""
    import numpy as np
    import torch

    values = np.asarray(function(*[a.detach().numpy() for a in arrays]))
    if not (values.flags.c_contiguous and values.flags.writeable):
        values = values.copy()
    out = torch.from_numpy(values)
    return out if out.dtype == dtype else out.to(dtype)
