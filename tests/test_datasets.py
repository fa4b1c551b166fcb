"""Loaders (on small files and on ../shared/data) and realistic generators."""

import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from scipy.io import wavfile
from scipy.signal import spectrogram
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import Bunch
from sklearn.utils._param_validation import InvalidParameterError

from sklstm.datasets import (
    DIGIT_WORDS,
    ECG_ANOMALIES,
    _shared,
    find_shared_data,
    load_polarity,
    load_price_csv,
    load_text,
    load_ucr,
    load_wav_folder,
    make_ecg_beats,
    make_price_series,
    make_sentiment_texts,
    make_spoken_words,
    make_text_corpus,
)

# --------------------------------------------------------------------------
# load_wav_folder
# --------------------------------------------------------------------------


def _write_wav(path, samples, rate=8000):
    wavfile.write(path, rate, np.asarray(samples))


def test_load_wav_folder_fsdd_names(tmp_path):
    for name in ["1_bob_10.wav", "1_bob_2.wav", "0_ann_0.wav", "1_ann_0.wav"]:
        _write_wav(tmp_path / name, np.full(100, 16384, dtype=np.int16))
    (tmp_path / "notes.txt").write_text("not audio")
    wavs = load_wav_folder(str(tmp_path))
    assert isinstance(wavs, Bunch)
    # sorted by label, speaker, then numeric index (2 before 10)
    assert [p.rsplit("/", 1)[-1] for p in wavs.filenames] == [
        "0_ann_0.wav",
        "1_ann_0.wav",
        "1_bob_2.wav",
        "1_bob_10.wav",
    ]
    assert wavs.target.tolist() == ["0", "1", "1", "1"]
    assert wavs.speaker.tolist() == ["ann", "ann", "bob", "bob"]
    assert wavs.index.tolist() == [0, 0, 2, 10]
    assert wavs.sampling_rate == 8000
    assert all(x.dtype == np.float32 and x.shape == (100,) for x in wavs.data)
    np.testing.assert_allclose(wavs.data[0], 0.5)
    X, y = load_wav_folder(tmp_path, return_X_y=True)
    assert len(X) == 4 and y.tolist() == wavs.target.tolist()


@pytest.mark.parametrize(
    "samples, expected",
    [
        (np.array([-32768, 0, 16384], dtype=np.int16), [-1.0, 0.0, 0.5]),
        (np.array([0, 128, 192], dtype=np.uint8), [-1.0, 0.0, 0.5]),
        (np.array([-0.25, 0.0, 0.75], dtype=np.float32), [-0.25, 0.0, 0.75]),
    ],
)
def test_load_wav_folder_scales_to_unit_range(tmp_path, samples, expected):
    _write_wav(tmp_path / "a_b_0.wav", samples)
    (wave,) = load_wav_folder(tmp_path).data
    assert wave.dtype == np.float32
    np.testing.assert_allclose(wave, expected)


def test_load_wav_folder_custom_pattern(tmp_path):
    _write_wav(tmp_path / "yes-0042.wav", np.zeros(10, dtype=np.int16))
    _write_wav(tmp_path / "no-0007.wav", np.zeros(10, dtype=np.int16))
    wavs = load_wav_folder(tmp_path, pattern=r"(?P<label>[a-z]+)-(?P<index>\d+)")
    assert wavs.target.tolist() == ["no", "yes"]
    assert wavs.index.tolist() == [7, 42]
    assert wavs.speaker is None
    with pytest.raises(ValueError, match="named group 'label'"):
        load_wav_folder(tmp_path, pattern=r"(?P<word>[a-z]+)-\d+")


