"""Accuracy of the generated numerics (issue 12): KL of Gamma, Beta, Dirichlet(10), Poisson, Laplace
and entropy of Gaussian, Laplace and the 3-d full Gaussian, against 60-digit mpmath, with
torch.distributions and SciPy side by side where they have the quantity.

    python benchmarks/generated_accuracy.py [--rows 40] [--only poisson]

The references are the textbook formulas written again in mpmath (inputs taken as exact binary
floats); nothing is read from a derivation.  Per regime: max relative error, "(n neg)" results
below zero, "inf/nan" when any result is not finite where the true value is.
"""

from __future__ import annotations

import argparse

import mpmath as mp
import numpy as np
from scipy import special, stats

import symgeom as sg
from symgeom.families.dirichlet import Dirichlet

try:
    import torch
    from torch import distributions as td

    torch.set_default_dtype(torch.float64)
except ImportError:  # torch is optional: its column is left out
    torch = None

mp.mp.dps = 60
S3 = np.array([[2.0, 0.3, 0.1], [0.3, 1.0, 0.2], [0.1, 0.2, 0.5]])


def _m(x: float) -> mp.mpf:
    return mp.mpf(float(x))


def ref_gamma(a1, b1, a2, b2):
    a1, b1, a2, b2 = map(_m, (a1, b1, a2, b2))
    return ((a1 - a2) * mp.digamma(a1) - mp.loggamma(a1) + mp.loggamma(a2) + a2 * (mp.log(b1) - mp.log(b2))
            + a1 * (b2 - b1) / b1)


def ref_beta(a1, b1, a2, b2):
    a1, b1, a2, b2 = map(_m, (a1, b1, a2, b2))

    def lbeta(a, b):
        return mp.loggamma(a) + mp.loggamma(b) - mp.loggamma(a + b)

    return (lbeta(a2, b2) - lbeta(a1, b1) + (a1 - a2) * mp.digamma(a1) + (b1 - b2) * mp.digamma(b1)
            + (a2 - a1 + b2 - b1) * mp.digamma(a1 + b1))


def ref_dirichlet(a1, a2):
    x, y = [_m(v) for v in a1], [_m(v) for v in a2]
    s1, s2 = mp.fsum(x), mp.fsum(y)
    return (mp.loggamma(s1) - mp.fsum(mp.loggamma(v) for v in x) - mp.loggamma(s2)
            + mp.fsum(mp.loggamma(v) for v in y)
            + mp.fsum((u - v) * (mp.digamma(u) - mp.digamma(s1)) for u, v in zip(x, y, strict=True)))


def ref_poisson(l1, l2):
    l1, l2 = _m(l1), _m(l2)
    return l1 * mp.log(l1 / l2) - l1 + l2


def ref_laplace(m1, b1, m2, b2):
    m1, b1, m2, b2 = map(_m, (m1, b1, m2, b2))
    gap = abs(m1 - m2)
    return mp.log(b2 / b1) + gap / b2 + (b1 / b2) * mp.exp(-gap / b1) - 1


def _t(*arrays):
    return [torch.as_tensor(a) for a in arrays]


def _torch_kl(cls):
    """torch.distributions KL of two points, each given by its parameter arrays (None without torch)."""
    if torch is None:
        return None

    def kl(*arrays):
        half = len(arrays) // 2
        return td.kl_divergence(cls(*_t(*arrays[:half])), cls(*_t(*arrays[half:]))).numpy()

    return kl


def naive_gamma(a1, b1, a2, b2):
    return ((a1 - a2) * special.digamma(a1) - special.gammaln(a1) + special.gammaln(a2)
            + a2 * np.log(b1 / b2) + a1 * (b2 - b1) / b1)


def naive_beta(a1, b1, a2, b2):
    return (special.betaln(a2, b2) - special.betaln(a1, b1) + (a1 - a2) * special.digamma(a1)
            + (b1 - b2) * special.digamma(b1) + (a2 - a1 + b2 - b1) * special.digamma(a1 + b1))


def naive_dirichlet(a1, a2):
    s1, s2 = a1.sum(axis=-1), a2.sum(axis=-1)
    return (special.gammaln(s1) - special.gammaln(s2)
            + (special.gammaln(a2) - special.gammaln(a1)).sum(axis=-1)
            + ((a1 - a2) * (special.digamma(a1) - special.digamma(s1)[:, None])).sum(axis=-1))


