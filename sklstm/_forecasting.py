# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""Forecasting from windows scaled by their own statistics."""

import warnings
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import _num_samples, check_array, check_is_fitted

from sklstm._backend import follows_input_namespace, to_numpy
from sklstm._regressor import LSTMRegressor
from sklstm._sequences import is_ragged_container
from sklstm.preprocessing import Normaliser


def _regressor_has(name):
    """``available_if`` check: the (fitted, else given or default) regressor
    has the method ``name``; else its AttributeError, which says why."""

    def check(self):
        regressor = getattr(self, "regressor_", None)
        if regressor is None:
            regressor = self.regressor
        if regressor is None:
            regressor = LSTMRegressor(validation_split="last", normalise_y=False)
        getattr(regressor, name)
        return True

    return check


class WindowScaledRegressor(RegressorMixin, BaseEstimator):
    """Forecast in original units from windows scaled each by its own level.

    Every input window is scaled by its own statistics (a per-sequence
    :class:`Normaliser`), its targets by **the statistics of that window**,
    the inner regressor learns on those scaled values, and predictions are
    mapped back with the same window's statistics.  ``fit`` and
    ``predict`` therefore speak the units of the data (dollars for prices)
    while the network sees values of unit scale, however far the series
    moves from the training period.  This is what
    :class:`~sklearn.compose.TransformedTargetRegressor` cannot do: its
    target transformer never sees ``X``.

    The default scales a window of prices by its last close,
    ``X / last - 1``, and the target likewise, so the network predicts the
    return to come; the default regressor early-stops on the latest
    windows (``validation_split='last'``) and keeps the targets in those
    units (``normalise_y=False``).

    Parameters
    ----------
    regressor : estimator, default=None
        The regressor fitted on scaled windows; None means
        ``LSTMRegressor(validation_split='last', normalise_y=False)``.  It
        is cloned.  Its parameters are searchable as ``regressor__<name>``.
        The window scaling already gives the targets the inputs' units
        (relative changes from the last close, small and centred on 0);
        standardising them again made the network chase day-to-day noise
        (S&P 500 next-day close, five seeds: MAE ratio to persistence
        0.9951 with it, 0.9923 without).
    normaliser : Normaliser, default=None
        Scales every window and its targets; it must have
        ``per_sequence=True``.  None means
        ``Normaliser(method='last', per_sequence=True)``.  It is cloned.
    target_feature : int, default=0
        For windows of several features (3-D ``X``), the feature whose
        statistics scale the targets: the forecast series.  Ignored for
        univariate windows.  With ``n_series_features``, it must be one of
        the series' features.
    n_series_features : int, default=None
        Features of each timestep that belong to the series and are scaled
        window by window: the first ``n_series_features``, as
        :func:`~sklstm.sliding_windows` lays them out (the series' own
        features, then past covariates, then future covariates).  The
        features after them, covariates, reach the regressor **unscaled**,
        the same in every window: a calendar feature keeps its meaning
        whatever the level of the series, and scaling a dummy or a sine by
        a window's last price would distort it.  Give covariates of unit
        scale (one-hot or sine/cosine calendar features), or scale them
        yourself on the training period; count a past covariate in
        ``n_series_features`` (put it first) to scale it by its own window
        too.  None scales every feature.

    Attributes
    ----------
    regressor_ : estimator
        The fitted inner regressor.
    normaliser_ : Normaliser
        The fitted normaliser.
    n_features_in_ : int
        Columns of 2-D ``X`` (timesteps of univariate windows), or features
        per timestep of 3-D and list ``X``.

    See Also
    --------
    sliding_windows : Cut a series into ``(X, y)`` windows.
    Normaliser : The per-sequence scaling used here.
    sklearn.compose.TransformedTargetRegressor : Target scaling that does
        not depend on ``X``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm import LSTMRegressor, WindowScaledRegressor, sliding_windows
    >>> prices = 100 * np.exp(np.cumsum(np.random.RandomState(0).normal(0, 0.01, 300)))
    >>> X, y = sliding_windows(prices, window=20)
    >>> model = WindowScaledRegressor(LSTMRegressor(max_iter=5, random_state=0))
    >>> model.fit(X[:200], y[:200]).predict(X[200:]).shape  # in dollars
    (80,)
    """

    _parameter_constraints: dict = {
        "regressor": [None, HasMethods(["fit", "predict"])],
        "normaliser": [None, HasMethods(["fit", "transform", "inverse_transform"])],
        "target_feature": [Interval(Integral, 0, None, closed="left")],
        "n_series_features": [None, Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        regressor=None,
        *,
        normaliser=None,
        target_feature=0,
        n_series_features=None,
    ):
        self.regressor = regressor
        self.normaliser = normaliser
        self.target_feature = target_feature
        self.n_series_features = n_series_features

    def fit(self, X, y, sample_weight=None):
        """Fit the normaliser and the regressor on scaled windows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or \
list of arrays
            Input windows, in original units.
        y : array-like of shape (n_samples,) or (n_samples, horizon)
            The values that follow each window, in original units.
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to the regressor's ``fit``.

        Returns
        -------
        self : WindowScaledRegressor
            Fitted estimator.
        """
        self._validate_params()
        normaliser = (
            Normaliser(method="last", per_sequence=True)
            if self.normaliser is None
            else clone(self.normaliser)
        )
        if not getattr(normaliser, "per_sequence", False):
            raise ValueError(
                "WindowScaledRegressor needs a normaliser with per_sequence=True "
                "(each window scaled by its own statistics); for statistics "
                "fitted once on the training data use "
                "sklearn.compose.TransformedTargetRegressor instead."
            )
        # its output feeds the regressor, not the user: arrays whatever
        # set_output / set_config(transform_output=...) say
        if hasattr(normaliser, "set_output"):
            normaliser.set_output(transform="default")
        series, covariates = self._split(X)
        self.normaliser_ = normaliser.fit(series)
        self.n_features_in_ = (
            self.normaliser_.n_features_in_
            if covariates is None
            else self.n_series_features + _n_features(covariates)
        )
        y = self._check_y(y, X)
        regressor = (
            LSTMRegressor(validation_split="last", normalise_y=False)
            if self.regressor is None
            else clone(self.regressor)
        )
        kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
        yt = self.normaliser_.transform(y, reference=self._reference(X))
        with warnings.catch_warnings():
            # the windows are scaled by design (relative changes, often of
            # a few percent); "scale X first" does not apply to them
            warnings.filterwarnings("ignore", message="X is far from unit scale")
            self.regressor_ = regressor.fit(self._scaled(X), yt, **kwargs)
        return self

    def _scaled(self, X):
        """The windows scaled by the normaliser, checked to fit the
        network's float32 (a window whose scale, e.g. its last value, is
        near zero next to its other values does not)."""
        series, covariates = self._split(X)
        if covariates is not None and hasattr(self, "n_features_in_"):
            n_features = self.n_series_features + _n_features(covariates)
            if n_features != self.n_features_in_:
                raise ValueError(
                    f"X has {n_features} features per timestep, but "
                    f"WindowScaledRegressor was fitted with {self.n_features_in_}."
                )
        Xt = self.normaliser_.transform(series)
        big = float(np.finfo(np.float32).max)
        parts = Xt if isinstance(Xt, list) else [Xt]
        for part in parts:
            values = np.asarray(to_numpy(part))
            if values.size and np.nanmax(np.abs(values)) > big:
                raise ValueError(
                    "Scaled by their own statistics, some windows hold values "
                    f"beyond float32's range (±{big:.3g}): their scale (with "
                    f"{self.normaliser_!r}, e.g. the last value) is near zero "
                    "next to their other values.  Shift the series away from "
                    "zero, or give another normaliser, e.g. "
                    "Normaliser(method='standard', per_sequence=True)."
                )
        if covariates is None:
            return Xt
        # the covariates pass through unscaled, after the series' features
        if isinstance(Xt, list):
            return [
                np.concatenate([x, c.astype(x.dtype)], axis=1)
                for x, c in zip(Xt, covariates, strict=True)
            ]
        return np.concatenate([Xt, covariates.astype(Xt.dtype)], axis=2)

    def _split(self, X):
        """``X`` as (the series' features, the covariates after them or None)."""
        n = self.n_series_features
        if n is None:
            return X, None
        if self.target_feature >= n:
            raise ValueError(
                f"target_feature={self.target_feature} must be one of the "
                f"n_series_features={n} features of the series."
            )
        ragged = is_ragged_container(X)
        if ragged:
            seqs = [np.asarray(to_numpy(x)) for x in X]
            widths = {s.shape[1] if s.ndim == 2 else 1 for s in seqs}
        else:
            values = np.asarray(to_numpy(X))
            widths = {values.shape[2] if values.ndim == 3 else 1}
        if n > min(widths) or (n < max(widths) and len(widths) > 1):
            raise ValueError(
                f"n_series_features={n} but the windows have "
                f"{' or '.join(map(str, sorted(widths)))} features per timestep."
            )
        if max(widths) == n:
            return X, None  # no covariates (univariate windows included)
        if ragged:
            return [s[:, :n] for s in seqs], [s[:, n:] for s in seqs]
        return values[:, :, :n], values[:, :, n:]

    @follows_input_namespace
    def predict(self, X):
        """Forecast, in the original units of ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or \
list of arrays
            Input windows, in original units.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, horizon)
            Forecasts in the units of the training targets.
        """
        check_is_fitted(self)
        scaled = self.regressor_.predict(self._scaled(X))
        return self.normaliser_.inverse_transform(scaled, reference=self._reference(X))

    @available_if(_regressor_has("predict_quantiles"))
    @follows_input_namespace
    def predict_quantiles(self, X, quantiles=None):
        """Forecast quantiles, in the original units of ``y``.

        Needs a regressor with ``predict_quantiles``, such as
        ``LSTMRegressor(loss='quantile')``.  Each quantile of the scaled
        targets is mapped back with its window's statistics as
        :meth:`predict` maps the point forecast; the scales of a
        :class:`Normaliser` are positive, so the levels keep their order.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or \
list of arrays
            Input windows, in original units.
        quantiles : float or array-like of float, default=None
            Levels to return, among those the regressor was fitted with;
            None returns all of them.

        Returns
        -------
        y_quantiles : ndarray of shape (n_samples, n_quantiles) or \
(n_samples, horizon, n_quantiles)
            Quantile forecasts in the units of the training targets.
        """
        check_is_fitted(self)
        scaled = self.regressor_.predict_quantiles(self._scaled(X), quantiles)
        return self._levels_back(scaled, X)

    @available_if(_regressor_has("predict_interval"))
    @follows_input_namespace
    def predict_interval(self, X, coverage=0.9):
        """Forecast a central interval, in the original units of ``y``.

        Needs a regressor with ``predict_interval`` returning ``(lower,
        upper)``, such as ``LSTMRegressor(loss='quantile')``, whose fitted
        quantiles hold the pair ``(1 - coverage) / 2`` and
        ``(1 + coverage) / 2``; both bounds are mapped back as
        :meth:`predict` maps the point forecast.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or \
list of arrays
            Input windows, in original units.
        coverage : float, default=0.9
            Nominal share of the targets inside the interval, in (0, 1).

        Returns
        -------
        lower : ndarray of shape (n_samples,) or (n_samples, horizon)
            Lower bounds in the units of the training targets.
        upper : ndarray of shape (n_samples,) or (n_samples, horizon)
            Upper bounds.
        """
        check_is_fitted(self)
        scaled = self.regressor_.predict_interval(self._scaled(X), coverage=coverage)
        reference = self._reference(X)
        return tuple(
            self.normaliser_.inverse_transform(bound, reference=reference)
            for bound in scaled
        )

    def _levels_back(self, scaled, X):
        """Quantile forecasts (levels last) in the units of ``y``: each
        level mapped back as :meth:`predict` maps a point forecast."""
        scaled = np.asarray(scaled)
        reference = self._reference(X)
        return np.stack(
            [
                self.normaliser_.inverse_transform(scaled[..., j], reference=reference)
                for j in range(scaled.shape[-1])
            ],
            axis=-1,
        )

    def _check_y(self, y, X):
        if y is None:
            raise ValueError(
                "WindowScaledRegressor requires y to be passed, but the target y "
                "is None."
            )
        y = check_array(
            y, ensure_2d=False, allow_nd=True, dtype="numeric", input_name="y"
        )
        if y.ndim not in (1, 2):
            raise ValueError(
                "y must be 1-D (one value per window) or 2-D (n_samples, "
                f"horizon); got shape {y.shape}."
            )
        if len(y) != _num_samples(X):
            raise ValueError(
                f"X has {_num_samples(X)} windows but y has {len(y)} targets; "
                "they must correspond one to one."
            )
        return y

    def _reference(self, X):
        """The target feature of each window, whose statistics scale ``y``."""
        k = self.target_feature
        if is_ragged_container(X):
            seqs = [np.asarray(x) for x in X]
            # every window, not only the first (a 1-D one has one feature)
            self._check_feature(min(s.shape[1] if s.ndim == 2 else 1 for s in seqs))
            return [s[:, [k]] if s.ndim == 2 else s for s in seqs]
        X = np.asarray(X)
        if X.ndim != 3:
            return X
        self._check_feature(X.shape[2])
        return X[:, :, [k]]

    def _check_feature(self, n_features):
        if self.target_feature >= n_features:
            raise ValueError(
                f"target_feature={self.target_feature} but the windows have "
                f"{n_features} features per timestep."
            )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.target_tags.required = True
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        # the default scales by the last value: right for prices, not for
        # the zero-centred random features of scikit-learn's checks
        tags.regressor_tags.poor_score = True
        return tags


def _n_features(covariates):
    """Features per timestep of the covariates (an array, or a list of them)."""
    first = covariates[0] if isinstance(covariates, list) else covariates
    return first.shape[-1]
