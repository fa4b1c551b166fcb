"""Streaming: fitted models fed one chunk of timesteps at a time, carrying
the recurrent state (the ``*_chunk`` methods and :class:`StreamState`).

Reading a sequence in chunks of 1, 7 or all of its steps must give what
batch prediction gives on the whole sequence (per-timestep outputs), or on
everything read so far (per-sequence outputs), up to float32 rounding.
"""

import copy
import pickle
import warnings

import fake_cupy
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone

from sklstm import (
    Embedder,
    LSTMAnomalyDetector,
    LSTMClassifier,
    LSTMLanguageModel,
    LSTMRegressor,
    Normaliser,
    SpectrogramTransformer,
    StreamState,
    _kernels,
)
from sklstm._backend import gpu_available
from sklstm.datasets import make_sentiment_texts, make_text_corpus
from sklstm.pipeline import make_pipeline

T = 15  # timesteps of the test sequences
CHUNKS = (1, 7, T)
TOL = dict(rtol=1e-5, atol=1e-6)
SMALL = dict(max_iter=2, random_state=0)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _data(n=16, F=2, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, T, F))
    y = np.where(X[:, 0, 0] > 0, "up", "down")
    return X, y


def _stream(method, X, size, state=None):
    """Feed ``X`` (n, T[, F]) to ``method`` in chunks of ``size`` steps;
    returns each chunk's output, the end of each chunk and the last state."""
    outs, ends = [], []
    for start in range(0, X.shape[1], size):
        out, state = method(X[:, start : start + size], state)
        outs.append(out)
        ends.append(min(start + size, X.shape[1]))
    return outs, ends, state


def _prefix(X, t):
    """The first ``t`` steps of ``X`` as 3-D sequences: a model fitted on
    2-D input takes 2-D input of its fitted length only."""
    return X[:, :t] if X.ndim == 3 else X[:, :t, None]


def _check_per_sequence(batch, chunked, X, size):
    """Per-sequence output after every chunk == batch on the prefix."""
    outs, ends, state = _stream(chunked, X, size)
    for out, end in zip(outs, ends, strict=True):
        assert_allclose(out, batch(_prefix(X, end)), **TOL)
    assert_allclose(outs[-1], batch(X), **TOL)
    assert isinstance(state, StreamState) and state.n_steps == X.shape[1]
    return state


def _check_per_step(batch, chunked, X, size):
    """Per-timestep outputs of the chunks, end to end == batch."""
    outs, _, state = _stream(chunked, X, size)
    assert_allclose(np.concatenate(outs, axis=1), batch(X), **TOL)
    return state


# ------------------------------------------------------------- classifier
@pytest.mark.parametrize("size", CHUNKS)
@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("pooling", ["last", "mean"])
def test_classifier_chunks_equal_batch(size, cell, pooling):
    X, y = _data()
    clf = LSTMClassifier((5, 4), cell=cell, pooling=pooling, **SMALL).fit(X, y)
    state = _check_per_sequence(clf.predict_proba, clf.predict_proba_chunk, X[:4], size)
    assert len(state.layers) == 2
    assert all(len(s) == (2 if cell == "lstm" else 1) for s in state.layers)
    assert state.layers[1][0].shape == (4, 4)  # (units, n_streams)
    assert all(a.dtype == np.float32 for s in state.layers for a in s)
    assert ("pooled_sum" in state.extra) == (pooling == "mean")
    _check_per_sequence(clf.predict_log_proba, clf.predict_log_proba_chunk, X, size)
    labels, _, _ = _stream(clf.predict_chunk, X, size)
    assert_array_equal(labels[-1], clf.predict(X))


def test_classifier_chunks_of_one_equal_predict_proba_steps():
    X, y = _data()
    clf = LSTMClassifier(6, pooling="mean", **SMALL).fit(X, y)
    outs, _, _ = _stream(clf.predict_proba_chunk, X[:3], 1)
    steps = clf.predict_proba_steps(X[:3])
    assert_allclose(np.stack(outs, axis=1), np.stack(steps), **TOL)


@pytest.mark.parametrize("size", CHUNKS)
def test_per_timestep_classifier_returns_the_chunks_steps(size):
    X, _ = _data()
    y = np.where(X[:, :, 0] > 0, "a", "b")  # a label per timestep
    clf = LSTMClassifier(6, cell="gru", **SMALL).fit(X, y)
    _check_per_step(clf.predict_proba, clf.predict_proba_chunk, X, size)
    labels, _, _ = _stream(clf.predict_chunk, X, size)
    assert_array_equal(np.concatenate(labels, axis=1), clf.predict(X))


