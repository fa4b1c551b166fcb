# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""Stateless math: softmax and the two losses, written against ``xp``.

Layout is feature-major: scores are ``(n_outputs, N)`` where ``N`` counts
predictions (samples, or samples x timesteps for sequence targets).  Every
loss takes per-prediction weights ``w`` of shape ``(N,)``; a weight of 0
(padding) removes a prediction exactly.  Losses are weighted means:
``sum(w * l) / sum(w)``, and return the gradient w.r.t. the scores.
"""


def log_softmax(Z, *, xp):
    """Log-softmax over axis 0 of ``Z`` (n_classes, N)."""
    Z = Z - Z.max(axis=0, keepdims=True)
    return Z - xp.log(xp.exp(Z).sum(axis=0, keepdims=True))


def softmax(Z, *, xp):
    """Softmax over axis 0 of ``Z`` (n_classes, N)."""
    E = xp.exp(Z - Z.max(axis=0, keepdims=True))
    E /= E.sum(axis=0, keepdims=True)
    return E


def softmax_cross_entropy(Z, y, w, *, xp):
    """Weighted mean cross-entropy of softmax(``Z``) against class indices.

    Parameters
    ----------
    Z : array of shape (n_classes, N)
        Scores (logits).
    y : int array of shape (N,)
        Class index of each prediction.
    w : array of shape (N,)
        Non-negative weight of each prediction.

    Returns
    -------
    loss : float
    dZ : array of shape (n_classes, N)
        Gradient of ``loss`` w.r.t. ``Z``.
    """
    logp = log_softmax(Z, xp=xp)
    cols = xp.arange(Z.shape[1])
    total = float(w.sum())
    if total <= 0:
        return 0.0, xp.zeros_like(Z)
    loss = -float((w * logp[y, cols]).sum()) / total
    dZ = xp.exp(logp)
    dZ[y, cols] -= 1
    dZ *= w / total
    return loss, dZ


def squared_error(P, Y, w, *, xp):
    """Weighted half mean squared error, averaged over outputs too.

    ``loss = sum_n w_n * sum_k (P_kn - Y_kn)**2 / (2 * K * sum(w))``,
    the convention of :class:`~sklearn.neural_network.MLPRegressor`.

    Returns
    -------
    loss : float
    dP : array of shape (n_outputs, N)
    """
    total = float(w.sum())
    if total <= 0:
        return 0.0, xp.zeros_like(P)
    D = P - Y
    scale = w / (total * P.shape[0])
    loss = 0.5 * float(((D * D).sum(axis=0) * scale).sum())
    D *= scale
    return loss, D


LOSSES = {"cross_entropy": softmax_cross_entropy, "squared_error": squared_error}
