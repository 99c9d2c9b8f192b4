"""The catalog: every family × parameterization × identity, checked and reported as a table."""

from __future__ import annotations

import functools
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TextIO

import sympy as sp

from symgeom.cache import cached
from symgeom.derive import entropy, fisher, kl
from symgeom.derive.common import is_large, smooth_in_parameters
from symgeom.derive.expansion import expansion_terms
from symgeom.derive.expectation import (
    centered_scores,
    direct_expectation,
    expect,
    expect_fraction,
    explicit_expectation,
    gaussian_moment,
    has_gaussian_moments,
    moment_table,
    statistic_moment,
)
from symgeom.derive.fisher import score
from symgeom.derive.notation import Density, Expect, GradLogPartition, LogPartition, Tex
from symgeom.derive.reflection import applies as reflection_applies
from symgeom.derive.simplex import beta_lemma_sides
from symgeom.families import (
    Bernoulli,
    Beta,
    Binomial,
    Categorical,
    Dirichlet,
    Exponential,
    Gamma,
    Gaussian,
    Geometric,
    Laplace,
    MultivariateGaussian,
    NegativeBinomial,
    Poisson,
)
from symgeom.families.base import Family, FiniteSupport, SimplexSupport
from symgeom.verification.entries import Entry, catalog_index, entry_rows, extra_rows
from symgeom.verification.identity import FAILED, PROVED, Verdict, check_identity
from symgeom.verification.sampling import family_sampler


def _catalog() -> tuple[Family, ...]:
    families: list[Family] = []
    families += [Bernoulli(p) for p in ("prob", "logit")]
    families += [Categorical(k, p) for k in (2, 3, 4, 5) for p in ("probs", "logits")]
    families += [Gaussian(p) for p in ("mean_std", "mean_var", "natural", "mean_logstd")]
    families += [MultivariateGaussian(d, "full") for d in (1, 2, 3)]
    families += [
        MultivariateGaussian(d, "diagonal", p)
        for d in (1, 2, 3, 4)
        for p in ("mean_var", "mean_std", "mean_logstd")
    ]
    # The natural chart at the largest concrete size (d = 1…3 are checked through the general-d
    # rows): every diagonal chart runs at d = 4 (issue 10), for 3.5 CPU s.
    families += [MultivariateGaussian(4, "diagonal", "natural")]
    families += _beyond_gaussian()
    return tuple(families)


def _beyond_gaussian() -> list[Family]:
    """Every chart of the families whose expectations come from the log-partition and from
    exact sums and integrals (symgeom.derive.expectation)."""
    families = [Poisson(), Exponential(), Gamma(), Beta(), Binomial(4), Geometric(),
                NegativeBinomial(3), Laplace(), Dirichlet(2), Dirichlet(3)]
    return [f.with_param(p) for f in families for p in f.parameterization_names]


@functools.cache
def catalog_families() -> tuple[Family, ...]:
    """Every family and parameterization the catalog checks, in a fixed order: ``CATALOG``."""
    return _catalog()


def __getattr__(name: str) -> object:
    # CATALOG is built on first use, not at import: a warm `symgeom verify` reads its rows from
    # the cache by entry (symgeom.verification.entries) and builds no family at all.
    if name == "CATALOG":
        return catalog_families()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

#: Exact simplification is attempted when both sides together have at most this many
#: operations.  For large families (more than LARGE_FAMILY_PARAMETERS parameters: the
#: full-covariance Gaussians, diagonal ones with d ≥ 3), SymPy's cancel takes seconds to minutes
#: per identity, so their identities are proved by exact factor-base arithmetic instead, up to
#: ARITHMETIC_MAX_OPS.  Size rules,
#: not clocks, so every machine reaches the same verdicts.
MAX_SYMBOLIC_OPS = 6000
ARITHMETIC_MAX_OPS = 100_000

#: Symbolic time limit per identity.  Generous on purpose: verdicts must not depend on the
#: machine, so identities too heavy to prove are marked numeric_only instead of timing out.
SYMBOLIC_SECONDS = 120.0

Sides = tuple[sp.Basic, sp.Basic]


@dataclass(frozen=True)
class Identity:
    """An identity of the catalog: ``sides(family)`` gives (lhs, rhs) to check."""

    name: str
    statement: str
    sides: Callable[[Family], Sides]
    applies: Callable[[Family], bool] = lambda family: True
    #: Decided where the identity is checked (it may derive): False drops the row, e.g. a
    #: "printed = derived" identity for a derivation that printed the derived form unchanged,
    #: which would compare an expression with itself.
    relevant: Callable[[Family], bool] = lambda family: True