# -------------------------------------------------------------- regressor
@pytest.mark.parametrize("size", CHUNKS)
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_regressor_chunks_equal_batch(size, cell):
    X, _ = _data()
    y = np.c_[X[:, :3, 0].sum(axis=1), X[:, -1, 1]]  # two targets per sequence
    reg = LSTMRegressor(5, cell=cell, **SMALL).fit(X, y)
    _check_per_sequence(reg.predict, reg.predict_chunk, X, size)
    seq = LSTMRegressor(5, cell=cell, **SMALL).fit(X, X[:, :, :1] * 2)
    _check_per_step(seq.predict, seq.predict_chunk, X, size)


@pytest.mark.parametrize("size", CHUNKS)
def test_2d_univariate_chunks(size):
    X, _ = _data(F=1)
    X2 = X[:, :, 0]  # (n, T): univariate, as everywhere in sklstm
    reg = LSTMRegressor(5, pooling="mean", **SMALL).fit(X2, X2[:, -1])
    _check_per_sequence(reg.predict, reg.predict_chunk, X2, size)
    # 2-D and 3-D chunks are the same streams
    a, _ = reg.predict_chunk(X2[:, :4])
    b, _ = reg.predict_chunk(X2[:, :4, None])
    assert_array_equal(a, b)
    seq = LSTMRegressor(5, **SMALL).fit(X2, [x * 2 for x in X2])
    outs, _, _ = _stream(seq.predict_chunk, X2, size)
    assert outs[0].shape == (len(X2), min(size, T))
    assert_allclose(np.concatenate(outs, axis=1), seq.predict(X2), **TOL)


def _read_word_by_word(pipe, text):
    """Stream ``text`` through ``pipe`` one and four words at a time, each
    prediction checked against the text read so far; the last state."""
    words = text.split()
    for size in (1, 4):
        state = None
        for start in range(0, len(words), size):
            chunk = [" ".join(words[start : start + size])]
            p, state = pipe.predict_proba_chunk(chunk, state)
            read = [" ".join(words[: start + size])]
            assert_allclose(p, pipe.predict_proba(read), **TOL)
    return state


@pytest.mark.parametrize("ngrams", [1, 2])
def test_a_text_classifier_reads_a_text_word_by_word(ngrams):
    """With bigrams, a stream's last word makes a bigram with the next
    chunk's first, where the whole text has it."""
    texts, labels = make_sentiment_texts(80, random_state=0)
    embedder = Embedder(ngrams=ngrams, random_state=0)
    pipe = make_pipeline(embedder, LSTMClassifier(6, **SMALL)).fit(texts, labels)
    text = "the acting is superb but the plot is a mess"
    n_tokens = len(pipe[0].transform([text])[0])
    assert n_tokens == 10 if ngrams == 1 else n_tokens > 10
    state = _read_word_by_word(pipe, text)
    assert "pooled_sum" in state.extra  # pooling='auto': the mean, for texts
    assert "bag_sum" in state.extra  # bag="auto": the bag of n-grams, for texts
    if ngrams == 1:
        assert "embedder:last_word" not in state.extra
        return
    assert state.extra["embedder:last_word"].tolist() == ["mess"]
    # the state pickles with its words, and resumes the stream
    first, state = pipe.predict_proba_chunk(["the acting is"])
    state = pickle.loads(pickle.dumps(state))
    p, _ = pipe.predict_proba_chunk(["superb"], state)
    assert_allclose(p, pipe.predict_proba(["the acting is superb"]), **TOL)
    # a state without the stream's words, or for other streams, is refused
    bare = copy.copy(state)
    bare.extra = {k: v for k, v in state.extra.items() if k != "embedder:last_word"}
    with pytest.raises(ValueError, match="lacks 'embedder:last_word'"):
        pipe.predict_proba_chunk(["superb"], bare)
    with pytest.raises(ValueError, match="covers 1 stream"):
        pipe.predict_proba_chunk(["superb", "dull"], state)
    # n-grams of three words would straddle two chunks out of order
    pipe.set_params(embedder__ngrams=3).fit(texts, labels)
    with pytest.raises(ValueError, match="ngrams_=3"):
        pipe.predict_proba_chunk(["the acting"])


def test_streams_are_independent():
    """One state covers several streams, each read as if alone."""
    X, y = _data()
    clf = LSTMClassifier(6, pooling="mean", **SMALL).fit(X, y)
    together, _, _ = _stream(clf.predict_proba_chunk, X[:5], 4)
    alone, _, _ = _stream(clf.predict_proba_chunk, X[2:3], 4)
    assert_allclose(together[-1][2:3], alone[-1], **TOL)
    # a list of equal-length sequences is a chunk too
    p, _ = clf.predict_proba_chunk(list(X[:5, :4]))
    q, _ = clf.predict_proba_chunk(X[:5, :4])
    assert_array_equal(p, q)


