"""
=====================================
Real data and its synthetic stand-ins
=====================================

:mod:`sklstm.datasets` has two kinds of functions.  *Loaders* read the files
of standard data sets from your disk (nothing is ever downloaded);
*generators* make synthetic data that imitates those data sets, so that
demos, documentation and tests run anywhere.

This example puts each real data set next to its stand-in:

* heartbeats of ECG5000 and :func:`~sklstm.datasets.make_ecg_beats`;
* the daily close of the S&P 500 and
  :func:`~sklstm.datasets.make_price_series`;
* a recording of the Free Spoken Digit Dataset and
  :func:`~sklstm.datasets.make_spoken_words`;
* review sentences and a text corpus, from
  :func:`~sklstm.datasets.make_sentiment_texts` and
  :func:`~sklstm.datasets.make_text_corpus`.

When the real files are not available, only the generated data is shown.
"""

# %%
# Where the real data lives
# -------------------------
#
# The loaders take a path.  :func:`~sklstm.datasets.find_shared_data` finds
# the folder of real data sets on this machine (the ``SKLSTM_DATA``
# environment variable, else ``shared/data`` beside the source checkout),
# and returns ``None`` for a data set that is not there.

import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import kurtosis, norm

from sklstm import Normaliser
from sklstm.datasets import (
    ECG_ANOMALIES,
    find_shared_data,
    load_polarity,
    load_price_csv,
    load_text,
    load_ucr,
    load_wav_folder,
    make_ecg_beats,
    make_price_series,
    make_sentiment_texts,
    make_spoken_words,
    make_text_corpus,
)

print(f"Data folder: {find_shared_data()}")  # None: the generated data only


def available(name):
    """The path of data set ``name``, or None (and a message) without it."""
    path = find_shared_data(name)
    if path is None:
        print(f"{name} not found: showing the generated data only.")
    return path


# %%
# Heartbeats: ECG5000 and ``make_ecg_beats``
# ------------------------------------------
#
# ECG5000 is a UCR archive file: one beat of 140 samples per line, after its
# class label.  :func:`~sklstm.datasets.load_ucr` reads it into a
# ``(n_beats, 140)`` array and integer labels.  Class 1 is a normal beat;
# classes 2 to 5 are abnormal ones (mostly premature ventricular
# contractions).
#
# :func:`~sklstm.datasets.make_ecg_beats` draws a beat as a sum of bumps
# (P wave, QRS complex, T wave) with random timing and shape, plus baseline
# wander and noise.  Its anomalies are of five kinds, listed in
# ``ECG_ANOMALIES``.  Like the binary ECG5000 test file, it labels normal
# beats 1 and anomalies 0.  ECG5000 beats are z-normalised one by one, and
# generated beats are not, so a per-sequence :class:`~sklstm.Normaliser`
# puts them on the same scale for the plots.

X_gen, _, kind = make_ecg_beats(
    600, anomaly_fraction=5 / 6, return_kind=True, random_state=0
)
X_gen = Normaliser(per_sequence=True).fit_transform(X_gen)
print("Generated beats:", X_gen.shape, "kinds:", ", ".join(ECG_ANOMALIES))

ecg_file = available("ecg5000/ECG5000_TRAIN.tsv")
real_ecg = ecg_file is not None
panels = ["normal", *ECG_ANOMALIES]
if real_ecg:
    ecg = load_ucr(ecg_file)
    classes, counts = np.unique(ecg.target, return_counts=True)
    print(
        "ECG5000 train:",
        ecg.data.shape,
        "beats per class:",
        dict(zip(classes.tolist(), counts.tolist(), strict=True)),
    )
    mosaic = [["ECG5000 normal", *panels[:3]], ["ECG5000 abnormal", *panels[3:]]]
else:
    mosaic = [panels[:3], panels[3:]]

fig, axes = plt.subplot_mosaic(
    mosaic,
    figsize=(12 if real_ecg else 9, 5.5),
    sharex=True,
    sharey=True,
    layout="constrained",
)
steps = np.arange(X_gen.shape[1])
reference = X_gen[kind == "normal"].mean(axis=0)


def draw_beats(ax, beats, colour, title):
    """A few beats in thin lines and their mean in a thick one."""
    ax.plot(steps, beats[:8].T, color=colour, linewidth=0.6, alpha=0.5)
    ax.plot(steps, beats.mean(axis=0), color=colour, linewidth=2)
    ax.set_title(title)


