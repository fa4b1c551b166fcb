"""Quantile regression: the pinball loss, LSTMRegressor(loss='quantile'),
its prediction intervals, and WindowScaledRegressor's passthrough."""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.metrics import mean_pinball_loss

from sklstm import LSTMRegressor, WindowScaledRegressor, sliding_windows
from sklstm._losses import LOSSES, Quantile, check_quantiles

LEVELS = (0.05, 0.5, 0.95)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _fit(X, y, **params):
    params = {
        "hidden_layer_sizes": 8,
        "loss": "quantile",
        "max_iter": 3,
        "random_state": 0,
        "early_stopping": False,
        **params,
    }
    return LSTMRegressor(**params).fit(X, y)


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, size=(60, 6))
    return X, X[:, 0] + X[:, -1]


@pytest.fixture(scope="module")
def model(data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return _fit(*data)


# ------------------------------------------------------------------- the loss
def _pinball_by_hand(Z, Y, w, levels):
    K, Q = Y.shape[0], len(levels)
    Zf = Z.reshape(K, Q, -1)
    total = 0.0
    for k in range(K):
        for j, tau in enumerate(levels):
            u = Y[k] - Zf[k, j]
            total += np.sum(w * np.where(u >= 0, tau * u, (tau - 1) * u))
    return total / (K * Q * w.sum())


def test_pinball_value_averages_over_outputs_and_levels_with_weights():
    rng = np.random.RandomState(0)
    K, T, B, levels = 2, 4, 3, (0.1, 0.5, 0.8)
    Z = rng.standard_normal((K * len(levels), T, B))
    Y = rng.standard_normal((K, T * B))
    w = rng.uniform(0.5, 2, T * B)
    w[:2] = 0  # padded steps
    value, dZ = Quantile(levels)(Z.copy(), Y, w, xp=np)
    assert dZ.shape == Z.shape
    assert_allclose(value, _pinball_by_hand(Z, Y, w, levels), rtol=1e-12)
    # one output, one level: scikit-learn's mean pinball loss
    z, y = Z[0].ravel(), Y[0]
    value, _ = Quantile(0.8)(z[None], y[None], w, xp=np)
    expected = mean_pinball_loss(y, z, alpha=0.8, sample_weight=w)
    assert_allclose(value, expected, rtol=1e-12)
    # no weight at all: nothing to learn
    value, dZ = Quantile(levels)(Z, Y, np.zeros(T * B), xp=np)
    assert value == 0 and not dZ.any()


def test_pinball_gradient_matches_finite_differences_away_from_the_kinks():
    rng = np.random.RandomState(1)
    K, T, B, levels = 2, 3, 4, (0.05, 0.3, 0.5, 0.95)
    Q = len(levels)
    Y = rng.standard_normal((K, T * B))
    # scores at least 0.01 from their targets: the loss is linear between
    gap = rng.uniform(0.01, 1, (K, Q, T * B)) * rng.choice([-1, 1], (K, Q, T * B))
    Z = (Y[:, None, :] + gap).reshape(K * Q, T, B)
    w = rng.uniform(0.5, 2, T * B)
    w[-3:] = 0
    loss = Quantile(levels)
    _, dZ = loss(Z.copy(), Y, w, xp=np)
    eps = 1e-6
    numeric = np.zeros_like(Z)
    for idx in np.ndindex(*Z.shape):
        up, down = Z.copy(), Z.copy()
        up[idx] += eps
        down[idx] -= eps
        numeric[idx] = (loss(up, Y, w, xp=np)[0] - loss(down, Y, w, xp=np)[0]) / (
            2 * eps
        )
    assert_allclose(dZ, numeric, atol=1e-8)
    # float32 scores give a float32 gradient (the network trains in float32)
    _, d32 = loss(Z.astype(np.float32), Y.astype(np.float32), w, xp=np)
    assert d32.dtype == np.float32


def test_the_registry_holds_the_quantile_loss_with_the_default_levels():
    loss = LOSSES["quantile"]
    assert isinstance(loss, Quantile) and loss.name == "quantile"
    assert_array_equal(loss.quantiles, LEVELS)
    assert repr(Quantile([0.1, 0.9])) == "Quantile(quantiles=[0.1, 0.9])"
    # the class's loss stays the squared error; a fit makes its own
    assert LSTMRegressor._loss is LOSSES["squared_error"]
    with pytest.raises(ValueError, match="4 predicted rows"):
        Quantile(LEVELS)(np.zeros((4, 5)), np.zeros((1, 5)), np.ones(5), xp=np)


@pytest.mark.parametrize(
    "levels, message",
    [
        ((0.0, 0.5), "strictly between 0 and 1"),
        ((0.5, 1.0), "strictly between 0 and 1"),
        ((0.5, np.nan), "strictly between 0 and 1"),
        ((), "non-empty"),
        ([[0.1, 0.9]], "1-D"),
        (("low", "high"), "floats"),
        ((0.9, 0.1), "increasing order without repeats"),
        ((0.1, 0.5, 0.5), "increasing order without repeats"),
    ],
)
def test_quantile_levels_are_validated(levels, message, data):
    with pytest.raises(ValueError, match=message):
        check_quantiles(levels)
    with pytest.raises(ValueError):
        LSTMRegressor(loss="quantile", quantiles=levels, max_iter=1).fit(*data)
    # unused with the squared error
    LSTMRegressor(quantiles=(0.9, 0.1), max_iter=1, hidden_layer_sizes=4).fit(*data)


def test_levels_out_of_range_fail_the_parameter_validation(data):
    with pytest.raises(ValueError, match="quantiles"):
        LSTMRegressor(loss="quantile", quantiles=1.5).fit(*data)
    with pytest.raises(ValueError, match="loss"):
        LSTMRegressor(loss="absolute_error").fit(*data)
    assert_array_equal(check_quantiles(0.5), [0.5])


# ----------------------------------------------------------------- estimator
def test_shapes_per_sequence_single_output(model, data):
    X, _ = data
    n = len(X)
    assert model.n_outputs_ == 3
    assert_array_equal(model.quantiles_, LEVELS)
    P = model.predict_quantiles(X)
    assert P.shape == (n, 3) and P.dtype == np.float64
    assert_array_equal(model.predict(X), P[:, 1])  # the 0.5 level
    assert model.predict_quantiles(X, 0.95).shape == (n, 1)
    assert_array_equal(model.predict_quantiles(X, [0.95, 0.05]), P[:, [2, 0]])
    lower, upper = model.predict_interval(X)
    assert_array_equal(lower, P[:, 0])
    assert_array_equal(upper, P[:, 2])


def test_multi_output_shapes(data):
    X, y = data
    Y = np.column_stack([y, 10 * y])
    reg = _fit(X, Y)
    n = len(X)
    assert reg.n_outputs_ == 6 and reg.y_mean_.shape == (2,)
    P = reg.predict_quantiles(X)
    assert P.shape == (n, 2, 3)
    assert reg.predict(X).shape == (n, 2)
    assert_array_equal(reg.predict(X), P[..., 1])
    lower, upper = reg.predict_interval(X, coverage=0.9)
    assert lower.shape == upper.shape == (n, 2)
    assert np.all(lower <= upper)
    assert np.isfinite(reg.score(X, Y))


def test_per_timestep_shapes_dense_and_ragged():
    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, size=(20, 7, 2))
    Y = np.cumsum(X, axis=1)
    reg = _fit(X, Y[..., 0], return_sequences=True)
    assert reg.predict_quantiles(X).shape == (20, 7, 3)
    assert reg.predict(X).shape == (20, 7)
    lower, upper = reg.predict_interval(X)
    assert lower.shape == upper.shape == (20, 7)
    reg = _fit(X, Y)  # 3-D y: two targets per step
    assert reg.predict_quantiles(X).shape == (20, 7, 2, 3)
    assert reg.predict(X).shape == (20, 7, 2)
    ragged = [X[i, : 3 + i % 4] for i in range(6)]
    P = reg.predict_quantiles(ragged)
    assert [p.shape for p in P] == [(len(x), 2, 3) for x in ragged]
    lower, _ = reg.predict_interval(ragged)
    assert [b.shape for b in lower] == [(len(x), 2) for x in ragged]
    assert_allclose(P[1], reg.predict_quantiles(ragged[1][None])[0], rtol=1e-6)


