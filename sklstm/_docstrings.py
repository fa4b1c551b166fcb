# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""Docstring parts read off the registries.

The estimators' docstrings name their ``solver`` and ``cell`` choices as
``%(solvers)s`` and ``%(cells)s``; :func:`fill_doc` writes in the keys of
:data:`sklstm._optimizers.SOLVERS` and :data:`sklstm._cells.CELLS`, so a new
optimizer or cell appears in every docstring without editing one.
"""

from sklstm._cells import CELLS
from sklstm._optimizers import SOLVERS


def _choices(names):
    return "{" + ", ".join(repr(name) for name in names) + "}"


FILLS = {"%(solvers)s": _choices(SOLVERS), "%(cells)s": _choices(CELLS)}


def fill_doc(cls):
    """Class decorator: the registries' choices into ``cls.__doc__``."""
    doc = cls.__doc__
    for mark, text in FILLS.items():
        doc = doc.replace(mark, text)
    cls.__doc__ = doc
    return cls
