"""sklstm.onnx: exported graphs against sklstm's own predictions."""

import subprocess
import sys
import warnings

import numpy as np
import pytest

ort = pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")

from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.pipeline import make_pipeline as sk_make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sklstm import (  # noqa: E402
    Embedder,
    LSTMAnomalyDetector,
    LSTMClassifier,
    LSTMLanguageModel,
    LSTMRegressor,
    Normaliser,
    TokenSequences,
    WindowScaledRegressor,
)
from sklstm.onnx import make_feed, to_onnx  # noqa: E402
from sklstm.pipeline import make_pipeline  # noqa: E402

ATOL = RTOL = 1e-5


@pytest.fixture(autouse=True)
def _quiet():
    # tiny fits stop at max_iter; this is about the graphs, not the fits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def session(proto):
    # strict: the declared input and output shapes agree with the inferred
    onnx.checker.check_model(proto, full_check=True)
    return ort.InferenceSession(
        proto.SerializeToString(), providers=["CPUExecutionProvider"]
    )


def run(proto_or_session, X, states=None):
    """The outputs of the graph on ``X`` by name."""
    sess = proto_or_session
    if not hasattr(sess, "run"):
        sess = session(sess)
    names = [o.name for o in sess.get_outputs()]
    feed = make_feed(sess, X, states=states)
    return dict(zip(names, sess.run(None, feed), strict=True))


def assert_close(actual, desired, atol=ATOL, rtol=RTOL):
    np.testing.assert_allclose(actual, desired, atol=atol, rtol=rtol)


def ragged(X):
    """Sequences of X cut to different lengths."""
    return [x[: max(2, len(x) - i % 5)] for i, x in enumerate(X)]


rng0 = np.random.RandomState(0)
X3 = rng0.normal(size=(40, 9, 3)).astype(np.float32)
Y_LABELS = np.where(X3[:, 0, 0] + X3[:, -1, 1] > 0, "up", "down")


# ---------------------------------------------------------------- classifier
@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("layers", [(5,), (4, 6)])
def test_classifier_matches(cell, bidirectional, layers):
    pooling = "mean" if len(layers) == 2 and cell == "gru" else "last"
    clf = LSTMClassifier(
        layers,
        cell=cell,
        bidirectional=bidirectional,
        pooling=pooling,
        max_iter=3,
        learning_rate_init=0.01,
        random_state=0,
    ).fit(X3, Y_LABELS)
    proto = to_onnx(clf)
    for X in (X3[:7], ragged(X3[:11])):
        out = run(proto, X)
        assert_close(out["probabilities"], clf.predict_proba(X))
        np.testing.assert_array_equal(out["label"], clf.predict(X))


def test_classifier_mean_pooling_ragged_bidirectional():
    clf = LSTMClassifier(
        6, pooling="mean", bidirectional=True, max_iter=3, random_state=1
    ).fit(ragged(X3), Y_LABELS)
    out = run(to_onnx(clf), ragged(X3[5:20]))
    assert_close(out["probabilities"], clf.predict_proba(ragged(X3[5:20])))


@pytest.mark.parametrize(
    "labels",
    [
        Y_LABELS,  # strings
        (X3[:, 0, 0] > 0).astype(int) * 7 - 2,  # integers
        X3[:, 0, 0] > 0,  # booleans
        np.where(X3[:, 0, 0] > 0, 1.0, 2.0),  # floats
    ],
)
def test_classifier_labels(labels):
    clf = LSTMClassifier(4, max_iter=2, random_state=0).fit(X3, labels)
    out = run(to_onnx(clf), X3)
    np.testing.assert_array_equal(out["label"], clf.predict(X3))
    index = run(to_onnx(clf, class_labels=False), X3)["label"]
    assert index.dtype == np.int64
    np.testing.assert_array_equal(clf.classes_[index], clf.predict(X3))


