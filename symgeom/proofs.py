"""The proofs/ generator: one .tex and .md per family, one for the general identities, an index.

Everything is rendered from Derivations (nothing typed in by hand) and is byte-for-byte
deterministic, so ``symgeom proofs --check`` (and CI) can tell when proofs/ is stale.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from symgeom.derivation import Derivation, Step
from symgeom.errors import SymgeomError
from symgeom.families.base import Family
from symgeom.render import latex as latex_render
from symgeom.render import markdown as markdown_render
from symgeom.render.identities import general_identities
from symgeom.render.texescape import code_to_latex, text_to_latex, text_to_markdown

QUANTITIES = ("kl", "fisher", "entropy", "expansion")
QUANTITY_TITLES = {
    "kl": "KL divergence",
    "fisher": "Fisher information",
    "entropy": "Entropy",
    "expansion": "Second-order expansion of KL",
}
FAMILY_TITLES = {
    "bernoulli": "Bernoulli",
    "categorical": "Categorical",
    "gaussian": "Univariate Gaussian",
    "multivariate_gaussian": "Multivariate Gaussian",
    "poisson": "Poisson",
    "exponential": "Exponential",
    "gamma": "Gamma",
    "beta": "Beta",
    "binomial": "Binomial",
    "geometric": "Geometric (failures before the first success)",
    "negative_binomial": "Negative binomial (failures before the r-th success)",
    "laplace": "Laplace (not an exponential family)",
    "dirichlet": "Dirichlet (on the probability simplex)",
}


@dataclass(frozen=True)
class Document:
    """One generated document: file stem, title, and its sections (heading, derivations)."""

    stem: str
    title: str
    sections: tuple[tuple[str, tuple[Derivation, ...]], ...]
    verdicts: tuple[tuple[str, str, str], ...] = ()  # (family label, identity, status)
    contents: tuple[str, ...] = ()
    #: What the document prints and what its identity table means (shown when it has one).
    scope: str = ""
    #: Says how the document reads when a general (symbolic-size) family leads it.
    intro: str = ""
    #: (quantity, route, charts, reason) for each registered route that does not apply.
    not_applicable: tuple[tuple[str, str, str, str], ...] = ()


#: Largest k (categorical) and d (multivariate Gaussian) whose derivations are printed: beyond
#: them a single step runs to megabytes of LaTeX (d = 3: 1 MB for KL alone), which nobody reads.
MAX_SIZE = {"k": 3, "d": 2}


SCOPE = (
    "Derivations are printed for k ≤ 3 and d ≤ 2; the identity table at the end covers every "
    "catalog entry (symgeom verify): proved = exact symbolic simplification to zero, checked "
    "numerically = high-precision evaluation at random points, which is not a proof. "
    "Notation: KL compares the points θ₁ and θ₂, and a coordinate at a point carries the point "
    "as its first subscript in every family ($\\sigma_{1}$, $\\sigma_{2}^{2}$, $p_{2,1}$ is "
    "$p_{1}$ at θ₂)."
)


GENERAL_INTRO = (
    "The derivations for every {size} come first (a symbolic size{notation}); they are what a "
    "textbook prints. The concrete sizes after them are checks: the identity table lists the "
    "general-{size} identities proved for every {size} and the general results specialized to "
    "small sizes, each proved equal to the concrete derivation."
)
#: What the notation of a general family's document is, by family name.
GENERAL_NOTATION = {
    "categorical": ": index notation, Σ sums and Kronecker deltas δ_ab; each result is also "
                   "shown in the class probabilities pᵢ (p_{1,i}, p_{2,i} at θ₁, θ₂) with "
                   "p_k = 1 − Σ_{i<k} pᵢ",
    "dirichlet": ": index notation, Σ sums over the k classes and Kronecker deltas δ_ab, "
                 "α₀ = Σⱼ αⱼ, ψ = digamma",
    "multivariate_gaussian": ": matrix notation for full covariance (tr, det, Σ⁻¹; every step "
                             "in symgeom's trace normal form — linearity, tr(XY) = tr(YX), "
                             "symmetric letters, Σ⁻¹Σ = I, tr I = d — valid for every d), and "
                             "index notation Σᵢ for diagonal covariance (d independent "
                             "coordinates: the one-dimensional derivation and the product lemma "
                             "KL = Σᵢ KLᵢ, H = Σᵢ Hᵢ, F block diagonal with blocks Fᵢ)",
}


def general_families() -> tuple:
    """Families of symbolic size whose derivations lead the document of their family name (a
    general family becomes the first sections of that document; its identities, the rows of
    symgeom.verification.general.general_rows with its label, join the table).  Any object the
    derivation registry dispatches (``routes``/``derive``) with a ``name``, ``label`` and
    ``size`` symbol fits here: ``sg.MultivariateGaussian(d)`` with a symbol d, say."""
    import sympy as sp

    from symgeom.families import Categorical, MultivariateGaussian
    from symgeom.families.dirichlet import Dirichlet

    k = sp.Symbol("k", integer=True, positive=True)
    d = sp.Symbol("d", integer=True, positive=True)
    diagonal = MultivariateGaussian(d, "diagonal")
    # a general family leads only a document the catalog has (Dirichlet's, once it is cataloged)
    return (*(Categorical(k, param) for param in ("probs", "logits")), MultivariateGaussian(d),
            *(diagonal.with_param(param) for param in diagonal.charts),
            *(Dirichlet(k, param) for param in ("concentration", "log_concentration")))


def general_verdicts(labels: Iterable[str]) -> tuple[tuple[str, str, str], ...]:
    """(family label, identity: statement, status) of the general-size identities of ``labels``."""
    from symgeom.verification.general import general_rows

    wanted = set(labels)
    return tuple((label, f"{identity}: {statement}", verdict.status)
                 for identity, statement, label, verdict in general_rows() if label in wanted)


def printed_result(derivation: Derivation) -> Derivation:
    """A general derivation reduced to its printed (textbook) result: its last step written
    without a named placeholder (½ΔᵀFΔ), labelled by family and quantity."""
    from symgeom.derive.notation import Remainder, Tex

    line = next(step.expression for step in reversed(derivation.steps)
                if not step.expression.atoms(Tex))
    line = line.replace(lambda e: isinstance(e, Remainder), lambda e: 0) if line.has(Remainder) else line
    label = derivation.title.split(" of ")[-1] if derivation.family is None else derivation.family.label
    return replace(
        derivation,
        title=f"{QUANTITY_TITLES.get(derivation.quantity, derivation.quantity)}, {label}",
        steps=(Step(line, label),),
    )


def catalog() -> tuple[Family, ...]:
    """The verification catalog (symgeom.verification.catalog.CATALOG), in its order."""
    from symgeom.verification.catalog import CATALOG

    return tuple(CATALOG)


def printable(fam: Family) -> bool:
    """Whether ``fam``'s derivations are printed (k ≤ 3, d ≤ 2); its verdicts always are."""
    return all(
        not isinstance(value, int) or value <= MAX_SIZE.get(name, value)
        for name, value in fam.size
    )


