"""The symgeom command line, in-process through main(argv), plus one real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import symgeom
from symgeom.cli import main


def has_derive() -> bool:
    try:
        symgeom.kl  # noqa: B018
    except AttributeError:
        return False
    return True


derive_available = pytest.mark.skipif(not has_derive(), reason="sg.kl not available yet")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@derive_available
@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (("categorical", "--p", "0.4,0.6", "--q", "0.5,0.5"), 0.020135513550688863),
        (("categorical", "--p", "0.4,0.6", "--q", "0.1,0.9"), 0.31123867958305756),
        (("gaussian", "--p", "0,10", "--q", "1,10"), 0.005),
        (("gaussian", "--p", "0,0.1", "--q", "1,0.1"), 50.0),
    ],
)
def test_eval_kl_reproduces_the_seed_numbers(capsys, argv, expected):
    code, out, err = run(capsys, "eval", "kl", *argv)
    assert code == 0, err
    assert float(out) == pytest.approx(expected, rel=1e-14)


@derive_available
def test_eval_mvn_accepts_full_or_upper_triangle(capsys):
    _, full, _ = run(capsys, "eval", "kl", "mvn", "--p", "0,0,1,0,0,1", "--q", "1,0,2,0.5,0.5,1")
    _, tri, _ = run(capsys, "eval", "kl", "mvn", "--p", "0,0,1,0,1", "--q", "1,0,2,0.5,1")
    assert full == tri and float(full) > 0


@derive_available
@pytest.mark.parametrize("fmt", ["text", "latex", "markdown", "json", "python"])
def test_formats(capsys, fmt):
    code, out, err = run(capsys, "fisher", "gaussian", "--format", fmt)
    assert code == 0, err
    if fmt == "json":
        data = json.loads(out)
        assert data["parameters"] == ["mu", "sigma"]
        assert data["result"]["srepr"].startswith("ImmutableDenseMatrix")
        assert "\\sigma" in data["result"]["latex"]
    if fmt == "latex":
        assert out.count("\\begin{align*}") == out.count("\\end{align*}") == 1
    if fmt == "python":
        namespace: dict = {}
        exec(compile(out, "<symgeom>", "exec"), namespace)
        matrix = namespace["fisher"](0.0, 2.0)
        assert matrix[0][0] == pytest.approx(0.25) and matrix[1][1] == pytest.approx(0.5)


@derive_available
@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (("kl", "nosuch"), "unknown family 'nosuch'"),
        (("kl", "gaussian", "--param", "nope"), "unknown parameterization 'nope'"),
        (("eval", "kl", "gaussian", "--p", "0", "--q", "1,1"), "takes 2 value(s)"),
        (("eval", "kl", "gaussian", "--p", "0,x", "--q", "1,1"), "comma-separated numbers"),
        (("eval", "kl", "gaussian", "--p", "0,1", "--q", "1,-1"), "--q: sigma_2 must be > 0"),
        (("eval", "kl", "categorical", "--p", "0.4,0.7", "--q", "0.5,0.5"), "sum to 1"),
        (("eval", "kl", "categorical", "--p", "0.4,0.6", "--q", "0.2,0.3,0.5"), "--q has 3"),
        (("eval", "kl", "gaussian", "--p", "0,1"), "needs --q"),
        (("fisher", "categorical", "--k", "0"), "positive integer"),
        (("kl",), "required"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, argv, fragment):
    try:
        code = main(list(argv))
    except SystemExit as exit_:  # argparse's own errors
        code = exit_.code
    _, err = capsys.readouterr()
    assert code == 2
    assert fragment in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_module_help_runs_as_a_subprocess():
    run_ = subprocess.run(
        [sys.executable, "-m", "symgeom", "--help"], capture_output=True, text=True, timeout=120
    )
    assert run_.returncode == 0
    assert "symgeom eval kl categorical --p 0.4,0.6 --q 0.5,0.5" in run_.stdout


@derive_available
def test_verify_one_family(capsys):
    code, out, _ = run(capsys, "verify", "--family", "bernoulli", "--jobs", "1")
    assert code == 0
    assert "bernoulli[prob]" in out and " failed" in out.splitlines()[-2]


@derive_available
def test_verify_unknown_family_is_exit_2(capsys):
    code, _, err = run(capsys, "verify", "--family", "nosuch")
    assert code == 2 and "unknown family 'nosuch'" in err


def test_plot_subcommand_writes_a_figure(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    assert main(["plot", "kl_balls", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "kl_balls.png").stat().st_size > 0


def test_plot_subcommand_rejects_an_unknown_figure(capsys):
    pytest.importorskip("matplotlib")
    assert main(["plot", "nope"]) == 2
    assert "unknown figure 'nope'" in capsys.readouterr().err
