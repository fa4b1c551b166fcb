"""SpeakerAdaptedClassifier: a mel warp per speaker, chosen without labels."""

import pickle
import warnings

import numpy as np
import pytest
import sklearn
from scipy.signal import resample_poly
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sklstm import (
    LSTMClassifier,
    Normaliser,
    SpeakerAdaptedClassifier,
    SpectrogramTransformer,
)
from sklstm._adaptation import DEFAULT_WARPS, _information, _smooth
from sklstm.datasets import make_spoken_words

SR = 8000
WARPS = np.round(np.arange(0.7, 1.31, 0.05), 2)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _pipeline(max_iter=15, **front):
    return make_pipeline(
        SpectrogramTransformer(sampling_rate=SR, **front),  # the speech defaults
        Normaliser(),
        LSTMClassifier(
            hidden_layer_sizes=32,
            learning_rate_init=0.01,
            max_iter=max_iter,
            random_state=0,
        ),
    )


@pytest.fixture(scope="module")
def one_voice():
    """One synthetic speaker's words: 200 clips to train, 100 to test."""
    X, y = make_spoken_words(300, words=4, n_speakers=1, random_state=0)
    return X[:200], y[:200], X[200:], y[200:]


@pytest.fixture(scope="module")
def fitted(one_voice):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        X, y, _, _ = one_voice
        return SpeakerAdaptedClassifier(_pipeline(), warps=WARPS).fit(X, y)


def test_each_speaker_gets_the_warp_of_their_voice(one_voice, fitted):
    """The test clips as spoken, 25 % higher and 20 % lower (resampled, so
    every formant moves): the model, trained on the voice as spoken, keeps
    it unwarped, reads the higher voice through higher filters and the
    lower voice through lower ones, and recognises all three."""
    _, _, X, y = one_voice
    higher = [resample_poly(x, 4, 5) for x in X]
    lower = [resample_poly(x, 5, 4) for x in X]
    clips = X + higher + lower
    groups = np.repeat(["same", "higher", "lower"], len(X))
    warps = fitted.select_warps(clips, groups)
    for name in ("same", "higher", "lower"):  # one factor per speaker
        assert len(set(warps[groups == name])) == 1
    same, high, low = warps[0], warps[len(X)], warps[-1]
    assert same == pytest.approx(1.0)
    assert high >= 1.15 and low <= 0.9
    plain = [np.mean(fitted.estimator_.predict(c) == y) for c in (higher, lower)]
    adapted = fitted.predict(clips, groups).reshape(3, -1) == y
    assert np.all(adapted.mean(axis=1) >= 0.98)
    assert adapted[1:].mean() > np.mean(plain)  # the shifted voices gain


def test_groups_none_is_one_speaker(one_voice, fitted):
    _, _, X, _ = one_voice
    higher = [resample_poly(x, 4, 5) for x in X]
    warps = fitted.select_warps(higher)
    assert len(set(warps)) == 1 and warps[0] >= 1.15
    np.testing.assert_array_equal(
        fitted.predict_proba(higher), fitted.predict_proba(higher, np.zeros(len(X)))
    )


def test_one_unit_warp_is_the_pipeline_itself(one_voice, fitted):
    X, y, X_test, _ = one_voice
    model = clone(fitted).set_params(warps=[1.0]).fit(X, y)
    proba = model.predict_proba(X_test, np.arange(len(X_test)) % 3)
    np.testing.assert_array_equal(proba, model.estimator_.predict_proba(X_test))
    np.testing.assert_array_equal(model.classes_, model.estimator_.classes_)
    assert model.predict(X_test).shape == (len(X_test),)
    np.testing.assert_allclose(
        np.exp(model.predict_log_proba(X_test)), proba, rtol=1e-6
    )


def test_a_speakers_choice_does_not_depend_on_the_others(one_voice, fitted):
    _, _, X, _ = one_voice
    higher = [resample_poly(x, 4, 5) for x in X]
    alone = fitted.predict_proba(higher)
    together = fitted.predict_proba(X + higher, np.repeat([0, 1], len(X)))
    # the same up to float32 rounding: the clips are batched differently
    np.testing.assert_allclose(together[len(X) :], alone, rtol=1e-5, atol=1e-9)


def test_criterion():
    """'information' prefers a warp whose predictions are varied as well as
    confident; 'confidence' only asks for confidence."""
    sure_same = np.tile([0.99, 0.01], (4, 1))  # every clip: class 0, surely
    sure_varied = np.array([[0.9, 0.1], [0.1, 0.9]] * 2)
    proba = np.stack([sure_same, sure_varied])
    assert _information(proba).argmax() == 1
    assert _information(proba, diverse=False).argmax() == 0
    np.testing.assert_allclose(_smooth(np.array([0.0, 3.0, 0.0])), [1, 1, 1])
    np.testing.assert_array_equal(_smooth(np.array([1.0, 2.0])), [1.0, 2.0])


