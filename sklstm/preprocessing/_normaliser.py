# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""Normaliser: standard, min-max and robust scaling of numeric sequences."""

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin
from sklearn.utils import check_array
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from sklstm._backend import follows_input_namespace, is_foreign_array, to_numpy
from sklstm._sequences import (
    FLOAT_DTYPES,
    SequenceData,
    check_sequences,
    is_ragged_container,
)
from sklstm.preprocessing._set_output import SequenceTransformerMixin


def _standard(x, axis, feature_range, quantile_range, unit):
    center = np.mean(x, axis=axis, dtype=np.float64)
    scale = np.std(x, axis=axis, dtype=np.float64)
    lo = np.min(x, axis=axis).astype(np.float64)
    constant = lo == np.max(x, axis=axis)
    # a constant feature maps to exactly 0, not to rounding noise of its mean
    return np.where(constant, lo, center), np.where(constant, unit, scale)


def _minmax(x, axis, feature_range, quantile_range, unit):
    a, b = feature_range
    lo = np.min(x, axis=axis).astype(np.float64)
    data_range = np.max(x, axis=axis) - lo
    scale = np.where(data_range == 0, unit, data_range / (b - a))
    return lo - a * scale, scale


def _robust(x, axis, feature_range, quantile_range, unit):
    q_lo, median, q_hi = np.percentile(
        x, [quantile_range[0], 50.0, quantile_range[1]], axis=axis
    ).astype(np.float64)
    iqr = q_hi - q_lo
    return median, np.where(iqr == 0, unit, iqr)


def _last(x, axis, feature_range, quantile_range, unit):
    last = np.take(x, -1, axis=axis).astype(np.float64)
    return last, np.where(last == 0, unit, np.abs(last))


# (center, scale) of each method, reduced over `axis`: Xt = (X - center) / scale.
# `unit` is the scale of a feature with no spread (constant, or 'last' at 0):
# 1, expressed in the units of `x`.
STATISTICS = {
    "standard": _standard,
    "minmax": _minmax,
    "robust": _robust,
    "last": _last,
}

# Data whose largest magnitude lies beyond 2**±_SAFE_EXP is brought near 1 by
# a power of two before its statistics are taken (its squares would overflow
# to inf, or underflow to 0); powers of two scale exactly, so the statistics
# are those of the data.
_SAFE_EXP = 400


def _peak_exponent(peak):
    """``e`` of ``peak = m * 2**e``, ``0.5 <= m < 1`` (0 for 0)."""
    return np.frexp(np.asarray(peak, dtype=np.float64))[1]


def _safe_statistics(method, x, axis, feature_range, quantile_range):
    """``STATISTICS[method]`` of ``x`` over ``axis``, at any magnitude."""
    exp = _peak_exponent(np.maximum(np.max(x, axis=axis), -np.min(x, axis=axis)))
    if np.all(np.abs(exp) <= _SAFE_EXP):
        return STATISTICS[method](x, axis, feature_range, quantile_range, 1.0)
    exp = np.maximum(exp, -1000)  # 2**-exp must be finite (subnormal data)
    x = np.ldexp(x.astype(np.float64, copy=False), -np.expand_dims(exp, axis))
    unit = np.ldexp(1.0, -exp)
    center, scale = STATISTICS[method](x, axis, feature_range, quantile_range, unit)
    return np.ldexp(center, exp), np.ldexp(scale, exp)


def _standardise(x, center, scale):
    """``(x - center) / scale`` with no intermediate overflow or underflow.

    The operands are brought near 1 by powers of two, which scale exactly:
    the result is the plain formula's wherever that is finite.
    """
    k = np.frexp(np.maximum(np.abs(x), np.abs(center)))[1]
    diff = np.ldexp(x, -k) - np.ldexp(center, -k)
    mant, exp = np.frexp(scale)
    return np.ldexp(diff / mant, k - exp)