def test_crossing_quantiles_are_rearranged_at_predict_time(data):
    X, y = data
    reg = _fit(X, y, max_iter=1)
    # make the head's 0.05 output the largest and its 0.95 output the smallest
    reg.coefs_[-1]["bias"] = reg.coefs_[-1]["bias"] + np.array([3.0, 0.0, -3.0])
    seqs = reg._check_X(X, reset=False)
    raw = reg._raw_scores(seqs).astype(np.float64)
    assert np.all(raw[:, 0] > raw[:, 2])  # crossed
    P = reg.predict_quantiles(X)
    assert np.all(np.diff(P, axis=-1) >= 0)
    expected = np.sort(raw, axis=1) * reg.y_scale_ + reg.y_mean_
    assert_allclose(P, expected, rtol=1e-12)
    assert_array_equal(reg.predict(X), P[:, 1])
    lower, upper = reg.predict_interval(X)
    assert np.all(lower <= upper)


def test_targets_in_other_units_give_the_same_quantiles_in_those_units(data):
    X, y = data
    small = _fit(X, y)
    big = _fit(X, 1000 * y + 5000)  # the same standardised targets
    assert_allclose(
        big.predict_quantiles(X),
        1000 * small.predict_quantiles(X) + 5000,
        rtol=1e-6,
        atol=1e-3,
    )


