"""Normaliser: statistics, round trips, leakage, input forms and sklearn tools."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import config_context
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

from sklstm import LSTMRegressor, Normaliser, sliding_windows

METHODS = ["standard", "minmax", "robust"]
SCALERS = {
    "standard": StandardScaler,
    "minmax": MinMaxScaler,
    "robust": RobustScaler,
}


def _prices(n=400, seed=0):
    """A geometric random walk around 100 dollars."""
    rng = np.random.RandomState(seed)
    return 100.0 * np.exp(np.cumsum(rng.normal(0.0005, 0.01, size=n)))


def _forms(seed=0):
    """The same kind of data as 2-D, 3-D, ragged 2-D and ragged 1-D input."""
    rng = np.random.RandomState(seed)
    return {
        "2d": rng.normal(5, 3, size=(6, 8)),
        "3d": rng.normal(5, 3, size=(6, 8, 3)),
        "ragged": [rng.normal(5, 3, size=(T, 3)) for T in (4, 9, 1, 6)],
        "ragged1d": [rng.normal(5, 3, size=T) for T in (4, 9, 2, 6)],
    }


def _assert_same_form(out, X):
    if isinstance(X, list):
        assert isinstance(out, list) and len(out) == len(X)
        for o, x in zip(out, X, strict=True):
            assert o.shape == x.shape
    else:
        assert isinstance(out, np.ndarray) and out.shape == X.shape


def _allclose(out, expected, **kw):
    if isinstance(expected, list):
        for o, e in zip(out, expected, strict=True):
            assert_allclose(o, e, **kw)
    else:
        assert_allclose(out, expected, **kw)


# Round trips and statistics -------------------------------------------------


@pytest.mark.parametrize("form", ["2d", "3d", "ragged", "ragged1d"])
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("per_sequence", [False, True])
def test_round_trip(form, method, per_sequence):
    X = _forms()[form]
    norm = Normaliser(method, per_sequence=per_sequence).fit(X)
    Xt = norm.transform(X)
    _assert_same_form(Xt, X)
    reference = X if per_sequence else None
    _allclose(norm.inverse_transform(Xt, reference=reference), X, rtol=1e-12)
    _allclose(norm.fit_transform(X), Xt)


@pytest.mark.parametrize("method", METHODS)
def test_global_statistics_pool_all_timesteps(method):
    # per feature over every timestep of every sequence, as the scikit-learn
    # scaler on the stacked timesteps
    forms = _forms()
    scaler = SCALERS[method]
    X3 = forms["3d"]
    expected = scaler().fit_transform(X3.reshape(-1, 3)).reshape(X3.shape)
    assert_allclose(Normaliser(method).fit_transform(X3), expected)

    ragged = forms["ragged"]
    stacked = scaler().fit_transform(np.concatenate(ragged))
    out = Normaliser(method).fit_transform(ragged)
    assert_allclose(np.concatenate(out), stacked)

    # 2-D univariate sequences: one statistic for all timesteps
    X2 = forms["2d"]
    norm = Normaliser(method).fit(X2)
    assert norm.center_.shape == norm.scale_.shape == (1,)
    assert norm.n_features_in_ == X2.shape[1]
    expected = scaler().fit_transform(X2.reshape(-1, 1)).reshape(X2.shape)
    assert_allclose(norm.transform(X2), expected)
    assert_allclose(
        norm.transform(X2), Normaliser(method).fit_transform(X2[..., None])[..., 0]
    )


@pytest.mark.parametrize("method", METHODS)
def test_columns_reads_a_table_like_sklearn(method):
    X = _forms()["2d"]
    norm = Normaliser(method, two_d="columns").fit(X)
    assert norm.center_.shape == (X.shape[1],)
    assert_allclose(norm.transform(X), SCALERS[method]().fit_transform(X))
    assert_allclose(norm.inverse_transform(norm.transform(X)), X)
    # a 3-D input with one feature per column is read the same way
    X3 = X.reshape(3, 2, X.shape[1])
    assert_allclose(norm.transform(X3).reshape(X.shape), norm.transform(X))


def test_minmax_feature_range_and_robust_quantile_range():
    X = _forms()["3d"]
    out = Normaliser("minmax", feature_range=(-1, 2)).fit_transform(X)
    assert_allclose(out.min(axis=(0, 1)), -1)
    assert_allclose(out.max(axis=(0, 1)), 2)
    norm = Normaliser("robust", quantile_range=(10.0, 90.0)).fit(X)
    expected = RobustScaler(quantile_range=(10.0, 90.0)).fit(X.reshape(-1, 3))
    assert_allclose(norm.center_, expected.center_)
    assert_allclose(norm.scale_, expected.scale_)


def test_overlapping_windows_keep_one_scale():
    # 2-D windows of one series: a price gets the same value in every window
    X, y = sliding_windows(_prices(), 20)
    Xt = Normaliser().fit_transform(X)
    assert_allclose(Xt[:-1, 1:], Xt[1:, :-1])
    # with the table reading every column has its own scale, so they differ
    Xc = Normaliser(two_d="columns").fit_transform(X)
    assert not np.allclose(Xc[:-1, 1:], Xc[1:, :-1])


@pytest.mark.parametrize("method", METHODS)
def test_per_sequence_statistics(method):
    X = _forms()["3d"]
    Xt = Normaliser(method, per_sequence=True).fit_transform(X)
    if method == "standard":
        assert_allclose(Xt.mean(axis=1), 0, atol=1e-12)
        assert_allclose(Xt.std(axis=1), 1)
    elif method == "minmax":
        assert_allclose(Xt.min(axis=1), 0, atol=1e-12)
        assert_allclose(Xt.max(axis=1), 1)
    else:
        assert_allclose(np.median(Xt, axis=1), 0, atol=1e-12)


@pytest.mark.parametrize("form", ["2d", "3d", "ragged", "ragged1d"])
@pytest.mark.parametrize("method", METHODS)
def test_per_sequence_never_mixes_samples(form, method):
    X = _forms()[form]
    norm = Normaliser(method, per_sequence=True).fit(X)
    Xt = norm.transform(X)
    changed = [x.copy() for x in X] if isinstance(X, list) else X.copy()
    changed[0] = changed[0] * 50 + 1000
    Xt_changed = norm.transform(changed)
    for i in range(1, len(X)):
        assert_array_equal(Xt_changed[i], Xt[i])
    # a sequence alone is scaled exactly as in the batch
    alone = norm.transform(X[2:3])
    assert_allclose(alone[0], Xt[2])


@pytest.mark.parametrize("method", METHODS)
def test_global_statistics_come_from_fit_only(method):
    rng = np.random.RandomState(1)
    X_train, X_test = rng.normal(size=(20, 7, 2)), rng.normal(9, 5, size=(5, 7, 2))
    norm = Normaliser(method).fit(X_train)
    center, scale = norm.center_.copy(), norm.scale_.copy()
    out = norm.transform(X_test)
    assert_array_equal(norm.center_, center)
    assert_array_equal(norm.scale_, scale)
    assert_allclose(out, (X_test - center) / scale)
    # each test sample is scaled the same alone or with the others
    assert_allclose(norm.transform(X_test[:1]), out[:1])


def test_unseen_lengths():
    rng = np.random.RandomState(0)
    norm = Normaliser().fit(rng.normal(size=(10, 5, 2)))
    long = rng.normal(size=(3, 40, 2))
    assert_allclose(norm.transform(long), (long - norm.center_) / norm.scale_)
    ragged = [rng.normal(size=(T, 2)) for T in (1, 13, 70)]
    _assert_same_form(norm.transform(ragged), ragged)

    # fitted on 2-D sequences: other lengths in 3-D or list form
    norm2 = Normaliser().fit(rng.normal(size=(10, 5)))
    out = norm2.transform(rng.normal(size=(2, 30, 1)))
    assert out.shape == (2, 30, 1)
    out = norm2.transform([rng.normal(size=7), rng.normal(size=12)])
    assert [o.shape for o in out] == [(7,), (12,)]
    with pytest.raises(ValueError, match="3-D array"):
        norm2.transform(rng.normal(size=(2, 30)))

    # fitted on a list, 2-D input may have any length
    norm3 = Normaliser().fit([rng.normal(size=50)])
    assert norm3.transform(rng.normal(size=(4, 9))).shape == (4, 9)

    per_seq = Normaliser(per_sequence=True).fit(rng.normal(size=(10, 5, 2)))
    assert_allclose(
        per_seq.inverse_transform(per_seq.transform(ragged), reference=ragged)[2],
        ragged[2],
    )


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("per_sequence", [False, True])
def test_constant_features(method, per_sequence):
    X = np.random.RandomState(0).normal(size=(4, 6, 2))
    X[:, :, 1] = 0.1  # constant everywhere: rounding noise must not be blown up
    X[1, :, 0] = 7.3  # one constant sequence
    norm = Normaliser(method, per_sequence=per_sequence).fit(X)
    Xt = norm.transform(X)
    assert np.all(np.isfinite(Xt))
    # 0 for every method: the center, or feature_range[0] for 'minmax'
    assert_allclose(Xt[:, :, 1], 0.0, atol=1e-12)
    if per_sequence:
        assert_allclose(Xt[1, :, 0], 0.0, atol=1e-12)
    else:
        assert_array_equal(norm.scale_[1], 1.0)
    reference = X if per_sequence else None
    assert_allclose(norm.inverse_transform(Xt, reference=reference), X)
    # one timestep per sequence: nothing to scale by, no NaN
    out = Normaliser(method, per_sequence=True).fit_transform(X[:, :1])
    assert np.all(np.isfinite(out))


def test_minmax_constant_maps_to_range_start():
    X = np.full((3, 4, 1), 5.0)
    out = Normaliser("minmax", feature_range=(-1, 1)).fit_transform(X)
    assert_allclose(out, -1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_dtype_preserved(dtype):
    forms = _forms()
    for form in ("2d", "3d"):
        X = forms[form].astype(dtype)
        Xt = Normaliser().fit_transform(X)
        assert Xt.dtype == dtype
        assert Normaliser().fit(X).inverse_transform(Xt).dtype == dtype
    ragged = [x.astype(dtype) for x in forms["ragged"]]
    assert all(o.dtype == dtype for o in Normaliser().fit_transform(ragged))


def test_integers_become_float64():
    X = np.arange(24).reshape(2, 4, 3)
    assert Normaliser().fit_transform(X).dtype == np.float64
    assert Normaliser().fit_transform([[1, 2, 3], [4, 5, 6]]).dtype == np.float64


# Extreme magnitudes ---------------------------------------------------------

MODES = [
    (method, per_sequence, two_d)
    for method in [*METHODS, "last"]
    for per_sequence in (False, True)
    for two_d in ("sequences", "columns")
    if per_sequence or method != "last"
]


@pytest.mark.parametrize("scale", [1e300, 1e-300, 1e30, 1e-30])
@pytest.mark.parametrize(("method", "per_sequence", "two_d"), MODES)
def test_any_magnitude_scales_to_the_values_of_unit_data(
    method, per_sequence, two_d, scale
):
    """Squares of 1e300 overflow float64 and those of 1e-300 underflow: the
    statistics must not (they once gave all zeros and all inf)."""
    forms = _forms()
    for form in ("2d", "3d", "ragged"):
        if form == "2d" and per_sequence and two_d == "columns":
            continue  # refused: a row of a table is not a sequence
        X = forms[form]
        scaled = [x * scale for x in X] if form == "ragged" else X * scale
        norm = Normaliser(method, per_sequence=per_sequence, two_d=two_d)
        expected = clone(norm).fit_transform(X)
        out = norm.fit_transform(scaled)
        _assert_same_form(out, X)
        for o in out if form == "ragged" else [out]:
            assert np.all(np.isfinite(o))
        _allclose(out, expected, rtol=1e-5, atol=1e-8)
        reference = scaled if per_sequence else None
        back = norm.inverse_transform(out, reference=reference)
        _allclose(back, scaled, rtol=1e-10, atol=0)


# scikit-learn's finiteness check sums X, which overflows in float32 here
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize("method", METHODS)
def test_float32_data_near_its_largest_value(method):
    """A range or a statistic beyond float32's largest value, 3.4e38, once
    became inf in float32 (and the output 0 or NaN)."""
    X = np.random.RandomState(0).uniform(-1, 1, size=(6, 8, 2))
    X32 = (X * 3e38).astype(np.float32)
    norm = Normaliser(method).fit(X32)
    Xt = norm.transform(X32)
    assert Xt.dtype == np.float32 and np.all(np.isfinite(Xt))
    assert_allclose(Xt, Normaliser(method).fit_transform(X), rtol=1e-4, atol=1e-5)
    back = norm.inverse_transform(Xt)
    assert back.dtype == np.float32 and np.all(np.isfinite(back))
    assert_allclose(back, X32, rtol=1e-4, atol=3e38 * 1e-6)


def test_unrepresentable_results_are_clear_errors():
    X = _forms()["3d"]
    with pytest.raises(ValueError, match="exceed float64's range"):
        Normaliser("minmax").fit([[-1e308, 1e308]])
    with pytest.raises(ValueError, match="exceed float64's range"):
        Normaliser("robust").fit([[-1e308, -1e308, 1e308, 1e308]])
    with pytest.raises(ValueError, match="underflows to 0"):
        Normaliser("minmax", feature_range=(0, 1e300)).fit(X * 1e-300)
    with pytest.raises(ValueError, match="finite width"):
        Normaliser("minmax", feature_range=(-1e308, 1e308)).fit(X)
    tiny = Normaliser().fit(X * 1e-300)  # a scale of about 3e-300
    with pytest.raises(ValueError, match="beyond float64's range"):
        tiny.transform(X * 1e10)
    with pytest.raises(ValueError, match="beyond float64's range"):
        Normaliser().fit(X * 1e300).inverse_transform(X * 1e10)


# Errors ---------------------------------------------------------------------


def test_bad_input_errors():
    X = _forms()["3d"]
    bad = X.copy()
    bad[0, 1, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        Normaliser().fit(bad)
    with pytest.raises(ValueError, match="NaN"):
        Normaliser().fit(X).transform(bad)
    bad[0, 1, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        Normaliser(per_sequence=True).fit(X).transform(bad)
    with pytest.raises(ValueError, match="features per timestep"):
        Normaliser().fit(X).transform(X[:, :, :2])
    with pytest.raises(ValueError, match="features per timestep"):
        Normaliser().fit(X).inverse_transform(X[:, :, :2])
    with pytest.raises(ValueError, match="Reshape your data"):
        Normaliser().fit(X[:, :, 0]).transform(X[0, :, 0])


def test_token_sequences_are_refused():
    from sklstm import Embedder

    tokens = Embedder().fit_transform(["a b c", "b c d e"])
    with pytest.raises(TypeError, match="numeric sequences"):
        Normaliser().fit(tokens)


def test_parameter_errors():
    X = _forms()["2d"]
    with pytest.raises(ValueError, match="method"):
        Normaliser("zscore").fit(X)
    with pytest.raises(ValueError, match="feature_range"):
        Normaliser("minmax", feature_range=(1, 0)).fit(X)
    with pytest.raises(ValueError, match="feature_range"):
        Normaliser("minmax", feature_range=(0, 1, 2)).fit(X)
    with pytest.raises(ValueError, match="quantile_range"):
        Normaliser("robust", quantile_range=(75.0, 25.0)).fit(X)
    with pytest.raises(ValueError, match="quantile_range"):
        Normaliser("robust", quantile_range=(-5.0, 25.0)).fit(X)
    with pytest.raises(ValueError, match="two_d='sequences'"):
        Normaliser(per_sequence=True, two_d="columns").fit(X)
    # per-sequence with the table reading is fine for 3-D input
    Normaliser(per_sequence=True, two_d="columns").fit(X[:, :, None])


def test_reference_errors():
    X = _forms()["2d"]
    per_seq = Normaliser(per_sequence=True).fit(X)
    Xt = per_seq.transform(X)
    with pytest.raises(ValueError, match="pass the original-scale sequences"):
        per_seq.inverse_transform(Xt)
    with pytest.raises(ValueError, match="correspond one to one"):
        per_seq.inverse_transform(Xt, reference=X[:3])
    with pytest.raises(ValueError, match="correspond one to one"):
        per_seq.transform(Xt[:, :2], reference=X[:3])
    glob = Normaliser().fit(X)
    with pytest.raises(ValueError, match="only used with per_sequence=True"):
        glob.inverse_transform(Xt, reference=X)
    with pytest.raises(ValueError, match="only used with per_sequence=True"):
        glob.transform(X, reference=X)
    # one feature of multivariate references must be picked explicitly
    X3 = _forms()["3d"]
    per_seq3 = Normaliser(per_sequence=True).fit(X3)
    with pytest.raises(ValueError, match=r"reference=X\[:, :, \[k\]\]"):
        per_seq3.inverse_transform(np.zeros(len(X3)), reference=X3)
    out = per_seq3.inverse_transform(np.zeros(len(X3)), reference=X3[:, :, [2]])
    assert_allclose(out, X3[:, :, 2].mean(axis=1))


# Forecasting: targets in dollars --------------------------------------------


def test_global_inverse_transform_accepts_forecast_shapes():
    X, y = sliding_windows(_prices(), 10, horizon=3)
    norm = Normaliser().fit(X)
    # multi-step forecasts (n, horizon) and one-step forecasts (n,)
    assert_allclose(norm.inverse_transform((y - norm.center_) / norm.scale_), y)
    y1 = y[:, 0]
    assert_allclose(norm.inverse_transform((y1 - norm.center_) / norm.scale_), y1)


def test_transformed_target_regressor_in_dollars():
    X, y = sliding_windows(_prices(), 10)
    n_train = 300
    model = TransformedTargetRegressor(
        regressor=make_pipeline(Normaliser(), Ridge(alpha=1e-3)),
        transformer=Normaliser(),
    ).fit(X[:n_train], y[:n_train])
    transformer = model.transformer_
    assert_allclose(transformer.center_, [y[:n_train].mean()])
    y2 = y[:, None]
    assert_allclose(transformer.inverse_transform(transformer.transform(y2)), y2)
    y_pred = model.predict(X[n_train:])
    # dollars: close to a persistence forecast, far from unit scale
    assert y_pred.mean() > 50
    assert np.mean(np.abs(y_pred - y[n_train:])) < 3 * np.mean(
        np.abs(X[n_train:, -1] - y[n_train:])
    )
    # multi-step targets are pooled into one statistic for all steps
    X3, y3 = sliding_windows(_prices(), 10, horizon=3)
    model = TransformedTargetRegressor(regressor=Ridge(), transformer=Normaliser())
    model.fit(X3, y3)
    assert model.transformer_.center_.shape == (1,)
    assert model.predict(X3).shape == y3.shape


def test_per_window_forecast_back_to_dollars():
    prices = _prices(600)
    X, y = sliding_windows(prices, 20, horizon=2)
    X_train, X_test, y_train, y_test = X[:450], X[450:], y[:450], y[450:]
    norm = Normaliser(per_sequence=True).fit(X_train)
    Xt = norm.transform(X_train)
    # each target is scaled by the statistics of its own input window
    yt = norm.transform(y_train, reference=X_train)
    mean, std = X_train.mean(axis=1), X_train.std(axis=1)
    assert_allclose(yt, (y_train - mean[:, None]) / std[:, None])
    assert_allclose(norm.inverse_transform(yt, reference=X_train), y_train)

    reg = Ridge(alpha=1e-2).fit(Xt, yt)
    y_pred = norm.inverse_transform(
        reg.predict(norm.transform(X_test)), reference=X_test
    )
    assert y_pred.shape == y_test.shape
    persistence = np.abs(X_test[:, -1:] - y_test).mean()
    assert np.abs(y_pred - y_test).mean() < 1.5 * persistence

    # one-step targets as a 1-D array
    y1 = y_train[:, 0]
    yt1 = norm.transform(y1, reference=X_train)
    assert yt1.shape == y1.shape
    assert_allclose(norm.inverse_transform(yt1, reference=X_train), y1)


def test_multivariate_target_uses_its_feature_statistics():
    rng = np.random.RandomState(0)
    series = np.column_stack([_prices(), rng.normal(1e6, 1e5, size=400)])
    X, y = sliding_windows(series, 15, target=0)
    norm = Normaliser(per_sequence=True).fit(X)
    yt = norm.transform(y, reference=X[:, :, [0]])
    assert_allclose(yt, (y - X[:, :, 0].mean(1)) / X[:, :, 0].std(1))
    assert_allclose(norm.inverse_transform(yt, reference=X[:, :, [0]]), y)


# scikit-learn tools ---------------------------------------------------------


def test_clone_get_set_params_and_pickle():
    norm = Normaliser("robust", per_sequence=True, quantile_range=(10.0, 90.0))
    params = norm.get_params()
    assert params == {
        "method": "robust",
        "per_sequence": True,
        "two_d": "sequences",
        "feature_range": (0, 1),
        "quantile_range": (10.0, 90.0),
    }
    cloned = clone(norm)
    assert cloned.get_params() == params and cloned is not norm
    cloned.set_params(method="minmax", per_sequence=False, feature_range=(-1, 1))
    assert cloned.method == "minmax" and norm.method == "robust"

    X = _forms()["ragged"]
    for est in (norm, cloned):
        est.fit(X)
        restored = pickle.loads(pickle.dumps(est))
        _allclose(restored.transform(X), est.transform(X))
    assert "center_" not in vars(clone(cloned))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_pipeline_with_lstm_regressor():
    rng = np.random.RandomState(0)
    X = rng.normal(50, 10, size=(24, 6, 2))
    y = X[:, -1, 0] / 10
    pipe = make_pipeline(
        Normaliser(), LSTMRegressor(hidden_layer_sizes=8, max_iter=3, random_state=0)
    )
    pipe.fit(X, y)
    assert pipe.predict(X).shape == (24,)
    ragged = [rng.normal(50, 10, size=(T, 2)) for T in (3, 11)]
    assert pipe.predict(ragged).shape == (2,)
    pipe.set_params(normaliser__per_sequence=True).fit(X, y)
    assert np.all(np.isfinite(pipe.predict(X)))


def test_grid_search_over_normaliser_parameters():
    X, y = sliding_windows(_prices(300), 10)
    pipe = Pipeline([("normaliser", Normaliser()), ("ridge", Ridge())])
    search = GridSearchCV(
        pipe,
        {"normaliser__method": METHODS, "normaliser__two_d": ["sequences", "columns"]},
        cv=TimeSeriesSplit(n_splits=3, gap=10),
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 6
    assert search.best_params_["normaliser__method"] in METHODS


# --- set_output: tables into DataFrames, sequences as they are -------------

# Normalisers whose 2-D input is a table of the columns seen in fit.
TABLE_NORMALISERS = [
    Normaliser(),
    Normaliser(two_d="columns"),
    Normaliser(method="minmax", per_sequence=True),
    Normaliser(method="last", per_sequence=True),
]


@pytest.mark.parametrize("context", ["local", "global"])
@pytest.mark.parametrize("normaliser", TABLE_NORMALISERS, ids=repr)
def test_set_output_pandas_gives_a_dataframe_of_the_2d_output(normaliser, context):
    pd = pytest.importorskip("pandas")
    X = _forms()["2d"]
    df = pd.DataFrame(X, columns=[f"t{i}" for i in range(8)], index=list("abcdef"))
    expected = clone(normaliser).fit(X).transform(X)
    est = clone(normaliser)
    if context == "local":
        assert est.set_output(transform="pandas") is est
    with config_context(transform_output="pandas" if context == "global" else None):
        from_df = est.fit_transform(df)
        from_array = est.fit(X).transform(X)
    # like StandardScaler: the columns and the index of the fitted DataFrame
    assert isinstance(from_df, pd.DataFrame)
    assert list(from_df.columns) == list(df.columns)
    assert list(from_df.index) == list(df.index)
    assert_array_equal(from_df.to_numpy(), expected)
    # without names, sklearn's x0, x1, ...
    assert isinstance(from_array, pd.DataFrame)
    assert list(from_array.columns) == [f"x{i}" for i in range(8)]
    assert_array_equal(from_array.to_numpy(), expected)
    # the DataFrame goes back like the array
    reference = X if est.per_sequence else None
    with config_context(transform_output="pandas" if context == "global" else None):
        assert_allclose(est.inverse_transform(from_array, reference=reference), X)


def test_set_output_polars_gives_a_polars_dataframe():
    pl = pytest.importorskip("polars")
    X = _forms()["2d"]
    out = Normaliser().set_output(transform="polars").fit_transform(X)
    assert isinstance(out, pl.DataFrame)
    assert out.columns == [f"x{i}" for i in range(8)]
    assert_array_equal(out.to_numpy(), Normaliser().fit_transform(X))


@pytest.mark.parametrize("context", ["local", "global"])
def test_set_output_returns_sequences_as_they_are(context):
    pytest.importorskip("pandas")
    forms = _forms()
    est = Normaliser()
    if context == "local":
        est.set_output(transform="pandas")
    with config_context(transform_output="pandas" if context == "global" else None):
        for name in ("3d", "ragged", "ragged1d"):
            X = forms[name]
            out = est.fit_transform(X)
            default = Normaliser().fit_transform(X)
            assert type(out) is type(default), name
            for a, b in zip(out, default, strict=True):
                assert_array_equal(a, b)
        # 2-D sequences after a fit on 3-D sequences: one feature, no table
        fitted = est.fit(forms["3d"][:, :, :1])
        assert isinstance(fitted.transform(forms["2d"]), np.ndarray)
        # targets scaled by the statistics of their windows
        per_seq = clone(est).set_params(method="last", per_sequence=True)
        X, y = sliding_windows(_prices(60), 5, horizon=2)
        per_seq.fit(X)
        assert isinstance(per_seq.transform(y, reference=X), np.ndarray)
        assert isinstance(per_seq.transform(y[:, 0], reference=X), np.ndarray)


def test_subclasses_keep_sequences_out_of_dataframes():
    # scikit-learn wraps the transform of every new subclass unless told not
    # to: a subclass of Normaliser must still return sequences as they are
    pd = pytest.importorskip("pandas")

    class Logged(Normaliser):
        def transform(self, X, reference=None):
            return super().transform(X, reference=reference)

    forms = _forms()
    with config_context(transform_output="pandas"):
        assert isinstance(Logged().fit_transform(forms["3d"]), np.ndarray)
        assert isinstance(Logged().fit_transform(forms["2d"]), pd.DataFrame)


def test_set_output_default_and_none_change_nothing():
    X = _forms()["2d"]
    est = Normaliser()
    assert est.set_output(transform=None) is est
    assert not hasattr(est, "_sklearn_output_config")
    default = est.set_output(transform="default").fit_transform(X)
    assert_array_equal(default, Normaliser().fit_transform(X))
    with pytest.raises(ValueError, match=r"one of \['default', 'pandas', 'polars'\]"):
        est.set_output(transform="pandsa")
    assert est._sklearn_output_config == {"transform": "default"}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("form", ["2d", "3d", "ragged"])
@pytest.mark.parametrize("context", ["local", "global"])
def test_pipeline_set_output_pandas_fits_and_predicts(form, context):
    pytest.importorskip("pandas")
    from sklstm import LSTMClassifier

    X = _forms()[form]
    y = np.array([0, 1] * (len(X) // 2))

    def pipe():
        return make_pipeline(
            Normaliser(),
            LSTMClassifier(hidden_layer_sizes=4, max_iter=2, random_state=0),
        )

    expected = pipe().fit(X, y).predict_proba(X)
    model = pipe()
    if context == "local":
        assert model.set_output(transform="pandas") is model
    with config_context(transform_output="pandas" if context == "global" else None):
        model.fit(X, y)
        assert_allclose(model.predict_proba(X), expected)
        assert model.score(X, y) == pipe().fit(X, y).score(X, y)


def test_real_prices_global_drifts_per_window_does_not(data_dir):
    path = data_dir / "sp500_daily" / "sp500.csv"
    if not path.exists():
        pytest.skip(f"{path} not found")
    close = np.genfromtxt(path, delimiter=",", skip_header=1, usecols=4)
    X, y = sliding_windows(close, 50, step=5)
    n_train = int(0.5 * len(X))
    glob = Normaliser().fit(X[:n_train])
    # the index rose far above its 2000-2009 range: global values run away
    assert glob.transform(X[n_train:]).max() > 4
    per_win = Normaliser(per_sequence=True).fit(X[:n_train])
    Xt = per_win.transform(X[n_train:])
    assert np.abs(Xt).max() < 8
    yt = per_win.transform(y[n_train:], reference=X[n_train:])
    assert_allclose(per_win.inverse_transform(yt, reference=X[n_train:]), y[n_train:])


def test_last_method_gives_change_from_the_last_value():
    X = np.array([[90.0, 100.0], [0.0, -2.0], [1.0, 0.0]])
    norm = Normaliser(method="last", per_sequence=True).fit(X)
    Xt = norm.transform(X)
    # X / last - 1 for a positive last value; |last| divides; 0 keeps scale 1
    np.testing.assert_allclose(Xt, [[-0.1, 0.0], [1.0, 0.0], [1.0, 0.0]])
    np.testing.assert_allclose(norm.inverse_transform(Xt, reference=X), X)
    y = np.array([[110.0, 121.0], [-1.0, -4.0], [2.0, 3.0]])
    yt = norm.transform(y, reference=X)
    np.testing.assert_allclose(yt[0], [0.1, 0.21])
    np.testing.assert_allclose(norm.inverse_transform(yt, reference=X), y)


def test_last_method_needs_per_sequence():
    with pytest.raises(ValueError, match="per_sequence=True"):
        Normaliser(method="last").fit(np.ones((3, 4)))