def test_load_wav_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="No such folder"):
        load_wav_folder(tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match="No .wav files"):
        load_wav_folder(tmp_path)
    with pytest.raises(TypeError, match="path"):
        load_wav_folder(42)

    bad = tmp_path / "bad"
    bad.mkdir()
    _write_wav(bad / "recording.wav", np.zeros(10, dtype=np.int16))
    with pytest.raises(ValueError, match=r"recording\.wav.*does not match"):
        load_wav_folder(bad)
    with pytest.raises(NotADirectoryError):
        load_wav_folder(bad / "recording.wav")

    stereo = tmp_path / "stereo"
    stereo.mkdir()
    _write_wav(stereo / "1_a_0.wav", np.zeros((10, 2), dtype=np.int16))
    with pytest.raises(ValueError, match=r"1_a_0\.wav.*2 channels.*mono"):
        load_wav_folder(stereo)

    rates = tmp_path / "rates"
    rates.mkdir()
    _write_wav(rates / "1_a_0.wav", np.zeros(10, dtype=np.int16), rate=8000)
    _write_wav(rates / "1_a_1.wav", np.zeros(10, dtype=np.int16), rate=16000)
    with pytest.raises(ValueError, match="different sampling rates.*16000 Hz"):
        load_wav_folder(rates)

    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "1_a_0.wav").write_bytes(b"RIFF\x00\x00not a wave file at all")
    with pytest.raises(ValueError, match=r"1_a_0\.wav: not a readable WAV"):
        load_wav_folder(corrupt)


def test_load_wav_folder_fsdd(data_dir):
    wavs = load_wav_folder(data_dir / "fsdd" / "recordings")
    assert len(wavs.data) == len(wavs.target) == 2000
    assert wavs.sampling_rate == 8000
    assert sorted(set(wavs.speaker)) == ["george", "jackson", "lucas", "nicolas"]
    assert Counter(wavs.target) == {str(d): 200 for d in range(10)}
    assert wavs.index.min() == 0 and wavs.index.max() == 49
    assert wavs.filenames[0].endswith("0_george_0.wav")
    lengths = np.array([len(x) for x in wavs.data]) / wavs.sampling_rate
    assert 0.1 < lengths.min() and lengths.max() < 1.5
    assert all(x.dtype == np.float32 and np.abs(x).max() <= 1 for x in wavs.data)


# --------------------------------------------------------------------------
# load_ucr
# --------------------------------------------------------------------------


@pytest.mark.parametrize("sep", ["\t", ",", "  "])
def test_load_ucr_separators(tmp_path, sep):
    rows = [["1", "0.5", "-1.5", "2e-1"], ["2", "1", "2", "3"]]
    file = tmp_path / "Toy_TRAIN.tsv"
    file.write_text("".join(sep.join(row) + "\n" for row in rows) + "\n")
    data = load_ucr(file)
    assert data.data.shape == (2, 3) and data.data.dtype == np.float64
    np.testing.assert_allclose(data.data[0], [0.5, -1.5, 0.2])
    assert data.target.tolist() == [1, 2] and data.target.dtype.kind == "i"
    X, y = load_ucr(file, return_X_y=True)
    np.testing.assert_array_equal(X, data.data)


def test_load_ucr_labels(tmp_path):
    file = tmp_path / "old.txt"
    file.write_text("  1.0000000e+00  3.0  4.0\n -1.0000000e+00  5.0  6.0\n")
    assert load_ucr(file).target.tolist() == [1, -1]
    file.write_text("0.5 3 4\n1.5 5 6\n")
    assert load_ucr(file).target.tolist() == [0.5, 1.5]
    file.write_text("cat,3,4\ndog,5,6\n")
    assert load_ucr(file).target.tolist() == ["cat", "dog"]


