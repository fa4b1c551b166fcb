# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""One GRU layer in one direction: forward and backpropagation through time.

The equations and the weight layout are PyTorch's ``nn.GRU``, gate rows in
its order (r, z, n)::

    r  = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
    z  = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
    n  = tanh(W_in x + b_in + r * (W_hn h + b_hn))
    h' = (1 - z) * n + z * h

Everything is feature-major, as in :mod:`sklstm._lstm`, so that each per-step
operation touches contiguous memory:

=========  ==============  ==================================================
name       shape           meaning
=========  ==============  ==================================================
X          (F+1, T, B)     layer input; the last row is all ones (bias)
Wx         (3H, F+1)       input weights (r, z, n), last column = b_ih
Wh         (3H, H+1)       recurrent weights (r, z, n), last column = b_hh
Y          (H, T, B)       hidden states h_t (may be a row block of a bigger
                           buffer: only the row stride may differ)
A          (T, 3H, B)      gate activations (r, z, n)
Hn         (T, H, B)       W_hn h_{t-1} + b_hn, the term that r gates
dG         (4H, T, B)      gradients w.r.t. the pre-activations, rows
                           (n_h, r, z, n_x); see below
=========  ==============  ==================================================

``b_hh`` is a column of its own, not folded into ``b_ih`` as an LSTM's two
biases can be, because ``b_hn`` sits inside ``r * (...)``.  The forward pass
does fold ``b_hr`` and ``b_hz`` into the input projection (they add to the
pre-activation like ``b_ir`` and ``b_iz``), so a step only adds ``b_hn``.

The sigmoid gates use sigmoid(x) = 0.5 * tanh(x / 2) + 0.5 with the 1/2
folded into scaled copies of their weight rows, as in the LSTM (exact in
binary floating point, so the scaled and unscaled paths round alike).

The pre-activation gradients of the input projection (r, z, n_x) and of the
recurrent one (r, z, n_h) differ in the n block only: n_h = n_x * r.  Rows
(n_h, r, z, n_x) make both row blocks contiguous, ``dG[:3H]`` for the
recurrent GEMMs (with the columns of ``W_hh^T`` permuted to match) and
``dG[H:]`` for the input GEMMs, so every step's backward is one GEMM.

Each step's gate arithmetic runs as one fused kernel forward and one
backward where there is one (:func:`sklstm._kernels.gru_gate_kernels` on
CuPy; :mod:`sklstm._cpu_kernels` on NumPy in float32 with numba).  Everything
else takes the plain ``xp`` path below, which is also the reference the
kernels are tested against.

