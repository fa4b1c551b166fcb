# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""Callbacks for the ``callbacks=`` parameter of every sklstm estimator.

A callback is a plain object whose hooks the training loop calls (see
:class:`Callback`); pass a list of them, e.g.
``LSTMClassifier(callbacks=[LearningRateSchedule("cosine"),
CSVLogger("log.csv")])``.  The estimators' own early stopping and progress
output (``early_stopping``, ``verbose``) run beside them.
"""

import csv
import math
import os
from numbers import Integral, Real

from sklstm._callbacks import Callback

__all__ = ["CSVLogger", "Callback", "LearningRateSchedule", "ReduceLROnPlateau"]


def _set_rates(optimizers, rates):
    for opt, rate in zip(optimizers, rates, strict=True):
        opt.learning_rate = rate


class LearningRateSchedule(Callback):
    """Set the learning rate at the start of every epoch.

    ``'cosine'`` anneals each optimizer's rate from its value at the start
    of the fit (``learning_rate_init``) to ``min_lr`` over ``n_epochs``
    epochs along half a cosine; ``'step'`` multiplies it by ``gamma`` every
    ``step_size`` epochs.  Epochs count from the start of each fit.

    Parameters
    ----------
    kind : {'cosine', 'step'}, default='cosine'
        The shape of the schedule.
    n_epochs : int or None, default=None
        Length of the cosine; None is the fit's ``max_iter``.
    min_lr : float, default=0.0
        The cosine's final rate.
    step_size : int, default=10
        Epochs between two steps.
    gamma : float, default=0.1
        Factor of each step.

    Examples
    --------
    >>> from sklstm import LSTMClassifier
    >>> from sklstm.callbacks import LearningRateSchedule
    >>> clf = LSTMClassifier(callbacks=[LearningRateSchedule("step", step_size=5)])
    """

    def __init__(
        self, kind="cosine", *, n_epochs=None, min_lr=0.0, step_size=10, gamma=0.1
    ):
        if kind not in ("cosine", "step"):
            raise ValueError(f"kind must be 'cosine' or 'step'; got {kind!r}.")
        if n_epochs is not None and (
            not isinstance(n_epochs, Integral) or n_epochs < 1
        ):
            raise ValueError(
                f"n_epochs must be a positive int or None; got {n_epochs!r}."
            )
        if not isinstance(step_size, Integral) or step_size < 1:
            raise ValueError(f"step_size must be a positive int; got {step_size!r}.")
        for name, value in (("min_lr", min_lr), ("gamma", gamma)):
            if not isinstance(value, Real) or not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0; got {value!r}.")
        self.kind, self.n_epochs, self.min_lr = kind, n_epochs, min_lr
        self.step_size, self.gamma = step_size, gamma

    def on_fit_begin(self, training):
        self._optimizers = training.optimizers
        self._initial = [opt.learning_rate for opt in self._optimizers]
        self._length = self.n_epochs or training.max_epochs
        self._first = None

    def on_epoch_begin(self, epoch, n_batches):
        if self._first is None:
            self._first = epoch
        e = epoch - self._first  # epochs done in this fit
        if self.kind == "step":
            factor = self.gamma ** (e // self.step_size)
            rates = [rate * factor for rate in self._initial]
        else:
            t = min(e, self._length) / self._length
            half_cosine = 0.5 * (1.0 + math.cos(math.pi * t))
            rates = [
                self.min_lr + (rate - self.min_lr) * half_cosine
                for rate in self._initial
            ]
        _set_rates(self._optimizers, rates)

    def on_fit_end(self):
        self._optimizers = None  # the estimator keeps them; not the callback


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` when the monitored value has
    not improved for ``patience`` epochs.

    Parameters
    ----------
    monitor : {'auto', 'loss', 'validation_loss'}, default='auto'
        The value watched (lower is better): the validation loss when the
        fit validates (early stopping or ``validation_data``), else the
        training loss.
    factor : float, default=0.1
        Multiplier of the rate, in (0, 1).
    patience : int, default=2
        Epochs without improvement before the rate is lowered.
    tol : float, default=1e-4
        Smallest decrease that counts as an improvement, relative to the
        best value.
    min_lr : float, default=0.0
        The rate is never lowered below it.
    """

    def __init__(self, monitor="auto", *, factor=0.1, patience=2, tol=1e-4, min_lr=0.0):
        if monitor not in ("auto", "loss", "validation_loss"):
            raise ValueError(
                f"monitor must be 'auto', 'loss' or 'validation_loss'; got {monitor!r}."
            )
        if not isinstance(factor, Real) or not 0 < factor < 1:
            raise ValueError(f"factor must be in (0, 1); got {factor!r}.")
        if not isinstance(patience, Integral) or patience < 0:
            raise ValueError(f"patience must be an int >= 0; got {patience!r}.")
        self.monitor, self.factor, self.patience = monitor, factor, patience
        self.tol, self.min_lr = tol, min_lr

    def on_fit_begin(self, training):
        self._optimizers = training.optimizers
        self._best, self._wait = math.inf, 0

    def on_epoch_end(self, epoch, logs):
        key = self.monitor
        if key == "auto":
            key = (
                "validation_loss" if logs.get("validation_loss") is not None else "loss"
            )
        value = logs.get(key)
        if value is None:
            raise ValueError(
                f"ReduceLROnPlateau(monitor={self.monitor!r}) found no {key} in the "
                "epoch's logs: the fit does not validate (set early_stopping=True or "
                "pass validation_data), or monitor 'loss'."
            )
        if self._best == math.inf or value < self._best - self.tol * abs(self._best):
            self._best, self._wait = value, 0
            return False
        self._wait += 1
        if self._wait > self.patience:
            _set_rates(
                self._optimizers,
                [
                    max(o.learning_rate * self.factor, self.min_lr)
                    for o in self._optimizers
                ],
            )
            self._wait = 0
        return False

    def on_fit_end(self):
        self._optimizers = None


class CSVLogger(Callback):
    """Write every epoch's record (``history_``'s entries) to a CSV file.

    The header is written at the first epoch of each fit; with
    ``append=True`` later fits (``warm_start``, ``partial_fit``) add rows
    to the file instead of replacing it.

    Parameters
    ----------
    path : str or path-like
        The CSV file.
    append : bool, default=False
        Add to an existing file instead of overwriting it.
    """

    def __init__(self, path, *, append=False):
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(
                f"path must be a str or path-like; got {type(path).__name__}."
            )
        self.path, self.append = path, append

    def on_fit_begin(self, training):
        self._fields = None
        if not self.append and os.path.exists(self.path):
            os.remove(self.path)

    def on_epoch_end(self, epoch, logs):
        new = not os.path.exists(self.path) or os.path.getsize(self.path) == 0
        if self._fields is None:
            self._fields = list(logs)
        with open(self.path, "a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=self._fields, extrasaction="ignore")
            if new:
                writer.writeheader()
            writer.writerow(logs)
        return False
