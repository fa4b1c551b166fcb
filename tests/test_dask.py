"""Scale-out: searches run on a Dask cluster through joblib's "dask" backend.

A two-worker :class:`distributed.LocalCluster` of separate processes stands
in for a real cluster, so that estimators and their fitted state cross
process boundaries by pickling, as they do between machines.  Every search
and fit must give the same result as the same work run here with
``n_jobs=1``.  See docs/guide/scaling.rst.
"""

import logging
import os

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

import joblib  # noqa: E402
from numpy.testing import assert_array_equal  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402

from sklstm import LSTMClassifier, Normaliser  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# Every worker process runs one task at a time with one BLAS/OpenMP thread:
# two such workers on two cores do not oversubscribe them.  The nanny sets
# these before it starts a worker process (NumPy reads them on import); they
# are distributed's defaults, set here so that a user's config cannot undo them.
ONE_THREAD = {
    f"distributed.nanny.pre-spawn-environ.{name}": 1
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
}

GRID = {
    "lstmclassifier__hidden_layer_sizes": [3, 8],
    "lstmclassifier__learning_rate_init": [0.003, 0.05],
}


@pytest.fixture(scope="module")
def client():
    """A client of a two-process local cluster, closed even if a test fails.

    The nanny writes its pre-spawn environment (thread counts,
    PYTHONHASHSEED) into this process's ``os.environ``; it is restored.
    """
    import dask

    environ = dict(os.environ)
    cluster = None
    try:
        with dask.config.set(ONE_THREAD):
            cluster = distributed.LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,  # pickles between processes, like a real cluster
                host="127.0.0.1",
                dashboard_address=None,
                worker_dashboard_address=None,
                silence_logs=logging.ERROR,
            )
        with distributed.Client(cluster) as c:
            c.wait_for_workers(2, timeout=60)
            yield c
    finally:
        if cluster is not None:
            cluster.close(timeout=30)
        os.environ.clear()
        os.environ.update(environ)


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(90, 8, 2)).astype(np.float32)
    X[:, :, 1] = 10.0 + 5.0 * X[:, :, 1]  # a feature that needs the Normaliser
    y = np.where(X[:, 0, 0] + 0.3 * X[:, 3, 0] > 0, "up", "down")
    return X, y


def _pipe(**params):
    return make_pipeline(
        Normaliser(),
        LSTMClassifier(
            hidden_layer_sizes=4,
            max_iter=8,
            batch_size=16,
            early_stopping=False,
            random_state=0,
            **params,
        ),
    )


def _assert_same_fit(a, b):
    assert a.n_iter_ == b.n_iter_
    assert a.loss_curve_ == b.loss_curve_
    for layer_a, layer_b in zip(a.coefs_, b.coefs_, strict=True):
        assert layer_a.keys() == layer_b.keys()
        for name in layer_a:
            assert_array_equal(layer_a[name], layer_b[name])


def _searches():
    return {
        "grid": lambda **kw: GridSearchCV(_pipe(), GRID, cv=3, **kw),
        "random": lambda **kw: RandomizedSearchCV(
            _pipe(),
            {
                **GRID,
                "lstmclassifier__solver": ["adam", "rmsprop"],
                "lstmclassifier__learning_rate_init": [0.003, 0.01, 0.05],
            },
            n_iter=4,
            cv=3,
            random_state=0,
            **kw,
        ),
    }


def test_workers_run_one_blas_thread(client):
    """No thread oversubscription: each worker's BLAS and OpenMP pools have
    one thread, and sklstm imports in the workers."""

    def pools():
        import sklstm  # noqa: F401

        return [(p["user_api"], p["num_threads"]) for p in threadpool_info()]

    per_worker = client.run(pools)
    assert len(per_worker) == 2
    for found in per_worker.values():
        assert found, "no BLAS library found in the worker"
        assert all(n == 1 for _, n in found), found


@pytest.mark.parametrize("kind", ["grid", "random"])
def test_search_on_dask_matches_local(client, data, kind):
    X, y = data
    make = _searches()[kind]
    # the workers have one BLAS thread; so has the reference, so that the
    # same float32 sums are taken in the same order
    with threadpool_limits(1):
        local = make(n_jobs=1).fit(X, y)

    with distributed.get_task_stream(client) as stream:
        with joblib.parallel_backend("dask"):
            remote = make().fit(X, y)
    assert len(stream.data) > 0, "no task ran on the cluster"

    # sklstm fits are repeatable bit for bit with an int random_state, and
    # each fit runs single-threaded on both sides: the results are identical
    assert remote.best_params_ == local.best_params_
    assert remote.best_index_ == local.best_index_
    assert remote.cv_results_["params"] == local.cv_results_["params"]
    for key in ("mean_test_score", "std_test_score", "rank_test_score"):
        assert_array_equal(remote.cv_results_[key], local.cv_results_[key])
    for split in range(3):
        key = f"split{split}_test_score"
        assert_array_equal(remote.cv_results_[key], local.cv_results_[key])
    # the candidates do not all tie: the search did choose
    assert np.ptp(local.cv_results_["mean_test_score"]) > 0
    # best_estimator_ is refitted here in both searches
    with threadpool_limits(1):
        assert_array_equal(remote.predict_proba(X), local.predict_proba(X))


