# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""Every use case's plainest pipeline, at the defaults, beside its cheap baseline.

Each row is what a user writes from the README, no parameter changed but
``random_state`` (and the sampling rate the recordings have), measured on
data it was not tuned on, with the simple baseline fitted in the same run:

* ``words``: ``make_pipeline(SpectrogramTransformer(sampling_rate=8000),
  Normaliser(), LSTMClassifier())`` on FSDD, leave-one-speaker-out (train on
  three speakers, test on the fourth, each in turn) and the usual split
  (recordings 0-4 of everybody are the test set); baselines: the majority
  class, and a logistic regression on each clip's mean log-mel frame;
* ``spelling``: the same front end -> ``Normaliser()`` ->
  ``LSTMTranscriber()`` on the digit names (``'seven'``), leave-one-speaker-
  out; character error rate with the default decoder (``decoder_``) and,
  from the same fit, greedy decoding; baseline: always the training
  transcript with the lowest CER on the training set;
* ``text``: ``make_pipeline(Embedder(), LSTMClassifier())`` against
  ``make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
  LogisticRegression(C=10, max_iter=2000))`` on MR, Subj, MPQA (10-fold
  stratified CV, shuffled with seed 0; ``--folds`` runs the first folds
  only) and TREC (its official split); accuracy;
* ``anomaly``: ``LSTMAnomalyDetector()`` on the one-class protocol of
  ``ucr_binary/README.md`` (24 tasks) and on ECG5000 (fit on the normal
  training beats); ROC AUC against the distance to the nearest normal
  training series (1-NN) and ``IsolationForest(random_state=0)``;
* ``stock``: ``WindowScaledRegressor()`` on windows of 30 S&P 500 closes, the
  latest 20 % of the windows as test (the 30 before them dropped); MAE as a
  ratio to persistence (tomorrow = today).

Every figure is the median over the seeds (``random_state`` 0, 1, ...),
with the worst seed beside it where the issue asks for it; fit seconds are
the median of one fit.  Usage::

    python benchmarks/bench_defaults.py                      # all, 3 seeds
    python benchmarks/bench_defaults.py --only words spelling --seeds 3
    python benchmarks/bench_defaults.py --only text --seeds 5 --folds 10
    python benchmarks/bench_defaults.py --only text --text-sets TREC MR --seeds 5
    python benchmarks/bench_defaults.py --only words anomaly --cell gru

``--cell gru`` runs every row with ``cell='gru'``, the one parameter changed.

