# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""Conformal prediction intervals around any point regressor.

Split conformal prediction (a calibration set held out at the end of the
training windows, in time order) and adaptive conformal inference (ACI,
Gibbs & Candès 2021), which moves the miscoverage level online as the true
values arrive.  Only the regressor's ``fit`` and ``predict`` are used, so the
inputs may be anything it reads: 2-D tables, 3-D window arrays or ragged
lists of sequences.

Why not MAPIE: MAPIE 1.6 installs beside scikit-learn 1.9 and its split
conformal regressor accepts 3-D and ragged inputs, but it is not a
dependency of sklstm, its ``SplitConformalRegressor`` is not a scikit-learn
estimator (no ``get_params``: it cannot be cloned, searched or
cross-validated), its calibration split is the user's to make, and its
time-series ACI predicts one sample per call and keys the adaptive levels
by the nominal level rounded to two decimals.  The method itself is a few
lines (a sorted array and an index), which the tests check against MAPIE's
intervals when it is installed.
"""

import warnings
from dataclasses import replace
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, MetaEstimatorMixin, RegressorMixin, clone
from sklearn.utils import _safe_indexing, get_tags
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import _num_samples, check_array, check_is_fitted

from sklstm._backend import to_numpy
from sklstm._sequences import is_ragged_container

__all__ = ["ConformalRegressor", "conformal_quantile"]


def conformal_quantile(scores, alpha):
    """The split-conformal quantile of calibration scores.

    The ``k``-th smallest of the ``n`` scores, ``k = ceil((n + 1) * (1 -
    alpha))``: the empirical quantile at level ``k / n``, the smallest
    that guarantees coverage of at least ``1 - alpha`` for an exchangeable
    new sample (Vovk et al. 2005; Lei et al. 2018).

    Parameters
    ----------
    scores : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Conformity scores of the calibration samples, one column per output.
    alpha : float or array-like of shape (n_outputs,)
        Miscoverage level(s).  ``alpha < 1 / (n + 1)`` gives ``inf`` (no
        finite interval is wide enough); ``alpha >= 1`` gives 0.

    Returns
    -------
    q : float or ndarray of shape (n_outputs,)
        The quantile of each column (a float for 1-D ``scores``).

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm._conformal import conformal_quantile
    >>> scores = np.arange(1.0, 20.0)  # n = 19
    >>> float(conformal_quantile(scores, 0.1))  # k = ceil(20 * 0.9) = 18
    18.0
    >>> float(conformal_quantile(scores, 0.01))
    inf
    """
    scores = np.asarray(scores, dtype=np.float64)
    one_d = scores.ndim == 1
    scores = np.sort(scores.reshape(len(scores), -1), axis=0)
    n, n_outputs = scores.shape
    alpha = np.broadcast_to(np.asarray(alpha, dtype=np.float64), (n_outputs,))
    # the small slack keeps (n + 1) * 0.9 = 90.00000000000001 at k = 90
    k = np.ceil((n + 1) * (1.0 - alpha) - 1e-9).astype(np.int64)
    q = np.where(k > n, np.inf, 0.0)
    inside = (k >= 1) & (k <= n)
    cols = np.flatnonzero(inside)
    q[cols] = scores[k[cols] - 1, cols]
    return float(q[0]) if one_d else q


def _target_series(X, feature):
    """Each window's target feature, as a list of 1-D arrays (ragged) or a
    2-D array (n_samples, n_timesteps)."""
    if is_ragged_container(X):
        out = []
        for x in X:
            x = np.asarray(to_numpy(x), dtype=np.float64)
            out.append(x[:, feature] if x.ndim == 2 else x.ravel())
        return out
    X = np.asarray(to_numpy(X), dtype=np.float64)
    if X.ndim == 3:
        return X[:, :, feature]
    if X.ndim == 2:
        return X
    raise ValueError(
        f"The window scales need 2-D, 3-D or ragged windows; got X of shape {X.shape}."
    )


def _indexable(X):
    """``X`` in a form ``_safe_indexing`` takes: CSR for sparse matrices,
    an array for array-likes that only convert (``__array__``)."""
    if sp.issparse(X):
        return X.tocsr()
    if not (hasattr(X, "shape") or isinstance(X, (list, tuple))):
        return np.asarray(X)
    return X


def _resolve_scale(scale, estimator):
    """``scale``, with 'auto' resolved for ``estimator``."""
    if scale != "auto":
        return scale
    from sklstm._forecasting import WindowScaledRegressor

    last = estimator[-1] if hasattr(estimator, "steps") else estimator
    return "diff_std" if isinstance(last, WindowScaledRegressor) else None


def _window_scale(X, scale, feature):
    """The positive scale of every window (None: ones)."""
    n = _num_samples(X)
    if scale is None:
        return np.ones(n)
    if callable(scale):
        s = np.asarray(to_numpy(scale(X)), dtype=np.float64).reshape(-1)
        if len(s) != n:
            raise ValueError(
                f"scale(X) returned {len(s)} values for {n} windows; it must "
                "return one positive value per window."
            )
    else:
        series = _target_series(X, feature)
        if scale == "last":
            fn = lambda x: np.abs(x[..., -1])  # noqa: E731
        elif scale == "std":
            fn = lambda x: np.std(x, axis=-1)  # noqa: E731
        else:  # diff_std
            fn = lambda x: np.std(np.diff(x, axis=-1), axis=-1)  # noqa: E731
        if isinstance(series, list):
            s = np.array([fn(x) for x in series], dtype=np.float64)
        else:
            s = fn(series)
    if not np.all(np.isfinite(s) & (s > 0)):
        raise ValueError(
            f"scale={scale!r} gave a zero, negative or non-finite scale for "
            f"{int(np.sum(~(np.isfinite(s) & (s > 0))))} of {n} windows (e.g. a "
            "constant window with 'std' or 'diff_std', or a last value of 0 "
            "with 'last'); use scale=None (absolute residuals) or another scale."
        )
    return s


def _check_coverage(coverage, name="coverage"):
    if (
        isinstance(coverage, bool)
        or not isinstance(coverage, Real)
        or not 0.0 < coverage < 1.0
    ):
        raise ValueError(
            f"{name} must be a float in the open interval (0, 1); got {coverage!r}."
        )
    return float(coverage)


class ConformalRegressor(MetaEstimatorMixin, RegressorMixin, BaseEstimator):
    """Prediction intervals with a coverage guarantee, around any regressor.

    Split conformal prediction: the regressor is fitted on the first
    samples, its absolute errors on the last ``calibration_fraction`` of
    them (in the order given: the **most recent** windows of a series) are
    the calibration scores, and the interval of a new sample is its
    prediction plus or minus the ``ceil((n + 1) * coverage)``-th smallest
    score.  When the calibration and test samples are exchangeable, the
    interval holds the true value with probability at least ``coverage``
    (and at most ``coverage + 1 / (n + 1)``).  Only ``fit`` and ``predict``
    of the regressor are used, so ``X`` may be anything it reads: 2-D
    tables, 3-D window arrays, ragged lists of sequences.

    Series are rarely exchangeable: volatility comes and goes.  Two things
    help.  ``scale`` divides each error by a scale of its own window (its
    last value: relative errors for prices; or the spread of its changes:
    errors in units of recent volatility), so that intervals widen with the
    level or the turbulence of the window.  And **adaptive conformal
    inference** (ACI, Gibbs & Candès 2021) in :meth:`update` and
    :meth:`predict_interval_online` moves the miscoverage level ``alpha_t``
    as the true values arrive, ``alpha_{t+1} = alpha_t + gamma * (alpha -
    miss_t)``: after a miss the intervals widen, after a hit they narrow a
    little, and the long-run fraction of misses tends to ``1 - coverage``
    whatever the series does (within ``(max(alpha, 1 - alpha) + gamma) /
    (gamma * T)`` after ``T`` steps).

    Parameters
    ----------
    estimator : estimator object
        A regressor with ``fit`` and ``predict``.  With ``method='split'`` it
        is cloned and fitted on the samples before the calibration set;
        with ``method='prefit'`` it must be fitted already and is used as
        is (all of ``fit``'s samples calibrate).
    coverage : float, default=0.9
        The nominal coverage ``1 - alpha`` of :meth:`predict_interval`, and
        the long-run coverage ACI aims at; in the open interval (0, 1).
    method : {'split', 'prefit'}, default='split'
        'split': fit a clone of ``estimator`` on the first samples and
        calibrate on the last ``calibration_fraction`` of them.  'prefit':
        ``estimator`` is fitted already (on other data); every sample given
        to :meth:`fit` calibrates.
    calibration_fraction : float, default=0.2
        With ``method='split'``, the fraction of the samples, the last ones,
        that calibrate; in (0, 1).  At least ``coverage / (1 - coverage)``
        samples are needed for finite intervals (9 for 0.9).
    gap : int, default=0
        With ``method='split'``, samples dropped between the fitting and
        the calibration samples.  Windows of ``sliding_windows(...,
        horizon=h)`` need ``gap >= h - 1`` to keep the calibration targets
        out of the fitting targets (``h - 1 + window`` to share no
        observation at all).
    scale : {'auto', 'last', 'std', 'diff_std'}, callable or None, default='auto'
        Divides every error by a positive scale of its window, and the
        interval's half-width is the quantile times that scale.  'auto':
        'diff_std' when the regressor (or a pipeline's last step) is a
        :class:`~sklstm.WindowScaledRegressor`, whose inputs are windows of
        a series, else None; on the S&P 500's last 20 % the 90 % interval
        covered 0.903 with 'diff_std' against 0.794 with None, whose one
        width fits neither the calm nor the volatile years.  None:
        absolute errors, one width for every window.  'last': the absolute
        last value of the window's target feature (relative errors: right
        for prices, whose errors grow with their level).  'std': the
        standard deviation of the window's target feature.  'diff_std':
        the standard deviation of its first differences (the window's
        recent volatility).  A callable gets ``X`` and returns one positive
        value per window.  The coverage guarantee holds for any scale that
        does not look at the calibration targets.
    target_feature : int, default=0
        For 3-D or multi-feature ragged windows, the feature whose values
        ``scale`` reads.  Ignored for 2-D windows and when ``scale`` is None
        or a callable.
    gamma : float, default=0.005
        ACI's step size (Gibbs & Candès's value): how far each miss or hit
        moves ``alpha_t``.  Larger adapts faster and oscillates more; 0
        keeps the nominal level.  Used by :meth:`update` and
        :meth:`predict_interval_online` only.
    rolling : bool, default=True
        With :meth:`update` and :meth:`predict_interval_online`, each new
        error joins the calibration scores and the oldest leaves (a
        calibration set of fixed size that follows the series); False keeps
        the calibration scores of :meth:`fit`.

    Attributes
    ----------
    estimator_ : estimator
        The fitted regressor (``estimator`` itself with ``method='prefit'``).
    scale_ : str, callable or None
        The scale used: ``scale``, with 'auto' resolved.
    conformity_scores_ : ndarray of shape (n_calibration, n_outputs)
        The calibration scores: absolute errors, divided by ``scale``; with
        ``rolling=True`` the latest ones after online updates.
    alpha_t_ : ndarray of shape (n_outputs,)
        ACI's current miscoverage level per output: ``1 - coverage`` after
        :meth:`fit`, moved by every true value given to :meth:`update` or
        :meth:`predict_interval_online`.  :meth:`predict_interval` without
        ``coverage`` uses ``1 - alpha_t_``.
    n_updates_ : int
        True values received online since :meth:`fit`.
    n_outputs_ : int
        Outputs per sample (columns of a 2-D ``y``).
    n_features_in_ : int
        The fitted regressor's ``n_features_in_``, when it has one.

    See Also
    --------
    sklstm.model_selection.backtest : Rolling-origin evaluation, with the
        coverage and width of the intervals per fold.
    WindowScaledRegressor : The point forecaster for price windows.

    Notes
    -----
    The guarantee is marginal (on average over samples) and assumes the
    calibration and test samples exchangeable; consecutive windows of a
    series overlap and volatility clusters, so on series it is approximate,
    which ACI then corrects in the long run.  With a 2-D ``y`` (several
    horizon steps or targets) every column gets its own quantile and its
    own ``alpha_t``: coverage holds per column, not jointly.

    References
    ----------
    Lei, G'Sell, Rinaldo, Tibshirani, Wasserman (2018), "Distribution-free
    predictive inference for regression", JASA 113(523).

    Gibbs, Candès (2021), "Adaptive conformal inference under distribution
    shift", NeurIPS 34.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from sklstm import ConformalRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(1000, 3))
    >>> y = X @ [1.0, 2.0, 3.0] + rng.normal(size=1000)
    >>> model = ConformalRegressor(LinearRegression(), coverage=0.9)
    >>> model.fit(X[:800], y[:800]).conformity_scores_.shape
    (160, 1)
    >>> lower, upper = model.predict_interval(X[800:])
    >>> float(np.mean((lower <= y[800:]) & (y[800:] <= upper)))
    0.905
    >>> lower, upper = model.predict_interval_online(X[800:], y[800:])  # ACI
    >>> lower.shape
    (200,)
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"])],
        "coverage": [Interval(Real, 0, 1, closed="neither")],
        "method": [StrOptions({"split", "prefit"})],
        "calibration_fraction": [Interval(Real, 0, 1, closed="neither")],
        "gap": [Interval(Integral, 0, None, closed="left")],
        "scale": [None, StrOptions({"auto", "last", "std", "diff_std"}), callable],
        "target_feature": [Interval(Integral, 0, None, closed="left")],
        "gamma": [Interval(Real, 0, None, closed="left")],
        "rolling": ["boolean"],
    }

    def __init__(
        self,
        estimator,
        *,
        coverage=0.9,
        method="split",
        calibration_fraction=0.2,
        gap=0,
        scale="auto",
        target_feature=0,
        gamma=0.005,
        rolling=True,
    ):
        self.estimator = estimator
        self.coverage = coverage
        self.method = method
        self.calibration_fraction = calibration_fraction
        self.gap = gap
        self.scale = scale
        self.target_feature = target_feature
        self.gamma = gamma
        self.rolling = rolling

    def fit(self, X, y, sample_weight=None):
        """Fit the regressor (``method='split'``) and calibrate the intervals.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...) or list of arrays
            Training samples in time order (oldest first) for a series: the
            last ones calibrate.  Any input the regressor reads.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Passed, restricted to the fitting samples, to the regressor's
            ``fit`` (``method='split'``); the calibration is unweighted.

        Returns
        -------
        self : ConformalRegressor
            Fitted estimator.
        """
        self._validate_params()
        if y is None:
            raise ValueError(
                "ConformalRegressor requires y to be passed, but the target y is None."
            )
        self.scale_ = _resolve_scale(self.scale, self.estimator)
        X = _indexable(X)
        n = _num_samples(X)
        y_fit = self._check_y(y, n)  # as given: the regressor's own shape
        y = y_fit.reshape(n, -1)
        if self.method == "prefit":
            check_is_fitted(self.estimator)
            self.estimator_ = self.estimator
            cal = np.arange(n)
        else:
            n_cal = int(round(self.calibration_fraction * n))
            n_fit = n - n_cal - self.gap
            if n_cal < 1 or n_fit < 1:
                raise ValueError(
                    f"Got {n} sample(s): too few to fit on some and calibrate on "
                    f"calibration_fraction={self.calibration_fraction} of them "
                    f"(after gap={self.gap}); give more samples."
                )
            fit_idx, cal = np.arange(n_fit), np.arange(n - n_cal, n)
            kwargs = {}
            if sample_weight is not None:
                sample_weight = check_array(
                    sample_weight, ensure_2d=False, input_name="sample_weight"
                )
                if sample_weight.shape != (n,):
                    raise ValueError(
                        f"sample_weight must be of shape ({n},); got "
                        f"{sample_weight.shape}."
                    )
                kwargs["sample_weight"] = sample_weight[fit_idx]
            self.estimator_ = clone(self.estimator).fit(
                _safe_indexing(X, fit_idx), y_fit[fit_idx], **kwargs
            )
        if hasattr(self.estimator_, "n_features_in_"):
            self.n_features_in_ = self.estimator_.n_features_in_
        X_cal = _safe_indexing(X, cal)
        self.conformity_scores_ = self._scores(X_cal, y[cal])
        self.n_outputs_ = y.shape[1]
        self.alpha_t_ = np.full(self.n_outputs_, 1.0 - self.coverage)
        self.n_updates_ = 0
        if len(cal) < self.coverage / (1.0 - self.coverage) - 1e-9:
            warnings.warn(
                f"{len(cal)} calibration samples are too few for coverage="
                f"{self.coverage}: the intervals are infinite (at least "
                f"{int(np.ceil(self.coverage / (1 - self.coverage) - 1e-9))} "
                "are needed).",
                UserWarning,
                stacklevel=2,
            )
        return self

    def predict(self, X):
        """Point predictions of the fitted regressor.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...) or list of arrays
            Samples, as the regressor reads them.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The regressor's predictions.
        """
        check_is_fitted(self)
        return self.estimator_.predict(X)

    def predict_interval(self, X, coverage=None):
        """Prediction intervals for new samples.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...) or list of arrays
            Samples, as the regressor reads them.
        coverage : float, default=None
            The coverage to ask for, in (0, 1).  None uses the current
            adaptive level ``1 - alpha_t_``, which is the ``coverage``
            parameter until :meth:`update` or
            :meth:`predict_interval_online` move it.

        Returns
        -------
        lower : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Lower bounds, shaped as :meth:`predict`'s output.
        upper : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Upper bounds (``+inf`` and ``-inf`` when the calibration set is
            too small for the level).
        """
        check_is_fitted(self)
        alpha = self.alpha_t_ if coverage is None else 1.0 - _check_coverage(coverage)
        pred, shape = self._predict_2d(X)
        half = conformal_quantile(self.conformity_scores_, alpha)[None, :]
        half = half * _window_scale(X, self.scale_, self.target_feature)[:, None]
        return (pred - half).reshape(shape), (pred + half).reshape(shape)

    def update(self, X, y):
        """Receive true values: adapt ``alpha_t_`` (ACI) and the scores.

        For each sample in order, the interval that
        :meth:`predict_interval` would have given it at the current level
        is compared with its true value, ``alpha_t_`` moves by ``gamma *
        ((1 - coverage) - miss)`` and, with ``rolling=True``, its error
        replaces the oldest calibration score.  The regressor is not
        refitted.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...) or list of arrays
            Samples whose true values are now known, in time order.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Their true values.

        Returns
        -------
        self : ConformalRegressor
            The estimator, with ``alpha_t_``, ``conformity_scores_`` (when
            ``rolling``) and ``n_updates_`` updated.
        """
        self._online(X, y)
        return self

    def predict_interval_online(self, X, y):
        """Intervals for a stream of samples, adapting as each value arrives.

        Adaptive conformal inference (Gibbs & Candès 2021): sample ``t``'s
        interval is made at the level ``1 - alpha_t`` reached after samples
        ``0 .. t-1``, then its true value ``y[t]`` updates the level as in
        :meth:`update`.  The result is what a forecaster issuing one
        interval per day, and learning each evening whether it held, would
        have issued; ``y[t]`` is never used for its own interval.  The
        estimator's state moves on as with :meth:`update`, so a later call
        continues the stream (refit, or clone and fit, to restart).

        Parameters
        ----------
        X : array-like of shape (n_samples, ...) or list of arrays
            Samples in time order.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Their true values, each revealed after its interval is made.

        Returns
        -------
        lower : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Lower bounds, shaped as :meth:`predict`'s output.
        upper : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Upper bounds (infinite while ``alpha_t`` is below ``1 / (n + 1)``
            for ``n`` calibration scores).
        """
        return self._online(X, y)

    # ----------------------------------------------------------- helpers
    def _check_y(self, y, n):
        y = check_array(
            y, ensure_2d=False, dtype=np.float64, input_name="y", ensure_min_samples=1
        )
        if y.ndim not in (1, 2):
            raise ValueError(
                f"y must be 1-D or 2-D (n_samples, n_outputs); got shape {y.shape}."
            )
        if len(y) != n:
            raise ValueError(
                f"X has {n} samples but y has {len(y)}; they must correspond "
                "one to one."
            )
        return y

    def _predict_2d(self, X):
        pred = np.asarray(to_numpy(self.estimator_.predict(X)), dtype=np.float64)
        return pred.reshape(len(pred), -1), pred.shape

    def _scores(self, X, y):
        pred, _ = self._predict_2d(X)
        if pred.shape != y.shape:
            raise ValueError(
                f"The regressor predicts {pred.shape[1]} output(s) per sample "
                f"but y has {y.shape[1]}."
            )
        s = _window_scale(X, self.scale_, self.target_feature)
        return np.abs(y - pred) / s[:, None]

    def _online(self, X, y):
        check_is_fitted(self)
        n = _num_samples(X)
        y = self._check_y(y, n).reshape(n, -1)
        pred, shape = self._predict_2d(X)
        if y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y.shape[1]} output(s); the estimator was fitted on "
                f"{self.n_outputs_}."
            )
        s = _window_scale(X, self.scale_, self.target_feature)[:, None]
        new_scores = np.abs(y - pred) / s
        alpha = 1.0 - self.coverage
        scores = self.conformity_scores_.copy()
        alpha_t = self.alpha_t_.copy()
        half = np.empty_like(pred)
        for t in range(n):
            q = conformal_quantile(scores, alpha_t)
            half[t] = q
            miss = new_scores[t] > q
            alpha_t = alpha_t + self.gamma * (alpha - miss)
            if self.rolling:
                scores = np.concatenate([scores[1:], new_scores[t : t + 1]])
        half = half * s
        self.alpha_t_ = alpha_t
        self.conformity_scores_ = scores
        self.n_updates_ += n
        return (pred - half).reshape(shape), (pred + half).reshape(shape)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.input_tags = replace(inner.input_tags)
        tags.target_tags.required = True
        tags.target_tags.multi_output = inner.target_tags.multi_output
        tags.regressor_tags.poor_score = inner.regressor_tags is not None and (
            inner.regressor_tags.poor_score
        )
        return tags