@dataclass(frozen=True)
class Row:
    """One line of the report."""

    identity: str
    statement: str
    family: str
    verdict: Verdict

    @property
    def status(self) -> str:
        return self.verdict.status


# --- the identities ---------------------------------------------------------------------------

def _normalization(family: Family) -> Sides:
    """Σₓ p(x|θ) = 1 (finite support), or the direct sum/integral of the density over its
    support = 1.  For an exponential family this is ∫h e^{η·T} = e^{A(η)} on an open set of η,
    whose derivatives are E[T] = ∇A, E[TTᵀ] = ∇²A + ∇A∇Aᵀ, …: it proves that the moments every
    other route takes from A are the density's own."""
    if _is_finite(family):
        return expect(family, sp.Integer(1)), sp.Integer(1)
    one = sp.Integer(1)
    total = direct_expectation(family, one)
    return (explicit_expectation(family, one) if total is None else total), one


@cached("beta-lemma")
def _beta_integral() -> Sides:
    return beta_lemma_sides()


def _beta_lemma(family: Family) -> Sides:
    """∫₀¹ t^{a−1}(1−t)^{b−1} dt = Γ(a)Γ(b)/Γ(a+b) by SymPy's integration: the lemma behind
    symgeom's own rule for integrals over the simplex (symgeom.derive.simplex), which the
    normalization and moment rows of a simplex family use.  Computed once per cache."""
    return _beta_integral()


def _integrated_statistics(family: Family) -> Sides:
    """E[Tᵢ] integrated against the density over the support = E[Tᵢ] = ∂A/∂ηᵢ from the
    log-partition, for each sufficient statistic."""
    statistics = family.exponential_form.statistics
    unit = [tuple(int(j == i) for j in range(len(statistics))) for i in range(len(statistics))]
    integrated = [direct_expectation(family, t) for t in statistics]
    integrated = [explicit_expectation(family, t) if v is None else v
                  for v, t in zip(integrated, statistics)]
    return sp.Matrix(integrated), sp.Matrix([statistic_moment(family, p) for p in unit])


def _own_integration_rule(family: Family) -> bool:
    """Supports whose integrals symgeom takes by its own rule instead of SymPy's integrator (the
    simplex: change of variables and the Beta integral); once per family (reference chart)."""
    return isinstance(family.support, SimplexSupport) and not _not_reference(family)


def _stein(family: Family) -> Sides:
    """E[∂ᵢ m(x)] = −E[m(x) ∂ᵢ log p(x)] for every monomial m of degree ≤ 3 (integration by parts)."""
    x = family.variables
    log_p = family.log_density()
    monomials = sorted(
        {sp.Mul(*c) for n in range(4) for c in _multisets(x, n)}, key=sp.default_sort_key
    )
    lhs, rhs = [], []
    for m in monomials:
        for xi in x:
            lhs.append(expect(family, sp.diff(m, xi)))
            rhs.append(-expect(family, sp.expand(m * sp.diff(log_p, xi))))
    return sp.Matrix(lhs), sp.Matrix(rhs)


def _multisets(items: Sequence[sp.Symbol], n: int) -> list[tuple[sp.Symbol, ...]]:
    from itertools import combinations_with_replacement

    return list(combinations_with_replacement(items, n))


def _integrated_moments(family: Family) -> Sides:
    """∫ xⁿ p(x|θ) dx = E[xⁿ] (the moments used everywhere else) for n ≤ 4, by SymPy integration."""
    (x,) = family.variables
    density = sp.exp(family.log_density_reference)
    reference = family.with_param(family.reference.name)
    mean, cov = moment_table(reference)
    integrals = [
        sp.integrate(x**n * density, (x, -sp.oo, sp.oo), conds="none") for n in range(5)
    ]
    moments = [gaussian_moment(mean, cov, (n,)) for n in range(5)]
    return sp.Matrix(integrals), sp.Matrix(moments)


def _exponential_form(family: Family) -> Sides:
    """log p(x|θ) = η(θ)·T(x) − A(η(θ)) + log h(x), at every outcome of a finite support."""
    form = family.exponential_form
    natural = family.natural_at()
    rhs = (
        sp.Add(*[n * t for n, t in zip(natural, form.statistics)])
        - form.log_partition.xreplace(dict(zip(form.natural_symbols, natural)))
        + form.log_base_measure
    )
    lhs = family.log_density()
    if not _is_finite(family):
        return lhs, rhs
    outcomes = [dict(zip(family.variables, o)) for o in family.support.outcomes]
    return sp.Matrix([lhs.xreplace(o) for o in outcomes]), sp.Matrix([rhs.xreplace(o) for o in outcomes])


