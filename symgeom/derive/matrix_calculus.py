"""A small matrix-expression layer for general-d derivations: trace polynomials in normal form.

SymPy's matrix calculus is not enough here (in SymPy 1.14 ``log(Determinant(X)).diff(X)`` is 0
and traces of products are not put in any normal form), so derivations for symbolic d work on
:class:`Poly`: a sum of coefficient × monomial, each monomial a product of

* ``tr(W)``: the trace of a word W of symmetric d×d letters (Σ, Σ⁻¹, directions A, B, …);
* ``uᵀWv``: a bilinear form of d-vectors u, v through such a word;
* ``ln det X``: the log-determinant of a symmetric positive definite letter.

Every rewrite used is an identity for every d: linearity; tr(XY) = tr(YX); tr(Wᵀ) = tr(W) and
uᵀWv = vᵀWᵀu with symmetric letters (Wᵀ is W reversed); XX⁻¹ = I; tr(I) = d;
ln det X⁻¹ = −ln det X.  Two expressions are *proved* equal for every d when their difference has
the zero normal form.  The calculus rules are the lemmas (stated in
:mod:`symgeom.derive.general_gaussian`, with their own checks): the directional derivative
D(X⁻¹)[A] = −X⁻¹AX⁻¹, D(ln det X)[A] = tr(X⁻¹A); the Gaussian expectation over z ~ N(0, Σ) is
Wick's (Isserlis') pairing, E[z] = 0, E[zzᵀ] = Σ, four z's paired in three ways (proved for every
d against Stein's recursion in :mod:`symgeom.verification.gaussian_moments`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import sympy as sp

#: A symmetric matrix letter: (name, power) with power ±1.
Letter = tuple[str, int]
Word = tuple[Letter, ...]
#: ("tr", word) | ("bil", u, word, v) | ("logdet", name)
Factor = tuple
Monomial = tuple[Factor, ...]

D = sp.Symbol("d", integer=True, positive=True)


def _cancel(word: Word, cyclic: bool) -> Word:
    """Remove adjacent X X⁻¹ pairs (also across the ends of a cyclic word)."""
    out: list[Letter] = []
    for letter in word:
        if out and out[-1][0] == letter[0] and out[-1][1] == -letter[1]:
            out.pop()
        else:
            out.append(letter)
    while cyclic and len(out) >= 2 and out[0][0] == out[-1][0] and out[0][1] == -out[-1][1]:
        out = out[1:-1]
    return tuple(out)


def _canonical(factor: Factor) -> tuple[sp.Expr, Factor | None]:
    """(scalar, factor) with the factor in normal form; None when it is the scalar alone."""
    if factor[0] == "tr":
        word = _cancel(factor[1], cyclic=True)
        if not word:
            return D, None
        n = len(word)
        candidates = [w[i:] + w[:i] for w in (word, word[::-1]) for i in range(n)]
        return sp.Integer(1), ("tr", min(candidates))
    if factor[0] == "bil":
        _, u, word, v = factor
        word = _cancel(word, cyclic=False)
        return sp.Integer(1), min(("bil", u, word, v), ("bil", v, word[::-1], u))
    return sp.Integer(1), factor


def _monomial(factors: Iterable[Factor]) -> tuple[sp.Expr, Monomial]:
    scalar, kept = sp.Integer(1), []
    for factor in factors:
        c, f = _canonical(factor)
        scalar *= c
        if f is not None:
            kept.append(f)
    return scalar, tuple(sorted(kept, key=repr))


@dataclass(frozen=True)
class Poly:
    """Σ coefficient × monomial; ``terms`` maps each normal-form monomial to its SymPy coefficient."""

    terms: tuple[tuple[Monomial, sp.Expr], ...]

    @staticmethod
    def of(pairs: Iterable[tuple[sp.Expr, Iterable[Factor]]]) -> Poly:
        acc: dict[Monomial, sp.Expr] = {}
        for coefficient, factors in pairs:
            scalar, mono = _monomial(factors)
            acc[mono] = acc.get(mono, sp.Integer(0)) + sp.sympify(coefficient) * scalar
        return Poly(tuple(sorted(((m, sp.expand(c)) for m, c in acc.items() if sp.expand(c) != 0),
                                 key=lambda t: repr(t[0]))))

    @staticmethod
    def scalar(value: sp.Expr) -> Poly:
        return Poly.of([(value, ())])

    def __add__(self, other: Poly) -> Poly:
        return Poly.of([*self.terms_pairs(), *other.terms_pairs()])

    def __sub__(self, other: Poly) -> Poly:
        return self + other * -1

    def __mul__(self, other: Poly | sp.Expr | int) -> Poly:
        if isinstance(other, Poly):
            return Poly.of([(c1 * c2, m1 + m2) for m1, c1 in self.terms for m2, c2 in other.terms])
        return Poly.of([(c * other, m) for m, c in self.terms])

    __rmul__ = __mul__

    def __neg__(self) -> Poly:
        return self * -1

    def terms_pairs(self) -> list[tuple[sp.Expr, Monomial]]:
        return [(c, m) for m, c in self.terms]

    def is_zero(self) -> bool:
        return not self.terms

    def map_terms(self, fn) -> Poly:
        """Σ c·fn(monomial) (fn returns a Poly)."""
        out = Poly(())
        for m, c in self.terms:
            out = out + fn(m) * c
        return out


ZERO = Poly(())
ONE = Poly.scalar(sp.Integer(1))


# --- builders ---------------------------------------------------------------------------------
#: A linear combination of words (a d×d matrix expression): {word: coefficient}.
MatLin = Mapping[Word, sp.Expr]
#: A linear combination of (word, vector): the d-vector Σ c·W·v.
VecLin = Mapping[tuple[Word, str], sp.Expr]


def mat(*letters: Letter) -> dict[Word, sp.Expr]:
    return {tuple(letters): sp.Integer(1)}


def vec(name: str, *letters: Letter) -> dict[tuple[Word, str], sp.Expr]:
    return {(tuple(letters), name): sp.Integer(1)}


def lin(*parts: tuple[sp.Expr, Mapping]) -> dict:
    """Σ cᵢ·partᵢ for MatLin or VecLin parts."""
    out: dict = {}
    for c, part in parts:
        for key, value in part.items():
            out[key] = out.get(key, 0) + c * value
    return out


def _words(product: Iterable[MatLin]) -> list[tuple[sp.Expr, Word]]:
    acc: list[tuple[sp.Expr, Word]] = [(sp.Integer(1), ())]
    for factor in product:
        acc = [(c1 * c2, w1 + w2) for c1, w1 in acc for w2, c2 in factor.items()]
    return acc


def trace(*product: MatLin) -> Poly:
    """tr(M₁M₂⋯) expanded by linearity."""
    return Poly.of([(c, [("tr", w)]) for c, w in _words(product)])


def form(u: VecLin, product: Iterable[MatLin], v: VecLin) -> Poly:
    """uᵀ M₁M₂⋯ v expanded by linearity (uᵀ = (Wu·x)ᵀ = xᵀ Wᵀ, W reversed: symmetric letters)."""
    pairs = []
    for (wu, x), cu in u.items():
        for (wv, y), cv in v.items():
            for c, w in _words(product):
                pairs.append((cu * cv * c, [("bil", x, tuple(reversed(wu)) + w + wv, y)]))
    return Poly.of(pairs)


def logdet(name: str, power: int = 1) -> Poly:
    """ln det X^power = power·ln det X (X symmetric positive definite)."""
    return Poly.of([(sp.Integer(power), [("logdet", name)])])


# --- the calculus rules -----------------------------------------------------------------------
def derivative(poly: Poly, direction: Mapping[str, str]) -> Poly:
    """The directional derivative: letter X moves along ``direction[X]`` (a matrix or vector
    letter of the same kind); X⁻¹ ↦ −X⁻¹ Ẋ X⁻¹ and ln det X ↦ tr(X⁻¹Ẋ) (the lemmas); every
    letter not in ``direction`` is constant.  Product rule over the factors and the words."""

    def letter_terms(word: Word) -> list[tuple[sp.Expr, Word]]:
        out = []
        for i, (name, power) in enumerate(word):
            if name not in direction:
                continue
            before, after = word[:i], word[i + 1:]
            dot = ((direction[name], 1),)
            if power == 1:
                out.append((sp.Integer(1), before + dot + after))
            else:
                out.append((sp.Integer(-1), (*before, (name, -1), *dot, (name, -1), *after)))
        return out

    def factor_terms(factor: Factor) -> list[tuple[sp.Expr, list[Factor]]]:
        if factor[0] == "tr":
            return [(c, [("tr", w)]) for c, w in letter_terms(factor[1])]
        if factor[0] == "logdet":
            name = factor[1]
            if name not in direction:
                return []
            return [(sp.Integer(1), [("tr", ((name, -1), (direction[name], 1)))])]
        _, u, word, v = factor
        out = [(c, [("bil", u, w, v)]) for c, w in letter_terms(word)]
        if u in direction:
            out.append((sp.Integer(1), [("bil", direction[u], word, v)]))
        if v in direction:
            out.append((sp.Integer(1), [("bil", u, word, direction[v])]))
        return out

    pairs = []
    for mono, c in poly.terms:
        for i, factor in enumerate(mono):
            rest = list(mono[:i] + mono[i + 1:])
            pairs += [(c * c2, rest + fs) for c2, fs in factor_terms(factor)]
    return Poly.of(pairs)


def substitute(poly: Poly, matrices: Mapping[Letter, MatLin] | None = None,
               vectors: Mapping[str, VecLin] | None = None,
               logdets: Mapping[str, Poly] | None = None) -> Poly:
    """Replace letters by linear combinations: a matrix letter (name, power) by a MatLin, a
    vector by a VecLin (Σ c·W·v), ln det X by a Poly; the rest is kept."""
    matrices, vectors, logdets = matrices or {}, vectors or {}, logdets or {}

    def word_expand(word: Word) -> list[tuple[sp.Expr, Word]]:
        return _words([matrices.get(letter, {(letter,): sp.Integer(1)}) for letter in word])

    def vec_of(name: str) -> Mapping[tuple[Word, str], sp.Expr]:
        return vectors.get(name, {((), name): sp.Integer(1)})

    def one(mono: Monomial) -> Poly:
        out = ONE
        for factor in mono:
            if factor[0] == "tr":
                piece = Poly.of([(c, [("tr", w)]) for c, w in word_expand(factor[1])])
            elif factor[0] == "logdet":
                piece = logdets.get(factor[1], Poly.of([(1, [factor])]))
            else:
                _, u, word, v = factor
                piece = form(vec_of(u), [dict((w, c) for c, w in word_expand(word))], vec_of(v))
            out = out * piece
        return out

    return poly.map_terms(one)


def expect(poly: Poly, z: str, covariance: str) -> Poly:
    """E over z ~ N(0, Σ) (Σ = the letter ``covariance``): Wick's pairing of the z-ends of the
    bilinear factors, each pair joined through Σ; an odd number of z's gives 0."""

    def one(mono: Monomial) -> Poly:
        chains = [list(f) for f in mono if f[0] == "bil"]
        others = [f for f in mono if f[0] != "bil"]
        ends = [(i, side) for i, ch in enumerate(chains) for side in (1, 3) if ch[side] == z]
        if not ends:
            return Poly.of([(1, mono)])
        if len(ends) % 2:
            return ZERO
        total = ZERO
        for matching in _matchings(ends):
            total = total + Poly.of([(1, others + _join(chains, matching, covariance, z))])
        return total

    return poly.map_terms(one)


