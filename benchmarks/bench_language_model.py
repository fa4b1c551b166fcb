# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""Next-word prediction on tiny-shakespeare, and training throughput vs PyTorch.

Two measurements:

1. **Quality.** The corpus is tokenised by :class:`sklstm.Embedder` with its
   defaults (lower case, words and punctuation marks as tokens, words seen
   twice or more in the training part, the rest ``<unk>``).  The first 90 %
   of the tokens train, the last 10 % test.  ``LSTMLanguageModel()`` with
   its defaults (``random_state`` = each seed) is fitted on the training
   stream (it holds out 10 % of it, spread over the stream, for early
   stopping) and scored on the
   test stream: perplexity and top-1 / top-5 next-word accuracy, beside a
   unigram and an add-one bigram model on the same tokens.
2. **Throughput.** The "small" model of Zaremba et al. (2014): embedding
   200, two LSTM layers of 200, unroll 35, batch 20, full softmax over the
   same vocabulary, SGD with gradient clipping at 5.  The same training
   step is timed in sklstm and in ``torch`` (CPU build: a reference for
   benchmarks only, never a dependency of sklstm), each in its own process,
   alternated over rounds; the table gives tokens per second and the ratio.

Usage::

    python benchmarks/bench_language_model.py                 # both, seed 0
    python benchmarks/bench_language_model.py --seeds 0 1 2
    python benchmarks/bench_language_model.py --throughput-only
    python benchmarks/bench_language_model.py --throughput-only --torch-reference

The data is ``tiny_shakespeare/input.txt`` under ``--data-dir`` (default:
``$SKLSTM_DATA``, else ``shared/data`` next to the repository); with
``--synthetic`` or when it is missing, generated text
(:func:`sklstm.datasets.make_text_corpus`) is used and the output says so.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

DATA_FILE = Path("tiny_shakespeare") / "input.txt"


