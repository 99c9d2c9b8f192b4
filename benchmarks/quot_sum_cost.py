"""What the exact quotient sums of the printed forms cost (``quot_sum``), torch and JAX, one run.

    python benchmarks/quot_sum_cost.py [--n 1000000] [--repeats 15] [--parts eager,compile,jax]
                                       [--single-thread]

:func:`symgeom.backends.quotient_forms.quot_sum` prints a sum of two quotients a/b + c/d whose terms
may cancel (the mean term of a natural-parameter Gaussian KL, −¼η₂'·(η₁'/η₂' − η₁/η₂)²) as
(a·d + c·b)/b/d with a·d and c·b exact (``two_prod``, Dekker's split: 17 flops each), the direct
a/b + c/d where a product is not finite or could be subnormal.  The printed forms that use it
(every catalog family × kl/entropy/fisher, searched by printing: the Gaussian natural chart and
the diagonal Gaussian's natural chart) are timed as printed now ("quot_sum") and with the rewrite
switched off (``quotient_forms._combine_quotients`` as the identity: the sum as SymPy prints it,
"direct"), each a function of its own, on N pairs of float64 inputs from μ ~ N(0, 1),
σ ~ U(0.5, 2) (η₁ = μ/σ², η₂ = −1/(2σ²)):

* torch eager: the printed form over torch's primitives (``BackendFunction._primitives``; eager
  CPU torch without autograd otherwise runs the NumPy kernel, which has no quot_sum);
* torch.compile (inductor's C++ backend on the CPU) of the same, by the compiled route of
  :mod:`symgeom.backends.torch_printed` (``torch_compile.FORCE``; a fallback to eager stops the run);
* JAX: ``jax.jit`` of the backend function (blocks of 2¹⁸ entries).

torch eager also times "quot_sum before": the same printed form with every entry through the exact
form (``quotient_forms._eager_cpu_split`` off), the code before the eager CPU split.

Each part runs in a process of its own; within a part the two variants are called alternately
round by round; the ratio is the median of the round-by-round ratios, with its quartiles.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import warnings

import numpy as np
from _timing import ratio_spread, round_times, single_thread

FAMILIES = ("gaussian natural", "diagonal(4) natural")


def _family(name: str):
    import symgeom as sg

    if name == "gaussian natural":
        return sg.Gaussian("natural")
    return sg.MultivariateGaussian(4, "diagonal", "natural")


def _inputs(name: str, n: int) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    shape = (n,) if name == "gaussian natural" else (n, 4)
    out = []
    for _ in range(2):
        mu, sigma = rng.normal(size=shape), rng.uniform(0.5, 2, size=shape)
        out += [mu / sigma**2, -0.5 / sigma**2]
    return out


def _variants(derivation, backend: str):
    """{"quot_sum": f, "direct": f}: fresh backend functions built with the rewrite on / off."""
    from symgeom.backends import compile as backend_compile
    from symgeom.backends import printer, quotient_forms

    out = {}
    saved = quotient_forms._combine_quotients
    for key, combine in (("quot_sum", saved), ("direct", lambda expr: expr)):
        quotient_forms._combine_quotients = combine
        printer.print_source.cache_clear()
        backend_compile.plan.cache_clear()
        try:
            function = backend_compile.BackendFunction(derivation, backend, validate=False)
            assert ("quot_sum(" in function._plan.source.text) == (key == "quot_sum"), key
        finally:
            quotient_forms._combine_quotients = saved
            printer.print_source.cache_clear()
            backend_compile.plan.cache_clear()
        out[key] = function
    return out


def _unsplit(f, x):
    """``f(*x)`` with quot_sum's eager CPU split off (every entry through the exact form)."""
    from symgeom.backends import quotient_forms

    saved = quotient_forms._eager_cpu_split
    quotient_forms._eager_cpu_split = lambda *args: None
    try:
        return f(*x)
    finally:
        quotient_forms._eager_cpu_split = saved


def part(kind: str, n: int, repeats: int, clock) -> list[tuple[str, dict[str, list[float]]]]:
    import symgeom as sg

    rows = []
    for name in FAMILIES:
        derivation = sg.kl(_family(name))
        arrays = _inputs(name, n)
        if kind == "jax":
            import jax

            jax.config.update("jax_enable_x64", True)
            import jax.numpy as jnp

            x = [jnp.asarray(a) for a in arrays]
            functions = {k: jax.jit(f) for k, f in _variants(derivation, "jax").items()}
            calls = {k: (lambda f=f, x=x: f(*x).block_until_ready()) for k, f in functions.items()}
        else:
            import torch

            from symgeom.backends import torch_compile
            from symgeom.backends.ops import torch_ops

            torch.set_grad_enabled(False)
            ops = torch_ops()
            x = [torch.from_numpy(a) for a in arrays]
            functions = {}
            for k, f in _variants(derivation, "torch").items():
                if kind == "compile":  # the compiled route of symgeom.backends.torch_printed
                    torch_compile.FORCE = True
                    functions[k] = f
                else:
                    functions[k] = lambda *a, f=f, ops=ops: f._primitives(ops, list(a), False)
            calls = {k: (lambda f=f, x=x: f(*x)) for k, f in functions.items()}
            if kind == "eager":  # the exact form at every entry: quot_sum before the eager CPU split
                calls["quot_sum before"] = lambda f=functions["quot_sum"], x=x: _unsplit(f, x)
        with warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)  # an eager fallback would not be compiled
            values = {k: np.asarray(c()) for k, c in calls.items()}
        scale = np.maximum(np.abs(values["direct"]), 1e-300)
        for key in ("quot_sum", "quot_sum before"):
            if key in values:
                print(f"  {kind} {name}: max |{key} − direct|/|direct| = "
                      f"{np.max(np.abs(values[key] - values['direct']) / scale):.1e}", flush=True)
        rows.append((f"{kind:8s} {name}", round_times(calls, repeats, clock)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--parts", default="eager,compile,jax")
    parser.add_argument("--single-thread", action="store_true", help="one thread, process time")
    parser.add_argument("--part", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.part is None:  # each part in a process of its own
        for kind in args.parts.split(","):
            command = [sys.executable, __file__, "--part", kind, "--n", str(args.n),
                       "--repeats", str(args.repeats)] + (["--single-thread"] if args.single_thread else [])
            subprocess.run(command, check=True)
        return
    clock = time.perf_counter
    if args.single_thread:
        if args.part != "jax":
            import torch

            torch.set_num_threads(1)
        single_thread()
        clock = time.process_time
    rows = part(args.part, args.n, args.repeats, clock)
    mode = "one thread, process time" if args.single_thread else "wall time"
    print(f"N = {args.n:,} pairs, float64, {args.repeats} interleaved rounds, {mode}")
    for name, times in rows:
        ratio, q1, q3 = ratio_spread(times, "quot_sum", "direct")
        direct, exact = (np.median(times[k]) * 1e3 for k in ("direct", "quot_sum"))
        print(f"{name:30s} direct {direct:8.2f} ms  quot_sum {exact:8.2f} ms  "
              f"ratio {ratio:5.2f} [{q1:.2f}, {q3:.2f}]", flush=True)
        if "quot_sum before" in times:
            ratio, q1, q3 = ratio_spread(times, "quot_sum before", "direct")
            before = np.median(times["quot_sum before"]) * 1e3
            print(f"{'':30s} quot_sum before the eager CPU split {before:8.2f} ms  "
                  f"ratio {ratio:5.2f} [{q1:.2f}, {q3:.2f}]", flush=True)


if __name__ == "__main__":
    main()
