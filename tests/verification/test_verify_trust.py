"""Verdicts CI can rely on: falsy unless proved, assert_proved, one meaning per symbol name,
counterexamples inside the domain, a tight numeric threshold, and a caller's timers untouched."""

from __future__ import annotations

import signal
import time

import pytest
import sympy as sp

import symgeom as sg
from symgeom.errors import SymgeomError
from symgeom.verification.identity import CHECKED_NUMERICALLY, FAILED, PROVED

x = sp.Symbol("x", positive=True)


def test_a_false_claim_is_falsy_and_so_is_numeric_evidence():
    assert not sg.check_identity(x, x + 1)
    numeric = sg.check_identity(sp.log(x * x), 2 * sp.log(x), time_limit=0)
    assert numeric.status == CHECKED_NUMERICALLY and not numeric
    assert sg.check_identity(sp.log(x * x), 2 * sp.log(x))


def test_assert_proved_raises_unless_proved():
    assert sg.assert_proved(sp.log(x * x), 2 * sp.log(x)).status == PROVED
    with pytest.raises(AssertionError, match="failed"):
        sg.assert_proved(x, x + 1)
    with pytest.raises(AssertionError, match="checked numerically"):
        sg.assert_proved(sp.log(x * x), 2 * sp.log(x), time_limit=0)


def test_a_difference_of_1e_12_is_a_failure_not_rounding():
    # 50 digits resolve 1e-12 by 38 orders of magnitude: this is a real difference.
    verdict = sg.check_identity(x, x + sp.Float("1e-12", 50))
    assert verdict.status == FAILED


def test_plain_symbols_match_the_familys_by_name():
    mu1, s1, mu2, s2 = sp.symbols("mu_1 sigma_1 mu_2 sigma_2")
    claim = sp.log(s2 / s1) + (s1**2 + (mu1 - mu2) ** 2) / (2 * s2**2) - sp.Rational(1, 2)
    assert sg.check_identity(sg.kl(sg.Gaussian()).result, claim).status == PROVED


def test_a_wrong_claim_in_plain_symbols_fails_inside_the_domain():
    mu1, s1, mu2, s2 = sp.symbols("mu_1 sigma_1 mu_2 sigma_2")
    wrong = sp.log(s2 / s1) + (s1**2 + (mu1 - mu2) ** 2) / s2**2 - sp.Rational(1, 2)
    verdict = sg.check_identity(sg.kl(sg.Gaussian()).result, wrong)
    assert verdict.status == FAILED
    point = dict(verdict.counterexample)
    assert float(point["sigma_1"]) > 0 and float(point["sigma_2"]) > 0


def test_contradicting_assumptions_are_an_error():
    pos, neg = sp.Symbol("a", positive=True), sp.Symbol("a", negative=True)
    with pytest.raises(SymgeomError, match=r"'a'.*conflicting assumptions"):
        sg.check_identity(pos, neg)


def test_counterexamples_respect_family_domains():
    # p ∈ (0, 1) is not a SymPy assumption (p is only positive); family= supplies the bound.
    fam = sg.Bernoulli()
    (p1,), (p2,) = fam.symbols(1), fam.symbols(2)
    wrong = p1 * sp.log(p1 / p2) + (1 - p1) * sp.log((1 - p1) / (1 - p2)) + p1 / 1000
    verdict = sg.check_identity(sg.kl(fam).result, wrong, time_limit=0, family=fam)
    assert verdict.status == FAILED
    assert all(0 < float(v) < 1 for _, v in verdict.counterexample)


def test_points_outside_the_lhs_domain_are_redrawn():
    # log(1 − p) is complex for p > 1: such points are outside the claim, never a counterexample.
    p = sp.Symbol("p", positive=True)
    verdict = sg.check_identity(sp.log(1 - p) * 2, sp.log((1 - p) ** 2), time_limit=0)
    assert verdict.status == CHECKED_NUMERICALLY


def test_non_expressions_are_a_clear_error():
    with pytest.raises(SymgeomError, match="lhs must be a SymPy expression"):
        sg.check_identity("x + 1", x)
    with pytest.raises(SymgeomError, match="same shape"):
        sg.check_identity(sp.Matrix([x, x]), x)


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs setitimer")
def test_a_callers_itimer_stays_armed():
    fired = []
    previous = signal.signal(signal.SIGALRM, lambda *_: fired.append(time.monotonic()))
    try:
        signal.setitimer(signal.ITIMER_REAL, 30.0)
        sg.check_identity(sp.log(x * x), 2 * sp.log(x), time_limit=5.0)
        remaining, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 25.0 < remaining <= 30.0
        assert signal.getsignal(signal.SIGALRM) is not signal.SIG_DFL
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        sg.check_identity(sp.log(x * x), 2 * sp.log(x), time_limit=5.0)
        time.sleep(0.2)
        assert fired, "the caller's timer must still fire"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class _CallerTimeoutError(Exception):
    pass


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs setitimer")
def test_a_callers_earlier_deadline_fires_during_the_check():
    def on_alarm(signum, frame):
        raise _CallerTimeoutError

    previous = signal.signal(signal.SIGALRM, on_alarm)
    lhs = sp.polylog(2, x / 10) + sp.polylog(2, 1 - x / 10)
    rhs = sp.pi**2 / 6 - sp.log(x / 10) * sp.log(1 - x / 10)
    try:
        # 0.05 s: well inside the ≈ 1 s the exact strategies spend before giving up here.
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        start = time.monotonic()
        with pytest.raises(_CallerTimeoutError):
            sg.check_identity(lhs, rhs, time_limit=30.0)
        assert time.monotonic() - start < 10.0
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
