"""Cells: one registry, PyTorch layouts, and every estimator on the GRU."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.metrics import roc_auc_score
from test_estimators import adding_task, first_step_task
from test_transcriber import spelled_words

from sklstm import (
    Embedder,
    LSTMAnomalyDetector,
    LSTMClassifier,
    LSTMLanguageModel,
    LSTMRegressor,
    LSTMTranscriber,
)
from sklstm._cells import CELLS, Cell, cell_named_by_shape, get_cell
from sklstm.datasets import make_ecg_beats, make_text_corpus


def test_registry_and_lookup():
    assert sorted(CELLS) == ["gru", "lstm"]
    for name, cell in CELLS.items():
        assert isinstance(cell, Cell) and cell.name == name
        assert get_cell(name) is cell and get_cell(cell) is cell
    with pytest.raises(ValueError, match=r"cell must be one of \['gru', 'lstm'\]"):
        get_cell("rnn")


@pytest.mark.parametrize("name", sorted(CELLS))
def test_torch_layout_round_trip_and_shapes(name):
    cell = CELLS[name]
    F, H = 3, 5
    rng = np.random.RandomState(0)
    wx, wh = cell.shapes(F, H)
    Wx, Wh = rng.standard_normal(wx), rng.standard_normal(wh)
    torch = cell.to_torch(Wx, Wh)
    G = cell.n_gates * H
    assert torch["weight_ih"].shape == (G, F)
    assert torch["weight_hh"].shape == (G, H)
    assert torch["bias_ih"].shape == torch["bias_hh"].shape == (G,)
    assert cell_named_by_shape(torch["weight_hh"].shape) == name
    Wx2, Wh2 = np.zeros(wx), np.zeros(wh)
    cell.from_torch(torch, Wx2, Wh2)
    assert_array_equal(Wx2, Wx)
    assert_array_equal(Wh2, Wh)


def test_the_gru_remembers_the_first_timestep_across_noise():
    rng = np.random.RandomState(0)
    X, y = first_step_task(700, 40, rng)
    X_test, y_test = first_step_task(300, 40, rng)
    clf = LSTMClassifier(cell="gru", random_state=0, max_iter=40).fit(X, y)
    assert clf.score(X_test, y_test) >= 0.95
    assert clf.coefs_[0]["weight_hh"].shape == (3 * 64, 64)


def test_the_gru_regressor_solves_the_adding_problem():
    rng = np.random.RandomState(0)
    X, y = adding_task(1500, 40, rng)
    X_test, y_test = adding_task(500, 40, rng)
    reg = LSTMRegressor(
        32, cell="gru", learning_rate_init=0.01, max_iter=40, random_state=0
    ).fit(X, y)
    mse = np.mean((reg.predict(X_test) - y_test) ** 2)
    assert mse < 0.05 * y_test.var()


def test_a_bidirectional_gru_transcriber_spells():
    X, y = spelled_words(300, 0)
    X_test, y_test = spelled_words(100, 1)
    model = LSTMTranscriber(32, cell="gru", max_iter=40, random_state=0).fit(X, y)
    assert model.score(X_test, y_test) > 0.9  # 1 - character error rate


def test_a_gru_detector_separates_anomalies():
    beats, labels = make_ecg_beats(420, anomaly_fraction=0.15, random_state=0)
    normal = labels == 1
    train = np.flatnonzero(normal)[:200]
    test = np.setdiff1d(np.arange(len(beats)), train)
    det = LSTMAnomalyDetector(
        horizon=5, hidden_layer_sizes=16, cell="gru", max_iter=10, random_state=0
    ).fit(beats[train])
    # lower scores are more abnormal
    auc = roc_auc_score(normal[test], det.score_samples(beats[test]))
    assert auc > 0.9


def test_a_gru_language_model_carries_its_state():
    texts = make_text_corpus(3000, random_state=0).splitlines()
    embedder = Embedder(vectors="random", n_dims=16, random_state=0).fit(texts)
    tokens = embedder.transform(texts)
    lm = LSTMLanguageModel(
        32, cell="gru", bptt=8, batch_size=8, max_iter=5, random_state=0
    ).fit(tokens)
    assert all(len(state) == 1 for state in lm.start_state_)  # (h,) per layer
    unigram = LSTMLanguageModel(
        32, cell="gru", bptt=8, batch_size=8, max_iter=1, random_state=0
    ).fit(tokens)
    assert lm.perplexity(tokens) < unigram.perplexity(tokens)


def test_a_fitted_gru_pickles_and_predicts_the_same():
    rng = np.random.RandomState(0)
    X, y = first_step_task(60, 6, rng)
    clf = LSTMClassifier(8, cell="gru", max_iter=3, random_state=0).fit(X, y)
    clone = pickle.loads(pickle.dumps(clf))
    assert_allclose(clone.predict_proba(X), clf.predict_proba(X))
