"""Where an array computation runs, for the choices that depend on it (blocking, compiling).

JAX: the printed forms and the fused softmax KL are split into ``lax.map`` blocks of rows on a
CPU, where a block's intermediates stay in cache (2-core CPU, 4 096 × 32 000 float32: 0.23 s
blocked, 2.55 s unblocked).  On a GPU the same blocking serializes the batch into hundreds of
sequential steps (H100, 4 096 × 32 000: 16.7 ms blocked where distrax's formula takes 1.4 ms):
there every pass is one fused kernel over the whole batch, so nothing is blocked.
"""

from __future__ import annotations

from typing import Any

Array = Any


def jax_blocks(*arrays: Array) -> bool:
    """Whether a JAX evaluation of ``arrays`` is split into blocks: only on the CPU.

    Concrete arrays answer with their own devices; tracers (under ``jit``/``vmap``), which have
    none, with the default backend, where the compiled function runs unless placed elsewhere.
    """
    import jax

    platforms = set()
    for a in arrays:
        if isinstance(a, jax.core.Tracer) or not hasattr(a, "devices"):
            continue
        try:
            platforms |= {d.platform for d in a.devices()}
        except (AttributeError, RuntimeError):  # a deleted or not yet placed array
            continue
    if not platforms:
        platforms = {jax.default_backend()}
    return platforms == {"cpu"}
