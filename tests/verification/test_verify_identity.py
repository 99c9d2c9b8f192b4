"""check_identity is honest: proved only by exact simplification, numeric evidence labelled as such,
wrong formulas caught with a counterexample, and never a hang."""

from __future__ import annotations

import dataclasses
import threading
import time

import sympy as sp

import symgeom as sg
from symgeom.verification.catalog import IDENTITIES, proof_cover
from symgeom.verification.identity import CHECKED_NUMERICALLY, FAILED, PROVED
from symgeom.verification.sampling import family_sampler

x, y = sp.symbols("x y", positive=True)


def test_exact_identity_is_proved():
    verdict = sg.check_identity(sp.log(x * y**2), sp.log(x) + 2 * sp.log(y))
    assert verdict.status == PROVED


def test_wrong_gaussian_kl_fails_with_a_counterexample():
    family = sg.Gaussian()
    mu1, s1, mu2, s2 = family.symbols(1) + family.symbols(2)
    wrong = sp.log(s2 / s1) + (s1**2 + (mu1 - mu2) ** 2) / s2**2 - sp.Rational(1, 2)  # lost the ½
    verdict = sg.check_identity(sg.kl(family).result, wrong, sampler=family_sampler(family))
    assert verdict.status == FAILED
    assert verdict.counterexample and verdict.residual
    assert "sigma_2" in dict(verdict.counterexample)


def test_true_identity_beyond_the_simplifier_is_only_checked_numerically():
    # Euler's reflection formula for the dilogarithm: true, but not something our strategies prove.
    lhs = sp.polylog(2, x / 10) + sp.polylog(2, 1 - x / 10)
    rhs = sp.pi**2 / 6 - sp.log(x / 10) * sp.log(1 - x / 10)
    verdict = sg.check_identity(lhs, rhs, time_limit=2.0)
    assert verdict.status == CHECKED_NUMERICALLY
    assert not verdict.proved
    assert "mpmath" in verdict.method


def test_a_slow_simplification_is_cut_off_at_the_time_limit():
    big = sp.expand((x + y + 1) ** 40) * sp.exp(x) - sp.exp(x) * (x + y + 1) ** 40
    start = time.perf_counter()
    verdict = sg.check_identity(big + sp.sin(x) ** 2 + sp.cos(x) ** 2, 1, time_limit=0.2, points=2)
    assert time.perf_counter() - start < 30
    assert verdict.status in (PROVED, CHECKED_NUMERICALLY)


def test_time_limit_also_holds_outside_the_main_thread():
    results = []
    thread = threading.Thread(target=lambda: results.append(
        sg.check_identity(sp.sin(x) ** 2 + sp.cos(x) ** 2, 1, time_limit=20)))
    thread.start()
    thread.join(60)
    assert results and results[0].status == PROVED


def _sides(name: str, family: sg.Family):
    identity = next(i for i in IDENTITIES if i.name == name)
    return identity.sides(family)


def test_catalog_catches_a_wrong_log_partition():
    family = sg.Gaussian()
    form = family.exponential_form
    eta1, eta2 = form.natural_symbols
    broken = dataclasses.replace(
        family, exponential_form=dataclasses.replace(
            form, log_partition=-(eta1**2) / (2 * eta2) - sp.log(-2 * eta2) / 2))  # 2 instead of 4
    verdict = sg.check_identity(*_sides("kl/routes", broken), sampler=family_sampler(broken))
    assert verdict.status == FAILED
    verdict = sg.check_identity(*_sides("fisher/log_partition", broken), sampler=family_sampler(broken))
    assert verdict.status == FAILED


def test_catalog_catches_wrong_moments():
    family = sg.Gaussian()
    mu, sigma = family.reference.symbols()
    broken = dataclasses.replace(family, moments=((mu,), ((2 * sigma**2,),)))
    assert sg.check_identity(*_sides("moments/stein", broken),
                             sampler=family_sampler(broken)).status == FAILED
    assert sg.check_identity(*_sides("moments/integral", broken),
                             sampler=family_sampler(broken)).status == FAILED


def test_cover_substitution_is_needed_for_categorical_logs():
    family = sg.Categorical(3)
    lhs, rhs = _sides("kl/routes", family)
    assert sg.check_identity(lhs, rhs, substitution=proof_cover(family)).proved


def test_rational_strategies_try_the_cover_before_simplify(monkeypatch):
    # log(p/(1 − p)) = log p − log(1 − p) needs p, 1 − p > 0, which the cover p = a/(a + b)
    # shows; SymPy's simplify without it is the costliest attempt and is not made at all.
    calls = []
    simplify = sp.simplify
    monkeypatch.setattr(sp, "simplify", lambda *a, **k: calls.append(1) or simplify(*a, **k))
    p = sp.Symbol("p", real=True)
    a, b = sp.symbols("a b", positive=True)
    lhs, rhs = sp.log(p / (1 - p)), sp.log(p) - sp.log(1 - p)
    draw = {"sampler": lambda rng: {p: rng.uniform(0.1, 0.9)}}
    verdict = sg.check_identity(lhs, rhs, substitution={p: a / (a + b)}, **draw)
    assert verdict.proved and "after the cover substitution" in verdict.method and not calls
    # the same claim with a wrong right-hand side still fails, simplify tried last
    assert sg.check_identity(lhs, rhs + sp.log(2), substitution={p: a / (a + b)},
                             **draw).status == FAILED
    assert calls
