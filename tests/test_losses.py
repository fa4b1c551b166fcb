"""Losses as objects: one registry, one calling convention, exact gradients."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sklstm._losses import LOSSES, Loss


def _numeric_gradient(loss, Z, targets, weights, eps=1e-6):
    G = np.zeros_like(Z)
    for idx in np.ndindex(*Z.shape):
        old = Z[idx]
        Z[idx] = old + eps
        up = loss(Z.copy(), targets, weights, xp=np)[0]
        Z[idx] = old - eps
        down = loss(Z.copy(), targets, weights, xp=np)[0]
        Z[idx] = old
        G[idx] = (up - down) / (2 * eps)
    return G


def _case(name, rng):
    """Scores (K, T, B), targets and weights in the form each loss reads."""
    K, T, B = 4, 5, 3
    Z = rng.standard_normal((K, T, B))
    if name == "cross_entropy":
        return Z, rng.randint(0, K, T * B), rng.uniform(0.5, 2, T * B)
    if name == "squared_error":
        return Z, rng.standard_normal((K, T * B)), rng.uniform(0.5, 2, T * B)
    if name == "ctc":
        labels = [np.array([1, 2]), np.array([3]), np.array([2, 2])]
        return Z, (labels, np.array([5, 3, 5])), rng.uniform(0.5, 2, B)
    if name == "quantile":  # three levels of one target
        return (
            rng.standard_normal((3, T, B)),
            rng.standard_normal((1, T * B)),
            rng.uniform(0.5, 2, T * B),
        )
    return Z, rng.randint(0, K, T * B), None  # token cross-entropy


def test_the_registry_holds_every_estimators_loss():
    assert set(LOSSES) == {
        "cross_entropy",
        "squared_error",
        "ctc",
        "token_cross_entropy",
        "quantile",
    }
    for name, loss in LOSSES.items():
        assert isinstance(loss, Loss) and loss.name == name


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_every_loss_has_the_gradient_of_its_value_in_the_scores_shape(name):
    rng = np.random.RandomState(0)
    loss = LOSSES[name]
    Z, targets, weights = _case(name, rng)
    value, dZ = loss(Z.copy(), targets, weights, xp=np)
    assert np.isfinite(value) and value > 0
    assert dZ.shape == Z.shape
    assert_allclose(dZ, _numeric_gradient(loss, Z, targets, weights), atol=1e-7)


def test_only_class_targets_are_categorical():
    categorical = {name for name, loss in LOSSES.items() if loss.categorical}
    assert categorical == {"cross_entropy", "token_cross_entropy"}


def test_estimators_hold_loss_objects():
    from sklstm import (
        LSTMAnomalyDetector,
        LSTMClassifier,
        LSTMLanguageModel,
        LSTMRegressor,
        LSTMTranscriber,
    )

    assert LSTMClassifier._loss is LOSSES["cross_entropy"]
    assert LSTMRegressor._loss is LSTMAnomalyDetector._loss is LOSSES["squared_error"]
    assert LSTMTranscriber._loss is LOSSES["ctc"]
    assert LSTMLanguageModel._loss is LOSSES["token_cross_entropy"]
