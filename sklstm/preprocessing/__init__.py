# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""Pre-processing: text, numeric series and audio into sequences an LSTM reads."""

from sklstm.preprocessing._augment import augment_channels
from sklstm.preprocessing._embedder import Embedder, TokenSequences
from sklstm.preprocessing._normaliser import Normaliser
from sklstm.preprocessing._spectrogram import SpectrogramTransformer
from sklstm.preprocessing._windows import sliding_windows

__all__ = [
    "augment_channels",
    "Embedder",
    "Normaliser",
    "SpectrogramTransformer",
    "TokenSequences",
    "sliding_windows",
]
