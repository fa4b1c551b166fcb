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
    ``ids[offsets[i] : offsets[i] + lengths[i]]``, through a sparse
    averaging matrix (no (n_tokens, F) copy)."""
    n = len(lengths)
    rows = np.repeat(np.arange(n), lengths)
    cols = ids[_positions(offsets, lengths)]
    weights = np.repeat(1.0 / lengths, lengths)
    A = sp.csr_matrix((weights, (rows, cols)), shape=(n, vectors.shape[0]))
    return np.asarray(A @ np.asarray(vectors, dtype=np.float64))


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
    steps = token_scores[ids[_positions(offsets, lengths)]].astype(np.float64)
    ends = np.cumsum(lengths)
    total = np.zeros((steps.shape[0] + 1, steps.shape[1]))
    np.cumsum(steps, axis=0, out=total[1:])
    return total[ends] - total[ends - lengths]


def bag_scores(token_scores, intercept, ids, offsets, lengths):
    """Each sequence's bag scores (n, K): the mean of its tokens' rows plus
    the intercept, in float64."""
    return step_sums(token_scores, ids, offsets, lengths) / lengths[:, None] + intercept


def combine(network_scores, bag):
    """The classifier's scores: the network's and the bag's, weighted."""
    mixed = (1 - BAG_WEIGHT) * network_scores.astype(np.float64) + BAG_WEIGHT * bag
    return mixed.astype(network_scores.dtype)


def _positions(offsets, lengths):
    """Indices into the flat ids of every step of every sequence, in order."""
    lengths = np.asarray(lengths, dtype=np.intp)
    starts = np.repeat(
        np.asarray(offsets, dtype=np.intp) - np.cumsum(lengths) + lengths, lengths
    )
    return starts + np.arange(int(lengths.sum()))
