"""Run exported modules as a user pastes them: in a fresh interpreter (-I: no PYTHONPATH, no user
site) where symgeom, SymPy, mpmath, torch and JAX cannot be imported.  Each ``m_*.py`` in a folder is
loaded from its file with its saved inputs ``m_*.npz``; a per-test ``body`` (Python source run for
each module, with ``np``, ``path``, ``module``, ``data`` and the dict ``results`` in scope) evaluates
it, and nothing blocked may be in sys.modules at the end."""

from __future__ import annotations

import pathlib
import subprocess
import sys
import textwrap

import numpy as np

_HEADER = '''
import importlib.abc, importlib.util, pathlib, sys
BLOCKED = ("symgeom", "sympy", "mpmath", "torch", "jax")

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} is not importable here")
        return None

sys.meta_path.insert(0, Block())
import numpy as np
folder = pathlib.Path(sys.argv[1])
results = {}
for path in sorted(folder.glob("m_*.py")):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    data = np.load(folder / (path.stem + ".npz"))
'''

_FOOTER = '''
assert not [m for m in sys.modules if m.split(".")[0] in BLOCKED], "a blocked package was imported"
np.savez(folder / "results.npz", **results)
'''


def run_modules(folder: pathlib.Path, body: str) -> np.lib.npyio.NpzFile:
    """The ``results`` the modules in ``folder`` gave, ``body`` run for each (see the module doc)."""
    source = _HEADER + textwrap.indent(textwrap.dedent(body), " " * 4) + _FOOTER
    run = subprocess.run([sys.executable, "-I", "-c", source, str(folder)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    return np.load(folder / "results.npz")
