# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""Sliding windows: series into ``(X, y)`` forecasting samples, with covariates."""

from collections.abc import Hashable
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
        "past_covariates": [None, str, "array-like"],
        "future_covariates": [None, str, "array-like"],
        "future_steps": [None, Interval(Integral, 1, None, closed="left")],
        "id_column": [None, Hashable],
        "time_column": [None, Hashable],
        "return_groups": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def sliding_windows(
    series,
    window,
    *,
    horizon=1,
    step=1,
    target=None,
    past_covariates=None,
    future_covariates=None,
    future_steps=None,
    id_column=None,
    time_column=None,
    return_groups=False,
):
    """Cut series into input windows and the values that follow them.

    Window ``i`` holds ``window`` consecutive observations; its target is the
    ``horizon`` observations right after it.  The result is what an LSTM
    forecaster is fitted on: ``X`` in sklstm's sequence layout, ``y`` one
    row per window.  Covariates (other series that help predict this one)
    become extra features of every input step, and several series give one
    set of windows, none of which crosses from one series into another.

    Parameters
    ----------
    series : array-like of shape (n_timesteps,) or (n_timesteps, n_features), \
list of those, or DataFrame
        The series, oldest observation first: a 1-D array or pandas Series
        (univariate) or a 2-D array or DataFrame (one column per feature).
        It must not contain NaN or infinite values.  Several series: a list
        (or tuple) of NumPy arrays, pandas Series or DataFrames, one per
        series, of any lengths but the same number of features (a list of
        plain Python lists is one 2-D series, as before); or a long
        DataFrame with an ``id_column`` (see ``id_column``).
    window : int
        Observations per input window, at least 1.
    horizon : int, default=1
        Observations to predict after each window.  0 returns windows
        without targets (``y`` is None), the last one ending at the last
        observation: the input for forecasting beyond the series.
    step : int, default=1
        Offset between the starts of consecutive windows.  Windows are
        aligned on the end of the series (of each series): the last window's
        target (the last window, when ``horizon=0``) ends at the last
        observation, and up to ``step - 1`` of the oldest observations are
        left out.
    target : int, str or list of those, default=None
        Feature(s) of a 2-D series to predict, by position or, for a
        DataFrame, by column name.  None predicts every feature.  Must be
        None for a 1-D series.  As in NumPy indexing, a single position or
        name drops the feature axis of ``y`` and a list keeps it.
        Covariates are never targets.
    past_covariates : array-like of shape (n_rows,) or (n_rows, n_past), \
list of those, str or list of str, default=None
        Series observed alongside ``series`` and only up to the present
        (e.g. traded volume): row ``t`` is timestep ``t`` of the series, and
        rows after the last observation are ignored.  Input step ``t`` of a
        window carries them as ``n_past`` extra features, so the last input
        step carries those of the forecast origin and none later.  One
        array per series for a list of series; column names for a
        DataFrame ``series``.
    future_covariates : array-like of shape (n_rows,) or \
(n_rows, n_future), list of those, str or list of str, default=None
        Known-future covariates, known in advance for the timesteps being
        forecast too (calendar features, planned promotions, holidays):
        row ``t`` is timestep ``t``, and rows may run past the end of the
        series.  Input step ``t`` carries the rows ``t + 1, ..., t + L``
        (``L = future_steps``) as ``L * n_future`` extra features, lead 1
        first: the last input step, the forecast origin, carries the
        covariates of every step being predicted.  Each array needs
        ``n_timesteps - horizon + L`` rows (``n_timesteps`` with the
        default ``L = horizon``; ``n_timesteps + L`` with ``horizon=0``).
        One array per series for a list of series; column names for a
        DataFrame ``series``.
    future_steps : int, default=None
        ``L``, the number of future timesteps whose covariates each input
        step carries.  None means ``horizon``; required with
        ``future_covariates`` and ``horizon=0`` (forecasting beyond the
        series: give the ``horizon`` the model was fitted with).
    id_column : hashable, default=None
        For a long DataFrame ``series`` holding several series one below
        another: the column naming the series of each row.  Its rows of one
        id, in time order (or sorted by ``time_column``), form one series;
        the columns other than ``id_column``, ``time_column`` and the
        covariates named in ``past_covariates`` and ``future_covariates``
        are its features.  Trailing rows of an id whose features are all
        missing (NaN) belong to the future: they only provide
        ``future_covariates`` (for ``horizon=0``).
    time_column : hashable, default=None
        For a DataFrame ``series``: the column giving the time of each row;
        rows are sorted by it (within each id) and it is not a feature.
        None keeps the rows in their order.
    return_groups : bool, default=False
        Also return the series each window comes from.

    Returns
    -------
    X : ndarray of shape (n_windows, window) or (n_windows, window, n_features)
        Input windows: 2-D univariate sequences for 1-D series without
        covariates, 3-D otherwise.  The features of a step are the series'
        own, then the past covariates, then the future covariates (by lead,
        then by covariate).  Copies, not views of ``series``.
    y : ndarray or None
        Targets, in time order like ``X``: of shape ``(n_windows,)`` for one
        target and ``horizon=1``, ``(n_windows, horizon)`` for several
        steps, with a trailing ``n_targets`` axis when ``target`` is None or
        a list on a 2-D series.  None when ``horizon=0``.
    groups : ndarray of shape (n_windows,)
        Only with ``return_groups=True``: the series of each window, its
        position in a list of series, its id in a long DataFrame (0 for a
        single series).  Windows of one series are contiguous and in time
        order, the series in the order of the list (of first appearance of
        the ids).

    See Also
    --------
    Normaliser : Scale the windows, globally or each by its own statistics.
    WindowScaledRegressor : Forecast from windows each scaled by its own
        level; ``n_series_features`` leaves covariates unscaled.
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

    With several series, split each one by time, e.g. keep the last ``k``
    windows of every series for testing, and a gap before them::

        after = np.empty(len(groups), dtype=int)  # later windows, same series
        for g in np.unique(groups):
            rows = np.flatnonzero(groups == g)  # in time order
            after[rows] = np.arange(len(rows))[::-1]
        test = after < k
        train = after >= k + window + horizon - 1

    No target value from after a window's last step ever enters ``X``:
    future covariates are read from ``future_covariates`` only, which must
    not contain the target itself.

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

    A known-future covariate (here ``100 + t`` at time ``t``): the origin
    step carries that of the step being predicted.

    >>> X, y = sliding_windows(series, 3, future_covariates=100 + series)
    >>> X[0]  # steps 0, 1, 2: the series, then the covariate of t + 1
    array([[  0., 101.],
           [  1., 102.],
           [  2., 103.]])
    >>> y[0]
    np.float64(3.0)

    Two series of different lengths, and the series of each window:

    >>> X, y, groups = sliding_windows(
    ...     [np.arange(5.0), np.arange(100.0, 104.0)], 2, return_groups=True
    ... )
    >>> X
    array([[  0.,   1.],
           [  1.,   2.],
           [  2.,   3.],
           [100., 101.],
           [101., 102.]])
    >>> y, groups
    (array([  2.,   3.,   4., 102., 103.]), array([0, 0, 0, 1, 1]))
    """
    lead = horizon if future_steps is None else future_steps
    if future_covariates is None:
        if future_steps is not None:
            raise ValueError("future_steps is for future_covariates, which is None.")
    elif lead == 0:
        raise ValueError(
            "With horizon=0 and future_covariates, give future_steps: the "
            "number of future timesteps whose covariates each input step "
            "carries (the horizon the model was fitted with)."
        )
    if hasattr(series, "columns") and (
        id_column is not None
        or time_column is not None
        or _are_names(past_covariates)
        or _are_names(future_covariates)
    ):
        parts, labels = _split_frame(
            series, id_column, time_column, past_covariates, future_covariates
        )
        many = id_column is not None
    elif id_column is not None or time_column is not None:
        raise ValueError(
            "id_column and time_column name columns of a DataFrame series; "
            f"got a series of type {type(series).__name__}."
        )
    elif _is_collection(series):
        past = _per_series(past_covariates, len(series), "past_covariates")
        future = _per_series(future_covariates, len(series), "future_covariates")
        parts = [
            (s, getattr(s, "columns", None), p, f)
            for s, p, f in zip(series, past, future, strict=True)
        ]
        labels, many = np.arange(len(series)), True
    else:
        columns = getattr(series, "columns", None)
        parts = [(series, columns, past_covariates, future_covariates)]
        labels, many = np.zeros(1, dtype=np.intp), False

    Xs, ys = [], []
    for k, (values, columns, past, future) in enumerate(parts):
        label = labels[k].item() if isinstance(labels[k], np.generic) else labels[k]
        name = f"series {label!r}" if many else "series"
        X, y = _windows_of(
            values, columns, past, future, window, horizon, step, lead, target, name
        )
        Xs.append(X)
        ys.append(y)
    X = _concatenate(Xs, "X")
    y = None if horizon == 0 else _concatenate(ys, "y")
    if not return_groups:
        return X, y
    groups = np.repeat(np.asarray(labels), [len(part) for part in Xs])
    return X, y, groups


