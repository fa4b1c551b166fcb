"""
=======================================
Spoken digits: words and their spelling
=======================================

The speech row of sklstm's use cases, on the Free Spoken Digit Dataset
(FSDD: the digits zero to nine, fifty times each by four speakers, 8 kHz).
Two pipelines read the same spectrogram frames:

* **words**: :class:`~sklstm.SpectrogramTransformer` →
  :class:`~sklstm.Normaliser` → :class:`~sklstm.LSTMClassifier`, one label
  per recording, adapted to the new voice by
  :class:`~sklstm.SpeakerAdaptedClassifier`;
* **characters**: the same front end → :class:`~sklstm.LSTMTranscriber`,
  which spells out what it hears letter by letter.  It is trained with the
  CTC loss from the transcripts alone: nobody told it which frames belong
  to which letter.

The test speaker is one the models never heard, as in real use.  If the
dataset is not there, the example uses generated recordings
(:func:`~sklstm.datasets.make_spoken_words`) instead.
"""

# %%
# The recordings and the split
# ----------------------------
#
# :func:`~sklstm.datasets.load_wav_folder` reads the WAV files, their labels
# ('0' to '9') and their speakers.  We spell the labels as words
# (``'seven'``) for the transcriber, train on three speakers and test on
# the fourth.

import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.pipeline import make_pipeline

from sklstm import (
    LSTMClassifier,
    LSTMTranscriber,
    Normaliser,
    SpeakerAdaptedClassifier,
    SpectrogramTransformer,
    augment_channels,
)
from sklstm.datasets import (
    DIGIT_WORDS,
    find_shared_data,
    load_wav_folder,
    make_spoken_words,
)
from sklstm.metrics import character_error_rate

FSDD = find_shared_data("fsdd/recordings")  # None without the real data
if FSDD is not None:
    wavs = load_wav_folder(FSDD)
    clips, speaker = wavs.data, wavs.speaker
    words = np.array(DIGIT_WORDS)[wavs.target.astype(int)]
    test_speaker = "george"
    loose_speaker = "lucas"  # whose recordings keep the room noise around words
else:
    print("FSDD not found: using generated recordings.")
    clips, words, speaker = make_spoken_words(
        2000, n_speakers=4, return_speaker=True, random_state=0
    )
    test_speaker = 0
    loose_speaker = 1
test = speaker == test_speaker
X_train = [c for c, t in zip(clips, test, strict=True) if not t]
X_test = [c for c, t in zip(clips, test, strict=True) if t]
y_train, y_test = words[~test], words[test]
print(f"{len(X_train)} training clips, {len(X_test)} test clips by {test_speaker!r}")

# %%
# What the LSTM reads
# -------------------
#
# Each clip becomes 40 log-mel energies every 10 ms.  The defaults of
# :class:`~sklstm.SpectrogramTransformer` are a front end for speech, chosen
# for speakers absent from the training data; only the sampling rate is
# ours to give.  ``trim_db=20`` drops the silence before and after the word
# (some speakers' recordings are cut tightly, others keep a tenth of a
# second of room noise on each side, and a sequence model would read it as
# part of the word), ``floor_db=40`` raises everything more than 40 dB below
# the clip's peak to that floor (microphones differ in their hiss, which
# then reads the same in every clip), and ``normalise='mean'`` subtracts
# each band's mean over the clip, which removes the microphone's and the
# room's colouring.  ``fmin=100`` starts the mel bands at 100 Hz, above the
# rumble below the voice.  Here, a training clip of the speaker whose
# recordings are cut loosely, next to the plain log-mel spectrogram, which
# those settings turned off give.
#
# A fifth default, ``stack=3``, joins three frames into one step of the
# LSTM: 120 values every 30 ms.  The network has a third as many steps to
# carry a word through and trains faster; on unseen speakers it recognised
# more words.  The figure draws the three frames of each step side by side.

