"""One LSTM direction: gradients, step-by-step equivalence, gate order."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import sklstm._lstm
from sklstm._lstm import (
    from_torch_order,
    lstm_backward,
    lstm_forward,
    to_torch_order,
)


def _setup(F=3, H=4, T=5, B=2, seed=0):
    rng = np.random.RandomState(seed)
    X = np.ones((F + 1, T, B))
    X[:F] = rng.standard_normal((F, T, B))
    Wx = 0.5 * rng.standard_normal((4 * H, F + 1))
    Wh = 0.5 * rng.standard_normal((4 * H, H))
    h0, c0 = rng.standard_normal((H, B)), rng.standard_normal((H, B))
    return rng, X, Wx, Wh, h0, c0


def _reference_forward(X, Wx, Wh, h0, c0):
    """Textbook LSTM in PyTorch gate order, one sample column at a time."""
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    Wx_t, Wh_t = to_torch_order(Wx), to_torch_order(Wh)
    H = Wh.shape[1]
    h, c, out = h0.copy(), c0.copy(), []
    for t in range(X.shape[1]):
        z = Wx_t @ X[:, t] + Wh_t @ h
        i, f, g, o = (
            sig(z[:H]),
            sig(z[H : 2 * H]),
            np.tanh(z[2 * H : 3 * H]),
            sig(z[3 * H :]),
        )
        c = f * c + i * g
        h = o * np.tanh(c)
        out.append(h)
    return np.stack(out, axis=1)


FOLD = pytest.mark.parametrize("fold_input", [False, True])


@FOLD
def test_forward_matches_textbook_equations(fold_input):
    _, X, Wx, Wh, h0, c0 = _setup()
    Y = np.empty((4, X.shape[1], X.shape[2]))
    lstm_forward(X, Wx, Wh, Y, h0=h0, c0=c0, fold_input=fold_input, xp=np)
    assert_allclose(Y, _reference_forward(X, Wx, Wh, h0, c0), rtol=1e-12, atol=1e-12)


@FOLD
def test_step_by_step_equals_whole_sequence(fold_input):
    _, X, Wx, Wh, h0, c0 = _setup(T=7)
    H, T, B = 4, 7, X.shape[2]
    Y = np.empty((H, T, B))
    lstm_forward(X, Wx, Wh, Y, h0=h0, c0=c0, fold_input=fold_input, xp=np)
    h, c = h0, c0
    for t in range(T):
        y = np.empty((H, 1, B))
        step = X[:, t : t + 1].copy()
        cache = lstm_forward(step, Wx, Wh, y, h0=h, c0=c, fold_input=fold_input, xp=np)
        h, c = y[:, 0], cache.C[-1]
        assert_allclose(y[:, 0], Y[:, t], rtol=1e-13, atol=1e-13)


@FOLD
def test_inference_mode_matches_training_mode(fold_input):
    _, X, Wx, Wh, h0, c0 = _setup(T=6)
    Y1, Y2 = np.empty((4, 6, 2)), np.empty((4, 6, 2))
    kw = dict(h0=h0, c0=c0, fold_input=fold_input, xp=np)
    c_train = lstm_forward(X, Wx, Wh, Y1, keep=True, **kw)
    c_infer = lstm_forward(X, Wx, Wh, Y2, keep=False, **kw)
    assert_allclose(Y1, Y2, rtol=1e-14)
    assert_allclose(c_train.C[-1], c_infer.C[-1], rtol=1e-14)


def numeric_gradient(loss, A, eps=1e-6):
    """Central differences of ``loss()`` w.r.t. each entry of ``A`` (in place)."""
    G = np.zeros_like(A)
    for idx in np.ndindex(A.shape):
        old = A[idx]
        A[idx] = old + eps
        up = loss()
        A[idx] = old - eps
        G[idx] = (up - loss()) / (2 * eps)
        A[idx] = old
    return G


def _chunk_steps(monkeypatch, steps, H, B, dtype=np.float64):
    """Make the plain backward compute its derivative factors ``steps``
    timesteps at a time (None: the default, all at once for small sizes)."""
    if steps is not None:
        step_bytes = 4 * H * B * np.dtype(dtype).itemsize
        monkeypatch.setattr(sklstm._lstm, "_FACTOR_CHUNK_BYTES", steps * step_bytes)


@FOLD
@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize("chunk", [None, 1, 2])
def test_gradients_match_finite_differences(with_state, fold_input, chunk, monkeypatch):
    rng, X, Wx, Wh, h0, c0 = _setup()
    if not with_state:
        h0 = c0 = None
    H, T, B = 4, X.shape[1], X.shape[2]
    _chunk_steps(monkeypatch, chunk, H, B)  # T = 5: uneven chunks of 2 too
    R = rng.standard_normal((H, T, B))  # loss = sum(R * Y)

    def loss():
        Y = np.empty((H, T, B))
        lstm_forward(X, Wx, Wh, Y, h0=h0, c0=c0, fold_input=fold_input, xp=np)
        return float((R * Y).sum())

    Y = np.empty((H, T, B))
    cache = lstm_forward(X, Wx, Wh, Y, h0=h0, c0=c0, fold_input=fold_input, xp=np)
    dWx, dWh = np.empty_like(Wx), np.empty_like(Wh)
    dX, dh0, dc0 = lstm_backward(R, cache, Wx, Wh, dWx, dWh, need_dh0=with_state, xp=np)

    def numeric(A):
        return numeric_gradient(loss, A)

    assert_allclose(dWx, numeric(Wx), rtol=1e-6, atol=1e-8)
    assert_allclose(dWh, numeric(Wh), rtol=1e-6, atol=1e-8)
    assert_allclose(dX, numeric(X)[:-1], rtol=1e-6, atol=1e-8)
    if with_state:
        assert_allclose(dh0, numeric(h0), rtol=1e-6, atol=1e-8)
        assert_allclose(dc0, numeric(c0), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("with_state", [False, True])
def test_factor_chunks_do_not_change_gradients(with_state, monkeypatch):
    rng, X, Wx, Wh, h0, c0 = _setup(T=7)
    if not with_state:
        h0 = c0 = None
    H, T, B = 4, 7, X.shape[2]
    dY = rng.standard_normal((H, T, B))

    def gradients(chunk):
        _chunk_steps(monkeypatch, chunk, H, B)
        Y = np.empty((H, T, B))
        cache = lstm_forward(X, Wx, Wh, Y, h0=h0, c0=c0, fold_input=False, xp=np)
        dWx, dWh = np.empty_like(Wx), np.empty_like(Wh)
        out = lstm_backward(dY, cache, Wx, Wh, dWx, dWh, need_dh0=with_state, xp=np)
        return [dWx, dWh, *(a for a in out if a is not None)]

    whole = gradients(T)
    for chunk in (1, 2, 3):
        for a, b in zip(gradients(chunk), whole, strict=True):
            assert_array_equal(a, b)


def test_gate_order_round_trip():
    W = np.arange(16.0).reshape(8, 2)
    assert_allclose(from_torch_order(to_torch_order(W)), W)
    # PyTorch's first block (input gate) is our second block
    assert_allclose(to_torch_order(W)[:2], W[2:4])