def _windows_of(
    series, columns, past, future, window, horizon, step, lead, target, name
):
    """The windows and targets of one series."""
    values = check_array(series, ensure_2d=False, dtype="numeric", input_name=name)
    n_obs = len(values)
    if n_obs < window + horizon:
        raise ValueError(
            f"{name} has {n_obs} observations (shape {values.shape}), fewer than "
            f"window + horizon = {window} + {horizon}; a 2-D series has one row "
            "per timestep."
        )
    n_in = n_obs - horizon  # the timesteps that inputs may hold
    inputs = values[:n_in]
    if past is not None or future is not None:
        blocks = [inputs.reshape(n_in, -1)]
        if past is not None:
            covs = _covariates(past, n_obs, f"past_covariates of {name}")
            blocks.append(covs[:n_in])
        if future is not None:
            need = n_in + lead
            covs = _covariates(future, need, f"future_covariates of {name}")
            # input step t carries the covariates of t + 1, ..., t + lead
            blocks += [covs[k : k + n_in] for k in range(1, lead + 1)]
        inputs = np.concatenate(blocks, axis=1)
    last_start = n_in - window
    starts = np.arange(last_start % step, last_start + 1, step)
    # fancy indexing copies; windows of a 2-D series come out (n, F, window)
    X = np.moveaxis(sliding_window_view(inputs, window, axis=0)[starts], -1, 1)
    cols = _target_columns(target, values, columns)
    if horizon == 0:
        return X, None
    targets = values if cols is None else values[:, cols]
    y = sliding_window_view(targets[window:], horizon, axis=0)[starts]
    y = np.moveaxis(y, -1, 1)  # (n, horizon) or (n, horizon, n_targets)
    if horizon == 1:
        y = y[:, 0]
    return X, y