def _matchings(items: list) -> list[list[tuple]]:
    if not items:
        return [[]]
    first, rest = items[0], items[1:]
    out = []
    for i, partner in enumerate(rest):
        for m in _matchings(rest[:i] + rest[i + 1:]):
            out.append([(first, partner), *m])
    return out


def _join(chains: list[list], matching: list[tuple], covariance: str, z: str) -> list[Factor]:
    """Walk the chains, stepping through Σ at each matched pair of z-ends."""
    partner = {}
    for a, b in matching:
        partner[a], partner[b] = b, a
    seen: set[int] = set()
    out: list[Factor] = []

    def oriented(i: int, entry: int) -> Word:
        """The word of chain i read from its end ``entry`` (1: the u end, 3: the v end)."""
        word = tuple(chains[i][2])
        return word if entry == 1 else word[::-1]

    def walk(i: int, entry: int) -> tuple[Word, tuple[int, int]]:
        word: Word = ()
        while True:
            seen.add(i)
            word += oriented(i, entry)
            exit_side = 4 - entry
            if chains[i][exit_side] != z:
                return word, (i, exit_side)
            j, j_side = partner[(i, exit_side)]
            word += ((covariance, 1),)
            i, entry = j, j_side

    for i, chain in enumerate(chains):
        if i in seen:
            continue
        for side in (1, 3):
            if chain[side] != z:
                word, (j, j_side) = walk(i, side)
                out.append(("bil", chain[side], word, chains[j][j_side]))
                break
    for i in range(len(chains)):
        if i in seen:
            continue
        # a cycle: every end is z; start at chain i's u end, leave through its v end
        word: Word = ()
        j, entry = i, 1
        while j not in seen:
            seen.add(j)
            word += oriented(j, entry)
            k, k_side = partner[(j, 4 - entry)]
            word += ((covariance, 1),)
            j, entry = k, k_side
        out.append(("tr", word))
    return out


