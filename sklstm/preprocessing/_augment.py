# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""Training-set augmentation for audio: recordings as other microphones hear them."""

from numbers import Integral, Real

import numpy as np
from scipy.signal import butter, sosfilt
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params

from sklstm.preprocessing._spectrogram import check_waveforms


def _check_band(value, name, nyquist):
    """Validate a ``(low, high)`` cutoff range in Hz below the Nyquist frequency."""
    if value is None:
        return None
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} must be None or a pair (low, high) of cutoff frequencies in "
            f"Hz; got {value!r}."
        ) from None
    if not 0 < low <= high < nyquist:
        raise ValueError(
            f"{name} needs 0 < low <= high < sampling_rate / 2 = {nyquist:g} Hz; "
            f"got ({low:g}, {high:g})."
        )
    return low, high


def _check_targets(y, n_clips):
    """``y`` as an array of ``n_clips`` rows (objects for ragged label sequences)."""
    if len(y) != n_clips:
        raise ValueError(
            f"y must hold one target per waveform: X has {n_clips} waveforms, "
            f"y has {len(y)} targets."
        )
    try:
        return np.asarray(y)
    except ValueError:  # label sequences of different lengths: one object each
        arr = np.empty(n_clips, dtype=object)
        for i, target in enumerate(y):
            arr[i] = target
        return arr


@validate_params(
    {
        "X": ["array-like"],
        "y": ["array-like"],
        "sampling_rate": [Interval(Real, 0, None, closed="neither")],
        "highpass": [None, tuple, list],
        "lowpass": [None, tuple, list],
        "order": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def augment_channels(
    X,
    y,
    *,
    sampling_rate=16000,
    highpass=(80.0, 300.0),
    lowpass=(2000.0, 3800.0),
    order=2,
    random_state=None,
):
    """Add copies of training recordings as other microphones would record them.

    Microphones and phone lines differ most at the edges of the band: one
    cuts the rumble below a few hundred hertz, another the hiss above a few
    kilohertz.  A model trained on a few recording set-ups learns their
    edges as part of the words and stumbles on a new one.  This function
    returns the recordings followed by one copy of each through a
    Butterworth high-pass filter and one through a low-pass filter, every
    copy with its own cutoff drawn uniformly from the given range, so the
    model sees each word through several channels.

    Use it on the training data only, after splitting: a copy of a test
    recording in the training set would leak the test set.

    Read more in the :ref:`User Guide <speech_guide>`.

    Parameters
    ----------
    X : list of array-like of shape (n_samples_i,) or array-like of shape \
            (n_clips, n_samples)
        The waveforms, as :class:`~sklstm.SpectrogramTransformer` reads them.
    y : array-like of shape (n_clips,)
        Their targets (labels or transcripts), repeated for each copy.
    sampling_rate : float, default=16000
        Sampling rate of the waveforms in Hz.
    highpass : (float, float) or None, default=(80.0, 300.0)
        Range of the high-pass cutoffs in Hz, or None for no high-passed
        copies.
    lowpass : (float, float) or None, default=(2000.0, 3800.0)
        Range of the low-pass cutoffs in Hz, below ``sampling_rate / 2``,
        or None for no low-passed copies.  The default keeps the
        telephone band.
    order : int, default=2
        Order of the Butterworth filters (12 dB per octave at 2).
    random_state : int, RandomState instance or None, default=None
        Draws the cutoffs.  Pass an int for reproducible copies.

    Returns
    -------
    X_augmented : list of ndarray or ndarray of shape (n_clips * n_sets, n_samples)
        The waveforms (float64), then their high-passed copies, then their
        low-passed copies: ``n_sets`` is 1 plus one per filter that is not
        None.  A list for a list input, a 2-D array for a 2-D input.
    y_augmented : ndarray of shape (n_clips * n_sets,) or (n_clips * n_sets, ...)
        ``y`` repeated in the same order (an array of objects for label
        sequences of different lengths).

    See Also
    --------
    SpectrogramTransformer : Turns the waveforms into spectrogram sequences.

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm.preprocessing import augment_channels
    >>> rng = np.random.default_rng(0)
    >>> X = [rng.normal(size=800), rng.normal(size=1200)]
    >>> X_aug, y_aug = augment_channels(X, ["yes", "no"], sampling_rate=8000,
    ...                                 random_state=0)
    >>> len(X_aug), y_aug.tolist()
    (6, ['yes', 'no', 'yes', 'no', 'yes', 'no'])
    >>> [len(x) for x in X_aug]
    [800, 1200, 800, 1200, 800, 1200]
    """
    clips, ragged = check_waveforms(X)
    y = _check_targets(y, len(clips))
    nyquist = sampling_rate / 2
    bands = [
        (kind, band)
        for kind, band in (
            ("highpass", _check_band(highpass, "highpass", nyquist)),
            ("lowpass", _check_band(lowpass, "lowpass", nyquist)),
        )
        if band is not None
    ]
    rng = check_random_state(random_state)
    out = list(clips)
    for kind, (low, high) in bands:
        for x in clips:
            cutoff = rng.uniform(low, high)
            sos = butter(int(order), cutoff, btype=kind, fs=sampling_rate, output="sos")
            out.append(sosfilt(sos, x))
    y_out = np.concatenate([y] * (1 + len(bands)))
    if not ragged:
        out = np.asarray(out)
    return out, y_out