def test_classifier_per_timestep():
    y = np.where(np.cumsum(X3[:, :, 0], axis=1) > 0, "a", "b")
    y[:, 0] = "c"
    clf = LSTMClassifier(5, max_iter=3, random_state=0).fit(X3, y)
    out = run(to_onnx(clf), X3[:6])
    assert out["probabilities"].shape == (6, 9, 3)
    assert_close(out["probabilities"], clf.predict_proba(X3[:6]))
    np.testing.assert_array_equal(out["label"], clf.predict(X3[:6]))
    Xr = ragged(X3[:6])  # ragged: compare the valid steps
    out = run(to_onnx(clf), Xr)
    for i, (p, lab) in enumerate(
        zip(clf.predict_proba(Xr), clf.predict(Xr), strict=True)
    ):
        assert_close(out["probabilities"][i, : len(p)], p)
        np.testing.assert_array_equal(out["label"][i, : len(lab)], lab)


# ----------------------------------------------------------------- regressor
@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("target", ["single", "multi", "steps", "steps_multi"], ids=str)
def test_regressor_matches(cell, target):
    y = {
        "single": X3[:, :, 0].sum(axis=1) * 100 + 1000,  # large: y_scale_
        "multi": np.c_[X3[:, 0, 0], X3[:, -1, 2] * 50],
        "steps": np.cumsum(X3[:, :, 1], axis=1),
        "steps_multi": np.cumsum(X3[:, :, :2], axis=1),
    }[target]
    layers = (5, 4) if target == "steps" else 6
    reg = LSTMRegressor(
        layers,
        cell=cell,
        return_sequences=target.startswith("steps"),
        max_iter=3,
        random_state=0,
    ).fit(X3, y)
    proto = to_onnx(reg)
    pred = run(proto, X3[:8])["prediction"]
    expected = reg.predict(X3[:8])
    assert pred.shape == expected.shape
    assert_close(pred, expected)
    Xr = ragged(X3[:8])
    pred, expected = run(proto, Xr)["prediction"], reg.predict(Xr)
    if target.startswith("steps"):  # a list of (T_i, ...) arrays
        for i, e in enumerate(expected):
            assert_close(pred[i, : len(e)], e)
    else:
        assert_close(pred, expected)


def test_regressor_bidirectional_steps_ragged():
    y = [np.cumsum(x[:, 0]) for x in ragged(X3)]
    reg = LSTMRegressor(
        (5, 3), bidirectional=True, cell="gru", max_iter=3, random_state=0
    ).fit(ragged(X3), y)
    Xr = ragged(X3[3:13])
    pred = run(to_onnx(reg), Xr)["prediction"]
    for i, e in enumerate(reg.predict(Xr)):
        assert_close(pred[i, : len(e)], e)


def test_univariate_2d_input():
    X2 = X3[:, :, 0]
    reg = LSTMRegressor(5, max_iter=3, random_state=0).fit(X2, X2.sum(axis=1))
    proto = to_onnx(reg)
    assert [d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim][
        2
    ] == 1
    expected = reg.predict(X2[:5])
    assert_close(run(proto, X2[:5])["prediction"], expected)  # 2-D, by make_feed
    sess = session(proto)
    (pred,) = sess.run(
        ["prediction"],
        {"X": X2[:5, :, None], "sequence_lens": np.full(5, 9, np.int32)}
        | {
            name: np.zeros((1, 5, 5), np.float32)
            for name in ("initial_h_0", "initial_c_0")
        },
    )
    assert_close(pred, expected)


# ------------------------------------------------------------------ pipelines
PER_SEQUENCE = [
    Normaliser(method=m, per_sequence=True)
    for m in ("standard", "minmax", "robust", "last")
]
GLOBAL = [
    Normaliser(),
    Normaliser(method="minmax", feature_range=(-1, 2)),
    Normaliser(method="robust"),
]


@pytest.mark.parametrize("norm", GLOBAL + PER_SEQUENCE, ids=repr)
def test_pipeline_with_normaliser(norm):
    rng = np.random.RandomState(3)
    X = (rng.normal(size=(40, 8, 2)) * [3, 20] + [5, -40]).astype(np.float32)
    X[:5, :, 1] = 7.0  # constant features: scale 1
    y = np.cumsum(X[:, :, 0], axis=1)[:, -1]
    pipe = make_pipeline(norm, LSTMRegressor(5, max_iter=2, random_state=0)).fit(X, y)
    proto = to_onnx(pipe)
    for Xt in (X[:9], [x[: 3 + i % 6] for i, x in enumerate(X[:9])]):
        assert_close(run(proto, Xt)["prediction"], pipe.predict(Xt))


