# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""SpectrogramTransformer: waveforms into (frames, bins) feature sequences.

The STFT is :class:`scipy.signal.ShortTimeFFT`; the mel filterbank and the
framing conventions live here.  Clips of different lengths are sorted by
length, zero-padded in small groups and transformed one group at a time: a
frame lies wholly inside its clip, so the padding never reaches a result.
"""

from numbers import Integral, Real

import numpy as np
from scipy.fft import dct
from scipy.signal import ShortTimeFFT, get_window
from sklearn.base import BaseEstimator, clone
from sklearn.utils import check_array
from sklearn.utils._param_validation import Interval, StrOptions

from sklstm._backend import follows_input_namespace, is_foreign_array, to_numpy
from sklstm._sequences import is_ragged_container
from sklstm.preprocessing._set_output import SequenceTransformerMixin

_EPS = 1e-10  # floor of the power before a logarithm
# A clip whose peak magnitude is beyond 2**_SAFE_EXP is scaled down by a
# power of two before the STFT, whose power would overflow float64 (a power
# of two scales exactly); the logarithm adds the scale back.
_SAFE_EXP = 300
_DTYPE = np.float32
_CHUNK = 2**21  # complex STFT values computed at once (32 MiB)
WARP_RANGE = (0.5, 2.0)  # the frequency warps SpectrogramTransformer accepts
_NO_RATE = (
    "SpectrogramTransformer needs the sampling rate of the clips: "
    "SpectrogramTransformer(sampling_rate=sr), e.g. the rate "
    "sklstm.datasets.load_wav_folder returns (load_wav_folder(path)"
    ".sampling_rate; 8000 Hz for the Free Spoken Digit Dataset). Frames, hops "
    "and mel filters are set in ms and Hz, so a wrong rate would give wrong "
    "features without an error."
)


def hz_to_mel(f):
    """Frequency in Hz → mel, HTK formula ``2595 log10(1 + f / 700)``."""
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def mel_to_hz(m):
    """Mel → frequency in Hz, the inverse of :func:`hz_to_mel`."""
    return 700.0 * (10.0 ** (np.asarray(m, dtype=np.float64) / 2595.0) - 1.0)


def _warp_frequencies(f, warp, fmin, fmax):
    """Vocal tract length warp of frequencies ``f`` (Hz) in ``[fmin, fmax]``.

    Piecewise linear, as in HTK's VTLN: ``fmin + warp * (f - fmin)`` up to
    a knee, then a straight line to ``fmax``, so the ends of the range stay
    where they are.  The knee is where the frequency or its warped value,
    whichever is higher, reaches 80 % of the range; both pieces rise.
    """
    f = np.asarray(f, dtype=np.float64)
    span = fmax - fmin
    knee = fmin + 0.8 * span * min(1.0, 1.0 / warp)
    g_knee = fmin + warp * (knee - fmin)
    upper = g_knee + (f - knee) * (fmax - g_knee) / (fmax - knee)
    return np.where(f <= knee, fmin + warp * (f - fmin), upper)


def mel_filterbank(n_mels, n_fft, sampling_rate, fmin=0.0, fmax=None, warp=1.0):
    """Triangular mel filterbank for a one-sided spectrum of ``n_fft`` points.

    ``n_mels + 2`` edge frequencies are spaced evenly on the HTK mel scale
    from ``fmin`` to ``fmax``; filter ``m`` rises linearly (in Hz) from edge
    ``m`` to a peak of 1 at edge ``m + 1`` and falls back to 0 at edge
    ``m + 2``.  Between the first and the last peak the filters add up to
    1 at every frequency.  The filters are not area-normalised.

    Parameters
    ----------
    n_mels : int
        Number of filters.
    n_fft : int
        FFT length; the spectrum has ``n_fft // 2 + 1`` bins.
    sampling_rate : float
        Sampling rate in Hz.
    fmin : float, default=0.0
        Lowest edge frequency in Hz.
    fmax : float or None, default=None
        Highest edge frequency in Hz; None is the Nyquist frequency.
    warp : float, default=1.0
        Vocal tract length warp: the edges move to ``fmin + warp * (f -
        fmin)`` up to a knee, then linearly to ``fmax`` (see
        :class:`SpectrogramTransformer`).

    Returns
    -------
    weights : ndarray of shape (n_mels, n_fft // 2 + 1)
        Filter weights, applied as ``power @ weights.T``.
    centres : ndarray of shape (n_mels,)
        Peak frequency of each filter in Hz.

    Raises
    ------
    ValueError
        If the frequency range is empty or above the Nyquist frequency, or
        if a filter is so narrow that it covers no FFT bin.
    """
    nyquist = sampling_rate / 2
    fmax = nyquist if fmax is None else fmax
    if not 0 <= fmin < fmax <= nyquist:
        raise ValueError(
            f"The mel filters need 0 <= fmin < fmax <= sampling_rate / 2 = {nyquist:g}"
            f" Hz; got fmin={fmin:g} and fmax={fmax:g}."
        )
    n_bins = n_fft // 2 + 1
    if n_mels > n_bins:
        raise ValueError(
            f"n_mels={n_mels} is more than the {n_bins} frequency bins of an "
            f"{n_fft}-point FFT; lower n_mels or raise n_fft."
        )
    edges = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    edges[0], edges[-1] = fmin, fmax  # exactly, despite the round trip
    if warp != 1.0:
        edges = _warp_frequencies(edges, warp, fmin, fmax)
    freqs = np.fft.rfftfreq(n_fft, d=1.0 / sampling_rate)
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (freqs - lower) / (centre - lower)
    falling = (upper - freqs) / (upper - centre)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    empty = np.flatnonzero(weights.sum(axis=1) == 0)
    if empty.size:
        raise ValueError(
            f"Mel filter {empty[0]} ({edges[empty[0]]:.1f}-{edges[empty[0] + 2]:.1f} "
            f"Hz) covers no bin of an {n_fft}-point FFT at {sampling_rate:g} Hz "
            f"(bins are {sampling_rate / n_fft:.1f} Hz apart): lower n_mels, "
            "widen fmin-fmax, or raise n_fft."
        )
    return weights, edges[1:-1]


class _Framing:
    """Frame length, hop, FFT length and window, in samples, from the params."""

    def __init__(self, est):
        if est.sampling_rate is None:
            raise ValueError(_NO_RATE)
        sr = float(est.sampling_rate)
        self.sampling_rate = sr
        self.frame_length = int(round(est.frame_ms * sr / 1000))
        self.hop_length = int(round(est.hop_ms * sr / 1000))
        for name, n in (("frame_ms", self.frame_length), ("hop_ms", self.hop_length)):
            if n < 1:
                raise ValueError(
                    f"{name}={getattr(est, name)!r} is less than one sample at "
                    f"sampling_rate={est.sampling_rate!r} Hz."
                )
        if est.n_fft is None:
            self.n_fft = 1 << (self.frame_length - 1).bit_length()
        elif est.n_fft < self.frame_length:
            raise ValueError(
                f"n_fft={est.n_fft} is shorter than a frame of {self.frame_length} "
                f"samples (frame_ms={est.frame_ms!r} at {est.sampling_rate!r} Hz); "
                "use n_fft >= the frame length, or None."
            )
        else:
            self.n_fft = int(est.n_fft)
        try:
            self.window = get_window(est.window, self.frame_length)
        except (ValueError, TypeError) as exc:
            raise ValueError(
                f"window={est.window!r} is not a window scipy.signal.get_window "
                f"accepts: {exc}"
            ) from None
        self.n_bins = {"mel": est.n_mels, "mfcc": est.n_mfcc}.get(
            est.output, self.n_fft // 2 + 1
        )
        self.mel_weights = self.mel_centres = None
        if est.warp != 1 and est.output not in ("mel", "mfcc"):
            raise ValueError(
                f"warp={est.warp!r} moves the mel filters, but output="
                f"{est.output!r} has none: use output='mel' or 'mfcc', or warp=1."
            )
        if est.output in ("mel", "mfcc"):
            self.mel_weights, self.mel_centres = mel_filterbank(
                est.n_mels, self.n_fft, sr, est.fmin, est.fmax, est.warp
            )
            if est.output == "mfcc" and est.n_mfcc > est.n_mels:
                raise ValueError(
                    f"n_mfcc={est.n_mfcc} is more than n_mels={est.n_mels}: the "
                    "cepstral coefficients are taken from the mel bands."
                )
        self.stft = ShortTimeFFT(
            self.window,
            hop=self.hop_length,
            fs=sr,
            fft_mode="onesided",
            mfft=self.n_fft,
            scale_to=None,
            phase_shift=None,  # |STFT|^2 does not depend on the phase reference
        )

    def n_frames(self, n_samples):
        return 1 + (n_samples - self.frame_length) // self.hop_length

    def power(self, X, n_frames):
        """|STFT|² of the first ``n_frames`` frames of each row of ``X``.

        Frame ``p`` is ``X[:, p * hop : p * hop + frame_length]``: with
        ``k_offset = m_num_mid`` the first window starts at sample 0.
        """
        S = self.stft.stft(X, p0=0, p1=n_frames, k_offset=self.stft.m_num_mid)
        return (S.real**2 + S.imag**2).transpose(0, 2, 1)  # (clips, frames, bins)


def _shift_clips(clips):
    """Clips brought below ``2**_SAFE_EXP`` by powers of two.

    Returns ``(clips, shifts)``: clip ``i`` was multiplied by
    ``2**-shifts[i]``.  A shift is 0, and its clip left as it was, unless
    the clip's peak is beyond ``2**_SAFE_EXP``.
    """
    if isinstance(clips, np.ndarray):
        peak = np.maximum(clips.max(axis=1), -clips.min(axis=1))
    else:
        peak = np.array([max(x.max(), -x.min()) for x in clips])
    exp = np.frexp(peak)[1]  # peak = m * 2**exp, 0.5 <= m < 1
    shifts = np.where(exp > _SAFE_EXP, exp, 0)
    if not shifts.any():
        return clips, shifts
    if isinstance(clips, np.ndarray):
        return np.ldexp(clips, -shifts[:, None]), shifts
    shifted = [np.ldexp(x, -k) if k else x for x, k in zip(clips, shifts, strict=True)]
    return shifted, shifts


def _log_power(power, shift):
    """``log(power * 4**shift + 1e-10)``, the log power of a clip that was
    scaled by ``2**-shift``, with no overflow; ``shift`` broadcasts."""
    Z = np.log(power + _EPS)
    if np.any(shift):
        with np.errstate(divide="ignore"):  # log(0) = -inf: logaddexp takes _EPS
            exact = np.logaddexp(np.log(power) + 2 * np.log(2.0) * shift, np.log(_EPS))
        Z = np.where(shift != 0, exact, Z)
    return Z


def _as_float(x):
    """PCM integers (up to 32 bits) to [-1, 1); anything else to float64."""
    if x.dtype.kind in "iu" and x.dtype.itemsize <= 4:
        half = 2.0 ** (8 * x.dtype.itemsize - 1)
        offset = half if x.dtype.kind == "u" else 0.0
        return (x.astype(np.float64) - offset) / half
    return x.astype(np.float64, copy=False)


def _check_clip(x, name):
    x = to_numpy(x) if is_foreign_array(x) else x
    try:
        x = check_array(
            x, ensure_2d=False, dtype="numeric", ensure_min_samples=0, input_name=name
        )
    except ValueError as exc:
        raise ValueError(f"Invalid waveform {name}: {exc}") from None
    if x.ndim != 1:
        hint = (
            " It looks like a multichannel recording: pass one channel, or the mean"
            " over channels, e.g. x.mean(axis=1)."
            if x.ndim == 2
            else ""
        )
        raise ValueError(
            f"Each waveform must be 1-D (n_samples,); {name} has shape {x.shape}."
            + hint
        )
    return _as_float(x)


def check_waveforms(X):
    """Validate ``X`` into ``(clips, ragged)``.

    ``clips`` is a 2-D float64 array ``(n_clips, n_samples)`` for 2-D input,
    or a list of 1-D float64 arrays for ragged input.
    """
    if is_foreign_array(X):
        X = to_numpy(X)
    if is_ragged_container(X):
        clips = [_check_clip(x, f"X[{i}]") for i, x in enumerate(X)]
        return clips, True
    if isinstance(X, (list, tuple)) and len(X) == 0:
        raise ValueError("X contains no waveforms.")
    ndim = getattr(X, "ndim", None)
    if ndim is None:
        ndim = np.asarray(X).ndim
    if ndim == 1:
        raise ValueError(
            f"X is a 1-D array of {len(X)} values, which is ambiguous. Reshape "
            "your data: pass a 2-D array (n_clips, n_samples) or a list of 1-D "
            "waveforms; to transform a single clip x, wrap it in a list: "
            "transform([x])."
        )
    if ndim != 2:
        raise ValueError(
            "X must be a 2-D array (n_clips, n_samples) of equal-length waveforms "
            f"or a list of 1-D waveforms; got a {ndim}-D array."
        )
    return _as_float(check_array(X, dtype="numeric", input_name="X")), False


class SpectrogramTransformer(SequenceTransformerMixin, BaseEstimator):
    """Turn audio waveforms into spectrogram sequences: one row per frame.

    Each clip is cut into overlapping frames of ``frame_ms`` milliseconds,
    ``hop_ms`` apart, which lie wholly inside the clip (no padding at the
    edges): a clip of ``n`` samples gives
    ``1 + (n - frame_length) // hop_length`` frames.  Each frame is multiplied
    by ``window`` and Fourier transformed with
    :class:`scipy.signal.ShortTimeFFT`, and the result becomes a sequence of
    shape ``(n_frames, n_bins)``: the input the LSTM estimators read.

    Read more in the :ref:`User Guide <spectrogram_guide>`.

    Parameters
    ----------
    sampling_rate : float, default=None
        Sampling rate of the waveforms in Hz: required, since frames, hops
        and filters are given in milliseconds and Hz, and clips read at a
        wrong rate give wrong features without an error.  :meth:`fit`,
        :meth:`transform` and the other methods raise a ValueError while
        it is None.  Use the rate the clips were recorded at, e.g. the
        ``sampling_rate`` that :func:`~sklstm.datasets.load_wav_folder`
        returns, or the first value :func:`scipy.io.wavfile.read` returns
        (8000 for telephone speech such as the Free Spoken Digit Dataset,
        16000 for most speech corpora).
    frame_ms : float, default=25.0
        Frame length in milliseconds, rounded to whole samples (25 ms is
        the usual speech frame).
    hop_ms : float, default=10.0
        Step between the starts of consecutive frames, in milliseconds.
    window : str or tuple, default='hann'
        Window applied to each frame: any window
        :func:`scipy.signal.get_window` accepts (``'hamming'``,
        ``('kaiser', 8.0)``, ...), built periodic (DFT-even).
    n_fft : int or None, default=None
        FFT length; a frame is zero-padded to it.  None is the smallest
        power of two at least as long as a frame (512 for 25 ms at 16 kHz).
    output : {'power', 'log', 'mel', 'mfcc'}, default='mel'
        What each frame becomes:

        - 'power': the power spectrum ``|rfft(window * frame, n_fft)|**2``,
          unscaled, ``n_fft // 2 + 1`` bins from 0 Hz to the Nyquist
          frequency;
        - 'log': ``log(power + 1e-10)``, same bins;
        - 'mel': ``log(mel_power + 1e-10)``, where ``mel_power`` is the power
          summed by ``n_mels`` triangular filters spaced on the HTK mel
          scale between ``fmin`` and ``fmax`` (log-mel filterbank energies,
          the usual speech features);
        - 'mfcc': the first ``n_mfcc`` coefficients of the orthonormal
          DCT-II of the log-mel energies (mel-frequency cepstral
          coefficients).
    n_mels : int, default=40
        Number of mel filters ('mel' and 'mfcc').
    n_mfcc : int, default=13
        Number of cepstral coefficients kept ('mfcc'); at most ``n_mels``.
    fmin : float, default=100.0
        Lowest frequency of the mel filters in Hz.  100 Hz leaves out the
        hum and the low rumble that microphones record differently (and
        that some cut off): on speakers left out of training it raised the
        word accuracy on the Free Spoken Digit Dataset (FSDD) from 0.74 to
        0.77.  0 keeps the whole band.
    fmax : float or None, default=None
        Highest frequency of the mel filters in Hz; None is the Nyquist
        frequency, ``sampling_rate / 2``.
    normalise : bool or 'mean', default='mean'
        Per-utterance normalisation of each clip's output: True subtracts
        each bin's mean over the clip's frames and divides by its standard
        deviation (a constant bin becomes 0); 'mean' only subtracts the
        mean (cepstral mean normalisation), which removes the recording
        level and the microphone's colouring from log features; False
        keeps the values.
    trim_db : float or None, default=20.0
        Drop the leading and trailing frames whose energy is more than
        ``trim_db`` decibels below the clip's loudest frame (silence before
        and after the sound; the frames between are kept), before the
        normalisation.  Recordings of different people are often cut
        differently, and a sequence model reads trailing silence as part of
        the word.  With trimming, the output is always a list, since clips
        lose different numbers of frames; None keeps every frame (and an
        array for an array).
    floor_db : float or None, default=40.0
        Raise every value more than ``floor_db`` decibels below the clip's
        largest to that floor (the ``top_db`` of librosa's
        ``power_to_db``), before the normalisation; for 'mfcc' the log-mel
        energies are floored before the DCT.  The quiet background of a
        recording, its noise floor, then reads the same in every clip: a
        noisy microphone's hiss and a quiet one's near-silence both become
        the floor.  None keeps the values.
    stack : int, default=3
        Frame stacking: every ``stack`` consecutive frames (after trimming
        and normalisation) become one output row of ``stack * n_bins``
        values, the frames side by side, oldest first.  The sequences get
        ``stack`` times shorter (a clip's last row repeats its final frame
        where frames run out) and each step of the LSTM reads
        ``stack * hop_ms`` of sound: the low-frame-rate input of acoustic
        LSTMs (Sak et al., 2015), more accurate on unseen voices and three
        times faster to train than one frame per step.
        :class:`LSTMTranscriber` repeats the steps of sequences that are
        too short for their transcripts (see its ``frame_repeat``).
    warp : float, default=1.0
        Frequency warp of the mel filters ('mel' and 'mfcc'), in [0.5, 2]:
        vocal tract length normalisation (VTLN).  Each filter edge ``f``
        between ``fmin`` and ``fmax`` moves to ``fmin + warp * (f - fmin)``
        up to a knee at 80 % of the range, and from there on a straight
        line to ``fmax``, so the band keeps its ends (HTK's piecewise
        linear warp).  A factor above 1 reads a voice whose formants lie
        higher, as a shorter vocal tract puts them, as if they lay where a
        factor of 1 finds a longer tract's.  Speakers differ by up to about
        10 %; :class:`SpeakerAdaptedClassifier` chooses a factor for each
        speaker.  Must be 1 for 'power' and 'log' output.

    Attributes
    ----------
    frame_length_ : int
        Frame length in samples.
    hop_length_ : int
        Hop length in samples.
    n_fft_ : int
        FFT length.
    n_bins_ : int
        Values per output row: the number of columns of each output
        sequence (``stack`` times the values of one frame).
    frequencies_ : ndarray or None
        Frequency of each output column in Hz (``n_bins_`` values): the FFT
        bin frequencies ('power', 'log') or the peak frequency of each mel
        filter ('mel'), repeated for each stacked frame; None for 'mfcc'.
    mel_filters_ : ndarray of shape (n_mels, n_fft // 2 + 1) or None
        The mel filterbank ('mel' and 'mfcc'), None otherwise.

    See Also
    --------
    scipy.signal.ShortTimeFFT : The short-time Fourier transform used here.
    LSTMClassifier : Classify the resulting sequences, e.g. spoken words.
    Normaliser : Scale sequences with statistics fitted on training data.

    Notes
    -----
    The transformer is stateless: ``fit`` validates the parameters and
    records the attributes above, and ``transform`` may be called without
    ``fit`` (it always uses the current parameters).

    The output is a 3-D array or a list of arrays, which no DataFrame can
    hold: :meth:`set_output` is accepted (so a pipeline's ``set_output``
    and ``sklearn.set_config(transform_output="pandas")`` work) and the
    sequences are returned as they are.

    The defaults are the front end that carried over best to voices and
    microphones absent from the training data, chosen by leaving each of
    the four FSDD speakers out in turn (never on a test split): 40 log-mel
    bands from 100 Hz, the silence around each clip trimmed (20 dB), a
    floor 40 dB below each clip's peak, each band's mean over the clip
    removed, three frames per step.  With ``Normaliser()`` and
    ``LSTMClassifier()`` they raised the word accuracy on an unseen
    speaker from 0.38 to 0.77 (``benchmarks/bench_defaults.py``).  For
    sound that is not speech, ``fmin=0, normalise=False, trim_db=None,
    floor_db=None, stack=1`` give the plain log-mel spectrogram, one row
    per frame.  Warping the
    mel filters for each speaker, :class:`SpeakerAdaptedClassifier`, and
    training on :func:`~sklstm.augment_channels` copies go further (see
    ``benchmarks/README.md``).

    ``X`` is a 2-D array ``(n_clips, n_samples)`` of equal-length clips,
    giving a float32 array ``(n_clips, n_frames, n_bins_)`` when
    ``trim_db=None`` (with trimming, a list as below), or a list of 1-D
    clips of any lengths, giving a list of float32 arrays
    ``(n_frames_i, n_bins_)`` (the ragged input of the LSTM estimators);
    with ``stack > 1`` the frames counted are the stacked rows.
    A single 1-D array is refused as ambiguous: wrap one clip in a list.
    Integer arrays of up to 32 bits, the PCM formats
    :func:`scipy.io.wavfile.read` returns, are scaled to [-1, 1) first
    (int16 by 1/32768; unsigned 8-bit audio centred on 128), so a WAV file
    gives the same features whether it was converted to float or not.
    Computation is in float64, at any level a float64 can hold: a clip
    beyond ``2**300`` is scaled down by a power of two before the Fourier
    transform and the scale added back in the logarithm, so with the
    default mean removal a clip reads the same at full scale and at
    ``1e300`` times it.  The ``1e-10`` added before the logarithm is
    absolute: it stands for digital silence, so features of a clip whose
    peak is below about ``1e-3`` (-60 dBFS) start to differ from those of
    the same clip at full scale, and a clip far below that reads as
    silence.  For ``output='power'``, whose float32 values cannot exceed
    about ``3.4e38``, a louder clip raises a ValueError.

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm import SpectrogramTransformer
    >>> sr = 8000
    >>> t = np.arange(sr // 2) / sr                      # 0.5 s
    >>> clips = [np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 1000 * t[:2000])]
    >>> features = SpectrogramTransformer(sampling_rate=sr).fit_transform(clips)
    >>> [f.shape for f in features]                      # 3 frames of 40 bands a row
    [(16, 120), (8, 120)]
    >>> spec = SpectrogramTransformer(                   # one plain row per frame
    ...     sampling_rate=sr, output="log", normalise=False, trim_db=None, stack=1
    ... )
    >>> features = spec.fit_transform(clips)             # ragged in, ragged out
    >>> [f.shape for f in features]
    [(48, 129), (23, 129)]
    >>> peak = features[0].mean(axis=0).argmax()
    >>> float(spec.frequencies_[peak])                   # the bin nearest 440 Hz
    437.5
    """

    #: the frequency warps ``warp`` accepts, (lowest, highest)
    WARP_RANGE = WARP_RANGE

    _parameter_constraints: dict = {
        "sampling_rate": [Interval(Real, 0, None, closed="neither"), None],
        "frame_ms": [Interval(Real, 0, None, closed="neither")],
        "hop_ms": [Interval(Real, 0, None, closed="neither")],
        "window": [str, tuple],
        "n_fft": [Interval(Integral, 1, None, closed="left"), None],
        "output": [StrOptions({"power", "log", "mel", "mfcc"})],
        "n_mels": [Interval(Integral, 1, None, closed="left")],
        "n_mfcc": [Interval(Integral, 1, None, closed="left")],
        "fmin": [Interval(Real, 0, None, closed="left")],
        "fmax": [Interval(Real, 0, None, closed="neither"), None],
        "normalise": ["boolean", StrOptions({"mean"})],
        "trim_db": [Interval(Real, 0, None, closed="neither"), None],
        "floor_db": [Interval(Real, 0, None, closed="neither"), None],
        "stack": [Interval(Integral, 1, None, closed="left")],
        "warp": [Interval(Real, *WARP_RANGE, closed="both")],
    }

    def __init__(
        self,
        *,
        sampling_rate=None,
        frame_ms=25.0,
        hop_ms=10.0,
        window="hann",
        n_fft=None,
        output="mel",
        n_mels=40,
        n_mfcc=13,
        fmin=100.0,
        fmax=None,
        normalise="mean",
        trim_db=20.0,
        floor_db=40.0,
        stack=3,
        warp=1.0,
    ):
        self.sampling_rate = sampling_rate
        self.frame_ms = frame_ms
        self.hop_ms = hop_ms
        self.window = window
        self.n_fft = n_fft
        self.output = output
        self.n_mels = n_mels
        self.n_mfcc = n_mfcc
        self.fmin = fmin
        self.fmax = fmax
        self.normalise = normalise
        self.trim_db = trim_db
        self.floor_db = floor_db
        self.stack = stack
        self.warp = warp

    def fit(self, X, y=None):
        """Validate the parameters and ``X``, and record the framing.

        Parameters
        ----------
        X : array-like of shape (n_clips, n_samples), or list of array-like \
of shape (n_samples_i,)
            Waveforms.
        y : None
            Ignored.

        Returns
        -------
        self : SpectrogramTransformer
            The transformer.
        """
        framing = self._fit_framing()
        self._check_lengths(check_waveforms(X)[0], framing)
        return self

    def fit_transform(self, X, y=None):
        """Fit to ``X`` and return its spectrogram sequences (one pass).

        Parameters
        ----------
        X : array-like of shape (n_clips, n_samples), or list of array-like \
of shape (n_samples_i,)
            Waveforms: floats, or PCM integers (scaled to [-1, 1)).
        y : None
            Ignored.

        Returns
        -------
        X_new : ndarray of shape (n_clips, n_frames, n_bins), or list of \
ndarray of shape (n_frames_i, n_bins)
            float32 sequences: a list for a list, and for 2-D ``X`` when
            ``trim_db`` is set (the default); else an array.
        """
        return self._transform(X, self._fit_framing())

    def _fit_framing(self):
        """Validate the parameters and record the fitted attributes."""
        self._validate_params()
        framing = _Framing(self)
        self.frame_length_ = framing.frame_length
        self.hop_length_ = framing.hop_length
        self.n_fft_ = framing.n_fft
        self.n_bins_ = self.stack * framing.n_bins
        self.mel_filters_ = framing.mel_weights
        frequencies = {
            "power": framing.stft.f,
            "log": framing.stft.f,
            "mel": framing.mel_centres,
        }.get(self.output)
        self.frequencies_ = (
            None if frequencies is None else np.tile(frequencies, self.stack)
        )
        return framing

    @follows_input_namespace
    def transform(self, X):
        """Compute the spectrogram sequence of every clip.

        Parameters
        ----------
        X : array-like of shape (n_clips, n_samples), or list of array-like \
of shape (n_samples_i,)
            Waveforms: floats, or PCM integers (scaled to [-1, 1)).

        Returns
        -------
        X_new : ndarray of shape (n_clips, n_frames, n_bins), or list of \
ndarray of shape (n_frames_i, n_bins)
            float32 sequences: a list for a list, and for 2-D ``X`` when
            ``trim_db`` is set (the default); else an array.
        """
        self._validate_params()
        return self._transform(X, _Framing(self))

    def _transform(self, X, framing):
        return self._transform_framings(X, [framing])[0]

    def transform_warps(self, X, warps):
        """``transform(X)`` under each of several frequency warps.

        Equal to ``[clone(self).set_params(warp=w).transform(X) for w in
        warps]``, but the short-time Fourier transform and the trimming,
        which no warp changes, are computed once (speaker adaptation scores
        every clip under a dozen warps).

        Parameters
        ----------
        X : array-like or list of array-like
            Clips, as for :meth:`transform`.
        warps : sequence of float
            Warp factors, each in ``SpectrogramTransformer.WARP_RANGE``.

        Returns
        -------
        outputs : list
            One output of :meth:`transform` per warp, in order.
        """
        self._validate_params()
        framings = [_Framing(clone(self).set_params(warp=w)) for w in warps]
        return self._transform_framings(X, framings)

    def _transform_framings(self, X, framings):
        """The output of ``X`` under each of ``framings``, which differ in
        their mel filters only: the power spectrum is computed once."""
        framing = framings[0]
        clips, ragged = check_waveforms(X)
        lengths = self._check_lengths(clips, framing)
        clips, shifts = _shift_clips(clips)
        n_frames = framing.n_frames(lengths)
        if self.trim_db is not None and not ragged:
            clips, ragged = list(clips), True  # trimmed clips differ in length
        if not ragged:
            n_rows = -(-n_frames[0] // self.stack)
            outs = [
                np.empty((len(clips), n_rows, self.stack * f.n_bins), dtype=_DTYPE)
                for f in framings
            ]
            step = max(1, _CHUNK // (n_frames[0] * (framing.n_fft // 2 + 1)))
            for start in range(0, len(clips), step):
                rows = slice(start, start + step)
                power = framing.power(clips[rows], n_frames[0])
                shift = shifts[rows, None, None]
                for out, f in zip(outs, framings, strict=True):
                    Z = self._features(power, f, shift)
                    out[rows] = self._stack(self._normalise(Z))
            return outs
        outs = [[None] * len(clips) for _ in framings]
        for group in self._length_groups(lengths, n_frames, framing.n_fft // 2 + 1):
            padded = np.zeros((len(group), lengths[group[-1]]))
            for j, i in enumerate(group):
                padded[j, : lengths[i]] = clips[i]
            power = framing.power(padded, n_frames[group[-1]])
            for j, i in enumerate(group):
                P = power[j, : n_frames[i]]
                if self.trim_db is not None:
                    P = self._trim(P, shifts[i])
                for out, f in zip(outs, framings, strict=True):
                    Z_i = self._normalise(self._features(P, f, shifts[i]))
                    out[i] = self._stack(Z_i).astype(_DTYPE)
        return outs

    def _stack(self, Z):
        """Join each ``stack`` consecutive frames (axis -2) into one row; the
        last row is padded by repeating the final frame."""
        k = self.stack
        if k == 1:
            return Z
        n_frames = Z.shape[-2]
        n_rows = -(-n_frames // k)
        if n_rows * k > n_frames:
            pad = [(0, 0)] * Z.ndim
            pad[-2] = (0, n_rows * k - n_frames)
            Z = np.pad(Z, pad, mode="edge")
        return Z.reshape(*Z.shape[:-2], n_rows, k * Z.shape[-1])

    def _trim(self, power, shift=0):
        """The frames of one clip (frames, bins) from the first to the last
        within ``trim_db`` of its loudest (the clip scaled by ``2**-shift``)."""
        if shift:
            level = 10 / np.log(10) * _log_power(power.sum(axis=-1), shift)
        else:
            level = 10 * np.log10(power.sum(axis=-1) + _EPS)
        loud = np.flatnonzero(level >= level.max() - self.trim_db)
        return power[loud[0] : loud[-1] + 1]

    def frame_times(self, n_samples):
        """Centre time in seconds of each frame of a clip of ``n_samples``.

        Parameters
        ----------
        n_samples : int
            Length of the clip in samples.

        Returns
        -------
        times : ndarray of shape (n_rows,)
            ``(frame_length / 2 + p * hop_length) / sampling_rate`` for frame
            ``p``, as :func:`scipy.signal.spectrogram` reports them.  With
            ``stack > 1``, one time per output row: the middle of the span
            its frames cover.  Without trimming these are the times of the
            rows ``transform`` returns.
        """
        self._validate_params()
        framing = _Framing(self)
        n_samples = int(n_samples)
        if n_samples < framing.frame_length:
            raise ValueError(
                f"n_samples={n_samples} is shorter than one frame of "
                f"{framing.frame_length} samples."
            )
        n_frames = framing.n_frames(n_samples)
        first = np.arange(0, n_frames, self.stack)
        last = np.minimum(first + self.stack - 1, n_frames - 1)
        middle = (first + last) / 2 * framing.hop_length
        return (middle + framing.frame_length / 2) / framing.sampling_rate

    def get_feature_names_out(self, input_features=None):
        """Names of the values of an output row.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Ignored: the samples of a clip are not features, and the output
            has the same values whatever the input.

        Returns
        -------
        feature_names_out : ndarray of str objects of shape (`n_bins_`,)
            ``output`` and the bin, ``'mel0'``, ``'mel1'``, ... (``'mfcc0'``
            ..., ``'log0'`` ..., ``'power0'`` ...); with ``stack > 1`` the
            frame of the row first, ``'frame0_mel0'``, ...,
            ``'frame2_mel39'``, in the order of the columns.
        """
        self._validate_params()
        n_bins = _Framing(self).n_bins
        names = [f"{self.output}{j}" for j in range(n_bins)]
        if self.stack > 1:
            names = [f"frame{f}_{name}" for f in range(self.stack) for name in names]
        return np.asarray(names, dtype=object)

    def _features(self, power, framing, shift=0):
        """Power (clips, frames, bins) or one clip's (frames, bins) → the
        requested output, float64.  ``floor_db`` floors the power (mel power
        for 'mel' and 'mfcc') below each clip's largest value, before the
        logarithm.  ``shift`` (broadcast over the clips) undoes
        :func:`_shift_clips`: the clips were scaled by ``2**-shift``."""
        if self.output in ("mel", "mfcc"):
            power = power @ framing.mel_weights.T
        if self.floor_db is not None:
            peak = power.max(axis=(-2, -1), keepdims=True)
            power = np.maximum(power, peak * 10 ** (-self.floor_db / 10))
        if self.output == "power":
            if np.any(shift):
                with np.errstate(over="ignore"):  # checked below
                    power = np.ldexp(power, 2 * shift)
            return self._check_power(power)
        Z = _log_power(power, shift)
        if self.output == "mfcc":
            return dct(Z, type=2, norm="ortho", axis=-1)[..., : self.n_mfcc]
        return Z

    @staticmethod
    def _check_power(power):
        """``power``, if float32 (the output's dtype) can hold it."""
        big = float(np.finfo(_DTYPE).max)
        if power.size and power.max() > big:
            raise ValueError(
                f"The power spectrum of a clip exceeds float32's range ({big:.3g}), "
                "the dtype of the output: scale the waveforms down (audio is "
                "usually in [-1, 1]), or use a logarithmic output ('log', 'mel' "
                "or 'mfcc')."
            )
        return power

    def _normalise(self, Z):
        """Per-clip, per-bin normalisation over the frames (axis -2)."""
        if not isinstance(self.normalise, str) and not self.normalise:
            return Z
        mean = Z.mean(axis=-2, keepdims=True)
        Z = Z - mean
        if self.normalise != "mean":
            std = Z.std(axis=-2, keepdims=True)
            varies = std > 1e-10 * np.abs(mean)  # else constant up to rounding
            Z = np.where(varies, Z / np.where(varies, std, 1.0), 0.0)
        return Z

    def _check_lengths(self, clips, framing):
        lengths = np.array([len(x) for x in clips], dtype=np.intp)
        if len(lengths) == 0:
            raise ValueError("X contains no waveforms.")
        short = np.flatnonzero(lengths < framing.frame_length)
        if short.size:
            i, n, sr = short[0], lengths[short[0]], framing.sampling_rate
            layout = (
                f" (X is read as {len(clips)} clips of {n} samples each)"
                if isinstance(clips, np.ndarray)
                else ""
            )
            raise ValueError(
                f"Clip {i} has {n} samples ({1000 * n / sr:.1f} ms at "
                f"sampling_rate={self.sampling_rate!r} Hz), shorter than one frame "
                f"of {framing.frame_length} samples (frame_ms={self.frame_ms!r})"
                f"{layout}. Drop or pad short clips, or lower frame_ms."
            )
        return lengths

    @staticmethod
    def _length_groups(lengths, n_frames, n_bins):
        """Indices sorted by length, in groups of at most ``_CHUNK`` values.

        The last clip of a group is its longest.
        """
        order = np.argsort(lengths, kind="stable")
        group = []
        for i in order:
            if group and (len(group) + 1) * n_frames[i] * n_bins > _CHUNK:
                yield group
                group = []
            group.append(i)
        yield group

    def __setstate__(self, state):
        # transformers saved before frame stacking (or warping) existed did
        # not stack (or warp)
        super().__setstate__({"stack": 1, "warp": 1.0, **state})

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags
