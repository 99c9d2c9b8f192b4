"""The Bregman divergence of φ(x) = lnΓ(x) − x·log x + x, and the lnΓ-sum KL built from it.

    D_φ(y₂, y₁) = φ(y₂) − φ(y₁) − (y₂ − y₁)·φ′(y₁),   φ′ = ψ − log,   φ″ = ψ′ − 1/x > 0.

Splitting lnΓ(y) = φ(y) + (y·log y − y) turns the Bregman divergence of a log-partition made of
lnΓ terms (Gamma, Beta, Dirichlet, see :mod:`symgeom.numeric.lngamma`) into Σ c·D_φ plus a sum of
kl_div terms; D_φ is small next to them for large y (φ″ ≈ 1/(2y²)), so the large-shape digits
live in kl_div, which keeps them.  :func:`stirling_bregman` evaluates D_φ by

* ρ = |h|/min(y₁, y₂) > :data:`FAR` (:data:`FAR_MODERATE` for shapes < :data:`MODERATE`): the
  direct form (its terms cancel by at most ≈ 100×), with
  φ(y) = ½log 2π − ½log y + S(y) (Stirling, S = Σⱼ bⱼ y^{1−2j}, ten terms) for y ≥ :data:`LARGE`,
  and for y₁, y₂ ≥ LARGE D_φ = ½(u − log(y₂/y₁)) + S(y₂) − S(y₁) − h·S′(y₁), u = h/y₁, where
  the large ½log y terms cancel exactly;
* otherwise the exact remainder h²∫₀¹(1 − t)φ″(y₁ + th)dt by n-node Gauss–Legendre, with n
  from ρ: the rule's relative error falls like ρ^{2n−1} (the integrand's t-derivatives scale
  like ρᵏ, φ″'s nearest singularity being x = 0), and each row of :data:`NODES_FOR_RHO` keeps
  it below 2·10⁻¹⁵ at its largest ρ (measured against mpmath at y from 10⁻³ to 30,
  tests/numeric/test_numeric_lngamma.py).

φ″(x) is summed from positive terms only: φ″(x) = Σ_{k<N} 1/((x+k)²(x+k+1)) + φ″(x + N) and the
asymptotic series 1/(2y²) + Σⱼ B₂ⱼ/y^{2j+1} past 10, so it keeps its digits where ψ′(x) − 1/x
would cancel (all of x ≫ 1).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from symgeom.numeric.special import gammaln, times_digamma

#: B₂, B₄, …, B₂₀.
_B = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510, 43867 / 798, -174611 / 330)
#: Stirling coefficients bⱼ = B₂ⱼ/(2j(2j − 1)); S(y) = Σⱼ bⱼ y^{1−2j}.  At y ≥ 8 the first omitted
#: term of S, S′ is below 10⁻¹⁶ of φ, φ′.
_STIRLING = tuple(b / (2 * j * (2 * j - 1)) for j, b in enumerate(_B, start=1))
#: Both shapes at least this: the Stirling form of D_φ.
LARGE = 8.0
#: φ″'s recurrence shifts arguments up to at least this before its asymptotic series.
PHI_SHIFT = 10.0
#: Relative gap ρ above which the direct form is used: its absolute error, a few ulp of the
#: largest of lnΓ(y), y·log y, y, is then below 4·10⁻¹³ of D_φ (measured against mpmath); where
#: the smaller shape is below MODERATE those terms are ≲ 7 and ρ > FAR_MODERATE suffices for
#: 1.2·10⁻¹³ (one node group of the quadrature fewer for most of a random batch).
FAR = 0.25
FAR_MODERATE = 0.15
MODERATE = 4.0
#: (largest ρ, Gauss–Legendre nodes): relative quadrature error ≤ 2·10⁻¹⁵ on each row.
NODES_FOR_RHO = ((1e-5, 2), (2e-3, 3), (2e-2, 4), (6e-2, 5), (0.15, 6), (FAR, 8))
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _gauss(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes t and weights w·(1 − t) of the n-node Gauss–Legendre rule on [0, 1]."""
    x, w = np.polynomial.legendre.leggauss(n)
    t = (x + 1) / 2
    return t, w / 2 * (1 - t)


