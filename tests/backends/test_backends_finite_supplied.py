"""torch and JAX entropy and Fisher of finite-support families with the SUPPLIED probabilities
(issue 12; symgeom.backends.finite_supplied): values against 50-digit mpmath evaluations of the
definitions H = Σₓ −p(x) log p(x), F = Σₓ p(x) s(x)s(x)ᵀ (outcomes with p(x) = 0 left out, a
simplex's last probability as supplied, not 1 − Σ), against ``.numpy()``, and gradients against
mpmath derivatives of the same definitions.

The reference is built from the family's raw log-density (SymPy ``diff`` for the scores, mpmath
for the arithmetic), not from the stable per-outcome rewrite under test (LSE, log1p, entr, √p)."""

from __future__ import annotations

from functools import cache

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

torch = pytest.importorskip("torch")
jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

import symgeom as sg  # noqa: E402
from symgeom.families.base import ArrayArgument, Family, FiniteSupport, Parameter, Parameterization  # noqa: E402


@cache
def die3() -> Family:
    """A user's three-outcome family on x ∈ {0, 1, 2} with a simplex chart (P(2) = 1 − a − b)."""
    x = sp.Symbol("x", integer=True, nonnegative=True)
    pars = (Parameter("a", "a", "P(x = 0)", lower=0.0, upper=1.0, lower_included=True, upper_included=True),
            Parameter("b", "b", "P(x = 1)", lower=0.0, upper=1.0, lower_included=True, upper_included=True))
    a, b = (q.symbol() for q in pars)
    return Family(
        name="die3", title="three-sided die", size=(), variables=(x,),
        support=FiniteSupport(outcomes=((0,), (1,), (2,))),
        log_density_reference=(x - 1) * (x - 2) / 2 * sp.log(a) - x * (x - 2) * sp.log(b)
        + x * (x - 1) / 2 * sp.log(1 - a - b),
        exponential_form=None,
        parameterizations=(Parameterization(
            "probs", "P(0), P(1); P(2) = 1 − a − b", pars, (a, b),
            constraints=((a + b < 1, "the probabilities must sum to less than 1"),),
            arrays=(ArrayArgument("p", 2, "simplex"),)),),
        param="probs",
    )


@cache
def binomial3() -> Family:
    """A user's Binomial(3, p) in its probability chart (scalar argument, no simplex)."""
    x = sp.Symbol("x", integer=True, nonnegative=True)
    par = Parameter("p", "p", "success probability", lower=0.0, upper=1.0, lower_included=True,
                    upper_included=True)
    p = par.symbol()
    return Family(
        name="binomial3", title="Binomial(3)", size=(), variables=(x,),
        support=FiniteSupport(outcomes=tuple((i,) for i in range(4))),
        log_density_reference=sp.log(sp.binomial(3, x)) + x * sp.log(p) + (3 - x) * sp.log(1 - p),
        exponential_form=None,
        parameterizations=(Parameterization("prob", "p", (par,), (p,)),), param="prob",
    )


CAT3 = [[0.5, 0.5, 0.0], [1e-300, 0.5, 0.5], [1e-17, 1e-17, 1 - 2e-17], [0.2, 0.3, 0.5], [0.0, 0.0, 1.0],
        [1e-160, 1e-160, 1 - 2e-160]]
CASES = [
    (sg.Categorical(2), [[1 - 1e-16, 1e-16], [1.0, 1e-20], [1e-300, 1.0], [0.4, 0.6], [1.0, 0.0],
                         [0.0, 1.0]]),
    (sg.Categorical(3), CAT3),
    (sg.Categorical(6), [[1e-300, 1e-200, 1e-100, 0.25, 0.25, 0.5], [0.1, 0.2, 0.3, 0.15, 0.05, 0.2],
                         [0.0, 0.5, 0.0, 0.0, 0.5, 0.0]]),
    (sg.Bernoulli(), [0.0, 1e-300, 1e-17, 0.3, 1 - 1e-16, 1.0]),
    (die3(), CAT3),
    (binomial3(), [1e-300, 1e-17, 0.3, 1 - 1e-16]),
]
IDS = [f.label for f, _ in CASES]
BACKENDS = {"torch": torch.tensor, "jax": jnp.asarray}


