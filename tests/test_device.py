"""``device='cuda'`` end to end, on the CuPy stand-in of ``tests/fake_cupy.py``.

The stand-in runs NumPy underneath, so a device fit must equal the CPU fit
bit for bit; what it checks is that host and device stay apart the way
CuPy requires (no implicit transfers, host-drawn randomness, NumPy-only
fitted state).  The same contract on a real GPU is in ``test_gpu.py``.
"""

import os
import pickle
import subprocess
import sys
import warnings

import fake_cupy
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from test_transcriber import spelled_words

from sklstm import (
    Embedder,
    LSTMAnomalyDetector,
    LSTMClassifier,
    LSTMLanguageModel,
    LSTMRegressor,
    LSTMTranscriber,
    Normaliser,
    WindowScaledRegressor,
    _kernels,
)
from sklstm._backend import get_namespace, is_cupy
from sklstm.datasets import (
    make_ecg_beats,
    make_memory_task,
    make_price_series,
    make_sentiment_texts,
    make_text_corpus,
)


@pytest.fixture
def device(monkeypatch):
    """Install the stand-in as ``cupy``; returns the module."""
    return fake_cupy.install(monkeypatch)


@pytest.fixture(autouse=True)
def _plain_cpu_path(monkeypatch):
    """The stand-in runs the plain ``xp`` step, so the CPU fits compared with
    it must too (not numba's kernels, which round differently)."""
    monkeypatch.setattr(_kernels, "_import_cpu_kernels", lambda: None)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _ragged(n, seed):
    rng = np.random.RandomState(seed)
    X = [rng.randn(rng.randint(3, 9), 2) for _ in range(n)]
    y = np.array([int(x[0, 0] > 0) for x in X])
    return X, y


def _texts():
    texts, labels = make_sentiment_texts(80, random_state=0)
    return texts, labels


SMALL = dict(hidden_layer_sizes=8, max_iter=3, random_state=0)


def _cases():
    Xm, ym = make_memory_task(n_samples=60, n_timesteps=7, random_state=0)
    Xr, yr = _ragged(50, 1)
    Xe, _ = make_ecg_beats(60, n_timesteps=30, random_state=0)
    prices = make_price_series(300, random_state=0)
    texts, labels = _texts()
    corpus = make_text_corpus(1500, random_state=0)
    Xs, ys = spelled_words(30, 0, alphabet="ab")
    return {
        "classifier": (LSTMClassifier(**SMALL), Xm, ym, "predict_proba"),
        "classifier-bidirectional-stacked-ragged": (
            LSTMClassifier(
                hidden_layer_sizes=(6, 5),
                bidirectional=True,
                dropout=0.2,
                max_iter=3,
                random_state=0,
            ),
            Xr,
            ym[:50],
            "predict_proba",
        ),
        "regressor-sequence-targets": (
            LSTMRegressor(**SMALL),
            Xm,
            Xm[:, :, :1] * 2,
            "predict",
        ),
        "regressor-mean-pooling-sgd": (
            LSTMRegressor(pooling="mean", solver="sgd", **SMALL),
            Xr,
            yr.astype(float),
            "predict",
        ),
        "anomaly": (LSTMAnomalyDetector(**SMALL), Xe, None, "score_samples"),
        "forecasting": (
            WindowScaledRegressor(LSTMRegressor(**SMALL)),
            *_windows(prices),
            "predict",
        ),
        "text-classifier": (
            make_pipeline(Embedder(random_state=0), LSTMClassifier(**SMALL)),
            texts,
            labels,
            "predict_proba",
        ),
        "language-model": (
            make_pipeline(
                Embedder(random_state=0),
                LSTMLanguageModel(**SMALL, batch_size=8, bptt=10),
            ),
            [corpus],
            None,
            "predict_proba",
        ),
        "transcriber": (
            LSTMTranscriber(bidirectional=True, **SMALL),
            Xs,
            ys,
            "predict",
        ),
        "normalised-classifier": (
            make_pipeline(Normaliser(), LSTMClassifier(**SMALL)),
            Xr,
            yr,
            "predict_proba",
        ),
    }


def _windows(prices):
    from sklstm import sliding_windows

    X, y = sliding_windows(prices, 20, horizon=1)
    return X[:100], y[:100]


def _set_device(est, device):
    names = [k for k in est.get_params() if k.endswith("device")]
    return est.set_params(**{k: device for k in names})


def _query(name, X):
    if name == "language-model":
        return ["the", "the cat"]
    return X[:7]


CASES = _cases()


