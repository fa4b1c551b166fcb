# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""One LSTM layer in one direction: forward and backpropagation through time.

Everything is feature-major so that each per-step operation touches
contiguous memory (PERFORMANCE.md, hazard 3):

=========  ==============  ==================================================
name       shape           meaning
=========  ==============  ==================================================
X          (F+1, T, B)     layer input; the last row is all ones (bias)
Wx         (4H, F+1)       input weights, last column = bias
Wh         (4H, H)         recurrent weights
Y          (H, T, B)       hidden states h_t (may be a row block of a bigger
                           buffer: only the row stride may differ)
A          (T, 4H, B)      gate activations, internal order (o, i, f, g)
C          (T, H, B)       cell states c_t;  TC = tanh(C)
dG         (4H, T, B)      gradients w.r.t. gate pre-activations
=========  ==============  ==================================================

Gate rows are kept in the order (o, i, f, g) so that the three sigmoid
gates form one contiguous block: sigmoid(z) = 0.5 * tanh(z / 2) + 0.5, with
the 1/2 folded into a scaled copy of the weights, so one ``tanh`` call
covers all four gates (PERFORMANCE.md, hazard 1).  The public weight layout
(PyTorch's (i, f, g, o)) is produced by :func:`to_torch_order`.

Each step's gate arithmetic runs as one fused kernel forward and one
backward where there is one (:mod:`sklstm._kernels`): on CuPy, and on NumPy
in float32 when numba is installed.  Everything else takes the plain ``xp``
path below, which is also the reference the kernels are tested against.

The layer ignores sequence lengths: a padded step only ever influences later
(padded) steps, and backpropagation gives padded steps exactly zero gradient
because the loss above them does.  Reverse directions are run on
length-aware reversed inputs by the caller.
"""

import math

import numpy as np

from sklstm._kernels import blocks, gate_kernels, host_kernels

# permutation from PyTorch gate order (i, f, g, o) to ours (o, i, f, g)
_TORCH_TO_OURS = (3, 0, 1, 2)
_OURS_TO_TORCH = (1, 2, 3, 0)


def _permute_gates(W, order):
    H = W.shape[0] // 4
    blocks = [W[k * H : (k + 1) * H] for k in order]
    return np.concatenate(blocks, axis=0)


def to_torch_order(W):
    """Reorder gate rows from internal (o, i, f, g) to PyTorch (i, f, g, o)."""
    return _permute_gates(W, _OURS_TO_TORCH)


def from_torch_order(W):
    """Reorder gate rows from PyTorch (i, f, g, o) to internal (o, i, f, g)."""
    return _permute_gates(W, _TORCH_TO_OURS)


def sigmoid_scale(H, dtype, *, xp, n_gates=4, n_sigmoid=3):
    """Column (n_gates·H, 1): 0.5 on the first ``n_sigmoid`` gate blocks,
    the sigmoid gates (the LSTM's o, i, f; the GRU's r, z), 1 on the rest."""
    s = xp.ones((n_gates * H, 1), dtype=dtype)
    s[: n_sigmoid * H] = 0.5
    return s


class Workspace:
    """Scratch buffers reused from batch to batch, keyed by name.

    Fresh large arrays for every batch cost page faults (measured 9-28 % of a
    training step); a buffer here grows to the largest size asked for and
    later requests get a view of it.  Anything taken from a workspace is
    only valid until the same name is requested again.
    """

    def __init__(self, xp):
        self.xp = xp
        self._buffers = {}

    def get(self, name, shape, dtype):
        size = math.prod(shape)
        buf = self._buffers.get(name)
        if buf is None or buf.size < size or buf.dtype != dtype:
            buf = self.xp.empty(max(size, 1), dtype=dtype)
            self._buffers[name] = buf
        return buf[:size].reshape(shape)


class FreshWorkspace:
    """Workspace stand-in that always allocates."""

    def __init__(self, xp):
        self.xp = xp

    def get(self, name, shape, dtype):
        return self.xp.empty(shape, dtype=dtype)


class LSTMCache:
    """What the backward pass needs from a forward pass."""

    __slots__ = ("X", "Y", "A", "C", "TC", "h0", "c0")

    def __init__(self, X, Y, A, C, TC, h0, c0):
        self.X, self.Y, self.A, self.C, self.TC = X, Y, A, C, TC
        self.h0, self.c0 = h0, c0


def lstm_forward(
    X,
    Wx,
    Wh,
    Y,
    *,
    h0=None,
    c0=None,
    keep=True,
    fold_input=None,
    fused=None,
    ws=None,
    key="",
    xp,
):
    """Run one LSTM direction over all T steps of ``X``.

    Parameters
    ----------
    X : array of shape (F+1, T, B)
        Input with a final row of ones.
    Wx, Wh : arrays of shape (4H, F+1) and (4H, H)
        Weights in internal gate order (o, i, f, g).
    Y : array of shape (H, T, B)
        Output buffer for the hidden states (written in place).
    h0, c0 : arrays of shape (H, B), optional
        Initial states; zeros when omitted.
    keep : bool
        Keep the activations for :func:`lstm_backward` (training).
    fold_input : bool or None
        Compute ``W_ih @ x_t`` inside each step's GEMM over the stacked
        ``[h; x_t; 1]`` instead of one GEMM over all steps up front. It saves
        the up-front GEMM and a strided per-step add, at the price of a
        larger per-step GEMM: worth it for small inputs. None chooses it
        when ``3 * F <= H`` (never with fused kernels).
    fused : bool or None
        Use the fused step kernel of :mod:`sklstm._kernels` (one launch per
        step on a GPU). None uses it where ``xp`` has one (CuPy); False
        runs the plain ``xp`` step.
    ws : Workspace, optional
        Where to take scratch arrays from (names prefixed by ``key``).

    Returns
    -------
    cache : LSTMCache
        Activations, or only the final cell state when ``keep`` is False.
    """
    F1, T, B = X.shape
    H = Wh.shape[1]
    dt = X.dtype
    ws = ws if ws is not None else FreshWorkspace(xp)
    kernels = None if fused is False else gate_kernels(xp)
    host = None if fused is False or kernels is not None else host_kernels(xp, dt)
    if kernels is not None:
        fold_input = False  # the kernel adds the input projection itself
    elif fold_input is None:
        fold_input = 3 * (F1 - 1) <= H
    s = sigmoid_scale(H, Wx.dtype, xp=xp)
    n_keep = T if keep else 1
    A = ws.get(key + "A", (n_keep, 4 * H, B), dt)
    C = ws.get(key + "C", (n_keep if keep else 2, H, B), dt)
    TC = ws.get(key + "TC", (n_keep, H, B), dt)
    tmp = ws.get(key + "tmp", (H, B), dt)
    if fold_input:
        # one GEMM per step over the stacked [h_{t-1}; x_t; 1]
        W = ws.get(key + "Wcat", (4 * H, H + F1), dt)
        xp.multiply(Wh, s, out=W[:, :H])
        xp.multiply(Wx, s, out=W[:, H:])
        HX = ws.get(key + "HX", (2, H + F1, B), dt)
        HX[0, :H] = 0 if h0 is None else h0
        HX[0, H:] = X[:, 0]
    else:
        # all input projections in one GEMM, then W_hh @ h per step
        Whs = xp.multiply(Wh, s, out=ws.get(key + "Whs", Wh.shape, dt))
        G = ws.get(key + "G", (4 * H, T * B), dt)
        Wxs = xp.multiply(Wx, s, out=ws.get(key + "Wxs", Wx.shape, dt))
        xp.matmul(Wxs, X.reshape(F1, T * B), out=G)
        G = G.reshape(4 * H, T, B)
    h, c = h0, c0
    if kernels is not None or host is not None:
        zero = ws.get(key + "zero", (H, B), dt)
        zero[...] = 0
    for t in range(T):
        k = t if keep else 0
        z = A[k]
        c_new = C[t if keep else t % 2]
        if kernels is not None:
            if h is None:
                z[...] = 0
            else:
                xp.matmul(Whs, h, out=z)
            kernels.forward(
                *blocks(G[:, t], H),
                zero if c is None else c,
                *blocks(z, H),
                c_new,
                TC[k],
                Y[:, t],
            )
            h, c = Y[:, t], c_new
            continue
        # pre-activations into z
        if fold_input:
            xp.matmul(W, HX[t % 2], out=z)
        elif h is None:
            z[...] = G[:, t]
        else:
            xp.matmul(Whs, h, out=z)
            z += G[:, t]
        if host is not None:
            host.forward_step(z, zero if c is None else c, c_new, TC[k], Y, t)
        else:
            xp.tanh(z, out=z)
            sig = z[: 3 * H]
            sig *= 0.5
            sig += 0.5
            o, i, f, g = blocks(z, H)
            xp.multiply(i, g, out=c_new)
            if c is not None:
                xp.multiply(f, c, out=tmp)
                c_new += tmp
            xp.tanh(c_new, out=TC[k])
            xp.multiply(o, TC[k], out=Y[:, t])
        if fold_input and t + 1 < T:
            nxt = HX[(t + 1) % 2]
            nxt[:H] = Y[:, t]
            nxt[H:] = X[:, t + 1]
        h, c = Y[:, t], c_new
    if not keep:
        C = c[None]
    return LSTMCache(X, Y, A, C, TC, h0, c0)


def lstm_backward(
    dY,
    cache,
    Wx,
    Wh,
    dWx,
    dWh,
    *,
    need_dX=True,
    need_dh0=False,
    dY_steps=None,
    fused=None,
    ws=None,
    key="",
    xp,
):
    """Backpropagate through one LSTM direction.

    Parameters
    ----------
    dY : array of shape (H, T, B)
        Gradient w.r.t. the hidden states ``Y`` (zero on padded steps).
    cache : LSTMCache
        From :func:`lstm_forward` with ``keep=True``.
    Wx, Wh : arrays
        The (unscaled) weights used in the forward pass.
    dWx, dWh : arrays of the shapes of Wx and Wh
        Gradients, overwritten.
    need_dX : bool
        Whether to return the gradient w.r.t. the input (without its ones row).
    need_dh0 : bool
        Whether to return gradients w.r.t. ``h0`` and ``c0``.
    dY_steps : set of int, optional
        The only timesteps where ``dY`` may be non-zero (e.g. the last step
        under a per-sequence head); None means all.
    fused : bool or None
        As in :func:`lstm_forward`.
    ws : Workspace, optional
        Where to take scratch arrays from; the returned ``dX`` is one.

    Returns
    -------
    dX : array of shape (F, T, B) or None
    dh0, dc0 : arrays of shape (H, B) or None
    """
    X, Y = cache.X, cache.Y
    F1, T, B = X.shape
    H = Wh.shape[1]
    dt = X.dtype
    ws = ws if ws is not None else FreshWorkspace(xp)
    dG = ws.get(key + "dG", (4 * H, T, B), dt)
    dh_rec = ws.get(key + "dh_rec", (H, B), dt)
    dc = ws.get(key + "dc", (H, B), dt)
    dh_rec[...] = 0
    dc[...] = 0
    WhT = ws.get(key + "WhT", (H, 4 * H), dt)
    WhT[...] = Wh.T  # contiguous: ~8 % faster per-step GEMMs than a transposed view
    kernels = None if fused is False else gate_kernels(xp)
    host = None if fused is False or kernels is not None else host_kernels(xp, dt)
    if kernels is not None or host is not None:
        _kernel_backward(
            kernels,
            host,
            dY,
            cache,
            dG,
            dh_rec,
            dc,
            WhT,
            need_dh0,
            dY_steps,
            ws,
            key,
            xp,
        )
    else:
        _plain_backward(dY, cache, dG, dh_rec, dc, WhT, need_dh0, dY_steps, ws, key, xp)

    dG2 = dG.reshape(4 * H, T * B)
    xp.matmul(dG2, X.reshape(F1, T * B).T, out=dWx)
    if T > 1:
        Yp = Y[:, : T - 1].reshape(H, (T - 1) * B)
        xp.matmul(dG[:, 1:].reshape(4 * H, (T - 1) * B), Yp.T, out=dWh)
    else:
        dWh[...] = 0
    if cache.h0 is not None:
        dWh += xp.matmul(dG[:, 0], cache.h0.T)
    dX = None
    if need_dX:
        dX = ws.get(key + "dX", (F1 - 1, T * B), dt)
        xp.matmul(Wx[:, : F1 - 1].T, dG2, out=dX)
        dX = dX.reshape(F1 - 1, T, B)
    if need_dh0:
        return dX, dh_rec, dc
    return dX, None, None


# Bytes of activations whose derivative factors the plain backward computes
# at once: small enough to stay in the L2 cache while the recursion reads
# them, large enough to need few calls (mid: 1.8 ms against 3.4 ms over all
# steps at once, which streams from memory).
_FACTOR_CHUNK_BYTES = 512 * 1024


def _derivative_factors(A, C, TC, s, c0, Q, Dc, xp):
    """Factors of steps ``s .. s+n-1`` that do not depend on the recursion.

    ``A`` and ``TC`` hold those steps' activations, ``C`` all cell states;
    writes ``Q`` (n, 4H, B), with ``dG = [dh, dc, dc, dc] * Q``, and ``Dc``
    (n, H, B), with ``dc += dh * Dc``.
    """
    n, H4, B = A.shape
    H = H4 // 4
    o, i, g = A[:, :H], A[:, H : 2 * H], A[:, 3 * H :]
    S = A[:, : 3 * H]
    dS = Q[:, : 3 * H]
    xp.subtract(1, S, out=dS)
    dS *= S  # sigmoid' for (o, i, f)
    Q[:, :H] *= TC  # do: dh * tanh(c) * o'
    Q[:, H : 2 * H] *= g  # di: dc * g * i'
    Qf = Q[:, 2 * H : 3 * H]  # df: dc * c_prev * f'
    if s > 0:
        Qf *= C[s - 1 : s + n - 1]
    else:
        Qf[1:] *= C[: n - 1]
        if c0 is None:
            Qf[0] = 0
        else:
            Qf[0] *= c0
    Qg = Q[:, 3 * H :]
    xp.multiply(g, g, out=Qg)
    xp.subtract(1, Qg, out=Qg)
    Qg *= i  # dg: dc * i * (1 - g^2)
    xp.multiply(TC, TC, out=Dc)
    xp.subtract(1, Dc, out=Dc)
    Dc *= o


def _plain_backward(dY, cache, dG, dh_rec, dc, WhT, need_dh0, dY_steps, ws, key, xp):
    """The backward recursion in plain ``xp`` calls, writing ``dG``.

    The derivative factors that do not depend on the recursion are computed
    a chunk of steps at a time, just before the recursion reaches them: few
    large calls instead of many small ones, on data still in the cache.
    """
    A, C, TC = cache.A, cache.C, cache.TC
    T, H4, B = A.shape
    H = H4 // 4
    dt = A.dtype
    k = max(1, min(T, _FACTOR_CHUNK_BYTES // (H4 * B * A.itemsize)))
    Q = ws.get(key + "Q", (k, 4 * H, B), dt)
    Dc = ws.get(key + "Dc", (k, H, B), dt)
    f = A[:, 2 * H : 3 * H]
    dh = ws.get(key + "dh", (H, B), dt)
    tmp = ws.get(key + "tmp", (H, B), dt)
    for end in range(T, 0, -k):
        s = max(0, end - k)
        n = end - s
        _derivative_factors(A[s:end], C, TC[s:end], s, cache.c0, Q[:n], Dc[:n], xp)
        for t in range(end - 1, s - 1, -1):
            q = Q[t - s]
            dz = dG[:, t]
            if dY_steps is None or t in dY_steps:
                xp.add(dY[:, t], dh_rec, out=dh)
                d = dh
            else:  # no gradient from above at this step
                d = dh_rec
            xp.multiply(d, q[:H], out=dz[:H])
            xp.multiply(d, Dc[t - s], out=tmp)
            dc += tmp
            xp.multiply(dc, q[H:].reshape(3, H, B), out=dz[H:].reshape(3, H, B))
            dc *= f[t]
            if t > 0 or need_dh0:
                xp.matmul(WhT, dz, out=dh_rec)


def _kernel_backward(
    kernels, host, dY, cache, dG, dh_rec, dc, WhT, need_dh0, dY_steps, ws, key, xp
):
    """The backward recursion with one kernel call per step, writing ``dG``:
    the CuPy ``kernels`` or the compiled CPU ones (``host``,
    :mod:`sklstm._cpu_kernels`), whichever is given."""
    A, C, TC = cache.A, cache.C, cache.TC
    T, H4, B = A.shape
    H = H4 // 4
    zero = ws.get(key + "zero", (H, B), A.dtype)
    zero[...] = 0
    for t in range(T - 1, -1, -1):
        has_dy = dY_steps is None or t in dY_steps
        if t > 0:
            c_prev = C[t - 1]
        else:
            c_prev = zero if cache.c0 is None else cache.c0
        if host is not None:
            host.backward_step(dY, has_dy, dh_rec, A[t], c_prev, TC[t], dc, dG, t)
        else:
            kernels.backward(
                dY[:, t] if has_dy else zero,
                dh_rec,
                *blocks(A[t], H),
                c_prev,
                TC[t],
                dc,
                *blocks(dG[:, t], H),
            )
        if t > 0 or need_dh0:
            xp.matmul(WhT, dG[:, t], out=dh_rec)
