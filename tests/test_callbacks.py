"""Training-loop callbacks."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from sklstm._callbacks import CURRENT, EarlyStopping, WeightGuard
from sklstm.callbacks import (
    Callback,
    Checkpoint,
    CSVLogger,
    LearningRateSchedule,
    ReduceLROnPlateau,
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
