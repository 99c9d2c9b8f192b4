"""What ``.numpy()``, ``.torch()`` and ``.jax()`` do for every catalog family/chart and the sizes users
reach: works / refuses (with the reason) / hangs (> LIMIT s) / wrong — for KL, entropy, Fisher, and
(NumPy, ``symgeom.natural``) the Fisher-vector product and the natural gradient.

    python benchmarks/backend_survey.py [--quick] [--jobs N] > survey.md     # Markdown on stdout

Each family runs in its own process (2 at a time by default); every item (derive, build, evaluate) is
bounded by SIGALRM at LIMIT seconds ("hangs") and the process by 20·LIMIT.  Points: three valid chart
points per family from ``symgeom.verification.sampling.draw_point`` (seeded), KL between consecutive
ones.  References: for families on the integers with scalar parameters (Bernoulli, Binomial, Geometric,
Poisson, negative binomial) the entropy and KL are 50-digit mpmath sums over outcomes of the family's
log-density (its definition, not the derived result; infinite supports summed past the mean until a
term is below 1e-45 of the total); everything else is compared with ``.numpy()`` (itself checked against
mpmath references in tests/).  Bars: 1e-12 relative against mpmath, 1e-10 against NumPy (the tested
backend agreement, 1e-9 for full covariances); a value beyond it is "wrong", a nan/inf "wrong".
The FVP is checked against F·v with F from ``.numpy()``, the natural gradient against solve(F, g).
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

#: seconds per item before it counts as a hang
LIMIT = 60
#: families per worker process
CHUNK = 4
QUANTITIES = ("kl", "entropy", "fisher")
BACKENDS = ("numpy", "torch", "jax")


def cases(quick: bool) -> list[str]:
    """Family constructor expressions (evaluated with ``sg`` = symgeom)."""
    out = []
    binomial = (1, 4, 16, 17, 64, 65, 200, 1000)
    negative = (1, 3, 16, 17, 50, 1000)
    categorical = (2, 7, 100, 1000)
    dims = (1, 2, 3, 4, 5, 6, 7, 8, 10)
    if quick:
        binomial, negative, categorical, dims = (4, 65), (3, 17), (2, 7), (2, 10)
    for p in ("prob", "logit"):
        out.append(f"sg.Bernoulli({p!r})")
        out += [f"sg.Binomial({n}, {p!r})" for n in binomial]
        out += [f"sg.NegativeBinomial({r}, {p!r})" for r in negative]
        out.append(f"sg.Geometric().with_param({p!r})")
    out += [f"sg.Categorical({k}, {p!r})" for k in categorical for p in ("probs", "logits")]
    out += [f"sg.Gaussian({p!r})" for p in ("mean_std", "mean_var", "natural", "mean_logstd")]
    for name in ("Poisson", "Exponential", "Gamma", "Beta", "Laplace"):
        out.append(f"*[sg.{name}().with_param(p) for p in sg.{name}().parameterization_names]")
    out += [f"*[sg.Dirichlet({k}).with_param(p) for p in sg.Dirichlet({k}).parameterization_names]"
            for k in ((2, 3, 7, 10) if not quick else (3,))]
    for d in dims:
        out.append(f"sg.MultivariateGaussian({d}, 'diagonal')")
        out.append(f"sg.MultivariateGaussian({d}, 'full')")
    return out


def expand(expr: str) -> list[str]:
    """One expression per family (``*[…]`` lists expanded; building a family derives nothing)."""
    if not expr.startswith("*"):
        return [expr]
    import symgeom as sg

    families = eval(expr[1:], {"sg": sg})
    return [f"({expr[1:]})[{i}]" for i in range(len(families))]


class _HangError(Exception):
    pass


def _alarm(_signum: int, _frame: Any) -> None:
    raise _HangError


def _bounded(function: Any) -> tuple[str, Any]:
    """("ok", value) | ("hang", None) | ("refuse", reason) | ("error", text), within LIMIT seconds."""
    from symgeom.errors import SymgeomError

    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(LIMIT)
    try:
        return "ok", function()
    except _HangError:
        return "hang", None
    except (SymgeomError, NotImplementedError) as error:
        return "refuse", f"{type(error).__name__}: {error}"
    except Exception as error:
        return "error", f"{type(error).__name__}: {str(error)[:200]}"
    finally:
        signal.alarm(0)


def _mp_reference(family: Any, quantity: str, points: list[tuple[float, ...]]) -> list[float] | None:
    """50-digit sums over outcomes of the log-density (count families with scalar parameters)."""
    import mpmath as mp
    import sympy as sp

    from symgeom.families.base import IntegerSupport

    support = family.support
    if quantity == "fisher" or not isinstance(support, IntegerSupport) or len(family.variables) != 1 \
            or any(a.kind != "scalar" for a in _inputs(family)):
        return None
    (x,) = family.variables
    upper = None if support.upper is None else int(sp.sympify(support.upper))
    symbols = family.symbols()
    log_p = sp.lambdify((x, *symbols), family.log_density(), modules="mpmath")

    def ell(k: int, point: tuple[float, ...]) -> Any:
        with mp.workdps(60):
            try:
                return mp.mpf(log_p(k, *[mp.mpf(v) for v in point]))
            except (ValueError, ZeroDivisionError):
                return -mp.inf

    out = []
    with mp.workdps(50):
        for i in range(len(points) - (1 if quantity == "kl" else 0)):
            total, k, best = mp.mpf(0), 0, None
            while upper is None or k <= upper:
                a = ell(k, points[i])
                if quantity == "entropy":
                    term = -mp.exp(a) * a if a != -mp.inf else mp.mpf(0)
                else:
                    b = ell(k, points[i + 1])
                    term = mp.exp(a) * (a - b) if a != -mp.inf else mp.mpf(0)
                total += term
                best = a if best is None or a > best else best
                if upper is None and k > 20 and a < best - 110 and abs(term) < abs(total) * mp.mpf(10) ** -45:
                    break
                k += 1
                if k > 2_000_000:
                    return None
            out.append(float(total))
    return out


def _inputs(family: Any) -> Any:
    from symgeom.numeric.inputs import inputs

    return inputs(family)


def _to_backend(backend: str, arrays: list[Any]) -> list[Any]:
    import numpy as np

    if backend == "torch":
        import torch

        return [torch.from_numpy(np.array(a, dtype=float)) for a in arrays]
    if backend == "jax":
        import jax.numpy as jnp

        return [jnp.asarray(np.array(a, dtype=float)) for a in arrays]
    return [np.array(a, dtype=float) for a in arrays]


def survey_family(expr: str) -> dict[str, Any]:
    """Every item for one family (run in a worker process)."""
    import jax
    import numpy as np

    jax.config.update("jax_enable_x64", True)
    import symgeom as sg
    from symgeom.natural.point import grouped
    from symgeom.verification.sampling import draw_point

    family = eval(expr, {"sg": sg})
    rng = random.Random(12)
    points = [tuple(draw_point(family, rng)) for _ in range(3)]
    groups = [grouped(family, np.array(p, dtype=float)) for p in points]
    row: dict[str, Any] = {"family": family.label, "cells": {}}
    numpy_values: dict[str, list[np.ndarray]] = {}
    for quantity in QUANTITIES:
        t0 = time.perf_counter()
        status, derivation = _bounded(lambda q=quantity: getattr(sg, q)(family))
        if status != "ok":
            for backend in BACKENDS:
                row["cells"][f"{quantity}/{backend}"] = (status, derivation, None)
            continue
        reference = None
        ref_status, found = _bounded(lambda q=quantity: _mp_reference(family, q, points))
        if ref_status == "ok":
            reference = found
        for backend in BACKENDS:
            def evaluate(b: str = backend, d: Any = derivation, q: str = quantity) -> list[np.ndarray]:
                function = getattr(d, b)()
                pairs = [(groups[i], groups[i + 1]) for i in range(2)]
                calls = pairs if q == "kl" else [(g,) for g in groups]
                out = []
                for call in calls:
                    arrays = _to_backend(b, [a for g in call for a in g])
                    out.append(np.asarray(function(*arrays), dtype=float))
                return out

            status, values = _bounded(evaluate)
            detail: Any = values if status != "ok" else None
            error = None
            if status == "ok":
                if backend == "numpy":
                    numpy_values[quantity] = values
                flat = np.concatenate([np.ravel(v) for v in values])
                if not np.isfinite(flat).all():
                    status, detail = "wrong", "non-finite value"
                elif reference is not None:
                    want = np.array(reference)
                    error = float(np.max(np.abs(flat - want) / np.maximum(np.abs(want), 1e-300)))
                    status = "ok" if error <= 1e-12 else "wrong"
                    detail = "vs mpmath"
                elif backend != "numpy" and quantity in numpy_values:
                    want = np.concatenate([np.ravel(v) for v in numpy_values[quantity]])
                    scale = np.maximum(np.abs(want), np.max(np.abs(want)) * 1e-12)
                    error = float(np.max(np.abs(flat - want) / np.maximum(scale, 1e-300)))
                    bar = 1e-9 if "full" in family.label else 1e-10
                    status = "ok" if error <= bar else "wrong"
                    detail = "vs numpy"
                else:
                    detail = "unchecked"
            row["cells"][f"{quantity}/{backend}"] = (status, detail, error)
        row.setdefault("seconds", {})[quantity] = time.perf_counter() - t0
    # symgeom.natural (NumPy): FVP against F·v, natural gradient against solve(F, g)
    from symgeom import natural

    fisher = numpy_values.get("fisher")
    n = len(points[0])
    v = np.linspace(0.3, 1.1, n)
    for name, call in (
        ("fvp", lambda: natural.fisher_vector_product(family, np.array(points[0]), v)),
        ("natgrad", lambda: natural.natural_gradient_at(family, np.array(points[0]), v, damping=0.0)),
    ):
        status, value = _bounded(call)
        error = None
        detail: Any = value if status != "ok" else None
        if status == "ok" and fisher is not None:
            f = np.asarray(fisher[0], dtype=float).reshape(n, n)
            want = f @ v if name == "fvp" else np.linalg.solve(f, v)
            error = float(np.max(np.abs(value - want)) / max(np.max(np.abs(want)), 1e-300))
            status = "ok" if error <= 1e-8 else "wrong"
            detail = "vs numpy F"
        row["cells"][f"{name}/numpy"] = (status, detail, error)
    return row


def _worker(exprs: list[str]) -> list[dict[str, Any]]:
    """Run :func:`survey_family` for a few families in one fresh interpreter (imports paid once),
    bounded by 20·LIMIT seconds per family."""
    code = ("import json, sys; sys.path.insert(0, 'benchmarks'); import backend_survey as b\n"
            f"for e in {exprs!r}:\n    print('@@' + json.dumps(b.survey_family(e)), flush=True)")
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=20 * LIMIT * len(exprs))
        stdout, why = done.stdout, (done.stderr.strip().splitlines() or ["no output"])[-1]
    except subprocess.TimeoutExpired as expired:
        stdout = expired.stdout.decode() if isinstance(expired.stdout, bytes) else (expired.stdout or "")
        why = f"process over {20 * LIMIT * len(exprs)} s"
    rows = [json.loads(line[2:]) for line in stdout.splitlines() if line.startswith("@@")]
    return rows + [{"family": e, "cells": {}, "failed": why} for e in exprs[len(rows):]]


def _cell(cell: list[Any] | None, reasons: dict[str, int]) -> str:
    if cell is None:
        return "–"
    status, detail, error = cell
    if status == "ok":
        return "✓" if error is None or detail == "unchecked" else f"✓ {error:.0e}"
    if status == "hang":
        return f"hang > {LIMIT} s"
    if status == "wrong":
        return f"**wrong** {error:.1e} ({detail})" if error is not None else f"**wrong** ({detail})"
    text = str(detail).split("\n")[0][:160]
    if text not in reasons:
        reasons[text] = len(reasons) + 1
    return f"{'refused' if status == 'refuse' else 'error'} [{reasons[text]}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", default="", help="only families whose expression contains this")
    args = parser.parse_args()
    exprs = [e for c in cases(args.quick) for e in expand(c) if args.only in e]
    start = time.perf_counter()
    with ThreadPoolExecutor(args.jobs) as pool:  # each worker is its own interpreter (subprocess)
        chunks = [exprs[i:i + CHUNK] for i in range(0, len(exprs), CHUNK)]
        rows = [row for part in pool.map(_worker, chunks) for row in part]
    reasons: dict[str, int] = {}
    columns = [f"{q}/{b}" for q in QUANTITIES for b in BACKENDS] + ["fvp/numpy", "natgrad/numpy"]
    print("| family | " + " | ".join(columns) + " |")
    print("|---|" + "---|" * len(columns))
    for row in rows:
        if row.get("failed"):
            failed = f"survey process failed: {row['failed']}"
            print(f"| {row['family']} | {failed} |" + " |" * (len(columns) - 1))
            continue
        cells = " | ".join(_cell(row["cells"].get(c), reasons) for c in columns)
        print(f"| {row['family']} | {cells} |")
    print()
    for text, number in reasons.items():
        print(f"[{number}] {text}")
    print(f"\n{len(rows)} families, {time.perf_counter() - start:.0f} s wall, LIMIT {LIMIT} s per item; "
          "✓ with a number: the largest relative difference (vs mpmath where the row has it, else .numpy())")


if __name__ == "__main__":
    main()
