"""
==============================
Spectrograms of spoken digits
==============================

An LSTM does not read raw audio well: a one-second clip at 8 kHz is 8000
timesteps of a single, rapidly oscillating value.
:class:`~sklstm.SpectrogramTransformer` turns each clip into a much shorter
sequence of *frames* (here one every 10 ms), each described by the energy in
a set of frequency bands, which is what the LSTM estimators then read.

This example looks at recordings of the Free Spoken Digit Dataset (FSDD:
English digits spoken by several speakers, 8 kHz, 16-bit), draws the four
outputs of the transformer for one clip, shows what per-utterance
normalisation does, and what the transformer's defaults, a front end for
speech, make of a clip.
"""

# %%
# Loading a few recordings
# ------------------------
#
# The recordings are WAV files named ``{digit}_{speaker}_{index}.wav``, which
# :func:`scipy.io.wavfile.read` returns as ``int16`` arrays.  The transformer
# takes such integer (PCM) samples directly and scales them to [-1, 1).  The
# clips have different lengths, so they go in as a *list* of 1-D arrays.  If
# the dataset is not available, the example makes up "digits" from gliding
# harmonic tones, so that it still runs.

import matplotlib.pyplot as plt
import numpy as np
from scipy.io import wavfile

from sklstm import SpectrogramTransformer
from sklstm.datasets import find_shared_data

FSDD = find_shared_data("fsdd/recordings")  # None without the real data
sr = 8000
digits = list(range(10))
if FSDD is not None:
    clips = []
    for digit in digits:
        rate, wave = wavfile.read(FSDD / f"{digit}_jackson_0.wav")
        assert rate == sr
        clips.append(wave)
    source = "FSDD, speaker 'jackson'"
else:
    print("FSDD not found: using generated gliding tones instead.")
    rng = np.random.RandomState(0)
    clips = []
    for digit in digits:
        n = int(sr * (0.3 + 0.04 * digit))
        t = np.arange(n) / sr
        f0 = 120 + 12 * digit + 60 * t / t[-1] * (1 if digit % 2 else -1)
        phase = 2 * np.pi * np.cumsum(f0) / sr
        formant = 1 + np.arange(1, 16)[:, None] * f0 / (500 + 150 * digit)
        voice = (np.sin(np.arange(1, 16)[:, None] * phase) / formant).sum(axis=0)
        envelope = np.sqrt(np.abs(np.sin(np.pi * t / t[-1])))
        wave = 0.3 * envelope * voice / np.abs(voice).max()
        wave += 0.003 * rng.normal(size=n)
        clips.append((wave * 32767).astype(np.int16))
    source = "generated tones"

print("Clip lengths (samples):", [len(c) for c in clips])

# %%
# One clip, four outputs
# ----------------------
#
# Frames are 25 ms long (200 samples at 8 kHz), start every 10 ms, and are
# multiplied by a Hann window before an FFT of 256 points.  The defaults
# then trim, floor, normalise and stack the frames for speech (last
# section); ``PLAIN`` turns all that off, for the spectrogram as recorded,
# one row per frame.  The ``output`` parameter says what each frame
# becomes:
#
# * ``'power'``: the squared magnitude of the FFT, 129 bins from 0 to 4 kHz;
# * ``'log'``: its logarithm, which is how we perceive loudness;
# * ``'mel'`` (the default): the log energy in 40 triangular bands spaced
#   on the mel scale, narrow at low frequencies and wide at high ones, as in
#   the ear: the usual input of speech recognisers;
# * ``'mfcc'``: a discrete cosine transform of the log-mel energies, keeping
#   13 coefficients that summarise the shape of the spectrum.
#
# ``frame_times`` gives the centre time of each frame and ``frequencies_``
# the frequency of each column, for the axes.  The image of the MFCCs leaves
# out coefficient 0, the overall log energy of the frame, whose range would
# swamp the colour scale of the others.

clip = clips[7]
PLAIN = dict(fmin=0, normalise=False, trim_db=None, floor_db=None, stack=1)
params = dict(sampling_rate=sr, **PLAIN)
log_spec = SpectrogramTransformer(output="log", **params).fit([clip])
mel_spec = SpectrogramTransformer(output="mel", **params).fit([clip])
mfcc_spec = SpectrogramTransformer(output="mfcc", **params).fit([clip])
log_power = log_spec.transform([clip])[0]
log_mel = mel_spec.transform([clip])[0]
mfcc = mfcc_spec.transform([clip])[0]
times = log_spec.frame_times(len(clip))
print("log power:", log_power.shape, " log-mel:", log_mel.shape, " MFCC:", mfcc.shape)

