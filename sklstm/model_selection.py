# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""Evaluating forecasters over time: rolling-origin backtests."""

import time
from numbers import Integral, Real

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import TimeSeriesSplit
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import HasMethods, Interval, validate_params
from sklearn.utils.validation import _num_samples, check_array

from sklstm._backend import to_numpy
from sklstm._sequences import is_ragged_container

__all__ = ["backtest", "persistence"]


def persistence(X):
    """The naive forecast: each window's last value of its first feature.

    "Tomorrow equals today": ``X[:, -1]`` for 2-D windows (univariate, one
    column per timestep, as :func:`~sklstm.sliding_windows` cuts a 1-D
    series), ``X[:, -1, 0]`` for 3-D windows (feature 0 is taken as the
    forecast series) and ``x[-1]`` (its first feature) for each sequence
    of a ragged list.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_timesteps[, n_features]) or \
list of arrays
        Input windows, oldest value first.

    Returns
    -------
    y_pred : ndarray of shape (n_samples,)
        The last value of every window.

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm.model_selection import persistence
    >>> persistence(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
    array([3., 6.])
    """
    if is_ragged_container(X):
        return np.array(
            [
                np.asarray(to_numpy(x), dtype=np.float64).reshape(len(x), -1)[-1, 0]
                for x in X
            ]
        )
    X = np.asarray(to_numpy(X), dtype=np.float64)
    if X.ndim == 2:
        return X[:, -1].copy()
    if X.ndim == 3:
        return X[:, -1, 0].copy()
    raise ValueError(
        f"persistence needs 2-D, 3-D or ragged windows; got X of shape {X.shape}."
    )


def _as_targets(pred, y):
    """``pred`` broadcast to the shape of ``y`` (a per-window forecast
    repeated over a 2-D ``y``'s columns)."""
    pred = np.asarray(to_numpy(pred), dtype=np.float64)
    if pred.shape == y.shape:
        return pred
    if pred.shape == (len(y),):
        return np.broadcast_to(pred.reshape((len(y),) + (1,) * (y.ndim - 1)), y.shape)
    raise ValueError(
        f"The baseline gave predictions of shape {pred.shape} for targets of "
        f"shape {y.shape}; it must give one value per window or y's shape."
    )


