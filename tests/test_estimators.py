"""LSTMClassifier / LSTMRegressor through their behaviour."""

import pickle
import warnings

import joblib
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sklstm import LSTMAnomalyDetector, LSTMClassifier, LSTMRegressor

FAST = dict(hidden_layer_sizes=8, max_iter=5, random_state=0)


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def first_step_task(n, T, rng):
    """The label is set by the first timestep; the rest is noise."""
    X = rng.normal(size=(n, T, 1)).astype(np.float32)
    y = rng.rand(n) > 0.5
    X[:, 0, 0] = np.where(y, 1.0, -1.0)
    return X, np.where(y, "yes", "no")


def adding_task(n, T, rng):
    """Target = sum of the two values marked somewhere in the sequence."""
    values = rng.uniform(0, 1, (n, T))
    marks = np.zeros((n, T))
    for i in range(n):
        marks[i, rng.choice(T, 2, replace=False)] = 1
    return np.stack([values, marks], axis=-1), (values * marks).sum(axis=1)


def ragged_task(n, rng, F=2):
    X = [rng.normal(size=(rng.randint(2, 15), F)) for _ in range(n)]
    y = np.array([int(s[0, 0] > 0) for s in X])
    return X, y


# ------------------------------------------------------------ what it learns
def test_remembers_first_timestep_across_100_noise_steps():
    rng = np.random.RandomState(0)
    X, y = first_step_task(700, 101, rng)
    X_test, y_test = first_step_task(300, 101, rng)
    clf = LSTMClassifier(random_state=0, max_iter=40).fit(X, y)
    assert clf.score(X_test, y_test) >= 0.95


def test_adding_problem_far_below_variance():
    rng = np.random.RandomState(0)
    X, y = adding_task(1500, 40, rng)
    X_test, y_test = adding_task(500, 40, rng)
    reg = LSTMRegressor(
        hidden_layer_sizes=32, learning_rate_init=0.01, max_iter=40, random_state=0
    ).fit(X, y)
    mse = np.mean((reg.predict(X_test) - y_test) ** 2)
    assert mse < 0.05 * y_test.var()


# ------------------------------------------------------------- data contract
def test_string_labels_and_probabilities():
    rng = np.random.RandomState(0)
    X, y = first_step_task(60, 5, rng)
    clf = LSTMClassifier(**FAST).fit(X, y)
    assert_array_equal(clf.classes_, ["no", "yes"])
    assert set(clf.predict(X)) <= {"no", "yes"}
    proba = clf.predict_proba(X)
    assert proba.shape == (60, 2)
    assert_allclose(proba.sum(axis=1), 1)
    assert_allclose(np.log(proba), clf.predict_log_proba(X), rtol=1e-6)
    assert_array_equal(clf.classes_[proba.argmax(1)], clf.predict(X))


def test_two_d_input_is_univariate_and_timesteps_may_change_for_3d():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 7))
    y = (X[:, 0] > 0).astype(int)
    clf = LSTMClassifier(**FAST).fit(X, y)
    assert clf.n_features_in_ == 7
    with pytest.raises(ValueError, match="features"):
        clf.predict(X[:, :5])
    clf3 = LSTMClassifier(**FAST).fit(X[:, :, None], y)
    assert clf3.n_features_in_ == 1
    assert clf3.predict(rng.normal(size=(3, 12, 1))).shape == (3,)  # longer T


def test_ragged_sequence_predicts_the_same_alone_and_batched():
    rng = np.random.RandomState(0)
    X, y = ragged_task(80, rng)
    for bidirectional in (False, True):
        clf = LSTMClassifier(bidirectional=bidirectional, **FAST).fit(X, y)
        batched = clf.predict_proba(X)
        for i in range(0, 80, 9):
            alone = clf.predict_proba([X[i]])
            assert_allclose(alone[0], batched[i], rtol=1e-5, atol=1e-6)
    univariate = [s[:, 0] for s in X]  # (T_i,) sequences
    assert LSTMRegressor(**FAST).fit(univariate, y.astype(float)).predict(
        univariate
    ).shape == (80,)


def test_per_timestep_labels_dense_and_ragged():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(50, 9, 1))
    Y = np.where(np.cumsum(X[..., 0], axis=1) > 0, "pos", "neg")
    clf = LSTMClassifier(**FAST).fit(X, Y)
    assert clf.predict(X).shape == (50, 9)
    assert clf.predict_proba(X).shape == (50, 9, 2)
    assert 0 <= clf.score(X, Y) <= 1
    Xr, _ = ragged_task(40, rng, F=1)
    Yr = [np.where(np.cumsum(s[:, 0]) > 0, "pos", "neg") for s in Xr]
    clf = LSTMClassifier(**FAST).fit(Xr, Yr)
    pred = clf.predict(Xr)
    assert isinstance(pred, list)
    assert [len(p) for p in pred] == [len(s) for s in Xr]


def test_per_timestep_regression_and_multi_output():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 6, 2))
    Y3 = np.cumsum(X, axis=1)  # (n, T, 2): per-timestep, two targets
    reg = LSTMRegressor(**FAST).fit(X, Y3)
    assert reg.predict(X).shape == (40, 6, 2)
    Y2 = Y3[..., 0]  # 2-D per-timestep needs return_sequences=True
    reg = LSTMRegressor(return_sequences=True, **FAST).fit(X, Y2)
    assert reg.predict(X).shape == (40, 6)
    multi = LSTMRegressor(**FAST).fit(X, Y3[:, -1])  # two targets per sequence
    assert multi.n_outputs_ == 2
    assert multi.predict(X).shape == (40, 2)


