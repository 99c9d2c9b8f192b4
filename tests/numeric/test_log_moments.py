"""symgeom.numeric.log_moments: the log-moment integral is recognized from the summand's shape
(negative-binomial-type mass times Σ wⱼ log(x + aⱼ)), refused otherwise, and refuses to return a
value whose stated bound it cannot meet."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

import symgeom as sg
from symgeom.numeric.log_moments import log_moment


def _explicit_sum(family):
    derivation = sg.entropy(family)
    (total,) = derivation.result.atoms(sp.Sum)
    (x, _, _), = total.limits
    return total.function, x, derivation.arguments


@pytest.mark.parametrize("family", [sg.NegativeBinomial(3, "logit"), sg.NegativeBinomial(3),
                                    sg.NegativeBinomial(2, "logit"), sg.NegativeBinomial(5)],
                         ids=lambda f: f.label)
def test_recognized_from_the_summand_and_equal_to_the_sum(family):
    """E[log C(x + r − 1, x)] by the integral against the summand summed in mpmath (mean ≈ 40)."""
    summand, x, arguments = _explicit_sum(family)
    moment = log_moment(summand, x, arguments)
    assert moment is not None
    point = -2.5 if family.param == "logit" else 0.1
    r = int(family.label.split("r=")[1].split(")")[0])
    assert moment.mean(np.array([point]))[0] == pytest.approx(r * (np.exp(-point) if point < 0 else 9.0))
    term = sp.lambdify((x, *arguments), summand, "mpmath")
    with mp.workdps(30):
        reference = mp.nsum(lambda k: term(int(k), mp.mpf(point)), [0, mp.inf])
    np.testing.assert_allclose(moment(np.array([point])), float(reference), rtol=1e-14)


def test_other_shapes_are_not_recognized():
    """A Poisson's E[log x!] is not a finite sum of log(x + a): no log-moment form (term by term)."""
    assert log_moment(*_explicit_sum(sg.Poisson())) is None


def test_a_bound_it_cannot_meet_is_an_error():
    moment = log_moment(*_explicit_sum(sg.NegativeBinomial(3, "logit")))
    with pytest.raises(ArithmeticError, match="error bound"):
        moment(np.array([-40.0]), rtol=1e-22)
