# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""Embedder: raw texts → token ids plus a table of word vectors."""

import functools
import os
import re
from array import array
from numbers import Integral
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.extmath import randomized_svd
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted

from sklstm._sequences import TokenSequences
from sklstm.preprocessing._set_output import SequenceTransformerMixin

PAD, UNK = "<pad>", "<unk>"
_DTYPE = np.float32
# Spread of the corpus-learned and random vectors: a table at this scale
# fine-tunes well (Keras' uniform(-0.05, 0.05) embedding init is of this
# order; unit-scale vectors train clearly worse).
_VECTOR_STD = 0.05
# Co-occurrences are counted over at most this many tokens (whole texts
# drawn at random), in chunks of about _PPMI_CHUNK_TOKENS: enough for stable
# vectors of a 20,000-word vocabulary, with bounded memory on any corpus.
_PPMI_MAX_TOKENS = 4_000_000
_PPMI_CHUNK_TOKENS = 500_000
# Root mean square, per text position, of the label entries: 8 times the
# spread of the corpus vectors, so that the classifier finds the words'
# class evidence at once (on MR, MPQA and Subj, scales 1 and 4 gave less).
_LABEL_RMS = 8 * _VECTOR_STD
# min_count='auto' keeps the words seen once when min_count=2 would leave
# more than this share of the training texts without a vocabulary word
# (MPQA: 5%; TREC, MR, Subj: none).
_AUTO_MIN_COUNT_LOST = 0.01
# An n-gram token needs at least this many occurrences: one seen once has no
# vector or class evidence worth learning.
_NGRAM_MIN_COUNT = 2


