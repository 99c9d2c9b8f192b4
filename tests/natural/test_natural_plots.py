"""The figures are written, are PNGs, and are byte-for-byte reproducible."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

from symgeom.errors import SymgeomError
from symgeom.plots import FIGURES, main, write_figures


def test_figures_are_deterministic_pngs(tmp_path: Path) -> None:
    first = write_figures(tmp_path / "a", ["kl_vs_quadratic"])
    second = write_figures(tmp_path / "b", ["kl_vs_quadratic"])
    for one, two in zip(first, second, strict=True):
        data = one.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        assert data == two.read_bytes()
        assert b"Software" not in data and b"Creation" not in data


def test_main_writes_the_named_figure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gradient_fields", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "gradient_fields.png").exists()
    assert "gradient_fields.png" in capsys.readouterr().out
    assert set(FIGURES) == {"kl_vs_quadratic", "kl_balls", "gradient_fields"}


def test_unknown_figure() -> None:
    with pytest.raises(SymgeomError, match="unknown figure"):
        write_figures(Path("unused"), ["nope"])


def test_missing_matplotlib_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(SymgeomError, match=r"pip install 'symgeom\[plot\]'"):
        write_figures(Path("unused"), ["kl_balls"])