def test_median_without_a_half_level(data):
    X, y = data
    odd = _fit(X, y, quantiles=(0.1, 0.3, 0.9))
    assert_array_equal(odd.predict(X), odd.predict_quantiles(X)[:, 1])
    even = _fit(X, y, quantiles=(0.1, 0.2, 0.8, 0.9))
    P = even.predict_quantiles(X)
    assert_allclose(even.predict(X), (P[:, 1] + P[:, 2]) / 2)
    assert_allclose(even.predict_interval(X, coverage=0.6)[0], P[:, 1])


def test_intervals_cover_gaussian_noise_and_the_median_finds_the_mean():
    rng = np.random.RandomState(0)
    n, sigma = 800, 0.5
    X = rng.uniform(-1, 1, size=(n + 2000, 5))
    mean = X[:, 0] + X[:, 1]
    y = mean + rng.normal(0, sigma, len(X))
    reg = LSTMRegressor(
        hidden_layer_sizes=16,
        loss="quantile",
        max_iter=30,
        learning_rate_init=0.01,
        batch_size=64,
        early_stopping=False,
        random_state=0,
    ).fit(X[:n], y[:n])
    lower, upper = reg.predict_interval(X[n:], coverage=0.9)
    coverage = np.mean((y[n:] >= lower) & (y[n:] <= upper))
    assert 0.85 <= coverage <= 0.95
    # the width of the true 90 percent interval: 2 * 1.645 * sigma
    assert_allclose(np.mean(upper - lower), 2 * 1.645 * sigma, rtol=0.15)
    error = np.mean(np.abs(reg.predict(X[n:]) - mean[n:]))
    assert error < 0.25  # the noise alone is 0.8 * sigma = 0.4 from the mean
    assert reg.score(X[n:], y[n:]) > 0.6


def test_predict_interval_and_quantile_errors(model, data):
    X, _ = data
    with pytest.raises(ValueError, match=r"fitted with quantiles \[0.05, 0.5, 0.95\]"):
        model.predict_interval(X, coverage=0.8)
    with pytest.raises(ValueError, match=r"0.9 \(0.05, 0.95\)"):
        model.predict_interval(X, coverage=0.5)
    for bad in (0.0, 1.0, 1.5, True, "0.9"):
        with pytest.raises(ValueError, match="coverage must be a float"):
            model.predict_interval(X, coverage=bad)
    with pytest.raises(ValueError, match=r"quantiles \[0.25\] were not fitted"):
        model.predict_quantiles(X, [0.05, 0.25])
    with pytest.raises(ValueError, match="1-D sequence"):
        model.predict_quantiles(X, [[0.05]])
    asymmetric = _fit(*data, quantiles=(0.1, 0.5, 0.8), max_iter=1)
    with pytest.raises(ValueError, match="no symmetric pair"):
        asymmetric.predict_interval(X)


def test_a_squared_error_model_has_no_quantiles(data):
    X, y = data
    reg = LSTMRegressor(hidden_layer_sizes=4, max_iter=1)
    assert not hasattr(reg, "predict_quantiles")
    reg.fit(X, y)
    assert not hasattr(reg, "predict_interval")
    with pytest.raises(AttributeError, match="fitted with loss='squared_error'"):
        reg.predict_quantiles(X)
    with pytest.raises(NotFittedError):
        LSTMRegressor(loss="quantile").predict_quantiles(X)


def test_warm_start_and_partial_fit_keep_the_levels(data):
    X, y = data
    reg = _fit(X, y, max_iter=1)
    reg.partial_fit(X, y)
    assert reg.n_iter_ == 2
    before = reg.predict_quantiles(X)
    reg.set_params(quantiles=(0.1, 0.5, 0.9))
    with pytest.raises(ValueError, match=r"trained with loss='quantile', quantiles"):
        reg.partial_fit(X, y)
    reg.set_params(quantiles=LEVELS, loss="squared_error", warm_start=True)
    with pytest.raises(ValueError, match="refit from scratch"):
        reg.fit(X, y)
    assert_array_equal(reg.predict_quantiles(X), before)  # left as it was