def _registry() -> tuple:
    import symgeom.derive  # noqa: F401  (importing the package registers every route)
    from symgeom.derive.registry import derive, routes

    return derive, routes


def derivations(fam: Family) -> tuple[tuple[str, tuple[Derivation, ...]], ...]:
    """Every registered route of every quantity for ``fam``, grouped by quantity."""
    derive, routes = _registry()
    out = []
    for quantity in QUANTITIES:
        try:
            names = routes(quantity, fam)
        except SymgeomError:
            continue
        found = tuple(derive(quantity, fam, name) for name in names)
        if found:
            out.append((quantity, found))
    return tuple(out)


def verdicts(fam: Family) -> tuple[tuple[str, str, str], ...]:
    """(family label, identity: statement, status) of every catalog identity, in catalog order."""
    from symgeom.verification.catalog import verdicts as catalog_verdicts

    return tuple(
        (row.family, f"{row.identity}: {row.statement}", row.verdict.status)
        for row in catalog_verdicts(fam)
    )


def routes_not_applicable(fams: Iterable[Family]) -> tuple[tuple[str, str, str, str], ...]:
    """(quantity, route, charts, reason) for the routes ``sg.derive.not_applicable`` lists,
    charts with the same reason joined."""
    from symgeom.derive.registry import not_applicable

    found: dict[tuple[str, str, str], list[str]] = {}
    for fam in fams:
        for quantity in QUANTITIES:
            try:
                missing = not_applicable(quantity, fam)
            except SymgeomError:
                continue
            for route, reason in missing.items():
                charts = found.setdefault((quantity, route, reason), [])
                if fam.param not in charts:  # sizes (k = 2, 3) share their chart names
                    charts.append(fam.param)
    return tuple((quantity, route, ", ".join(charts), reason)
                 for (quantity, route, reason), charts in found.items())


def result_only(derivation: Derivation) -> Derivation:
    """The derivation reduced to its result line, labelled by family and quantity."""
    label = derivation.family.label if derivation.family is not None else derivation.quantity
    return replace(
        derivation,
        title=f"{QUANTITY_TITLES.get(derivation.quantity, derivation.quantity)}, `{label}`",
        steps=(Step(derivation.result, f"`{label}`"),),
    )


