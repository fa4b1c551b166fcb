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
import os
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

    They run where ``xp`` is NumPy, ``dtype`` is float32 and numba is
    installed, unless the environment variable ``SKLSTM_NUMBA`` is ``0``
    (then every step takes the plain NumPy path).
    """
    if xp is not np or np.dtype(dtype) != np.float32:
        return None
    if os.environ.get("SKLSTM_NUMBA", "1").strip() == "0":
        return None
    return _import_cpu_kernels()


def blocks(a, H):
    """The four (H, ...) gate blocks of a (4H, ...) array, as views."""
    return a[:H], a[H : 2 * H], a[2 * H : 3 * H], a[3 * H :]
