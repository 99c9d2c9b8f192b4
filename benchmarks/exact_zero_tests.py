"""CPU time of two exact reductions on the 3-d full Gaussian, SymPy's cancel as the same-run baseline.

    python benchmarks/exact_zero_tests.py [--repeats 3]

1. The log det coefficients of KL(θ₁‖θ₂) from the definition (25 terms over det Σ₁·det Σ₂ each,
   = ±½): ``sp.expand(sp.cancel(c))`` against :func:`symgeom.derive.canonical._cancelled`
   (factor-base arithmetic, the same expanded result).
2. The entries of D(Σ⁻¹)[A] + Σ⁻¹AΣ⁻¹ at d = 3 (``lemma/inverse@d=3``): ``sp.cancel(e) == 0``
   against :func:`symgeom.derive.rational.is_rational_zero`.

CPU seconds (``time.process_time``), the median of ``--repeats`` runs, each after clearing
SymPy's cache; the ratio baseline / new is the claim (the machine may be loaded).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import sympy as sp
from sympy.core.cache import clear_cache

from symgeom.derive.canonical import _cancelled
from symgeom.derive.rational import is_rational_zero
from symgeom.verification.general_gaussian import _symmetric

sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "derive"))
from test_tidy_logs import full_gaussian_log_coefficients


def _cpu(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        clear_cache()
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return statistics.median(times)


def _inverse_differences() -> list[sp.Expr]:
    t = sp.Symbol("t", real=True)
    sigma, a = _symmetric("s", 3), _symmetric("a", 3)
    lhs = (sigma + t * a).inv().diff(t).subs(t, 0)
    return list(lhs + sigma.inv() * a * sigma.inv())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    coefficients, differences = full_gaussian_log_coefficients(), _inverse_differences()
    rows = [
        ("KL log det coefficients (d = 3)",
         lambda: [sp.expand(sp.cancel(c)) for c in coefficients],
         lambda: [_cancelled(c) for c in coefficients]),
        ("lemma/inverse@d=3 zero test",
         lambda: all(sp.cancel(e) == 0 for e in differences),
         lambda: all(is_rational_zero(e) for e in differences)),
    ]
    for name, baseline, new in rows:
        assert baseline() == new()
        before, after = _cpu(baseline, args.repeats), _cpu(new, args.repeats)
        print(f"{name:34s} cancel {before:6.2f} s   new {after:6.2f} s   ratio {before / after:5.1f}")


if __name__ == "__main__":
    main()
