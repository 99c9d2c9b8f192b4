"""``.numpy()`` of KL, entropy and Fisher for every family and chart of the catalog, against
50-digit mpmath references computed independently of symgeom's derivations: straight from the
family's log-density, by summation over the support or quadrature (KL = E_p[log p − log q],
H = −E_p[log p], F = E_p[s sᵀ] with s = ∂ log p/∂θ by ``sympy.diff``).

Tolerance 1e-10 relative (to the largest entry of the reference): the compiled forms are
float64 closed forms of a few dozen operations (log Γ, ψ, polygamma from SciPy, accurate to a few
ulp), whose terms at these points are at most ~10² times the result, so ~1e-13 is expected; the
references are exact to far beyond 1e-30 (50-digit arithmetic, tails stopped below 1e-55).
1e-10 leaves room for SciPy's special functions and is still 10⁶ times below any real error.

Points: two fixed points per scalar chart read from the parameters' domains (bounds only, no
family names); charts with vector/simplex/matrix arguments take their points from
``symgeom.testing.param_pairs`` (the minimal example with the two points apart).  Families whose
observation is more than one-dimensional and continuous (d ≥ 2 Gaussians) are skipped: a 50-digit
d-dimensional quadrature is not a unit test (their kernels have their own mpmath tests).
"""

from __future__ import annotations

import functools

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import find, settings

import symgeom as sg
from symgeom.families.base import (
    FiniteSupport,
    IntegerSupport,
    IntervalSupport,
    RealSupport,
    SimplexSupport,
)
from symgeom.numeric.inputs import joint_constraints
from symgeom.testing import arrays, param_pairs
from symgeom.verification.catalog import CATALOG

RTOL = 1e-10
DPS = 50
#: a term below this (relative to the running total) ends a sum over ℕ; the masses here decay at
#: least geometrically past the mode, so the tail is as small
TAIL = mpmath.mpf(10) ** -55

Point = tuple[float, ...]


def _scalar_chart(family: sg.Family) -> bool:
    return all(a.form == "scalar" for a in family.chart.array_arguments)


def _fixed_value(par: object, which: int) -> float:
    lo, hi = par.lower, par.upper
    if lo is not None and hi is not None:
        return lo + (hi - lo) * (0.3, 0.65)[which]
    if lo is not None:
        return lo + (1.5, 4.0)[which]
    if hi is not None:
        return hi - (1.5, 4.0)[which]
    return (0.4, -0.7)[which]


@functools.cache  # a vector chart's search takes ~2 s; four tests of each family ask for the same pair
def _points(family: sg.Family) -> tuple[Point, Point]:
    if _scalar_chart(family):
        a, b = (tuple(_fixed_value(p, w) for p in family.parameters) for w in (0, 1))
        for ok, text in joint_constraints(family):
            assert ok(*a) and ok(*b), text
        return a, b
    far = settings(database=None, derandomize=True, max_examples=200)
    return find(param_pairs(family), lambda pr: max(abs(u - v) for u, v in zip(*pr)) > 0.2,
                settings=far)


def _one_dimensional(family: sg.Family) -> bool:
    support = family.support
    if isinstance(support, FiniteSupport | IntegerSupport | IntervalSupport):
        return True
    return isinstance(support, RealSupport) and support.dimension == 1


FAMILIES = [f for f in CATALOG if _one_dimensional(f)]
SKIPPED = [f for f in CATALOG if not _one_dimensional(f)]


class _Reference:
    """Expectations under p(·|θ) at 50 digits, read from the family's log-density only."""

    def __init__(self, family: sg.Family) -> None:
        self.family = family
        self.symbols = family.symbols()
        log_p = family.log_density()
        args = (*family.variables, *self.symbols)
        self.log_p = sp.lambdify(args, log_p, "mpmath")
        self.score = sp.lambdify(args, [sp.diff(log_p, s) for s in self.symbols], "mpmath")
        self.kinks = [a.args[0] for a in log_p.atoms(sp.Abs)]

    def _breaks(self, thetas: list[Point]) -> list[mpmath.mpf]:
        (x,) = self.family.variables
        out = []
        for theta in thetas:
            at = dict(zip(self.symbols, [sp.Float(t, DPS) for t in theta]))
            for arg in self.kinks:
                out += [mpmath.mpf(str(r)) for r in sp.solve(arg.xreplace(at), x) if r.is_real]
        return sorted(set(out))

    def expect(self, g, theta: Point, also: list[Point] = ()) -> mpmath.mpf:
        """E_p[g(x, θ)] with p = p(·|θ)."""
        t = [mpmath.mpf(v) for v in theta]
        support = self.family.support

        def term(*x):
            return mpmath.exp(self.log_p(*x, *t)) * g(*x)

        if isinstance(support, FiniteSupport):
            return mpmath.fsum(term(*o) for o in support.outcomes)
        if isinstance(support, IntegerSupport):
            if support.upper is not None:
                return mpmath.fsum(term(k) for k in range(support.upper + 1))
            total, k, small = mpmath.mpf(0), 0, 0
            while small < 5:
                value = term(k)
                total += value
                small = small + 1 if abs(value) <= TAIL * max(abs(total), 1) else 0
                k += 1
                assert k < 100_000, "reference sum did not converge"
            return total
        if isinstance(support, IntervalSupport):
            lo, hi = (_mp(support.lower), _mp(support.upper))
        else:
            lo, hi = -mpmath.inf, mpmath.inf
        nodes = [lo, *[b for b in self._breaks([theta, *also]) if lo < b < hi], hi]
        return mpmath.quad(term, nodes)

    def kl(self, a: Point, b: Point) -> mpmath.mpf:
        tb = [mpmath.mpf(v) for v in b]
        ta = [mpmath.mpf(v) for v in a]
        return self.expect(lambda *x: self.log_p(*x, *ta) - self.log_p(*x, *tb), a, [b])

    def entropy(self, a: Point) -> mpmath.mpf:
        ta = [mpmath.mpf(v) for v in a]
        return -self.expect(lambda *x: self.log_p(*x, *ta), a)

    def fisher(self, a: Point) -> list[list[mpmath.mpf]]:
        ta = [mpmath.mpf(v) for v in a]
        n = len(ta)
        out = [[mpmath.mpf(0)] * n for _ in range(n)]
        for i in range(n):
            for j in range(i, n):
                out[i][j] = out[j][i] = self.expect(
                    lambda *x, i=i, j=j: self.score(*x, *ta)[i] * self.score(*x, *ta)[j], a)
        return out


