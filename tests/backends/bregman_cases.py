"""Shared cases of the torch/JAX tests of the generic exponential families' KL (Bregman remainder,
kl_div sums) and of families without an exponential-family form (proved kl_div decompositions).

Points are drawn from the parameters' domains (no family names); references are the derived KL
``sg.kl(f).result`` and its symbolic gradient evaluated by mpmath at 120 digits (near pairs at a
relative 10⁻¹⁴ cancel ~30 digits of the textbook form there, leaving 90), independent of the
stable forms and of the quadrature that the backends evaluate.
"""

from __future__ import annotations

from functools import cache

import mpmath as mp
import numpy as np
import sympy as sp

import symgeom as sg
from symgeom.families.base import ExponentialFamilyForm, Family, FiniteSupport, Parameter, Parameterization
from symgeom.families.dirichlet import Dirichlet
from symgeom.numeric.inputs import joint_constraints
from symgeom.testing import perturb

DPS = 120
#: relative perturbations of the near pairs (the issue's 1e-8 … 1e-14)
DELTAS = (1e-8, 1e-11, 1e-14)


@cache
def custom_binomial() -> Family:
    """Binomial(5, p) declared like a user would: A(η) = 5·log(1 + eᵑ), a Bregman form."""
    x = sp.Symbol("x", integer=True, nonnegative=True)
    p = sp.Symbol("p", positive=True)
    eta = sp.Symbol("eta", real=True)
    par = Parameter("p", "p", "success probability", lower=0.0, upper=1.0)
    return Family(
        name="custom_binomial5", title="Binomial(5)", size=(), variables=(x,),
        support=FiniteSupport(outcomes=tuple((i,) for i in range(6))),
        log_density_reference=sp.log(sp.binomial(5, x)) + x * sp.log(p) + (5 - x) * sp.log(1 - p),
        exponential_form=ExponentialFamilyForm(
            statistics=(x,), natural_symbols=(eta,), natural=(sp.log(p / (1 - p)),),
            log_partition=5 * sp.log(1 + sp.exp(eta)), log_base_measure=sp.log(sp.binomial(5, x)),
        ),
        parameterizations=(Parameterization("prob", "p", (par,), (p,)),),
        param="prob",
    )


def _charts(*families: Family) -> list[Family]:
    return [f.with_param(p) for f in families for p in f.parameterization_names]


FAMILIES = [
    *_charts(sg.Poisson(), sg.Exponential(), sg.Gamma(), sg.Beta(), sg.Binomial(4), sg.Geometric(),
             sg.NegativeBinomial(3), sg.Laplace(), Dirichlet(3)),
    custom_binomial(),
]
IDS = [f.label for f in FAMILIES]


def _draw(par: Parameter, rng: np.random.Generator) -> float:
    lo, hi = par.lower, par.upper
    if lo is not None and hi is not None:
        return float(lo + (hi - lo) * rng.uniform(0.05, 0.95))
    if lo is not None:
        return float(lo + 10 ** rng.uniform(-1, 1.5))
    if hi is not None:
        return float(hi - 10 ** rng.uniform(-1, 1.5))
    return float(rng.uniform(-3, 3))


def random_point(family: Family, rng: np.random.Generator) -> tuple[float, ...]:
    """A point drawn from the parameters' domains that meets the joint constraints."""
    checks = joint_constraints(family)
    while True:
        theta = tuple(_draw(p, rng) for p in family.parameters)
        if all(ok(*theta) for ok, _ in checks):
            return theta


#: relative perturbations of float32 near pairs (10⁻⁵ is ~170 float32 ulps)
DELTAS_FLOAT32 = (1e-3, 1e-4, 1e-5)


def pairs(
    family: Family, count: int = 8, seed: int = 0, deltas: tuple[float, ...] = DELTAS
) -> list[tuple[tuple[float, ...], tuple[float, ...]]]:
    """``count`` independent random pairs, then ``count`` near pairs at each of ``deltas``."""
    rng = np.random.default_rng(seed)
    out = [(random_point(family, rng), random_point(family, rng)) for _ in range(count)]
    for delta in deltas:
        for _ in range(count):
            theta = random_point(family, rng)
            r = rng.uniform(-1, 1, size=len(theta))
            out.append((theta, perturb(family, theta, delta, r)))
    return out


def columns(points: list[tuple[float, ...]], dtype: type = np.float64) -> list[np.ndarray]:
    """The scalar-chart arguments of a batch of points, one array per parameter."""
    return [np.array([p[i] for p in points], dtype=dtype) for i in range(len(points[0]))]


