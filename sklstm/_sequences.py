# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""The input contract: validation, padding, lengths and length-aware batching.

Accepted ``X`` (DESIGN.md §2):

* 2-D ``(n_samples, n_timesteps)``: univariate sequences, validated with
  :func:`sklearn.utils.validation.validate_data` (``n_features_in_`` is then
  ``n_timesteps``, as scikit-learn's common checks expect);
* 3-D ``(n_samples, n_timesteps, n_features)``, batch-first;
* ragged: a list (or 1-D object array) of ``(T_i, n_features)`` or ``(T_i,)``
  arrays;
* token sequences (:class:`TokenSequences`, the output of
  :class:`sklstm.Embedder`): token ids plus a vector table, looked up per
  batch inside the network.

Whatever the input, the result is a :class:`SequenceData`, which hands out
padded, feature-major batches ``(F+1, T, B)`` (a final row of ones folds the
bias into the input projection) on the requested device.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.utils import assert_all_finite, check_array
from sklearn.utils.validation import validate_data

from sklstm._backend import is_foreign_array, to_numpy

FLOAT_DTYPES = (np.float64, np.float32)


class SequenceData:
    """Validated sequences, dense or ragged, with batching helpers.

    Parameters
    ----------
    data : ndarray of shape (n, T, F) or (sum of T_i, F)
        Dense block, or all ragged sequences concatenated.
    lengths : ndarray of shape (n,)
        Valid steps of each sequence.
    offsets : ndarray of shape (n,) or None
        Start of each sequence in ``data`` when ragged.
    kind : {'2d', '3d', 'ragged', 'tokens'}
        How the sequences were given (predictions of sequence targets are
        returned in the same form).
    tokens : TokenSequences or None
        For ``kind='tokens'``: ``data`` holds the token ids (1-D) and this the
        vector table; batches are then ids of shape (T, B).
    """

    def __init__(self, data, lengths, offsets, kind, tokens=None):
        self.data, self.lengths, self.offsets, self.kind = data, lengths, offsets, kind
        self.tokens = tokens

    @property
    def n_samples(self):
        return len(self.lengths)

    @property
    def n_features(self):
        if self.tokens is not None:
            return self.tokens.n_dims
        return self.data.shape[-1]

    @property
    def ragged(self):
        return self.offsets is not None

    def sequence(self, i):
        """Sequence ``i`` as a (T_i, F) array."""
        if self.offsets is None:
            return self.data[i]
        return self.data[self.offsets[i] : self.offsets[i] + self.lengths[i]]

    def repeat_steps(self, repeat):
        """Read every step of every sequence ``repeat`` times in a row, in
        place; returns ``self``."""
        if repeat > 1:
            axis = 0 if self.offsets is not None else 1
            self.data = np.repeat(self.data, repeat, axis=axis)
            self.lengths = self.lengths * repeat
            if self.offsets is not None:
                self.offsets = self.offsets * repeat
        return self

    def batch(self, idx, *, dtype, xp):
        """Padded batch of the sequences ``idx`` as ``(F+1, T, B)`` on ``xp``.

        Padding is zeros; the final row is ones.  ``T`` is the longest length
        in the batch.  Returns ``(X, lengths)``; ``lengths`` stays on the host.
        For token sequences ``X`` is instead the token ids, shape (T, B),
        padded with id 0.
        """
        lengths = self.lengths[idx]
        if self.tokens is not None:
            ids = np.zeros((int(lengths.max()), len(idx)), dtype=np.intp)
            for j, i in enumerate(idx):
                ids[: lengths[j], j] = self.sequence(i)
            return xp.asarray(ids), lengths
        T, B, F = int(lengths.max()), len(idx), self.n_features
        out = np.empty((F + 1, T, B), dtype=dtype)
        out[F] = 1
        if self.offsets is None:
            out[:F] = self.data[idx, :T].transpose(2, 1, 0)
        else:
            out[:F] = 0
            for j, i in enumerate(idx):
                out[:F, : lengths[j], j] = self.sequence(i).T
        return xp.asarray(out), lengths


class TokenSequences:
    """Token ids of a set of texts, with the vector table they index.

    The compact output of :class:`sklstm.Embedder`: each text is a sequence
    of integer ids into ``vectors``, a ``(n_tokens, n_dims)`` table shared by
    all texts (not copied).  The LSTM estimators look the vectors up per
    batch, and fine-tune the table during training when ``trainable`` is
    true.  Memory is one ``int32`` per token instead of ``n_dims`` floats.

    It behaves like a 1-D sequence of texts for scikit-learn's splitters:
    ``len``, ``shape`` and indexing with an integer array, a boolean mask or
    a slice (which return a new :class:`TokenSequences` sharing the table).

    Parameters
    ----------
    ids : sequence of 1-D int arrays
        Token ids of each text; each text has at least one token.  Id 0 is
        reserved for padding and never appears inside a text.
    vectors : ndarray of shape (n_tokens, n_dims)
        The vector table; row ``i`` is the vector of id ``i``.  Every value
        must be finite (no NaN or inf).
    trainable : bool, default=True
        Whether estimators may fine-tune the table while they fit.
    words : array-like of str of shape (n_tokens,), default=None
        The word of each id (``Embedder.words_``), when known; language
        models (:class:`sklstm.LSTMLanguageModel`) predict these words.

    Attributes
    ----------
    lengths : ndarray of shape (n_samples,)
        Number of tokens of each text.

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm import TokenSequences
    >>> vectors = np.arange(8, dtype=np.float32).reshape(4, 2)
    >>> X = TokenSequences([[1, 2, 3], [3]], vectors)
    >>> len(X), X.lengths.tolist()
    (2, [3, 1])
    >>> X.to_list()[1]
    array([[6., 7.]], dtype=float32)
    """

    def __init__(self, ids, vectors, *, trainable=True, words=None):
        vectors = np.asarray(vectors)
        if vectors.ndim != 2 or not np.issubdtype(vectors.dtype, np.floating):
            raise ValueError(
                "vectors must be a 2-D float array (n_tokens, n_dims); got "
                f"{vectors.dtype} with shape {vectors.shape}."
            )
        _check_vectors(vectors, "vectors")
        seqs = [np.asarray(s) for s in ids]
        for i, s in enumerate(seqs):
            if s.ndim != 1 or not (np.issubdtype(s.dtype, np.integer) or s.size == 0):
                raise ValueError(
                    f"ids[{i}] must be a 1-D sequence of integer token ids; got "
                    f"{s.dtype} with shape {s.shape}."
                )
        lengths = np.array([len(s) for s in seqs], dtype=np.intp)
        if np.any(lengths < 1):
            i = int(np.flatnonzero(lengths < 1)[0])
            raise ValueError(f"Text {i} has no tokens; every text needs at least one.")
        flat = np.concatenate(seqs) if seqs else np.zeros(0, np.int64)
        if flat.size and (flat.min() < 1 or flat.max() >= vectors.shape[0]):
            raise ValueError(
                f"Token ids must lie in [1, {vectors.shape[0] - 1}] (id 0 is padding); "
                f"got ids from {flat.min()} to {flat.max()}."
            )
        if words is not None:
            words = np.asarray(words, dtype=object)
            if words.shape != (vectors.shape[0],):
                raise ValueError(
                    f"words must hold one word per row of vectors "
                    f"({vectors.shape[0]}); got shape {words.shape}."
                )
        self._set(flat.astype(np.int32), lengths, vectors, trainable, words)

    @classmethod
    def _from_flat(cls, flat, lengths, vectors, trainable, words=None):
        """Build from already valid concatenated ids, without checks."""
        self = cls.__new__(cls)
        self._set(flat, lengths, vectors, trainable, words)
        return self

    def _set(self, flat, lengths, vectors, trainable, words=None):
        self._ids, self.lengths = flat, lengths
        self.offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.intp)
        self.vectors, self.trainable = vectors, bool(trainable)
        self.words = words

    @property
    def n_tokens(self):
        """Rows of the vector table (the vocabulary size, padding included)."""
        return self.vectors.shape[0]

    @property
    def n_dims(self):
        """Length of each vector."""
        return self.vectors.shape[1]

    @property
    def shape(self):
        return (len(self.lengths),)

    def __len__(self):
        return len(self.lengths)

    def __repr__(self):
        return (
            f"TokenSequences(n_samples={len(self)}, n_tokens={self.n_tokens}, "
            f"n_dims={self.n_dims}, trainable={self.trainable})"
        )

    def ids(self, i):
        """Token ids of text ``i`` (a view)."""
        return self._ids[self.offsets[i] : self.offsets[i] + self.lengths[i]]

    def __getitem__(self, key):
        if isinstance(key, tuple):  # scikit-learn indexes arrays as X[key, ...]
            key = key[0]
        if isinstance(key, (int, np.integer)):
            return self.ids(key)
        index = np.arange(len(self))[key]
        lengths = self.lengths[index]
        flat = (
            np.concatenate([self.ids(i) for i in index])
            if len(index)
            else np.zeros(0, np.int32)
        )
        out = TokenSequences._from_flat(
            flat, lengths, self.vectors, self.trainable, self.words
        )
        # ids from it are n-grams (set by Embedder; None: words only)
        out._n_words = getattr(self, "_n_words", None)
        return out

    def to_list(self):
        """The vectors of each text: a list of ``(T_i, n_dims)`` arrays."""
        return [self.vectors[self.ids(i)] for i in range(len(self))]

    def to_array(self, max_length=None):
        """The vectors as a zero-padded array ``(n_samples, T, n_dims)``.

        ``T`` is the longest text, or ``max_length`` (longer texts are cut).
        Padding is at the end; models that cannot mask it should be given
        :meth:`to_list` instead.
        """
        T = int(self.lengths.max()) if max_length is None else int(max_length)
        out = np.zeros((len(self), T, self.n_dims), dtype=self.vectors.dtype)
        for i in range(len(self)):
            ids = self.ids(i)[:T]
            out[i, : len(ids)] = self.vectors[ids]
        return out


