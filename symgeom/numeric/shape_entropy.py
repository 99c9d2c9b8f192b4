"""Entropy of a count mass with ratio p(x + 1)/p(x) = Q·(x + s)/(x + 1) (p(0) = Pˢ, P + Q = 1, any real
s > 0) for any mean, by a Frullani integral of the log Γ difference, with a proved quadrature bound.

With D(x) = log Γ(x + s) − log Γ(x + 1), m = sQ/P = E[X], H = −E[log p(X)] = log Γ(s) − s log P
− m log Q − E[D(X)].  Centred at (s − 1)·log m (nothing of size s·log(1/P) left to cancel):

    H = K_s − log P + (1 − s)·log Q − s·φ(−P)/P − R,     R = E[D(X)] − (s − 1)·log m,

K_s = log Γ(s + 1) − s log s + s (30-digit constant of the family), φ(d) = (1 + d)log1p(d) − d ≥ 0
(φ(−P)/P = Σ_{k≥2} P^{k−1}/(k(k − 1)) for small P).  Malmstén's integral
log Γ(z) = ∫₀^∞ [(z − 1)e^{−t} − (e^{−t} − e^{−zt})/(1 − e^{−t})] dt/t,
log m = ∫₀^∞ (e^{−t} − e^{−mt}) dt/t and the PGF G(e^{−t}) = E[e^{−tX}] = (1 + y)^{−s},
y = (Q/P)(1 − e^{−t}), give, with t = eᵘ,

    R = ∫_{−∞}^{∞} φ_R(u) du,   φ_R = (s − 1)e^{−mt} − G·B = G·ψ,   ψ = (s − 1)e^{−δ} − B
      = C − (s − 1)(1 − e^{−δ}),
    B(t) = (e^{−t} − e^{−st})/(1 − e^{−t}),  C = (s − 1) − B = [e^{−st} − 1 + s(1 − e^{−t})]/(1 − e^{−t}),
    δ = mt − s·log1p(y) = s(Q/P)·E(t) + s·(y − log1p y) ≥ 0,  E(t) = t − 1 + e^{−t}

(B, C, s − 1 share one sign; δ is a sum of two non-negative parts, each from a series or in log
space, so nothing underflows at t = 10⁻³⁰⁰ or overflows at Q/P = 10³⁰⁰).  Each node takes the form
of ψ whose two parts are smaller (the first near mt ≲ 1, the second beyond), so its rounding is a
few ulps of min(|C| + |s − 1|(1 − e^{−δ}), |s − 1|e^{−δ} + |B|), not of s.

Quadrature: the trapezoidal rule in u, step h, nodes u₋ … u₊.  Error bound (each part proved;
c = cos d, d = 1.3 < π/2, κ = min(s, 1), τ = |t|):

* analyticity — for |Im u| < d, Re t ≥ τc > 0: 1 + y has positive real part (|e^{−t}| < 1), so G is
  analytic; 1 − e^{−t} ≠ 0.  There |G| ≤ 1 (non-negative coefficients), |1 − G| ≤ mτ and
  |1 − e^{−mt}| ≤ mτ (|1 − e^{−w}| ≤ |w| for Re w ≥ 0), |t/(1 − e^{−t})| ≤ τ/(1 − e^{−τc}) ≤ 1/c + τ,
  |B| ≤ |s − 1|e^{−κτc}(1/c + τ) (B = ±e^{−min(1,s)t}(1 − e^{−|s−1|t})/(1 − e^{−t})) and
  |C| ≤ s(s + 1)τ(1/c + τ)/2 (numerator g(0) = g′(0) = 0, |g″| = |s²e^{−st} − se^{−t}| ≤ s² + s).  So
  |φ_R| ≤ F₁ = 2|s − 1|mτ + s(s + 1)τ(1/c + τ)/2 (form C) and ≤ F₂ = |s − 1|[e^{−mcτ} + e^{−κcτ}(1/c + τ)],
  and ∫|φ_R(u + iy)| du ≤ M = ∫₀^{τ₀}F₁ dτ/τ + ∫_{τ₀}^∞ F₂ dτ/τ ≤ 2|s − 1|mτ₀ + s(s + 1)τ₀(1/c + τ₀/2)/2
  + |s − 1|[log(1 + 1/(mcτ₀)) + log(1 + 1/(κcτ₀))/c + 1/(κc)] (E₁(x) ≤ log(1 + 1/x)), τ₀ = 1/(m + s(s + 1));
  the rule errs by at most 2M/(e^{2πd/h} − 1) (Trefethen & Weideman, SIAM Review 56 (2014), Thm 5.1);
* left truncation — on the real line |φ_R| ≤ F₁ ≤ Λτ for τ ≤ 1, Λ = 2|s − 1|m + s(s + 1)(1/c + 1)/2:
  the nodes below u₋ add at most Λe^{u₋}h/(1 − e^{−h});
* right truncation — on the real line G·(s − 1)e^{−δ} = (s − 1)e^{−mt}, |B| ≤ |s − 1|(1 + τ)e^{−κτ} (c = 1)
  and G decreases in t, so past T = e^{u₊} |φ_R| ≤ |s − 1|[e^{−mτ} + G(T)(1 + τ)e^{−κτ}].  The nodes
  τⱼ = Te^{jh} ≥ T(1 + jh), j ≥ 1: those below the knee 2/κ (at most ⌈log(2/(κT))/h⌉) have
  (1 + τ)e^{−κτ} ≤ 1 + 2/κ; from the first one at or above T′ = max(Te^h, 2/κ), (1 + τ)e^{−κτ/2} decreases,
  so they add ≤ (1 + T′)e^{−κT′}(1 + 1/expm1(κhT′/2)); and Σⱼ e^{−mτⱼ} ≤ e^{−mT}/expm1(mhT).  u₊ is the
  smallest of a grid of candidates (4 apart) that meets the target, so a mass with s > 1 and a huge
  mean, whose G is negligible for mt ≫ s, is not integrated out to t ~ 1.

h, u₋, u₊ make each part ≤ :data:`TARGET`·H₀ (H₀ an estimate of H: −s log P, the −log p(0) ≤ H, for
s ≤ 1; ½log sd above); the caller returns a value only where the total bound is ≤ 1e-12·H.

Rounding (a model, not proved; the tests check the returned bound against the measured error of
the 50-digit references end to end): node error
ε·G·[|ψ|(4 + b·(8 + 2Σ|logs|)) + 16·min(parts) + |s − 1|e^{−δ}δ·(8 + 2Σ|logs|)], b = s·log1p(y),
Σ|logs| = |ℓ| + |log s| + |log E(t)| + |log(1 − e^{−t})| (ℓ = log(Q/P): an error η in ℓ moves G by
≤ b·η and δ by ≤ 2δ·η); summation ε(2 + log₂N)·hΣ|φ_R|; the assembly 8ε·Σ|terms of H|.
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import cache

import mpmath
import numpy as np

#: the half-width d of the strip of analyticity used in the discretization bound
STRIP = 1.3
#: each of the three quadrature error parts is made ≤ TARGET·H₀
TARGET = 1e-17
#: nodes × points evaluated at once
ROWS = 1 << 18
#: float64 unit roundoff
EPS = 2.0 ** -53
#: terms of the power series used below (each converges at least like 1/k! or (1/3)^k there)
TERMS = 26
#: below this argument (t, max(s, 1)·t, y) FEW terms reach 1e-18 of the series
SHORT, FEW = 1e-3, 7


@cache
def _constant(size: Fraction) -> float:
    """K_s = log Γ(s + 1) − s log s + s at 30 digits."""
    with mpmath.workdps(30):
        s = mpmath.mpf(size.numerator) / size.denominator
        return float(mpmath.loggamma(s + 1) - s * mpmath.log(s) + s)


def _exprel(x: np.ndarray) -> np.ndarray:
    """(1 − e^{−x})/x for x ≥ 0, its series below 1e-5."""
    small = x < 1e-5
    safe = np.where(small, 1.0, x)
    return np.where(small, 1 - x / 2 + x * x / 6, -np.expm1(-safe) / safe)


def _refined(series, x: np.ndarray, more: np.ndarray, *args) -> np.ndarray:
    """``series(x, FEW)`` everywhere, ``series(x, TERMS)`` where ``more`` (most nodes need few terms)."""
    out = series(x, FEW, *args)
    if more.any():
        out[more] = series(x[more], TERMS, *args)
    return out


def _e_series(ts: np.ndarray, terms: int) -> np.ndarray:
    """E(t)/t² = Σ_{k≥2}(−t)^{k−2}/k!."""
    series, term = np.zeros_like(ts), np.full_like(ts, 0.5)
    for k in range(2, terms + 2):
        series += term
        term = term * -ts / (k + 1)
    return series


def _log_e(t: np.ndarray, u: np.ndarray) -> np.ndarray:
    """log E(t) = log(t − 1 + e^{−t}) from u = log t: 2u + log(Σ_{k≥2}(−t)^{k−2}/k!) for t < 1."""
    small = t < 1
    ts = np.where(small, t, 0.0)
    series = _refined(_e_series, ts, ts > SHORT)
    big = np.where(small, 1.0, t)
    return np.where(small, 2 * u + np.log(series), np.log(big + np.expm1(-big)))


def _y_minus_log1p(y: np.ndarray, log1p_y: np.ndarray) -> np.ndarray:
    """y − log1p(y) ≥ 0: y²/(2 + y) − 2Σ_{k≥1} w^{2k+1}/(2k + 1), w = y/(2 + y), for y < 1."""
    small = y < 1
    ys = np.where(small, y, 0.0)
    w = ys / (2 + ys)
    tail = _refined(_atanh_tail, w, ys > SHORT)
    return np.where(small, ys * ys / (2 + ys) - 2 * tail, y - log1p_y)


def _atanh_tail(w: np.ndarray, terms: int) -> np.ndarray:
    """Σ_{k≥1} w^{2k+1}/(2k + 1)."""
    w2, power, tail = w * w, w * w * w, np.zeros_like(w)
    for k in range(1, terms):
        tail += power / (2 * k + 1)
        power = power * w2
    return tail


def _c_over(t: np.ndarray, s: float) -> np.ndarray:
    """C(t) = [e^{−st} − 1 + s(1 − e^{−t})]/(1 − e^{−t}); for st < 1, t < 1 the numerator is
    s(s − 1)t²Σ_{k≥2}(−t)^{k−2}q_k/k!, q_k = (s^{k−1} − 1)/(s − 1) (q₂ = 1, q_{k+1} = s·q_k + 1)."""
    small = (t < 1) & (s * t < 1)
    ts = np.where(small, t, 0.0)
    series = _refined(_c_series, ts, max(s, 1.0) * ts > SHORT, s)
    big = np.where(small, 1.0, t)
    direct = (np.expm1(-s * big) - s * np.expm1(-big)) / -np.expm1(-big)
    return np.where(small, s * (s - 1) * ts * series / _exprel(ts), direct)


def _c_series(ts: np.ndarray, terms: int, s: float) -> np.ndarray:
    """Σ_{k≥2}(−t)^{k−2}q_k/k!, |term| ≤ k·(max(s, 1)t)^{k−2}/k!."""
    series, q, fact, power = np.zeros_like(ts), 1.0, 2.0, np.ones_like(ts)
    for k in range(2, terms + 2):
        series += power * (q / fact)
        q, fact, power = s * q + 1, fact * (k + 1), power * -ts
    return series


def _nodes(u: np.ndarray, s: float, ell: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(φ_R, its rounding model, |φ_R|) at the nodes u (module docstring)."""
    log_s = math.log(s)
    with np.errstate(under="ignore", over="ignore", invalid="ignore", divide="ignore"):
        t = np.exp(u)
        lw = u + np.log(_exprel(t))  # log(1 − e^{−t})
        z = ell + lw
        log1p_y = np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))
        y = np.exp(z)
        b = s * log1p_y
        g = np.exp(-b)
        log_e = _log_e(t, u)
        delta = np.exp(log_s + ell + log_e) + s * _y_minus_log1p(y, log1p_y)
        kappa = min(s, 1.0)
        big_b = (s - 1) * np.exp(-kappa * t) * _exprel(abs(s - 1) * t) / _exprel(t)
        big_c = _c_over(t, s)
        e_minus = np.exp(-delta)
        one_minus = -np.expm1(-delta)
        first = np.abs(big_c) + abs(s - 1) * one_minus
        second = abs(s - 1) * e_minus + np.abs(big_b)
        psi = np.where(first <= second, big_c - (s - 1) * one_minus, (s - 1) * e_minus - big_b)
        phi = g * psi
        logs = 8 + 2 * (np.abs(ell) + abs(log_s) + np.abs(log_e) + np.abs(lw))
        spread = np.where(e_minus > 0, abs(s - 1) * e_minus * delta, 0.0) * logs
        error = EPS * g * (np.abs(psi) * (4 + b * logs) + 16 * np.minimum(first, second) + spread)
        live = g > 0
        return np.where(live, phi, 0.0), np.where(live, error, 0.0), np.where(live, np.abs(phi), 0.0)


