"""Printed derivations in lowest terms, in one notation, each step showing its transformation.

Each test reads what a user sees (``.latex()``/``.text()`` or the rows rendering builds), so a
regeneration of proofs/ cannot bless a print that regressed.
"""

from __future__ import annotations

import re

import pytest
import sympy as sp

import symgeom as sg
from symgeom.derive.notation import Expect
from symgeom.families.base import FiniteSupport
from symgeom.proofs import result_only
from symgeom.verification.catalog import CATALOG


def _facts_tex(derivation: sg.Derivation) -> list[str]:
    from symgeom.render.layout import rows

    return [f"{lhs} = {' '.join(lines)}" for row in rows(derivation) for lhs, _, lines in row.facts]


# --- 1. η(θ) in lowest terms -------------------------------------------------------------------

@pytest.mark.parametrize(("family", "expected"), [
    (sg.Bernoulli("logit"), [r"\eta_{1} = \theta_{1}", r"\eta_{2} = \theta_{2}"]),
    (sg.Binomial(4, "logit"), [r"\eta_{1} = \theta_{1}", r"\eta_{2} = \theta_{2}"]),
    (sg.Categorical(3, "logits"), [r"\eta_{1,1} = z_{1,1}", r"\eta_{2,2} = z_{2,2}"]),
])
def test_natural_parameters_of_logit_charts_print_as_the_coordinates(family, expected):
    facts = _facts_tex(sg.kl(family, "bregman"))
    for line in expected:
        assert line in facts
    assert not any(r"\log" in fact or r"\frac" in fact for fact in facts if fact.startswith(r"\eta"))
    entropy_facts = _facts_tex(sg.entropy(family, "log_partition"))
    assert entropy_facts and not any(r"\log" in fact or r"\frac" in fact for fact in entropy_facts)


# --- 2. logit Hessians after x drops out --------------------------------------------------------

@pytest.mark.parametrize("family", [
    sg.Bernoulli("logit"), sg.Binomial(4, "logit"), sg.Categorical(3, "logits"),
    sg.Categorical(4, "logits"),
])
def test_logit_hessians_are_shown_free_of_x_before_the_expectation(family):
    d = sg.fisher(family, "negative_hessian")
    x = set(family.variables)
    hessian = d.steps[0].facts[0].rhs
    shown = d.steps[1]
    assert not shown.expression.free_symbols & x, shown.expression
    assert "same value" in shown.justification or "does not depend on x" in shown.justification
    if not isinstance(family.support, FiniteSupport) or family.size == ():
        assert not hessian.free_symbols & x  # the Hessian itself prints without x
    # short: a line or two per entry, not half a page
    assert len(d.latex()) < 1500 * len(family.parameters) ** 2


def test_hessian_equal_at_every_outcome_is_checked_not_assumed():
    """Categorical probs: ∇² log p depends on which outcome occurred, so no such step."""
    family = sg.Categorical(3)
    d = sg.fisher(family, "negative_hessian")
    assert not any("same value" in step.justification for step in d.steps)
    assert d.steps[0].facts[0].rhs.free_symbols & set(family.variables)


# --- 3. log √σ², e^{2 log σ} --------------------------------------------------------------------

LOG_CHARTS = [
    sg.Gaussian("mean_logstd"), sg.Exponential("log_rate"), sg.Poisson("log_rate"),
    sg.MultivariateGaussian(2, "diagonal", "mean_logstd"),
]
EXP_OF_LOG = re.compile(r"e\^\{[^}]*\\log")


def _all_derivations(family):
    out = [sg.kl(family, "definition"), sg.fisher(family), sg.entropy(family)]
    out += [sg.fisher(family, route) for route in ("negative_hessian", "log_partition", "kl_hessian")]
    out += [sg.kl(family, "bregman"), sg.entropy(family, "log_partition"), sg.expansion(family)]
    return out


@pytest.mark.parametrize("family", LOG_CHARTS, ids=lambda f: f.label)
def test_exp_of_a_log_coordinate_prints_as_a_power(family):
    for d in _all_derivations(family):
        tex = d.latex()
        assert not EXP_OF_LOG.search(tex), (d.title, EXP_OF_LOG.search(tex).group(0))


def test_gaussian_log_std_chart_prints_sigma_squared():
    tex = sg.kl(sg.Gaussian("mean_logstd"), "bregman").latex()
    assert r"\sigma_{1}^{2}" in tex and r"\log\sigma_{1}" in tex


