# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""Fused per-step gate math for CPUs, compiled with numba (float32).

The CPU twin of the CuPy kernels of :mod:`sklstm._kernels`.  The plain
NumPy step of :mod:`sklstm._lstm` makes about ten ufunc calls per timestep
forward and as many backward, each a pass over a (H, B) or (4H, B) block;
on small networks (B·H of a few thousand) their fixed costs take as long as
the matrix products (PERFORMANCE.md, hazard 6), and the backward's ~15
passes cost at every size.  Here each direction's gate
math is one compiled loop that reads every value once: a step is NumPy's
``matmul`` plus one call.

``tanh`` is a rational approximation (odd degree-11 over even degree-6
polynomial in x, fitted for this module to float32 accuracy: largest error
3.6e-7 against the exact tanh, where ``np.tanh`` in float32 errs by 6e-8)
because numba's ``math.tanh`` calls the C library one value at a time, which
is slower than NumPy; the polynomial vectorises.  It is used for float32
only: float64 (gradient checks, users who ask for it) takes the plain path.

This is the only module that imports numba; :func:`sklstm._kernels.host_kernels`
imports it lazily and falls back to the plain path when numba is missing.
Compiled code is cached on disk (``cache=True``), so only the first fit on a
machine pays the compilation (about a second).
"""

import numba
import numpy as np

_OPTIONS = dict(
    nogil=True,
    cache=True,
    boundscheck=False,
    # no division-by-zero check: its branch stops vectorisation, and the
    # denominator below is >= 1.  No fast-math flags: without them the
    # vectorised loop and its scalar remainder round alike, so a sequence
    # gets the same gate values whatever batch it is in.
    error_model="numpy",
)

# tanh(x) ~ x * P(x^2) / Q(x^2) on [-9, 9] (beyond, tanh rounds to +-1 in
# float32).  Coefficients from a weighted least-squares rational fit.
_P = [
    0.9999997362989199,
    0.12910658800885844,
    0.0029119687278231143,
    9.194870301520131e-06,
    -1.2590688832256972e-08,
    1.7837258199147455e-11,
]
_Q = [1.0, 0.4624389175160934, 0.02372606163758318, 0.0002269375770227183]
_P0, _P1, _P2, _P3, _P4, _P5 = (np.float32(p) for p in _P)
_Q0, _Q1, _Q2, _Q3 = (np.float32(q) for q in _Q)
_CLIP = np.float32(9.0)
_HALF = np.float32(0.5)
_ONE = np.float32(1.0)


@numba.njit(inline="always", **_OPTIONS)
def tanh(x):
    """float32 tanh to 4e-7, within [-1, 1]; NaN stays NaN (the clamps are
    comparisons, which NaN fails, not min/max)."""
    if x > _CLIP:
        x = _CLIP
    elif x < -_CLIP:
        x = -_CLIP
    u = x * x
    p = ((((_P5 * u + _P4) * u + _P3) * u + _P2) * u + _P1) * u + _P0
    q = ((_Q3 * u + _Q2) * u + _Q1) * u + _Q0
    y = x * p / q
    # near saturation the fit overshoots 1 by up to 2e-7: keep |tanh| <= 1
    if y > _ONE:
        y = _ONE
    elif y < -_ONE:
        y = -_ONE
    return y


@numba.njit(**_OPTIONS)
def tanh_array(x, out):
    """:func:`tanh` over a 1-D array (for tests and benchmarks)."""
    for j in range(x.shape[0]):
        out[j] = tanh(x[j])


@numba.njit(**_OPTIONS)
def forward_step(z, c_prev, c, tc, Y, t):
    """One step's gate math, in place.

    ``z`` (4H, B) holds the pre-activations, the sigmoid gates (o, i, f)
    pre-scaled by 1/2 (:func:`sklstm._lstm.sigmoid_scale`), and is left
    holding the gate activations; writes the cell state ``c``, ``tc =
    tanh(c)`` and ``h = o * tc`` into ``Y[:, t]`` (``Y`` of shape (H, T, B)).
    """
    H, B = c.shape
    for r in range(H):
        for b in range(B):
            o = _HALF * tanh(z[r, b]) + _HALF
            i = _HALF * tanh(z[H + r, b]) + _HALF
            f = _HALF * tanh(z[2 * H + r, b]) + _HALF
            g = tanh(z[3 * H + r, b])
            cn = i * g + f * c_prev[r, b]
            th = tanh(cn)
            z[r, b] = o
            z[H + r, b] = i
            z[2 * H + r, b] = f
            z[3 * H + r, b] = g
            c[r, b] = cn
            tc[r, b] = th
            Y[r, t, b] = o * th


@numba.njit(**_OPTIONS)
def backward_step(dY, has_dy, dh_rec, a, c_prev, tc, dc, dG, t):
    """One step of the backward recursion's gate math.

    Turns the gradient reaching ``h_t`` (``dY[:, t]`` when ``has_dy``, plus
    ``dh_rec`` from step t+1) and the running cell gradient ``dc`` into the
    gate pre-activation gradients ``dG[:, t]`` ((4H, T, B) array), given the
    step's activations ``a`` (4H, B), previous cell state and ``tanh(c_t)``;
    carries ``dc`` to step t-1 in place.
    """
    H, B = dc.shape
    for r in range(H):
        for b in range(B):
            d = dh_rec[r, b]
            if has_dy:
                d += dY[r, t, b]
            ao = a[r, b]
            ai = a[H + r, b]
            af = a[2 * H + r, b]
            ag = a[3 * H + r, b]
            th = tc[r, b]
            dcn = dc[r, b] + d * ao * (_ONE - th * th)
            dG[r, t, b] = d * th * ao * (_ONE - ao)
            dG[H + r, t, b] = dcn * ag * ai * (_ONE - ai)
            dG[2 * H + r, t, b] = dcn * c_prev[r, b] * af * (_ONE - af)
            dG[3 * H + r, t, b] = dcn * ai * (_ONE - ag * ag)
            dc[r, b] = dcn * af


@numba.njit(**_OPTIONS)
def gru_forward_step(G, a, b_n, h_prev, hn, h, Y, t):
    """One GRU step's gate math (:mod:`sklstm._gru`), in place.

    ``a`` (3H, B) holds ``W_hh @ h_prev`` in gate order (r, z, n), the rows
    of r and z pre-scaled by 1/2, and is left holding the activations;
    ``G`` (3H, T, B) is the input projection (b_hr and b_hz folded in, r and
    z scaled alike), ``b_n`` (H,) the bias b_hn.  Writes ``hn = W_hn h +
    b_hn`` and ``h = n + z * (h_prev - n)``, into ``Y[:, t]`` and into the
    contiguous (H, B) ``h``.  The next step reads it from there: reading
    ``Y[:, t - 1]`` (a strided view, or ``Y`` itself, which the step
    writes) stops numba vectorising the loop, which then takes five times
    as long.
    """
    H, B = hn.shape
    for j in range(H):
        bn = b_n[j]
        for b in range(B):
            r = _HALF * tanh(a[j, b] + G[j, t, b]) + _HALF
            z = _HALF * tanh(a[H + j, b] + G[H + j, t, b]) + _HALF
            m = a[2 * H + j, b] + bn
            n = tanh(G[2 * H + j, t, b] + r * m)
            y = n + z * (h_prev[j, b] - n)
            a[j, b] = r
            a[H + j, b] = z
            a[2 * H + j, b] = n
            hn[j, b] = m
            h[j, b] = y
            Y[j, t, b] = y


@numba.njit(**_OPTIONS)
def gru_backward_step(dY, has_dy, dh_rec, carry, a, hn, h_prev, dG, t):
    """One step of the GRU's backward recursion (:mod:`sklstm._gru`).

    The gradient reaching ``h_t`` is ``dY[:, t]`` (when ``has_dy``) plus
    ``dh_rec`` (``W_hh^T`` times step t+1's gradients) plus ``carry`` (step
    t+1's ``z * dh``); writes the pre-activation gradients ``dG[:, t]``
    ((4H, T, B) array, rows (n_h, r, z, n_x)) from the step's activations
    ``a`` (3H, B), ``hn`` and previous hidden state, and leaves ``z * dh_t``
    in ``carry``.
    """
    H, B = carry.shape
    for j in range(H):
        for b in range(B):
            d = dh_rec[j, b] + carry[j, b]
            if has_dy:
                d += dY[j, t, b]
            r = a[j, b]
            z = a[H + j, b]
            n = a[2 * H + j, b]
            dn = d * (_ONE - z) * (_ONE - n * n)
            dG[j, t, b] = dn * r
            dG[H + j, t, b] = dn * hn[j, b] * r * (_ONE - r)
            dG[2 * H + j, t, b] = d * (h_prev[j, b] - n) * z * (_ONE - z)
            dG[3 * H + j, t, b] = dn
            carry[j, b] = d * z
