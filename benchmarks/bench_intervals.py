# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""Conformal 90 % intervals for the S&P 500 next close, against persistence's.

The split is bench_defaults.py's stock row: windows of 30 closes
(:func:`sklstm.sliding_windows`), the latest 20 % of the windows are the
test set and the 30 windows before it are dropped (no close shared with a
test window).  On the training windows, two forecasters get conformal
intervals of the same nominal coverage, calibrated the same way on the
**last** ``--calibration-fraction`` of the training windows (in time
order; the forecaster is fitted on the windows before them):

* ``WindowScaledRegressor()``, sklstm's default price forecaster (seeded);
* persistence, "tomorrow = today" (``sklstm.model_selection.persistence``),
  whose calibration residuals give the reference interval.

Each with three conformity scores (``scale``): absolute errors in index
points (``none``), errors relative to the window's last close (``last``),
and errors in units of the window's volatility, the standard deviation of
its daily changes (``diff_std``); and two ways to use them: the static
split-conformal interval (``predict_interval``), and adaptive conformal
inference (ACI, ``predict_interval_online``: each test close, once known,
moves the level; ``gamma=0.005``, rolling calibration scores).

Reported on the test windows: empirical coverage (the issue's target:
0.88-0.92), the lowest coverage over any 250 consecutive test windows (about
a trading year: how uneven the coverage is over time), the mean width in
index points, and the point forecast's MAE as a ratio to persistence's.
Medians over the seeds, lowest-highest in brackets.

Usage::

    python benchmarks/bench_intervals.py                 # seeds 0, 1
    python benchmarks/bench_intervals.py --seeds 1 --scales none last

The data is ``sp500_daily/sp500.csv`` under ``--data-dir`` (default:
``$SKLSTM_DATA``, else ``shared/data`` next to the repository).
"""

import argparse
import copy
import os
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning

from sklstm import (
    ConformalRegressor,
    LSTMRegressor,
    WindowScaledRegressor,
    sliding_windows,
)
from sklstm.datasets import load_price_csv
from sklstm.model_selection import persistence

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SCALES = {"none": None, "last": "last", "diff_std": "diff_std"}


class Persistence(RegressorMixin, BaseEstimator):
    """Tomorrow's close = the window's last close."""

    def fit(self, X, y):
        self.fitted_ = True
        return self

    def predict(self, X):
        return persistence(X)


def evaluate(model, X_test, y_test, online, block=250):
    """Coverage, worst rolling coverage, mean width and count of infinite
    intervals of ``model``'s intervals on the test windows."""
    if online:
        model = copy.deepcopy(model)  # the online state starts from fit's
        lower, upper = model.predict_interval_online(X_test, y_test)
    else:
        lower, upper = model.predict_interval(X_test)
    hit = (lower <= y_test) & (y_test <= upper)
    rolling = np.convolve(hit, np.ones(block) / block, mode="valid")
    finite = np.isfinite(upper - lower)
    return {
        "coverage": hit.mean(),
        "worst": rolling.min(),
        "width": np.mean((upper - lower)[finite]),
        "infinite": int(np.sum(~finite)),
    }


def summary(values, digits=3):
    v = np.asarray(values, dtype=float)
    if len(v) == 1:
        return f"{v[0]:.{digits}f}"
    return f"{np.median(v):.{digits}f} ({v.min():.{digits}f}–{v.max():.{digits}f})"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir", type=Path, default=os.environ.get("SKLSTM_DATA", DEFAULT_DATA)
    )
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--window", type=int, default=30)
    parser.add_argument("--test-fraction", type=float, default=0.2)
    parser.add_argument("--coverage", type=float, default=0.9)
    parser.add_argument("--calibration-fraction", type=float, default=0.2)
    parser.add_argument("--gamma", type=float, default=0.005)
    parser.add_argument("--scales", nargs="+", choices=list(SCALES), default=None)
    args = parser.parse_args(argv)
    scales = args.scales or list(SCALES)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    print(f"load average at the start: {os.getloadavg()[0]:.2f}", flush=True)

    prices = load_price_csv(Path(args.data_dir) / "sp500_daily" / "sp500.csv").data
    X, y = sliding_windows(prices, args.window)
    start = len(X) - int(round(args.test_fraction * len(X)))
    X_train, y_train = X[: start - args.window], y[: start - args.window]
    X_test, y_test = X[start:], y[start:]
    n_cal = int(round(args.calibration_fraction * len(X_train)))
    X_cal, y_cal = X_train[-n_cal:], y_train[-n_cal:]
    pers_mae = np.mean(np.abs(y_test - persistence(X_test)))
    print(
        f"{len(X_train)} training windows (the last {n_cal} calibrate), "
        f"{len(X_test)} test windows; persistence test MAE {pers_mae:.2f}",
        flush=True,
    )
    common = dict(
        coverage=args.coverage,
        calibration_fraction=args.calibration_fraction,
        gamma=args.gamma,
    )
    results = {}  # (forecaster, scale, method) -> list of dicts (one per seed)

    def record(name, scale, model, mae_ratio):
        for method, online in [("split", False), ("ACI", True)]:
            r = evaluate(model, X_test, y_test, online)
            r["mae_ratio"] = mae_ratio
            results.setdefault((name, scale, method), []).append(r)
            print(
                f"  {name:12s} {scale:8s} {method:5s} coverage {r['coverage']:.3f} "
                f"worst-250 {r['worst']:.3f} width {r['width']:.1f} "
                f"(infinite: {r['infinite']})",
                flush=True,
            )

    for scale in scales:
        model = ConformalRegressor(Persistence(), scale=SCALES[scale], **common)
        record("persistence", scale, model.fit(X_train, y_train), 1.0)
    for seed in range(args.seeds):
        lstm = LSTMRegressor(
            validation_split="last", normalise_y=False, random_state=seed
        )
        t0 = time.perf_counter()
        first = ConformalRegressor(
            WindowScaledRegressor(lstm), scale=SCALES[scales[0]], **common
        ).fit(X_train, y_train)
        seconds = time.perf_counter() - t0
        ratio = np.mean(np.abs(y_test - first.predict(X_test))) / pers_mae
        print(f"seed {seed}: fit {seconds:.0f} s, MAE ratio {ratio:.4f}", flush=True)
        for scale in scales:
            # the same fitted forecaster, calibrated on the same windows
            model = first
            if scale != scales[0]:
                model = ConformalRegressor(
                    first.estimator_, method="prefit", scale=SCALES[scale], **common
                ).fit(X_cal, y_cal)
            record("lstm", scale, model, ratio)

    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")
    print(
        "\n| forecaster | scale | interval | coverage | worst 250 | mean width "
        "| MAE / persistence |"
    )
    print("|---|---|---|---|---|---|---|")
    for (name, scale, method), rs in results.items():
        col = {k: [r[k] for r in rs] for k in rs[0]}
        inf = sum(col["infinite"])
        width = summary(col["width"], 1) + (f" ({inf} infinite)" if inf else "")
        print(
            f"| {'WindowScaledRegressor()' if name == 'lstm' else name} | {scale} "
            f"| {method} | {summary(col['coverage'])} | {summary(col['worst'])} "
            f"| {width} | {summary(col['mae_ratio'], 4)} |"
        )


if __name__ == "__main__":
    main()