As in the LSTM, the layer ignores sequence lengths: padded steps only
influence later padded steps, and get zero gradient from the loss above.
"""

from sklstm._kernels import gru_gate_kernels, host_kernels
from sklstm._lstm import FreshWorkspace, sigmoid_scale


def _gate_blocks(a, H):
    """The (H, ...) row blocks of a (kH, ...) array, as views."""
    return tuple(a[k * H : (k + 1) * H] for k in range(a.shape[0] // H))


class GRUCache:
    """What the backward pass needs from a forward pass."""

    __slots__ = ("X", "Y", "A", "Hn", "h0")

    def __init__(self, X, Y, A, Hn, h0):
        self.X, self.Y, self.A, self.Hn, self.h0 = X, Y, A, Hn, h0


def gru_forward(X, Wx, Wh, Y, *, h0=None, keep=True, fused=None, ws=None, key="", xp):
    """Run one GRU direction over all T steps of ``X``.

    Parameters
    ----------
    X : array of shape (F+1, T, B)
        Input with a final row of ones.
    Wx, Wh : arrays of shape (3H, F+1) and (3H, H+1)
        Weights in PyTorch's gate order (r, z, n); their last columns are
        the biases ``b_ih`` and ``b_hh``.
    Y : array of shape (H, T, B)
        Output buffer for the hidden states (always written in full).
    h0 : array of shape (H, B), optional
        Initial hidden state; zeros when omitted.
    keep : bool
        Keep every step's activations for :func:`gru_backward` (training);
        when False only one step's scratch is allocated.
    fused : bool or None
        Use a fused step kernel: CuPy's where ``xp`` has them, else numba's
        for float32 NumPy; False runs the plain ``xp`` step.
    ws : Workspace, optional
        Where to take scratch arrays from (names prefixed by ``key``).

    Returns
    -------
    cache : GRUCache
    """
    F1, T, B = X.shape
    H = Wh.shape[0] // 3
    dt = X.dtype
    ws = ws if ws is not None else FreshWorkspace(xp)
    key = key + "gru_"
    kernels = None if fused is False else gru_gate_kernels(xp)
    host = None if fused is False or kernels is not None else host_kernels(xp, dt)
    s = sigmoid_scale(H, Wx.dtype, xp=xp, n_gates=3, n_sigmoid=2)
    n_keep = T if keep else 1
    A = ws.get(key + "A", (n_keep, 3 * H, B), dt)
    Hn = ws.get(key + "Hn", (n_keep, H, B), dt)
    # all input projections in one GEMM, b_hr and b_hz folded into its bias
    Wxs = xp.multiply(Wx, s, out=ws.get(key + "Wxs", Wx.shape, dt))
    Wxs[: 2 * H, F1 - 1 :] += Wh[: 2 * H, H:] * s[: 2 * H]
    G = ws.get(key + "G", (3 * H, T * B), dt)
    xp.matmul(Wxs, X.reshape(F1, T * B), out=G)
    G = G.reshape(3 * H, T, B)
    # contiguous scaled W_hh for the per-step GEMMs
    Whs = xp.multiply(Wh[:, :H], s, out=ws.get(key + "Whs", (3 * H, H), dt))
    b_n = Wh[2 * H :, H:]  # (H, 1), broadcast by the plain path
    if kernels is not None:
        # element-wise kernels take same-shape arguments only
        b_n = ws.get(key + "b_n", (H, B), dt)
        b_n[...] = Wh[2 * H :, H:]
    elif host is not None:
        b_n = ws.get(key + "b_n", (H,), dt)
        b_n[...] = Wh[2 * H :, H]
    zero = ws.get(key + "zero", (H, B), dt)
    zero[...] = 0
    h = h0
    if kernels is not None or host is not None:
        # the fused steps also write h_t to a double buffer of their own and
        # the next step reads it from there: CuPy would copy an input that
        # overlaps an output, like Y[:, t-1] and Y[:, t], before each launch,
        # and numba does not vectorise a loop over either (GRU_FORWARD_OUT,
        # gru_forward_step)
        hbuf = ws.get(key + "h", (2, H, B), dt)
        if h0 is not None:
            hbuf[1] = h0
            h = hbuf[1]
    for t in range(T):
        k = t if keep else 0
        a, hn = A[k], Hn[k]
        # W_hh h into a: the kernels and the plain step read it from there
        if h is None:
            a[...] = 0
            h = zero
        else:
            xp.matmul(Whs, h, out=a)
        if kernels is not None:
            gx = _gate_blocks(G[:, t], H)
            out = (*_gate_blocks(a, H), hn, hbuf[t % 2], Y[:, t])
            kernels.forward(*gx, b_n, h, *out)
            h = hbuf[t % 2]
        elif host is not None:
            host.gru_forward_step(G, a, b_n, h, hn, hbuf[t % 2], Y, t)
            h = hbuf[t % 2]
        else:
            rz = a[: 2 * H]
            rz += G[: 2 * H, t]
            xp.tanh(rz, out=rz)
            rz *= 0.5
            rz += 0.5
            r, z, n = _gate_blocks(a, H)
            xp.add(n, b_n, out=hn)  # n holds W_hn h until here
            xp.multiply(r, hn, out=n)
            n += G[2 * H :, t]
            xp.tanh(n, out=n)
            # h' = n + z * (h - n): (1 - z) * n + z * h in three calls
            y = Y[:, t]
            xp.subtract(h, n, out=y)
            y *= z
            y += n
            h = y
    return GRUCache(X, Y, A, Hn, h0)


def gru_backward(
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
    """Backpropagate through one GRU direction.

    Parameters
    ----------
    dY : array of shape (H, T, B)
        Gradient w.r.t. the hidden states ``Y`` (zero on padded steps).
    cache : GRUCache
        From :func:`gru_forward` with ``keep=True``.
    Wx, Wh : arrays
        The weights used in the forward pass.
    dWx, dWh : arrays of the shapes of Wx and Wh
        Gradients (bias columns included), overwritten.
    need_dX : bool
        Whether to return the gradient w.r.t. the input (without its ones row).
    need_dh0 : bool
        Whether to return the gradient w.r.t. ``h0``.
    dY_steps : set of int, optional
        The only timesteps where ``dY`` may be non-zero (e.g. the last step
        under a per-sequence head); ``dY`` is not read elsewhere.  None
        means all.
    fused : bool or None
        As in :func:`gru_forward`.
    ws : Workspace, optional
        Where to take scratch arrays from; the returned arrays are some.

    Returns
    -------
    dX : array of shape (F, T, B) or None
    dh0 : array of shape (H, B) or None
    """
    X, Y = cache.X, cache.Y
    F1, T, B = X.shape
    H = Wh.shape[0] // 3
    dt = X.dtype
    if cache.A.shape[0] != T:
        raise ValueError("gru_backward needs a forward pass with keep=True.")
    ws = ws if ws is not None else FreshWorkspace(xp)
    key = key + "gru_"
    dG = ws.get(key + "dG", (4 * H, T, B), dt)
    dh_rec = ws.get(key + "dh_rec", (H, B), dt)
    dh_rec[...] = 0
    # W_hh^T with its columns in dG's recurrent order (n, r, z), contiguous
    WhT = ws.get(key + "WhT", (H, 3 * H), dt)
    WhT[:, :H] = Wh[2 * H :, :H].T
    WhT[:, H:] = Wh[: 2 * H, :H].T
    kernels = None if fused is False else gru_gate_kernels(xp)
    host = None if fused is False or kernels is not None else host_kernels(xp, dt)
    if kernels is not None or host is not None:
        _kernel_backward(
            kernels, host, dY, cache, dG, dh_rec, WhT, need_dh0, dY_steps, ws, key, xp
        )
    else:
        _plain_backward(dY, cache, dG, dh_rec, WhT, need_dh0, dY_steps, ws, key, xp)

    dGx = dG[H:].reshape(3 * H, T * B)  # (r, z, n_x): the input projection's
    dGh = dG[: 3 * H]  # (n_h, r, z): the recurrent projection's
    xp.matmul(dGx, X.reshape(F1, T * B).T, out=dWx)
    # recurrent weights against the previous hidden states, in dGh's order
    dW = ws.get(key + "dW", (3 * H, H), dt)
    if T > 1:
        Yp = Y[:, : T - 1].reshape(H, (T - 1) * B)
        xp.matmul(dGh[:, 1:].reshape(3 * H, (T - 1) * B), Yp.T, out=dW)
    else:
        dW[...] = 0
    if cache.h0 is not None:
        dW += xp.matmul(dGh[:, 0], cache.h0.T)
    db = dGh.reshape(3 * H, T * B).sum(axis=1)
    dWh[: 2 * H, :H] = dW[H:]
    dWh[2 * H :, :H] = dW[:H]
    dWh[: 2 * H, H] = db[H:]
    dWh[2 * H :, H] = db[:H]
    dX = None
    if need_dX:
        dX = ws.get(key + "dX", (F1 - 1, T * B), dt)
        xp.matmul(Wx[:, : F1 - 1].T, dGx, out=dX)
        dX = dX.reshape(F1 - 1, T, B)
    return dX, (dh_rec if need_dh0 else None)


# Bytes of derivative factors the plain backward computes at once, as in
# sklstm._lstm: few large calls on data still in the L2 cache.
_FACTOR_CHUNK_BYTES = 512 * 1024


def _derivative_factors(A, Hn, Y, s, h0, Q, xp):
    """Factors of steps ``s .. s+n-1`` that do not depend on the recursion.

    ``A`` (n, 3H, B) and ``Hn`` (n, H, B) hold those steps' activations,
    ``Y`` all hidden states; writes ``Q`` (n, 4H, B), rows (n_h, r, z, n_x),
    with ``dG = dh * Q`` for the gradient ``dh`` reaching each step's output.
    """
    n_steps, _, B = A.shape
    H = Hn.shape[1]
    r, z, n = A[:, :H], A[:, H : 2 * H], A[:, 2 * H :]
    Qnh, Qr, Qz, Qnx = (Q[:, k * H : (k + 1) * H] for k in range(4))
    xp.multiply(n, n, out=Qnx)
    xp.subtract(1, Qnx, out=Qnx)
    xp.subtract(1, z, out=Qz)
    Qnx *= Qz  # n_x: (1 - z) * tanh'
    Qz *= z  # z: (h_prev - n) * sigmoid'
    # h_prev - n into Qnh (as scratch), h_prev read in place, time-major
    if s > 0:
        xp.subtract(Y[:, s - 1 : s + n_steps - 1].transpose(1, 0, 2), n, out=Qnh)
    else:
        xp.subtract(Y[:, : n_steps - 1].transpose(1, 0, 2), n[1:], out=Qnh[1:])
        if h0 is None:
            xp.negative(n[0], out=Qnh[0])
        else:
            xp.subtract(h0, n[0], out=Qnh[0])
    Qz *= Qnh
    xp.multiply(Qnx, r, out=Qnh)  # n_h: r * the n_x factor
    xp.subtract(1, r, out=Qr)  # r: (W_hn h + b_hn) * sigmoid'
    Qr *= r
    Qr *= Hn
    Qr *= Qnx


def _plain_backward(dY, cache, dG, dh_rec, WhT, need_dh0, dY_steps, ws, key, xp):
    """The backward recursion in plain ``xp`` calls, writing ``dG``; the
    factors that do not depend on it are computed a chunk of steps at a
    time, just before the recursion reaches them (as in the LSTM)."""
    A, Hn, Y, h0 = cache.A, cache.Hn, cache.Y, cache.h0
    T, H3, B = A.shape
    H = H3 // 3
    dt = A.dtype
    k = max(1, min(T, _FACTOR_CHUNK_BYTES // (4 * H * B * A.itemsize)))
    Q = ws.get(key + "Q", (k, 4 * H, B), dt)
    z = A[:, H : 2 * H]
    dh = ws.get(key + "dh", (H, B), dt)
    tmp = ws.get(key + "tmp", (H, B), dt)
    for end in range(T, 0, -k):
        s = max(0, end - k)
        n = end - s
        _derivative_factors(A[s:end], Hn[s:end], Y, s, h0, Q[:n], xp)
        for t in range(end - 1, s - 1, -1):
            if dY_steps is None or t in dY_steps:
                xp.add(dY[:, t], dh_rec, out=dh)
                d = dh
            else:  # no gradient from above at this step
                d = dh_rec
            xp.multiply(d, Q[t - s].reshape(4, H, B), out=dG[:, t].reshape(4, H, B))
            if t > 0 or need_dh0:
                # dh_{t-1} = W_hh^T dG_h + z * dh_t
                xp.multiply(d, z[t], out=tmp)
                xp.matmul(WhT, dG[: 3 * H, t], out=dh_rec)
                dh_rec += tmp


def _kernel_backward(
    kernels, host, dY, cache, dG, dh_rec, WhT, need_dh0, dY_steps, ws, key, xp
):
    """The backward recursion with one kernel call per step, writing ``dG``:
    the CuPy ``kernels`` or the compiled CPU ones (``host``), whichever is
    given.  The kernels carry the direct term ``z * dh`` to step t-1 in
    ``carry``, so that the step needs no separate addition after its GEMM."""
    A, Hn, Y, h0 = cache.A, cache.Hn, cache.Y, cache.h0
    T, H3, B = A.shape
    H = H3 // 3
    zero = ws.get(key + "zero", (H, B), A.dtype)
    zero[...] = 0
    carry = ws.get(key + "carry", (H, B), A.dtype)
    carry[...] = 0
    for t in range(T - 1, -1, -1):
        has_dy = dY_steps is None or t in dY_steps
        if t > 0:
            h_prev = Y[:, t - 1]
        else:
            h_prev = zero if h0 is None else h0
        if host is not None:
            host.gru_backward_step(
                dY, has_dy, dh_rec, carry, A[t], Hn[t], h_prev, dG, t
            )
        else:
            kernels.backward(
                dY[:, t] if has_dy else zero,
                dh_rec,
                *_gate_blocks(A[t], H),
                Hn[t],
                h_prev,
                carry,
                *_gate_blocks(dG[:, t], H),
            )
        if t > 0 or need_dh0:
            xp.matmul(WhT, dG[: 3 * H, t], out=dh_rec)
    if need_dh0:
        dh_rec += carry