@cache
def _reference_functions(family: Family) -> tuple[object, object]:
    d = sg.kl(family)
    args = tuple(d.arguments)
    value = sp.lambdify(args, d.result, "mpmath")
    gradient = sp.lambdify(args, [sp.diff(d.result, a) for a in args], "mpmath")
    return value, gradient


Pair = tuple[tuple[float, ...], tuple[float, ...]]


def reference(family: Family, pairs_: list[Pair], dps: int = DPS) -> tuple[np.ndarray, np.ndarray]:
    """(KL, ∇KL w.r.t. θ₁ then θ₂) of the derived result at ``dps`` digits, one row per pair."""
    value, gradient = _reference_functions(family)
    values, gradients = [], []
    with mp.workdps(dps):
        for a, b in pairs_:
            args = [mp.mpf(float(v)) for v in (*a, *b)]
            values.append(float(value(*args)))
            gradients.append([float(g) for g in gradient(*args)])
    return np.array(values), np.array(gradients)


def scalar_chart(family: Family) -> bool:
    return all(a.form == "scalar" for a in family.chart.array_arguments)


#: logits of the issue's range: log(1 + e^θ) at θ = −700 is e^{−700} ≈ 10^{−304} next to 1, so
#: the derived KL (differences of such logarithms) cancels ~600 digits there: LOGIT_DPS keeps 400.
LOGITS = (-700.0, -300.0, -40.0, -12.0, 12.0, 40.0, 300.0, 700.0)
LOGIT_DPS = 1000


#: logits at the bottom of σ's normal float64 range (σ(−708) ≈ 3.3e-308, twice the smallest
#: normal float64) and absolute steps from them: a geometric or negative binomial logit's natural
#: step Δη ≈ σ(θ)·Δθ is subnormal for most of them (≈ 3e-320 at (−708, 10⁻¹²)).
EDGE_LOGITS = (-708.0, -700.0, -690.0)
EDGE_STEPS = (1e-3, 1e-6, 1e-9, 1e-12)


def logit_pairs(deltas: tuple[float, ...] = DELTAS) -> list[Pair]:
    """Every ordered pair of LOGITS, each logit against θ ± ½ and θ + 2, near pairs θ·(1 + δ) at
    ``deltas`` (alternating in sign), and each of EDGE_LOGITS against θ ± each of EDGE_STEPS."""
    out = [((a,), (b,)) for a in LOGITS for b in LOGITS if a != b]
    out += [((a,), (a + s,)) for a in LOGITS for s in (0.5, -0.5, 2.0)]
    out += [((a,), (a * (1 + d * (-1) ** i),)) for a in LOGITS for i, d in enumerate(deltas)]
    out += [((a,), (a + s * sign,)) for a in EDGE_LOGITS for s in EDGE_STEPS for sign in (1, -1)]
    return out


def logit_charts() -> list[Family]:
    """The logit charts among FAMILIES (Binomial, geometric, negative binomial: log-partitions
    n·log(1 + e^θ) and −r·log σ(θ))."""
    return [f for f in FAMILIES if f.chart.name == "logit"]


def subnormal_step(family: Family, case: Pair) -> bool:
    """Whether the natural parameters of the pair differ by less than the smallest normal float64
    (η = −log(1 + e^θ) ≈ −e^θ at θ = −700 moves by e^θ·Δθ ≈ 10⁻³¹⁶ for Δθ = 7e-12): there Δη
    itself has fewer than 52 bits, and so has the Bregman remainder, an integral in η."""
    eta = sp.lambdify(family.symbols(1), list(family.natural_at(1)), "mpmath")
    with mp.workdps(LOGIT_DPS):
        a, b = (eta(*(mp.mpf(v) for v in point)) for point in case)
        return any(abs(y - x) < np.finfo(np.float64).tiny for x, y in zip(a, b, strict=True))


def logit_cases(family: Family, subnormal: bool = False) -> list[Pair]:
    """:func:`logit_pairs` whose natural step is normal (or, with ``subnormal``, the others)."""
    return list(_logit_cases(family, subnormal))


@cache
def _logit_cases(family: Family, subnormal: bool) -> tuple[Pair, ...]:
    # once per process: 128 pairs at LOGIT_DPS take ~1 s, and three test modules ask for each
    # family's cases, at collection and in their tests
    return tuple(c for c in logit_pairs() if subnormal_step(family, c) == subnormal)
