"""Hand-built derivations for the renderer tests (independent of symgeom.derive)."""

from __future__ import annotations

import sympy as sp

import symgeom as sg
from symgeom.derivation import Derivation, Step

E = sp.Function("E")


def gaussian_kl() -> Derivation:
    """KL of two Gaussians with a fact step, a long sum and a continuation."""
    fam = sg.Gaussian()
    mu1, s1, mu2, s2 = fam.symbols(1) + fam.symbols(2)
    x = fam.variables[0]
    ratio = sp.expand(fam.log_density(1) - fam.log_density(2))
    taken = ratio.subs(x**2, mu1**2 + s1**2).subs(x, mu1)
    result = sp.log(s2 / s1) + (s1**2 + (mu1 - mu2) ** 2) / (2 * s2**2) - sp.Rational(1, 2)
    steps = (
        Step(E(fam.log_density(1) - fam.log_density(2)), "definition: $E_p[\\log p - \\log q]$"),
        Step(E(ratio), "expand the logarithm; 50% of & # _ are escaped"),
        Step(mu1**2 + s1**2, "second moment", lhs=E(x**2)),
        Step(taken, "take expectations"),
        Step(result, "simplify"),
    )
    return Derivation(
        "kl", "definition", fam, "KL of two Gaussians — θ₁‖θ₂",
        r"D_{\mathrm{KL}}(p_{\theta_1} \,\|\, p_{\theta_2})", steps, result,
        fam.symbols(1) + fam.symbols(2),
    )


def natural_kl_power() -> Derivation:
    """Point coordinates (η_{2,1}) raised to a power: must compile as one superscript."""
    fam = sg.Gaussian("natural")
    e1, e2, f1, f2 = fam.symbols(1) + fam.symbols(2)
    expr = f1**2 / (4 * f2) - e1**2 / (4 * e2)
    return Derivation(
        "kl", "bregman", fam, "powers", "D", (Step(expr, "power of a point coordinate"),), expr,
        fam.symbols(1) + fam.symbols(2),
    )


def wide_fisher() -> Derivation:
    """A 5×5 symmetric matrix too wide for a page: printed entry by entry."""
    fam = sg.MultivariateGaussian(2)
    theta = fam.symbols()
    matrix = sp.ImmutableMatrix(
        5, 5, lambda i, j: sp.Add(*[s**2 / (theta[2] * theta[4] - theta[3] ** 2 + k + 1)
                                    for k, s in enumerate(theta[: 1 + max(i, j)])])
    )
    return Derivation(
        "fisher", "test", fam, "wide", r"F(\theta)", (Step(matrix, "a wide matrix"),), matrix,
        theta,
    )
