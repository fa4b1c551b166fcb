# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""How many BLAS threads the matrix products of a fit or a prediction use.

An LSTM makes one small matrix product per timestep.  Multi-threaded
OpenBLAS hands each one to its threads and waits for all of them; when
another process keeps a core busy, one of those threads is often not
running, and every product waits for the scheduler to give it the core
back.  Measured on two cores beside one busy process: a 5-epoch fit took
2.74 s on two BLAS threads, 1.07 s on one, 0.68 s on two when idle.

So each fit, and each prediction large enough to matter, runs under
:class:`BlasThreads`: it measures how much of this process's cores other
processes kept busy (the CPU time ``/proc/stat`` counts on those cores,
less this process's own CPU time, over the last interval) and gives BLAS
the cores left, never more than it already had.  It measures first after
0.1 s of work, then every second, so a busy neighbour arriving or leaving
mid-fit is followed.  The count only ever lowers the threads that
``threadpoolctl.threadpool_limits`` allows, never raises it, and a count
set in the environment (``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS``,
...) is the user's choice: then nothing changes.  Where ``/proc/stat`` is
missing (not Linux) BLAS keeps its threads.

Repeatability: OpenBLAS rounds a float32 product differently on one
thread than on two (it picks other kernels), so a fit with a fixed
``random_state`` repeats bit for bit only on the same thread count.  On a
machine whose load changes between runs, fix the count yourself: set
``OPENBLAS_NUM_THREADS`` (or ``OMP_NUM_THREADS``) before starting Python,
or fit inside ``threadpool_limits(1, user_api="blas")``; then this module
never changes it.

numba's kernels (:mod:`sklstm._cpu_kernels`) are single-threaded, so BLAS
threads are the only pool to size: nothing is oversubscribed.
"""

import functools
import math
import os
import threading
import time

# ``BlasThreads`` sizes the pool of predictions above this many
# multiply-adds of recurrent layers (about 10 ms of work); smaller ones are
# below what a thread count changes, and keep the pool as it is.
PREDICT_MIN_WORK = 1e9

# The last count measured (monotonic time, threads): a fit or prediction
# starting within _REMEMBER seconds of it starts with it (grid searches
# and the demo run many short fits one after another).
_LAST = (-math.inf, None)

# A thread count set in the environment is the user's choice: kept as it is.
THREAD_VARS = (
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
)
_REMEMBER = 5.0

# Contexts open at once (fits or predictions in several threads) share the
# pool: the first one in saves its size, the last one out restores it.
_LOCK = threading.Lock()
_SHARED = {"depth": 0, "saved": None}


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_reading(cpus):
    """(wall seconds, busy seconds of ``cpus`` by everyone, this process's
    CPU seconds), or None without ``/proc/stat``."""
    stat = _read("/proc/stat")
    if stat is None:
        return None
    busy = 0
    for line in stat.splitlines():
        name, _, rest = line.partition(" ")
        if name.startswith("cpu") and name[3:].isdigit() and int(name[3:]) in cpus:
            ticks = [int(v) for v in rest.split()]
            busy += sum(ticks) - ticks[3] - (ticks[4] if len(ticks) > 4 else 0)
    return time.monotonic(), busy / _TICKS, time.process_time()


class CpuMeter:
    """Cores of this process's CPUs that other processes keep busy,
    measured between successive calls of :meth:`busy_elsewhere`."""

    def __init__(self):
        try:
            self.cpus = set(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            self.cpus = set(range(os.cpu_count() or 1))
        self.last = _cpu_reading(self.cpus)

    def busy_elsewhere(self):
        """Cores that others kept busy since the last call (or since the
        meter was made); None where the system does not say."""
        now = _cpu_reading(self.cpus)
        if now is None or self.last is None:
            return None
        wall, busy, own = (a - b for a, b in zip(now, self.last, strict=True))
        self.last = now
        if wall <= 0:
            return None
        return min(len(self.cpus), max(0.0, (busy - own) / wall))


@functools.cache
def _blas_controller():
    """threadpoolctl's controller of the loaded BLAS libraries, or None."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - installed with scikit-learn
        return None
    controller = ThreadpoolController().select(user_api="blas")
    return controller if controller.lib_controllers else None


def threads_for(allowed, busy, usable):
    """BLAS threads for ``allowed`` threads when ``busy`` of the ``usable``
    cores are taken by other processes: the free cores, rounded, between 1
    and ``allowed``."""
    if busy is None:
        return allowed
    free = int(usable - busy + 0.5)
    return max(1, min(allowed, free))


class BlasThreads:
    """Context that sizes BLAS's thread pool to the cores other processes
    leave free, and restores it on exit.

    Call :meth:`tick` after every batch of work: it measures the load after
    the first ``first`` seconds, then every ``every`` seconds (a read of
    ``/proc/stat``; between them, a clock read).

    Parameters
    ----------
    active : bool, default=True
        False makes the context do nothing (GPUs, small predictions).
    first, every : float
        Seconds before the first measurement, and between later ones.

    Attributes
    ----------
    threads : int or None
        The count set by the last measurement (or carried over from a fit
        that measured less than five seconds before); None until then.
    """

    def __init__(self, active=True, *, first=0.1, every=1.0):
        self.active = active
        self.first, self.every = first, every
        self.threads = None
        self._saved = None

    def __enter__(self):
        active = self.active and not any(os.environ.get(v) for v in THREAD_VARS)
        controller = _blas_controller() if active else None
        if controller is None:
            return self
        with _LOCK:  # contexts may overlap (predictions from several threads)
            if _SHARED["depth"] == 0:
                _SHARED["saved"] = [
                    lib.num_threads for lib in controller.lib_controllers
                ]
            _SHARED["depth"] += 1
            self._saved = _SHARED["saved"]
        self._meter = CpuMeter()
        self._next = time.monotonic() + self.first
        when, threads = _LAST
        if time.monotonic() - when < _REMEMBER:  # a fit just before this one
            self._set(threads)
            self.threads = threads
        return self

    def tick(self):
        """Measure and resize when the interval is up."""
        if self._saved is None or time.monotonic() < self._next:
            return
        self._next = time.monotonic() + self.every
        busy = self._meter.busy_elsewhere()
        threads = threads_for(max(self._saved), busy, len(self._meter.cpus))
        self._set(threads)
        self.threads = threads
        global _LAST
        _LAST = (time.monotonic(), threads)

    def _set(self, threads):
        libs = _blas_controller().lib_controllers
        for lib, saved in zip(libs, self._saved, strict=True):
            lib.set_num_threads(min(saved, threads))

    def __exit__(self, *exc):
        if self._saved is None:
            return False
        self._saved = None
        with _LOCK:
            _SHARED["depth"] -= 1
            if _SHARED["depth"] == 0:  # the last one out restores the pool
                libs = _blas_controller().lib_controllers
                for lib, saved in zip(libs, _SHARED["saved"], strict=True):
                    lib.set_num_threads(saved)
        return False
