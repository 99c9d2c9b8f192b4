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

GRID = [-700.0, -300.0, -40.0, -12.0, -1.0, 0.0, 1.0, 12.0, 40.0, 300.0, 700.0]
#: between the grid points, where n·h(θ) and E[log C(n, x)] of a Binomial entropy are of the same
#: order and could cancel (θ = 0.3 … 40), and around the points where e^θ overflows
BETWEEN = [-500.0, -38.5, -20.0, -3.7, -0.3, 0.3, 0.9, 1.7, 2.5, 4.0, 7.3, 20.0, 35.0, 100.0, 709.5]
LOGITS = np.array(sorted(GRID + BETWEEN))
DPS = 1000

#: (family label, quantity) → what was measured, for cases still open (strict xfail); the
#: Bernoulli-logit entropy (2.4 % low at θ = 40: log σ(θ) = θ − LSE(0, θ) cancelled) is fixed by
#: symgeom.numeric.finite.absorbed_log
OPEN: dict[tuple[str, str], str] = {}
CASES = [
    pytest.param(f, q, marks=pytest.mark.xfail(strict=True, reason=OPEN[(f.label, q)]))
    if (f.label, q) in OPEN else pytest.param(f, q)
    for f in (sg.Binomial(4, "logit"), sg.Binomial(7, "logit"), sg.Bernoulli("logit"), sg.Geometric("logit"),
              sg.NegativeBinomial(3, "logit"))
    for q in ("entropy", "fisher")
    # the negative binomial entropy keeps E[log C(x + 2, x)] explicit: its references below
    if (f.label, q) != ("negative_binomial(r=3)[logit]", "entropy")
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


# The negative binomial entropy keeps Σₓ p(x) log C(x + r − 1, x) explicit; its mean r·e^{−θ} is
# e^{700} at θ = −700.  References, both in mpmath at 40 digits: the derived summand summed term by
# term until the terms are below 10⁻⁴⁵ of the sum past the mode (means up to ~10³), and for larger
# means E[log(X + 1) + log(X + 2)] − log 2 as ∫₀^∞ [2e^{−t} − (e^{−t} + e^{−2t})·G(e^{−t})] dt/t
# with the probability generating function G(z) = (p/(1 − (1 − p)z))³ = (1 + e^{−θ}(1 − z))^{−3}
# (the Frullani integral of log(x + a)); the two agree where both run (θ = −4 … 1).
SUM_REFERENCE = [-4.0, -3.0, -1.0, -0.3, 0.0, 0.3, 1.0, 2.5, 12.0, 40.0, 300.0, 700.0]
INTEGRAL_REFERENCE = [-700.0, -500.0, -300.0, -40.0, -38.5, -20.0, -12.0, -9.0, -7.3, -6.5, -6.0, -5.0, -4.0]


def _negative_binomial_parts():
    derivation = sg.entropy(sg.NegativeBinomial(3, "logit"))
    (total,) = derivation.result.atoms(sp.Sum)
    (x, _, _), = total.limits
    theta = derivation.arguments[0]
    holder = sp.Symbol("S")
    outer = sp.lambdify((theta, holder), derivation.result.xreplace({total: holder}), "mpmath")
    summand = sp.lambdify((x, theta), total.function, "mpmath")
    return derivation, outer, summand


def _summed(summand, theta: float) -> mp.mpf:
    # the mass has (1 − σ(θ))ˣ: 1 − σ(θ) ≈ e^{−θ} needs θ/ln 10 more digits than the 40 kept
    with mp.workdps(40 + int(max(theta, 0.0) / 2.3)):
        total, x, last = mp.mpf(0), 0, mp.mpf(0)
        while x < 100_000:
            term = summand(x, mp.mpf(theta))
            total += term
            if x > 2 and 0 < term < last and term < mp.mpf(10) ** -45 * total:
                return total
            last, x = term, x + 1
    raise AssertionError(f"reference sum at θ = {theta} did not converge")


def _integrated(theta: float) -> mp.mpf:
    odds = mp.exp(-mp.mpf(theta))

    def integrand(u):  # in u = log t: dt/t = du
        t = mp.exp(u)
        g = (1 + odds * -mp.expm1(-t)) ** -3
        return 2 * mp.exp(-t) - (mp.exp(-t) + mp.exp(-2 * t)) * g

    centre = -mp.log(3 * odds)  # G falls from 1 to 0 around t = 1/m, e^{−t} around t = 1
    points = sorted({centre - 110, centre - 20, centre - 5, centre, centre + 5, centre + 20,
                     -5, -1, 0, 1, 2, 4.5})
    return mp.quad(integrand, points) - mp.log(2)


def test_negative_binomial_entropy_references_agree():
    """The two references (term-by-term sum, Frullani integral) agree to 1e-30 where both run."""
    _, _, summand = _negative_binomial_parts()
    with mp.workdps(40):
        for theta in (-4.0, -3.0, 1.0):
            summed = _summed(summand, theta)
            assert abs(summed - _integrated(theta)) < 1e-30 * summed


def test_negative_binomial_logit_entropy_for_any_mean():
    """≤ 1e-12 relative, positive, from mean 3e^{−700} to 3e^{700}: the explicit sum term by term
    for means ≤ 10, the log-moment integral with its bound above."""
    derivation, outer, summand = _negative_binomial_parts()
    thetas = sorted(set(SUM_REFERENCE) | set(INTEGRAL_REFERENCE))
    got = np.asarray(derivation.numpy(validate=False)(np.array(thetas)))
    with mp.workdps(40):
        sums = [_summed(summand, t) if t in SUM_REFERENCE else _integrated(t) for t in thetas]
    with mp.workdps(DPS):  # −3θ + (3 + 3e^{−θ})·log(e^θ + 1) cancels 700 digits at θ = ±700
        ref = np.array([float(outer(mp.mpf(t), s)) for t, s in zip(thetas, sums, strict=True)])
    assert np.all(got > 0)
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=2.0**-1072)


def test_negative_binomial_entropy_paths_agree_at_the_switch():
    """Term by term and the integral, both in float64, at means above the switch (10): they agree
    to 1e-14 (term by term, rounding grows with the mean: 1e-13 at mean 3300)."""
    from symgeom.numeric import explicit_sums

    function = sg.entropy(sg.NegativeBinomial(3, "logit")).numpy(validate=False)
    theta = np.array([-2.0, -2.5, -3.0])
    integral = function(theta)
    try:
        explicit_sums.INTEGRAL_ABOVE = np.inf
        summed = sg.entropy(sg.NegativeBinomial(3, "logit")).numpy(validate=False)(theta)
    finally:
        explicit_sums.INTEGRAL_ABOVE = 10.0
    np.testing.assert_allclose(integral, summed, rtol=1e-14)