def test_per_timestep_learning_on_running_sign():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 12, 1))
    Y = (np.cumsum(X[..., 0], axis=1) > 0).astype(int)
    clf = LSTMClassifier(
        hidden_layer_sizes=16, learning_rate_init=0.01, max_iter=30, random_state=0
    ).fit(X, Y)
    assert clf.score(X, Y) > 0.9


# ------------------------------------------------------ sklearn behaviour
def test_same_random_state_gives_identical_fits():
    rng = np.random.RandomState(0)
    X, y = ragged_task(60, rng)
    a = LSTMClassifier(
        dropout=0.2, hidden_layer_sizes=(8, 8), max_iter=3, random_state=42
    ).fit(X, y)
    b = LSTMClassifier(
        dropout=0.2, hidden_layer_sizes=(8, 8), max_iter=3, random_state=42
    ).fit(X, y)
    for la, lb in zip(a.coefs_, b.coefs_, strict=True):
        for key in la:
            assert_array_equal(la[key], lb[key])
    assert a.loss_curve_ == b.loss_curve_


def test_warm_start_keeps_weights_and_optimizer_state():
    rng = np.random.RandomState(0)
    X, y = ragged_task(60, rng)
    params = dict(hidden_layer_sizes=8, tol=0, early_stopping=False, random_state=3)
    full = LSTMClassifier(max_iter=6, **params).fit(X, y)
    warm = LSTMClassifier(max_iter=3, warm_start=True, **params).fit(X, y)
    warm.fit(X, y)
    assert warm.n_iter_ == 6
    assert warm._optimizers[0].t == full._optimizers[0].t
    assert_allclose(warm.loss_curve_, full.loss_curve_, rtol=1e-6)
    assert_allclose(warm.coefs_[0]["weight_hh"], full.coefs_[0]["weight_hh"], rtol=1e-5)


def test_partial_fit_runs_one_epoch_and_needs_classes():
    rng = np.random.RandomState(0)
    X, y = ragged_task(40, rng)
    clf = LSTMClassifier(hidden_layer_sizes=8, random_state=0)
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[:20], y[:20], classes=[0, 1])
    clf.partial_fit(X[20:], y[20:])
    assert clf.n_iter_ == 2
    assert clf.t_ == 40
    reg = LSTMRegressor(hidden_layer_sizes=8, random_state=0)
    reg.partial_fit(X, y.astype(float))
    assert reg.n_iter_ == 1


def test_joblib_round_trip_predicts_identically(tmp_path):
    rng = np.random.RandomState(0)
    X, y = ragged_task(50, rng)
    clf = LSTMClassifier(bidirectional=True, **FAST).fit(X, y)
    joblib.dump(clf, tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib")
    assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    state = pickle.dumps(clf)
    assert b"numpy" in state and b"cupy" not in state


def test_grid_search_over_a_pipeline_in_parallel():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 6))
    y = (X[:, 0] > 0).astype(int)
    pipe = make_pipeline(FunctionTransformer(np.tanh), LSTMClassifier(**FAST))
    grid = GridSearchCV(
        pipe, {"lstmclassifier__hidden_layer_sizes": [4, 8]}, cv=2, n_jobs=2
    ).fit(X, y)
    assert grid.best_params_["lstmclassifier__hidden_layer_sizes"] in (4, 8)
    assert grid.predict(X).shape == (60,)


def test_coefs_are_numpy_in_torch_layout():
    rng = np.random.RandomState(0)
    X, y = ragged_task(30, rng, F=3)
    clf = LSTMClassifier(
        hidden_layer_sizes=(6, 5), bidirectional=True, max_iter=1, random_state=0
    ).fit(X, y)
    layer0, layer1, head = clf.coefs_
    assert layer0["weight_ih"].shape == (24, 3)
    assert layer0["weight_hh_reverse"].shape == (24, 6)
    assert layer1["weight_ih"].shape == (20, 12)
    assert head["weight"].shape == (2, 10)
    assert all(type(a) is np.ndarray for d in clf.coefs_ for a in d.values())


# ------------------------------------------------------------ training loop
def test_early_stopping_records_validation_and_restores_best():
    rng = np.random.RandomState(0)
    X, y = first_step_task(200, 6, rng)
    clf = LSTMClassifier(
        hidden_layer_sizes=8,
        early_stopping=True,
        max_iter=15,
        n_iter_no_change=3,
        random_state=0,
    ).fit(X, y)
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.best_loss_ is None
    assert [h["epoch"] for h in clf.history_] == list(range(1, clf.n_iter_ + 1))
    plain = LSTMClassifier(**FAST).fit(X, y)
    assert plain.validation_scores_ is None and plain.best_loss_ is not None


def test_validation_split_last_holds_out_the_latest_samples():
    # the last 10 % of the samples follow the opposite rule: only a model
    # validated on exactly those samples scores below zero on them
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 5))
    y = X.sum(axis=1)
    y[-30:] *= -1
    params = dict(FAST, early_stopping=True, max_iter=3)
    last = LSTMRegressor(validation_split="last", **params).fit(X, y)
    assert max(last.validation_scores_) < 0
    shuffled = LSTMRegressor(validation_split="random", **params).fit(X, y)
    assert max(shuffled.validation_scores_) > 0