# --- printing ---------------------------------------------------------------------------------
class LogDet(sp.Function):
    """ln det X of a symmetric positive definite matrix symbol X (printed \\ln\\det X)."""

    is_real = True

    def _latex(self, printer) -> str:
        arg = self.args[0]
        text = printer._print(arg)
        if isinstance(arg, sp.MatMul):
            scalar, matrices = arg.as_coeff_matrices()
            inner = " ".join([printer._print(scalar), *(printer._print(m) for m in matrices)])
            text = r"\left(" + inner + r"\right)"
        return r"\ln\det " + text

    def _sympystr(self, printer) -> str:
        return f"logdet({printer._print(self.args[0])})"


class Form(sp.Function):
    """The scalar uᵀMv, written Form(u, M…, v) with u and v columns (printed u^{\\top} M v)."""

    is_real = True

    def _latex(self, printer) -> str:
        first, *rest = self.args
        return " ".join([_factor_latex(printer, first) + r"^{\top}"]
                        + [_factor_latex(printer, a) for a in rest])

    def _sympystr(self, printer) -> str:
        first, *rest = self.args
        return "*".join([f"({printer._print(first)}).T"] + [_factor_str(printer, a) for a in rest])


def _factor_latex(printer, arg: sp.Basic) -> str:
    """A factor of a product: sums in parentheses, transposes as ^{\\top}."""
    if isinstance(arg, sp.Transpose):
        inner = printer._print(arg.arg)
        if isinstance(arg.arg, sp.MatAdd):
            inner = r"\left(" + inner + r"\right)"
        return inner + r"^{\top}"
    text = printer._print(arg)
    return r"\left(" + text + r"\right)" if isinstance(arg, sp.MatAdd) else text