class Embedder(
    ClassNamePrefixFeaturesOutMixin, SequenceTransformerMixin, BaseEstimator
):
    """Turn raw texts into sequences of word vectors for an LSTM.

    Texts are split into tokens, tokens mapped to ids in a vocabulary built
    on the training texts, and each id has a vector.  The vectors are learned
    from the training texts themselves (no labels needed, nothing
    downloaded) or given by the user.  When :meth:`fit` gets class labels
    (as it does in a :class:`~sklearn.pipeline.Pipeline` ending in a
    classifier), each vector also gets ``label_dims`` entries per class
    holding the word's class evidence (see ``label_dims``).

    The output is compact: a :class:`TokenSequences` holding the token ids
    and a reference to the vector table, not an ``(n, T, n_dims)`` array, so
    a million texts fit in memory.  :class:`~sklstm.LSTMClassifier` and
    :class:`~sklstm.LSTMRegressor` look the vectors up per batch and, when
    ``trainable=True``, fine-tune the table while they fit (the behaviour
    of a Keras ``Embedding`` layer).  The embedder's own ``vectors_`` are
    never modified; the fine-tuned table is the estimator's
    ``embeddings_``.

    Read more in the :ref:`User Guide <embedder_guide>`.

    Parameters
    ----------
    vectors : {'ppmi', 'random'}, dict, tuple or path, default='ppmi'
        Where the word vectors come from:

        - ``'ppmi'``: learned from the training texts: positive pointwise
          mutual information of word co-occurrences within ``window`` tokens,
          factorised by a truncated SVD into ``n_dims`` dimensions.  Words
          used in similar contexts get similar vectors;
        - ``'random'``: uniform in [-0.05, 0.05] (Keras' default), useful
          when the table is fine-tuned from scratch;
        - a dict ``{word: vector}``, or a tuple ``(words, array)`` with one
          row of ``array`` per word;
        - the path of a word2vec or GloVe text file (``word v1 v2 ...`` per
          line; a word2vec ``count dim`` header line is skipped).  Only the
          vectors of vocabulary words are read.

        Given vectors are used as they are; vocabulary words they lack get
        random vectors of the same spread (their number is ``n_missing_``).
        The corpus-learned and random vectors are scaled to a standard
        deviation of 0.05 per entry.
    n_dims : int, default=100
        Length of the learned or random vectors (ignored for given vectors).
    token_pattern : str, default=r"\\w+(?:'\\w+)*|[^\\w\\s]"
        Regular expression of a token: words (with inner apostrophes, such
        as "isn't") and single punctuation marks, which carry sentiment
        ("!") and sentence structure.
    lowercase : bool, default=True
        Lowercase texts before tokenising.
    tokenizer : callable, default=None
        ``tokenizer(text) -> list of str``; replaces ``token_pattern`` (and is
        applied after lowercasing).
    max_tokens : int, default=20000
        Size of the vocabulary, the padding and out-of-vocabulary tokens
        included: the most frequent ``max_tokens - 2`` words are kept, then
        n-grams (see ``ngrams``) in the room they leave.
    min_count : int or 'auto', default='auto'
        Tokens seen fewer times in the training texts are out of
        vocabulary (too rare to learn a vector for).  ``'auto'`` resolves
        to 2, unless more than 1% of the training texts would then be left
        with no vocabulary word at all (and so look alike, a row of
        ``'<unk>'``), as happens with very short texts: then to 1, since a
        word seen once is still all there is to go on.  On MPQA (phrases of
        two words in the median, 5% of them made only of words seen once)
        keeping those words raised the accuracy of
        ``make_pipeline(Embedder(), LSTMClassifier())`` from 84.8% to
        86.2%, on every fold (folds 0 to 4 of a 10-fold CV, 3 seeds each);
        on sentence sets, where no text is lost (TREC, MR, Subj), they are
        noise: 1 lowered TREC's from 85.0% to 83.3% (CV on its training
        set).  The value used is ``min_count_``.
    window : int, default=5
        Co-occurrence window of ``vectors='ppmi'``, in tokens on each side
        (nearer words weigh more, as in word2vec).
    max_length : int, default=None
        Keep at most the last ``max_length`` tokens (n-grams included) of
        each text (the end of a text is what an LSTM remembers best; Keras
        truncates the same way).  ``None`` keeps every token.
    label_dims : int, default=8
        Entries appended to every word vector per class when :meth:`fit`
        gets class labels ``y`` (binary or multiclass; one set of entries
        for two classes): the word's smoothed log-count ratio of each class
        against the others, the feature of NBSVM (Wang & Manning, 2012),
        repeated ``label_dims`` times so that the classifier's dropout on
        the word vectors does not erase it.  A word that appears in the
        texts of a class more often than that class's share of the texts
        predicts gets a positive entry.  This starts a classifier from what
        a bag-of-words model knows, which it would otherwise have to learn
        from a few thousand sentences; fine-tuning then adapts it.  On
        sentence classification sets it raised the accuracy of
        ``make_pipeline(Embedder(), LSTMClassifier())`` by about 2 points
        on MR, 3 on Subj and 1 on MPQA (one CV fold, 5 seeds), past TF-IDF
        with logistic regression on Subj, level with it on MR and MPQA;
        TREC's question types did not move.  0, ``y=None``, a continuous
        ``y`` or a single class adds nothing; the number added is
        ``n_label_dims_``.
    ngrams : int or 'auto', default='auto'
        Longest run of words that also becomes a token of its own: with 2,
        "how many dogs" is read as ``how``, ``how many``, ``many``, ``many
        dogs``, ``dogs`` (each n-gram right after its first word), and the
        n-grams get vectors and label entries like words.  An n-gram needs
        ``max(min_count, 2)`` occurrences in the training texts and fills
        the vocabulary room the words leave (ids after the words'); one out
        of the vocabulary is left out, not read as ``'<unk>'``.
        ``'auto'`` resolves to 2 when :meth:`fit` gets the labels of three
        or more classes, the vectors are learned (``'ppmi'`` or
        ``'random'``) and the texts are sentences rather than phrases (the
        test of ``min_count='auto'`` finds no more than 1% of them without
        a word seen twice), and to 1 (words only) otherwise.  Chosen by
        cross-validation on training data (10-fold CV, folds and seeds
        paired): on TREC's six question types, where "how many" or "who
        was" decides the class, bigrams raised
        ``make_pipeline(Embedder(), LSTMClassifier())`` from 85.5% to 86.5%
        (CV of its training set, folds 0-2 × seeds 0-2; TF-IDF with
        logistic regression: 86.1%), on every fold.  On the two-class
        sentence sets they moved it by half a point either way (MR 77.6% →
        77.1%, Subj 92.6% → 93.0%, 29 and 28 fits) for 1.6 times the fit
        time, and on MPQA's phrases of two or three words, where an n-gram
        is most of the text and is learned by heart, they lowered it from
        85.6% to 85.1%; a language model (no labels) predicts words.  The
        value used is ``ngrams_``.  A pipeline streams texts with bigrams
        (the state carries each stream's last word), not with longer ones.
    trainable : bool, default=True
        Let LSTM estimators fine-tune the table (see above).  Fine-tuning is
        what makes text models good; keep the table frozen only with good
        given vectors and little training data.
    output : {'tokens', 'list', 'array'}, default='tokens'
        What :meth:`transform` returns: a :class:`TokenSequences` (ids plus
        table, for sklstm estimators), a list of ``(T_i, n_dims)`` arrays,
        or a zero-padded ``(n_samples, T, n_dims)`` array for models that
        need one (``T`` is ``max_length`` or the longest text).
    random_state : int, RandomState instance or None, default=None
        Seed of the SVD and of random vectors.

    Attributes
    ----------
    vocabulary_ : dict
        Token → id.  Id 0 is padding (``'<pad>'``), id 1 stands for every
        out-of-vocabulary token (``'<unk>'``).
    words_ : ndarray of str of shape (n_tokens,)
        Id → token: the inverse of ``vocabulary_``.
    counts_ : ndarray of shape (n_tokens,)
        Occurrences of each token in the training texts (those of all
        out-of-vocabulary tokens for id 1).
    vectors_ : ndarray of shape (n_tokens, n_dims)
        The vector table (float32); row 0 (padding) is zero.
    n_missing_ : int or None
        Vocabulary words the given vectors lacked; None for learned or
        random vectors.
    label_ratios_ : ndarray of shape (n_tokens, n_ratios) or None
        Log-count ratio of each token for each class (one column for two
        classes: the second class against the first), before scaling and
        repetition; rows 0 and 1 (padding, ``'<unk>'``) are zero.  None
        when no label entries were added.
    min_count_ : int
        The ``min_count`` used (``'auto'`` resolved).
    ngrams_ : int
        The ``ngrams`` used (``'auto'`` resolved): 1 for words only.
    n_words_ : int
        Ids below it are words (``'<pad>'`` and ``'<unk>'`` included), ids
        from it n-grams; ``len(words_)`` without n-grams.
    n_label_dims_ : int
        Label entries at the end of each vector (``label_dims`` times the
        columns of ``label_ratios_``, or 0): ``vectors_`` has
        ``n_dims + n_label_dims_`` columns (for learned or random vectors).

    See Also
    --------
    TokenSequences : The compact output.
    LSTMClassifier : Fits on it, fine-tuning the table.

    Notes
    -----
    An empty text (no token) becomes a single ``'<unk>'`` token, so that
    every text gets a prediction.

    The output is a sequence of vectors per text, which no DataFrame can
    hold: :meth:`set_output` is accepted (so a pipeline's ``set_output``
    and ``sklearn.set_config(transform_output="pandas")`` work) and the
    sequences are returned as they are.  :meth:`get_feature_names_out`
    names the entries of a vector, ``'embedder0'``, ``'embedder1'``, ...

    The log-count ratio of word :math:`w` and class :math:`k` compares the
    share of the texts of class :math:`k` that contain :math:`w` with the
    same share among the other texts:

    .. math::

        r_k(w) = \\log \\frac{(n_{wk} + \\pi_k) / N_k}
                            {(n_{w\\bar k} + 1 - \\pi_k) / N_{\\bar k}}

    where :math:`n_{wk}` counts the texts of class :math:`k` containing
    :math:`w`, :math:`N_k` the texts of class :math:`k` and :math:`\\pi_k`
    their share; the bar means the other classes.  The pseudo-counts, one
    text split in proportion to the classes, shrink rare words towards 0
    (no evidence) whatever the class sizes.  The ratios are scaled to a
    root mean square of 0.4 per text position (eight times the spread of
    the learned vectors).  They are computed on the texts given to
    :meth:`fit`, like everything else the embedder learns.

    References
    ----------
    O. Levy, Y. Goldberg and I. Dagan, "Improving distributional similarity
    with lessons learned from word embeddings", TACL 3, 2015 (PPMI with
    context-distribution smoothing, factorised by SVD).

    S. Wang and C. D. Manning, "Baselines and bigrams: simple, good
    sentiment and topic classification", ACL 2012 (log-count ratios).

    Examples
    --------
    >>> from sklstm import Embedder
    >>> texts = ["a good film", "a bad film", "good acting", "bad acting"]
    >>> emb = Embedder(n_dims=2, min_count=1, random_state=0).fit(texts)
    >>> emb.words_.tolist()
    ['<pad>', '<unk>', 'a', 'acting', 'bad', 'film', 'good']
    >>> X = emb.transform(["a good film !"])
    >>> X[0].tolist(), emb.inverse(X[0])
    ([2, 6, 5, 1], ['a', 'good', 'film', '<unk>'])
    >>> emb.vectors_.shape
    (7, 2)
    """

    _parameter_constraints: dict = {
        "vectors": [str, os.PathLike, dict, tuple],
        "n_dims": [Interval(Integral, 1, None, closed="left")],
        "token_pattern": [str],
        "lowercase": ["boolean"],
        "tokenizer": [callable, None],
        "max_tokens": [Interval(Integral, 3, None, closed="left")],
        "min_count": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "window": [Interval(Integral, 1, None, closed="left")],
        "label_dims": [Interval(Integral, 0, None, closed="left")],
        "ngrams": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "max_length": [Interval(Integral, 1, None, closed="left"), None],
        "trainable": ["boolean"],
        "output": [StrOptions({"tokens", "list", "array"})],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        vectors="ppmi",
        n_dims=100,
        token_pattern=r"\w+(?:'\w+)*|[^\w\s]",
        lowercase=True,
        tokenizer=None,
        max_tokens=20000,
        min_count="auto",
        window=5,
        label_dims=8,
        ngrams="auto",
        max_length=None,
        trainable=True,
        output="tokens",
        random_state=None,
    ):
        self.vectors = vectors
        self.n_dims = n_dims
        self.token_pattern = token_pattern
        self.lowercase = lowercase
        self.tokenizer = tokenizer
        self.max_tokens = max_tokens
        self.min_count = min_count
        self.window = window
        self.label_dims = label_dims
        self.ngrams = ngrams
        self.max_length = max_length
        self.trainable = trainable
        self.output = output
        self.random_state = random_state

    # ------------------------------------------------------------ fitting
    def fit(self, X, y=None):
        """Build the vocabulary and the vector table from texts.

        Parameters
        ----------
        X : iterable of str
            Training texts.
        y : array-like of shape (n_samples,), default=None
            Class labels of the texts: each vector then gets their
            log-count ratios (see ``label_dims``).  None, or a continuous
            target, adds nothing.

        Returns
        -------
        self : Embedder
        """
        self._fit(X, y)
        return self

    def fit_transform(self, X, y=None):
        """Fit to the texts and return them embedded (tokenising once).

        Parameters
        ----------
        X : iterable of str
            Training texts.
        y : array-like of shape (n_samples,), default=None
            Class labels of the texts (see :meth:`fit`).

        Returns
        -------
        X_out : TokenSequences, list of ndarray or ndarray
            See ``output``.
        """
        return self._output(self._truncate(self._fit(X, y)))

    def _fit(self, X, y=None):
        self._validate_params()
        if isinstance(self.vectors, str) and self.vectors not in ("ppmi", "random"):
            if not Path(self.vectors).is_file():
                raise ValueError(
                    "vectors must be 'ppmi', 'random', a dict, a (words, array) "
                    f"tuple or the path of a vectors file; {self.vectors!r} is "
                    "none of these (no such file)."
                )
        texts = _check_texts(X)
        # one pass: provisional ids in order of first appearance (-1: empty
        # text); n-grams are counted on these ids
        index, flat, lengths = self._count(texts)
        counts = np.bincount(flat[flat >= 0], minlength=len(index)).tolist()
        phrases = self._phrases(counts, flat, lengths)
        self.min_count_ = (
            self.min_count if self.min_count != "auto" else (1 if phrases else 2)
        )
        self.ngrams_ = self._resolve_ngrams(y, phrases)
        names = list(index)
        # the words by decreasing frequency (ties: a-z), then the n-grams
        # likewise, in the room the words leave
        kept = sorted(
            (j for j, c in enumerate(counts) if c >= self.min_count_),
            key=lambda j: (-counts[j], names[j]),
        )[: self.max_tokens - 2]
        self.n_words_ = 2 + len(kept)
        ngrams = _count_ngrams(flat, lengths, self.ngrams_)
        ngram_min = max(self.min_count_, _NGRAM_MIN_COUNT)
        candidates = []  # (-count, words, k, index among the k-grams)
        for k, (_, starts, n_seen) in enumerate(ngrams, start=2):
            for g in np.flatnonzero(n_seen >= ngram_min):
                words = tuple(names[j] for j in flat[starts[g] : starts[g] + k])
                candidates.append((-int(n_seen[g]), words, k, g))
        candidates.sort(key=lambda t: t[:2])
        del candidates[self.max_tokens - self.n_words_ :]
        self.words_ = np.array(
            [PAD, UNK]
            + [names[j] for j in kept]
            + [_token_name(t[1]) for t in candidates],
            dtype=object,
        )
        self.vocabulary_ = {w: i for i, w in enumerate(self.words_)}
        n_tokens = len(self.words_)
        self.counts_ = np.zeros(n_tokens, dtype=np.int64)
        self.counts_[2 : self.n_words_] = [counts[j] for j in kept]
        self.counts_[self.n_words_ :] = [-t[0] for t in candidates]
        self.counts_[1] = sum(counts) - self.counts_[2 : self.n_words_].sum()
        # each position: its word ('<unk>' out of the vocabulary; the last
        # slot is an empty text's), then the n-grams starting there (-1,
        # left out, where none or out of the vocabulary)
        remap = np.ones(len(index) + 1, dtype=np.int32)
        remap[kept] = np.arange(2, self.n_words_, dtype=np.int32)
        slots = np.full((len(flat), self.ngrams_), -1, dtype=np.int32)
        slots[:, 0] = remap[flat]
        ngram_ids = [
            np.full(len(n_seen), -1, dtype=np.int32) for _, _, n_seen in ngrams
        ]
        for i, (_, _, k, g) in enumerate(candidates, start=self.n_words_):
            ngram_ids[k - 2][g] = i
        for k, (index_k, _, _) in enumerate(ngrams, start=2):
            at = index_k >= 0
            slots[at, k - 1] = ngram_ids[k - 2][index_k[at]]
        flat, lengths = _drop_left_out(slots.ravel(), lengths * self.ngrams_)
        ids = TokenSequences._from_flat(
            flat, lengths, np.empty((n_tokens, 0), _DTYPE), self.trainable
        )
        rs = check_random_state(self.random_state)
        self.n_missing_ = None
        if isinstance(self.vectors, str) and self.vectors == "ppmi":
            table = _ppmi_svd_vectors(ids, n_tokens, self.n_dims, self.window, rs)
        elif isinstance(self.vectors, str) and self.vectors == "random":
            table = rs.uniform(-0.05, 0.05, (n_tokens, self.n_dims))
        else:
            table, self.n_missing_ = self._given_vectors(rs)
        self.label_ratios_ = self._label_ratios(ids, y, len(texts))
        self.n_label_dims_ = 0
        if self.label_ratios_ is not None:
            label = _scale_rms(self.label_ratios_, self.counts_, _LABEL_RMS)
            label = np.repeat(label, self.label_dims, axis=1)
            self.n_label_dims_ = label.shape[1]
            table = np.hstack([table, label])
        table = np.asarray(table, dtype=_DTYPE)
        table[0] = 0
        self.vectors_ = table
        ids.vectors = table
        return ids

    def __setstate__(self, state):
        # embedders saved before label entries existed added none, and
        # those saved before n-grams had none
        state = {"label_dims": 0, "ngrams": 1, **state}
        if "words_" in state and "ngrams_" not in state:
            state.update(ngrams_=1, n_words_=len(state["words_"]))
        super().__setstate__(state)

    def _count(self, texts):
        """Tokenise: provisional ids of the words in order of first
        appearance, flat (-1 for an empty text), and the number of words of
        each text."""
        index, flat, lengths = {}, array("i"), np.empty(len(texts), np.intp)
        tokenize, lower = self._tokenizer(), self.lowercase
        for i, text in enumerate(texts):
            tokens = tokenize(text.lower() if lower else text)
            lengths[i] = len(tokens) or 1
            if tokens:
                flat.extend([index.setdefault(t, len(index)) for t in tokens])
            else:
                flat.append(-1)
        return index, np.frombuffer(flat, dtype=np.int32), lengths

    @staticmethod
    def _phrases(counts, flat, lengths):
        """Whether the texts are phrases rather than sentences: more than
        ``_AUTO_MIN_COUNT_LOST`` of them would be left with no word seen
        twice (no vocabulary word with ``min_count=2``)."""
        # the highest count of a token of each text (an empty text, -1 in
        # ``flat``, is '<unk>' whatever min_count is: counted as kept)
        seen = np.append(np.asarray(counts, dtype=np.int64), 2)[flat]
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        lost = np.maximum.reduceat(seen, starts) < 2
        return bool(lost.mean() > _AUTO_MIN_COUNT_LOST)

    def _resolve_ngrams(self, y, phrases):
        """``ngrams``, with 'auto' resolved (see the parameter)."""
        if self.ngrams != "auto":
            return self.ngrams
        learned = isinstance(self.vectors, str) and self.vectors in ("ppmi", "random")
        return 2 if learned and not phrases and _n_classes(y) >= 3 else 1

    def _label_ratios(self, ids, y, n_samples):
        """Log-count ratios of the tokens for the classes of ``y``, or None
        (no labels, no class labels, or ``label_dims=0``)."""
        n_classes = _n_classes(y)
        if n_classes == 0 or self.label_dims == 0:
            return None
        y = np.asarray(y)
        if len(y) != n_samples:
            raise ValueError(
                f"y has {len(y)} labels for {n_samples} texts; pass one label per text."
            )
        if n_classes < 2:  # nothing to compare a class with (the ratio is 0/0)
            return None
        _, y = np.unique(y, return_inverse=True)
        n_class = np.bincount(y).astype(np.float64)
        # texts of each class containing each token (a token counts once per text)
        text = np.repeat(np.arange(n_samples), ids.lengths)
        present = sp.csr_matrix(
            (np.ones(len(text)), (ids._ids, text)),
            shape=(len(self.words_), n_samples),
        )
        present.data[:] = 1.0
        n_wk = np.asarray(
            present
            @ sp.csr_matrix(
                (np.ones(n_samples), (np.arange(n_samples), y)),
                shape=(n_samples, len(n_class)),
            ).toarray()
        )
        share = n_class / n_samples
        n_w = n_wk.sum(axis=1, keepdims=True)
        inside = (n_wk + share) / n_class
        outside = (n_w - n_wk + 1 - share) / (n_samples - n_class)
        ratios = np.log(inside / outside)
        if len(n_class) == 2:
            ratios = ratios[:, 1:]  # the first class's is about its negative
        ratios[:2] = 0
        return ratios

    def _given_vectors(self, rs):
        """Vectors of the vocabulary from the user's dict, tuple or file."""
        source = self.vectors
        if isinstance(source, tuple):
            if len(source) != 2:
                raise ValueError(
                    "vectors given as a tuple must be (words, array); got a tuple "
                    f"of {len(source)} items."
                )
            words, array = source
            array = np.asarray(array, dtype=np.float64)
            if array.ndim != 2 or len(words) != len(array):
                raise ValueError(
                    "vectors=(words, array) needs a 2-D array with one row per word; "
                    f"got {len(words)} words and an array of shape {array.shape}."
                )
            source = dict(zip(words, array, strict=True))
        if isinstance(source, dict):
            found = {w: source[w] for w in self.words_[2:] if w in source}
        else:
            found = _read_vectors_file(source, set(self.words_[2:]))
        if not found:
            raise ValueError(
                "None of the vocabulary words has a vector in the given vectors; "
                "check the tokenisation (lowercase?) or use vectors='ppmi'."
            )
        found = {w: np.asarray(v, dtype=np.float64).ravel() for w, v in found.items()}
        dims = {len(v) for v in found.values()}
        if len(dims) > 1:
            raise ValueError(
                f"The given vectors have different lengths: {sorted(dims)}."
            )
        n_dims = dims.pop()
        known = np.array(list(found.values()))
        if not np.all(np.isfinite(known)):
            raise ValueError("The given vectors contain NaN or infinite values.")
        big = float(np.finfo(_DTYPE).max)
        if np.abs(known).max() > big:
            raise ValueError(
                f"The given vectors hold values beyond float32's range (±{big:.3g}), "
                "the dtype of the table, where they would become infinite: "
                "rescale them."
            )
        std = float(known.std()) or _VECTOR_STD
        table = rs.normal(0.0, std, (len(self.words_), n_dims))
        for w, v in found.items():
            table[self.vocabulary_[w]] = v
        return table, len(self.words_) - 2 - len(found)

    # ------------------------------------------------------------ transforming
    def transform(self, X):
        """Embed texts.

        Parameters
        ----------
        X : iterable of str
            Texts.

        Returns
        -------
        X_out : TokenSequences, list of ndarray or ndarray
            Token ids plus the table (``output='tokens'``), a list of
            ``(T_i, n_dims)`` arrays (``'list'``), or a padded
            ``(n_samples, T, n_dims)`` array (``'array'``).
        """
        return self._transform_chunk(X)[0]

    def _transform_chunk(self, X, tails=None):
        """:meth:`transform`, the texts continuing streams whose last words
        are ``tails`` (see :meth:`_embed`); also returns the streams' new
        last words (an object array, None where no word was read yet)."""
        check_is_fitted(self)
        texts = _check_texts(X)
        if tails is not None and len(tails) != len(texts):
            raise ValueError(
                f"The state covers {len(tails)} stream(s), but X_chunk holds "
                f"{len(texts)}: give every call a chunk of each of the same "
                "streams, in the same order (or keep one state per stream)."
            )
        seqs, last = self._embed(texts, tails)
        return self._output(self._truncate(seqs)), np.array(last, dtype=object)

    def _embed(self, texts, tails=None):
        """Token ids of texts; with ``tails`` (the last word read of each
        stream, or None), the texts continue streams: a text's first word
        then makes a bigram with its stream's last word, put first, where
        the whole text would have it (``ngrams_ == 2``).  Returns the
        sequences and each text's last word (its tail if it has none)."""
        get, flat = self.vocabulary_.get, array("i")
        lengths = np.empty(len(texts), np.intp)
        tokenize, lower, n = self._tokenizer(), self.lowercase, self.ngrams_
        last = [None] * len(texts) if tails is None else list(tails)
        for i, text in enumerate(texts):
            words = tokenize(text.lower() if lower else text)
            if n > 1:  # an n-gram out of the vocabulary is left out
                before = [] if last[i] is None else [last[i]]
                ids = [
                    j
                    for j in (
                        get(_token_name(t), -1 if isinstance(t, tuple) else 1)
                        for t in _with_ngrams(before + words, n)[len(before) :]
                    )
                    if j >= 0
                ]
            else:
                ids = [get(t, 1) for t in words]
            if words:
                last[i] = words[-1]
            lengths[i] = len(ids) or 1
            flat.extend(ids or [1])  # an empty text is one <unk>
        seqs = TokenSequences._from_flat(
            np.frombuffer(flat, dtype=np.int32), lengths, self.vectors_, self.trainable
        )
        return seqs, last

    def _output(self, tokens):
        tokens.words = self.words_
        n_grams = self.n_words_ < len(self.words_)
        tokens._n_words = self.n_words_ if n_grams else None
        if self.output == "list":
            return tokens.to_list()
        if self.output == "array":
            return tokens.to_array(self.max_length)
        return tokens

    def _tokenizer(self):
        if self.tokenizer is not None:
            return functools.partial(_checked_tokens, self.tokenizer)
        try:
            pattern = re.compile(self.token_pattern)
        except re.error as exc:
            raise ValueError(
                f"token_pattern {self.token_pattern!r} is not a valid regular "
                f"expression: {exc}."
            ) from None
        if pattern.groups > 1:
            raise ValueError(
                f"token_pattern {self.token_pattern!r} has {pattern.groups} capturing "
                "groups; use at most one (the token), e.g. with (?:...) for the "
                "others."
            )
        return pattern.findall

    def _truncate(self, seqs):
        """Keep the last ``max_length`` tokens of each text."""
        lengths = seqs.lengths
        if self.max_length is None or lengths.max() <= self.max_length:
            return seqs
        keep = np.minimum(lengths, self.max_length)
        ends = seqs.offsets + lengths
        flat = np.concatenate(
            [seqs._ids[e - k : e] for e, k in zip(ends, keep, strict=True)]
        )
        return TokenSequences._from_flat(flat, keep, seqs.vectors, seqs.trainable)

    @property
    def _n_features_out(self):
        """Entries of a vector: the features of each step of the output."""
        return self.vectors_.shape[1]

    # ------------------------------------------------------------ inspecting
    def inverse(self, ids):
        """Tokens of a sequence of ids.

        Parameters
        ----------
        ids : array-like of int, or TokenSequences
            Token ids of one text, or many texts.

        Returns
        -------
        tokens : list of str, or list of list of str for TokenSequences
        """
        check_is_fitted(self)
        if isinstance(ids, TokenSequences):
            return [self.inverse(ids[i]) for i in range(len(ids))]
        ids = np.asarray(ids)
        if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
            raise ValueError("ids must be a 1-D sequence of integer token ids.")
        if ids.size and (ids.min() < 0 or ids.max() >= len(self.words_)):
            raise ValueError(
                f"Token ids must lie in [0, {len(self.words_) - 1}]; got ids from "
                f"{ids.min()} to {ids.max()}."
            )
        return self.words_[ids].tolist()

    def inverse_transform(self, X):
        """Texts (their words joined by spaces; n-gram tokens left out) of
        token sequences.

        Parameters
        ----------
        X : TokenSequences
            Output of :meth:`transform`.

        Returns
        -------
        texts : list of str
        """
        if not isinstance(X, TokenSequences):
            raise TypeError(
                "inverse_transform needs the TokenSequences made by transform "
                "(output='tokens'); vectors cannot be mapped back to words exactly."
            )
        words = self.words_[: self.n_words_]
        return [
            " ".join(words[X.ids(i)[X.ids(i) < self.n_words_]].tolist())
            for i in range(len(X))
        ]

    def most_similar(self, word, n=10, *, vectors=None):
        """The words whose vectors are nearest to ``word``'s (cosine).

        Parameters
        ----------
        word : str
            A vocabulary token (lowercased first when ``lowercase=True``).
        n : int, default=10
            How many neighbours to return.
        vectors : ndarray of shape (n_tokens, n_dims), default=None
            Table to search instead of ``vectors_``: e.g. the fine-tuned
            ``embeddings_`` of an LSTM estimator fitted on this embedder's
            output.

        Returns
        -------
        neighbours : list of (str, float)
            Words and cosine similarities, most similar first; padding and
            ``'<unk>'`` are never returned.

        Examples
        --------
        >>> from sklstm import Embedder
        >>> texts = ["the cat sat", "the dog sat", "a cat ran", "a dog ran"] * 5
        >>> emb = Embedder(n_dims=3, random_state=0).fit(texts)
        >>> [w for w, _ in emb.most_similar("cat", n=1)]
        ['dog']
        """
        check_is_fitted(self)
        table = self.vectors_ if vectors is None else np.asarray(vectors)
        if table.ndim != 2 or table.shape[0] != len(self.words_):
            raise ValueError(
                f"vectors must have one row per vocabulary token ({len(self.words_)}); "
                f"got shape {table.shape}."
            )
        key = word.lower() if self.lowercase else word
        i = self.vocabulary_.get(key)
        if i is None or i < 2:
            raise KeyError(f"{word!r} is not in the vocabulary.")
        norms = np.linalg.norm(table, axis=1)
        norms[norms == 0] = 1
        sims = table @ table[i] / (norms * norms[i])
        sims[[0, 1, i]] = -np.inf
        n = min(int(n), len(sims) - 3)
        best = np.argsort(-sims, kind="stable")[:n]
        return [(str(self.words_[j]), float(sims[j])) for j in best]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.transformer_tags.preserves_dtype = []
        return tags


