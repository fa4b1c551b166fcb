"""
==============================================
Training curves of an LSTM sequence classifier
==============================================

This example fits :class:`~sklstm.LSTMClassifier` to a synthetic task
where the label of a sequence is decided by its first few timesteps, and
the remaining timesteps are noise.  To get it right, the network has to
carry what it saw at the start through 20 steps of noise: a small test of
memory, which is what the gates of an LSTM are for.

It then plots the training loss of every epoch (``loss_curve_``) and,
since early stopping is on, the loss and the accuracy on the held-out
validation set (``history_`` and ``validation_scores_``).
"""

# %%
# A synthetic sequence classification task
# ----------------------------------------
#
# Each sequence has 23 timesteps with one feature, all drawn from a standard
# normal distribution.  Its label is ``"positive"`` when the sum of the first
# three values is positive, ``"negative"`` otherwise; the 20 values after
# them do not matter.  The input is a 3-D array of shape
# ``(n_samples, n_timesteps, n_features)``; labels may be strings.

import matplotlib.pyplot as plt
import numpy as np

from sklstm import LSTMClassifier

rng = np.random.RandomState(3)
n_samples, n_signal, n_noise = 1200, 3, 20
X = rng.normal(size=(n_samples, n_signal + n_noise, 1))
y = np.where(X[:, :n_signal, 0].sum(axis=1) > 0, "positive", "negative")

X_train, X_test = X[:1000], X[1000:]
y_train, y_test = y[:1000], y[1000:]
print("Training sequences:", X_train.shape)
print("Share of 'positive' labels:", np.mean(y_train == "positive"))

# %%
# Fitting the classifier
# ----------------------
#
# One LSTM layer of 32 units is plenty here.  ``early_stopping=True`` holds
# out 10% of the training sequences (``validation_fraction``) and evaluates
# them after every epoch.  Training stops once the validation loss has not
# improved by ``tol`` for ``n_iter_no_change`` (10) epochs, and the model
# keeps the weights of the epoch with the lowest validation loss.

clf = LSTMClassifier(
    hidden_layer_sizes=32,
    learning_rate_init=0.01,
    max_iter=60,
    early_stopping=True,
    random_state=0,
)
clf.fit(X_train, y_train)

print(f"Epochs run: {clf.n_iter_}")
print(f"Test accuracy: {clf.score(X_test, y_test):.3f}")

# %%
# Always guessing the majority class would be right about half the time,
# and so would a model that only looks at the last timesteps.
#
# Plotting the training curves
# ----------------------------
#
# ``loss_curve_`` holds the mean training loss (cross-entropy) of each
# epoch.  ``history_`` has one dict per epoch with, under early stopping,
# the validation loss as well, and ``validation_scores_`` holds the
# validation accuracy.  The dashed line marks the epoch whose weights the
# model kept.

epochs = np.arange(1, clf.n_iter_ + 1)
validation_loss = [record["validation_loss"] for record in clf.history_]
best_epoch = int(np.argmin(validation_loss)) + 1

fig, (ax_loss, ax_score) = plt.subplots(1, 2, figsize=(10, 4), sharex=True)
ax_loss.plot(epochs, clf.loss_curve_, marker="o", markersize=3, label="training")
ax_loss.plot(epochs, validation_loss, marker="o", markersize=3, label="validation")
ax_loss.set(xlabel="epoch", ylabel="cross-entropy", title="Loss")
ax_loss.legend()
ax_score.plot(epochs, clf.validation_scores_, marker="o", markersize=3, color="C1")
ax_score.set(xlabel="epoch", ylabel="accuracy", title="Validation accuracy")
for ax in (ax_loss, ax_score):
    ax.axvline(best_epoch, color="gray", linestyle="--", linewidth=1)
    ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()

# %%
# The loss falls quickly at first, as the network picks up part of the
# signal, then more slowly while it learns to keep all three early values
# in its cell state through the noise.  The validation curves are more
# jagged than the training loss because they are measured on only 100
# sequences.
#
# Each record of ``history_`` also stores the time the epoch took:

for record in clf.history_[:3]:
    print({key: round(value, 3) for key, value in record.items()})
