# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""Training objectives as objects, in one registry.

An estimator names its loss (``_loss = LOSSES["cross_entropy"]``); the
training loop and validation call it the same way for every estimator:

    value, dZ = loss(Z, targets, weights, xp=xp)

``Z`` holds the network's scores with the class or output axis first,
(K, B) per sequence or (K, T, B) per timestep; ``dZ`` is the gradient of
``value`` w.r.t. ``Z``, of its shape.  ``targets`` and ``weights`` are
what the estimator's ``_targets_and_weights`` makes of a batch, in the
form the loss reads: class indices, values, label sequences with their
frame counts.  Nothing outside this module asks a loss for its name.

Adding a loss: a subclass of :class:`Loss` with ``__call__`` (the math may
live in :mod:`sklstm._functional`), and an entry in :data:`LOSSES`.
"""

import numpy as np

from sklstm._ctc import ctc_loss
from sklstm._functional import (
    softmax_cross_entropy,
    squared_error,
    token_cross_entropy,
)


class Loss:
    """The interface of a training objective (see the module docstring)."""

    name = None
    #: targets are class indices: the held-out split may be stratified
    categorical = False

    def __call__(self, Z, targets, weights, *, xp):
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}()"


class _Flat(Loss):
    """A loss over predictions laid out as columns: the scores' steps and
    sequences are flattened to (K, N), targets and weights to (N, ...)."""

    _function = None

    def __call__(self, Z, targets, weights, *, xp):
        value, dZ = type(self)._function(
            Z.reshape(Z.shape[0], -1), targets, weights, xp=xp
        )
        return value, dZ.reshape(Z.shape)


class CrossEntropy(_Flat):
    """Weighted mean cross-entropy of the softmax of the scores against
    class indices (classifier)."""

    name = "cross_entropy"
    categorical = True
    _function = staticmethod(softmax_cross_entropy)


class SquaredError(_Flat):
    """Weighted half mean squared error, averaged over the outputs as
    :class:`~sklearn.neural_network.MLPRegressor` does (regressor, detector)."""

    name = "squared_error"
    _function = staticmethod(squared_error)


class CTC(Loss):
    """Connectionist temporal classification (Graves et al., 2006):
    ``targets`` is ``(label sequences, frames of each sequence)``, the
    weights one per sequence (transcriber)."""

    name = "ctc"

    def __call__(self, Z, targets, weights, *, xp):
        labels, input_lengths = targets
        return ctc_loss(Z, labels, input_lengths, weights, xp=xp)


class TokenCrossEntropy(Loss):
    """Mean cross-entropy of the next token, every token weighing 1,
    computed in place: ``Z`` is overwritten with its gradient (language
    model, whose scores span the vocabulary)."""

    name = "token_cross_entropy"
    categorical = True

    def __call__(self, Z, targets, weights=None, *, xp):
        value, dZ = token_cross_entropy(Z.reshape(Z.shape[0], -1), targets, xp=xp)
        return value, dZ.reshape(Z.shape)


def check_quantiles(quantiles, name="quantiles"):
    """Quantile levels as a 1-D float64 array: each in (0, 1), strictly
    increasing (sorted, no repeats); a single level may be a float."""
    try:
        q = np.asarray(quantiles, dtype=np.float64)
    except (TypeError, ValueError):
        q = None
    if q is not None and q.ndim == 0:
        q = q.reshape(1)
    if (
        q is None
        or q.ndim != 1
        or q.size == 0
        or not np.all((q > 0) & (q < 1))  # False for NaN
    ):
        raise ValueError(
            f"{name} must be a float or a non-empty 1-D sequence of floats, each "
            f"strictly between 0 and 1; got {quantiles!r}."
        )
    if np.any(np.diff(q) <= 0):
        raise ValueError(
            f"{name} must be sorted in increasing order without repeats; got "
            f"{quantiles!r} (e.g. pass sorted(set({name})))."
        )
    return q


def pinball_loss(P, Y, w, quantiles, *, xp):
    """Weighted mean pinball loss of quantile predictions.

    ``P`` holds one row per (output, quantile), output-major: row
    ``k * Q + j`` predicts the level ``quantiles[j]`` of output ``k``.  With
    ``u = Y_kn - P_(kj)n`` and ``rho(u) = max(tau * u, (tau - 1) * u)``,
    ``loss = sum_n w_n * sum_kj rho(u) / (K * Q * sum(w))``: averaged over
    the outputs and quantiles as :func:`~sklstm._functional.squared_error`
    averages over the outputs.  The gradient is piecewise constant,
    ``(1[Y < P] - tau) * w_n / (K * Q * sum(w))`` (``-tau`` at ``Y == P``).

    Parameters
    ----------
    P : array of shape (K * Q, N)
        Predicted quantiles.
    Y : array of shape (K, N)
        Targets.
    w : array of shape (N,)
        Non-negative weight of each prediction.
    quantiles : ndarray of shape (Q,)
        The levels, in (0, 1).

    Returns
    -------
    loss : float
    dP : array of shape (K * Q, N)
    """
    Q, K = len(quantiles), Y.shape[0]
    if P.shape[0] != K * Q:
        raise ValueError(
            f"{P.shape[0]} predicted rows for {K} output(s) and {Q} quantile(s); "
            f"expected {K * Q}."
        )
    total = float(w.sum())
    if total <= 0:
        return 0.0, xp.zeros_like(P)
    tau = xp.asarray(np.asarray(quantiles), dtype=P.dtype)[None, :, None]
    U = Y.reshape(K, 1, -1) - P.reshape(K, Q, -1)  # residuals, (K, Q, N)
    scale = w / (total * K * Q)
    per_prediction = xp.maximum(tau * U, (tau - 1) * U).sum(axis=(0, 1))
    loss = float((per_prediction * scale).sum())
    dP = (U < 0).astype(P.dtype) - tau
    dP *= scale
    return loss, dP.reshape(P.shape)


class Quantile(Loss):
    """Mean pinball (quantile) loss of one prediction per (output, level),
    output-major, over the levels ``quantiles`` (regressor with
    ``loss='quantile'``).  Weighted per prediction and averaged over the
    outputs and levels as :class:`SquaredError` averages over the outputs;
    its minimiser predicts each output's conditional quantiles
    (Koenker and Bassett, 1978).  Made per estimator, ``Quantile(levels)``;
    the registry's instance has the regressor's default levels."""

    name = "quantile"

    def __init__(self, quantiles=(0.05, 0.5, 0.95)):
        self.quantiles = check_quantiles(quantiles)

    def __call__(self, Z, targets, weights, *, xp):
        value, dZ = pinball_loss(
            Z.reshape(Z.shape[0], -1), targets, weights, self.quantiles, xp=xp
        )
        return value, dZ.reshape(Z.shape)

    def __repr__(self):
        return f"Quantile(quantiles={self.quantiles.tolist()})"


#: Every estimator's loss, by name.
LOSSES = {
    loss.name: loss
    for loss in (CrossEntropy(), SquaredError(), CTC(), TokenCrossEntropy(), Quantile())
}