def test_a_pickled_state_resumes_the_streams():
    X, y = _data()
    clf = LSTMClassifier(6, pooling="mean", **SMALL).fit(X, y)
    _, state = clf.predict_proba_chunk(X[:, :6])
    state = pickle.loads(pickle.dumps(state))
    model = pickle.loads(pickle.dumps(clf))  # the model saved and loaded too
    p, state = model.predict_proba_chunk(X[:, 6:], state)
    assert_allclose(p, clf.predict_proba(X), **TOL)
    assert state.n_steps == T and "n_streams=16" in repr(state)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_a_call_leaves_its_input_state_as_it_was(cell):
    X, y = _data()
    clf = LSTMClassifier(6, cell=cell, pooling="mean", **SMALL).fit(X, y)
    _, state = clf.predict_proba_chunk(X[:, :6])
    p1, _ = clf.predict_proba_chunk(X[:, 6:], state)
    p2, _ = clf.predict_proba_chunk(X[:, 6:], state)
    assert_array_equal(p1, p2)


# ----------------------------------------------------------------- errors
def test_a_bidirectional_model_cannot_stream():
    X, y = _data()
    clf = LSTMClassifier(4, bidirectional=True, **SMALL).fit(X, y)
    with pytest.raises(ValueError, match="unidirectional model"):
        clf.predict_proba_chunk(X[:, :3])


def test_chunk_and_state_errors():
    X, y = _data()
    clf = LSTMClassifier(4, **SMALL).fit(X, y)
    with pytest.raises(ValueError, match="3 feature.*fitted with 2"):
        clf.predict_chunk(np.zeros((2, 4, 3)))
    with pytest.raises(ValueError, match="univariate streams.*fitted with 2"):
        clf.predict_chunk(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="advance together"):
        clf.predict_chunk([np.zeros((3, 2)), np.zeros((4, 2))])
    _, state = clf.predict_chunk(X[:3, :4])
    with pytest.raises(ValueError, match="covers 3 stream.*holds 2"):
        clf.predict_chunk(X[:2, 4:], state)
    other = clone(clf).set_params(random_state=1).fit(X, y)
    with pytest.raises(ValueError, match="another model"):
        other.predict_chunk(X[:3, 4:], state)
    reg = LSTMRegressor(4, **SMALL).fit(X, X[:, 0, 0])
    with pytest.raises(ValueError, match="another model"):
        reg.predict_chunk(X[:3, 4:], state)
    with pytest.raises(TypeError, match="StreamState"):
        clf.predict_chunk(X[:3, 4:], state.layers)
    with pytest.raises(ValueError, match="NaN|infinity"):
        clf.predict_chunk(np.full((1, 2, 2), np.nan))
    with pytest.raises(ValueError, match="2-D"):
        clf.predict_chunk(np.zeros(4))


# --------------------------------------------------------------- detector
@pytest.mark.parametrize("size", CHUNKS)
@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("anomaly_score", ["state_distance", "forecast_error"])
def test_detector_chunks_equal_batch(size, cell, anomaly_score):
    X, _ = _data(n=20, F=1)
    X2 = X[:, :, 0]
    det = LSTMAnomalyDetector(
        horizon=3, hidden_layer_sizes=5, cell=cell, anomaly_score=anomaly_score
    ).set_params(**SMALL)
    det.fit(X2)
    # training sequences (a neighbour at zero is themselves) and new ones
    Q = np.r_[X2[:2], _data(n=3, F=1, seed=1)[0][:, :, 0]]
    forecasts, _, _ = _stream(det.forecast_chunk, Q, size)
    forecasts = np.concatenate(forecasts, axis=1)
    assert forecasts.shape == (5, T, 3)  # from every step, the last ones too
    assert_allclose(forecasts[:, : T - 3], det.forecast(Q), **TOL)
    scores, ends, _ = _stream(det.score_samples_chunk, Q, size)
    for score, end in zip(scores, ends, strict=True):
        if anomaly_score == "forecast_error" and end <= 3:
            assert np.all(np.isnan(score))  # no forecast checked yet
        else:
            assert_allclose(score, det.score_samples(_prefix(Q, end)), **TOL)
    decisions, _, _ = _stream(det.decision_function_chunk, Q, size)
    assert_allclose(decisions[-1], det.decision_function(Q), **TOL)
    labels, _, _ = _stream(det.predict_chunk, Q, size)
    assert_array_equal(labels[-1], det.predict(Q))


