"""The bag of n-grams beside a text classifier's network (sklstm/_bag.py and
LSTMClassifier(bag=...))."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression

from sklstm import Embedder, LSTMClassifier, TokenSequences
from sklstm._bag import Bag, bag_scores, fit_bag, step_sums
from sklstm.datasets import make_sentiment_texts
from sklstm.pipeline import make_pipeline

SMALL = dict(max_iter=3, random_state=0)
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _tokens(n=60, n_tokens=15, dims=4, seed=0):
    rng = np.random.RandomState(seed)
    vectors = rng.normal(size=(n_tokens, dims)).astype(np.float32)
    ids = [rng.randint(1, n_tokens, size=rng.randint(1, 9)) for _ in range(n)]
    return TokenSequences(ids, vectors), ids, vectors


def _flat(X):
    return X._ids, X.offsets, X.lengths


def _loop_sums(bag, ids, prev=None):
    """step_sums by a loop over the texts' tokens and pairs."""
    n, keys = len(bag.token_scores), bag.pair_keys.tolist()
    out = []
    for k, s in enumerate(ids):
        total = np.zeros(bag.token_scores.shape[1])
        before = None if prev is None else prev[k]
        for t in s:
            total += bag.token_scores[t]
            if before is not None and before * n + t in keys:
                total += bag.pair_scores[keys.index(before * n + t)]
            before = t
        out.append(total)
    return np.array(out)


def test_step_sums_match_a_loop():
    X, ids, _ = _tokens()
    rng = np.random.RandomState(1)
    keys = np.unique([a * 15 + b for a, b in rng.randint(1, 15, size=(40, 2))])
    bag = Bag(
        rng.normal(size=(15, 3)).astype(np.float32),
        keys,
        rng.normal(size=(len(keys), 3)).astype(np.float32),
        np.zeros(3),
    )
    assert_allclose(step_sums(bag, *_flat(X)), _loop_sums(bag, ids), rtol=1e-5)
    # a stream's chunk: the pair across the chunk boundary counts
    prev = rng.randint(1, 15, size=len(ids))
    assert_allclose(
        step_sums(bag, *_flat(X), prev=prev), _loop_sums(bag, ids, prev), rtol=1e-5
    )
    # sequences given by any offsets and lengths: prefixes of the first one
    flat, offsets, lengths = _flat(X)
    L = lengths[0]
    pre = step_sums(bag, flat, np.zeros(L, np.intp), np.arange(1, L + 1))
    assert_allclose(pre, [_loop_sums(bag, [ids[0][:k]])[0] for k in range(1, L + 1)])


def _features(ids, n_tokens):
    """The bag's features by another road: documents of words 'a' and 'a_b',
    counted, idf-weighted (scikit-learn's smooth idf) and divided by the
    text's length."""
    docs = [
        [str(t) for t in s] + [f"{a}_{b}" for a, b in zip(s[:-1], s[1:], strict=True)]
        for s in ids
    ]
    vocab = sorted({w for d in docs for w in d})
    index = {w: j for j, w in enumerate(vocab)}
    rows = [k for k, d in enumerate(docs) for _ in d]
    cols = [index[w] for d in docs for w in d]
    counts = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), (len(docs), len(vocab)))
    tfidf = TfidfTransformer(norm=None).fit(counts)
    lengths = np.array([len(s) for s in ids], dtype=float)
    return sp.diags(1 / lengths) @ tfidf.transform(counts)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_the_tables_are_the_logistic_regression(n_classes):
    """softmax(intercept + mean of the texts' step rows) is a logistic
    regression's predict_proba on the TF-IDF features of tokens and token
    pairs, each divided by the text's length."""
    X, ids, _ = _tokens()
    y = np.arange(len(ids)) % n_classes
    w = np.linspace(0.5, 2.0, len(ids))
    bag = fit_bag(*_flat(X), 15, y, w, n_classes)
    assert bag.token_scores.shape == (15, n_classes)
    assert bag.token_scores.dtype == np.float32
    pairs = {a * 15 + b for s in ids for a, b in zip(s[:-1], s[1:], strict=True)}
    assert bag.pair_keys.tolist() == sorted(pairs)
    assert bag.pair_scores.shape == (len(pairs), n_classes)
    S = bag_scores(bag, *_flat(X))
    P = np.exp(S - S.max(1, keepdims=True))
    P /= P.sum(1, keepdims=True)
    F = _features(ids, 15)
    lr = LogisticRegression(C=10, max_iter=2000).fit(F, y, sample_weight=w)
    assert_allclose(P, lr.predict_proba(F), atol=1e-4)


