"""Cache keys are the same in every process, so a warm run reads what a cold run stored: a
general-size family holds its factor's constructor, whose repr carries a memory address."""

from __future__ import annotations

import os
import subprocess
import sys

from symgeom.cache import stable_key
from symgeom.verification.indexed_product import general_diagonal_families

_KEY_IN_CHILD = (
    "from symgeom.cache import stable_key\n"
    "from symgeom.verification.indexed_product import general_diagonal_families\n"
    "print(stable_key('general-verdict', general_diagonal_families()[0], 'kl'))\n"
)


def test_a_general_size_family_has_the_same_key_in_another_process():
    here = stable_key("general-verdict", general_diagonal_families()[0], "kl")
    child = subprocess.run([sys.executable, "-c", _KEY_IN_CHILD], capture_output=True, text=True,
                           check=True, env={**os.environ, "PYTHONHASHSEED": "random"})
    assert child.stdout.strip() == here


def test_functions_are_keyed_by_name_and_nothing_else_is():
    first, second = general_diagonal_families()[:2]
    assert stable_key(first) != stable_key(second)  # different charts
    # A lambda or bound method is not named by module and qualname alone (its closure or
    # instance is not in the name): it keeps its repr, a miss at worst, never a false hit.
    identity, shifted = (lambda x: x), (lambda x: x + 1)  # both alive: distinct addresses
    assert stable_key(identity) != stable_key(shifted)
    assert stable_key(first.with_param) != stable_key(second.with_param)