for name in panels:
    colour = "tab:blue" if name == "normal" else "tab:red"
    draw_beats(axes[name], X_gen[kind == name], colour, f"generated: {name}")
    if name != "normal":  # the mean normal beat, for comparison
        axes[name].plot(steps, reference, "k--", linewidth=1)
if real_ecg:
    normal = ecg.target == 1
    draw_beats(
        axes["ECG5000 normal"],
        ecg.data[normal],
        "tab:green",
        "ECG5000: class 1 (normal)",
    )
    draw_beats(
        axes["ECG5000 abnormal"],
        ecg.data[~normal],
        "tab:orange",
        "ECG5000: classes 2-5",
    )
for ax in axes.values():
    if ax.get_subplotspec().is_last_row():
        ax.set_xlabel("sample")
    if ax.get_subplotspec().is_first_col():
        ax.set_ylabel("z-score")
fig.suptitle("Heartbeats, z-normalised per beat (dashed: mean generated normal)")
plt.show()

# %%
# The two do not look alike, and that is worth knowing.  ECG5000 windows are
# cut at a different phase of the heart cycle: each starts at a deep trough
# (most likely the QRS complex, pointing down in this lead) and runs on to
# the T wave and the start of the next beat.
# The generator centres one textbook beat, R peak up, in the window.  What
# the stand-in shares with ECG5000 is the format and the task: 140-sample
# beats, label 1 for normal, and anomalies that show in the shape over time
# rather than in any single value.  Its ``'premature'`` kind (early, wide,
# no P wave) is the counterpart of ECG5000's commonest abnormal classes, the
# premature ventricular contractions; the other kinds change one detail
# only, which makes them harder to catch.  A model tuned on one data set
# will not carry over to the other as it is.

# %%
# Prices: the S&P 500 and ``make_price_series``
# ---------------------------------------------
#
# :func:`~sklstm.datasets.load_price_csv` reads a CSV export with a date
# column.  It recognises this file's ``dd-mm-yy`` dates by itself and
# returns the ``Close`` column as a 1-D array with ``datetime64`` dates.
#
# :func:`~sklstm.datasets.make_price_series` simulates a path with fat-tailed
# daily returns, calm and turbulent periods, and a slow cycle around the
# trend.  Here its drift and volatility are set close to those of the index.

price_file = available("sp500_daily/sp500.csv")
real_prices = price_file is not None
if real_prices:
    sp500 = load_price_csv(price_file)
    series = {"S&P 500 close": (sp500.dates, sp500.data)}
    n_days, start = len(sp500.data), sp500.data[0]
else:
    series = {}
    n_days, start = 4697, 1469.25
generated = make_price_series(
    n_days, start=start, drift=0.00015, volatility=0.0085, random_state=1
)
series["make_price_series"] = (np.arange(n_days), generated)

fig, axes = plt.subplots(
    2,
    len(series),
    figsize=(5 * len(series), 6),
    squeeze=False,
    layout="constrained",
)
bins = np.linspace(-0.1, 0.1, 81)
grid = np.linspace(-0.1, 0.1, 400)
for column, (name, (x, prices)) in enumerate(series.items()):
    returns = np.diff(np.log(prices))
    print(
        f"{name:>18}: daily log return std {returns.std():.4f}, "
        f"excess kurtosis {kurtosis(returns):.1f}"
    )
    axes[0, column].plot(x, prices, linewidth=0.8)
    axes[0, column].set(
        title=name,
        ylabel="price",
        xlabel="date" if name.startswith("S&P") else "trading day",
    )
    axes[1, column].hist(returns, bins=bins, density=True, color="tab:gray")
    axes[1, column].plot(
        grid,
        norm.pdf(grid, returns.mean(), returns.std()),
        "r",
        linewidth=1,
        label="normal density, same std",
    )
    axes[1, column].set(
        yscale="log", ylim=(1e-2, None), xlabel="daily log return", ylabel="density"
    )
    axes[1, column].legend(loc="upper left", fontsize="small")
plt.show()

# %%
# On a log scale the histograms show the *fat tails*: days of ±5 % are rare,
# but far more frequent than a normal distribution with the same standard
# deviation allows (an excess kurtosis above 0).  Real and generated returns
# share this, though the index's tails are heavier still.  Both paths wander
# far from where they started, through calm and turbulent stretches; one
# generated path need not resemble the index (try other ``random_state``
# values), which is why the return statistics are the fairer comparison.