def _simplex_last(family: Family) -> tuple[dict[sp.Expr, sp.Symbol], list[int]]:
    """1 − Σp of the simplex argument → a symbol for the supplied last entry; its array index."""
    out, where, start = {}, [], 0
    for index, arg in enumerate(family.chart.array_arguments):
        if arg.form == "simplex":
            out[1 - sp.Add(*family.symbols()[start : start + arg.count])] = sp.Symbol("last", positive=True)
            where.append(index)
        start += arg.count
    return out, where


@cache
def _reference(family: Family):
    replace, _ = _simplex_last(family)
    symbols = family.symbols() + tuple(replace.values())
    raw = family.log_density(None)
    out = []
    for outcome in family.support.outcomes:
        ell = raw.xreplace(dict(zip(family.variables, outcome)))
        score = [sp.diff(ell, s).xreplace(replace) for s in family.symbols()]
        # ∂p(x)/∂θ of p(x) as a polynomial (finite on the boundary, where p(x) = 0)
        p = sp.expand_power_exp(sp.exp(sp.expand_log(ell, force=True)))
        gradient = [sp.diff(p, s).xreplace(replace) for s in family.symbols()]
        out.append((sp.lambdify(symbols, ell.xreplace(replace), "mpmath"),
                    sp.lambdify(symbols, score, "mpmath"), sp.lambdify(symbols, gradient, "mpmath")))
    return out


def _values(family: Family, point: list[mp.mpf]) -> list[mp.mpf]:
    """Chart scalars and supplied last entry of a probability vector (or a scalar p)."""
    return [*point[:-1], point[-1]] if _simplex_last(family)[1] else list(point)


def mp_entropy(family: Family, point: list[mp.mpf]) -> mp.mpf:
    total = mp.mpf(0)
    for ell, _, _ in _reference(family):
        p = mp.exp(ell(*_values(family, point))) if _nonzero(family, ell, point) else mp.mpf(0)
        total += -p * mp.log(p) if p else 0
    return total


def mp_fisher(family: Family, point: list[mp.mpf]) -> mp.matrix:
    n = len(family.symbols())
    out = mp.matrix(n, n)
    for ell, score, gradient in _reference(family):
        args = _values(family, point)
        if not _nonzero(family, ell, point):
            # p(x) = 0 on the boundary: the term ∂ᵢp ∂ⱼp / p is ±∞ where ∂ᵢp ∂ⱼp ≠ 0 (its limit)
            g = gradient(*args)
            for i in range(n):
                for j in range(n):
                    if g[i] * g[j] != 0:
                        out[i, j] += mp.inf if g[i] * g[j] > 0 else -mp.inf
            continue
        p, s = mp.exp(ell(*args)), score(*args)
        for i in range(n):
            for j in range(n):
                out[i, j] += p * s[i] * s[j]
    return out


def _nonzero(family: Family, ell, point: list[mp.mpf]) -> bool:
    try:
        return bool(mp.isfinite(ell(*_values(family, point))))
    except (ValueError, ZeroDivisionError):  # log 0
        return False


def _mp_point(point: object) -> list[mp.mpf]:
    return [mp.mpf(float(v)) for v in np.atleast_1d(np.asarray(point, dtype=float))]