@pytest.mark.parametrize("family", LOG_CHARTS, ids=lambda f: f.label)
def test_display_rewrite_is_exact(family):
    """σᶜ shown for e^{c log σ} is the same number: undo σ = e^{log σ} and compare exactly."""
    from symgeom.render.readable import exponential_images, readable

    images = exponential_images(family)
    assert images
    back = {r: sp.exp(s) for s, r in images.items()}
    for d in _all_derivations(family)[:4]:
        for step in d.steps:
            if not isinstance(step.expression, sp.Basic) or step.expression.has(Expect):
                continue
            shown = readable(step.expression, family)
            difference = sp.simplify(shown.xreplace(back) - step.expression)
            if isinstance(difference, sp.MatrixBase):
                assert difference.is_zero_matrix, (d.title, step.justification)
            else:
                assert difference == 0, (d.title, step.justification)


def test_no_square_root_of_a_variance_inside_a_log():
    for family in (sg.Gaussian("mean_var"), sg.Gaussian("natural"),
                   sg.MultivariateGaussian(2, "diagonal", "mean_var")):
        for d in (sg.kl(family), sg.entropy(family)):
            tex = d.latex()
            assert not re.search(r"\\log\{\\left\(\\sqrt", tex), d.title
            assert not re.search(r"\\log\{\\left\([^)]*\\sqrt\{[^}]*\\sigma", tex), d.title


# --- 4. one notation for the second point ------------------------------------------------------

@pytest.mark.parametrize("family", CATALOG, ids=lambda f: f.label)
def test_every_coordinate_at_a_point_has_the_point_as_first_subscript(family):
    names = family.latex_names()
    for chart in family.parameterizations:
        for par in chart.parameters:
            for point in (1, 2):
                tex = names[par.symbol(point)]
                assert re.search(rf"_\{{{point}(,[^}}]*)?\}}", tex), tex
                assert "'" not in tex and not tex.startswith("q_"), tex


def test_second_points_print_alike_in_every_family():
    assert r"p_{2,1}" in sg.kl(sg.Categorical(3)).latex()
    assert r"z_{2,1}" in sg.kl(sg.Categorical(3, "logits")).latex()
    assert r"\eta_{2,1}" in sg.kl(sg.Gaussian("natural")).latex()
    assert r"\mu_{2}" in sg.kl(sg.Gaussian()).latex()
    for family in (sg.Categorical(3), sg.Categorical(3, "logits"), sg.Gaussian("natural"),
                   sg.Gamma("natural")):
        tex = sg.kl(family).latex()
        assert "q_{" not in tex and "'" not in tex, family.label
    hessian = sg.fisher(sg.Bernoulli("logit"), "kl_hessian").latex()
    assert r"\theta'" not in hessian and r"p_{\theta_{2}}" in hessian


# --- 5. steps show the transformation ----------------------------------------------------------

STEP_FAMILIES = [
    sg.Bernoulli(), sg.Bernoulli("logit"), sg.Categorical(3), sg.Categorical(3, "logits"),
    sg.Binomial(4, "logit"), sg.Gaussian(), sg.Gaussian("mean_logstd"), sg.Poisson("log_rate"),
]


@pytest.mark.parametrize("family", STEP_FAMILIES, ids=lambda f: f.label)
def test_no_step_restates_the_one_before(family):
    derivations = [sg.kl(family), sg.entropy(family)] + [
        sg.fisher(family, route) for route in ("score_covariance", "negative_hessian")
    ]
    if family.exponential_form is not None:
        derivations.append(sg.entropy(family, "log_partition"))
    for d in derivations:
        for before, after in zip(d.steps, d.steps[1:]):
            assert sp.srepr(before.expression) != sp.srepr(after.expression), (d.title, after)


@pytest.mark.parametrize("family", [f for f in STEP_FAMILIES if isinstance(f.support, FiniteSupport)],
                         ids=lambda f: f.label)
def test_sums_over_a_finite_support_are_written_out(family):
    n = len(family.support.outcomes)
    for d in (sg.kl(family), sg.entropy(family), sg.fisher(family, "score_covariance")):
        second = d.steps[1]
        assert "sum over the support" in second.justification
        assert not second.expression.has(Expect), d.title
        entry = second.expression
        if isinstance(entry, sp.MatrixBase):
            entry = entry[0, 0]
        if isinstance(entry, sp.Mul) and entry.args[0] == -1:  # −Σ …, the entropy
            entry = entry.args[1]
        assert isinstance(entry, sp.Add) and 1 < len(entry.args) <= n, (d.title, entry)


def test_the_written_sum_is_the_expectation():
    from symgeom.derive.expectation import expect, written_sum

    for family in (sg.Bernoulli("logit"), sg.Categorical(3, "logits")):
        log_p = family.log_density()
        assert sp.simplify(written_sum(family, log_p) - expect(family, log_p)) == 0


# --- 6. family labels print as text ------------------------------------------------------------

def test_result_labels_print_as_code_not_math():
    d = result_only(sg.kl(sg.Gaussian("mean_std")))
    tex = d.latex()
    assert r"\mathtt{gaussian[mean\_std]}" in tex
    assert "mean_{" not in tex
    assert "`" not in tex and "`gaussian[mean_std]`" in d.markdown() + d.steps[0].justification
