# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""Metrics of sequence outputs."""

import numpy as np
from sklearn.utils._param_validation import validate_params

from sklstm._ctc import edit_distance


def check_transcripts(y, name="y"):
    """Transcripts as lists of symbols, and whether they were all strings.

    A string is spelled character by character; any other sequence is a
    sequence of labels.  Used by :class:`~sklstm.LSTMTranscriber` too.
    """
    if isinstance(y, str):
        raise TypeError(
            f"{name} must be a list of transcripts (one per sequence), not a "
            "single string; wrap it in a list."
        )
    if not hasattr(y, "__len__"):
        raise TypeError(
            f"{name} must be a list of strings or of label sequences, got "
            f"{type(y).__name__}."
        )
    out, strings = [], True
    for i, item in enumerate(y):
        if isinstance(item, str):
            out.append(list(item))
        elif hasattr(item, "__len__") and not isinstance(item, dict):
            labels = np.asarray(item, dtype=object).ravel().tolist()
            for lab in labels:
                if isinstance(lab, float) and lab != lab:
                    raise ValueError(f"{name}[{i}] holds NaN, which is not a label.")
            out.append(labels)
            strings = False
        else:
            raise TypeError(
                f"{name}[{i}] is {item!r}: each transcript must be a string or a "
                "sequence of labels (e.g. a list of phonemes)."
            )
    return out, strings


@validate_params(
    {"y_true": ["array-like"], "y_pred": ["array-like"]},
    prefer_skip_nested_validation=True,
)
def character_error_rate(y_true, y_pred):
    """Character error rate: edits to turn predictions into the truth,
    per character of the truth.

    The Levenshtein distance (substitutions, insertions and deletions,
    each costing one) between each prediction and its reference, summed
    over the samples and divided by the total length of the references.
    It is 0 for perfect transcripts and can exceed 1 when predictions are
    much longer than the truth.  Given lists of label sequences (e.g. lists
    of words), it is the label (word) error rate instead.

    Parameters
    ----------
    y_true : list of str or of sequences of labels
        Reference transcripts.
    y_pred : list of str or of sequences of labels
        Predicted transcripts, e.g. from :meth:`LSTMTranscriber.predict`.

    Returns
    -------
    cer : float

    Raises
    ------
    ValueError
        If the lists differ in length, or the references hold no
        characters at all (the rate is then undefined).

    Examples
    --------
    >>> from sklstm.metrics import character_error_rate
    >>> character_error_rate(["seven", "two"], ["seven", "tow"])  # 2 edits / 8
    0.25
    >>> character_error_rate([["one", "two"]], [["one", "too"]])  # word level
    0.5
    """
    y_true, _ = check_transcripts(y_true, "y_true")
    y_pred, _ = check_transcripts(y_pred, "y_pred")
    if len(y_true) != len(y_pred):
        raise ValueError(
            f"y_true and y_pred have different lengths: {len(y_true)} and "
            f"{len(y_pred)} transcripts."
        )
    total = sum(len(t) for t in y_true)
    if total == 0:
        raise ValueError(
            "The references y_true hold no characters; the character error rate "
            "is undefined."
        )
    edits = sum(edit_distance(p, t) for t, p in zip(y_true, y_pred, strict=True))
    return edits / total
