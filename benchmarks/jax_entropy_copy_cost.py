"""What keeping subnormal entropies costs on JAX's normal path, in one interleaved run.

    python benchmarks/jax_entropy_copy_cost.py [--n 262144] [--repeats 15]

Each entropy is traced twice in this process — as printed now, and with the log-magnitude copy of
:mod:`symgeom.backends.tiny_entropy` switched off (``rescued_entropy`` / ``softmax_rows`` as the
identity) — and the two jitted functions are called alternately round by round (medians, float64,
inputs whose entropy is ≥ 2⁻¹⁰⁰⁰, so the copy is never selected: what is measured is the one
reduction and ``lax.cond`` per block).  The Binomial(4) row compares the per-outcome sum printed now
with the derived closed form printed before (no copy in either: the form change alone).
"""

from __future__ import annotations

import argparse

import numpy as np
from _timing import median_times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1 << 18)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()

    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    import symgeom as sg
    from symgeom.backends import compile as backend_compile
    from symgeom.backends import softmax_entropy, tiny_entropy

    rng = np.random.default_rng(0)
    n = args.n

    def traced(derivation, x, **off):
        """The jitted backend entropy with the tiny_entropy attributes in ``off`` replaced (traced
        at ``x`` while they are: a vector form reads them when it is traced)."""
        saved = {name: getattr(tiny_entropy, name) for name in off}
        for name, value in off.items():
            setattr(tiny_entropy, name, value)
        backend_compile.plan.cache_clear()
        softmax_entropy.jax_entropy.cache_clear()
        function = jax.jit(backend_compile.compile_backend(derivation, "jax", validate=False))
        function(*x).block_until_ready()
        for name, value in saved.items():
            setattr(tiny_entropy, name, value)
        return function

    identity = {"rescued_entropy": lambda e: e, "softmax_rows": lambda value, z: value,
                "outcome_rows": lambda ops, value, p: value}
    p = rng.uniform(0.01, 0.99, n)
    probs = rng.dirichlet(np.ones(3), n)
    cases = [
        ("Bernoulli prob", sg.Bernoulli(), [p], identity),
        ("Bernoulli logit", sg.Bernoulli("logit"), [rng.normal(0, 5, n)], identity),
        ("Categorical(3) probs", sg.Categorical(3), [probs], identity),
        ("Categorical(7) probs (simplex form)", sg.Categorical(7), [rng.dirichlet(np.ones(7), n)],
         identity),
        ("Categorical(3) logits", sg.Categorical(3, "logits"),
         [np.column_stack([rng.normal(0, 5, (n, 2)), np.zeros(n)])], identity),
        ("Geometric logit", sg.Geometric("logit"), [rng.normal(0, 5, n)], identity),
        ("Binomial(4) prob: per outcome vs derived", sg.Binomial(4), [p],
         {"rescued_entropy": lambda e: e, "bounded_count_entropy": lambda f: None}),
    ]
    rows = []
    for name, family, arrays, off in cases:
        d = sg.entropy(family)
        x = [jnp.asarray(a) for a in arrays]
        off_now = {"rescued_entropy": off["rescued_entropy"]} if "bounded_count_entropy" in off else {}
        now, before = traced(d, x, **off_now), traced(d, x, **off)
        t = median_times({"now": lambda f=now, x=x: f(*x).block_until_ready(),
                          "before": lambda f=before, x=x: f(*x).block_until_ready()}, args.repeats)
        rows.append((name, t["now"], t["before"]))
        print(*rows[-1], flush=True)

    print(f"N = {n:,}, float64, jit, medians of {args.repeats} interleaved calls")
    print(f"{'entropy':42s} {'now ms':>9s} {'before ms':>10s} {'ratio':>7s}")
    for name, now, before in rows:
        print(f"{name:42s} {now * 1e3:9.2f} {before * 1e3:10.2f} {now / before:7.2f}")


if __name__ == "__main__":
    main()
