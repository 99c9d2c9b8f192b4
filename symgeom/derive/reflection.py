"""KL by reflection about the centre: for p symmetric about m on ℝ, x = m ± Y with Y = |x − m| ≥ 0.

An independent route for log-ratios with kinks |x − c| (Laplace, and Gaussian‖Laplace): with
D = |c − m|,  E|x − c| = ½E|D + Y| + ½E|D − Y| = ½(D + E[Y]) + ½(∫₀^D (D − y)f(y)dy + ∫_D^∞ (y − D)f(y)dy),
f(y) = 2p(m + y) the density of Y, and E[(x − m)ʲ] = E[Yʲ] (j even), 0 (j odd).  Every integral
runs over [0, ∞) split at D ≥ 0, so no ordering of the kinks is ever assumed — unlike the
definition route, which integrates over ℝ piece by piece for both orders of μ₁ and μ₂.
Symmetry is proved (log p(m + y) = log p(m − y) exactly), not assumed.
"""

from __future__ import annotations

import sympy as sp

from symgeom.cache import cached
from symgeom.derivation import Derivation, Step
from symgeom.derive.common import smooth_in_parameters
from symgeom.derive.registry import register
from symgeom.errors import SymgeomError
from symgeom.families.base import Family, RealSupport

KL_LATEX = r"D_{\mathrm{KL}}\left(p_{\theta_{1}} \,\|\, q_{\theta_{2}}\right)"


def _kinks(expr: sp.Expr, x: sp.Symbol) -> list[sp.Expr]:
    """The points c of the |a·(x − c)| in ``expr`` (a constant)."""
    points = []
    for atom in expr.atoms(sp.Abs):
        argument = atom.args[0]
        if x in argument.free_symbols:
            slope = sp.diff(argument, x)
            if x in slope.free_symbols:
                raise SymgeomError(f"|·| of a non-linear function of x: {atom}")
            points.append(sp.expand(x - argument / slope))
    return points


def _centre(family: Family, point: int | None) -> sp.Expr:
    """m: the kink of log p (Laplace's μ), else the mean (by the family's expectation rule)."""
    from symgeom.derive.expectation import expect

    (x,) = family.variables
    kinks = list(dict.fromkeys(_kinks(family.log_density(point), x)))
    if len(kinks) > 1:
        raise SymgeomError(f"{family.label}: log p has several kinks, no single centre")
    return kinks[0] if kinks else sp.expand(expect(family, x, point))


def applies(family: Family) -> bool:
    """One-dimensional ℝ support and |·| of the parameters in log p (the route is for kinks)."""
    return (isinstance(family.support, RealSupport) and family.support.dimension == 1
            and not smooth_in_parameters(family))


class Reflection:
    """E_p[·] for p symmetric about its centre m, by the half-line density f(y) = 2p(m + y)."""

    def __init__(self, family: Family, point: int | None) -> None:
        (self.x,) = family.variables
        self.m = _centre(family, point)
        self.y = sp.Dummy("y", positive=True)
        log_p = family.log_density(point)
        up = log_p.xreplace({self.x: self.m + self.y})
        down = log_p.xreplace({self.x: self.m - self.y})
        if sp.simplify(up - down) != 0:
            raise SymgeomError(f"{family.label}: p(m + y) = p(m − y) not shown; no reflection route")
        self.half = 2 * sp.exp(sp.expand(sp.expand_log(up, force=False)))
        self._moments: dict[int, sp.Expr] = {}

    def _integral(self, body: sp.Expr, low: sp.Expr, high: sp.Expr) -> sp.Expr:
        value = sp.integrate(sp.expand(body * self.half), (self.y, low, high), conds="none")
        if value.has(sp.Integral):
            raise SymgeomError(f"no closed form for ∫ {body}·f(y) dy")
        return value

    def moment(self, j: int) -> sp.Expr:
        """E[(x − m)ʲ] = E[Yʲ] for even j, 0 for odd j."""
        if j % 2:
            return sp.Integer(0)
        if j not in self._moments:
            self._moments[j] = self._integral(self.y**j, 0, sp.oo)
        return self._moments[j]

    def absolute(self, c: sp.Expr) -> sp.Expr:
        """E|x − c| = ½(D + E[Y]) + ½E|D − Y| with D = |c − m|."""
        d = sp.Dummy("D", positive=True)
        below = self._integral(d - self.y, 0, d) + self._integral(self.y - d, d, sp.oo)
        above = d + self._integral(self.y, 0, sp.oo)
        return ((above + below) / 2).xreplace({d: sp.Abs(sp.expand(c - self.m))})

    def expect(self, expr: sp.Expr) -> sp.Expr:
        """E[expr] for expr = polynomial in x + Σ w·|a(x − c)| (w, a, c free of x)."""
        x, total = self.x, sp.Integer(0)
        for term in sp.Add.make_args(sp.expand(expr)):
            coefficient, rest = term.as_independent(x, as_Add=False)
            if rest == 1:
                total += coefficient
            elif isinstance(rest, sp.Abs):
                (c,) = _kinks(rest, x)
                slope = sp.Abs(sp.diff(rest.args[0], x))
                total += coefficient * slope * self.absolute(c)
            elif rest.is_polynomial(x):
                shifted = sp.Poly(sp.expand(rest.xreplace({x: self.m + x})), x)
                total += coefficient * sp.Add(*[a * self.moment(k)
                                                for (k,), a in shifted.terms()])
            else:
                raise SymgeomError(f"the reflection route takes E[polynomial + |x − c|], not E[{rest}]")
        return total


def kl_by_reflection(p: Family, q: Family | None = None) -> sp.Expr:
    """KL(p_θ₁‖q_θ₂) = E_{p}[log p(x|θ₁) − log q(x|θ₂)] by reflection about p's centre (q = p
    by default)."""
    q = p if q is None else q
    (x,) = p.variables
    log_ratio = p.log_density(1) - q.log_density(2).xreplace({q.variables[0]: x})
    return sp.expand(Reflection(p, 1).expect(sp.expand(sp.expand_log(log_ratio))))


@register("kl", "reflection", applies=applies,
          reason="for one-dimensional densities on ℝ with kinks |x − c| in the parameters only "
                 "(the definition route covers this density)",
          expected=lambda family: not smooth_in_parameters(family))
@cached("kl-reflection")
def kl_reflection(family: Family) -> Derivation:
    """KL(θ₁‖θ₂) = E_{θ₁}[log p₁ − log p₂] with x = m ± Y, Y = |x − m| (p symmetric about m)."""
    result = kl_by_reflection(family)
    steps = (
        Step(sp.Function("E")(sp.log(sp.Function("p")(x := family.variables[0]))
                              - sp.log(sp.Function("q")(x))),
             "definition of the Kullback–Leibler divergence"),
        Step(result, "x = m ± Y with Y = |x − m| ≥ 0 of density 2p(m + y) (p is symmetric about m); "
                     "E|x − c| = ½(D + E[Y]) + ½E|D − Y| with D = |c − m|, integrals over [0, ∞)"),
    )
    return Derivation(
        quantity="kl", route="reflection", family=family,
        title=f"KL divergence of the {family.title} family ({family.param}), by reflection about "
              "the centre",
        symbol_latex=KL_LATEX.replace("q_", "p_"), steps=steps, result=result,
        arguments=family.symbols(1) + family.symbols(2),
    )
