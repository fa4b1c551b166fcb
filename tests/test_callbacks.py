"""Training-loop callbacks."""

import numpy as np
import pytest

from sklstm._callbacks import EarlyStopping


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
