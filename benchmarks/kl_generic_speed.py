"""Speed of the generated (Bregman) KL of families without a hand-written form, against a naive
NumPy/SciPy formula, in one interleaved run.

    python benchmarks/kl_generic_speed.py [--repeats 5] [--n 1000000]

Gamma(α, β) and Poisson(λ) are declared here from symgeom.families.base types (the families of
the families issue are not on this branch; Poisson's support is a placeholder: only its
exponential-family form is read).  Cases: far pairs and near pairs (relative perturbation 10⁻⁶).
Reported: the median time of each implementation and its ratio to the naive formula, plus the
read-the-inputs-once floor (one np.add over the inputs).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import sympy as sp
from scipy.special import digamma, gammaln

from symgeom.families.base import ExponentialFamilyForm, Family, Parameter, Parameterization, RealSupport
from symgeom.numeric import kl_function


def gamma() -> Family:
    x = sp.Symbol("x", positive=True)
    a, b = sp.Symbol("alpha", positive=True), sp.Symbol("beta", positive=True)
    e1, e2 = sp.Symbol("eta1", real=True), sp.Symbol("eta2", negative=True)
    pars = (Parameter("alpha", r"\alpha", "shape", lower=0.0), Parameter("beta", r"\beta", "rate", lower=0.0))
    return Family(
        name="gamma_bench", title="Gamma", size=(), variables=(x,), support=RealSupport(dimension=1),
        log_density_reference=a * sp.log(b) - sp.loggamma(a) + (a - 1) * sp.log(x) - b * x,
        exponential_form=ExponentialFamilyForm(
            statistics=(sp.log(x), x), natural_symbols=(e1, e2), natural=(a - 1, -b),
            log_partition=sp.loggamma(e1 + 1) - (e1 + 1) * sp.log(-e2), log_base_measure=sp.Integer(0),
        ),
        parameterizations=(Parameterization("shape_rate", "α, β", pars, (a, b)),),
        param="shape_rate",
    )


def poisson() -> Family:
    x = sp.Symbol("x", integer=True, nonnegative=True)
    lam = sp.Symbol("lam", positive=True)
    eta = sp.Symbol("eta", real=True)
    par = Parameter("lam", r"\lambda", "rate", lower=0.0)
    return Family(
        name="poisson_bench", title="Poisson", size=(), variables=(x,), support=RealSupport(dimension=1),
        log_density_reference=x * sp.log(lam) - lam - sp.loggamma(x + 1),
        exponential_form=ExponentialFamilyForm(
            statistics=(x,), natural_symbols=(eta,), natural=(sp.log(lam),),
            log_partition=sp.exp(eta), log_base_measure=-sp.loggamma(x + 1),
        ),
        parameterizations=(Parameterization("rate", "λ", (par,), (lam,)),),
        param="rate",
    )


def naive_gamma(a1, b1, a2, b2):
    return (a1 - a2) * digamma(a1) - gammaln(a1) + gammaln(a2) + a2 * np.log(b1 / b2) + a1 * (b2 - b1) / b1


def naive_poisson(l1, l2):
    return l1 * np.log(l1 / l2) - l1 + l2


def floor(*arrays):
    out = arrays[0].copy()
    for a in arrays[1:]:
        np.add(out, a, out=out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--n", type=int, default=1_000_000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    n = args.n
    a1, b1 = np.exp(rng.normal(size=n)), np.exp(rng.normal(size=n))
    l1 = np.exp(rng.normal(size=n) * 3)
    near = 1 + 1e-6 * rng.uniform(-1, 1, n)
    far_gamma = (a1, b1, np.exp(rng.normal(size=n)), np.exp(rng.normal(size=n)))
    cases = {
        "gamma far": (kl_function(gamma(), validate=False), naive_gamma, far_gamma),
        "gamma near": (kl_function(gamma(), validate=False), naive_gamma,
                       (a1, b1, a1 * near, b1 * near[::-1])),
        "poisson far": (kl_function(poisson(), validate=False), naive_poisson,
                        (l1, np.exp(rng.normal(size=n) * 3))),
        "poisson near": (kl_function(poisson(), validate=False), naive_poisson, (l1, l1 * near)),
    }
    print(f"n = {n}, medians of {args.repeats} interleaved rounds")
    print("| case | symgeom (s) | naive (s) | floor (s) | symgeom/naive | symgeom/floor |")
    print("|---|---|---|---|---|---|")
    for name, (ours, naive, data) in cases.items():
        times: dict[str, list[float]] = {"ours": [], "naive": [], "floor": []}
        for _ in range(args.repeats):
            for key, fn in (("ours", ours), ("naive", naive), ("floor", floor)):
                start = time.perf_counter()
                fn(*data)
                times[key].append(time.perf_counter() - start)
        m = {k: statistics.median(v) for k, v in times.items()}
        print(f"| {name} | {m['ours']:.3f} | {m['naive']:.3f} | {m['floor']:.4f} | "
              f"{m['ours'] / m['naive']:.1f}× | {m['ours'] / m['floor']:.0f}× |")


if __name__ == "__main__":
    main()
