"""Compiled, numerically stable NumPy functions for derivations (``Derivation.numpy()``).

* :func:`compile_derivation` — the hook behind ``derivation.numpy(validate=True)``;
  :func:`signature` — the argument order and shapes of that function;
  :func:`kl_function` — the same KL function straight from a family (any k, no derivation).
* :mod:`symgeom.numeric.kl` — the stable KL kernels, usable directly and for any k or d:
  ``categorical_probs(p, q)``, ``categorical_logits(z1, z2)``,
  ``gaussian_mean_std(μ₁, σ₁, μ₂, σ₂)``, …
* :mod:`symgeom.numeric.kernels` — elementwise building blocks (kl_div, χ, log-softmax).
* :mod:`symgeom.numeric.symbolic` — the same stable forms as SymPy expressions.
* :mod:`symgeom.numeric.reference` — independent mpmath references (sums, quadrature, Monte Carlo).
"""

from __future__ import annotations

from symgeom.numeric.compile import (
    CompiledFunction,
    Signature,
    compile_derivation,
    kl_function,
    signature,
)
from symgeom.numeric.kl import (
    bernoulli_logit,
    bernoulli_prob,
    categorical_logits,
    categorical_probs,
    diagonal_gaussian,
    full_gaussian,
    gaussian_mean_logstd,
    gaussian_mean_std,
    gaussian_mean_var,
    gaussian_natural,
)

__all__ = [
    "CompiledFunction",
    "Signature",
    "bernoulli_logit",
    "bernoulli_prob",
    "categorical_logits",
    "categorical_probs",
    "compile_derivation",
    "diagonal_gaussian",
    "full_gaussian",
    "gaussian_mean_logstd",
    "gaussian_mean_std",
    "gaussian_mean_var",
    "gaussian_natural",
    "kl_function",
    "signature",
]
