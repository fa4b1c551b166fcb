# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""LSTMTranscriber: sequences to shorter label sequences with the CTC loss."""

from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from sklstm._base import PREDICT_BATCH, BaseLSTM, flatten_valid, keeps_state_on_error
from sklstm._ctc import (
    beam_decode,
    greedy_decode,
    lexicon_decode,
    min_frames,
)
from sklstm._docstrings import fill_doc
from sklstm._functional import log_softmax
from sklstm._losses import LOSSES
from sklstm.metrics import character_error_rate, check_transcripts

_LEXICON_MAX = 1000  # decoder='auto' chooses no larger lexicon


@fill_doc
class LSTMTranscriber(BaseLSTM):
    """Sequence-to-text LSTM trained with Connectionist Temporal Classification.

    Maps each input sequence (e.g. spectrogram frames of a recording) to a
    shorter sequence of labels (e.g. its characters) without any frame-level
    alignment: LSTM layers → Dense → softmax over the labels and a *blank*
    at every frame, trained with the CTC loss (Graves et al., 2006), the sum
    over all the alignments of the target computed exactly by a log-space
    forward-backward recursion.  Predictions are decoded from the frame
    probabilities by best path (greedy), prefix beam search, or as the
    likeliest entry of a lexicon (the default for a closed vocabulary).

    Read more in the :ref:`User Guide <speech_guide>`.

    Parameters
    ----------
    hidden_layer_sizes : int or tuple of int, default=(128,)
        Units of each LSTM layer (per direction).
    cell : %(cells)s, default='lstm'
        The recurrent cell of every layer: long short-term memory, or a
        gated recurrent unit with PyTorch's ``nn.GRU`` equations (three
        gates instead of four: a quarter fewer weights).
    bidirectional : bool, default=True
        Run every layer forwards and backwards in time, so each frame's
        output sees the whole sequence (the usual choice for CTC).
    dropout : float or 'auto', default='auto'
        Dropout rate between LSTM layers ('auto': 0.5 for token input, else
        0).
    decoder : {'auto', 'greedy', 'beam', 'lexicon'}, default='auto'
        How :meth:`predict` turns frame probabilities into labels: 'greedy'
        takes the likeliest symbol at each frame, then merges repeats and
        removes blanks; 'beam' runs a prefix beam search, which sums the
        alignments of each labelling (slower, sometimes better); 'lexicon'
        returns the entry of ``lexicon`` with the highest CTC likelihood
        (the sum over all its alignments), for a closed vocabulary.
        'auto' is 'lexicon' when ``lexicon`` is given or the training
        transcripts are a closed vocabulary (each distinct transcript
        occurs five times on average, and there are at most 1000 of them:
        spoken commands, digits, keywords), else 'greedy'; it is resolved
        at fit (from the transcripts of each :meth:`partial_fit` call) into
        ``decoder_``.
    beam_width : int, default=10
        Prefixes kept by the beam search.
    lexicon : list of str or of label sequences, default=None
        The transcripts ``decoder='lexicon'`` chooses from; None is the
        distinct transcripts of the training data.
    frame_repeat : int or 'auto', default='auto'
        Read every input step this many times in a row, so that the network
        emits that many frames per step: CTC needs a frame for each label
        of a transcript (and a blank between repeated labels), which short
        sequences of stacked spectrogram frames may not have.  'auto' is the
        smallest number that gives every training sequence enough frames
        for its transcript (1 when they all have them), resolved at the
        first fit into ``frame_repeat_``.
    solver : %(solvers)s, default='adam'
        Optimizer; 'sgd' uses momentum 0.9.
    learning_rate_init : float, default=0.003
        Step size of the optimizer.
    alpha : float, default=0.0001
        L2 penalty on the weights (not biases), scaled by the batch size.
    clip_norm : float or None, default=5.0
        Clip the gradient to this global L2 norm before each update.
    batch_size : int or 'auto', default='auto'
        Sequences per mini-batch; 'auto' is ``min(32, n_samples)``.
    max_iter : int, default=200
        Maximum number of epochs.
    shuffle : bool, default=True
        Shuffle the samples every epoch.
    tol : float, default=1e-4
        Minimum relative improvement of the monitored loss.
    n_iter_no_change : int, default=10
        Stop after this many epochs without an improvement of ``tol``.
    early_stopping : bool or 'auto', default='auto'
        Hold out ``validation_fraction`` of the data, stop when its CTC loss
        stops improving and restore the best epoch's weights. 'auto'
        enables it from 1000 samples on, or when ``fit`` is given
        ``validation_data``.
    validation_fraction : float, default=0.1
        Share of the data held out for early stopping.
    validation_split : {'random', 'last'}, default='random'
        Hold out a random ``validation_fraction``, or the last samples.
    random_state : int, RandomState instance or None, default=None
        Seeds weights, shuffling, the validation split and dropout.
    warm_start : bool, default=False
        Continue from the previous fit's weights and optimizer state.
    verbose : int, default=0
        0 is silent, 1 prints a line per epoch, 2 adds a progress bar.
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
    decoder_ : str
        The decoder :meth:`predict` uses: ``decoder``, or what 'auto'
        resolved to at fit.
    frame_repeat_ : int
        Times each input step is read: ``frame_repeat``, or what 'auto'
        resolved to.
    lexicon_ : list
        The transcripts of ``decoder='lexicon'``: ``lexicon``, or the
        distinct training transcripts.
    classes_ : ndarray of shape (n_symbols,)
        The symbols (characters, or labels) the model can output, sorted.
        Output unit ``k + 1`` of the network is ``classes_[k]``; unit 0 is
        the blank.
    n_outputs_ : int
        ``len(classes_) + 1``.
    n_features_in_ : int
        Features per timestep.
    n_iter_ : int
        Epochs run.
    t_ : int
        Training samples seen.
    loss_ : float
        Mean CTC loss (``-log p(target)`` per sequence) of the last epoch.
    loss_curve_ : list of float
        Training loss of each epoch.
    best_loss_ : float or None
        Lowest training loss (None with early stopping).
    validation_scores_ : list of float or None
        ``1 - character error rate`` of greedy decoding on the validation
        set at each epoch (None without early stopping or
        ``validation_data``).
    best_validation_score_ : float or None
        Validation score of the restored epoch.
    history_ : list of dict
        One dict per epoch: ``epoch``, ``loss``, ``time``, and with early
        stopping ``validation_loss`` and ``validation_score``.
    coefs_ : list of dict
        Weights of each layer, in PyTorch's gate order.

    See Also
    --------
    LSTMClassifier : One label per sequence (e.g. the spoken word).
    SpectrogramTransformer : Audio to spectrogram frames.
    sklstm.metrics.character_error_rate : The error rate :meth:`score` uses.

    Notes
    -----
    A target needs at least as many frames as it has labels, plus one for
    each pair of equal neighbours (``'ee'`` is emitted ``e``, blank,
    ``e``).  With ``frame_repeat='auto'`` the first fit reads every step
    as many times as it takes to give every training sequence enough
    frames for its target; with a fixed ``frame_repeat``, or in a later
    :meth:`partial_fit`, a sequence too short for its target is a
    ``ValueError`` that names it.

    Examples
    --------
    Spell out spoken digits (generated recordings), with the default
    speech front end of :class:`SpectrogramTransformer`.  Three words said
    250 times are a closed vocabulary, so ``decoder='auto'`` chose the
    lexicon decoder:

    >>> from sklearn.pipeline import make_pipeline
    >>> from sklstm import LSTMTranscriber, Normaliser, SpectrogramTransformer
    >>> from sklstm.datasets import make_spoken_words
    >>> X, y = make_spoken_words(300, words=3, random_state=0)
    >>> model = make_pipeline(
    ...     SpectrogramTransformer(sampling_rate=8000),
    ...     Normaliser(),
    ...     LSTMTranscriber(hidden_layer_sizes=32, max_iter=40, random_state=0),
    ... )
    >>> model.fit(X[:250], y[:250]).predict(X[250:254])
    array(['two', 'two', 'zero', 'two'], dtype='<U4')
    >>> y[250:254]
    array(['two', 'two', 'zero', 'two'], dtype='<U4')
    >>> model[-1].decoder_
    'lexicon'
    >>> float(round(model.score(X[250:], y[250:]), 2))   # 1 - CER
    1.0
    """

    _parameter_constraints: dict = {
        **BaseLSTM._parameter_constraints,
        "decoder": [StrOptions({"auto", "greedy", "beam", "lexicon"})],
        "beam_width": [Interval(Integral, 1, None, closed="left")],
        "lexicon": ["array-like", None],
        "frame_repeat": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
    }

    _loss = LOSSES["ctc"]
    _checkpoints = False  # fit computes more after training

    def __init__(
        self,
        hidden_layer_sizes=(128,),
        *,
        cell="lstm",
        bidirectional=True,
        dropout="auto",
        decoder="auto",
        beam_width=10,
        lexicon=None,
        frame_repeat="auto",
        solver="adam",
        learning_rate_init=0.003,
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
        self.decoder = decoder
        self.beam_width = beam_width
        self.lexicon = lexicon
        self.frame_repeat = frame_repeat

    @keeps_state_on_error
    def fit(self, X, y, sample_weight=None, validation_data=None):
        """Fit the model to sequences ``X`` and their transcripts ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_features), or \
list of arrays of shape (n_timesteps_i, n_features)
            Input sequences, e.g. the spectrograms of recordings.
        y : list of str, or list of sequences of labels
            The transcript of each sequence: a string (spelled character by
            character) or a sequence of hashable labels (e.g. phonemes or
            words).  Each needs no more labels than its sequence has frames;
            an empty one (e.g. a clip of silence) is allowed.
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
        self : LSTMTranscriber
            Fitted estimator.
        """
        self._validate_params()
        self._fit(X, y, sample_weight, validation_data=validation_data)
        self.lexicon_ = []
        self._update_lexicon(y)
        return self

    @keeps_state_on_error
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Train for exactly one epoch over ``X``, keeping earlier training.

        Parameters
        ----------
        X : array-like or list of arrays
            Sequences, as in :meth:`fit`.
        y : list of str, or list of sequences of labels
            Transcripts, as in :meth:`fit`.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sequence in the loss.
        classes : array-like, default=None
            Every symbol the model will ever output (e.g. ``list("abc...")``),
            used on the first call only; None takes the symbols of the first
            ``y``, and later transcripts may then use no other.

        Returns
        -------
        self : LSTMTranscriber
            The estimator, trained one more epoch.
        """
        first = not hasattr(self, "coefs_")
        if first:
            self._validate_params()
        self._fit(X, y, sample_weight, incremental=True, classes=classes)
        if first:
            self.lexicon_ = []
        self._update_lexicon(y)
        return self

    def __setstate__(self, state):
        # transcribers saved before frame_repeat read each step once
        state = {"frame_repeat": 1, **state}
        if "coefs_" in state:
            state = {"frame_repeat_": 1, **state}
        super().__setstate__(state)

    def _decoder(self):
        """``decoder``, with 'auto' as resolved at fit."""
        return self.decoder_ if self.decoder == "auto" else self.decoder

    def _resolve_decoder(self, y):
        """'auto': the lexicon for a closed vocabulary, judged on the
        transcripts ``y`` of this fit (or partial_fit)."""
        if self.decoder != "auto":
            return self.decoder
        n_distinct = len(set(_hashable(y)))
        closed = n_distinct <= min(_LEXICON_MAX, len(y) / 5)
        return "lexicon" if self.lexicon is not None or closed else "greedy"

    def _update_lexicon(self, y):
        """``lexicon``, or the distinct transcripts of every ``y`` so far."""
        entries = y if self.lexicon is None else self.lexicon
        self.lexicon_ = list(dict.fromkeys(self.lexicon_ + _hashable(entries)))
        self._encode_lexicon(self.lexicon_)  # fail now on unknown symbols
        self.decoder_ = self._resolve_decoder(y)

    # ---------------------------------------------------------- base hooks
    def _check_X(self, X, *, reset):
        # a first fit resolves frame_repeat_ from the transcripts, and
        # repeats the steps then (_encode_targets)
        seqs = super()._check_X(X, reset=reset)
        return seqs if reset else seqs.repeat_steps(self.frame_repeat_)

    def _encode_targets(self, y, seqs, first_call, classes=None):
        if y is None:
            raise ValueError(
                "LSTMTranscriber requires y to be passed, but the target y is None."
            )
        transcripts, strings = check_transcripts(y)
        if len(transcripts) != seqs.n_samples:
            raise ValueError(
                "X and y have inconsistent numbers of samples: "
                f"{seqs.n_samples} sequences but {len(transcripts)} transcripts."
            )
        if first_call:
            if classes is not None:
                symbols = set(np.asarray(classes, dtype=object).tolist())
            else:
                symbols = {s for t in transcripts for s in t}
            try:
                symbols = sorted(symbols)
            except TypeError:
                kinds = sorted({type(s).__name__ for s in symbols})
                raise TypeError(
                    f"The symbols of y mix types ({', '.join(kinds)}) and cannot be "
                    "sorted: use transcripts that are all strings, or label "
                    "sequences of one type."
                ) from None
            if not symbols:
                raise ValueError("The transcripts y are all empty: nothing to learn.")
            self.classes_ = np.array(symbols)
            self.n_outputs_ = len(symbols) + 1
            self._string_targets = strings
            if self.lexicon is not None:  # fail before training, not after
                self._encode_lexicon(_hashable(self.lexicon))
        index = {s: k + 1 for k, s in enumerate(self.classes_.tolist())}
        Y = np.empty(len(transcripts), dtype=object)
        for i, t in enumerate(transcripts):
            unknown = [s for s in t if s not in index]
            if unknown:
                raise ValueError(
                    f"y[{i}] holds {unknown[0]!r}, a symbol not seen in the first "
                    f"fit; the model knows {self.classes_.tolist()} (for "
                    "partial_fit, pass every symbol as classes= on the first call)."
                )
            Y[i] = np.array([index[s] for s in t], dtype=np.intp)
        need = np.array([min_frames(labels) for labels in Y], dtype=np.intp)
        if first_call:  # the steps of X are read frame_repeat_ times from now on
            self.frame_repeat_ = self._resolve_frame_repeat(need, seqs.lengths)
            seqs.repeat_steps(self.frame_repeat_)
        short = np.flatnonzero(need > seqs.lengths)
        if short.size:
            i = short[0]
            raise ValueError(
                f"y[{i}] = {_show(y[i])} needs at least {need[i]} "
                f"timesteps (one per label, and a blank between repeats), but "
                f"X[{i}] has only {seqs.lengths[i]}.  Use more frames per "
                "second (a smaller SpectrogramTransformer stack or hop_ms, "
                "or frame_repeat) or shorter transcripts."
            )
        return Y, True

    def _resolve_frame_repeat(self, need, lengths):
        if self.frame_repeat != "auto":
            return int(self.frame_repeat)
        return max(1, int(np.max(-(-need // np.maximum(lengths, 1)))))

    def _encode_lexicon(self, entries):
        labels, _ = check_transcripts(entries)
        index = {s: k + 1 for k, s in enumerate(self.classes_.tolist())}
        out = []
        for entry, t in zip(entries, labels, strict=True):
            unknown = [s for s in t if s not in index]
            if unknown:
                raise ValueError(
                    f"lexicon entry {_show(entry)} holds {unknown[0]!r}, a symbol "
                    f"the model cannot output; it knows {self.classes_.tolist()}."
                )
            out.append(np.array([index[s] for s in t], dtype=np.intp))
        return out

    def _batch_targets(self, Yb, xp):  # CTC reads the label sequences directly
        return Yb

    def _decode_scores(self, S):
        return greedy_decode(S, np.full(len(S), S.shape[1]))

    def _metric(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = list(y_true), list(y_pred)
        if not any(len(t) for t in y_true):
            # a validation set of empty transcripts, where the rate is
            # undefined: labels predicted where none belong, per transcript
            return 1.0 - sum(len(p) for p in y_pred) / len(y_pred)
        return 1.0 - character_error_rate(y_true, y_pred)

    def _targets_and_weights(self, Y, sw, idx, lengths, z_shape, xp):
        # CTC reads each sequence's labels and frame count as they are
        return (list(Y[idx]), lengths), sw[idx]

    def _validate(self, net, seqs, Y, sw, idx, xp):
        S = self._raw_scores(seqs, idx, net=net, xp=xp)  # (n, T, K)
        lengths = seqs.lengths[idx]
        Z = np.ascontiguousarray(S.transpose(2, 1, 0), dtype=np.float64)
        loss, _ = self._loss(Z, (list(Y[idx]), lengths), sw[idx], xp=np)
        pred = greedy_decode(S, lengths)
        truth = [y.tolist() for y in Y[idx]]
        return loss, self._metric(truth, [p.tolist() for p in pred])

    # ------------------------------------------------------------- predict
    def _frame_log_proba(self, X):
        """Validated sequences, and a generator of their frame
        log-probabilities in chunks of similar length: ``(idx, logp,
        lengths)`` with ``logp`` of shape (len(idx), T_chunk, K), float64.

        Chunks bound the memory of decoding: one padded (n, T_max, K)
        float64 array for all of ``X`` grows with the longest sequence
        times the number of sequences.
        """
        seqs, S = self._predict_scores(X)
        lengths = seqs.lengths
        if not seqs.ragged:  # (n, T, K): make it flat like ragged scores
            S = flatten_valid(S, lengths)
        starts = np.cumsum(lengths) - lengths

        def chunks():
            order = np.argsort(lengths, kind="stable")
            for first in range(0, len(order), PREDICT_BATCH):
                idx = order[first : first + PREDICT_BATCH]
                L = lengths[idx]
                steps = np.arange(L.max())
                valid = steps < L[:, None]
                rows = np.where(valid, starts[idx][:, None] + steps, 0)
                Z = np.moveaxis(S[rows].astype(np.float64), -1, 0)  # (K, m, T)
                yield idx, np.moveaxis(log_softmax(Z, xp=np), 0, -1), L

        return seqs, chunks()

    def predict_log_proba_frames(self, X):
        """Log-probabilities of the blank and every symbol at each frame.

        Parameters
        ----------
        X : array-like or list of arrays
            Sequences, as in :meth:`fit`.

        Returns
        -------
        log_proba : list of ndarray of shape (n_timesteps_i, n_symbols + 1)
            One array per sequence; column 0 is the blank and column
            ``k + 1`` is ``classes_[k]``.
        """
        seqs, chunks = self._frame_log_proba(X)
        out = [None] * len(seqs.lengths)
        for idx, logp, lengths in chunks:
            for i, lp, L in zip(idx, logp, lengths, strict=True):
                out[i] = lp[:L]
        return out

    def predict(self, X):
        """Transcribe sequences.

        Parameters
        ----------
        X : array-like or list of arrays
            Sequences, as in :meth:`fit`.

        Returns
        -------
        y : ndarray of str of shape (n_samples,), or list of ndarray
            The transcripts: strings when the model was fitted on strings,
            else one array of labels (from ``classes_``) per sequence.
        """
        check_is_fitted(self)
        seqs, chunks = self._frame_log_proba(X)
        decoder = self._decoder()
        if decoder == "lexicon":
            entries = self._lexicon_entries()
        labels = [None] * len(seqs.lengths)
        for idx, logp, lengths in chunks:
            if decoder == "greedy":
                decoded = greedy_decode(logp, lengths)
            elif decoder == "lexicon":
                best = lexicon_decode(logp, lengths, entries, xp=np)
                greedy = greedy_decode(logp, lengths)  # where no entry fits
                decoded = [
                    entries[b] if b >= 0 else g
                    for b, g in zip(best, greedy, strict=True)
                ]
            else:
                decoded = [
                    beam_decode(lp[:L], self.beam_width)
                    for lp, L in zip(logp, lengths, strict=True)
                ]
            for i, lab in zip(idx, decoded, strict=True):
                labels[i] = lab
        out = [self.classes_[lab - 1] for lab in labels]
        if self._string_targets:
            return np.array(["".join(t) for t in out])
        return out

    def _lexicon_entries(self):
        """The lexicon as label sequences (``lexicon`` may be set after fit)."""
        entries = self.lexicon_
        if self.lexicon is not None:
            entries = list(dict.fromkeys(_hashable(self.lexicon)))
        return self._encode_lexicon(entries)

    def score(self, X, y, sample_weight=None):
        """One minus the character error rate of :meth:`predict` on ``X``.

        Parameters
        ----------
        X : array-like or list of arrays
            Sequences.
        y : list of str, or list of sequences of labels
            True transcripts.
        sample_weight : None
            Not supported (the rate pools the edits of all transcripts);
            must be None.

        Returns
        -------
        score : float
            ``1 - character_error_rate(y, predict(X))``: 1 is perfect.
        """
        if sample_weight is not None:
            raise ValueError(
                "LSTMTranscriber.score pools the edits of all transcripts and does "
                "not take sample_weight."
            )
        transcripts, _ = check_transcripts(y)
        y_pred = self.predict(X)
        return 1.0 - character_error_rate(transcripts, [list(p) for p in y_pred])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.target_tags.one_d_labels = False
        return tags


def _hashable(transcripts):
    """Transcripts as strings or tuples of labels (to find the distinct)."""
    labels, _ = check_transcripts(transcripts)
    return [
        str(t) if isinstance(t, str) else tuple(lab)  # np.str_ -> str
        for t, lab in zip(transcripts, labels, strict=True)
    ]


def _show(t):
    return repr(t) if isinstance(t, str) else repr(list(t))
