"""Stacked / bidirectional network: exact gradients and padding invariance."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sklstm._functional import softmax_cross_entropy, squared_error
from sklstm._network import LSTMNetwork

F, T, K = 3, 6, 3
LENGTHS = np.array([6, 3, 5, 1])


def _batch(rng, lengths=LENGTHS, pad_value=0.0):
    B = len(lengths)
    X = np.ones((F + 1, T, B))
    X[:F] = rng.standard_normal((F, T, B))
    for b, L in enumerate(lengths):
        X[:F, L:, b] = pad_value
    return X


def _net(bidirectional, head, seed=1, dtype=np.float64, cell="lstm"):
    """head: 'last' / 'mean' (pooling of a per-sequence head), or True /
    False (return_sequences, with last-step pooling)."""
    net = LSTMNetwork(
        F,
        (5, 4),
        K,
        bidirectional=bidirectional,
        return_sequences=head is True,
        pooling="mean" if head == "mean" else "last",
        dtype=dtype,
        cell=cell,
    )
    net.initialize(np.random.RandomState(seed))
    net.params += 0.3 * np.random.RandomState(seed + 1).standard_normal(net.n_params)
    return net


def _loss(net, X, loss_name, target, w):
    Z, cache = net.forward(X, LENGTHS, training=True)
    Z2 = Z.reshape(K, -1)
    if loss_name == "cross_entropy":
        loss, dZ = softmax_cross_entropy(Z2, target, w, xp=np)
    else:
        loss, dZ = squared_error(Z2, target, w, xp=np)
    return loss, dZ.reshape(Z.shape), cache


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("return_sequences", [False, True, "mean"])
@pytest.mark.parametrize("loss_name", ["cross_entropy", "squared_error"])
def test_every_parameter_gradient_matches_finite_differences(
    bidirectional, return_sequences, loss_name, cell
):
    rng = np.random.RandomState(0)
    net = _net(bidirectional, return_sequences, cell=cell)
    return_sequences = return_sequences is True
    X = _batch(rng)
    B = len(LENGTHS)
    N = T * B if return_sequences else B
    if return_sequences:  # padded steps weigh nothing
        w = (np.arange(T)[:, None] < LENGTHS[None, :]).astype(float).ravel()
    else:
        w = rng.uniform(0.5, 2, B)
    if loss_name == "cross_entropy":
        target = rng.randint(0, K, N)
    else:
        target = rng.standard_normal((K, N))

    _, dZ, cache = _loss(net, X, loss_name, target, w)
    dX = net.backward(dZ, cache, need_dX=True)
    analytic = net.grads.copy()

    eps = 1e-6
    numeric = np.empty(net.n_params)
    for k in range(net.n_params):
        old = net.params[k]
        net.params[k] = old + eps
        up = _loss(net, X, loss_name, target, w)[0]
        net.params[k] = old - eps
        down = _loss(net, X, loss_name, target, w)[0]
        net.params[k] = old
        numeric[k] = (up - down) / (2 * eps)
    assert np.abs(numeric).max() > 1e-3
    assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-9)

    numeric_X = np.zeros((F, T, B))
    for idx in np.ndindex(F, T, B):
        old = X[idx]
        X[idx] = old + eps
        up = _loss(net, X, loss_name, target, w)[0]
        X[idx] = old - eps
        down = _loss(net, X, loss_name, target, w)[0]
        X[idx] = old
        numeric_X[idx] = (up - down) / (2 * eps)
    assert_allclose(dX, numeric_X, rtol=1e-5, atol=1e-9)
    # padded inputs get exactly zero gradient
    for b, L in enumerate(LENGTHS):
        assert_array_equal(dX[:, L:, b], 0)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("return_sequences", [False, True, "mean"])
def test_padding_values_never_change_results(bidirectional, return_sequences, cell):
    rng = np.random.RandomState(0)
    net = _net(bidirectional, return_sequences, cell=cell)
    return_sequences = return_sequences is True
    X0 = _batch(rng)
    X1 = X0.copy()
    for b, L in enumerate(LENGTHS):
        X1[:F, L:, b] = 1e3 * rng.standard_normal((F, T - L))
    Z0, c0 = net.forward(X0, LENGTHS, training=True)
    Z1, c1 = net.forward(X1, LENGTHS, training=True)
    if return_sequences:
        for b, L in enumerate(LENGTHS):
            assert_allclose(Z0[:, :L, b], Z1[:, :L, b], rtol=1e-13)
    else:
        assert_allclose(Z0, Z1, rtol=1e-13)
    dZ = rng.standard_normal(Z0.shape)
    if return_sequences:
        for b, L in enumerate(LENGTHS):
            dZ[:, L:, b] = 0
    net.backward(dZ, c0)
    g0 = net.grads.copy()
    net.backward(dZ, c1)
    assert_allclose(net.grads, g0, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("pooling", ["last", "mean"])
def test_sequence_alone_equals_sequence_in_padded_batch(bidirectional, pooling, cell):
    rng = np.random.RandomState(0)
    net = _net(bidirectional, pooling, dtype=np.float32, cell=cell)
    X = _batch(rng).astype(np.float32)
    Z, _ = net.forward(X, LENGTHS)
    for b, L in enumerate(LENGTHS):
        alone = np.ascontiguousarray(X[:, :L, b : b + 1])
        Zb, _ = net.forward(alone, LENGTHS[b : b + 1])
        assert_allclose(Zb[:, 0], Z[:, b], rtol=1e-5, atol=1e-6)


def test_coefs_round_trip_in_torch_layout():
    net = _net(True, False)
    coefs = net.get_coefs()
    assert len(coefs) == 3  # two LSTM layers and the head
    assert coefs[0]["weight_ih"].shape == (4 * 5, F)
    assert coefs[1]["weight_ih_reverse"].shape == (4 * 4, 2 * 5)
    assert coefs[1]["weight_hh"].shape == (4 * 4, 4)
    assert coefs[-1]["weight"].shape == (K, 8)
    other = _net(True, False, seed=7)
    other.set_coefs(coefs)
    assert_array_equal(other.params, net.params)


def test_initialization():
    net = LSTMNetwork(2, (8,), 1)
    net.initialize(np.random.RandomState(0))
    coefs = net.get_coefs()[0]
    H = 8
    # forget-gate bias is 1, other biases 0 (PyTorch order i, f, g, o)
    assert_array_equal(coefs["bias_ih"][H : 2 * H], 1)
    assert_array_equal(coefs["bias_ih"][:H], 0)
    # each gate's recurrent matrix is orthogonal
    Whh = coefs["weight_hh"]
    for k in range(4):
        block = Whh[k * H : (k + 1) * H].astype(np.float64)
        assert_allclose(block @ block.T, np.eye(H), atol=1e-5)


def test_dropout_gradient_matches_finite_differences():
    rng = np.random.RandomState(0)
    net = LSTMNetwork(F, (5, 4), K, dropout=0.3, dtype=np.float64)
    net.initialize(np.random.RandomState(1))
    X = _batch(rng)
    y, w = rng.randint(0, K, len(LENGTHS)), np.ones(len(LENGTHS))

    def loss_and_grad():  # the same dropout masks on every call
        Z, cache = net.forward(
            X, LENGTHS, training=True, random_state=np.random.RandomState(5)
        )
        return softmax_cross_entropy(Z, y, w, xp=np) + (cache,)

    loss, dZ, cache = loss_and_grad()
    assert cache.masks[0] is not None and np.any(cache.masks[0] == 0)
    net.backward(dZ, cache)
    analytic = net.grads.copy()
    numeric = np.empty(net.n_params)
    for k in range(net.n_params):
        old = net.params[k]
        net.params[k] = old + 1e-6
        up = loss_and_grad()[0]
        net.params[k] = old - 1e-6
        numeric[k] = (up - loss_and_grad()[0]) / 2e-6
        net.params[k] = old
    assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_weight_decay_touches_weights_not_biases(cell):
    net = _net(False, False, cell=cell)
    net.grads[...] = 0
    penalty = net.add_weight_decay(0.1)
    weights = []
    for name, view in net.G.items():
        # the LSTM's recurrent weights have no bias column (its bias is
        # folded into Wx); the GRU's keep b_hh as their last column
        n_weights = view.shape[1] if (cell, name[:2]) == ("lstm", "Wh") else -1
        assert_allclose(view[:, :n_weights], 0.1 * net.P[name][:, :n_weights])
        assert_array_equal(view[:, n_weights:], 0)
        weights.append(net.P[name][:, :n_weights].ravel())
    weights = np.concatenate(weights)
    assert_allclose(penalty, 0.05 * weights @ weights)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_token_table_gradient_matches_finite_differences(bidirectional):
    rng = np.random.RandomState(0)
    n_tokens, dims = 7, 3
    net = LSTMNetwork(
        dims,
        (4,),
        K,
        bidirectional=bidirectional,
        dtype=np.float64,
        n_tokens=n_tokens,
        trainable_embeddings=True,
    )
    net.initialize(np.random.RandomState(1))
    table = rng.standard_normal((n_tokens, dims))
    table[0] = 0
    net.set_embeddings(table)
    lengths = np.array([4, 2, 3])
    ids = rng.randint(1, n_tokens, (4, 3))
    for b, L in enumerate(lengths):
        ids[L:, b] = 0
    y, w = np.array([0, 2, 1]), np.ones(3)

    def loss():
        Z, cache = net.forward(ids, lengths, training=True)
        value, dZ = softmax_cross_entropy(Z, y, w, xp=np)
        return value, dZ, cache

    _, dZ, cache = loss()
    assert net.backward(dZ, cache) is None  # dX only when asked for
    analytic = np.zeros_like(table)
    analytic[net.table_rows] = net.table_grad
    assert 0 not in net.table_rows.tolist()  # padding is never updated
    numeric = np.zeros_like(table)
    for i in range(1, n_tokens):
        for j in range(dims):
            old = net.table[i, j]
            net.table[i, j] = old + 1e-6
            up = loss()[0]
            net.table[i, j] = old - 1e-6
            down = loss()[0]
            net.table[i, j] = old
            numeric[i, j] = (up - down) / 2e-6
    assert_allclose(analytic, numeric, atol=1e-7)
    # the vectors seen by the LSTM are exactly the table rows
    dense = np.ones((dims + 1, 4, 3))
    dense[:dims] = table[ids].transpose(2, 0, 1)
    Z_ids, _ = net.forward(ids, lengths)
    plain = LSTMNetwork(dims, (4,), K, bidirectional=bidirectional, dtype=np.float64)
    plain.params[...] = net.params
    Z_dense, _ = plain.forward(dense, lengths)
    assert_allclose(Z_ids, Z_dense, rtol=1e-12)


def test_mean_pooling_averages_the_top_states():
    rng = np.random.RandomState(0)
    net = _net(True, "mean")
    X = _batch(rng)
    Z, cache = net.forward(X, LENGTHS)
    top = cache.top  # (D+1, T, B)
    for b, L in enumerate(LENGTHS):
        feat = top[:, :L, b].mean(axis=1)
        assert_allclose(Z[:, b], net.P["Wy"] @ feat, rtol=1e-12)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_coef_shapes_from_the_layout_match_get_coefs(bidirectional):
    from sklstm._network import _coef_shapes

    net = LSTMNetwork(3, (5, 4), 2, bidirectional=bidirectional, xp=np)
    assert net._coef_shapes() == _coef_shapes(net.get_coefs())
    other = LSTMNetwork(3, (5,), 2, bidirectional=bidirectional, xp=np)
    with pytest.raises(ValueError, match=r"LSTM layers \(5, 4\).*LSTM layers \(5,\)"):
        other.set_coefs(net.get_coefs())


def test_gru_coefs_are_pytorch_grus_and_round_trip():
    net = _net(True, False, cell="gru")
    coefs = net.get_coefs()
    assert coefs[0]["weight_ih"].shape == (3 * 5, F)
    assert coefs[1]["weight_hh_reverse"].shape == (3 * 4, 4)
    assert coefs[1]["bias_hh"].shape == (3 * 4,)  # kept apart, as in nn.GRU
    other = _net(True, False, seed=7, cell="gru")
    other.set_coefs(coefs)
    assert_array_equal(other.params, net.params)
    lstm = _net(True, False, cell="lstm")
    with pytest.raises(ValueError, match=r"GRU layers \(5, 4\).*LSTM layers"):
        lstm.set_coefs(coefs)


def test_gru_initialization_is_orthogonal_per_gate_update_bias_one():
    net = LSTMNetwork(2, (8,), 1, cell="gru")
    net.initialize(np.random.RandomState(0))
    coefs = net.get_coefs()[0]
    H = 8
    for k in range(3):
        block = coefs["weight_hh"][k * H : (k + 1) * H]
        assert_allclose(block @ block.T, np.eye(H), atol=1e-5)
    assert_array_equal(coefs["bias_ih"][H : 2 * H], 1)  # the update gate z
    assert_array_equal(np.delete(coefs["bias_ih"], np.s_[H : 2 * H]), 0)
    assert_array_equal(coefs["bias_hh"], 0)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_carried_state_continues_a_sequence(cell):
    """Two halves read with the first half's final state carried over give
    the scores of the whole sequence (truncated backpropagation's forward)."""
    rng = np.random.RandomState(0)
    net = LSTMNetwork(F, (5, 4), K, return_sequences=True, cell=cell)
    net.initialize(np.random.RandomState(1))
    X = np.ones((F + 1, 8, 2), dtype=np.float32)
    X[:F] = rng.standard_normal((F, 8, 2))
    whole, _ = net.forward(X, np.array([8, 8]))
    first, cache = net.forward(X[:, :5].copy(), np.array([5, 5]))
    state = net.final_state(cache)
    assert all(len(s) == (2 if cell == "lstm" else 1) for s in state)
    second, _ = net.forward(X[:, 5:].copy(), np.array([3, 3]), state=state)
    assert_allclose(np.concatenate([first, second], axis=1), whole, rtol=1e-5)
