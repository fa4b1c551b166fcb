# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""LSTMClassifier: LSTM layers, a dense head and a softmax."""

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.metrics import accuracy_score
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d

from sklstm import _bag
from sklstm._backend import follows_input_namespace, get_namespace, to_namespace_of
from sklstm._base import (
    BaseLSTM,
    HeadMixin,
    flatten_valid,
    keeps_state_on_error,
    pad_sequence_targets,
)
from sklstm._docstrings import fill_doc
from sklstm._functional import log_softmax
from sklstm._losses import LOSSES
from sklstm._sequences import SequenceData, check_lengths_match, is_nested_sequence


@fill_doc
class LSTMClassifier(HeadMixin, ClassifierMixin, BaseLSTM):
    """LSTM classifier for sequences: LSTM layers → Dense → softmax.

    Classifies whole sequences (the head reads the last hidden state, or
    the mean of the hidden states: ``pooling``), or
    every timestep of a sequence when ``y`` holds one label per timestep.
    Trained with softmax cross-entropy by mini-batch Adam, RMSprop or SGD.

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
        the test accuracy from 0.742-0.789 to 0.769-0.784 over five seeds,
        before ``pooling='auto'``) and 0 otherwise.
    return_sequences : bool or 'auto', default='auto'
        Whether ``y`` has one label per timestep. ``'auto'``: yes when ``y``
        is 2-D with one column per timestep of ``X``, or a list of label
        sequences.
    pooling : {'auto', 'last', 'mean'}, default='auto'
        What the dense head reads of a sequence: the last LSTM layer's
        states at its last step ('last'; bidirectional layers add the
        reverse states at its first step), or their mean over all its steps
        ('mean').  'auto' is 'mean' for token input (texts from
        :class:`Embedder`: on movie-review sentiment it raised the test
        accuracy from 0.769-0.784 to 0.774-0.793 over five seeds) and 'last'
        otherwise.  Unused with per-timestep labels.
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
        Share of the data held out for early stopping (stratified).
    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes in the loss, as in
        :class:`~sklearn.linear_model.LogisticRegression`.
    validation_split : {'random', 'last'}, default='random'
        Which samples are held out for early stopping: a random
        ``validation_fraction`` ('random', stratified for classification),
        or the last ``validation_fraction`` of them in the order given
        ('last'), so that windows of a time series in time order are
        validated on the most recent period instead of on windows drawn
        from between (and overlapping) the training windows.
    bag : 'auto' or bool, default='auto'
        Also fit a bag of n-grams beside the network: a
        :class:`~sklearn.linear_model.LogisticRegression` (``C=10``) on each
        text's tokens and pairs of adjacent tokens, counted, weighted by
        inverse document frequency and divided by the text's length (a
        TF-IDF model of the token ids), whose class scores are averaged with
        the network's (the geometric mean of both models' probabilities).
        'auto' (True) fits it for token input with one label per text, and
        never for other sequences; ``fit`` fits it after the network,
        ``partial_fit`` leaves it as the last ``fit`` left it.  Streaming,
        the prediction after each step and ONNX export include it.  See
        :ref:`text_guide`.
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
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Features per timestep; for 2-D ``X``, the number of timesteps.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``X`` was a 2-D DataFrame.
    n_outputs_ : int
        Number of outputs of the dense head (``len(classes_)``).
    n_iter_ : int
        Epochs run.
    t_ : int
        Training samples seen.
    loss_ : float
        Training loss of the last epoch.
    loss_curve_ : list of float
        Training loss of each epoch.
    best_loss_ : float or None
        Lowest training loss (None with early stopping).
    validation_scores_ : list of float or None
        Validation accuracy of each epoch (None without early stopping or
        ``validation_data``).
    best_validation_score_ : float or None
        Best validation accuracy (None without early stopping or
        ``validation_data``).
    history_ : list of dict
        One dict per epoch: ``epoch``, ``loss``, ``time`` (seconds), and
        with early stopping ``validation_loss`` and ``validation_score``.
    coefs_ : list of dict
        Weights as NumPy arrays in PyTorch's ``nn.LSTM`` layout and gate
        order (i, f, g, o): one dict per LSTM layer (``weight_ih``,
        ``weight_hh``, ``bias_ih``, ``bias_hh``, plus ``*_reverse`` when
        bidirectional), then one for the head (``weight``, ``bias``).
    bag_ : bool
        Whether a bag of n-grams is averaged into the scores (``bag``
        resolved).
    bag_token_scores_ : ndarray of shape (n_tokens, n_classes) or None
        The bag's logistic regression as class scores per token id (its
        weights times the token's inverse document frequency): a text's bag
        scores are the mean over its steps of its token's row and its
        pair's row, plus ``bag_intercept_`` (None without a bag).
    bag_pair_keys_ : ndarray of shape (n_pairs,) or None
        The pairs of adjacent token ids ``(a, b)`` seen in training, keyed
        ``a * n_tokens + b``, sorted; a pair not among them scores 0.
    bag_pair_scores_ : ndarray of shape (n_pairs, n_classes) or None
        The class scores of each of those pairs.
    bag_intercept_ : ndarray of shape (n_classes,) or None
        The bag's intercept, per class.

    See Also
    --------
    LSTMRegressor : The same network with a linear output and squared loss.
    sklearn.neural_network.MLPClassifier : The feed-forward model whose
        interface this follows.

    Notes
    -----
    Computation is in float32. Sequences of different lengths are padded
    internally and padding never changes a result.

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm import LSTMClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 15, 1))
    >>> y = np.where(X[:, 0, 0] > 0, "up", "down")  # set by the first step
    >>> clf = LSTMClassifier(hidden_layer_sizes=16, learning_rate_init=0.005,
    ...                      max_iter=40, random_state=0).fit(X, y)
    >>> clf.classes_
    array(['down', 'up'], dtype='<U4')
    >>> float(clf.score(X, y)) > 0.85
    True
    """

    _parameter_constraints = {
        **BaseLSTM._parameter_constraints,
        **HeadMixin._head_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "bag": [StrOptions({"auto"}), "boolean"],
    }
    _loss = LOSSES["cross_entropy"]

    def __init__(
        self,
        hidden_layer_sizes=(64,),
        *,
        cell="lstm",
        bidirectional=False,
        dropout="auto",
        return_sequences="auto",
        pooling="auto",
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
        class_weight=None,
        bag="auto",
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
        self.class_weight = class_weight
        self.bag = bag

    def __setstate__(self, state):
        # classifiers saved before the bag have none; those saved with the
        # bag of vectors that preceded the n-grams have token rows only
        state = {"bag": False, **state}
        if "coefs_" in state and "bag_" not in state:
            state.update(bag_=False, bag_token_scores_=None, bag_intercept_=None)
        if "bag_" in state and "bag_pair_keys_" not in state:
            rows = state["bag_token_scores_"]
            state["bag_pair_keys_"] = None if rows is None else np.zeros(0, np.int64)
            state["bag_pair_scores_"] = None if rows is None else rows[:0].copy()
        super().__setstate__(state)

    # ---------------------------------------------------------------- fit
    @keeps_state_on_error
    def fit(self, X, y, sample_weight=None, validation_data=None):
        """Fit the model to sequences ``X`` and labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_features) or \
(n_samples, n_timesteps), or list of arrays of shape (n_timesteps_i, n_features)
            Training sequences; a 2-D array holds univariate sequences and a
            list holds sequences of different lengths.
        y : array-like of shape (n_samples,), or per-timestep labels of shape \
(n_samples, n_timesteps) or a list of label sequences
            Labels of any type (strings included).
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
        self : LSTMClassifier
            Fitted estimator.
        """
        self._validate_params()
        return self._fit(
            X, y, sample_weight, incremental=False, validation_data=validation_data
        )

    @keeps_state_on_error
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Train for exactly one epoch over ``X``, keeping earlier training.

        Parameters
        ----------
        X : array-like or list of arrays
            Sequences, as in :meth:`fit`.
        y : array-like
            Labels, as in :meth:`fit`.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sequence in the loss.
        classes : array-like of shape (n_classes,), default=None
            All the classes; required on the first call.

        Returns
        -------
        self : LSTMClassifier
            The estimator, trained one more epoch.
        """
        if not hasattr(self, "coefs_"):
            self._validate_params()
            if classes is None:
                raise ValueError(
                    "classes must be passed on the first call to partial_fit."
                )
            if self.class_weight == "balanced":
                raise ValueError(
                    "class_weight='balanced' is not supported by partial_fit; pass a "
                    "dict of class weights."
                )
            if self.bag is True:
                raise ValueError(
                    "bag=True needs fit: partial_fit trains the network only (a "
                    "model fitted with a bag keeps it through later partial_fit "
                    "calls).  Use bag='auto' or False, or call fit first."
                )
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _is_sequence_target(self, y, seqs):
        if self.return_sequences != "auto":
            return bool(self.return_sequences)
        if is_nested_sequence(y):
            return True
        shape = getattr(y, "shape", None) or np.asarray(y).shape
        return len(shape) == 2 and shape[1] > 1 and shape[1] == seqs.lengths.max()

    def _encode_targets(self, y, seqs, first_call, classes=None):
        if y is None:
            raise ValueError(
                "LSTMClassifier requires y to be passed, but the target y is None."
            )
        sequence = self._is_sequence_target(y, seqs)
        if sequence:
            labels = pad_sequence_targets(
                y if is_nested_sequence(y) else np.asarray(y),
                seqs.lengths,
                dense_X=not seqs.ragged,
            )
            flat = flatten_valid(labels, seqs.lengths)
        else:
            labels = flat = column_or_1d(y, warn=True)
            check_lengths_match(seqs, labels)
        check_classification_targets(flat)
        if self.bag is True and (seqs.tokens is None or sequence):
            what = "per-timestep labels" if sequence else "input that is not texts"
            raise ValueError(
                "bag=True averages a logistic regression on each text's tokens "
                "and token pairs into the class scores: it needs token sequences "
                f"(an Embedder's output) and one label per text; got {what}.  "
                "Use bag='auto' or False."
            )
        if first_call:
            self.classes_ = np.unique(flat if classes is None else np.asarray(classes))
            if len(self.classes_) < 2:
                raise ValueError(
                    "LSTMClassifier needs samples of at least 2 classes in the data; "
                    f"got only 1 class: {self.classes_.tolist()}."
                )
            self.n_outputs_ = len(self.classes_)
            self._class_weights = self._compute_class_weights(flat)
        elif classes is not None and not np.array_equal(
            np.unique(np.asarray(classes)), self.classes_
        ):
            raise ValueError(
                f"classes={np.asarray(classes).tolist()} is not the same as on the "
                f"first call to partial_fit ({self.classes_.tolist()})."
            )
        unknown = np.setdiff1d(np.unique(flat), self.classes_)
        if len(unknown):
            where = (
                "in classes"
                if first_call and classes is not None
                else "seen in the first fit"
            )
            raise ValueError(f"y contains labels not {where}: {unknown.tolist()[:10]}.")
        Y = np.searchsorted(self.classes_, labels)
        if sequence:
            Y[np.arange(Y.shape[1])[None, :] >= seqs.lengths[:, None]] = 0
        return Y.astype(np.intp), sequence

    def _fit_beside_network(self, seqs, Y, sw, first_call, incremental):
        """Resolve ``bag_`` and fit the bag of n-grams (``fit`` only; a
        ``partial_fit`` leaves the bag as the last ``fit`` left it)."""
        if incremental:
            if first_call:
                self.bag_ = False
                self._set_bag(None)
            return
        tokens = seqs.tokens
        self.bag_ = bool(self.bag) and tokens is not None and not self._sequence_targets
        if not self.bag_:
            self._set_bag(None)
            return
        extra = self._element_weights(Y)
        weights = sw if extra is None else sw * extra
        self._set_bag(
            _bag.fit_bag(
                seqs.data,
                seqs.offsets,
                seqs.lengths,
                len(tokens.vectors),
                Y,
                weights,
                self.n_outputs_,
            )
        )

    def _set_bag(self, bag):
        """Keep a fitted :class:`~sklstm._bag.Bag` (or None) as attributes."""
        self.bag_token_scores_ = None if bag is None else bag.token_scores
        self.bag_pair_keys_ = None if bag is None else bag.pair_keys
        self.bag_pair_scores_ = None if bag is None else bag.pair_scores
        self.bag_intercept_ = None if bag is None else bag.intercept

    def _get_bag(self):
        return _bag.Bag(
            self.bag_token_scores_,
            self.bag_pair_keys_,
            self.bag_pair_scores_,
            self.bag_intercept_,
        )

    def _raw_scores(self, seqs, idx=None, *, net=None, xp=np, flat=False):
        S = super()._raw_scores(seqs, idx, net=net, xp=xp, flat=flat)
        if net is not None or not getattr(self, "bag_", False):
            return S  # a fit's validation scores the network alone
        if idx is None:
            idx = np.arange(seqs.n_samples)
        bag = _bag.bag_scores(
            self._get_bag(),
            seqs.data,
            seqs.offsets[idx],
            seqs.lengths[idx],
        )
        return _bag.combine(S, bag)

    def _stream_tag(self):
        tag = super()._stream_tag()
        return tag + "+bag" if getattr(self, "bag_", False) else tag

    def _stream_extras(self):
        return ("bag_sum", "bag_last") if getattr(self, "bag_", False) else ()

    def _stream_scores_on(self, net, seqs, state, xp):
        seqs, S, new = super()._stream_scores_on(net, seqs, state, xp)
        if not getattr(self, "bag_", False):
            return seqs, S, new
        # checked by the base class to hold the entries
        prev = None if state is None else state.extra["bag_last"]
        total = _bag.step_sums(
            self._get_bag(), seqs.data, seqs.offsets, seqs.lengths, prev
        )
        if state is not None:
            total += state.extra["bag_sum"]
        # the id that ends each stream's chunk (chunks hold >= 1 step)
        last = np.asarray(seqs.data)[seqs.offsets + seqs.lengths - 1]
        new.extra["bag_sum"], new.extra["bag_last"] = total, last.astype(np.int64)
        bag = total / new.n_steps + self.bag_intercept_
        return seqs, _bag.combine(S, bag), new

    def _compute_class_weights(self, flat):
        if self.class_weight is None:
            return None
        if isinstance(self.class_weight, dict):
            missing = set(self.class_weight) - set(self.classes_.tolist())
            if missing:
                raise ValueError(
                    f"class_weight has labels not in y: {sorted(missing)}."
                )
        return compute_class_weight(self.class_weight, classes=self.classes_, y=flat)

    def _element_weights(self, Yb):
        if self._class_weights is None:
            return None
        return self._class_weights[Yb]

    def _batch_targets(self, Yb, xp):
        return xp.asarray(Yb.ravel())

    def _decode_scores(self, S):
        return S.argmax(axis=-1)

    def _metric(self, y_true, y_pred, sample_weight=None):
        return accuracy_score(y_true, y_pred, sample_weight=sample_weight)

    # ------------------------------------------------------------ predict
    @follows_input_namespace
    def predict(self, X):
        """Predict the label of each sequence (or of each timestep).

        Parameters
        ----------
        X : array-like or list of arrays
            Sequences, as in :meth:`fit`.

        Returns
        -------
        y : ndarray of shape (n_samples,), or per-timestep labels of shape \
(n_samples, n_timesteps) (a list of arrays for ragged ``X``)
            Predicted labels.
        """
        seqs, S = self._predict_scores(X)
        return self._as_input_layout(seqs, self.classes_[S.argmax(axis=-1)])

    @follows_input_namespace
    def predict_log_proba(self, X):
        """Log of the class probabilities.

        Parameters
        ----------
        X : array-like or list of arrays
            Sequences, as in :meth:`fit`.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes), or \
