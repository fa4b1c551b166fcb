"""BLAS thread sizing (sklstm._threads): only ever lowers, follows the load,
restores on exit, and fits and predictions run under it."""

import os

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_info, threadpool_limits

import sklstm._threads as threads_mod
from sklstm import LSTMClassifier
from sklstm._threads import BlasThreads, CpuMeter, threads_for


def _blas_threads():
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


@pytest.fixture(autouse=True)
def _forget_last_count(monkeypatch):
    # each test starts without a count remembered from an earlier fit, and
    # without the fixed count that conftest.py sets for the other tests
    monkeypatch.setattr(threads_mod, "_LAST", (-np.inf, None))
    for var in threads_mod.THREAD_VARS:
        monkeypatch.delenv(var, raising=False)


@pytest.mark.parametrize(
    "allowed, busy, usable, expected",
    [
        (2, 0.0, 2, 2),  # idle: all allowed
        (2, 1.0, 2, 1),  # one busy neighbour on two cores
        (2, 0.4, 2, 2),  # a little background work: keep both
        (2, 0.6, 2, 1),
        (8, 3.0, 8, 5),
        (2, 2.0, 2, 1),  # never below one
        (1, 0.0, 8, 1),  # never above what is allowed
        (4, None, 4, 4),  # unmeasurable: unchanged
    ],
)
def test_threads_for(allowed, busy, usable, expected):
    assert threads_for(allowed, busy, usable) == expected


def test_cpu_meter_measures_others_not_itself():
    meter = CpuMeter()
    if meter.last is None:
        pytest.skip("no /proc/stat")
    # this process keeps a core busy: that is not "elsewhere"
    A = np.ones((300, 300), dtype=np.float32)
    with threadpool_limits(1, user_api="blas"):
        for _ in range(200):
            A @ A
    busy = meter.busy_elsewhere()
    assert 0.0 <= busy <= len(meter.cpus)


def test_cpu_meter_without_proc(monkeypatch):
    monkeypatch.setattr(threads_mod, "_read", lambda path: None)
    assert CpuMeter().busy_elsewhere() is None


def _busy(monkeypatch, cores):
    monkeypatch.setattr(CpuMeter, "busy_elsewhere", lambda self: cores)
    monkeypatch.setattr(
        CpuMeter, "__init__", lambda self: setattr(self, "cpus", {0, 1})
    )


def test_lowers_under_load_and_restores(monkeypatch):
    _busy(monkeypatch, 1.0)
    with threadpool_limits(2, user_api="blas"):
        before = _blas_threads()
        with BlasThreads(first=0.0) as blas:
            blas.tick()
            assert blas.threads == 1
            assert set(_blas_threads()) == {1}
        assert _blas_threads() == before


def test_never_raises_a_user_limit(monkeypatch):
    _busy(monkeypatch, 0.0)
    with threadpool_limits(1, user_api="blas"):
        with BlasThreads(first=0.0) as blas:
            blas.tick()
            assert blas.threads == 1
            assert set(_blas_threads()) == {1}


def test_follows_the_load_back_up(monkeypatch):
    load = {"cores": 1.0}
    monkeypatch.setattr(CpuMeter, "busy_elsewhere", lambda self: load["cores"])
    monkeypatch.setattr(
        CpuMeter, "__init__", lambda self: setattr(self, "cpus", {0, 1})
    )
    with threadpool_limits(2, user_api="blas"):
        with BlasThreads(first=0.0, every=0.0) as blas:
            blas.tick()
            assert set(_blas_threads()) == {1}
            load["cores"] = 0.0
            blas.tick()
            assert blas.threads == 2
            assert set(_blas_threads()) == {2}


def test_measures_only_when_the_interval_is_up(monkeypatch):
    calls = []
    monkeypatch.setattr(CpuMeter, "busy_elsewhere", lambda self: calls.append(1))
    monkeypatch.setattr(CpuMeter, "__init__", lambda self: setattr(self, "cpus", {0}))
    with BlasThreads(first=3600.0) as blas:
        for _ in range(10):
            blas.tick()
    assert calls == []


