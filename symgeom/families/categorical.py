"""Categorical(k): one draw from k classes, in the ``probs`` and ``logits`` (softmax) charts."""

from __future__ import annotations

from functools import cache

import sympy as sp
from sympy.core.parameters import evaluate

from symgeom.errors import InvalidSizeError
from symgeom.families.base import (
    ArrayArgument,
    ExponentialFamilyForm,
    Family,
    FiniteSupport,
    Parameter,
    Parameterization,
)
from symgeom.families.general import (
    LAST_PROBABILITY,
    IndexedChart,
    IndexedFamily,
    LazyTuple,
    Specialization,
)

#: Sizes up to this are derived by expanding every component (and checked so in the catalog);
#: larger ones specialize the general-k result (symgeom.derive.general_categorical).
EXPLICIT_K = 6

#: A symbolic family holds one SymPy symbol per free parameter and point: past this many
#: classes that alone costs seconds and memory for nothing the numeric kernels need.
MAX_K = 100_000


def check_k(k: object) -> int:
    """k must be an integer with 2 ≤ k ≤ MAX_K (bools rejected)."""
    if isinstance(k, bool) or not isinstance(k, int | sp.Integer):
        raise InvalidSizeError(f"Categorical k must be an integer >= 2, got {k!r}")
    if int(k) < 2:
        raise InvalidSizeError(f"Categorical k must be an integer >= 2, got k={k}")
    if int(k) > MAX_K:
        raise InvalidSizeError(
            f"Categorical k must be at most {MAX_K} for a symbolic family, got k={k}; for the "
            "general formula pass a SymPy symbol (sg.Categorical(sympy.Symbol('k'))), for numbers "
            "use symgeom.numeric.kl_function(sg.Categorical(2, param), any_size=True)"
        )
    return int(k)


class OneHot(tuple):
    """The k one-hot outcomes e₁…e_k, made on demand (k² integers would not fit for large k)."""

    def __new__(cls, k: int) -> OneHot:
        instance = super().__new__(cls)
        instance.k = k
        return instance

    def __len__(self) -> int:
        return self.k

    def __getitem__(self, j: int) -> tuple[int, ...]:
        if not -self.k <= j < self.k:
            raise IndexError(j)
        j %= self.k
        return tuple(int(i == j) for i in range(self.k))

    def __iter__(self):
        return (self[j] for j in range(self.k))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OneHot) and other.k == self.k

    def __hash__(self) -> int:
        return hash(("one-hot", self.k))

    def __repr__(self) -> str:
        return f"OneHot({self.k})"


def probability_parameters(k: int) -> tuple[Parameter, ...]:
    return tuple(
        Parameter(
            f"p{i}", f"p_{{{i}}}", f"probability of class {i}", lower=0.0, upper=1.0,
            lower_included=True, upper_included=True,
        )
        for i in range(1, k)
    )


def logit_parameters(k: int) -> tuple[Parameter, ...]:
    return tuple(
        Parameter(
            f"z{i}", f"z_{{{i}}}", f"logit of class {i} relative to class {k}",
        )
        for i in range(1, k)
    )


@cache
def _categorical(k: int, param: str) -> Family:
    if k > EXPLICIT_K:
        return _large_categorical(k, param)
    return _categorical_data(k, param)


def _small_categorical(param: str) -> Family:
    """Categorical(3) in ``param``: the explicit family whose data (exponential-family structure,
    array layout) a specialized size shares, for code that reads the structure, not the size."""
    return _categorical_data(3, param)


