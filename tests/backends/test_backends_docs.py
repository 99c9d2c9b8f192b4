"""Every ```python block of docs/backends.md runs as written, each in a fresh namespace (slow: the
default run runs the page's blocks in one namespace in tests/test_docs_examples.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("jax")
pytest.importorskip("array_api_compat")

DOC = Path(__file__).parents[2] / "docs" / "backends.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def test_doc_has_the_training_examples():
    text = "\n".join(BLOCKS)
    assert "trpo_step" in text and "ppo_clip_loss" in text and "symgeom.jax" in text


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_doc_block_runs(index):
    """Each block on its own, in a fresh namespace.  Slow: the default run already executes every
    block of this page, in order, through tests/test_docs_examples.py (the JAX block's compilations,
    ~20 s of CPU, are the same in both)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # see the note in the page: no oversubscription on shared cores
    try:
        exec(compile(BLOCKS[index], f"{DOC.name}[block {index}]", "exec"), {"__name__": "__doc_block__"})
    finally:
        torch.set_num_threads(threads)
