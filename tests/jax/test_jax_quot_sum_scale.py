"""quot_sum's scale factors on JAX are exact powers of two, written into their bit patterns.

``backends.quotient_forms.quot_sum`` scales a/b + c/d by 2^−eₐ, 2^−e_b and back by 2^(eₐ − e_b);
it built them with ``xp.ldexp``, and ``jnp.ldexp`` is m·2.0**e, whose ``pow`` is not exact on a
GPU (10.7 % of random cases one ulp off on an H200, docs/backends.md): a scale factor that is not a
power of two puts a rounding into products meant to be exact.  Now they come from
``exact_ldexp.power_of_two``.  Checked here on the bits (every factor's significand field is 0
and its exponent field is the one asked for, the exponents summing to k) and on the traced
program (no ``ldexp``, hence no ``pow``, in quot_sum's jaxpr: this part fails on the CPU too
before the change, where ``jnp.ldexp`` happens to be exact)."""

from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

from symgeom.backends.ops import jax_ops  # noqa: E402
from symgeom.backends.quotient_forms import quot_sum  # noqa: E402
from symgeom.backends.quotient_sum import power_factors  # noqa: E402

#: (dtype, unsigned view, significand bits p, exponent bias, |k| reached by quot_sum per part count)
LAYOUTS = [(jnp.float64, np.uint64, 53, 1023, {2: 1074, 3: 2098}),
           (jnp.float32, np.uint32, 24, 127, {2: 149, 3: 300})]


@pytest.mark.parametrize(("dtype", "view", "p", "bias", "reach"), LAYOUTS, ids=["float64", "float32"])
@pytest.mark.parametrize("parts", [2, 3])
def test_scale_factors_are_exact_powers_of_two(dtype, view, p, bias, reach, parts) -> None:
    k = np.arange(-reach[parts], reach[parts] + 1)
    like = jnp.ones(k.shape, dtype)
    for function in (power_factors, jax.jit(power_factors, static_argnums=(0, 3))):
        factors = function(jnp, jnp.asarray(k, jnp.int32), like, parts)
        total = np.zeros(k.shape, dtype=np.int64)
        for factor in factors:
            bits = np.asarray(factor).view(view).astype(np.int64)
            assert np.all(bits & ((1 << (p - 1)) - 1) == 0)  # significand field 0
            exponent = (bits >> (p - 1)) - bias
            assert np.all((exponent > -bias) & (exponent <= bias))  # normal, not 0 or inf
            total += exponent
        np.testing.assert_array_equal(total, k)


def test_quot_sum_traces_without_ldexp() -> None:
    args = [jnp.asarray(v) for v in (1.5, -3.0e200, 2.5, 7.0e-200)]
    program = str(jax.make_jaxpr(lambda *a: quot_sum(jax_ops(), *a))(*args))
    assert "ldexp" not in program and "pow" not in program


def test_quot_sum_equals_numpy_bit_for_bit() -> None:
    """Eager JAX runs the same exact operations as NumPy's quot_sum (whose ldexp is exact), over
    ±180 decades.  (Under ``jit`` XLA rewrites s/b/d as s/(b·d): 1 445 of these 4 000 differ from
    NumPy there, each within 1.5 ulps of the 50-digit value, as NumPy's are; not compared here.)"""
    from symgeom.backends.ops import ops_for

    rng = np.random.default_rng(4)
    n = 4000
    a, b, c, d = (rng.choice([-1, 1], n) * 10.0 ** rng.uniform(-90, 90, n) for _ in range(4))
    c = -a * d / b * (1 + rng.uniform(-1e-6, 1e-6, n))  # near cancellation, where the form matters
    want = quot_sum(ops_for(a), a, b, c, d)
    got = np.asarray(quot_sum(jax_ops(), *(jnp.asarray(v) for v in (a, b, c, d))))
    np.testing.assert_array_equal(got, want)
