# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""LSTMAnomalyDetector: an LSTM forecaster whose errors score anomalies."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import OutlierMixin
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from sklstm._backend import follows_input_namespace, get_namespace
from sklstm._base import BaseLSTM, keeps_state_on_error, value_targets
from sklstm._sequences import SequenceData


def shift_sequences(seqs, horizon):
    """Inputs and the ``horizon`` steps that follow each input step.

    Returns ``(inputs, targets, mask)``: ``inputs`` a :class:`SequenceData` of
    the steps ``0 .. L_i - horizon - 1`` of each sequence, ``targets`` a
    float64 array (n, T_max - horizon, horizon * F) holding, at step ``t``,
    the steps ``t + 1 .. t + horizon`` (zero-padded), and ``mask``
    (n, T_max - horizon) the valid steps.
    """
    K, F = horizon, seqs.n_features
    lengths = seqs.lengths - K
    n, T = seqs.n_samples, int(seqs.lengths.max()) - K
    mask = np.arange(T)[None, :] < lengths[:, None]
    targets = np.zeros((n, T, K * F))
    if seqs.offsets is None:
        data = seqs.data
        for k in range(K):
            targets[:, :, k * F : (k + 1) * F] = data[:, 1 + k : T + 1 + k]
        return SequenceData(data[:, :T], lengths, None, seqs.kind), targets, mask
    parts = []
    for i in range(n):
        seq, L = seqs.sequence(i), lengths[i]
        parts.append(seq[:L])
        for k in range(K):
            targets[i, :L, k * F : (k + 1) * F] = seq[1 + k : L + 1 + k]
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.intp)
    inputs = SequenceData(np.concatenate(parts), lengths, offsets, seqs.kind)
    return inputs, targets, mask


