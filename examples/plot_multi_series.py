"""
=================================================
Many series and a calendar: one forecasting model
=================================================

A shop prices hundreds of products, a utility meters hundreds of sites:
forecasting often means many series of the same kind, at very different
levels.  This example fits **one** :class:`~sklstm.WindowScaledRegressor`
over four price-like series, from about 8 to about 3000, with a
known-future calendar covariate (the day of the week), and compares it with
**one model per series**, in accuracy and in fitting time.

:func:`~sklstm.sliding_windows` cuts all the series into windows at once
(none crosses from one series into another) and says which series each
window comes from; the per-window scaling of
:class:`~sklstm.WindowScaledRegressor` puts a window at 8 and one at 3000 on
the same scale, while the calendar features reach the network unscaled.
"""

# %%
# Four series with a weekly pattern
# ---------------------------------
#
# :func:`~sklstm.datasets.make_price_series` generates daily price paths;
# each gets a start level of its own and the same day-of-week pattern (dearer
# on Mondays, cheaper mid-week), a pattern that the past prices alone
# predict poorly but the calendar predicts exactly.

from time import perf_counter

import matplotlib.pyplot as plt
import numpy as np

from sklstm import LSTMRegressor, WindowScaledRegressor, sliding_windows
from sklstm.datasets import make_price_series

n_days = 600
levels = [8.0, 60.0, 450.0, 3200.0]
dates = np.busday_offset("2021-01-04", np.arange(n_days + 1))  # one day ahead
weekday = (dates.astype("datetime64[D]").view("int64") - 4) % 7  # Monday is 0
weekly = np.array([0.012, -0.004, -0.010, -0.002, 0.004])  # Mon..Fri
series = [
    make_price_series(n_days, start=level, random_state=k) * (1 + weekly[weekday[:-1]])
    for k, level in enumerate(levels)
]

# the calendar, known in advance: the weekday on a circle, of unit scale
angle = 2 * np.pi * weekday / 5
calendar = np.column_stack([np.sin(angle), np.cos(angle)])

fig, ax = plt.subplots(figsize=(8, 3.5), layout="constrained")
for level, s in zip(levels, series, strict=True):
    ax.plot(dates[:-1], s, lw=0.8, label=f"starts at {level:g}")
ax.set(title="Four series, one weekly pattern", ylabel="price", yscale="log")
ax.legend(loc="upper left", ncol=2)
plt.show()

# %%
# Windows of all the series, with the calendar of the day predicted
# -----------------------------------------------------------------
#
# ``future_covariates`` gives every input step the calendar of the next
# day, so the last step of a window, the forecast origin, carries the
# weekday of the day being predicted, and no price after the origin.  The
# features of a step are the price, then the two calendar features.
# ``return_groups=True`` says which series each window belongs to: each
# series is split by time, its last 150 windows for testing, after a gap of
# one window length so that no price is both in training and in testing.

window, n_test = 20, 150
X, y, groups = sliding_windows(
    series,
    window,
    future_covariates=[calendar] * len(series),  # one per series
    return_groups=True,
)
print(f"X: {X.shape} (windows, steps, features), y: {y.shape}")

after = np.empty(len(groups), dtype=int)  # later windows of the same series
for g in range(len(series)):
    rows = np.flatnonzero(groups == g)  # in time order
    after[rows] = np.arange(len(rows))[::-1]
test = after < n_test
train = after >= n_test + window
print(f"{train.sum()} training windows, {test.sum()} test windows")

# %%
# One model for all the series, one model per series
# --------------------------------------------------
#
# ``n_series_features=1``: only the price is scaled, by each window's last
# price (the network learns the return to come); the calendar passes
# through as it is.  The predictions come back in the units of each series.
# The per-series models are the same, fitted four times on a quarter of the
# windows each.


def make_model():
    return WindowScaledRegressor(
        LSTMRegressor(
            16,
            max_iter=100,
            n_iter_no_change=3,
            random_state=0,
            validation_split="last",
            normalise_y=False,
        ),
        n_series_features=1,
    )