def _large_categorical(k: int, param: str) -> Family:
    """Categorical(k) past EXPLICIT_K: its derivations specialize the general-k result, so the
    per-class expressions are made only when read (LazyTuple) and the log-density is kept in
    index notation, Σᵢ₌₁ᵏ⁻¹ xᵢ log pᵢ + x_k log(1 − Σᵢ pᵢ) with k = this size.  Building
    10⁴ classes eagerly costs about a minute in SymPy (one function object and one O(k)
    assumption query per class)."""
    general = general_categorical("probs")
    i, x, p = sp.Symbol("i", integer=True, positive=True), general.variable, general.reference
    rest = 1 - sp.Sum(p[i], (i, 1, k - 1))
    probs, logits = probability_parameters(k), logit_parameters(k)
    p_symbols = [par.symbol() for par in probs]
    z_symbols = [par.symbol() for par in logits]
    xs = tuple(sp.Symbol(f"x{n}", integer=True, nonnegative=True) for n in range(1, k + 1))
    etas = tuple(sp.Symbol(f"eta{n}", real=True) for n in range(1, k))
    with evaluate(False):
        p_last = 1 - sp.Add(*p_symbols)

    def natural(n: int) -> sp.Expr:
        with evaluate(False):
            return sp.log(p_symbols[n] / p_last)

    @cache
    def denominator() -> sp.Expr:
        with evaluate(False):
            return 1 + sp.Add(*[sp.exp(zi) for zi in z_symbols])

    def softmax(n: int) -> sp.Expr:
        with evaluate(False):
            return sp.exp(z_symbols[n]) / denominator()

    return Family(
        name="categorical",
        title=f"Categorical (k = {k})",
        size=(("k", k),),
        variables=xs,
        support=FiniteSupport(outcomes=OneHot(k)),
        log_density_reference=sp.Sum(x[i] * sp.log(p[i]), (i, 1, k - 1)) + x[k] * sp.log(rest),
        exponential_form=ExponentialFamilyForm(
            statistics=xs[:-1],
            natural_symbols=etas,
            natural=LazyTuple(k - 1, natural, ("categorical-natural", k)),
            log_partition=sp.log(1 + sp.Sum(sp.exp(sp.IndexedBase("eta")[i]), (i, 1, k - 1))),
            log_base_measure=sp.Integer(0),
        ),
        parameterizations=(
            Parameterization(
                "probs", f"free probabilities p₁…p₍ₖ₋₁₎, p_{k} = 1 − Σ pᵢ", probs,
                tuple(p_symbols),
                # unevaluated: evaluating `<` asks SymPy whether a 10⁴-term sum is ≥ 1 (seconds)
                constraints=((sp.StrictLessThan(sp.Add(*p_symbols, evaluate=False), 1,
                                                evaluate=False),
                              "the probabilities must sum to less than 1"),),
                arrays=(ArrayArgument("p", k - 1, "simplex"),),
            ),
            Parameterization(
                "logits",
                f"logits z₁…z₍ₖ₋₁₎ relative to class {k} (z_{k} = 0), pᵢ = softmax(z)ᵢ",
                logits,
                LazyTuple(k - 1, softmax, ("categorical-softmax", k)),
                arrays=(ArrayArgument("z", k - 1, "pinned"),),
            ),
        ),
        param=param,
        general=Specialization(
            general_categorical, k, explicit=_small_categorical
        ),
    )


def _categorical_data(k: int, param: str) -> Family:
    xs = tuple(sp.Symbol(f"x{i}", integer=True, nonnegative=True) for i in range(1, k + 1))
    probs = probability_parameters(k)
    logits = logit_parameters(k)
    p = [par.symbol() for par in probs]
    z = [par.symbol() for par in logits]
    p_last = 1 - sp.Add(*p)
    etas = tuple(sp.Symbol(f"eta{i}", real=True) for i in range(1, k))
    softmax_denominator = 1 + sp.Add(*[sp.exp(zi) for zi in z])
    weights = tuple(
        Parameter(f"a{i}", f"a_{{{i}}}", f"unnormalized weight of class {i}", lower=0.0)
        for i in range(1, k + 1)
    )
    w_symbols = [w.symbol() for w in weights]
    return Family(
        name="categorical",
        title=f"Categorical (k = {k})",
        size=(("k", k),),
        variables=xs,
        support=FiniteSupport(outcomes=OneHot(k)),
        log_density_reference=sp.Add(*[x * sp.log(pi) for x, pi in zip(xs, p)])
        + xs[-1] * sp.log(p_last),
        exponential_form=ExponentialFamilyForm(
            statistics=xs[:-1],
            natural_symbols=etas,
            natural=tuple(sp.log(pi / p_last) for pi in p),
            log_partition=sp.log(1 + sp.Add(*[sp.exp(e) for e in etas])),
            log_base_measure=sp.Integer(0),
        ),
        parameterizations=(
            Parameterization(
                "probs",
                f"free probabilities p₁…p₍ₖ₋₁₎, p_{k} = 1 − Σ pᵢ",
                probs,
                tuple(p),
                constraints=((sp.Add(*p) < 1, "the probabilities must sum to less than 1"),),
                cover=(weights, tuple(w / sp.Add(*w_symbols) for w in w_symbols[:-1])),
                arrays=(ArrayArgument("p", k - 1, "simplex"),),
            ),
            Parameterization(
                "logits",
                f"logits z₁…z₍ₖ₋₁₎ relative to class {k} (z_{k} = 0), pᵢ = softmax(z)ᵢ",
                logits,
                tuple(sp.exp(zi) / softmax_denominator for zi in z),
                from_reference=tuple(sp.log(pi / (1 - sp.Add(*p))) for pi in p),
                arrays=(ArrayArgument("z", k - 1, "pinned"),),
            ),
        ),
        param=param,
    )


