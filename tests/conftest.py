"""Shared fixtures: the real datasets of ../shared/data, when present."""

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
