"""What keeping subnormal results costs on JAX's normal path, in one interleaved run.

    python benchmarks/jax_subnormal_cost.py [--n 262144] [--repeats 15]

Two changes of ``symgeom.backends`` are timed against the code they replaced, both traced in this
process and called alternately round by round (medians, jitted, float64, normal-range inputs):

* the primitives' ldexp (``scaled_sum``/``scaled_ratio`` of the Bregman remainder's nodes, Gamma and
  Beta KL): bits assembled by :mod:`symgeom.backends.exact_ldexp` vs the two-factor product
  m·2^{⌊e/2⌋}·2^{e−⌊e/2⌋};
* the log-magnitude copy of Fisher entries (:mod:`symgeom.backends.tiny_forms`; Bernoulli-logit and
  Categorical(3)-logit Fisher; diagonal-Gaussian (d = 4) and Gamma Fisher, whose 1/σ², ψ′(α) … entries
  get it after the dilation) and of KLs (:mod:`symgeom.backends.tiny_kl`; Bernoulli, Gaussian,
  Poisson log-rate, Binomial(4)-logit Bregman remainder, Categorical(3) logit vectors) vs the same
  printed without it.
"""

from __future__ import annotations

import argparse

import numpy as np
from _timing import median_times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1 << 18)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--no-bregman", action="store_true", help="skip the Gamma/Beta rows")
    args = parser.parse_args()

    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    import symgeom as sg
    from symgeom.backends import compile as backend_compile
    from symgeom.backends import exact_ldexp, primitives, tiny_forms, tiny_kl, vector

    rng = np.random.default_rng(0)
    n = args.n

    def product_ldexp(xp):
        def ldexp(x, e):
            half = xp.floor(e / 2)
            return x * 2.0**half * 2.0 ** (e - half)

        return ldexp

    def block(f, *arrays):
        return lambda: f(*arrays).block_until_ready()

    def with_and_without(derivation, attribute: str, x, module=tiny_forms, off=lambda e, *rest: e):
        """The jitted backend function, and the same traced (at the arrays ``x``) with
        module.<attribute> replaced by ``off`` (the copy left out)."""
        backend_compile.plan.cache_clear()
        with_copy = jax.jit(backend_compile.compile_backend(derivation, "jax", validate=False))
        backend_compile.plan.cache_clear()
        saved = getattr(module, attribute)
        setattr(module, attribute, off)
        without = jax.jit(backend_compile.compile_backend(derivation, "jax", validate=False))
        without(*x).block_until_ready()  # traced with it off
        setattr(module, attribute, saved)
        backend_compile.plan.cache_clear()
        return with_copy, without

    rows = []
    bregman = [
        (sg.Gamma(), [rng.uniform(0.5, 5, n), rng.uniform(0.5, 5, n), rng.uniform(0.5, 5, n),
                      rng.uniform(0.5, 5, n)]),
        (sg.Beta(), [rng.uniform(0.5, 5, n) for _ in range(4)]),
    ]
    for family, arrays in [] if args.no_bregman else bregman:
        d = sg.kl(family)
        x = [jnp.asarray(a) for a in arrays]
        new = backend_compile.compile_backend(d, "jax", validate=False)
        exact = jax.jit(lambda *a, f=new: f(*a))
        exact(*x).block_until_ready()
        primitives.ldexp_for = product_ldexp  # the code before: traced now, kept by jit
        old = jax.jit(lambda *a, f=new: f(*a))
        old(*x).block_until_ready()
        primitives.ldexp_for = exact_ldexp.ldexp_for
        t = median_times({"exact": block(exact, *x), "before": block(old, *x)}, args.repeats)
        rows.append((f"{family.label} KL (Bregman nodes)", t["exact"], t["before"]))
        print(*rows[-1], flush=True)

    for family, arrays in [
        (sg.Bernoulli("logit"), [rng.normal(0, 5, n)]),
        (sg.Categorical(3, "logits"), [np.column_stack([rng.normal(0, 5, (n, 2)), np.zeros(n)])]),
        (sg.MultivariateGaussian(4, "diagonal", "mean_std"),
         [rng.normal(size=(n, 4)), rng.uniform(0.5, 2, (n, 4))]),
        (sg.Gamma(), [rng.uniform(0.5, 5, n), rng.uniform(0.5, 5, n)]),
    ]:
        d = sg.fisher(family)
        x = [jnp.asarray(a) for a in arrays]
        with_copy, without = with_and_without(d, "rescued", x)
        t = median_times({"exact": block(with_copy, *x), "before": block(without, *x)}, args.repeats)
        rows.append((f"{family.label} Fisher", t["exact"], t["before"]))
        print(*rows[-1], flush=True)

    kl_cases = [
        (sg.Bernoulli(), [rng.uniform(0.01, 0.99, n), rng.uniform(0.01, 0.99, n)], "kl_div sum"),
        (sg.Gaussian(), [rng.normal(size=n), rng.uniform(0.5, 2, n), rng.normal(size=n),
                         rng.uniform(0.5, 2, n)], "printed form"),
        (sg.Poisson("log_rate"), [rng.normal(size=n), rng.normal(size=n)], "printed form"),
        (sg.Binomial(4, "logit"), [rng.normal(0, 3, n), rng.normal(0, 3, n)], "Bregman remainder"),
    ]
    for family, arrays, what in kl_cases:
        d = sg.kl(family)
        x = [jnp.asarray(a) for a in arrays]
        with_copy, without = with_and_without(d, "rescued_kl", x, tiny_kl)
        t = median_times({"exact": block(with_copy, *x), "before": block(without, *x)}, args.repeats)
        rows.append((f"{family.label} KL ({what})", t["exact"], t["before"]))
        print(*rows[-1], flush=True)

    family = sg.Categorical(3, "logits")
    d = sg.kl(family)
    x = [jnp.asarray(np.column_stack([rng.normal(0, 5, (n, 2)), np.zeros(n)])) for _ in range(2)]
    with_copy, without = with_and_without(d, "rescue_vector", x, vector, lambda ops, value, *rest: value)
    t = median_times({"exact": block(with_copy, *x), "before": block(without, *x)}, args.repeats)
    rows.append((f"{family.label} KL (vector form)", t["exact"], t["before"]))
    print(*rows[-1], flush=True)

    print(f"N = {n:,}, float64, jit, medians of {args.repeats} interleaved calls")
    print(f"{'case':42s} {'now ms':>9s} {'before ms':>10s} {'ratio':>7s}")
    for name, now, before in rows:
        print(f"{name:42s} {now * 1e3:9.2f} {before * 1e3:10.2f} {now / before:7.2f}")


if __name__ == "__main__":
    main()
