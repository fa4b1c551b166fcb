# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""LSTMLanguageModel: next-word prediction trained on a token stream."""

import copy
import math
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from sklstm._backend import get_namespace, to_numpy
from sklstm._base import (
    DTYPE,
    PREDICT_BATCH,
    hidden_sizes,
    keeps_state_on_error,
)
from sklstm._callbacks import EarlyStopping
from sklstm._cells import CELLS
from sklstm._docstrings import fill_doc
from sklstm._functional import log_softmax
from sklstm._losses import LOSSES
from sklstm._network import LSTMNetwork
from sklstm._optimizers import SOLVERS, apply_gradients, make_optimizer
from sklstm._sequences import SequenceData, TokenSequences, predict_batches
from sklstm._streaming import (
    StreamState,
    check_chunk_lengths,
    check_stream_state,
    layers_on,
    run_chunk,
    stream_key,
)
from sklstm._training import Training, fit_loop
from sklstm.callbacks import ReduceLROnPlateau

_UNK = 1  # Embedder's id of <unk>; output k predicts id k + 1
_PROBE_CHUNKS = 4  # chunks of training text that check the weights fit returns


@fill_doc
class LSTMLanguageModel(BaseEstimator):
    """Word-level LSTM language model: next-word prediction on token sequences.

    The texts given to :meth:`fit` are read as one stream of tokens, in
    order, cut into ``batch_size`` parallel streams and trained on chunks
    of ``bptt`` steps with **truncated backpropagation through time**: the
    LSTM state at the end of a chunk is the initial state of the next one,
    so the model uses context far beyond a chunk while gradients stop at
    its start.  Every position is supervised: the target at step ``t`` is
    the token at ``t + 1``, through a softmax over the whole vocabulary.

    It takes the output of :class:`~sklstm.Embedder` (a
    :class:`~sklstm.TokenSequences`): the embedding table starts from the
    embedder's vectors and is fine-tuned.  The classes are the vocabulary's
    words, so a :class:`~sklearn.pipeline.Pipeline` of the two takes
    strings in and gives words out.

    Parameters
    ----------
    hidden_layer_sizes : int or tuple of int, default=(200, 200)
        Units of each LSTM layer.
    cell : %(cells)s, default='lstm'
        The recurrent cell of every layer: long short-term memory, or a
        gated recurrent unit with PyTorch's ``nn.GRU`` equations (three
        gates instead of four: a quarter fewer weights).
    dropout : float, default=0.3
        Dropout rate on the non-recurrent connections (input vectors,
        between layers, and before the softmax), as in Zaremba et al.
        (2014); the recurrent connections are never dropped.
    bptt : int, default=35
        Steps of each training chunk: how far back gradients flow.
    batch_size : int, default=20
        Parallel token streams (sequences per batch).
    solver : %(solvers)s, default='adam'
        Optimizer.
    momentum : float, default=0.9
        Momentum of 'sgd' (ignored by the other solvers); 0 is plain SGD.
    learning_rate_init : float, default=4e-3
        Initial step size.  Divided by 4 after every epoch whose validation
        loss does not improve by ``tol``.  'sgd' needs a far larger one
        (tens, with a small ``clip_norm``) on the mean loss per token.
    clip_norm : float or None, default=5.0
        Clip the gradient's global L2 norm (parameters and the table rows of
        the batch) to this value; None disables it.
    max_iter : int, default=40
        Maximum number of epochs (passes over the training stream).
    tol : float, default=1e-3
        Minimum improvement of the validation loss (relative to the first
        epoch's) that counts as one.
    n_iter_no_change : int, default=3
        Stop after this many epochs without improvement (each followed by a
        smaller learning rate); the weights of the best epoch are restored.
    validation_fraction : float, default=0.1
        Share of the stream held out to monitor the validation loss: the
        first ``validation_fraction`` of each tenth of the stream (tenths as
        cut by ``numpy.array_split``; fewer, longer blocks for streams under
        ``10 / validation_fraction`` tokens), so that the held-out text samples
        the whole corpus and its end, often the text nearest to what the
        model will read next, stays in training.  0 monitors the training
        loss instead.
    random_state : int, RandomState instance or None, default=None
        Seeds the weights, dropout and the chunk offsets: an int makes fits
        repeatable.
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
    classes_ : ndarray of str of shape (n_classes,)
        The words the model predicts: the embedder's vocabulary without the
        padding token (``<unk>`` included).
    coefs_ : list of dict
        LSTM and output weights, NumPy arrays in PyTorch's layout.
    embeddings_ : ndarray of shape (n_tokens, n_dims)
        The fine-tuned embedding table (the embedder's is not modified).
    start_state_ : list of tuple of ndarray
        Each layer's state (the LSTM's hidden and cell state, the GRU's
        hidden state), arrays of shape (units, 1),
        after reading the end of the training stream.  Every context given
        to :meth:`predict`, :meth:`predict_proba`, :meth:`generate` or
        :meth:`score` is read from this state, as text that follows the
        training text.
    n_iter_ : int
        Epochs run.
    loss_curve_ : list of float
        Mean training cross-entropy (nats per token) of each epoch.
    validation_scores_ : list of float or None
        Mean log-likelihood per validation token of each epoch (higher is
        better; the perplexity is ``exp(-score)``); None without validation.
    best_validation_score_ : float or None
        The best of ``validation_scores_``, whose weights were kept.
    history_ : list of dict
        Per epoch: loss, validation loss and perplexity, learning rate,
        tokens per second and seconds.

    See Also
    --------
    Embedder : Texts to token sequences with a vocabulary.
    LSTMClassifier : One label per text (sentiment).

    Notes
    -----
    The texts are concatenated, so consecutive texts should be consecutive
    passages (lines of a book).  Contexts at prediction time are each read
    from ``start_state_``: in training, the state is carried along the
    stream and only its first chunks start from zeros, so a zero state
    would be a situation the model has hardly seen (measured on a
    generated corpus: after "the dogs" read from zeros, 0.77 of the
    probability went to ".").  ``<unk>`` is a word like any other in the scores
    (:meth:`score`, :meth:`perplexity`, :meth:`predict_proba`,
    :meth:`top_k_accuracy`, where a correctly predicted ``<unk>`` is a hit,
    as in the usual Penn Treebank evaluation) but is never suggested or
    generated.

    Speed: the fit gives NumPy's BLAS the cores that other processes leave
    free (measured every second; see the user guide's section on threads).
    The thread count changes float32 rounding, so bit-for-bit repeatable
    fits need the same BLAS threads as well as the same ``random_state``:
    fit inside ``threadpoolctl.threadpool_limits(1)`` where the load varies.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklstm import Embedder, LSTMLanguageModel
    >>> texts = ["the cat sat on the mat .", "the dog sat on the log ."] * 50
    >>> lm = make_pipeline(
    ...     Embedder(vectors="random", n_dims=16, random_state=0),
    ...     LSTMLanguageModel(32, bptt=8, batch_size=4, max_iter=20, random_state=0),
    ... ).fit(texts)
    >>> lm.predict(["the cat sat on"]).tolist()
    ['the']
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "cell": [StrOptions(set(CELLS))],  # one list: sklstm._cells
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "bptt": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "solver": [StrOptions(set(SOLVERS))],  # one list: sklstm._optimizers
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "clip_norm": [Interval(Real, 0, None, closed="neither"), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "random_state": ["random_state"],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "device": [StrOptions({"cpu", "cuda", "auto"})],
        "callbacks": [list, None],
    }

    _loss = LOSSES["token_cross_entropy"]

    def __init__(
        self,
        hidden_layer_sizes=(200, 200),
        *,
        cell="lstm",
        dropout=0.3,
        bptt=35,
        batch_size=20,
        solver="adam",
        momentum=0.9,
        learning_rate_init=4e-3,
        clip_norm=5.0,
        max_iter=40,
        tol=1e-3,
        n_iter_no_change=3,
        validation_fraction=0.1,
        random_state=None,
        warm_start=False,
        verbose=0,
        callbacks=None,
        device="cpu",
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.cell = cell
        self.dropout = dropout
        self.bptt = bptt
        self.batch_size = batch_size
        self.solver = solver
        self.momentum = momentum
        self.learning_rate_init = learning_rate_init
        self.clip_norm = clip_norm
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.validation_fraction = validation_fraction
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.callbacks = callbacks
        self.device = device

    # ------------------------------------------------------------------ fit
    @keeps_state_on_error
    def fit(self, X, y=None):
        """Train on the token stream of ``X``.

        Parameters
        ----------
        X : TokenSequences
            Texts as token ids (the output of :class:`~sklstm.Embedder`),
            read in order as one stream.
        y : None
            Ignored: the targets are the next tokens.

        Returns
        -------
        self : LSTMLanguageModel
            Fitted estimator.
        """
        self._validate_params()
        xp = get_namespace(self.device)
        first = not (self.warm_start and hasattr(self, "coefs_"))
        tokens = self._check_tokens(X, reset=first)
        stream = tokens._ids
        train, val = _split_stream(stream, self.validation_fraction)
        if len(train) < 2 * self.batch_size:
            raise ValueError(
                f"The training stream has {len(train)} tokens: too few for "
                f"batch_size={self.batch_size} streams of at least 2 tokens."
            )
        if self.validation_fraction > 0 and len(val) < 2:
            raise ValueError(
                f"validation_fraction={self.validation_fraction} of {len(stream)} "
                "tokens leaves fewer than 2 to validate on; give more text or "
                "set validation_fraction=0."
            )
        net = self._network(xp)
        if first:
            self._random_state = check_random_state(self.random_state)
            net.initialize(self._random_state)
            _init_head(net, self._random_state, train)
            net.set_embeddings(tokens.vectors)
            opts = [self._optimizer(), self._optimizer() if tokens.trainable else None]
            self.n_iter_, self.loss_curve_, self.history_ = 0, [], []
            self.validation_scores_ = [] if len(val) else None
            self.best_validation_score_ = None
        else:
            net.set_coefs(self.coefs_)
            net.set_embeddings(self.embeddings_)
            opts = [o if o is None else o.to(xp) for o in self._optimizers]
            for o in opts:
                if o is not None:
                    o.learning_rate = self.learning_rate_init
        self._fit_loop(net, opts, train, val, xp, first)
        self.coefs_ = net.get_coefs()
        self.embeddings_ = net.get_embeddings()
        self.start_state_ = self._read_state(net, train, xp)
        self._optimizers = [o if o is None else o.to(np) for o in opts]
        return self

    def _fit_loop(self, net, opts, train, val, xp, first):
        """Run :func:`~sklstm._training.fit_loop` over the stream
        ``train``: each epoch reads it from a random offset as
        ``batch_size`` streams, in chunks of ``bptt`` tokens, carrying the
        state from chunk to chunk; the step size is divided by 4 after an
        epoch without a ``tol`` gain."""
        rs = self._random_state
        carried = {"state": None}

        def batches():
            offset = int(rs.randint(self.bptt)) if len(train) > 4 * self.bptt else 0
            grid = _stream_grid(train[offset:], self.batch_size)
            carried["state"] = None
            return [
                grid[t : t + self.bptt + 1] for t in range(0, len(grid) - 1, self.bptt)
            ]

        def train_step(ids):
            loss, carried["state"] = self._train_step(
                net, opts, ids, carried["state"], xp
            )
            return loss, (len(ids) - 1) * ids.shape[1]

        def validate():
            loss = self._stream_loss(net, val, xp)[0]
            return {
                "validation_loss": loss,
                "validation_score": -loss,
                "validation_perplexity": math.exp(min(loss, 700.0)),
            }

        def epoch_logs(seconds, tokens):
            return {"tokens_per_s": tokens / seconds}

        monitor = "validation_loss" if len(val) else "loss"
        probe = train[: _PROBE_CHUNKS * self.bptt * self.batch_size]
        fit_loop(
            self,
            Training(
                params=net.trainable_arrays(),
                batches=batches,
                train_step=train_step,
                probe=lambda: self._stream_loss(net, probe, xp)[0],
                # the loss of uniform scores over the vocabulary
                reference=math.log(self._n_tokens - 1),
                # stops after n_iter_no_change epochs without a tol gain
                stopper=EarlyStopping(
                    self.tol,
                    self.n_iter_no_change - 1,
                    params=net.trainable_arrays(),
                    monitor=monitor,
                ),
                # a quarter of the step after every epoch without a tol gain
                callbacks=[
                    ReduceLROnPlateau(monitor, factor=0.25, patience=0, tol=self.tol)
                ],
                optimizers=list(opts),
                snapshot=lambda: self._snapshot(net, opts, train, xp),
                validate=validate if len(val) else None,
                epoch_logs=epoch_logs,
                keep_best=True,
                fix=f"Lower learning_rate_init (now {self.learning_rate_init:g})"
                + (" or set clip_norm." if self.clip_norm is None else "."),
            ),
            self.max_iter,
        )

    def _snapshot(self, net, opts, train, xp):
        """A copy of the model fitted with the network's current weights
        and optimizer state (a checkpoint)."""
        est = copy.copy(self)
        est.coefs_ = net.get_coefs()
        est.embeddings_ = net.get_embeddings()
        est.start_state_ = self._read_state(net, train, xp)
        est._optimizers = list(opts)
        return est

    def _train_step(self, net, opts, ids, state, xp):
        """One chunk: forward from ``state``, backward, update; returns the
        loss and the (detached) state to carry into the next chunk."""
        T, B = len(ids) - 1, ids.shape[1]
        ids = xp.asarray(ids)
        Z, cache = net.forward(
            ids[:-1],
            np.full(B, T),
            training=True,
            random_state=self._random_state,
            state=state,
        )
        state = net.final_state(cache)
        targets = (ids[1:] - 1).ravel()
        loss, dZ = self._loss(Z, targets, None, xp=xp)
        net.backward(dZ, cache)
        apply_gradients(net, opts, self.clip_norm, xp=xp)
        return loss, state

    def _read_state(self, net, stream, xp):
        """Each layer's (h, c), host arrays (H, 1), after reading the last
        ``4 * bptt`` tokens of ``stream`` from zeros."""
        tail = stream[-4 * self.bptt :]
        _, cache = net.forward(xp.asarray(tail[:, None]), [len(tail)], training=False)
        return [tuple(to_numpy(a) for a in s) for s in net.final_state(cache)]

    def _start(self, n, xp):
        """``start_state_`` for a batch of ``n`` contexts (None: zeros, for
        models pickled before it existed)."""
        start = getattr(self, "start_state_", None)
        if start is None:
            return None
        return [tuple(xp.asarray(np.repeat(a, n, 1)) for a in s) for s in start]

    def _stream_loss(self, net, stream, xp, k=(), start=False):
        """Mean cross-entropy over a stream read with carried state (from
        ``start_state_`` if ``start``, else from zeros), and the share of
        tokens among the top ``k`` scores for each ``k``."""
        B = max(1, min(self.batch_size, len(stream) // 2))
        grid = _stream_grid(stream, B)
        state, total, count = self._start(B, xp) if start else None, 0.0, 0
        hits = np.zeros(len(k))
        for t in range(0, len(grid) - 1, self.bptt):
            ids = xp.asarray(grid[t : t + self.bptt + 1])
            T = len(ids) - 1
            Z, cache = net.forward(ids[:-1], np.full(B, T), training=False, state=state)
            state = net.final_state(cache)
            Z = Z.reshape(Z.shape[0], -1)
            target = (ids[1:] - 1).ravel()
            cols = xp.arange(Z.shape[1])
            true = Z[target, cols]
            for j, kk in enumerate(k):
                # rank of the true word among the scores (ties count against)
                hits[j] += float(((Z > true).sum(axis=0) < kk).sum())
            logp = log_softmax(Z, xp=xp)[target, cols]
            total -= float(logp.sum())
            count += Z.shape[1]
        return total / count, hits / count

    # -------------------------------------------------------------- predict
    def score(self, X, y=None):
        """Mean log-likelihood per token of the stream of ``X`` (nats).

        The texts are read in order as one stream with carried state, as in
        training; higher is better and ``perplexity = exp(-score)``.

        Parameters
        ----------
        X : TokenSequences
            Texts as token ids.
        y : None
            Ignored.

        Returns
        -------
        score : float
        """
        net, stream, xp = self._eval_stream(X)
        return -self._stream_loss(net, stream, xp, start=True)[0]

    def perplexity(self, X):
        """Perplexity of the model on the stream of ``X``: ``exp(-score(X))``.

        Parameters
        ----------
        X : TokenSequences
            Texts as token ids.

        Returns
        -------
        perplexity : float
        """
        return math.exp(-self.score(X))

    def top_k_accuracy(self, X, k=5):
        """Share of the stream's tokens that are among the ``k`` best-scored
        words given everything before them.

        Parameters
        ----------
        X : TokenSequences
            Texts as token ids, read as one stream.
        k : int or sequence of int, default=5
            How many suggestions count.

        Returns
        -------
        accuracy : float or ndarray
            One value per ``k``.
        """
        ks = np.atleast_1d(k)
        if ks.dtype.kind not in "iu" or np.any(ks < 1):
            raise ValueError(f"k must be a positive integer or integers; got {k!r}.")
        net, stream, xp = self._eval_stream(X)
        acc = self._stream_loss(
            net, stream, xp, k=tuple(int(v) for v in ks), start=True
        )[1]
        return float(acc[0]) if np.ndim(k) == 0 else acc

    def predict_log_proba(self, X):
        """Log-probability of every word coming next after each context.

        Parameters
        ----------
        X : TokenSequences
            Contexts, each read from ``start_state_``.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        check_is_fitted(self)
        tokens = self._check_tokens(X, reset=False)
        out = np.empty((len(tokens), len(self.classes_)), dtype=DTYPE)
        for idx, logp in self._log_proba_batches(tokens):
            out[idx] = logp
        return out

    def _log_proba_batches(self, tokens):
        """``(idx, log_proba)`` of the contexts ``tokens``, a batch at a time."""
        xp = get_namespace(self.device, fitted=True)
        net = self._network(xp, fitted=True)
        net.return_sequences = False
        seqs = SequenceData(
            tokens._ids, tokens.lengths, tokens.offsets, "tokens", tokens=tokens
        )
        # contexts of similar lengths together: little padding
        for idx in predict_batches(tokens.lengths, PREDICT_BATCH):
            ids, lengths = seqs.batch(idx, dtype=DTYPE, xp=xp)
            state = self._start(len(idx), xp)
            Z, _ = net.forward(ids, lengths, training=False, state=state)
            yield idx, to_numpy(log_softmax(Z, xp=xp)).T

    def predict_proba(self, X):
        """Probability of every word coming next after each context.

        Parameters
        ----------
        X : TokenSequences
            Contexts, each read from ``start_state_``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``; rows sum to 1.
        """
        return np.exp(self.predict_log_proba(X))

    def predict(self, X):
        """The most likely next word after each context (never ``<unk>``).

        Parameters
        ----------
        X : TokenSequences
            Contexts, each read from ``start_state_``.

        Returns
        -------
        words : ndarray of str of shape (n_samples,)
        """
        return self.predict_top_k(X, k=1)[:, 0]

    def predict_top_k(self, X, k=5):
        """The ``k`` most likely next words after each context, best first.

        Parameters
        ----------
        X : TokenSequences
            Contexts, each read from ``start_state_``.
        k : int, default=5
            Number of suggestions (``<unk>`` is never one).

        Returns
        -------
        words : ndarray of str of shape (n_samples, k)
        """
        check_is_fitted(self)
        if not isinstance(k, Integral) or not 1 <= k < len(self.classes_):
            raise ValueError(
                f"k must be an integer in [1, {len(self.classes_) - 1}]; got {k!r}."
            )
        tokens = self._check_tokens(X, reset=False)
        best = np.empty((len(tokens), k), dtype=np.intp)
        for idx, logp in self._log_proba_batches(tokens):
            logp[:, _UNK - 1] = -np.inf
            best[idx] = _top_k(logp, k)
        return self.classes_[best]

    def predict_log_proba_chunk(self, X_chunk, state=None):
        """Log-probability of every word coming next, for streams of text
        read one chunk of tokens at a time.

        Feeds the next tokens of each stream and carries the LSTM state:
        after reading a text in chunks of any sizes, the result is what
        :meth:`predict_log_proba` gives for the whole text (up to float32
        rounding).  New streams start from ``start_state_``, as every
        context does.  See :ref:`streaming_guide`.

        Parameters
        ----------
        X_chunk : TokenSequences
            The next tokens of each stream (one text per stream, each of
            the same number of tokens), from the model's :class:`Embedder`.
        state : StreamState or None, default=None
            The state returned by the previous call on these streams; None
            starts new streams.

        Returns
        -------
        log_proba : ndarray of shape (n_streams, n_classes)
            The next word's log-probabilities after the chunk; columns
            follow ``classes_``.
        state : StreamState
            The state after the chunk, for the next call (NumPy arrays: it
            pickles).
        """
        check_is_fitted(self)
        tokens = self._check_tokens(X_chunk, reset=False)
        seqs = SequenceData(
            tokens._ids, tokens.lengths, tokens.offsets, "tokens", tokens=tokens
        )
        check_chunk_lengths(seqs)
        n = seqs.n_samples
        xp = get_namespace(self.device, fitted=True)
        net = self._network(xp, fitted=True)
        net.return_sequences = False
        key = stream_key(self)
        state = check_stream_state(state, key, net, n)
        ids, lengths = seqs.batch(np.arange(n), dtype=DTYPE, xp=xp)
        start = self._start(n, xp) if state is None else layers_on(state.layers, xp)
        Z, _, layers = run_chunk(net, ids, lengths, start)
        n_steps = (0 if state is None else state.n_steps) + int(lengths[0])
        logp = to_numpy(log_softmax(Z, xp=xp)).T
        return logp, StreamState(layers, n_steps, {}, key)

    def predict_proba_chunk(self, X_chunk, state=None):
        """Probability of every word coming next, for streams of text read
        one chunk of tokens at a time.

        As :meth:`predict_log_proba_chunk`, exponentiated: after a text read
        in chunks, equal to :meth:`predict_proba` of the whole text.  See
        :ref:`streaming_guide`.

        Parameters
        ----------
        X_chunk : TokenSequences
            The next tokens of each stream (the same number for each).
        state : StreamState or None, default=None
            The state returned by the previous call; None starts new streams.

        Returns
        -------
        proba : ndarray of shape (n_streams, n_classes)
            Columns follow ``classes_``; rows sum to 1.
        state : StreamState
            The state after the chunk, for the next call.
        """
        logp, state = self.predict_log_proba_chunk(X_chunk, state)
        return np.exp(logp), state

    def predict_chunk(self, X_chunk, state=None):
        """The most likely next word (never ``<unk>``) of streams of text
        read one chunk of tokens at a time.

        After a text read in chunks, equal to :meth:`predict` of the whole
        text.  See :meth:`predict_log_proba_chunk` and
        :ref:`streaming_guide`.

        Parameters
        ----------
        X_chunk : TokenSequences
            The next tokens of each stream (the same number for each).
        state : StreamState or None, default=None
            The state returned by the previous call; None starts new streams.

        Returns
        -------
        words : ndarray of str of shape (n_streams,)
        state : StreamState
            The state after the chunk, for the next call.
        """
        logp, state = self.predict_log_proba_chunk(X_chunk, state)
        logp[:, _UNK - 1] = -np.inf
        return self.classes_[logp.argmax(axis=1)], state

    def generate(self, X, n_words=20, *, temperature=1.0, random_state=None):
        """Continue each prompt with ``n_words`` words.

        Parameters
        ----------
        X : TokenSequences
            Prompts.
        n_words : int, default=20
            Words to add after each prompt.
        temperature : float, default=1.0
            Words are drawn from the softmax of ``scores / temperature``:
            below 1 favours likely words; 0 always takes the most likely one.
        random_state : int, RandomState instance or None, default=None
            Seeds the draws.

        Returns
        -------
        continuations : list of str
            The generated words of each prompt, joined by spaces.
        """
        check_is_fitted(self)
        if not isinstance(n_words, Integral) or n_words < 1:
            raise ValueError(f"n_words must be a positive integer; got {n_words!r}.")
        if (
            not isinstance(temperature, Real)
            or not np.isfinite(temperature)
            or temperature < 0
        ):
            raise ValueError(
                f"temperature must be a finite number >= 0; got {temperature!r}."
            )
        tokens = self._check_tokens(X, reset=False)
        rs = check_random_state(random_state)
        xp = get_namespace(self.device, fitted=True)
        net = self._network(xp, fitted=True)
        out = []
        for i in range(len(tokens)):
            ids, state, words = tokens.ids(i), self._start(1, xp), []
            for _ in range(n_words):
                Z, cache = net.forward(
                    xp.asarray(ids[:, None]), [len(ids)], training=False, state=state
                )
                state = net.final_state(cache)
                scores = to_numpy(Z[:, -1, 0]).astype(np.float64)
                scores[_UNK - 1] = -np.inf
                if temperature == 0:
                    k = int(np.argmax(scores))
                else:
                    p = np.exp((scores - scores.max()) / temperature)
                    k = int(rs.choice(len(p), p=p / p.sum()))
                words.append(str(self.classes_[k]))
                ids = np.array([k + 1])
            out.append(" ".join(words))
        return out

    # -------------------------------------------------------------- helpers
    def _check_tokens(self, X, *, reset):
        if not isinstance(X, TokenSequences):
            raise TypeError(
                "LSTMLanguageModel needs token sequences: the output of "
                "sklstm.Embedder (output='tokens'), e.g. "
                "make_pipeline(Embedder(), LSTMLanguageModel()); got "
                f"{type(X).__name__}."
            )
        n_words = getattr(X, "_n_words", None)
        if n_words is not None:
            raise ValueError(
                "LSTMLanguageModel predicts words, but X holds n-gram tokens too "
                f"(the ids from {n_words}): it comes from an Embedder with "
                "ngrams_ > 1.  Use Embedder(ngrams=1) (or 'auto', which gives "
                "words only without class labels)."
            )
        if reset:
            if X.n_tokens <= _UNK + 1:
                raise ValueError(
                    f"X has a vocabulary of {X.n_tokens} token(s): no word besides "
                    "padding and '<unk>', so there is nothing to predict.  Give the "
                    "Embedder more text, or lower its min_count / raise max_tokens."
                )
            words = X.words
            if words is None:
                words = np.array([str(i) for i in range(X.n_tokens)], dtype=object)
            self.classes_ = np.asarray(words, dtype=object)[1:]
            self.n_features_in_ = X.n_dims
            self._n_tokens = X.n_tokens
            self._trainable_table = X.trainable
            return X
        if X.n_tokens != self._n_tokens or X.n_dims != self.n_features_in_:
            raise ValueError(
                f"X has a vocabulary of {X.n_tokens} tokens of {X.n_dims} "
                f"dimensions, but the model was fitted on {self._n_tokens} of "
                f"{self.n_features_in_}: use the Embedder the model was fitted with."
            )
        if X.words is not None and not np.array_equal(X.words[1:], self.classes_):
            raise ValueError(
                "X comes from a different vocabulary than the model was fitted "
                "on: use the Embedder the model was fitted with."
            )
        return X

    def _network(self, xp, fitted=False):
        net = LSTMNetwork(
            self.n_features_in_,
            hidden_sizes(self.hidden_layer_sizes),
            self._n_tokens - 1,
            dropout=self.dropout,
            dropout_outer=True,
            return_sequences=True,
            dtype=DTYPE,
            xp=xp,
            n_tokens=self._n_tokens,
            # a frozen table needs no gradient (nor the input's, through layer 0)
            trainable_embeddings=self._trainable_table,
            cell=self.cell,
        )
        if fitted:
            net.set_coefs(self.coefs_)
            net.set_embeddings(self.embeddings_)
        return net

    def _optimizer(self):
        if self.solver == "sgd":
            return make_optimizer(
                "sgd", self.learning_rate_init, momentum=self.momentum
            )
        return make_optimizer(self.solver, self.learning_rate_init)

    def _eval_stream(self, X):
        check_is_fitted(self)
        tokens = self._check_tokens(X, reset=False)
        if tokens._ids.size < 2:
            raise ValueError("X must hold at least 2 tokens to score.")
        xp = get_namespace(self.device, fitted=True)
        return self._network(xp, fitted=True), tokens._ids, xp

    def __sklearn_is_fitted__(self):
        return hasattr(self, "coefs_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False  # TokenSequences from an Embedder
        tags.target_tags.required = False
        return tags


def _init_head(net, random_state, stream):
    """Output weights uniform in +-0.1 (Zaremba et al.) instead of Glorot's
    +-sqrt(6 / (H + n_words)), and output biases at the log frequencies of
    the words in ``stream`` (add-one), so training starts from the unigram
    model.

    Glorot shrinks the weights of a softmax over thousands of words so much
    (+-0.03 for 6k words) that the gradient reaching the LSTM is tiny and
    training idles at the unigram level for epochs (measured on
    tiny-shakespeare: 275 against 218 test perplexity after 4 epochs on 75k
    tokens).  Zero biases spend the first epochs learning the unigram model.
    Measured on tiny-shakespeare (test perplexity, top-5 accuracy): on the
    whole training part, 120.5 / 0.380 and 119.8 / 0.379 (seeds 0, 1)
    against 137.0 / 0.362 and 134.7 / 0.370 from zero biases, and 131.4 /
    0.366 from half the log frequencies (all with Adam at 2e-3); but on its
    first 20k words, 112-116 against 96-99 from zero biases (3 seeds): a
    small corpus does better from a flat start.  With this start a larger
    step helps small corpora (20k words: 152, 112, 102 and 99 at 1e-3,
    2e-3, 4e-3 and 8e-3) without hurting the full corpus (120.6 at 4e-3),
    hence the default ``learning_rate_init=4e-3``.
    """
    Wy = net.P["Wy"]
    weights = random_state.uniform(-0.1, 0.1, (Wy.shape[0], Wy.shape[1] - 1))
    counts = np.bincount(stream, minlength=Wy.shape[0] + 1)[1:] + 1.0
    Wy[:, :-1] = net.xp.asarray(weights.astype(Wy.dtype))
    Wy[:, -1] = net.xp.asarray(np.log(counts / counts.sum()).astype(Wy.dtype))


def _split_stream(stream, fraction):
    """Training and validation streams: the stream is cut into 10
    consecutive blocks (``numpy.array_split``; fewer for streams under
    ``10 / fraction`` tokens) and the first ``fraction`` of each is held
    out.

    Spreading the held-out text over the corpus makes it a fair sample of
    it, and keeps the end of the stream (often the text nearest to what
    the model will read next) in training: holding out the last 10 % of
    tiny-shakespeare's training part instead raised the test perplexity
    after 4 epochs from 125 to 159 (PyTorch, same model and schedule).
    """
    # fewer blocks when tenths would be too short to hold out a token each
    n_blocks = min(10, max(1, int(fraction * len(stream))))
    held = np.zeros(len(stream), dtype=bool)
    for block in np.array_split(np.arange(len(stream)), n_blocks):
        held[block[: int(fraction * len(block))]] = True
    return stream[~held], stream[held]


def _stream_grid(stream, n_streams):
    """(L, n_streams) ids: the stream cut into ``n_streams`` consecutive
    parts, one per column (the remainder is dropped)."""
    L = len(stream) // n_streams
    return np.ascontiguousarray(
        stream[: L * n_streams].reshape(n_streams, L).T, dtype=np.intp
    )


def _top_k(scores, k):
    """Column indices of the ``k`` largest scores of each row, best first
    (ties: lower index first), without sorting whole rows."""
    if k == 1:
        return scores.argmax(axis=1)[:, None]
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    part.sort(axis=1)  # index order, so the stable sort below breaks ties by it
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)