def test_detector_streams_longer_than_its_training_sequences():
    """Compared over the steps a training sequence has, as score_samples
    compares sequences of different lengths."""
    X, _ = _data(n=12, F=2)
    det = LSTMAnomalyDetector(horizon=2, hidden_layer_sizes=4, **SMALL).fit(X)
    Q = np.random.RandomState(3).normal(size=(2, T + 6, 2))
    scores, ends, state = _stream(det.score_samples_chunk, Q, 5)
    assert ends[-3:] == [T, T + 5, T + 6]
    assert_allclose(scores[-1], det.score_samples(Q), **TOL)
    assert_allclose(scores[-1], scores[-3], **TOL)  # past T: no change
    forecasts, _ = det.forecast_chunk(Q[:, :4])
    assert forecasts.shape == (2, 4, 2, 2)  # (streams, steps, horizon, features)
    assert state.extra["squared_distances"].shape == (2, 2, 12)


# --------------------------------------------------------- language model
@pytest.fixture(scope="module")
def language_model():
    corpus = make_text_corpus(1500, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make_pipeline(
            Embedder(random_state=0),
            LSTMLanguageModel(8, cell="gru", bptt=10, batch_size=8, **SMALL),
        ).fit([corpus])


def test_language_model_chunks_equal_the_whole_context(language_model):
    emb, lm = language_model[0], language_model[-1]
    text = "the cat sat on the mat and the dog".split()
    for size in (1, 4, len(text)):
        state = None
        for start in range(0, len(text), size):
            words = [" ".join(text[start : start + size])]
            p, state = lm.predict_proba_chunk(emb.transform(words), state)
            whole = emb.transform([" ".join(text[: start + size])])
            assert_allclose(p, lm.predict_proba(whole), **TOL)
    assert state.n_steps == len(text)
    assert len(state.layers[0]) == 1  # the GRU's (h,)
    # several streams at once; the words, and through the pipeline
    contexts = ["the cat", "a dog"]
    words, state = lm.predict_chunk(emb.transform(contexts))
    assert_array_equal(words, lm.predict(emb.transform(contexts)))
    logp, _ = language_model.predict_log_proba_chunk(["sat on"], None)
    assert logp.shape == (1, len(lm.classes_))
    p, state = language_model.predict_proba_chunk(["sat", "ran"], state)
    assert_allclose(
        p, language_model.predict_proba(["the cat sat", "a dog ran"]), **TOL
    )


def test_language_model_state_errors(language_model):
    emb, lm = language_model[0], language_model[-1]
    with pytest.raises(ValueError, match="advance together"):
        lm.predict_proba_chunk(emb.transform(["the cat", "a"]))
    with pytest.raises(TypeError, match="token sequences"):
        lm.predict_proba_chunk(np.zeros((1, 2, 8)))


# ---------------------------------------------------------------- pipeline
@pytest.mark.parametrize("size", CHUNKS)
def test_through_a_pipeline_with_a_normaliser(size):
    X, y = _data()
    X = 50 + 10 * X  # far from unit scale
    pipe = make_pipeline(Normaliser(), LSTMClassifier(6, **SMALL)).fit(X, y)
    _check_per_sequence(pipe.predict_proba, pipe.predict_proba_chunk, X, size)
    # 2-D windows: the Normaliser, fitted on windows of T steps, gets the
    # chunks as (n_streams, chunk_len, 1)
    X2 = X[:, :, 0]
    reg = make_pipeline(Normaliser(), LSTMRegressor(5, **SMALL))
    reg.fit(X2, [x / 50 for x in X2])
    outs, _, _ = _stream(reg.predict_chunk, X2, size)
    assert outs[0].shape == (len(X2), min(size, T))
    assert_allclose(np.concatenate(outs, axis=1), reg.predict(X2), **TOL)
    det = make_pipeline(Normaliser(), LSTMAnomalyDetector(2, hidden_layer_sizes=4))
    det.set_params(lstmanomalydetector__max_iter=2).fit(X2)
    forecasts, _, _ = _stream(det.forecast_chunk, X2[:3], size)
    assert_allclose(np.concatenate(forecasts, axis=1)[:, : T - 2], det.forecast(X2[:3]))
    scores, _, _ = _stream(det.score_samples_chunk, X2[:3], size)
    assert_allclose(scores[-1], det.score_samples(X2[:3]), **TOL)


def test_a_pipeline_refuses_steps_that_cannot_stream():
    X, y = _data()
    pipe = make_pipeline(Normaliser(per_sequence=True), LSTMClassifier(4, **SMALL))
    pipe.fit(X, y)
    with pytest.raises(ValueError, match=r"cannot stream.*per_sequence=True"):
        pipe.predict_proba_chunk(X[:, :3])
    spec = make_pipeline(SpectrogramTransformer(), LSTMClassifier(4, **SMALL))
    with pytest.raises(ValueError, match="SpectrogramTransformer"):
        spec.predict_chunk([np.zeros(400)])
    text = make_pipeline(Embedder(output="array"), LSTMClassifier(4))
    with pytest.raises(ValueError, match="output='array'"):
        text.predict_chunk(["the cat"])
    # the final step's own methods only
    assert not hasattr(pipe, "forecast_chunk")
    # a chunk a step cannot transform: the step is named
    ok = make_pipeline(Normaliser(), LSTMClassifier(4, **SMALL)).fit(X, y)
    with pytest.raises(ValueError, match="step 'normaliser'"):
        ok.predict_chunk(np.zeros((2, 3, 5)))


# ------------------------------------------------------------------ device
@pytest.fixture
def device(monkeypatch):
    """The CuPy stand-in as ``cupy``; the CPU fits compared with it run the
    plain ``xp`` step too (numba's kernels round differently)."""
    monkeypatch.setattr(_kernels, "_import_cpu_kernels", lambda: None)
    return fake_cupy.install(monkeypatch)


def test_streaming_on_the_device_equals_the_cpu(device, language_model):
    X, y = _data()
    cases = [
        (LSTMClassifier(5, pooling="mean", **SMALL), y, "predict_proba_chunk"),
        (LSTMRegressor(5, cell="gru", **SMALL), X[:, :, :1], "predict_chunk"),
        (LSTMAnomalyDetector(3, hidden_layer_sizes=4, **SMALL), None, "forecast_chunk"),
        (
            LSTMAnomalyDetector(3, hidden_layer_sizes=4, **SMALL),
            None,
            "score_samples_chunk",
        ),
    ]
    for est, target, method in cases:
        cpu = clone(est).fit(X, target)
        gpu = clone(est).set_params(device="cuda").fit(X, target)
        want, _, _ = _stream(getattr(cpu, method), X[:4], 7)
        # device arrays in, NumPy out; the state pickles (the stand-in
        # refuses to pickle a device array)
        chunks = device.asarray(X[:4])
        got, _, state = _stream(getattr(gpu, method), chunks, 7)
        for w, g in zip(want, got, strict=True):
            assert type(g) is np.ndarray
            assert_array_equal(g, w)
        state = pickle.loads(pickle.dumps(state))
        assert all(type(a) is np.ndarray for s in state.layers for a in s)
        # a state from the device model continues on the CPU copy of it
        again, _ = getattr(cpu, method)(X[:4, :3], state)
        more, _ = getattr(gpu, method)(X[:4, :3], state)
        assert_array_equal(again, more)
    emb = language_model[0]
    lm = clone(language_model[-1]).set_params(device="cuda")
    lm.fit(emb.transform([make_text_corpus(1500, random_state=0)]))
    cpu = clone(lm).set_params(device="cpu")
    cpu.fit(emb.transform([make_text_corpus(1500, random_state=0)]))
    p, state = lm.predict_proba_chunk(emb.transform(["the cat", "a dog"]))
    q, _ = cpu.predict_proba_chunk(emb.transform(["the cat", "a dog"]))
    assert_array_equal(p, q)
    p, state = lm.predict_proba_chunk(emb.transform(["sat", "ran"]), state)
    pickle.dumps(state)
    assert_allclose(p, lm.predict_proba(emb.transform(["the cat sat", "a dog ran"])))


@pytest.mark.gpu
@pytest.mark.skipif(not gpu_available(), reason="needs CuPy and a CUDA GPU")
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_streaming_on_a_real_gpu(cell):
    """The fused kernels, started from a carried state, on a real GPU."""
    X, y = _data()
    clf = LSTMClassifier((6, 5), cell=cell, pooling="mean", device="cuda", **SMALL)
    clf.fit(X, y)
    for size in CHUNKS:
        _check_per_sequence(clf.predict_proba, clf.predict_proba_chunk, X, size)
    det = LSTMAnomalyDetector(3, hidden_layer_sizes=5, cell=cell, device="cuda")
    det.set_params(**SMALL).fit(X)
    scores, _, state = _stream(det.score_samples_chunk, X[:4], 7)
    assert_allclose(scores[-1], det.score_samples(X[:4]), **TOL)
    pickle.dumps(state)
