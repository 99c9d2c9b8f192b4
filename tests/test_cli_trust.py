"""The command line fails loudly: --strict verify, every field of --p/--q parsed, clear errors."""

from __future__ import annotations

import numpy as np
import pytest

import symgeom as sg
from symgeom import cache
from symgeom.cli import main
from symgeom.verification import catalog
from symgeom.verification.identity import CHECKED_NUMERICALLY, FAILED, PROVED, Verdict


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("status", "plain", "strict"),
    [(PROVED, 0, 0), (CHECKED_NUMERICALLY, 0, 1), (FAILED, 1, 1)],
)
def test_verify_exit_status(monkeypatch, capsys, tmp_path, status, plain, strict):
    monkeypatch.setattr(catalog, "check", lambda name, family: Verdict(status, "stub", 0.0))
    # An empty cache: rows stored whole (symgeom.verification.entries) would not ask `check`.
    monkeypatch.setattr(cache, "_memory", {})
    monkeypatch.setenv("SYMGEOM_CACHE_DIR", str(tmp_path))
    base = ("verify", "--family", "bernoulli", "--jobs", "1")
    assert run(capsys, *base)[0] == plain
    assert run(capsys, *base, "--strict")[0] == strict


def test_empty_fields_are_an_error(capsys):
    code, _, err = run(capsys, "eval", "kl", "categorical", "--p", "0.4,,0.6", "--q", "0.5,0.5")
    assert code == 2 and "--p" in err and "empty" in err


def test_a_negative_first_value_is_a_number(capsys):
    code, out, err = run(capsys, "eval", "kl", "gaussian", "--p", "-1,2", "--q", "0,1")
    assert code == 0, err
    assert float(out) == pytest.approx(np.log(1 / 2) + (4 + 1) / 2 - 0.5, rel=1e-14)


def test_errors_do_not_leak_array_indices(capsys):
    code, _, err = run(capsys, "eval", "kl", "gaussian", "--p", "0,-1", "--q", "0,1")
    assert code == 2 and "--p" in err and "index" not in err
    code, _, err = run(capsys, "eval", "kl", "multivariate_gaussian",
                       "--p", "0,0,1,2,2,1", "--q", "0,0,1,0,0,1")
    assert code == 2 and "positive definite" in err and "index" not in err
    code, _, err = run(capsys, "eval", "kl", "categorical", "--p", "0.5,-0.1,0.6", "--q", "0.2,0.3,0.5")
    assert code == 2 and "index" not in err and "entry 2" in err


def test_non_finite_and_non_numeric_fields(capsys):
    for text in ("nan,1", "inf,1", "a,1", "1e400,1"):
        code, _, err = run(capsys, "eval", "kl", "gaussian", "--p", text, "--q", "0,1")
        assert code == 2 and "--p" in err, (text, err)


def test_upper_triangle_is_read_row_by_row(capsys):
    # Σ = [[2, .5, .1], [.5, 3, .7], [.1, .7, 4]] given by its upper triangle, row by row.
    sigma = np.array([[2, 0.5, 0.1], [0.5, 3, 0.7], [0.1, 0.7, 4]])
    upper = "2,0.5,0.1,3,0.7,4"
    code, out, err = run(capsys, "eval", "kl", "multivariate_gaussian",
                         "--p", f"0,0,0,{upper}", "--q", "0,0,0,1,0,0,1,0,1")
    assert code == 0, err
    closed = 0.5 * (np.trace(sigma) - 3 - np.log(np.linalg.det(sigma)))
    assert float(out) == pytest.approx(closed, rel=1e-13)


def test_format_python_for_a_fisher_matrix_runs_on_arrays(capsys):
    code, out, _ = run(capsys, "fisher", "gaussian", "--format", "python")
    assert code == 0
    namespace: dict = {}
    exec(compile(out, "<symgeom fisher>", "exec"), namespace)
    function = namespace["fisher"]
    sigma = np.array([0.5, 1.0, 2.0])
    value = np.asarray(function(np.zeros(3), sigma))
    assert value.shape == (3, 2, 2)
    np.testing.assert_allclose(value[:, 0, 0], 1 / sigma**2, rtol=1e-15)
    np.testing.assert_allclose(value[:, 1, 1], 2 / sigma**2, rtol=1e-15)
    np.testing.assert_array_equal(value[:, 0, 1], 0)
    scalar = np.asarray(function(0.0, 2.0))
    assert scalar.shape == (2, 2) and scalar[1, 1] == 0.5


def test_kl_between_unsupported_families_is_short(capsys):
    # Poisson‖Geometric needs E[log x!] under the Poisson, which has no closed form.
    with pytest.raises(sg.SymgeomError) as info:
        sg.kl(sg.Poisson(), sg.Geometric())
    message = str(info.value)
    assert "poisson" in message and "geometric" in message and "Family(" not in message
    assert len(message.splitlines()) == 1 and len(message) < 400
