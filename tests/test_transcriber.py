"""LSTMTranscriber: CTC training, decoding and the scikit-learn contract."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from sklstm import LSTMTranscriber, Normaliser, SpectrogramTransformer, _transcriber
from sklstm.datasets import make_spoken_words

FAST = dict(hidden_layer_sizes=16, learning_rate_init=0.01, random_state=0)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def spelled_words(n, random_state, alphabet="abc"):
    """Noisy one-hot frames: each letter held 2-3 frames, then 1-2 silent
    frames; the target is the word (repeated letters included)."""
    rng = np.random.RandomState(random_state)
    eye = np.eye(len(alphabet) + 1)
    X, y = [], []
    for _ in range(n):
        word = "".join(rng.choice(list(alphabet), rng.randint(1, 5)))
        frames = []
        for ch in word:
            frames += [eye[1 + alphabet.index(ch)]] * rng.randint(2, 4)
            frames += [eye[0]] * rng.randint(1, 3)
        X.append(np.array(frames) + 0.1 * rng.randn(len(frames), len(eye)))
        y.append(word)
    return X, y


@pytest.fixture(scope="module")
def fitted():
    X, y = spelled_words(300, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LSTMTranscriber(**FAST, max_iter=60).fit(X[:200], y[:200])
    return model, X[200:], y[200:]


def test_learns_a_small_synthetic_task_perfectly(fitted):
    model, X, y = fitted
    assert model.predict(X).tolist() == y
    assert model.score(X, y) == 1.0
    assert model.classes_.tolist() == ["a", "b", "c"] and model.n_outputs_ == 4
    assert model.loss_curve_[-1] < 0.05 * model.loss_curve_[0]


def test_beam_search_decoder_agrees_on_a_confident_model(fitted):
    model, X, y = fitted
    beam = pickle.loads(pickle.dumps(model)).set_params(decoder="beam", beam_width=5)
    assert beam.predict(X[:20]).tolist() == y[:20]


def test_ragged_batch_equals_one_at_a_time(fitted):
    model, X, _ = fitted
    together = model.predict_log_proba_frames(X[:12])
    alone = [model.predict_log_proba_frames([x])[0] for x in X[:12]]
    assert len({len(x) for x in X[:12]}) > 3  # really ragged
    for a, b, x in zip(together, alone, X[:12], strict=True):
        assert a.shape == (len(x), 4)
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(np.exp(a).sum(axis=1), 1.0, rtol=1e-6)
    assert model.predict(X[:12]).tolist() == [model.predict([x])[0] for x in X[:12]]


@pytest.mark.parametrize("decoder", ["greedy", "beam", "lexicon"])
def test_decoding_in_length_sorted_chunks(fitted, monkeypatch, decoder):
    """Predictions are decoded a chunk of similar lengths at a time, so one
    long recording pads only its own chunk, and the order is kept."""
    model, X, _ = fitted
    model = pickle.loads(pickle.dumps(model)).set_params(decoder=decoder)
    X = X[:13] + [np.concatenate(X[13:23])]  # one clip ten times as long
    whole = model.predict(X)
    frames = model.predict_log_proba_frames(X)
    chunks = []
    original = _transcriber.log_softmax

    def recording(Z, *, xp):
        chunks.append(Z.shape[1:])  # (sequences, frames)
        return original(Z, xp=xp)

    monkeypatch.setattr(_transcriber, "PREDICT_BATCH", 4)
    monkeypatch.setattr(_transcriber, "log_softmax", recording)
    assert model.predict(X).tolist() == whole.tolist()
    for a, b in zip(model.predict_log_proba_frames(X), frames, strict=True):
        np.testing.assert_array_equal(a, b)
    longest = len(X[-1])
    assert [m for m, _ in chunks[:4]] == [4, 4, 4, 2]
    assert [T for _, T in chunks[:4]].count(longest) == 1
    assert max(T for _, T in chunks[:3]) < longest // 5


def test_label_sequences_in_label_sequences_out():
    X, words = spelled_words(200, 1)
    names = {"a": "ay", "b": "bee", "c": "sea"}
    y = [[names[ch] for ch in w] for w in words]  # labels are whole strings
    model = LSTMTranscriber(**FAST, max_iter=60).fit(X[:150], y[:150])
    pred = model.predict(X[150:])
    assert isinstance(pred, list) and pred[0].dtype == model.classes_.dtype
    assert model.classes_.tolist() == ["ay", "bee", "sea"]
    assert [p.tolist() for p in pred] == y[150:]


def test_pipeline_grid_search_and_pickle_on_audio(tmp_path):
    X, y = make_spoken_words(120, words=2, random_state=0)
    pipe = make_pipeline(
        SpectrogramTransformer(sampling_rate=8000),
        Normaliser(),
        LSTMTranscriber(hidden_layer_sizes=8, max_iter=3, random_state=0),
    )
    search = GridSearchCV(
        pipe, {"lstmtranscriber__hidden_layer_sizes": [4, 8]}, cv=2
    ).fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores)) and np.all(scores <= 1.0)
    best = search.best_estimator_
    pred = best.predict(X[:5])
    assert pred.dtype.kind == "U" and pred.shape == (5,)
    again = pickle.loads(pickle.dumps(best))
    assert again.predict(X[:5]).tolist() == pred.tolist()


def test_repeatable_with_random_state():
    X, y = spelled_words(60, 2)
    a = LSTMTranscriber(**FAST, max_iter=3).fit(X, y)
    b = LSTMTranscriber(**FAST, max_iter=3).fit(X, y)
    np.testing.assert_array_equal(a.loss_curve_, b.loss_curve_)


def test_early_stopping_reports_one_minus_cer():
    X, y = spelled_words(150, 3)
    model = LSTMTranscriber(**FAST, max_iter=30, early_stopping=True).fit(X, y)
    assert len(model.validation_scores_) == model.n_iter_
    assert max(model.validation_scores_) == model.best_validation_score_ > 0.9


def test_too_short_sequence_is_a_clear_error():
    X = [np.zeros((5, 3)), np.zeros((2, 3))]
    with pytest.raises(ValueError, match=r"y\[1\] = 'ee' needs at least 3 timesteps"):
        LSTMTranscriber(**FAST, max_iter=1, frame_repeat=1).fit(X, ["ab", "ee"])
    with pytest.raises(ValueError, match="smaller SpectrogramTransformer stack"):
        LSTMTranscriber(**FAST, max_iter=1, frame_repeat=1).fit(X, ["ab", "ee"])
    # a later partial_fit keeps the resolved repeat, and says so
    model = LSTMTranscriber(**FAST, max_iter=1).fit(X[:1], ["ab"])
    assert model.frame_repeat_ == 1
    with pytest.raises(ValueError, match="needs at least 3 timesteps"):
        model.partial_fit(X[1:], ["aa"])


def test_frame_repeat_auto_gives_short_sequences_their_frames():
    X, y = spelled_words(80, 2)  # sequences long enough: no repeat
    assert LSTMTranscriber(**FAST, max_iter=1).fit(X, y).frame_repeat_ == 1
    X = [np.zeros((5, 3)), np.zeros((2, 3))]
    model = LSTMTranscriber(**FAST, max_iter=1).fit(X, ["ab", "ee"])
    assert model.frame_repeat_ == 2  # 'ee' needs 3 frames from 2 steps
    assert len(model.predict(X)) == 2
    # each step read twice: the same model as on the steps repeated by hand
    twice = [np.repeat(x, 2, axis=0) for x in X]
    plain = LSTMTranscriber(**FAST, max_iter=1, frame_repeat=1).fit(twice, ["ab", "ee"])
    np.testing.assert_allclose(model.loss_curve_, plain.loss_curve_, rtol=1e-6)
    for a, b in zip(
        model.predict_log_proba_frames(X),
        plain.predict_log_proba_frames(twice),
        strict=True,
    ):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "y, error, match",
    [
        ("abc", TypeError, "not a single string"),
        (["ab", 3], TypeError, r"y\[1\] is 3"),
        (["", ""], ValueError, "all empty"),
        (["ab"], ValueError, "inconsistent numbers of samples"),
        (["ab", [1, 2]], TypeError, "mix types"),
        (None, ValueError, "requires y"),
    ],
)
def test_bad_targets(y, error, match):
    X = [np.zeros((5, 3)), np.zeros((4, 3))]
    with pytest.raises(error, match=match):
        LSTMTranscriber(**FAST, max_iter=1).fit(X, y)


def test_unknown_symbol_on_warm_start_and_score_weights(fitted):
    model, X, y = fitted
    again = pickle.loads(pickle.dumps(model)).set_params(warm_start=True, max_iter=1)
    with pytest.raises(ValueError, match="'d', a symbol not seen"):
        again.fit([X[0], X[1]], ["ab", "d"])
    with pytest.raises(ValueError, match="sample_weight"):
        model.score(X, y, sample_weight=np.ones(len(X)))


def test_bad_parameters_and_unfitted():
    X = [np.zeros((5, 3))]
    with pytest.raises(ValueError, match="decoder"):
        LSTMTranscriber(decoder="viterbi").fit(X, ["a"])
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        LSTMTranscriber().predict(X)


def test_lexicon_decoder_chooses_among_the_allowed_transcripts(fitted):
    model, X, y = fitted
    lex = pickle.loads(pickle.dumps(model)).set_params(decoder="lexicon")
    pred = lex.predict(X).tolist()
    assert len(lex.lexicon_) == len(set(lex.lexicon_)) and set(pred) <= set(
        lex.lexicon_
    )
    known = [i for i, word in enumerate(y) if word in lex.lexicon_]
    assert len(known) > len(y) // 2 and all(pred[i] == y[i] for i in known)
    lex.set_params(lexicon=["ab", "ca"])
    assert set(lex.predict(X).tolist()) <= {"ab", "ca"}
    with pytest.raises(ValueError, match="lexicon entry 'xyz' holds 'x'"):
        lex.set_params(lexicon=["ab", "xyz"]).predict(X[:2])


def test_empty_transcripts_train_and_decode():
    """A silent clip's transcript is empty: CTC allows it (all blanks), the
    lexicon keeps it, and a validation set of only such clips still scores."""
    X, y = spelled_words(40, random_state=1)
    X += [np.full((6, 4), [1.0, 0, 0, 0])] * 10  # silence only
    y += [""] * 10
    model = LSTMTranscriber(**FAST, max_iter=40, decoder="lexicon").fit(X, y)
    assert "" in model.lexicon_
    assert model.predict(X[-3:]).tolist() == ["", "", ""]
    model = LSTMTranscriber(
        **FAST,
        max_iter=2,
        early_stopping=True,
        validation_split="last",
        validation_fraction=0.2,
    ).fit(X, y)  # the last 10 clips, all silent, are the validation set
    assert len(model.validation_scores_) == 2


def test_a_bad_lexicon_fails_before_training():
    X, y = spelled_words(10, random_state=0)
    model = LSTMTranscriber(**FAST, max_iter=50, lexicon=["ab", "xyz"])
    with pytest.raises(ValueError, match="lexicon entry 'xyz' holds 'x'"):
        model.fit(X, y)
    assert not hasattr(model, "n_iter_")  # it stopped before the first epoch


def test_partial_fit_learns_epoch_by_epoch_with_declared_symbols():
    X, y = spelled_words(200, 4)
    model = LSTMTranscriber(**FAST)
    model.partial_fit(X[:20], y[:20], classes=list("abc"))  # first batch
    assert model.classes_.tolist() == ["a", "b", "c"] and model.n_iter_ == 1
    for _ in range(40):
        model.partial_fit(X[:150], y[:150])
    assert model.n_iter_ == 41 and model.score(X[150:], y[150:]) > 0.9
    assert set(y[:150]) <= set(model.lexicon_)
    undeclared = LSTMTranscriber(**FAST).partial_fit([X[0]], ["a"])
    with pytest.raises(ValueError, match="pass every symbol as classes="):
        undeclared.partial_fit([X[1]], ["b"])


@pytest.mark.parametrize(
    "check",
    [
        "check_no_attributes_set_in_init",
        "check_parameters_default_constructible",
        "check_get_params_invariance",
        "check_set_params",
    ],
)
def test_sklearn_parameter_checks(check):
    # the fitting checks of parametrize_with_checks pass numeric class
    # labels as y, which are not transcripts; these checks fit nothing
    from sklearn.utils import estimator_checks

    getattr(estimator_checks, check)("LSTMTranscriber", LSTMTranscriber())


def test_predict_checks_the_feature_count(fitted):
    model, X, _ = fitted
    with pytest.raises(ValueError, match="features"):
        model.predict([x[:, :2] for x in X[:3]])


def test_decoder_auto_is_the_lexicon_for_a_closed_vocabulary(fitted):
    model, X, y = fitted  # ~100 distinct words in 200 transcripts: open
    assert model.decoder == "auto" and model.decoder_ == "greedy"
    X, y = spelled_words(300, 1)
    keep = [i for i, w in enumerate(y) if len(w) <= 2]  # 12 words, ~140 clips
    Xc, yc = [X[i] for i in keep], [y[i] for i in keep]
    closed = LSTMTranscriber(**FAST, max_iter=5).fit(Xc, yc)
    assert closed.decoder_ == "lexicon"
    assert set(closed.predict(Xc)) <= set(yc)  # only words of the training set
    lexicon = closed.predict(Xc)
    greedy = pickle.loads(pickle.dumps(closed)).set_params(decoder="greedy")
    assert greedy.decoder_ == "lexicon"  # an explicit decoder wins at predict
    np.testing.assert_array_equal(
        greedy.predict(Xc),
        LSTMTranscriber(**FAST, max_iter=5, decoder="greedy").fit(Xc, yc).predict(Xc),
    )
    assert lexicon.tolist() != [] and len(lexicon) == len(Xc)
    # a given lexicon makes 'auto' the lexicon decoder, whatever the data
    given = LSTMTranscriber(**FAST, max_iter=1, lexicon=["ab", "c"]).fit(X, y)
    assert given.decoder_ == "lexicon"
    assert set(given.predict(X[:20])) <= {"ab", "c"}