@pytest.mark.parametrize("backend", ["torch", "jax"])
@pytest.mark.parametrize(("family", "points"), CASES, ids=IDS)
def test_values_against_mpmath_and_numpy(family, points, backend):
    x = np.asarray(points, dtype=float)
    entropy = np.asarray(getattr(sg.entropy(family), backend)()(BACKENDS[backend](x)))
    fisher = np.asarray(getattr(sg.fisher(family), backend)()(BACKENDS[backend](x)))
    n = len(family.symbols())
    # 800 digits: at p = 1e-300 the other outcome's log(1 − p) = −1e-300 (a share 1/691 of H) is
    # 0 to 50 digits
    with mp.workdps(800):
        for row, point in enumerate(points):
            mpoint = _mp_point(point)
            want = float(mp_entropy(family, mpoint))
            assert entropy[row] >= 0 and abs(entropy[row] - want) <= 1e-12 * want, (point, entropy[row], want)
            matrix = mp_fisher(family, mpoint)
            want_f = np.array([[float(matrix[i, j]) for j in range(n)] for i in range(n)])
            np.testing.assert_allclose(fisher[row], want_f, rtol=1e-12, atol=0, err_msg=str(point))
            np.testing.assert_array_equal(fisher[row], fisher[row].T)  # exactly symmetric
    np.testing.assert_allclose(entropy, sg.entropy(family).numpy()(x), rtol=1e-12, atol=0)
    np.testing.assert_allclose(fisher, sg.fisher(family).numpy()(x), rtol=1e-12, atol=0)


F32 = [(sg.Categorical(3), [[0.5, 0.5, 0.0], [1e-30, 0.5, 0.5], [0.2, 0.3, 0.5], [1e-7, 1e-7, 1 - 2e-7]]),
       (sg.Categorical(2), [[1 - 2**-24, 2**-24], [1.0, 1e-20]]),
       (die3(), [[1e-30, 0.5, 0.5], [0.2, 0.3, 0.5]])]


@pytest.mark.parametrize("backend", ["torch", "jax"])
@pytest.mark.parametrize(("family", "points"), F32, ids=[f.label for f, _ in F32])
def test_float32_within_100_ulps(family, points, backend):
    x = np.asarray(points, dtype=np.float32)
    convert = BACKENDS[backend]
    entropy = getattr(sg.entropy(family), backend)()(convert(x))
    fisher = getattr(sg.fisher(family), backend)()(convert(x))
    assert str(entropy.dtype).endswith("float32") and str(fisher.dtype).endswith("float32")
    ulp = float(np.finfo(np.float32).eps)
    with mp.workdps(800):
        for row, point in enumerate(x):
            want = float(mp_entropy(family, _mp_point(point)))
            assert abs(float(entropy[row]) - want) <= 100 * ulp * want
            matrix = mp_fisher(family, _mp_point(point))
            for i, j in np.ndindex(*fisher.shape[1:]):
                want_f, got_f = float(matrix[i, j]), float(fisher[row][i, j])
                assert got_f == want_f or abs(got_f - want_f) <= 100 * ulp * abs(want_f)


