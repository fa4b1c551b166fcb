"""Embedder and TokenSequences; fine-tuning the table inside the LSTM."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import config_context
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline

from sklstm import Embedder, LSTMClassifier, LSTMRegressor, TokenSequences

# short fits on purpose
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _reviews(n, seed=0):
    """Short texts whose label is set by one sentiment word among fillers."""
    rng = np.random.RandomState(seed)
    fillers = "the a film movie plot actor story was is really quite this".split()
    good, bad = ["good", "great", "fine"], ["bad", "awful", "dull"]
    texts, y = [], rng.randint(0, 2, n)
    for label in y:
        words = list(rng.choice(fillers, rng.randint(3, 9)))
        words.insert(rng.randint(len(words) + 1), rng.choice(good if label else bad))
        texts.append(" ".join(words))
    return texts, y


# ---------------------------------------------------------------- label entries
def test_label_entries_hold_the_class_evidence_of_words():
    texts, y = _reviews(300)
    plain = Embedder(n_dims=6, random_state=0).fit(texts)
    assert plain.label_ratios_ is None and plain.n_label_dims_ == 0
    emb = Embedder(n_dims=6, label_dims=3, random_state=0).fit(texts, y)
    assert emb.label_ratios_.shape == (len(emb.words_), 1)
    assert emb.n_label_dims_ == 3 and emb.vectors_.shape == (len(emb.words_), 9)
    # the corpus vectors are unchanged; the label entries are repeated ratios
    assert_array_equal(emb.vectors_[:, :6], plain.vectors_)
    label = emb.vectors_[:, 6:]
    assert_array_equal(label, np.repeat(label[:, :1], 3, axis=1))
    assert_array_equal(label[:2], 0)  # padding and <unk> carry no evidence
    ratio = dict(zip(emb.words_, emb.label_ratios_[:, 0], strict=True))
    assert min(ratio[w] for w in ("good", "great", "fine")) > 1
    assert max(ratio[w] for w in ("bad", "awful", "dull")) < -1
    assert max(abs(ratio[w]) for w in ("the", "film", "was")) < 0.3
    # scaled to the documented root mean square per text position
    counts = emb.counts_[2:].astype(float)
    rms = np.sqrt((counts * label[2:, 0].astype(float) ** 2).sum() / counts.sum())
    assert_allclose(rms, 0.4, rtol=1e-4)
    # transform reads the same table
    assert emb.transform(texts[:3]).vectors is emb.vectors_


def test_label_ratios_are_centred_on_the_class_shares():
    # classes of 6 and 2 texts: a word spread as the classes are is no evidence
    texts = ["w x"] * 3 + ["x"] * 3 + ["w y"] + ["y"]
    y = ["a"] * 6 + ["b"] * 2
    emb = Embedder(n_dims=2, min_count=1, label_dims=1, random_state=0)
    emb.fit(texts, y)
    ratio = dict(zip(emb.words_, emb.label_ratios_[:, 0], strict=True))
    assert_allclose(ratio["w"], 0, atol=1e-12)
    assert ratio["x"] < 0 < ratio["y"]  # about class 'b', the second
    # one column per class beyond two classes; strings are fine
    emb.fit(texts + ["z"], y + ["c"])
    assert emb.label_ratios_.shape == (len(emb.words_), 3)
    assert emb.n_label_dims_ == 3


def test_label_entries_need_class_labels():
    texts, y = _reviews(40)
    for target, params in [
        (y.astype(float) + 0.5, {}),  # continuous: a regression target
        (y, {"label_dims": 0}),
    ]:
        emb = Embedder(n_dims=4, random_state=0, **params).fit(texts, target)
        assert emb.label_ratios_ is None and emb.vectors_.shape[1] == 4
    with pytest.raises(ValueError, match="one label per text"):
        Embedder(n_dims=4).fit(texts, y[:10])
    X = Embedder(n_dims=4, random_state=0).fit_transform(texts, y)
    assert X.vectors.shape[1] == 4 + 8


@pytest.mark.parametrize("vectors", ["ppmi", "random"])
def test_a_single_class_adds_no_label_entries(vectors):
    """One class has no other to compare with: its log-count ratios were
    0/0, NaN vectors that later failed training with a misleading message."""
    texts, _ = _reviews(40)
    emb = Embedder(vectors=vectors, n_dims=4, random_state=0)
    X = emb.fit_transform(texts, ["pos"] * len(texts))
    assert emb.label_ratios_ is None and emb.n_label_dims_ == 0
    assert X.vectors.shape[1] == 4 and np.all(np.isfinite(X.vectors))


# ---------------------------------------------------------------- vocabulary
def test_vocabulary_reserved_ids_and_counts():
    texts = ["b a a", "c a b", "d"]
    emb = Embedder(min_count=2, n_dims=2, random_state=0).fit(texts)
    assert emb.words_.tolist() == ["<pad>", "<unk>", "a", "b"]
    assert emb.vocabulary_ == {"<pad>": 0, "<unk>": 1, "a": 2, "b": 3}
    assert emb.counts_.tolist() == [0, 2, 3, 2]  # c and d are out of vocabulary
    emb = Embedder(max_tokens=3, min_count=1, n_dims=2).fit(texts)
    assert emb.words_.tolist() == ["<pad>", "<unk>", "a"]  # the most frequent


def test_min_count_auto_keeps_words_seen_once_only_for_very_short_texts():
    # sentences: every text keeps a word seen twice, so words seen once go
    sentences = ["the film was good", "the plot was dull", "a good cast"] * 10
    sentences += [f"the word{i} was odd" for i in range(20)]
    emb = Embedder(n_dims=2, random_state=0).fit(sentences)
    assert emb.min_count_ == 2
    assert "word0" not in emb.vocabulary_
    # phrases: with min_count=2, 2 of 101 phrases (2% > 1%) would be '<unk>'
    phrases = ["very good", "not bad", "awful"] * 33 + ["superb"]
    phrases += ["splendid"]
    emb = Embedder(n_dims=2, random_state=0).fit(phrases)
    assert emb.min_count_ == 1
    assert "superb" in emb.vocabulary_
    # 1 of 105 texts lost (under 1%): an empty text (always '<unk>')
    emb = Embedder(n_dims=2, random_state=0).fit(phrases[:-1] + [""] * 5)
    assert emb.min_count_ == 2
    emb = Embedder(min_count=3, n_dims=2, random_state=0).fit(phrases)
    assert emb.min_count_ == 3


def test_ngrams_are_tokens_after_their_first_word():
    texts = ["how many dogs are there", "how many cats", "who is he"] * 2
    texts += ["who was she", "what is it"]
    emb = Embedder(ngrams=2, min_count=1, n_dims=2, random_state=0).fit(texts)
    assert emb.ngrams_ == 2 and emb.min_count_ == 1
    # words first (by count), then the n-grams seen at least twice
    words, ngrams = emb.words_[: emb.n_words_], emb.words_[emb.n_words_ :]
    assert all(" " not in w for w in words) and "she" in words
    assert ngrams.tolist() == [
        "how many",
        "are there",
        "dogs are",
        "is he",
        "many cats",
        "many dogs",
        "who is",
    ]
    assert emb.counts_[emb.vocabulary_["how many"]] == 4
    assert emb.counts_[1] == 0  # every word kept; n-grams never count as '<unk>'
    X = emb.transform(["How many dogs, who was he?"])
    assert emb.inverse(X[0]) == [
        "how",
        "how many",
        "many",
        "many dogs",
        "dogs",
        "<unk>",
        "who",
        "was",  # 'who was' and 'was he' are not in the vocabulary: left out
        "he",
        "<unk>",
    ]
    assert emb.inverse_transform(X) == ["how many dogs <unk> who was he <unk>"]
    # fit_transform gives what transform gives
    Xt = emb.fit_transform(texts)
    assert_array_equal(Xt.ids(0), emb.transform(texts[:1]).ids(0))
    # trigrams follow the bigram of the same first word
    emb3 = Embedder(ngrams=3, min_count=1, n_dims=2, random_state=0).fit(texts)
    assert emb3.inverse(emb3.transform(["how many cats"])[0]) == [
        "how",
        "how many",
        "how many cats",
        "many",
        "many cats",
        "cats",
    ]


def test_ngrams_fill_the_room_the_words_leave():
    texts = ["a b", "a b", "a c", "a c", "d e", "d e"]
    emb = Embedder(ngrams=2, max_tokens=7, min_count=1, n_dims=2).fit(texts)
    assert emb.words_.tolist() == ["<pad>", "<unk>", "a", "b", "c", "d", "e"]
    emb = Embedder(ngrams=2, max_tokens=8, min_count=1, n_dims=2).fit(texts)
    assert emb.words_[emb.n_words_ :].tolist() == ["a b"]  # ties: a-z


def _questions(n, seed=0):
    """Questions of three types, told apart by their first two words."""
    rng = np.random.RandomState(seed)
    starts = [["how", "many"], ["who", "was"], ["what", "is"]]
    fillers = "the a of in city river film king year first".split()
    y = rng.randint(0, 3, n)
    return [" ".join(starts[k] + list(rng.choice(fillers, 4))) for k in y], y


def test_ngrams_auto_for_three_classes_or_more_on_sentences_only():
    texts, y = _questions(200)
    auto = Embedder(n_dims=4, random_state=0)
    assert auto.fit(texts, y).ngrams_ == 2  # classes, sentences, learned vectors
    assert "how many" in auto.vocabulary_
    assert auto.transform(texts).lengths[0] > len(texts[0].split())
    assert auto.fit(texts, y % 2).ngrams_ == 1  # two classes
    assert auto.fit(texts).ngrams_ == 1  # no labels (a language model)
    assert auto.fit(texts, np.linspace(0, 1, 200)).ngrams_ == 1  # regression
    given = {w: np.ones(4) for w in "how many who was what is".split()}
    assert Embedder(vectors=given).fit(texts, y).ngrams_ == 1
    # phrases: words seen once kept, no n-grams
    phrases = ["very good", "not bad", "awful"] * 33 + ["superb", "splendid"]
    emb = Embedder(n_dims=2, random_state=0).fit(phrases, [2, 0, 1] * 33 + [2, 2])
    assert (emb.min_count_, emb.ngrams_) == (1, 1)
    assert emb.n_words_ == len(emb.words_)
    assert Embedder(ngrams=1).fit(texts, y).ngrams_ == 1
    assert Embedder(ngrams=2).fit(texts).ngrams_ == 2  # as asked


def test_tokenisation_options():
    emb = Embedder(min_count=1, n_dims=2, random_state=0)
    words = emb.fit(["It isn't GOOD!"]).words_[2:].tolist()
    assert words == ["!", "good", "isn't", "it"]
    emb.set_params(lowercase=False)
    assert "GOOD" in emb.fit(["It isn't GOOD!"]).vocabulary_
    emb.set_params(tokenizer=str.split, lowercase=True)
    assert emb.fit(["It isn't GOOD!"]).words_[2:].tolist() == ["good!", "isn't", "it"]
    with pytest.raises(ValueError, match="not a valid regular expression"):
        Embedder(token_pattern="(").fit(["a b"])


def test_transform_unknown_empty_and_max_length():
    emb = Embedder(min_count=1, n_dims=2, random_state=0).fit(["a b c d"])
    X = emb.transform(["a zzz b", "", "  ", "a b c d a b"])
    assert emb.inverse(X[0]) == ["a", "<unk>", "b"]
    assert X[1].tolist() == [1]  # an empty text is one <unk> token
    assert X.lengths.tolist() == [3, 1, 1, 6]
    emb.set_params(max_length=2)
    X = emb.transform(["a b c d a b", "c"])
    assert emb.inverse(X) == [["a", "b"], ["c"]]  # the last tokens are kept
    assert emb.inverse_transform(X) == ["a b", "c"]


def test_output_forms_agree():
    texts = ["a b c", "b", "c a"]
    emb = Embedder(min_count=1, n_dims=4, random_state=0).fit(texts)
    tokens = emb.transform(texts)
    as_list = clone(emb).set_params(output="list").fit(texts).transform(texts)
    as_array = clone(emb).set_params(output="array").fit(texts).transform(texts)
    assert [a.shape for a in as_list] == [(3, 4), (1, 4), (2, 4)]
    assert as_array.shape == (3, 3, 4) and as_array.dtype == np.float32
    for i, a in enumerate(as_list):
        assert_array_equal(a, emb.vectors_[tokens[i]])
        assert_array_equal(as_array[i, : len(a)], a)
        assert not as_array[i, len(a) :].any()  # zero padding at the end


# ---------------------------------------------------------------- set_output
@pytest.mark.parametrize("output", ["tokens", "list", "array"])
@pytest.mark.parametrize("context", ["local", "global"])
def test_set_output_returns_the_sequences_as_they_are(output, context):
    pytest.importorskip("pandas")
    texts, y = _reviews(20)
    emb = Embedder(n_dims=4, output=output, random_state=0)
    expected = clone(emb).fit_transform(texts, y)
    if context == "local":
        assert emb.set_output(transform="pandas") is emb
    with config_context(transform_output="pandas" if context == "global" else None):
        outputs = emb.fit_transform(texts, y), emb.transform(texts)
    for out in outputs:
        assert type(out) is type(expected)
        for a, b in zip(out, expected, strict=True):
            assert_array_equal(a, b)


def test_feature_names_out_name_the_vector_entries():
    texts, y = _reviews(20)
    emb = Embedder(n_dims=4, label_dims=2, random_state=0)
    with pytest.raises(NotFittedError):
        emb.get_feature_names_out()
    emb.fit(texts, y)  # 4 dimensions and 2 label entries
    names = emb.get_feature_names_out()
    assert names.dtype == object
    assert list(names) == [f"embedder{i}" for i in range(6)]
    assert emb.transform(texts).to_array().shape[2] == len(names)


@pytest.mark.parametrize("context", ["local", "global"])
def test_text_pipeline_with_pandas_output_fits_and_predicts(context):
    pytest.importorskip("pandas")
    texts, y = _reviews(40)

    def pipe():
        return make_pipeline(
            Embedder(n_dims=4, random_state=0),
            LSTMClassifier(hidden_layer_sizes=4, max_iter=2, random_state=0),
        )

    expected = pipe().fit(texts, y).predict_proba(texts)
    model = pipe()
    if context == "local":
        assert model.set_output(transform="pandas") is model
    with config_context(transform_output="pandas" if context == "global" else None):
        assert_allclose(model.fit(texts, y).predict_proba(texts), expected)


# ---------------------------------------------------------------- vectors
def test_ppmi_vectors_capture_contexts():
    texts = ["the cat sat", "the dog sat", "a cat ran", "a dog ran"] * 10
    texts += ["stocks rose sharply", "bonds rose sharply"] * 10
    emb = Embedder(n_dims=4, random_state=0).fit(texts)
    V = emb.vectors_
    assert V.shape == (len(emb.words_), 4) and V.dtype == np.float32
    assert not V[0].any()
    assert_allclose(V[1:].std(), 0.05, rtol=0.2)
    assert emb.most_similar("cat", n=1)[0][0] == "dog"
    assert emb.most_similar("stocks", n=1)[0][0] == "bonds"
    again = Embedder(n_dims=4, random_state=0).fit(texts).vectors_
    assert_array_equal(V, again)  # reproducible


def test_random_vectors_are_keras_like():
    emb = Embedder(vectors="random", n_dims=8, random_state=0).fit(_reviews(50)[0])
    assert np.abs(emb.vectors_).max() <= 0.05
    assert emb.n_missing_ is None


def test_given_vectors_dict_tuple_and_files(tmp_path):
    texts = ["good film", "bad film", "odd film"]
    given = {"good": [1.0, 0.0], "bad": [-1.0, 0.0], "film": [0.0, 1.0]}
    emb = Embedder(vectors=given, min_count=1, random_state=0).fit(texts)
    assert_array_equal(emb.vectors_[emb.vocabulary_["good"]], [1, 0])
    assert emb.n_missing_ == 1  # 'odd' got a random vector
    words, array = list(given), np.array(list(given.values()))
    emb2 = Embedder(vectors=(words, array), min_count=1, random_state=0).fit(texts)
    assert_array_equal(emb.vectors_, emb2.vectors_)
    glove = tmp_path / "glove.txt"
    glove.write_text("good 1 0\nbad -1 0\nfilm 0 1\nother 5 5\n", encoding="utf-8")
    emb3 = Embedder(vectors=str(glove), min_count=1, random_state=0).fit(texts)
    assert_array_equal(emb.vectors_, emb3.vectors_)
    w2v = tmp_path / "w2v.txt"
    w2v.write_text("3 2\ngood 1 0\nbad -1 0\nfilm 0 1\n", encoding="utf-8")
    emb4 = Embedder(vectors=w2v, min_count=1, random_state=0).fit(texts)
    assert_array_equal(emb.vectors_, emb4.vectors_)


def test_given_vectors_errors(tmp_path):
    texts = ["good film"]
    bad = tmp_path / "bad.txt"
    bad.write_text("good 1 0\nfilm 0 1 2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 2"):
        Embedder(vectors=str(bad), min_count=1).fit(texts)
    with pytest.raises(ValueError, match="no such file"):
        Embedder(vectors="glove.6B.100d.txt").fit(texts)
    with pytest.raises(ValueError, match="None of the vocabulary"):
        Embedder(vectors={"other": [1.0]}, min_count=1).fit(texts)
    with pytest.raises(ValueError, match=r"\(words, array\)"):
        Embedder(vectors=(["good"],), min_count=1).fit(texts)
    with pytest.raises(ValueError, match="different lengths"):
        Embedder(vectors={"good": [1.0], "film": [1.0, 2.0]}, min_count=1).fit(texts)
    # float32 holds the table: larger values would become inf
    with pytest.raises(ValueError, match="beyond float32's range"):
        Embedder(vectors={"good": [1e39, 0.0]}, min_count=1).fit(texts)


# ---------------------------------------------------------------- errors
def test_bad_input_is_named():
    with pytest.raises(TypeError, match="single string"):
        Embedder().fit("a text")
    with pytest.raises(TypeError, match=r"X\[1\] is float"):
        Embedder().fit(["a text", np.nan])
    with pytest.raises(ValueError, match="no texts"):
        Embedder().fit([])
    pd = pytest.importorskip("pandas")
    with pytest.raises(TypeError, match=r"pass one column, e.g. X\['review'\]"):
        Embedder().fit(pd.DataFrame({"review": ["a b", "c d"]}))
    with pytest.raises(TypeError, match="1-D sequence of texts"):
        Embedder().fit(np.array([["a b"], ["c d"]]))
    with pytest.raises(TypeError, match="tokenizer must return a list of str"):
        Embedder(tokenizer=len).fit(["a b"])
    with pytest.raises(ValueError, match="2 capturing groups"):
        Embedder(token_pattern=r"(\w)(\w)").fit(["ab cd"])
    one_group = Embedder(token_pattern=r"#(\w+)", min_count=1).fit(["#ab c #cd"])
    assert one_group.words_.tolist()[2:] == ["ab", "cd"]
    emb = Embedder(min_count=1, n_dims=2).fit(["a b"])
    with pytest.raises(KeyError, match="not in the vocabulary"):
        emb.most_similar("zzz")
    with pytest.raises(ValueError, match="one row per vocabulary token"):
        emb.most_similar("a", vectors=np.zeros((2, 2)))
    with pytest.raises(TypeError, match="TokenSequences"):
        emb.inverse_transform([[1, 2]])


# ---------------------------------------------------------------- TokenSequences
def test_token_sequences_index_like_an_array():
    X = TokenSequences([[1, 2], [3], [2, 2, 2]], np.ones((4, 2), np.float32))
    assert len(X) == 3 and X.shape == (3,)
    assert X[2].tolist() == [2, 2, 2]
    sub = X[np.array([2, 0])]
    assert isinstance(sub, TokenSequences) and sub.lengths.tolist() == [3, 2]
    assert sub.vectors is X.vectors  # the table is shared, not copied
    assert X[np.array([True, False, True])].lengths.tolist() == [2, 3]
    assert X[1:].lengths.tolist() == [1, 3]
    a, b = train_test_split(X, test_size=1, random_state=0)
    assert isinstance(a, TokenSequences) and len(a) == 2 and len(b) == 1
    with pytest.raises(ValueError, match="no tokens"):
        TokenSequences([[1], []], np.ones((4, 2)))
    with pytest.raises(ValueError, match="id 0 is padding"):
        TokenSequences([[0, 1]], np.ones((4, 2)))
    with pytest.raises(ValueError, match="2-D float array"):
        TokenSequences([[1]], np.ones(4))


# ---------------------------------------------------------------- sklearn API
def test_clone_params_and_pickle():
    texts, _ = _reviews(40)
    emb = Embedder(n_dims=8, random_state=0)
    assert clone(emb).get_params() == emb.get_params()
    emb.fit(texts)
    restored = pickle.loads(pickle.dumps(emb))
    X1, X2 = emb.transform(texts), restored.transform(texts)
    assert_array_equal(X1._ids, X2._ids)
    assert_array_equal(X1.vectors, X2.vectors)


def test_pipeline_learns_and_fine_tunes_the_table():
    texts, y = _reviews(300)
    emb = Embedder(n_dims=16, random_state=0)
    clf = LSTMClassifier(hidden_layer_sizes=16, learning_rate_init=0.01, max_iter=15)
    pipe = make_pipeline(emb, clf.set_params(random_state=0)).fit(texts, y)
    test_texts, y_test = _reviews(200, seed=1)
    assert pipe.score(test_texts, y_test) > 0.9
    fitted_emb, fitted_clf = pipe[0], pipe[-1]
    before = clone(emb).fit(texts, y).vectors_
    assert_array_equal(fitted_emb.vectors_, before)  # the embedder is untouched
    tuned = fitted_clf.embeddings_
    changed = np.abs(tuned - before).max(axis=1) > 0
    assert changed[fitted_emb.vocabulary_["good"]]
    assert not changed[0]  # padding stays zero
    frozen = make_pipeline(clone(emb).set_params(trainable=False), clone(clf)).fit(
        texts, y
    )
    assert_array_equal(frozen[-1].embeddings_, before)


def test_token_input_padding_invariance_and_persistence():
    texts, y = _reviews(120)
    pipe = make_pipeline(
        Embedder(n_dims=8, random_state=0),
        LSTMClassifier(hidden_layer_sizes=8, max_iter=2, random_state=0),
    ).fit(texts, y)
    proba = pipe.predict_proba(texts)
    alone = np.vstack([pipe.predict_proba([t]) for t in texts[:5]])
    assert_allclose(alone, proba[:5], rtol=1e-5, atol=1e-6)
    restored = pickle.loads(pickle.dumps(pipe))
    assert_array_equal(restored.predict_proba(texts), proba)


def test_token_input_kind_is_checked():
    texts, y = _reviews(60)
    emb = Embedder(n_dims=4, random_state=0).fit(texts)
    clf = LSTMClassifier(hidden_layer_sizes=4, max_iter=1, random_state=0)
    clf.fit(emb.transform(texts), y)
    with pytest.raises(ValueError, match="token sequences"):
        clf.predict(np.zeros((2, 3, 4)))
    other = Embedder(n_dims=4, min_count=1, random_state=0).fit(texts + ["zebra"])
    with pytest.raises(ValueError, match="vocabulary of"):
        clf.predict(other.transform(texts))
    dense = LSTMClassifier(hidden_layer_sizes=4, max_iter=1, random_state=0)
    dense.fit(emb.transform(texts).to_list(), y)
    with pytest.raises(ValueError, match="not token sequences"):
        dense.predict(emb.transform(texts))


def test_warm_start_keeps_the_tuned_table():
    texts, y = _reviews(80)
    X = Embedder(n_dims=4, random_state=0).fit_transform(texts)
    clf = LSTMClassifier(hidden_layer_sizes=4, max_iter=2, random_state=0)
    clf.set_params(warm_start=True).fit(X, y)
    first = clf.embeddings_.copy()
    clf.fit(X, y)
    assert clf._optimizers[1] is not None
    assert not np.array_equal(first, clf.embeddings_)
    full = LSTMClassifier(hidden_layer_sizes=4, max_iter=4, random_state=0).fit(X, y)
    assert_allclose(clf.embeddings_, full.embeddings_, rtol=1e-5, atol=1e-7)


def test_grid_search_and_cross_validation_over_texts():
    texts, y = _reviews(120)
    pipe = make_pipeline(
        Embedder(random_state=0),
        LSTMClassifier(hidden_layer_sizes=4, max_iter=2, random_state=0),
    )
    grid = GridSearchCV(
        pipe, {"embedder__n_dims": [4, 8], "embedder__trainable": [True, False]}, cv=2
    ).fit(texts, y)
    assert set(grid.cv_results_["params"][0]) == {
        "embedder__n_dims",
        "embedder__trainable",
    }
    X = Embedder(n_dims=4, random_state=0).fit_transform(texts)
    scores = cross_val_score(
        LSTMClassifier(hidden_layer_sizes=4, max_iter=1, random_state=0), X, y, cv=3
    )
    assert scores.shape == (3,)


def test_dense_output_feeds_other_estimators():
    texts, y = _reviews(60)
    X = Embedder(n_dims=4, output="array", random_state=0).fit_transform(texts)
    clf = LSTMClassifier(hidden_layer_sizes=4, max_iter=1, random_state=0)
    assert clf.fit(X, y).predict(X).shape == (60,)


def test_regressor_and_partial_fit_read_token_sequences():
    texts, y = _reviews(80)
    X = Embedder(n_dims=4, random_state=0).fit_transform(texts)
    reg = LSTMRegressor(hidden_layer_sizes=4, max_iter=2, random_state=0)
    assert reg.fit(X, y.astype(float)).predict(X).shape == (80,)
    assert reg.embeddings_.shape == X.vectors.shape
    clf = LSTMClassifier(hidden_layer_sizes=4, random_state=0)
    clf.partial_fit(X, y, classes=[0, 1])
    before = clf.embeddings_.copy()
    clf.partial_fit(X, y)
    assert not np.array_equal(before, clf.embeddings_)


def test_embedder_pickled_before_label_entries_and_ngrams_adds_none():
    texts = ["a good film", "a bad film", "good good", "bad bad"] * 3
    emb = Embedder(n_dims=4, random_state=0).fit(texts)
    state = dict(emb.__getstate__())
    for name in ("label_dims", "ngrams", "ngrams_", "n_words_"):
        del state[name]  # as saved before these existed
    loaded = Embedder.__new__(Embedder)
    loaded.__setstate__(state)
    assert loaded.get_params()["label_dims"] == 0
    assert loaded.get_params()["ngrams"] == 1
    assert loaded.ngrams_ == 1 and loaded.n_words_ == len(emb.words_)
    np.testing.assert_array_equal(
        loaded.transform(texts).ids(0), emb.transform(texts).ids(0)
    )