def _with_ngrams(words, n):
    """The words, each followed by the n-grams (tuples of 2 to ``n`` words)
    that start with it."""
    out = []
    for i, word in enumerate(words):
        out.append(word)
        out.extend(
            tuple(words[i : i + k]) for k in range(2, min(n, len(words) - i) + 1)
        )
    return out


def _count_ngrams(flat, lengths, n):
    """The n-grams of 2 to ``n`` words in concatenated word ids (-1: an
    empty text), counted without building them: for each length ``k``, the
    dense index of the k-gram that starts at each position (-1 where its
    text has fewer than ``k`` words left), the first position of each
    distinct k-gram, and how often each occurs."""
    out = []
    end = np.repeat(np.cumsum(lengths), lengths)  # where each position's text ends
    pos = np.arange(len(flat))
    code, base = flat.astype(np.int64), int(flat.max(initial=0)) + 1
    for k in range(2, n + 1):
        # a k-gram is the (k-1)-gram at p and the word at p + k - 1; its
        # code stays below len(flat) * base < 2**62
        at = np.flatnonzero(pos + k <= end)
        _, first, inverse, n_seen = np.unique(
            code[at] * base + flat[at + k - 1],
            return_index=True,
            return_inverse=True,
            return_counts=True,
        )
        code = np.full(len(flat), -1, dtype=np.int64)
        code[at] = inverse.ravel()
        out.append((code, at[first], n_seen))
    return out


