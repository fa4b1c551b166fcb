"""augment_channels: layout, the filters' effect, reproducibility, errors."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from sklstm import LSTMTranscriber, SpectrogramTransformer, augment_channels

SR = 8000


def tones(freqs, n=4000, sr=SR):
    t = np.arange(n) / sr
    return sum(np.sin(2 * np.pi * f * t) for f in freqs)


def band_db(x, freq, sr=SR):
    """Level (dB) of the spectrum of the second half of x (past the filters'
    start-up) at ``freq``."""
    x = x[len(x) // 2 :]
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return 20 * np.log10(spec[round(freq * len(x) / sr)])


def test_layout_ragged_and_2d():
    rng = np.random.default_rng(0)
    ragged = [rng.normal(size=n) for n in (300, 500, 400)]
    X, y = augment_channels(ragged, ["a", "b", "c"], sampling_rate=SR, random_state=0)
    assert isinstance(X, list) and len(X) == 9
    assert [len(x) for x in X] == [300, 500, 400] * 3
    assert_array_equal(y, ["a", "b", "c"] * 3)
    for original, kept in zip(ragged, X[:3], strict=True):
        assert_array_equal(original, kept)
    assert not np.allclose(X[3], ragged[0]) and not np.allclose(X[6], ragged[0])

    X2, y2 = augment_channels(
        np.stack([x[:300] for x in ragged]), [0, 1, 2], sampling_rate=SR
    )
    assert isinstance(X2, np.ndarray) and X2.shape == (9, 300)
    assert_array_equal(y2, [0, 1, 2] * 3)


def test_integer_pcm_is_scaled_like_the_transformer():
    pcm = (tones([440.0]) * 10000).astype(np.int16)
    X, _ = augment_channels([pcm], [0], sampling_rate=SR, random_state=0)
    assert X[0].dtype == np.float64
    assert np.allclose(X[0], pcm / 32768)


def test_high_pass_cuts_the_rumble_low_pass_the_top():
    x = tones([20.0, 1000.0, 3950.0])
    X, _ = augment_channels([x] * 4, [0] * 4, sampling_rate=SR, random_state=0)
    for original in X[:4]:
        assert band_db(original, 20) > 40 and band_db(original, 3950) > 40
    for copy in X[4:8]:  # high-passed: the 20 Hz tone falls >= 20 dB
        assert band_db(x, 20) - band_db(copy, 20) > 20
        assert abs(band_db(x, 1000) - band_db(copy, 1000)) < 1
    for copy in X[8:]:  # low-passed: the 3950 Hz tone falls >= 20 dB
        assert band_db(x, 3950) - band_db(copy, 3950) > 20
        assert abs(band_db(x, 1000) - band_db(copy, 1000)) < 1.5


def test_each_copy_draws_its_own_cutoff_and_random_state_repeats_them():
    x = np.random.default_rng(1).normal(size=2000)
    a, _ = augment_channels([x] * 3, [0] * 3, sampling_rate=SR, random_state=5)
    b, _ = augment_channels([x] * 3, [0] * 3, sampling_rate=SR, random_state=5)
    c, _ = augment_channels([x] * 3, [0] * 3, sampling_rate=SR, random_state=6)
    for u, v in zip(a, b, strict=True):
        assert_array_equal(u, v)
    assert not np.allclose(a[3], a[4])  # same clip, different cutoffs
    assert not np.allclose(a[3], c[3])


def test_none_leaves_a_filter_out():
    x = [np.random.default_rng(2).normal(size=500)]
    X, y = augment_channels(x, [1], sampling_rate=SR, highpass=None)
    assert len(X) == 2 and list(y) == [1, 1]
    X, y = augment_channels(x, [1], sampling_rate=SR, highpass=None, lowpass=None)
    assert len(X) == 1


def test_label_sequences_as_targets():
    X, y = augment_channels(
        [np.ones(400), np.ones(300)], [[1, 2, 3], [4]], sampling_rate=SR
    )
    assert y.dtype == object and len(y) == 6
    assert y[2] == [1, 2, 3] and y[5] == [4]
    _, y = augment_channels([np.ones(400)] * 2, np.eye(2), sampling_rate=SR)
    assert y.shape == (6, 2)  # multi-output targets keep their columns


def test_augmented_clips_train_a_transcriber():
    # the copies are valid input for the whole speech pipeline
    rng = np.random.default_rng(0)
    clips, words = [], []
    for i in range(8):
        word = ["ab", "ba"][i % 2]
        f = [500.0 if c == "a" else 1500.0 for c in word]
        clips.append(np.concatenate([tones([g], 1200) for g in f]))
        clips[-1] = clips[-1] + 0.01 * rng.normal(size=len(clips[-1]))
        words.append(word)
    X, y = augment_channels(clips, words, sampling_rate=SR, random_state=0)
    spec = SpectrogramTransformer(sampling_rate=SR)  # the speech front end
    model = LSTMTranscriber(hidden_layer_sizes=(16,), max_iter=3, random_state=0)
    model.fit(spec.fit_transform(X), y)
    assert len(model.predict(spec.transform(clips))) == 8


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lowpass": (2000, 4000)}, r"lowpass needs 0 < low <= high < .* 4000"),
        ({"highpass": (300, 80)}, r"highpass needs 0 < low <= high"),
        ({"highpass": (0, 80)}, "highpass"),
        ({"sampling_rate": 0}, "sampling_rate"),
        ({"order": 0}, "order"),
    ],
)
def test_bad_parameters_name_themselves(kwargs, match):
    with pytest.raises(ValueError, match=match):
        augment_channels([np.ones(100)], [0], **{"sampling_rate": SR, **kwargs})


def test_bad_band_type_is_a_type_error():
    with pytest.raises(TypeError, match="highpass must be None or a pair"):
        augment_channels([np.ones(100)], [0], sampling_rate=SR, highpass=(80,))
    with pytest.raises((TypeError, ValueError), match="highpass"):
        augment_channels([np.ones(100)], [0], sampling_rate=SR, highpass="80-300")


def test_bad_inputs():
    with pytest.raises(ValueError, match="X has 2 waveforms, y has 3"):
        augment_channels([np.ones(100)] * 2, [0, 1, 2], sampling_rate=SR)
    with pytest.raises(ValueError, match="'y' parameter .* array-like"):
        augment_channels([np.ones(100)], "a", sampling_rate=SR)
    with pytest.raises(ValueError, match="NaN"):
        augment_channels([np.array([0.0, np.nan, 1.0])], [0], sampling_rate=SR)
    with pytest.raises(ValueError, match="1-D"):
        augment_channels([np.ones((100, 2))], [0], sampling_rate=SR)
