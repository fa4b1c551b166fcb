"""Validation and batching helpers of sklstm._sequences."""

import tracemalloc

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone

from sklstm import LSTMClassifier, LSTMRegressor, TokenSequences
from sklstm._sequences import _check_ragged, predict_batches


def test_predict_batches_cover_every_sequence_once_in_length_order():
    rng = np.random.RandomState(0)
    lengths = rng.randint(1, 300, size=1000)
    batches = predict_batches(lengths, 64)
    order = np.concatenate(batches)
    assert_array_equal(np.sort(order), np.arange(1000))
    assert np.all(np.diff(lengths[order]) >= 0)
    assert max(len(b) for b in batches) <= 64
    for b in batches:  # at most twice the valid steps, or small
        padded = len(b) * lengths[b].max()
        assert padded <= max(2 * lengths[b].sum(), 4096)


def test_equal_lengths_give_plain_batches():
    batches = predict_batches(np.full(600, 40), 256)
    assert [len(b) for b in batches] == [256, 256, 88]
    assert_array_equal(np.concatenate(batches), np.arange(600))


def test_one_long_sequence_runs_alone_instead_of_padding_the_others():
    lengths = np.array([5] * 255 + [20000])
    batches = predict_batches(lengths, 256)
    assert [len(b) for b in batches] == [255, 1]
    assert_array_equal(batches[1], [255])


def test_long_outlier_predicts_as_it_would_alone():
    rng = np.random.RandomState(0)
    X = [rng.normal(size=(5, 2)) for _ in range(60)] + [rng.normal(size=(3000, 2))]
    y = np.array([s[0, 0] for s in X])
    reg = LSTMRegressor(hidden_layer_sizes=8, max_iter=2, random_state=0).fit(
        X[:60], y[:60]
    )
    together = reg.predict(X)
    assert_allclose(together[-1], reg.predict(X[-1:])[0], rtol=1e-5, atol=1e-6)
    assert_allclose(together[:60], reg.predict(X[:60]), rtol=1e-5, atol=1e-6)


def test_float_arrays_take_the_vectorised_path_with_the_same_result():
    rng = np.random.RandomState(0)
    X = [rng.normal(size=(L, 3)).astype(np.float32) for L in (4, 9, 2)]
    X.append(rng.normal(size=(5, 3)))  # float64 among float32
    fast = _check_ragged(X, "X")
    slow = _check_ragged([s.tolist() for s in X], "X")  # lists: per sequence
    assert fast.data.dtype == slow.data.dtype == np.float64
    assert_array_equal(fast.data, slow.data)
    assert_array_equal(fast.lengths, slow.lengths)
    assert_array_equal(fast.offsets, slow.offsets)
    univariate = _check_ragged([s[:, 0] for s in X], "X")
    assert univariate.data.shape == (20, 1)


def test_bad_sequences_are_still_named():
    X = [np.ones((3, 2)), np.ones((4, 2))]
    X[1][2, 0] = np.nan
    with pytest.raises(ValueError, match=r"Invalid sequence X\[1\]: .*NaN"):
        _check_ragged(X, "X")
    with pytest.raises(ValueError, match=r"X\[1\]"):
        _check_ragged([np.ones((3, 2)), np.ones((0, 2))], "X")
    with pytest.raises(ValueError, match="same number of features"):
        _check_ragged([np.ones((3, 2)), np.ones((3, 1))], "X")


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_token_vectors_with_nan_or_inf_are_refused(bad):
    """Such vectors once reached training, which failed with advice to lower
    learning_rate_init."""
    rng = np.random.RandomState(0)
    vectors = rng.normal(size=(5, 3)).astype(np.float32)
    ids, y = [[1, 2], [3, 4, 1], [2], [4, 4]] * 5, [0, 1, 0, 1] * 5
    nan_vectors = vectors.copy()
    nan_vectors[3, 1] = bad
    with pytest.raises(ValueError, match=r"vectors hold NaN or infinite values.*row 3"):
        TokenSequences(ids, nan_vectors)
    # a table changed after the sequences were built is refused by the estimator
    X = TokenSequences(ids, vectors.copy())
    clf = LSTMClassifier(hidden_layer_sizes=4, max_iter=1, random_state=0)
    clf.fit(X, y)
    X.vectors[3, 1] = bad
    match = r"X.vectors hold NaN or infinite values"
    with pytest.raises(ValueError, match=match):
        clf.predict(X)
    with pytest.raises(ValueError, match=match):
        clone(clf).fit(X, y)


def _per_step_classifier():
    rng = np.random.RandomState(0)
    X = [rng.normal(size=(6, 2)).astype(np.float32) for _ in range(100)]
    y = [rng.randint(0, 10, size=6) for _ in range(100)]
    clf = LSTMClassifier(
        hidden_layer_sizes=8, max_iter=2, early_stopping=False, random_state=0
    )
    return clf.fit(X, y), rng


def test_per_timestep_outputs_of_ragged_x_hold_only_the_valid_steps():
    """One long sequence among short ones: per-timestep outputs stay the
    size of the valid steps (a padded (n, T_max, n_classes) buffer took
    1.3 GB here) and equal each sequence's outputs alone."""
    clf, rng = _per_step_classifier()
    X = [rng.normal(size=(5, 2)).astype(np.float32) for _ in range(255)]
    X.append(rng.normal(size=(20000, 2)).astype(np.float32))
    tracemalloc.start()
    try:
        proba = clf.predict_proba(X)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 100e6
    assert [p.shape for p in proba] == [(5, 10)] * 255 + [(20000, 10)]
    assert_allclose(proba[-1], clf.predict_proba(X[-1:])[0], rtol=1e-5, atol=1e-7)
    alone = [clf.predict_proba([x])[0] for x in X[:5]]
    assert_allclose(np.stack(proba[:5]), np.stack(alone), rtol=1e-5, atol=1e-7)
    labels = clf.predict(X)
    assert_array_equal(labels[3], clf.classes_[proba[3].argmax(axis=1)])
    # the flat and the padded layouts hold the same scores
    seqs = clf._check_X(X[250:], reset=False)
    flat = clf._raw_scores(seqs, flat=True)
    padded = clf._raw_scores(seqs)
    assert_array_equal(
        flat, np.concatenate([padded[i, :L] for i, L in enumerate(seqs.lengths)])
    )
