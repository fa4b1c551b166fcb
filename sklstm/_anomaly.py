# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""LSTMAnomalyDetector: anomalies by the states of an LSTM forecaster."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import OutlierMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from sklstm._backend import (
    follows_input_namespace,
    get_namespace,
    to_namespace_of,
    to_numpy,
)
from sklstm._base import (
    DTYPE,
    BaseLSTM,
    keeps_state_on_error,
    value_targets,
)
from sklstm._docstrings import fill_doc
from sklstm._losses import LOSSES
from sklstm._sequences import SequenceData, predict_batches
from sklstm._streaming import (
    StreamState,
    check_stream_state,
    layers_on,
    run_chunk,
    stream_key,
)

_STATE_BATCH = 256  # sequences whose states are held at once when scoring
# states closer than this (root mean square over the steps; states lie in
# (-1, 1)) belong to the same sequence, up to float32 rounding
_SAME_SEQUENCE = 1e-5
# added to each unit's spread before weighting by it: a unit constant over
# the training steps does not get an unbounded weight
_UNIT_FLOOR = 1e-3


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


def cumulative_norms(H):
    """Squared norm of the first ``m`` states of each trajectory, for every
    ``m``: (n, T) float64, for :func:`state_distances`."""
    return np.cumsum((H.astype(np.float64) ** 2).sum(axis=2), axis=1)


def state_distances(A, lengths_a, B, lengths_b, *, norms_b=None):
    """Root mean squared distance between state trajectories.

    ``A`` (n_a, T_a, D) and ``B`` (n_b, T_b, D) hold the states of each
    sequence at each step, zero past its length.  Two sequences are compared
    over the steps they both have (all of them when the lengths agree):
    ``sqrt(sum_t |a_t - b_t|^2 / min(L_a, L_b))``.  Returns (n_a, n_b).
    ``norms_b``, :func:`cumulative_norms` of ``B``, saves recomputing them
    when ``B`` is compared with several batches.
    """
    norms_a = cumulative_norms(A)
    norms_b = cumulative_norms(B) if norms_b is None else norms_b
    m = np.minimum(lengths_a[:, None], lengths_b[None, :])
    rows, cols = np.arange(len(A))[:, None], np.arange(len(B))[None, :]
    d2 = norms_a[rows, m - 1] + norms_b[cols, m - 1]
    # past the shorter of the two, one of them is zero: the common steps do
    T = min(A.shape[1], B.shape[1])
    a = A[:, :T].reshape(len(A), -1).astype(np.float64)
    b = B[:, :T].reshape(len(B), -1).astype(np.float64, copy=False)
    d2 -= 2 * (a @ b.T)
    return np.sqrt(np.maximum(d2, 0) / m)


def nearest_other(D):
    """Distance of each row of ``D`` to its nearest column, a column at
    distance zero excepted (the sequence itself): the second nearest column
    when the nearest is at zero, if there is one (an exact copy of a
    duplicated training sequence is still at zero)."""
    if D.shape[1] < 2:
        d = D[:, 0]
        return np.where(d > _SAME_SEQUENCE, d, 0.0)
    two = np.partition(D, 1, axis=1)[:, :2]
    # a second sequence at (rounding noise from) zero is a copy: distance 0
    second = np.where(two[:, 1] > _SAME_SEQUENCE, two[:, 1], 0.0)
    return np.where(two[:, 0] > _SAME_SEQUENCE, two[:, 0], second)


def chunk_squared_distances(H, start, ref, ref_lengths):
    """Squared distances between the states ``H`` (n, C, D) of the steps
    ``start .. start + C - 1`` of some sequences and those of the same
    steps of the reference trajectories ``ref`` (n_ref, T_ref, D), zero
    past each reference's end: summed over the steps both have, (n, n_ref)
    float64.  Summed over a sequence's chunks, they are what
    :func:`state_distances` compares over the steps two sequences share."""
    H = H.astype(np.float64)
    B = ref[:, start : start + H.shape[1]].astype(np.float64)
    C = B.shape[1]  # steps of the chunk that the longest reference reaches
    if C == 0:
        return np.zeros((len(H), len(ref)))
    H = H[:, :C]
    # the chunk's steps each reference has: |a_t|^2 counts only there
    m = np.clip(ref_lengths - start, 0, C)
    norms = np.zeros((len(H), C + 1))
    np.cumsum((H**2).sum(axis=2), axis=1, out=norms[:, 1:])
    d2 = norms[:, m] + (B**2).sum(axis=(1, 2))[None, :]
    d2 -= 2 * (H.reshape(len(H), -1) @ B.reshape(len(B), -1).T)
    return d2


