"""Family, Parameter, Parameterization and Support: the immutable data a derivation starts from."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import sympy as sp

from symgeom.errors import InvalidParameterizationError

#: Index of a parameter point: ``None`` for the generic point θ, 1 and 2 for KL(θ₁‖θ₂).
Point = int | None
#: Symbol names reserved for points and displacements: ``name_1``, ``name_2`` and ``Delta_name``.
#: A parameter name may not look like one of them, so every symbol name is unique by construction.
_RESERVED_NAME = re.compile(r"^Delta_|_\d+$")


@dataclass(frozen=True)
class Parameter:
    """One scalar coordinate of a parameterization, with its domain ``lower < value < upper``.

    ``lower``/``upper`` of ``None`` mean unbounded.  A finite bound is excluded unless
    ``lower_included``/``upper_included`` says the family is still a distribution there
    (Bernoulli p ∈ [0, 1]; Geometric p ∈ (0, 1]: p = 0 puts no mass anywhere; Beta's mean
    m ∈ (0, 1)).  The numeric layer and the backends accept exactly these values.  A lower bound
    of 0 gives the symbol the SymPy assumption ``positive=True`` (σ > 0, p > 0), an upper bound
    of 0 ``negative=True`` (η₂ < 0), otherwise ``real=True``; the bounds also drive input
    validation and the Hypothesis strategies in :mod:`symgeom.testing`.
    """

    name: str
    latex: str
    description: str
    lower: float | None = None
    upper: float | None = None
    lower_included: bool = False
    upper_included: bool = False

    def __post_init__(self) -> None:
        for bound, included, side in ((self.lower, self.lower_included, "lower"),
                                      (self.upper, self.upper_included, "upper")):
            if included and bound is None:
                raise InvalidParameterizationError(
                    f"parameter {self.name!r}: {side}_included needs a finite {side} bound"
                )
        if not self.name.isidentifier() or _RESERVED_NAME.search(self.name):
            raise InvalidParameterizationError(
                f"parameter name {self.name!r} must be an identifier that neither ends in _<digits> "
                "nor starts with Delta_ (those names are the point symbols θ_1, θ_2 and Δθ)"
            )

    @property
    def assumptions(self) -> dict[str, bool]:
        if self.lower is not None and self.lower >= 0:
            return {"positive": True}
        if self.upper is not None and self.upper <= 0:
            return {"negative": True}
        return {"real": True}

    def symbol(self, point: Point = None) -> sp.Symbol:
        """θ for ``point=None``; θ₁, θ₂ (name suffix ``_1``, ``_2``) for the two KL arguments."""
        return _symbol(self.symbol_name(point), tuple(self.assumptions.items()))

    def symbol_name(self, point: Point = None) -> str:
        """The name of :meth:`symbol` (``p1``, ``p1_1``, ``p1_2``), without building the symbol."""
        return self.name if point is None else f"{self.name}_{point}"

    def delta_symbol(self) -> sp.Symbol:
        """Δθ, the displacement used in the second-order expansion KL(θ‖θ+tΔ)."""
        return _symbol(f"Delta_{self.name}", (("real", True),))

    def latex_for(self, point: Point = None) -> str:
        """θ at ``point`` in the one notation of every family (see :func:`point_latex`)."""
        return self.latex if point is None else point_latex(self.latex, point)

    def domain_text(self, interior: bool = False) -> str:
        """``0 ≤ p ≤ 1``; with ``interior`` the open interval (where a metric is finite)."""
        low = "-∞" if self.lower is None else f"{self.lower:g}"
        high = "∞" if self.upper is None else f"{self.upper:g}"
        left = "≤" if self.lower_included and not interior else "<"
        right = "≤" if self.upper_included and not interior else "<"
        return f"{low} {left} {self.name} {right} {high}"


#: How an :class:`ArrayArgument` lays out its chart parameters (see its docstring).
ARRAY_FORMS = ("scalar", "vector", "simplex", "pinned", "positive_definite")


@dataclass(frozen=True)
class ArrayArgument:
    """``count`` consecutive chart parameters passed to numeric functions as one array.

    ``form`` says how the array holds them:

    * ``scalar`` (count 1): one broadcastable array;
    * ``vector`` (…, n): the parameters as they are;
    * ``simplex`` (…, n + 1): a probability vector; the parameters are its first n entries and the
      last is 1 − Σ of them (entries in [0, 1], summing to 1);
    * ``pinned`` (…, n + 1): a vector read up to a common shift; the parameters are vᵢ − v_last;
    * ``positive_definite`` (…, d, d) with n = d(d+1)/2: a symmetric positive definite matrix whose
      upper triangle, row by row, are the parameters (the chart's leading-minor constraints).

    This is data for numerics only (validation, grouping, strategies); derivations never read it.
    """

    name: str
    count: int = 1
    form: str = "scalar"


@dataclass(frozen=True)
class Parameterization:
    """A named chart θ ↦ θ_ref onto the family's reference parameters.

    ``to_reference[i]`` expresses the i-th reference parameter (generic symbols) in this chart's
    generic symbols.  Fisher information pulls back as JᵀF_ref J with J = ∂θ_ref/∂θ; KL is invariant.
    ``constraints`` are joint conditions beyond the per-parameter bounds (e.g. Σ pᵢ < 1), as
    SymPy relationals in the generic symbols, each with the text shown when it is violated.
    ``cover`` is a map from auxiliary parameters onto the whole chart domain (pᵢ = aᵢ/Σa with
    aᵢ > 0; Σ = LLᵀ), used only by proofs: an identity holds on the domain iff it holds after
    this substitution, and the substituted form shows SymPy which log arguments are positive.
    ``from_reference`` states what each coordinate means, θᵢ in the reference parameters
    (σ² = σ·σ, log σ, η₁ = μ/σ²), independently of ``to_reference``: the catalog checks that the
    two maps are inverse to each other, so a wrong chart cannot pass as a consistent one.
    ``arrays`` groups the parameters into the arrays numeric functions take (default: one
    scalar each).
    """

    name: str
    description: str
    parameters: tuple[Parameter, ...]
    to_reference: tuple[sp.Expr, ...]
    constraints: tuple[tuple[sp.Basic, str], ...] = ()
    cover: tuple[tuple[Parameter, ...], tuple[sp.Expr, ...]] | None = None
    from_reference: tuple[sp.Expr, ...] | None = None
    arrays: tuple[ArrayArgument, ...] = ()

    @property
    def array_arguments(self) -> tuple[ArrayArgument, ...]:
        """``arrays``, or one scalar argument per parameter when none are declared."""
        if self.arrays:
            return self.arrays
        return tuple(ArrayArgument(p.name) for p in self.parameters)

    def cover_at(self, point: Point) -> dict[sp.Symbol, sp.Expr]:
        """The ``cover`` substitution for the symbols of ``point`` (empty when there is none)."""
        if self.cover is None:
            return {}
        auxiliary, images = self.cover
        rename = {a.symbol(None): a.symbol(point) for a in auxiliary} | self.at(point)
        return {
            par.symbol(point): sp.sympify(image).xreplace(rename)
            for par, image in zip(self.parameters, images)
        }

    def symbols(self, point: Point = None) -> tuple[sp.Symbol, ...]:
        return tuple(p.symbol(point) for p in self.parameters)

    def at(self, point: Point) -> dict[sp.Symbol, sp.Symbol]:
        """Substitution from the generic symbols to those of ``point``."""
        return dict(zip(self.symbols(None), self.symbols(point)))


@dataclass(frozen=True)
class FiniteSupport:
    """Finitely many outcomes, each a tuple of values of the family's variables; counting measure."""

    outcomes: tuple[tuple[int, ...], ...]
    measure: str = "sum"


@dataclass(frozen=True)
class RealSupport:
    """ℝᵈ with Lebesgue measure.

    The support alone says nothing about moments: expectations come from the family's
    exponential-family form (E[T] = ∇A(η)), from direct integration, or — for a family that
    declares itself Gaussian through ``Family.moments`` — from Isserlis' theorem.
    """

    dimension: int
    measure: str = "integral"


@dataclass(frozen=True)
class IntegerSupport:
    """{0, 1, …, upper} (``upper=None``: all non-negative integers) with counting measure.

    E[f(x)] = Σₓ p(x|θ) f(x), taken by exact symbolic summation.
    """

    upper: int | None = None
    measure: str = "sum"

    def limits(self, variable: sp.Symbol) -> tuple[sp.Symbol, sp.Expr, sp.Expr]:
        return (variable, sp.Integer(0), sp.oo if self.upper is None else sp.Integer(self.upper))


@dataclass(frozen=True)
class IntervalSupport:
    """An open interval (lower, upper) ⊂ ℝ with Lebesgue measure: (0, ∞) or (0, 1).

    E[f(x)] = ∫ f(x) p(x|θ) dx, taken by exact symbolic integration.
    """

    lower: sp.Expr
    upper: sp.Expr
    measure: str = "integral"

    def limits(self, variable: sp.Symbol) -> tuple[sp.Symbol, sp.Expr, sp.Expr]:
        return (variable, sp.sympify(self.lower), sp.sympify(self.upper))


def PositiveRealSupport() -> IntervalSupport:  # noqa: N802 - names a support like a class
    """(0, ∞) with Lebesgue measure."""
    return IntervalSupport(sp.Integer(0), sp.oo)


def UnitIntervalSupport() -> IntervalSupport:  # noqa: N802 - names a support like a class
    """(0, 1) with Lebesgue measure."""
    return IntervalSupport(sp.Integer(0), sp.Integer(1))


@dataclass(frozen=True)
class SimplexSupport:
    """The open probability simplex {x ∈ (0,1)ᵏ : Σ xᵢ = 1}, written in its first k − 1
    coordinates (x_k = 1 − Σ xᵢ), with Lebesgue measure on those coordinates."""

    k: int
    measure: str = "integral"


Support = FiniteSupport | RealSupport | IntegerSupport | IntervalSupport | SimplexSupport


@dataclass(frozen=True)
class ExponentialFamilyForm:
    """p(x|η) = h(x) exp(η·T(x) − A(η)).

    ``natural`` gives η as functions of the reference parameters (generic symbols);
    ``log_partition`` is A written in ``natural_symbols``.
    """

    statistics: tuple[sp.Expr, ...]
    natural_symbols: tuple[sp.Symbol, ...]
    natural: tuple[sp.Expr, ...]
    log_partition: sp.Expr
    log_base_measure: sp.Expr


@dataclass(frozen=True)
class Family:
    """A parametric family in one chosen parameterization.

    The definition (variables, support, log-density, exponential-family form) is written in the
    reference parameterization ``parameterizations[0]``; ``param`` selects the chart used by
    every derivation.  Instances are immutable and hashable, so they key the derivation cache.
    """

    name: str
    title: str
    size: tuple[tuple[str, int | str], ...]
    variables: tuple[sp.Symbol, ...]
    support: Support
    log_density_reference: sp.Expr
    #: ``None`` for a family outside the exponential family (Laplace): routes that need A(η)
    #: do not apply to it.
    exponential_form: ExponentialFamilyForm | None
    parameterizations: tuple[Parameterization, ...]
    param: str
    #: The Gaussian-moments declaration: x ~ N(mean, covariance) exactly, written in the
    #: reference symbols.  Only a family that declares it gets Isserlis' theorem for its
    #: expectations; every other family's expectations come from its exponential-family form,
    #: exact sums or integrals (see symgeom.derive.expectation).
    moments: tuple[tuple[sp.Expr, ...], tuple[tuple[sp.Expr, ...], ...]] | None = field(
        default=None, compare=True
    )
    #: For sizes past the explicit limit: the general-size family this one specializes
    #: (symgeom.families.general.Specialization); derivations then specialize the general result.
    general: object | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        names = [p.name for p in self.parameterizations]
        if self.param not in names:
            raise InvalidParameterizationError(
                f"unknown parameterization {self.param!r} for family {self.name!r}; "
                f"accepted: {', '.join(names)}"
            )
        _check_distinct_symbols(self)

    # --- naming -------------------------------------------------------------------------------
    @property
    def label(self) -> str:
        """Short unique label, e.g. ``categorical(k=3)[logits]``."""
        sizes = ",".join(f"{k}={v}" if isinstance(v, int | sp.Rational) else str(v) for k, v in self.size)
        return f"{self.name}({sizes})[{self.param}]" if sizes else f"{self.name}[{self.param}]"

    def with_param(self, param: str) -> Family:
        """The same family in another parameterization."""
        from dataclasses import replace

        return replace(self, param=param)

    @property
    def parameterization_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameterizations)

    # --- the active chart --------------------------------------------------------------------
    @cached_property
    def chart(self) -> Parameterization:
        return next(p for p in self.parameterizations if p.name == self.param)

    @property
    def reference(self) -> Parameterization:
        return self.parameterizations[0]

    @property
    def parameters(self) -> tuple[Parameter, ...]:
        return self.chart.parameters

    def symbols(self, point: Point = None) -> tuple[sp.Symbol, ...]:
        return self.chart.symbols(point)

    def delta_symbols(self) -> tuple[sp.Symbol, ...]:
        return tuple(p.delta_symbol() for p in self.parameters)

    def reference_at(self, point: Point = None) -> dict[sp.Symbol, sp.Expr]:
        """θ_ref(θ) at ``point``: substitution from generic reference symbols to chart expressions."""
        at = self.chart.at(point)
        return {
            ref: sp.sympify(expr).xreplace(at)
            for ref, expr in zip(self.reference.symbols(None), self.chart.to_reference)
        }

    def log_density(self, point: Point = None) -> sp.Expr:
        """log p(x | θ) in the active chart at ``point``."""
        return self.log_density_reference.xreplace(self.reference_at(point))

    def natural_at(self, point: Point = None) -> tuple[sp.Expr, ...]:
        """η(θ) at ``point``."""
        if self.exponential_form is None:
            raise InvalidParameterizationError(
                f"family {self.name!r} is not an exponential family: it has no natural parameters"
            )
        sub = self.reference_at(point)
        return tuple(sp.sympify(e).xreplace(sub) for e in self.exponential_form.natural)

    def latex_names(self) -> dict[sp.Symbol, str]:
        """LaTeX for every symbol a derivation of this family can contain."""
        names: dict[sp.Symbol, str] = {}
        for chart in self.parameterizations:
            for par in chart.parameters:
                for point in (None, 1, 2):
                    names[par.symbol(point)] = par.latex_for(point)
                names[par.delta_symbol()] = delta_latex(par.latex)
        if self.exponential_form is not None:
            for eta in self.exponential_form.natural_symbols:
                generic = names.setdefault(eta, sp.latex(eta))
                for point in (1, 2):
                    at = sp.Symbol(f"{eta.name}_{point}", **eta.assumptions0)
                    names.setdefault(at, point_latex(generic, point))
        return names


