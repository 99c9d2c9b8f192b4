"""What the subnormal-input routes cost on the common path (normal-range inputs), in one run.

    python benchmarks/subnormal_inputs_cost.py [--n 262144] [--repeats 15]

Each row times the function against the same function with the route switched off, both in this
process and called alternately round by round (medians of ``--repeats`` rounds, float64):

* JAX (jit and eager): :mod:`symgeom.backends.subnormal_inputs` — a pass over the inputs' bits and
  a ``lax.cond`` (the off variant: ``subnormal_inputs.applies`` returning False, traced anew);
* CPU torch with autograd recording (the KL's NumPy route is not taken) and torch entropies: the
  subnormal mask (off: ``subnormal_inputs.torch_applies`` False);
* NumPy: the exact difference of a logarithm, ``kernels.log_quotient`` (its all-near fast path
  and the far pairs' mantissa form) against the log1p(d/b) it replaced, on the Binomial(4) KL's
  pairs; and the Bregman KL (Binomial(4), far and near random pairs) against its form printed
  with log1p(d/b) (``LogQuotient`` printed as before).

JAX jit rows also time "before": the route as it was before the bits were taken inside the rare
branch (``_bits_through_cond`` below: the inputs' bits passed as operands of the ``lax.cond``),
traced in the same process and called in the same rounds.

``--single-thread``: XLA and torch on one thread, timed by process time (far less disturbed by the
other jobs of a shared machine than wall time).
Ratios > 1 are slower.  The machine is shared: read the ratios, not the times, and rerun.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _timing import median_times, single_thread


def _row(name: str, times: dict[str, float]) -> None:
    new, old = times["new"], times["old"]
    before = ""
    if "before" in times:
        before = f"   before {times['before'] * 1e3:9.2f} ms {times['before'] / old:5.2f}x"
    print(f"{name:52s} {new * 1e3:9.2f} ms {old * 1e3:9.2f} ms   {new / old:5.2f}x{before}", flush=True)


def _bits_through_cond(evaluate, spec, arrays, numpy_function, invalid):
    """``subnormal_inputs.evaluate_jax`` before this change: the bits are operands of the cond."""
    import jax
    import jax.numpy as jnp

    from symgeom.backends import subnormal_inputs as si

    floats = [np.dtype(a.dtype) for a in arrays]
    bits = tuple(si.words(jax.lax.stop_gradient(a)) for a in arrays)
    flag = jnp.any(si.entry_mask(spec, list(bits), floats))

    def rare(xs, bits):
        return si._merged(evaluate(list(xs)), spec, bits, floats, numpy_function, invalid)

    def common(xs, bits):
        return evaluate(list(xs))

    return jax.lax.cond(flag, rare, common, tuple(arrays), bits)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1 << 18)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--single-thread", action="store_true", help="one thread, process time")
    parser.add_argument("--only-jax-jit", action="store_true", help="the JAX jit rows only")
    args = parser.parse_args()
    clock = time.perf_counter
    if args.single_thread:
        single_thread()
        clock = time.process_time

    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import torch

    import symgeom as sg
    from symgeom.backends import subnormal_inputs
    from symgeom.numeric import kernels

    rng = np.random.default_rng(0)
    n = args.n
    print(f"{'':52s} {'with':>12s} {'without':>12s}   ratio   (n = {n}, medians of {args.repeats})")

    # --- JAX --------------------------------------------------------------------------------
    cases = [
        ("Gaussian mean_std KL", sg.kl(sg.Gaussian("mean_std")),
         [rng.normal(size=n), rng.uniform(0.5, 2, n), rng.normal(size=n), rng.uniform(0.5, 2, n)]),
        ("Binomial(4) KL", sg.kl(sg.Binomial(4)), [rng.uniform(0.05, 0.95, n), rng.uniform(0.05, 0.95, n)]),
        ("Bernoulli KL", sg.kl(sg.Bernoulli()), [rng.uniform(0.05, 0.95, n), rng.uniform(0.05, 0.95, n)]),
        ("Gamma KL", sg.kl(sg.Gamma()), [rng.uniform(0.5, 5, n), rng.uniform(0.5, 5, n),
                                          rng.uniform(0.5, 5, n), rng.uniform(0.5, 5, n)]),
        ("Gaussian mean_std entropy", sg.entropy(sg.Gaussian("mean_std")),
         [rng.normal(size=n), rng.uniform(0.5, 2, n)]),
        ("Bernoulli Fisher", sg.fisher(sg.Bernoulli()), [rng.uniform(0.05, 0.95, n)]),
    ]
    for name, derivation, arrays in cases:
        xs = [jnp.asarray(a) for a in arrays]
        f = derivation.jax()
        new = jax.jit(lambda *a, f=f: f(*a))
        old = jax.jit(lambda *a, f=f: f(*a))
        before = jax.jit(lambda *a, f=f: f(*a))
        new(*xs).block_until_ready()
        _switched(subnormal_inputs, "applies", lambda old=old, xs=xs: old(*xs).block_until_ready())
        _swapped(subnormal_inputs, "evaluate_jax", _bits_through_cond,
                 lambda before=before, xs=xs: before(*xs).block_until_ready())
        _row(f"JAX jit   {name}", median_times(
            {"new": lambda new=new, xs=xs: new(*xs).block_until_ready(),
             "old": lambda old=old, xs=xs: old(*xs).block_until_ready(),
             "before": lambda before=before, xs=xs: before(*xs).block_until_ready()}, args.repeats, clock))
        if args.only_jax_jit:
            continue
        _row(f"JAX eager {name}", median_times(
            {"new": lambda f=f, xs=xs: f(*xs).block_until_ready(),
             "old": lambda f=f, xs=xs: _switched(subnormal_inputs, "applies",
                                                 lambda: f(*xs).block_until_ready())}, args.repeats, clock))
    if args.only_jax_jit:
        return

    # --- torch --------------------------------------------------------------------------------
    torch_cases = [
        ("Gaussian mean_std entropy", sg.entropy(sg.Gaussian("mean_std")), cases[4][2], False),
        ("Binomial(4) entropy", sg.entropy(sg.Binomial(4)), [rng.uniform(0.05, 0.95, n)], False),
        ("Binomial(4) KL, with autograd", sg.kl(sg.Binomial(4)), cases[1][2], True),
    ]
    for name, derivation, arrays, grad in torch_cases:
        f = derivation.torch()
        ts = [torch.tensor(a, requires_grad=grad) for a in arrays]
        _row(f"torch     {name}", median_times(
            {"new": lambda f=f, ts=ts: f(*ts),
             "old": lambda f=f, ts=ts: _switched(subnormal_inputs, "torch_applies", lambda: f(*ts))},
            args.repeats))

    # --- NumPy ----------------------------------------------------------------------------------
    p1, p2 = rng.uniform(0.05, 0.95, n), rng.uniform(0.05, 0.95, n)
    u1, u2 = p1 / (1 - p1), p2 / (1 - p2)
    d = u2 - u1
    near2 = p1 * (1 + 1e-6 * rng.uniform(-1, 1, n))
    v2 = near2 / (1 - near2)
    dn = v2 - u1
    _row("NumPy     log_quotient, far pairs", median_times(
        {"new": lambda: kernels.log_quotient(u2, u1, d), "old": lambda: np.log1p(d / u1)}, args.repeats))
    _row("NumPy     log_quotient, near pairs (all |d| < b/2)", median_times(
        {"new": lambda: kernels.log_quotient(v2, u1, dn), "old": lambda: np.log1p(dn / u1)}, args.repeats))
    _bregman_rows(args, p1, p2, near2)


def _swapped(module: object, name: str, value: object, call: object) -> object:
    """``call()`` with ``module.name`` replaced by ``value`` (a jitted call traces it here)."""
    original = getattr(module, name)
    setattr(module, name, value)
    try:
        return call()
    finally:
        setattr(module, name, original)


def _switched(module: object, name: str, call: object) -> object:
    """``call()`` with ``module.name`` answering False (the route off)."""
    original = getattr(module, name)
    setattr(module, name, lambda *args: False)
    try:
        return call()
    finally:
        setattr(module, name, original)


def _bregman_rows(args: argparse.Namespace, p1: np.ndarray, p2: np.ndarray, near2: np.ndarray) -> None:
    """The Binomial(4) KL's NumPy form with LogQuotient against the same form with log1p(d/b)."""
    import sympy as sp

    import symgeom as sg
    from symgeom.numeric import log_quotient, symbolic

    family = sg.Binomial(4)
    form = symbolic.stable_kl(family)
    args_ = family.symbols(1) + family.symbols(2)
    new = symbolic.stable_numpy(family)
    modules = [_namespace(), "scipy", "numpy"]
    old = sp.lambdify(args_, log_quotient.plain(form), modules=modules)
    with np.errstate(all="ignore"):
        _row("NumPy     Binomial(4) KL form, random pairs", median_times(
            {"new": lambda: new(p1, p2), "old": lambda: old(p1, p2)}, args.repeats))
        _row("NumPy     Binomial(4) KL form, near pairs (1e-6)", median_times(
            {"new": lambda: new(p1, near2), "old": lambda: old(p1, near2)}, args.repeats))


def _namespace() -> dict[str, object]:
    """stable_numpy's primitives, without log_quotient (the form printed as before)."""
    from symgeom.numeric import bregman, kernels, lngamma, special

    return {"kl_div": kernels.kl_div, "chi": kernels.chi, "bregman_kl": bregman.bregman_kl,
            "lngamma_kl": lngamma.lngamma_kl, "polygamma": special.polygamma, "gammaln": special.gammaln,
            "sigmoid": kernels.sigmoid, "softplus": kernels.softplus, "softplus_diff": kernels.softplus_diff,
            "ratio": kernels.ratio, "softplus_diff_scaled": kernels.softplus_diff_scaled,
            "scaled_ratio": kernels.scaled_ratio, "scaled_sum": kernels.scaled_sum}


if __name__ == "__main__":
    main()