def test_convergence_warning_at_max_iter():
    X, y = first_step_task(30, 4, np.random.RandomState(0))
    with pytest.warns(ConvergenceWarning, match="maximum iterations"):
        with warnings.catch_warnings():
            warnings.simplefilter("default", ConvergenceWarning)
            LSTMClassifier(hidden_layer_sizes=4, max_iter=2, tol=0).fit(X, y)


def test_divergence_in_first_epoch_is_a_clear_error():
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(40, 5, 1)), rng.normal(size=40) * 1e30
    reg = LSTMRegressor(max_iter=5, random_state=0, normalise_y=False)
    with pytest.raises(ValueError, match="NaN or infinite"):
        reg.fit(X, y)
    with pytest.raises(NotFittedError):
        reg.predict(X)


def test_sgd_whose_first_update_explodes_has_no_usable_model():
    # one batch per epoch: epoch 1's loss is that of the initial weights and
    # its update explodes them; that "best" snapshot must not be returned
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(40, 5, 1)), rng.normal(size=40)
    reg = LSTMRegressor(
        solver="sgd",
        learning_rate_init=1e4,
        clip_norm=None,
        batch_size=40,
        max_iter=20,
        random_state=0,
    )
    with pytest.raises(ValueError, match="no usable model"):
        reg.fit(X, y)
    assert not hasattr(reg, "coefs_")


def _tiny_fits():
    """(name, estimator factory, fit arguments) of every estimator trained
    by the shared loop, on tiny data."""
    from sklstm import Embedder, LSTMTranscriber

    rng = np.random.RandomState(0)
    X, labels = first_step_task(48, 5, rng)
    values = X[:, 0, 0] + 0.1 * rng.normal(size=48)
    words = [[np.eye(3)[i % 3]] * 3 + [np.zeros(3)] for i in range(48)]
    texts = [f"{'good' if i % 2 else 'bad'} film number {i}" for i in range(48)]
    return [
        ("classifier", lambda **kw: LSTMClassifier(**kw), (X, labels)),
        ("regressor", lambda **kw: LSTMRegressor(**kw), (X, values)),
        ("detector", lambda **kw: LSTMAnomalyDetector(horizon=2, **kw), (X,)),
        (
            "transcriber",
            lambda **kw: LSTMTranscriber(**kw),
            (np.array(words), ["abc"[i % 3] for i in range(48)]),
        ),
        (
            "embedder pipeline",
            lambda **kw: make_pipeline(
                Embedder(vectors="random", n_dims=8, random_state=0),
                LSTMClassifier(**kw),
            ),
            (texts, labels),
        ),
    ]


TINY_FITS = _tiny_fits()


@pytest.mark.parametrize(
    "name, make, data", TINY_FITS, ids=[name for name, *_ in TINY_FITS]
)
@pytest.mark.parametrize(
    "params",
    [
        dict(solver="adam", learning_rate_init=1e6),
        dict(solver="sgd", learning_rate_init=1e6, clip_norm=None),
        dict(solver="rmsprop", learning_rate_init=1e38, clip_norm=None),
    ],
    ids=["adam-1e6", "sgd-1e6", "rmsprop-1e38"],
)
def test_an_exploding_fit_never_returns_a_model(name, make, data, params):
    est = make(hidden_layer_sizes=3, max_iter=3, random_state=0, **params)
    with pytest.raises(ValueError, match="Training diverged.*learning_rate_init"):
        est.fit(*data)


def _sabotaged(monkeypatch, Estimator, at_step, action):
    """Make the ``at_step``-th training step (1-based) of ``Estimator``
    ``action(net)`` after its update: 'nan' returns a NaN loss, 'explode'
    multiplies the weights by 1e20, 'interrupt' raises KeyboardInterrupt."""
    original, steps = Estimator._train_step, []

    def step(self, net, *args):
        steps.append(1)
        if len(steps) == at_step and action == "interrupt":
            raise KeyboardInterrupt
        loss = original(self, net, *args)
        if len(steps) == at_step and action == "explode":
            net.params *= 1e20
        if len(steps) == at_step and action == "nan":
            return float("nan")
        return loss

    monkeypatch.setattr(Estimator, "_train_step", step)
    return steps


def _adding(n=64):
    X, y = adding_task(n, 6, np.random.RandomState(0))
    return X, y


GUARDED = dict(hidden_layer_sizes=6, batch_size=16, random_state=0)  # 4 steps/epoch


def test_a_nan_loss_keeps_the_best_epoch(monkeypatch):
    X, y = _adding()
    clean = LSTMRegressor(**GUARDED, max_iter=3).fit(X, y)
    assert np.argmin(clean.loss_curve_) == 2
    _sabotaged(monkeypatch, LSTMRegressor, 4 * 3 + 2, "nan")  # in epoch 4
    with pytest.warns(UserWarning, match=r"epoch 4.*weights of epoch 3 \(the best"):
        reg = LSTMRegressor(**GUARDED, max_iter=10).fit(X, y)
    for got, want in zip(reg.coefs_, clean.coefs_, strict=True):
        for key in want:
            assert_array_equal(got[key], want[key])


