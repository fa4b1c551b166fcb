# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""BaseLSTM: parameters, validation, training and prediction.

A fit reads top-down: ``fit -> _fit -> _fit_loop``, which hands
:func:`sklstm._training.fit_loop` (the loop every estimator runs) a
:class:`~sklstm._training.Training` whose step is ``_train_step``.
Subclasses supply the target handling (``_encode_targets``,
``_batch_targets``, ``_decode``) and the metric of ``score``.
"""

import contextlib
import copy
import functools
import math
import threading
import warnings
import weakref
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.model_selection import train_test_split
from sklearn.utils import check_array, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from sklstm._backend import (
    get_namespace,
    is_foreign_array,
    to_numpy,
)
from sklstm._callbacks import EarlyStopping
from sklstm._cells import CELLS
from sklstm._network import LSTMNetwork
from sklstm._optimizers import (
    SOLVERS,
    Optimizer,
    apply_gradients,
    make_optimizer,
)
from sklstm._sequences import (
    FLOAT_DTYPES,
    TokenSequences,
    check_sequences,
    is_ragged_container,
    iter_batches,
    predict_batches,
)
from sklstm._streaming import (
    NOT_UNIDIRECTIONAL,
    StreamState,
    check_chunk_lengths,
    check_stream_state,
    layers_on,
    run_chunk,
    stream_key,
)
from sklstm._threads import PREDICT_MIN_WORK, BlasThreads
from sklstm._training import Training, fit_loop, user_stacklevel

DTYPE = np.float32
PREDICT_BATCH = 256
_PROBE_SIZE = 64  # training sequences that check the weights a fit returns
_AUTO_EARLY_STOPPING_MIN_SAMPLES = 1000


def hidden_sizes(hidden_layer_sizes):
    if isinstance(hidden_layer_sizes, Integral):
        return (int(hidden_layer_sizes),)
    sizes = tuple(hidden_layer_sizes)
    if not sizes or any(not isinstance(h, Integral) or h < 1 for h in sizes):
        raise ValueError(
            "hidden_layer_sizes must be a positive int or a non-empty sequence of "
            f"positive ints; got {hidden_layer_sizes!r}."
        )
    return tuple(int(h) for h in sizes)


def _pooling(pooling, tokens):
    """The head's pooling of ``pooling='auto'``: the mean over the steps for
    token input (texts), else the last step."""
    if pooling == "auto":
        return "mean" if tokens else "last"
    return pooling


def _dropout_rate(dropout, tokens):
    """The rate of ``dropout='auto'``: 0.5 for token input, else none."""
    if dropout == "auto":
        return 0.5 if tokens else 0.0
    return dropout


# Root-mean-square feature values outside which the default network learns
# little: measured on a task an unscaled LSTMRegressor learns to R² 0.99,
# offsets or scales of ~100 (or RMS 0.017) brought its test R² to 0.5 or below.
_UNSCALED_RMS = (0.02, 30.0)


def _warn_if_unscaled(data, name):
    """Warn when the features of ``data`` (steps, F) are far from unit
    scale, where LSTM gates saturate (large values) or hardly move (tiny
    ones) and training silently learns next to nothing."""
    if data.size == 0:
        return
    # float64 sums without a float64 copy of the data (nor float32 squares
    # that could overflow)
    squares = np.einsum("ij,ij->j", data, data, dtype=np.float64, casting="unsafe")
    rms = np.sqrt(squares / len(data))
    low, high = _UNSCALED_RMS
    big = np.flatnonzero(rms > high)
    if len(big):
        which, what = big, "large values saturate its gates"
    elif np.all(rms < low) and np.any(rms > 0):
        which, what = np.flatnonzero(rms > 0), "tiny values hardly move its gates"
    else:
        return
    j = which[np.argmax(np.abs(np.log(rms[which])))]
    column = data[:, j].astype(np.float64)
    advice = (
        f"Scale X first, e.g. make_pipeline(Normaliser(), {name}()) with "
        "sklstm.preprocessing.Normaliser."
    )
    if name == "LSTMRegressor":
        # one scale for all windows of a trending series (prices) leaves
        # later windows far from unit scale: each needs its own
        advice += (
            "  To forecast a series from windows of its past (prices, "
            "sensors), use sklstm.WindowScaledRegressor(), which scales each "
            "window by its own level and its forecast back."
        )
    warnings.warn(
        f"X is far from unit scale ({len(which)} of {data.shape[1]} feature(s); "
        f"feature {j} has mean {column.mean():.3g} and standard deviation "
        f"{column.std():.3g}): an LSTM trains badly on such input, as {what}.  "
        + advice,
        UserWarning,
        stacklevel=user_stacklevel(),
    )


def keeps_state_on_error(fit_method):
    """Decorate a ``fit``/``partial_fit`` so that one that raises leaves the
    estimator as it was: a failed refit (bad ``y``, a diverged first epoch)
    must not pair the new data's ``classes_`` with the old weights."""

    @functools.wraps(fit_method)
    def fit(self, *args, **kwargs):
        saved = {key: _saved(value) for key, value in vars(self).items()}
        try:
            return fit_method(self, *args, **kwargs)
        except BaseException:
            vars(self).clear()
            vars(self).update(saved)
            raise

    return fit


