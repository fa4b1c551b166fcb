"""Shared fixtures: the real datasets of ../shared/data, when present, and
a fixed BLAS thread count."""

import os
from pathlib import Path

import pytest

DATA_DIR = Path(
    os.environ.get(
        "SKLSTM_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"
    )
)


@pytest.fixture
def data_dir():
    """``../shared/data`` (or ``$SKLSTM_DATA``); skips the test when absent."""
    if not DATA_DIR.is_dir():
        pytest.skip(f"real datasets not found at {DATA_DIR}")
    return DATA_DIR


@pytest.fixture(autouse=True)
def _fixed_blas_threads(monkeypatch):
    """Tests compare fits bit for bit (CPU against the CuPy stand-in, refits
    against fits): a thread count set in the environment keeps sklstm from
    resizing BLAS's pool to the machine's load (sklstm._threads), at the
    count BLAS has.  tests/test_threads.py takes it away again."""
    from threadpoolctl import threadpool_info

    counts = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", str(max(counts, default=1)))
