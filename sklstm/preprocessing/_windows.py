# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""Sliding windows: a series into ``(X, y)`` forecasting samples."""

from numbers import Integral

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.utils import check_array
from sklearn.utils._param_validation import Interval, validate_params


@validate_params(
    {
        "series": ["array-like"],
        "window": [Interval(Integral, 1, None, closed="left")],
        "horizon": [Interval(Integral, 0, None, closed="left")],
        "step": [Interval(Integral, 1, None, closed="left")],
        "target": [None, Integral, str, "array-like"],
    },
    prefer_skip_nested_validation=True,
)
def sliding_windows(series, window, *, horizon=1, step=1, target=None):
    """Cut a series into input windows and the values that follow them.

    Window ``i`` holds ``window`` consecutive observations; its target is the
    ``horizon`` observations right after it.  The result is what an LSTM
    forecaster is fitted on: ``X`` in sklstm's sequence layout, ``y`` one
    row per window.

    Parameters
    ----------
    series : array-like of shape (n_timesteps,) or (n_timesteps, n_features)
        The series, oldest observation first: a 1-D array or pandas Series
        (univariate) or a 2-D array or DataFrame (one column per feature).
        It must not contain NaN or infinite values.
    window : int
        Observations per input window, at least 1.
    horizon : int, default=1
        Observations to predict after each window.  0 returns windows
        without targets (``y`` is None), the last one ending at the last
        observation: the input for forecasting beyond the series.
    step : int, default=1
        Offset between the starts of consecutive windows.  Windows are
        aligned on the end of the series: the last window's target (the
        last window, when ``horizon=0``) ends at the last observation, and
        up to ``step - 1`` of the oldest observations are left out.
    target : int, str or list of those, default=None
        Feature(s) of a 2-D series to predict, by position or, for a
        DataFrame, by column name.  None predicts every feature.  Must be
        None for a 1-D series.  As in NumPy indexing, a single position or
        name drops the feature axis of ``y`` and a list keeps it.

    Returns
    -------
    X : ndarray of shape (n_windows, window) or (n_windows, window, n_features)
        Input windows: 2-D univariate sequences for a 1-D series, 3-D
        otherwise.  Copies, not views of ``series``.
    y : ndarray or None
        Targets, in time order like ``X``: of shape ``(n_windows,)`` for one
        target and ``horizon=1``, ``(n_windows, horizon)`` for several
        steps, with a trailing ``n_targets`` axis when ``target`` is None or
        a list on a 2-D series.  None when ``horizon=0``.

    See Also
    --------
    Normaliser : Scale the windows, globally or each by its own statistics.
    sklearn.model_selection.TimeSeriesSplit : Chronological cross-validation
        over the windows.

    Notes
    -----
    Windows come out in time order, so a chronological split such as
    :class:`~sklearn.model_selection.TimeSeriesSplit` never trains on a
    window that starts after a test window.  Consecutive windows overlap,
    though: with ``step=1`` a training target can reappear in the inputs of
    the next test windows, and with ``horizon > 1`` the last training
    targets overlap the first test targets.
    ``TimeSeriesSplit(gap=horizon - 1)`` keeps test targets out of the
    training inputs and targets; ``TimeSeriesSplit(gap=window + horizon -
    1)`` makes training and test windows share no observation at all (for
    ``step > 1``, a gap of ``ceil((window + horizon) / step) - 1`` windows
    is enough).  Fit any scaling on the training windows only.

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm import sliding_windows
    >>> series = np.arange(10.0)
    >>> X, y = sliding_windows(series, 3)
    >>> X.shape, y.shape
    ((7, 3), (7,))
    >>> X[0], y[0]
    (array([0., 1., 2.]), np.float64(3.0))
    >>> X, y = sliding_windows(series, 3, horizon=2, step=3)
    >>> X
    array([[2., 3., 4.],
           [5., 6., 7.]])
    >>> y
    array([[5., 6.],
           [8., 9.]])
    >>> X_future, _ = sliding_windows(series, 3, horizon=0)
    >>> X_future[-1]  # the input for predicting the 11th value
    array([7., 8., 9.])
    """
    columns = getattr(series, "columns", None)
    values = check_array(series, ensure_2d=False, dtype="numeric", input_name="series")
    n_obs = len(values)
    if n_obs < window + horizon:
        raise ValueError(
            f"series has {n_obs} observations (shape {values.shape}), fewer than "
            f"window + horizon = {window} + {horizon}; a 2-D series has one row "
            "per timestep."
        )
    last_start = n_obs - window - horizon
    starts = np.arange(last_start % step, last_start + 1, step)
    # fancy indexing copies; windows of a 2-D series come out (n, F, window)
    X = np.moveaxis(sliding_window_view(values, window, axis=0)[starts], -1, 1)
    cols = _target_columns(target, values, columns)
    if horizon == 0:
        return np.ascontiguousarray(X), None
    targets = values if cols is None else values[:, cols]
    y = sliding_window_view(targets[window:], horizon, axis=0)[starts]
    y = np.moveaxis(y, -1, 1)  # (n, horizon) or (n, horizon, n_targets)
    if horizon == 1:
        y = y[:, 0]
    return np.ascontiguousarray(X), np.ascontiguousarray(y)


def _target_columns(target, values, columns):
    """Positions of the target features: None (all), an int or an int array."""
    if target is None:
        return None
    if values.ndim == 1:
        raise ValueError(
            "series is 1-D, so it is its own target: leave target=None "
            f"(got target={target!r})."
        )
    if isinstance(target, (Integral, str)):
        return _column_position(target, values.shape[1], columns)
    positions = [_column_position(t, values.shape[1], columns) for t in target]
    if not positions:
        raise ValueError("target is an empty list: name at least one feature.")
    return np.array(positions, dtype=np.intp)


def _column_position(name, n_features, columns):
    if isinstance(name, Integral) and not isinstance(name, bool):
        if not 0 <= name < n_features:
            raise ValueError(
                f"target {name} is out of range: series has {n_features} features."
            )
        return int(name)
    if columns is None:
        raise ValueError(
            f"target {name!r} is not a feature position; column names need a "
            "DataFrame series."
        )
    if name not in columns:
        raise ValueError(f"target {name!r} is not a column of series.")
    return int(columns.get_loc(name))