#: ``[\\log ]base[_{sub}][^{sup}]``: what :func:`point_latex` can put a point index into.
_SCRIPTED = re.compile(
    r"(?P<prefix>(\\log\s*)?)(?P<base>\\[A-Za-z]+|[A-Za-z])"
    r"(_\{(?P<sub>[^{}]*)\}|_(?P<sub1>[A-Za-z0-9]))?(?P<sup>\^\{[^{}]*\}|\^[A-Za-z0-9])?"
)


def point_latex(latex: str, point: int) -> str:
    """A coordinate at point 1 or 2 of KL(θ₁‖θ₂): the point is the first subscript, for every
    family and chart — σ → σ₁, σ² → σ₁², log σ → log σ₁, μ_i → μ_{1,i}, Σ_ij → Σ_{1,ij},
    η₁ → η_{2,1}.  LaTeX outside that grammar is wrapped: (latex)₁."""
    match = _SCRIPTED.fullmatch(latex.strip())
    if match is None:
        return rf"\left({latex}\right)_{{{point}}}"
    sub = match["sub"] if match["sub"] is not None else match["sub1"]
    index = str(point) if sub is None else f"{point},{sub}"
    return f"{match['prefix']}{match['base']}_{{{index}}}{match['sup'] or ''}"


@lru_cache(maxsize=1 << 18)
def _symbol(name: str, assumptions: tuple[tuple[str, bool], ...]) -> sp.Symbol:
    # SymPy re-sanitizes assumptions on every Symbol(...) call: 10⁵ parameters (a large
    # Categorical at three points) spend seconds there for symbols it already holds.
    return sp.Symbol(name, **dict(assumptions))


