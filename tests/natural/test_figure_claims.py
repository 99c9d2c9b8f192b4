"""What the figures' titles and captions say is what the mathematics says."""

from __future__ import annotations

import inspect
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import brentq

import symgeom as sg
from symgeom import plots

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _half_width_along_mu(kl, mu0: float, sigma0: float, delta: float) -> float:
    """Δμ > 0 with KL(N(μ₀, σ₀²)‖N(μ₀ + Δμ, σ₀²)) = δ, solved numerically."""
    return brentq(lambda d: kl(mu0, sigma0, mu0 + d, sigma0) - delta, 1e-12, 100.0, xtol=1e-14)


@pytest.mark.parametrize("delta", [0.1, 0.01])
def test_kl_balls_grow_with_sigma(delta):
    """F = diag(1/σ², 2/σ²): the KL ball's half-width along μ is σ√(2δ), growing with σ."""
    kl = sg.kl(sg.Gaussian()).numpy()
    sigmas = [0.3, 1.0, 2.0]
    widths = [_half_width_along_mu(kl, 0.0, s, delta) for s in sigmas]
    assert widths == sorted(widths) and widths[-1] > 5 * widths[0]
    for s, w in zip(sigmas, widths):
        assert w == pytest.approx(s * math.sqrt(2 * delta), rel=1e-12)
    f = np.array(sg.fisher(sg.Gaussian()).result.subs({sg.Gaussian().symbols()[1]: 2.0}),
                 dtype=float)
    assert np.allclose(f, np.diag([1 / 4.0, 2 / 4.0]))


def test_figure_title_and_caption_agree_with_the_mathematics():
    source = inspect.getsource(plots.plot_kl_balls)
    assert "KL balls grow with σ" in source
    caption = (DOCS / "natural_gradient.md").read_text(encoding="utf-8")
    assert "shrinks with σ" not in caption
    assert "KL balls grow with σ" in caption
