"""The ``symgeom`` command line: derive and print, evaluate, verify, regenerate proofs/."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from symgeom.errors import InvalidParameterError, SymgeomError, UnknownQuantityError
from symgeom.families import FAMILY_NAMES

if TYPE_CHECKING:
    from symgeom.derivation import Derivation
    from symgeom.families.base import Family

QUANTITIES = ("kl", "fisher", "entropy")
FORMATS = ("text", "latex", "markdown", "json", "python")

EPILOG = """examples:
  symgeom kl gaussian                                   KL(θ₁‖θ₂) step by step, plain text
  symgeom kl gaussian --format latex                    the same as an align* block
  symgeom fisher categorical --k 3 --param logits       Fisher matrix of softmax logits
  symgeom entropy multivariate_gaussian --d 2 --format json
  symgeom eval kl categorical --p 0.4,0.6 --q 0.5,0.5   0.0201355...
  symgeom eval kl gaussian --p 0,10 --q 1,10            0.005  (μ, σ)
  symgeom eval kl gaussian --p 0,0.1 --q 1,0.1          50
  symgeom verify                                        the identity catalog, table + exit status
  symgeom proofs --check                                exit 1 if proofs/ is stale
"""

EVAL_HELP = """parameters are given in the family's chart, comma separated:
  bernoulli                p                (--param logit: θ)
  categorical              p₁,…,p_k         the full probability vector (k inferred; sums to 1)
                           --param logits: z₁,…,z_k (any shift)
  gaussian                 μ,σ              (--param mean_var: μ,σ²; natural: η₁,η₂;
                                             mean_logstd: μ,log σ)
  multivariate_gaussian    μ₁,…,μ_d then Σ row by row (d² numbers) or its upper triangle
                           Σ₁₁,Σ₁₂,…,Σ_dd; --covariance diagonal: μ₁,…,μ_d then σ²₁,…,σ²_d
                           (or σ / log σ with --param mean_std / mean_logstd)