@validate_params(
    {
        "estimator": [HasMethods(["fit", "predict"])],
        "X": ["array-like"],
        "y": ["array-like"],
        "n_splits": [Interval(Integral, 2, None, closed="left")],
        "gap": [Interval(Integral, 0, None, closed="left")],
        "test_size": [None, Interval(Integral, 1, None, closed="left")],
        "max_train_size": [None, Interval(Integral, 1, None, closed="left")],
        "coverage": [None, Interval(Real, 0, 1, closed="neither")],
        "online": ["boolean"],
        "baseline": [None, callable],
        "return_estimator": ["boolean"],
        "return_indices": ["boolean"],
    },
    prefer_skip_nested_validation=False,  # the estimator is validated in fit
)
def backtest(
    estimator,
    X,
    y,
    *,
    n_splits=5,
    gap=0,
    test_size=None,
    max_train_size=None,
    coverage=None,
    online=False,
    baseline=None,
    return_estimator=False,
    return_indices=False,
):
    """Rolling-origin evaluation of a forecaster, against persistence.

    The samples (windows of a series, in time order) are split by
    :class:`~sklearn.model_selection.TimeSeriesSplit`: fold ``k`` trains a
    clone of ``estimator`` on every sample up to an origin and tests on the
    ``test_size`` samples that follow, ``gap`` samples later; the origin
    moves forward fold by fold.  Every fold reports the test MAE, the MAE
    of a baseline forecast (persistence by default) on the same test
    samples, their ratio, and, for an estimator with ``predict_interval``
    (such as :class:`~sklstm.ConformalRegressor`), the coverage and mean
    width of its intervals.

    Parameters
    ----------
    estimator : estimator object
        A regressor with ``fit`` and ``predict``; cloned for every fold.
    X : array-like of shape (n_samples, ...) or list of arrays
        Input windows in time order, oldest first (as
        :func:`~sklstm.sliding_windows` returns them); 2-D, 3-D or ragged.
    y : array-like of shape (n_samples,) or (n_samples, horizon)
        The values that follow each window.
    n_splits : int, default=5
        Folds; at least 2.
    gap : int, default=0
        Samples left out between each training set and its test set.
        Overlapping windows share observations: windows of
        ``sliding_windows(..., window=w, horizon=h)`` need ``gap >= h - 1``
        to keep the test targets out of the training targets, and ``gap
        >= w + h - 1`` to share no observation at all.
    test_size : int, default=None
        Samples per test fold; None: ``n_samples // (n_splits + 1)``.
    max_train_size : int, default=None
        The most recent samples to train on at most (a sliding rather than
        a growing training window); None: all before the origin.
    coverage : float, default=None
        The coverage asked of ``estimator.predict_interval``; None uses the
        estimator's own.  Needs an estimator with ``predict_interval``.
    online : bool, default=False
        Make the intervals with ``predict_interval_online(X_test,
        y_test)`` (adaptive conformal inference: each test value, once
        revealed, adapts the next intervals) instead of
        ``predict_interval``.  ``coverage`` must then be None (the
        estimator's own is the target).
    baseline : callable, default=None
        ``baseline(X_test)`` returns the reference forecast, one value per
        window (repeated over the columns of a 2-D ``y``) or ``y``'s shape.
        None: :func:`persistence`, the last value of every window
        (``X[:, -1]`` for 2-D, ``X[:, -1, 0]`` for 3-D windows: give a
        callable when the forecast series is another feature).
    return_estimator : bool, default=False
        Return the fitted estimator of every fold.
    return_indices : bool, default=False
        Return the train and test indices of every fold.

    Returns
    -------
    scores : dict of ndarray of shape (n_splits,)
        As :func:`~sklearn.model_selection.cross_validate` does, one array
        per key, one entry per fold in time order:

        - ``fit_time``, ``score_time``: seconds to fit, and to predict and
          score;
        - ``n_train``, ``n_test``: samples in the fold's training and test
          sets;
        - ``test_mae``: mean absolute error on the test samples, over every
          output;
        - ``test_baseline_mae``: the baseline's MAE on the same samples;
        - ``test_mase``: ``test_mae / test_baseline_mae``, the MAE scaled by
          the baseline's **on the same test samples** (below 1 beats
          persistence; persistence itself scores 1).  Hyndman & Koehler's
          MASE scales by the in-sample naive MAE instead; the two differ by
          the ratio of the test period's naive MAE to the training
          period's;
        - ``test_coverage``, ``test_width`` (with intervals): fraction of
          the test values inside their interval, and the interval's mean
          width (``inf`` when some interval is infinite);
        - ``estimator`` (``return_estimator``): the fitted clones;
        - ``indices`` (``return_indices``): ``{'train': [...], 'test':
          [...]}``, the index arrays of every fold.

    See Also
    --------
    sklearn.model_selection.TimeSeriesSplit : The splitter used.
    sklearn.model_selection.cross_validate : The same for exchangeable
        samples and any scorer.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from sklstm import sliding_windows
    >>> from sklstm.model_selection import backtest
    >>> rng = np.random.RandomState(0)
    >>> series = 5 + np.sin(np.arange(400) / 5) + rng.normal(0, 0.1, 400)
    >>> X, y = sliding_windows(series, window=10)
    >>> scores = backtest(Ridge(), X, y, n_splits=3)
    >>> scores["n_train"], scores["n_test"]
    (array([ 99, 196, 293]), array([97, 97, 97]))
    >>> scores["test_mase"].round(2)  # MAE / persistence's MAE
    array([0.57, 0.55, 0.55])

    With intervals:

    >>> from sklstm import ConformalRegressor
    >>> scores = backtest(ConformalRegressor(Ridge(), coverage=0.9), X, y, n_splits=3)
    >>> scores["test_coverage"].round(2), scores["test_width"].round(2)
    (array([0.95, 0.92, 0.94]), array([0.44, 0.39, 0.4 ]))
    """
    n = _num_samples(X)
    y = check_array(y, ensure_2d=False, allow_nd=True, dtype=np.float64, input_name="y")
    if len(y) != n:
        raise ValueError(
            f"X has {n} samples but y has {len(y)}; they must correspond one to one."
        )
    has_intervals = hasattr(estimator, "predict_interval")
    if online:
        if not hasattr(estimator, "predict_interval_online"):
            raise ValueError(
                "online=True needs an estimator with predict_interval_online, "
                f"such as ConformalRegressor; {type(estimator).__name__} has none."
            )
        if coverage is not None:
            raise ValueError(
                "online=True aims at the estimator's own coverage; leave "
                "coverage=None and set the estimator's coverage instead."
            )
    elif coverage is not None and not has_intervals:
        raise ValueError(
            f"coverage={coverage} needs an estimator with predict_interval, "
            f"such as ConformalRegressor; {type(estimator).__name__} has none."
        )
    baseline = persistence if baseline is None else baseline
    splitter = TimeSeriesSplit(
        n_splits=n_splits, gap=gap, test_size=test_size, max_train_size=max_train_size
    )
    keys = ["fit_time", "score_time", "n_train", "n_test", "test_mae"]
    keys += ["test_baseline_mae", "test_mase"]
    if has_intervals or online:
        keys += ["test_coverage", "test_width"]
    out = {key: [] for key in keys}
    estimators, train_indices, test_indices = [], [], []
    for train, test in splitter.split(np.zeros((n, 1))):
        X_train, X_test = _safe_indexing(X, train), _safe_indexing(X, test)
        y_test = y[test]
        t0 = time.perf_counter()
        model = clone(estimator).fit(X_train, y[train])
        t1 = time.perf_counter()
        pred = _as_targets(model.predict(X_test), y_test)
        mae = float(np.mean(np.abs(y_test - pred)))
        base = float(np.mean(np.abs(y_test - _as_targets(baseline(X_test), y_test))))
        if "test_coverage" in out:
            if online:
                lower, upper = model.predict_interval_online(X_test, y_test)
            else:
                kwargs = {} if coverage is None else {"coverage": coverage}
                lower, upper = model.predict_interval(X_test, **kwargs)
            lower = _as_targets(lower, y_test)
            upper = _as_targets(upper, y_test)
            out["test_coverage"].append(
                float(np.mean((lower <= y_test) & (y_test <= upper)))
            )
            out["test_width"].append(float(np.mean(upper - lower)))
        out["score_time"].append(time.perf_counter() - t1)
        out["fit_time"].append(t1 - t0)
        out["n_train"].append(len(train))
        out["n_test"].append(len(test))
        out["test_mae"].append(mae)
        out["test_baseline_mae"].append(base)
        out["test_mase"].append(mae / base if base > 0 else np.inf)
        estimators.append(model)
        train_indices.append(train)
        test_indices.append(test)
    scores = {key: np.asarray(values) for key, values in out.items()}
    if return_estimator:
        scores["estimator"] = estimators
    if return_indices:
        scores["indices"] = {"train": train_indices, "test": test_indices}
    return scores
