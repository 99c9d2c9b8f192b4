"""Figures of the seed's geometry (KL vs ½ΔᵀFΔ, KL balls, gradient fields); needs symgeom[plot]."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import sympy as sp

from symgeom.errors import SymgeomError

#: Every figure, by the name of the PNG it writes.
FIGURES = ("kl_vs_quadratic", "kl_balls", "gradient_fields")
DEFAULT_OUT = Path("docs") / "figures"
#: The seed's two Gaussians (σ = 10 and σ = 0.1) and its data-fitting target for the fields.
SEED_SIGMAS = (10.0, 0.1)
TARGET = (1.0, 1.0)


def _pyplot() -> Any:
    try:
        import matplotlib
    except ModuleNotFoundError:
        raise SymgeomError(
            "plots need matplotlib: pip install 'symgeom[plot]'"
        ) from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"figure.dpi": 100, "savefig.dpi": 100, "font.size": 10,
                         "svg.hashsalt": "symgeom", "path.simplify": False})
    return plt


def _save(fig: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    # No Software/date chunks: the same figure gives the same bytes on every run.
    fig.savefig(path, format="png", metadata={"Software": None})
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path


def _gaussian_kl() -> Callable[..., np.ndarray]:
    """KL(N(μ₁,σ₁²)‖N(μ₂,σ₂²)) compiled from the derived closed form."""
    import symgeom as sg

    return sg.kl(sg.Gaussian("mean_std")).numpy()


def _gaussian_fisher() -> Callable[..., np.ndarray]:
    import symgeom as sg

    return sg.fisher(sg.Gaussian("mean_std")).numpy()


def plot_kl_vs_quadratic(path: Path) -> Path:
    """KL(θ‖θ+Δ) and ½ΔᵀFΔ for the seed's σ = 10 and σ = 0.1 Gaussians, along μ and along σ."""
    plt = _pyplot()
    kl, fisher = _gaussian_kl(), _gaussian_fisher()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2))
    colors = {10.0: "tab:blue", 0.1: "tab:red"}
    dmu = np.linspace(0.02, 1.0, 60)
    for sigma in SEED_SIGMAS:
        f = np.asarray(fisher(0.0, sigma), dtype=float).reshape(2, 2)
        exact = kl(0.0, sigma, dmu, sigma)
        left.plot(dmu, exact, color=colors[sigma], lw=2.5, label=f"KL, σ = {sigma:g}")
        left.plot(dmu, 0.5 * f[0, 0] * dmu**2, color="k", ls="--", lw=1)
        at_one = float(kl(0.0, sigma, 1.0, sigma))
        left.plot([1.0], [at_one], "o", color=colors[sigma])
        left.annotate(f"KL = {at_one:g}", (1.0, at_one), textcoords="offset points",
                      xytext=(-75, -16))
    left.plot([], [], color="k", ls="--", lw=1, label="½ΔᵀFΔ")
    left.set_yscale("log")
    left.set_xlabel("Δμ (same parameter step for both)")
    left.set_ylabel("KL(θ‖θ+Δ)")
    left.set_title("Along μ: the quadratic is exact, σ sets the scale")
    left.legend(loc="center right", bbox_to_anchor=(1.0, 0.62))

    ratio = np.linspace(-0.9, 2.0, 200)
    for sigma, style in zip(SEED_SIGMAS, ("-", ":"), strict=True):
        f = np.asarray(fisher(0.0, sigma), dtype=float).reshape(2, 2)
        dsigma = ratio * sigma
        right.plot(ratio, kl(0.0, sigma, 0.0, sigma + dsigma), color=colors[sigma], ls=style,
                   lw=2.5 if style == "-" else 2, label=f"KL, σ = {sigma:g}")
        right.plot(ratio, 0.5 * f[1, 1] * dsigma**2, color="k", ls="--", lw=1,
                   label="½ΔᵀFΔ" if sigma == SEED_SIGMAS[0] else None)
    right.set_xlabel("Δσ / σ")
    right.set_ylabel("KL(θ‖θ+Δ)")
    right.set_ylim(0, 2.5)
    right.set_title("Along σ: tangent at Δ = 0; σ = 10 and 0.1 coincide")
    right.legend(loc="upper center")
    fig.tight_layout()
    return _save(fig, path)


def plot_kl_balls(path: Path, radius: float = 0.1) -> Path:
    """{θ : KL(θ₀‖θ) = δ} against Euclidean circles and Fisher ellipses in the (μ, σ) plane."""
    plt = _pyplot()
    kl, fisher = _gaussian_kl(), _gaussian_fisher()
    fig, ax = plt.subplots(figsize=(8, 4.4))
    mu, sigma = np.meshgrid(np.linspace(-3.5, 3.5, 561), np.linspace(0.02, 3.6, 561))
    centers = ((-2.0, 0.3), (0.0, 1.0), (2.2, 2.0))
    euclid = 0.45
    angle = np.linspace(0.0, 2.0 * np.pi, 241)
    for i, (m0, s0) in enumerate(centers):
        ax.contour(mu, sigma, kl(m0, s0, mu, sigma), levels=[radius], colors="tab:red",
                   linewidths=2)
        f = np.asarray(fisher(m0, s0), dtype=float).reshape(2, 2)
        # ½ΔᵀFΔ = δ: the ellipse Δ = √(2δ) F^{-1/2}u, ‖u‖ = 1.
        w, v = np.linalg.eigh(f)
        unit = np.stack([np.cos(angle), np.sin(angle)])
        ellipse = v @ (np.sqrt(2 * radius / w)[:, None] * unit)
        ax.plot(m0 + ellipse[0], s0 + ellipse[1], color="k", ls="--", lw=1,
                label="½ΔᵀFΔ = δ" if i == 0 else None)
        ax.plot(m0 + euclid * np.cos(angle), s0 + euclid * np.sin(angle), color="tab:gray",
                lw=1.5, label=f"Euclidean ‖Δ‖ = {euclid:g}" if i == 0 else None)
        ax.plot([m0], [s0], "k.", ms=6)
        ax.annotate(f"N({m0:g}, {s0:g}²)", (m0, s0), textcoords="offset points", xytext=(6, 6))
    ax.plot([], [], color="tab:red", lw=2, label=f"KL(θ₀‖θ) = δ = {radius:g}")
    ax.set_xlabel("μ")
    ax.set_ylabel("σ")
    ax.set_ylim(0, 3.6)
    ax.set_aspect("equal")
    ax.set_title("KL balls grow with σ; Euclidean balls do not")
    ax.legend(loc="upper left", fontsize=9)
    fig.tight_layout()
    return _save(fig, path)


