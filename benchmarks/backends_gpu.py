"""KL on a CUDA GPU: symgeom torch vs torch.distributions, symgeom JAX (jit) vs distrax's formula (jit).

Issue 13's bars, measured on the device where one is lent (``device`` tool); skipped without CUDA.

Speed (medians of repeated calls, interleaved round by round, each timed between device
synchronizations: ``torch.cuda.synchronize()`` / ``block_until_ready``):

* Gaussian KL of N pairs (float32 and float64): ``sg.kl(sg.Gaussian()).torch()`` vs
  ``kl_divergence(Normal, Normal)``, forward and forward + backward; ``.jax()`` under ``jax.jit``
  vs distrax's Normal–Normal formula under ``jax.jit``; each against the read-once floor (one
  reduction over every input, the least any KL must do).
* Categorical logits KL of (rows, k) float32 logits: ``symgeom.torch.CategoricalLogits(k).kl``
  vs ``kl_divergence(Categorical(logits=…), …)`` (forward; forward + backward in z₂), and
  ``symgeom.jax.CategoricalLogits(k).kl`` under ``jax.jit`` vs Σ softmax(z₁)(log_softmax z₁ −
  log_softmax z₂) under ``jax.jit``.

Accuracy on the device: Categorical logits with one logit moved by ~1e-6 at (rows, k) and at
(rows_128k, 128 000) in float32 — max relative error and negatives against symgeom's float64 head on
the same device, itself compared on a slice with the float64 NumPy kernel (checked to 1e-12 against
50-digit mpmath in tests/) — and bfloat16 (first logit moved by one bfloat16 ulp).

Usage: python benchmarks/backends_gpu.py [N_gaussian] [rows] [k] [repeats] [rows_128k]
"""

from __future__ import annotations

import os
import statistics
import sys
import time

import numpy as np
import torch

import symgeom as sg
import symgeom.torch as st
from symgeom.backends.ops import jax_ops, torch_ops
from symgeom.numeric import categorical_logits

#: ``cuda`` (the benchmark); ``SYMGEOM_BENCH_DEVICE=cpu`` runs the same code on the CPU (a dry run).
DEVICE = os.environ.get("SYMGEOM_BENCH_DEVICE", "cuda")


def _sync(out) -> None:
    if hasattr(out, "block_until_ready"):
        out.block_until_ready()
    elif isinstance(out, (list, tuple)):
        for x in out:
            _sync(x)
    if DEVICE == "cuda":
        torch.cuda.synchronize()


def median_times(functions: dict, repeats: int) -> dict[str, float]:
    """Median seconds per function (interleaved rounds, two warm-up calls each, synchronized)."""
    for function in functions.values():
        _sync(function())
        _sync(function())
    times: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            _sync(None)
            start = time.perf_counter()
            _sync(function())
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def report(title: str, times: dict[str, float], ratios: dict[str, tuple[str, str]]) -> None:
    print(f"\n{title}")
    for name, value in times.items():
        print(f"  {name:40s} {value * 1e3:9.3f} ms")
    for name, (a, b) in ratios.items():
        print(f"  ratio {name:64s} {times[a] / times[b]:7.2f}")


def _device_name() -> str:
    return torch.cuda.get_device_name() if DEVICE == "cuda" else DEVICE


def gaussian_torch(n: int, repeats: int, dtype: torch.dtype) -> None:
    gen = torch.Generator(device=DEVICE).manual_seed(0)
    mu1 = torch.randn(n, device=DEVICE, dtype=dtype, generator=gen)
    mu2 = torch.randn(n, device=DEVICE, dtype=dtype, generator=gen)
    s1 = 0.5 + 1.5 * torch.rand(n, device=DEVICE, dtype=dtype, generator=gen)
    s2 = 0.5 + 1.5 * torch.rand(n, device=DEVICE, dtype=dtype, generator=gen)
    t = [mu1, s1, mu2, s2]
    tracked = [x.clone().requires_grad_(True) for x in t]
    ours = sg.kl(sg.Gaussian()).torch()
    loose = sg.kl(sg.Gaussian()).torch(validate=False)
    normal = torch.distributions.Normal

    def peer(args):
        p = normal(args[0], args[1], validate_args=False)
        q = normal(args[2], args[3], validate_args=False)
        return torch.distributions.kl_divergence(p, q)

    def backward(function):
        return lambda: torch.autograd.grad(function().sum(), tracked)

    times = median_times({
        "symgeom torch (validated)": lambda: ours(*t),
        "symgeom torch (validate=False)": lambda: loose(*t),
        "symgeom torch, forward+backward": backward(lambda: ours(*tracked)),
        "torch.distributions": lambda: peer(t),
        "torch.distributions, forward+backward": backward(lambda: peer(tracked)),
        "read-once floor": lambda: [x.sum() for x in t],
    }, repeats)
    report(f"Gaussian KL on {_device_name()}, N = {n:,} pairs, torch {dtype}", times, {
        "symgeom torch / torch.distributions": ("symgeom torch (validated)", "torch.distributions"),
        "symgeom torch (validate=False) / torch.distributions": (
            "symgeom torch (validate=False)", "torch.distributions"),
        "symgeom fwd+bwd / torch.distributions fwd+bwd": (
            "symgeom torch, forward+backward", "torch.distributions, forward+backward"),
        "symgeom torch / read-once floor": ("symgeom torch (validated)", "read-once floor"),
        "torch.distributions / read-once floor": ("torch.distributions", "read-once floor"),
    })


