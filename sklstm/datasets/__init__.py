# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""Datasets: synthetic generators for demos, docs and tests (no downloads)."""

from sklstm.datasets._synthetic import make_adding_problem, make_memory_task

__all__ = ["make_adding_problem", "make_memory_task"]
