"""The estimators' docstrings list the registries' choices."""

import pytest

import sklstm
from sklstm._cells import CELLS
from sklstm._optimizers import SOLVERS

ESTIMATORS = [
    sklstm.LSTMClassifier,
    sklstm.LSTMRegressor,
    sklstm.LSTMAnomalyDetector,
    sklstm.LSTMTranscriber,
    sklstm.LSTMLanguageModel,
]


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_solver_and_cell_choices_come_from_the_registries(Estimator):
    doc = Estimator.__doc__
    assert "%(" not in doc
    solvers = "{" + ", ".join(repr(name) for name in SOLVERS) + "}"
    cells = "{" + ", ".join(repr(name) for name in CELLS) + "}"
    assert f"    solver : {solvers}, default=" in doc
    assert f"    cell : {cells}, default='lstm'" in doc
