"""KL of full-covariance Gaussians on array backends, from double-double Cholesky factors.

    KL(N(μ₁,Σ₁)‖N(μ₂,Σ₂)) = ½[‖y‖² + tr N − log det(I + N)],   Σ₂ = L₂L₂ᵀ,  y = L₂⁻¹(μ₁ − μ₂),
    N = L₂⁻¹(Σ₁ − Σ₂)L₂⁻ᵀ  (so I + N = L₂⁻¹Σ₁L₂⁻ᵀ).

Everything up to the last rounding is double-double (:mod:`symgeom.numeric.double_double`):
L₂ then has a backward error ≈ d·ε²·|L₂||L₂ᵀ|, so the whitened quantities keep a relative error
≈ cond(Σ₂)·ε² (≈ 1e-20 at condition number 10¹², where a float64 factorization keeps ≈ 1e-4 and
the issue's pair came out inf).  Two forms, chosen per batch entry:

* **near** (every pivot pᵢ of I + N at least :data:`NEAR_PIVOT`): with the Cholesky factor
  I + N = CCᵀ (pᵢ = Cᵢᵢ² = 1 + eᵢ)

      tr N − log det(I + N) = Σ_{i>j} Cᵢⱼ² + Σᵢ (eᵢ − log1p eᵢ) = Σ_{i>j} Cᵢⱼ² + Σᵢ kl_div(1, pᵢ),

  a sum of non-negative terms, run on the deviation from I (eᵢ = Nᵢᵢ − Σ_{j<i} Cᵢⱼ², never
  1 + … − 1) from the exact difference Σ₁ − Σ₂ (``two_sum``), so near-equal pairs keep every
  digit; an error δ ≈ cond(Σ₂)·ε²·(1 + ‖N‖) in pᵢ moves the KL by ≈ δ/pᵢ, at most ≈ 16δ;
* **far** (some pivot below it: I + N is ill-conditioned and log pᵢ would inherit δ/pᵢ):

      tr N − log det(I + N) = ‖L₂⁻¹L₁‖²_F − d − 2Σᵢ log(L₁ᵢᵢ/L₂ᵢᵢ),   Σ₁ = L₁L₁ᵀ,

  in double-double up to the d float logarithms (error ≈ 2ε·Σᵢ|log(L₁ᵢᵢ/L₂ᵢᵢ)|); a pivot below
  1/16 means an eigenvalue λ of I + N below it, so the KL is at least ½(λ − 1 − log λ) > 0.9 and
  that error stays relative ε·(a few d·log cond).

Each Σ is first scaled by its own exact power of 4 (:func:`~symgeom.numeric.double_double.scale_exponent`)
so that Dekker's splitting neither over- nor underflows: Σ' = 4⁻ᵏΣ, L = 2ᵏL', and the exponents
come back exactly (‖L₂⁻¹L₁‖² = 4^{k₁−k₂}‖L₂'⁻¹L₁'‖², log-determinants + d(k₁ − k₂)·log 4).
float32 arrays are computed in float64 where the namespace has it (torch; JAX with x64) and
rounded once; JAX without x64 runs the same algorithm in float32 pairs (ε² ≈ 3.6e-15).

Derivatives (torch autograd, JAX forward and reverse mode) go through the double-double
operations; measured against the 60-digit derivative they keep ≈ 2e-16 of the largest entry up to
condition number 10¹² (tests/backends/test_backends_full_covariance_conditioning.py).  No branch of a
``where`` sees a non-positive pivot (those are replaced by 1 before the square root and logarithm).

The family is recognized from its KL's structure (``kl_structure(family).kind == "normal_full"``)
and its chart's arrays (a mean vector and a covariance matrix), never by name; d is read from the
arrays and the loops over it are unrolled (full covariance is derived entry by entry for
d ≤ MAX_FULL_D = 3; larger d specialize the general-d matrix result).
"""

from __future__ import annotations

from typing import Any

from symgeom.backends.scale_forms import times_pow2
from symgeom.numeric import double_double as dd

Array = Any

