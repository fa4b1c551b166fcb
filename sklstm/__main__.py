# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""Command line: ``python -m sklstm demo``.

The demo trains sklstm's estimators with their default settings on built-in
generated data and prints a result table (task, metric, model, baseline,
training time).  It needs no downloads and finishes in about a minute on
two CPU cores.
"""

import argparse
import sys
import time
import warnings

from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import IsolationForest
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import mean_squared_error, roc_auc_score

from sklstm import LSTMAnomalyDetector, LSTMClassifier, LSTMRegressor, __version__
from sklstm.datasets import make_adding_problem, make_ecg_beats, make_memory_task


def _memory_row(seed):
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


def _adding_row(seed):
    X, y = make_adding_problem(2000, 50, random_state=seed)
    X_test, y_test = make_adding_problem(500, 50, random_state=seed + 1)
    t0 = time.perf_counter()
    reg = LSTMRegressor(random_state=seed).fit(X, y)
    seconds = time.perf_counter() - t0
    mse = mean_squared_error(y_test, reg.predict(X_test))
    base = mean_squared_error(
        y_test, DummyRegressor().fit(X[:, 0], y).predict(X_test[:, 0])
    )
    return (
        "adding problem, 50 steps",
        "test MSE",
        mse,
        base,
        "predict the mean",
        seconds,
        reg.n_iter_,
    )


def _ecg_row(seed):
    X, y = make_ecg_beats(400, random_state=seed)
    X_test, y_test = make_ecg_beats(1000, random_state=seed + 1)
    normal = X[y == 1]  # the detector learns from normal beats only
    t0 = time.perf_counter()
    det = LSTMAnomalyDetector(max_iter=30, random_state=seed).fit(normal)
    seconds = time.perf_counter() - t0
    auc = roc_auc_score(y_test == 1, det.score_samples(X_test))
    iso = IsolationForest(random_state=seed).fit(normal)
    base = roc_auc_score(y_test == 1, iso.score_samples(X_test))
    return (
        "ECG anomalies (30 epochs)",
        "ROC AUC",
        auc,
        base,
        "IsolationForest",
        seconds,
        det.n_iter_,
    )


ROWS = [_memory_row, _adding_row, _ecg_row]


def demo(seed=0, out=sys.stdout):
    """Train on built-in generated data and print a result table."""
    print(
        f"sklstm {__version__} demo: default estimators on generated data "
        "(no downloads)\n",
        file=out,
    )
    header = (
        f"{'task':<38} {'metric':<9} {'sklstm':>8} {'baseline':>9}  "
        f"{'(baseline)':<17} {'epochs':>6} {'train s':>8}"
    )
    print(header, file=out)
    print("-" * len(header), file=out)
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for make_row in ROWS:
            task, metric, score, base, base_name, seconds, epochs = make_row(seed)
            rows.append((task, metric, score, base))
            print(
                f"{task:<38} {metric:<9} {score:>8.3f} {base:>9.3f}  {base_name:<17} "
                f"{epochs:>6d} {seconds:>8.1f}",
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
    args = parser.parse_args(argv)
    if args.command == "demo":
        demo(seed=args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
