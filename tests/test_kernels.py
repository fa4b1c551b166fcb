"""The fused GPU step kernels, checked on a CPU.

The kernel bodies of ``sklstm._kernels`` are plain C++ over element-wise
parameters, so this file compiles them with the system's C++ compiler into
an ``ElementwiseKernel`` look-alike and runs the real LSTM code through
them: the fused path must equal the plain ``xp`` path (float64 to 1e-12,
float32 to 1e-5) and its gradients must match finite differences.  On a GPU,
``test_gpu.py`` repeats the comparison with CuPy's compiler.
"""

import ctypes
import shutil
import subprocess
import types
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from test_lstm import numeric_gradient

from sklstm import LSTMClassifier, LSTMRegressor, _lstm
from sklstm._kernels import GateKernels, gate_kernels
from sklstm._lstm import lstm_backward, lstm_forward
from sklstm.datasets import make_memory_task

CXX = shutil.which("g++") or shutil.which("c++") or shutil.which("clang++")
pytestmark = pytest.mark.skipif(CXX is None, reason="no C++ compiler")

_SOURCE = """
#include <cmath>
using std::tanh;
typedef {ctype} T;
extern "C" void run(long n, T **a) {{
  for (long i = 0; i < n; ++i) {{
{defines}
    {{
{body}
    }}
{undefs}
  }}
}}
"""


class CElementwiseKernel:
    """CuPy's ``ElementwiseKernel(in_params, out_params, operation, name)``
    for same-shape float arguments, compiled as C++ for the host."""

    directory = None

    def __init__(self, in_params, out_params, operation, name):
        self.names = [p.split()[-1] for p in f"{in_params}, {out_params}".split(",")]
        self.n_in = len(in_params.split(","))
        self.body, self.name = operation, name
        self._libs = {}

    def _lib(self, dtype):
        if dtype not in self._libs:
            ctype = {np.float32: "float", np.float64: "double"}[dtype.type]
            defines = "\n".join(
                f"#define {n} (a[{k}][i])" for k, n in enumerate(self.names)
            )
            undefs = "\n".join(f"#undef {n}" for n in self.names)
            src = self.directory / f"{self.name}_{ctype}.cpp"
            so = src.with_suffix(".so")
            src.write_text(
                _SOURCE.format(
                    ctype=ctype, defines=defines, undefs=undefs, body=self.body
                )
            )
            subprocess.run(
                [CXX, "-O2", "-shared", "-fPIC", "-o", str(so), str(src)], check=True
            )
            self._libs[dtype] = ctypes.CDLL(str(so))
        return self._libs[dtype]

    def __call__(self, *arrays):
        assert len(arrays) == len(self.names)
        dtype = arrays[0].dtype
        shape = arrays[0].shape
        assert all(a.shape == shape and a.dtype == dtype for a in arrays)
        work = [np.ascontiguousarray(a) for a in arrays]
        work = [w.copy() if w is a else w for w, a in zip(work, arrays, strict=True)]
        pointers = (ctypes.c_void_p * len(work))(*[w.ctypes.data for w in work])
        self._lib(dtype).run(ctypes.c_long(work[0].size), pointers)
        for a, w in zip(arrays[self.n_in :], work[self.n_in :], strict=True):
            a[...] = w
        return arrays[self.n_in :]


@pytest.fixture(scope="module")
def cxp(tmp_path_factory):
    """NumPy plus the compiled ``ElementwiseKernel``: an ``xp`` on which
    ``gate_kernels`` returns the fused kernels."""
    CElementwiseKernel.directory = tmp_path_factory.mktemp("kernels")
    mod = types.ModuleType("numpy_with_kernels")
    mod.__getattr__ = lambda name: getattr(np, name)
    mod.ElementwiseKernel = CElementwiseKernel
    return mod


def _setup(dtype, T=7, F=3, H=4, B=5, seed=0):
    rng = np.random.RandomState(seed)
    X = np.ones((F + 1, T, B), dtype=dtype)
    X[:F] = rng.standard_normal((F, T, B))
    Wx = rng.standard_normal((4 * H, F + 1)).astype(dtype) * 0.5
    Wh = rng.standard_normal((4 * H, H)).astype(dtype) * 0.5
    h0 = rng.standard_normal((H, B)).astype(dtype)
    c0 = rng.standard_normal((H, B)).astype(dtype)
    R = rng.standard_normal((H, T, B)).astype(dtype)
    return X, Wx, Wh, h0, c0, R