The data is read from ``--data-dir`` (default: ``$SKLSTM_DATA``, else
``shared/data`` next to the repository).
"""

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import IsolationForest
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import mean_absolute_error, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklstm import (
    Embedder,
    LSTMAnomalyDetector,
    LSTMClassifier,
    LSTMRegressor,
    LSTMTranscriber,
    Normaliser,
    SpectrogramTransformer,
    WindowScaledRegressor,
    sliding_windows,
)
from sklstm.datasets import (
    DIGIT_WORDS,
    load_polarity,
    load_price_csv,
    load_ucr,
    load_wav_folder,
)
from sklstm.metrics import character_error_rate

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ucr_anomaly import SETS, nearest_neighbour_scores, tasks  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
ROWS = ["words", "spelling", "text", "anomaly", "stock"]


CELL = "lstm"  # every estimator's cell: --cell


def timed_fit(estimator, *args):
    """The fitted estimator and the seconds its fit took."""
    t0 = time.perf_counter()
    estimator.fit(*args)
    return estimator, time.perf_counter() - t0


def summary(values, digits=3):
    """'median (lowest–highest)' of per-seed values."""
    v = np.asarray(values, dtype=float)
    if len(v) == 1:
        return f"{v[0]:.{digits}f}"
    return f"{np.median(v):.{digits}f} ({v.min():.{digits}f}–{v.max():.{digits}f})"


# --------------------------------------------------------------------- speech
def fsdd(data_dir):
    wavs = load_wav_folder(Path(data_dir) / "fsdd" / "recordings")
    speakers = np.unique(wavs.speaker)
    splits = [(f"held out: {s}", wavs.speaker == s) for s in speakers]
    return wavs, splits, wavs.index < 5


def mean_frame(X):
    return np.stack([x.mean(axis=0) for x in X])


def words_row(data_dir, seeds):
    wavs, loso, usual = fsdd(data_dir)
    clips, y = list(wavs.data), np.asarray(wavs.target)
    plain = SpectrogramTransformer(sampling_rate=8000)
    frames = plain.fit_transform(clips)  # stateless: the same in every split
    pooled = mean_frame(frames)
    acc, seconds, per_speaker, usual_acc = [], [], {}, []
    lr_acc, majority = [], []
    for name, test in [*loso, ("usual split", usual)]:
        tr, te = np.flatnonzero(~test), np.flatnonzero(test)
        Xtr, Xte = [clips[i] for i in tr], [clips[i] for i in te]
        for seed in seeds:
            pipe = make_pipeline(
                SpectrogramTransformer(sampling_rate=8000),
                Normaliser(),
                LSTMClassifier(random_state=seed, cell=CELL),
            )
            _, s = timed_fit(pipe, Xtr, y[tr])
            score = pipe.score(Xte, y[te])
            if name == "usual split":
                usual_acc.append(score)
            else:
                per_speaker.setdefault(name, []).append(score)
                seconds.append(s)
            print(f"  words {name}, seed {seed}: {score:.3f} ({s:.0f} s)", flush=True)
        if name != "usual split":
            base = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
            lr_acc.append(base.fit(pooled[tr], y[tr]).score(pooled[te], y[te]))
            dummy = DummyClassifier().fit(pooled[tr], y[tr])
            majority.append(dummy.score(pooled[te], y[te]))
    acc = np.mean(list(per_speaker.values()), axis=0)  # LOSO mean, per seed
    worst = min(np.median(v) for v in per_speaker.values())
    return [
        (
            "words, unseen speaker (FSDD LOSO)",
            f"accuracy {summary(acc)}; worst speaker {worst:.3f}",
            f"mean-frame LogisticRegression {np.mean(lr_acc):.3f}; "
            f"majority {np.mean(majority):.3f}",
            len(seeds),
            np.median(seconds),
        ),
        (
            "words, usual split (FSDD)",
            f"accuracy {summary(usual_acc)}",
            "",
            len(seeds),
            np.nan,
        ),
    ]


def spelling_row(data_dir, seeds):
    wavs, loso, _ = fsdd(data_dir)
    clips = list(wavs.data)
    words = np.array(DIGIT_WORDS, dtype=object)[wavs.target.astype(int)]
    cer, greedy, seconds, frequent, decoders = [], [], [], [], set()
    for seed in seeds:
        c, g = [], []
        for name, test in loso:
            tr, te = np.flatnonzero(~test), np.flatnonzero(test)
            pipe = make_pipeline(
                SpectrogramTransformer(sampling_rate=8000),
                Normaliser(),
                LSTMTranscriber(random_state=seed, cell=CELL),
            )
            _, s = timed_fit(pipe, [clips[i] for i in tr], list(words[tr]))
            seconds.append(s)
            Xte, truth = [clips[i] for i in te], list(words[te])
            decoders.add(pipe[-1].decoder_)
            c.append(character_error_rate(truth, list(pipe.predict(Xte))))
            pipe[-1].set_params(decoder="greedy")
            g.append(character_error_rate(truth, list(pipe.predict(Xte))))
            print(
                f"  spelling {name}, seed {seed}: CER {c[-1]:.3f}, greedy "
                f"{g[-1]:.3f} ({s:.0f} s)",
                flush=True,
            )
            if seed == seeds[0]:
                # the transcript with the lowest CER on the training set (the
                # most frequent one is a tie of ten, and can score above 1)
                train = list(words[tr])
                best = min(
                    sorted(set(train)),
                    key=lambda w: character_error_rate(train, [w] * len(train)),
                )
                frequent.append(character_error_rate(truth, [best] * len(truth)))
        cer.append(np.mean(c))
        greedy.append(np.mean(g))
    return [
        (
            "spelling, unseen speaker (FSDD LOSO)",
            f"CER {summary(cer)} ({'/'.join(sorted(decoders))}); greedy "
            f"{summary(greedy)}",
            f"best constant transcript {np.mean(frequent):.3f}",
            len(seeds),
            np.median(seconds),
        )
    ]


# ----------------------------------------------------------------------- text
def read_labelled_lines(path):
    labels, texts = [], []
    with open(path, encoding="latin-1") as f:
        for line in f:
            label, _, text = line.strip().partition(" ")
            if text:
                labels.append(int(label))
                texts.append(text)
    return np.array(texts, dtype=object), np.array(labels)


TEXT_SETS = ["MR", "Subj", "MPQA", "TREC"]


def text_sets(data_dir, folds, only=TEXT_SETS):
    """(name, [(train, test) index pairs], texts, labels) of each set in
    ``only``."""
    data_dir = Path(data_dir)
    mr = load_polarity(data_dir / "rt_polarity")
    cv_sets = [
        ("MR", np.array(mr.data, dtype=object), np.asarray(mr.target)),
        ("Subj", *read_labelled_lines(data_dir / "sentences" / "subj.all")),
        ("MPQA", *read_labelled_lines(data_dir / "sentences" / "mpqa.all")),
    ]
    for name, texts, y in cv_sets:
        if name in only:
            cv = StratifiedKFold(10, shuffle=True, random_state=0)
            yield name, list(cv.split(texts, y))[:folds], texts, y
    if "TREC" not in only:
        return
    tr_texts, tr_y = read_labelled_lines(data_dir / "sentences" / "TREC.train.all")
    te_texts, te_y = read_labelled_lines(data_dir / "sentences" / "TREC.test.all")
    texts, y = np.concatenate([tr_texts, te_texts]), np.concatenate([tr_y, te_y])
    split = (np.arange(len(tr_y)), np.arange(len(tr_y), len(y)))
    yield "TREC", [split], texts, y


def text_row(data_dir, seeds, folds, only=TEXT_SETS):
    rows = []
    for name, splits, texts, y in text_sets(data_dir, folds, only):
        lstm, tfidf, seconds = [], [], []
        for k, (tr, te) in enumerate(splits):
            base = make_pipeline(
                TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                LogisticRegression(C=10, max_iter=2000),
            )
            tfidf.append(base.fit(texts[tr], y[tr]).score(texts[te], y[te]))
            per_seed = []
            for seed in seeds:
                pipe = make_pipeline(
                    Embedder(random_state=seed),
                    LSTMClassifier(random_state=seed, cell=CELL),
                )
                _, s = timed_fit(pipe, texts[tr], y[tr])
                seconds.append(s)
                per_seed.append(pipe.score(texts[te], y[te]))
                print(
                    f"  {name} fold {k}, seed {seed}: {per_seed[-1]:.3f} "
                    f"(TF-IDF {tfidf[-1]:.3f}; {s:.0f} s)",
                    flush=True,
                )
            lstm.append(per_seed)
        acc = np.mean(lstm, axis=0)  # mean over folds, per seed
        protocol = "official split" if name == "TREC" else f"{len(splits)} of 10 folds"
        rows.append(
            (
                f"text: {name} ({protocol})",
                f"accuracy {summary(acc)}",
                f"TF-IDF + LogisticRegression {np.mean(tfidf):.3f}",
                len(seeds),
                np.median(seconds),
            )
        )
    return rows


# -------------------------------------------------------------------- anomaly
def anomaly_row(data_dir, seeds):
    auc = {}
    nn, forest, seconds = [], [], []
    for task, X, X_test, normal in tasks(data_dir, SETS):
        nn.append(roc_auc_score(normal, nearest_neighbour_scores(X, X_test)))
        iso = IsolationForest(random_state=0).fit(X)
        forest.append(roc_auc_score(normal, iso.score_samples(X_test)))
        for seed in seeds:
            det, s = timed_fit(LSTMAnomalyDetector(random_state=seed, cell=CELL), X)
            seconds.append(s)
            auc.setdefault(seed, []).append(
                roc_auc_score(normal, det.score_samples(X_test))
            )
        print(
            f"  {task}: {[round(auc[s][-1], 3) for s in seeds]} (1-NN {nn[-1]:.3f}, "
            f"IsolationForest {forest[-1]:.3f})",
            flush=True,
        )
    per_seed_mean = [np.mean(auc[s]) for s in seeds]
    median_task = np.median([auc[s] for s in seeds], axis=0)
    wins = int(np.sum(median_task > np.array(forest)))
    wins_per_seed = [int(np.sum(np.array(auc[s]) > forest)) for s in seeds]
    wins_worst = min(wins_per_seed)
    rows = [
        (
            "anomaly: 24 one-class UCR tasks",
            f"mean ROC AUC {summary(per_seed_mean)}; above IsolationForest on "
            f"{wins}/24 by the median of the seeds ({wins_worst}/24 on the worst "
            "seed)",
            f"1-NN distance {np.mean(nn):.3f}; IsolationForest {np.mean(forest):.3f}",
            len(seeds),
            np.median(seconds),
        )
    ]
    folder = Path(data_dir) / "ecg5000"
    train = load_ucr(folder / "ECG5000_TRAIN.tsv")
    test = load_ucr(folder / "ECG5000_TEST_binary.tsv")
    X, normal = train.data[train.target == 1], test.target == 1
    ecg, seconds = [], []
    for seed in seeds:
        det, s = timed_fit(LSTMAnomalyDetector(random_state=seed, cell=CELL), X)
        seconds.append(s)
        ecg.append(roc_auc_score(normal, det.score_samples(test.data)))
        print(f"  ECG5000, seed {seed}: {ecg[-1]:.3f} ({s:.0f} s)", flush=True)
    iso = IsolationForest(random_state=0).fit(X).score_samples(test.data)
    knn = nearest_neighbour_scores(X, test.data)
    rows.append(
        (
            "anomaly: ECG5000",
            f"ROC AUC {summary(ecg)}",
            f"1-NN distance {roc_auc_score(normal, knn):.3f}; IsolationForest "
            f"{roc_auc_score(normal, iso):.3f}",
            len(seeds),
            np.median(seconds),
        )
    )
    return rows


# ---------------------------------------------------------------------- stock
def stock_row(data_dir, seeds, window=30, test_fraction=0.2):
    prices = load_price_csv(Path(data_dir) / "sp500_daily" / "sp500.csv").data
    X, y = sliding_windows(prices, window)
    start = len(X) - int(round(test_fraction * len(X)))
    train = slice(0, start - window)  # no close shared with a test window
    X_test, y_test = X[start:], y[start:]
    persistence = mean_absolute_error(y_test, X_test[:, -1])
    ratios, seconds = [], []
    for seed in seeds:
        # the default inner regressor, seeded
        lstm = LSTMRegressor(validation_split="last", normalise_y=False, cell=CELL)
        model = WindowScaledRegressor(lstm.set_params(random_state=seed))
        _, s = timed_fit(model, X[train], y[train])
        seconds.append(s)
        ratios.append(mean_absolute_error(y_test, model.predict(X_test)) / persistence)
        print(f"  S&P 500, seed {seed}: {ratios[-1]:.4f} ({s:.0f} s)", flush=True)
    return [
        (
            "stock: S&P 500 next close",
            f"MAE {summary(ratios, 4)} × persistence (worst {max(ratios):.4f})",
            f"persistence 1.000 (MAE {persistence:.2f})",
            len(seeds),
            np.median(seconds),
        )
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir", type=Path, default=os.environ.get("SKLSTM_DATA", DEFAULT_DATA)
    )
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--folds", type=int, default=10, help="text CV folds run")
    parser.add_argument("--only", nargs="+", choices=ROWS, default=ROWS)
    parser.add_argument("--text-sets", nargs="+", choices=TEXT_SETS, default=TEXT_SETS)
    parser.add_argument(
        "--cell", choices=["lstm", "gru"], default="lstm", help="every LSTM's cell"
    )
    args = parser.parse_args(argv)
    global CELL
    CELL = args.cell
    seeds = list(range(args.seeds))
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    runners = {
        "words": lambda: words_row(args.data_dir, seeds),
        "spelling": lambda: spelling_row(args.data_dir, seeds),
        "text": lambda: text_row(args.data_dir, seeds, args.folds, args.text_sets),
        "anomaly": lambda: anomaly_row(args.data_dir, seeds),
        "stock": lambda: stock_row(args.data_dir, seeds),
    }
    rows = []
    for name in args.only:
        print(f"{name}:", flush=True)
        rows += runners[name]()
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")
    print("\n| row | sklstm default | baseline (same run) | seeds | fit s |")
    print("|---|---|---|---|---|")
    for task, ours, base, n, s in rows:
        fit = "" if np.isnan(s) else f"{s:.0f}"
        print(f"| {task} | {ours} | {base} | {n} | {fit} |")


if __name__ == "__main__":
    main()
