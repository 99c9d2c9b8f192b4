"""Network Fisher-vector product: symgeom.torch (jvp + closed-form F + vjp) vs double backward.

A 64×64 tanh MLP policy on N states, one product per call after set-up, medians of repeated runs,
both in the same run on the same machine.  Usage: python benchmarks/backends_fvp.py [N] [repeats]
"""

from __future__ import annotations

import sys

import torch
from _timing import median_time

import symgeom.torch as st


def mlp(inputs: int, outputs: int, gaussian: bool) -> torch.nn.Module:
    class Policy(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body = torch.nn.Sequential(
                torch.nn.Linear(inputs, 64), torch.nn.Tanh(), torch.nn.Linear(64, 64), torch.nn.Tanh(),
                torch.nn.Linear(64, outputs),
            )
            self.log_std = torch.nn.Parameter(torch.zeros(outputs))

        def forward(self, x: torch.Tensor):
            out = self.body(x)
            return (out, self.log_std.expand_as(out)) if gaussian else out

    return Policy()


def compare(label: str, head, gaussian: bool, n: int, repeats: int, products: int) -> None:
    module = mlp(16, 6, gaussian)
    policy = st.FlatPolicy(module)
    w = policy.vector()
    states = torch.randn(n, 16)
    v = torch.randn_like(w)

    def ours() -> None:
        fvp = st.fisher_vector_product(policy, head, w, states)
        for _ in range(products):
            fvp(v)

    def reference() -> None:
        fvp = st.double_backward_fvp(policy, head, w, states)
        for _ in range(products):
            fvp(v)

    ours()
    reference()
    t_ours, t_ref = median_time(ours, repeats), median_time(reference, repeats)
    print(f"{label}: N={n}, {products} products incl. set-up: symgeom {t_ours * 1e3:.1f} ms, "
          f"double backward {t_ref * 1e3:.1f} ms, ratio {t_ours / t_ref:.2f}")


def run(n: int, repeats: int, products: int = 10) -> None:
    torch.manual_seed(0)
    compare("categorical K=6", st.CategoricalLogits(6), False, n, repeats, products)
    compare("gaussian d=6", st.DiagonalGaussian(6), True, n, repeats, products)


if __name__ == "__main__":
    torch.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else torch.get_num_threads())
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 2048, int(sys.argv[2]) if len(sys.argv) > 2 else 15)