def gaussian_jax(n: int, repeats: int) -> None:
    import jax
    import jax.numpy as jnp

    rng = np.random.default_rng(0)
    j = [jax.device_put(jnp.asarray(x, dtype=jnp.float32)) for x in (
        rng.normal(size=n), rng.uniform(0.5, 2, size=n), rng.normal(size=n), rng.uniform(0.5, 2, size=n))]
    ours = jax.jit(sg.kl(sg.Gaussian()).jax())
    loose = jax.jit(sg.kl(sg.Gaussian()).jax(validate=False))

    @jax.jit
    def distrax_formula(m1, a, m2, b):
        diff_log_scale = jnp.log(a) - jnp.log(b)
        return 0.5 * jnp.square((m1 - m2) / b) + 0.5 * jnp.expm1(2 * diff_log_scale) - diff_log_scale

    floor = jax.jit(lambda *x: [jnp.sum(y) for y in x])
    times = median_times({
        "symgeom jax (jit)": lambda: ours(*j),
        "symgeom jax (jit, validate=False)": lambda: loose(*j),
        "distrax formula (jit)": lambda: distrax_formula(*j),
        "jax read-once floor (jit)": lambda: floor(*j),
    }, repeats)
    report(f"Gaussian KL, JAX on {j[0].devices()}, N = {n:,}, {j[0].dtype}", times, {
        "symgeom jax / distrax formula (jit)": ("symgeom jax (jit)", "distrax formula (jit)"),
        "symgeom jax (validate=False) / distrax formula": (
            "symgeom jax (jit, validate=False)", "distrax formula (jit)"),
        "symgeom jax / jax read-once floor": ("symgeom jax (jit)", "jax read-once floor (jit)"),
    })


def categorical_torch(rows: int, k: int, repeats: int) -> None:
    gen = torch.Generator(device=DEVICE).manual_seed(0)
    z1 = torch.randn(rows, k, device=DEVICE, generator=gen)
    z2 = z1 + 0.1 * torch.randn(rows, k, device=DEVICE, generator=gen)
    z2_tracked = z2.clone().requires_grad_(True)
    head = st.CategoricalLogits(k)
    ops = torch_ops()
    cat = torch.distributions.Categorical

    def peer(b):
        p, q = cat(logits=z1, validate_args=False), cat(logits=b, validate_args=False)
        return torch.distributions.kl_divergence(p, q)

    times = median_times({
        "symgeom torch head": lambda: head.kl(ops, (z1,), (z2,)),
        "symgeom torch head, forward+backward": lambda: torch.autograd.grad(
            head.kl(ops, (z1,), (z2_tracked,)).sum(), z2_tracked),
        "torch.distributions": lambda: peer(z2),
        "torch.distributions, forward+backward": lambda: torch.autograd.grad(
            peer(z2_tracked).sum(), z2_tracked),
        "read-once floor": lambda: (z1.sum(), z2.sum()),
    }, repeats)
    report(f"Categorical logits KL on {_device_name()}, ({rows:,} × {k:,}) float32", times, {
        "symgeom torch / torch.distributions": ("symgeom torch head", "torch.distributions"),
        "symgeom fwd+bwd / torch.distributions fwd+bwd": (
            "symgeom torch head, forward+backward", "torch.distributions, forward+backward"),
        "symgeom torch / read-once floor": ("symgeom torch head", "read-once floor"),
        "torch.distributions / read-once floor": ("torch.distributions", "read-once floor"),
    })


def categorical_jax(rows: int, k: int, repeats: int) -> None:
    import jax
    import jax.numpy as jnp

    key1, key2 = jax.random.split(jax.random.PRNGKey(0))
    j1 = jax.random.normal(key1, (rows, k), dtype=jnp.float32)
    j2 = j1 + 0.1 * jax.random.normal(key2, (rows, k), dtype=jnp.float32)
    head = st.CategoricalLogits(k)
    ours = jax.jit(lambda a, b: head.kl(jax_ops(), (a,), (b,)))

    @jax.jit
    def distrax_formula(a, b):
        la, lb = jax.nn.log_softmax(a, axis=-1), jax.nn.log_softmax(b, axis=-1)
        return jnp.sum(jnp.exp(la) * (la - lb), axis=-1)

    floor = jax.jit(lambda a, b: (jnp.sum(a), jnp.sum(b)))
    times = median_times({
        "symgeom jax head (jit)": lambda: ours(j1, j2),
        "distrax formula (jit)": lambda: distrax_formula(j1, j2),
        "jax read-once floor (jit)": lambda: floor(j1, j2),
    }, repeats)
    report(f"Categorical logits KL, JAX on {j1.devices()}, ({rows:,} × {k:,}) float32", times, {
        "symgeom jax / distrax formula (jit)": ("symgeom jax head (jit)", "distrax formula (jit)"),
        "symgeom jax / jax read-once floor": ("symgeom jax head (jit)", "jax read-once floor (jit)"),
    })