def _score_mean(family: Family) -> Sides:
    """E[sᵢ] for each score; for large Gaussian families by factor-base arithmetic on the scores
    centred at z = x − E[x] (exact Gaussian moments, no expansion of the 9-parameter scores)."""
    if is_large(family) and has_gaussian_moments(family):
        scores, z = centered_scores(family)
        means = [expect_fraction(family, si, centered=z).as_expr() for si in scores]
        return sp.Matrix(means), sp.zeros(len(scores), 1)
    s = score(family)
    return sp.Matrix([expect(family, si, tidy=False) for si in s]), sp.zeros(len(s), 1)


def _kl_routes(family: Family) -> Sides:
    return kl(family, "definition").result, kl(family, "bregman").result


def _rearranged(derive_quantity: Callable[..., object]) -> Callable[[Family], Sides]:
    """The printed result against the last formula before it (a step free of notation such as
    𝔼[·] or A(η))."""
    def sides(family: Family) -> Sides:
        return derive_quantity(family).result, _formulas_before_result(derive_quantity(family))[-1]

    return sides


def _rearranges(derive_quantity: Callable[..., object]) -> Callable[[Family], bool]:
    """Whether the printed result follows an earlier formula step, i.e. there is something to
    prove; a derivation whose evaluated step needed no rearranging prints it as the result."""
    return lambda family: bool(_formulas_before_result(derive_quantity(family)))


def _formulas_before_result(derivation: object) -> list[sp.Basic]:
    return [step.expression for step in derivation.steps[:-1] if _is_formula(step.expression)]


def _is_formula(expr: sp.Basic) -> bool:
    """Whether ``expr`` is mathematics in the family's symbols, not derivation notation."""
    notation = (Expect, Density, LogPartition, GradLogPartition, Tex)
    return not any(isinstance(node, notation) for node in sp.preorder_traversal(expr))


def _kl_reflection(family: Family) -> Sides:
    return kl(family, "definition").result, kl(family, "reflection").result


def _kl_self(family: Family) -> Sides:
    same = dict(zip(family.symbols(2), family.symbols(1)))
    return kl(family).result.xreplace(same), sp.Integer(0)


def _kl_invariance(family: Family) -> Sides:
    reference = family.with_param(family.reference.name)
    moved = {}
    for point in (1, 2):
        at = family.reference_at(point)
        moved.update({r: at[g] for r, g in zip(reference.symbols(point), reference.symbols())})
    return kl(family).result, kl(reference).result.xreplace(moved)


def _fisher_route(route: str) -> Callable[[Family], Sides]:
    def sides(family: Family) -> Sides:
        return fisher(family).result, fisher(family, route).result

    sides.__doc__ = f"Fisher by the score covariance = Fisher by {route}"
    return sides


def _entropy_routes(family: Family) -> Sides:
    return entropy(family, "definition").result, entropy(family, "log_partition").result


def _coefficient(n: int) -> Callable[[Family], Sides]:
    def sides(family: Family) -> Sides:
        terms = expansion_terms(family)
        target = {0: sp.Integer(0), 1: sp.Integer(0), 2: terms.quadratic_form, 3: terms.cubic_form}
        return terms.coefficients[n], target[n]

    return sides


def _is_finite(family: Family) -> bool:
    return isinstance(family.support, FiniteSupport)


def _not_reference(family: Family) -> bool:
    return family.param != family.reference.name


def _chart_meaning(family: Family) -> Sides:
    """θ(θ_ref(θ)) = θ: the chart map and the coordinates' stated meaning (from_reference) are
    inverse, so each non-reference chart is tied to the reference, whose meaning the density fixes."""
    at = family.reference_at(None)
    back = [sp.sympify(e).xreplace(at) for e in family.chart.from_reference]
    return sp.Matrix(back), sp.Matrix(family.symbols())


def _has_form(family: Family) -> bool:
    return family.exponential_form is not None


def _normalizes(family: Family) -> bool:
    """Finite supports in every chart; sums and integrals once per family (reference chart)."""
    if _is_finite(family):
        return True
    return not has_gaussian_moments(family) and not _not_reference(family)


