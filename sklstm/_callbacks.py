# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""Training-loop callbacks: plain objects with no-op hooks.

A callback that wants training to stop returns ``True`` from
``on_epoch_end`` (no exceptions are used for control flow).
"""

import math
import sys
import time

import numpy as np


class Callback:
    """Base class of the training callbacks: every hook does nothing.

    Subclass it and override the hooks you need.  The training loop calls,
    in order: :meth:`on_fit_begin` once, then for every epoch
    :meth:`on_epoch_begin`, :meth:`on_batch_end` after every batch and
    :meth:`on_epoch_end`, and :meth:`on_fit_end` once when training ends,
    however it ends (``max_iter``, a stopping rule, divergence or Ctrl-C).
    """

    def on_fit_begin(self, training):
        """Called before the first epoch of a fit.

        Parameters
        ----------
        training : Training
            ``training.optimizers`` are the optimizers (their
            ``learning_rate`` may be set), ``training.max_epochs`` the epochs
            this fit may run, ``training.estimator`` the estimator.
        """

    def on_epoch_begin(self, epoch, n_batches):
        """Called before each epoch.

        Parameters
        ----------
        epoch : int
            The epoch, counted from 1 over all fits (``n_iter_ + 1``).
        n_batches : int
            Batches in the epoch.
        """

    def on_batch_end(self, batch, loss):
        """Called after each training step.

        Parameters
        ----------
        batch : int
            The batch's index in the epoch.
        loss : float
            Its training loss.
        """

    def on_epoch_end(self, epoch, logs):
        """Called after each epoch.

        Parameters
        ----------
        epoch : int
            The epoch (``n_iter_``).
        logs : dict
            The epoch's record, ``history_``'s entry: ``loss``,
            ``learning_rate``, ``validation_loss``, ``validation_score``...

        Returns
        -------
        stop : bool
            True stops training.
        """
        return False

    def on_fit_end(self):
        """Called once training has ended and the weights the fit returns
        are chosen."""


def check_callbacks(callbacks):
    """The user's ``callbacks`` parameter as a list, each a :class:`Callback`."""
    callbacks = list(callbacks or [])
    for i, cb in enumerate(callbacks):
        if not isinstance(cb, Callback):
            raise TypeError(
                "callbacks must be a list of sklstm.callbacks.Callback objects; "
                f"callbacks[{i}] is {type(cb).__name__}."
            )
    return callbacks


class EpochPrinter(Callback):
    """``verbose=1``: one line per epoch."""

    def __init__(self, stream=None):
        self.stream = stream

    def on_epoch_end(self, epoch, logs):
        parts = [f"Epoch {logs['epoch']}", f"loss: {logs['loss']:.6f}"]
        if logs.get("validation_perplexity") is not None:  # language models
            parts.append(f"validation perplexity: {logs['validation_perplexity']:.2f}")
        elif logs.get("validation_score") is not None:
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


def progress_callbacks(verbose):
    """The progress output of ``verbose``: a bar over the batches (2),
    one line per epoch (1), or nothing (0)."""
    if verbose >= 2:
        return [ProgressBar()]
    return [EpochPrinter()] if verbose else []


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


# A batch loss this many times the reference (the loss of an untrained
# model) means the weights have exploded: no run that learns gets there.
DIVERGENCE_GROWTH = 100.0
REFERENCE_FLOOR = 1e-3


class WeightGuard:
    """Chooses the weights a fit returns, and tells when training diverged.

    A fit only returns *checked* weights: finite parameters whose loss on a
    fixed probe batch of training data (``probe()``, without dropout) is
    finite and under ``growth * reference``, where ``reference`` is the
    loss of a model that knows nothing (the larger of the all-zero scores'
    loss and that of the weights the fit started from, at least
    ``REFERENCE_FLOOR``).  A batch loss that
    is not finite or above the same limit means training diverged.

    When the last weights fail the check, or training diverged or was
    interrupted, the guard tries candidates in order and keeps the first
    that passes: the snapshot of the best epoch (by validation loss, else
    training loss; it is given by the caller), the weights the current
    epoch started from (those of the epoch before), and the weights the
    fit started from when they are a trained model (``warm_start``,
    ``partial_fit``); as a loss measured over an epoch does not vouch for
    the weights its last update made, the weights the epoch before started
    from are tried too.  The weights of a fresh network are never returned.

    Parameters
    ----------
    params : list of arrays
        The arrays the optimizer updates in place.
    probe : callable
        ``probe()`` returns the loss of the current weights on the probe
        batch.
    reference : float
        Loss of a model that knows nothing on the probe batch.
    start_usable : bool
        Whether the weights before the fit are a trained model.
    growth : float, default=DIVERGENCE_GROWTH
    start_loss : float, optional
        ``probe()`` of the weights the fit starts from, when the caller
        has it already.
    """

    def __init__(
        self,
        params,
        probe,
        reference,
        *,
        start_usable,
        growth=DIVERGENCE_GROWTH,
        start_loss=None,
    ):
        self.params, self.probe = list(params), probe
        if start_loss is None:
            start_loss = probe()
        if not math.isfinite(start_loss):
            start_loss = 0.0
        # the floor keeps a weight penalty or rounding on data the untrained
        # model already fits (all-zero targets) from counting as divergence
        self.reference = max(float(reference), start_loss, REFERENCE_FLOOR)
        self.limit = growth * self.reference
        self.start = self._copy() if start_usable else None
        # (arrays, label) of the weights the current and the previous epoch
        # started from: the last update of an epoch can break its weights
        self.epoch_start = self.previous = (None, None)

    def _copy(self):
        return [p.copy() for p in self.params]

    def on_epoch_begin(self, epoch, first):
        """Keep the weights ``epoch`` starts from, and those the epoch
        before started from, unless they are those the fit started from
        (``first``)."""
        if first:
            return
        older, older_label = self.previous
        self.previous = self.epoch_start
        buffers = older if older is not None else self._copy()
        for buf, p in zip(buffers, self.params, strict=True):
            buf[...] = p
        self.epoch_start = (buffers, f"the weights after epoch {epoch - 1}")

    def diverged(self, loss):
        """Whether a batch loss shows divergence: NaN, infinite, or more than
        ``growth`` times the reference."""
        return not math.isfinite(loss) or loss > self.limit

    def check(self):
        """Whether the current weights are finite and their probe loss is
        under the limit."""
        # a float64 sum is NaN or infinite exactly when an entry is (on
        # NumPy and CuPy alike)
        if not all(math.isfinite(float(p.sum(dtype=np.float64))) for p in self.params):
            return False
        with np.errstate(all="ignore"):
            loss = self.probe()
        return math.isfinite(loss) and loss <= self.limit

    def settle(self, candidates):
        """Load the first candidate that passes :meth:`check` and return its
        label, or None when none does (the caller then raises).

        ``candidates`` is a list of ``(label, arrays)``; ``arrays`` is
        :data:`CURRENT` for the current weights, None for a snapshot that
        does not exist.  The epoch's and the fit's starting weights are
        tried after them.
        """
        tried = [
            *candidates,
            self.epoch_start[::-1],
            self.previous[::-1],
            ("the weights this fit started from", self.start),
        ]
        current = self._copy()
        for label, arrays in tried:
            if arrays is None:
                continue
            source = current if arrays is CURRENT else arrays
            for p, saved in zip(self.params, source, strict=True):
                p[...] = saved
            if self.check():
                return label
        return None


CURRENT = object()  # WeightGuard.settle's name for the weights as they are
