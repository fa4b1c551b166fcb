"""Property-based tests: random inputs through every public estimator and
transformer.

Hypothesis draws ragged and dense sequences (lengths, feature counts, dtypes,
magnitudes from 1e-30 to 1e30), unicode texts (empty, out of vocabulary) and
waveforms, and passes them through ``fit``/``predict``/``transform`` with tiny
settings.  Whatever the input, the contract is:

* every outcome is a correct result, or a ``ValueError``/``TypeError`` whose
  message names the problem (not a bare NumPy or Python message);
* finite input never gives a non-finite output;
* a sequence (text, clip) gives the same output alone as in a batch.

The default profile is deterministic (``derandomize=True``) and bounded to
about 500 cases (some 25 s on one thread while every property holds; a
failure adds its shrinking).  A longer, randomised search
runs with ``SKLSTM_HYPOTHESIS_PROFILE=thorough`` (ten times the examples, a
new seed each run; a failure prints its ``@reproduce_failure`` blob).
"""

import os
import re
import warnings
from contextlib import contextmanager

import numpy as np
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.special import logsumexp
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline

from sklstm import (
    Embedder,
    LSTMAnomalyDetector,
    LSTMClassifier,
    LSTMLanguageModel,
    LSTMRegressor,
    LSTMTranscriber,
    Normaliser,
    SpeakerAdaptedClassifier,
    SpectrogramTransformer,
    TokenSequences,
    WindowScaledRegressor,
)

# ----------------------------------------------------------------- profiles
_HEALTH = [
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
    HealthCheck.filter_too_much,
    HealthCheck.large_base_example,
]
# no 'explain' phase: tracing the lines run by failing examples costs more
# than the shrinking itself, and the falsifying example is report enough
_PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink]
settings.register_profile(
    "sklstm-ci",
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=_HEALTH,
    phases=_PHASES,
)
settings.register_profile(
    "sklstm-thorough",
    deadline=None,
    derandomize=False,
    database=None,
    print_blob=True,
    suppress_health_check=_HEALTH,
    phases=_PHASES,
)
_PROFILE = os.environ.get("SKLSTM_HYPOTHESIS_PROFILE", "ci")
if _PROFILE not in ("ci", "thorough"):
    raise ValueError(
        f"SKLSTM_HYPOTHESIS_PROFILE={_PROFILE!r}; use 'ci' (default) or 'thorough'."
    )
_FACTOR = 10 if _PROFILE == "thorough" else 1


def examples(n):
    """Settings of the active profile with ``n`` examples (times 10 when
    thorough)."""
    return settings(
        settings.get_profile(f"sklstm-{_PROFILE}"), max_examples=n * _FACTOR
    )