def test_fitted_on_worker_predicts_like_local(client, data):
    """A pipeline fitted in a worker process and pickled back predicts as
    the same pipeline fitted here; one fitted here predicts the same in a
    worker."""
    X, y = data
    pipe = _pipe(learning_rate_init=0.05)
    with threadpool_limits(1):
        local = clone(pipe).fit(X, y)

    X_remote = client.scatter(X)
    remote = client.submit(clone(pipe).fit, X_remote, y, pure=False).result(timeout=60)
    assert remote is not local
    _assert_same_fit(remote[-1], local[-1])
    assert_array_equal(remote[0].center_, local[0].center_)
    assert_array_equal(remote[0].scale_, local[0].scale_)
    with threadpool_limits(1):
        assert_array_equal(remote.predict(X), local.predict(X))
        proba = local.predict_proba(X)
        assert_array_equal(remote.predict_proba(X), proba)

    # the other way: the pipeline fitted here, pickled to a worker
    on_worker = client.submit(local.predict_proba, X_remote, pure=False).result(
        timeout=60
    )
    assert_array_equal(on_worker, proba)
    # the optimizer state survives the round trip: one more epoch of
    # partial_fit on a worker continues the fit as it does here
    Xt = local[0].transform(X)
    more = client.submit(remote[-1].partial_fit, Xt, y, pure=False).result(timeout=60)
    with threadpool_limits(1):
        local[-1].partial_fit(Xt, y)
    assert more.n_iter_ == local[-1].n_iter_ == 9
    _assert_same_fit(more, local[-1])


def test_incremental_partial_fit_on_dask(client, data):
    """dask-ml's Incremental streams the blocks of a dask array through
    ``partial_fit``, one epoch per block, the model moving between workers;
    this matches calling ``partial_fit`` on the same blocks here."""
    pytest.importorskip("dask_ml")
    import dask.array as da
    from dask_ml.wrappers import Incremental

    X, y = data
    # univariate sequences as a 2-D array (n_samples, n_timesteps): dask-ml
    # reads the blocks of 2-D arrays blocked along the samples only
    X2 = X[:, :, 0]
    classes = np.unique(y)
    clf = LSTMClassifier(
        hidden_layer_sizes=4, learning_rate_init=0.05, batch_size=10, random_state=0
    )

    with threadpool_limits(1):
        local = clone(clf)
        for start in range(0, len(X2), 30):
            local.partial_fit(
                X2[start : start + 30], y[start : start + 30], classes=classes
            )
        local.partial_fit(X2[:30], y[:30])  # a second pass, block 0

    Xd = da.from_array(X2, chunks=(30, -1))
    yd = da.from_array(y, chunks=30)
    inc = Incremental(clf, shuffle_blocks=False, scoring="accuracy")
    inc.fit(Xd, yd, classes=classes)
    assert inc.estimator_.n_iter_ == 3  # one epoch per block
    assert inc.estimator_.t_ == len(X2)
    inc.partial_fit(Xd[:30], yd[:30])  # continues from estimator_
    remote = inc.estimator_
    assert local.n_iter_ == 4
    _assert_same_fit(remote, local)

    pred = inc.predict(Xd)  # lazy, block by block on the workers
    assert isinstance(pred, da.Array)
    with threadpool_limits(1):
        assert_array_equal(pred.compute(), local.predict(X2))
    assert inc.score(Xd, yd) == pytest.approx(local.score(X2, y))


def test_partial_fit_chain_over_3d_blocks(client, data):
    """Multivariate sequences (3-D blocks, which dask-ml's Incremental does
    not read): the guide's recipe chains ``partial_fit`` over the blocks
    with dask.delayed, and predicts block by block with map_blocks."""
    import dask
    import dask.array as da

    X, y = data
    Xt = Normaliser().fit_transform(X)
    classes = np.unique(y)
    clf = LSTMClassifier(
        hidden_layer_sizes=4, learning_rate_init=0.05, batch_size=10, random_state=0
    )
    Xd = da.from_array(Xt, chunks=(30, -1, -1))
    yd = da.from_array(y, chunks=30)

    @dask.delayed
    def train(model, X_block, y_block):
        return model.partial_fit(X_block, y_block, classes=classes)

    model = clone(clf)
    for _ in range(2):  # epochs: each is one pass over the blocks
        for X_block, y_block in zip(
            Xd.to_delayed().ravel(), yd.to_delayed().ravel(), strict=True
        ):
            model = train(model, X_block, y_block)
    model = model.compute(timeout=60)

    with threadpool_limits(1):
        local = clone(clf)
        for _ in range(2):
            for start in range(0, len(Xt), 30):
                part = slice(start, start + 30)
                local.partial_fit(Xt[part], y[part], classes=classes)
    assert model.n_iter_ == 6
    _assert_same_fit(model, local)

    pred = Xd.map_blocks(model.predict, drop_axis=[1, 2], dtype=model.classes_.dtype)
    with threadpool_limits(1):
        assert_array_equal(pred.compute(), local.predict(Xt))