def test_load_ucr_nan_padding_gives_ragged(tmp_path):
    file = tmp_path / "Var.tsv"
    file.write_text("1\t1\t2\t3\n2\t4\tNaN\tNaN\n1\t5\tNaN\t6\n")
    X = load_ucr(file).data
    assert isinstance(X, list) and [len(x) for x in X] == [3, 1, 3]
    assert np.isnan(X[2][1])  # a missing value inside a series is kept


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "holds no series"),
        ("1\t0.1\t0.2\n2\t0.3\tabc\n", r"line 2: value 'abc' in column 3"),
        ("1\t0.1\t0.2\n\n2\t0.3\n", r"line 3: 1 values, but line 1 has 2"),
        ("1\t0.1\n2\n", r"line 2: only a label"),
        ("1\t0.1\t0.2\n2\tNaN\tNaN\n", r"line 2: the series is all NaN"),
    ],
)
def test_load_ucr_malformed(tmp_path, content, message):
    file = tmp_path / "bad.tsv"
    file.write_text(content)
    with pytest.raises(ValueError, match=message):
        load_ucr(file)


def test_load_ucr_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="No such file"):
        load_ucr(tmp_path / "nope.tsv")
    with pytest.raises(IsADirectoryError):
        load_ucr(tmp_path)


def test_load_ucr_ecg5000(data_dir):
    train = load_ucr(data_dir / "ecg5000" / "ECG5000_TRAIN.tsv")
    assert train.data.shape == (500, 140)
    assert np.bincount(train.target).tolist() == [0, 292, 177, 10, 19, 2]
    X, y = load_ucr(data_dir / "ecg5000" / "ECG5000_TEST_binary.tsv", return_X_y=True)
    assert X.shape == (4500, 140) and np.bincount(y).tolist() == [1873, 2627]
    # z-normalised per beat by UCR
    np.testing.assert_allclose(X.mean(axis=1), 0, atol=1e-3)


# --------------------------------------------------------------------------
# load_polarity and load_text
# --------------------------------------------------------------------------


def _polarity_files(folder, pos=b"a gem .\n", neg=b"a mess .\n"):
    (folder / "rt-polarity.pos").write_bytes(pos)
    (folder / "rt-polarity.neg").write_bytes(neg)


def test_load_polarity(tmp_path):
    _polarity_files(tmp_path, pos=b"caf\xe9 au lait \x96 fine . \n\nfunny .\n")
    data = load_polarity(tmp_path)
    assert data.data == ["café au lait – fine .", "funny .", "a mess ."]
    assert data.target.tolist() == [1, 1, 0]
    assert data.target_names[data.target].tolist() == ["pos", "pos", "neg"]
    texts, y = load_polarity(
        (tmp_path / "rt-polarity.neg", tmp_path / "rt-polarity.pos"),
        return_X_y=True,
    )
    assert texts[0] == "a mess ." and y.tolist() == [1, 0, 0]


def test_load_polarity_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="rt-polarity.pos"):
        load_polarity(tmp_path)
    _polarity_files(tmp_path, pos=b"fine .\ncaf\xe9 .\n")
    with pytest.raises(
        ValueError, match=r"rt-polarity.pos, line 2: byte 0xe9.*'utf-8'"
    ):
        load_polarity(tmp_path, encoding="utf-8")
    _polarity_files(tmp_path, pos=b"fine .\n\x81 .\n")  # undefined in cp1252
    with pytest.raises(ValueError, match=r"line 2: byte 0x81.*latin-1"):
        load_polarity(tmp_path)
    assert load_polarity(tmp_path, encoding="latin-1").data[1] == "\x81 ."
    _polarity_files(tmp_path, neg=b"\n  \n")
    with pytest.raises(ValueError, match="rt-polarity.neg: the file holds no"):
        load_polarity(tmp_path)
    with pytest.raises(ValueError, match="pair"):
        load_polarity([tmp_path / "rt-polarity.pos"])


def test_load_polarity_rt(data_dir):
    texts, y = load_polarity(data_dir / "rt_polarity", return_X_y=True)
    assert len(texts) == 10662 and np.bincount(y).tolist() == [5331, 5331]
    assert texts[0].startswith("the rock is destined")
    assert all(t == t.strip() and t for t in texts)
    assert any("é" in t for t in texts)  # decoded from Windows-1252


