"""Cross-family KL in the catalog: each supported pair KL(p‖q) (symgeom.derive.cross_kl) proved
equal to an independent route.

* p on ℝ with |x − c| in the log-ratio (Laplace‖Gaussian, Gaussian‖Laplace): by reflection about
  p's centre (symgeom.derive.reflection), integrals over [0, ∞) only;
* otherwise: the whole log-ratio log p − log q summed or integrated against p's closed-form
  density by SymPy (:func:`~symgeom.derive.expectation.direct_expectation`), where the derived
  KL takes E[T] from the log-partition and sums outcome by outcome.

Where a result keeps |g| of a parameter gap g (erf(|g|)·|g| against erf(g)·g), the identity is
proved by cases: separately with g = d and g = −d for d > 0 (both must be proved).
"""

from __future__ import annotations

import time

import sympy as sp

from symgeom.cache import cached
from symgeom.derive.cross_kl import kl_between
from symgeom.derive.expectation import direct_expectation
from symgeom.derive.reflection import kl_by_reflection
from symgeom.families import Binomial, Exponential, Gamma, Gaussian, Laplace, Poisson
from symgeom.families.base import Family, RealSupport
from symgeom.verification.identity import PROVED, Verdict, check_identity

#: The pairs sg.kl(p, q) derives in closed form (issue 11), in a fixed order.
PAIRS: tuple[tuple[Family, Family], ...] = (
    (Exponential(), Gamma()),
    (Gamma(), Exponential()),
    (Exponential(), Gaussian()),
    (Binomial(4), Poisson()),
    (Laplace(), Gaussian()),
    (Gaussian(), Laplace()),
)


def _log_ratio(p: Family, q: Family) -> sp.Expr:
    (x,) = p.variables
    return p.log_density(1) - q.log_density(2).xreplace({q.variables[0]: x})


def _reflects(p: Family, q: Family) -> bool:
    return isinstance(p.support, RealSupport) and _log_ratio(p, q).has(sp.Abs)


def route_name(p: Family, q: Family) -> str:
    return ("reflection about p's centre" if _reflects(p, q)
            else "direct sum/integral of p·log(p/q)")


def independent_kl(p: Family, q: Family) -> sp.Expr:
    """KL(p‖q) by the route independent of :func:`kl_between` (see :func:`route_name`)."""
    if _reflects(p, q):
        return kl_by_reflection(p, q)
    value = direct_expectation(p, sp.expand(sp.expand_log(_log_ratio(p, q))), 1)
    if value is None:
        raise ValueError(f"no closed form for the direct sum/integral of KL({p.label} ‖ {q.label})")
    return value


def _sampler(p: Family, q: Family):
    from symgeom.verification.sampling import family_sampler

    first, second = family_sampler(p), family_sampler(q)

    def sample(rng):
        at_p, at_q = first(rng), second(rng)
        out = {s1: at_p[s] for s, s1 in zip(p.symbols(), p.symbols(1)) if s in at_p}
        out.update({s2: at_q[s] for s, s2 in zip(q.symbols(), q.symbols(2)) if s in at_q})
        return out

    return sample


def _gaps(*exprs: sp.Expr) -> list[sp.Expr]:
    return sorted({a.args[0] for e in exprs for a in e.atoms(sp.Abs)}, key=sp.default_sort_key)


def _by_cases(lhs: sp.Expr, rhs: sp.Expr, sampler) -> Verdict | None:
    """Proved for gap = d and gap = −d (d > 0) when both sides have one |gap|; else None."""
    gaps = _gaps(lhs, rhs)
    if len(gaps) != 1:
        return None
    gap = gaps[0]
    symbol = next((s for s in sorted(gap.free_symbols, key=str)
                   if sp.diff(gap, s).is_number and sp.diff(gap, s) != 0), None)
    if symbol is None:
        return None
    d = sp.Dummy("d", positive=True)
    start = time.perf_counter()
    for sign in (1, -1):
        solved = sp.solve(sp.Eq(gap, sign * d), symbol)[0]
        at = {symbol: solved}
        verdict = check_identity(lhs.xreplace(at), rhs.xreplace(at), time_limit=120.0)
        if verdict.status != PROVED:
            return None
    return Verdict(PROVED, f"{verdict.method}, by cases {gap} > 0 and {gap} < 0",
                   time.perf_counter() - start)


@cached("cross-verdict")
def cross_verdict(p: Family, q: Family) -> Verdict:
    """KL(p‖q) as derived = KL(p‖q) by the independent route."""
    derived = kl_between(p, q).result
    other = independent_kl(p, q)
    sampler = _sampler(p, q)
    verdict = check_identity(derived, other, sampler=sampler, time_limit=120.0)
    if verdict.status != PROVED:
        cases = _by_cases(sp.sympify(derived), sp.sympify(other), sampler)
        if cases is not None:
            return cases
    return verdict


def cross_rows() -> list[tuple[str, str, str, Verdict]]:
    """(identity, statement, label, verdict) for every cross-family pair."""
    rows = []
    for p, q in PAIRS:
        rows.append(("kl/cross", f"KL(p‖q) derived = KL(p‖q) by {route_name(p, q)}",
                     f"{p.label} ‖ {q.label}", cross_verdict(p, q)))
    return rows
