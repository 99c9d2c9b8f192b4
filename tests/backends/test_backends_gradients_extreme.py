"""Gradients of the torch/JAX KL forms at extreme ratios, near pairs and tiny (subnormal) inputs,
against derivatives evaluated in mpmath.

The reference is the derivative of a KL written here by hand (not symgeom's derivation), evaluated
by mpmath at 60 digits and again at 120 (400, 800 …) until two agree to 1e-25: its exponent range is
unbounded, so the reference has no under- or overflow and a derivative past float64's range is ±inf.
Each chart is checked over a seeded sweep of points (σ ratios over 600 decades, natural parameters
over 500, near pairs at a relative 1e-7, inputs down to 5e-324) on three routes: eager CPU torch
(the NumPy derived gradient, backends.derived_grad), torch with ``create_graph=True`` (the
primitives' partials, the route CUDA torch compiles) and ``jax.jit(jax.grad)`` (custom_jvp
primitives; tiny inputs through the host callback of backends.subnormal_inputs). Tolerance: 1e-13
relative, plus the smallest normal number absolutely (XLA on the CPU flushes a subnormal product).
"""

from __future__ import annotations

from functools import partial

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

torch = pytest.importorskip("torch")
jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

import symgeom as sg  # noqa: E402

RTOL = 1e-13
FLOOR = float(np.finfo(np.float64).smallest_normal)


# --- references ------------------------------------------------------------------------------------
def _normal_kl(m1, v1, m2, v2):
    """KL(N(m1, v1) ‖ N(m2, v2)) for variances v1, v2."""
    return sp.log(v2 / v1) / 2 + (v1 + (m1 - m2) ** 2) / (2 * v2) - sp.Rational(1, 2)


def _mean_std(m1, s1, m2, s2):
    return _normal_kl(m1, s1**2, m2, s2**2)


def _mean_var(m1, v1, m2, v2):
    return _normal_kl(m1, v1, m2, v2)


def _natural(e1, f1, e2, f2):  # η₁ = μ/σ², η₂ = −1/(2σ²)
    return _normal_kl(-e1 / (2 * f1), -1 / (2 * f1), -e2 / (2 * f2), -1 / (2 * f2))


def _diagonal(m11, m21, s11, s21, m12, m22, s12, s22):
    return _mean_std(m11, s11, m12, s12) + _mean_std(m21, s21, m22, s22)


def _rate(l1, l2):  # Exponential(λ)
    return sp.log(l1 / l2) + l2 / l1 - 1


_DERIVATIVES: dict = {}


def _reference(formula, point) -> list[float]:
    """∂formula/∂xᵢ at the float point, in mpmath, precision raised until two agree to 1e-25."""
    if formula not in _DERIVATIVES:
        xs = sp.symbols(f"x0:{len(point)}", real=True)
        f = formula(*xs)
        _DERIVATIVES[formula] = [sp.lambdify(xs, sp.diff(f, x), "mpmath") for x in xs]
    functions, last = _DERIVATIVES[formula], None
    for digits in (60, 120, 400, 800, 1600):
        with mp.workdps(digits):
            values = [f(*[mp.mpf(float(x)) for x in point]) for f in functions]
        if last is not None and all(abs(a - b) <= mp.mpf(10) ** -25 * abs(a) for a, b in zip(values, last)):
            with np.errstate(over="ignore"):
                return [float(v) for v in values]
        last = values
    raise AssertionError(f"no reference at {point}")


# --- points ----------------------------------------------------------------------------------------
def _log_uniform(rng, low, high, n):
    return 10.0 ** rng.uniform(low, high, n)


