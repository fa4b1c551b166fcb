# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""LSTMRegressor: LSTM layers and a linear dense head."""

import functools
from numbers import Real
from types import MethodType

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils import check_array
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from sklstm._backend import follows_input_namespace, to_namespace_of
from sklstm._base import (
    BaseLSTM,
    HeadMixin,
    flatten_valid,
    keeps_state_on_error,
    pad_sequence_targets,
    value_targets,
)
from sklstm._docstrings import fill_doc
from sklstm._losses import LOSSES, Quantile, check_quantiles
from sklstm._sequences import check_lengths_match, is_nested_sequence


def _target_statistics(Y, lengths=None):
    """Mean and scale (standard deviation, 1 where it is 0) of each target
    of ``Y`` (n, k), or of the valid steps of padded ``Y`` (n, T, k)."""
    if lengths is not None:
        Y = flatten_valid(Y, lengths)
    # divided by the largest magnitude first, so that squares of targets
    # near float64's range do not overflow
    big = np.abs(Y).max(axis=0, initial=0.0)
    big[big == 0] = 1.0
    mean = (Y / big).mean(axis=0) * big
    scale = (Y / big).std(axis=0) * big
    # as sklearn's StandardScaler, constant targets are only centred, unless
    # they are so large that the rounding of the centring itself needs scaling
    floor = 10 * np.finfo(np.float64).eps * np.maximum(1.0, np.abs(mean))
    tiny = scale < floor
    scale[tiny] = np.maximum(floor[tiny], 1.0)
    return mean, scale


class _needs_quantiles:
    """A method that exists only on a model fitted with ``loss='quantile'``
    (or, unfitted, set to be): as scikit-learn's ``available_if``, so that
    ``hasattr`` is False on others, but whose AttributeError says why."""

    def __init__(self, method):
        self.method = method
        functools.update_wrapper(self, method)

    def __get__(self, est, owner=None):
        if est is None:
            return self.method
        _check_fits_quantiles(est)
        return MethodType(self.method, est)


def _check_fits_quantiles(est):
    fitted = hasattr(est, "coefs_")
    if fitted and getattr(est, "quantiles_", None) is not None:
        return
    if not fitted and est.loss == "quantile":
        return
    was = "was fitted with" if fitted else "has"
    raise AttributeError(
        f"This {type(est).__name__} {was} loss='squared_error', which predicts "
        "no quantiles: set loss='quantile' (and the levels, quantiles=(0.05, "
        "0.5, 0.95) by default) and fit it to use predict_quantiles and "
        "predict_interval."
    )


