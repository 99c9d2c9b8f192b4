"""Eager-torch evaluation of the kl_div and logsumexp values: same formulas, fewer passes.

Eager torch runs each operation as a separate pass over memory with a fresh allocation, and a
``where`` evaluates both of its branches everywhere.  When the values can be read (not under
``torch.compile`` or a ``torch.func`` transform) the primitives of
:mod:`symgeom.backends.primitives` are evaluated the way :func:`symgeom.numeric.kernels.kl_div`
evaluates them in NumPy:

* kl_div(a, b) = a·log(a/b) − d everywhere (two passes), then the series
  d·(s + (1 + s)·A(s)), s = d/(a + b), only at the entries with |log(a/b)| < 2·atanh(m) (|s| < m),
  found by one count (all near: the series alone; few near: the series on those entries only,
  by index; many: the series everywhere and one ``where``);
* log(a/b), when the caller does not supply it: log of the ratio (one division, one log), with
  log1p(d/b) recomputed only where |log(a/b)| < ½ (the digits a rounded ratio loses near 1, which
  the partial ∂a = log(a/b) needs) and log a − log b only where the ratio may have under- or
  overflowed;
* logsumexp: ``torch.logsumexp`` (fused; ±inf handled as in the generic form).

The numbers are those of the generic forms up to rounding (the same branch is chosen at every
entry, the same series with the same terms), so the derived partials are unchanged.
"""

from __future__ import annotations

import math
from typing import Any

from symgeom.backends.primitives import SERIES

Array = Any

#: Fewer than 1 in SPARSE entries needing the other form: computed on those entries by index;
#: more: computed everywhere and selected with one ``where`` (indexing costs several passes).
SPARSE = 8


def eager(*arrays: Array) -> bool:
    """Whether these are plain torch tensors outside torch.compile and torch.func transforms."""
    import torch

    if torch.compiler.is_compiling():
        return False
    wrapped = torch._C._functorch.is_functorch_wrapped_tensor
    return all(isinstance(x, torch.Tensor) and not wrapped(x) for x in arrays)


def _bits(x: Array) -> int:
    import torch

    return 64 if x.dtype == torch.float64 else 32


def _series(d: Array, s: Array, terms: int) -> Array:
    """d·(s + (1 + s)·A(s)), A(s) = Σₙ₌₁..terms s²ⁿ/(2n + 1), in place on one buffer."""
    t = s * s
    acc = t * (1.0 / (2 * terms + 1))
    for n in range(terms - 1, 0, -1):
        acc.add_(1.0 / (2 * n + 1)).mul_(t)
    return acc.mul_(s + 1).add_(s).mul_(d)


def _positive(a: Array) -> bool:
    """Whether a > 0 everywhere, read from one entry when a is one number broadcast."""
    if a.numel() == 0:
        return True
    if all(stride == 0 for stride in a.stride()):
        return bool(a.as_strided((), ()) > 0)
    return bool(a.min() > 0)


def kl_div(a: Array, b: Array, d: Array, lr: Array) -> Array:
    """a·log(a/b) − d, with the series where |s| < m; kl_div(0, b) = b (arrays of one shape)."""
    import torch

    if d.dim() == 0:  # index assignment needs an axis
        return kl_div(a.reshape(1), b.reshape(1), d.reshape(1), lr.reshape(1)).reshape(())
    threshold, terms = SERIES[_bits(d)]
    bound = 2 * math.atanh(threshold)
    if d.numel() == 0:
        return d * lr
    near = lr.abs() < bound
    count = int(near.sum())
    if count == near.numel():
        return _series(d, d / (a + b), terms)
    out = a * lr
    out.sub_(d)
    if not _positive(a):
        out = torch.where(a == 0, b, out)
    if count == 0:
        return out
    if count * SPARSE < near.numel():
        index = torch.nonzero(near, as_tuple=True)
        a_near, b_near, d_near = a[index], b[index], d[index]
        out[index] = _series(d_near, d_near / (a_near + b_near), terms)
        return out
    return torch.where(near, _series(d, d / (a + b), terms), out)


#: kl_div with its gradient through lr (primitives.kl_div_log_partials): the same value
kl_div_log = kl_div


def log_ratio(a: Array, b: Array, d: Array) -> Array:
    """log(a/b) for arrays of one shape (see the module docstring for the two corrections)."""
    import torch

    if d.dim() == 0:  # index assignment needs an axis
        return log_ratio(a.reshape(1), b.reshape(1), d.reshape(1)).reshape(())
    if d.numel() == 0:
        return d / b
    lr = torch.log(a / b)
    magnitude = lr.detach().abs()  # only read for the branch masks
    near = magnitude < 0.5
    count = int(near.sum())
    if count == near.numel():
        return torch.log1p(d / b)
    if count * SPARSE < near.numel():
        index = torch.nonzero(near, as_tuple=True)
        lr[index] = torch.log1p(d[index] / b[index])
    elif count:
        lr = torch.where(near, torch.log1p(d / b), lr)
    largest = float(magnitude.max())
    # log of a ratio within the normal range is accurate; beyond it use log a − log b.
    huge = -math.log(torch.finfo(lr.dtype).tiny) - 8
    if not largest < huge:
        index = torch.nonzero(~(magnitude < huge), as_tuple=True)
        lr[index] = torch.log(a[index]) - torch.log(b[index])
    return lr


def logsumexp(z: Array) -> Array:
    """log Σ e^{zᵢ} over the last axis (torch's fused kernel)."""
    import torch

    return torch.logsumexp(z, dim=-1)