def test_default_warps():
    assert DEFAULT_WARPS[0] == 0.88 and DEFAULT_WARPS[-1] == 1.12
    assert len(DEFAULT_WARPS) == 13 and 1.0 in DEFAULT_WARPS


def test_clone_pickle_and_grid_search(one_voice, fitted):
    X, y, X_test, y_test = one_voice
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict(X_test), fitted.predict(X_test))
    model = SpeakerAdaptedClassifier(_pipeline(max_iter=3), warps=[0.9, 1.0, 1.1])
    search = GridSearchCV(
        model, {"estimator__lstmclassifier__hidden_layer_sizes": [8, 16]}, cv=2
    ).fit(X, y)
    assert search.best_estimator_.estimator_[-1].hidden_layer_sizes in (8, 16)
    assert 0 <= search.score(X_test, y_test) <= 1


def test_groups_reach_score_through_metadata_routing(one_voice):
    X, y, _, _ = one_voice
    groups = np.arange(len(X)) % 2
    model = SpeakerAdaptedClassifier(_pipeline(max_iter=2), warps=[0.9, 1.0, 1.1])
    with sklearn.config_context(enable_metadata_routing=True):
        model.set_score_request(groups=True)
        scores = cross_val_score(model, X, y, cv=2, params={"groups": groups})
    assert scores.shape == (2,) and np.all((0 <= scores) & (scores <= 1))


@pytest.mark.parametrize(
    "estimator, error, match",
    [
        (LSTMClassifier(), TypeError, "needs a Pipeline"),
        (make_pipeline(Normaliser(), LSTMClassifier()), ValueError, "exactly one"),
        (
            make_pipeline(
                SpectrogramTransformer(sampling_rate=SR, output="log"),
                LSTMClassifier(),
            ),
            ValueError,
            "output='mel' or 'mfcc'",
        ),
        (
            make_pipeline(SpectrogramTransformer(sampling_rate=SR)),
            TypeError,  # sklearn's InvalidParameterError: no predict_proba
            "predict_proba",
        ),
    ],
)
def test_bad_estimator(estimator, error, match):
    X, y = make_spoken_words(8, words=2, random_state=0)
    with pytest.raises(error, match=match):
        SpeakerAdaptedClassifier(estimator).fit(X, y)


@pytest.mark.parametrize(
    "warps, match",
    [([], "warps is empty"), ([0.9, 3.0], r"lie in \[0.5, 2\]"), ([np.nan], "lie in")],
)
def test_bad_warps(warps, match):
    X, y = make_spoken_words(8, words=2, random_state=0)
    with pytest.raises(ValueError, match=match):
        SpeakerAdaptedClassifier(_pipeline(max_iter=1), warps=warps).fit(X, y)


def test_bad_groups(one_voice, fitted):
    _, _, X, _ = one_voice
    with pytest.raises(ValueError, match="one speaker label per clip"):
        fitted.predict(X, groups=np.zeros(len(X) - 1))


def test_steps_before_the_spectrogram_run_once(one_voice):
    """A step ahead of the spectrogram (here a gain) is applied to the
    waveforms before every warp is tried."""
    X, y, X_test, _ = one_voice
    gain = FunctionTransformer(lambda clips: [2 * x for x in clips])
    pipe = _pipeline(max_iter=2)
    pipe.steps.insert(0, ("gain", gain))
    model = SpeakerAdaptedClassifier(pipe, warps=[1.0]).fit(X, y)
    np.testing.assert_allclose(
        model.predict_proba(X_test), model.estimator_.predict_proba(X_test)
    )


def test_unfitted_raises(one_voice):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        SpeakerAdaptedClassifier(_pipeline()).predict(one_voice[2])


def test_the_rate_of_the_spectrogram_step_is_required_and_kept(one_voice, fitted):
    X, y, X_test, _ = one_voice
    # a front end without a rate stops at fit, with the way to give it
    with pytest.raises(ValueError, match=r"SpectrogramTransformer\(sampling_rate=sr\)"):
        no_rate = make_pipeline(SpectrogramTransformer(), LSTMClassifier())
        SpeakerAdaptedClassifier(no_rate).fit(X[:8], y[:8])
    # every warp reads the clips at the step's own rate
    spec = fitted.estimator_[0]
    assert spec.sampling_rate == SR
    for warp, features in zip(
        (0.9, 1.1), spec.transform_warps(X_test[:3], [0.9, 1.1]), strict=True
    ):
        alone = clone(spec).set_params(warp=warp).transform(X_test[:3])
        for a, b in zip(features, alone, strict=True):
            np.testing.assert_array_equal(a, b)


def test_pandas_output_leaves_the_adapted_predictions_unchanged(one_voice, fitted):
    pytest.importorskip("pandas")
    _, _, X, _ = one_voice
    expected = fitted.predict(X[:20])
    with sklearn.config_context(transform_output="pandas"):
        np.testing.assert_array_equal(fitted.predict(X[:20]), expected)
