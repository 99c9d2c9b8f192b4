"""The disk cache cannot lie: every entry carries a SHA-256 of its content; a corrupted, truncated
or altered file is recomputed and overwritten, never loaded and never a crash."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import sympy as sp

import symgeom as sg
from symgeom import cache
from symgeom.verification.identity import PROVED


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("SYMGEOM_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("SYMGEOM_CACHE", "1")
    cache.clear_memory()
    yield tmp_path
    cache.clear_memory()


def _corruptions(data: bytes) -> list[bytes]:
    middle = len(data) // 2
    flipped = data[:middle] + bytes([data[middle] ^ 0x40]) + data[middle + 1 :]
    return [
        flipped,
        data[: len(data) // 3],  # truncated
        b"",  # empty
        b"\x80\x05\x95" + b"\xff" * 64,  # a pickle header, then garbage (the reported crashes)
        pickle.dumps(sp.Integer(42)),  # a valid pickle without the checksum
    ]


def test_every_corrupted_entry_is_recomputed(fresh_cache):
    family = sg.Bernoulli()
    first = sg.verify(family)
    assert first and all(row.verdict.status == PROVED for row in first)
    files = sorted(fresh_cache.rglob("*.pickle"))
    assert files
    originals = {f: f.read_bytes() for f in files}
    for kind in range(len(_corruptions(b"x" * 100))):
        for f, data in originals.items():
            f.write_bytes(_corruptions(data)[kind])
        cache.clear_memory()
        again = sg.verify(family)
        assert [r.verdict.status for r in again] == [r.verdict.status for r in first]
        for f in files:  # overwritten with a valid entry
            assert cache._load(f) is not None, (kind, f.name)


def test_an_altered_payload_with_a_stale_checksum_is_not_loaded(fresh_cache):
    path = fresh_cache / "entry.pickle"
    cache._store(path, sp.Symbol("x") + 1)
    assert cache._load(path) == sp.Symbol("x") + 1
    data = path.read_bytes()
    header = len(cache._MAGIC) + 32
    path.write_bytes(data[:header] + pickle.dumps(sp.Symbol("x") + 2))
    assert cache._load(path) is None
