# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""Array-module (``xp``) selection: the only module that may import CuPy.

CuPy is imported lazily, on the first request for a GPU, never at
``import sklstm``.  Everything above this module receives ``xp`` and calls
the NumPy API on it.
"""

import functools
import importlib
import sys

import numpy as np
from sklearn import get_config

_INSTALL_HINT = (
    "device='cuda' needs CuPy and a CUDA GPU. Install the GPU extra with "
    '`pip install ".[gpu]"` in a sklstm checkout (it pulls the '
    "`cupy-cuda12x` wheel; use `cupy-cuda11x` for CUDA 11), or use "
    "device='cpu'."
)


def _import_cupy():
    """Return the ``cupy`` module, or None when it cannot be imported."""
    try:
        return importlib.import_module("cupy")
    except Exception:  # ImportError, or a broken CUDA install raising at import
        return None


def gpu_available():
    """Whether CuPy is importable and sees at least one usable CUDA device."""
    cupy = _import_cupy()
    if cupy is None:
        return False
    try:
        return bool(cupy.is_available())
    except Exception:
        return False


def get_namespace(device, *, fitted=False):
    """Return the array module for ``device`` ('cpu', 'cuda' or 'auto').

    Parameters
    ----------
    device : {'cpu', 'cuda', 'auto'}
        The estimator's ``device`` parameter.
    fitted : bool, default=False
        Whether a fitted model asks, to predict.  A model fitted on a GPU
        then runs on NumPy where no GPU is usable, so that it predicts on any
        machine it is loaded on; fitting with 'cuda' still needs a GPU.

    Raises
    ------
    ValueError
        If ``device`` is unknown, or is 'cuda' while no usable GPU exists
        and ``fitted`` is False.
    """
    if device == "cpu":
        return np
    if device == "auto" or (device == "cuda" and fitted):
        return _import_cupy() if gpu_available() else np
    if device == "cuda":
        if not gpu_available():
            raise ValueError(_INSTALL_HINT)
        return _import_cupy()
    raise ValueError(f"device must be 'cpu', 'cuda' or 'auto'; got {device!r}.")


def is_cupy(xp):
    """Whether ``xp`` is the CuPy module (checked without importing CuPy)."""
    return getattr(xp, "__name__", "") == "cupy"


def is_cupy_array(a):
    """Whether ``a`` is a CuPy array, without importing CuPy."""
    cupy = sys.modules.get("cupy")
    return cupy is not None and isinstance(a, cupy.ndarray)


def is_foreign_array(a):
    """Whether ``a`` is an array of another library than NumPy: CuPy, or
    any namespace of the array API standard."""
    return not isinstance(a, np.ndarray | np.generic) and hasattr(
        a, "__array_namespace__"
    )


def to_numpy(a):
    """Return ``a`` as a NumPy array (copying from the device if needed)."""
    if is_cupy_array(a):
        return a.get()
    if is_foreign_array(a) and hasattr(a, "__dlpack__"):
        try:
            return np.from_dlpack(a)
        except (TypeError, BufferError, RuntimeError, ValueError):
            pass  # not on the host: np.asarray below says why
    return np.asarray(a)


def follows_input_namespace(method):
    """Decorate ``method(self, X, ...)`` so that, with scikit-learn's
    ``array_api_dispatch`` on, its numeric arrays come back in the namespace
    (and so on the device) of ``X``; otherwise they are NumPy.

    String labels have no array API counterpart and stay NumPy.
    """

    @functools.wraps(method)
    def wrapper(self, X, *args, **kwargs):
        Xn = to_numpy(X) if is_foreign_array(X) else X
        return to_namespace_of(X, method(self, Xn, *args, **kwargs))

    return wrapper


def to_namespace_of(X, result):
    """``result`` (an array or a list of them) in the namespace of ``X``
    under scikit-learn's ``array_api_dispatch``; as it is otherwise."""
    if not is_foreign_array(X) or not get_config().get("array_api_dispatch"):
        return result
    xp = X.__array_namespace__()
    if isinstance(result, list):
        return [to_namespace_of(X, r) for r in result]
    if isinstance(result, np.ndarray) and result.dtype.kind in "biuf":
        return xp.asarray(result)
    return result


def to_device(a, xp):
    """Return ``a`` as an array of the module ``xp`` (NumPy or CuPy),
    copying between host and device when needed."""
    return to_numpy(a) if xp is np else xp.asarray(a)
