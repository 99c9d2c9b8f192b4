"""Cost of the printed Gaussian KL forms under ``jax.jit`` against a textbook formula in the same run.

    python benchmarks/printed_range_cost.py [N] [repeats] [1d]

For each chart (univariate Gaussian mean_std, mean_var, mean_logstd, natural; diagonal
MultivariateGaussian(3) mean_var and natural) the ratio median(symgeom jit)/median(textbook jit),
N pairs (float64, x64), the two functions interleaved round by round.  Run it on two checkouts
(PYTHONPATH) to compare the printed forms before and after a change of the printer: the textbook
baseline absorbs the machine's load.
"""

from __future__ import annotations

import statistics
import sys
import time

import jax
import numpy as np

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

import symgeom as sg  # noqa: E402


def _textbook(chart: str):
    def kl(a, b, c, d):
        if chart == "mean_std":
            m1, v1, m2, v2 = a, b * b, c, d * d
        elif chart == "mean_var":
            m1, v1, m2, v2 = a, b, c, d
        elif chart == "mean_logstd":
            m1, v1, m2, v2 = a, jnp.exp(2 * b), c, jnp.exp(2 * d)
        else:
            v1, v2 = -0.5 / b, -0.5 / d
            m1, m2 = a * v1, c * v2
        r = v1 / v2
        return jnp.sum(0.5 * (r - 1 - jnp.log(r) + (m1 - m2) ** 2 / v2), axis=-1)

    return kl


def _inputs(chart: str, n: int, d: int | None, rng: np.random.Generator) -> list:
    shape = (n,) if d is None else (n, d)
    mu = rng.normal(size=shape)
    sigma = np.exp(rng.normal(size=shape))
    v = sigma**2
    args = {"mean_std": [mu, sigma], "mean_var": [mu, v], "mean_logstd": [mu, np.log(sigma)],
            "natural": [mu / v, -0.5 / v]}[chart]
    return [jnp.asarray(a) for a in args]


def ratio(family, chart: str, n: int, d: int | None, repeats: int) -> float:
    rng = np.random.default_rng(0)
    args = _inputs(chart, n, d, rng) + _inputs(chart, n, d, rng)
    ours = jax.jit(sg.kl(family).jax())
    base = jax.jit(_textbook(chart)) if d is not None else jax.jit(
        lambda a, b, c, e: _textbook(chart)(a[:, None], b[:, None], c[:, None], e[:, None]))
    times: dict[str, list[float]] = {"ours": [], "base": []}
    for f in (ours, base):
        f(*args).block_until_ready()
    for _ in range(repeats):
        for name, f in (("ours", ours), ("base", base)):
            start = time.perf_counter()
            f(*args).block_until_ready()
            times[name].append(time.perf_counter() - start)
    return statistics.median(times["ours"]) / statistics.median(times["base"])


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1 << 20
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    charts = ("mean_std", "mean_var", "mean_logstd", "natural")
    rows = [(f"Gaussian {c}", sg.Gaussian(c), c, None) for c in charts]
    if "1d" not in sys.argv[3:]:
        rows += [(f"MVN(3, diagonal) {c}", sg.MultivariateGaussian(3, "diagonal", c), c, 3)
                 for c in ("mean_var", "natural")]
    for label, family, chart, d in rows:
        size = n if d is None else n // 3
        print(f"{label}: {ratio(family, chart, size, d, repeats):.2f}× textbook", flush=True)


if __name__ == "__main__":
    main()
