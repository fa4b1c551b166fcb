# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""Time an exported model in ONNX Runtime against sklstm's own ``predict``.

For each configuration a regressor (one output per sequence, read off the
last step) is fitted for one epoch on random data, exported with
:func:`sklstm.onnx.to_onnx`, and both run on the CPU:

* ``latency``: one sequence per call (``predict(X[:1])``, the streaming or
  request-serving case), in milliseconds;
* ``throughput``: a batch of ``--batch`` sequences per call, in sequences
  per second.

sklstm's time is its ``predict`` as a user calls it (input validation, the
batch conversion, the network, the un-scaling of the targets).
ONNX Runtime's is ``session.run`` on arrays prepared once
(:func:`sklstm.onnx.make_feed`, a few microseconds, left out).  Both run in
this process with the same thread count (``--threads``: the environment's
BLAS, OpenMP and numba pools for sklstm, set before NumPy is imported;
``intra_op_num_threads`` for ONNX Runtime).  The two alternate, call by
call within each round, after a warm-up; each round's value is the median
of ``--repeat`` calls, and the table shows the median over ``--rounds``
rounds.  ``ratio`` is sklstm's time over ONNX Runtime's (above 1: ONNX
Runtime is faster).  ``max diff`` is the largest absolute difference
between the two predictions.

Usage::

    python benchmarks/bench_onnx.py                        # all configs
    python benchmarks/bench_onnx.py --configs mid --cell gru --rounds 7
    python benchmarks/bench_onnx.py --custom 4,100,96,2 --batch 512
    python benchmarks/bench_onnx.py --threads 2 --json out.json

onnx and onnxruntime are needed (``pip install "sklstm[onnx]"``).
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time
import warnings

# name: (F features, T steps, H units, layers)
CONFIGS = {
    "small": (1, 50, 32, 1),
    "mid": (8, 100, 64, 2),
    "large": (32, 200, 128, 1),
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS))
    parser.add_argument(
        "--custom",
        metavar="F,T,H,LAYERS",
        help="one more configuration, e.g. 4,100,96,2",
    )
    parser.add_argument("--cell", default="lstm", choices=["lstm", "gru"])
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--json", help="also write the results to this file")
    return parser.parse_args()


ARGS = parse_args()
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)
os.environ["NUMBA_NUM_THREADS"] = str(ARGS.threads)

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402

from sklstm import LSTMRegressor  # noqa: E402
from sklstm.onnx import make_feed, to_onnx  # noqa: E402


def build(F, T, H, layers, cell, seed=0):
    """A fitted regressor, its ONNX Runtime session and a test batch."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(max(ARGS.batch, 64), T, F)).astype(np.float32)
    y = X[:, :, 0].mean(axis=1)
    reg = LSTMRegressor(
        (H,) * layers, cell=cell, max_iter=1, batch_size=64, random_state=seed
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one epoch: a ConvergenceWarning
        reg.fit(X[:64], y[:64])
    options = ort.SessionOptions()
    options.intra_op_num_threads = ARGS.threads
    options.inter_op_num_threads = 1
    sess = ort.InferenceSession(
        to_onnx(reg).SerializeToString(),
        options,
        providers=["CPUExecutionProvider"],
    )
    return reg, sess, X[: ARGS.batch]


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def compare(reg, sess, X):
    """Median seconds per call of sklstm and of ONNX Runtime on X,
    alternating call by call, and the largest difference of their outputs."""
    feed = make_feed(sess, X)

    def ours():
        return reg.predict(X)

    def theirs():
        return sess.run(["prediction"], feed)[0]

    diff = float(np.abs(ours() - theirs()).max())
    for _ in range(3):  # warm-up
        ours(), theirs()
    rounds = []
    for _ in range(ARGS.rounds):
        a, b = [], []
        for _ in range(ARGS.repeat):
            a.append(timed(ours))
            b.append(timed(theirs))
        rounds.append((statistics.median(a), statistics.median(b)))
    sk = statistics.median(r[0] for r in rounds)
    rt = statistics.median(r[1] for r in rounds)
    return sk, rt, diff


def main():
    configs = {name: CONFIGS[name] for name in ARGS.configs}
    if ARGS.custom:
        configs["custom"] = tuple(int(v) for v in ARGS.custom.split(","))
    print(
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"load {os.getloadavg()[0]:.2f}; python {sys.version.split()[0]}, "
        f"numpy {np.__version__}, onnxruntime {ort.__version__}; "
        f"cell={ARGS.cell}, threads={ARGS.threads}, batch={ARGS.batch}, "
        f"rounds={ARGS.rounds}, repeat={ARGS.repeat}"
    )
    header = (
        "| config | F | T | H | layers | sklstm 1 seq (ms) | ORT 1 seq (ms) | ratio "
        f"| sklstm {ARGS.batch} (seq/s) | ORT {ARGS.batch} (seq/s) | ratio "
        "| max diff |"
    )
    print(header)
    print("|---" * 12 + "|")
    results = []
    for name, (F, T, H, layers) in configs.items():
        reg, sess, X = build(F, T, H, layers, ARGS.cell)
        sk1, rt1, d1 = compare(reg, sess, X[:1])
        skb, rtb, db = compare(reg, sess, X)
        B = len(X)
        row = {
            "config": name,
            "F": F,
            "T": T,
            "H": H,
            "layers": layers,
            "latency_ms": {"sklstm": 1e3 * sk1, "onnxruntime": 1e3 * rt1},
            "throughput": {"sklstm": B / skb, "onnxruntime": B / rtb},
            "latency_ratio": sk1 / rt1,
            "throughput_ratio": skb / rtb,
            "max_diff": max(d1, db),
        }
        results.append(row)
        print(
            f"| {name} | {F} | {T} | {H} | {layers} | {1e3 * sk1:.2f} | "
            f"{1e3 * rt1:.2f} | **{sk1 / rt1:.1f}** | {B / skb:,.0f} | "
            f"{B / rtb:,.0f} | **{skb / rtb:.1f}** | {max(d1, db):.1e} |",
            flush=True,
        )
    print(f"# load at the end {os.getloadavg()[0]:.2f}")
    if ARGS.json:
        with open(ARGS.json, "w") as f:
            json.dump({"args": vars(ARGS), "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
