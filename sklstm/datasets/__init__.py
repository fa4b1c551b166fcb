# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""Datasets: loaders for common sequence formats and synthetic generators.

Loaders read the user's own files (nothing is ever downloaded); generators
make realistic synthetic data for demos, docs and tests.
"""

from sklstm.datasets._loaders import (
    load_polarity,
    load_price_csv,
    load_text,
    load_ucr,
    load_wav_folder,
)
from sklstm.datasets._shared import find_shared_data
from sklstm.datasets._synthetic import (
    DIGIT_WORDS,
    ECG_ANOMALIES,
    make_adding_problem,
    make_ecg_beats,
    make_memory_task,
    make_price_series,
    make_sentiment_texts,
    make_spoken_words,
    make_text_corpus,
)

__all__ = [
    "DIGIT_WORDS",
    "ECG_ANOMALIES",
    "find_shared_data",
    "load_polarity",
    "load_price_csv",
    "load_text",
    "load_ucr",
    "load_wav_folder",
    "make_adding_problem",
    "make_ecg_beats",
    "make_memory_task",
    "make_price_series",
    "make_sentiment_texts",
    "make_spoken_words",
    "make_text_corpus",
]