def _rel(values: torch.Tensor, ref: torch.Tensor) -> tuple[float, int]:
    values = values.double()
    return float(((values - ref).abs() / ref).max()), int((values < 0).sum())


def _float64_reference(head, z1: torch.Tensor, z2: torch.Tensor, chunk: int = 256) -> torch.Tensor:
    """symgeom's float64 head on the device, a chunk of rows at a time (float64 temporaries of
    4 096 × 128 000 would take tens of GB)."""
    ops = torch_ops()
    return torch.cat([head.kl(ops, (z1[i:i + chunk].double(),), (z2[i:i + chunk].double(),))
                      for i in range(0, z1.shape[0], chunk)])


def categorical_accuracy(rows: int, k: int) -> None:
    gen = torch.Generator(device=DEVICE).manual_seed(1)
    z1 = torch.randn(rows, k, device=DEVICE, generator=gen)
    z2 = z1.clone()
    z2[:, 0] += 1e-6 * torch.clamp(z2[:, 0].abs(), min=1)
    ops = torch_ops()
    head = st.CategoricalLogits(k)
    ref = _float64_reference(head, z1, z2)
    # The float64 device reference against the float64 NumPy kernel on a slice of rows.
    sl = slice(0, min(rows, 16))
    host = categorical_logits(z1[sl].double().cpu().numpy(), z2[sl].double().cpu().numpy())
    check = float(np.max(np.abs(ref[sl].cpu().numpy() - host) / host))
    out = head.kl(ops, (z1,), (z2,))
    peer = torch.distributions.kl_divergence(
        torch.distributions.Categorical(logits=z1), torch.distributions.Categorical(logits=z2))
    print(f"\nCategorical logits near p = q on {DEVICE}, ({rows:,} × {k:,}), one logit moved by ~1e-6"
          f" (float64 device reference vs float64 NumPy kernel: {check:.1e})")
    for name, values in (("symgeom torch float32", out), ("torch.distributions float32", peer)):
        err, neg = _rel(values, ref)
        print(f"  {name:34s} max rel. error {err:9.2e}, negative in {neg} of {rows}")
    try:
        import jax
        import jax.numpy as jnp

        jax_kl = jax.jit(lambda a, b: head.kl(jax_ops(), (a,), (b,)))
        out_j = jax_kl(jnp.asarray(z1.cpu().numpy()), jnp.asarray(z2.cpu().numpy()))
        err, neg = _rel(torch.as_tensor(np.asarray(out_j), device=DEVICE), ref)
        print(f"  {'symgeom jax float32 (jit)':34s} max rel. error {err:9.2e}, negative in {neg} of {rows}")
    except ImportError:
        pass
    b1 = z1.to(torch.bfloat16)
    b2 = b1.clone()
    b2[:, 0] = (b1[:, 0].float() * (1 + 2**-7)).to(torch.bfloat16)
    ref_b = _float64_reference(head, b1, b2)
    keep = ref_b > 0
    out_b = head.kl(ops, (b1,), (b2,))
    err, neg = _rel(out_b[keep], ref_b[keep])
    print(f"  {'symgeom torch bfloat16':34s} max rel. error {err:9.2e} (bfloat16 ulp 7.8e-3), negative in"
          f" {neg}; {int((~keep).sum())} rows equal after rounding")


def main() -> None:
    if DEVICE == "cuda" and not torch.cuda.is_available():
        print("no CUDA device: nothing to measure")
        return
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 4096
    k = int(sys.argv[3]) if len(sys.argv) > 3 else 32_000
    repeats = int(sys.argv[4]) if len(sys.argv) > 4 else 20
    rows_128k = int(sys.argv[5]) if len(sys.argv) > 5 else rows
    print(f"torch {torch.__version__}, {_device_name()}")
    for dtype in (torch.float32, torch.float64):
        gaussian_torch(n, repeats, dtype)
    categorical_torch(rows, k, repeats)
    try:
        import jax

        print(f"jax {jax.__version__}, devices {jax.devices()}")
        gaussian_jax(n, repeats)
        categorical_jax(rows, k, repeats)
    except ImportError:
        print("jax is not installed: JAX part skipped")
    categorical_accuracy(rows, k)
    categorical_accuracy(rows_128k, 128_000)


if __name__ == "__main__":
    main()
