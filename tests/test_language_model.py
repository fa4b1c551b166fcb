"""LSTMLanguageModel: next-word prediction with truncated BPTT."""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.pipeline import make_pipeline

from sklstm import Embedder, LSTMLanguageModel, TokenSequences
from sklstm._language_model import _split_stream
from sklstm.datasets import make_text_corpus

FAST = dict(hidden_layer_sizes=32, bptt=10, batch_size=8, random_state=0)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@pytest.fixture(scope="module")
def corpus():
    lines = make_text_corpus(12000, random_state=0).splitlines()
    cut = int(0.9 * len(lines))
    return lines[:cut], lines[cut:]


@pytest.fixture(scope="module")
def fitted(corpus):
    train, _ = corpus
    pipe = make_pipeline(
        Embedder(n_dims=32, random_state=0),
        LSTMLanguageModel(**FAST, max_iter=8, dropout=0.0),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pipe.fit(train)


def _unigram_perplexity(train_ids, test_ids, n_tokens):
    counts = np.bincount(train_ids, minlength=n_tokens)[1:] + 1.0
    p = counts / counts.sum()
    return float(np.exp(-np.mean(np.log(p[test_ids[1:] - 1]))))


def test_strings_in_words_out_through_one_pipeline(fitted):
    lm = fitted[-1]
    words = fitted.predict(["the dog that the children feed", "the girls"])
    assert words.shape == (2,) and set(words) <= set(lm.classes_)
    assert "<pad>" not in lm.classes_ and "<unk>" not in words
    proba = fitted.predict_proba(["the dog"])
    assert proba.shape == (1, len(lm.classes_))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    top = lm.predict_top_k(fitted[0].transform(["the dog"]), k=3)
    assert top.shape == (1, 3) and top[0, 0] == fitted.predict(["the dog"])[0]


def test_contexts_of_mixed_lengths_predict_as_they_would_alone(corpus, fitted):
    _, test = corpus
    lengths = [7, 1, 4, 2, 6]
    contexts = [" ".join(test[i].split()[:n]) for i, n in enumerate(lengths)]
    assert [len(c.split()) for c in contexts] == lengths
    together = fitted.predict_log_proba(contexts)  # batched by length, not order
    alone = np.concatenate([fitted.predict_log_proba([c]) for c in contexts])
    np.testing.assert_allclose(together, alone, rtol=1e-5, atol=1e-5)
    top = fitted[-1].predict_top_k(fitted[0].transform(contexts), k=2)
    assert_array_equal(top[:, 0], fitted.predict(contexts))


def test_beats_the_unigram_model(corpus, fitted):
    _, test = corpus
    emb, lm = fitted[0], fitted[-1]
    X_test = emb.transform(test)
    unigram = _unigram_perplexity(
        emb.transform(corpus[0])._ids, X_test._ids, len(emb.words_)
    )
    ppl = fitted.score(test)  # mean log-likelihood per token, through the pipeline
    assert np.exp(-ppl) == pytest.approx(lm.perplexity(X_test))
    assert lm.perplexity(X_test) < 0.5 * unigram
    # learning happened over the epochs
    assert lm.loss_curve_[-1] < lm.loss_curve_[0]
    assert len(lm.validation_scores_) == lm.n_iter_


def test_agreement_is_learnt(fitted):
    # plural subjects take plural verbs in the grammar of make_text_corpus
    p = fitted.predict_proba(["the dogs", "the dog"])
    classes = list(fitted[-1].classes_)
    assert p[0, classes.index(".")] < 0.5  # a subject is not a sentence
    assert fitted.predict(["the dog chases the"])[0] not in {".", "the"}


def test_contexts_start_from_the_state_after_the_training_text(fitted):
    lm = fitted[-1]
    assert [(h.shape, c.shape) for h, c in lm.start_state_] == [((32, 1), (32, 1))]
    X = fitted[0].transform(["the dogs", "the cat sat on the old"])
    # a context alone or in a ragged batch: the same start, the same answer
    np.testing.assert_allclose(
        lm.predict_proba(X[:1]), lm.predict_proba(X)[:1], rtol=1e-4, atol=1e-7
    )
    restored = pickle.loads(pickle.dumps(lm))
    np.testing.assert_array_equal(restored.start_state_[0][1], lm.start_state_[0][1])


def test_unseen_words_map_to_the_oov_id(fitted):
    emb = fitted[0]
    X = emb.transform(["the zyzzyva"])
    assert X.ids(0)[-1] == 1  # <unk>
    assert fitted.predict(["the zyzzyva"]).shape == (1,)


def _keyed_stream(n_blocks, rng):
    # blocks "k f g k": the 4th word repeats the 1st, three steps back
    keys = rng.choice(["x", "y"], n_blocks)
    return " ".join(f"{k} f g {k}" for k in keys)


def test_carried_state_is_used_across_chunks():
    rng = np.random.RandomState(0)
    emb = Embedder(vectors="random", n_dims=8, min_count=1, random_state=0)
    X = emb.fit_transform([_keyed_stream(1500, rng)])
    lm = LSTMLanguageModel(
        16,
        bptt=8,
        batch_size=4,
        dropout=0.0,
        learning_rate_init=1e-2,
        validation_fraction=0,
        random_state=0,
    ).fit(X)
    X_test = emb.transform([_keyed_stream(200, rng)])
    # carried state: chunking at evaluation changes nothing, even chunks of
    # one step, where every prediction gets its context from the state alone
    long_chunks = lm.score(X_test)
    lm.set_params(bptt=1)
    assert lm.score(X_test) == pytest.approx(long_chunks, abs=1e-4)
    # the repeated key (whose cue is in an earlier chunk when bptt=1) is
    # predicted: 3 of 4 words are predictable, the first key is a coin flip
    assert lm.top_k_accuracy(X_test, k=1) > 0.85


def test_validation_is_spread_over_the_stream():
    stream = np.arange(100_000)
    train, val = _split_stream(stream, 0.1)
    assert len(val) == 10_000 and len(train) == 90_000
    np.testing.assert_array_equal(np.sort(np.concatenate([train, val])), stream)
    # ten pieces, each at the start of a tenth; the stream's end is trained on
    assert np.count_nonzero(np.diff(val) > 1) == 9
    assert val[0] == 0 and train[-1] == stream[-1]
    tenths = np.array_split(np.arange(5003), 10)
    expected = np.concatenate([t[: int(0.2 * len(t))] for t in tenths])
    np.testing.assert_array_equal(_split_stream(np.arange(5003), 0.2)[1], expected)
    assert len(_split_stream(stream, 0)[1]) == 0
    # a short stream: fewer blocks, still a held-out token in each
    np.testing.assert_array_equal(_split_stream(np.arange(40), 0.1)[1], [0, 10, 20, 30])


def test_training_starts_from_the_unigram_model(corpus):
    X = Embedder(vectors="random", n_dims=8, random_state=0).fit_transform(corpus[0])
    lm = LSTMLanguageModel(
        **FAST, max_iter=1, learning_rate_init=1e-9, validation_fraction=0
    ).fit(X)
    counts = np.bincount(X._ids, minlength=len(lm.classes_) + 1)[1:] + 1.0
    unigram = np.log(counts / counts.sum())
    np.testing.assert_allclose(lm.coefs_[-1]["bias"], unigram, atol=1e-4)


def test_pickle_keeps_vocabulary_and_fine_tuned_table(fitted, corpus):
    _, test = corpus
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(
        restored.predict(test[:20]), fitted.predict(test[:20])
    )
    assert restored[0].vocabulary_ == fitted[0].vocabulary_
    lm = restored[-1]
    np.testing.assert_array_equal(lm.embeddings_, fitted[-1].embeddings_)
    # the table was fine-tuned; the embedder's own vectors were not touched
    assert not np.allclose(lm.embeddings_, restored[0].vectors_)


def test_generate(fitted):
    emb, lm = fitted[0], fitted[-1]
    X = emb.transform(["the children", "a cat"])
    greedy = lm.generate(X, n_words=6, temperature=0)
    assert len(greedy) == 2 and all(len(s.split()) == 6 for s in greedy)
    assert greedy == lm.generate(X, n_words=6, temperature=0)
    a = lm.generate(X, n_words=6, random_state=1)
    assert a == lm.generate(X, n_words=6, random_state=1)
    assert "<unk>" not in " ".join(a)


def test_same_random_state_same_model(corpus):
    train = corpus[0][:100]
    X = Embedder(vectors="random", n_dims=8, random_state=0).fit_transform(train)
    a = LSTMLanguageModel(**FAST, max_iter=2).fit(X)
    b = clone(a).fit(X)
    np.testing.assert_array_equal(a.coefs_[0]["weight_hh"], b.coefs_[0]["weight_hh"])
    assert a.loss_curve_ == b.loss_curve_


def test_warm_start_continues(corpus):
    X = Embedder(vectors="random", n_dims=8, random_state=0).fit_transform(corpus[0])
    lm = LSTMLanguageModel(**FAST, max_iter=1, warm_start=True).fit(X)
    lm.fit(X)
    assert lm.n_iter_ == 2 and len(lm.loss_curve_) == 2


def test_bad_input(fitted, corpus):
    lm = fitted[-1]
    with pytest.raises(TypeError, match="Embedder"):
        LSTMLanguageModel().fit(["raw text"])
    other = Embedder(vectors="random", n_dims=32, random_state=0).fit_transform(
        ["a completely different vocabulary of words"] * 3
    )
    with pytest.raises(ValueError, match="vocabulary"):
        lm.predict(other)
    X = fitted[0].transform(["the dog"])
    with pytest.raises(ValueError, match="k must"):
        lm.predict_top_k(X, k=0)
    for bad in (-1, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="temperature"):
            lm.generate(X, temperature=bad)
    tiny = TokenSequences([[2, 3]], np.zeros((5, 4), np.float32))
    with pytest.raises(ValueError, match="too few"):
        LSTMLanguageModel(batch_size=20).fit(tiny)


def test_divergence_keeps_the_best_epoch_or_fails_clearly(corpus, monkeypatch):
    X = Embedder(vectors="random", n_dims=8, random_state=0).fit_transform(corpus[0])
    steps = {"n": 0, "limit": 0}
    original = LSTMLanguageModel._train_step

    def nan_after_limit(self, net, opts, ids, state, xp):
        steps["n"] += 1
        loss, state = original(self, net, opts, ids, state, xp)
        return (float("nan") if steps["n"] > steps["limit"] else loss), state

    monkeypatch.setattr(LSTMLanguageModel, "_train_step", nan_after_limit)
    # NaN at the very first step: nothing to fall back on
    with pytest.raises(ValueError, match="no usable model"):
        LSTMLanguageModel(**FAST, max_iter=3).fit(X)
    # count the steps of one epoch, then let the second epoch diverge
    steps.update(n=0, limit=10**9)
    LSTMLanguageModel(**FAST, max_iter=1).fit(X)
    steps.update(limit=steps["n"] + 1, n=0)
    with pytest.warns(UserWarning, match="weights of epoch 1 .* were kept"):
        lm = LSTMLanguageModel(**FAST, max_iter=3).fit(X)
    assert lm.n_iter_ == 1
    assert np.isfinite(lm.score(X[:5]))


def test_an_exploding_fit_is_a_clear_error(corpus):
    X = Embedder(vectors="random", n_dims=8, random_state=0).fit_transform(
        corpus[0][:300]
    )
    lm = LSTMLanguageModel(**FAST, max_iter=2, learning_rate_init=1e6, clip_norm=None)
    with pytest.raises(ValueError, match="Training diverged.*learning_rate_init"):
        lm.fit(X)
    assert not hasattr(lm, "coefs_")


def test_ctrl_c_keeps_the_best_epoch(corpus, monkeypatch):
    X = Embedder(vectors="random", n_dims=8, random_state=0).fit_transform(
        corpus[0][:600]
    )
    steps, original = [], LSTMLanguageModel._train_step
    clean = LSTMLanguageModel(**FAST, max_iter=2).fit(X)
    best = int(np.argmax(clean.validation_scores_)) + 1

    def counted(self, *args):
        steps.append(1)
        return original(self, *args)

    monkeypatch.setattr(LSTMLanguageModel, "_train_step", counted)
    LSTMLanguageModel(**FAST, max_iter=1).fit(X)
    per_epoch, at = len(steps), len(steps) * 2 + 1  # the first step of epoch 3

    def interrupted(self, *args):
        steps.append(1)
        if len(steps) == per_epoch + at:
            raise KeyboardInterrupt
        return original(self, *args)

    monkeypatch.setattr(LSTMLanguageModel, "_train_step", interrupted)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lm = LSTMLanguageModel(**FAST, max_iter=10).fit(X)
    messages = [str(w.message) for w in caught]
    assert any(
        f"interrupted by the user in epoch 3; keeping the weights of epoch {best} "
        "(the best validation loss" in m
        for m in messages
    ), messages
    assert lm.n_iter_ == 2
    assert_array_equal(lm.embeddings_, clean.embeddings_)
    assert lm.predict(X[:3]).shape == (3,)


def test_a_vocabulary_without_words_is_refused_at_fit():
    X = Embedder(vectors="random", n_dims=4, min_count=5).fit_transform(
        ["one two three four"] * 3
    )
    with pytest.raises(ValueError, match="no word besides"):
        LSTMLanguageModel(**FAST).fit(X)


def test_frozen_table_is_left_as_given(corpus):
    emb = Embedder(vectors="random", n_dims=8, trainable=False, random_state=0)
    X = emb.fit_transform(corpus[0][:200])
    lm = LSTMLanguageModel(**FAST, max_iter=2).fit(X)
    np.testing.assert_array_equal(lm.embeddings_, emb.vectors_)
    assert lm.predict(emb.transform(["the dog"])).shape == (1,)


def test_hidden_layer_sizes_may_be_a_list_as_elsewhere():
    LSTMLanguageModel(hidden_layer_sizes=[8, 8])._validate_params()
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        LSTMLanguageModel(hidden_layer_sizes="8")._validate_params()


@pytest.mark.parametrize("k", [1, 2, 5])
def test_top_k_selects_like_a_full_stable_sort(k):
    from sklstm._language_model import _top_k

    rng = np.random.default_rng(0)
    scores = rng.standard_normal((40, 300)).astype(np.float32)
    full = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    assert_array_equal(_top_k(scores, k), full)
    ties = rng.integers(0, 4, (40, 30)).astype(np.float32)
    full = np.argsort(-ties, axis=1, kind="stable")[:, :k]
    got = _top_k(ties, k)
    assert_array_equal(
        np.take_along_axis(ties, got, 1), np.take_along_axis(ties, full, 1)
    )
    if k == 1:  # the first of tied maxima, as the stable sort
        assert_array_equal(got, full)


def test_unfitted_top_k_says_not_fitted():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        LSTMLanguageModel().predict_top_k(None, k=3)


def test_without_validation_the_kept_epoch_is_named_by_its_training_loss(
    corpus, monkeypatch
):
    X = Embedder(vectors="random", n_dims=8, random_state=0).fit_transform(
        corpus[0][:300]
    )
    steps, original = [], LSTMLanguageModel._train_step

    def interrupted(self, *args):
        steps.append(1)
        if len(steps) == 200:  # well into the fit, after its first epoch
            raise KeyboardInterrupt
        return original(self, *args)

    monkeypatch.setattr(LSTMLanguageModel, "_train_step", interrupted)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lm = LSTMLanguageModel(**FAST, max_iter=50, validation_fraction=0.0).fit(X)
    messages = " ".join(str(w.message) for w in caught)
    assert lm.n_iter_ >= 1
    assert "(the best training loss" in messages and "validation" not in messages


def test_token_sequences_with_ngrams_are_refused():
    texts = ["how many dogs are there", "how many cats are there"] * 5
    tokens = Embedder(ngrams=2, vectors="random", n_dims=4).fit_transform(texts)
    with pytest.raises(ValueError, match="n-gram tokens"):
        LSTMLanguageModel(4, max_iter=1).fit(tokens)
    with pytest.raises(ValueError, match="n-gram tokens"):
        LSTMLanguageModel(4, max_iter=1).fit(tokens[:3])  # a slice keeps the mark
    words = Embedder(vectors="random", n_dims=4).fit_transform(texts)
    assert words._n_words is None
    LSTMLanguageModel(4, max_iter=1).fit(words)  # 'auto' without labels: words
