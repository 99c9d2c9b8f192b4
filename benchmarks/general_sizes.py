"""Cold cost of large sizes (issue 10's bars), each in a fresh process with an empty cache, with
`import symgeom` in the same run as the baseline (the floor every command pays).

    python benchmarks/general_sizes.py

Bars: compiled KL of Categorical(10 000, logits) ≤ 10 s; Fisher of
MultivariateGaussian(6, diagonal, mean_logstd) and Categorical(18, logits) together ≤ 10 s;
KL, entropy and Fisher of MultivariateGaussian(50, full) compiled ≤ 10 s (the general-d matrix
result specialized, Cholesky-based kernels).
Also a size past the explicit limit against the largest explicit one (k = 7 vs k = 6), which
shows whether the cost now grows with the size, the general-k derivations themselves (symbolic
k, every quantity), and entropy/expansion past the old expansion limit (k = 30).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time

CASES = {
    "baseline: import symgeom": "import symgeom",
    "compiled KL, Categorical(10000, logits)":
        "import numpy as np, symgeom as sg\n"
        "f = sg.kl(sg.Categorical(10_000, 'logits')).numpy()\n"
        "f(np.zeros(10_000), np.ones(10_000))",
    "Fisher, MVN(6, diagonal, mean_logstd) + Categorical(18, logits)":
        "import symgeom as sg\n"
        "sg.fisher(sg.MultivariateGaussian(6, 'diagonal', 'mean_logstd')).numpy()\n"
        "sg.fisher(sg.Categorical(18, 'logits')).numpy()",
    "Fisher, Categorical(6, logits) (largest explicit size)":
        "import symgeom as sg\nsg.fisher(sg.Categorical(6, 'logits')).numpy()",
    "Fisher, Categorical(7, logits) (specialized)":
        "import symgeom as sg\nsg.fisher(sg.Categorical(7, 'logits')).numpy()",
    "Fisher, Categorical(40, logits) (specialized)":
        "import symgeom as sg\nsg.fisher(sg.Categorical(40, 'logits')).numpy()",
    "KL + Fisher + entropy + expansion, Categorical(symbol k), both charts":
        "import sympy as sp, symgeom as sg\nk = sp.Symbol('k', integer=True, positive=True)\n"
        "for param in ('probs', 'logits'):\n"
        "    fam = sg.Categorical(k, param)\n"
        "    sg.kl(fam); sg.fisher(fam); sg.entropy(fam); sg.expansion(fam)",
    "entropy + expansion, Categorical(30, logits) (past the old limit 20)":
        "import symgeom as sg\nfam = sg.Categorical(30, 'logits')\n"
        "sg.entropy(fam).result; sg.expansion(fam).result",
    "compiled entropy, Categorical(200, logits) (specialized)":
        "import numpy as np, symgeom as sg\n"
        "sg.entropy(sg.Categorical(200, 'logits')).numpy()(np.zeros(200))",
    "KL + entropy + Fisher, MVN(200, diagonal, mean_logstd)":
        "import symgeom as sg\nfam = sg.MultivariateGaussian(200, 'diagonal', 'mean_logstd')\n"
        "sg.kl(fam).numpy(); sg.entropy(fam).numpy(); sg.fisher(fam).numpy()",
    "KL + entropy + Fisher, MVN(1000, diagonal, mean_logstd) (general-d product specialized)":
        "import numpy as np, symgeom as sg\nfam = sg.MultivariateGaussian(1000, 'diagonal', 'mean_logstd')\n"
        "kl, h, F = sg.kl(fam).numpy(), sg.entropy(fam).numpy(), sg.fisher(fam).numpy()\n"
        "z = np.zeros(1000)\nkl(z, z, z + 1, z); h(z, z); F(z, z)",
    "KL + Fisher + entropy + expansion, MVN(symbol d, diagonal), all charts and routes":
        "import sympy as sp, symgeom as sg\nd = sp.Symbol('d', integer=True, positive=True)\n"
        "for param in ('mean_var', 'mean_std', 'mean_logstd'):\n"
        "    fam = sg.MultivariateGaussian(d, 'diagonal', param)\n"
        "    for q in ('kl', 'fisher', 'entropy', 'expansion'):\n"
        "        [sg.derive.derive(q, fam, r) for r in sg.routes(q, fam)]",
    "KL + entropy + Fisher, MVN(50, full) (general-d result specialized)":
        "import numpy as np, symgeom as sg\nfam = sg.MultivariateGaussian(50, 'full')\n"
        "kl, h, F = sg.kl(fam).numpy(), sg.entropy(fam).numpy(), sg.fisher(fam).numpy()\n"
        "m, S = np.zeros(50), np.eye(50)\nkl(m, S, m, 2 * S); h(m, S); F(m, S)",
    "MVN(201, full): refused at once":
        "import symgeom as sg\ntry:\n    sg.MultivariateGaussian(201, 'full')\n"
        "except sg.SymgeomError:\n    pass",
}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    # CPU seconds of the child beside the wall clock: on a shared, loaded machine the wall time
    # measures the queue as much as the work.
    print(f"{'case':<72} {'seconds':>8} {'cpu s':>7} {'x baseline':>10}")
    baseline = None
    for name, code in CASES.items():
        with tempfile.TemporaryDirectory() as cache:
            env = {**os.environ, "SYMGEOM_CACHE_DIR": cache}
            start, cpu = time.perf_counter(), _cpu()
            subprocess.run([sys.executable, "-c", code], env=env, check=True)
            seconds, cpu = time.perf_counter() - start, _cpu() - cpu
        baseline = baseline or seconds
        print(f"{name:<72} {seconds:8.2f} {cpu:7.2f} {seconds / baseline:10.1f}", flush=True)


if __name__ == "__main__":
    main()
