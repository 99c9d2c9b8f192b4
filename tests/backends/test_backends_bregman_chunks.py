"""The Bregman remainder evaluated chunk by chunk (symgeom.backends.bregman.CHUNK) equals the
one-chunk evaluation: values (torch, NumPy through the Array API path) and torch gradients, for
a broadcast batch whose last chunk is partial and whose pairs take every branch (independent
pairs: direct form; near pairs 1e-8 … 1e-14: the 2- and 48-node remainders)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("array_api_compat")

sys.path.insert(0, str(Path(__file__).parent))
from bregman_cases import columns, pairs  # noqa: E402

import symgeom as sg  # noqa: E402
from symgeom.backends import bregman  # noqa: E402

FAMILIES = [sg.Gamma(), sg.Beta()]


def _batch(family):
    """The 32 pairs of bregman_cases side by side, θ₁ of shape (1, 32) against θ₂ of shape
    (3, 32) (θ₂, θ₂ moved by 1e-9, θ₂): a (3, 32) batch with θ₁ broadcast."""
    points = pairs(family)
    first = columns([p for p, _ in points])
    second = columns([q for _, q in points])
    return [a[None, :] for a in first] + [np.stack([b, b * (1 + 1e-9), b]) for b in second]


@pytest.mark.parametrize("family", FAMILIES, ids=[f.label for f in FAMILIES])
def test_chunks_equal_one_chunk(family, monkeypatch):
    arrays = _batch(family)
    kl_torch, kl_numpy = sg.kl(family).torch(), sg.kl(family).array_api()
    tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    whole = kl_torch(*tensors)
    whole_grad = torch.autograd.grad(whole.sum(), tensors)
    whole_numpy = kl_numpy(*arrays)
    monkeypatch.setattr(bregman, "CHUNK", 7)  # 96 entries: 14 chunks, the last of 5
    chunked = kl_torch(*tensors)
    assert chunked.shape == whole.shape == (3, len(arrays[0][0]))
    np.testing.assert_array_equal(chunked.detach().numpy(), whole.detach().numpy())
    for g, r in zip(torch.autograd.grad(chunked.sum(), tensors), whole_grad, strict=True):
        assert g.shape == r.shape
        np.testing.assert_array_equal(g.numpy(), r.numpy())
    np.testing.assert_array_equal(np.asarray(kl_numpy(*arrays)), np.asarray(whole_numpy))
