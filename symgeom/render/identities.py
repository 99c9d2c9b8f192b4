"""General identities of information geometry as Derivations, derived by SymPy on abstract p(x;θ).

Fisher = E[s sᵀ] = −E[∇² log p];  KL(θ‖θ+tΔ) = ½ t² ΔᵀFΔ + O(t³);  F_φ = JᵀF_θJ;
natural gradient / TRPO step Δ* = √(2δ / gᵀF⁻¹g) F⁻¹g.  Every algebraic step is computed by
SymPy and checked to simplify to zero before it is printed (a failing check raises).
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from symgeom.derivation import Derivation, Step

X = sp.Symbol("x", real=True)
T = sp.Symbol("t", real=True)
THETA = sp.symbols("theta_i theta_j", real=True)
DELTA = sp.symbols("Delta_i Delta_j", real=True)
PHI = sp.symbols("phi_a phi_b", real=True)
P = sp.Function("p")
ELL = sp.Function("ell")
E = sp.Function("E")
INTEGRAL = (X, -sp.oo, sp.oo)


class Notation(sp.Symbol):
    """A scalar written as a formula, e.g. ΔᵀFΔ: a positive symbol with its own LaTeX and text."""

    def __new__(cls, name: str, latex: str) -> Notation:
        obj = super().__new__(cls, name, positive=True)
        obj._tex = latex
        return obj

    def _latex(self, printer: object) -> str:
        return self._tex

    def _sympystr(self, printer: object) -> str:
        return self.name


QUADRATIC = Notation("ΔᵀFΔ", r"\Delta^{\top} F \Delta")
NATURAL_NORM = Notation("gᵀF⁻¹g", r"g^{\top} F^{-1} g")


class IdentityCheckError(AssertionError):
    """A step of a general identity did not simplify as derived (a bug, never expected)."""


def _zero(expr: sp.Basic, what: str) -> None:
    if sp.simplify(expr) != 0:
        raise IdentityCheckError(f"{what}: {expr} does not simplify to 0")


def _fisher_symbols() -> sp.Matrix:
    f_ii, f_ij, f_jj = sp.symbols("F_ii F_ij F_jj", real=True)
    return sp.Matrix([[f_ii, f_ij], [f_ij, f_jj]])


def _derivation(quantity: str, title: str, symbol_latex: str, steps: list[Step],
                arguments: tuple[sp.Symbol, ...]) -> Derivation:
    return Derivation(
        quantity=quantity, route="general", family=None, title=title, symbol_latex=symbol_latex,
        steps=tuple(steps), result=steps[-1].expression, arguments=arguments,
    )


@cache
def fisher_score_hessian() -> Derivation:
    """−E[∂ᵢ∂ⱼ log p] = E[∂ᵢ log p ∂ⱼ log p] = Cov(sᵢ, sⱼ), for a regular density p(x; θ)."""
    a, b = THETA
    p = P(X, a, b)
    score_i, score_j = sp.diff(sp.log(p), a), sp.diff(sp.log(p), b)
    hessian = sp.diff(sp.log(p), a, b)
    integrand = sp.expand(-p * hessian)
    second = sp.Derivative(p, a, b)
    _zero(integrand - (-second + p * score_i * score_j), "split of −p ∂ᵢ∂ⱼ log p")
    _zero(p * score_i - sp.Derivative(p, a), "p ∂ᵢ log p = ∂ᵢ p")
    steps = [
        Step(sp.Integral(-p * sp.Derivative(sp.log(p), a, b), INTEGRAL),
             "expectation under $p(x;\\theta)$"),
        Step(sp.Integral(integrand, INTEGRAL),
             "differentiate $\\log p$ twice (quotient rule, by SymPy)"),
        Step(sp.Integral(-second, INTEGRAL) + sp.Integral(p * score_i * score_j, INTEGRAL),
             "split the integral; $\\partial_i p\\,\\partial_j p / p = p\\,s_i s_j$"),
        Step(sp.Integer(0), "differentiate $\\int p\\,dx = 1$ twice under the integral sign",
             lhs=sp.Integral(second, INTEGRAL)),
        Step(sp.Integral(sp.Derivative(p, a), INTEGRAL), "$p\\,\\partial_i\\log p = \\partial_i p$",
             lhs=E(score_i)),
        Step(sp.Integer(0), "differentiate $\\int p\\,dx = 1$ once: the score has mean zero",
             lhs=sp.Integral(sp.Derivative(p, a), INTEGRAL)),
        Step(E(score_i * score_j), "the first integral vanishes; the second is an expectation"),
        Step(E(score_i * score_j) - E(score_i) * E(score_j),
             "subtract $\\mathbb{E}[s_i]\\,\\mathbb{E}[s_j] = 0$: the covariance of the score"),
    ]
    return _derivation(
        "fisher_identity",
        "Fisher information: covariance of the score = minus the expected Hessian",
        r"-\mathbb{E}\left[\partial_{i}\partial_{j} \log p\right]", steps, THETA,
    )


def _directional(f: sp.Expr) -> sp.Expr:
    """d/dt f(θ + tΔ) at t = 0: Σₖ Δₖ ∂f/∂θₖ (the chain rule, differentiated by SymPy)."""
    return sp.Add(*[d * sp.diff(f, th) for th, d in zip(THETA, DELTA, strict=True)])


@cache
def kl_second_order() -> Derivation:
    """KL(θ‖θ+tΔ) = ½ t² ΔᵀFΔ + O(t³) for ℓ = log p(x; θ)."""
    a, b = THETA
    ell = ELL(X, a, b)
    first, second = _directional(ell), sp.expand(_directional(_directional(ell)))
    fisher = _fisher_symbols()
    delta = sp.Matrix(DELTA)
    expectation = {
        sp.Derivative(ell, a): 0, sp.Derivative(ell, b): 0,
        sp.Derivative(ell, (a, 2)): -fisher[0, 0], sp.Derivative(ell, (b, 2)): -fisher[1, 1],
        sp.Derivative(ell, a, b): -fisher[0, 1], sp.Derivative(ell, b, a): -fisher[0, 1],
    }
    expected_second = second.xreplace(expectation)
    series = sp.expand(-T * first.xreplace(expectation) - T**2 / 2 * expected_second)
    quadratic = (delta.T * fisher * delta)[0, 0]
    _zero(series - T**2 / 2 * quadratic, "KL series against ½ΔᵀFΔ")
    order = sp.Order(T**3)
    steps = [
        Step(E(ell - ELL(X, a + T * DELTA[0], b + T * DELTA[1])),
             "definition, with $\\ell = \\log p(x;\\theta)$"),
        Step(ell + T * first + T**2 / 2 * second + order,
             "Taylor expansion in $t$ (derivatives by the chain rule)",
             lhs=ELL(X, a + T * DELTA[0], b + T * DELTA[1])),
        Step(-T * E(first) - T**2 / 2 * E(second) + order,
             "substitute; $\\ell$ cancels; linearity of $\\mathbb{E}$"),
        Step(sp.Integer(0), "the score has mean zero (Fisher identity)",
             lhs=E(sp.Derivative(ell, a))),
        Step(-fisher[0, 1], "$\\mathbb{E}[\\partial_i\\partial_j \\ell] = -F_{ij}$ "
             "(Fisher identity)",
             lhs=E(sp.Derivative(ell, a, b))),
        Step(series + order, "substitute the expectations"),
        Step(T**2 / 2 * QUADRATIC + order,
             "the quadratic form $\\frac{1}{2} t^2 \\Delta^\\top F \\Delta$ (checked by SymPy)"),
    ]
    return _derivation(
        "kl_expansion", "Second order: KL is locally the Fisher quadratic form",
        r"D_{\mathrm{KL}}\left(p_{\theta} \,\|\, p_{\theta + t\Delta}\right)", steps, THETA + DELTA,
    )


@cache
def reparameterization() -> Derivation:
    """F_φ = JᵀF_θJ with J = ∂θ/∂φ, for θ = g(φ)."""
    g = (sp.Function("g_1")(*PHI), sp.Function("g_2")(*PHI))
    ell = ELL(X, *g)
    scores = sp.symbols("s_i s_j", real=True)
    to_scores = {sp.Derivative(ell, gk): s for gk, s in zip(g, scores, strict=True)}
    score_phi = [sp.diff(ell, phi).xreplace(to_scores) for phi in PHI]
    jacobian = sp.Matrix(2, 2, lambda i, k: sp.diff(g[i], PHI[k]))
    fisher = _fisher_symbols()
    _zero((sp.Matrix(score_phi) - jacobian.T * sp.Matrix(scores)).norm() ** 2,
          "chain rule s_φ = Jᵀ s_θ")
    moments = {scores[0] ** 2: fisher[0, 0], scores[1] ** 2: fisher[1, 1],
               scores[0] * scores[1]: fisher[0, 1]}

    def expect_quadratic(expr: sp.Expr) -> sp.Expr:
        poly = sp.Poly(sp.expand(expr), *scores)
        return sp.Add(*[c * moments[sp.Mul(*[s**k for s, k in zip(scores, m, strict=True)])]
                        for m, c in poly.terms()])

    pulled = sp.Matrix(2, 2, lambda i, k: expect_quadratic(score_phi[i] * score_phi[k]))
    target = jacobian.T * fisher * jacobian
    _zero((pulled - target).norm() ** 2, "E[s_φ s_φᵀ] against JᵀFJ")
    steps = [
        Step(sp.Matrix(2, 2, lambda i, k: E(score_phi[i] * score_phi[k]).subs({})),
             "definition $F_\\phi = \\mathbb{E}[s_\\phi s_\\phi^\\top]$, with the chain rule "
             "$\\partial_{\\phi_a}\\ell = \\sum_i s_i\\,\\partial g_i/\\partial\\phi_a$"),
        Step(pulled, "expand; $J$ does not depend on $x$, and $\\mathbb{E}[s_i s_j] = F_{ij}$"),
        Step(sp.MatMul(jacobian.T, fisher, jacobian, evaluate=False),
             "the same matrix as $J^\\top F J$ (checked by SymPy)"),
    ]
    return _derivation(
        "reparameterization", "Reparameterization: the Fisher matrix pulls back as JᵀFJ",
        r"F_{\phi}", steps, PHI,
    )


@cache
def trpo_step() -> Derivation:
    """argmax gᵀΔ subject to ½ΔᵀFΔ = δ is Δ* = √(2δ / gᵀF⁻¹g) F⁻¹g (natural gradient direction)."""
    g = sp.Matrix(sp.symbols("g_i g_j", real=True))
    fisher = _fisher_symbols()
    delta = sp.Matrix(DELTA)
    lam, radius = sp.Symbol("lambda", positive=True), sp.Symbol("delta", positive=True)
    lagrangian = (g.T * delta)[0, 0] - lam * ((delta.T * fisher * delta)[0, 0] / 2 - radius)
    stationary = [sp.diff(lagrangian, d) for d in DELTA]
    solution = sp.solve(stationary, DELTA, dict=True)[0]
    step = sp.Matrix([sp.simplify(solution[d]) for d in DELTA])
    natural = fisher.inv() * g
    _zero((step - natural / lam).norm() ** 2, "stationary point F⁻¹g/λ")
    quad = sp.simplify((g.T * natural)[0, 0])
    constraint = sp.simplify(((natural / lam).T * fisher * (natural / lam))[0, 0] / 2 - radius)
    # F positive definite makes gᵀF⁻¹g > 0; keep the root that is positive there (F = I, g = e₁).
    probe = {fisher[0, 0]: 1, fisher[1, 1]: 1, fisher[0, 1]: 0, g[0]: 1, g[1]: 0, radius: 1}
    lam_star = [r for r in sp.solve(constraint, lam) if r.xreplace(probe) > 0]
    if len(lam_star) != 1:
        raise IdentityCheckError(f"expected one positive multiplier, got {lam_star}")
    _zero(lam_star[0] ** 2 - quad / (2 * radius), "multiplier λ² = gᵀF⁻¹g / 2δ")
    steps = [
        Step(lagrangian, "Lagrangian of: maximize $g^\\top\\Delta$ s.t. "
             "$\\frac{1}{2}\\Delta^\\top F\\Delta = \\delta$ ($g = \\nabla J$)"),
        Step(sp.Matrix(stationary), "stationarity in $\\Delta$ (derivatives by SymPy)",
             lhs=Notation("∇_Δ L", r"\nabla_{\Delta}\mathcal{L}")),
        Step(step, "solve the linear system: $\\Delta = F^{-1} g / \\lambda$, the natural gradient",
             lhs=delta),
        Step(lam_star[0], "the constraint fixes $\\lambda > 0$: "
             "$\\lambda^2 = g^\\top F^{-1} g / (2\\delta)$", lhs=lam),
        Step(sp.sqrt(2 * radius / NATURAL_NORM) * Notation("F⁻¹g", r"F^{-1} g"),
             "substitute $\\lambda$: step length from the trust region, direction $F^{-1}g$",
             lhs=Notation("Δ⋆", r"\Delta^{\star}")),
    ]
    return _derivation(
        "trpo_step", "Natural gradient and the TRPO step: the KL trust region's solution",
        r"\mathcal{L}(\Delta, \lambda)", steps, tuple(g) + DELTA,
    )


def general_identities() -> tuple[Derivation, ...]:
    """The four general derivations of proofs/general, in reading order."""
    return (fisher_score_hessian(), kl_second_order(), reparameterization(), trpo_step())
