# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""The bag of vectors beside a text classifier's network (``bag=True``).

A logistic regression on each text's mean token vector (the vectors the
:class:`~sklstm.Embedder` gave, as fastText reads a text), fitted next to
the network; the classifier averages its class scores with the network's.
A linear model of a mean is the mean of a linear model, so the fit is
kept as one row of class scores per token (``token_scores``): a text's bag
scores are the mean of its tokens' rows plus the intercept, whatever reads
them (a whole text, its prefixes, a stream chunk by chunk, ONNX).
"""

import numpy as np
import scipy.sparse as sp

#: The inverse regularisation strength of the bag's logistic regression
#: (scikit-learn's default; not tuned).
BAG_C = 1.0

#: The weight of the bag's class scores in the classifier's, the network's
#: being ``1 - BAG_WEIGHT``: the geometric mean of both models'
#: probabilities.
BAG_WEIGHT = 0.5


def mean_vectors(vectors, ids, offsets, lengths):
    """Each sequence's mean row of ``vectors`` (n, F) over the ids
    ``ids[offsets[i] : offsets[i] + lengths[i]]``, in float64."""
    weights = np.repeat(1.0 / np.asarray(lengths), lengths)
    return _gather_sums(vectors, ids, offsets, lengths, weights)


def fit_bag(vectors, ids, offsets, lengths, y, sample_weight, n_classes):
    """Fit the logistic regression on the mean vectors of the texts and
    return it as ``(token_scores, intercept)``: float32 (n_tokens,
    n_classes) and float64 (n_classes,), class scores (logits) in the
    order of the encoded labels ``y`` (0 .. n_classes - 1)."""
    from sklearn.linear_model import LogisticRegression

    X = mean_vectors(vectors, ids, offsets, lengths)
    lr = LogisticRegression(C=BAG_C, max_iter=1000)
    lr.fit(X, y, sample_weight=sample_weight)
    coef, intercept = lr.coef_, lr.intercept_
    if n_classes == 2:  # one logit: the scores (0, z) give its probabilities
        coef = np.vstack([np.zeros_like(coef), coef])
        intercept = np.array([0.0, intercept[0]])
    table = np.asarray(vectors, dtype=np.float64) @ coef.T
    return table.astype(np.float32), np.asarray(intercept, dtype=np.float64)


def step_sums(token_scores, ids, offsets, lengths):
    """The sum of the tokens' score rows over each sequence (n, K), in
    float64."""
    return _gather_sums(token_scores, ids, offsets, lengths, 1.0)


def bag_scores(token_scores, intercept, ids, offsets, lengths):
    """Each sequence's bag scores (n, K): the mean of its tokens' rows plus
    the intercept, in float64."""
    return step_sums(token_scores, ids, offsets, lengths) / lengths[:, None] + intercept


def combine(network_scores, bag):
    """The classifier's scores: the network's and the bag's, weighted."""
    mixed = (1 - BAG_WEIGHT) * network_scores.astype(np.float64) + BAG_WEIGHT * bag
    return mixed.astype(network_scores.dtype)


def _gather_sums(table, ids, offsets, lengths, weights):
    """Each sequence's weighted sum of the rows of ``table`` its ids index,
    (n, table columns) in float64, through a sparse (n, n_rows) matrix of
    the weights (no copy of a row per token)."""
    lengths = np.asarray(lengths, dtype=np.intp)
    n = len(lengths)
    # every step of every sequence, in order: its position in the flat ids
    shift = np.asarray(offsets, dtype=np.intp) - np.cumsum(lengths) + lengths
    positions = np.repeat(shift, lengths) + np.arange(int(lengths.sum()))
    rows = np.repeat(np.arange(n), lengths)
    weights = np.broadcast_to(weights, rows.shape)
    A = sp.csr_matrix((weights, (rows, ids[positions])), shape=(n, table.shape[0]))
    return np.asarray(A @ np.asarray(table, dtype=np.float64))