def test_sklearn_pipeline_two_normalisers_and_passthrough():
    X = (X3 * 4 + 2).astype(np.float32)
    pipe = sk_make_pipeline(
        Normaliser(method="minmax"),
        "passthrough",
        Normaliser(per_sequence=True),
        LSTMClassifier(4, max_iter=2, random_state=0),
    ).fit(X, Y_LABELS)
    out = run(to_onnx(pipe), ragged(X[:10]))
    assert_close(out["probabilities"], pipe.predict_proba(ragged(X[:10])))


def test_window_scaled_regressor():
    from sklstm import sliding_windows

    rng = np.random.RandomState(0)
    prices = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 200)))
    X, y = sliding_windows(prices.astype(np.float32), window=12, horizon=2)
    X = X.astype(np.float32)
    model = WindowScaledRegressor(
        LSTMRegressor(4, max_iter=2, random_state=0, normalise_y=True)
    ).fit(X, y)
    pred = run(to_onnx(model), X[:20])["prediction"]
    assert_close(pred, model.predict(X[:20]), rtol=2e-6)
    # multivariate windows, the target the second feature
    X3f = np.stack([X, X * 0.5 + 3], axis=2).astype(np.float32)
    model = WindowScaledRegressor(
        LSTMRegressor(4, max_iter=2, random_state=0),
        normaliser=Normaliser(per_sequence=True),
        target_feature=1,
    ).fit(X3f, y * 0.5 + 3)
    pred = run(to_onnx(model), X3f[:20])["prediction"]
    assert_close(pred, model.predict(X3f[:20]), rtol=2e-6)


# ------------------------------------------------------------------- detector
@pytest.fixture(scope="module")
def detector_data():
    t = np.linspace(0, 4 * np.pi, 24)
    rng = np.random.RandomState(0)
    X = np.sin(t + rng.uniform(0, 6, (30, 1))) + 0.05 * rng.randn(30, 24)
    odd = rng.randn(4, 24)
    return X.astype(np.float32), np.vstack([X[:4], odd]).astype(np.float32)


@pytest.mark.parametrize("score", ["state_distance", "forecast_error"])
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_detector(detector_data, score, cell):
    X, X_test = detector_data
    det = LSTMAnomalyDetector(
        horizon=3,
        anomaly_score=score,
        cell=cell,
        hidden_layer_sizes=(6, 5) if cell == "gru" else 6,
        max_iter=3,
        random_state=0,
    ).fit(ragged(X))
    proto = to_onnx(det)
    assert not [i for i in proto.graph.input if i.name.startswith("initial_")]
    for Xt in (X_test, ragged(X_test), ragged(X)):  # ragged(X): training rows
        out = run(proto, Xt)
        scores = det.score_samples(Xt)
        assert_close(out["score_samples"], scores, rtol=1e-5)
        assert_close(out["decision_function"], det.decision_function(Xt), rtol=1e-5)
        np.testing.assert_array_equal(out["label"], det.predict(Xt))


def test_detector_in_pipeline():
    rng = np.random.RandomState(1)
    X = (rng.normal(size=(20, 15, 2)) * 5 + 3).astype(np.float32)
    pipe = make_pipeline(
        Normaliser(), LSTMAnomalyDetector(horizon=2, hidden_layer_sizes=4, max_iter=2)
    ).fit(X)
    out = run(to_onnx(pipe), X[:6])
    assert_close(out["score_samples"], pipe.score_samples(X[:6]))


# --------------------------------------------------------------------- tokens
def test_token_input():
    rng = np.random.RandomState(0)
    vectors = rng.normal(size=(12, 4)).astype(np.float32)
    ids = [rng.randint(1, 12, size=rng.randint(2, 9)) for _ in range(40)]
    y = np.array([int((i < 6).sum() > len(i) / 2) for i in ids])
    X = TokenSequences(ids, vectors)
    clf = LSTMClassifier(5, max_iter=3, random_state=0).fit(X, y)
    assert clf.bag_ and len(clf.bag_pair_keys_)  # the bag of n-grams, with pairs
    proto = to_onnx(clf)
    assert any(n.op_type == "LabelEncoder" for n in proto.graph.node)
    assert proto.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.INT64
    out = run(proto, X[:15])
    assert_close(out["probabilities"], clf.predict_proba(X[:15]))
    out = run(proto, ids[:15])  # a list of id arrays
    np.testing.assert_array_equal(out["label"], clf.predict(X[:15]))
    # a bag without pairs (a classifier saved with the bag of vectors)
    clf.bag_pair_keys_ = clf.bag_pair_keys_[:0]
    clf.bag_pair_scores_ = clf.bag_pair_scores_[:0]
    proto = to_onnx(clf)
    assert not any(n.op_type == "LabelEncoder" for n in proto.graph.node)
    assert_close(run(proto, X[:15])["probabilities"], clf.predict_proba(X[:15]))