def _check_vectors(vectors, name):
    """Refuse a vector table with NaN or infinite values, naming the rows."""
    finite = np.isfinite(vectors).all(axis=1)
    if not finite.all():
        rows = np.flatnonzero(~finite)
        raise ValueError(
            f"{name} hold NaN or infinite values, in {len(rows)} of their "
            f"{len(vectors)} rows (first: row {rows[0]}); a network cannot learn "
            "from such token vectors. Give every token a finite vector."
        )


def is_ragged_container(X):
    if isinstance(X, np.ndarray) and X.dtype == object and X.ndim == 1:
        return True
    if isinstance(X, (list, tuple)) and len(X) > 0:
        return all(hasattr(s, "__len__") and not isinstance(s, str) for s in X) and (
            any(hasattr(s, "shape") for s in X) or len({len(s) for s in X}) > 1
        )
    return False


def _fast_ragged(X):
    """The common ragged input, float NumPy arrays of one feature count and
    finite values, validated in a few vectorised passes (sklearn's
    check_array costs ~70 µs per sequence); None when anything needs the
    per-sequence path, which also names the offending sequence."""
    seqs = []
    for s in X:
        if (
            type(s) is not np.ndarray
            or s.dtype not in FLOAT_DTYPES
            or s.ndim not in (1, 2)
            or 0 in s.shape
        ):
            return None
        seqs.append(s if s.ndim == 2 else s[:, None])
    if not seqs or len({s.shape[1] for s in seqs}) > 1:
        return None
    out = _concatenated(seqs)
    return out if np.isfinite(out.data).all() else None


