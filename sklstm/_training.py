# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""The training loop every estimator runs, the language model's included.

It reads top-down: :func:`fit_loop` runs epochs until the stopping rule,
``max_iter``, divergence or Ctrl-C ends them, then lets
:func:`settle_weights` choose the weights the fit returns;
:func:`run_epoch` runs the training steps of one epoch and validates.
What differs between estimators (their batches: sequences, or a token
stream read with carried state; their step, validation and records) comes
in one small :class:`Training` object.
"""

import math
import os
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sklstm._callbacks import (
    CURRENT,
    DIVERGENCE_GROWTH,
    EarlyStopping,
    WeightGuard,
    check_callbacks,
    progress_callbacks,
)
from sklstm._threads import BlasThreads


@dataclass
class Training:
    """What one fit trains, and how.

    Attributes
    ----------
    params : list of arrays
        The arrays the optimizer updates in place.
    batches : callable
        ``batches()`` returns the batches of the next epoch (anything
        ``train_step`` takes).
    train_step : callable
        ``train_step(batch)`` does one forward, backward and update and
        returns ``(loss, weight)``: the batch's mean loss and its weight in
        the epoch's mean.
    probe : callable
        ``probe()`` returns the loss of the current weights on a fixed
        batch of training data (see :class:`WeightGuard`).
    reference : float
        Loss of a model that knows nothing on the probe batch.
    stopper : EarlyStopping
        The stopping rule; it keeps the best epoch's weights.
    start_loss : float or None
        ``probe()`` of the weights the fit starts from, when the caller
        has it already (None: the guard measures it).
    callbacks : list of Callback
        The estimator's own callbacks (the language model's plateau
        schedule); :func:`fit_loop` adds the progress output of
        ``verbose`` before them and the user's ``callbacks`` after.
    validate : callable or None
        ``validate()`` returns the validation entries of the epoch's logs
        (``validation_loss``, ``validation_score``, ...), or None.
    epoch_logs : callable or None
        ``epoch_logs(seconds, weight)`` returns extra entries of the
        epoch's logs (the language model's learning rate, tokens/s).
    after_epoch : callable or None
        ``after_epoch(logs)`` updates the estimator's own records.
    keep_best : bool
        Whether the fit returns the best epoch's weights (by the stopper's
        monitored value) rather than the last epoch's.
    warn_at_max_iter : bool
        Whether reaching the last epoch raises a ConvergenceWarning.
    fix : str
        Advice of the divergence messages.
    optimizers : list
        The optimizers (None entries skipped), for learning-rate
        callbacks; the first one's rate is logged as ``learning_rate``.
    snapshot : callable or None
        ``snapshot()`` returns a copy of the estimator fitted with the
        current weights (and optimizer state), for checkpoints; None where
        the estimator cannot make one.
    estimator : estimator
        The estimator being fitted (set by :func:`fit_loop`).
    max_epochs : int
        The epochs this fit may run (set by :func:`fit_loop`).
    blas : BlasThreads or None
        The sizing of NumPy's BLAS threads to the free cores
        (:class:`~sklstm._threads.BlasThreads`), while :func:`fit_loop`
        runs a fit on the host (set by it).
    """

    params: list
    batches: Callable
    train_step: Callable
    probe: Callable
    reference: float
    stopper: EarlyStopping
    start_loss: float | None = None
    callbacks: list = field(default_factory=list)
    validate: Callable | None = None
    epoch_logs: Callable | None = None
    after_epoch: Callable | None = None
    keep_best: bool = False
    warn_at_max_iter: bool = True
    fix: str = ""
    optimizers: list = field(default_factory=list)
    snapshot: Callable | None = None
    estimator: object = None
    max_epochs: int = 0
    blas: object = None


def fit_loop(estimator, training, max_epochs):
    """Train up to ``max_epochs`` epochs; leave the network with the
    weights the fit returns.  Returns how the loop ended: ``"max_iter"``,
    ``"stopped"``, ``"interrupted"`` or ``("diverged", loss)``."""
    guard = WeightGuard(
        training.params,
        training.probe,
        training.reference,
        start_usable=estimator.n_iter_ > 0,
        start_loss=training.start_loss,
    )
    training.estimator, training.max_epochs = estimator, max_epochs
    training.optimizers = [o for o in training.optimizers if o is not None]
    training.callbacks = [
        *progress_callbacks(estimator.verbose),
        *training.callbacks,
        *check_callbacks(estimator.callbacks),
    ]
    first_epoch = estimator.n_iter_ + 1
    outcome = "max_iter"
    try:
        for cb in training.callbacks:
            cb.on_fit_begin(training)
        try:
            # NumPy's BLAS threads sized to the cores other processes leave
            # free, measured as the fit runs (sklstm._threads); a fit on a
            # GPU has CuPy parameters and no host BLAS to size
            on_host = all(isinstance(p, np.ndarray) for p in training.params)
            with BlasThreads(active=on_host) as training.blas:
                for _ in range(max_epochs):
                    outcome = run_epoch(estimator, training, guard, first_epoch)
                    if outcome != "max_iter":
                        break
        except KeyboardInterrupt:
            outcome = "interrupted"
        settle_weights(
            estimator,
            guard,
            training.stopper,
            outcome,
            keep_best=training.keep_best,
            fix=training.fix,
        )
    finally:
        _end_callbacks(training.callbacks)
    if outcome == "max_iter" and training.warn_at_max_iter:
        warnings.warn(
            f"Stochastic optimizer: maximum iterations ({estimator.max_iter}) "
            "reached and the optimization hasn't converged yet.",
            ConvergenceWarning,
            stacklevel=user_stacklevel(),
        )
    return outcome


def _end_callbacks(callbacks):
    """Every callback's ``on_fit_end``, even when an earlier one raises (a
    logger must still close its files); the first error is raised after."""
    error = None
    for cb in callbacks:
        try:
            cb.on_fit_end()
        except Exception as exc:  # noqa: BLE001 - re-raised below
            error = error or exc
    if error is not None:
        raise error


def run_epoch(estimator, training, guard, first_epoch):
    """One epoch: the training steps, then validation, records and the
    stopping rule.  Returns ``"max_iter"`` to go on, ``"stopped"`` or
    ``("diverged", loss)``."""
    t0 = time.time()
    epoch = estimator.n_iter_ + 1
    batches = training.batches()
    guard.on_epoch_begin(epoch, epoch == first_epoch)
    for cb in training.callbacks:
        cb.on_epoch_begin(epoch, len(batches))
    total, weight = 0.0, 0.0
    for k, batch in enumerate(batches):
        with np.errstate(over="ignore", invalid="ignore"):
            loss, w = training.train_step(batch)
        if guard.diverged(loss):
            return ("diverged", loss)
        total, weight = total + loss * w, weight + w
        for cb in training.callbacks:
            cb.on_batch_end(k, loss)
        if training.blas is not None:
            training.blas.tick()
    seconds = time.time() - t0
    estimator.n_iter_ += 1
    estimator.loss_curve_.append(total / weight)
    logs = {
        "epoch": estimator.n_iter_,
        "loss": estimator.loss_curve_[-1],
        "time": seconds,
        "validation_loss": None,
        "validation_score": None,
    }
    if training.optimizers:  # the rate the epoch ran at
        logs["learning_rate"] = training.optimizers[0].learning_rate
    if training.epoch_logs is not None:
        logs.update(training.epoch_logs(seconds, weight))
    validation = None if training.validate is None else training.validate()
    if validation is not None:
        logs.update(validation)
        estimator.validation_scores_.append(logs["validation_score"])
    if training.after_epoch is not None:
        training.after_epoch(logs)
    estimator.history_.append(logs)
    asked = [cb.on_epoch_end(estimator.n_iter_, logs) for cb in training.callbacks]
    stopper = training.stopper
    stop = stopper.on_epoch_end(estimator.n_iter_, logs)
    if stopper.monitor == "validation_loss":
        if stopper.best_epoch == estimator.n_iter_:
            estimator.best_validation_score_ = logs["validation_score"]
    elif validation is not None:
        # scored, not stopped on
        estimator.best_validation_score_ = max(estimator.validation_scores_)
    if any(asked):
        if estimator.verbose:
            print(f"Stopped after {estimator.n_iter_} epochs by a callback.")
        return "stopped"
    if not stop:
        return "max_iter"
    if estimator.verbose:
        print(
            f"Stopped after {estimator.n_iter_} epochs: no improvement of "
            f"{estimator.tol} for {estimator.n_iter_no_change} epochs."
        )
    return "stopped"


def settle_weights(estimator, guard, stopper, outcome, *, keep_best, fix):
    """Leave the network with the weights a fit returns, and warn which when
    they are not the expected ones; raise when none is usable.

    ``outcome`` is how the loop ended: ``"max_iter"``, ``"stopped"`` (early
    stopping), ``"interrupted"`` (Ctrl-C) or ``("diverged", loss)``.  The
    expected weights are the best epoch's by the monitored value
    (``keep_best``; ``stopper.monitor``: the validation or training loss) or
    the last epoch's; see :class:`~sklstm._callbacks.WeightGuard` for the fallbacks.
    ``fix`` is the advice of the divergence messages.
    """
    monitor = (
        "validation loss" if stopper.monitor == "validation_loss" else "training loss"
    )
    best = (None, None)
    if stopper.best_params is not None:
        best = (
            f"the weights of epoch {stopper.best_epoch} (the best {monitor}, "
            f"{-stopper.best:.4g})",
            stopper.best_params,
        )
    epoch = estimator.n_iter_ + 1
    if outcome == "interrupted":
        # the weights reached mid-epoch only when no epoch has ended
        during = (f"the weights reached during epoch {epoch}", CURRENT)
        kept = guard.settle([best] if estimator.n_iter_ else [best, during])
        if kept is None:
            raise KeyboardInterrupt
        warnings.warn(
            f"Training interrupted by the user in epoch {epoch}; keeping {kept}.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
        return
    if outcome in ("max_iter", "stopped"):
        last = (f"the weights of epoch {estimator.n_iter_}", CURRENT)
        expected = best if keep_best else last
        kept = guard.settle([expected, last, best])
        if kept == expected[0]:
            if estimator.verbose:
                print(f"Kept {kept}.", flush=True)
            return
        cause = f"{expected[0]} are not finite or have exploded"
    else:
        loss = outcome[1]
        if math.isfinite(loss):
            cause = (
                f"the training loss became {loss:.3g} in epoch {epoch}, over "
                f"{DIVERGENCE_GROWTH:g} times that of an untrained model "
                f"({guard.reference:.3g})"
            )
        else:
            cause = f"the training loss became NaN or infinite in epoch {epoch}"
        kept = guard.settle([best])
    if kept is None:
        raise ValueError(
            f"Training diverged: {cause}; no usable model was found. {fix}"
        )
    warnings.warn(
        f"Training diverged: {cause}; training stopped and {kept} were kept. {fix}",
        UserWarning,
        stacklevel=user_stacklevel(),
    )


def user_stacklevel():
    """``stacklevel`` of a warning issued by the caller that points at the
    first frame outside sklstm (the user's call, or sklearn's)."""
    package = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(package):
        frame, level = frame.f_back, level + 1
    return level
