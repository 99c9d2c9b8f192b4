"""The stable KL forms are proved equal to the derived KL, and print to the stable NumPy kernels."""

from __future__ import annotations

import pytest
import sympy as sp

import symgeom as sg
from symgeom.families.base import Family
from symgeom.numeric import kl_function
from symgeom.numeric import symbolic as stable
from symgeom.testing import arrays, catalog

FAMILIES = [
    *catalog(),
    *(sg.Categorical(k, p) for k in (2, 4, 5) for p in ("probs", "logits")),
]
IDS = [f.label for f in FAMILIES]


def _check(family: Family, lhs: sp.Expr, rhs: sp.Expr, time_limit: float = 60) -> object:
    """check_identity over the chart's domain (the family's cover substitution and sampler)."""
    from symgeom.verification.catalog import proof_cover
    from symgeom.verification.sampling import family_sampler

    return sg.check_identity(
        lhs,
        rhs,
        substitution=proof_cover(family),
        sampler=family_sampler(family),
        time_limit=time_limit,
    )


@pytest.mark.parametrize("family", FAMILIES, ids=IDS)
def test_stable_form_is_proved_equal_to_the_derived_kl(family: Family) -> None:
    verdict = _check(family, stable.textbook(stable.stable_kl(family)), sg.kl(family).result)
    assert verdict.status == "proved", verdict


def test_a_wrong_stable_form_is_not_proved() -> None:
    family = sg.Bernoulli()
    p, q = family.symbols(1)[0], family.symbols(2)[0]
    wrong = stable.KLDiv(p, q) + stable.KLDiv(1 - q, 1 - p)  # complement pair swapped
    verdict = _check(family, stable.textbook(wrong), sg.kl(family).result, time_limit=20)
    assert verdict.status == "failed"


def test_kl_div_and_chi_rewrite_to_their_definitions() -> None:
    a, b = sp.symbols("a b", positive=True)
    y = sp.Symbol("y", real=True)
    assert stable.KLDiv(a, b).rewrite(sp.log) == a * sp.log(a / b) - a + b
    assert sp.simplify(stable.Chi(y).rewrite(sp.exp) - stable.KLDiv(sp.exp(y), 1).rewrite(sp.log)) == 0
    assert stable.KLDiv(a, a) == 0 and stable.Chi(0) == 0


def test_log_ratio_rearrangement_used_by_the_logit_kernels() -> None:
    """yᵢ = xᵢ − log1p(Σⱼ qⱼ expm1(xⱼ)) with x = Δz − Σqⱼ Δzⱼ equals ℓᵢ(z₁) − ℓᵢ(z₂), proved for k = 3."""
    z1 = sp.symbols("a1:4", real=True)
    z2 = sp.symbols("b1:4", real=True)
    q = [sp.exp(b) / sum(sp.exp(c) for c in z2) for b in z2]
    dz = [a - b for a, b in zip(z1, z2, strict=True)]
    mean = sum(qi * d for qi, d in zip(q, dz, strict=True))
    x = [d - mean for d in dz]
    correction = sp.log(1 + sum(qi * (sp.exp(xi) - 1) for qi, xi in zip(q, x, strict=True)))
    log_softmax = [[zi - sp.log(sum(sp.exp(c) for c in z)) for zi in z] for z in (z1, z2)]
    for i in range(3):
        verdict = sg.check_identity(x[i] - correction, log_softmax[0][i] - log_softmax[1][i], time_limit=60)
        assert verdict.ok, verdict


NUMERIC = [
    f for f in FAMILIES if not (f.name == "multivariate_gaussian" and dict(f.size)["covariance"] == "full")
]


@pytest.mark.parametrize("family", NUMERIC, ids=[f.label for f in NUMERIC])
def test_lambdified_stable_form_agrees_with_the_vectorized_kernel(family: Family) -> None:
    """The printed form (kl_div(a, b, factor(a − b))) and the hand-vectorized kernel agree."""
    from hypothesis import given

    from symgeom.testing import param_pairs

    printed = stable.stable_numpy(family)
    compiled = kl_function(family)

    @given(param_pairs(family, near=1e-3))
    def check(pair: tuple[tuple[float, ...], tuple[float, ...]]) -> None:
        expected = float(compiled(*arrays(family, pair[0]), *arrays(family, pair[1])))
        # The printed logit forms subtract log(1 + e^z) terms, so they hold ~1e-10 at δ = 1e-3.
        tolerance = 1e-9 if "logit" in family.param else 1e-12
        assert float(printed(*pair[0], *pair[1])) == pytest.approx(expected, rel=tolerance)

    check()


def test_kl_div_printing_passes_the_exact_difference() -> None:
    """The complement pair is printed with its simplified difference p₂ − p₁ as third argument."""
    import inspect

    source = inspect.getsource(stable.stable_numpy(sg.Bernoulli()))
    assert "kl_div(1 - p_1, 1 - p_2, -p_1 + p_2)" in source
    source = inspect.getsource(stable.stable_numpy(sg.Gaussian()))
    assert "-(sigma_1 - sigma_2)*(sigma_1 + sigma_2)/sigma_2**2" in source