def _mp(bound: sp.Expr) -> mpmath.mpf:
    if bound in (sp.oo, -sp.oo):
        return mpmath.inf if bound == sp.oo else -mpmath.inf
    return mpmath.mpf(str(sp.N(bound, DPS)))


def _close(got: np.ndarray, ref: object, what: str) -> None:
    expected = np.array(ref, dtype=float)
    scale = np.max(np.abs(expected))
    error = np.max(np.abs(np.asarray(got, dtype=float) - expected))
    assert error <= RTOL * scale, f"{what}: got {got}, mpmath {expected}, error {error:.3g}"


def _slow(family: sg.Family) -> bool:
    """50-digit quadrature (continuous families, ~5–15 s each) and families with many parameters
    (symbolic derivations of several seconds) run as slow; sums over a support stay fast."""
    continuous = isinstance(family.support, IntervalSupport | RealSupport)
    return continuous or len(family.parameters) > 2


@pytest.mark.parametrize(
    "family",
    [pytest.param(f, marks=pytest.mark.slow) if _slow(f) else f for f in FAMILIES],
    ids=lambda f: f.label,
)
def test_kl_entropy_fisher_match_density_references(family):
    a, b = _points(family)
    ref = _Reference(family)
    kl = sg.kl(family).numpy()
    entropy = sg.entropy(family).numpy()
    fisher = sg.fisher(family).numpy()
    with mpmath.workdps(DPS):
        for p, q in ((a, b), (b, a)):
            got = kl(*arrays(family, p), *arrays(family, q))
            assert got >= 0, f"KL({p}‖{q}) = {got} < 0"
            _close(got, ref.kl(p, q), f"KL({p}‖{q})")
        for p in (a, b):
            _close(entropy(*arrays(family, p)), ref.entropy(p), f"H({p})")
            _close(fisher(*arrays(family, p)), ref.fisher(p), f"F({p})")


def test_every_catalog_family_is_covered_or_named():
    """Nothing is dropped silently: the skipped families are exactly the d ≥ 2 continuous ones
    (the simplex's quadrature is in tests/families/test_dirichlet.py)."""
    assert len(FAMILIES) + len(SKIPPED) == len(CATALOG)
    assert all(isinstance(f.support, SimplexSupport)
               or (isinstance(f.support, RealSupport) and f.support.dimension > 1) for f in SKIPPED)


#: torch's float64 trigamma (polygamma(1, ·)) is good to ~5e-10 relative (measured: Gamma and
#: Beta Fisher entries 4.6e-10, 6.4e-10 against SciPy); everything else agrees to ~1e-15
BACKEND_RTOL = 1e-8


@pytest.mark.parametrize(
    "family",
    [pytest.param(f, marks=pytest.mark.slow) if len(f.parameters) > 2 else f for f in FAMILIES],
    ids=lambda f: f.label,
)
@pytest.mark.parametrize("quantity", ["kl", "entropy", "fisher"])
def test_torch_agrees_with_numpy_or_names_what_is_missing(family, quantity):
    torch = pytest.importorskip("torch")
    a, b = _points(family)
    derivation = getattr(sg, quantity)(family)
    args = (*arrays(family, a), *arrays(family, b)) if quantity == "kl" else arrays(family, a)
    expected = derivation.numpy()(*args)
    try:
        function = derivation.torch()
        got = function(*[torch.tensor(x, dtype=torch.float64) for x in args]).numpy()
    except sg.SymgeomError as error:
        assert "explicit" in str(error) and quantity in str(error), str(error)
        assert derivation.result.has(sp.Sum), f"{quantity} refused without an explicit Σ: {error}"
        return
    _close_to(got, expected, f"torch {quantity}")


def _close_to(got: np.ndarray, expected: np.ndarray, what: str) -> None:
    error = np.max(np.abs(got - expected))
    assert error <= BACKEND_RTOL * np.max(np.abs(expected)), f"{what}: {got} vs {expected}"