@fill_doc
class LSTMRegressor(HeadMixin, RegressorMixin, BaseLSTM):
    """LSTM regressor for sequences: LSTM layers → Dense (linear output).

    Predicts one or several values per sequence (the head reads the last
    hidden state), or per timestep when ``y`` holds a value per timestep.
    Trained on the squared error (or, with ``loss='quantile'``, on the
    pinball loss of several quantiles of each target, for prediction
    intervals) by mini-batch Adam, RMSprop or SGD, on
    targets standardised to zero mean and unit variance (``normalise_y``),
    so that targets in any unit train as well as targets of unit scale.
    The inputs are not rescaled: put
    :class:`~sklstm.preprocessing.Normaliser` before the model.

    Parameters
    ----------
    hidden_layer_sizes : int or tuple of int, default=(64,)
        Units of each LSTM layer; ``(64, 32)`` stacks two layers.
    cell : %(cells)s, default='lstm'
        The recurrent cell of every layer: long short-term memory, or a
        gated recurrent unit with PyTorch's ``nn.GRU`` equations (three
        gates instead of four: a quarter fewer weights).
    bidirectional : bool, default=False
        Run every layer forwards and backwards in time and concatenate the
        two states (doubles the cost).
    dropout : float or 'auto', default='auto'
        Dropout rate on the non-recurrent connections: between LSTM layers
        and, for token input (texts from :class:`Embedder`), also on the
        word vectors and on the last layer's states before the dense head.
        'auto' is 0.5 for token input (on movie-review sentiment it raised
        the test accuracy from 0.742-0.789 to 0.769-0.784 over five seeds)
        and 0 otherwise.
    return_sequences : bool or 'auto', default='auto'
        Whether ``y`` has one value per timestep. ``'auto'``: yes when ``y``
        is 3-D (n_samples, n_timesteps, n_targets) or a list of sequences; a
        2-D ``y`` means several targets per sequence, so pass ``True`` for
        2-D per-timestep targets (n_samples, n_timesteps).
    pooling : {'auto', 'last', 'mean'}, default='auto'
        What the dense head reads of a sequence: the last LSTM layer's
        states at its last step ('last'), or their mean over all its steps
        ('mean').  'auto' is 'mean' for token input (texts from
        :class:`Embedder`) and 'last' otherwise.  Unused with per-timestep
        targets.
    loss : {'squared_error', 'quantile'}, default='squared_error'
        The training objective.  'squared_error' predicts the conditional
        mean.  'quantile' (quantile regression, Koenker and Bassett, 1978)
        trains one head output per target and level of ``quantiles`` on
        their mean pinball loss, so that they predict the conditional
        quantiles of each target: :meth:`predict_quantiles` returns them
        and :meth:`predict_interval` the interval between a symmetric pair;
        :meth:`predict` returns the median (see ``quantiles``) and
        :meth:`score` stays the R² of :meth:`predict`.
    quantiles : float or array-like of float, default=(0.05, 0.5, 0.95)
        With ``loss='quantile'``, the quantile levels to fit, each strictly
        between 0 and 1, in increasing order without repeats; ignored
        otherwise.  :meth:`predict` returns the level 0.5 when it is among
        them, else the median of the predicted levels (the middle one, or
        the mean of the two middle ones for an even number of levels).
        The default gives the 90 percent interval ``predict_interval(X,
        coverage=0.9)``.
    normalise_y : bool, default=True
        Train on the targets standardised with their mean and standard
        deviation over the training data (each target separately, over
        every valid timestep for per-timestep targets), and map the
        predictions back.  Without it, targets far from unit scale (prices
        in dollars, values of order 1e-6 or 1e6) train badly or not at all
        with the default learning rate.  Warm starts and
        :meth:`partial_fit` keep the first fit's statistics.
    solver : %(solvers)s, default='adam'
        Optimizer; 'sgd' uses momentum 0.9.
    learning_rate_init : float, default=0.001
        Step size of the optimizer.
    alpha : float, default=0.0001
        L2 penalty on the weights (not biases), scaled by the batch size
        as in :class:`~sklearn.neural_network.MLPClassifier`.
    clip_norm : float or None, default=5.0
        Clip the gradient to this global L2 norm before each update.
    batch_size : int or 'auto', default='auto'
        Sequences per mini-batch; 'auto' is ``min(32, n_samples)``.
        Batches group sequences of similar length.
    max_iter : int, default=200
        Maximum number of epochs.
    shuffle : bool, default=True
        Shuffle the samples every epoch.
    tol : float, default=1e-4
        Minimum improvement of the monitored loss (validation loss with
        early stopping, training loss otherwise).
    n_iter_no_change : int, default=10
        Stop after this many epochs without an improvement of ``tol``.
    early_stopping : bool or 'auto', default='auto'
        Hold out ``validation_fraction`` of the data, stop when its loss
        stops improving and restore the weights of the best epoch. 'auto'
        enables it from 1000 samples on, or when ``fit`` is given
        ``validation_data``.
    validation_fraction : float, default=0.1
        Share of the data held out for early stopping.
    validation_split : {'random', 'last'}, default='random'
        Which samples are held out for early stopping: a random
        ``validation_fraction`` ('random', stratified for classification),
        or the last ``validation_fraction`` of them in the order given
        ('last'), so that windows of a time series in time order are
        validated on the most recent period instead of on windows drawn
        from between (and overlapping) the training windows.
    random_state : int, RandomState instance or None, default=None
        Seeds weights, shuffling, the validation split and dropout: an int
        makes fits repeatable bit for bit.
    warm_start : bool, default=False
        Continue from the previous fit's weights **and** optimizer state.
    verbose : int, default=0
        0 is silent, 1 prints a line per epoch, 2 adds a progress bar (tqdm
        when installed).
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
    n_features_in_ : int
        Features per timestep; for 2-D ``X``, the number of timesteps.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``X`` was a 2-D DataFrame.
    n_outputs_ : int
        Number of outputs of the dense head: the number of targets, times
        ``len(quantiles_)`` with ``loss='quantile'`` (one output per target
        and level, target-major).
    n_iter_ : int
        Epochs run.
    t_ : int
        Training samples seen.
    loss_ : float
        Training loss of the last epoch: half the mean squared error (or
        the mean pinball loss with ``loss='quantile'``), of the
        standardised targets with ``normalise_y``.
    loss_curve_ : list of float
        Training loss of each epoch.
    best_loss_ : float or None
        Lowest training loss (None with early stopping).
    validation_scores_ : list of float or None
        Validation R² of each epoch (None without early stopping or
        ``validation_data``).
    best_validation_score_ : float or None
        Best validation R² (None without early stopping or
        ``validation_data``).
    quantiles_ : ndarray of shape (n_quantiles,) or None
        The fitted quantile levels (None with ``loss='squared_error'``).
    y_mean_ : ndarray of shape (n_targets,) or None
        Mean of each training target, subtracted before training (None
        without ``normalise_y``).
    y_scale_ : ndarray of shape (n_targets,) or None
        Standard deviation of each training target (1 where it is zero),
        by which the centred targets are divided (None without
        ``normalise_y``).
    history_ : list of dict
        One dict per epoch: ``epoch``, ``loss``, ``time`` (seconds), and
        with early stopping ``validation_loss`` and ``validation_score``.
    coefs_ : list of dict
        Weights as NumPy arrays in PyTorch's ``nn.LSTM`` layout and gate
        order (i, f, g, o): one dict per LSTM layer (``weight_ih``,
        ``weight_hh``, ``bias_ih``, ``bias_hh``, plus ``*_reverse`` when
        bidirectional), then one for the head (``weight``, ``bias``).
        With ``normalise_y`` the head outputs standardised targets:
        ``prediction = head_output * y_scale_ + y_mean_`` (for each
        quantile of a target, with that target's statistics).

    See Also
    --------
    LSTMClassifier : The same network with a softmax output.
    sklearn.neural_network.MLPRegressor : The feed-forward model whose
        interface this follows.

    Notes
    -----
    Computation is in float32; predictions are returned as float64.

    Quantiles fitted separately may cross (a 0.05 quantile above the 0.5
    one).  The quantile methods return them sorted for each prediction:
    the monotone rearrangement of Chernozhukov, Fernandez-Val and Galichon
    (2010), which never takes a set of quantile predictions further from
    the true quantiles.  The target standardisation maps each quantile
    back with its target's positive scale, which keeps their order.

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm import LSTMRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(-1, 1, size=(300, 10))
    >>> y = X[:, 0] + X[:, -1]  # depends on both ends of each sequence
    >>> reg = LSTMRegressor(hidden_layer_sizes=16, max_iter=40,
    ...                     random_state=0).fit(X, y)
    >>> float(reg.score(X, y)) > 0.8
    True
    """

    _parameter_constraints = {
        **BaseLSTM._parameter_constraints,
        **HeadMixin._head_constraints,
        "loss": [StrOptions({"squared_error", "quantile"})],
        "quantiles": ["array-like", Interval(Real, 0, 1, closed="neither")],
        "normalise_y": ["boolean"],
    }

    _loss = LOSSES["squared_error"]

    def __init__(
        self,
        hidden_layer_sizes=(64,),
        *,
        cell="lstm",
        bidirectional=False,
        dropout="auto",
        return_sequences="auto",
        pooling="auto",
        loss="squared_error",
        quantiles=(0.05, 0.5, 0.95),
        normalise_y=True,
        solver="adam",
        learning_rate_init=0.001,
        alpha=0.0001,
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
            callbacks=callbacks,
            device=device,
        )
        self.return_sequences = return_sequences
        self.pooling = pooling
        self.loss = loss
        self.quantiles = quantiles
        self.normalise_y = normalise_y

    @keeps_state_on_error
    def fit(self, X, y, sample_weight=None, validation_data=None):
        """Fit the model to sequences ``X`` and targets ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_features) or \
(n_samples, n_timesteps), or list of arrays of shape (n_timesteps_i, n_features)
            Training sequences; a 2-D array holds univariate sequences and a
            list holds sequences of different lengths.
        y : array-like of shape (n_samples,) or (n_samples, n_targets), or \
per-timestep targets (see ``return_sequences``)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sequence in the loss.
        validation_data : tuple (X_val, y_val), default=None
            Held-out sequences and targets, in the form of ``X`` and ``y``,
            scored after every epoch (``validation_scores_``) instead of a
            ``validation_fraction`` of ``X``.  With ``early_stopping`` True
            or 'auto', training stops on their loss and keeps the best
            epoch's weights; with ``early_stopping=False`` they are only
            scored.  In a pipeline, build it with
            :func:`sklstm.pipeline.make_pipeline`, whose ``fit`` transforms
            them through the earlier steps.

        Returns
        -------
        self : LSTMRegressor
            Fitted estimator.
        """
        self._validate_params()
        return self._fit(
            X, y, sample_weight, incremental=False, validation_data=validation_data
        )

    @keeps_state_on_error
    def partial_fit(self, X, y, sample_weight=None):
        """Train for exactly one epoch over ``X``, keeping earlier training.

        Parameters
        ----------
        X : array-like or list of arrays
            Sequences, as in :meth:`fit`.
        y : array-like
            Targets, as in :meth:`fit`.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sequence in the loss.

        Returns
        -------
        self : LSTMRegressor
            The estimator, trained one more epoch.
        """
        if not hasattr(self, "coefs_"):
            self._validate_params()
        return self._fit(X, y, sample_weight, incremental=True)

    def _encode_targets(self, y, seqs, first_call, classes=None):
        if y is None:
            raise ValueError(
                "LSTMRegressor requires y to be passed, but the target y is None."
            )
        nested = is_nested_sequence(y)
        if nested:
            y = [
                check_array(r, ensure_2d=False, dtype=np.float64, input_name="y")
                for r in y
            ]
        else:
            y = check_array(
                y, ensure_2d=False, allow_nd=True, dtype=np.float64, input_name="y"
            )
        auto = self.return_sequences == "auto"
        sequence = (nested or y.ndim == 3) if auto else bool(self.return_sequences)
        if sequence:
            Y = pad_sequence_targets(y, seqs.lengths, dense_X=not seqs.ragged)
            squeeze = Y.ndim == 2
            if squeeze:
                Y = Y[..., None]
            if Y.ndim != 3:
                raise ValueError(
                    f"Per-timestep targets y must be 2-D or 3-D; got {Y.ndim}-D."
                )
        else:
            if y.ndim > 2:
                raise ValueError(f"y must be 1-D or 2-D; got shape {y.shape}.")
            check_lengths_match(seqs, y)
            squeeze = y.ndim == 1
            Y = y[:, None] if squeeze else y
        quantiles = None
        if self.loss == "quantile":
            quantiles = check_quantiles(self.quantiles)
        if first_call:
            self.quantiles_ = quantiles
            # an instance's loss: the class's stays LOSSES["squared_error"]
            self._loss = LOSSES["squared_error"]
            if quantiles is not None:
                self._loss = Quantile(quantiles)
            self.n_outputs_ = Y.shape[-1] * (1 if quantiles is None else len(quantiles))
            self._squeeze_output = squeeze
            self.y_mean_, self.y_scale_ = None, None
            if self.normalise_y:
                self.y_mean_, self.y_scale_ = _target_statistics(
                    Y, seqs.lengths if sequence else None
                )
        else:
            fitted = getattr(self, "quantiles_", None)
            if (quantiles is None) != (fitted is None) or (
                fitted is not None and not np.array_equal(quantiles, fitted)
            ):
                was = "loss='squared_error'"
                if fitted is not None:
                    was = f"loss='quantile', quantiles={fitted.tolist()}"
                raise ValueError(
                    f"loss={self.loss!r}, quantiles={self.quantiles!r} but the "
                    "previous fit, which warm_start=True and partial_fit "
                    f"continue, was trained with {was}; refit from scratch "
                    "(warm_start=False) or restore the parameters."
                )
            if Y.shape[-1] != self._n_targets():
                raise ValueError(
                    f"y has {Y.shape[-1]} targets but the model was fitted with "
                    f"{self._n_targets()}."
                )
            if bool(self.normalise_y) != (self.y_mean_ is not None):
                raise ValueError(
                    f"normalise_y={self.normalise_y} but the previous fit, which "
                    "warm_start=True and partial_fit continue, was trained with "
                    f"normalise_y={not self.normalise_y}; refit from scratch "
                    "(warm_start=False) or restore the parameter."
                )
        if self.y_mean_ is not None:
            Y = (Y - self.y_mean_) / self.y_scale_
        return Y, sequence

    def __setstate__(self, state):
        # models saved before normalise_y existed trained on raw targets
        if "normalise_y" not in state:
            state = {**state, "normalise_y": False}
            if "coefs_" in state:
                state.update(y_mean_=None, y_scale_=None)
        # and those saved before loss existed, on the squared error
        if "loss" not in state:
            state = {**state, "loss": "squared_error", "quantiles": (0.05, 0.5, 0.95)}
            if "coefs_" in state:
                state.update(quantiles_=None)
        super().__setstate__(state)

    def _n_targets(self):
        q = getattr(self, "quantiles_", None)
        return self.n_outputs_ if q is None else self.n_outputs_ // len(q)

    def _values(self, S):
        """Raw scores (..., n_outputs_) in the units of y, float64: (...,
        n_targets), or for a quantile model (..., n_targets, n_quantiles)
        sorted along the levels (the monotone rearrangement)."""
        S = self._sorted_levels(S.astype(np.float64))
        mean, scale = self.y_mean_, self.y_scale_
        if getattr(self, "quantiles_", None) is not None:
            if mean is not None:
                mean, scale = mean[:, None], scale[:, None]
        if mean is not None:
            S = S * scale + mean
        return S

    def _sorted_levels(self, S):
        """A quantile model's scores (..., n_outputs_) as (..., n_targets,
        n_quantiles), sorted along the levels; other models' as they are."""
        q = getattr(self, "quantiles_", None)
        if q is None:
            return S
        return np.sort(S.reshape(S.shape[:-1] + (-1, len(q))), axis=-1)

    def _predictions(self, S):
        """``predict``'s values from raw scores: in y's units, a quantile
        model's median, a single target squeezed as y was given."""
        P = self._point(self._values(S))
        return P[..., 0] if self._squeeze_output else P

    def _point(self, V):
        """Point predictions (..., n_targets) from :meth:`_values`: the
        values themselves, or a quantile model's median (the level 0.5 if
        fitted, else the median of the sorted levels)."""
        q = getattr(self, "quantiles_", None)
        if q is None:
            return V
        half = np.flatnonzero(np.isclose(q, 0.5, rtol=0, atol=1e-12))
        if len(half):
            return V[..., half[0]]
        return np.median(V, axis=-1)

    def _batch_targets(self, Yb, xp):
        return value_targets(Yb, xp)

    def _decode_scores(self, S):
        # standardised, for the validation R² (the same as in y's units)
        return self._point(self._sorted_levels(S))

    def _metric(self, y_true, y_pred, sample_weight=None):
        return r2_score(y_true, y_pred, sample_weight=sample_weight)

    @follows_input_namespace
    def predict(self, X):
        """Predict the target(s) of each sequence (or of each timestep).

        Parameters
        ----------
        X : array-like or list of arrays
            Sequences, as in :meth:`fit`.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_targets), or \
per-timestep values (a list of arrays for ragged ``X``)
            Predicted values, float64.
        """
        seqs, S = self._predict_scores(X)
        return self._as_input_layout(seqs, self._predictions(S))

    @_needs_quantiles
    @follows_input_namespace
    def predict_quantiles(self, X, quantiles=None):
        """Predict quantiles of the target(s) (``loss='quantile'``).

        Named after sktime's ``predict_quantiles``; the levels come last,
        as its columns (variable, then level).  The levels of each
        prediction are sorted (monotone rearrangement: quantiles never
        cross).

        Parameters
        ----------
        X : array-like or list of arrays
            Sequences, as in :meth:`fit`.
        quantiles : float or array-like of float, default=None
            Levels to return, each one of the fitted ``quantiles_`` (the
            model predicts no others); None returns all of them.

        Returns
        -------
        y_quantiles : ndarray of shape (n_samples, n_quantiles) or \
(n_samples, n_targets, n_quantiles), or per-timestep values \
(n_samples, n_timesteps[, n_targets], n_quantiles) (a list of arrays for \
ragged ``X``)
            The predicted quantiles, in the units of ``y``, float64; the
            target axis is absent where ``y`` was 1-D (or 2-D per-timestep).

        Raises
        ------
        AttributeError
            For a model fitted with ``loss='squared_error'``.
        ValueError
            When a level of ``quantiles`` was not fitted.
        """
        check_is_fitted(self)
        seqs, V = self._level_values(X, self._level_columns(quantiles))
        return self._as_input_layout(seqs, V)

    @_needs_quantiles
    @follows_input_namespace
    def predict_interval(self, X, coverage=0.9):
        """Predict the central interval of the target(s) that holds a
        ``coverage`` share of their distribution (``loss='quantile'``).

        Named after sktime's ``predict_interval``, and returned as a
        ``(lower, upper)`` pair as conformal regressors return theirs.  Its
        bounds are the fitted quantiles ``(1 - coverage) / 2`` and
        ``(1 + coverage) / 2``, e.g. 0.05 and 0.95 for ``coverage=0.9``,
        which must both be among ``quantiles_``: ``lower, upper =
        reg.predict_interval(X)`` are ``predict_quantiles(X, [0.05,
        0.95])[..., 0]`` and ``[..., 1]``.

        Parameters
        ----------
        X : array-like or list of arrays
            Sequences, as in :meth:`fit`.
        coverage : float, default=0.9
            Nominal share of the targets inside the interval, in (0, 1).

        Returns
        -------
        lower : ndarray of shape (n_samples,) or (n_samples, n_targets), \
or per-timestep values
            Lower bounds, shaped as :meth:`predict`'s output (a list of
            arrays for ragged ``X``), in the units of ``y``, float64.
        upper : ndarray, shaped as ``lower``
            Upper bounds.

        Raises
        ------
        AttributeError
            For a model fitted with ``loss='squared_error'``.
        ValueError
            When the fitted quantiles hold no pair for ``coverage``.
        """
        check_is_fitted(self)
        q = self.quantiles_
        real = isinstance(coverage, Real) and not isinstance(coverage, bool)
        if not real or not 0 < coverage < 1:
            raise ValueError(f"coverage must be a float in (0, 1); got {coverage!r}.")
        bounds = ((1 - coverage) / 2, (1 + coverage) / 2)
        columns = [np.flatnonzero(np.isclose(q, b, rtol=0, atol=1e-9)) for b in bounds]
        if not all(len(c) for c in columns):
            pairs = [
                f"{hi - lo:.6g} ({lo:g}, {hi:g})"
                for lo in q[q < 0.5]
                for hi in q[np.isclose(q, 1 - lo, rtol=0, atol=1e-9)]
            ]
            raise ValueError(
                f"coverage={coverage!r} needs the quantiles {bounds[0]:.6g} and "
                f"{bounds[1]:.6g}, but the model was fitted with quantiles "
                f"{q.tolist()}; the coverages they give: "
                f"{', '.join(pairs) if pairs else 'none (no symmetric pair)'}.  "
                "Refit with quantiles that include the pair."
            )
        seqs, V = self._level_values(X, [c[0] for c in columns])
        return tuple(self._as_input_layout(seqs, V[..., j]) for j in (0, 1))

    def _level_columns(self, quantiles):
        """Indices in ``quantiles_`` of the levels ``quantiles`` (None: all)."""
        fitted = self.quantiles_
        if quantiles is None:
            return np.arange(len(fitted))
        try:
            wanted = np.atleast_1d(np.asarray(quantiles, dtype=np.float64))
        except (TypeError, ValueError):
            wanted = None
        if wanted is None or wanted.ndim != 1 or wanted.size == 0:
            raise ValueError(
                "quantiles must be None, a float or a 1-D sequence of floats; "
                f"got {quantiles!r}."
            )
        match = np.isclose(wanted[:, None], fitted[None, :], rtol=0, atol=1e-9)
        missing = wanted[~match.any(axis=1)]
        if len(missing):
            raise ValueError(
                f"quantiles {missing.tolist()} were not fitted: the model "
                f"predicts the quantiles {fitted.tolist()} it was fitted with "
                "(quantiles_); refit with the levels you need."
            )
        return match.argmax(axis=1)

    def _level_values(self, X, columns):
        """Validated sequences and their predicted quantiles ``columns``
        (indices in ``quantiles_``), levels last."""
        seqs, S = self._predict_scores(X)
        V = self._values(S)[..., columns]
        if self._squeeze_output:
            V = V[..., 0, :]
        return seqs, V

    def predict_chunk(self, X_chunk, state=None):
        """Predictions for streams read one chunk at a time.

        Feeds the next ``chunk_len`` (>= 1) timesteps of each stream and
        carries the recurrent state: reading a sequence in chunks of any
        sizes gives what :meth:`predict` gives on the whole sequence (up to
        float32 rounding).  A model with per-timestep targets returns the
        chunk's steps; a per-sequence model returns the prediction for each
        stream read so far, as ``predict`` of everything read (with
        ``pooling='mean'`` the state carries the running sum of the states,
        so the mean stays exact).  See :ref:`streaming_guide`.

        Parameters
        ----------
        X_chunk : array-like of shape (n_streams, chunk_len, n_features) or \
(n_streams, chunk_len), or list of arrays of shape (chunk_len, n_features)
            The next timesteps of each stream (a 2-D array holds univariate
            streams); every stream advances by the same ``chunk_len``.
        state : StreamState or None, default=None
            The state returned by the previous call on these streams; None
            starts new streams.  Needs a unidirectional model.

        Returns
        -------
        y : ndarray of shape (n_streams,) or (n_streams, n_targets), or \
(n_streams, chunk_len[, n_targets]) for per-timestep targets
            Predicted values, float64.
        state : StreamState
            The state after the chunk, for the next call (NumPy arrays: it
            pickles).
        """
        _, S, state = self._stream_scores(X_chunk, state)
        return to_namespace_of(X_chunk, self._predictions(S)), state

    score = BaseLSTM.score

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags
