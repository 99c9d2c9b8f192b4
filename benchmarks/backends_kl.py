"""KL on torch and JAX: symgeom vs torch.distributions / a plain jitted JAX formula, and accuracy.

Speed (medians of repeated calls, interleaved round by round, all in one run on one machine):
* Gaussian KL of N pairs: ``sg.kl(sg.Gaussian()).torch()`` vs
  ``torch.distributions.kl_divergence(Normal, Normal)``; ``.jax()`` under ``jax.jit`` vs the
  textbook formula under ``jax.jit`` and vs distrax's Normal–Normal formula
  ½((μ₁−μ₂)/σ₂)² + ½·expm1(2(log σ₁ − log σ₂)) − (log σ₁ − log σ₂) written out under ``jax.jit``
  (distrax itself is not usable with jax 0.10: its TFP substrate fails to import); each against
  the read-once floor (one reduction over every input).  Without autograd, eager CPU torch calls
  run symgeom's NumPy kernel on the tensors' memory (:mod:`symgeom.backends.numpy_route`); with
  inputs that require grad the forward pass is the same kernel and the backward pass the torch
  primitives' derivatives (:mod:`symgeom.backends.fast_grad`): forward alone and forward +
  backward are timed against ``torch.distributions`` with the same inputs.
* Categorical logits KL of (rows, k) float32 logits: the any-k head
  ``symgeom.torch.CategoricalLogits(k).kl`` vs ``kl_divergence(Categorical(logits=…), …)``, and
  ``symgeom.jax.CategoricalLogits(k).kl`` under ``jax.jit`` vs Σ softmax(z₁)(log_softmax z₁ −
  log_softmax z₂) under ``jax.jit`` (distrax's formula); both symgeom paths are the fused row
  form of :mod:`symgeom.backends.softmax_kl` (NumPy blocks on CPU torch, XLA fusions in JAX).
Accuracy near p ≈ q (one logit moved by 1e-6 / σ and μ moved by 1e-6 relative): max relative error
and number of negative values against float64 references (symgeom's NumPy kernels in float64,
themselves checked to 1e-12 against 50-digit mpmath), in float32 and bfloat16, and the float32
errors next to those of symgeom's NumPy float32 kernels on the same inputs.

Each part runs in a process of its own (torch speed, JAX speed, accuracy), one after the other:
the JAX timings are then not taken in a process where torch has run (its thread pool, gigabytes
of freed tensors), and no part's memory state leaks into the next.  Ratios compare timings of one
part, whose functions are interleaved round by round.

Usage: python benchmarks/backends_kl.py [N_gaussian] [rows] [k] [repeats] [torch_threads] [rows_128k]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

import numpy as np

import symgeom as sg
from symgeom.numeric import categorical_logits, gaussian_mean_std


def _run(function):
    out = function()
    if hasattr(out, "block_until_ready"):
        out.block_until_ready()


def median_times(functions: dict, repeats: int) -> dict[str, float]:
    """Median seconds per function, the functions interleaved round by round (so a change of the
    shared machine's load during the run falls on all of them alike); one warm-up call each."""
    for function in functions.values():
        _run(function)
    times: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            start = time.perf_counter()
            _run(function)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def _gaussian_inputs(n: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(0)
    mu1, mu2 = rng.normal(size=n), rng.normal(size=n)
    s1, s2 = rng.uniform(0.5, 2, size=n), rng.uniform(0.5, 2, size=n)
    return mu1, s1, mu2, s2


def _report(title: str, times: dict[str, float], ratios: dict[str, tuple[str, str]]) -> None:
    print(title)
    for name, value in times.items():
        print(f"  {name:32s} {value * 1e3:9.2f} ms")
    for name, (a, b) in ratios.items():
        print(f"  ratio {name:64s} {times[a] / times[b]:7.2f}")


def gaussian_speed_torch(n: int, repeats: int) -> None:
    import torch

    t = [torch.as_tensor(x) for x in _gaussian_inputs(n)]
    ours = sg.kl(sg.Gaussian()).torch()
    ours_loose = sg.kl(sg.Gaussian()).torch(validate=False)
    normal = torch.distributions.Normal

    def peer():
        p = normal(t[0], t[1], validate_args=False)
        q = normal(t[2], t[3], validate_args=False)
        return torch.distributions.kl_divergence(p, q)

    def floor():
        return [x.sum() for x in t]

    tracked = [x.clone().requires_grad_(True) for x in t]

    def peer_tracked():
        p = normal(tracked[0], tracked[1], validate_args=False)
        q = normal(tracked[2], tracked[3], validate_args=False)
        return torch.distributions.kl_divergence(p, q)

    def backward(function):
        return lambda: torch.autograd.grad(function().sum(), tracked)

    times = median_times({
        "symgeom torch (validated)": lambda: ours(*t),
        "symgeom torch (validate=False)": lambda: ours_loose(*t),
        "symgeom torch, requires_grad": lambda: ours(*tracked),
        "symgeom torch, forward+backward": backward(lambda: ours(*tracked)),
        "torch.distributions": peer,
        "torch.distributions, requires_grad": peer_tracked,
        "torch.distributions, fwd+bwd": backward(peer_tracked),
        "read-once floor": floor,
    }, repeats)
    title = f"\nGaussian KL, N = {n:,} pairs (torch float64), {torch.get_num_threads()} torch threads"
    _report(title, times, {
        "symgeom torch / torch.distributions": ("symgeom torch (validated)", "torch.distributions"),
        "symgeom torch (validate=False) / torch.distributions": (
            "symgeom torch (validate=False)", "torch.distributions"),
        "symgeom torch requires_grad / torch.distributions (same inputs)": (
            "symgeom torch, requires_grad", "torch.distributions, requires_grad"),
        "symgeom torch fwd+bwd / torch.distributions fwd+bwd": (
            "symgeom torch, forward+backward", "torch.distributions, fwd+bwd"),
        "symgeom torch / read-once floor": ("symgeom torch (validated)", "read-once floor"),
        "torch.distributions / read-once floor": ("torch.distributions", "read-once floor"),
    })


def gaussian_speed_jax(n: int, repeats: int) -> None:
    import jax
    import jax.numpy as jnp

    j = [jnp.asarray(x) for x in _gaussian_inputs(n)]
    ours_jax = jax.jit(sg.kl(sg.Gaussian()).jax())

    @jax.jit
    def plain(m1, a, m2, b):
        return jnp.log(b / a) + (a**2 + (m1 - m2) ** 2) / (2 * b**2) - 0.5

    @jax.jit
    def distrax_formula(m1, a, m2, b):
        diff_log_scale = jnp.log(a) - jnp.log(b)
        return 0.5 * jnp.square((m1 - m2) / b) + 0.5 * jnp.expm1(2 * diff_log_scale) - diff_log_scale

    floor_jax = jax.jit(lambda *x: [jnp.sum(y) for y in x])
    loose_jax = jax.jit(sg.kl(sg.Gaussian()).jax(validate=False))
    times = median_times({
        "symgeom jax (jit)": lambda: ours_jax(*j),
        "symgeom jax (jit, validate=False)": lambda: loose_jax(*j),
        "plain jax formula (jit)": lambda: plain(*j),
        "distrax formula (jit)": lambda: distrax_formula(*j),
        "jax read-once floor (jit)": lambda: floor_jax(*j)[0],
    }, repeats)
    _report(f"\nGaussian KL, N = {n:,} pairs (jax {j[0].dtype})", times, {
        "symgeom jax / plain jax (jit)": ("symgeom jax (jit)", "plain jax formula (jit)"),
        "symgeom jax (validate=False) / plain jax (jit)": (
            "symgeom jax (jit, validate=False)", "plain jax formula (jit)"),
        "symgeom jax / distrax formula (jit)": ("symgeom jax (jit)", "distrax formula (jit)"),
        "symgeom jax (validate=False) / distrax formula (jit)": (
            "symgeom jax (jit, validate=False)", "distrax formula (jit)"),
        "symgeom jax / jax read-once floor": ("symgeom jax (jit)", "jax read-once floor (jit)"),
    })


def _logits(rows: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    z1 = rng.standard_normal((rows, k), dtype=np.float32)
    return z1, z1 + np.float32(0.1) * rng.standard_normal((rows, k), dtype=np.float32)


def categorical_speed_torch(rows: int, k: int, repeats: int) -> None:
    import torch

    import symgeom.torch as st
    from symgeom.backends.ops import torch_ops

    z1, z2 = (torch.from_numpy(z) for z in _logits(rows, k))
    head = st.CategoricalLogits(k)
    ops = torch_ops()
    cat = torch.distributions.Categorical

    def peer():
        p, q = cat(logits=z1, validate_args=False), cat(logits=z2, validate_args=False)
        return torch.distributions.kl_divergence(p, q)

    z2_tracked = z2.clone().requires_grad_(True)

    def peer_tracked():
        p, q = cat(logits=z1, validate_args=False), cat(logits=z2_tracked, validate_args=False)
        return torch.distributions.kl_divergence(p, q)

    times = median_times({
        "symgeom torch head": lambda: head.kl(ops, (z1,), (z2,)),
        "symgeom torch head, requires_grad": lambda: head.kl(ops, (z1,), (z2_tracked,)),
        "torch.distributions": peer,
        "torch.distributions, requires_grad": peer_tracked,
        "read-once floor": lambda: (z1.sum(), z2.sum()),
    }, repeats)
    _report(f"\nCategorical logits KL, ({rows:,} × {k:,}) float32, {torch.get_num_threads()} torch threads",
            times, {
        "symgeom torch / torch.distributions": ("symgeom torch head", "torch.distributions"),
        "symgeom torch requires_grad / torch.distributions (same inputs)": (
            "symgeom torch head, requires_grad", "torch.distributions, requires_grad"),
        "symgeom torch / read-once floor": ("symgeom torch head", "read-once floor"),
        "torch.distributions / read-once floor": ("torch.distributions", "read-once floor"),
    })


def categorical_speed_jax(rows: int, k: int, repeats: int) -> None:
    import jax
    import jax.numpy as jnp

    import symgeom.jax as sj
    from symgeom.backends.ops import jax_ops

    j1, j2 = (jnp.asarray(z) for z in _logits(rows, k))
    head = sj.CategoricalLogits(k)
    jops = jax_ops()
    ours_jax = jax.jit(lambda a, b: head.kl(jops, (a,), (b,)))

    @jax.jit
    def distrax_formula(a, b):
        la, lb = jax.nn.log_softmax(a, axis=-1), jax.nn.log_softmax(b, axis=-1)
        return jnp.sum(jnp.exp(la) * (la - lb), axis=-1)

    floor_jax = jax.jit(lambda a, b: (jnp.sum(a), jnp.sum(b)))
    times = median_times({
        "symgeom jax head (jit)": lambda: ours_jax(j1, j2),
        "distrax formula (jit)": lambda: distrax_formula(j1, j2),
        "jax read-once floor (jit)": lambda: floor_jax(j1, j2)[0],
    }, repeats)
    _report(f"\nCategorical logits KL, ({rows:,} × {k:,}) float32, JAX", times, {
        "symgeom jax / distrax formula (jit)": ("symgeom jax head (jit)", "distrax formula (jit)"),
        "symgeom jax / jax read-once floor": ("symgeom jax head (jit)", "jax read-once floor (jit)"),
    })


def _rel(values: np.ndarray, ref: np.ndarray) -> tuple[float, int]:
    values = np.asarray(values, dtype=np.float64)
    return float(np.max(np.abs(values - ref) / ref)), int(np.sum(values < 0))


def categorical_accuracy(rows: int, k: int) -> None:
    import jax
    import jax.numpy as jnp
    import torch

    import symgeom.torch as st
    from symgeom.backends.ops import jax_ops, torch_ops

    rng = np.random.default_rng(1)
    z1 = rng.normal(size=(rows, k)).astype(np.float32)
    z2 = z1.copy()
    z2[:, 0] += np.float32(1e-6) * np.maximum(1, np.abs(z2[:, 0]))
    z2 = z2.astype(np.float32)
    ref = categorical_logits(z1.astype(np.float64), z2.astype(np.float64))
    ops = torch_ops()
    head = st.CategoricalLogits(k)
    t1, t2 = torch.as_tensor(z1), torch.as_tensor(z2)
    ours = head.kl(ops, (t1,), (t2,)).numpy()
    tracked = head.kl(ops, (t1,), (t2.clone().requires_grad_(True),)).detach().numpy()
    jax_kl = jax.jit(lambda a, b: head.kl(jax_ops(), (a,), (b,)))
    jax_out = np.asarray(jax_kl(jnp.asarray(z1), jnp.asarray(z2)))
    peer = torch.distributions.kl_divergence(
        torch.distributions.Categorical(logits=t1), torch.distributions.Categorical(logits=t2)
    ).numpy()
    numpy32 = categorical_logits(z1, z2)
    print(f"\nCategorical logits near p = q, ({rows:,} × {k:,}), one logit moved by ~1e-6")
    for name, values in (("symgeom torch float32", ours), ("symgeom torch float32 (autograd)", tracked),
                         ("symgeom jax float32 (jit)", jax_out),
                         ("symgeom.numeric float32 (log-softmax)", numpy32),
                         ("torch.distributions float32", peer)):
        err, neg = _rel(values, ref)
        print(f"  {name:34s} max rel. error {err:9.2e}, negative in {neg} of {rows}")
    # A 1e-6 move vanishes in bfloat16 (8 bits): move the first logit by one bfloat16 ulp instead.
    b1 = t1.to(torch.bfloat16)
    b2 = b1.clone()
    b2[:, 0] = (b1[:, 0].float() * (1 + 2**-7)).to(torch.bfloat16)
    ref_b = categorical_logits(b1.double().numpy(), b2.double().numpy())
    keep = ref_b > 0
    out_b = head.kl(ops, (b1,), (b2,)).double().numpy()
    jb = [jnp.asarray(b.float().numpy(), dtype=jnp.bfloat16) for b in (b1, b2)]
    out_jb = np.asarray(jax_kl(*jb), dtype=np.float64)
    for name, values in (("symgeom torch bfloat16", out_b), ("symgeom jax bfloat16 (jit)", out_jb)):
        err, neg = _rel(values[keep], ref_b[keep])
        print(f"  {name:34s} max rel. error {err:9.2e} (bfloat16 ulp 7.8e-3),"
              f" negative in {neg}; {int((~keep).sum())} rows equal after rounding to bfloat16")


def gaussian_accuracy(n: int) -> None:
    import jax
    import jax.numpy as jnp
    import torch

    rng = np.random.default_rng(2)
    mu1 = rng.normal(size=n).astype(np.float32)
    s1 = rng.uniform(0.5, 2, size=n).astype(np.float32)
    mu2 = (mu1 * (1 + np.float32(1e-6))).astype(np.float32)
    s2 = (s1 * (1 + np.float32(1e-6) * np.sign(rng.normal(size=n)))).astype(np.float32)
    args64 = [x.astype(np.float64) for x in (mu1, s1, mu2, s2)]
    ref = gaussian_mean_std(*args64)
    keep = ref > 0
    t = [torch.as_tensor(x) for x in (mu1, s1, mu2, s2)]
    ours = sg.kl(sg.Gaussian()).torch()(*t).numpy()
    tracked = sg.kl(sg.Gaussian()).torch()(*t[:3], t[3].clone().requires_grad_(True)).detach().numpy()
    normal = torch.distributions.Normal
    peer = torch.distributions.kl_divergence(normal(torch.as_tensor(mu1), torch.as_tensor(s1)),
                                             normal(torch.as_tensor(mu2), torch.as_tensor(s2))).numpy()
    jax_out = np.asarray(jax.jit(sg.kl(sg.Gaussian()).jax())(*[jnp.asarray(x) for x in (mu1, s1, mu2, s2)]))
    numpy32 = gaussian_mean_std(mu1, s1, mu2, s2)
    print(f"\nGaussian near p = q (float32, μ and σ moved by ~1e-6 relative), N = {int(keep.sum()):,}")
    for name, values in (("symgeom torch float32", ours), ("symgeom torch float32 (autograd)", tracked),
                         ("symgeom jax float32", jax_out),
                         ("symgeom NumPy float32", numpy32), ("torch.distributions float32", peer)):
        err, neg = _rel(values[keep], ref[keep])
        print(f"  {name:34s} max rel. error {err:9.2e}, negative in {neg}")


PARTS = ("gaussian-torch", "gaussian-jax", "categorical-torch", "categorical-jax", "accuracy")


def run_part(part: str, argv: list[str]) -> None:
    n = int(argv[0]) if len(argv) > 0 else 1_000_000
    rows = int(argv[1]) if len(argv) > 1 else 256
    k = int(argv[2]) if len(argv) > 2 else 32_000
    repeats = int(argv[3]) if len(argv) > 3 else 7
    rows_128k = int(argv[5]) if len(argv) > 5 else max(1, rows // 4)
    if part.endswith("torch") or part == "accuracy":
        import torch

        if len(argv) > 4:
            torch.set_num_threads(int(argv[4]))
    if part == "gaussian-torch":
        gaussian_speed_torch(n, repeats)
    elif part == "gaussian-jax":
        gaussian_speed_jax(n, repeats)
    elif part == "categorical-torch":
        categorical_speed_torch(rows, k, repeats)
    elif part == "categorical-jax":
        categorical_speed_jax(rows, k, repeats)
    else:
        categorical_accuracy(rows, k)
        categorical_accuracy(rows_128k, 128_000)
        gaussian_accuracy(100_000)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--part":
        run_part(sys.argv[2], sys.argv[3:])
    else:
        import jax
        import torch

        print(f"torch {torch.__version__}, jax {jax.__version__}; each part in its own process")
        for part in PARTS:
            sys.stdout.flush()
            subprocess.run([sys.executable, __file__, "--part", part, *sys.argv[1:]], check=True,
                           env=os.environ.copy())