class LSTMAnomalyDetector(OutlierMixin, BaseLSTM):
    """Anomaly detection in sequences by LSTM forecasting errors.

    Fitted on normal sequences only, the LSTM learns to forecast, at each
    step of a sequence, the ``horizon`` steps that follow.  A sequence
    unlike the training data is forecast badly: its mean squared forecast
    error is its anomaly score.  Forecasting several steps ahead is what
    makes the score sensitive to the *shape* of a sequence: one step ahead,
    a smooth anomalous curve is almost as predictable as a normal one.
    ``score_samples`` is minus that error (higher is more normal), and
    ``contamination`` sets the threshold ``offset_`` so that this
    fraction of the training sequences falls below it.

    Parameters
    ----------
    horizon : int, default=10
        Steps forecast from each step (sequences need more steps than
        this).
    contamination : float, default=0.01
        Proportion of the training sequences taken as outliers when setting
        ``offset_`` (in (0, 0.5]).  With training data that is all normal,
        this is the false-alarm rate one accepts on the training data; to
        choose a threshold on labelled validation data instead, use
        :meth:`score_samples` directly.
    hidden_layer_sizes : int or tuple of int, default=(64,)
        Units of each LSTM layer.
    bidirectional : bool, default=False
        Must stay False: a forecaster may not see the future.  Kept for a
        uniform interface; True raises an error.
    dropout : float, default=0.0
        Dropout rate between stacked LSTM layers.
    solver : {'adam', 'rmsprop', 'sgd'}, default='adam'
        Optimizer.
    learning_rate_init : float, default=0.001
        Step size of the optimizer.
    alpha : float, default=0.0001
        L2 penalty on the weights.
    clip_norm : float or None, default=5.0
        Clip the gradient to this global L2 norm.
    batch_size : int or 'auto', default='auto'
        Sequences per mini-batch; 'auto' is ``min(32, n_samples)``.
    max_iter : int, default=200
        Maximum number of epochs.
    shuffle : bool, default=True
        Shuffle the samples every epoch.
    tol : float, default=1e-4
        Minimum improvement of the monitored loss.
    n_iter_no_change : int, default=10
        Stop after this many epochs without an improvement of ``tol``.
    early_stopping : bool or 'auto', default='auto'
        Hold out ``validation_fraction`` of the sequences and keep the
        weights with the lowest validation forecast error; 'auto' turns it
        on from 1000 sequences.
    validation_fraction : float, default=0.1
        Share of the training sequences held out for early stopping.
    validation_split : {'random', 'last'}, default='random'
        Which samples are held out for early stopping: a random
        ``validation_fraction`` ('random', stratified for classification),
        or the last ``validation_fraction`` of them in the order given
        ('last'), so that windows of a time series in time order are
        validated on the most recent period instead of on windows drawn
        from between (and overlapping) the training windows.
    random_state : int, RandomState instance or None, default=None
        Seed of the weights, shuffling, dropout and validation split.
    warm_start : bool, default=False
        Continue from the previous fit's weights and optimizer state.
    verbose : int, default=0
        0 silent, 1 one line per epoch, 2 a progress bar.
    device : {'cpu', 'cuda', 'auto'}, default='cpu'
        Where to fit: 'cuda' runs on an NVIDIA GPU through CuPy
        (``pip install sklstm[gpu]``) and raises an error without one;
        'auto' uses a GPU when one is usable.  A fitted model predicts on
        the CPU where no GPU is usable, so it loads anywhere.

    Attributes
    ----------
    offset_ : float
        Threshold of :meth:`decision_function`: the ``contamination``
        quantile of the training scores.
    n_features_in_ : int
        Features per timestep (timesteps for 2-D ``X``).
    n_outputs_ : int
        Values forecast per step (``horizon * n_features``).
    coefs_ : list of dict
        Weights, as in :class:`LSTMRegressor`.
    n_iter_, t_, loss_, loss_curve_, best_loss_, validation_scores_, \
best_validation_score_, history_ :
        Training record, as in :class:`LSTMRegressor` (the loss is the
        half mean squared forecast error).

    See Also
    --------
    LSTMClassifier : With labelled anomalies, a supervised model wrapped in
        :class:`~sklearn.model_selection.TunedThresholdClassifierCV`.
    sklearn.ensemble.IsolationForest : An outlier detector for tabular data.

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm import LSTMAnomalyDetector
    >>> t = np.linspace(0, 4 * np.pi, 40)
    >>> rng = np.random.RandomState(0)
    >>> X = np.sin(t + rng.uniform(0, 6, (100, 1))) + 0.05 * rng.randn(100, 40)
    >>> det = LSTMAnomalyDetector(horizon=5, hidden_layer_sizes=16,
    ...                           learning_rate_init=0.01, max_iter=40,
    ...                           random_state=0).fit(X)
    >>> odd = rng.randn(1, 40)  # noise, not a sine
    >>> det.predict(np.vstack([X[:3], odd])).tolist()
    [1, 1, 1, -1]
    """

    _loss = "squared_error"
    _parameter_constraints: dict = {
        **{
            k: v
            for k, v in BaseLSTM._parameter_constraints.items()
            if k not in ("return_sequences", "pooling")  # always per timestep
        },
        "horizon": [Interval(Integral, 1, None, closed="left")],
        "contamination": [Interval(Real, 0, 0.5, closed="right")],
    }

    def __init__(
        self,
        horizon=10,
        contamination=0.01,
        *,
        hidden_layer_sizes=(64,),
        bidirectional=False,
        dropout=0.0,
        solver="adam",
        learning_rate_init=1e-3,
        alpha=1e-4,
        clip_norm=5.0,
        batch_size="auto",
        max_iter=200,
        shuffle=True,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping="auto",
        validation_fraction=0.1,
        validation_split="random",
        random_state=None,
        warm_start=False,
        verbose=0,
        device="cpu",
    ):
        self.horizon = horizon
        self.contamination = contamination
        self.hidden_layer_sizes = hidden_layer_sizes
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.solver = solver
        self.learning_rate_init = learning_rate_init
        self.alpha = alpha
        self.clip_norm = clip_norm
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.validation_split = validation_split
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.device = device

    @keeps_state_on_error
    def fit(self, X, y=None, sample_weight=None):
        """Fit the forecaster on normal sequences and set ``offset_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Normal sequences, each of at least 2 timesteps.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sequence in the loss.

        Returns
        -------
        self : LSTMAnomalyDetector
        """
        self._validate_params()
        if self.bidirectional:
            raise ValueError(
                "LSTMAnomalyDetector forecasts each step from the steps before it, "
                "so it cannot be bidirectional; set bidirectional=False."
            )
        self._fit(X, None, sample_weight)
        scores = self.score_samples(X)
        self.offset_ = float(np.percentile(scores, 100 * self.contamination))
        return self

    # ---------------------------------------------------------- base hooks
    def _check_X(self, X, *, reset):
        inputs, self._pending_targets, _ = self._shifted(X, reset=reset)
        return inputs

    def _shifted(self, X, *, reset):
        seqs = self._check_sequences(X, reset=reset)
        if seqs.kind == "tokens":
            raise TypeError(
                "LSTMAnomalyDetector forecasts numeric sequences; token sequences "
                "cannot be forecast."
            )
        if seqs.lengths.min() <= self.horizon:
            i = int(np.argmin(seqs.lengths))
            has = (
                f"X has {seqs.lengths[i]} feature(s) (its columns are timesteps)"
                if seqs.kind == "2d"
                else f"X[{i}] has {seqs.lengths[i]} timesteps"
            )
            raise ValueError(
                f"{has}, but "
                f"LSTMAnomalyDetector with horizon={self.horizon} needs at least "
                f"{self.horizon + 1} timesteps per sequence; lower horizon."
            )
        return shift_sequences(seqs, self.horizon)

    def _encode_targets(self, y, seqs, first_call, classes=None):
        Y = self.__dict__.pop("_pending_targets")
        if first_call:
            self.n_outputs_ = Y.shape[-1]
        elif Y.shape[-1] != self.n_outputs_:
            raise ValueError(
                f"With horizon={self.horizon} the model forecasts {Y.shape[-1]} "
                f"values per step, but the previous fit forecast {self.n_outputs_} "
                "(horizon x n_features): refit from scratch (warm_start=False) or "
                "restore the earlier horizon."
            )
        return Y, True

    def _batch_targets(self, Yb, xp):
        return value_targets(Yb, xp)

    def _decode_scores(self, S):
        return S

    def _metric(self, y_true, y_pred, sample_weight=None):
        # validation score: minus the mean squared forecast error
        err = (np.asarray(y_true) - np.asarray(y_pred)) ** 2
        return -float(np.average(err.mean(axis=-1), weights=sample_weight))

    # ------------------------------------------------------------- scoring
    def _forecast(self, X):
        check_is_fitted(self)
        inputs, targets, mask = self._shifted(X, reset=False)
        S = self._raw_scores(inputs, xp=get_namespace(self.device, fitted=True))
        return inputs, S.astype(np.float64), targets, mask

    @follows_input_namespace
    def forecast(self, X):
        """Forecast of every step from the steps before it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences.

        Returns
        -------
        forecasts : ndarray of shape (n_samples, n_timesteps - horizon, \
horizon[, n_features]) or list of arrays
            ``forecasts[:, t, k]`` forecasts ``X[:, t + 1 + k]``.  The
            feature axis is dropped for 2-D input; ragged input gives a list
            of ``(T_i - horizon, horizon, n_features)`` arrays.
        """
        inputs, S, _, _ = self._forecast(X)
        S = S.reshape(S.shape[:2] + (self.horizon, -1))
        if inputs.kind == "2d":
            return S[..., 0]
        if inputs.ragged:
            return [S[i, :L] for i, L in enumerate(inputs.lengths)]
        return S

    @follows_input_namespace
    def score_samples(self, X):
        """Normality of each sequence: minus its mean squared forecast error.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Higher is more normal.
        """
        inputs, S, targets, mask = self._forecast(X)
        err = ((S - targets) ** 2).mean(axis=-1) * mask
        return -err.sum(axis=1) / inputs.lengths

    @follows_input_namespace
    def decision_function(self, X):
        """``score_samples(X) - offset_``: negative for outliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        return self.score_samples(X) - self.offset_

    @follows_input_namespace
    def predict(self, X):
        """Label sequences: +1 normal, -1 anomalous.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        return np.where(self.decision_function(X) >= 0, 1, -1)

    def score(self, X, y=None):
        """Mean of :meth:`score_samples`: minus the mean squared forecast
        error (higher is better; for model selection on normal data).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences.
        y : None
            Ignored.

        Returns
        -------
        score : float
        """
        return float(np.mean(self.score_samples(X)))
