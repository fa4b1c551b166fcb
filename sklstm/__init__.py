# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""LSTM networks as first-class scikit-learn estimators.

The same NumPy code runs on a GPU through CuPy (``device='cuda'``).
"""

from sklstm._classifier import LSTMClassifier
from sklstm._regressor import LSTMRegressor

__version__ = "0.1.0.dev0"

__all__ = ["LSTMClassifier", "LSTMRegressor", "__version__"]