def _factor_str(printer, arg: sp.Basic) -> str:
    text = printer._print(arg)
    return f"({text})" if isinstance(arg, sp.MatAdd) else text


class Tr(sp.Function):
    """tr(M₁⋯Mₙ) (printed \\operatorname{tr})."""

    is_real = True

    def _latex(self, printer) -> str:
        inner = " ".join(_factor_latex(printer, a) for a in self.args)
        return r"\operatorname{tr}\left(" + inner + r"\right)"

    def _sympystr(self, printer) -> str:
        return "tr(" + "*".join(_factor_str(printer, a) for a in self.args) + ")"


@dataclass(frozen=True)
class Names:
    """How letters print: name → (LaTeX-free SymPy symbol name); vectors are d×1, matrices d×d."""

    size: sp.Expr = D

    def matrix(self, letter: Letter) -> sp.Basic:
        name, power = letter
        x = sp.MatrixSymbol(name, self.size, self.size)
        return x if power == 1 else sp.Inverse(x)

    def vector(self, name: str, transposed: bool = False) -> sp.Basic:
        v = sp.MatrixSymbol(name, self.size, 1)
        return sp.Transpose(v) if transposed else v


def to_sympy(poly: Poly, names: Names = Names()) -> sp.Expr:
    """A SymPy expression of scalar functions Tr, Form and LogDet over MatrixSymbols."""
    terms = []
    for mono, c in poly.terms:
        factors = []
        for f in mono:
            if f[0] == "tr":
                factors.append(Tr(*[names.matrix(letter) for letter in f[1]]))
            elif f[0] == "logdet":
                factors.append(LogDet(sp.MatrixSymbol(f[1], names.size, names.size)))
            else:
                _, u, word, v = f
                factors.append(Form(names.vector(u), *[names.matrix(x) for x in word],
                                    names.vector(v)))
        terms.append(c * sp.Mul(*factors))
    return sp.Add(*terms)


def proved_equal(left: Poly, right: Poly) -> bool:
    """left − right has the zero normal form: equal for every d."""
    return (left - right).is_zero()


__all__ = [
    "ONE",
    "ZERO",
    "D",
    "Det",
    "Form",
    "LogDet",
    "Names",
    "Poly",
    "Tr",
    "derivative",
    "expect",
    "form",
    "from_sympy",
    "lin",
    "logdet",
    "mat",
    "proved_equal",
    "substitute",
    "to_sympy",
    "trace",
    "vec",
]