"""


class UsageError(SymgeomError):
    """Bad command-line input (reported in one line, exit status 2)."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (no usage dump) and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _family_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("family", help=f"one of {', '.join(FAMILY_NAMES)} (aliases: normal, mvn)")
    parser.add_argument("--param", help="parameterization (chart), e.g. logits, mean_var, natural")
    parser.add_argument("--k", type=_positive_int, help="number of classes (categorical)")
    parser.add_argument("--d", type=_positive_int, help="dimension (multivariate_gaussian)")
    parser.add_argument("--n", type=_positive_int, help="number of trials (binomial)")
    parser.add_argument("--r", type=_positive_int, help="number of successes (negative_binomial)")
    parser.add_argument(
        "--covariance", choices=("full", "diagonal"), help="multivariate_gaussian covariance"
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="symgeom",
        description="Derived, proved, printable information geometry: KL divergences, Fisher "
        "matrices and entropies of probability families, step by step.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for quantity, what in (
        ("kl", "KL divergence KL(θ₁‖θ₂)"),
        ("fisher", "Fisher information matrix F(θ)"),
        ("entropy", "differential / Shannon entropy H(θ)"),
    ):
        p = sub.add_parser(
            quantity, help=f"derive the {what}", description=f"Derive the {what} step by step.",
            epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        _family_options(p)
        p.add_argument("--route", help="derivation route (default: the first registered)")
        p.add_argument("--format", choices=FORMATS, default="text", help="output format")
        p.add_argument(
            "--standalone", action="store_true", help="with --format latex: a whole document"
        )
    ev = sub.add_parser(
        "eval", help="evaluate a quantity at numeric parameters",
        description="Evaluate KL, Fisher or entropy at numeric parameters (compiled, stable).",
        epilog=EVAL_HELP + "\n" + EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ev.add_argument("quantity", choices=QUANTITIES)
    _family_options(ev)
    ev.add_argument("--p", required=True, help="parameters of the (first) distribution")
    ev.add_argument("--q", help="parameters of the second distribution (kl only)")
    ver = sub.add_parser(
        "verify", help="check every identity of the catalog",
        description="Check every identity of the catalog. Exit status: 0 when every identity "
        "is proved or checked numerically, 1 when any failed (with --strict: or is only "
        "checked numerically), 2 for bad usage.",
    )
    ver.add_argument("--strict", action="store_true",
                     help="exit 1 unless every identity is proved (numeric evidence is not enough)")
    ver.add_argument("--family", help="only families whose label contains this name")
    ver.add_argument("--jobs", type=_positive_int, default=None,
                     help="worker processes (default: up to 2, one per core)")
    pr = sub.add_parser(
        "proofs", help="regenerate proofs/ (.tex and .md)",
        description="Regenerate the derivation documents in proofs/.",
    )
    pr.add_argument("--out", default="proofs", help="output directory (default: proofs)")
    pr.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if the directory is stale"
    )
    pl = sub.add_parser(
        "plot", help="draw the figures (needs matplotlib: pip install 'symgeom[plot]')",
        description="Write the figures (KL vs ½ΔᵀFΔ, KL balls, gradient fields) as PNGs.",
    )
    pl.add_argument("names", nargs="*", metavar="NAME",
                    help="kl_vs_quadratic, kl_balls, gradient_fields (default: all)")
    pl.add_argument("--out", default=None, help="output folder (default: docs/figures)")
    return parser


def run_plot(args: argparse.Namespace) -> int:
    from symgeom import plots

    argv = list(args.names) + (["--out", args.out] if args.out else [])
    return plots.main(argv)


# --- families and derivations -------------------------------------------------------------------
def make_family(args: argparse.Namespace, k: int | None = None, d: int | None = None) -> Family:
    from symgeom.families import family

    return family(
        args.family, args.param, k=args.k if k is None else k, d=args.d if d is None else d,
        covariance=args.covariance, n=getattr(args, "n", None), r=getattr(args, "r", None),
    )


def derive(quantity: str, fam: Family, route: str | None = None) -> Derivation:
    import symgeom

    function = getattr(symgeom, quantity)
    return function(fam) if route is None else function(fam, route=route)


# --- output formats -----------------------------------------------------------------------------
def to_json(derivation: Derivation) -> str:
    """Parameter names, the result as srepr / str / LaTeX, each step's LaTeX and justification."""
    import sympy as sp

    from symgeom.render.layout import latex_names
    from symgeom.render.printing import DerivationLatexPrinter

    fam = derivation.family
    printer = DerivationLatexPrinter(latex_names(derivation))
    payload = {
        "quantity": derivation.quantity,
        "route": derivation.route,
        "title": derivation.title,
        "family": fam.name if fam is not None else None,
        "label": fam.label if fam is not None else None,
        "param": fam.param if fam is not None else None,
        "parameters": [p.name for p in fam.parameters] if fam is not None else [],
        "arguments": [str(a) for a in derivation.arguments],
        "result": {
            "str": str(derivation.result),
            "srepr": sp.srepr(derivation.result),
            "latex": printer.doprint(derivation.result),
        },
        "steps": [
            {
                "lhs": None if step.lhs is None else printer.doprint(step.lhs),
                "relation": step.relation,
                "latex": printer.doprint(step.expression),
                "justification": step.justification,
                "facts": [printer.doprint(f) for f in getattr(step, "facts", ())],
            }
            for step in derivation.steps
        ],
    }
    return json.dumps(payload, indent=2, ensure_ascii=False)


def to_python(derivation: Derivation) -> str:
    """The derived closed form as a NumPy function (the textbook form, not the stable kernel).

    Arguments broadcast; a matrix result has shape (..., n, n).
    """
    import sympy as sp
    from sympy.printing.numpy import NumPyPrinter

    fam = derivation.family
    name = derivation.quantity if fam is None else f"{derivation.quantity}_{fam.name}_{fam.param}"
    names = [str(a) for a in derivation.arguments]
    args = ", ".join(names)
    printer = NumPyPrinter({"fully_qualified_modules": True})
    result = derivation.result
    if isinstance(result, sp.MatrixBase):
        rows = ",\n".join(
            "        numpy.stack([" + ", ".join(
                f"_entry({printer.doprint(e)})" for e in result.row(i)
            ) + "], axis=-1)"
            for i in range(result.rows)
        )
        body = (
            f"    shape = numpy.broadcast_shapes(*(numpy.shape(a) for a in ({args},)))\n\n"
            "    def _entry(value):\n"
            "        return numpy.broadcast_to(numpy.asarray(value, dtype=float), shape)\n\n"
            f"    return numpy.stack([\n{rows},\n    ], axis=-2)\n"
        )
    else:
        body = f"    return {printer.doprint(result)}\n"
    return (
        f'"""{derivation.title} (generated by symgeom; for stable numerics use '
        f'Derivation.numpy())."""\n\nimport numpy\n\n\n'
        f"def {name}({args}):\n{body}"
    )


def render(derivation: Derivation, fmt: str, standalone: bool = False) -> str:
    if fmt == "latex":
        return derivation.latex(standalone=standalone).rstrip("\n") + "\n"
    if fmt == "markdown":
        return derivation.markdown()
    if fmt == "json":
        return to_json(derivation) + "\n"
    if fmt == "python":
        if derivation.quantity == "kl" and derivation.family is not None:
            from symgeom.numeric.export import kl_module

            return kl_module(derivation.family)
        if derivation.quantity in ("entropy", "fisher"):
            from symgeom.numeric.export_quantity import quantity_module

            return quantity_module(derivation)
        return to_python(derivation)
    return derivation.text()


# --- eval ---------------------------------------------------------------------------------------
def parse_numbers(option: str, text: str) -> list[float]:
    """Comma-separated finite numbers; an empty field or a non-number is an error, never skipped."""
    import math

    fields = [field.strip() for field in text.split(",")]
    if fields == [""]:
        raise UsageError(f"{option} is empty")
    values = []
    for position, field in enumerate(fields, start=1):
        if not field:
            raise UsageError(f"{option}: field {position} is empty in {text!r}")
        try:
            value = float(field)
        except ValueError:
            raise UsageError(
                f"{option} must be comma-separated numbers; field {position} is {field!r}"
            ) from None
        if not math.isfinite(value):
            raise UsageError(f"{option}: field {position} ({field!r}) is not a finite number")
        values.append(value)
    return values


def _solve_d(count: int, covariance: str, given: int | None, option: str) -> int:
    """d from the number of values: 2d (diagonal), d + d² or d + d(d+1)/2 (full)."""
    candidates = range(1, count + 1) if given is None else (given,)
    for d in candidates:
        sizes = (2 * d,) if covariance == "diagonal" else (d + d * d, d + d * (d + 1) // 2)
        if count in sizes:
            return d
    expected = (
        "2d numbers (μ then the diagonal)" if covariance == "diagonal"
        else "d + d² numbers (μ, Σ row by row) or d + d(d+1)/2 (μ, upper triangle of Σ)"
    )
    at = f" with d={given}" if given is not None else ""
    raise UsageError(f"{option}: {count} values do not fit {expected}{at}")


def point_arrays(fam: Family, option: str, values: list[float]) -> tuple:
    """The grouped arrays of one parameter point (see symgeom.numeric.inputs), from flat values."""
    import numpy as np

    from symgeom.numeric.inputs import inputs

    spec = inputs(fam)
    sizes = dict(fam.size)
    if fam.name == "multivariate_gaussian":
        d = sizes["d"]
        mu = np.array(values[:d])
        rest = values[d:]
        if spec[1].kind != "matrix":
            return mu, np.array(rest)
        if len(rest) == d * d:
            return mu, np.array(rest).reshape(d, d)
        sigma = np.zeros((d, d))
        rows, cols = np.triu_indices(d)
        sigma[rows, cols] = rest
        sigma[cols, rows] = rest
        return mu, sigma
    if fam.name == "categorical":
        return (np.array(values),)
    expected = len(spec)
    if len(values) != expected:
        names = ", ".join(i.name for i in spec)
        raise UsageError(
            f"{option}: {fam.label} takes {expected} value(s) ({names}), got {len(values)}"
        )
    return tuple(np.array(v) for v in values)


def eval_family(args: argparse.Namespace, first: list[float]) -> Family:
    """The family of ``symgeom eval``, with k or d inferred from the number of values."""
    name = args.family.lower().replace("-", "_")
    if name == "categorical":
        if args.k is not None and args.k != len(first):
            raise UsageError(f"--p has {len(first)} values but --k is {args.k}")
        if len(first) < 2:
            raise UsageError("--p: categorical needs at least 2 values (the full vector)")
        return make_family(args, k=len(first))
    if name in ("multivariate_gaussian", "mvn", "mvgaussian"):
        covariance = args.covariance or "full"
        return make_family(args, d=_solve_d(len(first), covariance, args.d, "--p"))
    return make_family(args)


def evaluate(args: argparse.Namespace) -> str:
    first = parse_numbers("--p", args.p)
    fam = eval_family(args, first)
    arrays = point_arrays(fam, "--p", first)
    if args.quantity == "kl":
        if args.q is None:
            raise UsageError("eval kl needs --q (the second distribution)")
        second = parse_numbers("--q", args.q)
        if len(second) != len(first):
            raise UsageError(f"--q has {len(second)} values but --p has {len(first)}")
        arrays = arrays + point_arrays(fam, "--q", second)
    elif args.q is not None:
        raise UsageError(f"eval {args.quantity} takes only --p")
    function = compiled(args.quantity, fam)
    try:
        # One leading batch axis: validation then never meets 0-d arrays.
        value = function(*(a[None] for a in arrays))[0]
    except InvalidParameterError as error:
        message = _without_batch_index(str(error))
        option = "--q" if re.match(r"^\w+_2\b", message) else "--p"
        raise UsageError(f"{option}: {message}") from None
    return format_value(value)


def _without_batch_index(message: str) -> str:
    """"… at index (0, 2)" (the CLI's own batch axis first) → "… at entry 3"; "(0,)" → ""."""

    def entry(match: re.Match[str]) -> str:
        rest = [int(i) + 1 for i in match.group(1).split(",") if i.strip()]
        if not rest:
            return ""
        return f" at entry {rest[0]}" if len(rest) == 1 else f" at entry {tuple(rest)}"

    return re.sub(r" at index \(0,\s*([\d,\s]*)\)", entry, message)


def _join_negative_values(argv: list[str]) -> list[str]:
    """``--p -1,2`` → ``--p=-1,2``: argparse would read a value starting with '-' as an option."""
    out: list[str] = []
    for token in argv:
        if out and out[-1] in ("--p", "--q") and re.match(r"^-[\d.]", token):
            out[-1] = f"{out[-1]}={token}"
        else:
            out.append(token)
    return out


def compiled(quantity: str, fam: Family) -> Callable[..., Any]:
    """The validated NumPy function; KL uses the stable kernel directly, deriving nothing."""
    if quantity == "kl":
        from symgeom.numeric.compile import kl_function

        try:
            return kl_function(fam, validate=True)
        except UnknownQuantityError:
            pass
    return derive(quantity, fam).numpy(validate=True)


def format_value(value: object) -> str:
    import numpy as np

    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        return f"{float(arr):.15g}"
    return np.array2string(
        arr, separator=", ", formatter={"float_kind": lambda x: f"{x:.15g}"}
    )


# --- commands -----------------------------------------------------------------------------------
def run_verify(args: argparse.Namespace) -> int:
    from symgeom.verification.catalog import run_verify as catalog_run_verify

    return int(catalog_run_verify(family=args.family, jobs=args.jobs, strict=args.strict))


def run_proofs(args: argparse.Namespace) -> int:
    from pathlib import Path

    from symgeom import proofs

    out = Path(args.out)
    if args.check:
        stale = proofs.stale_files(out)
        for name in stale:
            print(f"stale: {out / name}", file=sys.stderr)
        if stale:
            print("proofs are stale; run `symgeom proofs` to regenerate", file=sys.stderr)
            return 1
        print(f"{out} is up to date")
        return 0
    written = proofs.write(out)
    print(f"wrote {len(written)} files to {out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``symgeom`` script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(_join_negative_values(list(sys.argv[1:] if argv is None else argv)))
    try:
        if args.command in QUANTITIES:
            if args.standalone and args.format != "latex":
                raise UsageError("--standalone goes with --format latex")
            derivation = derive(args.command, make_family(args), args.route)
            sys.stdout.write(render(derivation, args.format, args.standalone))
            return 0
        if args.command == "eval":
            print(evaluate(args))
            return 0
        if args.command == "verify":
            return run_verify(args)
        if args.command == "plot":
            return run_plot(args)
        return run_proofs(args)
    except SymgeomError as error:
        print(f"symgeom {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
