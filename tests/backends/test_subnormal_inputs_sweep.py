"""Subnormal and near-underflow inputs (5e-324 … 1e-300), every backend (issue 12; helper module
``subnormal_sweep``: the points, the mpmath references and the bar).

One fast case per class of failure found by the sweep (before → after, on main before this change):

* far pairs of a Bregman form with a tiny coordinate: Δ log u = log1p(Δu/u₁) overflowed for a tiny
  u₁ and rounded to log1p(−1) for a tiny u₂ (Binomial(4) KL(10⁻³¹⁰‖0.3) ∞ → 1.42669977575493,
  KL(0.3‖10⁻³¹⁰) ∞ → 854.118; negative binomial, geometric alike) — LogQuotient;
* JAX on the CPU reads subnormal inputs as 0 (Binomial(4) KL nan, Gaussian σ = 10⁻³¹⁰ refused as
  "must be > 0", Bernoulli KL(10⁻³¹⁰‖10⁻³⁰⁰) 2.4e-9 off) — the NumPy function at those entries;
* CPU torch's printed entropy dropped the 4p term of (1 − p)⁴ (Binomial(4) H(5e-324) four units of
  the subnormal grid low) — the same route;
* scipy.special.gammaln is ∞ below ≈ 10⁻³⁰⁸ (Gamma KL((1, 1)‖(10⁻³¹⁰, 1)) ∞ → 713.224) —
  symgeom.numeric.special.gammaln.

The slow sweep runs every catalog family and chart with a parameter that reaches down to 0, for
KL, entropy and Fisher, at all five inputs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import subnormal_sweep as sweep

import symgeom as sg

jax = pytest.importorskip("jax")
pytest.importorskip("torch")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

FEW = (5e-324, 1e-310)

#: (family, quantity, backends): one case per class (module docstring)
CLASSES = [
    (sg.Binomial(4), "kl", ("numpy", "jit")),
    (sg.NegativeBinomial(3), "kl", ("numpy", "jit")),
    (sg.Geometric(), "kl", ("numpy", "jax")),
    (sg.Gaussian("mean_std"), "kl", ("jax", "jit")),
    (sg.Gaussian("mean_std"), "entropy", ("jax", "jit")),
    (sg.Bernoulli(), "kl", ("jax",)),
    (sg.Binomial(4), "entropy", ("torch",)),
    (sg.Gamma(), "kl", ("numpy",)),
]


@pytest.mark.parametrize("case", CLASSES, ids=[f"{f.label}-{q}" for f, q, _ in CLASSES])
def test_each_class_at_subnormal_inputs(case):
    family, quantity, backends = case
    tiny = (1e-310, 1e-300) if family == sg.Bernoulli() else FEW
    assert sweep.failures(family, quantity, backends, tiny) == []


def test_issue_reproducers():
    """The brief's numbers: Binomial(4) KL at (10⁻³¹⁰, 0.3), (0.3, 10⁻³¹⁰), (10⁻³⁰⁰, 10⁻³¹⁰)."""
    import torch

    f = sg.kl(sg.Binomial(4))
    pairs = [(1e-310, 0.3), (0.3, 1e-310), (1e-300, 1e-310), (1e-310, 1e-300)]
    # eager JAX (~3 s of CPU a call, whatever its size): the four pairs in one call, and the first alone
    eager = np.asarray(f.jax()(*(jnp.asarray([pair[i] for pair in pairs]) for i in (0, 1))))
    for k, (a, b) in enumerate(pairs):
        ref = float(sweep.reference(sg.Binomial(4), "kl", ((a,), (b,))))
        got = [float(f.numpy()(a, b)),
               float(f.torch()(torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64))),
               float(eager[k]),
               float(jax.jit(f.jax())(jnp.asarray(a), jnp.asarray(b)))]
        if k == 0:
            got.append(float(f.jax()(jnp.asarray(a), jnp.asarray(b))))
        assert np.allclose(got, ref, rtol=1e-12, atol=0), (a, b, got, ref)


def test_jax_batch_mixes_subnormal_and_normal_entries():
    """Only the entries with a subnormal input change: the others are the printed form's, bit for
    bit, eagerly, under jit and under vmap; an invalid entry is nan under jit."""
    f = sg.kl(sg.Binomial(4)).jax()
    p = np.array([0.3, 1e-310, 0.2, 5e-324, 0.7])
    q = np.array([0.4, 0.3, 0.2, 1e-320, 0.1])
    normal = np.array([0.3, 0.3, 0.2, 0.3, 0.7])
    plain = np.asarray(f(jnp.asarray(normal), jnp.asarray(q)))
    ref = [float(sweep.reference(sg.Binomial(4), "kl", ((a,), (b,)))) for a, b in zip(p[[1, 3]], q[[1, 3]],
                                                                                       strict=True)]
    for g in (f, jax.jit(f), jax.vmap(f)):
        got = np.asarray(g(jnp.asarray(p), jnp.asarray(q)))
        assert np.array_equal(got[[0, 2, 4]], plain[[0, 2, 4]])
        np.testing.assert_allclose(got[[1, 3]], ref, rtol=1e-12)
    bad = np.asarray(jax.jit(f)(jnp.asarray([1e-310, -1e-310]), jnp.asarray([0.3, 0.3])))
    assert np.isfinite(bad[0]) and np.isnan(bad[1])


def test_jax_eager_refusal_names_the_argument():
    """Eagerly a subnormal σ is valid (was refused as ≤ 0) and a negative one is refused by name."""
    f = sg.entropy(sg.Gaussian("mean_std")).jax()
    assert np.isfinite(float(f(jnp.asarray(0.0), jnp.asarray(1e-310))))
    with pytest.raises(sg.InvalidParameterError, match="sigma"):
        f(jnp.asarray(0.0), jnp.asarray(-1e-310))


def test_derivatives_are_the_printed_forms():
    """The NumPy values carry no derivative: the gradient is the printed form's.  CPU torch reads the
    subnormal p₁, so its gradient is the derived ∂KL/∂p₂ = 4[(1 − p₁)/(1 − p₂) − p₁/p₂] at
    (10⁻³¹⁰, 0.3); JAX's printed derivative reads p₁ as 0 there (not repaired: nan), and the
    gradient of a normal entry in the same batch is the one without the tiny entry, bit for bit."""
    import torch

    f = sg.kl(sg.Binomial(4))
    exact = 4 * ((1 - 1e-310) / 0.7 - 1e-310 / 0.3)
    b = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    f.torch()(torch.tensor(1e-310, dtype=torch.float64), b).backward()
    assert float(b.grad) == pytest.approx(exact, rel=1e-12)

    def total(q, p):
        return jnp.sum(f.jax()(p, q))

    q = jnp.asarray([0.3, 0.4])
    alone = jax.grad(total)(q, jnp.asarray([0.2, 0.2]))
    for g in (jax.grad(total), jax.jit(jax.grad(total))):
        mixed = g(q, jnp.asarray([1e-310, 0.2]))
        assert float(mixed[1]) == float(alone[1])


@pytest.mark.slow
@pytest.mark.parametrize("family", [f for f in sweep.catalog() if sweep.tiny_coordinates(f)],
                         ids=lambda f: f.label)
@pytest.mark.parametrize("quantity", ["kl", "entropy", "fisher"])
def test_sweep(family, quantity):
    assert sweep.failures(family, quantity) == []