front = SpectrogramTransformer(sampling_rate=8000)  # the speech front end
raw = SpectrogramTransformer(  # log-mel as recorded, one frame per row
    sampling_rate=8000, fmin=0, normalise=False, trim_db=None, floor_db=None, stack=1
)
shown = int(np.flatnonzero(speaker == loose_speaker)[0])
clip = clips[shown]
fig, axes = plt.subplot_mosaic(
    [["wave", "wave"], ["raw", "front"]], figsize=(8, 6), layout="constrained"
)
axes["wave"].plot(np.arange(len(clip)) / 8000, clip, lw=0.5)
axes["wave"].set(title=f"'{words[shown]}': waveform", xlabel="seconds")
for ax, step, title in [
    (axes["raw"], raw, "log-mel, as recorded"),
    (axes["front"], front, "defaults: trimmed, floored, centred"),
]:
    frames = step.fit_transform([clip])[0]
    frames = frames.reshape(-1, step.n_bins_ // step.stack)  # a row per frame
    ax.imshow(frames.T, origin="lower", aspect="auto", cmap="magma")
    ax.set(title=title, xlabel="frame (10 ms)", ylabel="mel band")
plt.show()

# %%
# Other microphones
# -----------------
#
# Microphones differ most at the edges of the band: george's recordings,
# for one, lack the lowest bands.  :func:`~sklstm.augment_channels` adds to
# the training clips a copy of each through a high-pass filter (a random
# cutoff from 80 to 300 Hz) and one through a low-pass filter (2000 to 3800
# Hz), so the models learn the words through several channels.  Only the
# training clips are augmented.

X_train, y_train = augment_channels(
    X_train, y_train, sampling_rate=8000, random_state=0
)
print(f"{len(X_train)} training clips with the filtered copies")

# %%
# Words: a classifier over whole clips
# ------------------------------------
#
# The classifier reads the frames of a clip and predicts its word from its
# last hidden states.  Clips of different lengths go in as a plain list.
# ``bidirectional=True`` reads every clip both ways, so the word's start is
# as fresh in the network's memory as its end: it was the better choice on
# every split of ``benchmarks/bench_speech.py``.  The pipeline is wrapped in
# :class:`~sklstm.SpeakerAdaptedClassifier` (next section), which fits it
# as it is: ``words_model.estimator_`` is the plain pipeline.

words_model = SpeakerAdaptedClassifier(
    make_pipeline(
        SpectrogramTransformer(sampling_rate=8000),
        Normaliser(),
        LSTMClassifier(bidirectional=True, random_state=0),
    )
)
start = time.perf_counter()
words_model.fit(X_train, y_train)
print(f"trained in {time.perf_counter() - start:.0f} s")
plain = words_model.estimator_.score(X_test, y_test)
print(f"word accuracy on the unseen speaker: {plain:.3f}")

# %%
# Words: adapted to the new voice
# -------------------------------
#
# A voice's formants, the resonances that tell vowels apart, sit a few
# percent higher or lower than other voices', by the length of the
# speaker's vocal tract.  ``SpectrogramTransformer(warp=...)`` moves the mel
# filters by such a factor (vocal tract length normalisation), and
# :class:`~sklstm.SpeakerAdaptedClassifier` picks the factor for each
# speaker when it predicts, without labels: the one under which the
# classifier's predictions for that speaker's clips are most informative,
# confident for each clip and varied across them.  All the test clips are
# one speaker's, so no ``groups`` are needed (with several speakers, pass
# ``groups=speaker``).

warp = words_model.select_warps(X_test)[0]
predicted = words_model.predict(X_test)
print(f"warp chosen for the unseen speaker: {warp:.2f}")
print(f"word accuracy, adapted: {np.mean(predicted == y_test):.3f}")

# %%
# For a look behind the choice, the accuracy under each warp on its own
# (which needs the labels the adaptation never sees):

pipeline = words_model.estimator_
by_warp = [
    pipeline.set_params(spectrogramtransformer__warp=w).score(X_test, y_test)
    for w in words_model.warps_
]
pipeline.set_params(spectrogramtransformer__warp=1.0)
fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
ax.plot(words_model.warps_, by_warp, "o-")
ax.axvline(warp, color="C1", ls="--", label="chosen without labels")
ax.set(xlabel="warp of the mel filters", ylabel="word accuracy")
ax.set_title("Unseen speaker, each warp")
ax.legend()
plt.show()

# %%
# The confusion matrix of the adapted predictions: each row is a word
# said, each column the word recognised, so the mistakes are the numbers
# off the diagonal.

fig, ax = plt.subplots(figsize=(7, 6.5), layout="constrained")
ConfusionMatrixDisplay.from_predictions(
    y_test,
    predicted,
    labels=list(DIGIT_WORDS),
    ax=ax,
    colorbar=False,
    xticks_rotation=45,
    text_kw={"fontsize": 12},
)
ax.set_title("Words, unseen speaker, adapted", fontsize=13)
ax.set_xlabel("recognised word", fontsize=12)
ax.set_ylabel("word said", fontsize=12)
ax.tick_params(labelsize=11)
plt.show()

# %%
# Characters: CTC transcription
# -----------------------------
#
# :class:`~sklstm.LSTMTranscriber` emits, at every step, a distribution
# over the letters and a *blank*.  The CTC loss sums the probability of
# every way of laying the letters of the target over the frames, so the
# transcripts are all the supervision it needs.  A transcript needs an
# output frame per letter, and at the default 30 ms steps a quickly spoken
# "six" can be two steps long: the transcriber's ``frame_repeat='auto'``
# would then read every step twice.  Pairs of frames (``stack=2``, 20 ms
# steps, each read once) spelled better here (character error rate 0.246
# against 0.319 with the lexicon, in one fit) and train faster.

speller = make_pipeline(
    SpectrogramTransformer(sampling_rate=8000, stack=2),
    Normaliser(),
    LSTMTranscriber(random_state=0),
)
start = time.perf_counter()
speller.fit(X_train, y_train)
print(f"trained in {time.perf_counter() - start:.0f} s")
speller_step = speller[-1]
print(f"each step read {speller_step.frame_repeat_} time(s)")

# %%
# To see what it spells, we decode greedily: the likeliest symbol per
# frame, repeats merged and blanks dropped.  The decoder is a parameter of
# prediction only: no refit is needed.

speller.set_params(lstmtranscriber__decoder="greedy")
spelled = speller.predict(X_test)
cer = character_error_rate(y_test, spelled)
print(f"character error rate on the unseen speaker: {cer:.3f}")
print(f"transcripts that are exactly the word: {np.mean(spelled == y_test):.3f}")
for truth, guess in list(zip(y_test, spelled, strict=True))[:: len(y_test) // 12]:
    edits = character_error_rate([truth], [guess]) * len(truth)
    print(f"  {truth:>6} -> {guess:<8} edits: {edits:.0f}")

# %%
# By default (``decoder='auto'``), ten words said many times each are a
# closed vocabulary, and the transcriber decodes with the lexicon
# (``decoder_``): it returns the training transcript whose alignments have
# the highest total probability under CTC, instead of spelling freely.

speller.set_params(lstmtranscriber__decoder="auto")
print(f"default decoder: {speller_step.decoder_!r}")
words_from_spelling = speller.predict(X_test)
print(f"lexicon decoding: CER {character_error_rate(y_test, words_from_spelling):.3f}")
print(f"words right: {np.mean(words_from_spelling == y_test):.3f}")

# %%
# Where the letters are emitted
# -----------------------------
#
# The per-step probabilities show how CTC works: the blank wins almost
# everywhere, and each letter appears as a short spike at the moment the
# network is sure of it, in the order of the spelling.

frames = speller[:-1].transform(X_test[:1])
proba = np.exp(speller_step.predict_log_proba_frames(frames)[0])
fig, ax = plt.subplots(figsize=(8, 3))
ax.plot(proba[:, 0], color="0.6", lw=1, label="blank")
for k, letter in enumerate(speller_step.classes_, start=1):
    if proba[:, k].max() > 0.3:
        t = int(proba[:, k].argmax())
        ax.plot(proba[:, k], lw=1.5)
        ax.annotate(letter, (t, proba[t, k]), ha="center", va="bottom")
ax.set(
    title=f"'{y_test[0]}' heard as '{spelled[0]}'",
    xlabel=f"frame ({20 / speller_step.frame_repeat_:g} ms)",
    ylabel="probability",
)
ax.legend(loc="center right")
fig.tight_layout()
plt.show()

# %%
# How this compares
# -----------------
#
# ``benchmarks/bench_speech.py`` runs both pipelines on every held-out
# speaker in turn and on the dataset's usual split (recordings 0 to 4 of
# every speaker for testing).  New recordings of the training voices are
# easy: 0.990 to 0.995 of the words, and a character error rate of 0.009
# to 0.013.  An unseen voice is much harder (0.778 of the words, character
# error rate 0.266 on average over the four speakers; george, held out
# here, is the hardest at about 0.71), because three training voices are
# few to learn what varies between voices.  Adapted to each speaker, the
# classifier recognised 0.820 of the unseen speakers' words (george's
# 0.765).  With ``decoder='lexicon'``, the transcriber picks the likeliest
# of the ten digit names: character error rate 0.215, and about as many
# words right as the unadapted classifier.  ``benchmarks/README.md`` lists
# what else was tried.