@pytest.mark.parametrize("name", sorted(CASES))
def test_device_fit_equals_cpu_fit_and_pickles_without_device_arrays(name, device):
    est, X, y, method = CASES[name]
    cpu = _set_device(clone(est), "cpu").fit(X, y)
    gpu = _set_device(clone(est), "cuda").fit(X, y)
    want = getattr(cpu, method)(_query(name, X))
    got = getattr(gpu, method)(_query(name, X))
    assert isinstance(got, np.ndarray | list)  # NumPy out, not device arrays
    if isinstance(want, np.ndarray) and want.dtype.kind == "f":
        np.testing.assert_array_equal(got, want)
    else:
        assert list(got) == list(want)
    # fitted state holds only NumPy: the stand-in refuses to pickle device
    # arrays, and the reloaded model predicts the same
    again = pickle.loads(pickle.dumps(gpu))
    np.testing.assert_array_equal(
        np.asarray(getattr(again, method)(_query(name, X)), dtype=object),
        np.asarray(got, dtype=object),
    )


def test_auto_uses_the_device_when_there_is_one(device):
    assert get_namespace("auto") is device
    assert is_cupy(device)


def test_device_arrays_are_accepted_and_numpy_is_returned(device):
    X, y = make_memory_task(n_samples=40, n_timesteps=5, random_state=0)
    cpu = LSTMClassifier(**SMALL).fit(X, y)
    gpu = LSTMClassifier(**SMALL, device="cuda")
    gpu.fit(device.asarray(X), device.asarray(y), sample_weight=device.ones(len(y)))
    proba = gpu.predict_proba(device.asarray(X))
    assert type(proba) is np.ndarray
    np.testing.assert_array_equal(proba, cpu.predict_proba(X))
    assert all(type(w) is np.ndarray for c in gpu.coefs_ for w in c.values())


def predict_proba_without_cupy(blob, X, tmp_path):
    """``predict_proba`` of the pickled model ``blob`` on ``X``, computed in
    a fresh process where ``import cupy`` fails."""
    (tmp_path / "model.pkl").write_bytes(blob)
    (tmp_path / "X.pkl").write_bytes(pickle.dumps(X))
    code = (
        "import sys, pickle, numpy as np\n"
        "sys.modules['cupy'] = None  # any import of cupy now fails\n"
        "import sklstm._kernels  # the plain step, as in this process\n"
        "sklstm._kernels._import_cpu_kernels = lambda: None\n"
        f"m = pickle.loads(open({str(tmp_path / 'model.pkl')!r}, 'rb').read())\n"
        f"X = pickle.loads(open({str(tmp_path / 'X.pkl')!r}, 'rb').read())\n"
        "np.save(sys.argv[1], m.predict_proba(X))\n"
    )
    out = tmp_path / "proba.npy"
    subprocess.run([sys.executable, "-c", code, str(out)], check=True)
    return np.load(out)


def test_a_device_fitted_model_loads_where_cupy_is_missing(device, tmp_path):
    X, y = make_memory_task(n_samples=40, n_timesteps=5, random_state=0)
    model = LSTMClassifier(**SMALL, device="cuda").fit(X, y)
    proba = predict_proba_without_cupy(pickle.dumps(model), X, tmp_path)
    np.testing.assert_array_equal(proba, model.predict_proba(X))


def _same(a, b):
    if isinstance(a, np.ndarray) and a.dtype.kind == "f":
        np.testing.assert_array_equal(a, b)
    else:
        assert list(a) == list(b)


