"""Entropy and Fisher of a finite-support family on torch/JAX, summed over outcomes as ``.numpy()``
sums them (:mod:`symgeom.numeric.finite`), with a simplex argument's LAST entry as supplied:

    H(θ) = Σₓ entr(p(x), log p(x)),     F(θ) = Σₓ t(x) t(x)ᵀ,  t(x) = √p(x)·∇_θ log p(x),

where 1 − Σᵢ pᵢ in log p(x) and its score is replaced by the array's last entry (Categorical(2)
at [1, 1e-20]: H = 4.6e-19 and F = 1 + 1e20, where the derived 1 − p₁ = 0 gave nan and inf).
Entropy terms with p(x) = 0 are 0 (``entr_log``'s ``where`` forms: no 0·log 0, no 0·∞ in a
gradient of the other entries); a Fisher term with p(x) = 0 is its limit, ∞ where the score is
±∞ (:class:`ScaledScore`: the derived Fisher 1/(p(1−p)) is ∞ at p = 0, not the 1 that dropping
the outcome gave).  A chart whose outcome log-probabilities are log-sum-exps (a logit chart)
keeps its own stable Fisher (sigmoid/softmax forms); its entropy is the same per-outcome sum
printed over the chart scalars (:func:`symgeom.backends.finite_forms.finite_entropy`).

The expressions are printed once (:mod:`symgeom.backends.printer`) with the last entries as
extra arguments; :class:`SuppliedForm` feeds them (a ``_Plan`` vector form: the chart scalars
alone do not carry them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy as sp

from symgeom.backends import printer
from symgeom.backends.ops import Ops, is_number
from symgeom.families.base import Family
from symgeom.numeric import finite
from symgeom.numeric.inputs import unpack

Array = Any


def applies(family: Family | None, quantity: str) -> bool:
    """A per-outcome form is printed here: the entropy of a finite family with a simplex
    argument, or its Fisher where no outcome log-probability is a log-sum-exp."""
    if family is None or not finite.supported(family):
        return False
    if quantity == "entropy":
        return bool(finite.last_symbols(family))
    if quantity == "fisher":
        return not any(ell.has(finite.LogSumExp) for _, ell, _ in finite._outcome_terms(family))
    return False


def entropy_expression(family: Family) -> sp.Expr:
    """Σₓ entr(p(x), log p(x)) in the chart symbols and the simplex last-entry symbols."""
    return sp.Add(*[finite.Entr(p, ell) for p, ell, _ in finite._outcome_terms(family)])


class ScaledScore(sp.Function):
    """√p·s for an outcome's √p and score s; where p = 0 the score itself if it is ±∞ (a boundary
    point, where the Fisher information is infinite), else 0 (p(x) underflowed: its term is below
    the others' rounding)."""

    nargs = 2

    def _numpycode(self, printer: sp.printing.numpy.NumPyPrinter) -> str:
        return f"scaled_score({printer._print(self.args[0])}, {printer._print(self.args[1])})"

    _pythoncode = _numpycode


def fisher_entries(family: Family) -> tuple[sp.Expr, ...]:
    """The n×n entries Σₓ tᵢ(x)tⱼ(x), row-major, tᵢ(x) = √p(x)·sᵢ(x) and its limit ±∞ where
    p(x) = 0 (:class:`ScaledScore`); scores that are 0 identically drop their terms (a
    Categorical(k) probability chart keeps 2 terms per diagonal entry, 1 off it)."""
    n = len(family.symbols())
    scaled = [[sp.S.Zero if s == 0 else ScaledScore(sp.sqrt(p), s) for s in score]
              for p, _, score in finite._outcome_terms(family)]
    return tuple(sp.Add(*[t[i] * t[j] for t in scaled]) for i in range(n) for j in range(n))


@dataclass(frozen=True)
class SuppliedForm:
    """The printed entries as a function of the grouped arrays: chart scalars from
    :func:`~symgeom.numeric.inputs.unpack`, then each simplex argument's last entry."""

    family: Family
    source: printer.Source
    matrix_shape: tuple[int, int] | None

    @property
    def scalars_only(self) -> bool:
        """No simplex argument: the source takes the chart scalars alone (the printed route)."""
        return not finite.last_symbols(self.family)

    def __call__(self, ops: Ops, *arrays: Array) -> Array:
        bound = printer.bind(self.source, ops)
        simplex = [i for i, a in enumerate(self.family.chart.array_arguments) if a.form == "simplex"]
        scalars = unpack(self.family, tuple(arrays)) + [arrays[i][..., -1] for i in simplex]
        like = scalars[0]
        values = [ops.asarray(v, like) if is_number(v) else v for v in bound(*scalars)]
        values = ops.xp.broadcast_arrays(*values, *scalars)[: len(values)]
        if self.matrix_shape is None:
            return values[0]
        stacked = ops.xp.stack(values, axis=-1)
        return ops.xp.reshape(stacked, (*stacked.shape[:-1], *self.matrix_shape))


def supplied_form(family: Family, quantity: str, arguments: tuple[sp.Symbol, ...]) -> SuppliedForm | None:
    """The per-outcome entropy or Fisher of ``family`` (see :func:`applies`), else None."""
    if not applies(family, quantity):
        return None
    n = len(family.symbols())
    from symgeom.backends.tiny_entropy import rescued_entropy

    entropy = (rescued_entropy(entropy_expression(family)),) if quantity == "entropy" else None
    exprs = entropy or fisher_entries(family)
    source = printer.print_source(exprs, tuple(arguments) + finite.last_symbols(family))
    return SuppliedForm(family, source, None if quantity == "entropy" else (n, n))