def _concatenated(seqs):
    """:class:`SequenceData` of validated (T_i, F) arrays."""
    lengths = np.array([len(s) for s in seqs], dtype=np.intp)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.intp)
    dtype = np.result_type(*{s.dtype for s in seqs})
    data = np.concatenate(seqs).astype(dtype, copy=False)
    return SequenceData(data, lengths, offsets, "ragged")


def _check_ragged(X, input_name):
    fast = _fast_ragged(X)
    if fast is not None:
        return fast
    seqs = []
    for i, s in enumerate(X):
        s = to_numpy(s) if is_foreign_array(s) else s
        try:
            s = check_array(
                s,
                ensure_2d=False,
                dtype=FLOAT_DTYPES,
                ensure_min_samples=1,
                input_name=f"{input_name}[{i}]",
            )
        except ValueError as exc:
            raise ValueError(f"Invalid sequence {input_name}[{i}]: {exc}") from None
        if s.ndim == 1:
            s = s[:, None]
        if s.ndim != 2:
            raise ValueError(
                f"Each sequence of a ragged {input_name} must be 1-D (T_i,) or 2-D "
                f"(T_i, n_features); {input_name}[{i}] has shape {s.shape}."
            )
        seqs.append(s)
    if not seqs:
        raise ValueError(f"{input_name} contains no sequences.")
    n_features = {s.shape[1] for s in seqs}
    if len(n_features) > 1:
        raise ValueError(
            f"All sequences of {input_name} must have the same number of features; "
            f"got {sorted(n_features)}."
        )
    return _concatenated(seqs)


