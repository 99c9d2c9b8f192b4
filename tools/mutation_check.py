"""Hand-made mutation check: break symgeom on purpose, one mutant at a time, and see the tests fail.

Each mutant is one exact text replacement in one source file plus the tests that should catch
it.  For each, the source tree (symgeom/, tests/, pyproject.toml, README.md, docs/) is copied to
a temporary folder, the replacement applied, and the targeted tests run there with pytest.  A
mutant is *killed* when pytest fails; it *survives* when the tests still pass (a missing test).
The unmutated copy is run first: its targeted tests must pass, or the check means nothing.

    python tools/mutation_check.py              # every mutant (a few minutes on 2 cores)
    python tools/mutation_check.py --list       # names only
    python tools/mutation_check.py cg trpo      # mutants whose name contains any of these

Exit status 0 when every mutant is killed, 1 otherwise.  Not part of the default test suite
(too slow); docs/testing.md records the last measured kill rate.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COPIED = ("symgeom", "tests", "pyproject.toml", "README.md", "docs")


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]
    listed: bool = False  # one of the nine survivors reported in issue 9


MUTANTS: tuple[Mutant, ...] = (
    # --- the nine survivors listed in issue 9 -------------------------------------------------
    Mutant("identity: numeric threshold 10^(40-digits)", "symgeom/verification/identity.py",
           "mpmath.mpf(10) ** (10 - digits)", "mpmath.mpf(10) ** (40 - digits)",
           ("tests/verification/test_verify_trust.py",), listed=True),
    Mutant("catalog: c3 compared with itself", "symgeom/verification/catalog.py",
           "3: terms.cubic_form}", "3: terms.coefficients[3]}",
           ("tests/verification/test_verify_independent.py",), listed=True),
    Mutant("cli: tril instead of triu in MVN parsing", "symgeom/cli.py",
           "np.triu_indices(d)", "np.tril_indices(d)",
           ("tests/test_cli_trust.py",), listed=True),
    Mutant("inputs: simplex sum tolerance eps^(1/4)", "symgeom/numeric/inputs.py",
           "float(np.sqrt(np.finfo(dtype).eps))", "float(np.finfo(dtype).eps ** 0.25)",
           ("tests/numeric/test_numeric_simplex_tolerance.py",), listed=True),
    Mutant("cg: tolerance 1e-11", "symgeom/natural/cg.py",
           "tol: float = 1e-14", "tol: float = 1e-11",
           ("tests/natural/test_natural_tight.py",), listed=True),
    Mutant("trpo: accepts KL <= 1.01 delta", "symgeom/natural/trpo.py",
           "if value <= delta and improved", "if value <= 1.01 * delta and improved",
           ("tests/natural/test_natural_tight.py",), listed=True),
    Mutant("ppo: log(1 - eps^2)", "symgeom/natural/ppo.py",
           "np.log1p(-(eps**2))", "np.log(1 - eps**2)",
           ("tests/natural/test_natural_tight.py",), listed=True),
    Mutant("kernels: log_sigmoid with log(1 + .)", "symgeom/numeric/kernels.py",
           "np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))",
           "np.minimum(x, 0) - np.log(1 + np.exp(-np.abs(x)))",
           ("tests/numeric/test_numeric_kernels_mpmath.py",), listed=True),
    Mutant("gaussian: wrong mean_var chart (sigma = sigma2)", "symgeom/families/gaussian.py",
           "(MEAN, VAR), (mu, sp.sqrt(sigma2))", "(MEAN, VAR), (mu, sigma2)",
           ("tests/verification/test_verify_independent.py",), listed=True),
    # --- other obvious ones -------------------------------------------------------------------
    Mutant("catalog: c2 compared with itself", "symgeom/verification/catalog.py",
           "2: terms.quadratic_form,", "2: terms.coefficients[2],",
           ("tests/verification/test_verify_independent.py",)),
    Mutant("identity: every strategy 'proves'", "symgeom/verification/identity.py",
           "if strategies[index][1](expr) == 0:", "if strategies[index][1](expr) == 0 or True:",
           ("tests/verification/test_verify_trust.py",)),
    Mutant("identity: Verdict truthy unless failed", "symgeom/verification/identity.py",
           "        return self.status == PROVED\n\n    def __str__",
           "        return self.status != FAILED\n\n    def __str__",
           ("tests/verification/test_verify_trust.py",)),
    Mutant("identity: out-of-domain points kept", "symgeom/verification/identity.py",
           "                continue  # outside the domain of the claim",
           "                pass  # outside the domain of the claim",
           ("tests/verification/test_verify_trust.py",)),
    Mutant("timeout: caller's itimer not re-armed", "symgeom/verification/timeout.py",
           "signal.setitimer(signal.ITIMER_REAL, max(left, 1e-6), outer_interval)",
           "signal.setitimer(signal.ITIMER_REAL, 0)",
           ("tests/verification/test_verify_trust.py",)),
    Mutant("catalog: --strict ignored", "symgeom/verification/catalog.py",
           "return 0 if all(r.verdict.status == PROVED for r in rows) else 1",
           "return 1 if any(r.verdict.status == FAILED for r in rows) else 0",
           ("tests/test_cli_trust.py",)),
    Mutant("kernels: sigmoid by cancellation for x < 0", "symgeom/numeric/kernels.py",
           "return np.where(x >= 0, 1, e) / (1 + e)",
           "return np.where(x >= 0, 1 / (1 + e), 1 - 1 / (1 + e))",
           ("tests/numeric/test_numeric_kernels_mpmath.py",)),
    Mutant("kernels: logsumexp without the shift", "symgeom/numeric/kernels.py",
           "m = np.where(np.isfinite(m), m, 0)", "m = np.zeros_like(m)",
           ("tests/numeric/test_numeric_kernels_mpmath.py",)),
    Mutant("kernels: entr with an epsilon guard", "symgeom/numeric/kernels.py",
           "np.where(p == 0, 0, -p * np.log(p))", "np.where(p == 0, 0, -p * np.log(p + 1e-300))",
           ("tests/numeric/test_numeric_kernels_mpmath.py",)),
    Mutant("kernels: chi with exp(y) - 1", "symgeom/numeric/kernels.py",
           "kl_div(np.exp(y), 1.0, np.expm1(y), y)", "kl_div(np.exp(y), 1.0, np.exp(y) - 1, y)",
           ("tests/numeric/test_numeric_kernels_mpmath.py",)),
    Mutant("numeric kl: Bernoulli complement difference sign", "symgeom/numeric/kl.py",
           "kl_div(1 - a, 1 - b, -d)", "kl_div(1 - a, 1 - b, d)",
           ("tests/numeric",)),
    Mutant("inputs: sigma = 0 accepted", "symgeom/numeric/inputs.py",
           '    if check == "positive":\n        return bool(low > 0)',
           '    if check == "positive":\n        return bool(low >= 0)',
           ("tests/numeric",)),
    Mutant("ppo: max instead of min", "symgeom/natural/ppo.py",
           "np.minimum(r * a, np.clip(r, 1.0 - eps, 1.0 + eps) * a)",
           "np.maximum(r * a, np.clip(r, 1.0 - eps, 1.0 + eps) * a)",
           ("tests/natural/test_natural_ppo.py",)),
    Mutant("ppo: clip range 1 + 2 eps", "symgeom/natural/ppo.py",
           "np.clip(r, 1.0 - eps, 1.0 + eps) * a)", "np.clip(r, 1.0 - eps, 1.0 + 2 * eps) * a)",
           ("tests/natural/test_natural_ppo.py",)),
    Mutant("ppo: empty batch gives nan", "symgeom/natural/ppo.py",
           "    if terms.size == 0:\n", "    if terms.size < 0:\n",
           ("tests/natural/test_natural_tight.py",)),
    Mutant("trpo: step without the 2", "symgeom/natural/trpo.py",
           "scale = np.sqrt(2.0 * delta / curvature)", "scale = np.sqrt(delta / curvature)",
           ("tests/natural/test_natural_trpo.py", "tests/natural/test_natural_tight.py")),
    Mutant("cg: wrong beta", "symgeom/natural/cg.py",
           "p = z + (rz_next / rz) * p", "p = z + (rz / rz_next) * p",
           ("tests/natural/test_natural_cg.py", "tests/natural/test_natural_tight.py")),
    Mutant("fvp: logits FVP without the rank-one term", "symgeom/natural/fvp.py",
           "out = p * (v - p @ v)", "out = p * v",
           ("tests/natural/test_natural_fvp.py",)),
    Mutant("cli: empty fields skipped", "symgeom/cli.py",
           "        if not field:\n            raise",
           "        if not field:\n            continue\n            raise",
           ("tests/test_cli_trust.py",)),
    Mutant("cache: checksum not compared", "symgeom/cache.py",
           "if hashlib.sha256(payload).digest() != digest:", "if False:",
           ("tests/test_cache_integrity.py",)),
    Mutant("coerce: complex input accepted", "symgeom/numeric/coerce.py",
           "    if np.iscomplexobj(arr):", "    if False:",
           ("tests/numeric/test_numeric_coerce.py",)),
    Mutant("numeric kl: Gaussian log(σ₁/σ₂) from the rounded ratio", "symgeom/numeric/kl.py",
           'log_w = _log_ratio(sigma1, sigma2, r, _buffer(scratch, "log r", sigma1))',
           "log_w = np.log(r, out=r)",
           ("tests/numeric/test_numeric_float_range_edges.py",)),
    Mutant("compile: 0·log 0 evaluated as nan", "symgeom/numeric/zerolog.py",
           "    if ratio.is_number and ratio != 0:", "    if False:",
           ("tests/numeric/test_numeric_float_range_edges.py",)),
    Mutant("compile: nan returned for validated input", "symgeom/numeric/compile.py",
           "        if np.isnan(np.min(out)) if out.size else False:", "        if False:",
           ("tests/fuzz/test_fuzz_cli.py",)),
    Mutant("gaussian: log-partition off by 2", "symgeom/families/gaussian.py",
           "log_partition=-(n1**2) / (4 * n2) - sp.log(-2 * n2) / 2,",
           "log_partition=-(n1**2) / (4 * n2) - sp.log(-2 * n2),",
           ("tests/verification/test_verify_catalog.py::test_light_entries_are_all_proved"
            "[gaussian[mean_std]]",)),
)


def _copy_tree(destination: Path) -> None:
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, destination / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif source.exists():
            shutil.copy2(source, destination / name)


def _run_tests(tree: Path, tests: tuple[str, ...], cache: Path,
               show: bool = False) -> tuple[int, float]:
    env = dict(os.environ, PYTHONPATH=str(tree), SYMGEOM_CACHE_DIR=str(cache))
    start = time.perf_counter()
    flags = ["-q", "-rf"] if show else ["-x", "-q"]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *flags, "-p", "no:cacheprovider", *tests],
        cwd=tree, env=env, capture_output=True, text=True, check=False,
    )
    if show and done.returncode:
        print("\n".join(done.stdout.splitlines()[-15:]), file=sys.stderr)
    return done.returncode, time.perf_counter() - start


def _apply(tree: Path, mutant: Mutant) -> None:
    path = tree / mutant.path
    text = path.read_text(encoding="utf-8")
    count = text.count(mutant.old)
    if count != 1:
        raise SystemExit(f"mutant {mutant.name!r}: the text to replace occurs {count} times in "
                         f"{mutant.path} (expected once); update tools/mutation_check.py")
    path.write_text(text.replace(mutant.old, mutant.new), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("only", nargs="*", help="run mutants whose name contains one of these")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTANTS if not args.only or any(o in m.name for o in args.only)]
    if args.list:
        for m in chosen:
            print(f"{'*' if m.listed else ' '} {m.name}  ({m.path})")
        return 0
    with tempfile.TemporaryDirectory(prefix="symgeom-mutants-") as scratch:
        scratch_path = Path(scratch)
        cache = scratch_path / "cache"
        baseline = scratch_path / "baseline"
        _copy_tree(baseline)
        for m in chosen:
            _apply(baseline, Mutant(m.name, m.path, m.old, m.old, m.tests))  # text still there
        all_tests = tuple(sorted({t for m in chosen for t in m.tests}))
        code, seconds = _run_tests(baseline, all_tests, cache, show=True)
        if code != 0:
            print(f"the unmutated tree fails its targeted tests (pytest exit {code}); "
                  "fix that first", file=sys.stderr)
            return 1
        print(f"baseline: targeted tests pass ({seconds:.0f} s)")
        survived = []
        for index, mutant in enumerate(chosen):
            tree = scratch_path / f"mutant{index}"
            _copy_tree(tree)
            _apply(tree, mutant)
            code, seconds = _run_tests(tree, mutant.tests, cache)
            verdict = "killed" if code != 0 else "SURVIVED"
            if code == 0:
                survived.append(mutant)
            mark = "*" if mutant.listed else " "
            print(f"{verdict:8s} {mark} {mutant.name}  ({seconds:.0f} s)", flush=True)
            shutil.rmtree(tree, ignore_errors=True)
    killed = len(chosen) - len(survived)
    listed = [m for m in chosen if m.listed]
    listed_killed = sum(m not in survived for m in listed)
    print(f"\nkilled {killed} of {len(chosen)} mutants ({100 * killed / len(chosen):.0f} %); "
          f"issue 9's listed survivors: {listed_killed} of {len(listed)} killed")
    return 0 if not survived else 1


if __name__ == "__main__":
    sys.exit(main())
