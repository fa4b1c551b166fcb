"""One GRU direction: PyTorch's equations, gradients, and every kernel path.

The plain ``xp`` path is checked against the equations written out step by
step and against finite differences (float64); the fused kernels, numba's
(float32) and the CUDA bodies compiled as C++ (as ``test_kernels.py`` does
for the LSTM), against the plain path; ``-m gpu`` repeats that with CuPy;
and, where PyTorch is installed, one test compares with ``torch.nn.GRU``.
"""

import types

import fake_cupy
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from test_kernels import CXX, CElementwiseKernel
from test_lstm import numeric_gradient

from sklstm import _gru
from sklstm._backend import gpu_available, to_numpy
from sklstm._gru import gru_backward, gru_forward
from sklstm._kernels import GateKernels, gru_gate_kernels, host_kernels
from sklstm._lstm import Workspace, lstm_backward, lstm_forward


def _setup(F=3, H=4, T=5, B=2, dtype=np.float64, seed=0):
    rng = np.random.RandomState(seed)
    X = np.ones((F + 1, T, B))
    X[:F] = rng.standard_normal((F, T, B))
    Wx = 0.5 * rng.standard_normal((3 * H, F + 1))
    Wh = 0.5 * rng.standard_normal((3 * H, H + 1))
    h0 = rng.standard_normal((H, B))
    R = rng.standard_normal((H, T, B))  # loss = sum(R * Y)
    return [a.astype(dtype) for a in (X, Wx, Wh, h0, R)]


def _reference_forward(X, Wx, Wh, h0):
    """PyTorch's ``nn.GRU`` equations, written out, time-major."""
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    H = Wh.shape[0] // 3
    F, T, B = X.shape[0] - 1, X.shape[1], X.shape[2]
    W_ir, W_iz, W_in = Wx[:H, :F], Wx[H : 2 * H, :F], Wx[2 * H :, :F]
    b_ir, b_iz, b_in = Wx[:H, F:], Wx[H : 2 * H, F:], Wx[2 * H :, F:]
    W_hr, W_hz, W_hn = Wh[:H, :H], Wh[H : 2 * H, :H], Wh[2 * H :, :H]
    b_hr, b_hz, b_hn = Wh[:H, H:], Wh[H : 2 * H, H:], Wh[2 * H :, H:]
    h = np.zeros((H, B)) if h0 is None else h0
    out = []
    for t in range(T):
        x = X[:F, t]
        r = sig(W_ir @ x + b_ir + W_hr @ h + b_hr)
        z = sig(W_iz @ x + b_iz + W_hz @ h + b_hz)
        n = np.tanh(W_in @ x + b_in + r * (W_hn @ h + b_hn))
        h = (1 - z) * n + z * h
        out.append(h)
    return np.stack(out, axis=1)


def _run(xp, fused, X, Wx, Wh, h0, R, keep=True, dY_steps=None, ws=None, Y=None):
    """Forward (and backward when ``keep``) with gradient ``R`` on ``Y``:
    [Y, A, Hn] plus [dX, dWx, dWh] and dh0 when there is an ``h0``."""
    H, T, B = R.shape
    Y = xp.empty((H, T, B), dtype=X.dtype) if Y is None else Y
    cache = gru_forward(X, Wx, Wh, Y, h0=h0, keep=keep, fused=fused, ws=ws, xp=xp)
    if not keep:
        return [Y, cache.A, cache.Hn]
    dWx, dWh = xp.empty_like(Wx), xp.empty_like(Wh)
    dX, dh0 = gru_backward(
        R, cache, Wx, Wh, dWx, dWh, need_dh0=h0 is not None,
        dY_steps=dY_steps, fused=fused, ws=ws, xp=xp,
    )  # fmt: skip
    out = [Y, cache.A, cache.Hn, dX, dWx, dWh]
    return out + ([dh0] if h0 is not None else [])


def _assert_all_close(got, want, tol):
    for a, b in zip(got, want, strict=True):
        assert_allclose(a, b, rtol=tol, atol=tol)


# -- the plain path ------------------------------------------------------------


@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize(("T", "B"), [(5, 2), (1, 3), (4, 1)])
def test_forward_matches_pytorch_equations(with_state, T, B):
    X, Wx, Wh, h0, _ = _setup(T=T, B=B)
    h0 = h0 if with_state else None
    Y = np.empty((4, T, B))
    gru_forward(X, Wx, Wh, Y, h0=h0, fused=False, xp=np)
    assert_allclose(Y, _reference_forward(X, Wx, Wh, h0), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("dtype", "fused"), [(np.float64, False), (np.float32, None)])
