# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""LSTM networks as first-class scikit-learn estimators.

The same NumPy code runs on a GPU through CuPy (``device='cuda'``).
"""

from sklstm._adaptation import SpeakerAdaptedClassifier
from sklstm._anomaly import LSTMAnomalyDetector
from sklstm._classifier import LSTMClassifier
from sklstm._conformal import ConformalRegressor
from sklstm._forecasting import WindowScaledRegressor
from sklstm._language_model import LSTMLanguageModel
from sklstm._regressor import LSTMRegressor
from sklstm._streaming import StreamState
from sklstm._transcriber import LSTMTranscriber
from sklstm.preprocessing import (
    Embedder,
    Normaliser,
    SpectrogramTransformer,
    TokenSequences,
    augment_channels,
    sliding_windows,
)

__version__ = "0.1.0.dev0"

__all__ = [
    "ConformalRegressor",
    "Embedder",
    "LSTMAnomalyDetector",
    "LSTMClassifier",
    "LSTMLanguageModel",
    "LSTMRegressor",
    "LSTMTranscriber",
    "Normaliser",
    "SpeakerAdaptedClassifier",
    "SpectrogramTransformer",
    "StreamState",
    "TokenSequences",
    "WindowScaledRegressor",
    "__version__",
    "augment_channels",
    "sliding_windows",
]