def _phi_over_p(p: np.ndarray) -> np.ndarray:
    """φ(−P)/P = [(1 − P)log1p(−P) + P]/P ≥ 0: Σ_{k≥2}P^{k−1}/(k(k − 1)) for P < ½."""
    small = p < 0.5
    ps = np.where(small, p, 0.0)
    series, power = np.zeros_like(p), ps.copy()
    for k in range(2, 64):
        series += power / (k * (k - 1))
        power = power * ps
    big = np.where(small, 0.5, p)
    return np.where(small, series, ((1 - big) * np.log1p(-big) + big) / big)


def _plan(s: float, log_m: np.ndarray, target: np.ndarray
          ) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """(h, u₋, u₊, bound): the step and ends making each part ≤ target, and the proved bound."""
    c, kappa, a = math.cos(STRIP), min(s, 1.0), abs(s - 1)
    ss = s * (s + 1)
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        m = np.exp(log_m)  # inf where it overflows: only its reciprocal and logs are used
        log_tau0 = -np.logaddexp(log_m, math.log(ss))  # τ₀ = 1/(m + s(s + 1))
        tau0 = np.exp(log_tau0)
        m_tau0 = np.exp(log_m + log_tau0)
        strip = (2 * a * m_tau0 + ss * tau0 * (1 / c + tau0 / 2) / 2
                 + a * (np.log1p(1 / (c * m_tau0)) + (np.logaddexp(0, -math.log(kappa * c) - log_tau0)) / c
                        + 1 / (kappa * c)))
        h = float(np.min(2 * math.pi * STRIP / np.log1p(2 * strip / target)))
        log_lam = np.logaddexp(math.log(2 * a) + log_m, math.log(ss * (1 / c + 1) / 2))
        lower = np.minimum(np.log(target * -math.expm1(-h) / h) - log_lam, 0.0)
        knee = 2 / kappa
        ell = (log_m - math.log(s))[:, None]

        def right(log_t: np.ndarray) -> np.ndarray:
            big_t = np.exp(log_t)
            z = ell + log_t + np.log(_exprel(big_t))  # log y(T)
            g_t = np.exp(-s * (np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))))
            below = np.maximum(np.ceil((math.log(knee) - log_t) / h), 0)
            t1 = np.maximum(big_t * math.exp(h), knee)
            far = (1 + t1) * np.exp(-kappa * t1) * (1 + 1 / np.expm1(kappa * h * t1 / 2))
            slow = below * (1 + knee) + far
            return h * a * (np.exp(-m[:, None] * big_t) / np.expm1(m[:, None] * h * big_t) + g_t * slow)

        # candidates e^{u₊} from 40·knee down to e^{u₋}, 4 units of u apart: the smallest of the run
        # from the top that meets the target (the bound is not monotone in T)
        top = math.log(40 * knee)
        while np.any(~(right(np.full((log_m.size, 1), top))[:, 0] <= target)):
            top += 1
        grid = top - 4.0 * np.arange(int(np.ceil((top - np.min(lower, initial=top)) / 4)) + 1)
        ok = np.cumprod(right(np.broadcast_to(grid, (log_m.size, grid.size))) <= target[:, None], axis=1)
        log_t = grid[np.maximum(np.sum(ok, axis=1) - 1, 0)]
        steps = np.maximum(np.ceil((log_t - lower) / h), 1)
        upper = lower + steps * h
        bound = (2 * strip / np.expm1(2 * math.pi * STRIP / h)
                 + np.exp(log_lam + lower) * h / -math.expm1(-h) + right(upper[:, None])[:, 0])
    return h, lower, steps, bound