def test_inactive_does_nothing(monkeypatch):
    _busy(monkeypatch, 2.0)
    with threadpool_limits(2, user_api="blas"):
        with BlasThreads(active=False, first=0.0) as blas:
            blas.tick()
            assert blas.threads is None
            assert set(_blas_threads()) == {2}


def test_a_fit_runs_under_it_and_restores(monkeypatch):
    _busy(monkeypatch, 1.0)
    seen = []
    tick = BlasThreads.tick

    def spy(self):
        tick(self)
        seen.append(tuple(_blas_threads()))

    monkeypatch.setattr(BlasThreads, "tick", spy)
    monkeypatch.setattr(threads_mod.BlasThreads, "__init__", _first_at_once)
    rng = np.random.RandomState(0)
    X = rng.standard_normal((40, 6, 2)).astype(np.float32)
    y = (X[:, :, 0].sum(axis=1) > 0).astype(int)
    clf = LSTMClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0)
    with threadpool_limits(2, user_api="blas"), pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
        assert set(_blas_threads()) == {2}
    assert seen and all(set(s) == {1} for s in seen)


def _first_at_once(self, active=True, *, first=0.1, every=1.0):
    self.active, self.first, self.every = active, 0.0, 0.0
    self.threads, self._saved = None, None


def test_the_last_count_carries_to_the_next_fit(monkeypatch):
    _busy(monkeypatch, 1.0)
    with threadpool_limits(2, user_api="blas"):
        with BlasThreads(first=0.0) as blas:
            blas.tick()
        with BlasThreads(first=3600.0) as blas:
            # no measurement yet: starts from the count measured just before
            assert blas.threads == 1
            assert set(_blas_threads()) == {1}


@pytest.mark.skipif(not os.path.exists("/proc/stat"), reason="no /proc/stat")
def test_real_meter_reads_a_number():
    meter = CpuMeter()
    meter.last = (meter.last[0] - 1.0, meter.last[1], meter.last[2])
    busy = meter.busy_elsewhere()
    assert busy is not None and 0.0 <= busy <= len(meter.cpus)


@pytest.mark.parametrize("min_work, active", [(0.0, True), (np.inf, False)])
def test_predictions_above_the_work_floor_run_under_it(monkeypatch, min_work, active):
    import sklstm._base

    rng = np.random.RandomState(0)
    X = rng.standard_normal((30, 5, 2)).astype(np.float32)
    y = (X[:, :, 0].sum(axis=1) > 0).astype(int)
    with pytest.warns(ConvergenceWarning):
        clf = LSTMClassifier(hidden_layer_sizes=(4,), max_iter=1, random_state=0)
        clf.fit(X, y)
    flags = []
    enter = BlasThreads.__enter__

    def spy(self):
        flags.append(self.active)
        return enter(self)

    monkeypatch.setattr(BlasThreads, "__enter__", spy)
    monkeypatch.setattr(sklstm._base, "PREDICT_MIN_WORK", min_work)
    clf.predict(X)
    assert flags == [active]


def test_overlapping_contexts_restore_the_pool_once(monkeypatch):
    # predictions from two threads: the one leaving first must not restore
    # the size the other one set, nor the last one a lowered size
    _busy(monkeypatch, 1.0)
    with threadpool_limits(2, user_api="blas"):
        a = BlasThreads(first=0.0).__enter__()
        a.tick()
        b = BlasThreads(first=0.0).__enter__()
        a.__exit__(None, None, None)
        assert set(_blas_threads()) == {1}
        b.__exit__(None, None, None)
        assert set(_blas_threads()) == {2}


def test_a_count_set_in_the_environment_is_kept(monkeypatch):
    _busy(monkeypatch, 2.0)
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    with threadpool_limits(2, user_api="blas"):
        with BlasThreads(first=0.0) as blas:
            blas.tick()
            assert blas.threads is None
            assert set(_blas_threads()) == {2}