def test_output_into_a_row_block_of_a_bigger_buffer(dtype, fused):
    """Y may be ``Y_big[:H]`` (e.g. the rows above a ones row); the other
    rows stay untouched and nothing else changes."""
    X, Wx, Wh, h0, R = _setup(T=6, B=3, dtype=dtype)
    H, T, B = R.shape
    Y_big = np.full((H + 3, T, B), 7, dtype=dtype)
    by_view = _run(np, fused, X, Wx, Wh, h0, R, Y=Y_big[:H])
    whole = _run(np, fused, X, Wx, Wh, h0, R)
    assert_array_equal(Y_big[H:], 7)
    _assert_all_close(by_view, whole, 1e-6 if dtype == np.float32 else 1e-14)


def test_inference_mode_matches_training_mode():
    X, Wx, Wh, h0, R = _setup(T=6)
    train = _run(np, False, X, Wx, Wh, h0, R, keep=True)
    infer = _run(np, False, X, Wx, Wh, h0, R, keep=False)
    assert_array_equal(infer[0], train[0])
    assert infer[1].shape[0] == infer[2].shape[0] == 1  # one step's scratch


def _chunk_steps(monkeypatch, steps, H, B, dtype=np.float64):
    """Make the plain backward compute its derivative factors ``steps``
    timesteps at a time (None: the default, all at once for small sizes)."""
    if steps is not None:
        step_bytes = 4 * H * B * np.dtype(dtype).itemsize
        monkeypatch.setattr(_gru, "_FACTOR_CHUNK_BYTES", steps * step_bytes)


