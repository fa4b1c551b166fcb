# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""Time sklstm's LSTM core against ``torch.nn.LSTM``, on the CPU or a GPU.

With ``--cell gru`` the same comparison runs for sklstm's GRU cell against
``torch.nn.GRU`` (same equations and weight layout).

Both sides run the same model from the same initial weights (sklstm's
initialisation, loaded into PyTorch): LSTM layers on batch-first data, a
linear head (on the last step, or on every step for ``lm_like``, whose head
has H = 200 outputs), squared error (PyTorch's mean, sklstm's half mean) and
Adam, in float32.  For each configuration two things are timed:

* ``fwd``:  a forward pass for inference (no gradient bookkeeping);
* ``step``: one training step (forward, loss, backward, Adam update).

Each backend runs in its own subprocess of this script (two BLAS / OpenMP
thread pools in one process interfere), with the thread count fixed through
the environment before NumPy or PyTorch is imported.  Backends alternate,
several rounds; the table shows medians over rounds, each round's value being
the median of repeated calls after a warm-up.

With ``--gemm-floor`` the sklstm worker also replays, alone and in order, the
matrix products (``xp.matmul`` calls, same operands and output buffers) that
one forward pass and one training step make, and times them: what sklstm's
time would be if everything but the BLAS calls were free.  Its ratio to
PyTorch is the lowest ratio the current BLAS allows on that config.

sklstm runs as the estimator does: with its numba-compiled gate kernels.
With ``--plain`` a third worker runs sklstm with the plain NumPy gate math
(as where numba cannot compile them) in the same rounds.

sklstm's timings include the conversion of the batch-first ``(B, T, F)``
array into the feature-major ``(F+1, T, B)`` batch (with its row of ones),
since the estimator does that per batch and PyTorch reads ``(B, T, F)``
directly.

sklstm's worker sizes its BLAS threads as a fit does
(:class:`sklstm._threads.BlasThreads`: the cores other processes leave
free, measured between calls).  With ``--load`` every worker also runs a
second time beside a process spinning on one core, and a second table
gives both backends' loaded times, their ratio, and the share of its idle
throughput each kept.

With ``--device cuda`` both sides run on the GPU: sklstm on CuPy (its fused
step kernels and cuBLAS), PyTorch on cuDNN.  Each call then starts from the
host batch (sklstm converts it on the host and copies it, as the estimator
does; PyTorch copies its ``(B, T, F)`` tensor) and ends with a device
synchronisation, and the default configs add ``large`` (B=256, T=100, F=128,
H=512).

Usage::

    python benchmarks/bench_lstm.py                     # all configs, 5 rounds
    python benchmarks/bench_lstm.py --configs mid long --rounds 3
    python benchmarks/bench_lstm.py --sklstm-blas-threads 1 --json out.json
    python benchmarks/bench_lstm.py --phases --configs lm_like   # sklstm phases
    python benchmarks/bench_lstm.py --gemm-floor   # + sklstm's matrix products alone
    python benchmarks/bench_lstm.py --plain   # + sklstm without numba, same run
    python benchmarks/bench_lstm.py --check    # both compute the same scores
    python benchmarks/bench_lstm.py --load     # + beside one busy process
    python benchmarks/bench_lstm.py --device cuda --rounds 3   # on a GPU