def _torch_grad(derivation, x: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    out = derivation.torch()(t)
    (out if weights is None else out * torch.tensor(weights)).sum().backward()
    return t.grad.numpy()


def _jax_grad(derivation, x: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    f = derivation.jax()
    w = 1.0 if weights is None else jnp.asarray(weights)
    return np.asarray(jax.jit(jax.grad(lambda a: (f(a) * w).sum()))(jnp.asarray(x)))


GRADIENT_POINTS = [(sg.Categorical(3), [0.2, 0.3, 0.5]), (sg.Categorical(3), [1e-10, 0.3, 0.7 - 1e-10]),
                   (sg.Categorical(2), [1.0, 1e-20]), (die3(), [0.2, 0.3, 0.5]), (sg.Bernoulli(), 0.3),
                   (binomial3(), 0.7)]


@pytest.mark.parametrize("gradient", [_torch_grad, _jax_grad], ids=["torch", "jax"])
@pytest.mark.parametrize(("family", "point"), GRADIENT_POINTS, ids=[f.label for f, _ in GRADIENT_POINTS])
def test_gradients_against_mpmath(family, point, gradient):
    """d/dvᵢ of H and of Σᵢⱼ wᵢⱼFᵢⱼ, each entry of the supplied vector a variable of its own."""
    x = np.asarray(point, dtype=float)
    n = len(family.symbols())
    weights = np.arange(1.0, n * n + 1).reshape(n, n)
    weights = weights + weights.T
    got_h = np.atleast_1d(gradient(sg.entropy(family), x, None))
    got_f = np.atleast_1d(gradient(sg.fisher(family), x, weights))
    with mp.workdps(50):
        base = _mp_point(x)

        def along(function, index):
            def moved(h):
                p = list(base)
                p[index] += h
                return function(p)
            return mp.diff(moved, 0)

        def weighted(p):
            matrix = mp_fisher(family, p)
            return mp.fsum(weights[i, j] * matrix[i, j] for i in range(n) for j in range(n))

        want_h = [float(along(lambda p: mp_entropy(family, p), i)) for i in range(len(base))]
        want_f = [float(along(weighted, i)) for i in range(len(base))]
    np.testing.assert_allclose(got_h, want_h, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(got_f, want_f, rtol=1e-12, atol=0)


def test_gradient_at_a_zero_probability_is_finite_for_the_other_entries():
    """H and F at [½, ½, 0]: the entries with p > 0 get their derivatives (no 0·∞ from the
    zero class's masked log/score); the zero entry's own is nan (H′ → +∞ there: not differentiable)."""
    x = np.array([0.5, 0.5, 0.0])
    for family in (sg.Categorical(3), die3()):
        for gradient in (_torch_grad, _jax_grad):
            got_h = gradient(sg.entropy(family), x, None)
            np.testing.assert_allclose(got_h[:2], -np.log(0.5) - 1, rtol=1e-15)  # d(−p log p)/dp
            got_f = gradient(sg.fisher(family), x, None)
            np.testing.assert_allclose(got_f[:2], -1 / 0.25, rtol=1e-15)  # F = diag(1/p₁, 1/p₂) there


def test_jax_jit_and_vmap_give_the_eager_values():
    x = jnp.asarray([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5], [1e-300, 0.5, 0.5]])
    for quantity in (sg.entropy, sg.fisher):
        f = quantity(sg.Categorical(3)).jax()
        eager = np.asarray(f(x))
        # XLA fuses (and may contract to fma) under jit: within an ulp or two, not bit for bit
        np.testing.assert_allclose(np.asarray(jax.jit(f)(x)), eager, rtol=1e-15, atol=0)
        np.testing.assert_allclose(np.asarray(jax.jit(jax.vmap(f))(x)), eager, rtol=1e-15, atol=0)


@pytest.mark.parametrize("backend", ["torch", "jax"])
def test_issue_reproducers(backend):
    """The issue's Categorical cases (the derived 1 − Σp gave nan, 10 % high, nan and inf)."""
    def call(quantity, k, point):
        derivation = quantity(sg.Categorical(k))
        value = getattr(derivation, backend)()(BACKENDS[backend](np.asarray(point, dtype=np.float64)))
        return np.asarray(value), np.asarray(derivation.numpy()(point))

    got, _ = call(sg.entropy, 3, [0.5, 0.5, 0.0])
    assert float(got) == pytest.approx(np.log(2), rel=1e-15)
    for point in ([1 - 1e-16, 1e-16], [1.0, 1e-20]):
        got, numpy_value = call(sg.entropy, 2, point)
        assert float(got) == pytest.approx(float(numpy_value), rel=1e-15)
    got, _ = call(sg.fisher, 2, [1.0, 1e-20])
    assert float(got[0, 0]) == pytest.approx(1.0 + 1e20, rel=1e-15)


def test_supplied_form_traces_as_one_graph():
    """Under Dynamo the simplex form (a _Plan vector form, so CUDA tensors take the eager route)
    and a printed per-outcome Fisher (the compiled route) have no graph break."""
    from symgeom.backends import torch_printed

    x = torch.tensor([[0.2, 0.3, 0.5]] * 3, dtype=torch.float64)
    for quantity in (sg.entropy, sg.fisher):
        plan = quantity(sg.Categorical(3)).torch()._plan
        assert plan.source is None
        torch._dynamo.reset()
        form, ops = plan.vector_form, torch_printed._traced_ops()
        explained = torch._dynamo.explain(lambda v, form=form, ops=ops: form(ops, v))(x)
        assert explained.graph_break_count == 0
    function = sg.fisher(binomial3()).torch()
    assert function._plan.source is not None
    torch._dynamo.reset()
    p = torch.full((3,), 0.3, dtype=torch.float64)
    assert torch._dynamo.explain(torch_printed._body(function, True))(p).graph_break_count == 0