# ------------------------------------------------------------------ streaming
def _stream(proto, X, chunk):
    """Run the graph on X chunk by chunk, each starting from the states
    the previous one ended in; returns the outputs of every chunk."""
    sess = session(proto)
    outs, states = [], None
    for start in range(0, X.shape[1], chunk):
        out = run(sess, X[:, start : start + chunk], states=states)
        outs.append(out)
        states = out
    return outs


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("chunk", [1, 7, 30])
def test_streaming_per_timestep(cell, chunk):
    rng = np.random.RandomState(2)
    X = rng.normal(size=(30, 30, 2)).astype(np.float32)
    y = np.cumsum(X[:, :, 0], axis=1) * 0.3
    reg = LSTMRegressor(
        (6, 5), cell=cell, return_sequences=True, max_iter=2, random_state=0
    ).fit(X, y)
    outs = _stream(to_onnx(reg), X[:4], chunk)
    pred = np.concatenate([o["prediction"] for o in outs], axis=1)
    assert_close(pred, reg.predict(X[:4]))


@pytest.mark.parametrize("chunk", [1, 7, 9])
def test_streaming_classifier_last_step(chunk):
    clf = LSTMClassifier((5, 4), max_iter=3, random_state=0).fit(X3, Y_LABELS)
    outs = _stream(to_onnx(clf), X3[:6], chunk)
    assert_close(outs[-1]["probabilities"], clf.predict_proba(X3[:6]))
    np.testing.assert_array_equal(outs[-1]["label"], clf.predict(X3[:6]))
    # after each chunk: the prediction of the sequence so far
    end = min(chunk, 9)
    assert_close(outs[0]["probabilities"], clf.predict_proba(X3[:6, :end]))


def test_streaming_ragged_final_states():
    # final states are those after each sequence's own last step
    reg = LSTMRegressor(5, return_sequences=True, max_iter=2, random_state=0)
    reg.fit(X3, np.cumsum(X3[:, :, 0], axis=1))
    proto = to_onnx(reg)
    first = [X3[0, :3], X3[1, :6]]
    rest = [X3[0, 3:], X3[1, 6:]]
    out = run(proto, first)
    pred = run(proto, rest, states=out)["prediction"]
    expected = reg.predict(X3[:2])
    assert_close(pred[0], expected[0, 3:])
    assert_close(pred[1, :3], expected[1, 6:])


def test_cell_state_false_and_opsets():
    clf = LSTMClassifier((4, 3), pooling="mean", max_iter=2, random_state=0).fit(
        X3, Y_LABELS
    )
    pipe = make_pipeline(Normaliser(method="robust", per_sequence=True), clf)
    pipe.fit(X3, Y_LABELS)
    expected = pipe.predict_proba(ragged(X3[:8]))
    for opset in (13, 17, 18, onnx.defs.onnx_opset_version()):
        try:
            proto = to_onnx(pipe, cell_state=False, opset=opset)
            sess = session(proto)
        except Exception as error:  # the runtime may lag onnx's newest opset
            if opset > 18 and "opset" in str(error).lower():
                continue
            raise
        assert [i.name for i in sess.get_inputs()] == ["X", "sequence_lens"]
        assert [o.name for o in sess.get_outputs()] == ["label", "probabilities"]
        assert_close(run(sess, ragged(X3[:8]))["probabilities"], expected)