@contextmanager
def expected_warnings():
    """Silence the warnings tiny random fits are expected to give."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.filterwarnings("ignore", message="X is far from unit scale")
        warnings.filterwarnings("ignore", message="Got batch_size=")
        yield


# ------------------------------------------------------------------ errors
# Messages that state a low-level failure instead of the input's problem, or
# that are false of the inputs drawn here (always finite, and within float32's
# range: |x| <= 1e31).
_UNCLEAR = re.compile(
    "|".join(
        [
            r"operands could not be broadcast",
            r"out of bounds",
            r"setting an array element with a sequence",
            r"inhomogeneous",
            r"could not convert",
            r"unsupported operand",
            r"not subscriptable",
            r"has no attribute",
            r"object of type",
            r"zero-size array",
            r"positional argument",
            r"must be real number",
            r"invalid literal",
            r"only integer scalar",
            r"cannot reshape",
            r"too many indices",
            r"unhashable",
            r"not supported between instances",
            r"need at least one array",
            r"empty sequence",
            r"math domain error",
            r"contains (NaN|inf)",
            r"holds values beyond float32",
        ]
    ),
    re.IGNORECASE,
)
# A clear message refers to the input or to what the input is for.
_NAMES_INPUT = re.compile(
    r"\b(X|y)\b|sequence|sample|timestep|feature|text|token|waveform|clip|class"
    r"|label|transcript|symbol|value|vocabulary|frame|stream|horizon|window"
    r"|speaker|group|loss|weight",
    re.IGNORECASE,
)


# Training of 1-2 epochs at learning_rate_init=1e-3 on well-scaled targets
# cannot grow the loss a hundredfold: a divergence error there is a false alarm.
DIVERGED = re.compile(r"diverged|NaN or infinite", re.IGNORECASE)


def assert_names_problem(exc, where, false_claims=None):
    """``exc`` is a ValueError/TypeError whose message names the problem
    (and does not match ``false_claims``, a regex of claims known to be
    false of this input)."""
    assert isinstance(exc, (ValueError, TypeError)), f"{where}: {exc!r}"
    message = str(exc).strip()
    assert message, f"{where}: {type(exc).__name__} with an empty message"
    if false_claims is not None:
        assert not false_claims.search(message), (
            f"{where}: the error is false of this input: {exc!r}"
        )
    assert not _UNCLEAR.search(message), (
        f"{where}: the error does not name the input's problem: {exc!r}"
    )
    assert _NAMES_INPUT.search(message), (
        f"{where}: the error does not mention the input: {exc!r}"
    )


def fitted_or_clear_error(fit, where, false_claims=None):
    """``fit()``, or None after checking that the error it raised is clear."""
    try:
        with expected_warnings():
            fitted = fit()
    except (ValueError, TypeError) as exc:
        assert_names_problem(exc, where, false_claims)
        # the kind of error, for --hypothesis-show-statistics
        event(f"{where}: {type(exc).__name__}: {re.sub(r'[0-9]+', '#', str(exc))[:60]}")
        return None
    event(f"{where}: fitted")
    return fitted


# ------------------------------------------------------------------ helpers
def assert_finite(out, what):
    if isinstance(out, TokenSequences):
        out = out.vectors
    parts = out if isinstance(out, list) else [out]
    for k, part in enumerate(parts):
        part = np.asarray(part, dtype=np.float64)
        bad = ~np.isfinite(part)
        assert not bad.any(), (
            f"{what}: {int(bad.sum())} non-finite value(s) for finite input "
            f"(part {k}, shape {part.shape}, e.g. {part[bad][:3]})"
        )


def single(X, i):
    """Sequence ``i`` of ``X`` as a batch of one, in the form of ``X`` (a
    list, an array or TokenSequences)."""
    return X[i : i + 1]


def lengths_of(X):
    return [len(x) for x in X]


def assert_alone_as_batched(method, X, batched, what, *, rtol=1e-4, atol=1e-5):
    """``method`` of each sequence alone equals its row of ``batched``."""
    for i in range(len(X)):
        with expected_warnings():
            alone = method(single(X, i))
        np.testing.assert_allclose(
            np.asarray(alone[0], dtype=np.float64),
            np.asarray(batched[i], dtype=np.float64),
            rtol=rtol,
            atol=atol,
            err_msg=f"{what}: sequence {i} alone differs from its row in a batch",
        )


# --------------------------------------------------------------- strategies
SCALES = (1e-30, 1e-6, 1.0, 1e6, 1e30)
DTYPES = (np.float32, np.float64, np.int32, np.int64)


@st.composite
def values(draw, shape, dtype, scale):
    """An array of ``shape``: floats in [-10, 10] times ``scale``, or
    integers (up to 10 times the scale, within the dtype)."""
    dtype = np.dtype(dtype)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        bound = int(min(10 * max(scale, 1.0), info.max))
        low = max(-bound, int(info.min))
        return draw(hnp.arrays(dtype, shape, elements=st.integers(low, bound)))
    base = draw(hnp.arrays(np.float64, shape, elements=st.floats(-10.0, 10.0)))
    return (base * scale).astype(dtype)


@st.composite
def sequence_sets(
    draw, *, layouts=("ragged", "3d", "2d"), min_samples=2, max_samples=6
):
    """Sequences in one of the accepted forms: a list of ``(T_i, F)`` (or
    ``(T_i,)``) arrays, a 3-D ``(n, T, F)`` or 2-D ``(n, T)`` array, or the
    same dense data as nested lists.  Lengths 1-8, 1-3 features, one
    magnitude from 1e-30 to 1e30, float or integer dtypes."""
    layout = draw(st.sampled_from(layouts))
    n = draw(st.integers(min_samples, max_samples))
    scale = draw(st.sampled_from(SCALES))
    if layout == "ragged":
        n_features = draw(st.integers(1, 3))
        dtypes = draw(st.lists(st.sampled_from(DTYPES), min_size=1, max_size=2))
        X = []
        for _ in range(n):
            T = draw(st.integers(1, 8))
            x = draw(values((T, n_features), draw(st.sampled_from(dtypes)), scale))
            if n_features == 1 and draw(st.booleans()):
                x = x[:, 0]
            X.append(x)
        return X
    T = draw(st.integers(1, 8))
    shape = (n, T, draw(st.integers(1, 3))) if layout == "3d" else (n, T)
    X = draw(values(shape, draw(st.sampled_from(DTYPES)), scale))
    return X.tolist() if draw(st.booleans()) else X


@st.composite
def network_params(draw, *, pooling=True):
    """Tiny settings of the LSTM estimators."""
    params = dict(
        hidden_layer_sizes=draw(st.sampled_from([1, 3, (2, 2)])),
        bidirectional=draw(st.booleans()),
        dropout=draw(st.sampled_from([0.0, 0.5])),
        learning_rate_init=draw(st.sampled_from([1e-3, 0.1])),
        batch_size=draw(st.sampled_from(["auto", 1, 4])),
        max_iter=draw(st.integers(1, 2)),
        early_stopping=draw(st.booleans()),
        validation_fraction=0.4,
        random_state=0,
    )
    if pooling:
        params["pooling"] = draw(st.sampled_from(["auto", "last", "mean"]))
    return params


def max_abs(X):
    return max(float(np.max(np.abs(np.asarray(x, dtype=np.float64)))) for x in X)


def sample_weights(n):
    return st.none() | st.lists(
        st.sampled_from([0.0, 0.5, 1.0, 3.0]), min_size=n, max_size=n
    )


LABEL_SETS = [(0, 1, 2), ("no", "yes"), ("α", "β", "🎉"), (False, True)]


@st.composite
def labels_for(draw, lengths, per_step):
    """Class labels of each sequence (or timestep): any draw (perhaps of a
    single class), or every class of the pool in turn, shuffled."""
    pool = draw(st.sampled_from(LABEL_SETS))
    label = st.sampled_from(pool)
    if per_step:
        return [draw(st.lists(label, min_size=L, max_size=L)) for L in lengths]
    n = len(lengths)
    if draw(st.booleans()):
        return draw(st.permutations([pool[i % len(pool)] for i in range(n)]))
    return draw(st.lists(label, min_size=n, max_size=n))


@st.composite
def targets_for(draw, lengths, per_step):
    """Real targets: one (or two) per sequence or per timestep, at one of
    the magnitudes of SCALES."""
    k = draw(st.sampled_from([None, 1, 2]))  # None: 1-D targets
    scale = draw(st.sampled_from(SCALES))
    tail = () if k is None else (k,)
    if per_step:
        return [draw(values((L,) + tail, np.float64, scale)) for L in lengths]
    return draw(values((len(lengths),) + tail, np.float64, scale))


TEXT = st.one_of(
    st.text(max_size=12),  # any unicode, often no word at all
    st.text(alphabet="ab cd.!ÉŒ😀\n", max_size=16),  # repeated words
)
TEXTS = st.lists(TEXT, min_size=1, max_size=8)


@st.composite
def embedder_params(draw):
    return dict(
        vectors=draw(st.sampled_from(["ppmi", "random"])),
        n_dims=draw(st.integers(1, 3)),
        min_count=draw(st.sampled_from([1, 2, "auto"])),
        max_tokens=draw(st.sampled_from([3, 5, 20000])),
        max_length=draw(st.sampled_from([None, 1, 3])),
        lowercase=draw(st.booleans()),
        label_dims=draw(st.sampled_from([0, 2])),
        random_state=0,
    )


SR = 8000  # with frame_ms=8: frames of 64 samples, n_fft 64


@st.composite
def waveform_sets(draw, *, min_clips=1, max_clips=4, min_length=16):
    """A list of clips of 16-400 samples (a frame is 64), or a 2-D array of
    equal-length clips; float or PCM integer dtypes, any magnitude."""
    layout = draw(st.sampled_from(["list", "2d"]))
    dtype = np.dtype(
        draw(st.sampled_from([np.float32, np.float64, np.int16, np.int32, np.uint8]))
    )
    scale = draw(st.sampled_from(SCALES))
    n = draw(st.integers(min_clips, max_clips))

    def clip(length):
        if dtype.kind in "iu":
            info = np.iinfo(dtype)
            elements = st.integers(int(info.min), int(info.max))
            return draw(hnp.arrays(dtype, length, elements=elements))
        return draw(values((length,), dtype, scale))

    if layout == "2d":
        length = draw(st.integers(min_length, 400))
        return np.stack([clip(length) for _ in range(n)])
    return [clip(draw(st.integers(min_length, 400))) for _ in range(n)]


@st.composite
def spectrogram_params(draw, outputs=("power", "log", "mel", "mfcc")):
    output = draw(st.sampled_from(outputs))
    return dict(
        sampling_rate=SR,
        frame_ms=8.0,
        hop_ms=draw(st.sampled_from([4.0, 8.0])),
        output=output,
        n_mels=8,
        n_mfcc=4,
        fmin=draw(st.sampled_from([0.0, 100.0])),
        normalise=draw(st.sampled_from([False, True, "mean"])),
        trim_db=draw(st.sampled_from([None, 20.0])),
        floor_db=draw(st.sampled_from([None, 40.0])),
        stack=draw(st.sampled_from([1, 3])),
        warp=draw(st.sampled_from([1.0, 0.9])) if output in ("mel", "mfcc") else 1.0,
    )


# ============================================================ estimators
@examples(60)
@given(data=st.data())
def test_classifier_random_sequences(data):
    X = data.draw(sequence_sets(), label="X")
    lengths = lengths_of(X)
    per_step = data.draw(st.booleans(), label="per_step")
    y = data.draw(labels_for(lengths, per_step), label="y")
    sw = data.draw(sample_weights(len(X)), label="sample_weight")
    params = data.draw(network_params(), label="params")
    clf = fitted_or_clear_error(
        lambda: LSTMClassifier(**params).fit(X, y, sample_weight=sw),
        "LSTMClassifier.fit",
        DIVERGED if params["learning_rate_init"] == 1e-3 else None,
    )
    if clf is None:
        return
    n_classes = len(clf.classes_)
    with expected_warnings():
        proba = clf.predict_proba(X)
        pred = clf.predict(X)
    for i, L in enumerate(lengths):
        step = (L,) if per_step else ()
        p = np.asarray(proba[i])
        assert p.shape == step + (n_classes,)
        assert_finite(p, "LSTMClassifier.predict_proba")
        np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-6)
        assert np.asarray(pred[i]).shape == step
        assert np.isin(np.asarray(pred[i]), clf.classes_).all()
    assert_alone_as_batched(clf.predict_proba, X, proba, "LSTMClassifier")
    if not per_step:
        with expected_warnings():
            steps = clf.predict_proba_steps(X)
        for i, L in enumerate(lengths):
            assert steps[i].shape == (L, n_classes)
            assert_finite(steps[i], "LSTMClassifier.predict_proba_steps")
            np.testing.assert_allclose(steps[i][-1], proba[i], rtol=1e-4, atol=1e-5)


@examples(60)
@given(data=st.data())
def test_regressor_random_sequences(data):
    X = data.draw(sequence_sets(), label="X")
    lengths = lengths_of(X)
    per_step = data.draw(st.booleans(), label="per_step")
    y = data.draw(targets_for(lengths, per_step), label="y")
    sw = data.draw(sample_weights(len(X)), label="sample_weight")
    params = data.draw(network_params(), label="params")
    params["normalise_y"] = data.draw(st.booleans(), label="normalise_y")
    well_scaled = params["learning_rate_init"] == 1e-3 and params["normalise_y"]
    reg = fitted_or_clear_error(
        lambda: LSTMRegressor(**params).fit(X, y, sample_weight=sw),
        "LSTMRegressor.fit",
        DIVERGED if well_scaled else None,
    )
    if reg is None:
        return
    with expected_warnings():
        pred = reg.predict(X)
    tail = np.shape(y[0])[1:] if per_step else np.shape(y)[1:]
    for i, L in enumerate(lengths):
        step = (L,) if per_step else ()
        assert np.shape(pred[i]) == step + tail
    assert_finite(pred, "LSTMRegressor.predict")
    # the network's float32 rounding, in the units of y
    unit = 1.0 if reg.y_scale_ is None else float(np.max(reg.y_scale_))
    assert_alone_as_batched(reg.predict, X, pred, "LSTMRegressor", atol=1e-5 * unit)


@examples(50)
@given(data=st.data())
def test_anomaly_detector_random_sequences(data):
    X = data.draw(sequence_sets(), label="X")
    lengths = lengths_of(X)
    params = data.draw(network_params(pooling=False), label="params")
    params["bidirectional"] = False
    params.update(
        horizon=data.draw(st.integers(1, 2), label="horizon"),
        anomaly_score=data.draw(
            st.sampled_from(["state_distance", "forecast_error"]), label="score"
        ),
        contamination=data.draw(st.sampled_from([0.01, 0.5]), label="contamination"),
    )
    well_scaled = params["learning_rate_init"] == 1e-3 and max_abs(X) <= 1e7
    det = fitted_or_clear_error(
        lambda: LSTMAnomalyDetector(**params).fit(X),
        "LSTMAnomalyDetector.fit",
        DIVERGED if well_scaled else None,
    )
    if det is None:
        return
    assert np.isfinite(det.offset_)
    with expected_warnings():
        scores = det.score_samples(X)
        labels = det.predict(X)
        forecasts = det.forecast(X)
    assert scores.shape == (len(X),)
    assert_finite(scores, "LSTMAnomalyDetector.score_samples")
    assert set(np.unique(labels)) <= {-1, 1}
    h = det.horizon
    for i, L in enumerate(lengths):
        assert np.shape(forecasts[i])[:2] == (L - h, h)
    assert_finite(forecasts, "LSTMAnomalyDetector.forecast")
    assert_alone_as_batched(
        det.score_samples, X, scores, "LSTMAnomalyDetector.score_samples"
    )


@examples(40)
@given(data=st.data())
def test_transcriber_random_sequences(data):
    X = data.draw(sequence_sets(), label="X")
    lengths = lengths_of(X)
    n = len(X)
    if data.draw(st.booleans(), label="strings"):
        transcript = st.text(max_size=4) | st.text(alphabet="ab€😀 ", max_size=4)
    else:  # label sequences; rarely of mixed types, which cannot be sorted
        label = st.sampled_from(["ah", "eh", "sil"])
        transcript = st.lists(label, max_size=3) | st.lists(label | st.just(7))
    y = data.draw(st.lists(transcript, min_size=n, max_size=n), label="y")
    params = data.draw(network_params(pooling=False), label="params")
    params.update(
        decoder=data.draw(
            st.sampled_from(["auto", "greedy", "beam", "lexicon"]), label="decoder"
        ),
        beam_width=3,
        frame_repeat=data.draw(st.sampled_from(["auto", 1]), label="frame_repeat"),
    )
    model = fitted_or_clear_error(
        lambda: LSTMTranscriber(**params).fit(X, y), "LSTMTranscriber.fit"
    )
    if model is None:
        return
    with expected_warnings():
        logp = model.predict_log_proba_frames(X)
        pred = model.predict(X)
    n_symbols = len(model.classes_)
    for i, L in enumerate(lengths):
        assert logp[i].shape == (L * model.frame_repeat_, n_symbols + 1)
        assert_finite(logp[i], "LSTMTranscriber.predict_log_proba_frames")
        np.testing.assert_allclose(logsumexp(logp[i], axis=1), 0.0, atol=1e-6)
    assert len(pred) == n
    known = set(model.classes_.tolist())
    for p in pred:
        assert set(list(p) if isinstance(p, str) else p.tolist()) <= known
    assert_alone_as_batched(model.predict_log_proba_frames, X, logp, "LSTMTranscriber")


@examples(40)
@given(data=st.data())
def test_window_scaled_regressor_random_windows(data):
    X = data.draw(sequence_sets(), label="X")
    n = len(X)
    scale = data.draw(st.sampled_from(SCALES), label="y_scale")
    shape = (n,) if data.draw(st.booleans(), label="1d_y") else (n, 2)
    y = data.draw(values(shape, np.float64, scale), label="y")
    params = data.draw(network_params(), label="params")
    model = WindowScaledRegressor(
        LSTMRegressor(**params, validation_split="last", normalise_y=False),
        target_feature=data.draw(st.integers(0, 1), label="target_feature"),
    )
    model = fitted_or_clear_error(lambda: model.fit(X, y), "WindowScaledRegressor.fit")
    if model is None:
        return
    with expected_warnings():
        pred = model.predict(X)
    assert pred.shape == shape
    assert_finite(pred, "WindowScaledRegressor.predict")
    assert_alone_as_batched(
        model.predict, X, pred, "WindowScaledRegressor", atol=1e-5 * scale
    )


# ------------------------------------------------------------------- texts
@examples(60)
@given(
    train=TEXTS,
    test=TEXTS,
    params=embedder_params(),
    output=st.sampled_from(["tokens", "list", "array"]),
    labelled=st.booleans(),
)
def test_embedder_random_texts(train, test, params, output, labelled):
    y = [len(t) % 2 for t in train] if labelled else None
    emb = Embedder(**params)
    tokens = fitted_or_clear_error(
        lambda: emb.fit_transform(train, y), "Embedder.fit_transform"
    )
    if tokens is None:
        return
    n_tokens = len(emb.words_)
    assert emb.vectors_.shape[0] == n_tokens >= 2
    assert_finite(emb.vectors_, "Embedder.vectors_")
    with expected_warnings():
        again = emb.transform(train)
        out = emb.transform(test)
    for texts, seqs in ((train, tokens), (train, again), (test, out)):
        assert isinstance(seqs, TokenSequences) and len(seqs) == len(texts)
        assert seqs.lengths.min() >= 1
        if params["max_length"] is not None:
            assert seqs.lengths.max() <= params["max_length"]
        ids = np.concatenate([seqs.ids(i) for i in range(len(seqs))])
        assert ids.min() >= 1 and ids.max() < n_tokens
    for i in range(len(train)):  # fit_transform(X) == fit(X).transform(X)
        np.testing.assert_array_equal(tokens.ids(i), again.ids(i))
    for i, text in enumerate(test):
        with expected_warnings():
            alone = emb.transform([text])
        np.testing.assert_array_equal(alone.ids(0), out.ids(i))
    emb.set_params(output=output)
    with expected_warnings():
        dense = emb.transform(test)
    if output == "array":  # padded to max_length, or to the longest text
        width = params["max_length"] or out.lengths.max()
        assert dense.shape == (len(test), width, emb.vectors_.shape[1])
    elif output == "list":
        assert [d.shape[0] for d in dense] == out.lengths.tolist()
    assert_finite(dense, "Embedder.transform")


@examples(40)
@given(
    train=TEXTS,
    test=TEXTS,
    params=embedder_params(),
    regression=st.booleans(),
    data=st.data(),
)
def test_text_models_random_texts(train, test, params, regression, data):
    n = len(train)
    net = data.draw(network_params(), label="net")
    if regression:
        y = data.draw(values((n,), np.float64, 1.0), label="y")
        model = LSTMRegressor(**net)
    else:
        y = data.draw(labels_for([1] * n, per_step=False), label="y")
        model = LSTMClassifier(**net)
    pipe = fitted_or_clear_error(
        lambda: make_pipeline(Embedder(**params), model).fit(train, y),
        f"{type(model).__name__} on texts",
    )
    if pipe is None:
        return
    with expected_warnings():
        out = pipe.predict_proba(test) if not regression else pipe.predict(test)
    assert len(out) == len(test)
    assert_finite(out, f"{type(model).__name__}.predict on texts")
    method = pipe.predict if regression else pipe.predict_proba
    assert_alone_as_batched(method, test, out, f"{type(model).__name__} on texts")


@examples(40)
@given(
    train=TEXTS,
    test=TEXTS,
    params=embedder_params(),
    data=st.data(),
)
def test_language_model_random_texts(train, test, params, data):
    params["label_dims"] = 0
    emb = fitted_or_clear_error(lambda: Embedder(**params).fit(train), "Embedder")
    if emb is None:
        return
    lm_params = dict(
        hidden_layer_sizes=data.draw(st.sampled_from([1, 3, (2, 2)]), label="hidden"),
        dropout=data.draw(st.sampled_from([0.0, 0.3]), label="dropout"),
        bptt=data.draw(st.integers(1, 3), label="bptt"),
        batch_size=data.draw(st.integers(1, 2), label="batch_size"),
        max_iter=data.draw(st.integers(1, 2), label="max_iter"),
        validation_fraction=data.draw(st.sampled_from([0.0, 0.3]), label="val"),
        random_state=0,
    )
    with expected_warnings():
        tokens, contexts = emb.transform(train), emb.transform(test)
    lm = fitted_or_clear_error(
        lambda: LSTMLanguageModel(**lm_params).fit(tokens), "LSTMLanguageModel.fit"
    )
    if lm is None:
        return
    with expected_warnings():
        logp = lm.predict_log_proba(contexts)
        words = lm.predict(contexts)
        text = lm.generate(contexts[:1], n_words=2, random_state=0)
    assert logp.shape == (len(test), len(lm.classes_))
    assert_finite(logp, "LSTMLanguageModel.predict_log_proba")
    np.testing.assert_allclose(logsumexp(logp, axis=1), 0.0, atol=1e-4)
    assert words.shape == (len(test),) and set(words) <= set(lm.classes_)
    assert len(text) == 1 and isinstance(text[0], str)
    assert_alone_as_batched(
        lm.predict_log_proba, contexts, logp, "LSTMLanguageModel", atol=1e-4
    )
    if contexts._ids.size >= 2:
        with expected_warnings():
            score = lm.score(contexts)
        assert np.isfinite(score) and score <= 0


# ------------------------------------------------------------ transformers
@examples(80)
@given(data=st.data())
def test_normaliser_random_sequences(data):
    X = data.draw(sequence_sets(min_samples=1), label="X")
    method = data.draw(
        st.sampled_from(["standard", "minmax", "robust", "last"]), label="method"
    )
    per_sequence = method == "last" or data.draw(st.booleans(), label="per_seq")
    params = dict(
        method=method,
        per_sequence=per_sequence,
        two_d=data.draw(st.sampled_from(["sequences", "columns"]), label="two_d"),
        feature_range=data.draw(st.sampled_from([(0, 1), (-1e6, 1e6)]), label="fr"),
        quantile_range=data.draw(st.sampled_from([(25.0, 75.0), (0.0, 100.0)])),
    )
    norm = Normaliser(**params)
    Xt = fitted_or_clear_error(lambda: norm.fit_transform(X), "Normaliser.fit")
    if Xt is None:
        return
    assert_finite(Xt, "Normaliser.transform")
    assert [np.shape(a) for a in Xt] == [np.shape(a) for a in X]
    reference = X if per_sequence else None
    with expected_warnings():
        back = norm.inverse_transform(Xt, reference=reference)
    assert_finite(back, "Normaliser.inverse_transform")
    # float32 rounding of the largest magnitude the statistics saw
    atol = 1e-4 * max_abs(X)
    for x, b in zip(X, back, strict=True):
        np.testing.assert_allclose(b, np.asarray(x, np.float64), rtol=1e-4, atol=atol)
    assert_alone_as_batched(norm.transform, X, Xt, "Normaliser", rtol=1e-6, atol=0.0)


@examples(60)
@given(X=waveform_sets(), params=spectrogram_params())
def test_spectrogram_random_waveforms(X, params):
    spec = SpectrogramTransformer(**params)
    out = fitted_or_clear_error(
        lambda: spec.fit_transform(X), "SpectrogramTransformer.fit_transform"
    )
    if out is None:
        return
    assert len(out) == len(X)
    for x, o in zip(X, out, strict=True):
        n_frames = 1 + (len(x) - spec.frame_length_) // spec.hop_length_
        rows = -(-n_frames // spec.stack)
        assert o.dtype == np.float32 and o.ndim == 2
        assert o.shape[1] == spec.n_bins_
        if params["trim_db"] is None:
            assert o.shape[0] == rows
        else:
            assert 1 <= o.shape[0] <= rows
    assert_finite(out, "SpectrogramTransformer.transform")
    for i, o in enumerate(out):
        alone = spec.transform(single(X, i))[0]
        atol = 1e-5 * max(1.0, float(np.max(np.abs(o))))
        np.testing.assert_allclose(
            alone,
            o,
            rtol=1e-4,
            atol=atol,
            err_msg=f"SpectrogramTransformer: clip {i} alone differs from a batch",
        )


@examples(20)
@given(data=st.data())
def test_speaker_adapted_classifier_random_waveforms(data):
    X = data.draw(waveform_sets(min_clips=2, max_clips=6, min_length=48), label="X")
    n = len(X)
    y = data.draw(labels_for([1] * n, per_step=False), label="y")
    groups = data.draw(
        st.lists(st.sampled_from(["ann", "bob"]), min_size=n, max_size=n),
        label="groups",
    )
    spec = data.draw(spectrogram_params(outputs=("mel", "mfcc")))
    pipe = make_pipeline(
        SpectrogramTransformer(**spec),
        Normaliser(),
        LSTMClassifier(hidden_layer_sizes=2, max_iter=1, random_state=0),
    )
    model = SpeakerAdaptedClassifier(pipe, warps=[0.95, 1.0, 1.05])
    model = fitted_or_clear_error(
        lambda: model.fit(X, y), "SpeakerAdaptedClassifier.fit"
    )
    if model is None:
        return
    with expected_warnings():
        proba = model.predict_proba(X, groups=groups)
        pred = model.predict(X, groups=groups)
        warps = model.select_warps(X, groups=groups)
    assert proba.shape == (n, len(model.classes_))
    assert_finite(proba, "SpeakerAdaptedClassifier.predict_proba")
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert np.isin(pred, model.classes_).all()
    assert np.isin(warps, model.warps_).all()
    # one speaker's warp is chosen from their clips alone
    for g in set(groups):
        idx = [i for i in range(n) if groups[i] == g]
        clips = X[idx] if isinstance(X, np.ndarray) else [X[i] for i in idx]
        with expected_warnings():
            alone = model.predict_proba(clips, groups=[g] * len(idx))
        np.testing.assert_allclose(alone, proba[idx], rtol=1e-4, atol=1e-5)
