"""
=======================================================
Learning-rate schedules, checkpoints and resuming a fit
=======================================================

Every sklstm estimator takes ``callbacks=``: objects whose hooks the
training loop calls at the start and end of the fit, of every epoch and
after every batch.  This example trains :class:`~sklstm.LSTMRegressor` on
the adding problem with three of the callbacks in :mod:`sklstm.callbacks`:

* :class:`~sklstm.callbacks.LearningRateSchedule` anneals the learning rate
  along a cosine;
* :class:`~sklstm.callbacks.Checkpoint` saves the model of the best epoch
  to a file while it trains;
* :class:`~sklstm.callbacks.CSVLogger` writes one row per epoch.

It then loads the checkpoint, which predicts as the fitted model does, and
resumes training from it with ``warm_start``.
"""

# %%
# The adding problem
# ------------------
#
# Each sequence holds 30 random values and two markers; the target is the
# sum of the two marked values, so the network must find and remember them.

import csv
import tempfile
from pathlib import Path

import joblib
import matplotlib.pyplot as plt
import numpy as np

from sklstm import LSTMRegressor
from sklstm.callbacks import Checkpoint, CSVLogger, LearningRateSchedule
from sklstm.datasets import make_adding_problem

X, y = make_adding_problem(n_samples=1400, n_timesteps=30, random_state=0)
X_train, y_train, X_test, y_test = X[:1200], y[:1200], X[1200:], y[1200:]
print("Predicting the mean scores a test R² of 0; the LSTM should do better.")

# %%
# Training with three callbacks
# -----------------------------
#
# The cosine schedule takes the rate from ``learning_rate_init`` down to 0
# over ``max_iter`` epochs.  Early stopping holds out 10 % of the training
# sequences; the checkpoint watches their loss and rewrites the file at
# every new best epoch, so a crash or Ctrl-C mid-way would still leave the
# best model on disk.

folder = Path(tempfile.mkdtemp())
checkpoint = Checkpoint(folder / "adding.joblib")
reg = LSTMRegressor(
    hidden_layer_sizes=32,
    learning_rate_init=0.01,
    max_iter=25,
    early_stopping=True,
    n_iter_no_change=25,
    random_state=0,
    callbacks=[
        LearningRateSchedule("cosine"),
        checkpoint,
        CSVLogger(folder / "training.csv"),
    ],
)
reg.fit(X_train, y_train)
print(f"{reg.n_iter_} epochs; best epoch saved: {checkpoint.epoch_}")
print(f"test R²: {reg.score(X_test, y_test):.3f}")

# %%
# What the log recorded
# ---------------------
#
# ``history_`` (and the CSV file, row for row) holds each epoch's learning
# rate beside its losses.

with open(folder / "training.csv") as f:
    rows = list(csv.DictReader(f))
epochs = [int(r["epoch"]) for r in rows]
fig, (ax_rate, ax_loss) = plt.subplots(2, 1, sharex=True, figsize=(6.4, 5.2))
ax_rate.plot(epochs, [float(r["learning_rate"]) for r in rows], "o-")
ax_rate.set_ylabel("learning rate")
ax_loss.plot(epochs, [float(r["loss"]) for r in rows], label="training")
ax_loss.plot(epochs, [float(r["validation_loss"]) for r in rows], label="validation")
ax_loss.axvline(checkpoint.epoch_, color="grey", ls="--", label="checkpoint")
ax_loss.set(xlabel="epoch", ylabel="loss", yscale="log")
ax_loss.legend()
fig.tight_layout()
plt.show()

# %%
# Loading the checkpoint and resuming
# -----------------------------------
#
# The file holds the estimator as fitted with the best epoch's weights and
# the optimizer's state: it predicts as ``reg`` does (early stopping kept
# the same epoch), and ``warm_start`` trains it further, here for ten more
# epochs along a second, smaller cosine.  (A cosine over the whole fit ends
# it by design: reaching ``max_iter`` raises no ``ConvergenceWarning``.)

saved = joblib.load(folder / "adding.joblib")
print("same predictions:", np.array_equal(saved.predict(X_test), reg.predict(X_test)))
saved.set_params(
    warm_start=True,
    max_iter=10,
    learning_rate_init=1e-3,
    callbacks=[LearningRateSchedule("cosine")],
)
saved.fit(X_train, y_train)
print(f"after {saved.n_iter_} epochs in all: test R² {saved.score(X_test, y_test):.3f}")