def _scale_points(rng, n, decades=150, max_ratio=1e150):
    """(μ₁, s₁, μ₂, s₂) with s over ±``decades`` decades, s₁/s₂ ≤ ``max_ratio`` (the KL finite);
    a quarter of them near pairs."""
    s1, s2 = _log_uniform(rng, -decades, decades, n), _log_uniform(rng, -decades, decades, n)
    s1 = np.minimum(s1, s2 * max_ratio)
    m1, m2 = rng.normal(size=n) * s2, rng.normal(size=n) * s2
    near = rng.random(n) < 0.25  # near pairs: a relative 1e-7 step
    s1 = np.where(near, s2 * (1 + 1e-7 * rng.uniform(-1, 1, n)), s1)
    m1 = np.where(near, m2 + 1e-7 * s2 * rng.uniform(-1, 1, n), m1)
    return [m1, s1, m2, s2]


def _sweep(chart: str, wide: bool, n: int = 40, seed: int = 12) -> tuple[object, list[np.ndarray]]:
    """``wide``: scales over hundreds of decades; else within 1e±10 (where eager CPU torch takes
    the NumPy derived gradient, backends.derived_grad.RANGE)."""
    rng = np.random.default_rng(seed)
    # variances within 1e±150 only: at v₂ = 1.4e232 the partial −(Δ/v₂)/v₂ of the printed
    # ½Δ·(Δ/v₂) underflows before it meets the cotangent ½Δ (docs/backends.md, open)
    decades = {"mean_std": 150, "mean_var": 75, "diagonal": 150, "natural": 70, "rate": 150}[chart]
    decades = decades if wide else 10
    scales = partial(_scale_points, rng, n, decades=decades, max_ratio=10.0**decades)
    if chart == "mean_std":
        return sg.Gaussian("mean_std"), scales()
    if chart == "mean_var":
        m1, s1, m2, s2 = scales()
        return sg.Gaussian("mean_var"), [m1, s1 * s1, m2, s2 * s2]
    if chart == "diagonal":
        a, b = scales(), scales()
        return sg.MultivariateGaussian(2, "diagonal", "mean_std"), [
            np.stack([a[0], b[0]], -1), np.stack([a[1], b[1]], -1),
            np.stack([a[2], b[2]], -1), np.stack([a[3], b[3]], -1)]
    if chart == "natural":
        m1, s1, m2, s2 = scales()
        return sg.Gaussian("natural"), [m1 / s1**2, -0.5 / s1**2, m2 / s2**2, -0.5 / s2**2]
    if chart == "rate":  # λ₂/λ₁ within 10^(2·decades) ≤ 1e300: the KL finite
        _, l1, _, l2 = scales()
        return sg.Exponential("rate"), [l1, l2]
    raise ValueError(chart)


FORMULAS = {"mean_std": _mean_std, "mean_var": _mean_var, "diagonal": _diagonal, "natural": _natural,
            "rate": _rate}


def _scalar_points(batch: list[np.ndarray]) -> list[list[float]]:
    """Each entry's point as the scalar arguments of the hand-written formula."""
    flat = [a if a.ndim == 1 else a.T for a in batch]
    columns = [c for a in flat for c in (a if a.ndim == 2 else [a])]
    return [list(p) for p in zip(*columns, strict=True)]


def _flat_gradients(grads: list[np.ndarray]) -> np.ndarray:
    """(entries, arguments) in the formula's order."""
    columns = []
    for g in grads:
        g = np.asarray(g, dtype=np.float64)
        columns += [g] if g.ndim == 1 else list(g.T)
    return np.stack(columns, axis=-1)


# --- routes ----------------------------------------------------------------------------------------
def _torch_gradients(derivation, batch, create_graph: bool) -> np.ndarray:
    tensors = [torch.as_tensor(a).requires_grad_() for a in batch]
    value = derivation.torch()(*tensors).sum()
    grads = torch.autograd.grad(value, tensors, create_graph=create_graph)
    return _flat_gradients([g.detach().numpy() for g in grads])


def _jax_gradients(derivation, batch) -> np.ndarray:
    function = derivation.jax()
    grad = jax.jit(jax.grad(lambda *a: jnp.sum(function(*a)), argnums=tuple(range(len(batch)))))
    return _flat_gradients([np.asarray(g) for g in grad(*[jnp.asarray(a) for a in batch])])


