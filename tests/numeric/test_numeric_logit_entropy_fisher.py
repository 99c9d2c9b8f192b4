"""Entropy and Fisher of the logit charts (issue 12) at logits ±700 against 1000-digit mpmath
evaluations of the derived result: ≤ 1e-12 relative, never negative where the quantity is not.

log(1 + e^θ) in the derived entropies rounds to 0 for θ ≪ 0 and −θ + log(1 + e^θ) loses every
digit for θ ≫ 0; compiled with softplus (symgeom.numeric.softplus) the geometric entropy keeps its
digits (it was 700 for the true 701 at θ = −700).  What is still open is marked xfail (strict)
with what was measured.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

import symgeom as sg

LOGITS = np.array([-700.0, -300.0, -40.0, -12.0, -1.0, 0.0, 1.0, 12.0, 40.0, 300.0, 700.0])
DPS = 1000

OPEN = {
    ("binomial(n=4)[logit]", "entropy"): "−4θσ(θ) + 4 log(1 + e^θ) cancels for θ ≫ 0: nan at 300, 0 at 40",
    ("negative_binomial(r=3)[logit]", "entropy"): "E[log C(x + 2, x)] summed term by term: no tail bound "
                                                  "within 10⁶ terms for p = σ(θ) ≪ 1",
}
CASES = [
    pytest.param(f, q, marks=pytest.mark.xfail(strict=True, reason=OPEN[(f.label, q)]))
    if (f.label, q) in OPEN else pytest.param(f, q)
    for f in (sg.Binomial(4, "logit"), sg.Geometric("logit"), sg.NegativeBinomial(3, "logit"))
    for q in ("entropy", "fisher")
]


def _reference(derivation) -> np.ndarray:
    function = sp.lambdify(tuple(derivation.arguments), derivation.result, "mpmath")
    with mp.workdps(DPS):
        return np.array([np.ravel(np.array(function(mp.mpf(float(t))), dtype=object)).astype(float)
                         for t in LOGITS])


@pytest.mark.parametrize(("family", "quantity"), CASES, ids=lambda x: getattr(x, "label", x))
def test_logit_chart_entropy_and_fisher_over_the_float64_range(family, quantity):
    derivation = sg.entropy(family) if quantity == "entropy" else sg.fisher(family)
    got = np.asarray(derivation.numpy(validate=False)(LOGITS), dtype=float).reshape(len(LOGITS), -1)
    ref = _reference(derivation)
    assert np.all(got >= 0)
    error = np.abs(got - ref)
    assert np.all(error <= 1e-12 * np.abs(ref) + 2.0**-1072), (LOGITS, got, ref)