class Det(sp.Function):
    """det X of a symmetric positive definite matrix (printed \\det X)."""

    is_positive = True

    def _latex(self, printer) -> str:
        return r"\det " + printer._print(self.args[0])

    def _sympystr(self, printer) -> str:
        return f"det({printer._print(self.args[0])})"


def _matlin(expr: sp.Basic) -> dict[Word, sp.Expr]:
    """A d×d matrix expression (symbols, inverses, sums, products, scalar multiples) as a MatLin."""
    if isinstance(expr, sp.MatrixSymbol):
        return {((expr.name, 1),): sp.Integer(1)}
    if isinstance(expr, sp.Inverse) and isinstance(expr.arg, sp.MatrixSymbol):
        return {((expr.arg.name, -1),): sp.Integer(1)}
    if isinstance(expr, sp.MatAdd):
        return lin(*[(1, _matlin(a)) for a in expr.args])
    if isinstance(expr, sp.MatMul):
        scalar, matrices = expr.as_coeff_matrices()
        return {w: scalar * c for c, w in _words([_matlin(m) for m in matrices])}
    raise ValueError(f"not a matrix word expression: {expr}")


def _veclin(expr: sp.Basic) -> dict[tuple[Word, str], sp.Expr]:
    if isinstance(expr, sp.Transpose):
        expr = expr.arg
    if isinstance(expr, sp.MatrixSymbol):
        return {((), expr.name): sp.Integer(1)}
    if isinstance(expr, sp.MatAdd):
        return lin(*[(1, _veclin(a)) for a in expr.args])
    if isinstance(expr, sp.MatMul):
        scalar, matrices = expr.as_coeff_matrices()
        *mats, last = matrices
        out = {}
        for (w, name), c in _veclin(last).items():
            for c2, w2 in _words([_matlin(m) for m in mats]):
                out[(w2 + w, name)] = out.get((w2 + w, name), 0) + scalar * c * c2
        return out
    raise ValueError(f"not a vector expression: {expr}")


def from_sympy(expr: sp.Basic) -> Poly:
    """The normal form of a display expression built from Tr, Form, LogDet, log(Det(…)) and
    scalars (the inverse of :func:`to_sympy`, also for hand-made display forms)."""
    expr = sp.sympify(expr)
    if isinstance(expr, sp.MatrixExpr):
        raise ValueError(f"not a scalar: {expr}")
    if isinstance(expr, sp.Add):
        out = ZERO
        for a in expr.args:
            out = out + from_sympy(a)
        return out
    if isinstance(expr, sp.Mul):
        out = ONE
        for a in expr.args:
            out = out * from_sympy(a)
        return out
    if isinstance(expr, Tr):
        return trace(*[_matlin(a) for a in expr.args])
    if isinstance(expr, Form):
        first, *middle, last = expr.args
        return form(_veclin(first), [_matlin(m) for m in middle], _veclin(last))
    if isinstance(expr, LogDet):
        return _log_det(expr.args[0])
    if isinstance(expr, sp.log) and expr.args[0].has(Det):
        return _log_det(sp.expand_log(expr, force=True))
    if isinstance(expr, sp.Pow) and expr.exp.is_Integer and expr.exp > 0:
        out = ONE
        for _ in range(int(expr.exp)):
            out = out * from_sympy(expr.base)
        return out
    if expr.has(Tr, Form, LogDet, Det):
        raise ValueError(f"not a trace polynomial: {expr}")
    return Poly.scalar(expr)


def _log_det(expr: sp.Basic) -> Poly:
    """ln det of a scaled symbol, or an expanded log of Det's: ln det(cX) = d ln c + ln det X."""
    if isinstance(expr, sp.MatrixSymbol):
        return logdet(expr.name)
    if isinstance(expr, sp.Inverse):
        return logdet(expr.arg.name, -1)
    if isinstance(expr, sp.MatMul):
        scalar, matrices = expr.as_coeff_matrices()
        out = Poly.scalar(D * sp.log(scalar))
        for m in matrices:
            out = out + _log_det(m)
        return out
    if isinstance(expr, sp.Add):
        out = ZERO
        for a in expr.args:
            out = out + _log_det(a)
        return out
    if isinstance(expr, sp.Mul):
        scalar, rest = expr.as_independent(Det, sp.log)
        return _log_det(rest) * scalar
    if isinstance(expr, sp.log) and isinstance(expr.args[0], Det):
        return _log_det(expr.args[0].args[0])
    raise ValueError(f"not a log-determinant: {expr}")
