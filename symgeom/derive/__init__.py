"""Derivations of KL, Fisher, entropy and the second-order expansion, each by registered routes."""

from __future__ import annotations

from symgeom.derivation import Derivation
from symgeom.derive import entropy as _entropy
from symgeom.derive import expansion as _expansion
from symgeom.derive import fisher as _fisher
from symgeom.derive import kl as _kl
from symgeom.derive import reflection as _reflection  # noqa: F401  (registers the route)
from symgeom.derive.registry import derive, not_applicable, routes
from symgeom.families.base import Family

_ROUTE_MODULES = (_entropy, _expansion, _fisher, _kl)


def kl(family: Family, route: str | Family | None = None) -> Derivation:
    """KL(θ₁‖θ₂) in closed form; routes ``definition`` (default) and ``bregman``.

    ``kl(p_family, q_family)``: KL between two families by the definition (∞ with the reason
    when p's support is not inside q's)."""
    if isinstance(route, Family):
        from symgeom.derive.cross_kl import kl_between

        return kl_between(family, route)
    return derive("kl", family, route)


def fisher(family: Family, route: str | None = None) -> Derivation:
    """F(θ); routes ``score_covariance`` (default), ``negative_hessian``, ``log_partition``,
    ``kl_hessian`` and, outside the reference chart, ``pullback``."""
    return derive("fisher", family, route)


def entropy(family: Family, route: str | None = None) -> Derivation:
    """H(θ); routes ``definition`` (default) and ``log_partition``."""
    return derive("entropy", family, route)


def expansion(family: Family) -> Derivation:
    """KL(θ‖θ+tΔ) = ½ΔᵀFΔ t² + c₃t³ + O(t⁴)."""
    return derive("expansion", family)


__all__ = ["derive", "entropy", "expansion", "fisher", "kl", "not_applicable", "routes"]