def naive_laplace(m1, b1, m2, b2):
    gap = np.abs(m1 - m2)
    return np.log(b2 / b1) + gap / b2 + b1 / b2 * np.exp(-gap / b1) - 1


def scipy_mvn_entropy(means, covs):
    return np.array([stats.multivariate_normal(m, c).entropy() for m, c in zip(means, covs, strict=True)])


def kl_cases(rows: int, rng: np.random.Generator):
    def near(x, delta):
        return x * (1 + delta * rng.uniform(-1, 1, x.shape))

    shape = 10.0 ** rng.uniform(-3, 6, rows)
    rate = 10.0 ** rng.uniform(-3, 3, rows)
    factor = 10.0 ** rng.uniform(-3, 3, rows)
    for label, a2, b2 in (
        ("far, shapes 1e-3 … 1e6", 10.0 ** rng.uniform(-3, 6, rows), 10.0 ** rng.uniform(-3, 3, rows)),
        ("relative δ = 1e-6", near(shape, 1e-6), near(rate, 1e-6)),
        ("relative δ = 1e-12", near(shape, 1e-12), near(rate, 1e-12)),
        ("relative δ = 1e-14", near(shape, 1e-14), near(rate, 1e-14)),
        ("same mean α/β, shapes ×1e±3", shape * factor, rate * factor),
    ):
        args = (shape, rate, a2, b2)
        yield ("gamma KL", label, args, ref_gamma, sg.kl(sg.Gamma()).numpy(), naive_gamma,
               _torch_kl(td.Gamma) if torch else None)
    a, b = 10.0 ** rng.uniform(-3, 6, rows), 10.0 ** rng.uniform(-3, 6, rows)
    for label, a2, b2 in (
        ("far, shapes 1e-3 … 1e6", 10.0 ** rng.uniform(-3, 6, rows), 10.0 ** rng.uniform(-3, 6, rows)),
        ("relative δ = 1e-6", near(a, 1e-6), near(b, 1e-6)),
        ("relative δ = 1e-12", near(a, 1e-12), near(b, 1e-12)),
        ("relative δ = 1e-14", near(a, 1e-14), near(b, 1e-14)),
    ):
        yield ("beta KL", label, (a, b, a2, b2), ref_beta, sg.kl(sg.Beta()).numpy(), naive_beta,
               _torch_kl(td.Beta) if torch else None)
    big, small = 10.0 ** rng.uniform(4, 6, rows), 10.0 ** rng.uniform(-3, -1, rows)
    for label, args in (
        ("α/β ≥ 1e5, α moves δ = 1e-12", (big, small, near(big, 1e-12), small)),
        ("α/β ≥ 1e5, far", (big, small, 10.0 ** rng.uniform(4, 6, rows), 10.0 ** rng.uniform(-3, -1, rows))),
    ):
        yield ("beta KL", label, args, ref_beta, sg.kl(sg.Beta()).numpy(), naive_beta,
               _torch_kl(td.Beta) if torch else None)
    dirichlet = sg.kl(Dirichlet(10)).numpy()
    conc = 10.0 ** rng.uniform(-3, 6, (rows, 10))
    for label, other in (
        ("far, shapes 1e-3 … 1e6", 10.0 ** rng.uniform(-3, 6, (rows, 10))),
        ("relative δ = 1e-6", near(conc, 1e-6)),
        ("relative δ = 1e-12", near(conc, 1e-12)),
        ("relative δ = 1e-14", near(conc, 1e-14)),
    ):
        yield ("dirichlet(10) KL", label, (conc, other), ref_dirichlet,
               lambda x, y: dirichlet(*x.T, *y.T), naive_dirichlet,
               (lambda x, y: td.kl_divergence(td.Dirichlet(torch.as_tensor(x)),
                                              td.Dirichlet(torch.as_tensor(y))).numpy()) if torch else None)
    lam = 10.0 ** rng.uniform(-10, 10, rows)
    for label, l2 in (("far, rates 1e-10 … 1e10", 10.0 ** rng.uniform(-10, 10, rows)),
                      ("relative δ = 1e-6", near(lam, 1e-6)), ("relative δ = 1e-12", near(lam, 1e-12)),
                      ("relative δ = 1e-14", near(lam, 1e-14))):
        yield ("poisson KL", label, (lam, l2), ref_poisson, sg.kl(sg.Poisson()).numpy(),
               lambda l1, l2: l1 * np.log(l1 / l2) - l1 + l2, _torch_kl(td.Poisson) if torch else None)
    mu, scale = rng.normal(0, 10, rows), 10.0 ** rng.uniform(-150, 150, rows)
    spread = 10 ** rng.uniform(-3, 3, rows)
    for label, m2, s2 in (
        ("far, b in 1e-150 … 1e150", mu + scale * rng.normal(size=rows), scale * spread),
        ("relative δ = 1e-6", mu + 1e-6 * scale * rng.uniform(-1, 1, rows), near(scale, 1e-6)),
        ("relative δ = 1e-12", mu + 1e-12 * scale * rng.uniform(-1, 1, rows), near(scale, 1e-12)),
    ):
        yield ("laplace KL", label, (mu, scale, m2, s2), ref_laplace, sg.kl(sg.Laplace()).numpy(),
               naive_laplace, _torch_kl(td.Laplace) if torch else None)