def _fitting_fields() -> tuple[Callable[..., Any], Callable[..., Any]]:
    """∇J and F⁻¹∇J for J(μ, σ) = −KL(N(m, s²)‖N(μ, σ²)), the maximum-likelihood objective."""
    import symgeom as sg
    from symgeom.natural import natural_gradient

    fam = sg.Gaussian("mean_std")
    mu, sigma = fam.symbols(None)
    d = sg.kl(fam)
    m1, s1, m2, s2 = d.arguments
    objective = -d.result.xreplace({m1: TARGET[0], s1: TARGET[1], m2: mu, s2: sigma})
    grad = [sp.diff(objective, x) for x in (mu, sigma)]
    natural = natural_gradient(fam, grad).result
    euclidean = sp.lambdify((mu, sigma), grad, "numpy")
    riemann = sp.lambdify((mu, sigma), list(natural), "numpy")
    return euclidean, riemann


def _ascend(field: Callable[..., Any], start: tuple[float, float], rate: float,
            steps: int) -> np.ndarray:
    path = [np.array(start)]
    for _ in range(steps):
        step = rate * np.array(field(*path[-1]), dtype=float)
        nxt = path[-1] + step
        if not (np.all(np.isfinite(nxt)) and nxt[1] > 0 and abs(nxt[0]) < 10):
            break
        path.append(nxt)
    return np.array(path)


def plot_gradient_fields(path: Path) -> Path:
    """Euclidean ∇J and natural F⁻¹∇J fields for fitting N(μ, σ²) to N(1, 1), with ascent paths."""
    plt = _pyplot()
    euclidean, riemann = _fitting_fields()
    mu, sigma = np.meshgrid(np.linspace(-2.5, 3.5, 25), np.linspace(0.15, 3.0, 20))
    fig, axes = plt.subplots(1, 2, figsize=(11, 5.0), sharey=True, layout="constrained")
    starts = ((-2.0, 0.25), (3.0, 0.3), (-1.5, 2.6), (3.0, 2.8))
    rate, steps = 0.05, 60
    for ax, field, name in ((axes[0], euclidean, "Euclidean ∇J"),
                            (axes[1], riemann, "natural F⁻¹∇J")):
        u, v = (np.broadcast_to(np.asarray(c, dtype=float), mu.shape) for c in field(mu, sigma))
        norm = np.hypot(u, v)
        image = ax.quiver(mu, sigma, u / norm, v / norm, np.log10(norm), cmap="viridis",
                          clim=(-2, 3), scale=32, width=0.004)
        for start in starts:
            trail = _ascend(field, start, rate, steps)
            ax.plot(trail[:, 0], trail[:, 1], "-", color="tab:red", lw=1.5)
            ax.plot(trail[:1, 0], trail[:1, 1], "o", color="tab:red", ms=4)
        ax.plot([TARGET[0]], [TARGET[1]], "*", color="k", ms=12)
        ax.set_xlabel("μ")
        ax.set_title(f"{name}\nred: {steps} ascent steps of size {rate:g}")
        ax.set_xlim(-2.7, 3.7)
        ax.set_ylim(0, 3.1)
    axes[0].set_ylabel("σ")
    fig.colorbar(image, ax=axes, label="log₁₀ ‖field‖ (arrows normalized)")
    fig.suptitle("Fitting N(μ, σ²) to N(1, 1): J = −KL(N(1, 1)‖N(μ, σ²))")
    return _save(fig, path)


_WRITERS: dict[str, Callable[[Path], Path]] = {
    "kl_vs_quadratic": plot_kl_vs_quadratic,
    "kl_balls": plot_kl_balls,
    "gradient_fields": plot_gradient_fields,
}


def write_figures(out: Path = DEFAULT_OUT, names: Sequence[str] = FIGURES) -> list[Path]:
    """Write the named figures as ``<out>/<name>.png`` and return their paths."""
    unknown = [n for n in names if n not in _WRITERS]
    if unknown:
        raise SymgeomError(f"unknown figure {unknown[0]!r}; accepted: {', '.join(FIGURES)}")
    return [_WRITERS[n](Path(out) / f"{n}.png") for n in names]


def main(argv: Sequence[str] | None = None) -> int:
    """``symgeom plot [NAME ...] [--out DIR]``: write the figures, print their paths."""
    parser = argparse.ArgumentParser(prog="symgeom plot", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"any of {', '.join(FIGURES)}")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = parser.parse_args(argv)
    for written in write_figures(args.out, args.names or FIGURES):
        print(written)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
