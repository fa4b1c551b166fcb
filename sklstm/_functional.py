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


def token_cross_entropy(Z, y, *, xp):
    """Mean cross-entropy of softmax(``Z``) against ``y``, in place.

    The loss of a language model, whose scores are as large as the
    vocabulary times the tokens of a batch: ``Z`` is overwritten with the
    gradient, in five passes over it and no temporary of its size.

    Parameters
    ----------
    Z : array of shape (n_classes, N)
        Scores (logits); overwritten with the gradient.
    y : int array of shape (N,)
        Class index of each prediction (every prediction weighs 1).

    Returns
    -------
    loss : float
    dZ : array of shape (n_classes, N)
        ``Z`` itself, now the gradient of ``loss`` w.r.t. the scores.
    """
    N = Z.shape[1]
    cols = xp.arange(N)
    Z -= Z.max(axis=0, keepdims=True)
    picked = Z[y, cols]  # fancy indexing copies
    xp.exp(Z, out=Z)
    total = Z.sum(axis=0)
    loss = float((xp.log(total) - picked).mean())
    Z *= (1.0 / (total * N)).astype(Z.dtype)
    Z[y, cols] -= Z.dtype.type(1.0 / N)
    return loss, Z
