"""
==============================================
A 90 % band for the S&P 500's next close
==============================================

A point forecast of a price is close to useless without its uncertainty.
:class:`~sklstm.ConformalRegressor` wraps the default
:class:`~sklstm.WindowScaledRegressor`: it fits the forecaster on the
older training windows, measures its errors on the most recent ones (each
divided by its window's volatility), and turns them into an interval with
a coverage guarantee.  On the test years we check how often the band
holds the true close, and compare its width with the same band around
persistence ("tomorrow = today").
"""

# %%
# The prices and a split by time
# ------------------------------
#
# Windows of 30 closes, the latest 20 % of them the test set, and the 30
# windows before it dropped so that no close is seen on both sides (the
# split of :ref:`sphx_glr_auto_examples_plot_stock_forecast.py`).  Without
# the shared data file, a generated price path of the same length is used.

import matplotlib.pyplot as plt
import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin

from sklstm import ConformalRegressor, WindowScaledRegressor, sliding_windows
from sklstm.datasets import find_shared_data, load_price_csv, make_price_series
from sklstm.model_selection import persistence

csv = find_shared_data("sp500_daily/sp500.csv")
if csv is not None:
    close, name = load_price_csv(csv).data, "S&P 500"
else:
    close, name = make_price_series(4697, start=1455.0, random_state=0), "generated"

window = 30
X, y = sliding_windows(close, window)
start = len(X) - round(0.2 * len(X))
X_train, y_train = X[: start - window], y[: start - window]
X_test, y_test = X[start:], y[start:]

# %%
# The interval
# ------------
#
# The defaults: a 90 % interval, the last 20 % of the training windows
# for calibration.  The same wrapper around persistence gives the baseline
# band (a regressor whose ``predict`` is the window's last close).


class Persistence(RegressorMixin, BaseEstimator):
    """Tomorrow's close is today's (an estimator with nothing to fit)."""

    def fit(self, X, y):
        return self

    def predict(self, X):
        return persistence(X)


model = ConformalRegressor(WindowScaledRegressor(), coverage=0.9)
model.fit(X_train, y_train)
low, high = model.predict_interval(X_test)
baseline = ConformalRegressor(Persistence(), coverage=0.9, scale="diff_std")
b_low, b_high = baseline.fit(X_train, y_train).predict_interval(X_test)

covered = np.mean((low <= y_test) & (y_test <= high))
b_covered = np.mean((b_low <= y_test) & (y_test <= b_high))
mae = np.mean(np.abs(model.predict(X_test) - y_test))
b_mae = np.mean(np.abs(persistence(X_test) - y_test))
print(f"{name}, {len(X_test)} test days")
print(
    f"LSTM:        coverage {covered:.3f}, mean width {np.mean(high - low):.1f}, "
    f"MAE {mae / b_mae:.4f} x persistence"
)
print(
    f"persistence: coverage {b_covered:.3f}, mean width {np.mean(b_high - b_low):.1f}"
)

# %%
# The band over the last test year
# --------------------------------
#
# The band widens where the market moved more in the days before: each
# window's own volatility sets its width.

last = slice(-250, None)
days = np.arange(len(y_test))[last]
fig, ax = plt.subplots(figsize=(9, 4))
ax.fill_between(days, low[last], high[last], alpha=0.3, label="90 % interval")
ax.plot(days, y_test[last], "k", lw=1, label="close")
missed = (y_test < low) | (y_test > high)
ax.plot(days[missed[last]], y_test[last][missed[last]], "r.", label="outside")
ax.set_xlabel("test day")
ax.set_ylabel("close")
ax.set_title(f"{name}: next close with a conformal 90 % interval")
ax.legend()
fig.tight_layout()
plt.show()
