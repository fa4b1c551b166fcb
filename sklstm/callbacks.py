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

import joblib

from sklstm._callbacks import Callback, EarlyStopping

__all__ = [
    "CSVLogger",
    "Callback",
    "Checkpoint",
    "LearningRateSchedule",
    "ReduceLROnPlateau",
]


def _set_rates(optimizers, rates):
    for opt, rate in zip(optimizers, rates, strict=True):
        opt.learning_rate = rate


class LearningRateSchedule(Callback):
    """Set the learning rate at the start of every epoch.

    ``'cosine'`` anneals each optimizer's rate from its value at the start
    of the fit (``learning_rate_init``) to ``min_lr`` over ``n_epochs``
    epochs along half a cosine; ``'step'`` multiplies it by ``gamma`` every
    ``step_size`` epochs.  Epochs count from the start of each fit.  A
    cosine over the whole fit (``n_epochs`` None or at least ``max_iter``)
    ends it by design, so reaching ``max_iter`` then raises no
    ``ConvergenceWarning``.

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
        if self.kind == "cosine" and self._length >= training.max_epochs:
            # annealed to min_lr over the whole fit: it ends by design
            training.warn_at_max_iter = False

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

    def __getstate__(self):  # a checkpoint pickles its callbacks mid-fit
        return {k: v for k, v in self.__dict__.items() if k != "_optimizers"}


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
        Smallest decrease below the best value that counts as an
        improvement, relative to the first epoch's value (the rule of the
        estimators' ``tol``).
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
        self._plateau, self._wait = None, 0

    def on_epoch_end(self, epoch, logs):
        value = _monitored(self.monitor, logs, "ReduceLROnPlateau")
        if self._plateau is None:  # counts epochs without a tol gain
            self._plateau = EarlyStopping(self.tol, 0)
        self._plateau.on_epoch_end(epoch, {"loss": value})
        if self._plateau.count == 0:
            self._wait = 0
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

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if k != "_optimizers"}


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


def _monitored(monitor, logs, name):
    """The value of ``logs`` a callback watches (lower is better)."""
    key = monitor
    if key == "auto":
        key = "validation_loss" if logs.get("validation_loss") is not None else "loss"
    value = logs.get(key)
    if value is None:
        raise ValueError(
            f"{name}(monitor={monitor!r}) found no {key} in the epoch's logs: the "
            "fit does not validate (set early_stopping=True or pass "
            "validation_data), or monitor 'loss'."
        )
    return value


class Checkpoint(Callback):
    """Save the model to a file during training, to keep or to resume.

    After every epoch whose monitored value is the best so far (or every
    epoch, with ``save_best_only=False``), the estimator as fitted with the
    weights of that epoch, optimizer state included, is written to
    ``path`` with :func:`joblib.dump` (to a temporary file first, then
    renamed, so an interruption never leaves a broken file).  Load it with
    :func:`joblib.load`: it predicts, and
    ``set_params(warm_start=True).fit(X, y)`` resumes training from it.
    Supported by :class:`~sklstm.LSTMClassifier`,
    :class:`~sklstm.LSTMRegressor` and :class:`~sklstm.LSTMLanguageModel`
    (the detector and the transcriber compute more after training).

    Parameters
    ----------
    path : str or path-like
        The file.
    monitor : {'auto', 'loss', 'validation_loss'}, default='auto'
        The value that decides the best epoch (lower is better): the
        validation loss when the fit validates, else the training loss.
    save_best_only : bool, default=True
        Save only improving epochs; False saves every epoch (the last).

    Attributes
    ----------
    epoch_ : int or None
        The epoch last saved.
    """

    def __init__(self, path, *, monitor="auto", save_best_only=True):
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(
                f"path must be a str or path-like; got {type(path).__name__}."
            )
        if monitor not in ("auto", "loss", "validation_loss"):
            raise ValueError(
                f"monitor must be 'auto', 'loss' or 'validation_loss'; got {monitor!r}."
            )
        self.path, self.monitor, self.save_best_only = path, monitor, save_best_only
        self.epoch_ = None

    def on_fit_begin(self, training):
        if training.snapshot is None:
            raise TypeError(
                f"Checkpoint does not support {type(training.estimator).__name__}, "
                "whose fit computes more after training; save the fitted model with "
                "joblib.dump instead."
            )
        self._snapshot, self._best = training.snapshot, math.inf

    def on_epoch_end(self, epoch, logs):
        value = _monitored(self.monitor, logs, "Checkpoint")
        if self.save_best_only and not value < self._best:
            return False
        self._best = min(self._best, value)
        temporary = f"{os.fspath(self.path)}.part"
        joblib.dump(self._snapshot(), temporary)
        os.replace(temporary, self.path)
        self.epoch_ = epoch
        return False

    def on_fit_end(self):
        self._snapshot = None

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if k != "_snapshot"}
