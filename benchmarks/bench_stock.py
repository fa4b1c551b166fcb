# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""Forecast the S&P 500 close with LSTMRegressor, against naive persistence.

The question this answers honestly: does an LSTM beat "tomorrow's close =
today's close" on real daily prices?  The series is cut into windows of
``--window`` closes (:func:`sklstm.sliding_windows`), the last
``--test-fraction`` of the windows (in time order) is the test set, and every
method is scored on the same test windows, in dollars (index points):

* ``naive``: persistence, the last close of the window, for every horizon;
* ``drift``: persistence grown by the median relative change of the training
  windows (a constant trend: what a model must beat to have learnt more);
* ``lstm_last``: each window divided by its own last close, ``X / last - 1``,
  and the target likewise (the relative change from the last close), mapped
  back with ``last * (1 + prediction)``; ``LSTMRegressor`` defaults;
* ``lstm_standard``: each window standardised by its own mean and standard
  deviation with ``Normaliser(per_sequence=True)``, the target with the
  window's statistics (``transform(y, reference=X)``) and the prediction
  mapped back with ``inverse_transform(y_pred, reference=X)``;
* ``lstm_global``: the textbook pipeline, ``Normaliser()`` fitted on the
  training windows only and the target scaled by
  :class:`~sklearn.compose.TransformedTargetRegressor`; it must extrapolate
  as soon as test prices leave the training range, and does badly;
* ``lstm_returns``: windows of daily log returns (in percent) predicting the
  log return from the last close, mapped back with ``last * exp(...)``;
* ``*_chrono``: the same, early-stopped on the *latest* 10 % of the training
  windows (validation MAE in dollars, one ``partial_fit`` epoch at a time)
  instead of ``LSTMRegressor``'s own random validation split, whose windows
  overlap the training windows they are drawn between;
* further variants (hidden size, learning rate, batch size, patience,
  percent units, L2): ``--list`` shows them all.

Reported per method: test MAE and RMSE, directional accuracy (the sign of the
predicted change from the last observed close against the actual one; naive
persistence predicts no change and has none), the MAE ratio to persistence
(below 1.00 beats it) and the fit time.  LSTM variants run once per seed
(``random_state`` 0, 1, ...); the table gives the mean and range over
seeds, and a ``(mean of N)`` row scores the average of the seeds'
predictions (an ensemble, at N times the fit time).  With ``--horizon`` > 1
each window predicts the next ``horizon`` closes at once and a second table
gives the MAE ratio of each step.
``--search`` adds a grid search over the training windows with
:class:`~sklearn.model_selection.TimeSeriesSplit`.

The split: window ``i`` holds closes ``i .. i + window - 1`` and its targets
the next ``horizon`` closes.  The ``window + horizon - 1`` windows just
before the first test window are dropped, so no training window (inputs or
targets) shares a single close with a test window; dropping ``horizon - 1``
would already keep every test target out of training, the rest keeps
training targets out of test inputs too.  Every scaling is fitted on
training windows only, or on each window alone.

Usage::

    python benchmarks/bench_stock.py                       # default methods
    python benchmarks/bench_stock.py --horizon 5 --methods naive drift \
        lstm_last lstm_last_chrono lstm_last_h32_chrono
    python benchmarks/bench_stock.py --methods naive lstm_last lstm_last_h32
    python benchmarks/bench_stock.py --search --seeds 1 --methods naive drift
    python benchmarks/bench_stock.py --list

The default run (8 methods, 5 seeds) takes about 2.5 minutes on 2 cores.
With ``--horizon 5``, ``lstm_standard`` and ``lstm_returns`` train for
100+ epochs (their loss is large enough for ``tol`` to matter) and take
several minutes more, hence the method list above.

