"""The binomial entropy past the printed per-outcome sum (n > 64 trials) on torch and JAX
(``symgeom.backends.trial_entropy``; both raised UnknownQuantityError before), over P = 1e-300 … 1 − 1e-16
and the endpoints 0, 1 in the prob chart and logits ±700, against the 50-digit outcome sum
−Σ p(x) log p(x) (mpmath, from log P and log Q at 50 digits); gradients against a 50-digit central
difference.  Bar: 1e-12 relative (issue 12).  Past MAX_TRIALS the refusal names n."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

import symgeom as sg
from symgeom.backends.trial_entropy import MAX_TRIALS, trial_entropy
from symgeom.errors import UnknownQuantityError
from tests.backends.entropy_outputs import assert_within, torch_jax_jit

PROBS = np.array([0.0, 1e-300, 1e-100, 1e-30, 1e-5, 1e-3, 0.01, 0.3, 0.5, 0.7, 0.999, 1 - 1e-9, 1 - 1e-16,
                  1.0])
LOGITS = np.array([-700.0, -300.0, -40.0, -5.0, 0.0, 1.0, 5.0, 40.0, 300.0, 700.0])


def reference(n: int, lp: mp.mpf, lq: mp.mpf) -> float:
    """−Σₓ p(x) log p(x) over x = 0 … n at 50 digits (0 at a point mass)."""
    with mp.workdps(50):
        if lp == -mp.inf or lq == -mp.inf:
            return 0.0
        top = mp.loggamma(n + 1)
        total = mp.mpf(0)
        for x in range(n + 1):
            ell = top - mp.loggamma(x + 1) - mp.loggamma(n - x + 1) + x * lp + (n - x) * lq
            total += -mp.exp(ell) * ell
        return float(total)


def _pairs(chart: str, values: np.ndarray) -> list[tuple[mp.mpf, mp.mpf]]:
    with mp.workdps(50):
        if chart == "prob":
            return [(mp.log(mp.mpf(float(v))) if v > 0 else -mp.inf,
                     mp.log1p(-mp.mpf(float(v))) if v < 1 else -mp.inf) for v in values]
        return [(-mp.log1p(mp.exp(-mp.mpf(float(v)))), -mp.log1p(mp.exp(mp.mpf(float(v))))) for v in values]


@pytest.mark.parametrize(("chart", "n"), [
    ("prob", 65), ("logit", 200),
    *[pytest.param(c, n, marks=pytest.mark.slow) for c in ("prob", "logit")
      for n in (65, 200, 1000, MAX_TRIALS)
      if (c, n) not in (("prob", 65), ("logit", 200))]], ids=str)
def test_binomial_entropy_torch_and_jax_against_reference(chart, n):
    x = PROBS if chart == "prob" else LOGITS
    want = np.array([reference(n, a, b) for a, b in _pairs(chart, x)])
    d = sg.entropy(sg.Binomial(n, chart))
    assert_within(torch_jax_jit(d, x), want, x)


def test_binomial_entropy_gradient_matches_and_is_not_a_finite_number_at_the_endpoints():
    torch = pytest.importorskip("torch")
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    n = 100
    probs = np.array([1e-8, 0.1, 0.4, 0.8])
    with mp.workdps(50):
        h = mp.mpf(10) ** -20

        want = np.array([float((_exact(n, mp.mpf(p) * (1 + h)) - _exact(n, mp.mpf(p) * (1 - h)))
                               / (2 * h * p)) for p in probs])
    d = sg.entropy(sg.Binomial(n))
    got = np.asarray(jax.vmap(jax.grad(lambda p: d.jax()(p)))(jnp.asarray(probs)))
    np.testing.assert_allclose(got, want, rtol=1e-9)
    t = torch.from_numpy(np.concatenate([probs, [0.0, 1.0]])).requires_grad_()
    (grad,) = torch.autograd.grad(d.torch()(t).sum(), t)
    np.testing.assert_allclose(grad.numpy()[:-2], want, rtol=1e-9)
    # the one-sided slopes at P = 0 and 1 are +inf and −inf (H ≈ −nP log P near 0); the endpoint
    # mechanism (backends.one_sided) gives ±inf where SymPy finds the limit of the derivative and nan
    # where it finds none (this explicit sum) — never a finite number, which would be silently wrong
    at_zero, at_one = grad.numpy()[-2:]
    assert np.isnan(at_zero) or at_zero == np.inf
    assert np.isnan(at_one) or at_one == -np.inf


def _exact(n: int, p: mp.mpf) -> mp.mpf:
    """The outcome sum at the working precision (no rounding to float)."""
    lp, lq = mp.log(p), mp.log1p(-p)
    top = mp.loggamma(n + 1)
    return -mp.fsum(mp.exp(e) * e for e in (top - mp.loggamma(x + 1) - mp.loggamma(n - x + 1) + x * lp
                                             + (n - x) * lq for x in range(n + 1)))


def test_trials_past_the_limit_are_refused_with_the_reason():
    assert trial_entropy(sg.Binomial(64)) is None  # the printed per-outcome sum serves it
    assert trial_entropy(sg.Binomial(65)) is not None
    assert trial_entropy(sg.Binomial(MAX_TRIALS + 1)) is None
    for backend in ("torch", "jax"):
        with pytest.raises(UnknownQuantityError, match=rf"n = {MAX_TRIALS + 1} is larger.*rounding"):
            getattr(sg.entropy(sg.Binomial(MAX_TRIALS + 1)), backend)()
