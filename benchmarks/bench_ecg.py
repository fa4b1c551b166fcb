"""ECG5000 anomaly detection with LSTMAnomalyDetector at its defaults.

Unsupervised protocol of the use-case issue: fit on the normal beats
(class 1) of ``ECG5000_TRAIN.tsv`` only (292 beats of 140 steps), score the
4,500 beats of ``ECG5000_TEST_binary.tsv`` (1 = normal, 0 = anomalous), and
report the ROC AUC of ``score_samples``, the share of normal test beats kept
as normal at ``offset_``, the share of anomalies caught, and the fit time,
for several seeds.  An IsolationForest on the raw beats is the baseline.

The supervised alternative (``--supervised``, also run by default): an
``LSTMClassifier()`` trained on all 500 labelled beats of the training file
(normal against the four abnormal classes merged), wrapped in
:class:`~sklearn.model_selection.TunedThresholdClassifierCV` (balanced
accuracy, 5-fold) to set its decision threshold; reported are the ROC AUC
of its probability of "normal", the accuracy and the balanced accuracy at
the tuned threshold, and the fit time.  It needs labelled anomalies, which
the detector does not.

Usage::

    python benchmarks/bench_ecg.py                       # both, seeds 0-4
    python benchmarks/bench_ecg.py --only detector --seeds 2 --horizon 1
    python benchmarks/bench_ecg.py --only supervised --data-dir ../shared/data
    python benchmarks/bench_ecg.py --only detector \\
        --params '{"anomaly_score": "forecast_error"}'   # the former default
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
from sklearn.metrics import balanced_accuracy_score, roc_auc_score
from sklearn.model_selection import TunedThresholdClassifierCV

from sklstm import LSTMAnomalyDetector, LSTMClassifier
from sklstm.datasets import load_ucr

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir", type=Path, default=os.environ.get("SKLSTM_DATA", DEFAULT_DATA)
    )
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--horizon", type=int, default=10)
    parser.add_argument(
        "--params",
        type=json.loads,
        default={},
        help="other LSTMAnomalyDetector parameters (JSON)",
    )
    parser.add_argument(
        "--only", choices=["detector", "supervised"], default=None, help="one part"
    )
    args = parser.parse_args()
    folder = Path(args.data_dir) / "ecg5000"
    train = load_ucr(folder / "ECG5000_TRAIN.tsv")
    test = load_ucr(folder / "ECG5000_TEST_binary.tsv")
    X = train.data[train.target == 1]
    normal = test.target == 1
    print(
        f"train: {X.shape[0]} normal beats; test: {normal.sum()} normal, "
        f"{(~normal).sum()} anomalous\n"
    )
    if args.only != "supervised":
        run_detector(X, test, normal, args)
    if args.only != "detector":
        run_supervised(train, test, normal, args.seeds)


def run_detector(X, test, normal, args):
    iso = IsolationForest(random_state=0).fit(X)
    auc = roc_auc_score(normal, iso.score_samples(test.data))
    print(f"IsolationForest (baseline)  AUC {auc:.4f}\n")
    print(
        f"{'seed':>4} {'AUC':>7} {'normal kept':>11} {'caught':>7} "
        f"{'epochs':>6} {'fit s':>6}"
    )
    aucs = []
    for seed in range(args.seeds):
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            det = LSTMAnomalyDetector(
                horizon=args.horizon, random_state=seed, **args.params
            ).fit(X)
        seconds = time.perf_counter() - t0
        scores = det.score_samples(test.data)
        aucs.append(roc_auc_score(normal, scores))
        pred = np.where(scores >= det.offset_, 1, -1)
        print(
            f"{seed:>4} {aucs[-1]:>7.4f} {(pred[normal] == 1).mean():>11.3f} "
            f"{(pred[~normal] == -1).mean():>7.3f} {det.n_iter_:>6} {seconds:>6.1f}",
            flush=True,
        )
    print(f"\nAUC min {min(aucs):.4f}, mean {np.mean(aucs):.4f}, max {max(aucs):.4f}")


def run_supervised(train, test, normal, n_seeds):
    y = (train.target == 1).astype(int)  # 1 = normal, as in the test file
    print(
        f"\nSupervised: LSTMClassifier() in TunedThresholdClassifierCV, "
        f"{len(y)} labelled beats ({y.sum()} normal)\n"
    )
    print(
        f"{'seed':>4} {'AUC':>7} {'accuracy':>8} {'bal. acc.':>9} "
        f"{'threshold':>9} {'fit s':>6}"
    )
    aucs = []
    for seed in range(n_seeds):
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = TunedThresholdClassifierCV(
                LSTMClassifier(random_state=seed),
                scoring="balanced_accuracy",
                cv=5,
                random_state=seed,
            ).fit(train.data, y)
        seconds = time.perf_counter() - t0
        proba = model.predict_proba(test.data)[:, 1]
        aucs.append(roc_auc_score(normal, proba))
        pred = model.predict(test.data)
        print(
            f"{seed:>4} {aucs[-1]:>7.4f} {np.mean(pred == normal):>8.4f} "
            f"{balanced_accuracy_score(normal, pred):>9.4f} "
            f"{model.best_threshold_:>9.3f} {seconds:>6.1f}",
            flush=True,
        )
    print(f"\nAUC min {min(aucs):.4f}, mean {np.mean(aucs):.4f}, max {max(aucs):.4f}")


if __name__ == "__main__":
    main()
