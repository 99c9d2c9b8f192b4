"""KL of any exponential family as a Bregman divergence, with its exact integral remainder.

    KL(θ₁‖θ₂) = A(η₂) − A(η₁) − Δ·∇A(η₁) = ∫₀¹ (1 − t) Δᵀ∇²A(η₁ + tΔ)Δ dt,   Δ = η₂ − η₁.

The direct form cancels when θ₁ ≈ θ₂; the remainder has a non-negative integrand (∇²A = Cov T is
positive semidefinite) and nothing cancels in it.  :class:`BregmanKL` is the SymPy primitive
holding both; its NumPy implementation :func:`bregman_kl` takes the direct form where it keeps at
least two digits (KL > 10⁻² of the size of its terms) and Gauss–Legendre quadrature of the
remainder elsewhere (2 nodes where the integrand is nearly constant in t, else 24).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
import sympy as sp
from sympy.codegen.cfunctions import expm1, log1p
from sympy.core.logic import fuzzy_and

from symgeom.families.base import Family
from symgeom.numeric.trigamma_gap import trigamma_gaps

#: Gauss–Legendre nodes and weights on [0, 1]; exact for polynomial integrands of degree ≤ 47.
NODES = 24


def _rule(nodes: int = NODES) -> tuple[np.ndarray, np.ndarray]:
    x, w = np.polynomial.legendre.leggauss(nodes)
    return (x + 1) / 2, w / 2


_T, _W = _rule()
_TWO = _rule(2)
_T_HALVES, _W_HALVES = np.concatenate([_T / 2, 0.5 + _T / 2]), np.concatenate([_W / 2, _W / 2])

#: Relative slope of the remainder's integrand up to which the 2-node rule is kept.
RHO = 1e-4

#: Relative agreement of every chart coordinate of a pair below which the remainder is used
#: without trying the direct form (which would keep fewer than two digits there anyway).
CLOSE = 1e-3

#: Relative size of the direct form below which the remainder integral is used.
SWITCH = 1e-2


class BregmanKL(sp.Function):
    """BregmanKL(A₁, A₂, g, f(t), t) = A₂ − A₁ − g = ∫₀¹ f(t) dt, f ≥ 0 (g = Δ·∇A(η₁)).

    Printed to NumPy as ``bregman_kl(lambda θ…: (A₁, A₂, g), lambda t, θ…: f, (θ…,), pairs)``
    with ``pairs`` the positions of (θᵢ₁, θᵢ₂) among the arguments, so the direct form is only
    evaluated at the pairs that are not close.  Three more arguments (A′₁, A′₂, g′) are the direct
    terms of A′ = A − (an affine function of η), the same divergence (softplus(η) − η =
    softplus(−η)); each pair takes the direct form that cancels less.
    """

    nargs = (5, 8)

    def _eval_rewrite_as_log(self, a1: sp.Expr, a2: sp.Expr, inner: sp.Expr, *rest: sp.Expr,
                             **kwargs: object) -> sp.Expr:
        return a2 - a1 - inner

    def _latex(self, printer: sp.printing.latex.LatexPrinter) -> str:
        a1, a2, inner = (printer._print(x) for x in self.args[:3])
        return rf"\left({a2} - {a1} - {inner}\right)"

    def _numpycode(self, printer: sp.printing.numpy.NumPyPrinter) -> str:
        a1, a2, inner, integrand, t, *mirror = self.args
        free = sorted(set().union(*(e.free_symbols for e in self.args if e != t)) - {t}, key=str)
        names = ", ".join(printer._print(x) for x in free)
        position = {x.name: i for i, x in enumerate(free)}
        pairs = tuple(
            (i, position[x.name[:-2] + "_2"])
            for i, x in enumerate(free)
            if x.name.endswith("_1") and x.name[:-2] + "_2" in position
        )
        a1, a2, inner, body, t, *mirror = (printer._print(x) for x in (a1, a2, inner, integrand, t, *mirror))
        direct = ", ".join([a1, a2, inner, *mirror])
        return (f"bregman_kl(lambda {names}: ({direct}), lambda {t}, {names}: {body}, "
                f"({names},), {pairs!r})")

    _pythoncode = _numpycode


class Square(sp.Function):
    """Square(x) = x², printed as (x)**2 so that x is formed before it is squared: Δ²/(4 sinh²y)
    as Square(Δ/sinh y)/4 stays finite where Δ and sinh y both underflow when squared (SymPy
    distributes (Δ/sinh y)**2 into Δ²·sinh⁻²y)."""

    nargs = 1

    def _eval_rewrite_as_log(self, x: sp.Expr, **kwargs: object) -> sp.Expr:
        return x**2

    def _eval_is_nonnegative(self) -> bool | None:
        return True if self.args[0].is_extended_real else None

    def _latex(self, printer: sp.printing.latex.LatexPrinter) -> str:
        return rf"\left({printer._print(self.args[0])}\right)^{{2}}"

    def _numpycode(self, printer: sp.printing.numpy.NumPyPrinter) -> str:
        return f"({printer._print(self.args[0])})**2"

    _pythoncode = _numpycode


class Ratio(sp.Function):
    """Ratio(a, b) = a/b, printed as ``ratio(a, b)``: the array backends differentiate it with the
    partials (1/b, −(a/b)/b), where JAX's own rule for a/b forms b⁻², which overflows for
    |b| < 10⁻¹⁵⁴ (a remainder's 1/sinh(η/2) at η ≈ −10⁻³⁰⁴) and turns the gradient into nan."""

    nargs = 2

    def _eval_rewrite_as_log(self, a: sp.Expr, b: sp.Expr, **kwargs: object) -> sp.Expr:
        return a / b

    def _latex(self, printer: sp.printing.latex.LatexPrinter) -> str:
        a, b = (printer._print(x) for x in self.args)
        return rf"\frac{{{a}}}{{{b}}}"

    def _numpycode(self, printer: sp.printing.numpy.NumPyPrinter) -> str:
        a, b = (printer._print(x) for x in self.args)
        return f"ratio({a}, {b})"

    _pythoncode = _numpycode


class ScaledRatio(sp.Function):
    """ScaledRatio(x, s, b) = x·s/b, printed as ``scaled_ratio(x, s, b)``: evaluated on mantissas
    and exponents (x = mₓ2^{eₓ}, …: mₓmₛ/m_b·2^{eₓ + eₛ − e_b}), so a product x·s below the normal
    float range (a natural step σ(θ)·Δθ ≈ 10⁻³¹³ at θ = −700) is never formed and rounded to a
    subnormal number of few bits; only the quotient, a normal number there, is."""

    nargs = 3

    def _eval_rewrite_as_log(self, x: sp.Expr, s: sp.Expr, b: sp.Expr, **kwargs: object) -> sp.Expr:
        return x * s / b

    def _latex(self, printer: sp.printing.latex.LatexPrinter) -> str:
        x, s, b = (printer._print(a) for a in self.args)
        return rf"\frac{{{x} \cdot {s}}}{{{b}}}"

    def _numpycode(self, printer: sp.printing.numpy.NumPyPrinter) -> str:
        x, s, b = (printer._print(a) for a in self.args)
        return f"scaled_ratio({x}, {s}, {b})"

    _pythoncode = _numpycode


class ScaledSum(sp.Function):
    """ScaledSum(a, x, s) = a + x·s, printed as ``scaled_sum(a, x, s)``: evaluated on mantissas and
    exponents, so x·s is never a float of its own.  A remainder's node η₁ + tΔη with Δη = σ(θ₁)·q
    at θ₁ = −700 is 10⁻³⁰⁴ plus t·10⁻³¹⁶: the product is subnormal, and a machine that flushes
    subnormals to zero (XLA on the CPU) kept the node at η₁ for every t."""

    nargs = 3

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        _, x, s = self.args
        return (sp.S.One, s, x)[argindex - 1]

    def _eval_is_extended_real(self) -> bool | None:
        return fuzzy_and(arg.is_extended_real for arg in self.args)

    def _eval_rewrite_as_log(self, a: sp.Expr, x: sp.Expr, s: sp.Expr, **kwargs: object) -> sp.Expr:
        return a + x * s

    def _latex(self, printer: sp.printing.latex.LatexPrinter) -> str:
        a, x, s = (printer._print(arg) for arg in self.args)
        return rf"\left({a} + {x} \cdot {s}\right)"

    def _numpycode(self, printer: sp.printing.numpy.NumPyPrinter) -> str:
        a, x, s = (printer._print(arg) for arg in self.args)
        return f"scaled_sum({a}, {x}, {s})"

    _pythoncode = _numpycode


def scaled_node(start: sp.Expr, t: sp.Expr, delta: sp.Expr) -> sp.Expr:
    """The remainder's node start + t·Δ, as ScaledSum(start, t·q, s) when Δ = s·q carries the
    scale s of a softplus difference (:func:`_scale_apart`), else as written."""
    step, scale = _scale_apart(list(sp.Mul.make_args(delta)))
    if scale is None:
        return start + t * delta
    return ScaledSum(start, t * sp.Mul(*step), scale)


def _scale_apart(factors: list[sp.Expr]) -> tuple[list[sp.Expr], sp.Expr | None]:
    """(the other factors, the scale) with the scale of the step's first softplus difference
    taken apart, SoftplusDiff(a, d) = σ(a)·ScaledSoftplusDiff(a, d); ``factors`` unchanged and
    None without one."""
    from symgeom.backends.sigmoid import Sigmoid
    from symgeom.numeric.softplus import ScaledSoftplusDiff, SoftplusDiff

    for i, factor in enumerate(factors):
        if isinstance(factor, SoftplusDiff):
            rest = factors[:i] + factors[i + 1 :]
            return [*rest, ScaledSoftplusDiff(*factor.args)], Sigmoid(factor.args[0])
    return factors, None


def squared_ratio(delta: sp.Expr, hessian: sp.Expr) -> sp.Expr:
    """Δ²·H with the factors b⁻²ᵐ of H (a Hessian that blows up like 1/sinh²) squared together
    with Δ: c·Square(Δ·b⁻ᵐ); Δ²·H when H has none.

    Under the square 1/sinh y is written 2e^{−|y|}/(−expm1(−2|y|)) (= 1/|sinh y|): its value is the
    same, and its derivative has no factor of the size of sinh y, so reverse-mode autodiff does
    not multiply an underflowed −Δ/sinh²y by cosh y (torch: ∂KL/∂θ lost its e^{−θ} term at θ = 700).
    The quotient is a :class:`Ratio`, or a :class:`ScaledRatio` when Δ carries a scale of its own
    (:func:`_scale_apart`), so Δ is never rounded below the normal range before the division.
    """
    numerator, denominator, rest = [delta], [], []
    for factor in sp.Mul.make_args(hessian):
        base, exponent = factor.as_base_exp()
        if exponent.is_Integer and exponent < 0 and exponent % 2 == 0:
            power = -int(exponent) // 2
            if isinstance(base, sp.sinh):
                size = sp.Abs(base.args[0])
                numerator.append((2 * sp.exp(-size)) ** power)
                base = -expm1(-2 * size)
            denominator.append(base**power)
        else:
            rest.append(factor)
    if not denominator:
        return delta**2 * hessian
    step, scale = _scale_apart(list(sp.Mul.make_args(delta)))
    if scale is not None:
        # The step's own scale (σ(θ₁) of a softplus difference) is kept apart until divided by
        # the denominator, where it is of its size: Δ·b⁻ᵐ is normal where Δ is not.
        quotient = ScaledRatio(sp.Mul(*step, *numerator[1:]), scale, sp.Mul(*denominator))
        return sp.Mul(*rest) * Square(quotient)
    return sp.Mul(*rest) * Square(Ratio(sp.Mul(*numerator), sp.Mul(*denominator)))


def bregman_kl(
    direct_terms: Callable[..., tuple[np.ndarray, np.ndarray, np.ndarray]],
    integrand: Callable[..., np.ndarray],
    args: tuple[np.ndarray, ...],
    pairs: tuple[tuple[int, int], ...] = (),
) -> np.ndarray:
    """A₂ − A₁ − g where that keeps ≥ 2 digits, else ∫₀¹ f by Gauss–Legendre on [0, 1].

    ``direct_terms(θ…)`` gives (A₁, A₂, g); ``integrand(t, θ…)`` gives f.  Pairs whose chart
    coordinates agree to a relative CLOSE (``pairs`` indexes (θᵢ₁, θᵢ₂) in ``args``) go straight
    to the remainder, whose value does not depend on that choice; the others get the direct form
    where it keeps two digits, and the remainder elsewhere (:func:`_remainder`).
    """
    arrays = [np.asarray(x) for x in np.broadcast_arrays(*(np.asarray(x) for x in args))]
    dtype = np.result_type(*arrays, np.float32)
    shape = arrays[0].shape
    arrays = [x.astype(dtype, copy=False).reshape(-1) for x in arrays]
    with np.errstate(all="ignore"):
        close = np.zeros(arrays[0].shape, dtype=bool)
        if pairs:
            gap = np.zeros(arrays[0].shape, dtype=dtype)
            for i, j in pairs:
                a, b = arrays[i], arrays[j]
                np.maximum(gap, np.abs(b - a) / (np.abs(a) + np.abs(b)), out=gap)
            close = gap <= CLOSE
        out = np.empty(arrays[0].shape, dtype=dtype)
        if np.all(close):
            out[...] = _remainder(integrand, arrays, dtype)
            return out.reshape(shape)[()]
        far = ~close
        every = not np.any(close)
        subset = arrays if every else [x[far] for x in arrays]
        direct, scale = _direct(direct_terms(*subset), dtype)
        near = ~(direct > SWITCH * scale)
        if np.any(near):
            # The direct form's own error, ≈ 4ε·(|A₁| + |A₂| + |g|), is the bar the quadrature
            # must beat where it is not resolved (shapes 10⁻³ against 10⁶: ψ′ spans 12 decades).
            fallback = (direct[near], 4 * np.finfo(dtype).eps * scale[near])
            direct[near] = _remainder(integrand, [x[near] for x in subset], dtype, fallback)
        if every:
            out[...] = direct
        else:
            out[far] = direct
            out[close] = _remainder(integrand, [x[close] for x in arrays], dtype)
        # Both branches are ≥ 0 when they hold (direct > 0 by the switch, a non-negative
        # integrand); a negative value means an overflow broke them: unknown, not a number.
        out[out < 0] = np.nan
    return out.reshape(shape)[()]


def _direct(terms: tuple[np.ndarray, ...], dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """(A₂ − A₁ − g, |A₁| + |A₂| + |g|) of the triple (A₁, A₂, g), or of the one of two triples
    whose direct value is the larger fraction of its terms (it cancels less)."""
    arrays = [np.asarray(x, dtype=dtype) for x in np.broadcast_arrays(*terms)]
    a1, a2, inner = arrays[:3]
    direct = np.asarray(a2 - a1 - inner, dtype=dtype)
    scale = np.abs(a1) + np.abs(a2) + np.abs(inner)
    if len(arrays) == 6:
        b1, b2, other = arrays[3:]
        mirrored = np.asarray(b2 - b1 - other, dtype=dtype)
        mirrored_scale = np.abs(b1) + np.abs(b2) + np.abs(other)
        better = mirrored * scale > direct * mirrored_scale
        direct = np.where(better, mirrored, direct)
        scale = np.where(better, mirrored_scale, scale)
    return direct, scale


def _remainder(
    integrand: Callable[..., np.ndarray],
    args: list[np.ndarray],
    dtype: np.dtype,
    fallback: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """∫₀¹ f(t) dt, f = (1 − t)·g(t), g = ΔᵀH(η₁ + tΔ)Δ, for 1-d arrays of arguments.

    First the 2-node Gauss–Legendre rule.  The relative slope ρ = |g(t₂) − g(t₁)|/((t₂ − t₁)·max|g|)
    measures how fast the integrand changes: for g analytic with radius of convergence ≈ 1/ρ in
    t, g⁽ᵏ⁾ ≈ k!ρᵏg and the 2-node error f⁽⁴⁾/4320 is ≈ ρ³/180 of the value, below 10⁻¹⁴ for
    ρ ≤ RHO.  Those keep it (a pair perturbed by 10⁻⁶ has ρ ≈ 10⁻⁶); the rest get 24 nodes on
    [0, 1] and on its two halves, the difference estimating the error of the latter.  With a
    ``fallback`` (direct values and their error bound), a pair whose estimate exceeds that bound
    takes the direct value instead, and one whose direct value is already within 10⁻¹² skips the
    quadrature.
    """
    (t1, t2), (w1, w2) = (x.astype(dtype) for x in _TWO)
    # Both nodes in one call (t of shape (2, 1, …)): the parts of f free of t are computed once.
    nodes = np.array([[t1], [t2]], dtype=dtype)
    f1, f2 = np.broadcast_to(np.asarray(integrand(nodes, *args), dtype=dtype), (2, len(args[0])))
    g1, g2 = f1 / (1 - t1), f2 / (1 - t2)
    slope = np.abs(g2 - g1) / ((t2 - t1) * np.maximum(np.abs(g1), np.abs(g2)))
    value = w1 * f1 + w2 * f2
    steep = ~(slope <= RHO)
    if fallback is not None and np.any(steep):
        # A direct value already within 10⁻¹² (relative) needs no quadrature.
        direct, bound = fallback
        settled = steep & (bound <= 1e-12 * np.abs(direct))
        value[settled] = direct[settled]
        steep &= ~settled
    if np.any(steep):
        rest = [x[steep] for x in args]
        whole = _quadrature(integrand, rest, dtype, _T, _W)
        halves = _quadrature(integrand, rest, dtype, _T_HALVES, _W_HALVES)
        if fallback is None:
            value[steep] = halves
        else:
            direct, bound = (x[steep] for x in fallback)
            # Where the direct form overflowed (bound inf or nan) it is no bar: the quadrature
            # must then agree with itself to 10⁻¹², else the value is unknown (nan), never a guess.
            lost = ~np.isfinite(bound)
            bound = np.where(lost, 1e-12 * np.abs(halves), bound)
            direct = np.where(lost, np.nan, direct)
            value[steep] = np.where(np.abs(halves - whole) <= bound, halves, direct)
    return value


def _quadrature(
    integrand: Callable[..., np.ndarray], args: list[np.ndarray], dtype: np.dtype, nodes: np.ndarray,
    weights: np.ndarray,
) -> np.ndarray:
    """Σⱼ wⱼ f(tⱼ, args)."""
    total = np.zeros(args[0].shape if args else (), dtype=dtype)
    for t, w in zip(nodes.astype(dtype), weights.astype(dtype), strict=True):
        total += w * np.asarray(integrand(t, *args), dtype=dtype)
    return total


def difference(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    """b − a written so nothing cancels in floats when a ≈ b.

    A difference of logarithms becomes log1p((N − D)/D) of the combined ratio N/D, with N − D
    factored exactly (q(1−p) − p(1−q) = q − p); any other difference is factored.
    """
    combined = sp.logcombine(sp.expand_log(b - a, force=True), force=True)
    if isinstance(combined, sp.log):
        numerator, denominator = sp.fraction(sp.cancel(combined.args[0]))
        return log1p(sp.factor(numerator - denominator) / sp.factor(denominator))
    return sp.factor(b - a)


def positive_over_chart(eta: tuple[sp.Symbol, ...], at1: dict, h: sp.Expr) -> bool:
    """h affine in η and positive by SymPy's assumptions at every point of the chart (η = η(θ₁))."""
    if any(sp.diff(h, a, b) != 0 for a in eta for b in eta):
        return False
    return bool(sp.expand(h.xreplace(at1)).is_positive)


def bregman_form(family: Family) -> sp.Expr:
    """KL(θ₁‖θ₂) of ``family`` as a :class:`BregmanKL` in ``symbols(1) + symbols(2)``."""
    form = family.exponential_form
    eta = form.natural_symbols
    e1, e2 = family.natural_at(1), family.natural_at(2)
    delta = [difference(a, b) for a, b in zip(e1, e2, strict=True)]
    t = sp.Symbol("bregman_t", real=True)  # a named symbol: generated source is deterministic
    log_partition = form.log_partition
    gradient = [sp.diff(log_partition, e) for e in eta]
    at1 = dict(zip(eta, e1))
    inner = sp.Add(*[d * g.xreplace(at1) for d, g in zip(delta, gradient, strict=True)])
    along = {e: a + t * d for e, a, d in zip(eta, e1, delta, strict=True)}
    # ∇²A simplified in η first: e.g. 4eᵑ/(1 + eᵑ)², not the cancelling 4σ − 4σ².
    hessian = [[sp.factor(sp.simplify(sp.diff(g, e))) for e in eta] for g in gradient]
    # ψ′(x) − ψ′(x + h) of the diagonal (Beta, Dirichlet: ψ′(ηᵢ + 1) − ψ′(Σηⱼ + k)) without the
    # subtraction (symgeom.numeric.trigamma_gap): at a shape 10⁶ beside 10⁻³ the difference lost
    # nine digits, and the remainder with it.  h is affine in η and positive at every chart point,
    # hence on the segment η₁ + tΔ (a convex combination of two such points).
    hessian = [[trigamma_gaps(entry, partial(positive_over_chart, eta, at1)) for entry in row]
               for row in hessian]
    quadratic = sp.Add(
        *[
            delta[i] * delta[j] * hessian[i][j].xreplace(along)
            for i in range(len(eta))
            for j in range(len(eta))
        ]
    )
    return BregmanKL(
        log_partition.xreplace(at1), log_partition.xreplace(dict(zip(eta, e2))), inner, (1 - t) * quadratic, t
    )