def shape_entropy(size: Fraction, small: np.ndarray, small_is_p: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(H, error bound) per point for shape ``size`` = s; ``small`` the smaller of P, Q (exact as given,
    the other 1 − small), ``small_is_p`` whether it is P.  The bound is the quadrature's (proved) plus
    the rounding model's (module docstring)."""
    s = float(size)
    small = np.asarray(small, dtype=float).ravel()
    small_is_p = np.broadcast_to(small_is_p, small.shape).ravel()
    with np.errstate(divide="ignore"):
        log_small, log_large = np.log(small), np.log1p(-small)
    log_p = np.where(small_is_p, log_small, log_large)
    log_q = np.where(small_is_p, log_large, log_small)
    p = np.where(small_is_p, small, -np.expm1(log_p))
    ell = log_q - log_p
    log_m = math.log(s) + ell
    sd_log = 0.5 * (math.log(s) + log_q) - log_p
    estimate = np.maximum(-s * log_p, 0.5 * sd_log) if s <= 1 else np.maximum(0.5 * sd_log, 1.0)
    target = TARGET * estimate
    h, lower, steps, quadrature = _plan(s, log_m, target)
    n = small.size
    total, rounding, magnitude = np.zeros(n), np.zeros(n), np.zeros(n)
    order = np.argsort(steps)  # points of similar length together: fewer padded nodes
    width = max(1, ROWS // max(int(np.max(steps, initial=0)) + 1, 1))
    for start in range(0, n, width):
        rows = order[start:start + width]
        count = int(np.max(steps[rows])) + 1
        j = np.arange(count)
        u = lower[rows, None] + h * j
        phi, error, size_ = _nodes(u, s, ell[rows, None])
        keep = j <= steps[rows, None]
        total[rows] = np.sum(np.where(keep, phi, 0.0), axis=-1)
        rounding[rows] = np.sum(np.where(keep, error, 0.0), axis=-1)
        magnitude[rows] = np.sum(np.where(keep, size_, 0.0), axis=-1)
    r = h * total
    terms = [np.full(n, _constant(size)), -log_p, (1 - s) * log_q, -s * _phi_over_p(p), -r]
    value = sum(terms)
    bound = (quadrature + h * rounding + EPS * (2 + np.log2(steps + 1)) * h * magnitude
             + 8 * EPS * sum(np.abs(x) for x in terms))
    return value, bound