PyTorch is a reference for this script only; the ``sklstm`` package never
imports it.
"""

import argparse
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time

# name: (B, T, F, H, layers, head at every step)
CONFIGS = {
    "ts_uni": (64, 50, 1, 64, 1, False),
    "mid": (64, 100, 32, 128, 1, False),
    "long": (32, 200, 64, 256, 1, False),
    "lm_like": (128, 35, 200, 200, 2, True),
    "large": (256, 100, 128, 512, 1, False),  # GPU runs only, by default
}
CPU_CONFIGS = ("ts_uni", "mid", "long", "lm_like")
BACKENDS = ("torch", "sklstm")
PLAIN = "plain"  # sklstm without its numba kernels (plain NumPy gate math)
KINDS = ("fwd", "step")
CELL = "lstm"  # or "gru": set from --cell in the driver and in each worker
GATES = {"lstm": 4, "gru": 3}
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def n_outputs(config):
    """Head size: 1 target per sequence, or H outputs per step (LM-like)."""
    B, T, F, H, layers, per_step = CONFIGS[config]
    return H if per_step else 1


def forward_flops(config):
    """FLOPs of the recurrent layers' forward pass: 2·G·T·B·H·(F+H) per
    layer for G gates (8·T·B·H·(F+H) for the LSTM)."""
    B, T, F, H, layers, _ = CONFIGS[config]
    flops, n_in = 0, F
    for _ in range(layers):
        flops += 2 * GATES[CELL] * T * B * H * (n_in + H)
        n_in = H
    return flops


# --------------------------------------------------------------------- timing
def time_calls(fn, min_time, *, min_reps=5, warmup_time=0.2, min_warmup=3):
    """Median seconds of one call of ``fn``, after a warm-up.

    Runs ``fn`` at least ``min_warmup`` times and for ``warmup_time`` seconds,
    then enough timed calls to fill about ``min_time`` seconds.
    """
    n, t0 = 0, time.perf_counter()
    while n < min_warmup or time.perf_counter() - t0 < warmup_time:
        fn()
        n += 1
    per_call = (time.perf_counter() - t0) / n
    reps = max(min_reps, int(min_time / max(per_call, 1e-9)))
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


# -------------------------------------------------------------------- workers
def make_data(config):
    """Batch-first inputs (B, T, F) and targets, float32, fixed seed."""
    import numpy as np

    B, T, F, H, layers, per_step = CONFIGS[config]
    K = n_outputs(config)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((B, T, F), dtype=np.float32)
    shape = (B, T, K) if per_step else (B, K)
    Y = rng.standard_normal(shape, dtype=np.float32)
    return X, Y


def array_module(device):
    """NumPy, or CuPy for device='cuda' (through sklstm's one CuPy import)."""
    from sklstm._backend import get_namespace

    return get_namespace(device)


def synchronizer(device):
    """A function that waits for the GPU's queued work (no-op on the CPU)."""
    if device == "cpu":
        return lambda: None
    return array_module(device).cuda.get_current_stream().synchronize


def make_network(config, xp=None):
    """sklstm's network for ``config``, initialised from a fixed seed."""
    import numpy as np

    from sklstm._network import LSTMNetwork

    B, T, F, H, layers, per_step = CONFIGS[config]
    net = LSTMNetwork(
        n_inputs=F,
        hidden_layer_sizes=(H,) * layers,
        n_outputs=n_outputs(config),
        bidirectional=False,
        dropout=0.0,
        return_sequences=per_step,
        dtype=np.float32,
        xp=np if xp is None else xp,
        cell=CELL,
    )
    net.initialize(np.random.RandomState(0))
    return net


def torch_callables(config, threads, *, flush_denormal=False, device="cpu"):
    """Inference and training-step closures for PyTorch.

    The model starts from the same weights as sklstm's (orthogonal recurrent
    weights, forget-gate bias 1): with PyTorch's default initialisation the
    backpropagated gradients of ``long`` underflow to denormal floats, which
    makes its training step about 10x slower for reasons unrelated to either
    implementation.
    """
    import torch

    torch.set_num_threads(threads)
    torch.set_flush_denormal(flush_denormal)
    B, T, F, H, layers, per_step = CONFIGS[config]
    K = n_outputs(config)
    X, Y = make_data(config)
    dev = torch.device(device)
    x_host, y = torch.from_numpy(X), torch.from_numpy(Y).to(dev)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    rnn = torch.nn.GRU if CELL == "gru" else torch.nn.LSTM
    lstm = rnn(F, H, num_layers=layers, batch_first=True)
    head = torch.nn.Linear(H, K)
    coefs = make_network(config).get_coefs()
    with torch.no_grad():
        for layer, weights in enumerate(coefs[:-1]):
            for name, value in weights.items():
                getattr(lstm, f"{name}_l{layer}").copy_(torch.from_numpy(value))
        head.weight.copy_(torch.from_numpy(coefs[-1]["weight"]))
        head.bias.copy_(torch.from_numpy(coefs[-1]["bias"]))
    lstm.to(dev)
    head.to(dev)
    params = list(lstm.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=1e-3)
    mse = torch.nn.MSELoss()

    def scores(x):
        out, _ = lstm(x)
        return head(out if per_step else out[:, -1])

    def forward():
        with torch.inference_mode():
            out = scores(x_host.to(dev))
        sync()
        return out

    def step():
        opt.zero_grad(set_to_none=True)
        loss = mse(scores(x_host.to(dev)), y)
        loss.backward()
        opt.step()
        sync()
        return loss

    return {"fwd": forward, "step": step}


class SklstmModel:
    """sklstm's network, loss and optimizer driven like the estimator does."""

    def __init__(self, config, device="cpu"):
        import numpy as np

        from sklstm._losses import LOSSES
        from sklstm._optimizers import Adam

        self.np = np
        self.xp = xp = array_module(device)
        self.sync = synchronizer(device)
        B, T, F, H, layers, per_step = CONFIGS[config]
        self.K = K = n_outputs(config)
        self.X, Y = make_data(config)
        # targets feature-major: (K, N) with N = B, or T*B ordered (t, b)
        if per_step:
            self.Y = np.ascontiguousarray(Y.transpose(2, 1, 0)).reshape(K, T * B)
        else:
            self.Y = np.ascontiguousarray(Y.T)
        self.Y = xp.asarray(self.Y)
        self.w = xp.ones(self.Y.shape[1], dtype=np.float32)
        self.lengths = np.full(B, T)
        self.net = make_network(config, xp)
        self.loss_fn = LOSSES["squared_error"]
        self.opt = Adam(1e-3)

    def batch(self):
        """(B, T, F) -> (F+1, T, B) with a final row of ones, as the estimator."""
        np = self.np
        B, T, F = self.X.shape
        out = np.empty((F + 1, T, B), dtype=np.float32)
        out[F] = 1
        out[:F] = self.X.transpose(2, 1, 0)
        return self.xp.asarray(out)

    def forward(self):
        Z, _ = self.net.forward(self.batch(), self.lengths, training=False)
        self.sync()
        return Z

    def step(self, clock=None):
        """One training step; ``clock(name)`` (optional) marks phase ends."""
        mark = clock or (lambda name: None)
        Xb = self.batch()
        mark("convert")
        Z, cache = self.net.forward(Xb, self.lengths, training=True)
        mark("forward")
        loss, dZ = self.loss_fn(Z.reshape(self.K, -1), self.Y, self.w, xp=self.xp)
        mark("loss")
        self.net.backward(dZ.reshape(Z.shape), cache)
        mark("backward")
        self.opt.update_params(self.net.params, self.net.grads, xp=self.xp)
        self.sync()
        mark("adam")
        return loss


class MatmulRecorder:
    """Stands in for the array module and records every ``matmul`` call."""

    def __init__(self, xp):
        self._xp = xp
        self.calls = []

    def __getattr__(self, name):
        return getattr(self._xp, name)

    def matmul(self, a, b, out=None):
        self.calls.append((a, b, out))
        return self._xp.matmul(a, b, out=out)


def gemm_floor(model, min_time):
    """Seconds that the matrix products of one inference pass and of one
    training step take when replayed alone (same operands, same buffers)."""
    net = model.net
    xp = net.xp
    times = {}
    for kind, fn in (("fwd", model.forward), ("step", model.step)):
        for _ in range(3):  # settle the workspace first
            fn()
        net.xp = recorder = MatmulRecorder(xp)
        try:
            fn()
        finally:
            net.xp = xp
        calls = recorder.calls

        def replay(calls=calls):
            for a, b, out in calls:
                xp.matmul(a, b, out=out)
            model.sync()

        times[kind + "_gemm"] = time_calls(replay, min_time)
    return times


def sklstm_phases(model, min_time):
    """Median seconds per phase of a training step, and of the inference pass."""

    class Clock:
        def __init__(self):
            self.t = time.perf_counter()
            self.laps = {}

        def __call__(self, name):
            now = time.perf_counter()
            self.laps[name] = now - self.t
            self.t = now

    for _ in range(3):
        model.step()
    runs, t0 = [], time.perf_counter()
    while len(runs) < 5 or time.perf_counter() - t0 < min_time:
        clock = Clock()
        model.step(clock)
        runs.append(clock.laps)
    phases = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    t_conv = time_calls(model.batch, min_time / 4)
    t_fwd = time_calls(model.forward, min_time / 2)
    phases["inference: convert"] = t_conv
    phases["inference: network"] = t_fwd - t_conv
    floor = gemm_floor(model, min_time / 2)
    phases["matmuls alone: step"] = floor["step_gemm"]
    phases["matmuls alone: inference"] = floor["fwd_gemm"]
    return phases


def measure(args):
    """The worker's timings: {"fwd": s, "step": s}, or sklstm's phases."""
    if args.worker == "torch":
        fns = torch_callables(
            args.config,
            args.threads,
            flush_denormal=args.torch_flush_denormal,
            device=args.device,
        )
        return {k: time_calls(fns[k], args.min_time) for k in KINDS}
    model = SklstmModel(args.config, args.device)
    if args.phases:
        return sklstm_phases(model, args.min_time)
    from sklstm._threads import BlasThreads

    # as a fit and a large prediction do: BLAS threads sized to the cores
    # other processes leave free, measured between calls.  The thread count
    # this process got through its environment (the same for both backends)
    # counts as the user's default, not as a fixed choice, unless
    # --sklstm-blas-threads fixed it.
    if not args.sklstm_blas_threads:
        for var in THREAD_VARS:
            os.environ.pop(var, None)
    with BlasThreads(active=args.device == "cpu") as blas:

        def ticking(fn):
            def call():
                fn()
                blas.tick()

            return call

        fns = {"fwd": ticking(model.forward), "step": ticking(model.step)}
        times = {k: time_calls(fns[k], args.min_time) for k in KINDS}
        if args.gemm_floor:
            times.update(gemm_floor(model, args.min_time))
        times["blas_threads_used"] = blas.threads
    return times


def run_worker(args):
    """Time one backend on one config; print one JSON line."""
    import numpy as np  # first, so that threadpoolctl below sees its BLAS
    from threadpoolctl import threadpool_info, threadpool_limits

    result = {"backend": args.worker, "config": args.config}
    if args.worker == PLAIN:
        # as where numba cannot compile the kernels: the plain NumPy step
        import sklstm._kernels

        sklstm._kernels._import_cpu_kernels = lambda: None
    limits = contextlib.nullcontext()
    if args.worker != "torch" and args.sklstm_blas_threads:
        limits = threadpool_limits(limits=args.sklstm_blas_threads, user_api="blas")
    with limits:
        blas = [p for p in threadpool_info() if p["user_api"] == "blas"]
        result["blas_threads"] = [p["num_threads"] for p in blas]
        result["times"] = measure(args)
    if args.worker == "torch":
        import torch

        result["version"] = torch.__version__
        result["torch_threads"] = torch.get_num_threads()
        if args.device == "cuda":
            result["version"] += f" cuDNN {torch.backends.cudnn.version()}"
            result["gpu"] = torch.cuda.get_device_name()
    elif args.device == "cuda":
        result["version"] = "CuPy " + array_module("cuda").__version__
    else:
        from sklstm._kernels import host_kernels

        result["version"] = np.__version__
        result["kernels"] = "numba" if host_kernels(np, np.float32) else "numpy"
    print(json.dumps(result))


def check_same_model(configs, device="cpu"):
    """Both backends give the same initial scores (one process, untimed)."""
    import numpy as np

    from sklstm._backend import to_numpy

    for config in configs:
        fwd = torch_callables(config, 1, device=device)["fwd"]
        Z_torch = fwd().cpu().numpy()  # (B, K) or (B, T, K)
        Z = to_numpy(SklstmModel(config, device).forward())  # (K, B) or (K, T, B)
        err = np.abs(Z_torch - Z.T).max() / np.abs(Z).max()
        print(f"{config}: max relative difference of the scores {err:.1e}")


# --------------------------------------------------------------------- driver
def cpu_busy_seconds():
    """CPU seconds spent busy by the whole machine so far (Linux), or None."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()[1:]
    except OSError:
        return None
    user, nice, system, idle, iowait, irq, softirq, steal = map(int, fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds():
    import resource  # Unix only; called only where /proc/stat exists

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def background_load(interval=0.5):
    """Cores kept busy by other processes over ``interval`` s (None if unknown)."""
    b0 = cpu_busy_seconds()
    if b0 is None:
        return None
    time.sleep(interval)
    return (cpu_busy_seconds() - b0) / interval


def wait_for_idle(args):
    """Wait (at most ``--max-wait`` s) until other processes leave the CPUs."""
    t0 = time.perf_counter()
    while True:
        load = background_load()
        if load is None or load <= args.max_load:
            return load
        if time.perf_counter() - t0 > args.max_wait:
            print(
                f"  (busy machine: {load:.2f} cores in use by others)", file=sys.stderr
            )
            return load
        time.sleep(1.0)


SPIN = "while True: pass"


@contextlib.contextmanager
def busy_neighbour(on):
    """With ``on``, a second process spinning on one core meanwhile (what
    ``--load`` adds beside each worker)."""
    if not on:
        yield
        return
    proc = subprocess.Popen([sys.executable, "-c", SPIN])
    time.sleep(0.3)  # let it start spinning
    try:
        yield
    finally:
        proc.kill()
        proc.wait()  # its CPU time now counts as our children's


def spawn(backend, config, args, *, load=False):
    """Run one worker; retry while other processes ran beside it.

    Returns the worker's result, with ``foreign_load``: the cores kept busy
    by other processes during the run (its CPU time is subtracted from the
    machine's, and so is the spinning neighbour's of ``load``).  Of the
    attempts, the one with the least foreign load is kept.
    """
    best = None
    for _ in range(1 + args.retries):
        wait_for_idle(args)
        busy0, t0 = cpu_busy_seconds(), time.time()
        own0 = None if busy0 is None else children_cpu_seconds()
        with busy_neighbour(load):
            out = _spawn_once(backend, config, args)
        wall = time.time() - t0
        if busy0 is not None:
            busy = cpu_busy_seconds() - busy0
            own = children_cpu_seconds() - own0
            out["foreign_load"] = max(0.0, busy - own) / wall
        else:
            out["foreign_load"] = None
        if best is None or (out["foreign_load"] or 0) < (best["foreign_load"] or 0):
            best = out
        if out["foreign_load"] is None or out["foreign_load"] <= args.max_load:
            break
    return best


def _spawn_once(backend, config, args):
    env = dict(os.environ)
    env.update({var: str(args.threads) for var in THREAD_VARS})
    cmd = [
        sys.executable,
        os.path.abspath(__file__),
        "--worker",
        backend,
        "--config",
        config,
        "--threads",
        str(args.threads),
        "--min-time",
        str(args.min_time),
        "--device",
        args.device,
        "--cell",
        args.cell,
    ]
    if args.sklstm_blas_threads:
        cmd += ["--sklstm-blas-threads", str(args.sklstm_blas_threads)]
    for flag in ("phases", "torch_flush_denormal", "gemm_floor"):
        if getattr(args, flag):
            cmd.append("--" + flag.replace("_", "-"))
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"{backend} worker failed on {config}:\n{proc.stderr}")
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")][-1]
    return json.loads(line)


def fmt_ratio(a, b):
    return f"{a / b:.2f}" if b else "-"


def print_table(results, configs):
    head = (
        f"{'config':<9} {'torch fwd':>10} {'sklstm fwd':>11} {'ratio':>6}  "
        f"{'torch step':>11} {'sklstm step':>12} {'ratio':>6}  "
        f"{'fwd GFLOP/s torch':>17} {'sklstm':>7}  {'bg load':>7}"
    )
    print("\n" + head)
    print("-" * len(head))
    for c in configs:
        m, g = results[c]["median_ms"], results[c]["fwd_gflops"]
        tf, sf = m["torch"]["fwd"], m["sklstm"]["fwd"]
        ts, ss = m["torch"]["step"], m["sklstm"]["step"]
        bg = results[c]["max_foreign_load"]
        bg = "-" if bg is None else f"{bg:.2f}"
        print(
            f"{c:<9} {tf:>10.2f} {sf:>11.2f} {fmt_ratio(sf, tf):>6}  "
            f"{ts:>11.2f} {ss:>12.2f} {fmt_ratio(ss, ts):>6}  "
            f"{g['torch']:>17.0f} {g['sklstm']:>7.0f}  {bg:>7}"
        )
    if all("step_gemm" in results[c]["median_ms"]["sklstm"] for c in configs):
        print_floor(results, configs)
    if all(PLAIN in results[c]["median_ms"] for c in configs):
        print_plain(results, configs)
    print(
        f"\n{CELL.upper()} cells; times in ms, medians over rounds; ratio = sklstm "
        "/ torch; GFLOP/s counts\nthe recurrent layers only (2*gates*T*B*H*(F+H) "
        "per layer); bg load = most "
        "cores other processes\nkept busy during any of the config's runs."
    )


def print_floor(results, configs):
    """sklstm's matrix products alone, against PyTorch's whole pass / step."""
    head = (
        f"{'config':<9} {'sklstm fwd matmuls':>19} {'/ torch fwd':>12}  "
        f"{'sklstm step matmuls':>20} {'/ torch step':>13}"
    )
    print("\n" + head)
    print("-" * len(head))
    for c in configs:
        m = results[c]["median_ms"]
        tf, ts = m["torch"]["fwd"], m["torch"]["step"]
        gf, gs = m["sklstm"]["fwd_gemm"], m["sklstm"]["step_gemm"]
        print(
            f"{c:<9} {gf:>19.2f} {fmt_ratio(gf, tf):>12}  "
            f"{gs:>20.2f} {fmt_ratio(gs, ts):>13}"
        )


def print_head(title, head):
    """A table's title, column heads and rule."""
    print(f"\n{title}")
    print(head)
    print("-" * len(head))


def print_plain(results, configs):
    """sklstm without its compiled kernels (plain NumPy), same run."""
    head = (
        f"{'config':<9} {'plain fwd':>10} {'/ torch':>8} {'/ sklstm':>9}  "
        f"{'plain step':>11} {'/ torch':>8} {'/ sklstm':>9}"
    )
    print_head("sklstm without numba (plain NumPy gate math):", head)
    for c in configs:
        m = results[c]["median_ms"]
        cells = []
        for k in KINDS:
            t, s_, p_ = m["torch"][k], m["sklstm"][k], m[PLAIN][k]
            cells.append(f"{p_:>10.2f} {fmt_ratio(p_, t):>8} {fmt_ratio(p_, s_):>9}")
        print(f"{c:<9} {cells[0]}   {cells[1]}")


def print_loaded(results, configs):
    """Both backends beside one spinning process (``--load``): times, the
    ratio, and the share of each one's idle throughput it kept."""
    head = (
        f"{'config':<9} {'torch fwd':>10} {'sklstm fwd':>11} {'ratio':>6} "
        f"{'kept torch':>11} {'sklstm':>7}  {'torch step':>11} {'sklstm step':>12} "
        f"{'ratio':>6} {'kept torch':>11} {'sklstm':>7}  {'threads':>7}"
    )
    print_head(
        "Beside one busy process (--load: a second process spinning on one core):",
        head,
    )
    for c in configs:
        idle, loaded = results[c]["median_ms"], results[c]["loaded_ms"]
        cells = []
        for k in KINDS:
            t, s_ = loaded["torch"][k], loaded["sklstm"][k]
            kt = fmt_ratio(idle["torch"][k], t)
            ks = fmt_ratio(idle["sklstm"][k], s_)
            cells.append(
                f"{t:>10.2f} {s_:>11.2f} {fmt_ratio(s_, t):>6} {kt:>11} {ks:>7}"
            )
        used = [r.get("blas_threads_used") for r in results[c]["loaded"]["sklstm"]]
        used = "/".join("-" if u is None else str(u) for u in used)
        print(f"{c:<9} {cells[0]}  {cells[1]}  {used:>7}")
    print(
        "kept = idle time / loaded time: the share of its idle throughput a "
        "backend keeps;\nthreads = sklstm's BLAS threads at the end of each "
        "loaded round (sklstm._threads)."
    )


def print_phases(results, configs):
    for c in configs:
        rounds = results[c]["rounds"]["sklstm"]
        med = {k: 1e3 * statistics.median(r[k] for r in rounds) for k in rounds[0]}
        extra = ("inference", "matmuls")
        step = sum(v for k, v in med.items() if not k.startswith(extra))
        print(f"\nsklstm phases, {c} (ms, median over rounds):")
        for k, v in med.items():
            share = "" if k.startswith(extra) else f"{100 * v / step:5.1f} %"
            print(f"  {k:<25} {v:8.2f}  {share}")
        print(f"  {'step (sum)':<25} {step:8.2f}")


def summarize(results, configs):
    for c in configs:
        rounds = results[c]["rounds"]
        med = {
            b: {k: 1e3 * statistics.median(t[k] for t in rounds[b]) for k in KINDS}
            for b in rounds
        }
        for k in ("fwd_gemm", "step_gemm"):
            if k in rounds["sklstm"][0]:
                med["sklstm"][k] = 1e3 * statistics.median(
                    t[k] for t in rounds["sklstm"]
                )
        results[c]["median_ms"] = med
        loaded = results[c]["loaded"]
        if all(loaded[b] for b in loaded):
            results[c]["loaded_ms"] = {
                b: {k: 1e3 * statistics.median(t[k] for t in loaded[b]) for k in KINDS}
                for b in loaded
            }
        results[c]["fwd_gflops"] = {
            b: results[c]["fwd_gflop"] / (med[b]["fwd"] / 1e3) for b in rounds
        }
        loads = [x for b in rounds for x in results[c]["foreign_load"][b]]
        loads = [x for x in loads if x is not None]
        results[c]["max_foreign_load"] = max(loads) if loads else None


def run_driver(args):
    configs = args.configs
    backends = ("sklstm",) if args.phases else BACKENDS + ((PLAIN,) * args.plain)
    results = {}
    for c in configs:
        B, T, F, H, layers, per_step = CONFIGS[c]
        results[c] = {
            "shape": {"B": B, "T": T, "F": F, "H": H, "layers": layers},
            "per_step_head": per_step,
            "n_outputs": n_outputs(c),
            "fwd_gflop": forward_flops(c) / 1e9,
            "rounds": {b: [] for b in backends},
            "foreign_load": {b: [] for b in backends},
            "loaded": {b: [] for b in backends},
        }
    meta = {}
    t_start = time.perf_counter()
    for r in range(args.rounds):
        order = backends if r % 2 == 0 else backends[::-1]
        for c in configs:
            for b in order:
                out = spawn(b, c, args)
                results[c]["rounds"][b].append(out["times"])
                results[c]["foreign_load"][b].append(out["foreign_load"])
                if args.load:
                    out = spawn(b, c, args, load=True)
                    results[c]["loaded"][b].append(out["times"])
                meta[f"{b}_version"] = out["version"]
                meta[f"{b}_blas_threads"] = out["blas_threads"]
                if "kernels" in out:
                    meta[f"{b}_kernels"] = out["kernels"]
        elapsed = time.perf_counter() - t_start
        print(f"round {r + 1}/{args.rounds} done ({elapsed:.0f} s)", file=sys.stderr)
    if args.phases:
        print_phases(results, configs)
    else:
        summarize(results, configs)
        print_table(results, configs)
        if args.load:
            print_loaded(results, configs)
    if args.json:
        meta.update(
            {
                k: v
                for k, v in vars(args).items()
                if k not in ("worker", "config", "json")
            },
            python=platform.python_version(),
            cpu_count=os.cpu_count(),
            wall_s=time.perf_counter() - t_start,
        )
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "results": results}, f, indent=1)
        print(f"results saved to {args.json}")


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument(
        "--configs",
        nargs="+",
        choices=list(CONFIGS),
        help="default: all on cuda, all but 'large' on cpu",
    )
    p.add_argument(
        "--device", choices=("cpu", "cuda"), default="cpu", help="where both run"
    )
    p.add_argument("--rounds", type=int, default=5, help="alternated rounds")
    p.add_argument("--threads", type=int, default=2, help="threads per worker")
    p.add_argument(
        "--min-time", type=float, default=0.5, help="seconds of timed calls per value"
    )
    p.add_argument(
        "--sklstm-blas-threads",
        type=int,
        help="limit sklstm's BLAS threads with threadpoolctl (None: --threads)",
    )
    p.add_argument(
        "--torch-flush-denormal",
        action="store_true",
        help="torch.set_flush_denormal(True) in the torch worker",
    )
    p.add_argument(
        "--phases",
        action="store_true",
        help="time the phases of sklstm's training step (no torch)",
    )
    p.add_argument(
        "--max-load",
        type=float,
        default=0.3,
        help="cores other processes may keep busy before a run waits / is retried",
    )
    p.add_argument(
        "--max-wait", type=float, default=20.0, help="seconds to wait for an idle CPU"
    )
    p.add_argument(
        "--retries", type=int, default=1, help="re-runs of a run disturbed by others"
    )
    p.add_argument(
        "--gemm-floor",
        action="store_true",
        help="also time sklstm's matrix products alone (replayed in order)",
    )
    p.add_argument(
        "--plain",
        action="store_true",
        help="also time sklstm without its numba kernels (plain NumPy gate math)",
    )
    p.add_argument(
        "--cell",
        choices=sorted(GATES),
        default="lstm",
        help="the recurrent cell on both sides: lstm (torch.nn.LSTM) or gru "
        "(torch.nn.GRU)",
    )
    p.add_argument(
        "--load",
        action="store_true",
        help="also time every worker beside a second process spinning on one "
        "core, and report the share of its idle speed each backend keeps",
    )
    p.add_argument("--json", metavar="PATH", help="save results as JSON")
    p.add_argument(
        "--check",
        action="store_true",
        help="only check that both backends compute the same scores",
    )
    p.add_argument("--worker", choices=BACKENDS + (PLAIN,), help=argparse.SUPPRESS)
    p.add_argument("--config", choices=list(CONFIGS), help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv=None):
    global CELL
    args = parse_args(argv)
    CELL = args.cell
    if args.configs is None:
        args.configs = list(CONFIGS) if args.device == "cuda" else list(CPU_CONFIGS)
    if args.check:
        check_same_model(args.configs, args.device)
    elif args.worker:
        # before NumPy or PyTorch is first imported (both are imported lazily)
        for var in THREAD_VARS:
            os.environ[var] = str(args.threads)
        run_worker(args)
    else:
        run_driver(args)


if __name__ == "__main__":
    main()