def _token_name(token):
    """A vocabulary entry: a word, or an n-gram's words joined by spaces."""
    return " ".join(token) if isinstance(token, tuple) else token


def _drop_left_out(flat, lengths):
    """Remove the tokens marked -1 (n-grams out of the vocabulary) from
    concatenated ids; every text keeps its words."""
    keep = flat >= 0
    if keep.all():
        return flat, lengths
    text = np.repeat(np.arange(len(lengths)), lengths)
    lengths = np.bincount(text[keep], minlength=len(lengths)).astype(np.intp)
    return np.ascontiguousarray(flat[keep]), lengths


def _n_classes(y):
    """The number of classes of ``y``: 0 for no labels, continuous ones or
    anything else that is not one class label per text."""
    if y is None:
        return 0
    try:
        kind = type_of_target(y)
    except ValueError:  # e.g. label sequences for tagging
        return 0
    if kind not in ("binary", "multiclass"):
        return 0
    return len(np.unique(np.asarray(y)))


def _checked_tokens(tokenizer, text):
    """``tokenizer(text)``, checked to be a list of str."""
    tokens = tokenizer(text)
    if not isinstance(tokens, (list, tuple)) or not all(
        isinstance(t, str) for t in tokens
    ):
        raise TypeError(
            f"tokenizer must return a list of str; for {text!r:.40} it returned "
            f"{tokens!r:.60}."
        )
    return tokens


