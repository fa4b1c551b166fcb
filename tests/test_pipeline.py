"""sklstm.pipeline: sequence methods and validation data through a pipeline."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline as sk_make_pipeline

from sklstm import (
    Embedder,
    LSTMAnomalyDetector,
    LSTMClassifier,
    LSTMLanguageModel,
    LSTMRegressor,
    LSTMTranscriber,
    Normaliser,
)
from sklstm.datasets import make_text_corpus
from sklstm.pipeline import Pipeline, make_pipeline


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _labelled(n=80, T=6, seed=0):
    rng = np.random.RandomState(seed)
    X = 50 + 10 * rng.normal(size=(n, T, 2))  # far from unit scale
    y = np.where(X[:, 0, 0] > 50, "up", "down")
    return X, y


@pytest.fixture(scope="module")
def language_model():
    texts = make_text_corpus(1500, random_state=0).splitlines()
    pipe = make_pipeline(
        Embedder(vectors="random", n_dims=8, random_state=0),
        LSTMLanguageModel(8, bptt=5, batch_size=4, max_iter=2, random_state=0),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pipe.fit(texts), texts


def test_is_sklearns_pipeline_with_named_steps():
    pipe = make_pipeline(Normaliser(), LSTMClassifier())
    assert isinstance(pipe, Pipeline)
    assert [name for name, _ in pipe.steps] == ["normaliser", "lstmclassifier"]
    assert isinstance(clone(pipe), Pipeline)
    assert "lstmclassifier__max_iter" in pipe.get_params()


def test_language_model_methods_take_texts(language_model):
    pipe, texts = language_model
    lm, tokens = pipe[-1], pipe[0].transform(texts[:40])
    assert pipe.perplexity(texts[:40]) == lm.perplexity(tokens)
    assert pipe.perplexity(texts[:40]) == pytest.approx(np.exp(-pipe.score(texts[:40])))
    assert pipe.top_k_accuracy(texts[:40], k=3) == lm.top_k_accuracy(tokens, k=3)
    contexts = ["the dog", "a cat"]
    assert_array_equal(
        pipe.predict_top_k(contexts, k=2),
        lm.predict_top_k(pipe[0].transform(contexts), k=2),
    )
    assert_array_equal(
        pipe.generate(contexts, n_words=3, random_state=0),
        lm.generate(pipe[0].transform(contexts), n_words=3, random_state=0),
    )


def test_classifier_and_detector_methods():
    X, y = _labelled()
    pipe = make_pipeline(
        Normaliser(), LSTMClassifier(4, max_iter=2, random_state=0)
    ).fit(X, y)
    steps = pipe.predict_proba_steps(X[:3])
    expected = pipe[-1].predict_proba_steps(pipe[0].transform(X[:3]))
    assert_allclose(steps, expected)
    det = make_pipeline(
        Normaliser(), LSTMAnomalyDetector(hidden_layer_sizes=4, horizon=1, max_iter=2)
    ).fit(X)
    assert det.forecast(X[:2]).shape == (2, 5, 1, 2)


def test_a_method_the_final_step_lacks_is_an_attribute_error():
    pipe = make_pipeline(Normaliser(), LSTMRegressor())
    assert not hasattr(pipe, "perplexity")
    with pytest.raises(AttributeError, match="perplexity"):
        pipe.perplexity(["some text"])


def test_validation_data_goes_through_the_first_steps():
    X, y = _labelled(120)
    X_val, y_val = _labelled(40, seed=1)
    pipe = make_pipeline(Normaliser(), LSTMClassifier(4, max_iter=4, random_state=0))
    pipe.fit(X, y, validation_data=(X_val, y_val))
    clf = pipe[-1]
    assert len(clf.validation_scores_) == clf.n_iter_
    # the scores are those of the transformed validation set
    assert clf.best_validation_score_ == max(clf.validation_scores_) > 0.5
    assert clf.validation_scores_[-1] == pytest.approx(pipe.score(X_val, y_val))
    # the long form, with other parameters of the steps
    again = clone(pipe).fit(
        X,
        y,
        lstmclassifier__validation_data=(X_val, y_val),
        lstmclassifier__sample_weight=None,
    )
    assert again[-1].validation_scores_ == clf.validation_scores_


def test_validation_data_of_a_text_pipeline():
    texts = [f"{'good' if i % 2 else 'bad'} film number {i % 7}" for i in range(60)]
    labels = ["pos" if i % 2 else "neg" for i in range(60)]
    pipe = make_pipeline(
        Embedder(vectors="random", n_dims=8, random_state=0),
        LSTMClassifier(4, max_iter=3, random_state=0),
    )
    pipe.fit(texts[:40], labels[:40], validation_data=(texts[40:], labels[40:]))
    assert len(pipe[-1].validation_scores_) == pipe[-1].n_iter_


def test_raw_validation_data_in_a_plain_pipeline_names_the_fix():
    texts = [f"{'good' if i % 2 else 'bad'} film" for i in range(40)]
    labels = ["pos" if i % 2 else "neg" for i in range(40)]
    pipe = sk_make_pipeline(
        Embedder(vectors="random", n_dims=8, random_state=0), LSTMClassifier(4)
    )
    with pytest.raises(ValueError, match="validation_data: .*sklstm.pipeline"):
        pipe.fit(texts, labels, lstmclassifier__validation_data=(texts, labels))


def test_bad_validation_data_is_named():
    X, y = _labelled()
    pipe = make_pipeline(Normaliser(), LSTMClassifier(4, max_iter=1))
    with pytest.raises(TypeError, match=r"tuple \(X_val, y_val\)"):
        pipe.fit(X, y, validation_data=X)
    with pytest.raises(TypeError, match="once"):
        pipe.fit(X, y, validation_data=(X, y), lstmclassifier__validation_data=(X, y))
    with pytest.raises(ValueError, match="validation_data: .*labels not seen"):
        pipe.fit(X, y, validation_data=(X, np.full(len(y), "sideways")))
    with pytest.raises(ValueError, match="validation_data: .*features"):
        LSTMClassifier(4, max_iter=1).fit(X, y, validation_data=(X[:, :, :1], y))


def test_validation_data_without_early_stopping_is_only_scored():
    X, y = _labelled(120)
    X_val, y_val = _labelled(40, seed=1)
    clf = LSTMClassifier(4, max_iter=3, early_stopping=False, random_state=0)
    clf.fit(X / 50, y, validation_data=(X_val / 50, y_val))
    plain = LSTMClassifier(4, max_iter=3, early_stopping=False, random_state=0)
    plain.fit(X / 50, y)
    # scored every epoch, trained on the same data as without it
    assert len(clf.validation_scores_) == 3
    for got, want in zip(clf.coefs_, plain.coefs_, strict=True):
        for key in want:
            assert_array_equal(got[key], want[key])


def test_regressor_and_transcriber_take_validation_data():
    X, _ = _labelled()
    values = X[:, 0, 0] / 50
    reg = LSTMRegressor(4, max_iter=2, random_state=0)
    reg.fit(X / 50, values, validation_data=(X[:20] / 50, values[:20]))
    assert len(reg.validation_scores_) == reg.n_iter_
    words = [np.eye(3)[[i % 3] * 3 + [0]] for i in range(30)]
    spelled = ["abc"[i % 3] for i in range(30)]
    tr = LSTMTranscriber(hidden_layer_sizes=4, max_iter=2, random_state=0)
    tr.fit(words, spelled, validation_data=(words[:9], spelled[:9]))
    assert len(tr.validation_scores_) == tr.n_iter_


def test_grid_search_over_the_pipeline():
    X, y = _labelled(60)
    pipe = make_pipeline(Normaliser(), LSTMClassifier(max_iter=1, random_state=0))
    search = GridSearchCV(pipe, {"lstmclassifier__hidden_layer_sizes": [2, 4]}, cv=2)
    search.fit(X, y)
    assert isinstance(search.best_estimator_, Pipeline)
    assert len(search.best_estimator_.predict_proba_steps(X[:2])) == 2