def test_weights_broken_by_an_epochs_last_update_are_not_kept(monkeypatch):
    # the best epoch by training loss is epoch 3, but its last update blew
    # the weights up: the loss of epoch 3 was measured before it
    X, y = _adding()
    clean = LSTMRegressor(**GUARDED, max_iter=2).fit(X, y)
    _sabotaged(monkeypatch, LSTMRegressor, 4 * 3, "explode")
    with pytest.warns(UserWarning, match="the weights after epoch 2 were kept"):
        reg = LSTMRegressor(**GUARDED, max_iter=10).fit(X, y)
    for got, want in zip(reg.coefs_, clean.coefs_, strict=True):
        for key in want:
            assert_array_equal(got[key], want[key])
    assert np.all(np.isfinite(reg.predict(X)))


def test_weights_broken_by_the_last_update_are_replaced(monkeypatch):
    X, y = _adding()
    _sabotaged(monkeypatch, LSTMRegressor, 4 * 3, "explode")
    with pytest.warns(UserWarning, match="epoch 3 are not finite or have exploded"):
        reg = LSTMRegressor(**GUARDED, max_iter=3).fit(X, y)
    assert all(np.isfinite(v).all() for c in reg.coefs_ for v in c.values())
    assert reg.score(X, y) > -1


@pytest.mark.parametrize("early_stopping", [False, True])
def test_ctrl_c_keeps_the_best_epoch_and_says_so(monkeypatch, early_stopping):
    X, y = _adding(120)
    # a large step: the best epoch is not the last one
    kw = dict(
        GUARDED,
        learning_rate_init=0.3,
        early_stopping=early_stopping,
        n_iter_no_change=50,
    )
    clean = LSTMRegressor(**kw, max_iter=6).fit(X, y)
    scores = (
        clean.validation_scores_ if early_stopping else -np.array(clean.loss_curve_)
    )
    best = int(np.argmax(scores)) + 1
    assert best < 6
    steps_per_epoch = 7 if early_stopping else 8  # 108 or 120 sequences
    _sabotaged(monkeypatch, LSTMRegressor, steps_per_epoch * 6 + 2, "interrupt")
    monitor = "validation" if early_stopping else "training"
    with pytest.warns(
        UserWarning, match=f"epoch 7; keeping the weights of epoch {best} .*{monitor}"
    ):
        reg = LSTMRegressor(**kw, max_iter=50).fit(X, y)
    assert reg.n_iter_ == 6
    best_fit = LSTMRegressor(**kw, max_iter=best).fit(X, y)
    for got, want in zip(reg.coefs_, best_fit.coefs_, strict=True):
        for key in want:
            assert_array_equal(got[key], want[key])


def test_ctrl_c_in_the_first_epoch_keeps_a_fitted_model(monkeypatch):
    X, y = _adding()
    _sabotaged(monkeypatch, LSTMRegressor, 3, "interrupt")
    with pytest.warns(UserWarning, match="weights reached during epoch 1"):
        reg = LSTMRegressor(**GUARDED, max_iter=10).fit(X, y)
    assert reg.n_iter_ == 0 and np.all(np.isfinite(reg.predict(X)))


def test_sample_and_class_weights_shift_predictions():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 4, 1))
    y = rng.randint(0, 2, 80)  # pure noise: weights decide
    kw = dict(
        hidden_layer_sizes=4, learning_rate_init=0.02, max_iter=20, random_state=0
    )
    heavy = LSTMClassifier(class_weight={0: 1, 1: 100}, **kw).fit(X, y)
    assert np.mean(heavy.predict(X) == 1) > 0.9
    sw = np.where(y == 0, 100.0, 1.0)
    weighted = LSTMClassifier(**kw).fit(X, y, sample_weight=sw)
    assert np.mean(weighted.predict(X) == 0) > 0.9


def test_verbose_output(capsys):
    X, y = first_step_task(30, 4, np.random.RandomState(0))
    LSTMClassifier(hidden_layer_sizes=4, max_iter=2, verbose=1).fit(X, y)
    out = capsys.readouterr().out
    assert out.count("Epoch") == 2 and "loss" in out
    assert "Kept the weights of epoch 2." in out
    LSTMClassifier(hidden_layer_sizes=4, max_iter=2, verbose=2).fit(X, y)
    captured = capsys.readouterr()
    assert "Epoch 2" in captured.out + captured.err


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize(
    "X, match",
    [
        (np.full((4, 3, 1), np.nan), "NaN"),
        (np.full((4, 3), np.inf), "infinity"),
        (np.zeros(4), "Reshape your data"),
        (np.zeros((4, 3, 2, 1)), "4-D"),
        (np.zeros((4, 0, 1)), "at least one timestep"),
        (
            [np.zeros((3, 1)), np.zeros((0, 1)), np.zeros((2, 1)), np.zeros((1, 1))],
            "X\\[1\\]",
        ),
        (
            [np.zeros((3, 1)), np.zeros((2, 2)), np.zeros((2, 1)), np.zeros((1, 1))],
            "same number of features",
        ),
    ],
)
def test_bad_X_gets_a_clear_error(X, match):
    with pytest.raises(ValueError, match=match):
        LSTMClassifier(**FAST).fit(X, [0, 1, 0, 1])