def _run(xp, fused, X, Wx, Wh, h0, c0, R, keep=True, dY_steps=None):
    H, T, B = R.shape
    Y = xp.empty((H, T, B), dtype=X.dtype)
    cache = lstm_forward(X, Wx, Wh, Y, h0=h0, c0=c0, keep=keep, fused=fused, xp=xp)
    if not keep:
        return [Y, cache.C[-1]]
    dWx, dWh = xp.empty_like(Wx), xp.empty_like(Wh)
    dX, dh0, dc0 = lstm_backward(
        R,
        cache,
        Wx,
        Wh,
        dWx,
        dWh,
        need_dh0=h0 is not None,
        dY_steps=dY_steps,
        fused=fused,
        xp=xp,
    )
    out = [Y, cache.A, cache.C, cache.TC, dX, dWx, dWh]
    return out + ([dh0, dc0] if h0 is not None else [])


@pytest.mark.parametrize(("dtype", "tol"), [(np.float64, 1e-12), (np.float32, 1e-5)])
@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize("keep", [True, False])
def test_fused_step_equals_the_plain_path(cxp, dtype, tol, with_state, keep):
    X, Wx, Wh, h0, c0, R = _setup(dtype)
    if not with_state:
        h0 = c0 = None
    plain = _run(np, False, X, Wx, Wh, h0, c0, R, keep)
    fused = _run(cxp, None, X, Wx, Wh, h0, c0, R, keep)
    assert gate_kernels(cxp) is not None and gate_kernels(np) is None
    for want, got in zip(plain, fused, strict=True):
        assert_allclose(got, want, rtol=tol, atol=tol)


def test_fused_backward_with_gradient_at_some_steps_only(cxp):
    X, Wx, Wh, h0, c0, R = _setup(np.float64)
    R[:, :-1] = 0
    steps = {R.shape[1] - 1}
    plain = _run(np, False, X, Wx, Wh, None, None, R, dY_steps=steps)
    fused = _run(cxp, None, X, Wx, Wh, None, None, R, dY_steps=steps)
    for want, got in zip(plain, fused, strict=True):
        assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_fused_gradients_match_finite_differences(cxp):
    X, Wx, Wh, h0, c0, R = _setup(np.float64, T=4, B=3)

    def loss():
        Y = np.empty(R.shape)
        lstm_forward(X, Wx, Wh, Y, h0=h0, c0=c0, xp=cxp)
        return float((R * Y).sum())

    _, _, _, _, dX, dWx, dWh, dh0, dc0 = _run(cxp, None, X, Wx, Wh, h0, c0, R)
    for analytic, A in [(dWx, Wx), (dWh, Wh), (dh0, h0), (dc0, c0)]:
        assert_allclose(analytic, numeric_gradient(loss, A), rtol=1e-6, atol=1e-8)


# A small fit that goes through every kernel path: stacked, bidirectional,
# ragged, several epochs (also used by test_cpu_kernels).
FIT_PARAMS = dict(
    hidden_layer_sizes=(6, 5),
    bidirectional=True,
    max_iter=5,
    random_state=0,
    early_stopping=False,
)


def ragged_memory_task():
    X, y = make_memory_task(n_samples=60, n_timesteps=9, random_state=0)
    return [x[: 5 + i % 5] for i, x in enumerate(X)], y


def assert_same_fit(got, want):
    """Two fits that differ only in how the gate math rounds."""
    assert_allclose(got.loss_curve_, want.loss_curve_, rtol=1e-4)
    for a, b in zip(got.coefs_, want.coefs_, strict=True):
        for name in a:
            assert_allclose(a[name], b[name], rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("Estimator", [LSTMClassifier, LSTMRegressor])
def test_estimators_train_the_same_through_the_fused_kernels(
    cxp, monkeypatch, Estimator
):
    """A whole fit with the fused kernels ends where the plain fit does, to
    float32 tolerance."""
    X, y = ragged_memory_task()
    # the plain path: neither these kernels nor numba's CPU ones
    monkeypatch.setattr(_lstm, "host_kernels", lambda xp, dtype: None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = Estimator(**FIT_PARAMS).fit(X, y)
        kernels = gate_kernels(cxp)
        monkeypatch.setattr(_lstm, "gate_kernels", lambda xp: kernels)
        fused = Estimator(**FIT_PARAMS).fit(X, y)
    assert isinstance(kernels, GateKernels)
    assert_same_fit(fused, plain)
