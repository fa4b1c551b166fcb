"""LSTMAnomalyDetector: state distances and forecasting errors as scores."""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.model_selection import GridSearchCV

from sklstm import Embedder, LSTMAnomalyDetector
from sklstm._anomaly import shift_sequences, state_distances, unit_weights
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


def test_forecast_error_score_flags_sequences_unlike_the_training_data():
    X = _sines(200)
    det = _detector(anomaly_score="forecast_error").fit(X)
    assert det.reference_states_ is None
    rng = np.random.RandomState(1)
    normal, odd = _sines(50, seed=2), rng.randn(50, 30)
    scores = det.score_samples(np.vstack([normal, odd]))
    assert scores[:50].min() > scores[50:].max()
    train_outliers = (det.predict(X) == -1).mean()
    assert train_outliers == pytest.approx(det.contamination, abs=0.01)
    with pytest.raises(ValueError, match="kept no states"):
        det.set_params(anomaly_score="state_distance").score_samples(X)


def test_state_distances_match_a_direct_computation():
    rng = np.random.RandomState(0)
    A, B = rng.randn(3, 5, 2), rng.randn(4, 7, 2)
    la, lb = np.array([5, 2, 4]), np.array([7, 3, 1, 5])
    A[np.arange(5)[None, :] >= la[:, None]] = 0  # zero past each end
    B[np.arange(7)[None, :] >= lb[:, None]] = 0
    D = state_distances(A, la, B, lb)
    for i in range(3):
        for j in range(4):
            m = min(la[i], lb[j])  # the steps both sequences have
            d = np.sqrt(((A[i, :m] - B[j, :m]) ** 2).sum() / m)
            assert D[i, j] == pytest.approx(d)


def test_default_score_is_the_state_distance_to_the_nearest_training_sequence():
    X = _sines(20)
    det = _detector(hidden_layer_sizes=8, max_iter=5).fit(X)
    assert det.anomaly_score == "state_distance"
    X_new = _sines(6, seed=3)
    seqs = det._check_sequences(X_new, reset=False)
    train = det._check_sequences(X, reset=False)
    expected = 0
    for coefs, ref, scale, w in zip(
        [det.initial_coefs_, det.coefs_],
        det.reference_states_,
        det.state_scales_,
        det.unit_weights_,
        strict=True,
    ):
        # each unit weighted by the inverse of its spread over the
        # training steps, the least varying at 1
        spread = det._all_states(train, coefs).reshape(-1, 8).std(axis=0) + 1e-3
        assert_allclose(w, spread.min() / spread, rtol=1e-5)
        assert w.max() == 1
        assert_allclose(ref, det._all_states(train, coefs) * w)
        H = det._all_states(seqs, coefs) * w
        assert H.shape == (6, 30, 8)
        assert_array_equal(ref.shape, (20, 30, 8))
        D = np.sqrt(((H[:, None] - ref[None]) ** 2).sum(axis=(2, 3)) / 30)
        expected = expected - D.min(axis=1) / scale / 2
    assert_allclose(det.score_samples(X_new), expected, rtol=1e-5)
    # the snapshots differ: the initial weights are not the trained ones
    assert not np.allclose(
        det.initial_coefs_[0]["weight_hh"], det.coefs_[0]["weight_hh"]
    )
    # a training sequence is scored against the others (not itself), so
    # `contamination` of them fall below offset_, and about as many new ones
    X = _sines(100)
    det = _detector(contamination=0.1, max_iter=5).fit(X)
    assert (det.fit_predict(X) == -1).sum() == 10
    assert_array_equal(det.predict(X), det.fit_predict(X))
    assert np.all(det.score_samples(X) < -1e-3)
    new_below = (det.score_samples(_sines(100, seed=4)) < det.offset_).mean()
    assert 0.02 < new_below < 0.3
    # a copy of a duplicated training sequence is at distance zero
    det = _detector(max_iter=2).fit(np.vstack([X[:20], X[:1]]))
    first, second = det.score_samples(X[:2])
    assert first == pytest.approx(0, abs=1e-4) and second < -1e-3


def test_defaults_flag_a_misplaced_pattern_from_a_few_training_sequences():
    # eight noisy series with a bump near step 20 are normal; the same bump
    # near step 40 is an anomaly, and so is noise without a bump
    rng = np.random.RandomState(0)
    t = np.arange(60)

    def bumps(n, centre, height=1.0):
        c = centre + rng.uniform(-1, 1, (n, 1))
        return height * np.exp(-((t - c) ** 2) / 18) + 0.05 * rng.randn(n, 60)

    X, normal = bumps(8, 20), bumps(40, 20)
    odd = np.vstack([bumps(20, 40), bumps(20, 20, height=0.0)])
    det = LSTMAnomalyDetector(random_state=0).fit(X)
    scores = det.score_samples(np.vstack([normal, odd]))
    assert scores[:40].min() > scores[40:].max()
    assert (det.predict(odd) == -1).all()
    assert (det.predict(normal) == 1).mean() >= 0.8