def check_sequences(estimator, X, *, reset, input_name="X"):
    """Validate ``X`` into a :class:`SequenceData`.

    With ``reset=True`` this records ``n_features_in_`` (and
    ``feature_names_in_`` for 2-D DataFrames) and the number of features per
    timestep on ``estimator``; with ``reset=False`` it checks them.
    """
    if is_foreign_array(X):
        X = to_numpy(X)
    if isinstance(X, TokenSequences):
        return _check_tokens(estimator, X, reset, input_name)
    if getattr(estimator, "_input_kind", None) == "tokens" and not reset:
        raise ValueError(
            f"{type(estimator).__name__} was fitted on token sequences (the output "
            f"of Embedder); {input_name} must be token sequences too."
        )
    if not sp.issparse(X) and (  # (dok_matrix is a dict)
        isinstance(X, (dict, set, frozenset))
        or not (hasattr(X, "__len__") or hasattr(X, "__array__"))
    ):
        raise TypeError(
            f"{input_name} must be an array-like or a list of sequences; got "
            f"{type(X).__name__} (pass a list, e.g. list({input_name}))."
        )
    shape = getattr(X, "shape", None)  # sparse matrices have no len()
    if shape is None and hasattr(X, "__len__"):
        shape = (len(X),)
    if shape and shape[0] == 0:
        raise ValueError(f"{input_name} holds no sequences (0 samples).")
    if is_ragged_container(X):
        seqs = _check_ragged(X, input_name)
        _record_step_features(estimator, seqs.n_features, reset, "ragged")
        return seqs
    ndim = getattr(X, "ndim", None)
    if ndim is None:
        if isinstance(X, (list, tuple)):
            _check_items(X, input_name)
        ndim = np.asarray(X).ndim
    if ndim == 3:
        if type(X) is np.ndarray and X.dtype in FLOAT_DTYPES:
            # what check_array would do to it: only the finiteness check
            # (a quarter of a short sequence's predict goes to check_array's
            # container inspection otherwise)
            assert_all_finite(X, input_name=input_name)
        else:
            X = check_array(X, allow_nd=True, dtype=FLOAT_DTYPES, input_name=input_name)
        if X.shape[1] == 0 or X.shape[2] == 0:
            raise ValueError(
                f"{input_name} has shape {X.shape}: sequences need at least one "
                "timestep and one feature."
            )
        _record_step_features(estimator, X.shape[2], reset, "3d")
        lengths = np.full(X.shape[0], X.shape[1], dtype=np.intp)
        return SequenceData(X, lengths, None, "3d")
    if ndim == 1 and len(X) and all(isinstance(s, (str, bytes)) for s in X):
        raise ValueError(
            f"{input_name} looks like raw text (a list of strings); LSTM estimators "
            "take numeric sequences, so turn each text into a sequence of token "
            "vectors first."
        )
    if ndim != 2:
        raise ValueError(
            f"{input_name} must be 2-D (n_samples, n_timesteps), 3-D (n_samples, "
            f"n_timesteps, n_features) or a list of sequences; got {ndim}-D input. "
            "Reshape your data, e.g. with X.reshape(1, -1) for a single univariate "
            "sequence."
        )
    if reset or getattr(estimator, "_input_kind", "2d") == "2d":
        # n_features_in_ = n_timesteps, as scikit-learn's checks expect
        X = validate_data(estimator, X, dtype=FLOAT_DTYPES, reset=reset)
        if reset:
            estimator._n_step_features, estimator._input_kind = 1, "2d"
    else:
        X = check_array(X, dtype=FLOAT_DTYPES, input_name=input_name)
    _record_step_features(estimator, 1, False, None)
    lengths = np.full(X.shape[0], X.shape[1], dtype=np.intp)
    return SequenceData(X[:, :, None], lengths, None, "2d")


def _check_items(X, input_name):
    """A list mixing sequences and scalars gets a clear error, not NumPy's."""
    kinds = [hasattr(s, "__len__") and not isinstance(s, (str, bytes)) for s in X]
    if any(kinds) and not all(kinds):
        i = kinds.index(not kinds[0])
        raise ValueError(
            f"{input_name}[{i}] is a {type(X[i]).__name__} but {input_name}[0] is a "
            f"{type(X[0]).__name__}: every item of {input_name} must be a sequence "
            "(a ragged list) or every item a number (one 2-D row per sample)."
        )