def delta_latex(latex: str) -> str:
    """Δθ for a plain symbol (``\\Delta \\mu``); Δ(σ²), Δ(log σ) for a compound one, so that
    ``Δσ²`` is never read as (Δσ)² or Δ applied to σ only."""
    simple = re.fullmatch(r"\\?[A-Za-z]+(_\{[^{}]*\}|_[A-Za-z0-9])?", latex.strip())
    return rf"\Delta {latex}" if simple else rf"\Delta\left({latex}\right)"


def _check_distinct_symbols(family: Family) -> None:
    """Every symbol name of every chart, point and displacement means one thing.

    Two charts may share a parameter (μ in ``mean_std`` and ``mean_var``) only when it is the same
    parameter: same name, same LaTeX, same description.  Anything else sharing a SymPy symbol name
    would print and simplify as one symbol (σ of x₂ at θ₁ read as the variance of x₁).
    """
    seen: dict[str, tuple[tuple[str, str, str, Point], str]] = {}
    for chart in family.parameterizations:
        for par in chart.parameters:
            meanings = [(par.symbol_name(point), point) for point in (None, 1, 2)]
            meanings.append((f"Delta_{par.name}", 0))
            for name, point in meanings:
                meaning = (par.name, par.latex, par.description, point)
                where = f"{par.description!r} of chart {chart.name!r}" + (
                    "" if point is None else " (displacement)" if point == 0 else f" at point {point}"
                )
                if name in seen and seen[name][0] != meaning:
                    raise InvalidParameterizationError(
                        f"family {family.name!r}: symbol name {name!r} means both {seen[name][1]} "
                        f"and {where}; every symbol must be unique (rename a parameter)"
                    )
                seen.setdefault(name, (meaning, where))