# %%
# Speech: FSDD and ``make_spoken_words``
# --------------------------------------
#
# :func:`~sklstm.datasets.load_wav_folder` reads every WAV file of a folder
# and parses the label, speaker and index from the FSDD file names
# ``{digit}_{speaker}_{index}.wav``.  The waveforms come back as a list of
# float32 arrays in [-1, 1], since the clips differ in length.
#
# :func:`~sklstm.datasets.make_spoken_words` builds words out of
# phoneme-like segments: vowels are a voice source through three formant
# resonances, consonants are filtered noise.  It returns the same ragged
# list of float32 waveforms and the words as labels.

RATE = 8000  # samples per second of FSDD and of the generated clips
speech, words = make_spoken_words(20, sampling_rate=RATE, random_state=0)
fake = speech[list(words).index("seven")]
clips = {}
wav_folder = available("fsdd/recordings")
if wav_folder is not None:
    fsdd = load_wav_folder(wav_folder)
    lengths = np.array([len(wave) for wave in fsdd.data]) / fsdd.sampling_rate
    print(
        f"FSDD: {len(fsdd.data)} clips, {len(set(fsdd.speaker))} speakers, "
        f"{fsdd.sampling_rate} Hz, median {np.median(lengths):.2f} s"
    )
    pick = (fsdd.target == "7") & (fsdd.speaker == "jackson") & (fsdd.index == 0)
    clips["FSDD: '7' by jackson"] = fsdd.data[int(np.flatnonzero(pick)[0])]
lengths = np.array([len(wave) for wave in speech]) / RATE
print(
    f"make_spoken_words: {len(speech)} clips, {RATE} Hz, "
    f"median {np.median(lengths):.2f} s"
)
clips["make_spoken_words: 'seven'"] = fake

fig, axes = plt.subplots(
    1,
    len(clips),
    figsize=(5 * len(clips), 3),
    squeeze=False,
    sharey=True,
    layout="constrained",
)
for ax, (name, wave) in zip(axes[0], clips.items(), strict=True):
    ax.plot(np.arange(len(wave)) / RATE, wave, linewidth=0.4)
    ax.set(title=name, xlabel="time (s)")
axes[0, 0].set_ylabel("amplitude")
plt.show()

# %%
# The details differ: the synthetic *s* is a loud hiss where the speaker's is
# faint, and the synthetic voice is buzzier.  The structure that a model has
# to learn is shared: a fricative, then two voiced syllables whose spectra
# carry the identity of the word.  For an LSTM either clip becomes a sequence
# of spectrogram frames first: see
# :ref:`sphx_glr_auto_examples_plot_spectrogram.py`.

# %%
# Text: review sentences and a corpus
# -----------------------------------
#
# :func:`~sklstm.datasets.make_sentiment_texts` writes short film-review
# sentences in the style of the sentence polarity data set (lower case,
# punctuation split off), with label 1 for positive and 0 for negative, as
# :func:`~sklstm.datasets.load_polarity` returns them.  Negations and
# contrasts ("..., but ...") make word order matter.

texts, labels = make_sentiment_texts(6, random_state=0)
print("make_sentiment_texts:")
for label, text in zip(labels, texts, strict=True):
    print(f"  {label}  {text}")

polarity_folder = available("rt_polarity")
if polarity_folder is not None:
    polarity = load_polarity(polarity_folder)  # Windows-1252 files
    rng = np.random.RandomState(0)
    print("load_polarity:")
    for i in rng.choice(len(polarity.data), 4, replace=False):
        print(f"  {polarity.target[i]}  {polarity.data[i]}")

# %%
# :func:`~sklstm.datasets.make_text_corpus` writes plain text for next-word
# prediction: sentences of a small grammar in which verbs agree with their
# subject, even across a relative clause.  :func:`~sklstm.datasets.load_text`
# reads a real corpus, such as tiny Shakespeare, as one string.

print("make_text_corpus:")
print(make_text_corpus(60, random_state=0))

corpus_file = available("tiny_shakespeare/input.txt")
if corpus_file is not None:
    print("load_text:")
    print(load_text(corpus_file)[:240])
