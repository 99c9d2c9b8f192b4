"""The negative binomial entropy on torch and JAX (``symgeom.backends.waiting_entropy``; both raised
UnknownQuantityError before), over P = 1e-300 … 1 in the prob chart and logits ±700, against
independent 50-digit references:

* where the mass is summable (P ≥ 1e-2), the outcome sum −Σ p(x) log p(x) at 50 digits, run until
  past the mean with terms below 1e-40 of the total;
* for smaller P, H = −r log P − (rQ/P) log Q + log Γ(r) − E[log Γ(X + r) − log Γ(X + 1)], the
  expectation from E e^{−Xt} = (P/(1 − Qe^{−t}))ʳ and Binet's/Frullani's integral, by mpmath's
  adaptive quadrature in t at 50 digits (the identity itself is checked against the 50-digit sum).

Bar: 1e-12 relative (issue 12).  Shapes r = 1/1000, 1/2, 1, 3, 16, 17, 50, 5/2 … 1000 (the module offers
0 < r ≤ MAX_SHAPE = 1024: the centred Frullani form below SPLIT, the outcome sum above; r ≤ 16 was the
limit of the uncentred form it replaced); past MAX_SHAPE the refusal names r."""

from __future__ import annotations

from fractions import Fraction

import mpmath as mp
import numpy as np
import pytest

import symgeom as sg
from symgeom.backends.waiting_entropy import MAX_SHAPE, SPLIT, waiting_entropy
from symgeom.errors import UnknownQuantityError
from tests.backends.entropy_outputs import assert_within, torch_jax_jit

PROBS = np.array([1e-300, 1e-200, 1e-100, 1e-30, 1e-10, 1e-5, 1e-3, 1e-2, 0.05, 0.2,
                  SPLIT * (1 - 1e-12), SPLIT, SPLIT * (1 + 1e-12), 0.4, 0.5, 0.7, 0.9, 0.999,
                  1 - 1e-9, 1 - 1e-16, 1.0])
LOGITS = np.array([-700.0, -300.0, -40.0, -5.0, -1.0986, 0.0, 1.0, 5.0, 40.0, 300.0, 700.0])
SHAPES = [Fraction(1, 2), Fraction(1), Fraction(3), Fraction(16)]
#: past the old limit of 16 (the default run checks r = 17 and 50; the rest are slow)
LARGE = [Fraction(17), Fraction(50)]
LARGE_SLOW = [Fraction(1, 1000), Fraction(5, 2), Fraction(1000), Fraction(MAX_SHAPE)]


def _mp(r: Fraction) -> mp.mpf:
    return mp.mpf(r.numerator) / r.denominator


def sum_reference(r: Fraction, lp: mp.mpf, log_q: mp.mpf) -> mp.mpf:
    """−Σ p(x) log p(x) term by term (50 digits), from log P and log Q."""
    with mp.workdps(50):
        s, big_p = _mp(r), mp.exp(lp)
        total, x, mean = mp.mpf(0), 0, -s * mp.expm1(log_q) / big_p
        while True:
            ell = mp.loggamma(x + s) - mp.loggamma(x + 1) - mp.loggamma(s) + s * lp + x * log_q
            term = -mp.exp(ell) * ell
            total += term
            if x > mean and abs(term) < total * mp.mpf(10) ** -40:
                return total
            x += 1


def integral_reference(r: Fraction, lp: mp.mpf, log_q: mp.mpf) -> mp.mpf:
    """The identity of the module docstring, by adaptive quadrature in t (50 digits; Q = e^{log Q}
    enters as −expm1(log Q − t) = 1 − Qe^{−t}, so Q = 1 − 1e-300 keeps its digits)."""
    with mp.workdps(50):
        s, big_p = _mp(r), mp.exp(lp)

        def integrand(t: mp.mpf) -> mp.mpf:
            # the bracket cancels to O(t) near t = 0: carry the digits that t's size removes
            with mp.extradps(20 + int(max(0, -mp.log10(t)))):
                g = (big_p / -mp.expm1(log_q - t)) ** s
                return ((s - 1) * mp.exp(-t) + g * (mp.exp(-s * t) - mp.exp(-t)) / (-mp.expm1(-t))) / t

        # in u = log(t/P) over [−200, log(T/P)], T = max(10⁴, 300/r) (the parts left out are below
        # e^{−150}: past T the integrand is below e^{−min(r, 1)T}), cut every 20
        top = mp.log(max(10 ** 4, 300 / s) / big_p)
        cuts = [mp.mpf(-200) + 20 * k for k in range(int((top + 200) / 20) + 1)] + [top]
        d = mp.quad(lambda u: integrand(big_p * mp.exp(u)) * big_p * mp.exp(u), cuts)
        return -s * lp - s * mp.exp(log_q) / big_p * log_q + mp.loggamma(s) - d


def reference(r: Fraction, lp: mp.mpf, log_q: mp.mpf) -> float:
    if log_q == -mp.inf:
        return 0.0
    if lp >= mp.log(mp.mpf("0.01")):
        return float(sum_reference(r, lp, log_q))
    return float(integral_reference(r, lp, log_q))


def _pairs(chart: str, values: np.ndarray) -> list[tuple[mp.mpf, mp.mpf]]:
    """(log P, log Q) at 50 digits."""
    out = []
    with mp.workdps(50):
        for v in values:
            if chart == "prob":
                big_p = mp.mpf(float(v))
                out.append((mp.log(big_p), mp.log1p(-big_p) if big_p < 1 else -mp.inf))
            else:
                theta = mp.mpf(float(v))
                out.append((-mp.log1p(mp.exp(-theta)), -mp.log1p(mp.exp(theta))))
    return out