# estimator -> (key, network, lock) of _prediction_network, dropped with the
# estimator
_PREDICTION_NETWORKS = weakref.WeakKeyDictionary()

# estimator -> the Workspace of its partial_fit calls
_TRAINING_WORKSPACES = weakref.WeakKeyDictionary()

# the parameters a prediction network is built from (besides the data)
_NETWORK_PARAMS = (
    "hidden_layer_sizes",
    "bidirectional",
    "cell",
    "dropout",
    "return_sequences",
    "pooling",
)


def _same_key(a, b):
    """Whether two :meth:`_prediction_key` values hold the same objects and
    equal settings."""
    (objects_a, settings_a), (objects_b, settings_b) = a, b
    return (
        settings_a == settings_b
        and len(objects_a) == len(objects_b)
        and all(x is y for x, y in zip(objects_a, objects_b, strict=True))
    )


def _saved(value):
    """What :func:`keeps_state_on_error` keeps of an attribute.  Fits replace
    arrays and weights (``coefs_``) and append to lists (``loss_curve_``,
    ``history_``): a list's copy restores it.  Only the random state and the
    optimizers' moments change in place: those are copied whole.  (Copying
    every list whole made each ``partial_fit`` copy the weights and the
    whole growing history, slower with every call.)"""
    if isinstance(value, np.random.RandomState):
        return copy.deepcopy(value)
    if isinstance(value, list):
        return [copy.deepcopy(v) if isinstance(v, Optimizer) else v for v in value]
    return value


def check_sample_weight(sample_weight, n_samples):
    """Validate ``sample_weight`` into a float64 array of shape (n_samples,)."""
    if sample_weight is None:
        return np.ones(n_samples)
    sw = np.asarray(to_numpy(sample_weight), dtype=np.float64)
    if sw.ndim == 0:
        sw = np.full(n_samples, float(sw))
    if sw.shape != (n_samples,):
        raise ValueError(f"sample_weight.shape == {sw.shape}, expected ({n_samples},).")
    if not np.all(np.isfinite(sw)) or np.any(sw < 0):
        raise ValueError("sample_weight must be finite and non-negative.")
    if not np.any(sw > 0):
        raise ValueError(
            "sample_weight values are all zero; at least one must be positive."
        )
    return sw


def pad_sequence_targets(y, lengths, input_name="y", *, dense_X=False):
    """Per-timestep targets (2-D/3-D array or ragged list) → padded array.

    Returns an array of shape (n, T_max) or (n, T_max, k); checks that
    sequence ``i`` has ``lengths[i]`` targets.  A padded array may be wider
    than the longest sequence of a ragged ``X`` (e.g. a subset of padded
    data), but must have exactly its timesteps when ``dense_X``.
    """
    n, T = len(lengths), int(np.max(lengths))
    if isinstance(y, np.ndarray) and y.dtype != object and y.ndim < 2:
        raise ValueError(
            f"Per-timestep targets {input_name} need one value per timestep: an "
            f"array (n_samples, n_timesteps[, n_outputs]) or a list of sequences; "
            f"got shape {y.shape}.  For one target per sequence, set "
            "return_sequences=False."
        )
    if isinstance(y, np.ndarray) and y.dtype != object and y.ndim >= 2:
        if y.shape[0] != n or y.shape[1] < T or (dense_X and y.shape[1] != T):
            raise ValueError(
                f"Sequence targets {input_name} have shape {y.shape}; expected "
                f"({n}, {T}, ...) to match X."
            )
        return y[:, :T]
    rows = [np.asarray(to_numpy(r)) for r in y]
    if len(rows) != n:
        raise ValueError(
            f"X and {input_name} have inconsistent numbers of samples: {n} "
            f"sequences but {len(rows)} target sequences."
        )
    for i, (r, L) in enumerate(zip(rows, lengths, strict=True)):
        if r.ndim == 0 or len(r) != L:
            raise ValueError(
                f"{input_name}[{i}] has {0 if r.ndim == 0 else len(r)} targets but "
                f"X[{i}] has {L} timesteps: sequence targets need one per timestep."
            )
    tail = rows[0].shape[1:]
    out = np.zeros((n, T) + tail, dtype=np.result_type(*rows))
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return out


def value_targets(Yb, xp):
    """Real-valued targets (..., k) of a batch as a float32 (k, N) array on
    ``xp``, in the layout of the flattened scores (squared-error losses)."""
    k = Yb.shape[-1]
    return xp.asarray(np.moveaxis(Yb, -1, 0).reshape(k, -1).astype(np.float32))


def flatten_valid(Y, lengths):
    """Concatenate the valid steps of padded per-timestep arrays (n, T, ...),
    sequence by sequence."""
    return Y[np.arange(Y.shape[1]) < np.asarray(lengths)[:, None]]