def test_graph_uses_recurrent_operators():
    clf = LSTMClassifier((4, 3), max_iter=1, random_state=0).fit(X3, Y_LABELS)
    ops = [n.op_type for n in to_onnx(clf).graph.node]
    assert ops.count("LSTM") == 2 and "Loop" not in ops and "Scan" not in ops
    reg = LSTMRegressor(4, cell="gru", bidirectional=True, max_iter=1).fit(
        X3, X3[:, 0, 0]
    )
    proto = to_onnx(reg)
    (gru,) = [n for n in proto.graph.node if n.op_type == "GRU"]
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in gru.attribute}
    assert attrs["linear_before_reset"] == 1
    assert attrs["direction"] == b"bidirectional"
    shapes = {
        i.name: [d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim]
        for i in proto.graph.input
    }
    assert shapes == {
        "X": ["batch", "time", 3],
        "sequence_lens": ["batch"],
        "initial_h_0": [2, "batch", 4],
    }
    onnx.checker.check_model(proto, full_check=True)


def test_import_sklstm_does_not_import_onnx():
    code = (
        "import sys, sklstm, sklstm.onnx; "
        "assert 'onnx' not in sys.modules and 'onnxruntime' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------- errors
def test_unsupported_estimators_and_steps():
    with pytest.raises(TypeError, match=r"\(LSTMLanguageModel\).*not exported"):
        to_onnx(LSTMLanguageModel())
    with pytest.raises(NotFittedError):
        to_onnx(LSTMClassifier())
    clf = LSTMClassifier(3, max_iter=1).fit(X3, Y_LABELS)
    X2 = X3.reshape(40, -1)
    pipe = sk_make_pipeline(StandardScaler(), LSTMClassifier(3, max_iter=1))
    with pytest.raises(TypeError, match="'standardscaler' \\(StandardScaler\\)"):
        to_onnx(pipe.fit(X2, Y_LABELS))
    with pytest.raises(TypeError, match="Embedder turns texts into token ids"):
        to_onnx(sk_make_pipeline(Embedder(), clf))
    with pytest.raises(TypeError, match="ends in a Normaliser"):
        to_onnx(sk_make_pipeline(Normaliser().fit(X3)))
    with pytest.raises(ValueError, match="two_d='columns'"):
        norm = Normaliser(two_d="columns")
        to_onnx(make_pipeline(norm, LSTMRegressor(3, max_iter=1)).fit(X2, X2[:, 0]))
    with pytest.raises(ValueError, match="n_features=2, but the model reads 3"):
        to_onnx(clf, n_features=2)
    with pytest.raises(ValueError, match="opset must be"):
        to_onnx(clf, opset=9)
    with pytest.raises(ValueError, match="class_labels=False"):
        bad = LSTMClassifier(3, max_iter=1).fit(X3, Y_LABELS)
        bad.classes_ = np.array([(1, 2), (3, 4)], dtype="i,i")
        to_onnx(bad)


def test_make_feed_errors():
    reg = LSTMRegressor(3, max_iter=1).fit(X3, X3[:, 0, 0])
    proto = to_onnx(reg)
    with pytest.raises(ValueError, match="features per timestep"):
        make_feed(proto, X3[:, :, :2])
    with pytest.raises(ValueError, match="states has neither 'final_h_0'"):
        make_feed(proto, X3, states={})
    with pytest.raises(ValueError, match=r"needs \(1, 40, 3\)"):
        make_feed(proto, X3, states=run(proto, X3[:2]))
    feed = make_feed(proto, X3[:2], states=run(proto, X3[:2]))
    assert set(feed) == {"X", "sequence_lens", "initial_h_0", "initial_c_0"}


def test_window_scaled_regressor_with_covariates_is_refused():
    from sklstm import LSTMRegressor, WindowScaledRegressor

    rng = np.random.RandomState(0)
    X = np.concatenate(
        [100 + rng.randn(40, 8, 1).cumsum(1), rng.randn(40, 8, 1)], axis=2
    )
    y = X[:, -1, 0] + rng.randn(40)
    model = WindowScaledRegressor(
        LSTMRegressor(4, max_iter=2, random_state=0), n_series_features=1
    ).fit(X, y)
    with pytest.raises(ValueError, match="n_series_features=1"):
        to_onnx(model)


def test_quantile_regressor_is_refused():
    from sklstm import LSTMRegressor

    rng = np.random.RandomState(0)
    X = rng.randn(30, 6, 2).astype(np.float32)
    model = LSTMRegressor(
        4, loss="quantile", quantiles=(0.1, 0.5, 0.9), max_iter=2, random_state=0
    ).fit(X, X[:, :, 0].sum(1))
    with pytest.raises(ValueError, match="loss='quantile'"):
        to_onnx(model)