def test_auto_bags_texts_only():
    texts, labels = make_sentiment_texts(80, random_state=0)
    pipe = make_pipeline(Embedder(random_state=0), LSTMClassifier(6, **SMALL))
    clf = pipe.fit(texts, labels)[-1]
    assert clf.bag_
    n_tokens = len(pipe[0].vectors_)
    assert clf.bag_token_scores_.shape == (n_tokens, 2)
    assert clf.bag_pair_keys_.min() >= n_tokens  # a key a * n_tokens + b, a >= 1
    assert clf.bag_pair_scores_.shape == (len(clf.bag_pair_keys_), 2)
    assert clf.bag_intercept_.shape == (2,)
    rng = np.random.RandomState(0)
    dense = LSTMClassifier(4, **SMALL).fit(
        rng.normal(size=(20, 5, 2)), np.arange(20) % 2
    )
    assert dense.bag_ is False and dense.bag_token_scores_ is None
    assert dense.bag_pair_keys_ is None and dense.bag_pair_scores_ is None


def test_the_probabilities_are_the_geometric_mean_of_both_models():
    texts, labels = make_sentiment_texts(80, random_state=0)
    pipe = make_pipeline(Embedder(random_state=0), LSTMClassifier(6, **SMALL))
    pipe.fit(texts, labels)
    clf, X = pipe[-1], pipe[0].transform(texts[:20])
    P = clf.predict_proba(X)
    clf.bag_ = False
    net = clf.predict_proba(X)
    clf.bag_ = True
    S = bag_scores(clf._get_bag(), *_flat(X))
    bag = np.exp(S - S.max(1, keepdims=True))
    bag /= bag.sum(1, keepdims=True)
    expected = np.sqrt(net * bag)
    expected /= expected.sum(1, keepdims=True)
    assert_allclose(P, expected, atol=1e-5)
    assert not np.allclose(P, net, atol=1e-3)
    # every other reading agrees: labels, each prefix's last step, score
    assert_allclose(clf.predict_proba_steps(X)[3][-1], P[3], atol=1e-5)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[P.argmax(1)])


def test_bag_false_is_the_network_alone():
    texts, labels = make_sentiment_texts(80, random_state=0)
    X = Embedder(random_state=0).fit(texts, labels).transform(texts)
    on = LSTMClassifier(6, **SMALL).fit(X, labels)
    off = LSTMClassifier(6, bag=False, **SMALL).fit(X, labels)
    assert off.bag_ is False and off.bag_token_scores_ is None
    # the same network, trained the same way
    for a, b in zip(on.coefs_, off.coefs_, strict=True):
        for k in a:
            np.testing.assert_array_equal(a[k], b[k])
    on.bag_ = False
    assert_allclose(on.predict_proba(X), off.predict_proba(X))


def test_bag_true_refuses_what_it_cannot_read():
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(20, 5, 2)), np.arange(20) % 2
    with pytest.raises(ValueError, match="bag=True .* needs token sequences"):
        LSTMClassifier(4, bag=True, **SMALL).fit(X, y)
    tokens, ids, _ = _tokens(20)
    steps = [np.arange(len(i)) % 2 for i in ids]
    with pytest.raises(ValueError, match="got per-timestep labels"):
        LSTMClassifier(4, bag=True, **SMALL).fit(tokens, steps)
    with pytest.raises(ValueError, match="bag=True needs fit"):
        LSTMClassifier(4, bag=True, **SMALL).partial_fit(tokens, y, classes=[0, 1])
    with pytest.raises(ValueError, match="bag"):
        LSTMClassifier(4, bag="yes").fit(tokens, y)


def test_partial_fit_trains_the_network_and_keeps_the_bag():
    X, ids, _ = _tokens(40)
    y = np.arange(40) % 2
    first = LSTMClassifier(4, **SMALL).partial_fit(X, y, classes=[0, 1])
    assert first.bag_ is False  # a first partial_fit fits no bag
    clf = LSTMClassifier(4, **SMALL).fit(X, y)
    table = clf.bag_token_scores_.copy()
    before = clf.coefs_[-1]["weight"].copy()
    clf.partial_fit(X, y)
    assert clf.bag_
    np.testing.assert_array_equal(clf.bag_token_scores_, table)
    assert not np.array_equal(clf.coefs_[-1]["weight"], before)