def _covariates(covariates, n_rows, name):
    """The first ``n_rows`` rows of a covariate array, as 2-D."""
    if len(covariates) < n_rows:
        raise ValueError(
            f"{name} has {len(covariates)} rows but {n_rows} are needed: row t "
            "is timestep t of the series (future covariates also cover the "
            "future_steps timesteps after the last input step)."
        )
    # only the rows used are checked (later ones may be missing)
    if hasattr(covariates, "iloc"):
        covariates = covariates.iloc[:n_rows]
    elif isinstance(covariates, np.ndarray):
        covariates = covariates[:n_rows]
    covs = check_array(covariates, ensure_2d=False, dtype="numeric", input_name=name)
    return (covs[:, None] if covs.ndim == 1 else covs)[:n_rows]


def _concatenate(parts, what):
    shapes = {part.shape[1:] for part in parts}
    if len(shapes) > 1:
        raise ValueError(
            f"The series give windows of different shapes, {sorted(shapes)} for "
            f"{what} (after the window axis): every series needs the same "
            "features and covariates."
        )
    return np.ascontiguousarray(np.concatenate(parts))


def _is_collection(series):
    """Whether ``series`` is a list of series (arrays, Series, DataFrames)."""
    return (
        isinstance(series, (list, tuple))
        and len(series) > 0
        and all(len(getattr(s, "shape", ())) >= 1 for s in series)
    )


def _per_series(covariates, n_series, name):
    if covariates is None:
        return [None] * n_series
    if not isinstance(covariates, (list, tuple)) or len(covariates) != n_series:
        raise ValueError(
            f"series is a list of {n_series} series, so {name} must be a list "
            "of as many arrays, one per series."
        )
    return list(covariates)


def _are_names(covariates):
    if isinstance(covariates, str):
        return True
    return (
        isinstance(covariates, (list, tuple))
        and len(covariates) > 0
        and all(isinstance(c, str) for c in covariates)
    )


def _names(covariates, frame, what):
    if covariates is None:
        return []
    if isinstance(covariates, str) or not hasattr(covariates, "__iter__"):
        names = [covariates]
    else:
        names = list(covariates)
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise ValueError(
            f"{what} must name columns of the DataFrame series: {missing} "
            "are not columns."
        )
    return names


def _split_frame(frame, id_column, time_column, past, future):
    """A (long) DataFrame into one ``(values, columns, past, future)`` per id."""
    special = [c for c in (id_column, time_column) if c is not None]
    for c, what in ((id_column, "id_column"), (time_column, "time_column")):
        if c is not None and c not in frame.columns:
            raise ValueError(f"{what}={c!r} is not a column of series.")
    past_names = _names(past, frame, "past_covariates")
    future_names = _names(future, frame, "future_covariates")
    taken = set(special) | set(past_names) | set(future_names)
    features = [c for c in frame.columns if c not in taken]
    if not features:
        raise ValueError(
            "The DataFrame has no column left for the series itself once the "
            "id, time and covariate columns are set aside."
        )
    n_rows = len(frame)
    if id_column is None:
        ids = np.zeros(n_rows, dtype=np.intp)
        labels = np.zeros(1, dtype=np.intp)
    else:
        ids = np.asarray(frame[id_column].to_numpy())
        _, first = np.unique(ids, return_index=True)
        labels = ids[np.sort(first)]
    times = None if time_column is None else np.asarray(frame[time_column].to_numpy())
    values = np.asarray(frame[features].to_numpy())
    past_values = np.asarray(frame[past_names].to_numpy()) if past_names else None
    future_values = np.asarray(frame[future_names].to_numpy()) if future_names else None
    parts = []
    for label in labels:
        rows = np.flatnonzero(ids == label)
        if times is not None:
            rows = rows[np.argsort(times[rows], kind="stable")]
        own = values[rows]
        n_obs = len(own)
        if own.dtype.kind in "fc":
            # trailing rows with no observation: known-future covariates only
            observed = np.flatnonzero(~np.isnan(own).all(axis=1))
            n_obs = observed[-1] + 1 if len(observed) else 0
        parts.append(
            (
                own[:n_obs],
                features,
                None if past_values is None else past_values[rows][:n_obs],
                None if future_values is None else future_values[rows],
            )
        )
    return parts, labels


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
    return list(columns).index(name)