def test_initial_snapshot_is_kept_by_warm_start_and_a_single_sequence_fits():
    X = _sines(10)
    det = _detector(warm_start=True, max_iter=2).fit(X)
    first = det.initial_coefs_
    det.fit(X)
    assert det.n_iter_ == 4 and det.initial_coefs_ is first
    one = _detector(max_iter=2).fit(X[:1])
    assert_allclose(one.state_scales_, [1.0, 1.0])
    assert one.offset_ == 0
    assert one.score_samples(X[:1])[0] == pytest.approx(0, abs=1e-6)
    assert (one.predict(_sines(5, seed=5) * 3) == -1).all()


def test_ragged_and_multivariate_input():
    X = _sines(60)
    ragged = [x[: 20 + i % 10] for i, x in enumerate(X)]
    det = _detector(max_iter=3).fit(ragged)
    new = [x[: 15 + 4 * i] for i, x in enumerate(_sines(5, seed=7))]
    together = det.score_samples(new)
    alone = [det.score_samples([r])[0] for r in new]
    assert_allclose(together, alone, rtol=1e-5)
    assert np.all(together < -1e-3)  # unseen: not at distance zero
    fc = det.set_params(anomaly_score="forecast_error")
    assert_allclose(
        fc.score_samples(ragged[:5]),
        [fc.score_samples([r])[0] for r in ragged[:5]],
        rtol=1e-5,
    )
    det.set_params(anomaly_score="state_distance")
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


def test_detector_pickled_before_the_state_distance_scores_by_forecast_error():
    X = np.random.RandomState(0).normal(size=(12, 20))
    old = LSTMAnomalyDetector(
        anomaly_score="forecast_error", hidden_layer_sizes=4, max_iter=2, random_state=0
    ).fit(X)
    state = dict(old.__getstate__())
    del state["anomaly_score"]  # as saved before the parameter existed
    loaded = LSTMAnomalyDetector.__new__(LSTMAnomalyDetector)
    loaded.__setstate__(state)
    assert loaded.anomaly_score == "forecast_error"
    np.testing.assert_array_equal(loaded.score_samples(X), old.score_samples(X))


def test_unit_weights_read_the_steps_of_each_sequence_only():
    rng = np.random.RandomState(0)
    H = rng.randn(3, 6, 4).astype(np.float32) * np.array([0.1, 1.0, 2.0, 0.0])
    lengths = np.array([6, 2, 4])
    H[np.arange(6)[None, :] >= lengths[:, None]] = 0  # zero past each end
    steps = np.concatenate([H[i, :L] for i, L in enumerate(lengths)])
    spread = steps.std(axis=0) + 1e-3
    w = unit_weights(H, lengths)
    assert w.dtype == np.float32
    assert_allclose(w, spread.min() / spread, rtol=1e-5)
    # a unit constant in training gets weight 1, not an unbounded one
    assert w[3] == 1 and np.all(w[:3] < 1)


def test_detector_pickled_before_the_units_were_weighted_scores_as_it_did():
    X, X_new = _sines(20), _sines(6, seed=3)
    det = _detector(hidden_layer_sizes=8, max_iter=5).fit(X)
    state = dict(det.__getstate__())
    weights = state.pop("unit_weights_")
    # saved then: the states as the network gives them
    state["reference_states_"] = [
        ref / w for ref, w in zip(state["reference_states_"], weights, strict=True)
    ]
    old = LSTMAnomalyDetector.__new__(LSTMAnomalyDetector)
    old.__setstate__(state)
    seqs = old._check_sequences(X_new, reset=False)
    expected = 0
    for coefs, ref, scale in zip(
        [old.initial_coefs_, old.coefs_],
        old.reference_states_,
        old.state_scales_,
        strict=True,
    ):
        H = old._all_states(seqs, coefs)
        D = np.sqrt(((H[:, None] - ref[None]) ** 2).sum(axis=(2, 3)) / 30)
        expected = expected - D.min(axis=1) / scale / 2
    assert_allclose(old.score_samples(X_new), expected, rtol=1e-5)
    streamed, _ = old.score_samples_chunk(X_new)
    assert_allclose(streamed, expected, rtol=1e-5)


def test_the_state_distance_budget_raises_no_convergence_warning():
    from sklearn.exceptions import ConvergenceWarning

    X = np.sin(np.linspace(0, 20, 30))[None, :] + np.zeros((12, 1))
    kw = dict(hidden_layer_sizes=4, horizon=1, max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        LSTMAnomalyDetector(**kw).fit(X)
    with pytest.warns(ConvergenceWarning):
        LSTMAnomalyDetector(anomaly_score="forecast_error", **kw).fit(X)


def test_copies_do_not_make_rounding_noise_the_unit_of_distance():
    # three copies of an all-zero series and one other: the copies' states
    # differ by rounding noise only, which must not become the scale
    X = [np.zeros((3, 3)), np.array([[0, 0, 2.0], [0, 0, 0], [0, 0, 0]])]
    X += [np.zeros((3, 3)), np.array([[0, 0, 2.0], [0, 0, 0]])]
    det = LSTMAnomalyDetector(hidden_layer_sizes=3, horizon=1, max_iter=1)
    det.fit(X)
    assert np.all(det.state_scales_ > 1e-5)
    alone = [det.score_samples([x])[0] for x in X]
    assert_allclose(det.score_samples(X), alone, rtol=1e-4, atol=1e-5)