class HeadMixin:
    """The head parameters of estimators that predict per sequence or per
    timestep (the classifier and the regressor): ``return_sequences`` and
    ``pooling``.  The detector and the transcriber always predict per
    timestep and have neither."""

    _head_constraints: dict = {
        "return_sequences": ["boolean", StrOptions({"auto"})],
        "pooling": [StrOptions({"last", "mean", "auto"})],
    }

    def _head_pooling(self, tokens):
        return _pooling(self.pooling, tokens)


class BaseLSTM(BaseEstimator, metaclass=ABCMeta):
    """Base class of the LSTM estimators; not for direct use."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "cell": [StrOptions(set(CELLS))],  # one list: sklstm._cells
        "bidirectional": ["boolean"],
        "dropout": [Interval(Real, 0, 1, closed="left"), StrOptions({"auto"})],
        "solver": [StrOptions(set(SOLVERS))],  # one list: sklstm._optimizers
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "clip_norm": [Interval(Real, 0, None, closed="neither"), None],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean", StrOptions({"auto"})],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "validation_split": [StrOptions({"random", "last"})],
        "random_state": ["random_state"],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "device": [StrOptions({"cpu", "cuda", "auto"})],
        "callbacks": [list, None],
    }

    _loss = None  # a Loss of sklstm._losses.LOSSES
    # whether a copy with the current weights is a fitted estimator (see
    # sklstm.callbacks.Checkpoint); not where fit computes more after training
    _checkpoints = True

    @abstractmethod
    def __init__(
        self,
        hidden_layer_sizes,
        *,
        cell,
        bidirectional,
        dropout,
        solver,
        learning_rate_init,
        alpha,
        clip_norm,
        batch_size,
        max_iter,
        shuffle,
        tol,
        n_iter_no_change,
        early_stopping,
        validation_fraction,
        validation_split,
        random_state,
        warm_start,
        verbose,
        device,
        callbacks=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.cell = cell
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
        self.callbacks = callbacks

    # ------------------------------------------------------- subclass hooks
    def _head_pooling(self, tokens):
        """What a per-sequence head reads of the last layer's states
        (see :class:`HeadMixin`); estimators with per-timestep outputs only
        never ask."""
        return "last"

    @abstractmethod
    def _encode_targets(self, y, seqs, first_call, classes=None):
        """Validate ``y``; return ``(Y, sequence)`` with ``Y`` an encoded
        array of shape (n,) / (n, k), or (n, T) / (n, T, k) for sequence
        targets.  Sets ``classes_`` / ``n_outputs_`` on the first call."""

    @abstractmethod
    def _batch_targets(self, Yb, xp):
        """Targets of a batch in the layout of the scores (see _functional)."""

    @abstractmethod
    def _decode_scores(self, S):
        """Encoded predictions (class indices, or values) from raw scores."""

    @abstractmethod
    def _metric(self, y_true, y_pred, sample_weight=None):
        """The ``score`` metric on flat arrays (higher is better)."""

    def _check_X(self, X, *, reset):
        """Validate ``X`` into the network's input sequences."""
        return self._check_sequences(X, reset=reset)

    def _check_X_y(self, X, y, *, reset):
        """A fit's input sequences and its ``y`` on the host, for
        :meth:`_encode_targets` (the detector makes ``y`` from ``X``)."""
        seqs = self._check_X(X, reset=reset)
        if is_foreign_array(y):  # e.g. CuPy labels: validated on the host
            y = to_numpy(y)
        return seqs, y

    def _check_sequences(self, X, *, reset):
        """:func:`check_sequences`, and values the network's float32 can hold
        (larger ones would silently become inf and NaN scores)."""
        seqs = check_sequences(self, X, reset=reset)
        big = float(np.finfo(DTYPE).max)
        values, what = seqs.data, "X holds values"
        if seqs.kind == "tokens":
            values, what = seqs.tokens.vectors, "X.vectors hold values"
        if values.size and (values.max() > big or values.min() < -big):
            raise ValueError(
                f"{what} beyond float32's range (±{big:.3g}); the network "
                "computes in float32: rescale the data, e.g. with "
                "sklstm.preprocessing.Normaliser."
            )
        if seqs.kind != "tokens" and seqs.data.size:
            if reset:
                _warn_if_unscaled(
                    seqs.data.reshape(-1, seqs.n_features), type(self).__name__
                )
        return seqs

    def _warns_at_max_iter(self):
        """Whether reaching ``max_iter`` raises a ConvergenceWarning."""
        return True

    def _element_weights(self, Yb):
        """Extra per-target weights (class weights); 1 by default."""
        return None

    # ------------------------------------------------------------------ fit
    def _fit(
        self,
        X,
        y,
        sample_weight=None,
        *,
        incremental=False,
        classes=None,
        validation_data=None,
    ):
        xp = get_namespace(self.device)
        first_call = not hasattr(self, "coefs_") or (
            not self.warm_start and not incremental
        )
        seqs, y = self._check_X_y(X, y, reset=first_call)
        Y, sequence = self._encode_targets(y, seqs, first_call, classes)
        sw = check_sample_weight(sample_weight, seqs.n_samples)
        n = seqs.n_samples

        if first_call:
            self._random_state = check_random_state(self.random_state)
            self._split_seed = self._random_state.randint(np.iinfo(np.int32).max)
            self._reset_fit_attributes()
            self._sequence_targets = sequence
        elif sequence != self._sequence_targets:
            raise ValueError(
                "y changed between per-sequence and per-timestep targets since the "
                "first fit; refit from scratch (warm_start=False)."
            )
        early = self._use_early_stopping(n, incremental, validation_data)
        train_idx, val = np.arange(n), None
        if validation_data is not None:
            val = self._validation_set(validation_data, sequence)
        elif early:
            train_idx, val_idx = self._validation_split(n, Y, sequence)
            val = (seqs, Y, sw, val_idx)
            for part, idx in (("training", train_idx), ("validation", val_idx)):
                if not np.any(sw[idx] > 0):
                    raise ValueError(
                        f"sample_weight is zero on every sample of the {part} set "
                        "(early_stopping holds out validation_fraction="
                        f"{self.validation_fraction} of the data, "
                        f"validation_split={self.validation_split!r}); give those "
                        "samples weight, change the split, or set "
                        "early_stopping=False."
                    )

        net = self._make_network(seqs, xp)
        if incremental:
            # scratch buffers of this estimator's earlier partial_fit: fresh
            # ones page-fault on first use (a third of a small one-batch step)
            ws = _TRAINING_WORKSPACES.get(self)
            if ws is None or ws.xp is not xp:
                ws = _TRAINING_WORKSPACES[self] = net.ws
            net.ws = ws
        if first_call:
            net.initialize(self._random_state)
            if net.table is not None:
                net.set_embeddings(seqs.tokens.vectors)
            opts = self._new_optimizers(net)
        else:
            mismatch = net.coefs_mismatch(self.coefs_)
            if mismatch is not None:
                before, now = mismatch
                raise ValueError(
                    "warm_start=True and partial_fit continue the previous fit, "
                    f"which trained a network with {before}; the current parameters "
                    f"and data make one with {now}.  Refit from scratch "
                    "(warm_start=False) or restore the earlier parameters."
                )
            net.set_coefs(self.coefs_)
            if net.table is not None:
                net.set_embeddings(self.embeddings_)
            # keep the optimizer state (moments, step count) of earlier fits
            opts = self._new_optimizers(net)
            for k, old in enumerate(self._optimizers):
                if old is not None and opts[k] is not None:
                    # keeps_state_on_error restores a copy if the fit fails
                    opts[k] = old.to(xp)
                    opts[k].learning_rate = self.learning_rate_init
        batch_size = self._batch_size(len(train_idx))
        max_epochs = 1 if incremental else self.max_iter
        self._fit_loop(
            net,
            opts,
            seqs,
            Y,
            sw,
            train_idx,
            val,
            early,
            batch_size,
            max_epochs,
            incremental,
            xp,
        )
        self.coefs_ = net.get_coefs()
        self.embeddings_ = None if net.table is None else net.get_embeddings()
        self._optimizers = [o if o is None else o.to(np) for o in opts]
        self._fit_beside_network(seqs, Y, sw, first_call, incremental)
        return self

    def _fit_beside_network(self, seqs, Y, sw, first_call, incremental):
        """What the estimator fits beside its network once the network is
        trained (the classifier's bag of vectors); nothing by default."""

    def _new_optimizers(self, net):
        """Optimizers of the flat parameters and of the token table (None
        unless it is fine-tuned)."""
        opt = make_optimizer(self.solver, self.learning_rate_init)
        table = None
        if net.trainable_embeddings:
            table = make_optimizer(self.solver, self.learning_rate_init)
        return [opt, table]

    def _reset_fit_attributes(self):
        self.n_iter_, self.t_ = 0, 0
        self.loss_, self.loss_curve_, self.history_ = None, [], []
        self.best_loss_ = None
        self.embeddings_ = None
        self.validation_scores_ = None
        self.best_validation_score_ = None

    def _use_early_stopping(self, n, incremental, validation_data=None):
        if incremental:
            return False
        if self.early_stopping == "auto" and validation_data is not None:
            return True
        if self.early_stopping == "auto":
            return n >= _AUTO_EARLY_STOPPING_MIN_SAMPLES
        return bool(self.early_stopping)

    def _validation_split(self, n, Y, sequence):
        """Hold-out indices: the last samples, or drawn with one seed per
        model so that warm starts on the same data keep the same set."""
        n_val = math.ceil(self.validation_fraction * n)  # as train_test_split
        if n_val == 0 or n_val == n:
            raise ValueError(
                f"early_stopping needs a training and a validation set: {n} "
                f"sample(s) with validation_fraction={self.validation_fraction} "
                "leave one of them empty; pass more samples or set "
                "early_stopping=False."
            )
        if self.validation_split == "last":
            return np.arange(n - n_val), np.arange(n - n_val, n)
        stratify = None
        if self._loss.categorical and not sequence:
            counts = np.bincount(Y, minlength=len(self.classes_))
            present = np.count_nonzero(counts)
            # stratify where every class can be on both sides
            if counts[counts > 0].min() >= 2 and min(n_val, n - n_val) >= present:
                stratify = Y
        return train_test_split(
            np.arange(n),
            test_size=self.validation_fraction,
            random_state=self._split_seed,
            stratify=stratify,
        )

    def _validation_set(self, validation_data, sequence):
        """``validation_data=(X_val, y_val)`` validated like the training
        data: ``(seqs, Y, sample_weight, idx)`` of the held-out set."""
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise TypeError(
                "validation_data must be a tuple (X_val, y_val); got "
                f"{type(validation_data).__name__}."
            )
        X_val, y_val = validation_data
        try:
            seqs, y_val = self._check_X_y(X_val, y_val, reset=False)
            Y, val_sequence = self._encode_targets(y_val, seqs, False)
        except (TypeError, ValueError) as error:
            raise type(error)(
                f"validation_data: {error}  In a pipeline, the earlier steps must "
                "transform the validation data too: build it with "
                "sklstm.pipeline.make_pipeline, whose fit does so."
            ) from error
        if val_sequence != sequence:
            raise ValueError(
                "validation_data has per-timestep targets and the training data "
                "per-sequence ones, or the reverse; give both the same form."
            )
        n = seqs.n_samples
        return seqs, Y, np.ones(n), np.arange(n)

    def _batch_size(self, n):
        if self.batch_size == "auto":
            return min(32, n)
        if self.batch_size > n:
            warnings.warn(
                f"Got batch_size={self.batch_size} larger than the {n} training "
                "samples; using all of them in one batch.",
                UserWarning,
                stacklevel=user_stacklevel(),
            )
        return min(self.batch_size, n)

    def _make_network(self, seqs, xp):
        tokens = seqs.tokens
        return LSTMNetwork(
            seqs.n_features,
            hidden_sizes(self.hidden_layer_sizes),
            self.n_outputs_,
            bidirectional=self.bidirectional,
            dropout=_dropout_rate(self.dropout, tokens is not None),
            dropout_outer=tokens is not None,
            return_sequences=self._sequence_targets,
            pooling="last"
            if self._sequence_targets
            else self._head_pooling(tokens is not None),
            dtype=DTYPE,
            xp=xp,
            n_tokens=None if tokens is None else tokens.n_tokens,
            trainable_embeddings=tokens is not None and tokens.trainable,
            cell=self.cell,
        )

    def _fit_loop(
        self,
        net,
        opts,
        seqs,
        Y,
        sw,
        train_idx,
        val,
        early,
        batch_size,
        max_epochs,
        incremental,
        xp,
    ):
        """Run :func:`~sklstm._training.fit_loop` on the sequences
        ``train_idx``, validating on ``val`` (``(seqs, Y, sw, idx)`` or
        None) and stopping on its loss when ``early``."""
        if val is not None:
            self.validation_scores_ = self.validation_scores_ or []

        def batches():
            lengths = seqs.lengths[train_idx]
            rs = self._random_state
            return [
                train_idx[b]
                for b in iter_batches(
                    lengths, batch_size, shuffle=self.shuffle, random_state=rs
                )
            ]

        def train_step(idx):
            loss = self._train_step(net, opts, seqs, Y, sw, idx, xp)
            return loss, float(sw[idx].sum())

        def validate():
            loss, score = self._validate(net, *val, xp)
            return {"validation_loss": loss, "validation_score": score}

        def after_epoch(logs):
            self.t_ += len(train_idx)
            self.loss_ = logs["loss"]
            if not early:
                self.best_loss_ = min(self.loss_curve_)

        probe, reference, start_loss = self._probe(net, seqs, Y, sw, train_idx, xp)
        fit_loop(
            self,
            Training(
                params=net.trainable_arrays(),
                batches=batches,
                train_step=train_step,
                probe=probe,
                reference=reference,
                start_loss=start_loss,
                stopper=EarlyStopping(
                    self.tol,
                    self.n_iter_no_change,
                    params=net.trainable_arrays(),
                    monitor="validation_loss" if early else "loss",
                ),
                optimizers=list(opts),
                snapshot=(lambda: self._snapshot(net, opts))
                if self._checkpoints
                else None,
                validate=None if val is None else validate,
                after_epoch=after_epoch,
                keep_best=early,
                warn_at_max_iter=not incremental
                and max_epochs == self.max_iter
                and self._warns_at_max_iter(),
                fix=f"Lower learning_rate_init (now {self.learning_rate_init:g})"
                + (", set clip_norm" if self.clip_norm is None else "")
                + " or scale X (e.g. with sklstm.preprocessing.Normaliser) and y.",
            ),
            max_epochs,
        )

    def _snapshot(self, net, opts):
        """A copy of the estimator fitted with the network's current
        weights and optimizer state (a checkpoint)."""
        est = copy.copy(self)
        est.coefs_ = net.get_coefs()
        est.embeddings_ = None if net.table is None else net.get_embeddings()
        est._optimizers = list(opts)  # pickled as NumPy (Optimizer.__getstate__)
        return est

    def _probe(self, net, seqs, Y, sw, train_idx, xp):
        """The guard's probe (the loss of the current weights on up to
        ``_PROBE_SIZE`` weighted training sequences), the loss of all-zero
        scores there, and the probe's loss now (see
        :class:`~sklstm._callbacks.WeightGuard`)."""
        idx = train_idx[sw[train_idx] > 0][:_PROBE_SIZE]
        X, lengths = seqs.batch(idx, dtype=DTYPE, xp=xp)

        def loss(Z):
            with np.errstate(all="ignore"):
                return float(self._batch_loss(Z, Y, sw, idx, lengths, xp)[0])

        def probe():
            return loss(net.forward(X, lengths, training=False)[0])

        # one forward pass gives the starting weights' loss and the shape of
        # the all-zero scores (a partial_fit on one batch would spend a
        # third of its time on another pass)
        Z, _ = net.forward(X, lengths, training=False)
        start = loss(Z)
        return probe, loss(xp.zeros_like(Z)), start

    def _train_step(self, net, opts, seqs, Y, sw, idx, xp):
        """One forward/backward/update on the batch ``idx``; returns the loss.

        ``opts`` holds the optimizer of the flat parameters and that of the
        token table (which updates only the rows the batch used).
        """
        X, lengths = seqs.batch(idx, dtype=DTYPE, xp=xp)
        Z, cache = net.forward(
            X, lengths, training=True, random_state=self._random_state
        )
        loss, dZ = self._batch_loss(Z, Y, sw, idx, lengths, xp)
        net.backward(dZ, cache)
        if self.alpha > 0:  # scaled by the batch size, as in MLP
            loss += net.add_weight_decay(self.alpha / len(idx))
        apply_gradients(net, opts, self.clip_norm, xp=xp)
        return loss

    def _batch_loss(self, Z, Y, sw, idx, lengths, xp):
        """Loss of the batch ``idx`` and its gradient w.r.t. the scores
        ``Z`` (same shape as ``Z``)."""
        target, w = self._targets_and_weights(Y, sw, idx, lengths, Z.shape, xp)
        return self._loss(Z, target, w, xp=xp)

    def _targets_and_weights(self, Y, sw, idx, lengths, z_shape, xp):
        """Targets and per-prediction weights of a batch, laid out like the
        flattened scores: (B,) for per-sequence targets, (T*B,) t-major for
        per-timestep targets (padded steps weigh 0)."""
        swb = sw[idx]
        if self._sequence_targets:
            T = z_shape[1]
            Yb = np.swapaxes(Y[idx, :T], 0, 1)  # (T, B, ...)
            mask = np.arange(T)[:, None] < lengths[None, :]
            w = mask * swb[None, :]
        else:
            Yb, w = Y[idx], swb
        extra = self._element_weights(Yb)
        if extra is not None:
            w = w * extra
        return self._batch_targets(Yb, xp), xp.asarray(w.astype(DTYPE).ravel())

    # -------------------------------------------------------------- predict
    def _network_for_predict(self, seqs, xp):
        net = self._make_network(seqs, xp)
        net.set_coefs(self.coefs_)
        if net.table is not None:
            net.set_embeddings(self.embeddings_)
        return net

    @contextlib.contextmanager
    def _prediction_network(self, seqs, xp):
        """The network of ``coefs_`` that predicts ``seqs``, kept between
        calls: building it (layout, weight copies, gate reordering) took
        more than the forward pass of one short sequence (1-2 ms against
        0.2-1.4 on the benchmark sizes).

        It is rebuilt when anything it was built from is not the same object
        any more: ``coefs_`` (and each of its arrays), ``embeddings_``,
        the array module or the structural parameters.  Its arrays are then
        made read-only, so that editing a weight in place raises instead of
        predicting from the copy; assign a new array instead.  A network is
        used by one call at a time (its scratch buffers are reused): a call
        that finds it busy, in another thread, builds its own.  The networks
        live outside the estimators (predicting leaves ``vars(est)`` as it
        was; pickles and copies do not carry them).
        """
        key = self._prediction_key(seqs, xp)
        cached = _PREDICTION_NETWORKS.get(self)
        if (
            cached is not None
            and _same_key(cached[0], key)
            and cached[2].acquire(blocking=False)
        ):
            try:
                yield cached[1]
            finally:
                cached[2].release()
            return
        net = self._network_for_predict(seqs, xp)
        for layer in self.coefs_:
            for array in layer.values():
                if isinstance(array, np.ndarray):
                    array.flags.writeable = False
        lock = threading.Lock()
        with lock:
            _PREDICTION_NETWORKS[self] = (key, net, lock)
            yield net

    def _prediction_key(self, seqs, xp):
        """What :meth:`_prediction_network`'s network depends on: objects
        (held, so that none is freed and its id reused) and settings."""
        tokens = seqs.tokens
        objects = (
            self.coefs_,
            *(array for layer in self.coefs_ for array in layer.values()),
            getattr(self, "embeddings_", None),
            xp,
        )
        settings = (
            seqs.n_features,
            None if tokens is None else (tokens.n_tokens, tokens.trainable),
            repr([getattr(self, p, None) for p in _NETWORK_PARAMS]),
        )
        return objects, settings

    def _raw_scores(self, seqs, idx=None, *, net=None, xp=np, flat=False):
        """Scores on the host for the sequences ``idx`` (all by default):
        (n, n_outputs), or for per-timestep targets (n, T_max, n_outputs),
        zero past each sequence's end.

        With ``flat=True``, per-timestep scores are the valid steps of the
        sequences concatenated in order, (sum of lengths, n_outputs): one
        long sequence among short ones does not inflate them to
        n × T_max steps.
        """
        if idx is None:
            idx = np.arange(seqs.n_samples)
        lengths = seqs.lengths[idx]
        if net is not None:  # a fit's validation: runs under the fit's sizing
            return self._scores_by_batch(net, seqs, idx, lengths, xp, flat, None)
        with self._prediction_network(seqs, xp) as net:
            # a prediction of its own sizes BLAS's threads; small ones leave
            # them as they are
            work = net.step_work() * float(lengths.sum())
            active = xp is np and work > PREDICT_MIN_WORK
            with BlasThreads(active=active) as blas:
                return self._scores_by_batch(net, seqs, idx, lengths, xp, flat, blas)

    def _scores_by_batch(self, net, seqs, idx, lengths, xp, flat, blas):
        """The loop of :meth:`_raw_scores` over prediction batches."""
        k = self.n_outputs_
        if not self._sequence_targets:
            out = np.empty((len(idx), k), dtype=DTYPE)
        elif flat:
            out = np.empty((int(lengths.sum()), k), dtype=DTYPE)
            ends = np.cumsum(lengths)
        else:
            out = np.zeros((len(idx), int(lengths.max()), k), dtype=DTYPE)
        for b in predict_batches(lengths, PREDICT_BATCH):
            X, lb = seqs.batch(idx[b], dtype=DTYPE, xp=xp)
            Z, _ = net.forward(X, lb, training=False)
            Z = to_numpy(Z)
            if not self._sequence_targets:
                out[b] = Z.T
            elif flat:
                Lb = lengths[b]
                # the batch's valid steps, in order, moved to their sequences' place
                shift = np.repeat(ends[b] - np.cumsum(Lb), Lb)
                out[np.arange(shift.size) + shift] = flatten_valid(
                    Z.transpose(2, 1, 0), Lb
                )
            else:
                out[b, : Z.shape[1]] = Z.transpose(2, 1, 0)
            if blas is not None:
                blas.tick()
        return out

    def _validate(self, net, seqs, Y, sw, idx, xp):
        """Loss and ``score`` metric on the held-out sequences ``idx``."""
        S = self._raw_scores(seqs, idx, net=net, xp=xp, flat=True)
        y_true, w = Y[idx], sw[idx]
        if self._sequence_targets:
            lengths = seqs.lengths[idx]
            y_true = flatten_valid(y_true, lengths)
            w = np.repeat(w, lengths)
        extra = self._element_weights(y_true)
        w_loss = w if extra is None else w * extra
        loss, _ = self._loss(
            S.T.astype(np.float64), self._batch_targets(y_true, np), w_loss, xp=np
        )
        score = self._metric(y_true, self._decode_scores(S), sample_weight=w)
        return loss, float(score)

    def __sklearn_is_fitted__(self):
        return hasattr(self, "coefs_")

    def _predict_scores(self, X, *, padded=False):
        """Validated sequences and their raw scores.  Per-timestep scores
        of ragged X are flat (see ``_raw_scores``) unless ``padded``."""
        check_is_fitted(self)
        seqs = self._check_X(X, reset=False)
        xp = get_namespace(self.device, fitted=True)
        flat = seqs.ragged and not padded
        return seqs, self._raw_scores(seqs, xp=xp, flat=flat)

    def _as_input_layout(self, seqs, P):
        """Outputs computed on ``_predict_scores``' scores in the layout of
        X: per-timestep outputs of ragged X (flat) become a list of
        (T_i, ...) arrays; anything else is returned as is."""
        if self._sequence_targets and seqs.ragged:
            return np.split(P, np.cumsum(seqs.lengths)[:-1])
        return P

    def score(self, X, y, sample_weight=None):
        """Score of ``predict(X)`` against ``y`` (accuracy or R²).

        For per-timestep targets, every valid timestep counts as one
        prediction.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences.
        y : array-like
            True targets, in the form given to ``fit``.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the sequences.

        Returns
        -------
        score : float
        """
        y_pred = self.predict(X)
        if not self._sequence_targets:
            return float(self._metric(y, y_pred, sample_weight=sample_weight))
        seqs = check_sequences(self, X, reset=False)
        lengths = seqs.lengths
        y_true = flatten_valid(
            pad_sequence_targets(y, lengths, dense_X=not seqs.ragged), lengths
        )
        y_flat = flatten_valid(pad_sequence_targets(y_pred, lengths), lengths)
        w = None if sample_weight is None else np.repeat(sample_weight, lengths)
        return float(self._metric(y_true, y_flat, sample_weight=w))

    # ------------------------------------------------------------ streaming
    def _stream_tag(self):
        """What else than the weights shapes this model's stream states."""
        if self._sequence_targets:
            return "steps"
        return self._head_pooling(getattr(self, "_input_kind", None) == "tokens")

    def _stream_extras(self):
        """Entries of ``state.extra`` the estimator itself carries (beyond
        the head's ``'pooled_sum'``); none by default."""
        return ()

    def _check_chunk(self, X):
        """Validate a chunk of streams as ``predict`` validates ``X``: a
        3-D array (n_streams, chunk_len, n_features), a 2-D one of
        univariate streams (n_streams, chunk_len), a list of equal-length
        sequences or token sequences.  A 2-D chunk comes back as
        sequences of kind '2d' whatever the model was fitted on (for a
        model fitted on 2-D input ``n_features_in_`` is a window length,
        which a chunk need not have)."""
        check_is_fitted(self)
        name = type(self).__name__
        if "weight_hh_reverse" in self.coefs_[0]:
            raise ValueError(NOT_UNIDIRECTIONAL.format(name=name))
        if is_foreign_array(X):
            X = to_numpy(X)
        two_d = False
        if not isinstance(X, TokenSequences) and not is_ragged_container(X):
            ndim = getattr(X, "ndim", None)
            if ndim is None and isinstance(X, (list, tuple)):
                ndim = np.asarray(X).ndim
            if ndim == 2:
                X = check_array(X, dtype=FLOAT_DTYPES, input_name="X_chunk")
                X, two_d = X[:, :, None], True
            if ndim in (2, 3):
                n_features = np.shape(X)[2]
                expected = getattr(self, "_n_step_features", None)
                if expected is not None and n_features != expected:
                    read = " (a 2-D chunk holds univariate streams)" if two_d else ""
                    raise ValueError(
                        f"X_chunk has {n_features} feature(s) per timestep{read}, "
                        f"but {name} was fitted with {expected}: give chunks of "
                        "shape (n_streams, chunk_len, n_features)."
                    )
        seqs = self._check_sequences(X, reset=False)
        if two_d:
            seqs.kind = "2d"
        check_chunk_lengths(seqs)
        return seqs

    def _stream_scores(self, X, state):
        """Raw scores of a chunk read from ``state``, and the new state.

        Returns ``(seqs, S, state)``: ``S`` of shape (n_streams, chunk_len,
        n_outputs) for per-timestep outputs, else (n_streams, n_outputs),
        the head on each stream read so far: on the top layer's states
        after the chunk ('last' pooling) or on their mean over every step
        read ('mean', exact through the running sum the state carries).
        """
        seqs = self._check_chunk(X)
        xp = get_namespace(self.device, fitted=True)
        with self._prediction_network(seqs, xp) as net:
            return self._stream_scores_on(net, seqs, state, xp)

    def _stream_scores_on(self, net, seqs, state, xp):
        """:meth:`_stream_scores` on the prediction network ``net``."""
        mean = not self._sequence_targets and net.pooling == "mean"
        key = stream_key(self, self._stream_tag())
        n = seqs.n_samples
        needs = (("pooled_sum",) if mean else ()) + self._stream_extras()
        state = check_stream_state(state, key, net, n, extra=needs)
        Xb, lengths = seqs.batch(np.arange(n), dtype=DTYPE, xp=xp)
        layers = layers_on(None if state is None else state.layers, xp)
        Z, cache, layers = run_chunk(net, Xb, lengths, layers)
        n_steps = (0 if state is None else state.n_steps) + int(lengths[0])
        extra = {}
        if self._sequence_targets:
            S = to_numpy(Z).transpose(2, 1, 0)
        elif mean:
            total = cache.top[:-1].sum(axis=1, dtype=np.float64)
            if state is not None:
                total += xp.asarray(state.extra["pooled_sum"])
            feat = xp.empty((total.shape[0] + 1, n), dtype=DTYPE)
            feat[:-1] = total / n_steps
            feat[-1] = 1
            S = to_numpy(xp.matmul(net.P["Wy"], feat)).T
            extra["pooled_sum"] = to_numpy(total)
        else:
            S = to_numpy(Z).T
        return seqs, np.array(S, dtype=DTYPE), StreamState(layers, n_steps, extra, key)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags
