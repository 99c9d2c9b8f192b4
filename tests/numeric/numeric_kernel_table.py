"""The KL kernel for each regime family label and the logit condition number (test helpers)."""

from __future__ import annotations

import numpy as np

from symgeom.numeric.regimes import KERNELS

__all__ = ["KERNELS", "condition"]


def condition(family: str, args: tuple[np.ndarray, ...], row: int) -> float:
    """Relative condition of KL in the inputs beyond O(1): max |logit| for logit charts.

    A relative rounding ε of a logit z moves log p by ε|z|, so no algorithm working from rounded
    intermediate logits can promise better than ε·max|z| relative error.
    """
    if "logit" in family:
        return 1.0 + max(float(np.max(np.abs(a[row]))) for a in args)
    return 1.0