ROUTES = {
    "torch": lambda d, b: _torch_gradients(d, b, False),
    "torch_graph": lambda d, b: _torch_gradients(d, b, True),
    "jax": _jax_gradients,
}


def _mismatches(got: np.ndarray, want: np.ndarray) -> list[str]:
    finite = np.isfinite(want)
    close = np.abs(got - want) <= RTOL * np.abs(want) + FLOOR
    same_inf = ~finite & (got == want)
    bad = ~np.where(finite, close, same_inf)
    return [f"entry {i}, argument {k}: {got[i, k]!r} vs {want[i, k]!r}" for i, k in np.argwhere(bad)[:5]]


@pytest.mark.parametrize("wide", [False, True], ids=["moderate", "wide"])
@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("chart", list(FORMULAS))
def test_kl_gradient_over_extreme_ratios_and_near_pairs(chart, route, wide):
    family, batch = _sweep(chart, wide)
    want = np.array([_reference(FORMULAS[chart], p) for p in _scalar_points(batch)])
    got = ROUTES[route](sg.kl(family), batch)
    assert not _mismatches(got, want), _mismatches(got, want)


def test_gaussian_kl_gradient_at_the_quoted_sigma_ratio():
    """σ₁ = 1.2e-106, σ₂ = 9.1e73: (σ₁/σ₂)² underflows; ∂KL/∂σ₁ = −1/σ₁ + σ₁/σ₂² = −8.27e105 (the
    gradient was −inf on JAX: −d/b with b = 0)."""
    point = [0.06, 1.2097085419959127e-106, -2.9506026787137163, 9.120172388933655e73]
    batch = [np.array([x]) for x in point]
    want = np.array([_reference(_mean_std, point)])
    for route in ROUTES.values():
        got = route(sg.kl(sg.Gaussian("mean_std")), batch)
        assert not _mismatches(got, want), _mismatches(got, want)


# --- tiny inputs -----------------------------------------------------------------------------------
def _tiny_sweep(chart: str, n: int = 24, seed: int = 5) -> tuple[object, list[np.ndarray]]:
    """Points with one or two inputs below 2⁻⁵¹¹ (down to 5e-324), the KL finite."""
    rng = np.random.default_rng(seed)
    tiny = np.concatenate([[5e-324, 1e-320, 2.2e-308], _log_uniform(rng, -323, -155, n - 3)])
    other = _log_uniform(rng, -150, 150, n)
    if chart == "mean_std":
        s1 = np.where(rng.random(n) < 0.5, tiny, other)
        s2 = np.where(s1 == tiny, np.maximum(other, s1 * 1e-100), tiny)  # σ₁/σ₂ ≤ 1e100
        s1 = np.minimum(s1, s2 * 1e100)
        m1 = np.where(rng.random(n) < 0.5, tiny * rng.uniform(-1, 1, n), rng.normal(size=n) * s2)
        return sg.Gaussian("mean_std"), [m1, s1, np.zeros(n), s2]
    if chart == "rate":
        l1 = np.where(rng.random(n) < 0.5, tiny, other)
        l2 = np.where(l1 == tiny, other, tiny)
        with np.errstate(over="ignore"):
            l2 = np.minimum(l2, l1 * 1e300)  # λ₂/λ₁ ≤ 1e300: the KL finite
        return sg.Exponential("rate"), [l1, l2]
    raise ValueError(chart)


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("chart", ["mean_std", "rate"])
def test_kl_gradient_at_tiny_inputs(chart, route):
    family, batch = _tiny_sweep(chart)
    want = np.array([_reference(FORMULAS[chart], p) for p in _scalar_points(batch)])
    got = ROUTES[route](sg.kl(family), batch)
    assert not _mismatches(got, want), _mismatches(got, want)
