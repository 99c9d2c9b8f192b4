"""Full-covariance Gaussian KL and Fisher on torch/JAX (CPU): double-double vs the previous float64 path.

Speed: medians of repeated calls, interleaved round by round, in one run:
* KL of N pairs (d = 3, condition numbers up to 10¹²): ``symgeom.backends.gaussian_full.kl`` on
  the torch primitives (eager; the public eager-CPU torch call without autograd runs the NumPy
  kernel instead, :mod:`symgeom.backends.numpy_route`) and under ``jax.jit``, against the float64
  Cholesky form it replaced (the previous ``gaussian_full.kl``, kept below as the baseline);
* Fisher of N covariances (d = 3): ``sg.fisher(MultivariateGaussian(3)).torch()`` /
  ``jax.jit(.jax())`` against the same printed entries fed by the float64 factorization the
  previous ``scale_forms`` used (``torch.cholesky_inverse`` / ``cho_solve``), swapped in for the run.
Accuracy on the same run's first pairs: max relative error against 60-digit mpmath (KL) and the
Fisher's error relative to its largest entry.

Usage: python benchmarks/full_covariance_dd.py [N] [repeats]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path[:0] = [str(Path(__file__).parents[1] / "tests" / "backends"),
                str(Path(__file__).parents[1] / "tests" / "numeric")]
from _optional import jax, jnp, torch  # noqa: E402
from _timing import median_times  # noqa: E402
from gaussian_references import fisher_mvn, ill_conditioned  # noqa: E402
from kl_references import kl_mvn  # noqa: E402

import symgeom as sg  # noqa: E402
from symgeom.backends import gaussian_full, scale_forms  # noqa: E402
from symgeom.backends.ops import jax_ops, torch_ops  # noqa: E402


def previous_kl(ops, mu1, cov1, mu2, cov2):
    """The float64 Cholesky form this module's dd form replaced (same formula, float64 factors)."""
    xp = ops.xp
    d = cov2.shape[-1]
    chol = xp.linalg.cholesky(cov2)
    lower = [[chol[..., i, j] for j in range(i + 1)] for i in range(d)]

    def solve(rhs):
        out = []
        for i, row in enumerate(lower):
            total = rhs[i]
            for j in range(i):
                total = total - row[j] * out[j]
            out.append(total / row[i])
        return out

    y = solve([mu1[..., i] - mu2[..., i] for i in range(d)])
    delta = cov1 - cov2
    columns = [solve([delta[..., i, j] for i in range(d)]) for j in range(d)]
    n_columns = [solve([columns[j][i] for j in range(d)]) for i in range(d)]
    n = [[0.5 * (n_columns[j][i] + n_columns[i][j]) for j in range(d)] for i in range(d)]
    c, excess, off = [], [], 0.0
    for i in range(d):
        row = []
        for j in range(i):
            total = n[i][j]
            for k in range(j):
                total = total - row[k] * c[j][k]
            row.append(total / xp.sqrt(1 + excess[j]))
            off = off + row[j] * row[j]
        e = n[i][i]
        for j in range(i):
            e = e - row[j] * row[j]
        excess.append(e)
        row.append(xp.sqrt(1 + e))
        c.append(row)
    one = ops.asarray(1.0, mu1)
    total = off
    for e in excess:
        total = total + ops.kl_div(one, 1 + e, -e, -xp.log1p(e))
    return 0.5 * (sum(v * v for v in y[1:]) + y[0] * y[0] + total)


def previous_factored(ops, lower, want_logdet, want_inverse):
    """The float64 factorization of the previous scale_forms (Cholesky, Σ⁻¹ = L⁻ᵀL⁻¹)."""
    xp = ops.xp
    d = len(lower)
    matrix = xp.stack([xp.stack([lower[max(i, j)][min(i, j)] for j in range(d)], axis=-1)
                       for i in range(d)], axis=-2)
    if ops.name == "torch":
        chol = torch.linalg.cholesky_ex(matrix)[0]
        inverse = torch.cholesky_inverse(chol)
    else:
        from jax.scipy.linalg import cho_solve

        chol = jnp.linalg.cholesky(matrix)
        inverse = cho_solve((chol, True), jnp.broadcast_to(jnp.eye(d), chol.shape))
    logdet = 2 * xp.sum(xp.log(xp.stack([chol[..., i, i] for i in range(d)], axis=-1)), axis=-1)
    rows = [[inverse[..., i, j] for j in range(d)] for i in range(d)]
    return (logdet if want_logdet else None), (rows if want_inverse else None)