#: The smallest pivot of I + N = CCᵀ for which the near form is used (see the module docstring).
NEAR_PIVOT = 1.0 / 16

#: log 4 as a double-double (hi, lo).
LOG4 = (1.3862943611198906, 4.638093627692599e-17)


def kl(ops: Any, mu1: Array, cov1: Array, mu2: Array, cov2: Array) -> Array:
    """½[‖y‖² + tr N − log det(I + N)] over the trailing (d,) and (d, d) axes (module docstring)."""
    from symgeom.backends.bregman import float64_for_float32

    xp = ops.xp
    arrays = [mu1, cov1, mu2, cov2]
    dtype = xp.result_type(*arrays)
    arrays = [a if a.dtype == dtype else xp.astype(a, dtype) for a in arrays]
    wide = float64_for_float32(ops, arrays[0])
    if wide is not None:
        arrays = [xp.astype(a, wide) for a in arrays]
    value = _kl(ops, *arrays)
    return value if value.dtype == dtype else xp.astype(value, dtype)


def _scaled(ops: Any, x: dd.DD, n: Array) -> dd.DD:
    """x·2ⁿ exactly (n an integer-valued float array)."""
    return times_pow2(ops, x[0], n), times_pow2(ops, x[1], n)


def _lower(cov: Array, d: int) -> list[list[Array]]:
    return [[cov[..., i, j] for j in range(i + 1)] for i in range(d)]


def _kl(ops: Any, mu1: Array, cov1: Array, mu2: Array, cov2: Array) -> Array:
    xp = ops.xp
    d = cov2.shape[-1]
    k1 = dd.scale_exponent(xp, [cov1[..., i, i] for i in range(d)])
    k2 = dd.scale_exponent(xp, [cov2[..., i, i] for i in range(d)])
    # Σ₁ on its own scale and on Σ₂'s, Σ₂ on its own, the means on Σ₂'s (σ ~ 2^{k₂}); every
    # difference is taken after the scaling: an error term below the smallest normal number
    # would be flushed to zero by XLA on the CPU
    s1 = [[times_pow2(ops, cov1[..., i, j], -2 * k1) for j in range(i + 1)] for i in range(d)]
    s12 = [[times_pow2(ops, cov1[..., i, j], -2 * k2) for j in range(i + 1)] for i in range(d)]
    s2 = [[times_pow2(ops, cov2[..., i, j], -2 * k2) for j in range(i + 1)] for i in range(d)]
    m1 = [times_pow2(ops, mu1[..., i], -k2) for i in range(d)]
    m2 = [times_pow2(ops, mu2[..., i], -k2) for i in range(d)]
    l1 = dd.cholesky(xp, [[dd.from_float(v) for v in row] for row in s1])
    l2 = dd.cholesky(xp, [[dd.from_float(v) for v in row] for row in s2])
    y = dd.solve_lower(l2, [dd.two_sum(a, -b) for a, b in zip(m1, m2, strict=True)])  # L₂'⁻¹(μ₁ − μ₂)'
    mean = dd.dot(y, y)[0]
    delta = [[dd.two_sum(a, -b) for a, b in zip(r1, r2, strict=True)] for r1, r2 in zip(s12, s2, strict=True)]
    near, near_ok, parts = _near(ops, l2, delta)
    far = _far(ops, l1, l2, k1 - k2)
    value = 0.5 * (mean + xp.where(near_ok, near, far))
    if ops.name != "jax":
        return value
    # a subnormal KL (near pairs at a tiny relative distance) is flushed on XLA's CPU: its
    # log-magnitude copy from the non-negative terms (symgeom.backends.tiny_kl)
    from symgeom.backends.tiny_forms import tiny_rescue_for
    from symgeom.backends.tiny_kl import log_near_gaussian

    def log_value() -> Array:  # the far form is ≥ 0.45, never subnormal: its own log
        near_log = log_near_gaussian(xp, [v[0] for v in y], *parts)
        return xp.where(near_ok, near_log, xp.log(value))

    return tiny_rescue_for("jax", xp)(value, 1, log_value)