def Categorical(k: int | sp.Symbol = 3, param: str = "probs") -> Family | IndexedFamily:  # noqa: N802
    """p(x|p) = Πᵢ pᵢ^{xᵢ} for one-hot x; exponential family with T = (x₁…x₍ₖ₋₁₎),
    ηᵢ = log(pᵢ/p_k), A(η) = log(1 + Σᵢ e^{ηᵢ}).  A SymPy symbol ``k`` gives the family for every
    k (index notation, :func:`general_categorical`)."""
    if isinstance(k, sp.Symbol):
        check_symbolic_k(k)
        return general_categorical(param)
    return _categorical(check_k(k), param)


def check_symbolic_k(k: sp.Symbol) -> None:
    """A symbolic size must be the symbol k (the general results are written in it) and must not
    contradict k ≥ 2 being an integer."""
    if k.name != "k" or k.is_integer is False or k.is_positive is False:
        raise InvalidSizeError(
            f"Categorical k must be an integer >= 2 or the symbol k "
            f"(sympy.Symbol('k', integer=True, positive=True)), got {k!r}"
            + (" whose assumptions contradict an integer k >= 2" if k.name == "k" else "")
        )


def general_categorical(param: str = "probs") -> IndexedFamily:
    """Categorical for every k (k a SymPy symbol): log p(x|p) = Σᵢ₌₁ᵏ xᵢ log pᵢ, p_k = 1 − Σ_{i<k} pᵢ;
    the ``logits`` chart pᵢ = e^{zᵢ}/(1 + Σ_{j<k} e^{zⱼ}) (z_k = 0)."""
    i, j = sp.Symbol("i", integer=True, positive=True), sp.Symbol("j", integer=True, positive=True)
    k = sp.Symbol("k", integer=True, positive=True)
    # θ, θ₁, θ₂ each have their own base: the point is the first subscript, p_{1,j}, p_{2,j}
    # (symgeom.render.printing prints base p_1 at index j so), as for every concrete family
    p, p1, p2 = (sp.IndexedBase(name, positive=True) for name in ("p", "p_1", "p_2"))
    z, z1, z2 = (sp.IndexedBase(name, real=True) for name in ("z", "z_1", "z_2"))

    def rest(base: sp.IndexedBase) -> sp.Expr:
        return 1 - sp.Sum(base[j], (j, 1, k - 1))

    def denominator(base: sp.IndexedBase) -> sp.Expr:
        return 1 + sp.Sum(sp.exp(base[j]), (j, 1, k - 1))

    charts = (
        IndexedChart("probs", "free probabilities p_1…p_{k−1}", (p, p1, p2), i, p[i], rest(p)),
        IndexedChart("logits", "logits z_1…z_{k−1} relative to class k", (z, z1, z2), i,
                     sp.exp(z[i]) / denominator(z), 1 / denominator(z),
                     from_reference=sp.log(p[i] / LAST_PROBABILITY)),
    )
    return IndexedFamily("categorical", "Categorical (every k)", k, sp.IndexedBase("x"), p,
                         charts, param)