The data is ``sp500_daily/sp500.csv`` under ``--data-dir`` (default:
``$SKLSTM_DATA``, else ``shared/data`` next to the repository).  With
``--synthetic``, or when the file is missing, a generated price series
(:func:`sklstm.datasets.make_price_series`) is used instead, and the output
says so.
"""

import argparse
import copy
import json
import os
import platform
import sys
import time
import warnings
from numbers import Real
from pathlib import Path

import numpy as np
import sklearn
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import make_pipeline
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from threadpoolctl import threadpool_info

from sklstm import LSTMRegressor, Normaliser, sliding_windows
from sklstm.datasets import load_price_csv, make_price_series

DATA_FILE = Path("sp500_daily") / "sp500.csv"


# ----------------------------------------------------------------- estimators
class Persistence(RegressorMixin, BaseEstimator):
    """Naive forecast: every future close equals the window's last close.

    With ``drift=True``, the last close grows by the median relative change
    of the training windows over each horizon step (a constant drift, the
    least a model must beat to have learnt more than the trend).
    """

    def __init__(self, drift=False):
        self.drift = drift

    def fit(self, X, y):
        X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
        y = y.reshape(len(y), -1)
        self.n_outputs_ = y.shape[1]
        change = np.median(y / X[:, -1:] - 1.0, axis=0)
        self.change_ = change if self.drift else np.zeros_like(change)
        return self

    def predict(self, X):
        last = np.asarray(X, dtype=np.float64)[:, -1:]
        y = last * (1.0 + self.change_)
        return y[:, 0] if self.n_outputs_ == 1 else y


class WindowScaledRegressor(RegressorMixin, BaseEstimator):
    """A regressor fitted on windows scaled each by its own statistics.

    ``y`` (one value, or one per horizon step) is scaled with the statistics
    of its input window and predictions are mapped back to prices, so
    ``fit`` and ``predict`` speak dollars while the inner regressor only
    sees values near unit scale.  Being an estimator, it goes into
    :class:`~sklearn.model_selection.GridSearchCV` (inner parameters as
    ``regressor__name``).

    Parameters
    ----------
    regressor : estimator, default=None
        The inner regressor; None means ``LSTMRegressor()``.
    scaling : {'last', 'standard', 'returns'}, default='last'
        'last': ``X / last - 1`` and ``y / last - 1``, with ``last`` the last
        close of the window.  'standard': ``Normaliser(per_sequence=True)``
        (the window's mean and standard deviation).  'returns': the window's
        daily log returns (one fewer timestep) and ``log(y / last)``.
    target_scale : float, default=1.0
        Factor applied to the scaled inputs and targets of 'last' and
        'returns' (100 gives percent).
    chronological : bool, default=False
        Early stopping on the *latest* windows instead of the inner
        regressor's own (random) validation split: the last
        ``validation_fraction`` of the windows (after a gap of
        ``window + horizon - 1`` windows) is held out, the inner regressor
        is trained one epoch at a time with ``partial_fit`` and the epoch
        with the lowest validation MAE in dollars is kept.  Uses the inner
        regressor's ``max_iter``, ``n_iter_no_change`` and
        ``validation_fraction``; its ``tol`` is not used (any decrease
        counts).
    """

    _parameter_constraints: dict = {
        "regressor": [None, HasMethods(["fit", "predict"])],
        "scaling": [StrOptions({"last", "standard", "returns"})],
        "target_scale": [Interval(Real, 0, None, closed="neither")],
        "chronological": ["boolean"],
    }

    def __init__(
        self, regressor=None, *, scaling="last", target_scale=1.0, chronological=False
    ):
        self.regressor = regressor
        self.scaling = scaling
        self.target_scale = target_scale
        self.chronological = chronological

    def fit(self, X, y):
        self._validate_params()
        X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
        if self.scaling == "standard":
            self.normaliser_ = Normaliser(per_sequence=True).fit(X)
        self.regressor_ = clone(
            LSTMRegressor() if self.regressor is None else self.regressor
        )
        if self.chronological:
            self._fit_chronological(X, y)
        else:
            self.regressor_.fit(self._scale_X(X), self._scale_y(y, X))
        return self

    def _fit_chronological(self, X, y):
        params = self.regressor_.get_params()
        n_val = max(1, int(params["validation_fraction"] * len(X)))
        gap = X.shape[1] + (1 if y.ndim == 1 else y.shape[1]) - 1
        n_train = len(X) - n_val - gap
        if n_train < 1:
            raise ValueError(f"{len(X)} windows leave none to train on.")
        X_val, y_val = X[-n_val:], y[-n_val:]
        X_fit = self._scale_X(X[:n_train])
        y_fit = self._scale_y(y[:n_train], X[:n_train])
        best, best_model, stale = np.inf, None, 0
        self.validation_mae_ = []
        for _ in range(params["max_iter"]):
            self.regressor_.partial_fit(X_fit, y_fit)
            mae = float(np.mean(np.abs(self.predict(X_val) - y_val)))
            self.validation_mae_.append(mae)
            if mae < best:
                best, best_model, stale = mae, copy.deepcopy(self.regressor_), 0
            else:
                stale += 1
                if stale >= params["n_iter_no_change"]:
                    break
        self.regressor_ = best_model
        self.best_epoch_ = int(np.argmin(self.validation_mae_)) + 1

    def predict(self, X):
        X = np.asarray(X, dtype=np.float64)
        return self._unscale(self.regressor_.predict(self._scale_X(X)), X)

    def _last(self, X, y):
        return X[:, -1] if y.ndim == 1 else X[:, -1:]

    def _scale_X(self, X):
        k = self.target_scale
        if self.scaling == "last":
            return (X / X[:, -1:] - 1.0) * k
        if self.scaling == "returns":
            return np.diff(np.log(X), axis=1) * k
        return self.normaliser_.transform(X)

    def _scale_y(self, y, X):
        last, k = self._last(X, y), self.target_scale
        if self.scaling == "last":
            return (y / last - 1.0) * k
        if self.scaling == "returns":
            return np.log(y / last) * k
        return self.normaliser_.transform(y, reference=X)

    def _unscale(self, p, X):
        last, k = self._last(X, p), self.target_scale
        if self.scaling == "last":
            return last * (1.0 + p / k)
        if self.scaling == "returns":
            return last * np.exp(p / k)
        return self.normaliser_.inverse_transform(p, reference=X)


def _per_window(scaling, target_scale=1.0, chronological=False, **lstm):
    def build(seed):
        return WindowScaledRegressor(
            LSTMRegressor(random_state=seed, **lstm),
            scaling=scaling,
            target_scale=target_scale,
            chronological=chronological,
        )

    return build


def _global(seed):
    # Normaliser fitted on the training windows only; the target scaled by
    # its own Normaliser, fitted on the training targets, inside
    # TransformedTargetRegressor (predictions come back in dollars).
    model = make_pipeline(Normaliser(), LSTMRegressor(random_state=seed))
    return TransformedTargetRegressor(model, transformer=Normaliser())


# name: (builder(seed) -> estimator, or a baseline estimator; description)
METHODS = {
    "naive": (Persistence(), "persistence: next close = last close"),
    "drift": (
        Persistence(drift=True),
        "persistence x (1 + median change over the training windows)",
    ),
    "lstm_last": (_per_window("last"), "X/last-1, y/last-1; LSTM defaults"),
    "lstm_standard": (
        _per_window("standard"),
        "Normaliser(per_sequence=True), y by its window; defaults",
    ),
    "lstm_global": (_global, "Normaliser() fitted on train + TTR; defaults"),
    "lstm_returns": (
        _per_window("returns", 100.0),
        "log returns in %, predicts log(y/last); defaults",
    ),
    "lstm_last_chrono": (
        _per_window("last", chronological=True),
        "X/last-1; early stopping on the latest 10 % (val. MAE)",
    ),
    "lstm_last_h32_chrono": (
        _per_window("last", chronological=True, hidden_layer_sizes=32),
        "X/last-1; hidden_layer_sizes=32, early stopping on the latest 10 %",
    ),
    "lstm_returns_chrono": (
        _per_window("returns", 100.0, chronological=True),
        "log returns in %; early stopping on the latest 10 %",
    ),
    "lstm_standard_chrono": (
        _per_window("standard", chronological=True),
        "Normaliser(per_sequence=True); early stopping on the latest 10 %",
    ),
    "lstm_last_pct": (
        _per_window("last", 100.0),
        "X/last-1, y/last-1, in percent; defaults",
    ),
    "lstm_last_h32": (
        _per_window("last", hidden_layer_sizes=32),
        "X/last-1; hidden_layer_sizes=32",
    ),
    "lstm_last_h16": (
        _per_window("last", hidden_layer_sizes=16),
        "X/last-1; hidden_layer_sizes=16",
    ),
    "lstm_last_lr3e-4": (
        _per_window("last", learning_rate_init=3e-4),
        "X/last-1; learning_rate_init=3e-4",
    ),
    "lstm_last_lr3e-3": (
        _per_window("last", learning_rate_init=3e-3),
        "X/last-1; learning_rate_init=3e-3",
    ),
    "lstm_last_patient": (
        _per_window("last", n_iter_no_change=25),
        "X/last-1; n_iter_no_change=25",
    ),
    "lstm_last_noes20": (
        _per_window("last", early_stopping=False, max_iter=20),
        "X/last-1; early_stopping=False, max_iter=20",
    ),
    "lstm_last_b128": (
        _per_window("last", batch_size=128),
        "X/last-1; batch_size=128",
    ),
    "lstm_last_pct_alpha": (
        _per_window("last", 100.0, alpha=1e-2),
        "X/last-1 in percent; alpha=1e-2",
    ),
    "lstm_last_vlast": (
        _per_window("last", validation_split="last", normalise_y=False),
        "X/last-1; validation_split='last', normalise_y=False: "
        "WindowScaledRegressor()'s default",
    ),
    "lstm_last_vlast_normy": (
        _per_window("last", validation_split="last"),
        "X/last-1; validation_split='last', LSTMRegressor's normalise_y=True",
    ),
    "lstm_returns_h16": (
        _per_window("returns", 100.0, hidden_layer_sizes=16),
        "log returns in %; hidden_layer_sizes=16",
    ),
}
DEFAULT_METHODS = [
    "naive",
    "drift",
    "lstm_last",
    "lstm_last_vlast",
    "lstm_standard",
    "lstm_global",
    "lstm_returns",
    "lstm_last_chrono",
    "lstm_last_h32_chrono",
]


# ----------------------------------------------------------------------- data
def default_data_dir():
    """``$SKLSTM_DATA``, else ``shared/data`` beside the repository."""
    env = os.environ.get("SKLSTM_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "shared" / "data"


def load_prices(data_dir, synthetic):
    """Closes and a description of where they came from."""
    file = Path(data_dir) / DATA_FILE
    if not synthetic and file.is_file():
        bunch = load_price_csv(file)
        dates = bunch.dates
        return bunch.data, f"{file} ({dates[0]} to {dates[-1]})"
    if not synthetic:
        print(
            f"{file} not found (set --data-dir or SKLSTM_DATA); using a "
            "synthetic price series instead.\n"
        )
    prices = make_price_series(4697, start=1455.0, random_state=0)
    return prices, "make_price_series(4697, start=1455.0, random_state=0)"


def split_windows(prices, window, horizon, test_fraction):
    """Chronological split of the windows, with the boundary windows dropped.

    Returns ``(X_train, y_train), (X_test, y_test)``.
    """
    X, y = sliding_windows(prices, window, horizon=horizon)
    n_test = int(round(test_fraction * len(X)))
    start = len(X) - n_test
    gap = window + horizon - 1  # no close shared by a train and a test window
    if start - gap < 2 * window:
        raise ValueError(
            f"{len(prices)} prices leave too few training windows for "
            f"window={window}, horizon={horizon}, test_fraction={test_fraction}."
        )
    return (X[: start - gap], y[: start - gap]), (X[start:], y[start:])


# -------------------------------------------------------------------- metrics
def scores(y_true, y_pred, last, naive_mae):
    """MAE, RMSE, directional accuracy, MAE ratio; per step for 2-D ``y``."""
    y_true, y_pred = y_true.reshape(len(y_true), -1), y_pred.reshape(len(y_true), -1)
    err = y_pred - y_true
    mae_step = np.abs(err).mean(axis=0)
    move_pred = np.sign(y_pred - last[:, None])
    move_true = np.sign(y_true - last[:, None])
    direction = None
    if np.any(move_pred != 0):  # persistence predicts no move at all
        direction = float(np.mean(move_pred == move_true))
    mae = float(mae_step.mean())
    return {
        "mae": mae,
        "rmse": float(np.sqrt(np.mean(err**2))),
        "direction": direction,
        "ratio": mae / naive_mae if naive_mae else None,
        "mae_step": mae_step.tolist(),
    }


# ---------------------------------------------------------------------- runs
def run_method(name, seeds, train, test):
    """Fit ``name`` once per seed (once for a baseline).

    Returns a list of result dicts and the list of test predictions.
    """
    (X_train, y_train), (X_test, y_test) = train, test
    builder = METHODS[name][0]
    runs, predictions = [], []
    for seed in seeds if callable(builder) else [None]:
        model = builder(seed) if callable(builder) else clone(builder)
        t0 = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            model.fit(X_train, y_train)
        fit_time = time.perf_counter() - t0
        predictions.append(model.predict(X_test))
        result = evaluate(y_test, predictions[-1], X_test)
        result.update(
            seed=seed,
            fit_time=fit_time,
            epochs=_epochs(model),
            not_converged=any(
                issubclass(w.category, ConvergenceWarning) for w in caught
            ),
        )
        runs.append(result)
    return runs, predictions


def evaluate(y_test, y_pred, X_test):
    """:func:`scores` against persistence on the same test windows."""
    last = X_test[:, -1]
    naive_step = np.abs(y_test.reshape(len(y_test), -1) - last[:, None]).mean(0)
    result = scores(y_test, y_pred, last, float(naive_step.mean()))
    result["ratio_step"] = (np.array(result["mae_step"]) / naive_step).tolist()
    return result


def _epochs(model):
    """Epochs run (the inner regressor's, or the chronological loop's)."""
    if hasattr(model, "validation_mae_"):
        return len(model.validation_mae_)
    for attr in ("regressor_", "steps"):
        model = getattr(model, attr, model)
    if isinstance(model, list):
        model = model[-1][1]
    return getattr(model, "n_iter_", None)


def run_search(train, test, window, horizon, seed):
    """Grid search with TimeSeriesSplit on the training windows."""
    (X_train, y_train), (X_test, y_test) = train, test
    lstm = LSTMRegressor(random_state=seed)
    search = GridSearchCV(
        WindowScaledRegressor(lstm, scaling="last", chronological=True),
        {
            "regressor__hidden_layer_sizes": [32, 64],
            "regressor__learning_rate_init": [3e-4, 1e-3],
        },
        scoring="neg_mean_absolute_error",
        cv=TimeSeriesSplit(n_splits=3, gap=window + horizon - 1),
        refit=True,
    )
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X_train, y_train)
    elapsed = time.perf_counter() - t0
    # persistence on the same validation folds, for a ratio
    naive_cv = [
        np.abs(y_train[val].reshape(len(val), -1) - X_train[val, -1:]).mean()
        for _, val in search.cv.split(X_train)
    ]
    last = X_test[:, -1]
    naive_mae = float(np.abs(y_test.reshape(len(y_test), -1) - last[:, None]).mean())
    test_scores = scores(y_test, search.predict(X_test), last, naive_mae)
    rows = []
    for params, mean, folds in zip(
        search.cv_results_["params"],
        search.cv_results_["mean_test_score"],
        np.array([search.cv_results_[f"split{k}_test_score"] for k in range(3)]).T,
        strict=True,
    ):
        ratios = -folds / np.array(naive_cv)
        rows.append((params, -mean, ratios))
    return search, rows, test_scores, elapsed


# ---------------------------------------------------------------------- output
def _fmt(value, spec):
    return "n/a" if value is None else format(value, spec)


def summary_table(results):
    head = (
        "| method | MAE | RMSE | dir. acc. | MAE ratio mean [min, max] | "
        "ratio per seed | fit s | epochs |"
    )
    lines = [head, "|" + "---|" * 8]
    for name, runs in results.items():
        mean = {k: _mean([r[k] for r in runs]) for k in runs[0] if k != "mae_step"}
        ratios = [r["ratio"] for r in runs]
        spread = f"{mean['ratio']:.4f} [{min(ratios):.4f}, {max(ratios):.4f}]"
        per_seed = " ".join(f"{x:.3f}" for x in ratios) if len(runs) > 1 else "-"
        if any(r["not_converged"] for r in runs):
            per_seed += " (max_iter hit)"
        lines.append(
            f"| {name} | {mean['mae']:.2f} | {mean['rmse']:.2f} | "
            f"{_fmt(mean['direction'], '.3f')} | {spread} | {per_seed} | "
            f"{mean['fit_time']:.1f} | {_fmt(mean['epochs'], '.0f')} |"
        )
    return "\n".join(lines)


def horizon_table(results, horizon):
    lines = [
        "| method | " + " | ".join(f"t+{h + 1}" for h in range(horizon)) + " |",
        "|" + "---|" * (horizon + 1),
    ]
    naive = results.get("naive")
    for name, runs in results.items():
        ratio = np.mean([r["ratio_step"] for r in runs], axis=0)
        lines.append(f"| {name} | " + " | ".join(f"{x:.3f}" for x in ratio) + " |")
    if naive is not None:
        mae = naive[0]["mae_step"]
        lines.append("| (naive MAE) | " + " | ".join(f"{x:.2f}" for x in mae) + " |")
    return "\n".join(lines)


def _mean(values):
    values = [v for v in values if v is not None and not isinstance(v, bool)]
    return float(np.mean(values)) if values else None


def environment():
    blas = [
        f"{p.get('internal_api')} {p.get('num_threads')} threads"
        for p in threadpool_info()
    ]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"Python {platform.python_version()}, NumPy {np.__version__}, "
        f"scikit-learn {sklearn.__version__}; BLAS: {', '.join(blas) or 'none'}; "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}; "
        f"{os.cpu_count()} CPUs, load average {load:.2f} at start"
    )


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=default_data_dir(),
        help="folder holding sp500_daily/sp500.csv (default: %(default)s)",
    )
    parser.add_argument("--synthetic", action="store_true", help="use generated prices")
    parser.add_argument("--window", type=int, default=30, help="closes per window")
    parser.add_argument("--horizon", type=int, default=1, help="closes to predict")
    parser.add_argument(
        "--test-fraction", type=float, default=0.2, help="last share of windows"
    )
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0 .. n-1")
    parser.add_argument(
        "--methods",
        nargs="+",
        default=DEFAULT_METHODS,
        choices=list(METHODS),
        metavar="NAME",
        help="methods to run (--list shows them); default: %(default)s",
    )
    parser.add_argument(
        "--search",
        action="store_true",
        help="also grid-search lstm_last_chrono with TimeSeriesSplit",
    )
    parser.add_argument("--json", type=Path, help="write all results here")
    parser.add_argument("--list", action="store_true", help="list the methods")
    args = parser.parse_args(argv)
    if args.window < 2 or args.horizon < 1 or args.seeds < 1:
        parser.error("need --window >= 2, --horizon >= 1 and --seeds >= 1")
    if not 0 < args.test_fraction < 1:
        parser.error("--test-fraction must be between 0 and 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.list:
        for name, (_, text) in METHODS.items():
            print(f"{name:22s} {text}")
        return
    prices, source = load_prices(args.data_dir, args.synthetic)
    train, test = split_windows(prices, args.window, args.horizon, args.test_fraction)
    gap = args.window + args.horizon - 1
    (X_train, _), (X_test, y_test) = train, test
    up = float(np.mean(y_test.reshape(len(X_test), -1) > X_test[:, -1:]))
    print(f"data: {source}, {len(prices)} closes")
    print(
        f"windows of {args.window} closes -> next {args.horizon}; "
        f"{len(X_train)} train ({X_train.min():.0f} to {X_train.max():.0f}), "
        f"{gap} dropped at the boundary, {len(X_test)} test "
        f"({X_test.min():.0f} to {X_test.max():.0f})"
    )
    print(f"test targets above the last close ('always up' accuracy): {up:.3f}")
    print(environment())
    print()
    seeds = list(range(args.seeds))
    results = {}
    t_start = time.perf_counter()
    for name in args.methods:
        t0 = time.perf_counter()
        runs, predictions = run_method(name, seeds, train, test)
        results[name] = runs
        ratios = " ".join(f"{r['ratio']:.4f}" for r in runs)
        print(f"{name}: ratio {ratios} ({time.perf_counter() - t0:.0f} s)")
        if len(runs) > 1:  # the seeds' models averaged: a free ensemble
            ensemble = evaluate(y_test, np.mean(predictions, axis=0), X_test)
            ensemble.update(
                seed=None,
                fit_time=sum(r["fit_time"] for r in runs),
                epochs=None,
                not_converged=False,
            )
            results[f"{name} (mean of {len(runs)})"] = [ensemble]
    print()
    print(summary_table(results))
    if args.horizon > 1:
        print("\nMAE ratio to persistence per horizon step (mean over seeds):\n")
        print(horizon_table(results, args.horizon))
    output = {
        "args": {k: str(v) for k, v in vars(args).items()},
        "source": source,
        "environment": environment(),
        "results": results,
    }
    if args.search:
        search, rows, test_scores, elapsed = run_search(
            train, test, args.window, args.horizon, seed=0
        )
        print(
            "\nGridSearchCV, TimeSeriesSplit(n_splits=3, "
            f"gap={gap}) on the training windows ({elapsed:.0f} s):\n"
        )
        print("| params | CV MAE | CV MAE ratio per fold |\n|---|---|---|")
        for params, mae, ratios in rows:
            short = ", ".join(f"{k.split('__')[-1]}={v}" for k, v in params.items())
            fold = " ".join(f"{x:.3f}" for x in ratios)
            print(f"| {short} | {mae:.2f} | {fold} |")
        print(
            f"\nbest {search.best_params_}: test MAE {test_scores['mae']:.2f}, "
            f"ratio {test_scores['ratio']:.4f}, direction "
            f"{_fmt(test_scores['direction'], '.3f')}"
        )
        output["search"] = {
            "best_params": search.best_params_,
            "test": test_scores,
            "rows": [(p, m, r.tolist()) for p, m, r in rows],
        }
    print(f"\ntotal {time.perf_counter() - t_start:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(output, indent=1, default=str))


if __name__ == "__main__":
    sys.exit(main())
