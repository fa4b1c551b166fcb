"""
==================================================
The adding problem: sequence regression with LSTMs
==================================================

The *adding problem* is a classic test of recurrent networks.  Each
sequence has two features per timestep: a random value in [0, 1), and a
marker that is 1 at exactly two timesteps and 0 elsewhere.  The target is
the sum of the two marked values.

The model must spot the marked values wherever they are, remember the
first one until it sees the second, and add them.  This example fits
:class:`~sklstm.LSTMRegressor` to data from
:func:`sklstm.datasets.make_adding_problem` and compares its predictions
with the true sums, next to a linear model that cannot solve the task.
"""

# %%
# Generating the data
# -------------------
#
# The input is a 3-D array ``(n_samples, n_timesteps, 2)``: values in the
# first feature, markers in the second.  The target has one value per
# sequence.

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import RidgeCV
from sklearn.metrics import r2_score

from sklstm import LSTMRegressor
from sklstm.datasets import make_adding_problem

X_train, y_train = make_adding_problem(1000, 20, random_state=0)
X_test, y_test = make_adding_problem(300, 20, random_state=1)
print("X_train:", X_train.shape, " y_train:", y_train.shape)
print("Markers of the first sequence at steps", np.flatnonzero(X_train[0, :, 1]))

# %%
# A linear baseline
# -----------------
#
# A linear model on the flattened sequences sees every value and every
# marker, but the target depends on their *products*, so it can do little
# better than predicting the average sum of 1.0.

linear = RidgeCV().fit(X_train.reshape(len(X_train), -1), y_train)
y_linear = linear.predict(X_test.reshape(len(X_test), -1))
print(f"Ridge R² on the test set: {r2_score(y_test, y_linear):.3f}")

# %%
# Fitting the LSTM
# ----------------
#
# With early stopping, 10% of the training sequences are held out, and the
# fit stops once their loss has not improved for ``n_iter_no_change``
# epochs.  ``y`` is 1-D, so the model predicts one value per sequence.

reg = LSTMRegressor(
    hidden_layer_sizes=32,
    learning_rate_init=0.01,
    early_stopping=True,
    random_state=0,
)
reg.fit(X_train, y_train)
y_pred = reg.predict(X_test)

print(f"Epochs run: {reg.n_iter_}")
print(f"LSTM R² on the test set: {reg.score(X_test, y_test):.3f}")

# %%
# Predicted against true sums
# ---------------------------
#
# Points on the diagonal are perfect predictions.  The right panel shows
# the validation R² over the epochs (``validation_scores_``): it can stay
# low for a few epochs, until the network discovers how to use the
# markers.

fig, (ax_pred, ax_curve) = plt.subplots(1, 2, figsize=(10, 4.5))
ax_pred.scatter(y_test, y_linear, s=8, alpha=0.5, color="C7", label="Ridge")
ax_pred.scatter(y_test, y_pred, s=8, alpha=0.7, color="C0", label="LSTMRegressor")
ax_pred.plot([0, 2], [0, 2], color="black", linewidth=1)
ax_pred.set(
    xlabel="true sum",
    ylabel="predicted sum",
    title="Test set predictions",
    xlim=(0, 2),
    ylim=(0, 2),
    aspect="equal",
)
ax_pred.legend(loc="upper left")

epochs = np.arange(1, reg.n_iter_ + 1)
ax_curve.plot(epochs, reg.validation_scores_, marker="o", markersize=3, color="C1")
ax_curve.set(xlabel="epoch", ylabel="R²", title="Validation R² per epoch")
ax_curve.grid(alpha=0.3)
fig.tight_layout()
plt.show()