@pytest.mark.parametrize(
    "X, error, match",
    [
        ([], ValueError, "no sequences \\(0 samples\\)"),
        ((x for x in np.zeros((4, 3))), TypeError, "got generator"),
        ({0: np.zeros(3)}, TypeError, "got dict"),
        ([np.zeros(3), 5.0, np.zeros(3), 1.0], ValueError, "X\\[1\\] is a float"),
        (np.full((4, 3), 1e39), ValueError, "beyond float32's range"),
    ],
)
def test_unusable_X_containers_get_a_clear_error(X, error, match):
    with pytest.raises(error, match=match):
        LSTMClassifier(**FAST).fit(
            X, [0, 1, 0, 1][: len(X) if hasattr(X, "__len__") else 4]
        )


def test_values_beyond_float32_are_refused_at_predict_too():
    X, y = first_step_task(20, 4, np.random.RandomState(0))
    clf = LSTMClassifier(**FAST).fit(X, y)
    with pytest.raises(ValueError, match="float32"):
        clf.predict_proba(X[:2].astype(np.float64) * 1e39)  # inf in float32


def test_plain_progress_line_without_tqdm(monkeypatch, capsys):
    import sys

    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # import fails
    X, y = first_step_task(40, 4, np.random.RandomState(0))
    LSTMClassifier(hidden_layer_sizes=4, max_iter=1, verbose=2).fit(X, y)
    err = capsys.readouterr().err
    assert "\rEpoch 1 [" in err and "2/2" in err


def test_raw_text_gets_a_clear_error():
    with pytest.raises(ValueError, match="raw text"):
        LSTMClassifier().fit(["a good film", "a bad film"], [1, 0])


def test_other_bad_input_errors():
    X = np.zeros((4, 3, 2))
    clf = LSTMClassifier(**FAST)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        clf.fit(X, [0, 1, 0])
    with pytest.raises(ValueError, match="at least 2 classes"):
        clf.fit(X, [1, 1, 1, 1])
    with pytest.raises(ValueError, match="Unknown label type"):
        clf.fit(X, [0.1, 0.2, 0.3, 0.4])
    clf.fit(X, [0, 1, 0, 1])
    with pytest.raises(ValueError, match="2 features per timestep"):
        clf.predict(np.zeros((2, 3, 5)))
    with pytest.raises(ValueError, match="one per timestep"):
        LSTMRegressor(**FAST).fit(
            [np.zeros(3), np.zeros(2)], [np.zeros(3), np.zeros(1)]
        )
    with pytest.raises(ValueError, match="sample_weight"):
        clf.fit(X, [0, 1, 0, 1], sample_weight=[1, 2])
    with pytest.raises(ValueError, match="return_sequences=False"):
        LSTMRegressor(return_sequences=True, **FAST).fit(X, [0.0, 1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="early_stopping needs a training"):
        LSTMRegressor(early_stopping=True, **FAST).fit(X[:1], [1.0])


@pytest.mark.parametrize("Estimator", [LSTMClassifier, LSTMRegressor])
def test_per_timestep_targets_must_match_dense_X_exactly(Estimator):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(6, 4, 2))
    y = rng.randint(0, 2, (6, 7))  # three timesteps too many
    with pytest.raises(ValueError, match="expected \\(6, 4, ...\\)"):
        Estimator(return_sequences=True, **FAST).fit(X, y)
    # ragged X: a padded y may be wider than this subset's longest sequence
    ragged = [X[i, : 2 + i % 2] for i in range(6)]
    est = Estimator(return_sequences=True, **FAST).fit(ragged, y)
    assert [len(p) for p in est.predict(ragged)] == [2, 3, 2, 3, 2, 3]


@pytest.mark.parametrize("part", ["training", "validation"])
def test_zero_weight_on_a_whole_split_is_a_clear_error(part):
    X, y = first_step_task(20, 4, np.random.RandomState(0))
    sw = np.r_[np.zeros(10), np.ones(10)]  # the first half is training
    if part == "validation":
        sw = sw[::-1]
    est = LSTMClassifier(
        early_stopping=True, validation_split="last", validation_fraction=0.5, **FAST
    )
    with pytest.raises(ValueError, match=f"zero on every sample of the {part} set"):
        est.fit(X, y, sample_weight=sw)


def test_stratified_validation_split_falls_back_when_classes_outnumber_it():
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(20, 3, 1)), np.arange(20) % 8  # 8 classes, 2 held out
    clf = LSTMClassifier(early_stopping=True, **FAST).fit(X, y)
    assert len(clf.validation_scores_) == clf.n_iter_


@pytest.mark.parametrize(
    "change",
    [
        {"hidden_layer_sizes": 4},
        {"hidden_layer_sizes": (8, 8)},
        {"bidirectional": True},
        {"cell": "gru"},
    ],
)
def test_warm_start_with_another_architecture_is_a_clear_error(change):
    X, y = first_step_task(20, 4, np.random.RandomState(0))
    clf = LSTMClassifier(warm_start=True, **FAST).fit(X, y)
    clf.set_params(**change)
    with pytest.raises(ValueError, match="warm_start=False"):
        clf.fit(X, y)
    with pytest.raises(ValueError, match="warm_start=False"):
        clf.partial_fit(X, y)