def unit_weights(H, lengths):
    """Weight of each unit of the states ``H`` (n, T, D) in the state
    distance: inversely proportional to the unit's spread over the steps of
    the training sequences (its standard deviation plus ``_UNIT_FLOOR``),
    the least varying unit at weight 1, (D,) float32.  A unit that hardly
    moves across normal data then counts as much as one that swings widely
    (a diagonal Mahalanobis distance); the overall scale does not matter,
    since each snapshot's distances are divided by their median."""
    valid = np.arange(H.shape[1])[None, :] < np.asarray(lengths)[:, None]
    states = H[valid].astype(np.float64)  # (n_steps, D)
    spread = states.std(axis=0) + _UNIT_FLOOR
    return (spread.min() / spread).astype(DTYPE)


def _positive_median(d):
    """Median of the distances ``d``, or a positive stand-in when it is 0
    (duplicated sequences) or undefined (a single sequence).  Distances up
    to ``_SAME_SEQUENCE`` are rounding noise between copies, not a unit."""
    d = d[np.isfinite(d)]
    d = np.where(d > _SAME_SEQUENCE, d, 0.0)
    m = float(np.median(d)) if len(d) else 0.0
    if m > 0:
        return m
    positive = d[d > 0]
    return float(positive.min()) if len(positive) else 1.0


