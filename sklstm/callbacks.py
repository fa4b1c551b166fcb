# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""Callbacks for the ``callbacks=`` parameter of every sklstm estimator.

A callback is a plain object whose hooks the training loop calls (see
:class:`Callback`); pass a list of them, e.g.
``LSTMClassifier(callbacks=[LearningRateSchedule("cosine"),
CSVLogger("log.csv")])``.  The estimators' own early stopping and progress
output (``early_stopping``, ``verbose``) run beside them.

The epoch loggers for TensorBoard and MLflow (:class:`TensorBoardLogger`,
:class:`MLflowLogger`) import their package when a fit starts, never at
import: sklstm does not depend on them.
"""

import csv
import importlib.util
import itertools
import math
import os
import sys
import time
import warnings
from numbers import Integral, Real

import joblib

from sklstm._callbacks import Callback, EarlyStopping
from sklstm._training import user_stacklevel

__all__ = [
    "CSVLogger",
    "Callback",
    "Checkpoint",
    "LearningRateSchedule",
    "MLflowLogger",
    "ReduceLROnPlateau",
    "TensorBoardLogger",
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


def _scalars(logs):
    """The numeric entries of an epoch's logs, as floats, but ``epoch`` (the
    step): the missing validation entries (None), flags and text are left
    out."""
    scalars = {}
    for key, value in logs.items():
        if key == "epoch" or isinstance(value, bool):
            continue
        dtype = getattr(value, "dtype", None)
        if isinstance(value, Real) or (
            getattr(value, "shape", None) == ()  # a 0-d array, CuPy's included
            and getattr(dtype, "kind", None) in ("i", "u", "f")
        ):
            scalars[key] = float(value)
    return scalars


def _ending_status(outer):
    """MLflow's status of a run that ends now, from ``on_fit_end``: the
    exception the fit raises, if any, is the one being handled there
    (``outer``, the one handled when the fit started, is not the fit's)."""
    exc = sys.exc_info()[1]
    if exc is None or exc is outer:
        return "FINISHED"
    return "KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED"


def _installed(name):
    """Whether the top-level package ``name`` can be imported, without
    importing it."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


# TensorBoardLogger's writers, in the order backend='auto' tries them, and
# what to install for each
_TENSORBOARD_WRITERS = {
    "tensorboard": "tensorboard",
    "tensorboardX": "tensorboardX",
    "torch": "torch tensorboard",
}
_event_files = itertools.count()  # tells apart the event files of a process


def _open_event_writer(backend, log_dir):
    """``(name, writer)``: an event-file writer in ``log_dir`` of the first
    package of ``backend`` that imports (its ``add_scalar(tag, value,
    step)``, ``flush()`` and ``close()`` are used)."""
    names = list(_TENSORBOARD_WRITERS) if backend == "auto" else [backend]
    errors = []
    for name in names:
        if name == "torch" and backend == "auto" and not _installed("tensorboard"):
            # torch's writer needs tensorboard: no import of torch to fail
            errors.append("torch (needs tensorboard)")
            continue
        try:
            if name == "tensorboard":  # TensorBoard's own: no TensorFlow needed
                from tensorboard.summary import Writer as SummaryWriter
            elif name == "tensorboardX":
                from tensorboardX import SummaryWriter
            else:
                from torch.utils.tensorboard import SummaryWriter
        except ImportError as exc:
            errors.append(f"{name} ({exc})")
            continue
        if name == "tensorboard":  # its file names are unique
            return name, SummaryWriter(log_dir)
        # tensorboardX names its files by the second: two fits in one second
        # would write to the same file
        suffix = f".{os.getpid()}.{next(_event_files)}"
        return name, SummaryWriter(log_dir, filename_suffix=suffix)
    install = " (or ".join(_TENSORBOARD_WRITERS[name] for name in names[:2])
    install += ")" * (len(names) > 1)
    raise ImportError(
        "TensorBoardLogger needs a TensorBoard event-file writer: pip install "
        f"{install}.  Tried: {'; '.join(errors)}."
    )


class TensorBoardLogger(Callback):
    """Write every epoch's record to TensorBoard event files.

    Each numeric entry of the epoch's logs (``history_``'s entries:
    ``loss``, ``learning_rate``, ``time``, and ``validation_loss`` and
    ``validation_score`` when the fit validates, a language model's
    ``validation_perplexity`` and ``tokens_per_s``...) is written as a
    scalar of that name at step ``epoch``, which counts over all fits: the
    curves of ``warm_start`` and ``partial_fit`` go on.  Each fit writes an
    event file of its own in ``log_dir``, flushed after every epoch and
    closed when the fit ends, however it ends; TensorBoard reads them
    together (``tensorboard --logdir DIR``).

    The writer is imported when a fit starts, never before: TensorBoard's
    own (package ``tensorboard``, which needs no TensorFlow), else
    tensorboardX's, else PyTorch's (``torch.utils.tensorboard``).  When
    none is installed the fit raises an ImportError that says what to
    install, so the estimator can be built, cloned and pickled anywhere.

    Parameters
    ----------
    log_dir : str or path-like
        The directory of the event files (a run, for TensorBoard); created
        when missing.
    backend : {'auto', 'tensorboard', 'tensorboardX', 'torch'}, default='auto'
        The writer: the first installed of the three, or the one named.

    Attributes
    ----------
    backend_ : str or None
        The writer of the last fit.

    See Also
    --------
    CSVLogger : The same records in a CSV file.
    MLflowLogger : The same records, and the parameters, in MLflow.

    Examples
    --------
    >>> from sklstm import LSTMClassifier
    >>> from sklstm.callbacks import TensorBoardLogger
    >>> clf = LSTMClassifier(callbacks=[TensorBoardLogger("runs/lstm")])
    >>> clf.fit(X, y)  # doctest: +SKIP

    then ``tensorboard --logdir runs`` shows the curves.
    """

    def __init__(self, log_dir, *, backend="auto"):
        if not isinstance(log_dir, (str, os.PathLike)):
            raise TypeError(
                f"log_dir must be a str or path-like; got {type(log_dir).__name__}."
            )
        if backend != "auto" and backend not in _TENSORBOARD_WRITERS:
            raise ValueError(
                "backend must be 'auto', 'tensorboard', 'tensorboardX' or 'torch'; "
                f"got {backend!r}."
            )
        self.log_dir, self.backend = log_dir, backend
        self.backend_ = None

    def on_fit_begin(self, training):
        self.backend_, self._writer = _open_event_writer(
            self.backend, os.fspath(self.log_dir)
        )

    def on_epoch_end(self, epoch, logs):
        for tag, value in _scalars(logs).items():
            self._writer.add_scalar(tag, value, epoch)
        self._writer.flush()
        return False

    def on_fit_end(self):
        # also called when on_fit_begin failed or never ran
        writer, self._writer = getattr(self, "_writer", None), None
        if writer is not None:
            writer.close()

    def __getstate__(self):  # a checkpoint pickles its callbacks mid-fit
        return {k: v for k, v in self.__dict__.items() if k != "_writer"}


_MAX_PARAM_LENGTH = 500  # of an MLflow param's value (the oldest MLflow's)


def _import_mlflow():
    try:
        import mlflow
        from mlflow.entities import Metric, Param, RunTag
    except ImportError as exc:
        raise ImportError(
            "MLflowLogger needs MLflow: pip install mlflow-skinny (or mlflow).  "
            f"Importing it failed: {exc}"
        ) from exc
    return mlflow, Metric, Param, RunTag


def _param_values(estimator):
    """The estimator's parameters as MLflow params: ``get_params()``'s
    values as text, the callbacks left out."""
    return {
        key: str(value)[:_MAX_PARAM_LENGTH]
        for key, value in estimator.get_params(deep=True).items()
        if key.rsplit("__", 1)[-1] != "callbacks"
    }


def _experiment_id(client, name):
    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        return client.create_experiment(name)
    return experiment.experiment_id


class MLflowLogger(Callback):
    """Log the estimator's parameters and every epoch's record to MLflow.

    When a fit starts, the logger logs to the active MLflow run (opened
    with ``mlflow.start_run()`` around ``fit``, a search, or a loop of
    ``partial_fit``), or else starts a run, which it ends when the fit
    ends, however it ends (with status ``FINISHED``, or ``FAILED`` or
    ``KILLED`` when the fit raises); it never ends a run it did not start.

    The estimator's parameters (``get_params()``'s values as text, the
    callbacks left out) are logged as the run's params; as MLflow forbids
    changing a param, those the run already has with other values are not
    logged again (a warning names them: ``nested=True`` gives each fit a
    run of its own).  The numeric entries of each epoch's logs (``loss``,
    ``learning_rate``, ``time``, and ``validation_loss`` and
    ``validation_score`` when the fit validates...) are logged as metrics
    at ``step=epoch``, which counts over all fits.

    MLflow is imported when a fit starts, never before: when it is not
    installed the fit raises an ImportError that says what to install, so
    the estimator can be built, cloned and pickled anywhere.

    Parameters
    ----------
    run_name : str or None, default=None
        Name of a run the logger starts (None: MLflow names it).
    tracking_uri : str or None, default=None
        Where to log.  None is MLflow's tracking URI
        (``MLFLOW_TRACKING_URI``, ``mlflow.set_tracking_uri``), where the
        active run is used; at another URI the logger starts a run of its
        own, and leaves MLflow's tracking URI as it is.
    experiment_name : str or None, default=None
        Experiment of a run the logger starts, created when missing.  None
        is MLflow's current one (``mlflow.set_experiment``,
        ``MLFLOW_EXPERIMENT_NAME``), or ``'Default'`` at another
        ``tracking_uri``.
    nested : bool, default=False
        Give each fit a run of its own, nested in the active run (for the
        candidates of a grid search), instead of logging to the active run.
    log_params : bool, default=True
        Log the estimator's parameters.

    Attributes
    ----------
    run_id_ : str or None
        The run of the last fit.

    See Also
    --------
    TensorBoardLogger : The epochs' records in TensorBoard.

    Examples
    --------
    >>> from sklstm import LSTMRegressor
    >>> from sklstm.callbacks import MLflowLogger
    >>> reg = LSTMRegressor(callbacks=[MLflowLogger(run_name="lstm")])
    >>> reg.fit(X, y)  # doctest: +SKIP

    Several fits in one run (here, a loop of ``partial_fit``):

    >>> import mlflow  # doctest: +SKIP
    >>> with mlflow.start_run():  # doctest: +SKIP
    ...     for X_part, y_part in parts:
    ...         reg.partial_fit(X_part, y_part)
    """

    def __init__(
        self,
        run_name=None,
        tracking_uri=None,
        *,
        experiment_name=None,
        nested=False,
        log_params=True,
    ):
        for name, value in (
            ("run_name", run_name),
            ("experiment_name", experiment_name),
        ):
            if value is not None and not isinstance(value, str):
                raise TypeError(
                    f"{name} must be a str or None; got {type(value).__name__}."
                )
        if tracking_uri is not None and not isinstance(
            tracking_uri, (str, os.PathLike)
        ):
            raise TypeError(
                "tracking_uri must be a str, a path-like or None; got "
                f"{type(tracking_uri).__name__}."
            )
        self.run_name, self.tracking_uri = run_name, tracking_uri
        self.experiment_name, self.nested = experiment_name, nested
        self.log_params = log_params
        self.run_id_ = None

    def on_fit_begin(self, training):
        mlflow, Metric, Param, RunTag = _import_mlflow()
        outer = sys.exc_info()[1]  # not the fit's, if on_fit_end sees it
        current = mlflow.get_tracking_uri()
        uri = current if self.tracking_uri is None else os.fspath(self.tracking_uri)
        client = mlflow.MlflowClient(tracking_uri=uri)
        active = mlflow.active_run() if uri == current else None
        joined = active is not None and not self.nested
        started = None
        if joined:
            run_id = active.info.run_id
        else:
            experiment = self.experiment_name
            experiment_id = (
                None if experiment is None else _experiment_id(client, experiment)
            )
            if uri == current:  # MLflow's active run while the fit lasts
                run = mlflow.start_run(
                    experiment_id=experiment_id,
                    run_name=self.run_name,
                    nested=active is not None,
                )
                started = "active"
            else:
                if experiment_id is None:
                    experiment_id = _experiment_id(client, "Default")
                run = client.create_run(experiment_id, run_name=self.run_name)
                started = "client"
            run_id = run.info.run_id
        self.run_id_ = run_id
        # from here on_fit_end ends a run that was started
        self._run = dict(
            mlflow=mlflow, client=client, started=started, outer=outer, Metric=Metric
        )
        estimator = training.estimator
        kind = type(estimator)
        tags = [
            RunTag("estimator_name", kind.__name__),
            RunTag("estimator_class", f"{kind.__module__}.{kind.__qualname__}"),
        ]
        params = []
        if self.log_params:
            values = _param_values(estimator)
            logged = client.get_run(run_id).data.params if joined else {}
            changed = sorted(k for k in values if logged.get(k, values[k]) != values[k])
            if changed:
                warnings.warn(
                    f"MLflowLogger: run {run_id} has other values of the "
                    f"parameters {', '.join(changed)}, which MLflow does not let "
                    "change: they are not logged again (nested=True logs each fit "
                    "to a run of its own).",
                    UserWarning,
                    stacklevel=user_stacklevel(),
                )
            params = [Param(k, v) for k, v in values.items() if k not in logged]
        client.log_batch(run_id, params=params, tags=tags)

    def on_epoch_end(self, epoch, logs):
        run, now = self._run, int(time.time() * 1000)
        metrics = [
            run["Metric"](key, value, now, epoch)
            for key, value in _scalars(logs).items()
        ]
        run["client"].log_batch(self.run_id_, metrics=metrics)
        return False

    def on_fit_end(self):
        # also called when on_fit_begin failed or never ran
        run, self._run = getattr(self, "_run", None), None
        if run is None or run["started"] is None:
            return
        status = _ending_status(run["outer"])
        active = run["mlflow"].active_run()
        if (
            run["started"] == "active"
            and active is not None
            and active.info.run_id == self.run_id_
        ):
            run["mlflow"].end_run(status=status)
        else:
            run["client"].set_terminated(self.run_id_, status=status)

    def __getstate__(self):  # a checkpoint pickles its callbacks mid-fit
        return {k: v for k, v in self.__dict__.items() if k != "_run"}


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
