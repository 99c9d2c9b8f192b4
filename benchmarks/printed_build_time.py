"""Build time of the printed torch/JAX functions: derivation, then ``.torch()`` (plan + printing,
incl. the printer's rewrites), then ``.jax()`` (the plan is shared, so only what differs).

    SYMGEOM_CACHE_DIR=$(mktemp -d) python benchmarks/printed_build_time.py [--quick] [--limit S]

One process, every catalog family/chart plus Binomial(60), Categorical(10) and
MultivariateGaussian(3, 'full'); entropy, KL and Fisher each.  A cell that does not finish in
``--limit`` seconds (default 120) is reported as such and the run goes on.  Run once with an empty
``SYMGEOM_CACHE_DIR`` (cold: derivations computed) and again with the same directory (warm: the
derivations come from disk; the printing is redone in every process).  Compare trees by running
the same command in each, one after the other.
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--limit", type=int, default=120)
    args = parser.parse_args()
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
