"""The CuPy path on a real GPU (``pytest -m gpu``; skipped without one).

What CPU CI checks with stand-ins (``test_device.py``: device separation;
``test_kernels.py``: the fused kernels compiled as C++), this file checks
with CuPy itself: the fused kernels equal the plain ``xp`` path, a GPU fit
ends where the CPU fit does, and a GPU-fitted model loads and predicts in a
process where CuPy cannot be imported.
"""

import os
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sklstm import LSTMClassifier, LSTMRegressor, LSTMTranscriber
from sklstm._backend import gpu_available, to_numpy
from sklstm._kernels import gate_kernels
from sklstm.datasets import make_memory_task

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not gpu_available(), reason="needs CuPy and a CUDA GPU"),
]


@pytest.fixture(scope="module")
def cp():
    import cupy

    return cupy


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _layer_outputs(xp, fused, dtype, with_state):
    from test_kernels import _run, _setup

    host = _setup(dtype, T=9, F=5, H=16, B=7)
    X, Wx, Wh, h0, c0, R = (xp.asarray(a) for a in host)
    if not with_state:
        h0 = c0 = None
    return [to_numpy(a) for a in _run(xp, fused, X, Wx, Wh, h0, c0, R)]


@pytest.mark.parametrize(("dtype", "tol"), [(np.float64, 1e-12), (np.float32, 1e-5)])
@pytest.mark.parametrize("with_state", [False, True])
def test_fused_kernels_equal_the_plain_xp_path(cp, dtype, tol, with_state):
    assert gate_kernels(cp) is not None
    plain = _layer_outputs(cp, False, dtype, with_state)
    fused = _layer_outputs(cp, None, dtype, with_state)
    for want, got in zip(plain, fused, strict=True):
        assert_allclose(got, want, rtol=tol, atol=tol)


def test_gpu_layer_equals_the_numpy_layer(cp):
    cpu = _layer_outputs(np, False, np.float64, True)
    gpu = _layer_outputs(cp, None, np.float64, True)
    for want, got in zip(cpu, gpu, strict=True):
        assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def _ragged_memory(n=200, seed=0):
    X, y = make_memory_task(n_samples=n, n_timesteps=30, random_state=seed)
    return [x[: 20 + i % 10] for i, x in enumerate(X)], y


@pytest.mark.parametrize("Estimator", [LSTMClassifier, LSTMRegressor])
def test_gpu_fit_equals_cpu_fit(Estimator):
    X, y = _ragged_memory()
    params = dict(
        hidden_layer_sizes=(32, 16),
        bidirectional=True,
        max_iter=5,
        early_stopping=False,
        random_state=0,
    )
    cpu = Estimator(**params, device="cpu").fit(X, y)
    gpu = Estimator(**params, device="cuda").fit(X, y)
    assert_allclose(gpu.loss_curve_, cpu.loss_curve_, rtol=1e-4)
    for a, b in zip(gpu.coefs_, cpu.coefs_, strict=True):
        for name in a:
            assert type(a[name]) is np.ndarray
            assert_allclose(a[name], b[name], rtol=1e-3, atol=1e-4)
    out = "predict_proba" if Estimator is LSTMClassifier else "predict"
    assert_allclose(getattr(gpu, out)(X), getattr(cpu, out)(X), atol=1e-4)


def test_ctc_transcriber_on_gpu_equals_cpu():
    from test_transcriber import spelled_words

    X, y = spelled_words(60, 0, alphabet="ab")
    params = dict(hidden_layer_sizes=16, bidirectional=True, max_iter=5)
    cpu = LSTMTranscriber(**params, random_state=0).fit(X, y)
    gpu = LSTMTranscriber(**params, random_state=0, device="cuda").fit(X, y)
    assert_allclose(gpu.loss_curve_, cpu.loss_curve_, rtol=1e-4)


def test_gpu_fitted_model_loads_and_predicts_without_cupy(cp, tmp_path):
    X, y = _ragged_memory(60)
    model = LSTMClassifier(hidden_layer_sizes=16, max_iter=3, device="cuda")
    model.set_params(random_state=0).fit(X, y)
    blob = pickle.dumps(model)
    assert b"cupy" not in blob
    from test_device import predict_proba_without_cupy

    proba = predict_proba_without_cupy(blob, X, tmp_path)
    on_cpu = pickle.loads(blob).set_params(device="cpu").predict_proba(X)
    np.testing.assert_array_equal(proba, on_cpu)
    assert_allclose(proba, model.predict_proba(X), atol=1e-5)


DISPATCH_SCRIPT = """
import numpy as np, sklearn, cupy as cp
from sklstm import LSTMClassifier
from sklstm.datasets import make_memory_task
X, y = make_memory_task(n_samples=50, n_timesteps=10, random_state=0)
model = LSTMClassifier(hidden_layer_sizes=8, max_iter=2, device="cuda")
model.fit(cp.asarray(X), cp.asarray(y))
assert type(model.predict_proba(cp.asarray(X))) is np.ndarray
with sklearn.config_context(array_api_dispatch=True):
    proba = model.predict_proba(cp.asarray(X))
assert isinstance(proba, cp.ndarray), type(proba)
print("ok")
"""


def test_cupy_input_and_array_api_dispatch():
    env = {**os.environ, "SCIPY_ARRAY_API": "1"}  # sklearn's dispatch needs it
    out = subprocess.run(
        [sys.executable, "-c", DISPATCH_SCRIPT], capture_output=True, text=True, env=env
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "ok"