@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize("last_step_only", [False, True])
@pytest.mark.parametrize("chunk", [None, 1, 2])
def test_gradients_match_finite_differences(
    with_state, last_step_only, chunk, monkeypatch
):
    X, Wx, Wh, h0, R = _setup()
    h0 = h0 if with_state else None
    H, T, B = R.shape
    _chunk_steps(monkeypatch, chunk, H, B)  # T = 5: uneven chunks of 2 too
    dY, steps = R, None
    if last_step_only:
        R[:, :-1] = 0
        steps = {T - 1}
        dY = R.copy()
        dY[:, :-1] = np.nan  # must not be read

    def loss():
        Y = np.empty((H, T, B))
        gru_forward(X, Wx, Wh, Y, h0=h0, fused=False, xp=np)
        return float((R * Y).sum())

    _, _, _, dX, dWx, dWh, *dh0 = _run(np, False, X, Wx, Wh, h0, dY, dY_steps=steps)
    assert_allclose(dWx, numeric_gradient(loss, Wx), rtol=1e-6, atol=1e-8)
    assert_allclose(dWh, numeric_gradient(loss, Wh), rtol=1e-6, atol=1e-8)
    assert_allclose(dX, numeric_gradient(loss, X)[:-1], rtol=1e-6, atol=1e-8)
    if with_state:
        assert_allclose(dh0[0], numeric_gradient(loss, h0), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("with_state", [False, True])
def test_factor_chunks_do_not_change_gradients(with_state, monkeypatch):
    X, Wx, Wh, h0, R = _setup(T=7)
    h0 = h0 if with_state else None
    H, T, B = R.shape

    def gradients(chunk):
        _chunk_steps(monkeypatch, chunk, H, B)
        return _run(np, False, X, Wx, Wh, h0, R)[3:]

    whole = gradients(T)
    for chunk in (1, 2, 3):
        for a, b in zip(gradients(chunk), whole, strict=True):
            assert_array_equal(a, b)


def test_a_workspace_shared_with_an_lstm_under_the_same_key():
    """The network gives every layer one Workspace: an LSTM running between
    a GRU's forward and backward passes must not clobber its buffers."""
    X, Wx, Wh, h0, R = _setup()
    H, T, B = R.shape
    want = _run(np, False, X, Wx, Wh, h0, R)
    ws = Workspace(np)
    Y = np.empty((H, T, B))
    cache = gru_forward(X, Wx, Wh, Y, h0=h0, fused=False, ws=ws, key="0f", xp=np)
    rng = np.random.RandomState(1)
    lWx, lWh = rng.standard_normal((4 * H, 4)), rng.standard_normal((4 * H, H))
    lY = np.empty((H, T, B))
    lcache = lstm_forward(X, lWx, lWh, lY, ws=ws, key="0f", xp=np)
    lstm_backward(R, lcache, lWx, lWh, np.empty_like(lWx), np.empty_like(lWh),
                  ws=ws, key="0f", xp=np)  # fmt: skip
    dWx, dWh = np.empty_like(Wx), np.empty_like(Wh)
    dX, dh0 = gru_backward(R, cache, Wx, Wh, dWx, dWh, need_dh0=True,
                           fused=False, ws=ws, key="0f", xp=np)  # fmt: skip
    _assert_all_close([Y, cache.A, cache.Hn, dX, dWx, dWh, dh0], want, 0)


def test_plain_path_keeps_device_and_host_apart():
    """The plain path on the CuPy stand-in equals the NumPy path: no host
    array meets a device one (``fake_cupy`` raises where CuPy would)."""
    cp = fake_cupy._module
    host = _setup(T=4, B=3)
    assert gru_gate_kernels(cp) is None and gru_gate_kernels(np) is None
    device = [cp.asarray(a) for a in host]
    got = _run(cp, None, *device, dY_steps={1, 3})
    want = _run(np, False, *host, dY_steps={1, 3})
    _assert_all_close([a.get() for a in got], want, 0)


# -- numba's CPU kernels (float32) ---------------------------------------------


@pytest.fixture(scope="module")
def cpu_kernels():
    module = pytest.importorskip("sklstm._cpu_kernels")
    assert host_kernels(np, np.float32) is module
    return module


def _twice(fused, *args, **kwargs):
    """``_run`` twice on one Workspace, as the network calls it: buffers
    reused between calls give the same results."""
    ws = Workspace(np)
    first = [a.copy() for a in _run(np, fused, *args, ws=ws, **kwargs)]
    second = _run(np, fused, *args, ws=ws, **kwargs)
    _assert_all_close(second, first, 0)
    return first


@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize("keep", [True, False])
def test_compiled_step_equals_the_plain_path(cpu_kernels, with_state, keep):
    X, Wx, Wh, h0, R = _setup(T=7, H=5, B=6, dtype=np.float32)
    h0 = h0 if with_state else None
    plain = _twice(False, X, Wx, Wh, h0, R, keep=keep)
    compiled = _twice(None, X, Wx, Wh, h0, R, keep=keep)
    for want, got in zip(plain, compiled, strict=True):
        assert_allclose(got, want, rtol=1e-5, atol=2e-6)


def test_compiled_step_accepts_a_non_contiguous_initial_state(cpu_kernels):
    X, Wx, Wh, h0, R = _setup(T=4, B=3, dtype=np.float32)
    h0_strided = np.zeros((h0.shape[0], 2 * h0.shape[1]), dtype=np.float32)[:, ::2]
    h0_strided[...] = h0
    plain = _run(np, False, X, Wx, Wh, h0, R)
    compiled = _run(np, None, X, Wx, Wh, h0_strided, R)
    for want, got in zip(plain, compiled, strict=True):
        assert_allclose(got, want, rtol=1e-5, atol=2e-6)


def test_compiled_backward_with_gradient_at_some_steps_only(cpu_kernels, monkeypatch):
    X, Wx, Wh, h0, R = _setup(T=9, H=6, B=4, dtype=np.float32)
    R[:, :-1] = 0
    plain = _run(np, False, X, Wx, Wh, h0, R, dY_steps={8})
    R[:, :-1] = np.nan  # must not be read
    calls = []

    def spy(xp, dtype):  # the compiled kernels, counting their calls
        def counted(name):
            def call(*args):
                calls.append(name)
                return getattr(cpu_kernels, name)(*args)

            return call

        names = ("gru_forward_step", "gru_backward_step")
        return types.SimpleNamespace(**{n: counted(n) for n in names})

    monkeypatch.setattr(_gru, "host_kernels", spy)
    compiled = _run(np, None, X, Wx, Wh, h0, R, dY_steps={8})
    assert calls.count("gru_forward_step") == calls.count("gru_backward_step") == 9
    for want, got in zip(plain, compiled, strict=True):
        assert_allclose(got, want, rtol=1e-5, atol=2e-6)


# -- the CUDA kernel bodies, compiled as C++ -----------------------------------

needs_cxx = pytest.mark.skipif(CXX is None, reason="no C++ compiler")


class NoOverlapKernel(CElementwiseKernel):
    """The C++ ``ElementwiseKernel``, refusing an input whose memory bounds
    overlap an output's: CuPy would copy it before every launch."""

    def __call__(self, *arrays):
        for a in arrays[: self.n_in]:
            for out in arrays[self.n_in :]:
                assert not np.may_share_memory(a, out), "CuPy would copy it"
        return super().__call__(*arrays)


@pytest.fixture(scope="module")
def cxp(tmp_path_factory):
    """NumPy plus the C++ ``ElementwiseKernel`` of ``test_kernels.py``: an
    ``xp`` on which ``gru_gate_kernels`` returns the fused kernels."""
    CElementwiseKernel.directory = tmp_path_factory.mktemp("gru_kernels")
    mod = types.ModuleType("numpy_with_gru_kernels")
    mod.__getattr__ = lambda name: getattr(np, name)
    mod.ElementwiseKernel = NoOverlapKernel
    assert isinstance(gru_gate_kernels(mod), GateKernels)
    return mod


@needs_cxx
@pytest.mark.parametrize(("dtype", "tol"), [(np.float64, 1e-12), (np.float32, 1e-5)])
@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize("keep", [True, False])
def test_fused_step_equals_the_plain_path(cxp, dtype, tol, with_state, keep):
    X, Wx, Wh, h0, R = _setup(T=6, B=3, dtype=dtype)
    h0 = h0 if with_state else None
    plain = _run(np, False, X, Wx, Wh, h0, R, keep=keep)
    fused = _run(cxp, None, X, Wx, Wh, h0, R, keep=keep)
    _assert_all_close(fused, plain, tol)


@needs_cxx
def test_fused_backward_with_gradient_at_some_steps_only(cxp):
    X, Wx, Wh, h0, R = _setup(T=6, B=3)
    R[:, :-1] = 0
    plain = _run(np, False, X, Wx, Wh, h0, R, dY_steps={5})
    R[:, :-1] = np.nan  # must not be read
    fused = _run(cxp, None, X, Wx, Wh, h0, R, dY_steps={5})
    _assert_all_close(fused, plain, 1e-12)


@needs_cxx
def test_fused_gradients_match_finite_differences(cxp):
    X, Wx, Wh, h0, R = _setup(T=4, B=3)

    def loss():
        Y = np.empty(R.shape)
        gru_forward(X, Wx, Wh, Y, h0=h0, xp=cxp)
        return float((R * Y).sum())

    _, _, _, dX, dWx, dWh, dh0 = _run(cxp, None, X, Wx, Wh, h0, R)
    for analytic, A in [(dWx, Wx), (dWh, Wh), (dh0, h0)]:
        assert_allclose(analytic, numeric_gradient(loss, A), rtol=1e-6, atol=1e-8)


# -- CuPy on a GPU (pytest -m gpu) ---------------------------------------------


@pytest.mark.gpu
@pytest.mark.skipif(not gpu_available(), reason="needs CuPy and a CUDA GPU")
@pytest.mark.parametrize(("dtype", "tol"), [(np.float64, 1e-12), (np.float32, 1e-5)])
@pytest.mark.parametrize("last_step_only", [False, True])
def test_gpu_fused_kernels_equal_the_plain_paths(dtype, tol, last_step_only):
    import cupy as cp

    assert gru_gate_kernels(cp) is not None
    host = _setup(F=5, H=16, T=9, B=7, dtype=dtype)
    steps = None
    if last_step_only:
        host[-1][:, :-1] = 0
        steps = {8}
    device = [cp.asarray(a) for a in host]
    plain = [to_numpy(a) for a in _run(cp, False, *device, dY_steps=steps)]
    fused = [to_numpy(a) for a in _run(cp, None, *device, dY_steps=steps)]
    _assert_all_close(fused, plain, tol)
    _assert_all_close(plain, _run(np, False, *host, dY_steps=steps), max(tol, 1e-10))


# -- PyTorch -------------------------------------------------------------------


def test_forward_and_gradients_equal_torch_nn_gru():
    torch = pytest.importorskip("torch")
    X, Wx, Wh, h0, R = _setup(F=3, H=4, T=6, B=3)
    F, H = X.shape[0] - 1, R.shape[0]
    gru = torch.nn.GRU(F, H).double()
    with torch.no_grad():
        gru.weight_ih_l0.copy_(torch.from_numpy(Wx[:, :F]))
        gru.bias_ih_l0.copy_(torch.from_numpy(Wx[:, F]))
        gru.weight_hh_l0.copy_(torch.from_numpy(Wh[:, :H]))
        gru.bias_hh_l0.copy_(torch.from_numpy(Wh[:, H]))
    x = torch.tensor(X[:F].transpose(1, 2, 0), requires_grad=True)  # (T, B, F)
    h = torch.tensor(h0.T[None], requires_grad=True)  # (1, B, H)
    out, _ = gru(x, h)
    (out * torch.from_numpy(R.transpose(1, 2, 0))).sum().backward()

    Y, _, _, dX, dWx, dWh, dh0 = _run(np, False, X, Wx, Wh, h0, R)
    tol = dict(rtol=1e-10, atol=1e-12)
    assert_allclose(Y, out.detach().numpy().transpose(2, 0, 1), **tol)
    assert_allclose(dWx[:, :F], gru.weight_ih_l0.grad.numpy(), **tol)
    assert_allclose(dWx[:, F], gru.bias_ih_l0.grad.numpy(), **tol)
    assert_allclose(dWh[:, :H], gru.weight_hh_l0.grad.numpy(), **tol)
    assert_allclose(dWh[:, H], gru.bias_hh_l0.grad.numpy(), **tol)
    assert_allclose(dX, x.grad.numpy().transpose(2, 0, 1), **tol)
    assert_allclose(dh0, h.grad.numpy()[0].T, **tol)
