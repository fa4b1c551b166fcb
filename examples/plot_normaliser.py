"""
=========================
Normalising price series
=========================

An LSTM learns best from inputs of roughly unit scale, but prices are in
dollars (here, index points) and wander far from where they started.  This
example compares the two ways :class:`~sklstm.Normaliser` scales a price
series cut into windows by :func:`~sklstm.sliding_windows`:

* **global** statistics, fitted once on the training period;
* **per-sequence** statistics, every window scaled by its own mean and
  standard deviation.

It uses the daily close of the S&P 500 from 2000 to 2018, and shows how
forecasts come back to dollars and how to cross-validate over windows with
:class:`~sklearn.model_selection.TimeSeriesSplit`.  No network is trained.
"""

# %%
# Loading the prices
# ------------------
#
# The file has one row per trading day, with dates written ``dd-mm-yy``.
# Without it, a geometric random walk with the same length and a similar
# drift stands in.

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.model_selection import TimeSeriesSplit

from sklstm import Normaliser, sliding_windows
from sklstm.datasets import find_shared_data

csv = find_shared_data("sp500_daily/sp500.csv")  # None without the real data
if csv is not None:
    frame = pd.read_csv(csv)
    dates = pd.to_datetime(frame["Date"], format="%d-%m-%y").to_numpy()
    close = frame["Close"].to_numpy()
    name = "S&P 500 close"
else:
    print("The S&P 500 file was not found: using a random walk instead.")
    rng = np.random.RandomState(19)  # a walk that ends far above its start
    close = 1450 * np.exp(np.cumsum(rng.normal(0.0002, 0.012, size=4697)))
    dates = pd.bdate_range("2000-01-03", periods=len(close)).to_numpy()
    name = "random walk"
print(f"{name}: {len(close)} days, from {close.min():.0f} to {close.max():.0f}")

# %%
# Windows and a chronological split
# ---------------------------------
#
# Each sample is 50 consecutive closes, and its target the next close.  The
# first half of the windows is for training, the second for testing: the
# split is by time, never at random.  A 2-D array of windows is read as
# univariate sequences, so a global ``Normaliser`` fits one mean and one
# standard deviation over all the training prices.

window = 50
X, y = sliding_windows(close, window)
n_train = len(X) // 2
X_train, X_test = X[:n_train], X[n_train:]
y_train, y_test = y[:n_train], y[n_train:]
split_date = dates[n_train + window]
print("X:", X.shape, " y:", y.shape)

global_norm = Normaliser().fit(X_train)
print(
    f"global statistics: mean {global_norm.center_[0]:.0f}, "
    f"std {global_norm.scale_[0]:.0f}"
)
Xt_train, Xt_test = global_norm.transform(X_train), global_norm.transform(X_test)

window_norm = Normaliser(per_sequence=True).fit(X_train)
Wt_train, Wt_test = window_norm.transform(X_train), window_norm.transform(X_test)

for label, train, test in [
    ("global", Xt_train, Xt_test),
    ("per window", Wt_train, Wt_test),
]:
    low, high = train.min(), train.max()
    outside = np.mean((test < low) | (test > high))
    print(
        f"{label:>10}: training values in [{low:5.2f}, {high:5.2f}], "
        f"test values up to {test.max():5.2f}, {outside:.0%} outside"
    )

# %%
# Raw, globally and per-window normalised
# ---------------------------------------
#
# The top panel is the raw series.  In the middle, the whole series scaled
# with the statistics of the training period (a list holding one sequence
# may have any length): once prices leave the range seen in training, the
# inputs leave it too, and the network is asked about values it never saw.
# At the bottom, a few windows from both periods, each scaled by its own
# statistics: they keep the same scale however far the price has moved,
# and only their *shape* differs.

full_global = global_norm.transform([close])[0]

fig, axes = plt.subplots(3, 1, figsize=(8, 9), layout="constrained")
axes[0].plot(dates, close, lw=0.8)
axes[0].axvspan(dates[0], split_date, color="tab:green", alpha=0.1, label="training")
axes[0].set(title=f"Raw {name}", ylabel="index points")
axes[0].legend(loc="upper left")

axes[1].plot(dates, full_global, lw=0.8)
axes[1].axvspan(dates[0], split_date, color="tab:green", alpha=0.1)
axes[1].axhspan(Xt_train.min(), Xt_train.max(), color="grey", alpha=0.2)
axes[1].set(
    title="Global statistics (fitted on training), grey: training range",
    ylabel="normalised",
)

picks = np.linspace(0, len(X) - 1, 6).astype(int)
for i in picks:
    period = "train" if i < n_train else "test"
    scaled = window_norm.transform(X[i : i + 1])[0]
    date = pd.Timestamp(dates[i + window - 1]).date()
    axes[2].plot(np.arange(window), scaled, label=f"{period}, to {date}")
axes[2].set(
    title="Per-window statistics: each window by its own mean and std",
    xlabel="day in window",
    ylabel="normalised",
)
axes[2].legend(fontsize="small", ncol=2)
plt.show()

# %%
# Forecasts back to dollars
# -------------------------
#
# With per-window scaling the target must be scaled by the statistics of
# *its input window*, and a forecast is brought back to dollars the same
# way: ``inverse_transform`` takes the original windows as ``reference``.
# A naive forecast shows the mechanics: "tomorrow equals the last value of
# the window", made in normalised units and returned in index points.

yt_train = window_norm.transform(y_train, reference=X_train)
print("scaled training targets: mean", round(float(yt_train.mean()), 2))

yt_pred = Wt_test[:, -1]  # a model's prediction in normalised units
y_pred = window_norm.inverse_transform(yt_pred, reference=X_test)
print(f"naive forecast back in index points, MAE {np.abs(y_pred - y_test).mean():.2f}")

# %%
# With global statistics, put the target scaling in a
# :class:`~sklearn.compose.TransformedTargetRegressor`, which fits a second
# ``Normaliser`` on ``y`` and inverts the predictions for you::
#
#     model = TransformedTargetRegressor(
#         regressor=make_pipeline(Normaliser(), LSTMRegressor()),
#         transformer=Normaliser(),
#     )

# %%
# Cross-validation over windows
# -----------------------------
#
# Windows come out in time order, so
# :class:`~sklearn.model_selection.TimeSeriesSplit` trains on the past and
# tests on the future.  Neighbouring windows overlap, though: a gap of
# ``window + horizon - 1`` windows keeps every test window clear of every
# observation used in training.

cv = TimeSeriesSplit(n_splits=4, gap=window)  # horizon 1: gap >= 50
fig, ax = plt.subplots(figsize=(8, 2.5), layout="constrained")
for k, (train, test) in enumerate(cv.split(X)):
    t0, t1 = dates[train[[0, -1]] + window]
    s0, s1 = dates[test[[0, -1]] + window]
    ax.plot([t0, t1], [k, k], color="tab:green", lw=6, solid_capstyle="butt")
    ax.plot([s0, s1], [k, k], color="tab:orange", lw=6, solid_capstyle="butt")
    print(
        f"fold {k}: train to {pd.Timestamp(t1).date()}, "
        f"test {pd.Timestamp(s0).date()} to {pd.Timestamp(s1).date()}"
    )
ax.set(
    yticks=range(4),
    ylabel="fold",
    title="TimeSeriesSplit: training (green) and test (orange) target dates",
)
plt.show()
