"""What keeping subnormal entropies costs on JAX's normal path, in one interleaved run.

    python benchmarks/jax_entropy_copy_cost.py [--n 262144] [--repeats 15] [--single-thread]

Each entropy is traced twice in this process — as printed now, and with the log-magnitude copy of
:mod:`symgeom.backends.tiny_entropy` switched off (``rescued_entropy`` / ``softmax_rows`` as the
identity) — and the two jitted functions are called alternately round by round (medians, float64,
inputs whose entropy is ≥ 2⁻¹⁰⁰⁰, so the copy is never selected: what is measured is the one
reduction and the copy's loop per block).  The Binomial(16) row compares the per-outcome sum printed
now with the derived closed form printed before (no copy in either: the form change alone).

Each variant is a fresh ``BackendFunction`` built while its switch is set (``compile_backend`` keeps
one function per derivation, so building through it twice gave the same function: this script's
first version timed each form against itself).  ``--single-thread``: XLA on the calling thread and
process time (see ``_timing.single_thread``); ratios are medians of round-by-round ratios.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _timing import ratio_spread, round_times, single_thread


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1 << 18)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--single-thread", action="store_true", help="one XLA thread, process time")
    parser.add_argument("--only", default="", help="comma-separated substrings of the rows to run")
    args = parser.parse_args()
    clock = time.perf_counter
    if args.single_thread:
        single_thread()
        clock = time.process_time

    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    import symgeom as sg
    from symgeom.backends import compile as backend_compile
    from symgeom.backends import softmax_entropy, tiny_entropy

    rng = np.random.default_rng(0)
    n = args.n

    def traced(derivation, x, **off):
        """The jitted backend entropy with the tiny_entropy attributes in ``off`` replaced."""
        saved = {name: getattr(tiny_entropy, name) for name in off}
        for name, value in off.items():
            setattr(tiny_entropy, name, value)
        backend_compile.plan.cache_clear()
        softmax_entropy.jax_entropy.cache_clear()
        function = jax.jit(backend_compile.BackendFunction(derivation, "jax", validate=False))
        function(*x).block_until_ready()  # traced with the switches set
        for name, value in saved.items():
            setattr(tiny_entropy, name, value)
        backend_compile.plan.cache_clear()
        return function

    identity = {"rescued_entropy": lambda e: e, "softmax_rows": lambda value, z: value,
                "outcome_rows": lambda ops, value, p: value}
    p = rng.uniform(0.01, 0.99, n)
    probs = rng.dirichlet(np.ones(3), n)
    cases = [
        ("Bernoulli prob", sg.Bernoulli(), [p], identity),
        ("Bernoulli logit", sg.Bernoulli("logit"), [rng.normal(0, 5, n)], identity),
        ("Categorical(3) probs", sg.Categorical(3), [probs], identity),
        ("Categorical(3) logits", sg.Categorical(3, "logits"),
         [np.column_stack([rng.normal(0, 5, (n, 2)), np.zeros(n)])], identity),
        ("Geometric logit", sg.Geometric("logit"), [rng.normal(0, 5, n)], identity),
    ] + [(f"Binomial({k}) prob: per outcome vs derived", sg.Binomial(k), [p],
          {"rescued_entropy": lambda e: e, "bounded_count_entropy": lambda f: None}) for k in (16,)]
    rows = []
    wanted = [w for w in args.only.split(",") if w]
    for name, family, arrays, off in cases:
        if wanted and not any(w.lower() in name.lower() for w in wanted):
            continue
        d = sg.entropy(family)
        x = [jnp.asarray(a) for a in arrays]
        off_now = {"rescued_entropy": off["rescued_entropy"]} if "bounded_count_entropy" in off else {}
        now, before = traced(d, x, **off_now), traced(d, x, **off)
        t = round_times({"now": lambda f=now, x=x: f(*x).block_until_ready(),
                         "before": lambda f=before, x=x: f(*x).block_until_ready()}, args.repeats, clock)
        rows.append((name, t))
        print(name, {k: f"{np.median(v) * 1e3:.2f} ms" for k, v in t.items()}, flush=True)

    mode = "one XLA thread, process time" if args.single_thread else "wall time"
    print(f"N = {n:,}, float64, jit, {args.repeats} interleaved rounds, {mode}")
    print(f"{'entropy':42s} {'now ms':>9s} {'before ms':>10s} {'ratio [quartiles]':>20s}")
    for name, t in rows:
        ratio, q1, q3 = ratio_spread(t, "now", "before")
        print(f"{name:42s} {np.median(t['now']) * 1e3:9.2f} {np.median(t['before']) * 1e3:10.2f} "
              f"{ratio:7.2f} [{q1:.2f}, {q3:.2f}]")


if __name__ == "__main__":
    main()