def _near(
    ops: Any, l2: list[list[dd.DD]], delta: list[list[dd.DD]]
) -> tuple[Array, Array, tuple[list[Array], list[Array], list[Array]]]:
    """(Σ_{i>j} Cᵢⱼ² + Σᵢ kl_div(1, pᵢ), whether every pivot pᵢ ≥ NEAR_PIVOT, and the parts
    (Cᵢⱼ, eᵢ = pᵢ − 1, kl_div(1, pᵢ)) of the sum), N = L₂⁻¹ΔL₂⁻ᵀ with Δ (lower triangle, on
    Σ₂'s scale) symmetric."""
    xp = ops.xp
    d = len(l2)
    full = [[delta[max(i, j)][min(i, j)] for j in range(d)] for i in range(d)]
    h = [dd.solve_lower(l2, [full[i][j] for i in range(d)]) for j in range(d)]  # h[j] = (L₂⁻¹Δ)[:, j]
    # (L₂⁻¹Hᵀ)[:, i] = L₂⁻¹·(row i of H) is row i of N = HL₂⁻ᵀ; its entries j ≤ i (the lower
    # triangle, all the factorization reads) need only the first i + 1 rows of the substitution
    n = [dd.solve_lower(l2[: i + 1], [h[j][i] for j in range(i + 1)]) for i in range(d)]
    one = dd.from_float(l2[0][0][0] * 0 + 1)
    rows: list[list[dd.DD]] = []
    roots: list[dd.DD] = []
    off: list[dd.DD] = []
    terms: list[Array] = []
    deviations: list[Array] = []
    ok = None
    for i in range(d):
        row: list[dd.DD] = []
        for j in range(i):
            value = n[i][j]
            for k in range(j):
                value = dd.sub(value, dd.mul(row[k], rows[j][k]))
            row.append(dd.div(value, roots[j]))
            off.append(dd.square(row[j]))
        e = n[i][i]
        for j in range(i):
            e = dd.sub(e, dd.square(row[j]))
        p = dd.add(one, e)
        good = p[0] >= NEAR_PIVOT
        ok = good if ok is None else ok & good
        # a pivot the near form will not use is replaced by 1 (e = 0): finite values and derivatives
        p = (xp.where(good, p[0], one[0]), xp.where(good, p[1], 0 * p[1]))
        e_hi = xp.where(good, e[0], 0 * e[0])
        roots.append(dd.sqrt(xp, p))
        rows.append(row)
        deviations.append(e_hi)
        terms.append(ops.kl_div(one[0], p[0], -e_hi, -dd.log(xp, p)))
    value = dd.total(off)[0] if off else terms[0] * 0
    for term in terms:
        value = value + term
    return value, ok, ([c[0] for row in rows for c in row], deviations, terms)


def _far(ops: Any, l1: list[list[dd.DD]], l2: list[list[dd.DD]], shift: Array) -> Array:
    """‖L₂⁻¹L₁‖²_F − d − 2Σᵢ log(L₁ᵢᵢ/L₂ᵢᵢ) for L = 2ᵏL' with k₁ − k₂ = ``shift``."""
    xp = ops.xp
    d = len(l2)
    squares: list[dd.DD] = []
    for j in range(d):  # column j of L₂⁻¹L₁ (entries i ≥ j; those above are 0)
        column: list[dd.DD] = []
        for i in range(j, d):
            value = l1[i][j]
            for m in range(j, i):
                value = dd.sub(value, dd.mul(l2[i][m], column[m - j]))
            column.append(dd.div(value, l2[i][i]))
        squares += [dd.square(c) for c in column]
    trace = _scaled(ops, dd.total(squares), 2 * shift)
    logs = [dd.two_sum(-2 * dd.log(xp, dd.div(l1[i][i], l2[i][i])), 0 * shift) for i in range(d)]
    exponent = dd.mul_float((LOG4[0] + 0 * shift, LOG4[1] + 0 * shift), -d * shift)
    return dd.total([trace, dd.from_float(-d + 0 * shift), *logs, exponent])[0]
