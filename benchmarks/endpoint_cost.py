"""What taking limits at accepted endpoints costs, in one interleaved run.

    python benchmarks/endpoint_cost.py [--n 1000000] [--repeats 9]

Bernoulli and Binomial(4) KL (p ∈ [0, 1]: every argument has two included endpoints) on n pairs
inside (0, 1), and the same pairs with one first argument in 10⁴ set to 0 or 1, timed with the endpoint
mechanism (:mod:`symgeom.numeric.endpoint_limits`, :mod:`symgeom.backends.endpoint_where`) and
with it switched off on the same compiled functions (medians, called alternately round by round).
Rows: NumPy (validate True and False), eager torch (float64, CPU), jitted JAX (float64, CPU).
'on, ends' is the cost when endpoints are present (switched off, those entries are nan or refused).
"""

from __future__ import annotations

import argparse

import numpy as np
from _timing import median_times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000, help="pairs for NumPy")
    parser.add_argument("--n-backends", type=int, default=100_000, help="pairs for torch and JAX")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    import jax

    jax.config.update("jax_enable_x64", True)
    import symgeom as sg

    print(f"KL, medians of {args.repeats} interleaved rounds (ms); "
          "ends: one first argument in 10⁴ at 0 or 1")
    print(f"{'':34s} {'n':>8s} {'off':>9s} {'on':>9s} {'on/off':>7s} {'on, ends':>9s}")
    for family in (sg.Bernoulli(), sg.Binomial(4)):
        # the Binomial's torch/JAX form is the generic Bregman remainder (74 nodes): fewer pairs
        n_backends = args.n_backends if family.name == "bernoulli" else args.n_backends // 10
        for name, n, t in _rows(sg.kl(family), args.n, n_backends, args.repeats):
            print(f"{family.label + ' ' + name:34s} {n:8d} {1e3 * t['off']:9.2f} {1e3 * t['on']:9.2f} "
                  f"{t['on'] / t['off']:7.2f} {1e3 * t['on_end']:9.2f}")


def _pairs(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0.01, 0.99, n), rng.uniform(0.01, 0.99, n)
    a_end = a.copy()
    a_end[::20_000], a_end[10_000::20_000] = 0.0, 1.0
    return a, b, a_end


def _rows(derivation, n: int, n_backends: int, repeats: int) -> list[tuple[str, int, dict[str, float]]]:
    import jax
    import jax.numpy as jnp
    import torch

    from symgeom.backends import compile as backend_compile

    class Off:
        """A backend function with endpoint_where switched off for its calls."""

        def __init__(self, function):
            self.function = function

        def __call__(self, *arrays):
            saved = backend_compile.endpoint_where.applies
            backend_compile.endpoint_where.applies = lambda *_: False
            try:
                return self.function(*arrays)
            finally:
                backend_compile.endpoint_where.applies = saved

    rows = []
    a, b, a_end = _pairs(n)
    for validate in (True, False):
        on = derivation.numpy(validate=validate)
        off = derivation.numpy(validate=validate)
        off._has_endpoints = False
        times = median_times({"on": lambda on=on: on(a, b), "off": lambda off=off: off(a, b),
                              "on_end": lambda on=on: on(a_end, b)}, repeats)
        rows.append((f"NumPy validate={validate}", n, times))
    a, b, a_end = _pairs(n_backends)
    torch_fn = derivation.torch()
    ta, tb, ta_end = (torch.from_numpy(x) for x in (a, b, a_end))
    times = median_times({"on": lambda: torch_fn(ta, tb), "off": lambda: Off(torch_fn)(ta, tb),
                          "on_end": lambda: torch_fn(ta_end, tb)}, repeats)
    rows.append(("torch eager", n_backends, times))
    jax_fn = derivation.jax()
    jit_on, jit_off = jax.jit(jax_fn), jax.jit(Off(jax_fn))
    ja, jb, ja_end = (jnp.asarray(x) for x in (a, b, a_end))
    times = median_times({"on": lambda: jit_on(ja, jb).block_until_ready(),
                          "off": lambda: jit_off(ja, jb).block_until_ready(),
                          "on_end": lambda: jit_on(ja_end, jb).block_until_ready()}, repeats)
    rows.append(("JAX jit", n_backends, times))
    return rows


if __name__ == "__main__":
    main()