IDENTITIES: tuple[Identity, ...] = (
    Identity("normalization", "Σₓ p(x|θ) = 1 (∫ p dx = 1)", _normalization, _normalizes),
    Identity("normalization/beta", "∫₀¹ t^{a−1}(1−t)^{b−1} dt = Γ(a)Γ(b)/Γ(a+b) (the simplex's lemma)",
             _beta_lemma, _own_integration_rule),
    Identity("moments/integral_statistics", "∫ Tᵢ p dx = ∂A/∂ηᵢ: E[T] from A is the density's own",
             _integrated_statistics, lambda f: _own_integration_rule(f) and _has_form(f)),
    Identity("moments/stein", "E[∂m] = −E[m ∂ log p] for monomials m, deg ≤ 3 (moments fit p)",
             _stein, has_gaussian_moments),
    Identity("moments/integral", "∫ xⁿ p(x) dx = E[xⁿ], n ≤ 4", _integrated_moments,
             lambda f: has_gaussian_moments(f) and len(f.variables) == 1),
    Identity("expfamily/form", "log p = η·T − A(η) + log h", _exponential_form, _has_form),
    Identity("score/mean", "E[∇ log p] = 0", _score_mean),
    Identity("kl/routes", "KL by definition = A(η₂) − A(η₁) − (η₂−η₁)·∇A(η₁)", _kl_routes,
             _has_form),
    Identity("kl/canonical", "the printed KL (logs paired, one denominator) = the derived sum",
             _rearranged(kl), relevant=_rearranges(kl)),
    Identity("kl/reflection", "KL by definition = KL by reflection about the centre (x = m ± Y)",
             _kl_reflection, reflection_applies),
    Identity("kl/self", "KL(θ‖θ) = 0", _kl_self),
    Identity("kl/invariance", "KL is invariant under reparameterization", _kl_invariance,
             _not_reference),
    Identity("fisher/hessian", "E[s sᵀ] = −E[∇² log p]", _fisher_route("negative_hessian"),
             smooth_in_parameters),
    Identity("fisher/log_partition", "E[s sᵀ] = Jᵀ ∇²A(η) J", _fisher_route("log_partition"),
             _has_form),
    Identity("fisher/kl_hessian", "E[s sᵀ] = Hessian of θ₂ ↦ KL(θ‖θ₂) at θ₂ = θ", _fisher_route("kl_hessian"),
             smooth_in_parameters),
    Identity("fisher/pullback", "F_θ = Jᵀ F_ref J (reparameterization)", _fisher_route("pullback"),
             _not_reference),
    Identity("entropy/canonical", "the printed entropy = the derived expectation",
             _rearranged(entropy), relevant=_rearranges(entropy)),
    Identity("entropy/routes", "−E[log p] = A(η) − η·∇A(η) − E[log h]", _entropy_routes,
             _has_form),
    Identity("expansion/c0", "KL(θ‖θ+tΔ) has no t⁰ term", _coefficient(0),
             smooth_in_parameters),
    Identity("expansion/c1", "KL(θ‖θ+tΔ) has no t¹ term", _coefficient(1),
             smooth_in_parameters),
    Identity("expansion/c2", "t² coefficient = ½ΔᵀF(θ)Δ", _coefficient(2),
             smooth_in_parameters),
    Identity("expansion/c3", "t³ coefficient = (3∇F[Δ,Δ,Δ] − E[(sᵀΔ)³])/12", _coefficient(3),
             smooth_in_parameters),
    Identity("chart/meaning", "θ(θ_ref(θ)) = θ: the chart's coordinates are what they are said to be",
             _chart_meaning, lambda f: _not_reference(f) and f.chart.from_reference is not None),
)


# --- checking ---------------------------------------------------------------------------------

def proof_cover(family: Family) -> dict[sp.Symbol, sp.Expr]:
    """The chart's cover substitution at every point (θ, θ₁, θ₂)."""
    cover: dict[sp.Symbol, sp.Expr] = {}
    for point in (None, 1, 2):
        cover.update(family.chart.cover_at(point))
    return cover


def proof_strategy(family: Family, lhs: sp.Basic, rhs: sp.Basic) -> str | None:
    """"simplification", "arithmetic" (exact factor-base arithmetic only) or None (numeric only),
    by size and family (see MAX_SYMBOLIC_OPS and ARITHMETIC_MAX_OPS)."""
    size = sum(sp.count_ops(side) for side in (lhs, rhs))
    if size <= MAX_SYMBOLIC_OPS and not is_large(family):
        return "simplification"
    return "arithmetic" if size <= ARITHMETIC_MAX_OPS else None


