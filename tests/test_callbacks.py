"""Training-loop callbacks."""

import pickle
import sys
import threading
import types
import warnings
from collections import namedtuple

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from sklstm._callbacks import CURRENT, EarlyStopping, WeightGuard
from sklstm.callbacks import (
    Callback,
    Checkpoint,
    CSVLogger,
    LearningRateSchedule,
    MLflowLogger,
    ReduceLROnPlateau,
    TensorBoardLogger,
)


def _stop_epoch(losses, tol=1e-3, patience=2):
    stopper = EarlyStopping(tol, patience)
    for epoch, loss in enumerate(losses, 1):
        if stopper.on_epoch_end(epoch, {"loss": loss}):
            return epoch
    return None


@pytest.mark.parametrize("units", [1.0, 1e-6, 1e6])
def test_tol_is_relative_to_the_first_epoch(units):
    # 1 % better per epoch, then flat: the same stop in any units of y
    losses = np.r_[0.99 ** np.arange(20), np.full(5, 0.99**19)] * units
    assert _stop_epoch(losses) == 23


def test_improvements_below_tol_count_as_none():
    losses = 1.0 - 1e-5 * np.arange(10)  # 1e-5 per epoch < tol 1e-3
    assert _stop_epoch(losses) == 4


def test_restores_the_best_parameters():
    w = np.zeros(3)
    stopper = EarlyStopping(0.0, 1, params=[w])
    for epoch, loss in enumerate([3.0, 1.0, 2.0, 2.5], 1):
        w[:] = epoch
        stopper.on_epoch_end(epoch, {"loss": loss})
    stopper.restore()
    assert stopper.best_epoch == 2
    np.testing.assert_array_equal(w, 2.0)


def _guard(w, start_usable=False):
    """A guard over ``w`` whose probe loss is the squared norm of ``w`` and
    whose untrained model has loss 1 (limit 100)."""
    return WeightGuard([w], lambda: float(w @ w), 1.0, start_usable=start_usable)


def test_the_divergence_limit_is_relative_to_an_untrained_model():
    w = np.ones(2)  # the start weights' loss, 2, is above the reference
    guard = _guard(w)
    assert guard.reference == 2.0 and guard.limit == 200.0
    assert not guard.diverged(199.0)
    assert guard.diverged(201.0)
    assert guard.diverged(float("nan")) and guard.diverged(float("inf"))


def test_check_rejects_non_finite_or_exploded_weights():
    w = np.zeros(2)
    guard = _guard(w)
    assert guard.check()
    w[0] = 20.0  # loss 400 > 100
    assert not guard.check()
    w[0] = np.nan
    assert not guard.check()


def test_settle_keeps_the_first_candidate_that_passes():
    w = np.zeros(2)
    guard = _guard(w, start_usable=True)
    w[:] = 1.0
    guard.on_epoch_begin(2, first=False)  # after epoch 1: [1, 1]
    w[:] = 2.0
    guard.on_epoch_begin(3, first=False)  # after epoch 2: [2, 2]
    w[:] = np.inf
    broken = [np.full(2, 1e9)]
    kept = guard.settle([("broken best", broken), ("missing", None)])
    assert kept == "the weights after epoch 2"
    assert_array_equal(w, [2.0, 2.0])
    # when both epoch starts are broken, the fit's start is the last resort
    guard.epoch_start[0][0][:] = np.nan
    guard.previous[0][0][:] = np.nan
    assert guard.settle([]) == "the weights this fit started from"
    assert_array_equal(w, [0.0, 0.0])


def test_settle_never_returns_a_fresh_network():
    w = np.zeros(2)
    guard = _guard(w)
    guard.on_epoch_begin(1, first=True)  # the initial weights: not a model
    w[:] = np.nan
    assert guard.settle([]) is None
    assert guard.settle([("now", CURRENT)]) is None


