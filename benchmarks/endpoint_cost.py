"""What taking limits at accepted endpoints costs, in one interleaved run.

    python benchmarks/endpoint_cost.py [--n 1000000] [--repeats 9]

Binomial(4) KL (p ∈ [0, 1]: every chart argument has two included endpoints) on n pairs inside
(0, 1), and the same pairs with one first argument in 10⁴ set to 0 or 1, timed with the endpoint
mechanism (:mod:`symgeom.numeric.endpoint_limits`, :mod:`symgeom.backends.endpoint_where`) and
with it switched off on the same compiled functions (medians, called alternately round by round).
Rows: NumPy (validate True and False), eager torch (float64, CPU), jitted JAX (float64, CPU).
Switched off, the inputs with an endpoint give nan (refused by NumPy): those rows are '—'.
"""

from __future__ import annotations

import argparse

import numpy as np
from _timing import median_times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()

    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import torch

    import symgeom as sg
    from symgeom.backends import compile as backend_compile

    rng = np.random.default_rng(0)
    a, b = rng.uniform(0.01, 0.99, args.n), rng.uniform(0.01, 0.99, args.n)
    a_end = a.copy()
    a_end[::20_000], a_end[10_000::20_000] = 0.0, 1.0
    derivation = sg.kl(sg.Binomial(4))

    def numpy_pair(validate: bool) -> tuple:
        on = derivation.numpy(validate=validate)
        off = derivation.numpy(validate=validate)
        off._has_endpoints = False
        return on, off

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

    torch_fn = derivation.torch()
    jax_fn = derivation.jax()
    jit_on = jax.jit(jax_fn)
    jit_off = jax.jit(Off(jax_fn))
    ta, tb, ta_end = (torch.from_numpy(x) for x in (a, b, a_end))
    ja, jb, ja_end = (jnp.asarray(x) for x in (a, b, a_end))

    rows = []
    for validate in (True, False):
        on, off = numpy_pair(validate)
        times = median_times({"on": lambda on=on: on(a, b), "off": lambda off=off: off(a, b),
                              "on_end": lambda on=on: on(a_end, b)}, args.repeats)
        rows.append((f"NumPy validate={validate}", times))
    times = median_times({"on": lambda: torch_fn(ta, tb), "off": lambda: Off(torch_fn)(ta, tb),
                          "on_end": lambda: torch_fn(ta_end, tb)}, args.repeats)
    rows.append(("torch eager", times))
    times = median_times({"on": lambda: jit_on(ja, jb).block_until_ready(),
                          "off": lambda: jit_off(ja, jb).block_until_ready(),
                          "on_end": lambda: jit_on(ja_end, jb).block_until_ready()}, args.repeats)
    rows.append(("JAX jit", times))

    print(f"Binomial(4) KL, n = {args.n}, medians of {args.repeats} interleaved rounds (ms)")
    print(f"{'':22s} {'off':>9s} {'on':>9s} {'on/off':>7s} {'on, with endpoints':>19s}")
    for name, t in rows:
        print(f"{name:22s} {1e3 * t['off']:9.2f} {1e3 * t['on']:9.2f} {t['on'] / t['off']:7.2f} "
              f"{1e3 * t['on_end']:19.2f}")


if __name__ == "__main__":
    main()
