# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""Fused per-step gate math: one kernel each way per step.

On GPUs the kernels are CuPy ``ElementwiseKernel`` objects (below); on CPUs, in
float32, numba-compiled loops (:mod:`sklstm._cpu_kernels`, chosen by
:func:`host_kernels`).

On a GPU a small LSTM's time is launches, not arithmetic (PERFORMANCE.md,
GPU notes): the plain ``xp`` step of :mod:`sklstm._lstm` launches about ten
kernels per timestep forward and as many backward.  Here each direction's
per-step gate math is one ``ElementwiseKernel``, so a step is the cuBLAS
``W_hh @ h`` plus one launch.

The kernel bodies are written in the common subset of CUDA C++ and C++ and
only use the element-wise parameters (no raw indexing), so
``tests/test_kernels.py`` compiles them as C++ on any machine and checks
them against the plain path; ``-m gpu`` tests check them on CuPy.

This module never imports CuPy: it asks the array module it is given for
``ElementwiseKernel`` (only CuPy has one).
"""

import functools
import importlib
import warnings
from collections import namedtuple

import numpy as np

# Gate blocks are the (H, B) row blocks of the (4H, B) activations in the
# internal order (o, i, f, g).  The forward kernel reads W_hh @ h (already
# in z_*, with the sigmoid gates' weights pre-scaled by 1/2, see
# sigmoid_scale) and the step's input projection gx_*, and leaves the gate
# activations in z_* for the backward pass.
FORWARD_IN = "T gx_o, T gx_i, T gx_f, T gx_g, T c_prev"
FORWARD_OUT = "T z_o, T z_i, T z_f, T z_g, T c, T tc, T h"
FORWARD_BODY = """
T o = (T)0.5 * tanh(z_o + gx_o) + (T)0.5;
T ig = (T)0.5 * tanh(z_i + gx_i) + (T)0.5;
T f = (T)0.5 * tanh(z_f + gx_f) + (T)0.5;
T g = tanh(z_g + gx_g);
T c_new = ig * g + f * c_prev;
T tc_new = tanh(c_new);
z_o = o;
z_i = ig;
z_f = f;
z_g = g;
c = c_new;
tc = tc_new;
h = o * tc_new;
"""

# The backward kernel turns the gradient reaching h_t (from above, dy, and
# from step t+1, dh_rec) and the running cell gradient dc into the
# gradients of the four gate pre-activations, and carries dc to step t-1.
BACKWARD_IN = "T dy, T dh_rec, T a_o, T a_i, T a_f, T a_g, T c_prev, T tc"
BACKWARD_OUT = "T dc, T dz_o, T dz_i, T dz_f, T dz_g"
BACKWARD_BODY = """
T d = dy + dh_rec;
T dcn = dc + d * a_o * ((T)1 - tc * tc);
dz_o = d * tc * a_o * ((T)1 - a_o);
dz_i = dcn * a_g * a_i * ((T)1 - a_i);
dz_f = dcn * c_prev * a_f * ((T)1 - a_f);
dz_g = dcn * a_i * ((T)1 - a_g * a_g);
dc = dcn * a_f;
"""

GateKernels = namedtuple("GateKernels", "forward backward")


@functools.cache
def gate_kernels(xp):
    """The fused forward and backward step kernels of ``xp``, or None when
    ``xp`` has no ``ElementwiseKernel`` (NumPy): then the plain path runs."""
    make = getattr(xp, "ElementwiseKernel", None)
    if make is None:
        return None
    return GateKernels(
        make(FORWARD_IN, FORWARD_OUT, FORWARD_BODY, "sklstm_lstm_forward_step"),
        make(BACKWARD_IN, BACKWARD_OUT, BACKWARD_BODY, "sklstm_lstm_backward_step"),
    )


# The GRU's (sklstm._gru) kernels, gate blocks in PyTorch's order (r, z, n).
# The forward kernel reads W_hh @ h (in a_*, the sigmoid gates' rows
# pre-scaled by 1/2), the step's input projection gx_* (with b_hr and b_hz
# folded in) and b_hn; it leaves the activations in a_* and keeps
# hn = W_hn h + b_hn, which the backward pass needs.  It writes the new
# hidden state twice: to the output y = Y[:, t] and to h, a separate
# buffer that the next step reads it from, because CuPy copies an input
# whose memory overlaps an output's (as Y[:, t-1] and Y[:, t] do) before
# each launch.
GRU_FORWARD_IN = "T gx_r, T gx_z, T gx_n, T b_n, T h_prev"
GRU_FORWARD_OUT = "T a_r, T a_z, T a_n, T hn, T h, T y"
GRU_FORWARD_BODY = """
T rg = (T)0.5 * tanh(a_r + gx_r) + (T)0.5;
T zg = (T)0.5 * tanh(a_z + gx_z) + (T)0.5;
T hng = a_n + b_n;
T ng = tanh(gx_n + rg * hng);
a_r = rg;
a_z = zg;
a_n = ng;
hn = hng;
T hg = ng + zg * (h_prev - ng);
h = hg;
y = hg;
"""

# The backward kernel turns the gradient reaching h_t (from above, dy; from
# step t+1 through W_hh, dh_rec; and directly, carry = z_{t+1} * dh_{t+1})
# into the pre-activation gradients, rows (n_h, r, z, n_x) of sklstm._gru's
# dG, and leaves z_t * dh_t in carry for step t-1.
GRU_BACKWARD_IN = "T dy, T dh_rec, T a_r, T a_z, T a_n, T hn, T h_prev"
GRU_BACKWARD_OUT = "T carry, T dg_nh, T dg_r, T dg_z, T dg_nx"
GRU_BACKWARD_BODY = """
T d = dy + dh_rec + carry;
T dn = d * ((T)1 - a_z) * ((T)1 - a_n * a_n);
dg_nh = dn * a_r;
dg_r = dn * hn * a_r * ((T)1 - a_r);
dg_z = d * (h_prev - a_n) * a_z * ((T)1 - a_z);
dg_nx = dn;
carry = d * a_z;
"""


@functools.cache
def gru_gate_kernels(xp):
    """The GRU's fused forward and backward step kernels of ``xp``, or None
    when ``xp`` has no ``ElementwiseKernel`` (NumPy): then the plain path
    runs."""
    make = getattr(xp, "ElementwiseKernel", None)
    if make is None:
        return None
    return GateKernels(
        make(
            GRU_FORWARD_IN, GRU_FORWARD_OUT, GRU_FORWARD_BODY, "sklstm_gru_forward_step"
        ),
        make(
            GRU_BACKWARD_IN,
            GRU_BACKWARD_OUT,
            GRU_BACKWARD_BODY,
            "sklstm_gru_backward_step",
        ),
    )


@functools.cache
def _import_cpu_kernels():
    """:mod:`sklstm._cpu_kernels`, or None when numba cannot be imported or
    cannot compile them (then with a warning, once per process)."""
    try:
        return importlib.import_module("sklstm._cpu_kernels")
    except ImportError:
        return None
    except Exception as exc:  # e.g. numba finds no writable cache folder
        warnings.warn(
            f"sklstm's compiled CPU kernels are unavailable ({exc}); the LSTM "
            "gate math runs in plain NumPy, which is slower on small networks. "
            "If numba found no writable cache folder, set NUMBA_CACHE_DIR to one.",
            RuntimeWarning,
            stacklevel=2,
        )
        return None


def host_kernels(xp, dtype):
    """The numba-compiled CPU step kernels, or None for the plain path.

    They run wherever ``xp`` is NumPy and ``dtype`` float32.  numba is a
    dependency and there is no switch: the plain path runs for float64
    (gradient checks), on GPUs (which have their own kernels), and only
    where numba cannot compile (with a warning, see
    :func:`_import_cpu_kernels`).
    """
    if xp is not np or np.dtype(dtype) != np.float32:
        return None
    return _import_cpu_kernels()


def blocks(a, H):
    """The four (H, ...) gate blocks of a (4H, ...) array, as views."""
    return a[:H], a[H : 2 * H], a[2 * H : 3 * H], a[3 * H :]