def test_the_rest_of_the_api_runs_on_the_device(device):
    """warm_start, partial_fit, weights, early stopping and every predicting
    method give on the device what they give on the CPU."""
    X, y = make_memory_task(n_samples=60, n_timesteps=7, random_state=0)
    sw = np.linspace(0.5, 1.5, len(y))
    runs = {}
    for dev in ("cpu", "cuda"):
        clf = LSTMClassifier(
            hidden_layer_sizes=8,
            max_iter=4,
            early_stopping=True,
            n_iter_no_change=2,
            class_weight="balanced",
            warm_start=True,
            random_state=0,
            device=dev,
        )
        clf.fit(X, y, sample_weight=sw).fit(X, y)  # the second fit continues
        clf.partial_fit(X, y)
        reg = LSTMRegressor(hidden_layer_sizes=8, max_iter=2, random_state=0)
        reg.set_params(device=dev).partial_fit(X, X[:, :, 0])
        lm = make_pipeline(
            Embedder(random_state=0),
            LSTMLanguageModel(
                hidden_layer_sizes=8, max_iter=2, bptt=8, random_state=0, device=dev
            ),
        ).fit([make_text_corpus(1200, random_state=0)])
        Xs, ys = spelled_words(30, 0, alphabet="ab")
        tr = LSTMTranscriber(hidden_layer_sizes=8, max_iter=3, random_state=0)
        tr.set_params(device=dev, decoder="beam").fit(Xs, ys)
        Xe, _ = make_ecg_beats(40, n_timesteps=30, random_state=0)
        det = LSTMAnomalyDetector(hidden_layer_sizes=8, max_iter=2, random_state=0)
        det.set_params(device=dev).fit(Xe)
        runs[dev] = [
            clf.predict_proba(X),
            clf.score(X, y),
            clf.validation_scores_,
            reg.predict(X),
            lm.score(["the cat sat"]),
            lm[-1].top_k_accuracy(lm[0].transform(["the cat sat on the mat"])),
            lm.predict_proba(["the"]),
            lm[-1].generate(lm[0].transform(["the"]), n_words=4, random_state=0),
            tr.predict(Xs[:5]),
            tr.score(Xs, ys),
            det.decision_function(Xe),
            det.predict(Xe),
        ]
    for want, got in zip(runs["cpu"], runs["cuda"], strict=True):
        _same(
            np.asarray(want) if np.ndim(want) else [want],
            np.asarray(got) if np.ndim(got) else [got],
        )


def test_device_arrays_through_a_pipeline(device):
    X, y = _ragged(40, 2)
    Xd = [device.asarray(x) for x in X]
    pipe = make_pipeline(Normaliser(), LSTMRegressor(**SMALL, device="cuda"))
    got = pipe.fit(Xd, device.asarray(y.astype(float))).predict(Xd)
    want = make_pipeline(Normaliser(), LSTMRegressor(**SMALL)).fit(X, y * 1.0)
    np.testing.assert_array_equal(got, want.predict(X))
    Xm, _ = make_memory_task(n_samples=10, n_timesteps=4, random_state=0)
    norm = Normaliser().fit(device.asarray(Xm))
    assert type(norm.center_) is np.ndarray
    assert type(norm.transform(device.asarray(Xm))) is np.ndarray


ARRAY_API_SCRIPT = """
import numpy as np, sklearn, array_api_strict as xp
from sklearn.pipeline import make_pipeline
from sklstm import LSTMAnomalyDetector, LSTMClassifier, LSTMRegressor, Normaliser
from sklstm.datasets import make_memory_task
X, y = make_memory_task(n_samples=40, n_timesteps=12, random_state=0)
X = X.astype(np.float32)
kw = dict(hidden_layer_sizes=4, max_iter=2, random_state=0)
clf = make_pipeline(Normaliser(), LSTMClassifier(**kw)).fit(X, y)
reg = LSTMRegressor(**kw).fit(X, X[:, -1, 0])
det = LSTMAnomalyDetector(**kw).fit(X)
Xa = xp.asarray(X)
with sklearn.config_context(array_api_dispatch=True):
    outs = [clf.predict(Xa), clf.predict_proba(Xa), reg.predict(Xa),
            det.score_samples(Xa), det.predict(Xa), det.forecast(Xa)]
    assert all(isinstance(o, type(Xa)) for o in outs), [type(o) for o in outs]
    np.testing.assert_allclose(np.from_dlpack(outs[1]), clf.predict_proba(X))
# without dispatch, NumPy comes back
assert type(clf.predict_proba(Xa)) is np.ndarray
print("ok")
"""


def test_outputs_follow_the_input_namespace_under_array_api_dispatch():
    pytest.importorskip("array_api_strict")
    env = {**os.environ, "SCIPY_ARRAY_API": "1"}  # sklearn requires it
    out = subprocess.run(
        [sys.executable, "-c", ARRAY_API_SCRIPT],
        capture_output=True,
        text=True,
        env=env,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "ok"


@pytest.mark.parametrize("name", sorted(CASES))
def test_device_fitted_models_round_trip_through_skops(name, device):
    sio = pytest.importorskip("skops.io")
    est, X, y, method = CASES[name]
    model = _set_device(clone(est), "cuda").fit(X, y)
    blob = sio.dumps(model)
    untrusted = sio.get_untrusted_types(data=blob)
    # only sklstm's own classes need trusting: no dtypes, lambdas or dataclasses
    assert all(t.startswith("sklstm.") for t in untrusted), untrusted
    again = sio.loads(blob, trusted=untrusted)
    np.testing.assert_array_equal(
        getattr(again, method)(_query(name, X)),
        getattr(model, method)(_query(name, X)),
    )