_RULES = {n: _gauss(n) for _, n in NODES_FOR_RHO}
_LIMITS = np.array([limit for limit, _ in NODES_FOR_RHO])


def _stirling_s(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """S(y) = Σⱼ bⱼ y^{1−2j} and S′(y) = −Σⱼ (2j − 1)bⱼ y^{−2j}, by Horner in 1/y²."""
    r = 1 / y
    w = r * r
    s = np.zeros_like(y)
    ds = np.zeros_like(y)
    for j in range(len(_STIRLING), 0, -1):
        b = _STIRLING[j - 1]
        s = s * w + b
        ds = ds * w + (2 * j - 1) * b
    return s * r, -ds * w


def phi(y: np.ndarray) -> np.ndarray:
    """φ(y) = lnΓ(y) − y·log y + y (Stirling for y ≥ LARGE)."""
    y = np.asarray(y, dtype=np.float64)
    # an array even for a 0-d y (SciPy returns a scalar there, and the Stirling values written
    # into a reshape of a scalar were lost: φ(10⁶) kept the direct form's 7e-10 error)
    out = np.array(gammaln(y) - y * np.log(y) + y)
    big = np.flatnonzero(y.reshape(-1) >= LARGE)
    if big.size:
        yb = y.reshape(-1)[big]
        out.reshape(-1)[big] = _HALF_LOG_2PI - 0.5 * np.log(yb) + _stirling_s(yb)[0]
    return out


def phi_prime(y: np.ndarray) -> np.ndarray:
    """φ′(y) = ψ(y) − log y (−1/(2y) + S′(y) for y ≥ LARGE)."""
    y = np.asarray(y, dtype=np.float64)
    out = np.array(special.digamma(y) - np.log(y))  # an array even for a 0-d y (see phi)
    big = np.flatnonzero(y.reshape(-1) >= LARGE)
    if big.size:
        yb = y.reshape(-1)[big]
        out.reshape(-1)[big] = -0.5 / yb + _stirling_s(yb)[1]
    return out


def phi_second(x: np.ndarray) -> np.ndarray:
    """φ″(x) = ψ′(x) − 1/x > 0 for x > 0, from positive terms only (module docstring)."""
    x = np.array(x, dtype=np.float64, copy=True)
    total = np.zeros_like(x)
    low = float(np.min(x)) if x.size else PHI_SHIFT
    # One shift count for every entry (the recurrence holds for any count): whole-array steps.
    steps = math.ceil(PHI_SHIFT - low) if low < PHI_SHIFT else 0
    d = np.empty_like(x)
    for _ in range(steps):
        np.multiply(x, x, out=d)
        x += 1
        d *= x
        np.reciprocal(d, out=d)
        total += d
    r = np.reciprocal(x, out=x)
    w = np.multiply(r, r, out=d)
    series = np.full_like(x, _B[-1])
    for b in reversed(_B[:-1]):
        series *= w
        series += b
    series *= r
    series += 0.5
    series *= w
    total += series
    return total


def _phi_direct(y1: np.ndarray, y2: np.ndarray, h: np.ndarray) -> np.ndarray:
    """D_φ = lnΓ(y₂) − lnΓ(y₁) − hψ(y₁) − y₂·log(y₂/y₁) + h where the pair is far apart; pairs
    with a shape ≥ LARGE take the Stirling forms (:func:`_phi_direct_large`)."""
    out = gammaln(y2)
    out -= gammaln(y1)
    out -= times_digamma(h, y1)
    out -= y2 * np.log(y2 / y1)
    out += h
    big = np.flatnonzero(np.maximum(y1, y2) >= LARGE)
    if big.size:
        out[big] = _phi_direct_large(y1[big], y2[big], h[big])
    return out


def _phi_direct_large(y1: np.ndarray, y2: np.ndarray, h: np.ndarray) -> np.ndarray:
    """D_φ = φ(y₂) − φ(y₁) − h·φ′(y₁) with φ, φ′ by Stirling where y ≥ LARGE."""
    big = (y1 >= LARGE) & (y2 >= LARGE)
    if not big.any():
        return phi(y2) - phi(y1) - h * phi_prime(y1)
    out = np.empty_like(y1)
    index = np.flatnonzero(big)
    a, b, d = y1[index], y2[index], h[index]
    s1, ds1 = _stirling_s(a)
    s2, _ = _stirling_s(b)
    # log(y₂/y₁), not log1p(u): u → −1 when y₂ ≪ y₁, where 1 + u would lose the digits of y₂.
    out[index] = 0.5 * (d / a - np.log(b / a)) + (s2 - s1 - d * ds1)
    rest = np.flatnonzero(~big)
    if rest.size:
        a, b, d = y1[rest], y2[rest], h[rest]
        out[rest] = phi(b) - phi(a) - d * phi_prime(a)
    return out


#: Above this x, φ″(x) = (½ + O(1/x))/x² is ½/x² in float64 (the next term is below 2⁻³⁰⁰ of it).
PHI_SECOND_HUGE = 2.0**300


def _phi_remainder(y1: np.ndarray, h: np.ndarray, nodes: int) -> np.ndarray:
    """h²·∫₀¹(1 − t)φ″(y₁ + th)dt by the n-node Gauss–Legendre rule; at y₁ ≥ PHI_SECOND_HUGE the
    integrand is ½(h/x)² (h² overflows and φ″(x) underflows there: inf·0 was nan, Beta KL at
    a = 1.5·10²⁹⁴ moved by 10⁻⁶ was refused)."""
    t, w = _RULES[nodes]
    x = y1[None, :] + t[:, None] * h[None, :]
    huge = y1 >= PHI_SECOND_HUGE
    if not huge.any():
        return h * h * (w @ phi_second(x))
    q = h[None, :] / x
    return np.where(huge, w @ (0.5 * q * q), h * h * (w @ phi_second(np.where(huge[None, :], 1.0, x))))


def stirling_bregman(y1: np.ndarray, y2: np.ndarray, h: np.ndarray) -> np.ndarray:
    """D_φ(y₂, y₁) ≥ 0 for y₁, y₂ > 0, given h = y₂ − y₁ (exact, from the caller's inputs).

    Elementwise in float64 (see the module docstring for the branches); nan where y ≤ 0.
    """
    y1, y2, h = (np.asarray(x, dtype=np.float64) for x in np.broadcast_arrays(y1, y2, h))
    shape = y1.shape
    y1, y2, h = (x.reshape(-1) for x in (y1, y2, h))
    with np.errstate(all="ignore"):
        small = np.minimum(y1, y2)
        rho = np.abs(h) / small
        # nan compares False: such rows take the direct form, which returns nan for them.
        near = (rho <= FAR_MODERATE) | ((rho <= FAR) & (small >= MODERATE))
        count = int(np.count_nonzero(near))
        if count == 0:
            return _phi_direct(y1, y2, h).reshape(shape)
        if count == y1.size:
            return _near(y1, h, rho).reshape(shape)
        # Gathering the subsets (blocks are cache-sized) costs less than either form on all.
        index = np.flatnonzero(near)
        far = np.flatnonzero(~near)
        out = np.empty_like(y1)
        out[far] = _phi_direct(y1[far], y2[far], h[far])
        out[index] = _near(y1[index], h[index], rho[index])
    return out.reshape(shape)


def _near(y1: np.ndarray, h: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """The remainder for pairs with ρ ≤ FAR, each with the node count its ρ needs."""
    group = np.searchsorted(_LIMITS, rho)
    first = int(group[0])
    if np.all(group == first):
        return _phi_remainder(y1, h, NODES_FOR_RHO[first][1])
    values = np.empty_like(y1)
    for g, (_, nodes) in enumerate(NODES_FOR_RHO):
        members = np.flatnonzero(group == g)
        if members.size:
            values[members] = _phi_remainder(y1[members], h[members], nodes)
    return values