fig, axes = plt.subplots(4, 1, figsize=(7, 9), sharex=True, layout="constrained")
axes[0].plot(np.arange(len(clip)) / sr, clip / 32768, linewidth=0.5)
axes[0].set(ylabel="amplitude", title=f"Digit 7 ({source})")
mesh = axes[1].pcolormesh(times, log_spec.frequencies_, log_power.T, shading="nearest")
axes[1].set(ylabel="frequency (Hz)", title="output='log': log power spectrogram")
fig.colorbar(mesh, ax=axes[1], label="log power")
band = np.arange(mel_spec.n_bins_)
mesh = axes[2].pcolormesh(times, band, log_mel.T, shading="nearest")
axes[2].set(ylabel="mel band", title="output='mel': 40 log-mel energies")
fig.colorbar(mesh, ax=axes[2], label="log energy")
# MFCC 0 is the overall log energy and dwarfs the others: leave it out
mesh = axes[3].pcolormesh(
    times, np.arange(1, 13), mfcc[:, 1:].T, shading="nearest", cmap="coolwarm"
)
axes[3].set(xlabel="time (s)", ylabel="coefficient", title="output='mfcc': MFCC 1-12")
fig.colorbar(mesh, ax=axes[3], label="value")
plt.show()

# %%
# The ten digits as log-mel sequences
# -----------------------------------
#
# Given a list, the transformer returns a list: one ``(n_frames, 40)`` array
# per clip, as long as the clip.  This ragged list is exactly the input
# :class:`~sklstm.LSTMClassifier` accepts.

features = SpectrogramTransformer(**params).fit_transform(clips)
print("Frames per clip:", [f.shape[0] for f in features])

fig, axes = plt.subplots(2, 5, figsize=(10, 4.5), sharey=True, layout="constrained")
vmin = min(f.min() for f in features)
vmax = max(f.max() for f in features)
for digit, ax in zip(digits, axes.ravel(), strict=True):
    f = features[digit]
    ax.imshow(
        f.T,
        origin="lower",
        aspect="auto",
        vmin=vmin,
        vmax=vmax,
        extent=(0, 1000 * len(clips[digit]) / sr, -0.5, 39.5),
    )
    ax.set_title(f"digit {digit}")
for ax in axes[1]:
    ax.set_xlabel("time (ms)")
for ax in axes[:, 0]:
    ax.set_ylabel("mel band")
plt.show()

# %%
# Per-utterance normalisation removes the recording level
# -------------------------------------------------------
#
# The same words recorded closer to the microphone, or with more gain, are
# louder: every value of a log spectrogram then shifts by the same constant
# (``log(0.1**2) = -4.6`` for a clip ten times quieter).  ``normalise=True``
# subtracts from each band its mean over the clip's frames and divides by its
# standard deviation, so the level, and any fixed colouring by the
# microphone, disappears.  ``normalise='mean'``, the default, only subtracts
# the mean.

loud = clip / 32768
quiet = 0.1 * loud
raw = SpectrogramTransformer(**params)
normalised = SpectrogramTransformer(**{**params, "normalise": True})
raw_loud, raw_quiet = raw.transform([loud, quiet])
norm_loud, norm_quiet = normalised.transform([loud, quiet])
gap_raw = np.abs(raw_loud - raw_quiet).max()
gap_normalised = np.abs(norm_loud - norm_quiet).max()
print(f"Largest difference without normalisation: {gap_raw:.2f}")
print(f"Largest difference with normalisation:    {gap_normalised:.1e}")

fig, axes = plt.subplots(1, 2, figsize=(9, 3.5), layout="constrained")
axes[0].plot(raw_loud.mean(axis=0), label="original")
axes[0].plot(raw_quiet.mean(axis=0), "--", label="x 0.1")
axes[0].set(xlabel="mel band", ylabel="mean log energy", title="normalise=False")
axes[0].legend()
axes[1].plot(norm_loud[:, 5], label="original")
axes[1].plot(norm_quiet[:, 5], "--", label="x 0.1")
axes[1].set(xlabel="frame", ylabel="band 5", title="normalise=True: identical")
axes[1].legend()
plt.show()

# %%
# The defaults: a front end for speech
# ------------------------------------
#
# ``SpectrogramTransformer(sampling_rate=sr)`` with nothing else set is the
# front end that carried over best to voices absent from the training data
# (see the speech part of the User Guide): it starts the 40 mel bands at
# 100 Hz (``fmin=100``), drops the silence before and after the word
# (``trim_db=20``), raises everything more than 40 dB below the clip's peak
# to that floor (``floor_db=40``), subtracts each band's mean over the clip
# (``normalise='mean'``) and joins three frames into each row (``stack=3``):
# an LSTM step of 30 ms, 120 values.  Trimmed clips lose different numbers
# of frames, so the output is always a list.  Below, the three frames of
# each row are drawn side by side again.

speech = SpectrogramTransformer(sampling_rate=sr)
steps = speech.fit_transform(clips)
print("Frames per clip, plain:     ", [f.shape[0] for f in features])
print("Steps per clip, the defaults:", [s.shape[0] for s in steps])
print("Values per step:", speech.n_bins_)

unstacked = steps[7].reshape(-1, speech.n_bins_ // speech.stack)
fig, axes = plt.subplots(1, 2, figsize=(9, 3.5), sharey=True, layout="constrained")
axes[0].imshow(features[7].T, origin="lower", aspect="auto")
axes[0].set(xlabel="frame (10 ms)", ylabel="mel band", title="plain log-mel")
axes[1].imshow(unstacked.T, origin="lower", aspect="auto")
axes[1].set(xlabel="frame (10 ms)", title="defaults: trimmed, floored, mean removed")
plt.show()