def inputs(n: int, d: int = 3):
    rng = np.random.default_rng(0)
    conditions = 10.0 ** rng.uniform(0, 12, size=n)
    s1 = np.stack([ill_conditioned(d, 2 * i, c) for i, c in enumerate(conditions)])
    s2 = np.stack([ill_conditioned(d, 2 * i + 1, c) for i, c in enumerate(conditions)])
    return rng.normal(size=(n, d)), s1, rng.normal(size=(n, d)), s2


def main(n: int = 10_000, repeats: int = 7) -> None:
    pairs = inputs(n)
    probe = 20  # accuracy on the first pairs
    kl_ref = np.array([float(kl_mvn(*(x[i] for x in pairs))) for i in range(probe)])
    fisher_ref = [fisher_mvn(pairs[1][i]) for i in range(probe)]
    fisher = sg.fisher(sg.MultivariateGaussian(3))
    print(f"full-covariance Gaussian, d = 3, N = {n} pairs, condition numbers 10^U(0, 12), CPU")
    results = {}
    if torch is not None:
        t = [torch.as_tensor(a) for a in pairs]
        tops = torch_ops()
        function = fisher.torch(validate=False)
        results["torch"] = {
            "kl dd": lambda: gaussian_full.kl(tops, *t),
            "kl previous": lambda: previous_kl(tops, *t),
            "fisher dd": lambda: function(t[0], t[1]),
            "fisher previous": lambda: _with(previous_factored, lambda: function(t[0], t[1])),
        }
    if jax is not None:
        j = [jnp.asarray(a) for a in pairs]
        jops = jax_ops()
        kl_dd = jax.jit(lambda *a: gaussian_full.kl(jops, *a))
        kl_prev = jax.jit(lambda *a: previous_kl(jops, *a))
        fisher_dd = jax.jit(fisher.jax(validate=False))
        fisher_prev = _with(previous_factored, lambda: jax.jit(fisher.jax(validate=False)))
        results["jax"] = {
            "kl dd": lambda: kl_dd(*j).block_until_ready(),
            "kl previous": lambda: kl_prev(*j).block_until_ready(),
            "fisher dd": lambda: fisher_dd(j[0], j[1]).block_until_ready(),
            "fisher previous": lambda: _with(previous_factored,
                                             lambda: fisher_prev(j[0], j[1]).block_until_ready()),
        }
    for backend, functions in results.items():
        times = median_times(functions, repeats)
        print(backend)
        for name, value in times.items():
            print(f"  {name:18s} {value * 1e3:9.2f} ms")
        for what in ("kl", "fisher"):
            print(f"  ratio {what} dd / previous  {times[what + ' dd'] / times[what + ' previous']:7.2f}")
        values = {name: np.asarray(function())[:probe] for name, function in functions.items()}
        for name in ("dd", "previous"):
            kl, f = values["kl " + name], values["fisher " + name]
            kl_err = np.max(np.abs(kl / kl_ref - 1))
            f_err = max(np.max(np.abs(f[i] - ref)) / np.max(np.abs(ref)) for i, ref in enumerate(fisher_ref))
            print(f"  accuracy {name:9s} KL max rel {kl_err:.2e}   Fisher max err/largest {f_err:.2e}")


def _with(factored, call):
    """``call()`` with scale_forms' factorization swapped for ``factored`` (restored after)."""
    saved = scale_forms.factored
    scale_forms.factored = factored
    try:
        return call()
    finally:
        scale_forms.factored = saved


if __name__ == "__main__":
    main(*map(int, sys.argv[1:]))
