"""The symbolic heads a log-magnitude copy is printed with (:mod:`symgeom.backends.log_rules`).

Each is log of a form whose direct logarithm would underflow or cancel, printed as a call that
the backend namespace binds (:mod:`symgeom.backends.tiny_kl`, :mod:`symgeom.backends.tiny_entropy`,
:mod:`symgeom.backends.tiny_forms`):

    LogChi(y, L) = log χ(y) given L = log|y|          LogAbs(x) = log|x|
    LogBregman(L, t) = log ∫₀¹ e^{L(t)} dt             ExactLog(x) = log x from the bits
    LogSoftplus(x) = log softplus(x)                    LogNegLog1p(u) = log(−log1p(−u))
    LogLSE(0, a₁, …) = log LSE(0, a₁, …)                LogLogitEntropy(x) = log h(x)
    LogPositive(x) = log max(x, 0)                      LogEntr(log p, log(−ℓ)) = log(−p·ℓ)
    LogPolygamma(n, x) = log|ψ⁽ⁿ⁾(x)|
"""

from __future__ import annotations

from typing import Any

import sympy as sp


def _call(name: str, printer: Any, args: tuple[sp.Basic, ...]) -> str:
    return f"{name}({', '.join(printer._print(a) for a in args)})"


class LogAbs(sp.Function):
    """log|x|, printed as ``numpy.log(numpy.abs(x))`` (SymPy's Abs of a function not known to be
    real rewrites itself as √(x·x̄), which no array backend prints)."""

    nargs = 1

    def _numpycode(self, printer: Any) -> str:
        return f"numpy.log(numpy.abs({printer._print(self.args[0])}))"


class LogBregman(sp.Function):
    """log ∫₀¹ e^{L(t)} dt of a remainder's log-integrand L (args: L, t), printed as
    ``log_bregman(lambda t, θ…: L, (θ…,))`` (tiny_kl.log_bregman)."""

    nargs = 2

    def _numpycode(self, printer: Any) -> str:
        body, t = self.args
        free = sorted(body.free_symbols - {t}, key=str)
        names = ", ".join(printer._print(x) for x in free)
        return f"log_bregman(lambda {printer._print(t)}, {names}: {printer._print(body)}, ({names},))"


def _printed_head(name: str, printed: str, nargs: int | None, doc: str) -> type[sp.Function]:
    """A SymPy function ``name`` printed as the call ``printed(args…)``."""

    def _numpycode(self: sp.Function, printer: Any) -> str:
        return _call(printed, printer, self.args)

    attributes: dict[str, Any] = {"__doc__": doc, "__module__": __name__, "_numpycode": _numpycode}
    if nargs is not None:
        attributes["nargs"] = nargs
    return type(name, (sp.Function,), attributes)


ExactLog = _printed_head("ExactLog", "exact_log", 1,
                         "log x of a non-negative x, subnormal x included (printed ``exact_log``).")
LogSoftplus = _printed_head("LogSoftplus", "log_softplus", 1, "log softplus(x) (printed ``log_softplus``).")
LogNegLog1p = _printed_head("LogNegLog1p", "log_neg_log1p", 1,
                            "log(−log1p(−u)) for 0 ≤ u < 1 (printed ``log_neg_log1p``).")
LogLSE = _printed_head("LogLSE", "log_lse", None, "log LSE(0, a₁, …) (printed ``log_lse``; the 0 first).")
LogLogitEntropy = _printed_head("LogLogitEntropy", "log_logit_entropy", 1,
                                "log h(x), h = softplus(−|x|) + |x|σ(−|x|) (printed ``log_logit_entropy``).")
LogPositive = _printed_head("LogPositive", "log_positive", 1, "log max(x, 0) (printed ``log_positive``): "
                            "−∞, not nan, where a −ℓ ≈ 0 rounds below 0.")
LogEntr = _printed_head("LogEntr", "log_entr", 2,
                        "log p + log(−ℓ), −∞ where log p is −∞ (printed ``log_entr``).")
LogChi = _printed_head("LogChi", "log_chi", 2,
                       "log χ(y) from y and L = log|y|, printed as ``log_chi(y, L)`` (tiny_kl.log_chi).")
LogPolygamma = _printed_head("LogPolygamma", "log_polygamma", 2,
                             "log|ψ⁽ⁿ⁾(x)| for x > 0 (printed ``log_polygamma(n, x)``).")
