"""Rolling-origin backtests (sklstm.model_selection.backtest)."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.linear_model import Ridge

from sklstm import ConformalRegressor, sliding_windows
from sklstm.model_selection import backtest, persistence


class LastValue(RegressorMixin, BaseEstimator):
    """Persistence as an estimator; remembers the windows it was fitted on."""

    def fit(self, X, y):
        self.seen_ = X
        return self

    def predict(self, X):
        return persistence(X)


def _windows(n=300, window=10, seed=0):
    rng = np.random.RandomState(seed)
    series = 50 + np.cumsum(rng.normal(size=n + window))
    return sliding_windows(series, window)


@pytest.mark.parametrize("gap", [0, 3, 9])
def test_folds_gap_and_no_leakage(gap):
    X, y = _windows()
    # the first column holds the window's own index: what fit saw is known
    index = np.arange(len(X), dtype=float)
    Xi = np.c_[index, X]
    scores = backtest(
        LastValue(),
        Xi,
        y,
        n_splits=4,
        gap=gap,
        test_size=40,
        return_estimator=True,
        return_indices=True,
    )
    assert len(scores["test_mae"]) == 4
    np.testing.assert_array_equal(scores["n_test"], 40)
    folds = zip(scores["indices"]["train"], scores["indices"]["test"], strict=True)
    for (train, test), model in zip(folds, scores["estimator"], strict=True):
        assert train.max() < test.min() - gap
        assert test.min() - train.max() == gap + 1
        assert model.seen_[:, 0].max() == train.max()  # fit saw only those
    tests = np.concatenate(scores["indices"]["test"])
    np.testing.assert_array_equal(tests, np.arange(len(X) - 160, len(X)))


def test_persistence_has_mase_one():
    X, y = _windows()
    scores = backtest(LastValue(), X, y, n_splits=3)
    np.testing.assert_allclose(scores["test_mase"], 1.0)
    np.testing.assert_allclose(scores["test_mae"], scores["test_baseline_mae"])
    assert "test_coverage" not in scores


def test_mae_and_baseline_by_hand():
    X, y = _windows(seed=1)
    scores = backtest(Ridge(), X, y, n_splits=2, test_size=50, return_indices=True)
    train, test = scores["indices"]["train"][1], scores["indices"]["test"][1]
    pred = Ridge().fit(X[train], y[train]).predict(X[test])
    np.testing.assert_allclose(scores["test_mae"][1], np.mean(np.abs(y[test] - pred)))
    base = np.mean(np.abs(y[test] - X[test, -1]))
    np.testing.assert_allclose(scores["test_baseline_mae"][1], base)
    np.testing.assert_allclose(scores["test_mase"][1], scores["test_mae"][1] / base)


def test_custom_baseline_and_3d_windows():
    X, y = _windows()
    X3 = np.stack([X, 2 * X], axis=2)
    scores = backtest(LastValue(), X3, y, n_splits=3)  # persistence: X[:, -1, 0]
    np.testing.assert_allclose(scores["test_mase"], 1.0)
    scores = backtest(LastValue(), X3, y, n_splits=3, baseline=lambda X: X[:, -1, 1])
    assert np.all(scores["test_mase"] < 1.0)


def test_ragged_windows_and_multi_step_targets():
    series = 50 + np.cumsum(np.random.RandomState(2).normal(size=300))
    X, Y = sliding_windows(series, 10, horizon=3)
    ragged = [x[i % 3 :] for i, x in enumerate(X)]  # windows of 8 to 10 values
    scores = backtest(LastValue(), ragged, Y, n_splits=3, gap=2)
    np.testing.assert_allclose(scores["test_mase"], 1.0)


def test_intervals_coverage_and_width():
    X, y = _windows(600)
    model = ConformalRegressor(Ridge(), coverage=0.8)
    scores = backtest(model, X, y, n_splits=3, test_size=150)
    assert np.all(np.abs(scores["test_coverage"] - 0.8) < 0.12)
    assert np.all(scores["test_width"] > 0)
    wider = backtest(model, X, y, n_splits=3, test_size=150, coverage=0.95)
    assert np.all(wider["test_width"] > scores["test_width"])
    online = backtest(model, X, y, n_splits=3, test_size=150, online=True)
    assert np.all(np.abs(online["test_coverage"] - 0.8) < 0.12)
    np.testing.assert_allclose(online["test_mae"], scores["test_mae"])


def test_errors():
    X, y = _windows()
    with pytest.raises(ValueError, match="predict_interval"):
        backtest(Ridge(), X, y, coverage=0.9)
    with pytest.raises(ValueError, match="predict_interval_online"):
        backtest(Ridge(), X, y, online=True)
    with pytest.raises(ValueError, match="coverage=None"):
        backtest(ConformalRegressor(Ridge()), X, y, online=True, coverage=0.9)
    with pytest.raises(ValueError, match="n_splits"):
        backtest(Ridge(), X, y, n_splits=1)
    with pytest.raises(ValueError, match="coverage"):
        backtest(ConformalRegressor(Ridge()), X, y, coverage=1.0)
    with pytest.raises(ValueError, match="correspond"):
        backtest(Ridge(), X, y[:-1])