def test_partial_fit_refuses_other_classes_later():
    X, y = first_step_task(20, 4, np.random.RandomState(0))
    clf = LSTMClassifier(**FAST).partial_fit(X, y, classes=["no", "yes", "maybe"])
    clf.partial_fit(X, y, classes=["yes", "maybe", "no"])  # same set: fine
    with pytest.raises(ValueError, match="not the same as on the first call"):
        clf.partial_fit(X, y, classes=["no", "yes"])
    with pytest.raises(ValueError, match="labels not in classes"):
        LSTMClassifier(**FAST).partial_fit(X, y, classes=["no", "maybe"])


@pytest.mark.parametrize(
    "params",
    [
        {"hidden_layer_sizes": 0},
        {"hidden_layer_sizes": (8, -1)},
        {"dropout": 1.0},
        {"solver": "lbfgs"},
        {"learning_rate_init": 0},
        {"batch_size": 0},
        {"max_iter": 0},
        {"early_stopping": "yes"},
    ],
)
def test_bad_hyperparameters_are_rejected(params):
    with pytest.raises(ValueError, match=list(params)[0]):
        LSTMClassifier(**params).fit(np.zeros((4, 3)), [0, 1, 0, 1])


def test_ctrl_c_keeps_the_weights_trained_so_far(monkeypatch):
    X, y = first_step_task(60, 5, np.random.RandomState(0))
    clf = LSTMClassifier(hidden_layer_sizes=4, max_iter=50, random_state=0)
    original, calls = LSTMClassifier._train_step, []

    def interrupted(self, *args):
        calls.append(1)
        if len(calls) == 7:  # mid-way through epoch 4 (2 batches per epoch)
            raise KeyboardInterrupt
        return original(self, *args)

    monkeypatch.setattr(LSTMClassifier, "_train_step", interrupted)
    with pytest.warns(UserWarning, match="interrupted"):
        clf.fit(X, y)
    assert clf.n_iter_ == 3
    assert clf.predict(X).shape == (60,)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_predict_proba_steps_matches_each_prefix(bidirectional):
    rng = np.random.RandomState(0)
    X, y = first_step_task(60, 6, rng)
    clf = LSTMClassifier(**FAST, bidirectional=bidirectional).fit(X, y)
    ragged = [X[0, :4], X[1], X[2, :1]]
    steps = clf.predict_proba_steps(ragged)
    assert [len(s) for s in steps] == [4, 6, 1]
    for seq, proba in zip(ragged, steps, strict=True):
        for t in range(len(seq)):
            expected = clf.predict_proba([seq[: t + 1]])[0]
            assert_allclose(proba[t], expected, rtol=1e-5, atol=1e-6)
    # dense input gives the same as its rows
    dense = clf.predict_proba_steps(X[:2])
    assert_allclose(dense[1], steps[1], rtol=1e-5, atol=1e-6)
    assert_allclose(dense[0][-1], clf.predict_proba(X[:1])[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("Estimator", [LSTMClassifier, LSTMRegressor])
def test_mean_pooling_is_exact_on_ragged_input_and_auto_follows_the_input(Estimator):
    from sklstm import Embedder

    rng = np.random.RandomState(0)
    X = [rng.standard_normal((L, 2)) for L in (3, 7, 5, 1, 6, 4)]
    y = np.array([0, 1, 0, 1, 1, 0])
    model = Estimator(hidden_layer_sizes=4, max_iter=3, pooling="mean", random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    together = model.predict(X)
    assert_allclose(together, [model.predict([x])[0] for x in X], rtol=1e-5)
    seqs = model._check_X(X, reset=False)
    assert model._make_network(seqs, np).pooling == "mean"
    assert model.set_params(pooling="auto")._make_network(seqs, np).pooling == "last"
    texts = ["good fun film", "dull and long", "fun", "long dull"]
    tokens = Embedder(n_dims=4, min_count=1, random_state=0).fit_transform(texts)
    model.set_params(max_iter=1).fit(tokens, [1, 0, 1, 0])
    assert (
        model._make_network(model._check_X(tokens, reset=False), np).pooling == "mean"
    )


@pytest.mark.parametrize(
    "transform",
    [lambda y: 1e6 * y, lambda y: 1e-6 * y, lambda y: 1e6 + 1e3 * y],
    ids=["times 1e6", "times 1e-6", "offset 1e6"],
)
def test_regressor_learns_targets_in_any_unit(transform):
    # standardised internally, a target in other units is the same problem;
    # without that the default learning rate leaves R2 near 0 (or far below)
    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, size=(300, 10))
    y = X[:, 0] + X[:, -1]
    params = dict(hidden_layer_sizes=16, max_iter=40, random_state=0)
    unit = LSTMRegressor(**params).fit(X[:250], y[:250])
    reg = LSTMRegressor(**params).fit(X[:250], transform(y[:250]))
    assert reg.score(X[250:], transform(y[250:])) > 0.8
    assert_allclose(
        reg.score(X[250:], transform(y[250:])), unit.score(X[250:], y[250:]), atol=0.02
    )
    assert_allclose(reg.y_mean_, [transform(y[:250]).mean()])
    raw = LSTMRegressor(normalise_y=False, **params).fit(X[:250], transform(y[:250]))
    assert raw.y_mean_ is None and raw.y_scale_ is None
    assert raw.score(X[250:], transform(y[250:])) < 0.5


def test_target_statistics_are_per_output_over_valid_steps():
    rng = np.random.RandomState(0)
    X = [rng.normal(size=(L, 2)) for L in (3, 7, 5)]
    y = [np.column_stack([100 + s[:, 0], np.full(len(s), 4.0)]) for s in X]
    reg = LSTMRegressor(hidden_layer_sizes=4, max_iter=2, random_state=0).fit(X, y)
    flat = np.concatenate(y)
    assert_allclose(reg.y_mean_, flat.mean(axis=0))
    assert_allclose(reg.y_scale_, [flat[:, 0].std(), 1.0])  # constant: centred only
    pred = reg.predict(X)
    assert [p.shape for p in pred] == [(3, 2), (7, 2), (5, 2)]
    # the constant target is centred only: an untrained head predicts near it
    assert_allclose(np.concatenate(pred)[:, 1], 4.0, atol=0.5)
    # targets near float64's limit neither overflow nor become NaN
    big = LSTMRegressor(hidden_layer_sizes=4, max_iter=2, random_state=0)
    big.fit(X, [1e300 * t for t in y])
    assert np.all(np.isfinite(big.y_scale_)) and np.all(big.y_scale_ > 0)


def test_warm_start_keeps_the_first_target_statistics():
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(40, 5, 1)), rng.normal(size=40)
    reg = LSTMRegressor(max_iter=2, warm_start=True, random_state=0).fit(X, y)
    mean = reg.y_mean_.copy()
    reg.fit(X, y + 10)
    assert_array_equal(reg.y_mean_, mean)
    reg.partial_fit(X, y + 10)
    assert_array_equal(reg.y_mean_, mean)
    reg.set_params(normalise_y=False)
    with pytest.raises(ValueError, match="normalise_y=False but the previous fit"):
        reg.fit(X, y)


@pytest.mark.parametrize(
    "shift, match",
    [(lambda X: X + 1e4, "large values saturate"), (lambda X: X * 1e-4, "tiny")],
)
def test_unscaled_X_gets_a_warning_that_names_the_fix(shift, match):
    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, size=(30, 6, 2))
    y = X[:, 0, 0]
    with pytest.warns(UserWarning, match=match) as record:
        LSTMRegressor(hidden_layer_sizes=4, max_iter=1).fit(shift(X), y)
    assert "Normaliser(), LSTMRegressor()" in str(record[0].message)
    # windows of a trending series need their own scales, which only the
    # forecaster gives (a Normaliser fitted on all windows does not)
    assert "WindowScaledRegressor()" in str(record[0].message)
    assert record[0].filename == __file__  # points at the user's call
    with pytest.warns(UserWarning, match=match) as record:
        LSTMClassifier(hidden_layer_sizes=4, max_iter=1).fit(shift(X), y > 0)
    assert "WindowScaledRegressor" not in str(record[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        LSTMRegressor(hidden_layer_sizes=4, max_iter=1).fit(X * 10, y)
        # a constant all-zero feature beside a scaled one is fine too
        LSTMClassifier(hidden_layer_sizes=4, max_iter=1).fit(
            np.concatenate([X, np.zeros_like(X)], axis=2), y > 0
        )


@pytest.mark.parametrize(
    "Estimator", [LSTMClassifier, LSTMRegressor, LSTMAnomalyDetector]
)
def test_predictions_of_a_subset_match_to_float32_precision(Estimator):
    # sklearn's check_methods_subset_invariance and
    # check_methods_sample_order_invariance ask 1e-7 of float64 estimators;
    # batches of other sizes or samples use other BLAS kernels in float32
    rng = np.random.RandomState(0)
    X = 3 * rng.uniform(size=(40, 6, 3))
    y = (X[:, 0, 0] > 1.5).astype(int) * 1000.0
    est = Estimator(hidden_layer_sizes=16, max_iter=20, random_state=0)
    if Estimator is LSTMAnomalyDetector:  # forecasts one step of 6
        method = est.set_params(horizon=1).fit(X).score_samples
    else:
        est.fit(X, y)
        method = getattr(est, "predict_proba", est.predict)
    full = method(X)
    alone = np.concatenate([method(X[i : i + 1]) for i in range(len(X))])
    halves = np.concatenate([method(X[:17]), method(X[17:])])
    order = rng.permutation(len(X))
    shuffled = np.empty_like(full)
    shuffled[order] = method(X[order])
    scale = np.abs(full).max()
    for part in (alone, halves, shuffled):
        assert_allclose(part, full, rtol=1e-5, atol=1e-6 * scale)


@pytest.mark.parametrize(
    "bad_fit",
    [
        lambda est, X, y: est.fit(X, np.full(len(X), "c")),  # one class
        lambda est, X, y: est.fit(X, y[:-1]),  # y too short
        lambda est, X, y: est.fit(np.where(X > 1, np.nan, X), y),
        lambda est, X, y: est.set_params(warm_start=True).fit(X[:, :, :1], y),
        lambda est, X, y: est.partial_fit(X, np.full(len(X), "new")),
    ],
    ids=["single class", "short y", "NaN", "warm, other features", "new label"],
)
def test_failed_refit_leaves_the_fitted_model_as_it_was(bad_fit):
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(40, 5, 2)), np.array(list("ab") * 20)
    clf = LSTMClassifier(hidden_layer_sizes=4, max_iter=3, random_state=0).fit(X, y)
    proba, curve = clf.predict_proba(X), list(clf.loss_curve_)
    state = {k: v for k, v in vars(clf).items() if k != "warm_start"}
    with pytest.raises(ValueError):
        bad_fit(clf, X, y)
    assert_array_equal(clf.classes_, ["a", "b"])
    assert clf.loss_curve_ == curve and clf.n_iter_ == 3
    assert set(vars(clf)) == set(state) | {"warm_start"}
    assert_array_equal(clf.predict_proba(X), proba)


def test_failed_warm_fit_keeps_the_optimizer_state():
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(40, 5, 1)), rng.normal(size=40)
    reg = LSTMRegressor(hidden_layer_sizes=4, max_iter=2, warm_start=True)
    reg.fit(X, y)
    before = reg._optimizers[0]
    moments = before.t, before.m.copy(), before.v.copy()
    reg.set_params(learning_rate_init=1e6, solver="sgd", clip_norm=None)
    with pytest.raises(ValueError, match="NaN or infinite"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg.fit(X, y * 1e30)
    after = reg._optimizers[0]
    assert after.t == moments[0]
    assert_array_equal(after.m, moments[1])
    assert_array_equal(after.v, moments[2])


def test_regressor_saved_before_normalise_y_loads_and_predicts():
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(30, 5, 1)), rng.normal(size=30)
    reg = LSTMRegressor(max_iter=2, random_state=0, normalise_y=False).fit(X, y)
    expected = reg.predict(X)
    for name in ("normalise_y", "y_mean_", "y_scale_"):  # as an older version
        delattr(reg, name)
    loaded = pickle.loads(pickle.dumps(reg))
    assert_array_equal(loaded.predict(X), expected)
    assert loaded.get_params()["normalise_y"] is False