# ----------------------------------------------------------------------- data
def default_data_dir():
    env = os.environ.get("SKLSTM_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "shared" / "data"


def load_corpus(data_dir, synthetic):
    from sklstm.datasets import load_text, make_text_corpus

    path = Path(data_dir) / DATA_FILE
    if synthetic or not path.exists():
        print(f"(generated text: {path} not used)")
        return make_text_corpus(250_000, random_state=0), "generated"
    return load_text(path), str(path)


def split_tokens(text, embedder):
    """Fit ``embedder`` on the first 90 % of the tokens; return the token
    sequences of both parts."""
    import re

    pattern = re.compile(embedder.token_pattern)
    starts = [m.start() for m in pattern.finditer(text.lower())]
    cut = starts[int(0.9 * len(starts))]
    X_train = embedder.fit_transform([text[:cut]])
    return X_train, embedder.transform([text[cut:]])


# ------------------------------------------------------------------ baselines
def ngram_scores(train, test, n_tokens):
    """Perplexity, top-1 and top-5 accuracy of a unigram and an add-one
    bigram model (ids 1.. are the words, as in the language model)."""
    counts = np.bincount(train, minlength=n_tokens)[1:].astype(np.float64)
    p_uni = (counts + 1) / (counts.sum() + len(counts))
    target = test[1:] - 1
    uni_top = np.argsort(-counts, kind="stable")[:5]
    out = {
        "unigram": (
            float(np.exp(-np.mean(np.log(p_uni[target])))),
            float(np.mean(target == uni_top[0])),
            float(np.mean(np.isin(target, uni_top))),
        )
    }
    V = len(counts)
    M = np.zeros((V, V), dtype=np.float32)
    np.add.at(M, (train[:-1] - 1, train[1:] - 1), 1)
    prev = test[:-1] - 1
    rows = M[prev]
    p = (rows[np.arange(len(prev)), target] + 1) / (rows.sum(axis=1) + V)
    # ties broken by overall frequency: an unseen context suggests common words
    order = np.argsort(-(rows + 1e-6 * p_uni), axis=1)[:, :5]
    out["bigram (add-one)"] = (
        float(np.exp(-np.mean(np.log(p)))),
        float(np.mean(order[:, 0] == target)),
        float(np.mean((order == target[:, None]).any(axis=1))),
    )
    return out


def run_quality(text, seeds, max_iter):
    from sklstm import Embedder, LSTMLanguageModel

    t0 = time.perf_counter()
    embedder = Embedder(random_state=0)
    X_train, X_test = split_tokens(text, embedder)
    print(
        f"tokens: {X_train.lengths[0]} train, {X_test.lengths[0]} test; "
        f"vocabulary {len(embedder.words_)} (with <pad>, <unk>); "
        f"Embedder {time.perf_counter() - t0:.1f} s"
    )
    rows = {
        name: (*scores, None, None, None)
        for name, scores in ngram_scores(
            X_train._ids, X_test._ids, len(embedder.words_)
        ).items()
    }
    for seed in seeds:
        params = {"random_state": seed}
        if max_iter:
            params["max_iter"] = max_iter
        lm = LSTMLanguageModel(**params)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lm.fit(X_train)
        seconds = time.perf_counter() - t0
        ppl = lm.perplexity(X_test)
        top1, top5 = lm.top_k_accuracy(X_test, k=[1, 5])
        speed = np.median([h["tokens_per_s"] for h in lm.history_])
        rows[f"LSTMLanguageModel() seed {seed}"] = (
            ppl,
            float(top1),
            float(top5),
            seconds,
            lm.n_iter_,
            speed,
        )
        print(
            f"seed {seed}: perplexity {ppl:.1f}, top-1 {top1:.3f}, top-5 {top5:.3f}, "
            f"{lm.n_iter_} epochs, {seconds:.0f} s, {speed:.0f} tokens/s",
            flush=True,
        )
        curve = [round(float(np.exp(-s)), 1) for s in lm.validation_scores_]
        print(f"  validation perplexity per epoch: {curve}")
    print()
    print("| model | test perplexity | top-1 | top-5 | epochs | fit s | tokens/s |")
    print("|---|---|---|---|---|---|---|")
    for name, (ppl, t1, t5, sec, ep, sp) in rows.items():
        extra = "| | |" if sec is None else f"| {ep} | {sec:.0f} | {sp:.0f} |"
        print(f"| {name} | {ppl:.1f} | {t1:.3f} | {t5:.3f} {extra}")
    return rows


# ----------------------------------------------------------------- throughput
_WORKER = r"""
import json, sys, time
import numpy as np
cfg = json.loads(sys.argv[1])
V, E, H, T, B, n = cfg["V"], cfg["E"], cfg["H"], cfg["T"], cfg["B"], cfg["steps"]
rng = np.random.RandomState(0)
ids = rng.randint(2, V, (n + 2, T + 1, B))
if cfg["backend"] == "torch":
    import torch
    torch.set_num_threads(cfg["threads"])
    torch.manual_seed(0)
    emb = torch.nn.Embedding(V, E)
    lstm = torch.nn.LSTM(E, H, num_layers=2)
    head = torch.nn.Linear(H, V - 1)
    params = [*emb.parameters(), *lstm.parameters(), *head.parameters()]
    opt = torch.optim.SGD(params, lr=1.0)
    loss_fn = torch.nn.CrossEntropyLoss()
    batches = torch.from_numpy(ids).long()
    state = None
    def step(k):
        global state
        x, y = batches[k, :-1], batches[k, 1:] - 1
        out, state = lstm(emb(x), state)
        state = tuple(s.detach() for s in state)
        loss = loss_fn(head(out).reshape(-1, V - 1), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 5.0)
        opt.step()
else:
    from sklstm import LSTMLanguageModel, TokenSequences
    from sklstm._backend import get_namespace
    from sklstm._optimizers import make_optimizer
    from sklearn.utils import check_random_state
    xp = get_namespace("cpu")
    lm = LSTMLanguageModel((H, H), dropout=0.0, bptt=T, batch_size=B, solver="sgd",
                           learning_rate_init=1.0, random_state=0)
    X = TokenSequences([ids[0, :, 0]], rng.normal(0, 0.05, (V, E)).astype(np.float32))
    lm._check_tokens(X, reset=True)
    lm._random_state = check_random_state(0)
    net = lm._network(xp)
    net.initialize(lm._random_state)
    net.set_embeddings(X.vectors)
    opts = [make_optimizer("sgd", 1.0), make_optimizer("sgd", 1.0)]
    state = None
    def step(k):
        global state
        _, state = lm._train_step(net, opts, ids[k], state, xp)
for k in range(2):
    step(k)
t0 = time.perf_counter()
for k in range(n):
    step(k % (n + 2))
print(json.dumps({"tokens_per_s": n * T * B / (time.perf_counter() - t0)}))
"""


def run_throughput(V, rounds, steps, threads):
    cfg = {"V": V, "E": 200, "H": 200, "T": 35, "B": 20, "steps": steps}
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    speeds = {"torch": [], "sklstm": []}
    for _ in range(rounds):
        for backend in ("torch", "sklstm"):
            args = json.dumps(dict(cfg, backend=backend, threads=threads))
            out = subprocess.run(
                [sys.executable, "-c", _WORKER, args],
                capture_output=True,
                text=True,
                env=env,
                check=False,
            )
            if out.returncode != 0:
                print(f"{backend} failed:\n{out.stderr[-2000:]}")
                return None
            speeds[backend].append(json.loads(out.stdout)["tokens_per_s"])
    torch_s, ours = np.median(speeds["torch"]), np.median(speeds["sklstm"])
    print()
    print(
        f"Throughput, Zaremba 'small' (emb 200, 2 x LSTM 200, unroll 35, batch 20, "
        f"softmax over {V - 1} words, SGD, clip 5), {threads} threads, median of "
        f"{rounds} rounds of {steps} steps:"
    )
    print("| | tokens/s | time ratio sklstm / torch |")
    print("|---|---|---|")
    print(f"| torch {_torch_version()} | {torch_s:.0f} | |")
    print(f"| sklstm | {ours:.0f} | {torch_s / ours:.2f} |")
    return torch_s, ours


_REFERENCE = r"""
import json, math, sys, time
import numpy as np, torch
cfg = json.loads(sys.argv[1])
torch.set_num_threads(cfg["threads"]); torch.manual_seed(0)
train = np.load(cfg["train"]); test = np.load(cfg["test"]); V = cfg["V"]
H = E = 200; T, B = 35, 20
class LM(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(V, E)
        self.lstm = torch.nn.LSTM(E, H, 2)
        self.out = torch.nn.Linear(H, V - 1)
        for p in self.parameters():
            torch.nn.init.uniform_(p, -0.1, 0.1)
    def forward(self, x, state):
        y, state = self.lstm(self.emb(x), state)
        return self.out(y), state
def grid(ids):
    L = len(ids) // B
    return torch.from_numpy(ids[: L * B].reshape(B, L).T.astype(np.int64))
model = LM(); opt = torch.optim.SGD(model.parameters(), lr=1.0)
def evaluate(ids):
    model.eval(); g = grid(ids); state = None; nll = n = 0; hits = [0, 0]
    with torch.no_grad():
        for t in range(0, len(g) - 1, T):
            x, y = g[t:t + T], g[t + 1:t + T + 1] - 1
            z, state = model(x[: len(y)], state)
            z, y = z.reshape(-1, V - 1), y.reshape(-1)
            nll += torch.nn.functional.cross_entropy(z, y, reduction="sum").item()
            n += len(y)
            top = z.topk(5, dim=1).indices
            hits[0] += (top[:, 0] == y).sum().item()
            hits[1] += (top == y[:, None]).any(1).sum().item()
    model.train()
    return math.exp(nll / n), hits[0] / n, hits[1] / n
g = grid(train)
for epoch in range(13):
    for group in opt.param_groups:
        group["lr"] = 0.5 ** max(0, epoch - 3)
    state, t0 = None, time.time()
    for t in range(0, len(g) - 1, T):
        x, y = g[t:t + T], g[t + 1:t + T + 1] - 1
        z, state = model(x[: len(y)], state)
        state = tuple(s.detach() for s in state)
        # Zaremba et al. sum the loss over the unrolled steps (mean over the
        # batch): lr 1 on that sum is lr T on the mean loss per token
        loss = torch.nn.functional.cross_entropy(z.reshape(-1, V - 1), y.reshape(-1))
        opt.zero_grad(); (loss * len(y)).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0); opt.step()
    ppl, top1, top5 = evaluate(test)
    print(f"epoch {epoch + 1}: test perplexity {ppl:.1f}, top-1 {top1:.3f}, "
          f"top-5 {top5:.3f}, {time.time() - t0:.0f} s", flush=True)
"""


def run_reference(text, threads):
    """Train the Zaremba 'small' model in torch on the same tokens."""
    import tempfile

    from sklstm import Embedder

    embedder = Embedder(vectors="random", random_state=0)
    X_train, X_test = split_tokens(text, embedder)
    with tempfile.TemporaryDirectory() as tmp:
        paths = {"train": f"{tmp}/train.npy", "test": f"{tmp}/test.npy"}
        np.save(paths["train"], X_train._ids)
        np.save(paths["test"], X_test._ids)
        cfg = dict(paths, V=len(embedder.words_), threads=threads)
        print("\nReference: Zaremba 'small' in torch on the same tokens (13 epochs)")
        subprocess.run([sys.executable, "-c", _REFERENCE, json.dumps(cfg)], check=False)


def _torch_version():
    try:
        import torch
    except ImportError:
        return "(not installed)"
    return torch.__version__


def environment():
    import sklearn

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"Python {platform.python_version()}, NumPy {np.__version__}, "
        f"scikit-learn {sklearn.__version__}; {os.cpu_count()} CPUs, "
        f"load average {load:.2f} at start"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=default_data_dir())
    parser.add_argument("--synthetic", action="store_true")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--max-iter", type=int, default=None)
    parser.add_argument("--throughput-only", action="store_true")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--torch-reference",
        action="store_true",
        help="also train the Zaremba 'small' model in torch (about 5 min)",
    )
    args = parser.parse_args(argv)
    print(environment())
    text, source = load_corpus(args.data_dir, args.synthetic)
    print(f"data: {source}")
    from sklstm import Embedder

    embedder = Embedder(vectors="random", random_state=0)
    split_tokens(text, embedder)
    V = len(embedder.words_)
    if not args.throughput_only:
        run_quality(text, args.seeds, args.max_iter)
    try:
        import torch  # noqa: F401
    except ImportError:
        print("\ntorch is not installed: no throughput reference.")
        return 0
    run_throughput(V, args.rounds, args.steps, args.threads)
    if args.torch_reference:
        run_reference(text, args.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
