"""Training-loop callbacks."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from sklstm._callbacks import CURRENT, EarlyStopping, WeightGuard


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