def test_early_stopping_scores_the_median(data):
    X, y = data
    reg = _fit(X, y, early_stopping=True, max_iter=3)
    assert len(reg.validation_scores_) == reg.n_iter_
    assert np.all(np.isfinite(reg.validation_scores_))


def test_pickle_clone_and_get_params(model, data):
    X, _ = data
    params = model.get_params()
    assert params["loss"] == "quantile" and params["quantiles"] == LEVELS
    copy = clone(model)
    assert copy.get_params() == params and not hasattr(copy, "quantiles_")
    restored = pickle.loads(pickle.dumps(model))
    assert_array_equal(restored.predict_quantiles(X), model.predict_quantiles(X))
    assert repr(restored._loss) == "Quantile(quantiles=[0.05, 0.5, 0.95])"


def test_models_pickled_before_the_loss_parameter_load_as_squared_error(data):
    X, y = data
    reg = LSTMRegressor(hidden_layer_sizes=4, max_iter=1).fit(X, y)
    state = reg.__getstate__()
    for key in ("loss", "quantiles", "quantiles_"):
        state.pop(key)
    old = LSTMRegressor.__new__(LSTMRegressor)
    old.__setstate__(state)
    assert old.loss == "squared_error" and old.quantiles_ is None
    assert_array_equal(old.predict(X), reg.predict(X))
    assert not hasattr(old, "predict_quantiles")


# ------------------------------------------------------- WindowScaledRegressor
@pytest.fixture(scope="module")
def windows():
    prices = 100 * np.exp(np.cumsum(np.random.RandomState(0).normal(0, 0.01, 90)))
    return sliding_windows(prices, window=10, horizon=2)


def test_window_scaled_quantiles_are_in_the_units_of_the_series(windows):
    X, y = windows
    inner = LSTMRegressor(
        8, loss="quantile", normalise_y=False, max_iter=2, random_state=0
    )
    model = WindowScaledRegressor(inner).fit(X, y)
    P = model.predict_quantiles(X)
    assert P.shape == (len(X), 2, 3)
    assert_allclose(model.predict(X), P[..., 1], rtol=1e-12)
    # each level mapped back with its window's statistics, as predict does
    scaled = model.regressor_.predict_quantiles(model.normaliser_.transform(X))
    for j in range(3):
        expected = model.normaliser_.inverse_transform(scaled[..., j], reference=X)
        assert_allclose(P[..., j], expected, rtol=1e-12)
    # a series ten times larger: quantiles ten times larger
    assert_allclose(model.predict_quantiles(10 * X), 10 * P, rtol=1e-6)
    lower, upper = model.predict_interval(X, coverage=0.9)
    assert_allclose(lower, P[..., 0], rtol=1e-12)
    assert_allclose(upper, P[..., 2], rtol=1e-12)
    assert_allclose(model.predict_quantiles(X, [0.95]), P[..., [2]], rtol=1e-12)
    with pytest.raises(ValueError, match="fitted with quantiles"):
        model.predict_interval(X, coverage=0.5)
    assert_allclose(
        pickle.loads(pickle.dumps(model)).predict_quantiles(X), P, rtol=1e-12
    )


def test_window_scaled_one_step_and_without_quantiles(windows):
    X, y = windows
    inner = LSTMRegressor(8, loss="quantile", max_iter=1, random_state=0)
    model = WindowScaledRegressor(inner).fit(X, y[:, 0])
    assert model.predict_quantiles(X).shape == (len(X), 3)
    lower, upper = model.predict_interval(X)
    assert lower.shape == upper.shape == (len(X),)
    assert not hasattr(WindowScaledRegressor(), "predict_quantiles")
    assert hasattr(WindowScaledRegressor(clone(inner)), "predict_interval")
    plain = WindowScaledRegressor(LSTMRegressor(4, max_iter=1)).fit(X, y)
    with pytest.raises(AttributeError) as error:
        plain.predict_interval(X)
    assert "fitted with loss='squared_error'" in str(error.value.__cause__)


def test_streamed_predictions_are_the_median(model, data):
    X, _ = data
    _, state = model.predict_chunk(X[:, :4])
    streamed, _ = model.predict_chunk(X[:, 4:], state)
    assert_allclose(streamed, model.predict(X), rtol=1e-5, atol=1e-6)
