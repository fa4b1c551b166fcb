"""LSTMAnomalyDetector: forecasting errors as anomaly scores."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.model_selection import GridSearchCV

from sklstm import Embedder, LSTMAnomalyDetector
from sklstm._anomaly import shift_sequences
from sklstm._sequences import check_sequences

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _sines(n, T=30, seed=0):
    rng = np.random.RandomState(seed)
    t = np.linspace(0, 3 * np.pi, T)
    return np.sin(t + rng.uniform(0, 6, (n, 1))) + 0.05 * rng.randn(n, T)


def _detector(**kw):
    params = dict(
        horizon=3,
        hidden_layer_sizes=16,
        learning_rate_init=0.01,
        max_iter=40,
        random_state=0,
    )
    return LSTMAnomalyDetector(**{**params, **kw})


def test_shifted_targets_are_the_following_steps():
    X = np.arange(12.0).reshape(2, 6)
    inputs, targets, mask = shift_sequences(
        check_sequences(_detector(), X, reset=True), 2
    )
    assert inputs.lengths.tolist() == [4, 4] and mask.all()
    assert_array_equal(inputs.data[0, :, 0], [0, 1, 2, 3])
    assert_array_equal(targets[0, 1], [2, 3])  # step 1 forecasts steps 2 and 3
    ragged = [np.arange(6.0), np.arange(4.0)]
    inputs, targets, mask = shift_sequences(
        check_sequences(_detector(), ragged, reset=True), 2
    )
    assert inputs.lengths.tolist() == [4, 2]
    assert mask.tolist() == [[True] * 4, [True, True, False, False]]
    assert_array_equal(targets[1, :2], [[1, 2], [2, 3]])
    assert_array_equal(inputs.sequence(1)[:, 0], [0, 1])


def test_flags_sequences_unlike_the_training_data():
    X = _sines(200)
    det = _detector().fit(X)
    rng = np.random.RandomState(1)
    normal, odd = _sines(50, seed=2), rng.randn(50, 30)
    scores = det.score_samples(np.vstack([normal, odd]))
    assert scores[:50].min() > scores[50:].max()
    assert (det.predict(odd) == -1).all()
    assert (det.predict(normal) == 1).mean() > 0.9
    assert_allclose(det.decision_function(odd), det.score_samples(odd) - det.offset_)
    train_outliers = (det.predict(X) == -1).mean()
    assert train_outliers == pytest.approx(det.contamination, abs=0.01)
    assert det.forecast(X[:2]).shape == (2, 27, 3)


def test_ragged_and_multivariate_input():
    X = _sines(60)
    ragged = [x[: 20 + i % 10] for i, x in enumerate(X)]
    det = _detector(max_iter=3).fit(ragged)
    together = det.score_samples(ragged[:5])
    alone = [det.score_samples([r])[0] for r in ragged[:5]]
    assert_allclose(together, alone, rtol=1e-5)
    assert [f.shape for f in det.forecast(ragged[:2])] == [(17, 3, 1), (18, 3, 1)]
    X3 = np.stack([X, -X], axis=-1)
    det3 = _detector(max_iter=3).fit(X3)
    assert det3.n_outputs_ == 6
    assert det3.forecast(X3[:2]).shape == (2, 27, 3, 2)


def test_errors_are_clear():
    with pytest.raises(ValueError, match="horizon=3 needs at least 4 timesteps"):
        _detector().fit(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="cannot be bidirectional"):
        _detector(bidirectional=True).fit(_sines(10))
    texts = ["a b c d e"] * 10
    with pytest.raises(TypeError, match="token sequences"):
        _detector().fit(Embedder(min_count=1, n_dims=2).fit_transform(texts))
    warm = _detector(warm_start=True, max_iter=1).fit(_sines(10))
    with pytest.raises(ValueError, match="horizon=2 the model forecasts 2 values"):
        warm.set_params(horizon=2).fit(_sines(10))


def test_pickle_and_grid_search():
    X = _sines(80)
    det = _detector(max_iter=3).fit(X)
    restored = pickle.loads(pickle.dumps(det))
    assert_array_equal(restored.score_samples(X), det.score_samples(X))
    grid = GridSearchCV(
        _detector(max_iter=3), {"hidden_layer_sizes": [4, 8]}, cv=2
    ).fit(X)
    assert grid.best_params_["hidden_layer_sizes"] in (4, 8)
