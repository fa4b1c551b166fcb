"""Covariates and many series: sliding_windows and WindowScaledRegressor."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.linear_model import LinearRegression

from sklstm import LSTMRegressor, Normaliser, WindowScaledRegressor, sliding_windows
from sklstm.datasets import make_price_series


@pytest.mark.parametrize("horizon", [1, 3])
def test_future_covariates_of_the_target_steps_at_the_origin(horizon):
    t = np.arange(40.0)
    series, time_index = t, 1000 + t  # the covariate names its timestep
    window = 5
    X, y = sliding_windows(
        series, window, horizon=horizon, future_covariates=time_index
    )
    n = len(t) - window - horizon + 1
    assert X.shape == (n, window, 1 + horizon)
    y = y.reshape(n, horizon)
    for i in range(n):
        for j in range(window):
            # step j is timestep i + j; it carries the covariates of the
            # next `horizon` timesteps, lead 1 first
            assert X[i, j, 0] == i + j
            assert_array_equal(X[i, j, 1:], 1000 + i + j + np.arange(1, horizon + 1))
        # at the origin: the covariates of exactly the steps being predicted
        assert_array_equal(X[i, -1, 1:], 1000 + y[i])


def test_past_covariates_end_at_the_origin():
    t = np.arange(30.0)
    X, y = sliding_windows(t, 4, horizon=3, past_covariates=500 + t)
    assert X.shape == (24, 4, 2)
    assert_array_equal(X[:, :, 1], 500 + X[:, :, 0])  # same timestep
    assert_array_equal(X[:, -1, 1], 500 + y[:, 0] - 1)  # the origin, not later


def test_no_value_from_after_the_origin_enters_the_inputs():
    rng = np.random.RandomState(0)
    n, window, horizon = 60, 6, 3
    # every value unique, and each array's values disjoint from the others'
    values = rng.permutation(4 * n).astype(float)
    series = values[:n]
    past = values[n : 2 * n].reshape(n, 1)
    future = values[2 * n :].reshape(n, 2)
    X, y = sliding_windows(
        series,
        window,
        horizon=horizon,
        past_covariates=past,
        future_covariates=future,
    )
    assert X.shape == (n - window - horizon + 1, window, 1 + 1 + 2 * horizon)
    for i in range(len(X)):
        origin = i + window - 1
        inputs = X[i].ravel()
        assert not np.isin(series[origin + 1 :], inputs).any()  # no future target
        assert not np.isin(y[i], inputs).any()
        assert set(X[i, :, 0]) == set(series[i : origin + 1])
        assert not np.isin(past[origin + 1 :], inputs).any()
        # future covariates: up to those of the last target step, no later
        seen = np.isin(future.ravel(), inputs).reshape(future.shape).any(axis=1)
        assert_array_equal(np.flatnonzero(seen), np.arange(i + 1, origin + horizon + 1))


def test_a_target_set_by_its_known_future_covariate_is_predictable():
    rng = np.random.RandomState(0)
    n = 300
    promotion = rng.randint(0, 2, n).astype(float)  # planned, known ahead
    sales = 50 + 20 * promotion + rng.normal(0, 0.1, n)
    X, y = sliding_windows(sales, 8, future_covariates=promotion)
    # the layout: the origin step holds the promotion of the predicted day
    assert_array_equal(X[:, -1, 1], promotion[8:])
    flat = X.reshape(len(X), -1)
    with_cov = LinearRegression().fit(flat[:200], y[:200]).score(flat[200:], y[200:])
    X0, _ = sliding_windows(sales, 8)
    without = LinearRegression().fit(X0[:200], y[:200]).score(X0[200:], y[200:])
    assert with_cov > 0.999
    assert without < 0.2


def test_forecasting_beyond_the_series_with_future_steps():
    t = np.arange(20.0)
    calendar = 1000 + np.arange(23.0)  # known 3 steps past the series
    X, y = sliding_windows(t, 5, horizon=0, future_covariates=calendar, future_steps=3)
    assert y is None
    assert_array_equal(X[-1, :, 0], t[-5:])
    assert_array_equal(X[-1, -1, 1:], [1020, 1021, 1022])
    with pytest.raises(ValueError, match="future_steps"):
        sliding_windows(t, 5, horizon=0, future_covariates=calendar)
    with pytest.raises(ValueError, match="22 rows but 23"):
        sliding_windows(
            t, 5, horizon=0, future_covariates=calendar[:22], future_steps=3
        )
    with pytest.raises(ValueError, match="future_steps is for"):
        sliding_windows(t, 5, future_steps=2)
    with pytest.raises(ValueError, match="past_covariates .* 19 rows but 20"):
        sliding_windows(t, 5, past_covariates=t[:19])


def test_many_series_windows_stay_within_their_series():
    lengths = [12, 20, 9]
    series = [1000 * k + np.arange(float(n)) for k, n in enumerate(lengths)]
    window, horizon = 4, 2
    X, y, groups = sliding_windows(
        series, window, horizon=horizon, step=2, return_groups=True
    )
    for k, n in enumerate(lengths):
        rows = np.flatnonzero(groups == k)
        assert len(rows) == (n - window - horizon) // 2 + 1
        # contiguous, in time order, and aligned on the end of each series
        assert_array_equal(rows, np.arange(rows[0], rows[0] + len(rows)))
        assert y[rows[-1], -1] == series[k][-1]
    # no window (target included) crosses from one series into another
    both = np.concatenate([X, y], axis=1)
    assert_array_equal(both // 1000, np.repeat(groups[:, None], window + horizon, 1))
    assert np.all(np.diff(both, axis=1) == 1)
    assert_array_equal(groups[[0, -1]], [0, 2])


def test_many_series_with_covariates_and_errors():
    a, b = np.arange(10.0), 100 + np.arange(8.0)
    X, y, groups = sliding_windows(
        [a, b],
        3,
        future_covariates=[a + 0.5, b + 0.5],
        past_covariates=[-a, -b],
        return_groups=True,
    )
    assert X.shape == (7 + 5, 3, 3)
    assert_array_equal(X[:, -1, 2], y + 0.5)
    assert_array_equal(X[:, :, 1], -X[:, :, 0])
    assert_array_equal(groups, [0] * 7 + [1] * 5)
    with pytest.raises(ValueError, match="list of as many arrays"):
        sliding_windows([a, b], 3, future_covariates=a)
    with pytest.raises(ValueError, match="series 1 has 8 observations"):
        sliding_windows([a, b], 8, horizon=1)
    with pytest.raises(ValueError, match="same features"):
        sliding_windows([a, np.column_stack([b, b])], 3)
    # a list of plain lists is still one 2-D series, rows being timesteps
    X, y = sliding_windows([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], 2)
    assert X.shape == (1, 2, 2) and y.shape == (1, 2)


def test_long_dataframe_with_an_id_column():
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(0)
    frames = []
    for name, n, level in (("b", 15, 10.0), ("a", 11, 500.0)):
        t = np.arange(n)
        frames.append(
            pd.DataFrame(
                {
                    "store": name,
                    "day": pd.date_range("2024-01-01", periods=n),
                    "sales": level + t,
                    "price": level + 0.25 + t,
                    "dow": (t % 7).astype(float),
                }
            )
        )
    long = pd.concat(frames).iloc[rng.permutation(26)]  # rows in any order
    X, y, groups = sliding_windows(
        long,
        4,
        id_column="store",
        time_column="day",
        target="sales",
        future_covariates="dow",
        return_groups=True,
    )
    # the same as the list of the two series, ids in order of appearance
    first = long["store"].iloc[0]
    order = ["b", "a"] if first == "b" else ["a", "b"]
    wide = [frames[0] if s == "b" else frames[1] for s in order]
    X_list, y_list = sliding_windows(
        [f[["sales", "price"]] for f in wide],
        4,
        target="sales",
        future_covariates=[f["dow"] for f in wide],
    )
    assert_array_equal(X, X_list)
    assert_array_equal(y, y_list)
    assert_array_equal(np.unique(groups, return_counts=True)[1], [7, 11])
    assert list(dict.fromkeys(groups)) == order
    rows_b = groups == "b"
    assert_array_equal(X[rows_b, -1, 0] + 1, y[rows_b])
    # future rows (no observation yet) only provide known-future covariates
    future = pd.DataFrame(
        {
            "store": ["a", "a", "b", "b"],
            "day": pd.to_datetime(["2024-01-12", "2024-01-13"] * 2)
            + pd.to_timedelta([0, 0, 4, 4], unit="D"),
            "sales": np.nan,
            "price": np.nan,
            "dow": [4.0, 5.0, 1.0, 2.0],
        }
    )
    X0, y0, g0 = sliding_windows(
        pd.concat([long, future]),
        4,
        horizon=0,
        future_steps=2,
        id_column="store",
        time_column="day",
        future_covariates=["dow"],
        return_groups=True,
    )
    last_a = np.flatnonzero(g0 == "a")[-1]
    assert_array_equal(X0[last_a, :, 0], 500 + np.arange(7, 11))  # observed
    assert_array_equal(X0[last_a, -1, 2:], [4.0, 5.0])
    last_b = np.flatnonzero(g0 == "b")[-1]
    assert_array_equal(X0[last_b, :, 0], 10 + np.arange(11, 15))
    assert_array_equal(X0[last_b, -1, 2:], [1.0, 2.0])
    with pytest.raises(ValueError, match="series 'b' has 15 rows but 17"):
        sliding_windows(
            pd.concat([long, future.iloc[:2]]),
            4,
            horizon=0,
            future_steps=2,
            id_column="store",
            time_column="day",
            future_covariates="dow",
        )
    with pytest.raises(ValueError, match="not columns"):
        sliding_windows(long, 4, id_column="store", future_covariates="nope")
    with pytest.raises(ValueError, match="DataFrame series"):
        sliding_windows(np.arange(10.0), 4, id_column="store")


class _Recorder(RegressorMixin, BaseEstimator):
    """Records what it is fitted on; predicts the last scaled value."""

    def fit(self, X, y):
        self.X_, self.y_ = X, y
        return self

    def predict(self, X):
        self.X_predict_ = X
        return np.array([x[-1, 0] for x in X])


def test_window_scaling_leaves_covariates_unchanged():
    rng = np.random.RandomState(0)
    prices = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 120)))
    volume = rng.uniform(1e5, 2e5, 120)
    dow = np.arange(123) % 5.0
    series = np.column_stack([prices, volume])
    X, y = sliding_windows(
        series, 10, horizon=3, target=0, future_covariates=dow, future_steps=3
    )
    model = WindowScaledRegressor(_Recorder(), n_series_features=2).fit(X, y)
    assert model.n_features_in_ == 2 + 3
    seen = model.regressor_.X_
    assert_array_equal(seen[:, :, 2:], X[:, :, 2:])  # covariates as given
    last = Normaliser(method="last", per_sequence=True).fit(X[:, :, :2])
    np.testing.assert_allclose(seen[:, :, :2], last.transform(X[:, :, :2]))
    np.testing.assert_allclose(model.regressor_.y_, y / X[:, -1:, 0] - 1)
    # predictions in the units of the prices; ragged windows alike
    np.testing.assert_allclose(model.predict(X), X[:, -1, 0])
    ragged = [X[0], X[1, 3:]]
    model.predict(ragged)
    assert_array_equal(model.regressor_.X_predict_[1][:, 2:], X[1, 3:, 2:])
    # the default scales everything, covariates included
    everything = WindowScaledRegressor(_Recorder()).fit(X, y).regressor_.X_
    assert not np.allclose(everything[:, :, 2:], X[:, :, 2:])
    with pytest.raises(ValueError, match="fitted with 5"):
        model.predict(X[:, :, :4])
    with pytest.raises(ValueError, match="target_feature=2 must be one of"):
        WindowScaledRegressor(_Recorder(), target_feature=2, n_series_features=2).fit(
            X, y
        )
    with pytest.raises(ValueError, match="n_series_features=6 but"):
        WindowScaledRegressor(_Recorder(), n_series_features=6).fit(X, y)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_one_model_over_series_of_different_levels():
    # per-window scaling makes series of any level alike: one model fitted
    # on all of them forecasts as well as one model per series
    window = 15
    levels = (5.0, 100.0, 3000.0)
    series = [
        make_price_series(300, start=level, random_state=k)
        for k, level in enumerate(levels)
    ]
    X, y, groups = sliding_windows(series, window, return_groups=True)
    after = np.empty(len(groups), dtype=int)
    for g in np.unique(groups):
        rows = np.flatnonzero(groups == g)
        after[rows] = np.arange(len(rows))[::-1]
    test = after < 50
    train = after >= 50 + window

    def quick():
        return WindowScaledRegressor(
            LSTMRegressor(
                8,
                max_iter=8,
                random_state=0,
                validation_split="last",
                normalise_y=False,
            )
        )

    pooled = quick().fit(X[train], y[train]).predict(X[test])
    for g in range(len(levels)):
        rows = test & (groups == g)
        own_train = train & (groups == g)
        own = quick().fit(X[own_train], y[own_train]).predict(X[rows])
        in_test = groups[test] == g
        # in each series' own units
        assert np.all(np.abs(pooled[in_test] / X[rows, -1] - 1) < 0.2)
        mae_pooled = np.mean(np.abs(pooled[in_test] - y[rows]))
        mae_own = np.mean(np.abs(own - y[rows]))
        mae_persistence = np.mean(np.abs(X[rows, -1] - y[rows]))
        assert mae_pooled < 1.15 * mae_own
        assert mae_pooled < 1.15 * mae_persistence