def test_load_text(tmp_path):
    file = tmp_path / "corpus.txt"
    file.write_bytes(b"\xef\xbb\xbfFirst line.\r\nSecond line.\rThird.\n")
    assert load_text(file) == "First line.\nSecond line.\nThird.\n"
    file.write_bytes(b"ok\nline two \xe9\n")
    with pytest.raises(ValueError, match=r"corpus.txt, line 2: byte 0xe9"):
        load_text(file)
    assert load_text(file, encoding="latin-1").endswith("é\n")
    file.write_bytes(b"  \n")
    with pytest.raises(ValueError, match="empty"):
        load_text(file)
    file.write_bytes(b"text\n\x00\x01\x02")
    with pytest.raises(ValueError, match="line 2: NUL byte"):
        load_text(file)
    with pytest.raises(FileNotFoundError):
        load_text(tmp_path / "missing.txt")


def test_load_text_tiny_shakespeare(data_dir):
    text = load_text(data_dir / "tiny_shakespeare" / "input.txt")
    assert isinstance(text, str) and len(text) == 1115394
    assert text.startswith("First Citizen:") and len(text.split()) == 202651


# --------------------------------------------------------------------------
# load_price_csv
# --------------------------------------------------------------------------

HEADER = "Date,Open,High,Low,Close,Volume\n"


def _csv(tmp_path, rows, header=HEADER):
    file = tmp_path / "prices.csv"
    file.write_text(header + "".join(row + "\n" for row in rows))
    return file


def test_load_price_csv(tmp_path):
    file = _csv(
        tmp_path,
        [
            "03-01-00,1,2,0.5,1.5,100",
            "04-01-00,1.5,2,1,1.75,200",
            "13-01-00,2,3,1,2,50",
        ],
    )
    prices = load_price_csv(file)
    np.testing.assert_array_equal(prices.data, [1.5, 1.75, 2.0])
    assert prices.dates.dtype == np.dtype("datetime64[D]")
    assert prices.dates.astype(str).tolist() == [
        "2000-01-03",
        "2000-01-04",
        "2000-01-13",
    ]
    assert prices.feature_names == ["Close"]
    both = load_price_csv(file, column=["Open", "Volume"])
    assert both.data.shape == (3, 2) and both.data[2].tolist() == [2.0, 50.0]
    assert (
        load_price_csv(file, column=None).feature_names == HEADER.strip().split(",")[1:]
    )


def test_load_price_csv_formats_and_order(tmp_path):
    iso = _csv(tmp_path, ["2020-01-03,1,1,1,3,1", "2020-01-02,1,1,1,2,1"])
    prices = load_price_csv(iso)  # newest first: reversed
    assert prices.dates.astype(str).tolist() == ["2020-01-02", "2020-01-03"]
    assert prices.data.tolist() == [2.0, 3.0]
    us = _csv(tmp_path, ["01/30/2020,1,1,1,3,1", "01/31/2020,1,1,1,2,1"])
    assert str(load_price_csv(us).dates[0]) == "2020-01-30"
    ambiguous = _csv(tmp_path, ["03-01-00,1,1,1,1,1", "04-01-00,1,1,1,2,1"])
    with pytest.raises(ValueError, match="ambiguous.*date_format"):
        load_price_csv(ambiguous)
    got = load_price_csv(ambiguous, date_format="%m-%d-%y").dates.astype(str)
    assert got.tolist() == ["2000-03-01", "2000-04-01"]
    with pytest.raises(ValueError, match=r"line 2: date '03-01-00' does not match"):
        load_price_csv(ambiguous, date_format="%Y-%m-%d")
    timed = _csv(
        tmp_path, ["2020-01-02 09:30:00,1,1,1,1,1", "2020-01-02 09:31:00,1,1,1,2,1"]
    )
    assert load_price_csv(timed).dates.dtype == np.dtype("datetime64[s]")


