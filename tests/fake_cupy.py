"""A stand-in for CuPy on machines without a GPU: NumPy behind CuPy's rules.

CuPy refuses every implicit move between host and device: ``np.asarray`` of a
device array raises, and device functions, operators and ``__setitem__``
reject NumPy arrays and lists.  Code that passes the estimators' tests with
this module installed as ``cupy`` keeps device and host apart the way the
real CuPy requires, so CPU CI catches the usual GPU-only bugs (a stray
``np.asarray`` on a device array, a host array mixed into device math, a
device array left in fitted state).

It does not model speed, streams or CUDA kernels: ``ElementwiseKernel`` and
``RawKernel`` are absent, which is how :mod:`sklstm._kernels` knows to use
the plain ``xp`` path.  The fused kernels are checked separately (compiled as
C++ in ``tests/test_kernels.py``, and on a real GPU by ``-m gpu``).

``array_api_strict`` was the stand-in DESIGN.md first named; it cannot run
the engine, which relies on ``out=`` and in-place updates that the array API
standard does not have (PERFORMANCE.md: preallocated buffers are what makes
the NumPy engine fast).
"""

import types

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin

_SCALARS = (int, float, bool, complex, np.generic, str, slice, type(Ellipsis))
_HOST_MSG = (
    "Implicit conversion to a NumPy array is not allowed. "
    "Please use `.get()` to construct a NumPy array explicitly."
)


def _reject(obj):
    raise TypeError(f"fake cupy: unsupported type {type(obj)} (host data on device)")


def _unwrap(obj):
    """Device arrays to their NumPy payload; host arrays and lists rejected."""
    if isinstance(obj, ndarray):
        return obj._a
    if obj is None or isinstance(obj, _SCALARS):
        return obj
    if isinstance(obj, np.dtype | type):
        return obj
    if isinstance(obj, tuple):
        return tuple(_unwrap(o) for o in obj)
    if isinstance(obj, list) and obj and all(isinstance(o, ndarray) for o in obj):
        return [o._a for o in obj]  # e.g. concatenate([a, b]) of device arrays
    if isinstance(obj, np.ndarray | list):
        _reject(obj)
    return obj


def _wrap(obj):
    if isinstance(obj, np.ndarray):
        return ndarray(obj)
    if isinstance(obj, tuple):
        return tuple(_wrap(o) for o in obj)
    if isinstance(obj, list):
        return [_wrap(o) for o in obj]
    return obj


class ndarray(NDArrayOperatorsMixin):  # noqa: N801 (CuPy's name)
    """A device array: a NumPy array that refuses to meet the host implicitly."""

    __array_priority__ = 100

    def __init__(self, a):
        self._a = a

    # CuPy's guard against implicit device-to-host copies
    def __array__(self, dtype=None, copy=None):
        raise TypeError(_HOST_MSG)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        out = kwargs.get("out")
        args = [_unwrap(x) for x in inputs]
        if out is not None:
            kwargs["out"] = tuple(_unwrap(o) for o in out)
        result = getattr(ufunc, method)(*args, **kwargs)
        if out is not None and method == "__call__":
            return out[0] if len(out) == 1 else out
        return _wrap_view(result)

    def __array_function__(self, func, types, args, kwargs):
        # np.mean(device) etc. run on the device and return device arrays,
        # as CuPy's __array_function__ does
        args = [_unwrap(a) for a in args]
        kwargs = {k: _unwrap(v) for k, v in kwargs.items()}
        return _wrap_view(func(*args, **kwargs))

    def __array_namespace__(self, api_version=None):
        return _module

    # conversions that CuPy performs with a synchronising copy
    def get(self):
        return self._a.copy()

    def item(self):
        return self._a.item()

    def tolist(self):
        return self._a.tolist()

    def __float__(self):
        return float(self._a)

    def __int__(self):
        return int(self._a)

    def __index__(self):
        return self._a.__index__()

    def __bool__(self):
        return bool(self._a)

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return (ndarray(np.asarray(x)) for x in self._a)

    def __getitem__(self, key):
        return _wrap_view(self._a[_unwrap(key)])

    def __setitem__(self, key, value):
        self._a[_unwrap(key)] = _unwrap(value)

    def __repr__(self):
        return f"fake_cupy.{self._a!r}"

    def __getstate__(self):
        raise TypeError("fake cupy: a device array was pickled")

    def __getattr__(self, name):
        if name.startswith("__"):  # no __array_interface__, buffer, etc.
            raise AttributeError(name)
        attr = getattr(self._a, name)
        if callable(attr):

            def method(*args, **kwargs):
                args = [_unwrap(a) for a in args]
                kwargs = {k: _unwrap(v) for k, v in kwargs.items()}
                return _wrap_view(attr(*args, **kwargs))

            return method
        return _wrap_view(attr)


def _wrap_view(obj):
    # 0-d results of indexing are device arrays in CuPy, not host scalars
    if isinstance(obj, np.generic):
        return ndarray(np.asarray(obj))
    return _wrap(obj)


def _function(name, np_func):
    def device_function(*args, **kwargs):
        args = [_unwrap(a) for a in args]
        kwargs = {k: _unwrap(v) for k, v in kwargs.items()}
        return _wrap_view(np_func(*args, **kwargs))

    device_function.__name__ = name
    return device_function


def _asarray(a, dtype=None, order=None):
    if isinstance(a, ndarray):
        return a if dtype is None else a.astype(dtype, copy=False)
    return ndarray(np.array(a, dtype=dtype, order=order, copy=True))


def _asnumpy(a):
    return a.get() if isinstance(a, ndarray) else np.asarray(a)


class _Ufunc:
    """A device ufunc: call, ``at`` and ``reduce`` on device arrays only."""

    def __init__(self, ufunc):
        self._u = ufunc
        self.__name__ = ufunc.__name__

    def __call__(self, *args, **kwargs):
        out = kwargs.get("out")
        result = _function(self.__name__, self._u)(*args, **kwargs)
        return out if out is not None else result

    def __getattr__(self, method):
        return _function(method, getattr(self._u, method))


class _Random:
    def __getattr__(self, name):
        raise AssertionError(
            "fake cupy: random numbers must be drawn on the host (DESIGN.md §5)"
        )


class _FakeCupyModule(types.ModuleType):
    def __getattr__(self, name):
        target = getattr(np, name)
        if isinstance(target, np.ufunc):
            func = _Ufunc(target)
            setattr(self, name, func)
            return func
        if callable(target) and not isinstance(target, type):
            func = _function(name, target)
            setattr(self, name, func)
            return func
        return target


def _make_module():
    mod = _FakeCupyModule("cupy")
    # everything else (functions, ufuncs, dtypes, constants) comes from NumPy
    # through _FakeCupyModule.__getattr__, wrapped to take device arrays only
    mod.__dict__.update(
        ndarray=ndarray,
        asarray=_asarray,
        array=_asarray,
        asnumpy=_asnumpy,
        is_available=lambda: True,
        random=_Random(),
    )
    return mod


_module = _make_module()


def install(monkeypatch):
    """Make ``device='cuda'`` run on this stand-in for the test's duration."""
    import sys

    monkeypatch.setitem(sys.modules, "cupy", _module)
    return _module
