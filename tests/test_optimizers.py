"""Optimizers against hand-computed steps; gradient clipping."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sklstm._optimizers import SGD, Adam, RMSprop, clip_grad_norm


def test_adam_first_steps_by_hand():
    p, g = np.array([1.0, -2.0]), np.array([0.5, -1.0])
    opt = Adam(learning_rate=0.1)
    opt.update_params(p, g, xp=np)
    # first step: m_hat = g, v_hat = g^2 -> step = lr * sign(g) (up to eps)
    assert_allclose(p, [0.9, -1.9], rtol=1e-6)
    opt.update_params(p, g, xp=np)
    m = 0.9 * 0.1 * g + 0.1 * g
    v = 0.999 * 0.001 * g**2 + 0.001 * g**2
    m_hat, v_hat = m / (1 - 0.9**2), v / (1 - 0.999**2)
    assert_allclose(p, [0.9, -1.9] - 0.1 * m_hat / (np.sqrt(v_hat) + 1e-8), rtol=1e-6)


def test_sgd_momentum_by_hand():
    p, g = np.array([1.0]), np.array([2.0])
    opt = SGD(learning_rate=0.1, momentum=0.9)
    opt.update_params(p, g, xp=np)
    assert_allclose(p, [0.8])
    opt.update_params(p, g, xp=np)
    assert_allclose(p, [0.8 - (0.9 * 0.2 + 0.2)])


def test_rmsprop_by_hand():
    p, g = np.array([1.0]), np.array([2.0])
    opt = RMSprop(learning_rate=0.01, rho=0.9, epsilon=0.0)
    opt.update_params(p, g, xp=np)
    assert_allclose(p, [1.0 - 0.01 * 2.0 / np.sqrt(0.1 * 4.0)])


def test_clip_grad_norm():
    g = np.array([3.0, 4.0])
    assert clip_grad_norm(g, 1.0, xp=np) == 5.0
    assert_allclose(g, [0.6, 0.8])
    g = np.array([0.3, 0.4])
    clip_grad_norm(g, 1.0, xp=np)
    assert_allclose(g, [0.3, 0.4])


def test_state_survives_pickling():
    p, g = np.ones(3), np.full(3, 0.5)
    opt = Adam(0.01)
    opt.update_params(p, g, xp=np)
    clone = pickle.loads(pickle.dumps(opt))
    p2 = p.copy()
    opt.update_params(p, g, xp=np)
    clone.update_params(p2, g, xp=np)
    assert_allclose(p, p2)
    assert clone.t == 2


@pytest.mark.parametrize("make", [Adam, RMSprop, lambda: SGD(momentum=0.9)])
def test_update_rows_equals_dense_update_of_those_rows(make):
    rng = np.random.RandomState(0)
    table, rows = rng.standard_normal((6, 3)), np.array([1, 4])
    grads = [rng.standard_normal((2, 3)) for _ in range(3)]
    lazy, dense = make(), make()
    sub = table[rows].copy()
    result = table.copy()
    for g in grads:
        lazy.update_rows(result, rows, g, xp=np)
        dense.update_params(sub, g, xp=np)
    assert_allclose(result[rows], sub, rtol=1e-12)
    untouched = np.setdiff1d(np.arange(6), rows)
    assert_allclose(result[untouched], table[untouched])  # other rows unchanged


def test_clip_grad_norm_over_several_arrays():
    a, b = np.array([3.0]), np.array([0.0, 4.0])
    assert clip_grad_norm([a, b], 1.0, xp=np) == 5.0
    assert_allclose(np.concatenate([a, b]), [0.6, 0.0, 0.8])