@fill_doc
class LSTMAnomalyDetector(OutlierMixin, BaseLSTM):
    """Anomaly detection in sequences by the states of an LSTM forecaster.

    Fitted on normal sequences only, the LSTM learns to forecast, at each
    step of a sequence, the ``horizon`` steps that follow.  By default
    (``anomaly_score='state_distance'``) a sequence is then scored by how
    far the LSTM's hidden states along it lie from those along its nearest
    training sequence (nearest-neighbour distance in the network's
    representation, "deep kNN"): the root mean squared distance between the
    two state trajectories, step by step, each unit weighted by the inverse
    of its spread over the training steps (``unit_weights_``: a unit that
    hardly moves across normal data counts as much as one that swings
    widely).  The distance is measured with two snapshots of the network,
    its initial weights and its trained ones, each divided by the median
    leave-one-out distance of the training sequences in that snapshot, and
    averaged.  The trained snapshot's states carry
    what forecasting the normal data taught; the initial snapshot's (random
    features of the recent past, as in an echo state network) keep the
    score sound when a few training sequences teach the network little or
    make it overfit.  With ``anomaly_score='forecast_error'`` the score is
    the mean squared forecast error instead (the former default), which
    needs more training data to beat a nearest-neighbour distance.
    ``score_samples`` is minus the score (higher is more normal), and
    ``contamination`` sets the threshold ``offset_`` so that this fraction
    of the training sequences, each scored against the others, falls below
    it (``fit_predict`` labels them so).

    The states depend on the scale of the values: standardise the data
    first (for example with ``make_pipeline(Normaliser(), ...)``) unless it
    is already of unit scale, as z-normalised series are.

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
    anomaly_score : {'state_distance', 'forecast_error'}, \
default='state_distance'
        What scores a sequence: the distance of the LSTM's states along it
        to those along its nearest training sequence ('state_distance'),
        or its mean squared forecast error ('forecast_error').  The first
        keeps the states of every training sequence (memory: two float32
        arrays of n_samples x n_timesteps x n_units) and compares each
        scored sequence with all of them.
    hidden_layer_sizes : int or tuple of int, default=(64,)
        Units of each LSTM layer.
    cell : %(cells)s, default='lstm'
        The recurrent cell of every layer: long short-term memory, or a
        gated recurrent unit with PyTorch's ``nn.GRU`` equations (three
        gates instead of four: a quarter fewer weights).
    bidirectional : bool, default=False
        Must stay False: a forecaster may not see the future.  Kept for a
        uniform interface; True raises an error.
    dropout : float, default=0.0
        Dropout rate between stacked LSTM layers.
    solver : %(solvers)s, default='adam'
        Optimizer.
    learning_rate_init : float, default=0.001
        Step size of the optimizer.
    alpha : float, default=0.0001
        L2 penalty on the weights.
    clip_norm : float or None, default=5.0
        Clip the gradient to this global L2 norm.
    batch_size : int or 'auto', default='auto'
        Sequences per mini-batch; 'auto' is ``min(32, n_samples)``.
    max_iter : int, default=50
        Maximum number of epochs.  Fifty suffice for the state distance,
        for which they are a training budget rather than a limit: reaching
        them raises no ``ConvergenceWarning``.  For
        ``anomaly_score='forecast_error'`` more (e.g. 200) forecast better.
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
    callbacks : list of Callback or None, default=None
        Objects whose hooks run during training (see
        :mod:`sklstm.callbacks`): learning-rate schedules, an epoch log, or
        a subclass of :class:`~sklstm.callbacks.Callback` of your own.  Used
        as given, not copied, so their state can be read after ``fit``.
    device : {'cpu', 'cuda', 'auto'}, default='cpu'
        Where to fit: 'cuda' runs on an NVIDIA GPU through CuPy
        (``pip install ".[gpu]"`` in a checkout) and raises an error without one;
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
    initial_coefs_ : list of dict
        The weights before training (the first snapshot of the state
        distance).
    reference_states_ : list of ndarray of shape (n_samples, n_timesteps, \
n_units) or None
        Top-layer states along each training sequence (zero past its end),
        with ``initial_coefs_`` and with ``coefs_``, each unit multiplied
        by its weight in ``unit_weights_``; None with
        ``anomaly_score='forecast_error'``.
    unit_weights_ : ndarray of shape (2, n_units) or None
        Weight of each unit's state in the distance, per snapshot: the
        inverse of the unit's standard deviation over the steps of the
        training sequences (plus 0.001, so that a unit constant in training
        gets a bounded weight), divided by the largest inverse so that the
        least varying unit has weight 1.  None with
        ``anomaly_score='forecast_error'``.
    reference_lengths_ : ndarray of shape (n_samples,) or None
        Lengths of the training sequences.
    state_scales_ : ndarray of shape (2,) or None
        Median distance of a training sequence's states to those of its
        nearest other training sequence, per snapshot: the unit of each
        snapshot's distance.
    n_iter_, t_, loss_, loss_curve_, best_loss_, validation_scores_, \
best_validation_score_, history_ :
        Training record, as in :class:`LSTMRegressor` (the loss is the
        half mean squared forecast error).

    See Also
    --------
    LSTMClassifier : With labelled anomalies, a supervised model wrapped in
        :class:`~sklearn.model_selection.TunedThresholdClassifierCV`.
    sklearn.ensemble.IsolationForest : An outlier detector for tabular data.

    Notes
    -----
    On twelve two-class UCR sets scored one class at a time (24 tasks of 6
    to 394 normal training series, ``benchmarks/bench_ucr_anomaly.py``),
    the default detector's mean ROC AUC is above that of the Euclidean
    distance to the nearest training series, and above an
    ``IsolationForest`` on most tasks, where the forecast error is below
    both.  Two sequences of different lengths are compared over the steps
    they share.

    References
    ----------
    .. [1] N. Papernot and P. McDaniel, "Deep k-Nearest Neighbors: Towards
       Confident, Interpretable and Robust Deep Learning", arXiv:1803.04765
       (2018).
    .. [2] G. Huang et al., "Snapshot Ensembles: Train 1, get M for free",
       ICLR (2017).

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

    _loss = LOSSES["squared_error"]
    _checkpoints = False  # fit computes more after training

    _parameter_constraints: dict = {
        **BaseLSTM._parameter_constraints,
        "horizon": [Interval(Integral, 1, None, closed="left")],
        "contamination": [Interval(Real, 0, 0.5, closed="right")],
        "anomaly_score": [StrOptions({"state_distance", "forecast_error"})],
    }

    def __init__(
        self,
        horizon=10,
        contamination=0.01,
        *,
        anomaly_score="state_distance",
        hidden_layer_sizes=(64,),
        cell="lstm",
        bidirectional=False,
        dropout=0.0,
        solver="adam",
        learning_rate_init=1e-3,
        alpha=1e-4,
        clip_norm=5.0,
        batch_size="auto",
        max_iter=50,
        shuffle=True,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping="auto",
        validation_fraction=0.1,
        validation_split="random",
        random_state=None,
        warm_start=False,
        verbose=0,
        callbacks=None,
        device="cpu",
    ):
        super().__init__(
            hidden_layer_sizes,
            cell=cell,
            bidirectional=bidirectional,
            dropout=dropout,
            solver=solver,
            learning_rate_init=learning_rate_init,
            alpha=alpha,
            clip_norm=clip_norm,
            batch_size=batch_size,
            max_iter=max_iter,
            shuffle=shuffle,
            tol=tol,
            n_iter_no_change=n_iter_no_change,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            validation_split=validation_split,
            random_state=random_state,
            warm_start=warm_start,
            verbose=verbose,
            device=device,
            callbacks=callbacks,
        )
        self.horizon = horizon
        self.contamination = contamination
        self.anomaly_score = anomaly_score

    def _warns_at_max_iter(self):
        # the state distance needs a representation, not a converged forecaster
        return self.anomaly_score != "state_distance"

    @keeps_state_on_error
    def fit(self, X, y=None, sample_weight=None):
        """Fit the forecaster on normal sequences and set ``offset_``.

        With ``anomaly_score='state_distance'`` it also keeps the states
        along the training sequences and scores each against the others
        to set ``offset_``.

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
        if self.anomaly_score == "state_distance":
            seqs = self._check_sequences(X, reset=False)
            snapshots = [self.initial_coefs_, self.coefs_]
            states = [self._all_states(seqs, c) for c in snapshots]
            self.unit_weights_ = np.array(
                [unit_weights(H, seqs.lengths) for H in states]
            )
            self.reference_states_ = [
                H * w for H, w in zip(states, self.unit_weights_, strict=True)
            ]
            self.reference_lengths_ = seqs.lengths.copy()
            # each training sequence against the others (leave one out)
            loo = np.array(
                [
                    nearest_other(state_distances(H, seqs.lengths, H, seqs.lengths))
                    for H in self.reference_states_
                ]
            )  # (n_snapshots, n_samples)
            self.state_scales_ = np.array(
                [_positive_median(d) for d in loo], dtype=np.float64
            )
            scores = -(loo / self.state_scales_[:, None]).mean(axis=0)
        else:
            self.reference_states_ = self.reference_lengths_ = None
            self.state_scales_ = self.unit_weights_ = None
            scores = self.score_samples(X)
        self.offset_ = float(np.percentile(scores, 100 * self.contamination))
        return self

    # ---------------------------------------------------------- base hooks
    def _check_X_y(self, X, y, *, reset):
        # the targets are X's next values (y is ignored, as in every
        # outlier detector's fit)
        inputs, targets, _ = self._shifted(X, reset=reset)
        return inputs, targets

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
        Y = y  # from _check_X_y: the next values of X
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

    def _fit_loop(self, net, opts, *args, **kwargs):
        if self.n_iter_ == 0:  # a fresh network: keep its initial weights
            self.initial_coefs_ = net.get_coefs()
        super()._fit_loop(net, opts, *args, **kwargs)

    def _network(self, seqs, coefs):
        net = self._make_network(seqs, get_namespace(self.device, fitted=True))
        net.set_coefs(coefs)
        return net

    def _all_states(self, seqs, coefs):
        """States of all of ``seqs`` (n, T_max, n_units), zero-padded."""
        net = self._network(seqs, coefs)
        H = None
        for idx in predict_batches(seqs.lengths, _STATE_BATCH):
            Hb = self._states(net, seqs, idx)
            if H is None:
                T = int(seqs.lengths.max())
                H = np.zeros((seqs.n_samples, T, Hb.shape[2]), dtype=DTYPE)
            H[idx, : Hb.shape[1]] = Hb
        return H

    def _states(self, net, seqs, idx):
        """The top layer's states at every step of the sequences ``idx``,
        (len(idx), T, n_units) float32, zero past each sequence's end."""
        xp = net.xp
        X, lengths = seqs.batch(idx, dtype=DTYPE, xp=xp)
        _, cache = net.forward(X, lengths, training=False)
        # (B, T, D); a copy: the network reuses its buffers
        H = np.array(to_numpy(cache.top[:-1]).transpose(2, 1, 0), dtype=DTYPE)
        H[np.arange(H.shape[1])[None, :] >= lengths[:, None]] = 0
        return H

    def __setstate__(self, state):
        # detectors saved before the state distance scored by forecast error
        state = {"anomaly_score": "forecast_error", **state}
        # those saved before the units were weighted kept unweighted states:
        # equal weights score them as they did
        refs = state.get("reference_states_")
        if "unit_weights_" not in state and "offset_" in state:
            state["unit_weights_"] = (
                None if refs is None else np.ones((2, refs[0].shape[2]), dtype=DTYPE)
            )
        super().__setstate__(state)

    @follows_input_namespace
    def score_samples(self, X):
        """Normality of each sequence (higher is more normal).

        With ``anomaly_score='state_distance'``, minus the root mean squared
        distance between the LSTM's states along the sequence and those
        along its nearest training sequence (each unit weighted by
        ``unit_weights_``; in units of ``state_scales_``, averaged over the
        two snapshots).  A training sequence is not its
        own neighbour: a sequence with the states of a training sequence
        is taken to be that sequence and compared with the other training
        sequences (one of which may be a copy of it), so that
        ``predict(X_train)`` flags the training outliers, as ``fit_predict``
        does.  With ``'forecast_error'``, minus its mean squared forecast
        error.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Higher is more normal.
        """
        if self.anomaly_score == "forecast_error":
            inputs, S, targets, mask = self._forecast(X)
            err = ((S - targets) ** 2).mean(axis=-1) * mask
            return -err.sum(axis=1) / inputs.lengths
        check_is_fitted(self)
        seqs = self._check_sequences(X, reset=False)
        if self.reference_states_ is None:
            raise ValueError(
                "This detector was fitted with anomaly_score='forecast_error' "
                "and kept no states of its training sequences; refit it to score "
                "by state distance."
            )
        snapshots = [self.initial_coefs_, self.coefs_]
        scores = np.zeros(seqs.n_samples)
        for coefs, ref, scale, w in zip(
            snapshots,
            self.reference_states_,
            self.state_scales_,
            self.unit_weights_,
            strict=True,
        ):
            net = self._network(seqs, coefs)
            # the reference in float64 and its norms, once for every batch
            ref, norms = ref.astype(np.float64), cumulative_norms(ref)
            for b in predict_batches(seqs.lengths, _STATE_BATCH):
                D = state_distances(
                    self._states(net, seqs, b) * w,
                    seqs.lengths[b],
                    ref,
                    self.reference_lengths_,
                    norms_b=norms,
                )
                scores[b] -= nearest_other(D) / scale
        return scores / len(snapshots)

    # ----------------------------------------------------------- streaming
    def _stream_tag(self):
        return f"{self.anomaly_score},horizon={self.horizon}"

    def _stream(self, X, state):
        """Read a chunk of streams from ``state``: the forecasts from each
        of its steps (n, C, horizon * n_features), float64, the score of
        each stream read so far (:meth:`score_samples` of everything
        read) and the new state."""
        seqs = self._check_chunk(X)
        if seqs.kind == "tokens":
            raise TypeError(
                "LSTMAnomalyDetector forecasts numeric sequences; token sequences "
                "cannot be forecast."
            )
        distance = self.anomaly_score == "state_distance"
        if distance and self.reference_states_ is None:
            raise ValueError(
                "This detector was fitted with anomaly_score='forecast_error' "
                "and kept no states of its training sequences; refit it to score "
                "by state distance."
            )
        n, K = seqs.n_samples, self.horizon
        needs = (
            ("initial_layers", "squared_distances")
            if distance
            else ("recent_inputs", "recent_forecasts", "error_sum")
        )
        key = stream_key(self, self._stream_tag())
        net = self._network(seqs, self.coefs_)
        state = check_stream_state(state, key, net, n, extra=needs)
        xp = net.xp
        Xb, lengths = seqs.batch(np.arange(n), dtype=DTYPE, xp=xp)
        start = 0 if state is None else state.n_steps
        n_steps = start + int(lengths[0])
        layers = layers_on(None if state is None else state.layers, xp)
        Z, cache, layers = run_chunk(net, Xb, lengths, layers)
        forecasts = to_numpy(Z).transpose(2, 1, 0).astype(np.float64)
        if distance:
            initial = self._network(seqs, self.initial_coefs_)
            before = None if state is None else state.extra["initial_layers"]
            _, cache0, initial_layers = run_chunk(
                initial, Xb, lengths, layers_on(before, xp)
            )
            squared = np.zeros((2, n, len(self.reference_lengths_)))
            if state is not None:
                squared += state.extra["squared_distances"]
            for k, (c, ref, w) in enumerate(
                zip(
                    (cache0, cache),
                    self.reference_states_,
                    self.unit_weights_,
                    strict=True,
                )
            ):
                H = to_numpy(c.top[:-1]).transpose(2, 1, 0) * w
                squared[k] += chunk_squared_distances(
                    H, start, ref, self.reference_lengths_
                )
            m = np.minimum(n_steps, self.reference_lengths_)[None, :]
            scores = np.zeros(n)
            for d2, scale in zip(squared, self.state_scales_, strict=True):
                scores -= nearest_other(np.sqrt(np.maximum(d2, 0) / m)) / scale
            scores /= len(squared)
            extra = {"initial_layers": initial_layers, "squared_distances": squared}
        else:
            x = np.stack([seqs.sequence(i) for i in range(n)]).astype(np.float64)
            if state is None:
                recent_x, recent_f = x[:, :0], forecasts[:, :0]
                error_sum = np.zeros(n)
            else:
                recent_x = state.extra["recent_inputs"]
                recent_f = state.extra["recent_forecasts"]
                error_sum = state.extra["error_sum"].copy()
            # the last horizon steps before the chunk, then the chunk
            x = np.concatenate([recent_x, x], axis=1)
            f = np.concatenate([recent_f, forecasts], axis=1)
            # forecasts whose horizon the chunk completes: from steps
            # start - horizon .. start + C - horizon - 1
            n_done = x.shape[1] - K
            if n_done > 0:
                targets = np.concatenate(
                    [x[:, 1 + k : 1 + k + n_done] for k in range(K)], axis=2
                )
                err = ((f[:, :n_done] - targets) ** 2).mean(axis=2)
                error_sum += err.sum(axis=1)
            # NaN until a forecast's horizon has passed, where score_samples
            # raises (it needs more than horizon steps)
            scores = np.full(n, np.nan)
            if n_steps > K:
                scores = -error_sum / (n_steps - K)
            extra = {
                "recent_inputs": x[:, -K:].copy(),
                "recent_forecasts": f[:, -K:].copy(),
                "error_sum": error_sum,
            }
        return seqs, forecasts, scores, StreamState(layers, n_steps, extra, key)

    def forecast_chunk(self, X_chunk, state=None):
        """Forecasts from every step of streams read one chunk at a time.

        Feeds the next ``chunk_len`` (>= 1) timesteps of each stream and
        carries the LSTM state: each step of the chunk forecasts the
        ``horizon`` steps that follow it, as :meth:`forecast` does on the
        whole sequence (up to float32 rounding), also from the last
        ``horizon`` steps read, whose future has not come yet.  See
        :ref:`streaming_guide`.

        Parameters
        ----------
        X_chunk : array-like of shape (n_streams, chunk_len, n_features) or \
(n_streams, chunk_len), or list of arrays of shape (chunk_len, n_features)
            The next timesteps of each stream (a 2-D array holds univariate
            streams); every stream advances by the same ``chunk_len``.
        state : StreamState or None, default=None
            The state returned by the previous call on these streams (by
            any of the ``*_chunk`` methods); None starts new streams.

        Returns
        -------
        forecasts : ndarray of shape (n_streams, chunk_len, horizon[, \
n_features])
            ``forecasts[:, t, k]`` forecasts the step ``k + 1`` steps after
            step ``t`` of the chunk.  The feature axis is dropped for a 2-D
            chunk.
        state : StreamState
            The state after the chunk, for the next call (NumPy arrays: it
            pickles).
        """
        seqs, S, _, state = self._stream(X_chunk, state)
        S = S.reshape(S.shape[:2] + (self.horizon, -1))
        if seqs.kind == "2d":
            S = S[..., 0]
        return to_namespace_of(X_chunk, S), state

    def score_samples_chunk(self, X_chunk, state=None):
        """Normality of streams read one chunk at a time (higher is more
        normal): the score of each stream read so far.

        Feeds the next ``chunk_len`` (>= 1) timesteps of each stream and
        carries what the score needs: after the chunk, the score of a
        stream is :meth:`score_samples` of everything it has read (up to
        float32 rounding), whatever the chunk sizes.  With
        ``anomaly_score='state_distance'`` the state carries both
        snapshots' LSTM states and the summed squared distances to every
        training sequence's states (n_streams x n_training_sequences
        float64 per snapshot); a stream longer than a training sequence is
        compared with it over that sequence's steps, so once a stream has
        read more steps than the longest training sequence its score no
        longer changes.  With ``'forecast_error'`` it carries the last
        ``horizon`` inputs and forecasts and the summed squared forecast
        errors; the score is NaN until a stream has read more than
        ``horizon`` steps (no forecast can be checked before).  See
        :ref:`streaming_guide`.

        Parameters
        ----------
        X_chunk : array-like of shape (n_streams, chunk_len, n_features) or \
(n_streams, chunk_len), or list of arrays of shape (chunk_len, n_features)
            The next timesteps of each stream.
        state : StreamState or None, default=None
            The state returned by the previous call on these streams (by
            any of the ``*_chunk`` methods); None starts new streams.

        Returns
        -------
        scores : ndarray of shape (n_streams,)
            Higher is more normal.
        state : StreamState
            The state after the chunk, for the next call.
        """
        _, _, scores, state = self._stream(X_chunk, state)
        return to_namespace_of(X_chunk, scores), state

    def decision_function_chunk(self, X_chunk, state=None):
        """``score_samples_chunk - offset_``: negative for the streams that
        are outliers so far.

        Parameters
        ----------
        X_chunk : array-like of shape (n_streams, chunk_len, n_features) or \
(n_streams, chunk_len), or list of arrays of shape (chunk_len, n_features)
            The next timesteps of each stream.
        state : StreamState or None, default=None
            The state returned by the previous call; None starts new streams.

        Returns
        -------
        scores : ndarray of shape (n_streams,)
        state : StreamState
            The state after the chunk, for the next call.
        """
        _, _, scores, state = self._stream(X_chunk, state)
        return to_namespace_of(X_chunk, scores - self.offset_), state

    def predict_chunk(self, X_chunk, state=None):
        """Label streams read one chunk at a time: +1 normal so far, -1
        anomalous.

        :meth:`predict` of everything each stream has read.  A stream
        without a score yet (NaN: ``anomaly_score='forecast_error'``
        before ``horizon + 1`` steps) is labelled +1.

        Parameters
        ----------
        X_chunk : array-like of shape (n_streams, chunk_len, n_features) or \
(n_streams, chunk_len), or list of arrays of shape (chunk_len, n_features)
            The next timesteps of each stream.
        state : StreamState or None, default=None
            The state returned by the previous call; None starts new streams.

        Returns
        -------
        labels : ndarray of shape (n_streams,)
        state : StreamState
            The state after the chunk, for the next call.
        """
        _, _, scores, state = self._stream(X_chunk, state)
        labels = np.where(scores - self.offset_ < 0, -1, 1)
        return to_namespace_of(X_chunk, labels), state

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
        """Mean of :meth:`score_samples` (higher is better; for model
        selection on held-out normal data).

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
