"""The shared training loop, on a one-parameter model."""

import types
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from sklstm._callbacks import EarlyStopping
from sklstm._training import Training, fit_loop


def _estimator(max_iter=50):
    return types.SimpleNamespace(
        n_iter_=0,
        loss_curve_=[],
        history_=[],
        validation_scores_=[],
        best_validation_score_=None,
        verbose=0,
        callbacks=None,
        tol=1e-4,
        n_iter_no_change=3,
        max_iter=max_iter,
    )


def _quadratic(w, step=0.1, explode_at=None):
    """Minimise (w - 3)^2 / 2 by gradient steps, two batches per epoch."""
    calls = []

    def train_step(batch):
        calls.append(batch)
        loss = 0.5 * float((w[0] - 3.0) ** 2)
        w[0] -= step * (w[0] - 3.0)
        if explode_at is not None and len(calls) == explode_at:
            w[0] = 1e30
        return loss, 1.0

    return train_step, calls


def _training(w, train_step, **kwargs):
    return Training(
        params=[w],
        batches=lambda: [0, 1],
        train_step=train_step,
        probe=lambda: 0.5 * float((w[0] - 3.0) ** 2),
        reference=4.5,  # the loss at w = 0
        stopper=EarlyStopping(1e-4, 3, params=[w]),
        **kwargs,
    )


def test_records_every_epoch_and_stops_by_the_rule():
    w = np.zeros(1)
    est = _estimator()
    step, calls = _quadratic(w)
    assert fit_loop(est, _training(w, step), 50) == "stopped"
    assert len(calls) == 2 * est.n_iter_
    assert len(est.loss_curve_) == len(est.history_) == est.n_iter_
    assert est.loss_curve_ == sorted(est.loss_curve_, reverse=True)
    assert w[0] == pytest.approx(3.0, abs=0.05)


def test_max_iter_warns_unless_told_not_to():
    w = np.zeros(1)
    step, _ = _quadratic(w, step=1e-3)
    with pytest.warns(ConvergenceWarning):
        assert fit_loop(_estimator(3), _training(w, step), 3) == "max_iter"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit_loop(_estimator(3), _training(w, step, warn_at_max_iter=False), 3)


def test_validation_entries_and_extra_logs_reach_the_records():
    w = np.zeros(1)
    est = _estimator(2)
    step, _ = _quadratic(w)
    training = _training(
        w,
        step,
        validate=lambda: {"validation_loss": 1.0, "validation_score": 0.5},
        epoch_logs=lambda seconds, weight: {"weight": weight},
        warn_at_max_iter=False,
    )
    fit_loop(est, training, 2)
    assert est.validation_scores_ == [0.5, 0.5]
    assert est.best_validation_score_ == 0.5  # scored, not stopped on
    assert est.history_[0]["weight"] == 2.0


def test_divergence_keeps_the_weights_before_it():
    w = np.zeros(1)
    step, _ = _quadratic(w, explode_at=6)  # the last step of epoch 3
    with pytest.warns(UserWarning, match="the weights after epoch 2 were kept"):
        outcome = fit_loop(_estimator(), _training(w, step), 50)
    assert outcome[0] == "diverged"
    assert np.isfinite(w[0]) and abs(w[0] - 3.0) < 3.0


def test_every_callback_ends_even_when_one_fails_to():
    from sklstm.callbacks import Callback

    ended = []

    class Broken(Callback):
        def on_fit_end(self):
            ended.append("broken")
            raise RuntimeError("cannot close")

    class Logger(Callback):
        def on_fit_end(self):
            ended.append("logger")

    w = np.zeros(1)
    est = _estimator()
    est.callbacks = [Broken(), Logger()]
    step, _ = _quadratic(w)
    with pytest.raises(RuntimeError, match="cannot close"):
        fit_loop(est, _training(w, step), 5)
    assert ended == ["broken", "logger"]
