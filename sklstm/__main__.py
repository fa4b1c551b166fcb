# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""Command line: ``python -m sklstm demo``, installed as ``sklstm demo``.

The demo trains sklstm's estimators with their default settings and prints
a result table: each task's metric (and whether higher or lower is better)
for the sklstm model beside a cheap baseline fitted in the same run, the
epochs and the seconds; notes under the table say what each baseline is.
By default every row uses built-in generated data: it needs no downloads and
takes a minute or two on two idle CPU cores (the memory and adding rows
train until early stopping and take most of it).

With ``--data-dir PATH`` (default: the ``SKLSTM_DATA`` environment
variable), rows whose real dataset is found under ``PATH`` use it instead:
``sp500_daily/sp500.csv`` for the forecasting row (the S&P 500), ``ecg5000/``
for the ECG row, ``rt_polarity/`` for sentiment, ``tiny_shakespeare/`` for
next words and ``fsdd/recordings/`` for the three speech rows.  A row whose
files are missing falls back to generated data and says so in its task text.
"""

import argparse
import importlib
import os
import sys
import textwrap
import time
import warnings
from pathlib import Path
from typing import NamedTuple

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from scipy.signal import lfilter, resample_poly
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import IsolationForest
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import mean_absolute_error, mean_squared_error, roc_auc_score
from sklearn.pipeline import make_pipeline

try:
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
        make_sentiment_texts,
        make_spoken_words,
        make_text_corpus,
    )
    from sklstm.metrics import character_error_rate
except ImportError:
    # ``python -m sklstm`` in a folder that holds a folder named sklstm
    # without __init__.py (e.g. above a checkout): the current directory
    # comes first on sys.path, so Python takes that folder for a namespace
    # package.  A regular install is found anyway (a regular package beats
    # a namespace portion); an editable install's finder runs after the
    # path search and only provides this file.  Nothing here can undo that
    # without rewriting the import state: say what happened instead.
    import sklstm as _found

    if getattr(_found, "__file__", None) is not None:  # a real import error
        raise
    sys.exit(
        f"python -m sklstm: Python took the folder {list(_found.__path__)[0]}\n"
        "(no __init__.py) for the package sklstm, since the current directory\n"
        "comes first on its import path; the installed sklstm\n"
        f"({Path(__file__).resolve().parent}) is not imported, and\n"
        "'import sklstm' in scripts run from this folder fails alike.  Run\n"
        "  sklstm demo                the installed command, or\n"
        "  python -P -m sklstm demo   Python 3.11+: current directory left out, or\n"
        "  python -m sklstm demo      from another folder."
    )

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
# Rows: each takes (seed, data_dir) and returns a Row, or a list of them.
# data_dir is a Path or None; a row that has a real dataset reads it from
# there when present.
# --------------------------------------------------------------------------

# Whether a higher or a lower figure is better, for every metric of a row.
BETTER = {
    "accuracy": "higher",
    "ROC AUC": "higher",
    "test MSE": "lower",
    "test MAE": "lower",
    "perplexity": "lower",
    "CER": "lower",
}


class Row(NamedTuple):
    """One line of the table, and a note printed under it (or None)."""

    task: str
    metric: str  # a key of BETTER
    score: float
    baseline: float
    baseline_name: str
    seconds: float  # to fit; for the VTLN row, to adapt and predict
    epochs: int | None  # None: no training in this row
    note: str | None = None


def _memory_row(seed, data_dir):
    X, y = make_memory_task(2000, 101, random_state=seed)
    X_test, y_test = make_memory_task(500, 101, random_state=seed + 1)
    t0 = time.perf_counter()
    clf = LSTMClassifier(random_state=seed).fit(X, y)
    seconds = time.perf_counter() - t0
    base = DummyClassifier().fit(X[:, -1], y).score(X_test[:, -1], y_test)
    return Row(
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
    return Row(
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
    return Row(
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
    return Row(
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


# The VTLN row plays every test clip LOWER_VOICE times as long (resampled
# from 5 samples to 6), which divides every frequency, pitch and formants,
# by 1.2: the voice of a longer vocal tract.
LOWER_VOICE = (6, 5)


def _lower_voices(clips):
    """``clips`` resampled to sound deeper (see ``LOWER_VOICE``)."""
    up, down = LOWER_VOICE
    return [resample_poly(clip, up, down).astype(np.float32) for clip in clips]


def _spoken_word_rows(seed, data_dir):
    """Two rows from one fit: the words, then the same model on the test
    clips made deeper, adapted to each speaker (a mel warp per speaker,
    chosen without labels) against it unadapted."""
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
    base = DummyClassifier().fit(X, y).score(X_test, y_test)
    deeper = _lower_voices(X_test)
    t0 = time.perf_counter()
    adapted = model.score(deeper, y_test, groups=speaker)
    adapt_seconds = time.perf_counter() - t0
    up, down = LOWER_VOICE
    note = (
        f"VTLN: the same model on the same test clips resampled to last "
        f"{up / down:g} times as long, which divides every frequency (pitch "
        f"and formants) by {up / down:g}, as a deeper voice would; "
        "SpeakerAdaptedClassifier "
        "picks one mel-filter warp per speaker from that speaker's clips alone "
        "(no labels, no refit).  Its seconds are the time to choose the "
        "warps and predict."
    )
    return [
        Row(
            task,
            "accuracy",
            plain,
            base,
            "majority class",
            seconds,
            model.estimator_[-1].n_iter_,
        ),
        Row(
            "  deeper voices, adapted per speaker (VTLN)",
            "accuracy",
            adapted,
            model.estimator_.score(deeper, y_test),
            "unadapted",
            adapt_seconds,
            None,
            note,
        ),
    ]


def _constant_transcript(y):
    """The transcript of ``y`` that, given for every sample, has the lowest
    character error rate on ``y`` (the first in sorted order on a tie)."""
    candidates = np.unique(np.asarray(y, dtype=object).astype(str))
    cers = [character_error_rate(y, [word] * len(y)) for word in candidates]
    return str(candidates[int(np.argmin(cers))])


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
    # baseline: one transcript for every clip, the best on the training set
    word = _constant_transcript(y)
    note = (
        "CER: character edits per reference character.  Its baseline spells "
        f"every clip {word!r}, the training transcript with the lowest CER "
        "on the training transcripts; the most frequent word can score above "
        "1 (a wrong word can need more edits than the reference has letters)."
    )
    return Row(
        task,
        "CER",
        character_error_rate(y_test, model.predict(X_test)),
        character_error_rate(y_test, [word] * len(y_test)),
        f"always {word!r}",
        seconds,
        model[-1].n_iter_,
        note,
    )


FORECAST_WINDOW = 30  # values per input window
FORECAST_TEST_FRACTION = 0.2  # the latest windows, in time order
FORECAST_MAX_ITER = 30  # bounds the time; early stopping may end sooner
# The generated series: a damped cycle driven by noise, an AR(2) process
# x[t] = a1 x[t-1] + a2 x[t-2] + e[t] around a level of 100 (e ~ N(0, 1)),
# of period about CYCLE_PERIOD days; its momentum is learnable, but
# persistence (tomorrow = today) cannot use it.
CYCLE_PERIOD = 20
CYCLE_DAMPING = 0.95
CYCLE_LEVEL = 100.0
RANDOM_WALK = "daily closes are close to a random walk, which no model beats by much"


def _cycle_coefficients():
    """``(a1, a2)`` of the generated cycle's AR(2) recursion."""
    angle = 2 * np.pi / CYCLE_PERIOD
    return 2 * CYCLE_DAMPING * np.cos(angle), -(CYCLE_DAMPING**2)


