"""WindowScaledRegressor: windows and targets scaled by their own window."""

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit

from sklstm import LSTMRegressor, Normaliser, WindowScaledRegressor, sliding_windows
from sklstm.datasets import make_price_series


def _quick(**params):
    params = {"hidden_layer_sizes": 8, "max_iter": 5, "random_state": 0} | params
    return LSTMRegressor(**params)


@pytest.fixture(scope="module")
def windows():
    prices = make_price_series(400, random_state=0)
    return sliding_windows(np.ravel(prices), window=20, horizon=3)


def test_predictions_are_in_the_units_of_y(windows):
    X, y = windows
    model = WindowScaledRegressor(_quick()).fit(X[:300], y[:300])
    pred = model.predict(X[300:])
    assert pred.shape == y[300:].shape
    # near the window's last close, not near the scaled values (~0)
    last = X[300:, -1:]
    assert np.all(np.abs(pred / last - 1) < 0.2)


def test_last_scaling_is_unit_free(windows):
    # X / last - 1 does not change when prices are quoted in cents: the
    # same network is fitted and forecasts scale exactly with the prices
    X, y = windows
    dollars = WindowScaledRegressor(_quick()).fit(X, y)
    cents = WindowScaledRegressor(_quick()).fit(X * 100, y * 100)
    np.testing.assert_allclose(cents.predict(X * 100), 100 * dollars.predict(X))


def test_scaled_targets_follow_their_own_window():
    X = np.array([[1.0, 2.0], [10.0, 20.0]])
    y = np.array([3.0, 30.0])  # +50 % over the last value, in both windows
    model = WindowScaledRegressor(_quick(max_iter=1)).fit(X, y)
    norm = model.normaliser_
    np.testing.assert_allclose(norm.transform(y, reference=X), [0.5, 0.5])
    np.testing.assert_allclose(norm.transform(X), [[-0.5, 0.0], [-0.5, 0.0]])


def test_default_regressor_validates_on_the_latest_windows(windows):
    X, y = windows
    model = WindowScaledRegressor().fit(X[:60], y[:60])  # fits in under a second
    assert isinstance(model.regressor_, LSTMRegressor)
    assert model.regressor_.validation_split == "last"
    assert model.regressor is None  # the parameter is left as given


def test_target_feature_of_multivariate_windows():
    rng = np.random.RandomState(0)
    price = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 200)))
    volume = rng.uniform(1e6, 2e6, 200)
    series = np.column_stack([volume, price])
    X, y = sliding_windows(series, window=10, target=1)
    model = WindowScaledRegressor(_quick(), target_feature=1).fit(X, y)
    pred = model.predict(X[-20:])
    assert np.all(np.abs(pred / X[-20:, -1, 1] - 1) < 0.2)  # prices, not volumes
    with pytest.raises(ValueError, match="target_feature=2"):
        WindowScaledRegressor(_quick(), target_feature=2).fit(X, y)


def test_ragged_windows():
    rng = np.random.RandomState(0)
    X = [100 + rng.normal(0, 1, n).cumsum() for n in (8, 12, 10, 9)] * 5
    y = np.array([x[-1] * 1.01 for x in X])
    pred = WindowScaledRegressor(_quick()).fit(X, y).predict(X)
    assert pred.shape == (20,)


def test_grid_search_over_time_series_splits(windows):
    X, y = windows
    search = GridSearchCV(
        WindowScaledRegressor(_quick(max_iter=2)),
        {"regressor__hidden_layer_sizes": [4, 8]},
        cv=TimeSeriesSplit(n_splits=2, gap=20),
        scoring="neg_mean_absolute_error",
    ).fit(X, y[:, 0])
    assert search.best_params_["regressor__hidden_layer_sizes"] in (4, 8)


def test_global_normaliser_is_refused(windows):
    X, y = windows
    with pytest.raises(ValueError, match="per_sequence=True"):
        WindowScaledRegressor(_quick(), normaliser=Normaliser()).fit(X, y)


@pytest.mark.parametrize(
    "y, match",
    [(None, "requires y"), (np.zeros(5), "correspond"), (np.zeros((5, 1, 1)), "1-D")],
)
def test_bad_targets(windows, y, match):
    X, _ = windows
    with pytest.raises(ValueError, match=match):
        WindowScaledRegressor(_quick()).fit(X, y)


def test_target_feature_is_checked_on_every_window():
    X = [np.zeros(3), np.zeros((3, 1))]  # the first window is 1-D
    with pytest.raises(ValueError, match="target_feature=1 but the windows have 1"):
        WindowScaledRegressor(target_feature=1).fit(X, np.zeros(2))


def test_windows_whose_scale_is_near_zero_are_named():
    X = np.array([[[1e-30], [4.8e-185]], [[4.8e-185], [4.8e-185]]])
    with pytest.raises(ValueError, match="scale .* is near zero next to their other"):
        WindowScaledRegressor().fit(X, np.zeros((2, 2)))
