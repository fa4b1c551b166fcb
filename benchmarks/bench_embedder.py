"""Memory and time of Embedder on a large corpus of short texts.

Measures, in a fresh subprocess per run (so peak memory is the run's own):

* the resident memory of the texts themselves (Python strings),
* the peak resident memory added by ``Embedder.fit_transform`` (vocabulary,
  co-occurrence counts, SVD, ids),
* the size of its output (token ids plus the vector table), against the
  ``(n, T, n_dims)`` float32 array a dense embedding would take.

Usage::

    python benchmarks/bench_embedder.py                 # 1,000,000 texts
    python benchmarks/bench_embedder.py --n-texts 100000 --vectors random

The texts are generated here: 5 to 20 words drawn from a Zipf-like
distribution over a 50,000-word vocabulary (shaped like short reviews).
"""

import argparse
import json
import resource
import subprocess
import sys
import time


def _rss_mb():
    """Current resident memory of this process, in MB (Linux)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 1e6


def _peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3  # kB on Linux


def make_texts(n_texts, seed=0):
    import numpy as np

    rng = np.random.default_rng(seed)
    n_words = 50_000
    words = np.array([f"w{i}" for i in range(n_words)])
    p = 1.0 / np.arange(1, n_words + 1)
    p /= p.sum()
    lengths = rng.integers(5, 21, n_texts)
    flat = words[rng.choice(n_words, lengths.sum(), p=p)]
    ends = np.cumsum(lengths)
    return [" ".join(flat[e - k : e]) for e, k in zip(ends, lengths, strict=True)]


def worker(n_texts, vectors, n_dims):
    from sklstm import Embedder

    base = _rss_mb()
    texts = make_texts(n_texts)
    texts_mb = _rss_mb() - base
    before = _rss_mb()
    t0 = time.perf_counter()
    emb = Embedder(vectors=vectors, n_dims=n_dims, random_state=0)
    X = emb.fit_transform(texts)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    emb.transform(texts[:100_000])
    transform_rate = 100_000 / (time.perf_counter() - t0)
    out = {
        "n_texts": n_texts,
        "n_tokens_total": int(X.lengths.sum()),
        "vocabulary": len(emb.words_),
        "vectors": vectors,
        "n_dims": n_dims,
        "texts_mb": round(texts_mb, 1),
        "rss_before_fit_mb": round(before, 1),
        "peak_rss_mb": round(_peak_mb(), 1),
        "fit_peak_extra_mb": round(_peak_mb() - before, 1),
        "output_ids_mb": round(X._ids.nbytes / 1e6, 1),
        "output_table_mb": round(X.vectors.nbytes / 1e6, 1),
        "dense_equivalent_mb": round(
            len(X) * int(X.lengths.max()) * n_dims * 4 / 1e6, 1
        ),
        "fit_transform_s": round(fit_s, 1),
        "transform_texts_per_s": round(transform_rate),
    }
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-texts", type=int, default=1_000_000)
    parser.add_argument("--vectors", default="ppmi", choices=["ppmi", "random"])
    parser.add_argument("--n-dims", type=int, default=100)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.n_texts, args.vectors, args.n_dims)))
        return
    cmd = [sys.executable, __file__, "--worker", "--n-texts", str(args.n_texts)]
    cmd += ["--vectors", args.vectors, "--n-dims", str(args.n_dims)]
    result = json.loads(subprocess.run(cmd, capture_output=True, check=True).stdout)
    width = max(map(len, result))
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