def _make_cycle(n_samples, random_state):
    """``n_samples`` days of the generated cycle (a 200-day burn-in dropped)."""
    a1, a2 = _cycle_coefficients()
    shocks = np.random.RandomState(random_state).standard_normal(n_samples + 200)
    return CYCLE_LEVEL + lfilter([1.0], [1.0, -a1, -a2], shocks)[200:]


def _forecast_windows(series):
    """Chronological split of ``FORECAST_WINDOW``-value windows into train
    and test.

    The ``FORECAST_WINDOW`` windows just before the first test window are
    dropped, so no training window (inputs or target) shares a value with a
    test window.
    """
    X, y = sliding_windows(series, FORECAST_WINDOW)
    start = len(X) - int(round(FORECAST_TEST_FRACTION * len(X)))
    train = slice(0, start - FORECAST_WINDOW)
    return (X[train], y[train]), (X[start:], y[start:])


def _forecast_row(seed, data_dir):
    """The next value of a series: the S&P 500 when found, else the
    generated cycle; ``WindowScaledRegressor`` against persistence."""
    files = _real_files(data_dir, SP500_FILE)
    if files is not None:
        series = load_price_csv(files[0]).data
        task = "stock: S&P 500 next close"
    else:
        series = _make_cycle(2000, seed)
        task = _generated(
            f"forecast: next day of a noisy {CYCLE_PERIOD}-day cycle",
            data_dir,
            "forecast: noisy cycle, generated (no sp500.csv)",
        )
    (X, y), (X_test, y_test) = _forecast_windows(series)
    lstm = LSTMRegressor(  # WindowScaledRegressor's default, capped and seeded
        validation_split="last",
        normalise_y=False,
        max_iter=FORECAST_MAX_ITER,
        random_state=seed,
    )
    t0 = time.perf_counter()
    model = WindowScaledRegressor(lstm).fit(X, y)
    seconds = time.perf_counter() - t0
    if files is not None:
        note = (
            f"stock: {RANDOM_WALK}; beating persistence (tomorrow's close = "
            "today's) by about 1 % is the honest result."
        )
    else:
        a1, a2 = _cycle_coefficients()
        best = CYCLE_LEVEL + a1 * (X_test[:, -1] - CYCLE_LEVEL)
        best += a2 * (X_test[:, -2] - CYCLE_LEVEL)
        note = (
            f"forecast: a damped {CYCLE_PERIOD}-day cycle driven by noise, an "
            f"AR(2) process; persistence (tomorrow = today) ignores its "
            f"momentum.  The process's own formula, the best any forecast can "
            f"do on average, scores MAE {mean_absolute_error(y_test, best):.3f}.  "
            f"Real {RANDOM_WALK}: on the S&P 500 (--data-dir), the same model's "
            "MAE is about 0.99 times persistence's (README)."
        )
    return Row(
        task,
        "test MAE",
        mean_absolute_error(y_test, model.predict(X_test)),
        mean_absolute_error(y_test, X_test[:, -1]),  # tomorrow = today
        "persistence",
        seconds,
        model.regressor_.n_iter_,
        note,
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
    return Row(task, "ROC AUC", auc, base, "IsolationForest", seconds, det.n_iter_)


ROWS = [
    _memory_row,
    _adding_row,
    _forecast_row,
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


GENERAL_NOTES = (
    "better: whether a higher or a lower figure is better.  Every figure, "
    "baselines included, is computed in this run, on test data that no model "
    "was fitted on.  seconds: time to fit."
)


def _wrap(note, width):
    return textwrap.fill(note, width, subsequent_indent="  ")


def _run_row(make_rows, seed, data_dir):
    """One entry of ``ROWS``: a row, or a list of rows.  ``make_rows`` may
    be given by name (as the processes of ``n_jobs`` receive it)."""
    if isinstance(make_rows, str):
        make_rows = getattr(importlib.import_module("sklstm.__main__"), make_rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return make_rows(seed, data_dir)


def _made_rows(seed, data_dir, n_jobs):
    """The rows of ``ROWS`` in order, made one after the other or by
    ``n_jobs`` processes (rows by name, so that each process imports them)."""
    module = sys.modules[__name__]
    named = all(getattr(module, f.__name__, None) is f for f in ROWS)
    if effective_n_jobs(n_jobs) == 1 or not named:
        return (_run_row(f, seed, data_dir) for f in ROWS)
    tasks = (delayed(_run_row)(f.__name__, seed, data_dir) for f in ROWS)
    return Parallel(n_jobs=n_jobs, return_as="generator")(tasks)


def demo(seed=0, out=sys.stdout, data_dir=None, n_jobs=1):
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
    n_jobs : int or None, default=1
        Rows trained at once, each in its own process (joblib; None or -1:
        one per CPU core).  Each process gets an equal share of the cores
        for its BLAS threads: small LSTMs use two cores better as two fits
        on one thread each than as one fit on two threads.  The table is
        printed in its order either way.

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
        f"{'task':<48} {'metric':<11} {'better':<6} {'sklstm':>8} {'baseline':>9}  "
        f"{'(baseline)':<17} {'epochs':>6} {'seconds':>8}"
    )
    print(header, file=out)
    print("-" * len(header), file=out)
    rows, notes = [], [GENERAL_NOTES]
    for made in _made_rows(seed, data_dir, n_jobs):
        for row in made if isinstance(made, list) else [made]:
            row = Row(*row)
            rows.append((row.task, row.metric, row.score, row.baseline))
            epochs = "-" if row.epochs is None else f"{row.epochs:d}"
            print(
                f"{row.task:<48} {row.metric:<11} {BETTER[row.metric]:<6} "
                f"{row.score:>8.3f} {row.baseline:>9.3f}  "
                f"{row.baseline_name:<17} {epochs:>6} {row.seconds:>8.1f}",
                file=out,
                flush=True,
            )
            if row.note is not None:
                notes.append(row.note)
    print("\n" + "\n".join(_wrap(note, len(header)) for note in notes), file=out)
    return rows


DESCRIPTION = """\
sklstm: LSTM networks as scikit-learn estimators.

demo: train sklstm's estimators with their default settings and print a
table of results, each beside a cheap baseline fitted in the same run, with
whether a higher or a lower figure is better.  By default every row uses
built-in generated data: no downloads, a minute or two on two CPU cores."""

EPILOG = """\
With --data-dir PATH (default: $SKLSTM_DATA), rows whose real dataset is
found under PATH use it instead: sp500_daily/sp500.csv (forecasting),
ecg5000/ (ECG), rt_polarity/ (sentiment), tiny_shakespeare/ (next words),
fsdd/recordings/ (speech).  A row whose files are missing uses generated
data and says so.

Installed, the same command is also available as: sklstm demo"""


def _prog():
    """``python -m sklstm`` when run so, else the name of the command."""
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    return "python -m sklstm" if name in ("", "__main__.py", "-m", "-c") else name


def main(argv=None):
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``)."""
    parser = argparse.ArgumentParser(
        prog=_prog(),
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_demo = sub.add_parser(
        "demo",
        help="train on built-in data, print a result table",
        description=DESCRIPTION.split("\n\n", 1)[1],
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
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
    p_demo.add_argument(
        "--jobs",
        type=int,
        default=-1,
        metavar="N",
        help="rows trained at once, each in its own process (default -1: one "
        "per CPU core; 1: one after the other)",
    )
    args = parser.parse_args(argv)
    if args.command == "demo":
        demo(seed=args.seed, data_dir=args.data_dir, n_jobs=args.jobs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
