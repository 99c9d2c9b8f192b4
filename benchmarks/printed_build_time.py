"""Build time of the printed torch/JAX functions: derivation, then ``.torch()`` (plan + printing,
incl. the printer's rewrites), then ``.jax()`` (the plan is shared, so only what differs).

    SYMGEOM_CACHE_DIR=$(mktemp -d) python benchmarks/printed_build_time.py [--quick] [--limit S]

One process, every catalog family/chart plus Binomial(60), Categorical(10) and
MultivariateGaussian(3, 'full'); entropy, KL and Fisher each.  A cell that does not finish in
``--limit`` seconds (default 120) is reported as such and the run goes on.  Run once with an empty
``SYMGEOM_CACHE_DIR`` (cold: derivations computed) and again with the same directory (warm: the
derivations come from disk; the printing is redone in every process).  Compare trees by running
the same command in each, one after the other.

    python benchmarks/printed_build_time.py --rewrites

isolates the printer's rewrites (backends.log_terms, backends.weighted_chi) from the load of a
shared machine: per derivation (from the disk cache), the torch plan is built with and without
them, interleaved, median of three; proofs of log_terms come from the disk cache after the first
round (the first round's time, which may compute them, is reported apart as "first").
"""

from __future__ import annotations

import argparse
import signal
import time
from collections.abc import Callable

import symgeom as sg
from symgeom.verification.catalog import catalog_families

QUANTITIES = {"entropy": sg.entropy, "kl": sg.kl, "fisher": sg.fisher}


class _LateError(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise _LateError


def _timed(function: Callable[[], object], limit: int) -> tuple[float | str, object]:
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(limit)
    start = time.perf_counter()
    try:
        value = function()
    except _LateError:
        return f">{limit}s", None
    except Exception as error:  # a refusal (UnknownQuantityError …) is a result too
        return type(error).__name__, None
    finally:
        signal.alarm(0)
    return time.perf_counter() - start, value


def _families(quick: bool) -> list[sg.Family]:
    extra = [sg.Binomial(60), sg.Categorical(10), sg.MultivariateGaussian(3, "full")]
    if quick:
        return [sg.Geometric(), sg.Binomial(4), sg.Bernoulli("logit"), *extra]
    return [*catalog_families(), *extra]


def _cell(value: float | str) -> str:
    return f"{value:.2f}" if isinstance(value, float) else value


def _plan_time(derivation: object, rewrites: bool) -> float:
    from symgeom.backends import compile as backend_compile
    from symgeom.backends import printer

    saved = printer.guarded_logs, printer.weighted_chis
    if not rewrites:
        printer.guarded_logs = printer.weighted_chis = lambda e: e
    try:
        backend_compile.plan.cache_clear()
        printer.print_source.cache_clear()
        start = time.perf_counter()
        backend_compile.plan(derivation)
        return time.perf_counter() - start
    finally:
        printer.guarded_logs, printer.weighted_chis = saved


def rewrites_table(quick: bool, limit: int) -> None:
    import statistics

    print("| family | quantity | plan without rewrites s | with s | first with s |")
    print("|---|---|---|---|---|")
    sums = [0.0, 0.0, 0.0]
    for family in _families(quick):
        for name, derive in QUANTITIES.items():
            _, derivation = _timed(lambda d=derive, f=family: d(f), limit)
            if derivation is None:
                continue
            first, _ = _timed(lambda d=derivation: _plan_time(d, True), limit)
            if not isinstance(first, float):
                print(f"| {family.label} | {name} | | | {first} |", flush=True)
                continue
            rounds = [(_plan_time(derivation, False), _plan_time(derivation, True)) for _ in range(3)]
            off, on = (statistics.median(r) for r in zip(*rounds, strict=True))
            for i, v in enumerate((off, on, first)):
                sums[i] += v
            print(f"| {family.label} | {name} | {off:.3f} | {on:.3f} | {first:.3f} |", flush=True)
    print(f"| total | | {sums[0]:.2f} | {sums[1]:.2f} | {sums[2]:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--limit", type=int, default=120)
    parser.add_argument("--rewrites", action="store_true")
    args = parser.parse_args()
    if args.rewrites:
        rewrites_table(args.quick, args.limit)
        return
    print("| family | quantity | derive s | .torch() s | .jax() s |")
    print("|---|---|---|---|---|")
    totals = {"derive": 0.0, "torch": 0.0, "jax": 0.0}
    for family in _families(args.quick):
        for name, derive in QUANTITIES.items():
            t_derive, derivation = _timed(lambda d=derive, f=family: d(f), args.limit)
            t_torch = t_jax = "-"
            if derivation is not None:
                t_torch, _ = _timed(derivation.torch, args.limit)
                t_jax, _ = _timed(derivation.jax, args.limit)
            for key, value in (("derive", t_derive), ("torch", t_torch), ("jax", t_jax)):
                if isinstance(value, float):
                    totals[key] += value
            print(f"| {family.label} | {name} | {_cell(t_derive)} | {_cell(t_torch)} | {_cell(t_jax)} |",
                  flush=True)
    print(f"| total | | {totals['derive']:.1f} | {totals['torch']:.1f} | {totals['jax']:.1f} |")


if __name__ == "__main__":
    main()
