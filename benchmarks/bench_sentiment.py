# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""Sentiment on MR (sentence polarity) with the default text pipeline.

``make_pipeline(Embedder(random_state=s), LSTMClassifier(random_state=s))``
with every other parameter at its default (the pipeline passes the labels
to the embedder too, which then appends the words' log-count ratios to
their vectors: ``Embedder(label_dims=8)``), on the split of the text issue:
the 10,662 sentences shuffled with ``numpy.random.RandomState(0)``'s
permutation, the last 10 % as test (the classifier carves its validation
set for early stopping from the rest).  Reported per seed: test accuracy,
epochs and fit time; then the median and range.

Usage::

    python benchmarks/bench_sentiment.py                 # seeds 0-4
    python benchmarks/bench_sentiment.py --seeds 0 1

The data is ``rt_polarity/`` under ``--data-dir`` (default: ``$SKLSTM_DATA``,
else ``shared/data`` next to the repository); with ``--synthetic`` or when
it is missing, :func:`sklstm.datasets.make_sentiment_texts` is used and the
output says so.
"""

import argparse
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np


def default_data_dir():
    env = os.environ.get("SKLSTM_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "shared" / "data"


def load(data_dir, synthetic):
    from sklstm.datasets import load_polarity, make_sentiment_texts

    folder = Path(data_dir) / "rt_polarity"
    if synthetic or not folder.is_dir():
        print(f"(generated sentences: {folder} not used)")
        texts, y = make_sentiment_texts(10662, random_state=0)
        texts = np.array(texts, dtype=object)
    else:
        data = load_polarity(folder)
        texts, y = np.array(data.data, dtype=object), data.target
    order = np.random.RandomState(0).permutation(len(texts))
    texts, y = texts[order], y[order]
    n = int(0.9 * len(texts))
    return (texts[:n], y[:n]), (texts[n:], y[n:])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=default_data_dir())
    parser.add_argument("--synthetic", action="store_true")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    args = parser.parse_args(argv)

    import sklearn
    from sklearn.pipeline import make_pipeline

    from sklstm import Embedder, LSTMClassifier

    load_avg = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"Python {platform.python_version()}, NumPy {np.__version__}, "
        f"scikit-learn {sklearn.__version__}; {os.cpu_count()} CPUs, "
        f"load average {load_avg:.2f} at start"
    )
    (X, y), (X_test, y_test) = load(args.data_dir, args.synthetic)
    print(f"{len(X)} training sentences, {len(X_test)} test sentences\n")
    print("| seed | test accuracy | epochs | fit s |")
    print("|---|---|---|---|")
    scores = []
    for seed in args.seeds:
        model = make_pipeline(
            Embedder(random_state=seed), LSTMClassifier(random_state=seed)
        )
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X, y)
        seconds = time.perf_counter() - t0
        scores.append(model.score(X_test, y_test))
        print(
            f"| {seed} | {scores[-1]:.4f} | {model[-1].n_iter_} | {seconds:.0f} |",
            flush=True,
        )
    print(
        f"\nmedian {np.median(scores):.4f}, range [{min(scores):.4f}, "
        f"{max(scores):.4f}] over {len(scores)} seeds"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