def _check_tokens(estimator, X, reset, input_name):
    # again here: the table may have changed since X was built
    _check_vectors(X.vectors, f"{input_name}.vectors")
    if reset:
        _record_step_features(estimator, X.n_dims, True, "tokens")
        estimator._n_tokens = X.n_tokens
    else:
        if getattr(estimator, "_input_kind", None) != "tokens":
            raise ValueError(
                f"{type(estimator).__name__} was fitted on numeric sequences, not "
                f"token sequences; {input_name} must be of the kind seen in fit."
            )
        if X.n_tokens != estimator._n_tokens:
            raise ValueError(
                f"{input_name} indexes a vocabulary of {X.n_tokens} tokens, but "
                f"{type(estimator).__name__} was fitted with {estimator._n_tokens}; "
                "use the same fitted Embedder in fit and predict."
            )
        _record_step_features(estimator, X.n_dims, False, None)
    if len(X) == 0:
        raise ValueError(f"{input_name} contains no sequences.")
    return SequenceData(X._ids, X.lengths, X.offsets, "tokens", tokens=X)


def _record_step_features(estimator, n_features, reset, kind):
    """Record (``reset``) or check the number of features per timestep."""
    if reset:
        estimator.n_features_in_ = n_features
        estimator._n_step_features, estimator._input_kind = n_features, kind
        if hasattr(estimator, "feature_names_in_"):
            del estimator.feature_names_in_
        return
    expected = getattr(estimator, "_n_step_features", None)
    if expected is not None and n_features != expected:
        raise ValueError(
            f"X has {n_features} features per timestep, but "
            f"{type(estimator).__name__} was fitted with {expected} features per "
            "timestep."
        )


def check_lengths_match(seqs, y):
    """Check that ``y`` has one target per sequence."""
    n_y = len(y)
    if n_y != seqs.n_samples:
        raise ValueError(
            f"X and y have inconsistent numbers of samples: {seqs.n_samples} "
            f"sequences but {n_y} targets."
        )


def iter_batches(lengths, batch_size, *, shuffle, random_state):
    """Yield index arrays of mini-batches, grouping similar lengths.

    With equal lengths this is a plain (shuffled) split.  With ragged
    lengths, indices are shuffled, sorted by length within windows of 50
    batches (so each batch needs little padding), and the batch order is
    shuffled again.  Without shuffling, batches follow length order.
    """
    n = len(lengths)
    equal = bool(np.all(lengths == lengths[0]))
    if shuffle:
        order = random_state.permutation(n)
    else:
        order = np.arange(n)
    if not equal:
        window = batch_size * 50
        for start in range(0, n, window):
            chunk = order[start : start + window]
            order[start : start + window] = chunk[
                np.argsort(lengths[chunk], kind="stable")
            ]
    batches = [order[i : i + batch_size] for i in range(0, n, batch_size)]
    if shuffle and not equal:
        batches = [batches[k] for k in random_state.permutation(len(batches))]
    yield from batches


def predict_batches(lengths, batch_size, *, min_steps=4096):
    """Index arrays of inference batches covering all sequences, in length
    order.

    A batch holds at most ``batch_size`` sequences, and is cut before a
    sequence that would more than double its padded size (steps times
    sequences) compared with its valid steps, unless that size is below
    ``min_steps``: one long sequence among short ones runs alone instead of
    padding hundreds of others to its length.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    order = np.argsort(lengths, kind="stable")
    batches, start, total = [], 0, 0
    for pos, L in enumerate(lengths[order].tolist()):
        count = pos - start
        padded = (count + 1) * L
        if count and (
            count >= batch_size or (padded > 2 * (total + L) and padded > min_steps)
        ):
            batches.append(order[start:pos])
            start, total = pos, 0
        total += L
    batches.append(order[start:])
    return batches


def is_nested_sequence(y):
    """Whether ``y`` is a list (or object array) of per-timestep sequences."""
    if isinstance(y, np.ndarray):
        return y.dtype == object and y.ndim == 1 and len(y) > 0 and _all_seq(y)
    return isinstance(y, (list, tuple)) and len(y) > 0 and _all_seq(y)


def _all_seq(items):
    return all(hasattr(s, "__len__") and not isinstance(s, (str, bytes)) for s in items)
