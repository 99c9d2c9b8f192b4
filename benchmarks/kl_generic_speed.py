"""Speed of the generated (Bregman) KL of families without a hand-written form, against a naive
NumPy/SciPy formula, in one interleaved run.

    python benchmarks/kl_generic_speed.py [--repeats 5] [--n 1000000] [--cases poisson]

Families: sg.Gamma(), sg.Beta(), Dirichlet(10) (symgeom.families.dirichlet) and sg.Poisson(), all
through ``kl_function(family, validate=False)``.  Cases: far pairs and near pairs (relative
perturbation 10⁻⁶).  Reported: the median time of each implementation and its ratio to the naive
formula, plus the read-the-inputs-once floor (one np.add over the inputs).  ``--clock process``
(the default) times with ``time.process_time`` (this process's CPU time, which other jobs on a
shared machine disturb far less than wall time); ``--clock wall`` uses ``time.perf_counter``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
from scipy.special import betaln, digamma, gammaln

import symgeom as sg
from symgeom.families.dirichlet import Dirichlet
from symgeom.numeric import kl_function


def naive_gamma(a1, b1, a2, b2):
    return (a1 - a2) * digamma(a1) - gammaln(a1) + gammaln(a2) + a2 * np.log(b1 / b2) + a1 * (b2 - b1) / b1


def naive_beta(a1, b1, a2, b2):
    return (betaln(a2, b2) - betaln(a1, b1) + (a1 - a2) * digamma(a1) + (b1 - b2) * digamma(b1)
            + (a2 - a1 + b2 - b1) * digamma(a1 + b1))


def naive_dirichlet(*columns):
    """Σ lnΓ(α₂ᵢ) − lnΓ(Σα₂) − Σ lnΓ(α₁ᵢ) + lnΓ(Σα₁) + Σ(α₁ᵢ − α₂ᵢ)(ψ(α₁ᵢ) − ψ(Σα₁)), columns α₁…, α₂…"""
    k = len(columns) // 2
    a1, a2 = np.stack(columns[:k], axis=-1), np.stack(columns[k:], axis=-1)
    s1, s2 = a1.sum(axis=-1), a2.sum(axis=-1)
    return (gammaln(s1) - gammaln(s2) + (gammaln(a2) - gammaln(a1)).sum(axis=-1)
            + ((a1 - a2) * (digamma(a1) - digamma(s1)[:, None])).sum(axis=-1))


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
    parser.add_argument("--cases", default="", help="only the cases whose name contains this")
    parser.add_argument("--clock", choices=("process", "wall"), default="process",
                        help="process CPU time (default) or wall time")
    args = parser.parse_args()
    clock = time.process_time if args.clock == "process" else time.perf_counter
    rng = np.random.default_rng(0)
    n = args.n
    a1, b1 = np.exp(rng.normal(size=n)), np.exp(rng.normal(size=n))
    l1 = np.exp(rng.normal(size=n) * 3)
    near = 1 + 1e-6 * rng.uniform(-1, 1, n)
    a2, b2 = np.exp(rng.normal(size=n)), np.exp(rng.normal(size=n))
    gamma, beta, poisson, dirichlet = (kl_function(f, validate=False)
                                       for f in (sg.Gamma(), sg.Beta(), sg.Poisson(), Dirichlet(10)))
    d1 = [np.exp(rng.normal(size=n)) for _ in range(10)]
    d2 = [np.exp(rng.normal(size=n)) for _ in range(10)]
    cases = {
        "gamma far": (gamma, naive_gamma, (a1, b1, a2, b2)),
        "gamma near": (gamma, naive_gamma, (a1, b1, a1 * near, b1 * near[::-1])),
        "beta far": (beta, naive_beta, (a1, b1, a2, b2)),
        "beta near": (beta, naive_beta, (a1, b1, a1 * near, b1 * near[::-1])),
        "dirichlet(10) far": (dirichlet, naive_dirichlet, (*d1, *d2)),
        "dirichlet(10) near": (dirichlet, naive_dirichlet,
                               (*d1, *(x * np.roll(near, 7 * i) for i, x in enumerate(d1)))),
        "poisson far": (poisson, naive_poisson, (l1, np.exp(rng.normal(size=n) * 3))),
        "poisson near": (poisson, naive_poisson, (l1, l1 * near)),
    }
    print(f"n = {n}, medians of {args.repeats} interleaved rounds ({args.clock} time), "
          f"load average {os.getloadavg()[0]:.1f} at start")
    print("| case | symgeom (s) | naive (s) | floor (s) | symgeom/naive | symgeom/floor |")
    print("|---|---|---|---|---|---|")
    for name, (ours, naive, data) in cases.items():
        if args.cases not in name:
            continue
        times: dict[str, list[float]] = {"ours": [], "naive": [], "floor": []}
        for _ in range(args.repeats):
            for key, fn in (("ours", ours), ("naive", naive), ("floor", floor)):
                start = clock()
                fn(*data)
                times[key].append(clock() - start)
        m = {k: statistics.median(v) for k, v in times.items()}
        print(f"| {name} | {m['ours']:.3f} | {m['naive']:.3f} | {m['floor']:.4f} | "
              f"{m['ours'] / m['naive']:.2f}× | {m['ours'] / m['floor']:.0f}× |", flush=True)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
