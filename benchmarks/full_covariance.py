"""Full-covariance Gaussian KL, entropy and Fisher: the double-double kernels (issue #12) against
the float64 paths they replace — speed on 10⁴ points and accuracy at condition number 10¹².

    python benchmarks/full_covariance.py [--rows 10000] [--repeats 5] [--samples 40]

Speed: medians of ``repeats`` interleaved runs (new, old, new, old, …) in one process, as ratios
new/old.  "old" is symgeom's float64 path before the change, kept callable here:

* KL: the previous ``symgeom.numeric.kl.full_gaussian`` (float64 Cholesky, eigenvalues of
  L₂⁻¹(Σ₁−Σ₂)L₂⁻ᵀ, the far form from float64 factors), reproduced in :func:`old_kl`;
* entropy / Fisher: the compiled ``sg.entropy(...)/sg.fisher(...).numpy()`` with the double-double
  ln det / Σ⁻¹ swapped for the float64 ones (``np.linalg.cholesky`` / ``np.linalg.inv``), the rest
  of the compiled function unchanged; also the bare ln det and Σ⁻¹ kernels.

Accuracy: max relative error against 100-digit mpmath (tests/numeric/gaussian_references.py) over
``samples`` random matrices Q·diag(logspace(0, −12, d))·Qᵀ — far pairs (independent covariances)
and near pairs (Σ₂ = Σ₁ ∘ (1 + δR), δ = 1e-6 and 1e-10) for the KL; Fisher normwise
(max |err| / max |entry|) and entrywise (max over non-zero entries).  Non-finite results are
counted, not averaged in.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from functools import partial
from pathlib import Path

import mpmath as mp
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "numeric"))

from _timing import median_time  # noqa: E402
from gaussian_references import entropy_mvn, fisher_mvn, ill_conditioned, kl_mvn, near_pair  # noqa: E402

import symgeom as sg  # noqa: E402
from symgeom.numeric import logdet as logdet_module  # noqa: E402
from symgeom.numeric import precision as precision_module  # noqa: E402
from symgeom.numeric.dd_linalg import dd_logdet, dd_precision  # noqa: E402
from symgeom.numeric.kernels import kl_div  # noqa: E402
from symgeom.numeric.kl import full_gaussian  # noqa: E402


# --- the float64 paths replaced by issue #12 ------------------------------------------------------
def old_kl(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray, cov2: np.ndarray) -> np.ndarray:
    """The previous symgeom kernel: ½[‖L₂⁻¹Δμ‖² + Σⱼ kl_div(1, 1 + νⱼ)], ν = eig(L₂⁻¹(Σ₁−Σ₂)L₂⁻ᵀ),
    float64; where some |ν| ≥ ½, tr W − d − ln det W from float64 factors (positive definite
    inputs only)."""
    chol = np.linalg.cholesky(cov2)
    y = _solve(chol, (mu1 - mu2)[..., None])
    mean_term = np.sum(y[..., 0] ** 2, axis=-1)
    half = _solve(chol, cov1 - cov2)
    whitened = _solve(chol, np.swapaxes(half, -1, -2))
    nu = np.linalg.eigvalsh(0.5 * (whitened + np.swapaxes(whitened, -1, -2)))
    with np.errstate(divide="ignore", invalid="ignore"):
        trace = kl_div(1.0, 1.0 + nu, -nu, -np.log1p(nu)).sum(axis=-1)
    far = ~np.all(np.abs(nu) < 0.5, axis=-1)
    if far.any():
        d = chol.shape[-1]
        chol1 = np.linalg.cholesky(np.broadcast_to(cov1, chol.shape)[far])
        m = _solve(chol[far], chol1)
        value = (np.sum(m * m, axis=(-1, -2)) - d
                 - 2 * (np.log(np.diagonal(chol1, axis1=-2, axis2=-1)).sum(-1)
                        - np.log(np.diagonal(chol[far], axis1=-2, axis2=-1)).sum(-1)))
        trace[far] = np.maximum(value, 0)
    return 0.5 * (mean_term + trace)


def _solve(chol: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    batch = np.broadcast_shapes(chol.shape[:-2], rhs.shape[:-2])
    return np.linalg.solve(np.broadcast_to(chol, (*batch, *chol.shape[-2:])),
                           np.broadcast_to(rhs, (*batch, *rhs.shape[-2:])))


def old_logdet(matrix: np.ndarray) -> np.ndarray:
    return 2 * np.sum(np.log(np.diagonal(np.linalg.cholesky(matrix), axis1=-2, axis2=-1)), axis=-1)


def old_precision(matrix: np.ndarray) -> np.ndarray:
    return np.linalg.inv(matrix)


class _Float64Factor:
    """Within the block: the compiled entropy/Fisher use the float64 ln det / Σ⁻¹ (the old path)."""

    def __enter__(self) -> None:
        logdet_module.dd_logdet, precision_module.dd_precision = old_logdet, old_precision

    def __exit__(self, *exc: object) -> None:
        logdet_module.dd_logdet, precision_module.dd_precision = dd_logdet, dd_precision


def _float64_call(function, *args: np.ndarray) -> np.ndarray:
    with _Float64Factor():
        return function(*args)


# --- data ---------------------------------------------------------------------------------------
def _random_covariances(rng: np.random.Generator, n: int, d: int, condition: float) -> np.ndarray:
    q, _ = np.linalg.qr(rng.normal(size=(n, d, d)))
    s = (q * np.logspace(0, -np.log10(condition), d)) @ np.swapaxes(q, -1, -2)
    return (s + np.swapaxes(s, -1, -2)) / 2


def _upper(s: np.ndarray) -> list[np.ndarray]:
    d = s.shape[-1]
    return [s[..., i, j] for i in range(d) for j in range(i, d)]


def _interleaved(new, old, repeats: int) -> tuple[float, float]:
    new(), old()  # warm
    pairs = [(median_time(new, 1), median_time(old, 1)) for _ in range(repeats)]
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


def speed(rows: int, repeats: int) -> None:
    print(f"## Speed: {rows} points, median of {repeats} interleaved runs (seconds; ratio new/old)\n")
    print("| quantity | d | new (double-double) | old (float64) | new/old |")
    print("|---|---|---|---|---|")
    rng = np.random.default_rng(0)
    for d in (3, 10):
        well = _random_covariances(rng, rows, d, 10.0)
        ill = _random_covariances(rng, rows, d, 1e12)
        well2 = well * (1 + 1e-3 * rng.uniform(-1, 1, size=(rows, d, d)))
        well2 = (well2 + np.swapaxes(well2, -1, -2)) / 2
        mu = rng.normal(size=(rows, d))
        cases = {
            "KL, well-conditioned near pairs": (mu, well, mu, well2),
            "KL, cond 1e12 far pairs": (mu, ill, -mu, ill[::-1]),
        }
        for name, args in cases.items():
            new, old = _interleaved(lambda a=args: full_gaussian(*a), lambda a=args: old_kl(*a), repeats)
            print(f"| {name} | {d} | {new:.4f} | {old:.4f} | {new / old:.1f}× |")
        for name, new_kernel, old_kernel in (("ln det Σ (kernel)", dd_logdet, old_logdet),
                                             ("Σ⁻¹ (kernel)", dd_precision, old_precision)):
            new, old = _interleaved(partial(new_kernel, ill), partial(old_kernel, ill), repeats)
            print(f"| {name} | {d} | {new:.4f} | {old:.4f} | {new / old:.1f}× |")
        if d > 3:
            continue
        for quantity in ("entropy", "fisher"):
            function = getattr(sg, quantity)(sg.MultivariateGaussian(d, "full")).numpy()
            old_call = partial(_float64_call, function, mu, ill)
            new, old = _interleaved(partial(function, mu, ill), old_call, repeats)
            print(f"| compiled {quantity} | {d} | {new:.4f} | {old:.4f} | {new / old:.1f}× |")
    print()


# --- accuracy -----------------------------------------------------------------------------------
def _rel(got: float, want: mp.mpf) -> float:
    if not np.isfinite(got):
        return np.inf
    return float(abs(mp.mpf(float(got)) - want) / abs(want))


def _row(name: str, d: int, new: list[float], old: list[float]) -> None:
    def cell(errors: list[float]) -> str:
        finite = [e for e in errors if np.isfinite(e)]
        bad = len(errors) - len(finite)
        worst = f"{max(finite):.1e}" if finite else "–"
        return worst + (f" ({bad} non-finite)" if bad else "")

    print(f"| {name} | {d} | {cell(new)} | {cell(old)} |")


def accuracy(samples: int) -> None:
    print(f"## Accuracy at condition number 1e12: max relative error vs 100-digit mpmath, "
          f"{samples} samples\n")
    print("| quantity | d | new (double-double) | old (float64) |")
    print("|---|---|---|---|")
    for d in (3, 10):
        z = np.zeros(d)
        for label in ("far", "near δ=1e-6", "near δ=1e-10"):
            new, old = [], []
            for seed in range(samples):
                s1 = ill_conditioned(d, seed)
                if label == "far":
                    s2 = ill_conditioned(d, seed + 10_000)
                else:
                    s2 = near_pair(s1, float(label.split("=")[1]), seed)
                    if np.linalg.eigvalsh(s2)[0] <= 0:
                        continue
                args = (z, s1, z, s2)
                want = kl_mvn(*args)
                new.append(_rel(float(full_gaussian(*args)), want))
                with np.errstate(all="ignore"):
                    old.append(_rel(float(old_kl(*(a[None] for a in args))[0]), want))
            _row(f"KL, {label} ({len(new)} pairs)", d, new, old)
    for d in (2, 3):
        entropy = sg.entropy(sg.MultivariateGaussian(d, "full")).numpy()
        fisher = sg.fisher(sg.MultivariateGaussian(d, "full")).numpy()
        z = np.zeros(d)
        results: dict[str, list[float]] = {f"{q} {t}": [] for q in ("h", "fn", "fe") for t in ("new", "old")}
        for seed in range(samples):
            s = ill_conditioned(d, seed)
            want_h, want_f = entropy_mvn(s), fisher_mvn(s)
            for tag, context in (("new", None), ("old", _Float64Factor())):
                if context is not None:
                    context.__enter__()
                try:
                    results[f"h {tag}"].append(_rel(float(entropy(z, s)), want_h))
                    got = fisher(z, s)
                finally:
                    if context is not None:
                        context.__exit__()
                error = np.abs(got - want_f)
                nonzero = want_f != 0
                results[f"fn {tag}"].append(float(error.max() / np.abs(want_f).max()))
                results[f"fe {tag}"].append(float((error[nonzero] / np.abs(want_f[nonzero])).max()))
        _row("entropy (compiled)", d, results["h new"], results["h old"])
        _row("Fisher normwise (compiled)", d, results["fn new"], results["fn old"])
        _row("Fisher entrywise (compiled)", d, results["fe new"], results["fe old"])
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--samples", type=int, default=40)
    options = parser.parse_args()
    speed(options.rows, options.repeats)
    accuracy(options.samples)


if __name__ == "__main__":
    main()
