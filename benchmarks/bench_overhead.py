# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""What an estimator call costs beyond its network: validation, padding,
copying, building the network from ``coefs_``, and the divergence guard.

For each configuration of ``bench_lstm.py`` (same B, T, F, H, layers) an
``LSTMRegressor`` is fitted with one ``partial_fit``; then, alternated in one
process (medians of repeated calls):

* ``predict`` of one batch of B sequences against the network's forward
  pass on the same batch, already laid out (``raw fwd``);
* ``predict`` of one short sequence (online use: 10 steps) against its
  forward pass;
* ``partial_fit`` on one batch against one raw training step (forward,
  loss, backward, update) of the estimator's own network.  A
  ``partial_fit`` also runs the divergence guard, which scores the weights
  it starts from and those it returns on a probe batch (two forward passes,
  ``guard``); ``other`` is what is left: validation, target encoding,
  building the network and copying the weights in and out.

Usage::

    python benchmarks/bench_overhead.py
    python benchmarks/bench_overhead.py --configs ts_uni mid --min-time 1
"""

import argparse
import os
import statistics
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_lstm import CONFIGS, CPU_CONFIGS  # noqa: E402

from sklstm import LSTMRegressor  # noqa: E402
from sklstm._base import _PROBE_SIZE, DTYPE  # noqa: E402

SHORT = 10  # steps of the one online sequence


def median_time(fn, min_time):
    """Median seconds of ``fn()`` after a warm-up, over about ``min_time`` s."""
    for _ in range(3):
        fn()
    times, t0 = [], time.perf_counter()
    while len(times) < 7 or time.perf_counter() - t0 < min_time:
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def measure(config, min_time):
    B, T, F, H, layers, per_step = CONFIGS[config]
    rng = np.random.default_rng(0)
    X = rng.standard_normal((B, T, F), dtype=np.float32)
    y = rng.standard_normal((B, T, H) if per_step else (B,))
    est = LSTMRegressor(
        hidden_layer_sizes=(H,) * layers,
        batch_size=B,
        dropout=0.0,
        return_sequences=per_step,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.partial_fit(X, y)

    def layout(Xs):
        seqs = est._check_X(Xs, reset=False)
        batch = seqs.batch(np.arange(seqs.n_samples), dtype=DTYPE, xp=np)
        return est._network_for_predict(seqs, np), batch

    net, (Xb, lb) = layout(X)
    x1 = X[:1, :SHORT]
    net1, (X1, l1) = layout(x1)
    # the estimator's own training step, on its own network and targets
    seqs, sw = est._check_X(X, reset=False), np.ones(B)
    Y, _ = est._encode_targets(y, seqs, False)
    opts = est._new_optimizers(net)
    idx = np.arange(B)
    n_probe = min(B, _PROBE_SIZE)
    probe_X, probe_l = Xb[:, :, :n_probe], lb[:n_probe]

    def step():
        est._train_step(net, opts, seqs, Y, sw, idx, np)

    def partial_fit():
        est.partial_fit(X, y)

    calls = {
        "predict": lambda: est.predict(X),
        "raw fwd": lambda: net.forward(Xb, lb, training=False),
        "predict 1": lambda: est.predict(x1),
        "raw fwd 1": lambda: net1.forward(X1, l1, training=False),
        "partial_fit": partial_fit,
        "raw step": step,
        "probe fwd": lambda: net.forward(probe_X, probe_l, training=False),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        rounds = [
            {k: median_time(f, min_time / len(calls)) for k, f in calls.items()}
            for _ in range(3)
        ]
    return {k: statistics.median(r[k] for r in rounds) for k in calls}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--configs", nargs="+", choices=list(CONFIGS), default=CPU_CONFIGS)
    p.add_argument("--min-time", type=float, default=2.0, help="seconds per round")
    args = p.parse_args(argv)
    print(
        f"{'config':<9} {'predict':>8} {'raw fwd':>8} {'over':>5}  "
        f"{'1 seq':>6} {'raw':>6} {'over':>5}  {'partial_fit':>11} {'raw step':>9} "
        f"{'guard':>6} {'other':>6}"
    )
    for c in args.configs:
        m = {k: 1e3 * v for k, v in measure(c, args.min_time).items()}
        guard = 2 * m["probe fwd"]
        other = m["partial_fit"] - m["raw step"] - guard
        print(
            f"{c:<9} {m['predict']:>8.2f} {m['raw fwd']:>8.2f} "
            f"{(m['predict'] / m['raw fwd'] - 1):>5.0%}  "
            f"{m['predict 1']:>6.3f} {m['raw fwd 1']:>6.3f} "
            f"{(m['predict 1'] / m['raw fwd 1'] - 1):>5.0%}  "
            f"{m['partial_fit']:>11.2f} {m['raw step']:>9.2f} "
            f"{guard / m['raw step']:>6.0%} {other / m['raw step']:>6.0%}",
            flush=True,
        )
    print(
        "\ntimes in ms; over = share of the call beyond the network's forward pass; "
        "guard and other as\nshares of the raw step: guard = the divergence "
        "guard's two probe passes, other = validation,\ntarget encoding, "
        "building the network and copying weights in and out."
    )


if __name__ == "__main__":
    main()