@pytest.mark.parametrize(
    "rows, kwargs, message",
    [
        (["2020-01-02,1,1,1,,1"], {}, r"line 2: Close is missing"),
        (
            ["2020-01-02,1,1,1,1,1", "2020-01-03,1,1,1,null,1"],
            {},
            r"line 3: Close is 'null'",
        ),
        (["2020-01-02,1,1,1,nan,1"], {}, r"line 2: Close is 'nan', not a finite"),
        (["2020-01-02,1,1,1,1"], {}, r"line 2: 5 fields, but the header has 6"),
        (["yesterday,1,1,1,1,1"], {}, r"line 2: cannot recognise the date 'yesterday'"),
        (
            ["2020-01-02,1,1,1,1,1", "2020-01-04,1,1,1,1,1", "2020-01-03,1,1,1,1,1"],
            {},
            r"line 4: the date '2020-01-03' precedes.*chronological",
        ),
        (
            ["2020-01-02,1,1,1,1,1", "2020-01-02,1,1,1,1,1"],
            {},
            r"line 3: the date '2020-01-02' repeats",
        ),
        (
            ["2020-01-02,1,1,1,1,1"],
            {"column": "Adj Close"},
            r"no column \['Adj Close'\]",
        ),
        (["2020-01-02,1,1,1,1,1"], {"date_column": "Time"}, r"no date column 'Time'"),
        ([], {}, "header but no rows"),
    ],
)
def test_load_price_csv_malformed(tmp_path, rows, kwargs, message):
    with pytest.raises(ValueError, match=message):
        load_price_csv(_csv(tmp_path, rows), **kwargs)


def test_load_price_csv_empty(tmp_path):
    with pytest.raises(ValueError, match="empty"):
        load_price_csv(_csv(tmp_path, [], header=""))


def test_load_price_csv_sp500(data_dir):
    prices = load_price_csv(data_dir / "sp500_daily" / "sp500.csv")
    assert prices.data.shape == prices.dates.shape == (4697,)
    assert (
        str(prices.dates[0]) == "2000-01-03" and str(prices.dates[-1]) == "2018-08-31"
    )
    assert np.all(np.diff(prices.dates) > np.timedelta64(0, "D"))
    assert prices.data.min() == pytest.approx(676.53, abs=0.01)
    assert prices.data.max() == pytest.approx(2914.04, abs=0.01)


# --------------------------------------------------------------------------
# Generators
# --------------------------------------------------------------------------


def test_make_price_series():
    prices = make_price_series(3000, random_state=0)
    assert prices.shape == (3000,) and prices.dtype == np.float64
    assert prices[0] == 100.0 and prices.min() > 0
    np.testing.assert_array_equal(prices, make_price_series(3000, random_state=0))
    assert not np.array_equal(prices, make_price_series(3000, random_state=1))
    returns = np.diff(np.log(prices))
    assert 0.005 < returns.std() < 0.03
    # volatility clustering: big moves follow big moves
    size = np.abs(returns)
    assert np.corrcoef(size[:-1], size[1:])[0, 1] > 0.05
    # mean reversion: tomorrow's return leans against the gap to the 20-day mean
    log_price = np.log(prices)
    mean20 = np.convolve(log_price, np.ones(20) / 20, "valid")
    gap = log_price[19:-1] - mean20[:-1]
    assert np.corrcoef(gap, returns[19:])[0, 1] < -0.03
    assert make_price_series(10, start=50.0, random_state=0)[0] == 50.0
    with pytest.raises(InvalidParameterError, match="volatility"):
        make_price_series(volatility=-1)


