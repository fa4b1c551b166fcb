"""sklstm.metrics: the character error rate."""

import numpy as np
import pytest

from sklstm.metrics import character_error_rate, check_transcripts


def test_character_error_rate_pools_edits_over_reference_characters():
    assert character_error_rate(["seven", "two"], ["seven", "tow"]) == 2 / 8
    assert character_error_rate(np.array(["ab"]), ["abcd"]) == 1.0  # insertions
    assert character_error_rate([["one", "two"]], [["one", "too"]]) == 0.5  # words
    assert character_error_rate([[1, 2, 3]], [np.array([1, 3])]) == 1 / 3


@pytest.mark.parametrize(
    "y_true, y_pred, error, match",
    [
        (["a"], ["a", "b"], ValueError, "different lengths"),
        (["", ""], ["a", ""], ValueError, "no characters"),
        (["ab", 3], ["ab", "c"], TypeError, r"y_true\[1\] is 3"),
        (["ab"], [[1.0, np.nan]], ValueError, r"y_pred\[0\] holds NaN"),
    ],
)
def test_character_error_rate_errors(y_true, y_pred, error, match):
    with pytest.raises(error, match=match):
        character_error_rate(y_true, y_pred)


def test_check_transcripts():
    assert check_transcripts(["ab", ""]) == ([["a", "b"], []], True)
    assert check_transcripts([("x", "y")]) == ([["x", "y"]], False)
    with pytest.raises(TypeError, match="not a single string"):
        check_transcripts("abc")