def family_documents(families: Iterable[Family], general: Iterable = ()) -> tuple[Document, ...]:
    """One document per family name, a section per (chart or size, quantity).  A general family
    of the same name leads its document: its results and derivations first, the concrete sizes
    after them as checks."""
    grouped: dict[str, list[Family]] = {}
    for fam in families:
        grouped.setdefault(fam.name, []).append(fam)
    leading: dict[str, list] = {}
    for fam in general:
        if fam.name in grouped:
            leading.setdefault(fam.name, []).append(fam)
    docs = []
    for name in sorted(grouped):
        sections: list[tuple[str, tuple[Derivation, ...]]] = []
        results: list[Derivation] = []
        all_verdicts: list[tuple[str, str, str]] = []
        first: list[tuple[str, tuple[Derivation, ...]]] = []
        for fam in leading.get(name, ()):
            for quantity, derived in derivations(fam):
                first.append((f"{QUANTITY_TITLES[quantity]} --- {fam.label}", derived))
                results.append(printed_result(derived[0]))
        if results:
            first.insert(0, (f"Results for every {_size_name(leading[name][0])}", tuple(results)))
            all_verdicts.extend(general_verdicts(fam.label for fam in leading[name]))
            results = []
        for fam in grouped[name]:
            if printable(fam):
                for quantity, derived in derivations(fam):
                    sections.append((f"{QUANTITY_TITLES[quantity]} --- `{fam.label}`", derived))
                    results.append(result_only(derived[0]))
            all_verdicts.extend(verdicts(fam))
        heading = "Checks at concrete sizes: results (default routes)" if first else \
            "Results (default routes)"
        summary = (heading, tuple(results))
        shown = [*leading.get(name, ()), *(fam for fam in grouped[name] if printable(fam))]
        intro = GENERAL_INTRO.format(size=_size_name(leading[name][0]),
                                     notation=GENERAL_NOTATION.get(name, "")) if first else ""
        docs.append(
            Document(
                name, FAMILY_TITLES.get(name, name), (*first, summary, *sections),
                tuple(all_verdicts), tuple(f"`{fam.label}`" for fam in shown), intro=intro,
                not_applicable=routes_not_applicable(grouped[name]),
            )
        )
    return tuple(docs)


def _size_name(fam: object) -> str:
    """``k`` (or ``d``): the name of a general family's size symbol."""
    return str(fam.size)


def general_document() -> Document:
    derived = general_identities()
    return Document(
        "general", "General identities",
        tuple((d.title, (d,)) for d in derived),
        contents=tuple(d.title for d in derived),
    )


#: Documents of the general-size derivations generated beside the family documents (the general-k
#: and general-d families lead their family's document instead, see general_families).
GENERAL_SIZE_DOCUMENTS: tuple = ()


# --- rendering ----------------------------------------------------------------------------------
def _is_summary(heading: str) -> bool:
    """Sections of results only (one line each), not derivations."""
    return heading.startswith(("Results", "Checks at concrete sizes: results"))


def _identity_markdown(name: str) -> str:
    """``identity: statement`` with the identity's name as a code span and the statement as prose."""
    identity, _, statement = name.partition(": ")
    return f"`{identity}`: {text_to_markdown(statement)}"


def _identity_latex(name: str) -> str:
    """``identity: statement`` with the identity's name as code and the statement as prose."""
    identity, _, statement = name.partition(": ")
    return f"\\texttt{{{code_to_latex(identity)}}}: {text_to_latex(statement)}"


def to_latex(doc: Document) -> str:
    parts = [
        "Generated by \\texttt{symgeom proofs} from SymPy derivations; do not edit by hand."
        + (" " + text_to_latex(doc.scope or SCOPE) if doc.verdicts else ""),
    ]
    if doc.intro:
        parts.append(text_to_latex(doc.intro))
    for heading, derived in doc.sections:
        parts.append(f"\\subsection*{{{text_to_latex(heading)}}}")
        if _is_summary(heading) and doc.stem != "general":
            parts.extend(
                latex_render.render_block(d, fit_width=latex_render.FIT_WIDTH) for d in derived
            )
            continue
        for d in derived:
            parts.append(f"\\paragraph{{{text_to_latex(d.title)}.}} {latex_render.describe(d)}")
            parts.append(latex_render.render_block(d, fit_width=latex_render.FIT_WIDTH))
    if doc.not_applicable:
        parts.append("\\subsection*{Routes that do not apply}")
        parts.append("\\begin{itemize}\\raggedright")
        parts.extend(
            f"\\item {text_to_latex(QUANTITY_TITLES[quantity])}, route "
            f"\\texttt{{{code_to_latex(route)}}} (charts "
            + ", ".join(f"\\texttt{{{code_to_latex(c)}}}" for c in charts.split(", "))
            + f"): {text_to_latex(reason)}"
            for quantity, route, charts, reason in doc.not_applicable
        )
        parts.append("\\end{itemize}")
    if doc.verdicts:
        parts.append("\\subsection*{Identities}")
        parts.append("\\begin{itemize}\\raggedright")
        parts.extend(
            f"\\item \\texttt{{{code_to_latex(label)}}}: {_identity_latex(name)} --- "
            f"\\textbf{{{text_to_latex(status)}}}"
            for label, name, status in doc.verdicts
        )
        parts.append("\\end{itemize}")
    return latex_render.document("\n\n".join(parts), text_to_latex(doc.title))


