"""Standalone Python source for a family's stable KL, entropy and Fisher: NumPy/SciPy imports only.

:func:`entropy_module` and :func:`fisher_module` are the compiled entropy and Fisher matrix
(:mod:`symgeom.numeric.export_quantity`: the function ``.numpy()`` runs, bit for bit, or a
:class:`~symgeom.numeric.bundle.NotExportableError` naming why not).

``kl_module(family)`` is the text of a module defining ``kl(θ₁ scalars…, θ₂ scalars…)``: the
same lambdified stable form as :func:`symgeom.numeric.symbolic.stable_numpy` (so it agrees with
it bit for bit), preceded by the source of the primitives it calls (kl_div, χ, Bregman remainder,
log-sum-exp, and the lnΓ-sum form with its D_φ) copied from symgeom.  Arguments are the chart's
scalar coordinates, θ₁ then θ₂, in the order of ``family.symbols()``; they broadcast.
"""

from __future__ import annotations

import inspect
import pathlib

from symgeom.families.base import Family


def _kernels_source() -> str:
    """symgeom/numeric/kernels.py without its docstring and imports (it imports NumPy only)."""
    from symgeom.numeric import kernels

    text = pathlib.Path(kernels.__file__).read_text()
    body = text.split("import numpy as np\n", 1)[1]
    return body


def _bregman_source() -> str:
    from symgeom.numeric import bregman, finite

    parts = [
        f"NODES = {bregman.NODES}\nSWITCH = {bregman.SWITCH!r}\nRHO = {bregman.RHO!r}\n"
        f"CLOSE = {bregman.CLOSE!r}\n",
        inspect.getsource(bregman._rule),
        "_T, _W = _rule()\n_TWO = _rule(2)\n"
        "_T_HALVES, _W_HALVES = np.concatenate([_T / 2, 0.5 + _T / 2]), np.concatenate([_W / 2, _W / 2])\n",
        inspect.getsource(bregman.bregman_kl),
        inspect.getsource(bregman._direct),
        inspect.getsource(bregman._remainder),
        inspect.getsource(bregman._quadrature),
        inspect.getsource(finite.logsumexp_args),
        inspect.getsource(finite.entr_log),
    ]
    return "\n\n".join(parts)


def _special_source() -> str:
    """symgeom/numeric/special.py (polygamma) without its docstring and imports."""
    from symgeom.numeric import special

    text = pathlib.Path(special.__file__).read_text()
    return text.split("from scipy import special\n", 1)[1]


def _trigamma_gap_source() -> str:
    """ψ′(x) − ψ′(x + h) (:mod:`symgeom.numeric.trigamma_gap`; _BERNOULLI is special.py's, which
    the module text already holds)."""
    from symgeom.numeric import trigamma_gap

    parts = (trigamma_gap._series, trigamma_gap._gap, trigamma_gap.trigamma_gap)
    constants = f"GAP_SHIFT = {trigamma_gap.GAP_SHIFT}\nHUGE = {trigamma_gap.HUGE!r}\n\n"
    return constants + "\n\n".join(inspect.getsource(p) for p in parts)


def _lngamma_source() -> str:
    """symgeom/numeric/stirling.py without its docstring and imports, and lngamma_kl."""
    from symgeom.numeric import lngamma, stirling

    text = pathlib.Path(stirling.__file__).read_text()
    constants = f"LNGAMMA_CLOSE = {lngamma.LNGAMMA_CLOSE!r}\nLNGAMMA_SWITCH = {lngamma.LNGAMMA_SWITCH!r}\n"
    body = text.split("from scipy import special\n", 1)[1]
    # its gammaln is special.py's, which the module text already holds (_special_source)
    body = body.replace("from symgeom.numeric.special import gammaln, times_digamma\n", "", 1)
    return "\n\n".join([body, constants, inspect.getsource(lngamma.lngamma_kl)])


def _import(name: str, bound: object) -> str:
    """Import ``name`` from where lambdify bound it: the same routine, so the same bits
    (lambdify's SciPy namespace takes log1p, expm1, … from scipy.special, whose results can differ
    from NumPy's ufuncs by an ulp)."""
    import numpy
    from scipy import special

    if bound is getattr(special, name, None):
        return f"from scipy.special import {name}"
    if bound is getattr(numpy, name, None) or not hasattr(special, name):
        return f"from numpy import {name}"
    return f"from scipy.special import {name}"


def _names(code: object) -> set[str]:
    """Global names a code object and its nested lambdas use."""
    names = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            names |= _names(const)
    return names