@cached("verdict")
def check(identity_name: str, family: Family) -> Verdict:
    """The verdict of one catalog identity for one family (cached on disk)."""
    identity = next(i for i in IDENTITIES if i.name == identity_name)
    start = time.perf_counter()
    lhs, rhs = identity.sides(family)
    derived = time.perf_counter() - start
    strategy = proof_strategy(family, lhs, rhs)
    verdict = check_identity(
        lhs, rhs, substitution=proof_cover(family), sampler=family_sampler(family),
        time_limit=SYMBOLIC_SECONDS if strategy else 0.0,
        arithmetic_only=strategy == "arithmetic",
    )
    return Verdict(verdict.status, verdict.method, verdict.seconds + derived,
                   verdict.counterexample, verdict.residual)


def identities_for(family: Family) -> tuple[Identity, ...]:
    return tuple(i for i in IDENTITIES if i.applies(family))


def verdicts(family: Family) -> list[Row]:
    """Every applicable identity's verdict for ``family``, in catalog order."""
    return [Row(i.name, i.statement, family.label, check(i.name, family))
            for i in identities_for(family) if i.relevant(family)]


def select(family: str | None = None) -> tuple[Family, ...]:
    """Catalog entries whose family name (or label) starts with ``family``."""
    if family is None:
        return catalog_families()
    return tuple(e.family() for e in select_entries(family))


def select_entries(family: str | None = None) -> tuple[Entry, ...]:
    """:func:`select`, as entries: nothing is built when the index is cached."""
    if family is None:
        return catalog_index()
    from symgeom.families import family as by_name

    chosen = tuple(e for e in catalog_index() if e.label.startswith(family) or e.name == family)
    if not chosen:
        by_name(family)  # raises the clear UnknownFamilyError for an unknown name
    return chosen


def _extra_rows(name: str) -> list[Row]:
    """Rows beyond the family × identity grid: "general" (symbolic k), "general_gaussian"
    (symbolic d, full), "general_diagonal" (symbolic d, diagonal), "general_dirichlet"
    (symbolic k) and "cross" (KL(p‖q))."""
    if name == "general":
        from symgeom.verification.general import categorical_and_product_rows as rows
    elif name == "general_gaussian":
        from symgeom.verification.general_gaussian import gaussian_rows as rows
    elif name == "general_dirichlet":
        from symgeom.verification.general_dirichlet import dirichlet_rows as rows
    elif name == "general_diagonal":
        from symgeom.verification.indexed_product import diagonal_rows as rows
    else:
        from symgeom.verification.cross import cross_rows as rows
    return [Row(*row) for row in rows()]


Unit = Family | Entry
Task = tuple[Unit, ...] | str


def _task(item: Task) -> list[Row]:
    if isinstance(item, str):
        return list(extra_rows(item))
    return [row for unit in item for row in (
        entry_rows(unit) if isinstance(unit, Entry) else verdicts(unit))]


def _stored(item: Task) -> list[Row] | None:
    """The task's rows when the cache holds them all (entries and extra rows; a Family given
    directly is always checked row by row), else None."""
    if isinstance(item, str):
        rows = extra_rows.peek(item)
        return None if rows is None else list(rows)
    found = [entry_rows.peek(unit) if isinstance(unit, Entry) else None for unit in item]
    return None if any(rows is None for rows in found) else [row for rows in found for row in rows]


def _label(unit: Unit) -> str:
    return unit.label


def _group(unit: Unit) -> str:
    return unit.group if isinstance(unit, Entry) else unit.with_param(unit.reference.name).label


def _is_reference(unit: Unit) -> bool:
    return unit.label == _group(unit)


def _parameters(unit: Unit) -> int:
    return unit.parameters if isinstance(unit, Entry) else len(unit.parameters)


def _extra_needs(name: str) -> tuple[Family, ...]:
    """The concrete families whose derivations the ``name`` rows compare with (they start after
    those families' tasks, and read the derivations from the cache)."""
    if name == "general":
        from symgeom.verification.general import CHECK_SIZES

        return tuple(Categorical(k, p) for k in CHECK_SIZES for p in ("probs", "logits"))
    if name == "general_gaussian":
        from symgeom.verification.general_gaussian import CHECK_SIZES as SIZES

        return tuple(MultivariateGaussian(d, "full") for d in SIZES)
    if name == "general_diagonal":
        from symgeom.verification.indexed_product import CHECK_SIZES as SIZES

        return tuple(MultivariateGaussian(d, "diagonal", p) for d in SIZES
                     for p in ("mean_var", "mean_std", "mean_logstd"))
    if name == "general_dirichlet":
        from symgeom.families.dirichlet import Dirichlet
        from symgeom.verification.general_dirichlet import CHECK_SIZES as SIZES

        return tuple(Dirichlet(k, p) for k in SIZES for p in ("concentration", "log_concentration"))
    return ()


