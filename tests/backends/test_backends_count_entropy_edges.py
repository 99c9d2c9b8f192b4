"""torch/JAX entropies of count families where an outcome's probability is within ε of 1 or 0,
and at the support's endpoints, against 50-digit mpmath sums:

    H = Σₓ −P(x)·log P(x),  P(x) = C(n, x) pˣ (1 − p)ⁿ⁻ˣ

Bar (issue 12): ≤ 1e-12 relative in float64 for p from 1e-300 to 1 − 1e-16 and logits ±700;
exactly 0 at the point masses p = 0 and p = 1.  The per-outcome terms are each ≥ 0 and carry a
few ulps each, so 1e-12 leaves a wide margin for the sum of n + 1 of them.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

torch = pytest.importorskip("torch")
jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

import symgeom as sg  # noqa: E402

PROBS = [1e-300, 1e-200, 1e-20, 1e-17, 1e-8, 0.1, 0.5, 0.9, 1 - 1e-8, 1 - 1e-16]
LOGITS = [-700.0, -300.0, -40.0, -12.0, -1.0, 0.0, 0.3, 2.5, 40.0, 300.0, 700.0]
BACKENDS = {
    "torch": lambda v: torch.tensor(v, dtype=torch.float64),
    "jax": lambda v: jnp.asarray(v, jnp.float64),
}


def binomial_entropy(n: int, log_p: mpmath.mpf, log_q: mpmath.mpf) -> mpmath.mpf:
    """Σₓ −P(x) log P(x) at 50 digits from log p and log(1 − p) given separately (1 − 10⁻³⁰⁰
    is 1 at 50 digits: log(1 − p) must come from log1p), log P(x) = log C(n, x) + x log p +
    (n − x) log(1 − p)."""
    total = mpmath.mpf(0)
    for x in range(n + 1):
        log_mass = mpmath.log(mpmath.binomial(n, x)) + x * log_p + (n - x) * log_q
        total -= mpmath.exp(log_mass) * log_mass
    return total


def reference(n: int, values: list[float], logit: bool) -> np.ndarray:
    with mpmath.workdps(50):
        out = []
        for v in map(mpmath.mpf, values):
            if logit:  # log σ(±v) = −log1p(e^{∓v})
                logs = (-mpmath.log1p(mpmath.exp(-v)), -mpmath.log1p(mpmath.exp(v)))
            else:
                logs = (mpmath.log(v), mpmath.log1p(-v))
            out.append(float(binomial_entropy(n, *logs)))
        return np.array(out)


@pytest.mark.parametrize("backend", sorted(BACKENDS))
@pytest.mark.parametrize("n", [1, 4, 9])
@pytest.mark.parametrize("chart", ["prob", "logit"])
def test_binomial_entropy_against_mpmath(backend, n, chart):
    values = LOGITS if chart == "logit" else PROBS
    f = getattr(sg.entropy(sg.Binomial(n, chart)), backend)()
    got = np.asarray(f(BACKENDS[backend](values)))
    np.testing.assert_allclose(got, reference(n, values, chart == "logit"), rtol=1e-12, atol=0)


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_binomial_entropy_is_zero_at_the_point_masses(backend):
    """p = 0 and p = 1 are accepted, and each is a point mass: H = 0 (not 0·log 0 = nan)."""
    f = getattr(sg.entropy(sg.Binomial(4)), backend)()
    got = np.asarray(f(BACKENDS[backend]([0.0, 1.0])))
    assert np.array_equal(got, [0.0, 0.0])


def test_binomial_entropy_reproducer():
    """The lead's reproducer: 2.7615569341484508e-297 at p = 1e-300 (was 2.7575…e-297)."""
    got = sg.entropy(sg.Binomial(4)).torch()(torch.tensor(1e-300, dtype=torch.float64)).item()
    expected = reference(4, [1e-300], False)[0]
    assert abs(got - expected) <= 1e-12 * expected


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_geometric_entropy_against_mpmath(backend):
    """H = [−p log p − (1 − p) log(1 − p)]/p on {0, 1, …}: the 1 of −log(1 − p)/p at p = 1e-300,
    the (1 − p)/p·(−log(1 − p)) ≈ 37δ at p = 1 − δ, and 0 at the point mass p = 1."""
    values = [*PROBS, 1.0]
    with mpmath.workdps(50):
        expected = []
        for v in map(mpmath.mpf, values):
            q = 1 - v  # exact: v is a float in (0, 1]
            expected.append(float((-v * mpmath.log(v) - (q * mpmath.log1p(-v) if q else 0)) / v))
    got = np.asarray(getattr(sg.entropy(sg.Geometric()), backend)()(BACKENDS[backend](values)))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)
    assert got[-1] == 0.0


def bernoulli_logit_kl(t1: float, t2: float) -> float:
    """Σ_c σ(±θ₁)·[log σ(±θ₁) − log σ(±θ₂)] at 50 digits, log σ(x) = −log1p(e^{−x})."""
    with mpmath.workdps(50):
        a, b = mpmath.mpf(t1), mpmath.mpf(t2)
        total = mpmath.mpf(0)
        for s in (1, -1):
            la, lb = -mpmath.log1p(mpmath.exp(-s * a)), -mpmath.log1p(mpmath.exp(-s * b))
            total += mpmath.exp(la) * (la - lb)
        return float(total)


#: far pairs where χ(y) overflows while the weight σ(−θ₂) underflows (was nan on JAX), the other
#: sign, and near and moderate pairs for the kl_div branch
LOGIT_PAIRS = [(709.0, 1e10), (700.0, 1e9), (-709.0, -1e10), (40.0, 1e6), (0.3, 0.3000001), (1.0, 1.2),
               (-5.0, 2.0), (3.0, -1e10), (-700.0, 700.0), (30.0, 31.0)]


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_bernoulli_logit_kl_far_pairs_against_mpmath(backend):
    """≤ 1e-12 relative; at (709, 10¹⁰) the value 1.2168e-298 comes from σ(−709) ≈ 1.2e-308,
    a subnormal (flushed to 0 on XLA's CPU), through exp(log σ(−709) + log(y − 1))."""
    t1, t2 = (np.array(v) for v in zip(*LOGIT_PAIRS, strict=True))
    f = getattr(sg.kl(sg.Bernoulli("logit")), backend)()
    got = np.asarray(f(BACKENDS[backend](t1), BACKENDS[backend](t2)))
    expected = np.array([bernoulli_logit_kl(a, b) for a, b in LOGIT_PAIRS])
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)
