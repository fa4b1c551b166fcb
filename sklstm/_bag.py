# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""The bag of n-grams beside a text classifier's network (``bag=True``).

A logistic regression on each text's tokens and pairs of adjacent tokens
(the bigrams), counted, weighted by their inverse document frequency and
divided by the text's length, fitted next to the network; the classifier
averages its class scores with the network's.  The features of a text are
a mean over its steps (each step brings its token and the pair it ends),
and a linear model of a mean is the mean of a linear model, so the fit is
kept as class scores per token (``token_scores``) and per pair seen in
training (``pair_keys``, ``pair_scores``): a text's bag scores are the
mean over its steps of those rows plus the intercept, whatever reads them
(a whole text, its prefixes, a stream chunk by chunk, ONNX).

A pair ``(a, b)`` of token ids is keyed ``a * n_tokens + b``; id 0 (padding)
never occurs in a text, so a key below ``n_tokens`` is never a pair and
``prev=0`` stands for "no token before".
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

#: The inverse regularisation strength of the bag's logistic regression:
#: the issue's TF-IDF baseline's C, and what 5-fold cross-validation on the
#: training texts picks on MR (see benchmarks/README.md).
BAG_C = 10.0

#: The weight of the bag's class scores in the classifier's, the network's
#: being ``1 - BAG_WEIGHT``: the geometric mean of both models'
#: probabilities.
BAG_WEIGHT = 0.5


@dataclass
class Bag:
    """A fitted bag: float32 rows of class scores per token id
    ``(n_tokens, K)`` and per pair ``(n_pairs, K)`` with the pairs' sorted
    int64 keys, and the float64 intercept ``(K,)``."""

    token_scores: np.ndarray
    pair_keys: np.ndarray
    pair_scores: np.ndarray
    intercept: np.ndarray


def _steps(ids, offsets, lengths, n_tokens, prev=None):
    """Every step of the sequences ``ids[offsets[i] : offsets[i] +
    lengths[i]]`` (each of one step or more): its sequence, token id and
    the key of the pair it ends (the id before it, or ``prev[i]`` at a
    sequence's first step; a key below ``n_tokens`` where there is none)."""
    lengths = np.asarray(lengths, dtype=np.intp)
    seq = np.repeat(np.arange(len(lengths)), lengths)
    first = np.cumsum(lengths) - lengths  # each sequence's first step
    pos = np.repeat(np.asarray(offsets, dtype=np.intp) - first, lengths)
    tokens = np.asarray(ids)[pos + np.arange(len(pos))].astype(np.int64)
    before = np.concatenate([[0], tokens[:-1]])
    before[first] = 0 if prev is None else prev
    return seq, tokens, before * n_tokens + tokens


def _pair_rows(keys, codes):
    """The row of each pair key in ``keys`` (sorted), -1 where absent."""
    if len(keys) == 0:
        return np.full(len(codes), -1, dtype=np.intp)
    j = np.minimum(np.searchsorted(keys, codes), len(keys) - 1)
    return np.where(keys[j] == codes, j, -1)


def fit_bag(ids, offsets, lengths, n_tokens, y, sample_weight, n_classes):
    """Fit the logistic regression on the texts' n-gram features and return
    it as a :class:`Bag`, class scores (logits) in the order of the encoded
    labels ``y`` (0 .. n_classes - 1)."""
    from sklearn.linear_model import LogisticRegression

    lengths = np.asarray(lengths)
    n = len(lengths)
    seq, tokens, codes = _steps(ids, offsets, lengths, n_tokens)
    paired = codes >= n_tokens
    keys, pair_columns = np.unique(codes[paired], return_inverse=True)
    columns = np.concatenate([tokens, n_tokens + pair_columns])
    rows = np.concatenate([seq, seq[paired]])
    counts = sp.csr_matrix(
        (np.ones(len(rows)), (rows, columns)), shape=(n, n_tokens + len(keys))
    )
    counts.sum_duplicates()
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    idf = np.log((1.0 + n) / (1.0 + df)) + 1.0  # scikit-learn's smooth idf
    X = sp.diags(1.0 / lengths) @ counts @ sp.diags(idf)
    lr = LogisticRegression(C=BAG_C, max_iter=2000)
    lr.fit(X, y, sample_weight=sample_weight)
    coef, intercept = lr.coef_, lr.intercept_
    if n_classes == 2:  # one logit: the scores (0, z) give its probabilities
        coef = np.vstack([np.zeros_like(coef), coef])
        intercept = np.array([0.0, intercept[0]])
    table = (coef * idf).T.astype(np.float32)  # one row per feature
    return Bag(
        table[:n_tokens],
        keys,
        table[n_tokens:],
        np.asarray(intercept, dtype=np.float64),
    )


def step_sums(bag, ids, offsets, lengths, prev=None):
    """The sum over each sequence's steps of its token's and its pair's
    score rows (n, K), in float64; ``prev`` is the id before each
    sequence's first step (streams), none by default."""
    n_tokens = len(bag.token_scores)
    seq, tokens, codes = _steps(ids, offsets, lengths, n_tokens, prev)
    out = np.zeros((len(lengths), bag.token_scores.shape[1]))
    np.add.at(out, seq, bag.token_scores[tokens])
    row = _pair_rows(bag.pair_keys, codes)
    np.add.at(out, seq[row >= 0], bag.pair_scores[row[row >= 0]])
    return out


def bag_scores(bag, ids, offsets, lengths):
    """Each sequence's bag scores (n, K): the mean over its steps of the
    score rows plus the intercept, in float64."""
    lengths = np.asarray(lengths)
    return step_sums(bag, ids, offsets, lengths) / lengths[:, None] + bag.intercept


def combine(network_scores, bag):
    """The classifier's scores: the network's and the bag's, weighted."""
    mixed = (1 - BAG_WEIGHT) * network_scores.astype(np.float64) + BAG_WEIGHT * bag
    return mixed.astype(network_scores.dtype)