def _check_texts(X):
    """``X`` as a list of str, or a clear error."""
    if isinstance(X, (str, bytes)):
        raise TypeError(
            "Embedder expects an iterable of texts, got a single string; wrap "
            "it in a list: [text]."
        )
    if getattr(X, "ndim", 1) != 1:
        columns = getattr(X, "columns", None)
        hint = (
            f"pass one column, e.g. X[{list(columns)[0]!r}]"
            if columns is not None and len(columns)
            else "pass a 1-D list of texts"
        )
        raise TypeError(
            f"Embedder expects a 1-D sequence of texts; got a {type(X).__name__} "
            f"of shape {X.shape}: {hint}."
        )
    try:
        texts = list(X)
    except TypeError:
        raise TypeError(
            f"Embedder expects an iterable of texts (str); got {type(X).__name__}."
        ) from None
    if not texts:
        raise ValueError("Embedder got no texts (an empty input).")
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(
                f"Embedder expects texts (str); X[{i}] is {type(text).__name__} "
                f"({text!r:.40})."
            )
    return texts


def _scale_rms(values, counts, rms):
    """``values`` (one row per token) scaled to a root mean square of ``rms``
    over the tokens of the texts (rows weighted by ``counts``; padding and
    ``'<unk>'`` left out)."""
    weights = counts[2:, None].astype(np.float64)
    mean_square = (weights * values[2:] ** 2).sum() / (weights.sum() * values.shape[1])
    return values * (rms / np.sqrt(mean_square)) if mean_square > 0 else values


