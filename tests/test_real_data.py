"""Default estimators on real data (skipped without ../shared/data)."""

import numpy as np
import pytest

from sklstm import LSTMClassifier


@pytest.mark.slow
def test_default_classifier_on_ecg5000(data_dir):
    """ECG5000: normal vs abnormal beats, 500 training beats, 4500 test beats,
    2-D input (univariate sequences of 140 steps), no tuning."""
    folder = data_dir / "ecg5000"
    if not folder.is_dir():
        pytest.skip("ecg5000 not available")
    train = np.loadtxt(folder / "ECG5000_TRAIN.tsv")
    test = np.loadtxt(folder / "ECG5000_TEST_binary.tsv")
    X, y = train[:, 1:], (train[:, 0] == 1).astype(int)  # UCR class 1 = normal
    X_test, y_test = test[:, 1:], test[:, 0].astype(int)  # 1 = normal
    clf = LSTMClassifier(random_state=0).fit(X, y)
    assert clf.score(X_test, y_test) >= 0.95
