"""KL of full-covariance Gaussians on array backends, from Cholesky factors, with no cancellation.

    KL(N(μ₁,Σ₁)‖N(μ₂,Σ₂)) = ½[‖y‖² + tr N − log det(I + N)],   Σ₂ = L₂L₂ᵀ,  y = L₂⁻¹(μ₁ − μ₂),
    N = L₂⁻¹(Σ₁ − Σ₂)L₂⁻ᵀ  (so I + N = L₂⁻¹Σ₁L₂⁻ᵀ),

and with the Cholesky factor I + N = CCᵀ (cᵢ = Cᵢᵢ, eᵢ = cᵢ² − 1)

    tr N − log det(I + N) = Σ_{i>j} Cᵢⱼ² + Σᵢ (eᵢ − log1p eᵢ) = Σ_{i>j} Cᵢⱼ² + Σᵢ kl_div(1, 1 + eᵢ),

a sum of non-negative terms.  The factorization is run on the deviation from I
(eᵢ = Nᵢᵢ − Σ_{j<i} Cᵢⱼ², never 1 + … − 1), so when Σ₁ ≈ Σ₂ every term keeps its relative
accuracy (Σ₁ − Σ₂ is exact entrywise), where the textbook tr(Σ₂⁻¹Σ₁) − d − log(|Σ₁|/|Σ₂|)
cancels to nothing.  This is the form :func:`symgeom.numeric.kl.full_gaussian` evaluates with
eigenvalues (Σⱼ kl_div(1, 1 + νⱼ), νⱼ = eig N); the Cholesky form needs no eigendecomposition, so
its derivatives (torch autograd, JAX) have no 1/(λᵢ − λⱼ) terms at repeated eigenvalues.

The family is recognized from its KL's structure (``kl_structure(family).kind == "normal_full"``)
and its chart's arrays (a mean vector and a covariance matrix), never by name; d is read from the
arrays and the loops over it are unrolled (full covariance is derived for d ≤ 5).
"""

from __future__ import annotations

from typing import Any

Array = Any


def _solve_lower(lower: list[list[Array]], rhs: list[Array]) -> list[Array]:
    """L⁻¹b by forward substitution, L as rows of batch arrays (entries on and below the diagonal)."""
    out: list[Array] = []
    for i, row in enumerate(lower):
        total = rhs[i]
        for j in range(i):
            total = total - row[j] * out[j]
        out.append(total / row[i])
    return out


def kl(ops: Any, mu1: Array, cov1: Array, mu2: Array, cov2: Array) -> Array:
    """½[‖y‖² + Σ_{i>j} Cᵢⱼ² + Σᵢ kl_div(1, 1 + eᵢ)] over the trailing (d,) and (d, d) axes."""
    xp = ops.xp
    d = cov2.shape[-1]
    chol = xp.linalg.cholesky(cov2)
    lower = [[chol[..., i, j] for j in range(i + 1)] for i in range(d)]
    y = _solve_lower(lower, [mu1[..., i] - mu2[..., i] for i in range(d)])
    delta = cov1 - cov2
    # H = L₂⁻¹Δ column by column, then N = L₂⁻¹Hᵀ (Δ symmetric, so N = L₂⁻¹ΔL₂⁻ᵀ).
    columns = [_solve_lower(lower, [delta[..., i, j] for i in range(d)]) for j in range(d)]
    rows_of_h_t = [[columns[j][i] for i in range(d)] for j in range(d)]  # Hᵀ[j][i] = H[i][j]
    n_columns = [_solve_lower(lower, [rows_of_h_t[j][i] for j in range(d)]) for i in range(d)]
    n = [[0.5 * (n_columns[j][i] + n_columns[i][j]) for j in range(d)] for i in range(d)]
    c: list[list[Array]] = []
    excess: list[Array] = []
    off = None
    for i in range(d):
        row: list[Array] = []
        for j in range(i):
            total = n[i][j]
            for k in range(j):
                total = total - row[k] * c[j][k]
            row.append(total / xp.sqrt(1 + excess[j]))
            off = row[j] * row[j] if off is None else off + row[j] * row[j]
        e = n[i][i]
        for j in range(i):
            e = e - row[j] * row[j]
        excess.append(e)
        row.append(xp.sqrt(1 + e))
        c.append(row)
    one = ops.asarray(1.0, mu1)
    total = off
    for e in excess:
        term = ops.kl_div(one, 1 + e, -e, -xp.log1p(e))
        total = term if total is None else total + term
    mean = y[0] * y[0]
    for value in y[1:]:
        mean = mean + value * value
    return 0.5 * (mean + total)