def _ppmi_svd_vectors(seqs, n_tokens, n_dims, window, rs):
    """Corpus vectors: truncated SVD of the positive PMI co-occurrence matrix.

    Co-occurrences within ``window`` tokens in the same text, weighted by
    ``(window - d + 1) / window`` at distance ``d``; context counts raised to
    the power 0.75 (Levy et al., 2015); vectors ``U * sqrt(S)``, scaled to a
    standard deviation of ``_VECTOR_STD``.  Padding never co-occurs.  Counts
    come from at most ``_PPMI_MAX_TOKENS`` tokens (whole texts drawn at
    random), which bounds the memory and time of large corpora.
    """
    order = np.arange(len(seqs))
    if seqs.lengths.sum() > _PPMI_MAX_TOKENS:
        order = rs.permutation(len(seqs))
        n_texts = np.searchsorted(np.cumsum(seqs.lengths[order]), _PPMI_MAX_TOKENS)
        order = np.sort(order[: max(n_texts, 1)])
    counts = sp.csr_matrix((n_tokens, n_tokens), dtype=np.float32)
    weights = np.array([(window - d + 1) / window for d in range(1, window + 1)])
    starts = np.searchsorted(
        np.cumsum(seqs.lengths[order]),
        np.arange(0, seqs.lengths[order].sum(), _PPMI_CHUNK_TOKENS),
        side="right",
    )
    for lo, hi in zip(starts, list(starts[1:]) + [len(order)], strict=True):
        chunk = seqs[order[lo:hi]]
        ids = chunk._ids
        # tokens left in the same text after each token
        after = np.repeat(chunk.offsets + chunk.lengths, chunk.lengths)
        after -= np.arange(len(ids)) + 1
        rows, cols, vals = [], [], []
        for d in range(1, window + 1):
            ok = np.flatnonzero(after >= d)
            rows.append(ids[ok])
            cols.append(ids[ok + d])
            vals.append(np.full(len(ok), weights[d - 1], dtype=np.float32))
        rows, cols, vals = map(np.concatenate, (rows, cols, vals))
        counts = counts + sp.csr_matrix(
            (vals, (rows, cols)), shape=(n_tokens, n_tokens), dtype=np.float32
        )
    counts = (counts + counts.T).tocoo()
    n_dims_fit = min(n_dims, n_tokens - 2)
    if counts.nnz == 0 or n_dims_fit < 1:
        return rs.uniform(-0.05, 0.05, (n_tokens, n_dims))
    total = float(counts.data.sum(dtype=np.float64))
    word_p = np.bincount(counts.row, counts.data, n_tokens) / total
    ctx = np.bincount(counts.col, counts.data, n_tokens) ** 0.75
    ctx_p = ctx / ctx.sum()
    # PMI = log p(w, c) / (p(w) p_0.75(c)), in place over the counts
    pmi = counts.data.astype(np.float64)
    pmi /= total
    pmi /= word_p[counts.row]
    pmi /= ctx_p[counts.col]
    np.log(pmi, out=pmi)
    keep = pmi > 0
    ppmi = sp.csr_matrix(
        (pmi[keep].astype(np.float32), (counts.row[keep], counts.col[keep])),
        shape=(n_tokens, n_tokens),
    )
    del counts, pmi, keep
    if ppmi.nnz == 0:
        return rs.uniform(-0.05, 0.05, (n_tokens, n_dims))
    U, S, _ = randomized_svd(ppmi, n_dims_fit, n_iter=5, random_state=rs)
    vectors = U * np.sqrt(S)
    vectors *= _VECTOR_STD / (vectors[1:].std() or 1.0)
    if n_dims_fit < n_dims:  # tiny vocabulary: fill the rest at random
        extra = rs.normal(0.0, _VECTOR_STD, (n_tokens, n_dims - n_dims_fit))
        vectors = np.hstack([vectors, extra])
    return vectors


def _read_vectors_file(path, wanted):
    """Vectors of the ``wanted`` words from a word2vec/GloVe text file."""
    found = {}
    n_dims = None
    with open(path, encoding="utf-8", errors="replace") as f:
        for lineno, line in enumerate(f, 1):
            parts = line.rstrip().split(" ")
            if lineno == 1 and len(parts) == 2 and all(p.isdigit() for p in parts):
                continue  # word2vec header: count, dimension
            if len(parts) < 2:
                if not line.strip():
                    continue
                raise ValueError(
                    f"{path}, line {lineno}: expected a word and its vector values."
                )
            if n_dims is None:
                n_dims = len(parts) - 1
            elif len(parts) - 1 != n_dims:
                raise ValueError(
                    f"{path}, line {lineno}: {len(parts) - 1} values where earlier "
                    f"lines have {n_dims}."
                )
            word = parts[0]
            if word in wanted and word not in found:
                try:
                    found[word] = np.array(parts[1:], dtype=np.float64)
                except ValueError:
                    raise ValueError(
                        f"{path}, line {lineno}: non-numeric vector values."
                    ) from None
    if n_dims is None:
        raise ValueError(f"{path} holds no vectors.")
    return found
