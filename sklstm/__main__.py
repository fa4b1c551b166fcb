# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""Command line: ``python -m sklstm demo``.

The demo trains sklstm's estimators with their default settings and prints
a result table (task, metric, model, baseline, training time).  By default
every row uses built-in generated data: it needs no downloads and takes a
minute or two on two idle CPU cores (the memory and adding rows train
until early stopping and take most of it).

With ``--data-dir PATH`` (default: the ``SKLSTM_DATA`` environment
variable), rows whose real dataset is found under ``PATH`` use it instead:
``sp500_daily/sp500.csv`` for the stock row, ``ecg5000/`` for the ECG
row, ``rt_polarity/`` for sentiment, ``tiny_shakespeare/`` for next words
and ``fsdd/recordings/`` for the two speech rows.  A row whose files are
missing falls back to generated data and says so in its task text.
"""

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import IsolationForest
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import mean_absolute_error, mean_squared_error, roc_auc_score
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
    WindowScaledRegressor,
    __version__,
    sliding_windows,
)
from sklstm.datasets import (
    DIGIT_WORDS,
    load_polarity,
    load_price_csv,
    load_text,
    load_ucr,
    load_wav_folder,
    make_adding_problem,
    make_ecg_beats,
    make_memory_task,
    make_price_series,
    make_sentiment_texts,
    make_spoken_words,
    make_text_corpus,
)
from sklstm.metrics import character_error_rate

# Files each row looks for under the data folder.
SP500_FILE = Path("sp500_daily") / "sp500.csv"
ECG5000_FILES = (
    Path("ecg5000") / "ECG5000_TRAIN.tsv",
    Path("ecg5000") / "ECG5000_TEST_binary.tsv",
)
MR_FILES = (
    Path("rt_polarity") / "rt-polarity.pos",
    Path("rt_polarity") / "rt-polarity.neg",
)
SHAKESPEARE_FILE = Path("tiny_shakespeare") / "input.txt"
FSDD_FILE = Path("fsdd") / "recordings" / "0_george_0.wav"
LM_WORDS = 20_000  # words of the corpus the next-word row trains on
LM_MAX_ITER = 8  # bounds the time of the next-word row


def _real_files(data_dir, *relative):
    """The files under ``data_dir`` if all of them exist, else None."""
    if data_dir is None:
        return None
    paths = [Path(data_dir) / name for name in relative]
    return paths if all(path.is_file() for path in paths) else None


def _generated(task, data_dir, fallback):
    """Task text for a row on generated data: ``fallback`` with a data dir."""
    return task if data_dir is None else fallback


# --------------------------------------------------------------------------
# Rows: each takes (seed, data_dir) and returns (task, metric, score,
# baseline, baseline name, train seconds, epochs).  data_dir is a Path or
# None; a row that has a real dataset reads it from there when present.
# --------------------------------------------------------------------------


def _memory_row(seed, data_dir):
    X, y = make_memory_task(2000, 101, random_state=seed)
    X_test, y_test = make_memory_task(500, 101, random_state=seed + 1)
    t0 = time.perf_counter()
    clf = LSTMClassifier(random_state=seed).fit(X, y)
    seconds = time.perf_counter() - t0
    base = DummyClassifier().fit(X[:, -1], y).score(X_test[:, -1], y_test)
    return (
        "memory: class set by step 1 of 101",
        "accuracy",
        clf.score(X_test, y_test),
        base,
        "majority class",
        seconds,
        clf.n_iter_,
    )


def _adding_row(seed, data_dir):
    X, y = make_adding_problem(2000, 50, random_state=seed)
    X_test, y_test = make_adding_problem(500, 50, random_state=seed + 1)
    t0 = time.perf_counter()
    # capped: the loss keeps improving slowly for 130+ epochs (tol is
    # relative to the first epoch's loss), 60 are far below the baseline
    reg = LSTMRegressor(max_iter=60, random_state=seed).fit(X, y)
    seconds = time.perf_counter() - t0
    mse = mean_squared_error(y_test, reg.predict(X_test))
    base = mean_squared_error(
        y_test, DummyRegressor().fit(X[:, 0], y).predict(X_test[:, 0])
    )
    return (
        "adding problem, 50 steps (60 epochs)",
        "test MSE",
        mse,
        base,
        "predict the mean",
        seconds,
        reg.n_iter_,
    )


def _classifier_row(task, model, X, y, X_test, y_test):
    """Fit a classifier pipeline; its row against the majority class."""
    t0 = time.perf_counter()
    model.fit(X, y)
    seconds = time.perf_counter() - t0
    base = DummyClassifier().fit(X, y).score(X_test, y_test)
    return (
        task,
        "accuracy",
        model.score(X_test, y_test),
        base,
        "majority class",
        seconds,
        model[-1].n_iter_,
    )


def _sentiment_row(seed, data_dir):
    files = _real_files(data_dir, *MR_FILES)
    if files is not None:
        data = load_polarity(files[0].parent)
        texts, y = np.array(data.data, dtype=object), data.target
        order = np.random.RandomState(0).permutation(len(texts))
        texts, y = texts[order], y[order]
        n = int(0.9 * len(texts))
        (X, y), (X_test, y_test) = (texts[:n], y[:n]), (texts[n:], y[n:])
        task = "sentiment: MR movie-review sentences"
    else:
        X, y = make_sentiment_texts(1000, random_state=seed)
        X_test, y_test = make_sentiment_texts(500, random_state=seed + 1)
        task = _generated(
            "sentiment: generated review sentences",
            data_dir,
            "sentiment: generated (no rt_polarity)",
        )
    model = make_pipeline(
        Embedder(random_state=seed), LSTMClassifier(random_state=seed)
    )
    return _classifier_row(task, model, X, y, X_test, y_test)


def _next_word_row(seed, data_dir):
    files = _real_files(data_dir, SHAKESPEARE_FILE)
    if files is not None:
        words = load_text(files[0]).split(" ")
        task = f"next word: Shakespeare, {LM_WORDS // 1000}k words"
    else:
        words = make_text_corpus(LM_WORDS * 10 // 9, random_state=seed).split(" ")
        task = _generated(
            "next word: generated English-like text",
            data_dir,
            "next word: generated (no tiny_shakespeare)",
        )
    n = int(0.9 * min(len(words), LM_WORDS * 10 // 9))
    embedder = Embedder(random_state=seed)
    X = embedder.fit_transform([" ".join(words[:n])])
    X_test = embedder.transform([" ".join(words[n : n * 10 // 9])])
    lm = LSTMLanguageModel(max_iter=LM_MAX_ITER, random_state=seed)
    t0 = time.perf_counter()
    lm.fit(X)
    seconds = time.perf_counter() - t0
    # unigram model of the training tokens (add-one), the baseline
    counts = np.bincount(X._ids, minlength=len(embedder.words_))[1:] + 1.0
    logp = np.log(counts / counts.sum())
    unigram = float(np.exp(-np.mean(logp[X_test._ids[1:] - 1])))
    return (
        task,
        "perplexity",
        lm.perplexity(X_test),
        unigram,
        "unigram",
        seconds,
        lm.n_iter_,
    )


def _speech_data(seed, data_dir):
    """Spoken digits: FSDD's usual split (recordings 0-4 of each speaker
    are the test set), or generated clips of four other speakers.  The
    last item is the speaker of each test clip."""
    files = _real_files(data_dir, FSDD_FILE)
    if files is not None:
        wavs = load_wav_folder(files[0].parent)
        test = wavs.index < 5
        X = [wave for wave, t in zip(wavs.data, test, strict=True) if not t]
        X_test = [wave for wave, t in zip(wavs.data, test, strict=True) if t]
        words = np.array(DIGIT_WORDS)[wavs.target.astype(int)]
        train, test_ = (X, words[~test]), (X_test, words[test])
        return train, test_, "FSDD spoken digits", True, wavs.speaker[test]
    X, y = make_spoken_words(600, random_state=seed)
    X_test, y_test, speaker = make_spoken_words(
        300, return_speaker=True, random_state=seed + 1
    )
    return (X, y), (X_test, y_test), "generated spoken digits", False, speaker


def _speech_features(stack):
    """The default speech front end (log-mel frames from 100 Hz with the
    silence trimmed, floored 40 dB below the clip's peak and the clip's mean
    removed), ``stack`` frames per LSTM step (3 by default)."""
    return SpectrogramTransformer(sampling_rate=8000, stack=stack)


def _spoken_word_rows(seed, data_dir):
    """Two rows from one fit: the words, then the same model adapted to
    each test speaker (a mel warp per speaker), against it unadapted."""
    (X, y), (X_test, y_test), name, real, speaker = _speech_data(seed, data_dir)
    task = f"speech: word, {name}"
    if not real:
        task = _generated(task, data_dir, "speech: word, generated (no fsdd)")
    # bidirectional, 30 ms steps: better on FSDD (benchmarks/bench_speech.py)
    model = SpeakerAdaptedClassifier(
        make_pipeline(
            _speech_features(stack=3),
            Normaliser(),
            LSTMClassifier(bidirectional=True, random_state=seed),
        )
    )
    t0 = time.perf_counter()
    model.fit(X, y)
    seconds = time.perf_counter() - t0
    plain = model.estimator_.score(X_test, y_test)
    epochs = model.estimator_[-1].n_iter_
    base = DummyClassifier().fit(X, y).score(X_test, y_test)
    return [
        (task, "accuracy", plain, base, "majority class", seconds, epochs),
        (
            "  adapted to each speaker (VTLN)",
            "accuracy",
            model.score(X_test, y_test, groups=speaker),
            plain,
            "unadapted",
            0.0,
            epochs,
        ),
    ]


def _spelling_row(seed, data_dir):
    (X, y), (X_test, y_test), name, real, _ = _speech_data(seed, data_dir)
    task = f"speech: spelling (CTC), {name}"
    if not real:
        task = _generated(task, data_dir, "speech: spelling, generated (no fsdd)")
    model = make_pipeline(
        # 20 ms steps, as the spelling figures were measured: a transcript
        # needs a step per character (at the default 30 ms steps, the
        # transcriber's frame_repeat='auto' reads every step twice on FSDD)
        _speech_features(stack=2),
        Normaliser(),
        LSTMTranscriber(random_state=seed),
    )
    t0 = time.perf_counter()
    model.fit(X, y)
    seconds = time.perf_counter() - t0
    # baseline: spell every clip as the most frequent training word
    common = DummyClassifier().fit(X, y).predict(X_test)
    return (
        task,
        "CER",
        character_error_rate(y_test, model.predict(X_test)),
        character_error_rate(y_test, common),
        "most common word",
        seconds,
        model[-1].n_iter_,
    )


STOCK_WINDOW = 30  # closes per input window
STOCK_TEST_FRACTION = 0.2  # the latest windows, in time order
STOCK_MAX_ITER = 30  # bounds the time; early stopping usually ends sooner


def _stock_windows(prices):
    """Chronological split of 30-close windows into train and test.

    The ``STOCK_WINDOW`` windows just before the first test window are
    dropped, so no training window (inputs or target) shares a close with a
    test window.
    """
    X, y = sliding_windows(prices, STOCK_WINDOW)
    start = len(X) - int(round(STOCK_TEST_FRACTION * len(X)))
    train = slice(0, start - STOCK_WINDOW)
    return (X[train], y[train]), (X[start:], y[start:])


def _stock_row(seed, data_dir):
    files = _real_files(data_dir, SP500_FILE)
    if files is not None:
        prices = load_price_csv(files[0]).data
        task = "stock: S&P 500 next close"
    else:
        # a random walk with drift plus a mean-reverting cycle, with
        # volatility regimes: persistence is hard to beat, as on markets
        prices = make_price_series(2000, random_state=seed)
        task = _generated(
            "stock: next close, generated prices",
            data_dir,
            "stock: next close, generated (no sp500.csv)",
        )
    (X, y), (X_test, y_test) = _stock_windows(prices)
    lstm = LSTMRegressor(  # WindowScaledRegressor's default, capped and seeded
        validation_split="last",
        normalise_y=False,
        max_iter=STOCK_MAX_ITER,
        random_state=seed,
    )
    t0 = time.perf_counter()
    model = WindowScaledRegressor(lstm).fit(X, y)
    seconds = time.perf_counter() - t0
    return (
        task,
        "test MAE",
        mean_absolute_error(y_test, model.predict(X_test)),
        mean_absolute_error(y_test, X_test[:, -1]),  # tomorrow = today
        "persistence",
        seconds,
        model.regressor_.n_iter_,
    )


def _ecg_row(seed, data_dir):
    files = _real_files(data_dir, *ECG5000_FILES)
    if files is not None:
        # train on the normal beats (class 1) of the training file; the test
        # file's labels are 1 = normal, 0 = abnormal
        X, y = load_ucr(files[0], return_X_y=True)
        X_test, y_test = load_ucr(files[1], return_X_y=True)
        task = "ECG5000 anomalies (30 epochs)"
    else:
        X, y = make_ecg_beats(400, random_state=seed)
        X_test, y_test = make_ecg_beats(1000, random_state=seed + 1)
        task = _generated(
            "ECG anomalies (30 epochs)",
            data_dir,
            "ECG anomalies (30 epochs), generated: no ecg5000",
        )
    normal = X[y == 1]  # the detector learns from normal beats only
    t0 = time.perf_counter()
    det = LSTMAnomalyDetector(max_iter=30, random_state=seed).fit(normal)
    seconds = time.perf_counter() - t0
    auc = roc_auc_score(y_test == 1, det.score_samples(X_test))
    iso = IsolationForest(random_state=seed).fit(normal)
    base = roc_auc_score(y_test == 1, iso.score_samples(X_test))
    return (task, "ROC AUC", auc, base, "IsolationForest", seconds, det.n_iter_)


ROWS = [
    _memory_row,
    _adding_row,
    _stock_row,
    _ecg_row,
    _sentiment_row,
    _next_word_row,
    _spoken_word_rows,
    _spelling_row,
]


def _check_data_dir(data_dir):
    """``data_dir`` as a Path (None stays None); a file is an error."""
    if data_dir is None:
        return None
    if not isinstance(data_dir, (str, os.PathLike)):
        raise TypeError(
            f"data_dir must be a path (str or os.PathLike) or None; got "
            f"{type(data_dir).__name__}."
        )
    data_dir = Path(data_dir)
    if data_dir.exists() and not data_dir.is_dir():
        raise ValueError(f"data_dir={str(data_dir)!r} is a file, not a folder.")
    return data_dir


def demo(seed=0, out=sys.stdout, data_dir=None):
    """Train the default estimators and print a result table.

    Parameters
    ----------
    seed : int, default=0
        Seeds the generated data and the models.
    out : file-like, default=sys.stdout
        Where the table is written.
    data_dir : str, os.PathLike or None, default=None
        Folder of real datasets (``sp500_daily/``, ``ecg5000/``, ``fsdd/``,
        ...).  Rows whose files are found there use them; the others, and
        every row when None or when the folder does not exist, use generated
        data.

    Returns
    -------
    rows : list of tuple
        ``(task, metric, sklstm score, baseline score)`` per row.
    """
    data_dir = _check_data_dir(data_dir)
    if data_dir is None:
        source = "generated data"
    elif data_dir.is_dir():
        source = f"real data from {data_dir} where found, else generated data"
    else:
        source = f"generated data ({data_dir} not found)"
    print(
        f"sklstm {__version__} demo: default estimators on {source} (no downloads)\n",
        file=out,
    )
    header = (
        f"{'task':<48} {'metric':<10} {'sklstm':>8} {'baseline':>9}  "
        f"{'(baseline)':<17} {'epochs':>6} {'train s':>8}"
    )
    print(header, file=out)
    print("-" * len(header), file=out)
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for make_rows in ROWS:
            made = make_rows(seed, data_dir)  # a row, or a list of rows
            for row in made if isinstance(made, list) else [made]:
                task, metric, score, base, base_name, seconds, epochs = row
                rows.append((task, metric, score, base))
                print(
                    f"{task:<48} {metric:<10} {score:>8.3f} {base:>9.3f}  "
                    f"{base_name:<17} {epochs:>6d} {seconds:>8.1f}",
                    file=out,
                    flush=True,
                )
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m sklstm",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_demo = sub.add_parser("demo", help="train on built-in data, print a result table")
    p_demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p_demo.add_argument(
        "--data-dir",
        type=Path,
        default=os.environ.get("SKLSTM_DATA") or None,
        metavar="PATH",
        help="folder of real datasets (sp500_daily/, ecg5000/, rt_polarity/, "
        "tiny_shakespeare/, fsdd/); rows whose "
        "files are missing use generated data (default: $SKLSTM_DATA if set, "
        "else generated data only)",
    )
    args = parser.parse_args(argv)
    if args.command == "demo":
        demo(seed=args.seed, data_dir=args.data_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