def entropy_cases(rows: int, rng: np.random.Generator):
    sigma = 10.0 ** np.linspace(-150, 150, rows)
    mu = rng.normal(0, 1e8, rows)
    yield ("gaussian entropy", "σ in 1e-150 … 1e150, |μ| ~ 1e8", (mu, sigma),
           lambda m, s: mp.log(2 * mp.pi * mp.e * _m(s) ** 2) / 2, sg.entropy(sg.Gaussian()).numpy(),
           lambda m, s: stats.norm(m, s).entropy(),
           (lambda m, s: td.Normal(*_t(m, s)).entropy().numpy()) if torch else None)
    yield ("laplace entropy", "b in 1e-150 … 1e150", (mu, sigma),
           lambda m, b: 1 + mp.log(2 * _m(b)), sg.entropy(sg.Laplace()).numpy(),
           lambda m, b: stats.laplace(m, b).entropy(),
           (lambda m, b: td.Laplace(*_t(m, b)).entropy().numpy()) if torch else None)
    scales = 10.0 ** np.linspace(-100, 100, rows)
    covs = scales[:, None, None] * S3
    means = np.full((rows, 3), 1e8)

    def ref_mvn(m, cov):
        return mp.log(mp.det(2 * mp.pi * mp.e * mp.matrix(cov.tolist()))) / 2

    yield ("mvn(3, full) entropy", "Σ = s·S, s in 1e-100 … 1e100, μ = 1e8", (means, covs), ref_mvn,
           sg.entropy(sg.MultivariateGaussian(3, "full")).numpy(),
           scipy_mvn_entropy,
           (lambda m, c: td.MultivariateNormal(*_t(m, c)).entropy().numpy()) if torch else None)


def _measure(fn, args, refs) -> str:
    if fn is None:
        return "—"
    with np.errstate(all="ignore"):
        try:
            out = np.asarray(fn(*args), dtype=float)
        except Exception as exc:  # a baseline that raises on a regime fails every row
            return f"raises {type(exc).__name__}"
    errors = []
    for value, want in zip(out, refs, strict=True):
        if want == 0:  # e.g. λ(1 + 10⁻¹⁴) rounding back to λ: the pair is equal, the KL is 0
            errors.append(0.0 if value == 0 else np.inf)
            continue
        errors.append(float(abs((mp.mpf(float(value)) - want) / want)) if np.isfinite(value) else np.inf)
    worst = max(errors)
    neg = int(np.sum(out < 0))
    text = "inf/nan" if not np.isfinite(worst) else f"{worst:.1e}"
    return f"{text} ({neg} neg)" if neg else text


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=40)
    parser.add_argument("--only", default="", help="only the quantities whose name contains this "
                        "(the data are drawn as in the full run, so the rows are the same)")
    args = parser.parse_args()
    rng = np.random.default_rng(12)
    torch_col = f"torch {torch.__version__}" if torch else "torch (absent)"
    print(f"| quantity | regime | rows | symgeom | naive NumPy/SciPy | {torch_col} |")
    print("|---|---|---|---|---|---|")
    for quantity, regime, data, reference, ours, naive, peer in (*kl_cases(args.rows, rng),
                                                                  *entropy_cases(args.rows, rng)):
        if args.only not in quantity:
            continue
        rows = len(data[0])
        refs = [reference(*(d[i] for d in data)) for i in range(rows)]
        cells = [_measure(fn, data, refs) for fn in (ours, naive, peer)]
        if "entropy" in quantity:  # entropy of a density may be negative: no "neg" count
            cells = [c.split(" (")[0] for c in cells]
        print(f"| {quantity} | {regime} | {rows} | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