def test_make_ecg_beats():
    X, y, kind = make_ecg_beats(
        600, anomaly_fraction=0.5, return_kind=True, random_state=0
    )
    assert X.shape == (600, 140) and X.dtype == np.float32
    assert y.dtype.kind == "i" and y.sum() == 300
    assert Counter(kind[y == 0]) == {k: 60 for k in ECG_ANOMALIES}
    assert np.all(kind[y == 1] == "normal")
    X2, y2 = make_ecg_beats(600, anomaly_fraction=0.5, random_state=0)
    np.testing.assert_array_equal(X, X2)
    # the R peak of a normal beat is about 1, a third into the beat
    normal = X[y == 1]
    assert 0.6 < normal.max(axis=1).mean() < 1.4
    assert abs(np.argmax(normal.mean(axis=0)) - 0.35 * 140) < 5
    assert make_ecg_beats(50, 60, anomaly_fraction=0.1)[1].sum() == 45
    # learnable, but a linear model on raw values misses some kinds
    split = 400
    clf = LogisticRegression(max_iter=2000).fit(X[:split], y[:split])
    assert 0.7 < clf.score(X[split:], y[split:]) < 0.99


def test_make_sentiment_texts():
    texts, y = make_sentiment_texts(1200, random_state=0)
    assert len(texts) == 1200 and isinstance(texts[0], str)
    assert np.bincount(y).tolist() == [600, 600]
    assert all(t.endswith(" .") and t == t.lower() for t in texts)
    assert make_sentiment_texts(1200, random_state=0)[0] == texts
    assert any(" not " in t for t in texts) and any(" but " in t for t in texts)
    # bag of words gets part of the way; word pairs (order) get much further
    train, test = slice(0, 900), slice(900, None)

    def accuracy(ngram_range):
        model = make_pipeline(
            CountVectorizer(ngram_range=ngram_range), LogisticRegression(max_iter=1000)
        )
        model.fit(texts[train], y[train])
        return model.score(texts[test], y[test])

    unigrams, bigrams = accuracy((1, 1)), accuracy((1, 2))
    assert 0.55 < unigrams < 0.8
    assert bigrams > unigrams + 0.1


def test_make_text_corpus():
    text = make_text_corpus(20000, random_state=0)
    words = text.split()
    assert 20000 <= len(words) < 20040
    assert text.endswith(".\n") and text == text.lower()
    assert make_text_corpus(20000, random_state=0) == text
    sentences = [s.split() for s in re.split(r"\.\s*", text) if s]
    assert all(2 <= len(s) <= 25 for s in sentences)
    # a bigram model beats a unigram model on held-out text
    cut = int(0.9 * len(words))
    train, test = words[:cut], words[cut:]
    vocab = len(set(words))
    counts, pairs = Counter(train), Counter(zip(train[:-1], train[1:], strict=True))
    unigram = np.mean([np.log((counts[w] + 1) / (cut + vocab)) for w in test])
    bigram = np.mean(
        [
            np.log((pairs[a, b] + 0.1) / (counts[a] + 0.1 * vocab))
            for a, b in zip(test[:-1], test[1:], strict=True)
        ]
    )
    assert np.exp(-bigram) < 0.5 * np.exp(-unigram)


def _band_energies(waves, n_bands=16, n_parts=3):
    """Log energy in frequency bands, averaged over thirds of each clip."""
    features = []
    for wave in waves:
        _, _, power = spectrogram(wave, fs=8000, nperseg=256, noverlap=128)
        bands = np.array([b.mean(0) for b in np.array_split(np.log(power + 1e-10), 16)])
        parts = np.array_split(np.arange(bands.shape[1]), n_parts)
        features.append(np.concatenate([bands[:, p].mean(1) for p in parts]))
    return np.array(features)


def test_make_spoken_words():
    X, y, speaker = make_spoken_words(300, return_speaker=True, random_state=0)
    assert len(X) == len(y) == 300 and all(x.dtype == np.float32 for x in X)
    assert all(x.ndim == 1 and np.abs(x).max() <= 1 for x in X)
    assert Counter(y) == {word: 30 for word in DIGIT_WORDS}
    assert np.bincount(speaker).tolist() == [75] * 4
    X2, y2 = make_spoken_words(300, random_state=0)
    assert all(np.array_equal(a, b) for a, b in zip(X, X2, strict=True))
    seconds = np.array([len(x) for x in X]) / 8000
    assert 0.1 < seconds.min() and seconds.max() < 1.2 and seconds.std() > 0.1

    # band energies over time tell the words apart; clip length alone does not
    train, test = slice(0, 200), slice(200, None)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    features = _band_energies(X)
    band_score = model.fit(features[train], y[train]).score(features[test], y[test])
    length = np.log(seconds)[:, None]
    length_score = model.fit(length[train], y[train]).score(length[test], y[test])
    assert band_score > 0.6 and length_score < 0.4


