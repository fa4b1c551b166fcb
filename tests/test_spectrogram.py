"""SpectrogramTransformer: agreement with scipy.signal, features, input, API."""

import pickle
import time

import numpy as np
import pytest
import scipy.signal
from scipy.fft import dct
from scipy.io import wavfile
from sklearn import config_context
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.utils.validation import check_is_fitted

import sklstm.preprocessing._spectrogram as spectrogram_module
from sklstm import LSTMClassifier, Normaliser
from sklstm import SpectrogramTransformer as _Spectrogram
from sklstm.datasets import make_spoken_words
from sklstm.preprocessing._spectrogram import (
    _warp_frequencies,
    hz_to_mel,
    mel_filterbank,
    mel_to_hz,
)

SR = 8000  # 25 ms frames = 200 samples, 10 ms hop = 80 samples, n_fft = 256

# The library's defaults are a speech front end (trimming, a floor, mean
# removal, 3 frames a row: see test_defaults_are_the_speech_front_end).
# Most tests here check the mechanics one plain frame per row, so they build
# the transformer with these plain settings unless they pass others.
PLAIN = dict(fmin=0.0, normalise=False, trim_db=None, floor_db=None, stack=1)


def SpectrogramTransformer(**params):
    """The library's transformer with the plain defaults of ``PLAIN``."""
    return _Spectrogram(**{**PLAIN, **params})


def _noise(n_samples, seed=0, n_clips=None):
    shape = n_samples if n_clips is None else (n_clips, n_samples)
    return np.random.RandomState(seed).normal(scale=0.1, size=shape)


def _tones(n_per_class, freqs=(500.0, 1500.0), duration=0.25, seed=0):
    """Noisy sine tones of two frequencies, random phase and level."""
    rng = np.random.RandomState(seed)
    t = np.arange(int(duration * SR)) / SR
    X, y = [], []
    for label, f in enumerate(freqs):
        for _ in range(n_per_class):
            level = rng.uniform(0.05, 1.0)
            wave = level * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))
            X.append(wave + rng.normal(scale=0.05, size=t.size))
            y.append(label)
    return np.array(X), np.array(y)


def mean_over_frames(X):
    """(n_clips, n_frames, n_bins) or ragged list → (n_clips, n_bins)."""
    return np.stack([x.mean(axis=0) for x in X])


# --- agreement with scipy.signal --------------------------------------------