def test_threads_predicting_at_once_agree_with_serial():
    from concurrent.futures import ThreadPoolExecutor

    X, y = first_step_task(64, 6, np.random.RandomState(0))
    clf = LSTMClassifier(**FAST).fit(X, y)
    parts = np.array_split(np.arange(64), 8)
    serial = [clf.predict_proba(X[p]) for p in parts]
    with ThreadPoolExecutor(4) as pool:
        threaded = list(pool.map(lambda p: clf.predict_proba(X[p]), parts * 4))
    for k, proba in enumerate(threaded):
        assert_array_equal(proba, serial[k % len(parts)])


def test_warnings_of_a_fit_point_at_the_users_line():
    X, y = first_step_task(20, 4, np.random.RandomState(0))
    with pytest.warns(ConvergenceWarning) as record:
        LSTMClassifier(hidden_layer_sizes=2, max_iter=1, tol=0).fit(X, y)
    assert {w.filename for w in record} == {__file__}
    with pytest.warns(UserWarning, match="batch_size=50 larger") as record:
        LSTMClassifier(hidden_layer_sizes=2, max_iter=1, batch_size=50).fit(X, y)
    assert {w.filename for w in record} == {__file__}


def test_token_vectors_beyond_float32_are_refused():
    from sklstm import TokenSequences

    vectors = np.ones((5, 3))
    vectors[3, 0] = 1e39
    X = TokenSequences([[2, 3], [3, 4]], vectors)
    with pytest.raises(ValueError, match="X.vectors hold values beyond float32"):
        LSTMClassifier(max_iter=1).fit(X, [0, 1])


