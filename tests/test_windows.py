"""sliding_windows: shapes, values, alignment, targets, errors, TimeSeriesSplit."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.linear_model import Ridge
from sklearn.model_selection import TimeSeriesSplit, cross_val_score

from sklstm import sliding_windows


def test_univariate_shapes_and_values():
    series = np.arange(20.0)
    X, y = sliding_windows(series, 5)
    assert X.shape == (15, 5) and y.shape == (15,)
    for i in range(15):
        assert_array_equal(X[i], series[i : i + 5])
        assert y[i] == series[i + 5]


def test_multistep_horizon():
    series = np.arange(20.0)
    X, y = sliding_windows(series, 5, horizon=3)
    assert X.shape == (13, 5) and y.shape == (13, 3)
    assert_array_equal(y[0], [5, 6, 7])
    assert_array_equal(y[-1], [17, 18, 19])
    assert_array_equal(X[-1], series[12:17])


def test_step_aligns_on_the_end_of_the_series():
    series = np.arange(20.0)
    X, y = sliding_windows(series, 5, step=4)
    # starts 2, 6, 10, 14: the last target is the last observation
    assert_array_equal(X[:, 0], [2, 6, 10, 14])
    assert_array_equal(y, [7, 11, 15, 19])
    X, y = sliding_windows(series, 5, horizon=2, step=5)
    assert y[-1, -1] == 19
    X, _ = sliding_windows(series, 5, horizon=0, step=3)
    assert X[-1, -1] == 19


def test_horizon_zero_gives_windows_up_to_the_last_observation():
    series = np.arange(10.0)
    X, y = sliding_windows(series, 4, horizon=0)
    assert y is None
    assert X.shape == (7, 4)
    assert_array_equal(X[-1], [6, 7, 8, 9])
    X, y = sliding_windows(series, 10, horizon=0)
    assert X.shape == (1, 10) and y is None


def test_multivariate_targets():
    series = np.arange(30.0).reshape(10, 3)  # value = 3 * t + feature
    X, y = sliding_windows(series, 4)
    assert X.shape == (6, 4, 3)
    assert_array_equal(X[1], series[1:5])
    assert y.shape == (6, 3)  # all features
    assert_array_equal(y[0], series[4])

    X, y = sliding_windows(series, 4, target=2)
    assert y.shape == (6,)
    assert_array_equal(y, series[4:, 2])

    X, y = sliding_windows(series, 4, target=[0])
    assert y.shape == (6, 1)

    X, y = sliding_windows(series, 4, horizon=2, target=1)
    assert y.shape == (5, 2)
    assert_array_equal(y[0], series[4:6, 1])

    X, y = sliding_windows(series, 4, horizon=2, target=[2, 0])
    assert y.shape == (5, 2, 2)
    assert_array_equal(y[0], series[4:6][:, [2, 0]])


def test_pandas_input_and_column_names():
    pd = pytest.importorskip("pandas")
    index = pd.date_range("2020-01-01", periods=12)
    df = pd.DataFrame(
        {"close": np.arange(12.0), "volume": np.arange(12.0) * 100}, index=index
    )
    X, y = sliding_windows(df, 3, target="close")
    assert isinstance(X, np.ndarray) and X.shape == (9, 3, 2)
    assert_array_equal(y, df["close"].to_numpy()[3:])
    _, y = sliding_windows(df, 3, target=["volume", "close"])
    assert_array_equal(y[0], [300, 3])
    X, y = sliding_windows(df["close"], 3)
    assert X.shape == (9, 3) and y.shape == (9,)


def test_returns_writable_copies():
    series = np.arange(12.0)
    X, y = sliding_windows(series, 4, horizon=2)
    assert X.flags.writeable and X.flags.c_contiguous
    assert y.flags.writeable and y.flags.c_contiguous
    assert not np.shares_memory(X, series) and not np.shares_memory(y, series)
    X[0, 0] = -1
    assert series[0] == 0 and X[1, 0] == 1


def test_dtype_kept():
    X, y = sliding_windows(np.arange(10, dtype=np.float32), 3)
    assert X.dtype == y.dtype == np.float32
    X, _ = sliding_windows([1, 2, 3, 4, 5], 2)
    assert np.issubdtype(X.dtype, np.integer)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"window": 0}, "window"),
        ({"window": 2.5}, "window"),
        ({"window": 3, "horizon": -1}, "horizon"),
        ({"window": 3, "step": 0}, "step"),
        ({"window": 10}, "fewer than window \\+ horizon"),
        ({"window": 8, "horizon": 3}, "fewer than window \\+ horizon"),
        ({"window": 3, "target": 0}, "1-D"),
    ],
)
def test_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        sliding_windows(np.arange(10.0), **kwargs)


def test_series_errors():
    with pytest.raises(ValueError, match="NaN"):
        sliding_windows(np.array([1.0, np.nan, 3.0, 4.0]), 2)
    with pytest.raises(ValueError, match="dim 3"):
        sliding_windows(np.zeros((10, 2, 2)), 2)
    # a row vector is 1 timestep of 10 features
    with pytest.raises(ValueError, match="one row per timestep"):
        sliding_windows(np.zeros((1, 10)), 3)
    series = np.zeros((10, 2))
    with pytest.raises(ValueError, match="out of range"):
        sliding_windows(series, 3, target=2)
    with pytest.raises(ValueError, match="DataFrame"):
        sliding_windows(series, 3, target="close")
    with pytest.raises(ValueError, match="empty"):
        sliding_windows(series, 3, target=[])
    pd = pytest.importorskip("pandas")
    with pytest.raises(ValueError, match="not a column"):
        sliding_windows(pd.DataFrame(series, columns=["a", "b"]), 3, target="c")


@pytest.mark.parametrize("window, horizon", [(5, 1), (4, 3)])
def test_time_series_split_over_windows(window, horizon):
    # each value is its own time index, so windows show which steps they use
    series = np.arange(120.0)
    X, y = sliding_windows(series, window, horizon=horizon)
    y = y.reshape(len(y), -1)
    for gap in (horizon - 1, window + horizon - 1):
        for train, test in TimeSeriesSplit(n_splits=4, gap=gap).split(X):
            # no test window starts before the end of training
            assert train.max() < test.min()
            # test targets never appear among the training targets or inputs
            seen = np.union1d(X[train], y[train])
            assert not np.isin(y[test], seen).any()
            if gap == window + horizon - 1:
                # with the larger gap no observation is shared at all
                assert not np.isin(X[test], seen).any()
    # one step less and the first test window holds a training target
    train, test = next(TimeSeriesSplit(n_splits=4, gap=window + horizon - 2).split(X))
    assert np.isin(X[test], y[train]).any()
    # without a gap, multi-step targets overlap across the split
    if horizon > 1:
        train, test = next(iter(TimeSeriesSplit(n_splits=4).split(X)))
        assert np.isin(y[test], y[train]).any()


def test_cross_validation_with_a_model():
    rng = np.random.RandomState(0)
    prices = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, size=300)))
    X, y = sliding_windows(prices, 10)
    scores = cross_val_score(Ridge(), X, y, cv=TimeSeriesSplit(n_splits=3, gap=10))
    assert scores.shape == (3,) and np.all(np.isfinite(scores))
