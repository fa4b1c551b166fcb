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


#: Every estimator's loss, by name.
LOSSES = {
    loss.name: loss
    for loss in (CrossEntropy(), SquaredError(), CTC(), TokenCrossEntropy())
}