def kl_module(family: Family) -> str:
    """The module text (see the module docstring)."""
    from symgeom.numeric.symbolic import stable_kl, stable_numpy

    matrix = _matrix_kl_module(family)
    if matrix is not None:
        return matrix
    function = stable_numpy(family)
    source = inspect.getsource(function).replace("def _lambdifygenerated(", "def kl(", 1)
    provided = {"kl_div", "chi", "bregman_kl", "lngamma_kl", "logsumexp_args", "entr_log", "polygamma",
                "trigamma_gap",
                "sigmoid", "softplus", "softplus_diff", "ratio", "log_quotient",
                "softplus_diff_scaled", "scaled_ratio", "scaled_sum"}
    numpy_names = sorted(n for n in _names(function.__code__) if n not in provided)
    imports = "\n".join(_import(n, function.__globals__.get(n)) for n in numpy_names)
    args = ", ".join(str(s) for s in family.symbols(1) + family.symbols(2))
    header = (
        f'"""KL(θ₁‖θ₂) of {family.label}, the stable form generated by symgeom.\n\n'
        f"    kl({args})\n\n"
        f"Form: {str(stable_kl(family))[:300]}\n"
        '"""\n\n'
        "from __future__ import annotations\n\n"
        "import math\n"
        "from collections.abc import Callable, Sequence\n"
        "from math import factorial\n\n"
        "import numpy as np\n"
        "from scipy import special\n"
        f"{imports}\n"
    )
    parts = [header, _kernels_source(), _special_source(), _bregman_source()]
    if "lngamma_kl" in _names(function.__code__):
        parts.append(_lngamma_source())
    if "trigamma_gap" in _names(function.__code__):
        parts.append(_trigamma_gap_source())
    ends = _endpoint_wrapper(family, args)
    if ends is None:
        return "\n".join([*parts, "", source])
    text, public = ends
    source = source.replace("def kl(", "def _kl_form(", 1)
    return "\n".join([*parts, "", source, text, public])


def _matrix_kl_module(family: Family) -> str | None:
    """The module of a KL that ``.numpy()`` evaluates in matrix form (a full covariance: Cholesky
    factors, triangular solves and ln det in double-double, :mod:`symgeom.numeric.full_gaussian_kl`),
    as the source of that very kernel, for any d: ``kl(mu_1, Sigma_1, mu_2, Sigma_2)`` with
    grouped arrays as ``.numpy()`` takes them.  None for every other KL (the printed stable form).
    No symbolic determinant or inverse is formed (at d ≥ 6 SymPy's would not finish)."""
    from symgeom.numeric import compile as compiled
    from symgeom.numeric import kl as kl_kernels
    from symgeom.numeric.bundle import bundle
    from symgeom.numeric.export_quantity import _PUBLIC

    if family.exponential_form is None or compiled.kl_kernel(family) is not kl_kernels.full_gaussian:
        return None
    sig = compiled._kl_built(family).signature
    args = ", ".join(i.name for i in sig.inputs)
    body = bundle([(compiled._weak_scalars, None), (kl_kernels.full_gaussian, "_kernel")])
    shapes = "\n".join(f"    {i.name}: {i.shape}" for i in sig.inputs)
    header = (
        f'"""KL(θ₁‖θ₂) of {family.label}: the function symgeom compiles (Derivation.numpy()), '
        "standalone.\n\n"
        f"    kl({args})\n\n{shapes}\n\n"
        f"Form: {sig.formula}\n"
        "Generated by symgeom.numeric.export; inputs are not validated (a Σ that is not positive "
        "definite gives nan).\n"
        '"""\n\n'
        "from __future__ import annotations\n\n"
    )
    doc = f"KL of {family.label}; arguments broadcast, output (...)."
    return header + body + _PUBLIC.format(name="kl", args=args, doc=doc, result="_kernel(*arrays)")


def _endpoint_wrapper(family: Family, args: str) -> tuple[str, str] | None:
    """(limit functions with their selection routine, the public ``kl``) where an argument has
    an included endpoint (:mod:`symgeom.numeric.export_endpoints`), else None."""
    from symgeom.numeric.bundle import bundle
    from symgeom.numeric.export_endpoints import FINISH, endpoint_parts
    from symgeom.numeric.inputs import inputs

    one = inputs(family)
    if not all(i.kind == "scalar" for i in one):
        return None  # the KL module takes scalar coordinates; only a chart of scalars has endpoints
    parts = endpoint_parts(family, "kl", one + one)
    if parts is None:
        return None
    roots, constants, text = parts
    finish = FINISH.format(out="_kl_form(" + args + ")", arrays="[" + args + "]")
    public = (
        f"\n\ndef kl({args}):\n"
        '    """The stable form; where an argument sits on an included endpoint and the form is nan,\n'
        '    the one-sided limit of the derived closed form there (as Derivation.numpy())."""\n'
        '    with np.errstate(all="ignore"):\n'
        f"        return {finish}\n"
    )
    return bundle(roots, constants) + "\n\n" + text, public


def entropy_module(family: Family) -> str:
    """The module text defining ``entropy(…)``: ``sg.entropy(family).numpy()`` standalone, with its
    arguments (:mod:`symgeom.numeric.export_quantity`); NotExportableError where it cannot be."""
    import symgeom
    from symgeom.numeric.export_quantity import quantity_module

    return quantity_module(symgeom.entropy(family))


def fisher_module(family: Family) -> str:
    """The module text defining ``fisher(…)``: ``sg.fisher(family).numpy()`` standalone, with its
    arguments (:mod:`symgeom.numeric.export_quantity`); NotExportableError where it cannot be."""
    import symgeom
    from symgeom.numeric.export_quantity import quantity_module

    return quantity_module(symgeom.fisher(family))