def test_make_spoken_words_vocabulary():
    X, y = make_spoken_words(6, words=3, random_state=0)
    assert sorted(set(y)) == ["one", "two", "zero"]
    X, y = make_spoken_words(4, words=["yes", "no"], sampling_rate=16000)
    assert sorted(set(y)) == ["no", "yes"]
    with pytest.raises(ValueError, match="pronounce"):
        make_spoken_words(4, words=["yes", "n0"])
    with pytest.raises(ValueError, match="two distinct"):
        make_spoken_words(4, words=["yes", "yes"])
    with pytest.raises(InvalidParameterError, match="n_speakers"):
        make_spoken_words(4, n_speakers=0)


# --------------------------------------------------------------------------
# find_shared_data
# --------------------------------------------------------------------------


def _data_folder(root):
    """A ``shared/data`` folder under ``root`` with one data set in it."""
    data = root / "shared" / "data"
    (data / "fsdd" / "recordings").mkdir(parents=True)
    (data / "sp500_daily").mkdir()
    (data / "sp500_daily" / "sp500.csv").write_text("Date,Close\n")
    return data


def test_find_shared_data_environment_variable(tmp_path, monkeypatch):
    data = _data_folder(tmp_path)
    monkeypatch.setenv("SKLSTM_DATA", str(data))
    assert find_shared_data() == data
    assert find_shared_data("fsdd/recordings") == data / "fsdd" / "recordings"
    assert find_shared_data(Path("sp500_daily") / "sp500.csv").is_file()
    assert find_shared_data("ecg5000") is None
    with pytest.raises(FileNotFoundError, match="'ecg5000' was not found.*SKLSTM_DATA"):
        find_shared_data("ecg5000", required=True)

    # an explicit folder is the only place looked at, even when it is missing
    monkeypatch.setenv("SKLSTM_DATA", str(tmp_path / "missing"))
    assert find_shared_data() is None and find_shared_data("fsdd") is None
    with pytest.raises(FileNotFoundError, match="The data folder was not found"):
        find_shared_data(required=True)


@pytest.mark.parametrize("cwd", [".", "main", "main/examples"])
def test_find_shared_data_relative_to_the_working_directory(tmp_path, monkeypatch, cwd):
    data = _data_folder(tmp_path)
    monkeypatch.setenv("SKLSTM_DATA", "")  # empty: as if unset
    monkeypatch.setattr(_shared, "_CHECKOUT", tmp_path / "elsewhere" / "sklstm")
    (tmp_path / cwd).mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(tmp_path / cwd)
    assert find_shared_data("fsdd/recordings") == data / "fsdd" / "recordings"

    (tmp_path / "a" / "b" / "c").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "a" / "b" / "c")  # three levels below the data
    assert find_shared_data("fsdd/recordings") is None


def test_find_shared_data_beside_the_checkout(tmp_path, monkeypatch):
    data = _data_folder(tmp_path)
    monkeypatch.delenv("SKLSTM_DATA", raising=False)
    monkeypatch.setattr(_shared, "_CHECKOUT", tmp_path / "main")
    monkeypatch.chdir(_data_folder(tmp_path / "other").parent)  # not searched first
    assert find_shared_data() == data
    assert find_shared_data("sp500_daily/sp500.csv").is_file()


def test_find_shared_data_checks_the_name():
    with pytest.raises(TypeError, match="got int"):
        find_shared_data(3)