@pytest.mark.parametrize("window", ["hann", "hamming", ("kaiser", 8.0)])
@pytest.mark.parametrize("n_fft", [None, 512])
def test_power_matches_scipy_spectrogram(window, n_fft):
    X = _noise(4000, n_clips=3)
    spec = SpectrogramTransformer(
        sampling_rate=SR, output="power", window=window, n_fft=n_fft
    ).fit(X)
    power = spec.transform(X)

    win = scipy.signal.get_window(window, 200)
    freqs, times, magnitude = scipy.signal.spectrogram(
        X,
        fs=SR,
        window=win,
        nperseg=200,
        noverlap=200 - 80,
        nfft=spec.n_fft_,
        detrend=False,
        scaling="spectrum",
        mode="magnitude",
    )
    # scaling='spectrum' divides the magnitude by sum(window): undo it
    expected = (magnitude * win.sum()) ** 2
    assert power.shape == (3, 1 + (4000 - 200) // 80, spec.n_fft_ // 2 + 1)
    assert power.dtype == np.float32
    np.testing.assert_allclose(
        power, expected.transpose(0, 2, 1), rtol=1e-5, atol=1e-6 * expected.max()
    )
    np.testing.assert_allclose(spec.frequencies_, freqs)
    np.testing.assert_allclose(spec.frame_times(4000), times)


def test_power_is_unscaled_rfft_of_windowed_frames():
    """The documented definition, computed independently of scipy.signal."""
    x = _noise(1234, seed=1)
    power = SpectrogramTransformer(sampling_rate=SR, output="power").transform([x])[0]
    frames = np.lib.stride_tricks.sliding_window_view(x, 200)[::80]
    expected = np.abs(np.fft.rfft(frames * np.hanning(201)[:200], n=256)) ** 2
    np.testing.assert_allclose(power, expected, rtol=1e-5, atol=1e-7 * expected.max())


def test_frame_count_and_times():
    spec = SpectrogramTransformer(sampling_rate=16000, frame_ms=25, hop_ms=10)
    spec.fit([np.zeros(16000)])
    assert (spec.frame_length_, spec.hop_length_, spec.n_fft_) == (400, 160, 512)
    for n in (400, 401, 559, 560, 16000):
        n_frames = 1 + (n - 400) // 160
        assert spec.transform([_noise(n)])[0].shape == (n_frames, 40)
        times = spec.frame_times(n)
        assert times.shape == (n_frames,)
        assert times[0] == pytest.approx(200 / 16000)


# --- log, mel, MFCC ---------------------------------------------------------


def test_log_and_mfcc_follow_from_power_and_mel():
    X = _noise(2000, n_clips=2)
    params = dict(sampling_rate=SR, n_mels=26, n_mfcc=12)
    power = SpectrogramTransformer(output="power", **params).transform(X)
    log = SpectrogramTransformer(output="log", **params).transform(X)
    mel_spec = SpectrogramTransformer(output="mel", **params).fit(X)
    mel = mel_spec.transform(X)
    mfcc = SpectrogramTransformer(output="mfcc", **params).transform(X)

    np.testing.assert_allclose(log, np.log(power.astype(np.float64) + 1e-10), atol=1e-5)
    weights = mel_spec.mel_filters_
    expected_mel = np.log(power.astype(np.float64) @ weights.T + 1e-10)
    np.testing.assert_allclose(mel, expected_mel, rtol=1e-4, atol=1e-4)
    expected_mfcc = dct(mel.astype(np.float64), norm="ortho", axis=-1)[..., :12]
    np.testing.assert_allclose(mfcc, expected_mfcc, rtol=1e-4, atol=1e-4)
    n_frames = 1 + (2000 - 200) // 80
    assert power.shape == log.shape == (2, n_frames, 129)
    assert mel.shape == (2, n_frames, 26)
    assert mfcc.shape == (2, n_frames, 12)
    assert all(a.dtype == np.float32 for a in (power, log, mel, mfcc))


@pytest.mark.parametrize(
    "output, n_bins, has_freqs",
    [("power", 129, True), ("log", 129, True), ("mel", 40, True), ("mfcc", 13, False)],
)
def test_fitted_attributes(output, n_bins, has_freqs):
    spec = SpectrogramTransformer(sampling_rate=SR, output=output).fit([_noise(800)])
    assert spec.n_bins_ == n_bins
    assert spec.transform([_noise(800)])[0].shape[1] == n_bins
    assert (spec.frequencies_ is not None) == has_freqs
    assert (spec.mel_filters_ is not None) == (output in ("mel", "mfcc"))


def test_mel_band_of_a_tone():
    spec = SpectrogramTransformer(sampling_rate=SR, output="mel", n_mels=30)
    spec.fit([np.zeros(SR)])
    t = np.arange(SR // 2) / SR
    for band in (3, 12, 25):
        tone = np.sin(2 * np.pi * spec.frequencies_[band] * t)
        assert spec.transform([tone])[0].mean(axis=0).argmax() == band


def test_mel_scale_round_trip():
    f = np.array([0.0, 300.0, 1000.0, 4000.0])
    np.testing.assert_allclose(mel_to_hz(hz_to_mel(f)), f, atol=1e-9)
    assert hz_to_mel(1000.0) == pytest.approx(1000.0, rel=1e-3)  # by design


@pytest.mark.parametrize(
    "n_mels, n_fft, sr, fmin, fmax",
    [
        (40, 256, 8000, 0.0, None),
        (26, 512, 16000, 0.0, None),
        (80, 512, 16000, 20, 7600),
    ],
)
def test_mel_filterbank_properties(n_mels, n_fft, sr, fmin, fmax):
    weights, centres = mel_filterbank(n_mels, n_fft, sr, fmin, fmax)
    assert weights.shape == (n_mels, n_fft // 2 + 1)
    assert np.all(weights >= 0) and weights.max() <= 1
    assert np.all(weights.sum(axis=1) > 0)  # every filter sees some bin
    assert np.all(np.diff(centres) > 0)
    np.testing.assert_allclose(
        np.diff(hz_to_mel(centres)), np.diff(hz_to_mel(centres))[0]
    )
    # the triangles overlap so that they add up to 1 between the outer peaks
    freqs = np.fft.rfftfreq(n_fft, 1 / sr)
    inside = (freqs >= centres[0]) & (freqs <= centres[-1])
    np.testing.assert_allclose(weights[:, inside].sum(axis=0), 1.0)
    # and nothing outside [fmin, fmax]
    top = sr / 2 if fmax is None else fmax
    assert np.all(weights[:, (freqs <= fmin) | (freqs >= top)] == 0)


@pytest.mark.parametrize(
    "args, match",
    [
        ((100, 256, 8000, 0.0, None), "covers no bin"),
        ((200, 256, 8000, 0.0, None), "more than the 129 frequency bins"),
        ((40, 256, 8000, 0.0, 5000.0), "fmax"),
        ((40, 256, 8000, 3000.0, 2000.0), "fmin < fmax"),
    ],
)
def test_mel_filterbank_errors(args, match):
    with pytest.raises(ValueError, match=match):
        mel_filterbank(*args)


# --- frequency warp (VTLN) --------------------------------------------------


@pytest.mark.parametrize("warp", [0.5, 0.88, 1.0, 1.12, 2.0])
def test_warp_keeps_the_band_ends_and_order(warp):
    f = np.linspace(100, 4000, 400)
    g = _warp_frequencies(f, warp, 100.0, 4000.0)
    assert g[0] == pytest.approx(100.0) and g[-1] == pytest.approx(4000.0)
    assert np.all(np.diff(g) > 0)
    low = f < 100 + 0.8 * 3900 * min(1, 1 / warp)  # below the knee: scaled
    np.testing.assert_allclose(g[low] - 100, warp * (f[low] - 100))


def test_warp_one_is_the_plain_filterbank():
    plain, centres = mel_filterbank(40, 256, 8000, 100.0)
    warped, warped_centres = mel_filterbank(40, 256, 8000, 100.0, warp=1.0)
    np.testing.assert_array_equal(plain, warped)
    np.testing.assert_array_equal(centres, warped_centres)


def test_warped_filters_read_a_scaled_voice_as_the_plain_one():
    """A tone at w * f through filters warped by w peaks in the band where
    a tone at f peaks through the plain filters: a voice whose formants
    lie 15 % higher reads, warped by 1.15, as the plain filters read the
    lower voice."""
    t = np.arange(SR // 2) / SR
    plain = SpectrogramTransformer(sampling_rate=SR, n_mels=30)
    warped = SpectrogramTransformer(sampling_rate=SR, n_mels=30, warp=1.15)
    plain.fit([t])
    for band in (8, 14, 20):  # 517, 1059 and 1843 Hz
        higher = np.sin(2 * np.pi * 1.15 * plain.frequencies_[band] * t)
        assert plain.transform([higher])[0].mean(axis=0).argmax() > band
        assert warped.transform([higher])[0].mean(axis=0).argmax() == band
    np.testing.assert_allclose(
        warped.fit([t]).frequencies_[:20], 1.15 * plain.frequencies_[:20]
    )


@pytest.mark.parametrize("trim_db", [None, 20])
@pytest.mark.parametrize("ragged", [True, False])
def test_transform_under_many_warps_equals_one_at_a_time(trim_db, ragged):
    """SpeakerAdaptedClassifier's shortcut: one STFT for all the warps."""
    clips = [_noise(n, seed=n) for n in (900, 1700, 1300)]
    X = clips if ragged else np.stack([c[:900] for c in clips])
    spec = SpectrogramTransformer(
        sampling_rate=SR, normalise="mean", trim_db=trim_db, floor_db=40, stack=2
    )
    warps = [0.9, 1.0, 1.12]
    for w, many in zip(warps, spec.transform_warps(X, warps), strict=True):
        one = clone(spec).set_params(warp=w).transform(X)
        assert type(one) is type(many)
        for a, b in zip(one, many, strict=True):
            np.testing.assert_array_equal(a, b)


# --- normalisation ----------------------------------------------------------


@pytest.mark.parametrize("output", ["log", "mel", "mfcc"])
def test_per_utterance_normalisation(output):
    clips = [_noise(n, seed=n) for n in (1000, 2400, 4000)]
    plain = SpectrogramTransformer(sampling_rate=SR, output=output).transform(clips)
    full = SpectrogramTransformer(sampling_rate=SR, output=output, normalise=True)
    centred = SpectrogramTransformer(sampling_rate=SR, output=output, normalise="mean")
    for z, zf, zc in zip(
        plain, full.transform(clips), centred.transform(clips), strict=True
    ):
        np.testing.assert_allclose(zf.mean(axis=0), 0, atol=1e-5)
        np.testing.assert_allclose(zf.std(axis=0), 1, atol=1e-4)
        np.testing.assert_allclose(zc.mean(axis=0), 0, atol=1e-4)
        np.testing.assert_allclose(zc, z - z.mean(axis=0), atol=1e-4)


@pytest.mark.parametrize("normalise", [True, "mean"])
def test_normalisation_removes_the_recording_level(normalise):
    x = _tones(1)[0][0]
    spec = SpectrogramTransformer(sampling_rate=SR, normalise=normalise)
    loud, quiet = spec.transform([x, 0.1 * x])
    np.testing.assert_allclose(quiet, loud, atol=1e-3)


def test_normalise_accepts_numpy_bools():
    X = _noise(1000, n_clips=2)
    for flag in (True, False):
        np.testing.assert_array_equal(
            SpectrogramTransformer(
                sampling_rate=SR, normalise=np.bool_(flag)
            ).transform(X),
            SpectrogramTransformer(sampling_rate=SR, normalise=flag).transform(X),
        )


def test_normalising_silence_gives_zeros():
    out = SpectrogramTransformer(sampling_rate=SR, normalise=True).transform(
        np.zeros((2, 1000))
    )
    assert np.all(out == 0)


# --- input ------------------------------------------------------------------


def test_ragged_and_2d_input_agree():
    X = _noise(1600, n_clips=3)
    spec = SpectrogramTransformer(sampling_rate=SR, output="mfcc", normalise=True)
    dense = spec.transform(X)
    assert isinstance(dense, np.ndarray) and dense.shape == (3, 18, 13)
    ragged = spec.transform(list(X))
    assert isinstance(ragged, list) and len(ragged) == 3
    obj = np.empty(3, dtype=object)
    obj[:] = list(X)
    for i in range(3):
        np.testing.assert_array_equal(ragged[i], dense[i])
        np.testing.assert_array_equal(spec.transform(obj)[i], dense[i])
        np.testing.assert_array_equal(spec.transform(X[i : i + 1])[0], dense[i])


def test_a_clip_alone_equals_the_clip_in_a_batch(monkeypatch):
    clips = [_noise(n, seed=n) for n in (5000, 200, 1111, 3000, 279, 280)]
    spec = SpectrogramTransformer(sampling_rate=SR, output="log", normalise=True)
    batch = spec.transform(clips)
    assert [b.shape[0] for b in batch] == [1 + (n - 200) // 80 for n in map(len, clips)]
    for clip, out in zip(clips, batch, strict=True):
        np.testing.assert_array_equal(spec.transform([clip])[0], out)
    # tiny groups: many padded blocks instead of one
    monkeypatch.setattr(spectrogram_module, "_CHUNK", 1)
    for a, b in zip(spec.transform(clips), batch, strict=True):
        np.testing.assert_array_equal(a, b)
    X = _noise(900, n_clips=5)
    np.testing.assert_array_equal(spec.transform(X), np.stack(spec.transform(list(X))))


def test_pcm_integers_are_scaled_to_unit_range():
    x = np.clip(_noise(3000) * 3, -1, 1)
    pcm16 = np.round(x * 32767).astype(np.int16)
    pcm8 = np.round(x * 127 + 128).astype(np.uint8)
    spec = SpectrogramTransformer(sampling_rate=SR, output="log")
    np.testing.assert_allclose(
        spec.transform([pcm16])[0], spec.transform([pcm16 / 32768.0])[0], atol=1e-5
    )
    np.testing.assert_allclose(
        spec.transform(pcm16[None])[0], spec.transform([pcm16 / 32768.0])[0], atol=1e-5
    )
    np.testing.assert_allclose(
        spec.transform([pcm8])[0], spec.transform([(pcm8 - 128.0) / 128])[0], atol=1e-5
    )


def test_too_short_clip_is_a_clear_error():
    spec = SpectrogramTransformer(sampling_rate=SR)
    with pytest.raises(ValueError, match=r"Clip 1 has 150 samples \(18.8 ms.*200 samp"):
        spec.fit_transform([_noise(1000), _noise(150), _noise(10)])
    with pytest.raises(ValueError, match="read as 4 clips of 2 samples"):
        spec.transform(np.zeros((4, 2)))  # e.g. a stereo file, transposed
    with pytest.raises(ValueError, match="Clip 0 has 0 samples"):
        spec.transform([np.array([])])
    with pytest.raises(ValueError, match="shorter than one frame"):
        spec.frame_times(100)


def test_1d_input_is_ambiguous():
    with pytest.raises(ValueError, match=r"wrap it in a list: transform\(\[x\]\)"):
        SpectrogramTransformer(sampling_rate=SR).fit_transform(_noise(16000))


@pytest.mark.parametrize(
    "X, match",
    [
        (np.zeros((2, 3, 400)), "got a 3-D array"),
        ([], "no waveforms"),
        ([np.zeros(500), np.full(500, np.nan)], r"X\[1\].*NaN"),
        ([np.zeros(500), np.r_[np.zeros(499), np.inf]], r"X\[1\].*infinity"),
        (np.full((2, 500), np.nan), "NaN"),
        ([np.zeros((500, 2))], "multichannel"),
        ([np.zeros(500), np.zeros(500, dtype=complex)], "[Cc]omplex"),
    ],
)
def test_bad_waveforms(X, match):
    with pytest.raises(ValueError, match=match):
        SpectrogramTransformer(sampling_rate=SR).transform(X)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"output": "spectrum"}, "'output' parameter"),
        ({"frame_ms": 0}, "'frame_ms' parameter"),
        ({"hop_ms": -10}, "'hop_ms' parameter"),
        ({"sampling_rate": 0}, "'sampling_rate' parameter"),
        ({"normalise": "std"}, "'normalise' parameter"),
        ({"n_mels": 0}, "'n_mels' parameter"),
        ({"frame_ms": 0.01}, "less than one sample"),
        ({"n_fft": 128}, "n_fft=128 is shorter than a frame of 200"),
        ({"window": "no-such-window"}, "window='no-such-window'"),
        ({"output": "mfcc", "n_mels": 10, "n_mfcc": 13}, "n_mfcc=13 is more than"),
        ({"fmax": 6000}, "fmax=6000"),
        ({"fmin": 2000, "fmax": 1000}, "fmin < fmax"),
        ({"n_mels": 100}, "covers no bin"),
        ({"stack": 0}, "'stack' parameter"),
        ({"warp": 0.4}, "'warp' parameter"),
        ({"warp": 1.1, "output": "log"}, "warp=1.1 moves the mel filters"),
    ],
)
def test_bad_params(params, match):
    spec = SpectrogramTransformer(**{"sampling_rate": SR, **params})
    for method in (spec.fit, spec.transform):
        with pytest.raises(ValueError, match=match):
            method([_noise(1000)])


def test_fmin_fmax_only_matter_for_mel():
    """Out-of-range mel settings do not stop a 'log' spectrogram."""
    spec = SpectrogramTransformer(sampling_rate=SR, output="log", fmax=6000)
    assert spec.fit_transform([_noise(1000)])[0].shape == (11, 129)


# --- scikit-learn API -------------------------------------------------------


def test_stateless_transform_without_fit():
    spec = SpectrogramTransformer(sampling_rate=SR)
    check_is_fitted(spec)  # requires_fit is False
    X = _noise(1000, n_clips=2)
    np.testing.assert_array_equal(spec.transform(X), clone(spec).fit(X).transform(X))


def test_fit_transform_equals_fit_then_transform():
    clips = [_noise(n, seed=n) for n in (700, 1500)]
    spec = SpectrogramTransformer(sampling_rate=SR, output="mfcc")
    for a, b in zip(
        spec.fit_transform(clips), clone(spec).fit(clips).transform(clips), strict=True
    ):
        np.testing.assert_array_equal(a, b)
    assert spec.n_bins_ == 13


def test_clone_get_params_set_params():
    spec = SpectrogramTransformer(sampling_rate=SR, output="mfcc", n_mfcc=20)
    params = spec.get_params()
    assert params["sampling_rate"] == SR and params["output"] == "mfcc"
    assert set(params) == {
        "sampling_rate", "frame_ms", "hop_ms", "window", "n_fft", "output",
        "n_mels", "n_mfcc", "fmin", "fmax", "normalise", "trim_db", "floor_db",
        "stack", "warp",
    }  # fmt: skip
    spec.fit([_noise(1000)])
    copy = clone(spec)
    assert copy.get_params() == params and not hasattr(copy, "n_bins_")
    assert copy.set_params(output="log", hop_ms=20.0) is copy
    out = copy.fit_transform([_noise(1000)])[0]
    assert out.shape == (1 + (1000 - 200) // 160, 129) and copy.n_bins_ == 129
    assert spec.get_params() == params  # the original is untouched


def test_pickle_round_trip():
    X = [_noise(n, seed=n) for n in (900, 1700)]
    spec = SpectrogramTransformer(sampling_rate=SR, output="mfcc", normalise=True)
    spec.fit(X)
    restored = pickle.loads(pickle.dumps(spec))
    assert restored.get_params() == spec.get_params()
    np.testing.assert_array_equal(restored.mel_filters_, spec.mel_filters_)
    for a, b in zip(restored.transform(X), spec.transform(X), strict=True):
        np.testing.assert_array_equal(a, b)


def test_pickle_from_before_stack_loads_unstacked():
    X = [_noise(n, seed=n) for n in (900, 1700)]
    spec = SpectrogramTransformer(sampling_rate=SR).fit(X)
    state = dict(spec.__getstate__())
    del state["stack"], state["warp"]  # as pickled before stacking and warping
    old = _Spectrogram.__new__(_Spectrogram)
    old.__setstate__(state)
    assert old.stack == 1 and old.warp == 1.0
    for a, b in zip(old.transform(X), spec.transform(X), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("context", ["local", "global"])
@pytest.mark.parametrize("trim_db", [None, 20.0])  # a 3-D array, a list
def test_set_output_returns_the_sequences_as_they_are(context, trim_db):
    pytest.importorskip("pandas")
    X = _noise(1000, n_clips=2)
    spec = SpectrogramTransformer(sampling_rate=SR, trim_db=trim_db)
    expected = clone(spec).fit_transform(X)
    if context == "local":
        assert spec.set_output(transform="pandas") is spec
    with config_context(transform_output="pandas" if context == "global" else None):
        outputs = spec.fit_transform(X), spec.transform(X), spec.transform(list(X))
    for out in outputs:
        assert isinstance(out, list if out is outputs[2] else type(expected))
        for a, b in zip(out, expected, strict=True):
            np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="one of"):
        spec.set_output(transform="pandsa")


@pytest.mark.parametrize(
    "params, names",
    [
        ({"output": "mel", "n_mels": 3}, ["mel0", "mel1", "mel2"]),
        ({"output": "mfcc", "n_mels": 3, "n_mfcc": 2}, ["mfcc0", "mfcc1"]),
        ({"output": "log", "n_fft": 256}, [f"log{j}" for j in range(129)]),
        (
            {"output": "mfcc", "n_mels": 3, "n_mfcc": 2, "stack": 2},
            ["frame0_mfcc0", "frame0_mfcc1", "frame1_mfcc0", "frame1_mfcc1"],
        ),
    ],
)
def test_feature_names_out_name_the_columns_of_a_row(params, names):
    spec = SpectrogramTransformer(sampling_rate=SR, **params)
    out = spec.get_feature_names_out()  # stateless: no fit needed
    assert out.dtype == object and list(out) == names
    assert len(out) == spec.fit([_noise(1000)]).n_bins_
    assert spec.fit_transform([_noise(1000)])[0].shape[1] == len(out)
    # and the names travel on through a Normaliser of the sequences
    pipe = make_pipeline(clone(spec), Normaliser()).fit([_noise(1000)])
    assert list(pipe.get_feature_names_out()) == names


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("context", ["local", "global"])
def test_speech_pipeline_with_pandas_output_fits_and_predicts(context):
    pytest.importorskip("pandas")
    X, y = make_spoken_words(12, words=2, random_state=0)

    def pipe():
        return make_pipeline(
            _Spectrogram(sampling_rate=SR),
            Normaliser(),
            LSTMClassifier(hidden_layer_sizes=4, max_iter=2, random_state=0),
        )

    expected = pipe().fit(X, y).predict_proba(X)
    model = pipe()
    if context == "local":
        assert model.set_output(transform="pandas") is model
    with config_context(transform_output="pandas" if context == "global" else None):
        np.testing.assert_allclose(model.fit(X, y).predict_proba(X), expected)


# --- the sampling rate ------------------------------------------------------


def test_sampling_rate_is_required():
    spec = _Spectrogram()
    assert spec.sampling_rate is None  # constructible, as sklearn asks
    clips = [_noise(8000)]
    calls = [
        lambda: spec.fit(clips),
        lambda: spec.transform(clips),
        lambda: spec.fit_transform(clips),
        lambda: spec.frame_times(8000),
        lambda: spec.get_feature_names_out(),
        lambda: spec.transform_warps(clips, [1.0, 1.1]),
    ]
    for call in calls:
        with pytest.raises(ValueError, match=r"needs the sampling rate of the clips"):
            call()
    # in a pipeline too, before anything is fitted on the clips
    with pytest.raises(ValueError, match="load_wav_folder"):
        make_pipeline(_Spectrogram(), Normaliser()).fit(clips)
    # and set_params supplies it, as a grid search would
    assert spec.set_params(sampling_rate=SR).fit_transform(clips)[0].shape[1] == 120


def test_the_rate_of_a_wav_file_gives_the_features_of_its_clip(tmp_path):
    # the clips of load_wav_folder, with the rate it returns, read as the
    # clip at that rate; the rate the transformer assumed before (16 kHz)
    # would have read them differently, without a word
    from sklstm.datasets import load_wav_folder

    t = np.arange(4000) / SR
    tone = (0.5 * np.sin(2 * np.pi * 440 * t) * 32767).astype(np.int16)
    wavfile.write(tmp_path / "a_x_0.wav", SR, tone)
    wavs = load_wav_folder(tmp_path)
    spec = SpectrogramTransformer(sampling_rate=wavs.sampling_rate, output="log")
    power = spec.fit_transform(wavs.data)[0].mean(axis=0)
    assert spec.frequencies_[power.argmax()] == pytest.approx(440, abs=SR / 256)
    wrong = SpectrogramTransformer(sampling_rate=16000, output="log").fit(wavs.data)
    power = wrong.transform(wavs.data)[0].mean(axis=0)
    assert wrong.frequencies_[power.argmax()] == pytest.approx(880, abs=16000 / 512)


def test_pickle_keeps_the_rate_it_was_saved_with():
    # pickles from before the rate was required hold the rate they were made
    # with (the old default of 16000 included): they load and transform at it
    X = [_noise(n, seed=n) for n in (1900, 2700)]
    old_default = SpectrogramTransformer(sampling_rate=16000).fit(X)
    state = dict(old_default.__getstate__())
    assert state["sampling_rate"] == 16000
    old = _Spectrogram.__new__(_Spectrogram)
    old.__setstate__(state)
    assert old.sampling_rate == 16000
    for a, b in zip(old.transform(X), old_default.transform(X), strict=True):
        np.testing.assert_array_equal(a, b)
    restored = pickle.loads(pickle.dumps(SpectrogramTransformer(sampling_rate=SR)))
    assert restored.sampling_rate == SR


def _tone_pipeline(**spec_params):
    return make_pipeline(
        SpectrogramTransformer(sampling_rate=SR, **spec_params),
        FunctionTransformer(mean_over_frames),
        StandardScaler(),
        LogisticRegression(),
    )


def test_pipeline_and_grid_search_on_tones():
    X, y = _tones(30)
    assert cross_val_score(_tone_pipeline(), X, y, cv=3).mean() > 0.95
    ragged = [x[: 1200 + 20 * i] for i, x in enumerate(X)]
    assert cross_val_score(_tone_pipeline(), ragged, y, cv=3).mean() > 0.95
    search = GridSearchCV(
        _tone_pipeline(),
        {
            "spectrogramtransformer__output": ["log", "mfcc"],
            "spectrogramtransformer__n_mels": [20, 40],
        },
        cv=3,
    ).fit(X, y)
    assert search.best_score_ > 0.95
    assert len(search.cv_results_["params"]) == 4
    best = search.best_estimator_.named_steps["spectrogramtransformer"]
    assert best.n_bins_ in (13, 129)


# scikit-learn's estimator checks: tests/test_common.py, with the others.


# --- real data --------------------------------------------------------------


def _fsdd(data_dir):
    folder = data_dir / "fsdd" / "recordings"
    if not folder.is_dir():
        pytest.skip("fsdd not available")
    return folder


def test_fsdd_recordings(data_dir):
    folder = _fsdd(data_dir)
    names = [
        f"{d}_{s}_{i}"
        for d, s, i in [(0, "george", 0), (7, "jackson", 3), (9, "lucas", 49)]
    ]
    clips = []
    for name in names:
        rate, wave = wavfile.read(folder / f"{name}.wav")
        assert rate == SR and wave.dtype == np.int16 and wave.ndim == 1
        clips.append(wave)
    spec = SpectrogramTransformer(sampling_rate=rate, output="mfcc", normalise=True)
    features = spec.fit_transform(clips)
    for wave, feats in zip(clips, features, strict=True):
        assert feats.shape == (1 + (len(wave) - 200) // 80, 13)
        assert feats.dtype == np.float32 and np.all(np.isfinite(feats))
    as_float = spec.transform([w / 32768.0 for w in clips])
    for a, b in zip(features, as_float, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-4)
    # log-mel of speech: most energy below 4 kHz and above the floor
    log_mel = SpectrogramTransformer(sampling_rate=rate).fit_transform(clips)
    assert all(np.median(m) > np.log(1e-10) + 5 for m in log_mel)


@pytest.mark.slow
def test_fsdd_all_clips_are_fast(data_dir):
    clips = [wavfile.read(p)[1] for p in sorted(_fsdd(data_dir).glob("*.wav"))]
    spec = SpectrogramTransformer(sampling_rate=SR, normalise=True)
    start = time.perf_counter()
    features = spec.fit_transform(clips)
    elapsed = time.perf_counter() - start
    assert len(features) == len(clips) and features[0].shape[1] == 40
    assert elapsed < 5, f"{len(clips)} clips took {elapsed:.1f} s"


def test_trim_db_drops_leading_and_trailing_silence_only():
    rng = np.random.RandomState(0)
    tone = np.sin(2 * np.pi * 440 * np.arange(4000) / SR)
    quiet = 1e-3 * rng.standard_normal(1600)  # 0.2 s, 60 dB below the tone
    gap = 1e-3 * rng.standard_normal(800)
    clip = np.concatenate([quiet, tone, gap, tone, quiet])
    spec = SpectrogramTransformer(sampling_rate=SR, output="log", trim_db=30)
    trimmed = spec.fit_transform([clip, tone])
    full = spec.set_params(trim_db=None).transform([clip, tone])
    # 0.2 s of quiet is 20 hops of 10 ms at each end; frames touching the
    # tone stay, and so does the quiet gap between the tones
    n = len(trimmed[0])
    assert len(full[0]) - n in range(34, 41)
    lead = [a for a in range(20) if np.array_equal(full[0][a : a + n], trimmed[0])]
    assert len(lead) == 1 and 17 <= lead[0] <= 20
    np.testing.assert_array_equal(trimmed[1], full[1])  # nothing to trim
    # a 2-D array of clips gives a list once trimmed
    out = SpectrogramTransformer(sampling_rate=SR, trim_db=30).fit_transform(
        np.stack([clip, clip[::-1]])
    )
    assert isinstance(out, list) and len(out) == 2


# --- frame stacking ---------------------------------------------------------


@pytest.mark.parametrize("normalise", [False, "mean", True])
@pytest.mark.parametrize("stack", [1, 2, 3, 7])
def test_stack_joins_consecutive_frames(stack, normalise):
    lengths = (4000, 3760, 1000, 200)  # 48, 45, 11 and 1 frames
    clips = [_noise(n, seed=n) for n in lengths]
    base = SpectrogramTransformer(sampling_rate=SR, normalise=normalise)
    frames = base.fit_transform(clips)
    spec = clone(base).set_params(stack=stack).fit(clips)
    stacked = spec.transform(clips)
    assert spec.n_bins_ == stack * base.n_bins_
    np.testing.assert_array_equal(spec.frequencies_, np.tile(base.frequencies_, stack))
    for f, s, n in zip(frames, stacked, lengths, strict=True):
        n_rows = -(-len(f) // stack)
        assert s.shape == (n_rows, stack * 40) and s.dtype == np.float32
        assert len(spec.frame_times(n)) == n_rows
        # row r holds frames r*stack ... r*stack + stack - 1, oldest first;
        # frames past the end repeat the last frame
        idx = np.minimum(np.arange(n_rows * stack), len(f) - 1)
        np.testing.assert_array_equal(s.reshape(n_rows * stack, 40), f[idx])
    # normalisation happens before stacking: the real frames keep their statistics
    if normalise:
        real = stacked[1].reshape(-1, 40)[: len(frames[1])]
        np.testing.assert_allclose(real.mean(axis=0), 0, atol=1e-5)
    # equal-length clips: the same rows as an array
    batch = spec.transform(np.stack([clips[0], clips[0][::-1]]))
    assert isinstance(batch, np.ndarray)
    assert batch.shape == (2, -(-48 // stack), stack * 40)
    np.testing.assert_array_equal(batch[0], stacked[0])


def test_stack_frame_times_are_the_middle_of_each_row():
    spec = SpectrogramTransformer(sampling_rate=SR, stack=3)
    single = SpectrogramTransformer(sampling_rate=SR).frame_times(1000)  # 11 frames
    np.testing.assert_allclose(
        spec.frame_times(1000),
        [single[0:3].mean(), single[3:6].mean(), single[6:9].mean(), single[9:].mean()],
    )


def test_stack_after_trimming():
    tone = np.sin(2 * np.pi * 440 * np.arange(4000) / SR)
    clip = np.concatenate([np.zeros(1600), tone, np.zeros(1600)])
    trimmed = SpectrogramTransformer(sampling_rate=SR, trim_db=30).fit_transform([clip])
    both = SpectrogramTransformer(sampling_rate=SR, trim_db=30, stack=2).fit_transform(
        [clip]
    )
    n = len(trimmed[0])
    assert both[0].shape == (-(-n // 2), 80)
    np.testing.assert_array_equal(both[0][:, :40], trimmed[0][::2])


# --- the floor below each clip's peak ---------------------------------------


@pytest.mark.parametrize("output", ["log", "mel"])
def test_floor_db_raises_values_below_the_clip_peak(output):
    # a loud clip and a quiet one: each is floored below its own peak
    clips = [_noise(1600, seed=1), 0.01 * _tones(1)[0][0][:1200]]
    plain = SpectrogramTransformer(sampling_rate=SR, output=output).fit_transform(clips)
    spec = SpectrogramTransformer(sampling_rate=SR, output=output, floor_db=30)
    floored = spec.fit_transform(clips)
    n_floored = 0
    for a, b in zip(plain, floored, strict=True):
        floor = np.float32(a.max() - 3 * np.log(10))  # 30 dB in natural-log units
        np.testing.assert_allclose(b, np.maximum(a, floor), rtol=1e-6, atol=1e-5)
        assert b.min() >= floor - 1e-5
        n_floored += int((a < floor - 1).any())
    assert n_floored > 0
    # equal-length clips as a 2-D array: each row still uses its own peak
    batch = spec.transform(np.stack([clips[0][:1200], clips[1]]))
    np.testing.assert_allclose(batch[1], floored[1], rtol=1e-6, atol=1e-5)
    loud = spec.transform([clips[0][:1200]])[0]
    np.testing.assert_allclose(batch[0], loud, rtol=1e-6, atol=1e-5)


def test_floor_db_on_power_and_mfcc():
    clips = [_noise(1200, seed=2) * np.linspace(0, 1, 1200) ** 4]  # a fade-in
    power = SpectrogramTransformer(sampling_rate=SR, output="power")
    P = power.fit_transform(clips)[0]
    floored = power.set_params(floor_db=20).transform(clips)[0]
    np.testing.assert_allclose(floored, np.maximum(P, P.max() / 100), rtol=1e-6)
    mel = SpectrogramTransformer(sampling_rate=SR, floor_db=20).fit_transform(clips)[0]
    mfcc = SpectrogramTransformer(sampling_rate=SR, output="mfcc", floor_db=20)
    expected = dct(mel.astype(np.float64), type=2, norm="ortho", axis=-1)[:, :13]
    np.testing.assert_allclose(mfcc.fit_transform(clips)[0], expected, atol=1e-4)


def test_floor_db_gives_recordings_with_different_hiss_the_same_features():
    # the same tones recorded over hiss 60 and 50 dB below them: without a
    # floor the quiet bands follow the hiss, with floor_db=40 both read alike
    rng = np.random.RandomState(0)
    t = np.arange(4000) / SR
    word = np.sin(2 * np.pi * 300 * t) + 0.5 * np.sin(2 * np.pi * 1200 * t)
    hiss = rng.standard_normal(4000) / np.sqrt(2)
    clips = [word + 10 ** (-60 / 20) * hiss, word + 10 ** (-50 / 20) * hiss]
    for floor_db, close in ((None, False), (40, True)):
        spec = SpectrogramTransformer(
            sampling_rate=SR, normalise="mean", floor_db=floor_db
        )
        a, b = spec.fit_transform(clips)
        assert np.allclose(a, b, atol=0.05) is close
        # and with the floor both read like the recording without any hiss
        clean = spec.fit_transform([word])[0]
        assert np.allclose(a, clean, atol=0.05) is close


def test_floor_db_must_be_positive():
    for bad in (0, -10.0):
        with pytest.raises(ValueError, match="floor_db"):
            SpectrogramTransformer(sampling_rate=SR, floor_db=bad).fit([_noise(1000)])


# --- extreme levels ---------------------------------------------------------


def _word_in_silence(seed=0):
    """A tone in digital silence, then quiet hiss: something for trim_db and
    floor_db to act on."""
    rng = np.random.RandomState(seed)
    t = np.arange(2400) / SR
    word = np.sin(2 * np.pi * 440 * t) * np.hanning(t.size)
    return np.concatenate([np.zeros(800), word, 1e-3 * rng.normal(size=800)])


@pytest.mark.parametrize("level", [1e200, 1e300, 2.0**301, 1e308 / 2])
@pytest.mark.parametrize(
    "params",
    [{}, {"normalise": True}, {"output": "mfcc"}, {"output": "log", "stack": 1}],
    ids=["defaults", "normalise", "mfcc", "log"],
)
def test_a_loud_clip_gives_the_features_of_the_clip(params, level):
    """The power of a clip scaled by 1e200 overflows float64: the features
    were inf and NaN.  With mean removal the level cancels, and trim_db and
    floor_db act as on the clip at full scale."""
    clip = _word_in_silence()
    spec = _Spectrogram(sampling_rate=SR, **params)
    expected = spec.fit_transform([clip])[0]
    for X in ([clip * level, clip], np.stack([clip * level, clip])):
        loud, plain = spec.transform(X)
        assert np.all(np.isfinite(loud))
        assert loud.shape == expected.shape  # the same frames trimmed
        np.testing.assert_allclose(loud, expected, atol=1e-4)
        np.testing.assert_array_equal(plain, expected)  # its neighbour is untouched


def test_log_of_a_loud_clip_adds_the_log_of_its_power_scale():
    clip = _word_in_silence()
    spec = SpectrogramTransformer(sampling_rate=SR, output="log", floor_db=40)
    expected = spec.fit_transform([clip])[0]
    for level in (1e200, 1e300):
        loud = spec.transform([clip * level])[0]
        np.testing.assert_allclose(loud, expected + 2 * np.log(level), rtol=1e-6)


@pytest.mark.parametrize(
    "clip",
    [
        np.zeros(2000),
        np.full(2000, 0.5),
        np.full(2000, 1e300),
        np.full(2000, -np.finfo(np.float64).max),
        np.finfo(np.float64).max * np.sin(np.arange(2000.0)),
        np.finfo(np.float32).max * np.sin(np.arange(2000.0, dtype=np.float32)),
        np.finfo(np.float32).tiny * np.sin(np.arange(2000.0, dtype=np.float32)),
        1e-300 * _noise(2000),
        5e-324 * np.sign(_noise(2000)),
    ],
    ids=[
        "zeros",
        "constant",
        "constant 1e300",
        "constant -max",
        "float64 max",
        "float32 max",
        "float32 tiny",
        "1e-300",
        "subnormal",
    ],
)
@pytest.mark.parametrize("output", ["log", "mel", "mfcc"])
@pytest.mark.parametrize("normalise", [False, "mean", True])
# scikit-learn's finiteness check sums X, which overflows near the largest float
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_finite_clips_give_finite_features(clip, output, normalise):
    spec = _Spectrogram(sampling_rate=SR, output=output, normalise=normalise)
    for features in (spec.fit_transform([clip]), spec.transform(clip[None])):
        assert np.all(np.isfinite(features[0]))


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_power_beyond_float32_is_a_clear_error():
    spec = SpectrogramTransformer(sampling_rate=SR, output="power")
    clip = _noise(1000)
    assert np.all(np.isfinite(spec.fit_transform([clip * 1e16])[0]))
    for level in (1e20, 1e200):
        with pytest.raises(ValueError, match="exceeds float32's range"):
            spec.transform([clip * level])
        with pytest.raises(ValueError, match="exceeds float32's range"):
            spec.transform(clip[None] * level)
    big = np.finfo(np.float32).max * np.sign(clip).astype(np.float32)
    with pytest.raises(ValueError, match="output"):
        spec.transform([big])


# --- the defaults: a speech front end ---------------------------------------


def test_defaults_are_the_speech_front_end():
    params = _Spectrogram().get_params()
    assert params["sampling_rate"] is None  # required: no rate is assumed
    assert {k: params[k] for k in PLAIN} == dict(
        fmin=100.0, normalise="mean", trim_db=20.0, floor_db=40.0, stack=3
    )
    rng = np.random.RandomState(0)
    t = np.arange(SR // 2) / SR
    word = np.sin(2 * np.pi * 300 * t) * np.hanning(t.size)
    X = np.stack(
        [np.concatenate([1e-4 * rng.normal(size=2000), word * a]) for a in (0.2, 1.0)]
    )
    default = _Spectrogram(sampling_rate=SR).fit(X)
    out = default.transform(X)
    explicit = SpectrogramTransformer(
        sampling_rate=SR, fmin=100, normalise="mean", trim_db=20, floor_db=40, stack=3
    ).transform(X)
    assert isinstance(out, list)  # trimmed clips differ in length
    for a, b in zip(out, explicit, strict=True):
        np.testing.assert_array_equal(a, b)
    assert default.n_bins_ == 120
    plain = SpectrogramTransformer(sampling_rate=SR).transform(X)
    # the leading near-silence is trimmed, the rows are 3 frames of 30 ms
    assert out[0].shape[0] < plain.shape[1] / 3
    # the level of the recording does not change the features
    np.testing.assert_allclose(out[0], out[1], atol=1e-4)
    # each band's mean over the clip is removed
    np.testing.assert_allclose(out[1].mean(axis=0)[:40], 0, atol=0.2)