tic = perf_counter()
pooled = make_model().fit(X[train], y[train])
fit_pooled = perf_counter() - tic
y_pooled = pooled.predict(X[test])

y_own = np.empty(test.sum())
fit_own = 0.0
for g in range(len(series)):
    tic = perf_counter()
    own = make_model().fit(X[train & (groups == g)], y[train & (groups == g)])
    fit_own += perf_counter() - tic
    y_own[groups[test] == g] = own.predict(X[test & (groups == g)])

# the same single model without the calendar: the price feature only
y_blind = make_model().fit(X[train, :, :1], y[train]).predict(X[test, :, :1])

# %%
# Scores in each series' own units, and relative to persistence
# (tomorrow's price = today's), whose ratio below 1 means better.

y_test, last, g_test = y[test], X[test, -1, 0], groups[test]
print(f"{'series':>8} {'persistence':>11} {'one model':>18} {'per series':>18}")
for g, level in enumerate(levels):
    rows = g_test == g
    naive = np.mean(np.abs(last[rows] - y_test[rows]))
    one = np.mean(np.abs(y_pooled[rows] - y_test[rows]))
    per = np.mean(np.abs(y_own[rows] - y_test[rows]))
    print(
        f"{level:>8g} {naive:11.3f} {one:10.3f} ({one / naive:.3f}) "
        f"{per:10.3f} ({per / naive:.3f})"
    )


def relative_mae(y_pred):
    """The MAE as a fraction of the price, pooled over the series."""
    return np.mean(np.abs(y_pred - y_test) / last)


print(
    f"relative MAE: persistence {relative_mae(last):.4f}, one model "
    f"{relative_mae(y_pooled):.4f}, per series {relative_mae(y_own):.4f}, "
    f"one model without the calendar {relative_mae(y_blind):.4f}"
)
print(f"fit time: one model {fit_pooled:.1f} s, four models {fit_own:.1f} s")

# %%
# One model learns the weekly pattern from four times the data, in one
# fit that takes less time than the four; its errors match those of the
# models fitted on each series alone, at every level (a little better on
# two series, a little worse on the other two).  Both beat persistence clearly, and the
# same model without the calendar does not: the calendar tells them which
# day comes next, something 20 past prices only hint at.
#
# The forecasts of the cheapest series
# ------------------------------------
#
# The last 40 test days of the series that starts at 8: both models follow
# the weekly swing that persistence, a day late, gets wrong.

rows = np.flatnonzero(g_test == 0)[-40:]
when = dates[:-1][-40:]
fig, ax = plt.subplots(figsize=(8, 3.5), layout="constrained")
ax.plot(when, y_test[rows], "o-", color="black", lw=1, ms=3, label="actual")
ax.plot(when, last[rows], color="tab:grey", lw=4, alpha=0.4, label="persistence")
ax.plot(when, y_pooled[rows], "o-", color="tab:red", ms=3, label="one model")
ax.plot(when, y_own[rows], "s--", color="tab:blue", ms=3, label="per series")
ax.set(title=f"Next-day forecasts, series starting at {levels[0]:g}", ylabel="price")
ax.legend(loc="upper left", ncol=2)
fig.autofmt_xdate()
plt.show()

# %%
# Forecasting the next day of every series
# ----------------------------------------
#
# With ``horizon=0`` the windows end at the last price, and
# ``future_steps=1`` appends the calendar of the day after it (the calendar
# has one more row than the series).  The groups map the forecasts back to
# their series.

X_next, _, g_next = sliding_windows(
    series,
    window,
    horizon=0,
    future_covariates=[calendar] * len(series),
    future_steps=1,
    return_groups=True,
)
last_windows = np.flatnonzero(np.r_[g_next[1:] != g_next[:-1], True])
forecast = pooled.predict(X_next[last_windows])
day = np.datetime_as_string(dates[-1])
for g, price in zip(g_next[last_windows], forecast, strict=True):
    print(
        f"series {g}: last price {series[g][-1]:9.3f}, forecast for {day} {price:9.3f}"
    )