(n_samples, n_timesteps, n_classes) / a list for per-timestep labels
            Log-probabilities, columns ordered as ``classes_``.
        """
        seqs, S = self._predict_scores(X)
        S = np.moveaxis(S.astype(np.float64), -1, 0)
        return self._as_input_layout(seqs, np.moveaxis(log_softmax(S, xp=np), 0, -1))

    @follows_input_namespace
    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : array-like or list of arrays
            Sequences, as in :meth:`fit`.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes), or \
(n_samples, n_timesteps, n_classes) / a list for per-timestep labels
            Probabilities, columns ordered as ``classes_``.
        """
        logp = self.predict_log_proba(X)
        if isinstance(logp, list):
            return [np.exp(p) for p in logp]
        return np.exp(logp)

    @follows_input_namespace
    def predict_proba_steps(self, X):
        """Class probabilities after each timestep: how the prediction
        evolves along each sequence.

        Step ``t`` of sequence ``i`` holds ``predict_proba`` of the sequence
        cut after its first ``t + 1`` steps: for a text, the probability of
        each class after each word, a reading of which words moved the
        model.  Each prefix is run on its own, so the result is exact for
        bidirectional networks too (the cost grows with the square of the
        length).

        Parameters
        ----------
        X : array-like or list of arrays
            Sequences, as in :meth:`fit`.

        Returns
        -------
        proba : list of ndarray of shape (n_timesteps_i, n_classes)
            One array per sequence; columns ordered as ``classes_``.
        """
        check_is_fitted(self)
        if self._sequence_targets:
            raise ValueError(
                "This model predicts a label per timestep already: use predict_proba."
            )
        seqs = self._check_X(X, reset=False)
        prefixes = _prefixes(seqs)
        S = self._raw_scores(prefixes, xp=get_namespace(self.device, fitted=True))
        proba = np.exp(log_softmax(S.T.astype(np.float64), xp=np)).T
        return np.split(proba, np.cumsum(seqs.lengths)[:-1])

    def predict_log_proba_chunk(self, X_chunk, state=None):
        """Log class probabilities of streams read one chunk at a time.

        Feeds the next ``chunk_len`` (>= 1) timesteps of each stream and
        carries the recurrent state: reading a sequence in chunks of any
        sizes gives what :meth:`predict_log_proba` gives on the whole
        sequence (up to float32 rounding).  A model with per-timestep
        labels returns the chunk's steps; a per-sequence model returns the
        prediction for each stream read so far, as ``predict_log_proba``
        of everything read (with ``pooling='mean'`` the state carries the
        running sum of the states, so the mean stays exact).  See
        :ref:`streaming_guide`.

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
        log_proba : ndarray of shape (n_streams, n_classes), or \
(n_streams, chunk_len, n_classes) for per-timestep labels
            Columns ordered as ``classes_``.
        state : StreamState
            The state after the chunk, for the next call (NumPy arrays: it
            pickles).
        """
        logp, state = self._log_proba_chunk(X_chunk, state)
        return to_namespace_of(X_chunk, logp), state

    def _log_proba_chunk(self, X_chunk, state):
        _, S, state = self._stream_scores(X_chunk, state)
        S = np.moveaxis(S.astype(np.float64), -1, 0)
        return np.moveaxis(log_softmax(S, xp=np), 0, -1), state

    def predict_proba_chunk(self, X_chunk, state=None):
        """Class probabilities of streams read one chunk at a time.

        As :meth:`predict_log_proba_chunk`, exponentiated: equal to
        :meth:`predict_proba` on everything read (per-sequence labels) or on
        the chunk's steps (per-timestep labels).  See :ref:`streaming_guide`.

        Parameters
        ----------
        X_chunk : array-like of shape (n_streams, chunk_len, n_features) or \
(n_streams, chunk_len), or list of arrays of shape (chunk_len, n_features)
            The next timesteps of each stream.
        state : StreamState or None, default=None
            The state returned by the previous call; None starts new streams.

        Returns
        -------
        proba : ndarray of shape (n_streams, n_classes), or \
(n_streams, chunk_len, n_classes) for per-timestep labels
            Columns ordered as ``classes_``.
        state : StreamState
            The state after the chunk, for the next call.
        """
        logp, state = self._log_proba_chunk(X_chunk, state)
        return to_namespace_of(X_chunk, np.exp(logp)), state

    def predict_chunk(self, X_chunk, state=None):
        """Labels of streams read one chunk at a time.

        The label of each stream read so far (per-sequence labels), or of
        each step of the chunk (per-timestep labels), as :meth:`predict`
        gives on the whole sequence.  See :meth:`predict_log_proba_chunk`
        and :ref:`streaming_guide`.

        Parameters
        ----------
        X_chunk : array-like of shape (n_streams, chunk_len, n_features) or \
(n_streams, chunk_len), or list of arrays of shape (chunk_len, n_features)
            The next timesteps of each stream.
        state : StreamState or None, default=None
            The state returned by the previous call; None starts new streams.

        Returns
        -------
        y : ndarray of shape (n_streams,), or (n_streams, chunk_len) for \
per-timestep labels
            Predicted labels.
        state : StreamState
            The state after the chunk, for the next call.
        """
        _, S, state = self._stream_scores(X_chunk, state)
        return to_namespace_of(X_chunk, self.classes_[S.argmax(axis=-1)]), state

    score = BaseLSTM.score

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags


def _prefixes(seqs):
    """Every prefix of every sequence, as ragged sequences sharing the data."""
    lengths = seqs.lengths
    if seqs.ragged:
        data, offsets = seqs.data, seqs.offsets
    else:  # dense (n, T, F): the same rows, read as concatenated sequences
        n, T = seqs.data.shape[:2]
        data = seqs.data.reshape(n * T, -1)
        offsets = np.arange(n, dtype=np.intp) * T
    starts = np.repeat(offsets, lengths)
    ends = np.concatenate([np.arange(1, L + 1) for L in lengths]).astype(np.intp)
    kind = "tokens" if seqs.tokens is not None else "ragged"
    return SequenceData(data, ends, starts, kind, tokens=seqs.tokens)
