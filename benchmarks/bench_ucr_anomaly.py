"""One-class anomaly detection on twelve two-class UCR sets at the defaults.

Protocol of ``ucr_binary/README.md``: for each set and each of its two
classes in turn (24 tasks), that class is "normal"; ``LSTMAnomalyDetector()``
at its defaults is fitted on the normal series of the TRAIN file only (6 to
394 series), every TEST series is scored with ``score_samples``, and the ROC
AUC is reported with the other class as the anomalies.  Two baselines that
need no training run in the same script: the Euclidean distance from a test
series to its nearest normal training series (1-NN distance), and
``IsolationForest(random_state=0)`` on the raw values.

The table shows, per task, the detector's median and worst AUC over the
seeds (``random_state`` 0 .. seeds - 1), both baselines, and the median fit
seconds; then the means over the tasks, and on how many tasks the detector's
median (and worst) AUC beats IsolationForest.

Usage::

    python benchmarks/bench_ucr_anomaly.py                  # 5 seeds
    python benchmarks/bench_ucr_anomaly.py --seeds 1 --sets Coffee Wine
    python benchmarks/bench_ucr_anomaly.py --pipeline       # Normaliser() first
    python benchmarks/bench_ucr_anomaly.py --params '{"n_estimators": 1}'
"""

import argparse
import json
import os
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline

from sklstm import LSTMAnomalyDetector, Normaliser
from sklstm.datasets import load_ucr

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SETS = [
    "Coffee",
    "GunPoint",
    "Ham",
    "ItalyPowerDemand",
    "Lightning2",
    "MoteStrain",
    "PowerCons",
    "SonyAIBORobotSurface1",
    "SonyAIBORobotSurface2",
    "Strawberry",
    "ToeSegmentation1",
    "Wine",
]


def nearest_neighbour_scores(X_train, X_test):
    """Minus the Euclidean distance to the nearest training series."""
    d2 = (
        (X_test**2).sum(1)[:, None]
        - 2 * X_test @ X_train.T
        + (X_train**2).sum(1)[None, :]
    )
    return -np.sqrt(np.maximum(d2.min(axis=1), 0))


def tasks(data_dir, sets):
    for name in sets:
        folder = Path(data_dir) / "ucr_binary" / name
        X, y = load_ucr(folder / f"{name}_TRAIN.tsv", return_X_y=True)
        X_test, y_test = load_ucr(folder / f"{name}_TEST.tsv", return_X_y=True)
        for label in np.unique(y):
            yield f"{name}/{label}", X[y == label], X_test, y_test == label


def make_detector(seed, args):
    det = LSTMAnomalyDetector(random_state=seed, **args.params)
    return make_pipeline(Normaliser(), det) if args.pipeline else det


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir", type=Path, default=os.environ.get("SKLSTM_DATA", DEFAULT_DATA)
    )
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--sets", nargs="+", default=SETS, choices=SETS)
    parser.add_argument(
        "--pipeline",
        action="store_true",
        help="make_pipeline(Normaliser(), LSTMAnomalyDetector())",
    )
    parser.add_argument(
        "--params", type=json.loads, default={}, help="detector parameters (JSON)"
    )
    args = parser.parse_args()
    model = "Normaliser + detector" if args.pipeline else "detector"
    print(f"{model} {args.params or '(defaults)'}, seeds 0-{args.seeds - 1}\n")
    print(
        f"{'task':<26} {'n':>4} {'median':>7} {'worst':>7} {'1-NN':>7} "
        f"{'IForest':>7} {'fit s':>6}"
    )
    rows = []
    for task, X, X_test, normal in tasks(args.data_dir, args.sets):
        knn = roc_auc_score(normal, nearest_neighbour_scores(X, X_test))
        iso = IsolationForest(random_state=0).fit(X)
        forest = roc_auc_score(normal, iso.score_samples(X_test))
        aucs, seconds = [], []
        for seed in range(args.seeds):
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                det = make_detector(seed, args).fit(X)
            seconds.append(time.perf_counter() - t0)
            aucs.append(roc_auc_score(normal, det.score_samples(X_test)))
        rows.append((aucs, knn, forest, seconds))
        print(
            f"{task:<26} {len(X):>4} {np.median(aucs):>7.4f} {min(aucs):>7.4f} "
            f"{knn:>7.4f} {forest:>7.4f} {np.median(seconds):>6.1f}",
            flush=True,
        )
    aucs = np.array([r[0] for r in rows])  # (tasks, seeds)
    knn, forest = np.array([r[1] for r in rows]), np.array([r[2] for r in rows])
    fit_total = np.array([r[3] for r in rows]).sum(axis=0)
    print(
        f"{'mean':<26} {'':>4} {np.median(aucs, 1).mean():>7.4f} "
        f"{aucs.min(1).mean():>7.4f} {knn.mean():>7.4f} {forest.mean():>7.4f}"
    )
    seed_means = aucs.mean(axis=0)
    beats = (aucs > forest[:, None]).sum(axis=0)
    print(
        f"\nmean AUC per seed: {' '.join(f'{m:.4f}' for m in seed_means)} "
        f"(median {np.median(seed_means):.4f}, worst {seed_means.min():.4f}; "
        f"1-NN {knn.mean():.4f})"
    )
    print(
        f"tasks above IsolationForest per seed: {' '.join(map(str, beats))} "
        f"(median {int(np.median(beats))}, worst {beats.min()}) of {len(rows)}; "
        f"median AUC above it on {(np.median(aucs, 1) > forest).sum()}, "
        f"worst AUC on {(aucs.min(1) > forest).sum()}"
    )
    print(
        f"tasks at or above 1-NN (median AUC): {(np.median(aucs, 1) >= knn).sum()}"
        f"; fit seconds per seed, all tasks: {np.median(fit_total):.0f}"
    )


if __name__ == "__main__":
    main()