def _fitted_regressor():
    rng = np.random.RandomState(0)
    X = rng.standard_normal((30, 6, 2)).astype(np.float32)
    y = X[:, :, 0].sum(axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg = LSTMRegressor(hidden_layer_sizes=(5,), max_iter=2, random_state=0)
        return reg.fit(X, y), X, y


def test_prediction_network_is_kept_between_calls(monkeypatch):
    reg, X, y = _fitted_regressor()
    built = []
    build = type(reg)._network_for_predict

    def spy(self, seqs, xp):
        built.append(1)
        return build(self, seqs, xp)

    monkeypatch.setattr(type(reg), "_network_for_predict", spy)
    first = reg.predict(X)
    np.testing.assert_array_equal(reg.predict(X), first)
    reg.predict(X[:1])
    assert len(built) == 1
    # a refit replaces coefs_: the next prediction builds from the new ones
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.partial_fit(X, y)
    reg.predict(X)
    assert len(built) == 2


def test_prediction_network_follows_a_replaced_weight():
    reg, X, _ = _fitted_regressor()
    before = reg.predict(X)
    reg.coefs_[-1]["bias"] = reg.coefs_[-1]["bias"] + 1.0
    after = reg.predict(X)
    assert not np.allclose(after, before)
    # as a copy that never predicted before (built afresh) predicts
    np.testing.assert_array_equal(after, pickle.loads(pickle.dumps(reg)).predict(X))


def test_weights_edited_in_place_raise_instead_of_predicting_stale():
    reg, X, _ = _fitted_regressor()
    reg.predict(X)
    with pytest.raises(ValueError, match="read-only"):
        reg.coefs_[-1]["bias"][0] = 5.0


def test_prediction_network_stays_out_of_the_estimator():
    reg, X, _ = _fitted_regressor()
    state = dict(vars(reg))
    reg.predict(X)
    assert vars(reg).keys() == state.keys()
    restored = pickle.loads(pickle.dumps(reg))
    np.testing.assert_array_equal(restored.predict(X), reg.predict(X))