def run_catalog(families: Iterable[Unit], jobs: int = 1, extra: Sequence[str] = ()) -> list[Row]:
    """Verdict rows for the families (then the ``extra`` rows, see :func:`_extra_rows`), computed
    in ``jobs`` processes (fork) when jobs > 1 (scheduled by symgeom.verification.schedule).

    Families may be given as catalog entries (symgeom.verification.entries): their rows are then
    read whole from the cache when it has them, and no worker starts when it has all of them.
    """
    families = tuple(families)
    # One task per family (its charts, reference first), so no two workers derive the reference.
    groups: dict[str, list[Unit]] = {}
    for f in families:
        groups.setdefault(_group(f), []).append(f)
    tasks: list[Task] = [tuple(sorted(charts, key=lambda f: not _is_reference(f)))
                         for charts in groups.values()]
    tasks += extra
    results: dict[Task, list[Row]] = {}
    for task in tasks:
        rows = _stored(task)
        if rows is not None:
            results[task] = rows
    missing = [task for task in tasks if task not in results]
    if jobs <= 1 or len(missing) <= 1:
        results.update((task, _task(task)) for task in missing)
    else:
        results.update(_run_parallel(missing, jobs))
    by_label = {_label(f): [row for row in results[task] if row.family == _label(f)]
                for task in tasks if not isinstance(task, str) for f in task}
    return [row for f in families for row in by_label[_label(f)]] + [
        row for name in extra for row in results[name]]


def _run_parallel(tasks: Sequence[Task], jobs: int) -> dict[Task, list[Row]]:
    from symgeom.verification.schedule import run_in_order

    task_of = {_label(f): task for task in tasks if not isinstance(task, str) for f in task}
    needs = {name: [task_of[f.label] for f in _extra_needs(name) if f.label in task_of]
             for name in tasks if isinstance(name, str)}

    def weight(task: Task) -> float:
        # The largest parameter count (the extra rows count as large), charts breaking ties.
        if isinstance(task, str):
            return 8
        return max(_parameters(f) for f in task) + len(task) / 10

    return run_in_order(tasks, _task, jobs, weight, needs)


def format_table(rows: Sequence[Row]) -> str:
    """identity | family | verdict | seconds, with a summary line."""
    header = ("identity", "family", "verdict", "seconds")
    lines = [(r.identity, r.family, r.verdict.status, f"{r.verdict.seconds:.2f}") for r in rows]
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths)),
           "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(line, widths)) for line in lines]
    for r in rows:
        if r.verdict.status == FAILED:
            out.append(f"FAILED {r.identity} for {r.family}: {r.verdict}")
    proved = sum(r.verdict.status == PROVED for r in rows)
    failed = sum(r.verdict.status == FAILED for r in rows)
    out.append(f"{len(rows)} identities: {proved} proved, "
               f"{len(rows) - proved - failed} checked numerically, {failed} failed")
    return "\n".join(out)


def run_verify(family: str | None = None, jobs: int | None = None,
               stream: TextIO | None = None, strict: bool = False) -> int:
    """``symgeom verify``: print the table; exit status 1 if any identity failed (with
    ``strict``: or was only checked numerically), else 0."""
    stream = stream or sys.stdout
    jobs = jobs if jobs is not None else min(2, os.cpu_count() or 1)
    start = time.perf_counter()
    extra = []
    if family is None or "categorical".startswith(family) or family.startswith("categorical(k=k)"):
        extra.append("general")
    if family is None or "multivariate_gaussian".startswith(family) or family.startswith(
            "multivariate_gaussian(d=d)"):
        extra += ["general_gaussian", "general_diagonal"]
    if family is None or "dirichlet".startswith(family) or family.startswith("dirichlet(k=k)"):
        extra.append("general_dirichlet")
    if family is None:
        extra.append("cross")
    rows = run_catalog(select_entries(family), jobs, extra)
    print(format_table(rows), file=stream)
    print(f"total {time.perf_counter() - start:.1f} s", file=stream)
    if strict:
        return 0 if all(r.verdict.status == PROVED for r in rows) else 1
    return 1 if any(r.verdict.status == FAILED for r in rows) else 0