def test_the_bag_uses_the_sample_and_class_weights():
    X, ids, vectors = _tokens(60)
    y = np.arange(60) % 2
    w = np.where(np.arange(60) < 30, 1.0, 0.0)
    clf = LSTMClassifier(4, class_weight={0: 1.0, 1: 3.0}, **SMALL)
    clf.fit(X, y, sample_weight=w)
    bag = fit_bag(*_flat(X), len(vectors), y, w * np.where(y == 1, 3.0, 1.0), 2)
    assert_allclose(clf.bag_token_scores_, bag.token_scores, atol=1e-6)
    assert_allclose(clf.bag_pair_scores_, bag.pair_scores, atol=1e-6)
    assert_allclose(clf.bag_intercept_, bag.intercept, atol=1e-9)


def test_a_classifier_saved_before_the_bag_loads_without_one():
    X, _, _ = _tokens(40)
    y = np.arange(40) % 2
    clf = LSTMClassifier(4, bag=False, **SMALL).fit(X, y)
    state = dict(clf.__getstate__())
    for key in ("bag", "bag_", "bag_token_scores_", "bag_intercept_"):
        state.pop(key)
    for key in ("bag_pair_keys_", "bag_pair_scores_"):
        state.pop(key)
    old = LSTMClassifier.__new__(LSTMClassifier)
    old.__setstate__(state)
    assert old.get_params()["bag"] is False and old.bag_ is False
    assert_allclose(old.predict_proba(X), clf.predict_proba(X))
    assert_allclose(
        pickle.loads(pickle.dumps(clf)).predict_proba(X), clf.predict_proba(X)
    )


def test_a_classifier_saved_with_the_bag_of_vectors_keeps_it():
    """The bag before the n-grams had token rows only: it loads with no
    pairs and scores as it did."""
    X, _, _ = _tokens(40)
    y = np.arange(40) % 2
    clf = LSTMClassifier(4, **SMALL).fit(X, y)
    state = dict(clf.__getstate__())
    for key in ("bag_pair_keys_", "bag_pair_scores_"):
        state.pop(key)
    old = LSTMClassifier.__new__(LSTMClassifier)
    old.__setstate__(state)
    assert old.bag_ and len(old.bag_pair_keys_) == 0
    assert old.bag_pair_scores_.shape == (0, 2)
    clf.bag_pair_keys_ = clf.bag_pair_keys_[:0]
    clf.bag_pair_scores_ = clf.bag_pair_scores_[:0]
    assert_allclose(old.predict_proba(X), clf.predict_proba(X))


def test_a_stream_carries_the_bag_and_reads_as_the_whole_text():
    X, ids, _ = _tokens(30)
    y = np.arange(30) % 2
    clf = LSTMClassifier(4, **SMALL).fit(X, y)
    ids = [i for i in ids if len(i) >= 4][:3]

    def chunk(a, b):
        return TokenSequences([i[a:b] for i in ids], X.vectors)

    # the pairs across chunk boundaries count: chunks of 1, 2 and 1 steps
    _, state = clf.predict_proba_chunk(chunk(0, 1))
    _, mid = clf.predict_proba_chunk(chunk(1, 3), state)
    p, after = clf.predict_proba_chunk(chunk(3, 4), mid)
    assert_allclose(p, clf.predict_proba(chunk(0, 4)), atol=1e-5)
    assert after.extra["bag_sum"].shape == (3, 2)
    np.testing.assert_array_equal(after.extra["bag_last"], [i[3] for i in ids])
    for key in ("bag_sum", "bag_last"):
        bad = clf.predict_proba_chunk(chunk(0, 1))[1]
        bad.extra = {k: v for k, v in bad.extra.items() if k != key}
        with pytest.raises(ValueError, match=f"lacks \\['{key}'\\]"):
            clf.predict_proba_chunk(chunk(1, 2), bad)
    # a model without a bag refuses the state of one with it
    clf.bag_ = False
    with pytest.raises(ValueError, match="another model"):
        clf.predict_proba_chunk(chunk(1, 2), after)
