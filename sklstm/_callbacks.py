# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""Training-loop callbacks: plain objects with no-op hooks.

A callback that wants training to stop returns ``True`` from
``on_epoch_end`` (no exceptions are used for control flow).
"""

import sys
import time


class Callback:
    """Base class: every hook does nothing."""

    def on_epoch_begin(self, epoch, n_batches):
        pass

    def on_batch_end(self, batch, loss):
        pass

    def on_epoch_end(self, epoch, logs):
        return False

    def on_fit_end(self):
        pass


class EpochPrinter(Callback):
    """``verbose=1``: one line per epoch."""

    def __init__(self, stream=None):
        self.stream = stream

    def on_epoch_end(self, epoch, logs):
        parts = [f"Epoch {logs['epoch']}", f"loss: {logs['loss']:.6f}"]
        if logs.get("validation_score") is not None:
            parts.append(f"validation loss: {logs['validation_loss']:.6f}")
            parts.append(f"validation score: {logs['validation_score']:.6f}")
        parts.append(f"{logs['time']:.2f}s")
        print(" - ".join(parts), file=self.stream or sys.stdout, flush=True)
        return False


class ProgressBar(Callback):
    """``verbose=2``: a progress bar over the batches of each epoch.

    Uses tqdm when it is installed, otherwise a plain updating line.
    """

    def __init__(self, stream=None):
        self.stream = stream
        self._bar = None

    def on_epoch_begin(self, epoch, n_batches):
        self.epoch, self.n_batches, self.done, self.t0 = (
            epoch,
            n_batches,
            0,
            time.time(),
        )
        try:
            from tqdm.auto import tqdm
        except ImportError:
            self._bar = None
        else:
            self._bar = tqdm(
                total=n_batches,
                desc=f"Epoch {epoch}",
                unit="batch",
                leave=False,
                file=self.stream or sys.stderr,
            )

    def on_batch_end(self, batch, loss):
        self.done += 1
        if self._bar is not None:
            self._bar.update(1)
            self._bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
            return
        width = 30
        filled = int(width * self.done / max(self.n_batches, 1))
        line = (
            f"\rEpoch {self.epoch} [{'=' * filled}{'.' * (width - filled)}] "
            f"{self.done}/{self.n_batches} loss: {loss:.4f}"
        )
        print(line, end="", file=self.stream or sys.stderr, flush=True)

    def on_epoch_end(self, epoch, logs):
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        else:
            print(file=self.stream or sys.stderr)
        return EpochPrinter(self.stream).on_epoch_end(epoch, logs)


class EarlyStopping(Callback):
    """Stop when the monitored value has not improved by ``tol`` for
    ``n_iter_no_change`` epochs in a row (the rule of scikit-learn's MLP).

    ``tol`` is relative to the monitored value of the first epoch, so the
    rule does not depend on the units of the targets: a regression on
    daily returns (losses near 1e-4) stops as one on standardised values.

    ``monitor`` names the value in the epoch logs, lower is better: the
    training ``loss``, or the ``validation_loss`` (smoother than accuracy,
    which can sit on a plateau while the model is still improving).  With
    ``params`` (an array, or a list of arrays) it keeps a copy of the
    parameters at the best value, to restore.
    """

    def __init__(self, tol, n_iter_no_change, params=None, monitor="loss"):
        self.tol, self.n_iter_no_change = tol, n_iter_no_change
        self.params, self.monitor = params, monitor
        self.scale = None
        self.best, self.best_params, self.best_epoch, self.count = None, None, None, 0

    def on_epoch_end(self, epoch, logs):
        score = -logs[self.monitor]
        if self.scale is None:
            self.scale = max(abs(score), 1e-12)
        if self.best is not None and score < self.best + self.tol * self.scale:
            self.count += 1
        else:
            self.count = 0
        if self.best is None or score > self.best:
            self.best, self.best_epoch = score, epoch
            if self.params is not None:
                self.best_params = [p.copy() for p in self._arrays()]
        return self.count > self.n_iter_no_change

    def restore(self):
        """Copy the best parameters back (in place); no-op without them."""
        if self.best_params is not None:
            for p, best in zip(self._arrays(), self.best_params, strict=True):
                p[...] = best

    def _arrays(self):
        if isinstance(self.params, (list, tuple)):
            return self.params
        return [self.params]
