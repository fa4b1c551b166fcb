# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""Forecasting from windows scaled by their own statistics."""

import warnings
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import _num_samples, check_array, check_is_fitted

from sklstm._backend import follows_input_namespace, to_numpy
from sklstm._regressor import LSTMRegressor
from sklstm._sequences import is_ragged_container
from sklstm.preprocessing import Normaliser


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
        univariate windows.

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
    }

    def __init__(self, regressor=None, *, normaliser=None, target_feature=0):
        self.regressor = regressor
        self.normaliser = normaliser
        self.target_feature = target_feature

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
        self.normaliser_ = normaliser.fit(X)
        self.n_features_in_ = self.normaliser_.n_features_in_
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
        Xt = self.normaliser_.transform(X)
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
        return Xt

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