def _unstandardise(x, center, scale):
    """``x * scale + center`` with no intermediate overflow or underflow."""
    mant, exp = np.frexp(scale)
    product = x * mant  # times 2**exp
    k = np.maximum(np.frexp(product)[1] + exp, np.frexp(center)[1])
    return np.ldexp(np.ldexp(product, exp - k) + np.ldexp(center, -k), k)


def _shape(X):
    # not np.shape: CuPy arrays, and array-likes that only offer __array__
    shape = getattr(X, "shape", None)
    return np.asarray(X).shape if shape is None else shape


def _ndim(X):
    return len(_shape(X))


def _is_table(X):
    """Whether ``X`` is a plain 2-D array-like (not a list of sequences)."""
    return not is_ragged_container(X) and _ndim(X) == 2


def _numeric(seqs):
    if seqs.kind == "tokens":
        raise TypeError(
            "Normaliser scales numeric sequences, not the token ids of "
            "TokenSequences; token vectors need no scaling."
        )
    return seqs


_TABLE_ERROR = (
    "per_sequence=True needs sequences, but two_d='columns' reads 2-D input "
    "as a table (one timestep per row); use two_d='sequences' or give 3-D or "
    "list input."
)


class Normaliser(OneToOneFeatureMixin, SequenceTransformerMixin, BaseEstimator):
    """Scale numeric sequences per feature: standard, min-max or robust.

    Statistics are computed per feature (the last axis of 3-D input) over
    all timesteps, either once over all training sequences in :meth:`fit`
    (*global*, the default) or separately for every sequence when it is
    transformed (``per_sequence=True``), so a price series and its windows
    can be scaled by the window's own level.  :meth:`inverse_transform`
    brings values back to the original units (dollars for prices).

    Parameters
    ----------
    method : {'standard', 'minmax', 'robust', 'last'}, default='standard'
        'standard' removes the mean and divides by the standard deviation;
        'minmax' maps ``[min, max]`` onto ``feature_range``; 'robust' removes
        the median and divides by the spread between the quantiles of
        ``quantile_range`` (the interquartile range by default), so a few
        outliers do not set the scale.  A constant feature keeps a scale of
        1 (it maps to 0, or to ``feature_range[0]``), never to NaN or inf.
        'last' (only with ``per_sequence=True``) gives the change relative
        to the sequence's last value, ``X / last - 1`` (for positive
        values; the divisor is ``abs(last)``, 1 where it is 0): a price
        window becomes returns from its latest close, and a target scaled
        with ``reference`` the return to come.
    per_sequence : bool, default=False
        If False, the statistics are fitted on the training sequences and
        reused for every later input: fit them on training data only.  If
        True, every sequence is scaled by its own statistics, computed when
        it is transformed (:meth:`fit` only records the input shape); no
        statistic ever mixes two samples.  Use it when the level of a series
        drifts (prices): windows stay on the same scale however far the
        series moves from the training period.  :meth:`inverse_transform`
        then needs the original sequences as ``reference``.
    two_d : {'sequences', 'columns'}, default='sequences'
        How to read 2-D input ``(n_samples, n_columns)``.  'sequences' (as
        every sklstm estimator does) reads each row as a univariate
        sequence, the same as ``X[:, :, None]``: one feature, whose single
        statistic pools all timesteps.  'columns' reads a table, each column
        a feature with its own statistics, like
        :class:`~sklearn.preprocessing.StandardScaler` (use it for several
        targets in different units); it cannot be combined with
        ``per_sequence=True`` since a row is then not a sequence.
        The default suits LSTM input: windows of one price series
        (:func:`~sklstm.sliding_windows`) are all scaled alike, so a price
        gets the same value in every window it falls in, and stays
        comparable with a target scaled by the same statistics.  For a
        single column (``y`` inside
        :class:`~sklearn.compose.TransformedTargetRegressor`) the two
        readings agree.
    feature_range : tuple (min, max), default=(0, 1)
        Target range of 'minmax'.
    quantile_range : tuple (q_min, q_max), default=(25.0, 75.0)
        Percentiles whose difference is the scale of 'robust',
        ``0 <= q_min < q_max <= 100``.

    Attributes
    ----------
    center_ : ndarray of shape (n_step_features,) or None
        Value of each feature mapped to 0: the mean ('standard'), the median
        ('robust') or ``data_min - feature_range[0] * scale_`` ('minmax').
        ``n_step_features`` is the number of features per timestep: 1 for
        2-D sequences, ``n_columns`` with ``two_d='columns'``.  None with
        ``per_sequence=True``.
    scale_ : ndarray of shape (n_step_features,) or None
        Divisor of each feature: ``Xt = (X - center_) / scale_``.  None with
        ``per_sequence=True``.
    n_features_in_ : int
        Features per timestep; for 2-D ``X``, the number of columns (as
        scikit-learn's convention requires).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``X`` was a 2-D DataFrame.

    See Also
    --------
    sliding_windows : Cut a series into ``(X, y)`` forecasting windows.
    sklearn.preprocessing.StandardScaler : Column-wise scaling of tables.
    sklearn.preprocessing.RobustScaler : Median and quantile scaling of
        tables.

    Notes
    -----
    The output has the form of the input: a 2-D or 3-D array, or a list of
    arrays of the same shapes.  Sequences may be of any length at transform
    time when given in 3-D or list form; a 2-D input must keep the number of
    columns it was fitted with (scikit-learn's rule).  float32 and float64
    input keep their dtype, other numbers become float64.

    :meth:`set_output` (and :func:`sklearn.set_config`) applies to tables:
    a 2-D ``X``, given to a Normaliser fitted on 2-D input, is scaled into
    a pandas or polars DataFrame, whose columns are
    :meth:`get_feature_names_out` (the columns of a DataFrame ``X`` given
    to :meth:`fit`, else ``x0``, ``x1``, ...) and whose index is that of a
    DataFrame ``X``.  Sequences (3-D arrays, lists of arrays, and the 2-D
    sequences of a Normaliser fitted on 3-D or list input) and the targets
    scaled with ``reference`` are returned as they are, since no DataFrame
    can hold them; so ``make_pipeline(Normaliser(),
    LSTMClassifier()).set_output(transform="pandas")`` works for any input.

    The statistics hold at any magnitude float64 can represent: data
    beyond ``2**±400`` is scaled by a power of two (exactly) before they
    are computed, so ``X * 1e300`` and ``X * 1e-300`` scale to the values
    of ``X`` (up to rounding).  Where a statistic itself, or a scaled
    value, is beyond the range of its dtype (a feature spanning more than
    float64's largest number, a value of ``X`` far outside the scale it is
    transformed by), a ValueError says so instead of returning inf or NaN.

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm import Normaliser
    >>> X = np.array([[100.0, 102.0, 104.0], [200.0, 202.0, 204.0]])
    >>> norm = Normaliser(method="minmax").fit(X)
    >>> norm.transform(X).round(2)  # one statistic for all timesteps
    array([[0.  , 0.02, 0.04],
           [0.96, 0.98, 1.  ]])
    >>> per_seq = Normaliser(per_sequence=True).fit(X)
    >>> Xt = per_seq.transform(X)  # each row by its own mean and std
    >>> Xt.round(3)
    array([[-1.225,  0.   ,  1.225],
           [-1.225,  0.   ,  1.225]])
    >>> per_seq.inverse_transform(Xt, reference=X)
    array([[100., 102., 104.],
           [200., 202., 204.]])
    >>> last = Normaliser(method="last", per_sequence=True).fit(X)
    >>> last.transform(X).round(3)  # the change from the last value
    array([[-0.038, -0.019,  0.   ],
           [-0.02 , -0.01 ,  0.   ]])
    >>> last.transform([104.0, 200.0], reference=X)  # targets, by their window
    array([ 0.        , -0.01960784])
    """

    _parameter_constraints: dict = {
        "method": [StrOptions(set(STATISTICS))],
        "per_sequence": ["boolean"],
        "two_d": [StrOptions({"sequences", "columns"})],
        "feature_range": [tuple],
        "quantile_range": [tuple],
    }

    def __init__(
        self,
        method="standard",
        *,
        per_sequence=False,
        two_d="sequences",
        feature_range=(0, 1),
        quantile_range=(25.0, 75.0),
    ):
        self.method = method
        self.per_sequence = per_sequence
        self.two_d = two_d
        self.feature_range = feature_range
        self.quantile_range = quantile_range

    def fit(self, X, y=None):
        """Fit the statistics (global) or record the input shape (per sequence).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_features) or \
(n_samples, n_timesteps), or list of arrays of shape (n_timesteps_i, n_features)
            Training sequences (a 2-D array is read as set by ``two_d``).
        y : None
            Ignored.

        Returns
        -------
        self : Normaliser
            Fitted transformer.
        """
        self._validate_params()
        self._check_ranges()
        if self.method == "last" and not self.per_sequence:
            raise ValueError(
                "method='last' scales each sequence by its own last value; it "
                "needs per_sequence=True."
            )
        seqs = self._check_X(X, reset=True)
        if self.per_sequence:
            self.center_ = self.scale_ = None
        else:
            pooled = seqs.data.reshape(-1, seqs.n_features)
            stats = self._statistics(pooled, axis=0)
            self.center_, self.scale_ = self._checked(*stats)
        return self

    @follows_input_namespace
    def transform(self, X, reference=None):
        """Scale sequences.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_features) or \
(n_samples, n_timesteps), or list of arrays of shape (n_timesteps_i, n_features)
            Sequences to scale.  With ``reference``, ``X`` may also be 1-D
            (one value per sequence) and its sequences of any length.
        reference : sequences or None, default=None
            Only with ``per_sequence=True``: original-scale sequences, one
            per sequence of ``X``, whose statistics scale ``X`` instead of
            its own.  Use it to scale forecasting targets by the statistics
            of their input windows, ``transform(y, reference=X)``; for the
            target feature ``k`` of multivariate windows pass
            ``reference=X[:, :, [k]]``.

        Returns
        -------
        Xt : ndarray, list of ndarray or DataFrame
            Scaled sequences, in the form and shape of ``X``; a DataFrame
            for a table when :meth:`set_output` asks for one (see Notes).
        """
        check_is_fitted(self)
        if reference is None:
            seqs = self._check_X(X, reset=False)
            if self.per_sequence:
                center, scale = self._sequence_statistics(seqs)
            else:
                center, scale = self.center_, self.scale_
        else:
            center, scale = self._reference_statistics(reference)
            seqs = self._check_any_length(X, center, input_name="X")
        Xt = self._restore(seqs, X, self._apply(seqs, center, scale, inverse=False))
        if reference is None and self._is_table_of_fit(seqs):
            return self._wrap_table(Xt, X)
        return Xt

    @follows_input_namespace
    def inverse_transform(self, X, reference=None):
        """Bring scaled sequences back to the original units.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_features) or \
(n_samples, n_timesteps) or (n_samples,), or list of arrays
            Scaled sequences, of any length (e.g. multi-step forecasts); a
            1-D array holds one value per sequence (one-step forecasts).
        reference : sequences or None, default=None
            Required with ``per_sequence=True``, where the statistics belong
            to the sequences that were transformed: pass those sequences in
            their original scale (for a forecast, its input windows, or
            ``X[:, :, [k]]`` for the target feature ``k``), one per sequence
            of ``X``.  Must be None for global statistics.

        Returns
        -------
        X_original : ndarray or list of ndarray
            Sequences in the original units, in the form and shape of ``X``.
        """
        check_is_fitted(self)
        if reference is not None:
            center, scale = self._reference_statistics(reference)
        elif self.per_sequence:
            raise ValueError(
                "Normaliser(per_sequence=True) scaled each sequence by its own "
                "statistics, which inverse_transform cannot know: pass the "
                "original-scale sequences as `reference` (for forecasts, their "
                "input windows), e.g. inverse_transform(y_pred, reference=X)."
            )
        else:
            center, scale = self.center_, self.scale_
        seqs = self._check_any_length(X, center, input_name="X")
        return self._restore(seqs, X, self._apply(seqs, center, scale, inverse=True))

    def _check_ranges(self):
        fr = self.feature_range
        try:
            width = float(fr[1]) - float(fr[0]) if len(fr) == 2 else np.nan
        except (TypeError, ValueError, OverflowError):
            width = np.nan
        if not 0 < width < np.inf:
            raise ValueError(
                "feature_range must be a tuple (min, max) with min < max and a "
                f"finite width max - min; got {self.feature_range!r}."
            )
        q = self.quantile_range
        if len(q) != 2 or not 0 <= q[0] < q[1] <= 100:
            raise ValueError(
                "quantile_range must be a tuple (q_min, q_max) with "
                f"0 <= q_min < q_max <= 100; got {q!r}."
            )

    def _statistics(self, x, axis, *, in_range=False):
        """(center, scale) of ``x`` over ``axis``; ``in_range``: ``x`` is
        known to lie within ``2**±_SAFE_EXP``, and is not checked again."""
        fr, qr = self.feature_range, self.quantile_range
        with np.errstate(over="ignore", under="ignore"):  # checked in _checked
            if in_range:
                return STATISTICS[self.method](x, axis, fr, qr, 1.0)
            return _safe_statistics(self.method, x, axis, fr, qr)

    def _checked(self, center, scale):
        """``(center, scale)``, if finite and nonzero."""
        if not (np.all(np.isfinite(center)) and np.all(np.isfinite(scale))):
            raise ValueError(
                f"The {self.method!r} statistics of the data exceed float64's "
                f"range (±{np.finfo(np.float64).max:.3g}): a feature spans more "
                "than float64 can hold. Rescale the data first."
            )
        if np.any(scale == 0):
            raise ValueError(
                f"The {self.method!r} scale of a feature underflows to 0 in "
                f"float64 (feature_range={self.feature_range!r} is too wide for "
                "the data's range): narrow feature_range or rescale the data."
            )
        return center, scale

    def _sequence_statistics(self, seqs):
        """(center, scale) of each sequence, shape (n_samples, n_features)."""
        if seqs.kind == "table":
            raise ValueError(_TABLE_ERROR)
        if not seqs.ragged:
            return self._checked(*self._statistics(seqs.data, axis=1))
        # one check of the magnitudes for all sequences, not one per sequence
        data, offsets = seqs.data, seqs.offsets
        peak = np.maximum(
            np.maximum.reduceat(data, offsets), -np.minimum.reduceat(data, offsets)
        )
        in_range = bool(np.all(np.abs(_peak_exponent(peak)) <= _SAFE_EXP))
        stats = [
            self._statistics(seqs.sequence(i), 0, in_range=in_range)
            for i in range(seqs.n_samples)
        ]
        return self._checked(*(np.array(s) for s in zip(*stats, strict=True)))

    def _reference_statistics(self, reference):
        """Statistics of each sequence of ``reference`` (any length or features)."""
        if not self.per_sequence:
            raise ValueError(
                "reference is only used with per_sequence=True; global "
                "statistics were fitted in fit."
            )
        seqs = self._check_any_length(reference, None, input_name="reference")
        return self._sequence_statistics(seqs)

    def _check_X(self, X, *, reset, input_name="X"):
        """Validate ``X`` against the fit (``reset=False``) or record it."""
        if is_foreign_array(X):
            X = to_numpy(X)
        if self.two_d == "columns" and _is_table(X):
            if self.per_sequence:
                raise ValueError(_TABLE_ERROR)
            X = validate_data(self, X, dtype=FLOAT_DTYPES, reset=reset)
            if reset:
                self._n_step_features, self._input_kind = X.shape[1], "table"
            return SequenceData(
                X[:, None, :], np.ones(len(X), dtype=np.intp), None, "table"
            )
        if not reset and getattr(self, "_input_kind", None) == "2d" and _is_table(X):
            n_columns = _shape(X)[1]
            if n_columns != self.n_features_in_:
                raise ValueError(
                    f"{input_name} has {n_columns} features, but Normaliser is "
                    f"expecting {self.n_features_in_} features as input. A 2-D "
                    "input keeps the number of timesteps it was fitted with; "
                    "give sequences of other lengths as a 3-D array "
                    "(n_samples, n_timesteps, 1) or a list of arrays."
                )
        return _numeric(check_sequences(self, X, reset=reset, input_name=input_name))

    def _is_table_of_fit(self, seqs):
        """Whether ``seqs`` is 2-D input whose columns are the fitted ones:
        2-D input to a Normaliser fitted on 2-D input."""
        return seqs.kind in ("2d", "table") and seqs.kind == getattr(
            self, "_input_kind", None
        )

    def _check_any_length(self, X, center, *, input_name):
        """Validate ``X`` without the fit's shape: any length, 1-D allowed.

        With ``center``, check that ``X`` matches those statistics.
        """
        if not is_ragged_container(X) and _ndim(X) == 1:
            X = to_numpy(X) if is_foreign_array(X) else np.asarray(X)
            X = X.reshape(-1, 1)  # one value per sequence
        if self.two_d == "columns" and _is_table(X):
            X = check_array(X, dtype=FLOAT_DTYPES, input_name=input_name)
            seqs = SequenceData(
                X[:, None, :], np.ones(len(X), dtype=np.intp), None, "table"
            )
        else:
            # a scratch estimator: nothing is checked against, or recorded on, self
            seqs = _numeric(
                check_sequences(BaseEstimator(), X, reset=True, input_name=input_name)
            )
        if center is None:
            return seqs
        if center.ndim == 1 and seqs.n_features != len(center):
            raise ValueError(
                f"{input_name} has {seqs.n_features} features per timestep, but "
                f"Normaliser was fitted with {len(center)} features per timestep."
            )
        if center.ndim == 2 and seqs.n_features != center.shape[1]:
            raise ValueError(
                f"{input_name} has {seqs.n_features} features per timestep, but "
                f"reference has {center.shape[1]}. To use the statistics of "
                "feature k of 3-D sequences, pass reference=X[:, :, [k]]."
            )
        if center.ndim == 2 and len(center) != seqs.n_samples:
            raise ValueError(
                f"{input_name} has {seqs.n_samples} sequences but reference has "
                f"{len(center)}: they must correspond one to one."
            )
        return seqs

    @staticmethod
    def _apply(seqs, center, scale, *, inverse):
        data = seqs.data
        if center.ndim == 2:  # per-sequence statistics: broadcast over time
            if seqs.ragged:
                center = np.repeat(center, seqs.lengths, axis=0)
                scale = np.repeat(scale, seqs.lengths, axis=0)
            else:
                center, scale = center[:, None, :], scale[:, None, :]
        with np.errstate(all="ignore"):
            c, s = center.astype(data.dtype), scale.astype(data.dtype)
            out = data * s + c if inverse else (data - c) / s
        if np.all(np.isfinite(out)):
            return out
        # an intermediate overflowed (or a statistic is beyond float32's range)
        exact = _unstandardise if inverse else _standardise
        with np.errstate(all="ignore"):
            out = exact(data.astype(np.float64), center, scale).astype(data.dtype)
        if not np.all(np.isfinite(out)):
            raise ValueError(
                f"Normaliser.{'inverse_transform' if inverse else 'transform'} "
                f"would give values beyond {data.dtype}'s range "
                f"(±{np.finfo(data.dtype).max:.3g}): X lies too far from the "
                "scale of the data the statistics came from."
            )
        return out

    @staticmethod
    def _restore(seqs, X, out):
        """Give ``out`` the form of the input ``X``."""
        if seqs.kind == "3d":
            return out
        if seqs.kind == "table":
            out = out[:, 0, :]
        elif seqs.kind == "2d":
            out = out[:, :, 0]
        else:
            parts = np.split(out, seqs.offsets[1:])
            flat = [_ndim(s) == 1 for s in X]
            return [p[:, 0] if f else p for p, f in zip(parts, flat, strict=True)]
        return out.ravel() if _ndim(X) == 1 else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
