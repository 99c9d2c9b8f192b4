"""Printed content, not only freshness: signs, transposes, factors and notation in the output."""

from __future__ import annotations

import re

import symgeom as sg
from symgeom.render.identities import general_identities


def _trpo():
    return next(d for d in general_identities() if "TRPO" in d.title)


def test_trpo_step_prints_the_2_the_inverse_and_the_transpose():
    text = _trpo().text()
    step = text.strip().splitlines()[-1]
    assert "√2" in step and "√δ" in step  # Δ* = √(2δ) F⁻¹g / √(gᵀF⁻¹g)
    assert "F⁻¹g" in step and "gᵀF⁻¹g" in step
    assert "λ² = gᵀ F⁻¹ g / (2δ)" in text


def test_remainder_closes_the_sum():
    for fam in (sg.Bernoulli(), sg.Gaussian()):
        d = sg.expansion(fam)
        for line in d.latex().splitlines():
            if r"O\left(t^{4}\right)" in line:
                tail = line.split(r"O\left(t^{4}\right)", 1)[1]
                assert re.fullmatch(r"\s*(\\\\|\\qquad.*|\\right\..*)?\s*", tail), line
        assert d.text().count("+ O(t⁴)") >= 1 and "O(t⁴) +" not in d.text()


def test_displacements_of_compound_parameters_are_unambiguous():
    names = sg.Gaussian("mean_var").latex_names()
    deltas = {str(k): v for k, v in names.items() if str(k).startswith("Delta_")}
    assert deltas["Delta_sigma2"] == r"\Delta\left(\sigma^{2}\right)"
    assert deltas["Delta_mu"] == r"\Delta \mu"
    logstd = {str(k): v for k, v in sg.Gaussian("mean_logstd").latex_names().items()}
    assert logstd["Delta_log_sigma"].startswith(r"\Delta\left(")
    d = sg.expansion(sg.Gaussian("mean_var"))
    assert r"\left(\Delta \mu\right)^{2}" in d.latex()  # (Δμ)², not Δμ²
    assert "(Δ μ)²" in d.text() and "(σ²)³" in d.text() and "σ²³" not in d.text()


def test_kl_of_gaussians_prints_its_sign_and_square():
    d = sg.kl(sg.Gaussian())
    last = [line for line in d.latex().splitlines() if "&=" in line][-1]
    assert r"\left(\mu_{1} - \mu_{2}\right)^{2}" in last and r"- \frac{1}{2}" in last


def test_probability_of_the_last_class_reads_one_minus_the_others():
    tex = sg.kl(sg.Categorical(k=3)).latex()
    assert "1 - p_{1,1} - p_{1,2}" in tex
    assert "- p_{1,1} - p_{1,2} + 1" not in tex


def test_prime_after_a_subscript_stays_in_the_subscript():
    from symgeom.render.texescape import text_to_latex

    assert r"\nabla ^{2}_{\theta'}" in text_to_latex("E[s sᵀ] = ∇²_θ′ KL(θ‖θ′)")
