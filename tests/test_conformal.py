"""Conformal prediction intervals: split conformal and ACI."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklstm import ConformalRegressor, sliding_windows
from sklstm._conformal import conformal_quantile
from sklstm.model_selection import persistence


class LastValue(RegressorMixin, BaseEstimator):
    """Persistence on any window layout (2-D, 3-D, ragged): fit does nothing."""

    def fit(self, X, y):
        self.fitted_ = True
        return self

    def predict(self, X):
        return persistence(X)


def coverage_of(lower, upper, y):
    return float(np.mean((lower <= y) & (y <= upper)))


@pytest.mark.filterwarnings("ignore:.*calibration samples are too few")
@parametrize_with_checks(
    [ConformalRegressor(LinearRegression())],
    expected_failed_checks=lambda est: {
        # the calibration samples are the last ones: repeating a sample
        # moves the split, which a weight does not
        "check_sample_weight_equivalence_on_dense_data": "split moves",
        "check_sample_weight_equivalence_on_sparse_data": "split moves",
    },
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_conformal_quantile_is_the_kth_smallest():
    scores = np.random.RandomState(0).permutation(np.arange(1.0, 101.0))
    # n = 100: k = ceil(101 * 0.9) = 91
    assert conformal_quantile(scores, 0.1) == 91.0
    assert conformal_quantile(scores, 0.5) == 51.0  # ceil(50.5)
    assert conformal_quantile(scores, 1 / 101 - 1e-6) == np.inf
    assert conformal_quantile(scores, 1.2) == 0.0
    two = conformal_quantile(np.c_[scores, 2 * scores], [0.1, 0.5])
    np.testing.assert_array_equal(two, [91.0, 102.0])


def _linear(n, seed, noise=1.0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 3))
    return X, X @ [1.0, -2.0, 0.5] + rng.normal(0, noise, n)


def test_split_coverage_and_width_match_known_noise():
    X, y = _linear(25_000, 0)
    model = ConformalRegressor(LinearRegression(), calibration_fraction=0.4)
    model.fit(X[:5000], y[:5000])  # 2000 calibration samples
    lower, upper = model.predict_interval(X[5000:])
    # one calibration draw: its coverage varies by ~sqrt(0.09 / 2000) = 0.007
    # around >= 0.9 (the guarantee is on average over draws: next test)
    assert abs(coverage_of(lower, upper, y[5000:]) - 0.9) < 0.02
    # N(0, 1) noise: the 90 % interval is +-1.645
    np.testing.assert_allclose(np.mean(upper - lower), 2 * 1.645, rtol=0.05)
    lower, upper = model.predict_interval(X[5000:], coverage=0.5)
    np.testing.assert_allclose(np.mean(upper - lower), 2 * 0.674, rtol=0.06)


def test_finite_sample_coverage_is_at_least_nominal():
    # 10 calibration samples: the coverage is exactly ceil(11 * 0.9) / 11
    X, y = _linear(400, 1)
    fitted = LinearRegression().fit(X, y)
    hits = []
    for seed in range(300):
        Xc, yc = _linear(60, 100 + seed)
        model = ConformalRegressor(fitted, method="prefit").fit(Xc[:10], yc[:10])
        hits.append(coverage_of(*model.predict_interval(Xc[10:]), yc[10:]))
    assert 10 / 11 - 0.015 < np.mean(hits) < 10 / 11 + 0.015


def test_calibrates_on_the_last_samples_in_order():
    X, y = _linear(100, 2)
    model = ConformalRegressor(LinearRegression(), calibration_fraction=0.2, gap=5)
    model.fit(X, y)
    inner = LinearRegression().fit(X[:75], y[:75])
    np.testing.assert_allclose(model.estimator_.coef_, inner.coef_)
    expected = np.abs(y[80:] - inner.predict(X[80:]))
    np.testing.assert_allclose(model.conformity_scores_[:, 0], expected)
    assert model.estimator is not model.estimator_  # cloned


def test_intervals_are_ordered_and_nested():
    X, y = _linear(600, 3)
    model = ConformalRegressor(LinearRegression()).fit(X[:500], y[:500])
    pred = model.predict(X[500:])
    lo50, up50 = model.predict_interval(X[500:], coverage=0.5)
    lo90, up90 = model.predict_interval(X[500:])
    lo99, up99 = model.predict_interval(X[500:], coverage=0.99)
    assert np.all(lo99 <= lo90) and np.all(lo90 <= lo50) and np.all(lo50 <= pred)
    assert np.all(pred <= up50) and np.all(up50 <= up90) and np.all(up90 <= up99)


@pytest.mark.parametrize("coverage", [0, 1, 1.5, -0.1])
def test_bad_coverage(coverage):
    X, y = _linear(100, 4)
    with pytest.raises(ValueError, match="coverage"):
        ConformalRegressor(LinearRegression(), coverage=coverage).fit(X, y)
    model = ConformalRegressor(LinearRegression()).fit(X, y)
    with pytest.raises(ValueError, match="coverage"):
        model.predict_interval(X, coverage=coverage)


def test_errors_and_warnings():
    X, y = _linear(100, 5)
    with pytest.raises(ValueError, match="too few"):
        ConformalRegressor(LinearRegression(), gap=90).fit(X, y)
    with pytest.raises(NotFittedError):
        ConformalRegressor(LinearRegression(), method="prefit").fit(X, y)
    with pytest.raises(NotFittedError):
        ConformalRegressor(LinearRegression()).predict_interval(X)
    with pytest.warns(UserWarning, match="infinite"):
        model = ConformalRegressor(LinearRegression(), coverage=0.99).fit(X, y)
    assert np.all(np.isinf(model.predict_interval(X)[1]))
    constant = np.ones((50, 5))
    with pytest.raises(ValueError, match="scale"):
        ConformalRegressor(LastValue(), scale="std").fit(constant, np.ones(50))


def test_clone_keeps_parameters():
    model = ConformalRegressor(LastValue(), coverage=0.8, scale="last", gamma=0.01)
    assert clone(model).get_params()["scale"] == "last"
    assert clone(model).get_params()["coverage"] == 0.8


def _prices(n, seed=0):
    rng = np.random.RandomState(seed)
    return 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))


@pytest.mark.parametrize("scale", [None, "last", "std", "diff_std"])
def test_3d_and_ragged_windows_give_the_2d_intervals(scale):
    X, y = sliding_windows(_prices(600), 10)
    X3 = np.stack([X, -X], axis=2)  # 3-D, the forecast series is feature 0
    out = {}
    for name, data in [("2d", X), ("3d", X3), ("list", list(X3))]:
        model = ConformalRegressor(LastValue(), scale=scale).fit(data[:500], y[:500])
        out[name] = model.predict_interval(data[500:])
    np.testing.assert_allclose(out["3d"], out["2d"])
    np.testing.assert_allclose(out["list"], out["2d"])
    # truly ragged: a shorter window is scaled by its own values
    ragged = list(X3)
    ragged[550] = ragged[550][4:]
    model = ConformalRegressor(LastValue(), scale=scale).fit(ragged[:500], y[:500])
    lower, upper = model.predict_interval(ragged[500:])
    short = ConformalRegressor(LastValue(), scale=scale).fit(X[:500, 4:], y[:500])
    q = model.conformity_scores_, short.conformity_scores_  # differ: other windows
    half = (upper - lower)[50] / 2
    expected = {None: 1.0, "last": X[550, -1], "std": np.std(X[550, 4:])}
    expected["diff_std"] = np.std(np.diff(X[550, 4:]))
    np.testing.assert_allclose(half, conformal_quantile(q[0], 0.1) * expected[scale])


def test_scaled_scores_widen_with_the_level():
    X, y = sliding_windows(_prices(600), 10)
    model = ConformalRegressor(LastValue(), scale="last").fit(X[:500], y[:500])
    lower, upper = model.predict_interval(X[[0, 0]] * [[1.0], [10.0]])
    np.testing.assert_allclose((upper - lower)[1], 10 * (upper - lower)[0])


def test_multi_output_has_a_quantile_per_column():
    X, y = _linear(2000, 6)
    Y = np.c_[y, 3 * y]
    model = ConformalRegressor(LinearRegression()).fit(X[:1000], Y[:1000])
    lower, upper = model.predict_interval(X[1000:])
    assert lower.shape == (1000, 2)
    np.testing.assert_allclose(upper[:, 1] - lower[:, 1], 3 * (upper - lower)[:, 0])
    lower, upper = model.predict_interval_online(X[1000:], Y[1000:])
    assert model.alpha_t_.shape == (2,)


def _drifting(n=4000, seed=7):
    """A series whose noise grows from 1 to 4 (scores not exchangeable)."""
    rng = np.random.RandomState(seed)
    sigma = np.linspace(1.0, 4.0, n)
    X = rng.normal(size=(n, 2))
    return X, X @ [1.0, 1.0] + sigma * rng.normal(size=n)


def test_aci_long_run_coverage_on_a_drifting_series():
    X, y = _drifting()
    kwargs = dict(calibration_fraction=0.5, gamma=0.01)
    model = ConformalRegressor(LinearRegression(), **kwargs).fit(X[:1000], y[:1000])
    static = coverage_of(*model.predict_interval(X[1000:]), y[1000:])
    online = coverage_of(*model.predict_interval_online(X[1000:], y[1000:]), y[1000:])
    assert static < 0.75  # the split interval under-covers as noise grows
    assert abs(online - 0.9) < 0.02
    assert model.n_updates_ == 3000
    # without the rolling scores, alpha_t alone does it too
    model = ConformalRegressor(LinearRegression(), rolling=False, **kwargs)
    model.fit(X[:1000], y[:1000])
    online = coverage_of(*model.predict_interval_online(X[1000:], y[1000:]), y[1000:])
    assert abs(online - 0.9) < 0.02
    assert model.alpha_t_[0] < 0.1  # it had to ask for more


def test_aci_without_adaptation_is_split_conformal():
    X, y = _drifting(1000)
    model = ConformalRegressor(LinearRegression(), gamma=0.0, rolling=False)
    model.fit(X[:500], y[:500])
    static = model.predict_interval(X[500:])
    online = model.predict_interval_online(X[500:], y[500:])
    np.testing.assert_allclose(static, online)


def test_update_is_predict_interval_online_one_at_a_time():
    X, y = _drifting(1200)
    a = ConformalRegressor(LinearRegression(), gamma=0.05).fit(X[:1000], y[:1000])
    b = clone(a).fit(X[:1000], y[:1000])
    lower, upper = a.predict_interval_online(X[1000:], y[1000:])
    for t in range(1000, 1200):
        lo, up = b.predict_interval(X[t : t + 1])
        np.testing.assert_allclose([lo[0], up[0]], [lower[t - 1000], upper[t - 1000]])
        b.update(X[t : t + 1], y[t : t + 1])
    np.testing.assert_allclose(a.alpha_t_, b.alpha_t_)
    np.testing.assert_allclose(a.conformity_scores_, b.conformity_scores_)


def test_same_intervals_as_mapie():
    mapie = pytest.importorskip("mapie.regression")
    X, y = _linear(700, 8)
    fitted = LinearRegression().fit(X[:300], y[:300])
    ours = ConformalRegressor(fitted, method="prefit").fit(X[300:500], y[300:500])
    theirs = mapie.SplitConformalRegressor(fitted, confidence_level=0.9, prefit=True)
    theirs.conformalize(X[300:500], y[300:500])
    _, bounds = theirs.predict_interval(X[500:])
    lower, upper = ours.predict_interval(X[500:])
    np.testing.assert_allclose(lower, bounds[:, 0, 0])
    np.testing.assert_allclose(upper, bounds[:, 1, 0])


def test_auto_scale_reads_series_windows_by_their_volatility():
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import make_pipeline

    from sklstm import LSTMRegressor, WindowScaledRegressor

    assert ConformalRegressor(LinearRegression()).scale == "auto"
    rng = np.random.RandomState(0)
    X = 100 + rng.randn(60, 8).cumsum(1)
    y = X[:, -1] + rng.randn(60)
    linear = ConformalRegressor(LinearRegression()).fit(X, y)
    assert linear.scale_ is None
    windows = WindowScaledRegressor(LSTMRegressor(4, max_iter=2, random_state=0))
    assert ConformalRegressor(windows).fit(X, y).scale_ == "diff_std"
    piped = ConformalRegressor(make_pipeline(windows)).fit(X, y)
    assert piped.scale_ == "diff_std"
    assert ConformalRegressor(windows, scale=None).fit(X, y).scale_ is None