def test_identity_matches_the_outcome_sum():
    """Where both references exist they agree to 1e-30 (the integral identity is right)."""
    with mp.workdps(50):
        for r in SHAPES:
            for p in ("0.01", "0.05", "0.3"):
                big_p = mp.mpf(p)
                log_p, log_q = mp.log(big_p), mp.log1p(-big_p)
                a, b = sum_reference(r, log_p, log_q), integral_reference(r, log_p, log_q)
                assert abs(a / b - 1) < mp.mpf(10) ** -30, (r, p, a, b)


@pytest.mark.parametrize(("chart", "r"), [
    ("prob", Fraction(3)), ("logit", Fraction(3)),
    ("prob", Fraction(50)), ("logit", Fraction(17)),
    *[pytest.param(c, r, marks=pytest.mark.slow) for c in ("prob", "logit") for r in SHAPES if r != 3],
    *[pytest.param(c, r, marks=pytest.mark.slow) for c in ("prob", "logit") for r in LARGE + LARGE_SLOW
      if (c, r) not in (("prob", 50), ("logit", 17))]],
    ids=str)
def test_negative_binomial_entropy_torch_and_jax_against_reference(chart, r):
    x = PROBS if chart == "prob" else LOGITS
    want = np.array([reference(r, a, b) for a, b in _pairs(chart, x)])
    shape = int(r) if r.denominator == 1 else float(r)
    d = sg.entropy(sg.NegativeBinomial(shape, chart))
    assert_within(torch_jax_jit(d, x), want, x)


def test_negative_binomial_entropy_gradient_is_finite_and_matches():
    """dH/dp (torch autograd, JAX grad) against a 50-digit central difference of the reference;
    at the point mass p = 1 the one-sided derivative is not derived (SymPy finds no limit of this
    form), so it is nan, not the 0 the constant H = 0 gave (the true slope is −∞:
    tests/backends/test_backends_endpoint_derivatives.py)."""
    torch = pytest.importorskip("torch")
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    r = Fraction(3)
    probs = np.array([1e-8, 0.1, 0.3, 0.8])
    with mp.workdps(50):
        h = mp.mpf(10) ** -20

        def ref(p: mp.mpf) -> mp.mpf:
            return integral_reference(r, mp.log(p), mp.log1p(-p))

        want = np.array([float((ref(mp.mpf(p) + h) - ref(mp.mpf(p) - h)) / (2 * h)) for p in probs])
    f = sg.entropy(sg.NegativeBinomial(3)).jax()
    got = np.asarray(jax.vmap(jax.grad(lambda p: f(p)))(jnp.asarray(probs)))
    np.testing.assert_allclose(got, want, rtol=1e-9)
    t = torch.from_numpy(np.append(probs, 1.0)).requires_grad_()
    (grad,) = torch.autograd.grad(sg.entropy(sg.NegativeBinomial(3)).torch()(t).sum(), t)
    np.testing.assert_allclose(grad.numpy()[:-1], want, rtol=1e-9)
    assert np.isfinite(grad.numpy()[:-1]).all() and np.isnan(grad.numpy()[-1])


@pytest.mark.parametrize("r", [Fraction(50), pytest.param(Fraction(1000), marks=pytest.mark.slow)], ids=str)
def test_large_shape_gradient_matches(r):
    """dH/dp on both sides of SPLIT for shapes past the old limit of 16 (torch autograd, JAX grad)
    against a 50-digit central difference of the reference."""
    torch = pytest.importorskip("torch")
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    probs = np.array([1e-200, 1e-6, 0.1, 0.3, 0.9])
    with mp.workdps(50):
        h = mp.mpf(10) ** -20

        def ref(p: mp.mpf) -> mp.mpf:
            lp, lq = mp.log(p), mp.log1p(-p)
            return sum_reference(r, lp, lq) if p >= mp.mpf("0.01") else integral_reference(r, lp, lq)

        want = np.array([float((ref(mp.mpf(p) * (1 + h)) - ref(mp.mpf(p) * (1 - h))) / (2 * h * p))
                         for p in probs])
    d = sg.entropy(sg.NegativeBinomial(int(r)))
    got = np.asarray(jax.vmap(jax.grad(lambda p: d.jax()(p)))(jnp.asarray(probs)))
    np.testing.assert_allclose(got, want, rtol=1e-9)
    t = torch.from_numpy(probs).requires_grad_()
    (grad,) = torch.autograd.grad(d.torch()(t).sum(), t)
    np.testing.assert_allclose(grad.numpy(), want, rtol=1e-9)


def test_shapes_past_the_limit_are_refused_with_the_reason():
    """Above MAX_SHAPE the form is not offered, and the refusal names the shape and the reason."""
    assert waiting_entropy(sg.NegativeBinomial(MAX_SHAPE + 1)) is None
    assert waiting_entropy(sg.NegativeBinomial(MAX_SHAPE)) is not None
    assert waiting_entropy(sg.Poisson()) is None
    for backend in ("torch", "jax"):
        with pytest.raises(UnknownQuantityError, match=rf"r = {MAX_SHAPE + 1} is larger.*rounding"):
            getattr(sg.entropy(sg.NegativeBinomial(MAX_SHAPE + 1)), backend)()
