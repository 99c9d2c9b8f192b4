"""What keeping subnormal results costs on JAX's normal path, in one interleaved run.

    python benchmarks/jax_subnormal_cost.py [--n 262144] [--repeats 15] [--single-thread] [--only KL]

Two changes of ``symgeom.backends`` are timed against the code they replaced, both traced in this
process and called alternately round by round (medians, jitted, float64, normal-range inputs):

* the primitives' ldexp (``scaled_sum``/``scaled_ratio`` of the Bregman remainder's nodes, Gamma and
  Beta KL): bits assembled by :mod:`symgeom.backends.exact_ldexp` vs the two-factor product
  m·2^{⌊e/2⌋}·2^{e−⌊e/2⌋};
* the log-magnitude copy of Fisher entries (:mod:`symgeom.backends.tiny_forms`; Bernoulli-logit and
  Categorical(3)-logit Fisher) and of KLs (:mod:`symgeom.backends.tiny_kl`; Bernoulli, Gaussian,
  Poisson log-rate, Binomial(4)-logit Bregman remainder, Categorical(3) logit vectors): "now" (the
  copy in a ``while_loop`` run at most once, on min |v|) and "cond" (the copy under ``lax.cond`` on
  any(|v| < T), the code before) against "off", the same form printed without the copy.

Each variant is a fresh ``BackendFunction`` built while its switch is set (``compile_backend``
returns one cached function per derivation: asking it twice gives the same function, so a
comparison must not go through it — this script's first version did, and timed the copy against
itself).  Ratios are the medians of the round-by-round ratios, with their quartiles.
``--single-thread``: XLA on the calling thread and process time (on the loaded shared machine the
wall time of a multi-threaded call carries its threads' scheduling).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from _timing import median_times, ratio_spread, round_times, single_thread


def cond_rescue_for(name: str, xp: Any) -> Callable[..., Any]:
    """The ``tiny_rescue`` before this change: any(|v| < T), then ``lax.cond`` (as it was)."""
    from symgeom.backends import tiny_forms

    if name != "jax":
        return lambda value, sign, log_abs: value

    def tiny_rescue(value, sign, log_abs):
        import jax

        from symgeom.backends.exact_ldexp import exact_exp

        if isinstance(value, int | float):
            return value

        def with_copy(value):
            log_value = jax.lax.stop_gradient(xp.broadcast_to(log_abs(), value.shape))
            rescue = exact_exp(xp.astype(log_value, value.dtype))
            rescue = xp.where(sign < 0, -rescue, rescue) if hasattr(sign, "dtype") or sign < 0 else rescue
            return tiny_forms._pick()(value, jax.lax.stop_gradient(rescue))

        bits = 64 if value.dtype == xp.float64 else 32
        small = xp.any(xp.abs(value) < tiny_forms.THRESHOLD[bits])
        return jax.lax.cond(small, with_copy, lambda v: v, value)

    return tiny_rescue


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1 << 18)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--no-bregman", action="store_true", help="skip the Gamma/Beta rows")
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
    from symgeom.backends import exact_ldexp, primitives, printer, tiny_forms, tiny_kl, vector

    rng = np.random.default_rng(0)
    n = args.n
    wanted = [w for w in args.only.split(",") if w]

    def run(name: str) -> bool:
        return not wanted or any(w.lower() in name.lower() for w in wanted)

    def product_ldexp(xp):
        def ldexp(x, e):
            half = xp.floor(e / 2)
            return x * 2.0**half * 2.0 ** (e - half)

        return ldexp

    def block(f, *arrays):
        return lambda: f(*arrays).block_until_ready()

    def fresh(derivation, x, patches):
        """A jitted BackendFunction built (and traced at ``x``) with ``patches`` = [(module,
        attribute, value)] in place, then restored."""
        saved = [(m, a, getattr(m, a)) for m, a, _ in patches]
        for m, a, v in patches:
            setattr(m, a, v)
        backend_compile.plan.cache_clear()
        try:
            function = jax.jit(backend_compile.BackendFunction(derivation, "jax", validate=False))
            function(*x).block_until_ready()
        finally:
            for m, a, v in saved:
                setattr(m, a, v)
            backend_compile.plan.cache_clear()
        return function

    cond_patches = [(module, "tiny_rescue_for", cond_rescue_for) for module in (printer, tiny_forms, tiny_kl)]

    rows = []

    def compare(name, derivation, x, off_patches):
        functions = {"now": fresh(derivation, x, []), "cond": fresh(derivation, x, cond_patches),
                     "off": fresh(derivation, x, off_patches)}
        reference = np.asarray(functions["off"](*x))
        for key in ("now", "cond"):
            assert np.array_equal(np.asarray(functions[key](*x)), reference, equal_nan=True), (name, key)
        times = round_times({k: block(f, *x) for k, f in functions.items()}, args.repeats, clock)
        rows.append((name, times))
        print(name, {k: f"{np.median(v) * 1e3:.2f} ms" for k, v in times.items()}, flush=True)

    bregman = [
        (sg.Gamma(), [rng.uniform(0.5, 5, n), rng.uniform(0.5, 5, n), rng.uniform(0.5, 5, n),
                      rng.uniform(0.5, 5, n)]),
        (sg.Beta(), [rng.uniform(0.5, 5, n) for _ in range(4)]),
    ]
    ldexp_rows = []
    for family, arrays in [] if args.no_bregman else bregman:
        if not run(f"{family.label} KL (Bregman nodes)"):
            continue
        d = sg.kl(family)
        x = [jnp.asarray(a) for a in arrays]
        new = backend_compile.BackendFunction(d, "jax", validate=False)
        exact = jax.jit(lambda *a, f=new: f(*a))
        exact(*x).block_until_ready()
        primitives.ldexp_for = product_ldexp  # the code before: traced now, kept by jit
        old = jax.jit(lambda *a, f=new: f(*a))
        old(*x).block_until_ready()
        primitives.ldexp_for = exact_ldexp.ldexp_for
        t = median_times({"exact": block(exact, *x), "before": block(old, *x)}, args.repeats, clock)
        ldexp_rows.append((f"{family.label} KL (Bregman nodes)", t["exact"], t["before"]))
        print(*ldexp_rows[-1], flush=True)

    for family, arrays in [
        (sg.Bernoulli("logit"), [rng.normal(0, 5, n)]),
        (sg.Categorical(3, "logits"), [np.column_stack([rng.normal(0, 5, (n, 2)), np.zeros(n)])]),
    ]:
        if run(f"{family.label} Fisher"):
            x = [jnp.asarray(a) for a in arrays]
            compare(f"{family.label} Fisher", sg.fisher(family), x, [(tiny_forms, "rescued", lambda e: e)])

    kl_cases = [
        (sg.Bernoulli(), [rng.uniform(0.01, 0.99, n), rng.uniform(0.01, 0.99, n)], "kl_div sum"),
        (sg.Gaussian(), [rng.normal(size=n), rng.uniform(0.5, 2, n), rng.normal(size=n),
                         rng.uniform(0.5, 2, n)], "printed form"),
        (sg.Poisson("log_rate"), [rng.normal(size=n), rng.normal(size=n)], "printed form"),
        (sg.Binomial(4, "logit"), [rng.normal(0, 3, n), rng.normal(0, 3, n)], "Bregman remainder"),
    ]
    for family, arrays, what in kl_cases:
        if run(f"{family.label} KL ({what})"):
            x = [jnp.asarray(a) for a in arrays]
            compare(f"{family.label} KL ({what})", sg.kl(family), x, [(tiny_kl, "rescued_kl", lambda e: e)])

    family = sg.Categorical(3, "logits")
    if run(f"{family.label} KL (vector form)"):
        x = [jnp.asarray(np.column_stack([rng.normal(0, 5, (n, 2)), np.zeros(n)])) for _ in range(2)]
        compare(f"{family.label} KL (vector form)", sg.kl(family), x,
                [(vector, "rescue_vector", lambda ops, value, *rest: value)])

    mode = "one XLA thread, process time" if args.single_thread else "wall time"
    print(f"N = {n:,}, float64, jit, {args.repeats} interleaved rounds, {mode}")
    if ldexp_rows:
        print(f"{'exact ldexp':42s} {'now ms':>9s} {'before ms':>10s} {'ratio':>7s}")
        for name, now, before in ldexp_rows:
            print(f"{name:42s} {now * 1e3:9.2f} {before * 1e3:10.2f} {now / before:7.2f}")
    print(f"{'copy':42s} {'off ms':>8s} {'now/off [quartiles]':>22s} {'cond/off [quartiles]':>22s}")
    for name, times in rows:
        now, cond = ratio_spread(times, "now", "off"), ratio_spread(times, "cond", "off")
        print(f"{name:42s} {np.median(times['off']) * 1e3:8.2f} "
              f"{now[0]:6.2f} [{now[1]:.2f}, {now[2]:.2f}]   {cond[0]:6.2f} [{cond[1]:.2f}, {cond[2]:.2f}]")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