def to_markdown(doc: Document) -> str:
    parts = [
        f"# {doc.title}",
        "Generated by `symgeom proofs` from SymPy derivations; do not edit by hand."
        + (" " + (doc.scope or SCOPE) if doc.verdicts else ""),
    ]
    if doc.intro:
        parts.append(doc.intro)
    for heading, derived in doc.sections:
        parts.append(f"## {heading.replace('---', '—')}")
        if _is_summary(heading) and doc.stem != "general":
            parts.extend(markdown_render.render_result(d) for d in derived)
            continue
        parts.extend(markdown_render.render_derivation(d, level=3).rstrip("\n") for d in derived)
    if doc.not_applicable:
        parts.append("## Routes that do not apply")
        parts.append("| quantity | route | charts | why not |\n|---|---|---|---|")
        parts[-1] += "".join(
            f"\n| {QUANTITY_TITLES[q]} | `{r}` | "
            + ", ".join(f"`{chart}`" for chart in c.split(", "))
            + f" | {text_to_markdown(why)} |"
            for q, r, c, why in doc.not_applicable
        )
    if doc.verdicts:
        parts.append("## Identities")
        parts.append("| family | identity | status |\n|---|---|---|")
        parts[-1] += "".join(
            f"\n| `{a}` | {_identity_markdown(b)} | **{c}** |" for a, b, c in doc.verdicts
        )
    return "\n\n".join(parts) + "\n"


def index(docs: Iterable[Document]) -> str:
    lines = [
        "# symgeom proofs",
        "",
        "Derivations generated by `symgeom proofs` (SymPy computes every step; "
        "`symgeom proofs --check` fails when these files are stale). "
        "Each document is a `.tex` file (compiles with pdflatex) and a `.md` file.",
        "",
        "| document | contents | LaTeX | Markdown |",
        "|---|---|---|---|",
    ]
    for doc in docs:
        lines.append(
            f"| {doc.title} | {'; '.join(doc.contents)} | [{doc.stem}.tex]({doc.stem}.tex) "
            f"| [{doc.stem}.md]({doc.stem}.md) |"
        )
    statuses: dict[str, int] = {}
    for doc in docs:
        for _, _, status in doc.verdicts:
            statuses[status] = statuses.get(status, 0) + 1
    if statuses:
        lines += ["", "Identities: " + ", ".join(f"{n} {s}" for s, n in sorted(statuses.items()))]
    return "\n".join(lines) + "\n"


def generate(families: Iterable[Family] | None = None) -> dict[str, str]:
    """File name → content of the whole proofs/ directory."""
    docs = (*family_documents(catalog() if families is None else families, general_families()),
            general_document())
    if families is None:
        docs += tuple(make() for make in GENERAL_SIZE_DOCUMENTS)
    files = {"README.md": index(docs)}
    for doc in docs:
        files[f"{doc.stem}.tex"] = to_latex(doc)
        files[f"{doc.stem}.md"] = to_markdown(doc)
    return dict(sorted(files.items()))


def write(out: Path, families: Iterable[Family] | None = None) -> tuple[str, ...]:
    """Write the generated files into ``out`` (removing generated files no longer produced)."""
    files = generate(families)
    out.mkdir(parents=True, exist_ok=True)
    for old in sorted(out.glob("*")):
        if old.suffix in (".tex", ".md") and old.name not in files:
            old.unlink()
    for name, content in files.items():
        (out / name).write_text(content, encoding="utf-8")
    return tuple(files)


def stale_files(out: Path, families: Iterable[Family] | None = None) -> tuple[str, ...]:
    """Files in ``out`` differing from (missing from, extra to) a fresh generation."""
    files = generate(families)
    stale = [
        name for name, content in files.items()
        if not (out / name).is_file() or (out / name).read_text(encoding="utf-8") != content
    ]
    if out.is_dir():
        stale += [
            p.name for p in sorted(out.glob("*"))
            if p.suffix in (".tex", ".md") and p.name not in files
        ]
    return tuple(sorted(stale))