# ------------------------------------------------------- public callbacks
def _fit(callbacks, **kwargs):
    from sklstm import LSTMRegressor

    rng = np.random.RandomState(0)
    X = rng.normal(size=(64, 5, 1))
    params = dict(hidden_layer_sizes=4, max_iter=6, random_state=0, tol=0)
    params.update(kwargs)
    reg = LSTMRegressor(callbacks=callbacks, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return reg.fit(X, X[:, 0, 0])


def _rates(est):
    return [h["learning_rate"] for h in est.history_]


def test_history_records_the_learning_rate_of_every_epoch():
    assert _rates(_fit(None)) == [1e-3] * 6


def test_cosine_and_step_schedules():
    cosine = _rates(_fit([LearningRateSchedule("cosine")]))
    expected = [1e-3 * 0.5 * (1 + np.cos(np.pi * e / 6)) for e in range(6)]
    assert np.allclose(cosine, expected)
    step = _rates(_fit([LearningRateSchedule("step", step_size=2, gamma=0.5)]))
    assert np.allclose(step, [1e-3, 1e-3, 5e-4, 5e-4, 2.5e-4, 2.5e-4])
    # a warm start schedules from its own start
    est = _fit([LearningRateSchedule("step", step_size=2, gamma=0.5)], warm_start=True)
    est.set_params(learning_rate_init=1e-2, max_iter=2).fit(
        np.zeros((8, 5, 1)), np.zeros(8)
    )
    assert np.allclose(_rates(est)[-2:], [1e-2, 1e-2])


def test_reduce_on_plateau_lowers_the_rate_after_patience():
    est = _fit([ReduceLROnPlateau(factor=0.5, patience=0, tol=10.0)], max_iter=4)
    # tol=10: no epoch improves enough, so every epoch after the first halves
    assert np.allclose(_rates(est), [1e-3, 1e-3, 5e-4, 2.5e-4])
    with pytest.raises(ValueError, match="found no validation_loss"):
        _fit([ReduceLROnPlateau(monitor="validation_loss")])


def test_csv_logger_writes_one_row_per_epoch(tmp_path):
    import csv

    path = tmp_path / "log.csv"
    est = _fit([CSVLogger(path)], early_stopping=True, n_iter_no_change=50)
    with open(path) as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == est.n_iter_ == 6
    assert float(rows[-1]["loss"]) == pytest.approx(est.loss_curve_[-1])
    assert float(rows[0]["validation_score"]) == pytest.approx(
        est.validation_scores_[0]
    )
    est.set_params(warm_start=True, max_iter=2).fit(np.zeros((8, 5, 1)), np.zeros(8))
    with open(path) as f:
        assert len(list(csv.DictReader(f))) == 2  # a new fit, a new file


def test_a_callback_can_stop_training_and_sees_every_hook():
    class Recorder(Callback):
        def __init__(self):
            self.calls = []

        def on_fit_begin(self, training):
            self.calls.append(("fit_begin", training.max_epochs))

        def on_epoch_begin(self, epoch, n_batches):
            self.calls.append(("epoch_begin", epoch))

        def on_epoch_end(self, epoch, logs):
            self.calls.append(("epoch_end", epoch))
            return epoch == 2

        def on_fit_end(self):
            self.calls.append(("fit_end",))

    recorder = Recorder()
    est = _fit([recorder])
    assert est.n_iter_ == 2
    assert recorder.calls == [
        ("fit_begin", 6),
        ("epoch_begin", 1),
        ("epoch_end", 1),
        ("epoch_begin", 2),
        ("epoch_end", 2),
        ("fit_end",),
    ]


def test_callbacks_reach_the_language_model():
    from sklstm import Embedder, LSTMLanguageModel

    texts = ["the cat sat on the mat and the dog sat on the log"] * 30
    X = Embedder(vectors="random", n_dims=4, random_state=0).fit_transform(texts)
    lm = LSTMLanguageModel(
        4,
        bptt=5,
        batch_size=4,
        max_iter=3,
        tol=0,
        random_state=0,
        callbacks=[LearningRateSchedule("step", step_size=1, gamma=0.5)],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lm.fit(X)
    assert np.allclose(_rates(lm), [4e-3, 2e-3, 1e-3])


def test_bad_callbacks_are_named():
    with pytest.raises(TypeError, match=r"callbacks\[1\] is str"):
        _fit([CSVLogger("x.csv"), "verbose"])
    with pytest.raises(ValueError, match="callbacks"):
        _fit(CSVLogger("x.csv"))  # not a list
    with pytest.raises(ValueError, match="kind"):
        LearningRateSchedule("linear")


def test_estimators_with_callbacks_clone_and_pickle(tmp_path):
    import pickle

    from sklearn.base import clone

    est = _fit([LearningRateSchedule(), CSVLogger(tmp_path / "log.csv")])
    copy = clone(est)
    assert copy.callbacks[0] is not est.callbacks[0]
    loaded = pickle.loads(pickle.dumps(est))
    assert np.allclose(
        loaded.predict(np.zeros((2, 5, 1))), est.predict(np.zeros((2, 5, 1)))
    )


def test_checkpoint_keeps_the_best_epoch_and_resumes(tmp_path):
    import joblib

    path = tmp_path / "model.joblib"
    checkpoint = Checkpoint(path)
    rng = np.random.RandomState(1)
    X = rng.normal(size=(64, 5, 1))
    est = _fit([checkpoint], early_stopping=True, n_iter_no_change=50, max_iter=5)
    best = int(np.argmin([h["validation_loss"] for h in est.history_])) + 1
    assert checkpoint.epoch_ == best
    assert not (tmp_path / "model.joblib.part").exists()
    saved = joblib.load(path)
    # early stopping restored the same best epoch: the same model
    assert np.array_equal(saved.predict(X), est.predict(X))
    assert saved.n_iter_ == best
    saved.set_params(warm_start=True, max_iter=2, callbacks=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        saved.fit(X, X[:, 0, 0])
    assert saved.n_iter_ == best + 2


def test_checkpoint_of_every_epoch_and_of_a_language_model(tmp_path):
    import joblib

    from sklstm import Embedder, LSTMLanguageModel, LSTMTranscriber

    est = _fit([Checkpoint(tmp_path / "last.joblib", save_best_only=False)])
    assert joblib.load(tmp_path / "last.joblib").n_iter_ == est.n_iter_
    texts = ["the cat sat on the mat and the dog sat on the log"] * 30
    X = Embedder(vectors="random", n_dims=4, random_state=0).fit_transform(texts)
    path = tmp_path / "lm.joblib"
    lm = LSTMLanguageModel(4, bptt=5, batch_size=4, max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lm.set_params(callbacks=[Checkpoint(path, save_best_only=False)]).fit(X)
    assert np.array_equal(joblib.load(path).predict(X[:3]), lm.predict(X[:3]))
    words = [np.eye(3)[[i % 3] * 3 + [0]] for i in range(12)]
    transcriber = LSTMTranscriber(max_iter=1, callbacks=[Checkpoint(path)])
    with pytest.raises(TypeError, match="Checkpoint does not support LSTMTranscriber"):
        transcriber.fit(words, ["abc"[i % 3] for i in range(12)])


def test_a_cosine_over_the_whole_fit_ends_it_without_a_warning():
    from sklearn.exceptions import ConvergenceWarning

    from sklstm import LSTMRegressor

    X = np.random.RandomState(0).normal(size=(32, 4, 1))
    kw = dict(hidden_layer_sizes=2, max_iter=3, tol=0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        LSTMRegressor(callbacks=[LearningRateSchedule("cosine")], **kw).fit(
            X, X[:, 0, 0]
        )
    with pytest.warns(ConvergenceWarning):
        LSTMRegressor(callbacks=[LearningRateSchedule("step")], **kw).fit(X, X[:, 0, 0])


# ------------------------------------------------- TensorBoard and MLflow
# Fakes of the packages, installed in sys.modules, check what the loggers
# log wherever the tests run; the real packages are tested when installed.


def _refit(est, partial=False, **params):
    """Fit ``est`` again (``partial_fit`` with ``partial``) on 8 samples."""
    X, y = np.zeros((8, 5, 1)), np.zeros(8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.set_params(**params)
        est.partial_fit(X, y) if partial else est.fit(X, y)


def _epochs(est, key):
    """``[(epoch, value)]`` of a numeric entry of ``history_``."""
    return [(h["epoch"], h[key]) for h in est.history_ if h.get(key) is not None]


@pytest.fixture
def fake_tensorboardx(monkeypatch):
    """A stand-in for tensorboardX (the only writer ``backend='auto'`` finds);
    returns the list of the writers opened."""
    opened = []

    class SummaryWriter:
        def __init__(self, logdir, filename_suffix=""):
            self.logdir, self.scalars, self.flushes = logdir, [], 0
            self.closed = False
            self._lock = threading.Lock()  # not picklable, as a real writer
            opened.append(self)

        def add_scalar(self, tag, value, step):
            assert not self.closed
            self.scalars.append((tag, value, step))

        def flush(self):
            self.flushes += 1

        def close(self):
            assert not self.closed
            self.closed = True

    module = types.ModuleType("tensorboardX")
    module.SummaryWriter = SummaryWriter
    monkeypatch.setitem(sys.modules, "tensorboardX", module)
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # not installed
    return opened


class FakeMLflow:
    """A stand-in for ``mlflow`` (the part MLflowLogger uses), with one
    tracking store in memory per URI."""

    Info = namedtuple("Info", "run_id experiment_id")

    def __init__(self):
        self.tracking_uri = "file:///default"
        self.stores = {}  # uri -> {run_id: run record}
        self.stack = []  # the active runs: (uri, run_id)
        test = self

        class MlflowClient:
            def __init__(self, tracking_uri):
                self.uri = tracking_uri
                self.runs = test.stores.setdefault(tracking_uri, {})
                self.lock = threading.Lock()  # not picklable

            def get_experiment_by_name(self, name):
                if name == "Default":
                    return types.SimpleNamespace(experiment_id="0")
                return None

            def create_experiment(self, name):
                return f"id-{name}"

            def create_run(self, experiment_id, run_name=None, tags=None):
                run_id = f"run{len(self.runs)}"
                self.runs[run_id] = dict(
                    experiment_id=experiment_id,
                    name=run_name,
                    params={},
                    metrics=[],
                    tags=dict(tags or {}),
                    status="RUNNING",
                )
                return types.SimpleNamespace(info=test.Info(run_id, experiment_id))

            def get_run(self, run_id):
                params = dict(self.runs[run_id]["params"])
                return types.SimpleNamespace(data=types.SimpleNamespace(params=params))

            def log_batch(self, run_id, metrics=(), params=(), tags=()):
                run = self.runs[run_id]
                assert run["status"] == "RUNNING"
                for p in params:
                    assert run["params"].get(p.key, p.value) == p.value
                    run["params"][p.key] = p.value
                run["tags"].update((t.key, t.value) for t in tags)
                run["metrics"].extend(metrics)

            def set_terminated(self, run_id, status=None):
                self.runs[run_id]["status"] = status

        self.MlflowClient = MlflowClient

    def get_tracking_uri(self):
        return self.tracking_uri

    def active_run(self):
        if not self.stack:
            return None
        uri, run_id = self.stack[-1]
        run = self.stores[uri][run_id]
        return types.SimpleNamespace(info=self.Info(run_id, run["experiment_id"]))

    def start_run(self, experiment_id=None, run_name=None, nested=False):
        if self.stack and not nested:
            raise RuntimeError("a run is active")
        tags = {"mlflow.parentRunId": self.stack[-1][1]} if self.stack else {}
        client = self.MlflowClient(self.tracking_uri)
        run = client.create_run(experiment_id or "0", run_name=run_name, tags=tags)
        self.stack.append((self.tracking_uri, run.info.run_id))
        return run

    def end_run(self, status="FINISHED"):
        uri, run_id = self.stack.pop()
        self.stores[uri][run_id]["status"] = status

    def run(self, run_id, uri=None):
        return self.stores[uri or self.tracking_uri][run_id]


@pytest.fixture
def fake_mlflow(monkeypatch):
    mlflow = FakeMLflow()
    entities = types.ModuleType("mlflow.entities")
    entities.Metric = namedtuple("Metric", "key value timestamp step")
    entities.Param = namedtuple("Param", "key value")
    entities.RunTag = namedtuple("RunTag", "key value")
    monkeypatch.setitem(sys.modules, "mlflow", mlflow)
    monkeypatch.setitem(sys.modules, "mlflow.entities", entities)
    return mlflow


def test_tensorboard_logger_writes_every_numeric_entry_at_its_epoch(
    fake_tensorboardx, tmp_path
):
    logger = TensorBoardLogger(tmp_path / "run")
    est = _fit([logger], early_stopping=True, n_iter_no_change=50, max_iter=3)
    (writer,) = fake_tensorboardx
    assert logger.backend_ == "tensorboardX" and writer.logdir == str(tmp_path / "run")
    tags = {tag for tag, _, _ in writer.scalars}
    assert tags == {"loss", "time", "learning_rate", "validation_loss",
                    "validation_score"}  # fmt: skip
    for key in tags:
        logged = [(step, value) for tag, value, step in writer.scalars if tag == key]
        assert logged == _epochs(est, key)
    assert writer.flushes == 3 and writer.closed
    # a warm start writes a file of its own, and its epochs go on
    _refit(est, warm_start=True, max_iter=2)
    assert len(fake_tensorboardx) == 2 and fake_tensorboardx[1].closed
    assert [s for t, _, s in fake_tensorboardx[1].scalars if t == "loss"] == [4, 5]


class _NoTorch:
    """An import hook that finds no torch."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "torch":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


def test_loggers_import_their_package_only_when_a_fit_starts(monkeypatch, tmp_path):
    from sklearn.base import clone

    # not installed (torch's writer is not tried without tensorboard)
    for name in ("tensorboard", "tensorboardX", "mlflow"):
        monkeypatch.setitem(sys.modules, name, None)
    loggers = [TensorBoardLogger(tmp_path), MLflowLogger(), MLflowLogger()]
    for logger in loggers:
        from sklstm import LSTMRegressor

        est = LSTMRegressor(callbacks=[logger])
        clone(est)
        pickle.loads(pickle.dumps(est))
    with pytest.raises(
        ImportError, match=r"pip install tensorboard \(or tensorboardX\)"
    ):
        _fit([TensorBoardLogger(tmp_path)])
    with monkeypatch.context() as m:  # torch missing (None would upset SciPy)
        m.setattr(sys, "meta_path", [_NoTorch(), *sys.meta_path])
        for name in [n for n in sys.modules if n.split(".")[0] == "torch"]:
            m.delitem(sys.modules, name)
        with pytest.raises(ImportError, match="pip install torch tensorboard"):
            TensorBoardLogger(tmp_path, backend="torch").on_fit_begin(None)
    with pytest.raises(ImportError, match=r"pip install mlflow-skinny \(or mlflow\)"):
        _fit([MLflowLogger()])
    with pytest.raises(ValueError, match="backend must be"):
        TensorBoardLogger(tmp_path, backend="tf")
    with pytest.raises(TypeError, match="log_dir must be"):
        TensorBoardLogger(None)
    with pytest.raises(TypeError, match="run_name must be"):
        MLflowLogger(run_name=1)


def test_mlflow_logger_starts_logs_and_ends_a_run(fake_mlflow):
    logger = MLflowLogger(run_name="lstm")
    est = _fit([logger], early_stopping=True, n_iter_no_change=50, max_iter=3)
    run = fake_mlflow.run(logger.run_id_)
    assert run["name"] == "lstm" and run["status"] == "FINISHED"
    assert not fake_mlflow.stack  # ended, and was the active run
    assert run["params"]["hidden_layer_sizes"] == "4"
    assert run["params"]["max_iter"] == "3"
    assert "callbacks" not in run["params"]
    assert all(isinstance(v, str) for v in run["params"].values())
    assert run["tags"]["estimator_name"] == "LSTMRegressor"
    for key in ("loss", "validation_score", "learning_rate"):
        logged = [(m.step, m.value) for m in run["metrics"] if m.key == key]
        assert logged == _epochs(est, key)
    assert {m.key for m in run["metrics"]} == {
        "loss", "time", "learning_rate", "validation_loss", "validation_score"
    }  # fmt: skip


def test_mlflow_logger_logs_to_the_active_run_and_never_ends_it(fake_mlflow):
    outer = fake_mlflow.start_run().info.run_id
    logger = MLflowLogger(run_name="ignored")
    est = _fit([logger], max_iter=2)
    _refit(est, partial=True)
    run = fake_mlflow.run(outer)
    assert logger.run_id_ == outer and run["status"] == "RUNNING"
    assert [m.step for m in run["metrics"] if m.key == "loss"] == [1, 2, 3]
    # a param of another value is not logged again: MLflow refuses it
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        X = np.random.RandomState(0).normal(size=(32, 5, 1))
        est.set_params(alpha=0.5, max_iter=1).fit(X, X[:, 0, 0])
    assert any("other values of the parameters alpha" in str(w.message) for w in caught)
    assert run["params"]["alpha"] == "0.0001"
    # nested=True: a run per fit, in the active run, ended with the fit
    nested = MLflowLogger(nested=True)
    _fit([nested], max_iter=1, alpha=0.5)
    child = fake_mlflow.run(nested.run_id_)
    assert nested.run_id_ != outer and child["status"] == "FINISHED"
    assert child["tags"]["mlflow.parentRunId"] == outer
    assert child["params"]["alpha"] == "0.5"
    assert fake_mlflow.active_run().info.run_id == outer


def test_mlflow_logger_at_another_tracking_uri(fake_mlflow):
    fake_mlflow.start_run()  # active at MLflow's own URI: not the logger's
    logger = MLflowLogger(tracking_uri="file:///elsewhere", experiment_name="exp")
    _fit([logger], max_iter=2)
    run = fake_mlflow.run(logger.run_id_, "file:///elsewhere")
    assert run["experiment_id"] == "id-exp" and run["status"] == "FINISHED"
    assert len(run["metrics"]) == 2 * 3  # loss, time, learning_rate
    assert fake_mlflow.tracking_uri == "file:///default"
    assert len(fake_mlflow.stack) == 1


class _Raises(Callback):
    def __init__(self, error, hook="on_epoch_end"):
        self.error, self.hook = error, hook

    def on_fit_begin(self, training):
        if self.hook == "on_fit_begin":
            raise self.error

    def on_epoch_end(self, epoch, logs):
        if epoch == 2:
            raise self.error
        return False


def test_loggers_close_and_end_when_the_fit_raises(
    fake_tensorboardx, fake_mlflow, tmp_path
):
    tensorboard, mlflow = TensorBoardLogger(tmp_path), MLflowLogger()
    with pytest.raises(ZeroDivisionError):
        _fit([tensorboard, mlflow, _Raises(ZeroDivisionError())])
    assert fake_tensorboardx[-1].closed
    assert fake_mlflow.run(mlflow.run_id_)["status"] == "FAILED"
    assert not fake_mlflow.stack
    # an error handled around the fit is not the fit's
    try:
        raise KeyError
    except KeyError:
        _fit([mlflow], max_iter=1)
    assert fake_mlflow.run(mlflow.run_id_)["status"] == "FINISHED"
    # Ctrl-C: the fit keeps a model and returns; the run ends normally
    est = _fit([tensorboard, mlflow, _Raises(KeyboardInterrupt())])
    assert est.n_iter_ == 2 and fake_tensorboardx[-1].closed
    assert fake_mlflow.run(mlflow.run_id_)["status"] == "FINISHED"
    # a callback before them fails to start: they never started, and the
    # loop's on_fit_end must not fail in them
    opened = len(fake_tensorboardx)
    with pytest.raises(ZeroDivisionError):
        _fit([_Raises(ZeroDivisionError(), "on_fit_begin"), tensorboard, mlflow])
    assert len(fake_tensorboardx) == opened and not fake_mlflow.stack


def test_loggers_clone_and_pickle_before_during_and_after_a_fit(
    fake_tensorboardx, fake_mlflow, tmp_path
):
    import joblib
    from sklearn.base import clone

    from sklstm import LSTMRegressor

    loggers = [TensorBoardLogger(tmp_path / "tb"), MLflowLogger(run_name="r")]
    # the checkpoint pickles the loggers mid-fit, with their writer open
    callbacks = [*loggers, Checkpoint(tmp_path / "model.joblib")]
    est = LSTMRegressor(
        hidden_layer_sizes=4, max_iter=2, tol=0, random_state=0, callbacks=callbacks
    )
    copy = clone(est)
    assert copy.callbacks[0].log_dir == tmp_path / "tb"
    assert copy.callbacks[1].run_name == "r"
    pickle.loads(pickle.dumps(est))
    X = np.random.RandomState(0).normal(size=(32, 5, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, X[:, 0, 0])
    saved = joblib.load(tmp_path / "model.joblib")
    assert saved.callbacks[1].run_id_ == loggers[1].run_id_
    loaded = pickle.loads(pickle.dumps(est))
    assert np.allclose(loaded.predict(X), est.predict(X))
    assert loaded.callbacks[0].backend_ == "tensorboardX"
    # the clone of a fitted estimator fits again
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clone(est).fit(X, X[:, 0, 0])
    assert all(writer.closed for writer in fake_tensorboardx)
    assert len(fake_tensorboardx) == 2 and not fake_mlflow.stack


def _read_events(log_dir):
    """``{tag: [(step, value)]}`` of the event files in ``log_dir``."""
    from tensorboard.backend.event_processing.event_file_loader import (
        EventFileLoader,
    )
    from tensorboard.util import tensor_util

    scalars = {}
    for path in sorted(log_dir.glob("*tfevents*")):
        for event in EventFileLoader(str(path)).Load():
            for v in event.summary.value:
                if v.HasField("simple_value"):
                    value = v.simple_value
                else:
                    value = float(tensor_util.make_ndarray(v.tensor))
                scalars.setdefault(v.tag, []).append((event.step, value))
    return scalars


@pytest.mark.parametrize(
    "backend,package",
    [
        ("tensorboard", "tensorboard.summary"),
        ("tensorboardX", "tensorboardX"),
        ("torch", "torch.utils.tensorboard"),
    ],
)
def test_tensorboard_logger_with_the_real_writers(backend, package, tmp_path):
    pytest.importorskip(package)
    pytest.importorskip("tensorboard")  # reads the files back
    logger = TensorBoardLogger(tmp_path, backend=backend)
    est = _fit([logger], early_stopping=True, n_iter_no_change=50, max_iter=3)
    # a second fit at once: a file of its own (tensorboardX names them by
    # the second)
    _refit(est, warm_start=True, max_iter=1)
    assert len(list(tmp_path.glob("*tfevents*"))) == 2
    scalars = _read_events(tmp_path)
    for key in ("loss", "validation_loss", "learning_rate"):
        steps, values = zip(*scalars[key], strict=True)
        expected = _epochs(est, key)
        assert list(steps) == [e for e, _ in expected]
        assert np.allclose(values, [v for _, v in expected], rtol=1e-6)
    pickle.dumps(est)


def test_mlflow_logger_with_mlflow(tmp_path, monkeypatch):
    mlflow = pytest.importorskip("mlflow")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3.x
    uri = (tmp_path / "mlruns").as_uri()
    logger = MLflowLogger(run_name="lstm", tracking_uri=uri, experiment_name="sk")
    est = _fit([logger], early_stopping=True, n_iter_no_change=50, max_iter=3)
    client = mlflow.MlflowClient(tracking_uri=uri)
    run = client.get_run(logger.run_id_)
    assert run.info.status == "FINISHED" and run.info.run_name == "lstm"
    assert run.data.params["hidden_layer_sizes"] == "4"
    assert "callbacks" not in run.data.params
    history = client.get_metric_history(logger.run_id_, "validation_loss")
    assert [(m.step, m.value) for m in history] == pytest.approx(
        _epochs(est, "validation_loss")
    )
    assert mlflow.active_run() is None
    # the active run at MLflow's tracking URI: logged to, never ended
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    with mlflow.start_run() as outer:
        inside, nested = MLflowLogger(), MLflowLogger(nested=True)
        _fit([inside], max_iter=1)
        _fit([nested], max_iter=1)
        assert inside.run_id_ == outer.info.run_id
        assert mlflow.active_run().info.run_id == outer.info.run_id
    child = client.get_run(nested.run_id_)
    assert child.data.tags["mlflow.parentRunId"] == outer.info.run_id
    assert child.info.status == "FINISHED"
    assert len(client.get_metric_history(outer.info.run_id, "loss")) == 1
    pickle.dumps(est)
