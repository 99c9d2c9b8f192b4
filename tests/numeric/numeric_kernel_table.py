"""The KL kernel for each regime family label and the logit condition number (test helpers)."""

from __future__ import annotations

import numpy as np

from symgeom.numeric import kl

KERNELS = {
    "bernoulli[prob]": kl.bernoulli_prob,
    "bernoulli[logit]": kl.bernoulli_logit,
    "categorical[probs]": kl.categorical_probs,
    "categorical[logits]": kl.categorical_logits,
    "gaussian[mean_std]": kl.gaussian_mean_std,
    "gaussian[mean_var]": kl.gaussian_mean_var,
    "gaussian[natural]": kl.gaussian_natural,
    "gaussian[mean_logstd]": kl.gaussian_mean_logstd,
    "multivariate_gaussian[mean_cov]": kl.full_gaussian,
}


def condition(family: str, args: tuple[np.ndarray, ...], row: int) -> float:
    """Relative condition of KL in the inputs beyond O(1): max |logit| for logit charts.

    A relative rounding ε of a logit z moves log p by ε|z|, so no algorithm working from rounded
    intermediate logits can promise better than ε·max|z| relative error.
    """
    if "logit" in family:
        return 1.0 + max(float(np.max(np.abs(a[row]))) for a in args)
    return 1.0
