"""The command line under hostile arguments: exit status 0 with output, or 2 with one line on
stderr that names the problem — never a traceback, never a silently dropped field."""

from __future__ import annotations

import contextlib
import io
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symgeom.cli import main

FAMILIES = st.sampled_from(["bernoulli", "categorical", "gaussian", "multivariate_gaussian",
                            "mvn", "normal", "poisson", "", "-x"])
FIELD = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["", " ", "nan", "inf", "-inf", "1e400", "abc", "0x10", "1,", "--1", "-",
                     "0.5", "-1", "1e-320", "١"]),
    st.text(max_size=4),
)
VALUES = st.lists(FIELD, min_size=0, max_size=7).map(",".join)
OPTIONS = st.lists(st.sampled_from([
    ("--param", "logits"), ("--param", "natural"), ("--param", "nope"), ("--k", "3"),
    ("--k", "0"), ("--k", "x"), ("--d", "2"), ("--d", "-1"), ("--covariance", "diagonal"),
    ("--covariance", "weird"),
]), max_size=2)


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exit_:  # argparse's usage errors: status 2, one line
            code = exit_.code
    return code, out.getvalue(), err.getvalue()


@settings(max_examples=60)
@given(quantity=st.sampled_from(["kl", "fisher", "entropy"]), family=FAMILIES,
       p=VALUES, q=st.one_of(st.none(), VALUES), options=OPTIONS)
def test_eval(quantity, family, p, q, options):
    argv = ["eval", quantity, family, "--p", p]
    if q is not None:
        argv += ["--q", q]
    for option in options:
        argv += list(option)
    code, out, err = _run(argv)
    assert code in (0, 2), (argv, code, err)
    if code == 2:
        assert err.strip() and "Traceback" not in err and len(err.strip().splitlines()) == 1
        return
    # Accepted: every field was a finite number, and the printed value is a number (or matrix).
    fields = p.split(",") + (q.split(",") if q is not None else [])
    assert all(f.strip() and math.isfinite(float(f)) for f in fields), (argv, out)
    assert "nan" not in out, (argv, out)


@pytest.mark.parametrize("argv", [
    ["kl", "weibull"], ["fisher", "categorical", "--k", "1"], ["kl", "gaussian", "--route", "x"],
    ["entropy", "mvn", "--d", "0"], ["kl", "categorical", "--k", "1000000000"],
    ["verify", "--family", "nosuch"], ["kl", "gaussian", "--format", "pdf"], [],
    ["eval", "kl", "gaussian"], ["eval", "kl", "gaussian", "--p", "0,1"],
    ["eval", "entropy", "gaussian", "--p", "0,1", "--q", "0,1"],
])
def test_bad_commands_are_one_line_and_status_2(argv):
    code, _, err = _run(argv)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
