"""KL derivations: the seed's numbers, textbook shapes, properties, and the two routes."""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp

import symgeom as sg


def _at(derivation: sg.Derivation, *values: object) -> sp.Expr:
    """The derived closed form evaluated exactly at rational parameter values."""
    return derivation.result.xreplace(
        {s: sp.nsimplify(v) for s, v in zip(derivation.arguments, values)}
    )


def _direct_kl(p: list[str], q: list[str]) -> sp.Float:
    """Σ pᵢ log(pᵢ/qᵢ) in 50-digit mpmath, independent of the symbolic code."""
    with mpmath.workdps(50):
        total = mpmath.fsum(mpmath.mpf(a) * mpmath.log(mpmath.mpf(a) / mpmath.mpf(b))
                            for a, b in zip(p, q))
        return sp.Float(total, 50)


def test_seed_discrete_examples_from_the_derived_formula():
    d = sg.kl(sg.Bernoulli())  # p = probability of the second outcome, as in [.4, .6]
    near = _at(d, "0.6", "0.5")
    far = _at(d, "0.6", "0.9")
    assert abs(sp.N(near, 50) - _direct_kl(["0.4", "0.6"], ["0.5", "0.5"])) < 1e-45
    assert abs(sp.N(far, 50) - _direct_kl(["0.4", "0.6"], ["0.1", "0.9"])) < 1e-45
    assert f"{float(near):.4f}" == "0.0201"
    assert f"{float(far):.3f}" == "0.311"
    assert f"{float(far / near):.1f}" == "15.5"
    categorical = sg.kl(sg.Categorical(2))  # p₁ = probability of the first class
    assert sp.simplify(_at(categorical, "0.4", "0.5") - near) == 0


def test_seed_gaussian_examples_are_exact():
    d = sg.kl(sg.Gaussian())
    assert _at(d, 0, 10, 1, 10) == sp.Rational(1, 200)
    assert _at(d, 0, sp.Rational(1, 10), 1, sp.Rational(1, 10)) == 50


def test_gaussian_kl_has_the_textbook_shape():
    mu1, sigma1, mu2, sigma2 = sg.Gaussian().symbols(1) + sg.Gaussian().symbols(2)
    result = sg.kl(sg.Gaussian()).result
    terms = sp.Add.make_args(result)
    assert sp.log(sigma2 / sigma1) in terms
    assert sp.Rational(-1, 2) in terms
    assert (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2) in terms
    printed = sp.latex(result, order="none")
    assert printed.startswith(r"\log{\left(\frac{\sigma_{2}}{\sigma_{1}} \right)}")


def test_bernoulli_kl_pairs_the_logarithms():
    p1, p2 = sg.Bernoulli().symbols(1) + sg.Bernoulli().symbols(2)
    assert set(sp.Add.make_args(sg.kl(sg.Bernoulli()).result)) == {
        p1 * sp.log(p1 / p2), (1 - p1) * sp.log((1 - p1) / (1 - p2))}


@pytest.mark.parametrize("family", [sg.Bernoulli(), sg.Categorical(3), sg.Gaussian(),
                                    sg.Gaussian("natural"), sg.Categorical(3, "logits")],
                         ids=lambda f: f.label)
def test_routes_agree_and_kl_vanishes_on_the_diagonal(family):
    definition, bregman = sg.kl(family, "definition"), sg.kl(family, "bregman")
    assert sg.check_identity(definition.result, bregman.result,
                             substitution={**family.chart.cover_at(1), **family.chart.cover_at(2)}
                             ).proved
    same = dict(zip(family.symbols(2), family.symbols(1)))
    assert sp.simplify(definition.result.xreplace(same)) == 0


def test_kl_is_asymmetric_but_locally_symmetric():
    d = sg.kl(sg.Gaussian())
    forward = _at(d, 0, 1, 1, 2)
    backward = _at(d, 1, 2, 0, 1)
    assert sp.N(forward - backward) != 0
    # KL(θ‖θ+tΔ) − KL(θ+tΔ‖θ) = O(t³): no t⁰, t¹, t² terms.
    family = sg.Gaussian()
    (mu, sigma), (dmu, dsigma) = family.symbols(), family.delta_symbols()
    t = sp.Symbol("t", positive=True)
    a = {**dict(zip(family.symbols(1), (mu, sigma))),
         **dict(zip(family.symbols(2), (mu + t * dmu, sigma + t * dsigma)))}
    b = {**dict(zip(family.symbols(2), (mu, sigma))),
         **dict(zip(family.symbols(1), (mu + t * dmu, sigma + t * dsigma)))}
    gap = sp.series(d.result.xreplace(a) - d.result.xreplace(b), t, 0, 4).removeO()
    assert [sp.simplify(gap.coeff(t, n)) for n in range(3)] == [0, 0, 0]
    assert sp.simplify(gap.coeff(t, 3)) != 0


def test_kl_is_nonnegative_on_a_grid():
    f = sp.lambdify(sg.kl(sg.Bernoulli()).arguments, sg.kl(sg.Bernoulli()).result, "mpmath")
    grid = [mpmath.mpf(k) / 20 for k in range(1, 20)]
    values = [f(p, q) for p in grid for q in grid]
    assert min(values) >= 0
    assert all((v == 0) == (p == q) for v, (p, q) in zip(values, [(p, q) for p in grid for q in grid]))


def test_unknown_route_is_a_clear_error():
    with pytest.raises(sg.SymgeomError, match="unknown route 'monte_carlo' of kl for gaussian"):
        sg.kl(sg.Gaussian(), "monte_carlo")
    with pytest.raises(sg.SymgeomError, match="accepted: score_covariance, negative_hessian"):
        sg.fisher(sg.Gaussian(), "nope")


def test_derivation_records_the_steps():
    d = sg.kl(sg.Gaussian())
    justifications = [s.justification for s in d.steps]
    assert justifications[0].startswith("definition")
    assert any("moments" in j for j in justifications)
    moments = next(s for s in d.steps if s.facts).facts
    x = sg.Gaussian().variables[0]
    mu1, sigma1 = sg.Gaussian().symbols(1)
    assert {(f.lhs.args[0], f.rhs) for f in moments} >= {(x, mu1), (x**2, mu1**2 + sigma1**2)}
    assert d.steps[-1].expression == d.result


def _evaluated_step(derivation):
    return next(s for s in derivation.steps if s.justification.startswith("take expectations"))


def test_the_evaluated_expectation_is_shown_expanded_only_up_to_the_size_rule(monkeypatch):
    import importlib

    from symgeom.derive.expectation import expect

    kl_module = importlib.import_module("symgeom.derive.kl")  # symgeom.derive.kl is also a function

    family = sg.Gaussian()
    raw = expect(family, family.log_density(1) - family.log_density(2), 1)
    shown = _evaluated_step(kl_module.kl_definition.__wrapped__(family))
    assert shown.expression == sp.expand(raw) and "not expanded" not in shown.justification
    monkeypatch.setattr(kl_module, "SHOWN_EXPANDED_MAX_OPS", sp.count_ops(raw) - 1)
    kept = kl_module.kl_definition.__wrapped__(family)
    assert _evaluated_step(kept).expression == raw
    assert "not expanded" in _evaluated_step(kept).justification
    assert sp.simplify(kept.result - sg.kl(family).result) == 0
