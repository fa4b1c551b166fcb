"""The numba-compiled CPU step kernels (float32) against the plain NumPy path."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from test_kernels import FIT_PARAMS, assert_same_fit, ragged_memory_task

from sklstm import LSTMClassifier, LSTMRegressor, _kernels, _lstm
from sklstm._kernels import host_kernels
from sklstm._lstm import Workspace, lstm_backward, lstm_forward
from sklstm.datasets import make_memory_task

cpu_kernels = pytest.importorskip("sklstm._cpu_kernels")


def test_tanh_is_float32_accurate_bounded_and_odd():
    x = np.linspace(-12, 12, 2_000_001, dtype=np.float32)
    x = np.concatenate([x, np.float32([0, 1e-30, -1e-30, 3.4e38, -3.4e38])])
    out = np.empty_like(x)
    cpu_kernels.tanh_array(x, out)
    assert out.dtype == np.float32
    exact = np.tanh(x.astype(np.float64))
    assert np.abs(out - exact).max() < 4e-7
    assert np.abs(out).max() <= 1
    mirrored = np.empty_like(x)
    cpu_kernels.tanh_array(-x, mirrored)
    assert_array_equal(mirrored, -out)
    assert np.diff(out[:2_000_001]).min() > -8e-7  # monotone within its error


def test_tanh_keeps_nan_and_saturates_infinities():
    out = np.empty(3, dtype=np.float32)
    cpu_kernels.tanh_array(np.float32([np.nan, np.inf, -np.inf]), out)
    assert np.isnan(out[0])
    assert_allclose(out[1:], [1, -1], atol=1e-7)


def test_kernels_are_chosen_for_float32_numpy_only(monkeypatch):
    assert host_kernels(np, np.float32) is cpu_kernels
    assert host_kernels(np, np.float64) is None
    fake_xp = type(np)("not_numpy")
    assert host_kernels(fake_xp, np.float32) is None
    # where numba cannot compile them, the plain path runs
    monkeypatch.setattr(_kernels, "_import_cpu_kernels", lambda: None)
    assert host_kernels(np, np.float32) is None


def _setup(T=7, F=3, H=4, B=5, seed=0):
    rng = np.random.RandomState(seed)
    X = np.ones((F + 1, T, B), dtype=np.float32)
    X[:F] = rng.standard_normal((F, T, B))
    Wx = rng.standard_normal((4 * H, F + 1)).astype(np.float32) * 0.5
    Wh = rng.standard_normal((4 * H, H)).astype(np.float32) * 0.5
    h0 = rng.standard_normal((H, B)).astype(np.float32)
    c0 = rng.standard_normal((H, B)).astype(np.float32)
    R = rng.standard_normal((H, T, B)).astype(np.float32)
    return X, Wx, Wh, h0, c0, R


def _run(fused, X, Wx, Wh, h0, c0, R, keep=True, dY_steps=None, fold_input=None):
    H, T, B = R.shape
    ws = Workspace(np)  # as the network uses it: buffers reused between calls
    out = []
    for _ in range(2):
        Y = np.empty((H, T, B), dtype=X.dtype)
        cache = lstm_forward(
            X, Wx, Wh, Y, h0=h0, c0=c0, keep=keep, fused=fused,
            fold_input=fold_input, ws=ws, xp=np,
        )  # fmt: skip
        if not keep:
            out.append([Y, cache.C[-1].copy()])
            continue
        dWx, dWh = np.empty_like(Wx), np.empty_like(Wh)
        dX, dh0, dc0 = lstm_backward(
            R, cache, Wx, Wh, dWx, dWh, need_dh0=h0 is not None,
            dY_steps=dY_steps, fused=fused, ws=ws, xp=np,
        )  # fmt: skip
        arrays = [Y, cache.A, cache.C, cache.TC, dX, dWx, dWh]
        arrays += [dh0, dc0] if h0 is not None else []
        out.append([a.copy() for a in arrays])
    for a, b in zip(*out, strict=True):  # a second call gives the same
        assert_array_equal(a, b)
    return out[0]


@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize("keep", [True, False])
@pytest.mark.parametrize("fold_input", [True, False])
def test_compiled_step_equals_the_plain_path(with_state, keep, fold_input):
    X, Wx, Wh, h0, c0, R = _setup()
    if not with_state:
        h0 = c0 = None
    plain = _run(False, X, Wx, Wh, h0, c0, R, keep, fold_input=fold_input)
    compiled = _run(None, X, Wx, Wh, h0, c0, R, keep, fold_input=fold_input)
    for want, got in zip(plain, compiled, strict=True):
        assert_allclose(got, want, rtol=1e-5, atol=2e-6)


def test_compiled_backward_with_gradient_at_some_steps_only():
    X, Wx, Wh, h0, c0, R = _setup(T=9, H=6, B=4)
    R[:, :-1] = 0
    steps = {R.shape[1] - 1}
    plain = _run(False, X, Wx, Wh, None, None, R, dY_steps=steps)
    compiled = _run(None, X, Wx, Wh, None, None, R, dY_steps=steps)
    for want, got in zip(plain, compiled, strict=True):
        assert_allclose(got, want, rtol=1e-5, atol=2e-6)


def test_compiled_step_accepts_non_contiguous_states():
    X, Wx, Wh, h0, c0, R = _setup()
    H, B = h0.shape
    c0_strided = np.zeros((H, 2 * B), dtype=np.float32)[:, ::2]
    c0_strided[...] = c0
    plain = _run(False, X, Wx, Wh, h0, c0, R)
    compiled = _run(None, X, Wx, Wh, h0, c0_strided, R)
    for want, got in zip(plain, compiled, strict=True):
        assert_allclose(got, want, rtol=1e-5, atol=2e-6)


def test_nan_inputs_give_nan_outputs_not_clipped_values():
    X, Wx, Wh, h0, c0, R = _setup()
    X[0, 2, 1] = np.nan
    Y = np.empty(R.shape, dtype=np.float32)
    lstm_forward(X, Wx, Wh, Y, xp=np)
    assert np.isnan(Y[:, 2:, 1]).all()
    assert np.isfinite(Y[:, :, 0]).all() and np.isfinite(Y[:, :2]).all()


@pytest.mark.parametrize("Estimator", [LSTMClassifier, LSTMRegressor])
def test_estimators_train_the_same_with_and_without_the_kernels(monkeypatch, Estimator):
    """A whole fit through the compiled kernels ends where the plain NumPy
    fit does."""
    X, y = ragged_memory_task()
    calls = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compiled = Estimator(**FIT_PARAMS).fit(X, y)
        monkeypatch.setattr(
            _lstm, "host_kernels", lambda xp, dtype: calls.append(dtype)
        )
        plain = Estimator(**FIT_PARAMS).fit(X, y)
    assert calls  # the plain fit did ask, and was told no
    assert_same_fit(compiled, plain)


def test_without_numba_the_plain_path_runs(monkeypatch):
    monkeypatch.setattr(_kernels, "_import_cpu_kernels", lambda: None)
    assert host_kernels(np, np.float32) is None
    X, y = make_memory_task(n_samples=40, n_timesteps=6, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # two epochs do not converge
        clf = LSTMClassifier(max_iter=2, random_state=0).fit(X, y)
    assert clf.predict(X).shape == (40,)


def test_kernels_that_fail_to_load_fall_back_with_a_warning(monkeypatch):
    def broken(name):
        raise RuntimeError("cannot cache function 'forward_step'")

    monkeypatch.setattr(_kernels.importlib, "import_module", broken)
    _kernels._import_cpu_kernels.cache_clear()
    try:
        with pytest.warns(RuntimeWarning, match="NUMBA_CACHE_DIR"):
            assert host_kernels(np, np.float32) is None
    finally:
        monkeypatch.undo()
        _kernels._import_cpu_kernels.cache_clear()
    assert host_kernels(np, np.float32) is cpu_kernels
