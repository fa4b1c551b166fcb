# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""Synthetic data: memory tasks, and realistic data for each use case.

``make_memory_task`` and ``make_adding_problem`` are classic tasks that only
a recurrent model can solve; the other generators imitate the real data sets
of the use cases (prices, heartbeats, review sentences, text, speech) so that
demos, docs and tests run without downloads.
"""

from numbers import Integral, Real

import numpy as np
from scipy.signal import iirpeak, lfilter, sawtooth
from scipy.special import expit
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params


def make_memory_task(
    n_samples=1000, n_timesteps=101, *, n_classes=2, noise=1.0, random_state=None
):
    """Sequences whose class is set by the first timestep alone.

    The first timestep carries the class (one-hot over ``n_classes``
    features); the remaining ``n_timesteps - 1`` steps are Gaussian noise, so
    a model must carry the first value across the whole sequence.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of sequences.
    n_timesteps : int, default=101
        Length of every sequence.
    n_classes : int, default=2
        Number of classes.
    noise : float, default=1.0
        Standard deviation of the noise steps.
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    X : ndarray of shape (n_samples, n_timesteps, n_classes)
        Sequences, float32.
    y : ndarray of shape (n_samples,)
        Class of each sequence (ints).

    Examples
    --------
    >>> from sklstm.datasets import make_memory_task
    >>> X, y = make_memory_task(n_samples=4, n_timesteps=5, random_state=0)
    >>> X.shape, y.shape
    ((4, 5, 2), (4,))
    """
    rng = check_random_state(random_state)
    if n_timesteps < 1 or n_samples < 1 or n_classes < 2:
        raise ValueError("Need n_samples >= 1, n_timesteps >= 1 and n_classes >= 2.")
    y = rng.randint(0, n_classes, n_samples)
    X = (noise * rng.standard_normal((n_samples, n_timesteps, n_classes))).astype(
        np.float32
    )
    X[:, 0] = -1.0
    X[np.arange(n_samples), 0, y] = 1.0
    return X, y


def make_adding_problem(n_samples=1000, n_timesteps=50, *, random_state=None):
    """The adding problem (Hochreiter & Schmidhuber, 1997).

    Each timestep has two features: a value drawn uniformly from [0, 1] and
    a marker that is 1 at exactly two random positions and 0 elsewhere. The
    target is the sum of the two marked values, so the model must find and
    remember values that may lie far apart.  Predicting the mean (1.0)
    gives a mean squared error of about 1/6.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of sequences.
    n_timesteps : int, default=50
        Length of every sequence (at least 2).
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    X : ndarray of shape (n_samples, n_timesteps, 2)
        Values and markers, float32.
    y : ndarray of shape (n_samples,)
        Sum of the marked values.

    Examples
    --------
    >>> from sklstm.datasets import make_adding_problem
    >>> X, y = make_adding_problem(n_samples=3, n_timesteps=10, random_state=0)
    >>> X.shape, y.shape
    ((3, 10, 2), (3,))
    >>> X[:, :, 1].sum(axis=1)
    array([2., 2., 2.], dtype=float32)
    """
    rng = check_random_state(random_state)
    if n_timesteps < 2 or n_samples < 1:
        raise ValueError("Need n_samples >= 1 and n_timesteps >= 2.")
    values = rng.uniform(0, 1, (n_samples, n_timesteps))
    marks = np.zeros((n_samples, n_timesteps))
    first = rng.randint(0, n_timesteps, n_samples)
    second = (first + rng.randint(1, n_timesteps, n_samples)) % n_timesteps
    rows = np.arange(n_samples)
    marks[rows, first] = marks[rows, second] = 1
    X = np.stack([values, marks], axis=-1).astype(np.float32)
    return X, (values * marks).sum(axis=1)


# --------------------------------------------------------------------------
# Realistic synthetic data, one generator per use case
# --------------------------------------------------------------------------


def _regimes(n, stay, rng):
    """A two-state Markov chain (0 = calm, 1 = turbulent) of length ``n``."""
    states, filled, state = np.empty(n, dtype=np.int64), 0, 0
    while filled < n:
        run = rng.geometric(1.0 / stay[state])
        states[filled : filled + run] = state
        filled, state = filled + run, 1 - state
    return states


@validate_params(
    {
        "n_samples": [Interval(Integral, 2, None, closed="left")],
        "start": [Interval(Real, 0, None, closed="neither")],
        "drift": [Interval(Real, -0.1, 0.1, closed="both")],
        "volatility": [Interval(Real, 0, 0.2, closed="both")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_price_series(
    n_samples=2000,
    *,
    start=100.0,
    drift=0.0003,
    volatility=0.01,
    random_state=None,
):
    """A daily price path with volatility regimes and mean reversion.

    The log price is the sum of a random walk with drift (the trend) and a
    mean-reverting AR(1) component (a cycle around the trend, half-life about
    three weeks).  Daily shocks have fat tails (Student's t, 5 degrees of
    freedom) and their size switches between a calm regime and a turbulent
    one (2.5 times as volatile) that lasts about 50 days.  Tomorrow's price
    is therefore mostly today's price (the persistence baseline is hard to
    beat, as on real markets), but the cycle and the regimes leave a little
    for a sequence model to learn.

    Parameters
    ----------
    n_samples : int, default=2000
        Number of trading days.
    start : float, default=100.0
        Price on the first day.
    drift : float, default=0.0003
        Mean daily log return (0.0003 is about 8 % a year).
    volatility : float, default=0.01
        Standard deviation of the daily log return in the calm regime.
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    prices : ndarray of shape (n_samples,)
        Positive prices, float64, ``prices[0] == start``.

    See Also
    --------
    load_price_csv : Load real prices from a CSV file.

    Examples
    --------
    >>> from sklstm.datasets import make_price_series
    >>> prices = make_price_series(500, random_state=0)
    >>> prices.shape, float(prices[0]), bool(prices.min() > 0)
    ((500,), 100.0, True)
    """
    n = n_samples
    rng = check_random_state(random_state)

    sigma = volatility * np.where(_regimes(n, (250.0, 50.0), rng) == 1, 2.5, 1.0)
    df = 5
    shocks = rng.standard_t(df, (2, n)) / np.sqrt(df / (df - 2)) * sigma
    trend = np.cumsum(drift + 0.8 * shocks[0])
    cycle = lfilter([1.0], [1.0, -0.95], 0.6 * shocks[1])
    log_price = trend + cycle
    return start * np.exp(log_price - log_price[0])


# Gaussian bumps of a normal beat, as fractions of the window:
# centre, width, amplitude of the P wave, Q, R, S and the T wave.
_BEAT = np.array(
    [
        [0.20, 0.025, 0.15],
        [0.335, 0.009, -0.12],
        [0.35, 0.011, 1.0],
        [0.367, 0.010, -0.25],
        [0.62, 0.045, 0.30],
    ]
)
ECG_ANOMALIES = ("missing_p", "wide_qrs", "inverted_t", "st_shift", "premature")


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "n_timesteps": [Interval(Integral, 10, None, closed="left")],
        "anomaly_fraction": [Interval(Real, 0, 1, closed="both")],
        "noise": [Interval(Real, 0, None, closed="left")],
        "return_kind": ["boolean"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_ecg_beats(
    n_samples=1000,
    n_timesteps=140,
    *,
    anomaly_fraction=0.1,
    noise=0.03,
    return_kind=False,
    random_state=None,
):
    """Heartbeat-like waveforms, normal or anomalous (like ECG5000).

    Each beat is a sum of Gaussian bumps: the P wave, the QRS complex (Q, R,
    S) and the T wave, with jittered timing (heart rate), widths and
    amplitudes, a slow baseline wander and white noise.  Anomalous beats are
    of five realistic kinds, in equal shares:

    * ``'missing_p'``: no P wave, small fibrillatory waves instead (atrial
      fibrillation);
    * ``'wide_qrs'``: QRS two to three times as wide (bundle branch block);
    * ``'inverted_t'``: T wave upside down (ischaemia);
    * ``'st_shift'``: the segment between S and T raised or lowered
      (infarction);
    * ``'premature'``: the beat comes early, without P wave, with a wide QRS
      and a discordant T wave (premature ventricular contraction).

    Telling them from normal beats needs the shape over time, not a single
    value; some anomalies are subtle compared with the normal variation.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of beats.
    n_timesteps : int, default=140
        Samples per beat (ECG5000 has 140).
    anomaly_fraction : float, default=0.1
        Share of anomalous beats (rounded to a whole number of beats).
    noise : float, default=0.03
        Standard deviation of the white noise (the R peak is about 1).
    return_kind : bool, default=False
        If True, also return the kind of each beat.
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    X : ndarray of shape (n_samples, n_timesteps)
        The beats, float32, in millivolt-like units (not z-normalised per
        beat, unlike ECG5000: use a per-sequence normaliser for that).
    y : ndarray of shape (n_samples,)
        1 for a normal beat, 0 for an anomaly (as in the ECG5000 binary
        test file, where class 1 is normal).
    kind : ndarray of str of shape (n_samples,)
        Only if ``return_kind``: ``'normal'`` or one of the kinds above.

    See Also
    --------
    load_ucr : Load real beats, e.g. ECG5000, from a UCR archive file.

    Examples
    --------
    >>> from sklstm.datasets import make_ecg_beats
    >>> X, y, kind = make_ecg_beats(10, anomaly_fraction=0.5, return_kind=True,
    ...                             random_state=0)
    >>> X.shape, X.dtype, int(y.sum())
    ((10, 140), dtype('float32'), 5)
    >>> sorted(set(kind[y == 0]) - {'normal'}) == sorted(set(kind[y == 0]))
    True
    """
    n, T = n_samples, n_timesteps
    rng = check_random_state(random_state)

    n_anomalies = int(round(anomaly_fraction * n))
    kinds = np.array(["normal"] * (n - n_anomalies) + [""] * n_anomalies, dtype="<U10")
    kinds[n - n_anomalies :] = np.resize(ECG_ANOMALIES, n_anomalies)
    kinds = kinds[rng.permutation(n)]

    centre, width, amp = (np.tile(_BEAT[:, k], (n, 1)) for k in range(3))
    # Heart rate stretches the beat around the R peak; the whole beat shifts.
    stretch = rng.normal(1.0, 0.05, (n, 1))
    centre = 0.35 + (centre - 0.35) * stretch + rng.normal(0, 0.008, (n, 1))
    centre += rng.normal(0, 0.004, (n, 5))
    width *= rng.normal(1.0, 0.08, (n, 5)).clip(0.6)
    amp *= rng.normal(1.0, 0.1, (n, 1)) * rng.normal(1.0, 0.08, (n, 5))

    t = np.linspace(0.0, 1.0, T)
    extra = np.zeros((n, T))
    for name in ECG_ANOMALIES:
        rows = np.flatnonzero(kinds == name)
        m = len(rows)
        if name == "missing_p":
            amp[rows, 0] = 0.0
            freq = rng.uniform(5, 9, (m, 1))
            extra[rows] = 0.04 * np.sin(
                2 * np.pi * (freq * t + rng.uniform(0, 1, (m, 1)))
            )
        elif name == "wide_qrs":
            width[rows, 1:4] *= rng.uniform(2.2, 3.2, (m, 1))
            amp[rows, 2] *= 0.8
        elif name == "inverted_t":
            amp[rows, 4] *= -rng.uniform(0.6, 1.0, m)
        elif name == "st_shift":
            level = rng.choice([-1.0, 1.0], (m, 1)) * rng.uniform(0.12, 0.25, (m, 1))
            onset, offset = centre[rows, 3:4] + 0.02, centre[rows, 4:5] + 0.03
            extra[rows] = level * (
                expit((t - onset) / 0.01) - expit((t - offset) / 0.02)
            )
        else:  # premature ventricular contraction
            centre[rows] -= rng.uniform(0.08, 0.14, (m, 1))
            amp[rows, 0] = 0.0
            width[rows, 1:4] *= 1.8
            amp[rows, 4] = -rng.uniform(0.35, 0.5, m)
            width[rows, 4] *= 1.3

    bumps = amp[:, :, None] * np.exp(
        -0.5 * ((t - centre[:, :, None]) / width[:, :, None]) ** 2
    )
    wander = rng.normal(0, 0.05, (n, 1)) * np.sin(
        2 * np.pi * (rng.uniform(0.2, 1.0, (n, 1)) * t + rng.uniform(0, 1, (n, 1)))
    ) + rng.normal(0, 0.04, (n, 1)) * (t - 0.5)
    X = bumps.sum(axis=1) + extra + wander + noise * rng.standard_normal((n, T))
    y = (kinds == "normal").astype(np.int64)
    X = X.astype(np.float32)
    return (X, y, kinds) if return_kind else (X, y)


# Sentiment grammar: adjectives and verbs by polarity (0 = negative,
# 1 = positive), aspects of a film, intensifiers and neutral padding.
_ADJECTIVES = (
    (
        "bad",
        "boring",
        "dull",
        "awful",
        "terrible",
        "weak",
        "tedious",
        "predictable",
        "clumsy",
        "forgettable",
        "lifeless",
        "messy",
        "bland",
        "silly",
    ),
    (
        "good",
        "great",
        "excellent",
        "wonderful",
        "brilliant",
        "moving",
        "funny",
        "charming",
        "beautiful",
        "enjoyable",
        "clever",
        "delightful",
        "gripping",
        "touching",
    ),
)
_VERBS = (
    (("hated", "hate"), ("disliked", "dislike"), ("resented", "resent")),
    (("loved", "love"), ("enjoyed", "enjoy"), ("liked", "like"), ("admired", "admire")),
)
_ASPECTS = (
    "film",
    "movie",
    "story",
    "plot",
    "acting",
    "script",
    "cast",
    "direction",
    "dialogue",
    "ending",
    "soundtrack",
    "photography",
    "humour",
    "pacing",
    "lead performance",
)
_INTENSIFIERS = ("very", "really", "truly", "quite", "remarkably", "incredibly")
_OPENERS = ("overall ,", "to be honest ,", "in the end ,", "frankly ,", "all in all ,")
_CLOSERS = ("from start to finish", "for most of its running time", "if you ask me")


def _sentiment_sentence(label, rng):
    """One review sentence whose polarity is ``label``."""

    def pick(options):
        return options[rng.randint(len(options))]

    def adjective(polarity):
        intensifier = pick(_INTENSIFIERS) + " " if rng.rand() < 0.3 else ""
        return intensifier + pick(_ADJECTIVES[polarity])

    def clause(polarity, *, negated=False, aspect=None):
        start = f"the {aspect or pick(_ASPECTS)} {pick(('is', 'was'))}"
        if negated:
            return f"{start} {pick(('not', 'never'))} {adjective(1 - polarity)}"
        return f"{start} {adjective(polarity)}"

    def two_clauses(first, second, *, negated=False):
        """Two clauses about two different aspects."""
        one, two = rng.choice(len(_ASPECTS), 2, replace=False)
        return (
            clause(first, aspect=_ASPECTS[one]),
            clause(second, aspect=_ASPECTS[two], negated=negated),
        )

    template = rng.choice(8, p=[0.16, 0.2, 0.08, 0.1, 0.16, 0.1, 0.12, 0.08])
    if template == 0:
        words = clause(label)
    elif template == 1:
        words = clause(label, negated=True)
    elif template == 2:
        words = f"i {pick(_VERBS[label])[0]} the {pick(_ASPECTS)}"
    elif template == 3:
        words = f"i did not {pick(_VERBS[1 - label])[1]} the {pick(_ASPECTS)}"
    elif template == 4:
        words = "{} , but {}".format(*two_clauses(1 - label, label))
    elif template == 5:
        words = "although {} , {}".format(*two_clauses(1 - label, label))
    elif template == 6:
        words = f"a {adjective(label)} {pick(('film', 'movie', 'story'))}"
    else:
        words = "{} and {}".format(*two_clauses(label, label, negated=rng.rand() < 0.5))
    if rng.rand() < 0.25:
        words = f"{pick(_OPENERS)} {words}"
    if rng.rand() < 0.15:
        words = f"{words} {pick(_CLOSERS)}"
    return words + " ."


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_sentiment_texts(n_samples=1000, *, random_state=None):
    """Short film-review sentences labelled positive or negative.

    Sentences come from a small grammar in the style of the *sentence
    polarity* data set (lower case, tokens separated by spaces, final
    ``" ."``): plain statements (``"the acting was very good ."``),
    negations (``"the plot is never boring ."``, ``"i did not enjoy the
    film ."``), contrasts where the second clause wins (``"the script is
    dull , but the cast is wonderful ."``), intensifiers and neutral
    openers.  Word order matters: *"good ... , but ... bad"* and *"bad ...
    , but ... good"* hold the same words, so a bag-of-words model cannot be
    right on both, while a sequence model can.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of sentences.  The classes are balanced (they differ by at
        most one sentence).
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    texts : list of str
        The sentences.
    y : ndarray of shape (n_samples,)
        1 for a positive sentence, 0 for a negative one (as
        :func:`load_polarity`).

    See Also
    --------
    load_polarity : Load real review sentences.

    Examples
    --------
    >>> from sklstm.datasets import make_sentiment_texts
    >>> texts, y = make_sentiment_texts(4, random_state=0)
    >>> for text, label in zip(texts, y):
    ...     print(label, text)
    0 the photography is beautiful , but the movie was silly .
    1 overall , i enjoyed the lead performance .
    1 although the photography is dull , the cast is incredibly moving .
    0 all in all , the acting was lifeless and the photography is tedious .
    """
    rng = check_random_state(random_state)
    y = rng.permutation(np.resize([0, 1], n_samples))
    return [_sentiment_sentence(label, rng) for label in y], y


# Corpus grammar: nouns of two kinds, with the verbs and adjectives that suit
# each kind; verbs as (singular, plural) to enforce subject-verb agreement.
_NOUNS = {
    "animal": (
        ("cat", "cats"),
        ("dog", "dogs"),
        ("fox", "foxes"),
        ("horse", "horses"),
        ("bird", "birds"),
        ("owl", "owls"),
    ),
    "person": (
        ("king", "kings"),
        ("queen", "queens"),
        ("farmer", "farmers"),
        ("child", "children"),
        ("sailor", "sailors"),
        ("baker", "bakers"),
    ),
}
_NOUN_ADJECTIVES = {
    "animal": ("old", "little", "hungry", "grey", "wild", "lazy"),
    "person": ("old", "young", "wise", "tired", "kind", "proud"),
}
_TRANSITIVE = {
    "animal": (("chases", "chase"), ("watches", "watch"), ("follows", "follow")),
    "person": (
        ("sees", "see"),
        ("calls", "call"),
        ("helps", "help"),
        ("feeds", "feed"),
    ),
}
_INTRANSITIVE = {
    "animal": (("sleeps", "sleep"), ("runs", "run"), ("hides", "hide")),
    "person": (("sings", "sing"), ("waits", "wait"), ("laughs", "laugh")),
}
_DETERMINERS = (("the", "a", "this", "every"), ("the", "some", "these", "two", "many"))
_PLACES = ("garden", "river", "forest", "village", "castle", "market", "meadow")
_PREPOSITIONS = ("in", "near", "by", "behind", "across")
_ADVERBS = ("quietly", "slowly", "often", "again", "all day")


class _Grammar:
    """Random sentences of the corpus grammar, drawn with ``rng``."""

    def __init__(self, rng):
        self.rng = rng

    def pick(self, options):
        return options[self.rng.randint(len(options))]

    def noun_phrase(self, kind=None):
        """A noun phrase; returns (words, kind, plural)."""
        kind = kind or self.pick(("animal", "person"))
        plural = int(self.rng.rand() < 0.4)
        words = [self.pick(_DETERMINERS[plural])]
        if self.rng.rand() < 0.4:
            words.append(self.pick(_NOUN_ADJECTIVES[kind]))
        words.append(self.pick(_NOUNS[kind])[plural])
        if words[0] == "a" and words[1][0] in "aeiou":
            words[0] = "an"
        return words, kind, plural

    def sentence(self):
        words, kind, plural = self.noun_phrase()
        if self.rng.rand() < 0.2:  # object relative clause: agreement at a distance
            inner, inner_kind, inner_plural = self.noun_phrase()
            verb = self.pick(_TRANSITIVE[inner_kind])[inner_plural]
            words += ["that", *inner, verb]
        if self.rng.rand() < 0.55:
            obj, _, _ = self.noun_phrase()
            words += [self.pick(_TRANSITIVE[kind])[plural], *obj]
        else:
            words.append(self.pick(_INTRANSITIVE[kind])[plural])
            if self.rng.rand() < 0.3:
                words.append(self.pick(_ADVERBS))
        if self.rng.rand() < 0.4:
            words += [self.pick(_PREPOSITIONS), "the", self.pick(_PLACES)]
        return words


@validate_params(
    {
        "n_words": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_text_corpus(n_words=10000, *, random_state=None):
    """A plain-text corpus of simple English-like sentences.

    Sentences follow a small grammar: a subject (determiner, optional
    adjective, noun), an optional relative clause (``"the dog that the
    children feed"``), a verb that agrees in number with the subject and
    suits its kind (animals *chase* and *hide*, people *sing* and *feed*),
    an optional object, adverb and place.  Sentences end with ``"."`` and
    are grouped in paragraphs of one to five sentences, one per line.  A
    language model that follows the agreement and selection rules beats a
    unigram (and a bigram) model; the relative clauses need memory over
    several words.

    Parameters
    ----------
    n_words : int, default=10000
        The corpus has at least ``n_words`` white-space separated words and
        ends at the end of a sentence (so a few more words are possible).
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    text : str
        The corpus, lower case, ending with a newline.

    See Also
    --------
    load_text : Load a real plain-text corpus.

    Examples
    --------
    >>> from sklstm.datasets import make_text_corpus
    >>> text = make_text_corpus(50, random_state=0)
    >>> len(text.split()) >= 50, text.endswith(".\\n")
    (True, True)
    """
    rng = check_random_state(random_state)
    grammar = _Grammar(rng)
    lines, line, count = [], [], 0
    while count < n_words:
        sentence = " ".join(grammar.sentence())
        count += sentence.count(" ") + 1
        line.append(sentence + ".")
        if count >= n_words or rng.rand() < 0.3:
            lines.append(" ".join(line))
            line = []
    return "\n".join(lines) + "\n"


DIGIT_WORDS = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
)
# Phoneme-like segments.  Voiced sounds: (kind, duration in s, level,
# formant frequencies in Hz of an adult male voice, after Peterson & Barney).
# Noise sounds: (kind, duration, level, (centre frequency, quality factor)).
_VOWEL, _GLIDE, _NASAL = 0.12, 0.06, 0.07
_PHONEMES = {
    "i": ("voiced", _VOWEL, 1.0, (270, 2290, 3010)),
    "ih": ("voiced", _VOWEL, 1.0, (390, 1990, 2550)),
    "e": ("voiced", _VOWEL, 1.0, (530, 1840, 2480)),
    "ae": ("voiced", _VOWEL, 1.0, (660, 1720, 2410)),
    "a": ("voiced", _VOWEL, 1.0, (730, 1090, 2440)),
    "ah": ("voiced", _VOWEL, 1.0, (640, 1190, 2390)),
    "o": ("voiced", _VOWEL, 1.0, (570, 840, 2410)),
    "uh": ("voiced", _VOWEL, 1.0, (440, 1020, 2240)),
    "u": ("voiced", _VOWEL, 1.0, (300, 870, 2240)),
    "w": ("voiced", _GLIDE, 0.6, (300, 610, 2200)),
    "r": ("voiced", _GLIDE, 0.6, (420, 1300, 1600)),
    "l": ("voiced", _GLIDE, 0.6, (360, 1000, 2700)),
    "y": ("voiced", _GLIDE, 0.6, (260, 2100, 3000)),
    "n": ("voiced", _NASAL, 0.3, (250, 1600, 2600)),
    "m": ("voiced", _NASAL, 0.3, (250, 1100, 2300)),
    "s": ("noise", 0.09, 0.35, (3400, 3.0)),
    "sh": ("noise", 0.09, 0.35, (2300, 3.0)),
    "f": ("noise", 0.08, 0.12, (2500, 1.0)),
    "th": ("noise", 0.07, 0.1, (2800, 1.2)),
    "h": ("noise", 0.05, 0.1, (1500, 0.7)),
    "closure": ("noise", 0.045, 0.0, (1000, 1.0)),
    "t!": ("noise", 0.025, 0.3, (3200, 2.0)),
    "k!": ("noise", 0.025, 0.3, (1800, 3.0)),
    "p!": ("noise", 0.02, 0.2, (900, 1.0)),
}
# Voiced fricatives and stops: a noise segment plus a weak voice bar.
_VOICE_BAR = {"z": "s", "zh": "sh", "v": "f", "dh": "th", "b": "p", "d": "t", "g": "k"}
_STOPS = {"t": "t!", "k": "k!", "p": "p!", "b": "p!", "d": "t!", "g": "k!"}
_PRONUNCIATIONS = {
    "zero": ("z", "ih", "r", "o", "u"),
    "one": ("w", "ah", "n"),
    "two": ("t", "u"),
    "three": ("th", "r", "i"),
    "four": ("f", "o", "r"),
    "five": ("f", "a", "ih", "v"),
    "six": ("s", "ih", "k", "s"),
    "seven": ("s", "e", "v", "ah", "n"),
    "eight": ("e", "ih", "t"),
    "nine": ("n", "a", "ih", "n"),
}
# Other words are spoken letter by letter with these sounds.
_LETTERS = dict(
    zip(
        "abcdefghijklmnopqrstuvwxyz",
        "ae b k d e f g h ih z k l m n o p k r s t uh v w ks y z".split(),
        strict=True,
    )
)


def _pronounce(word):
    """Phonemes of ``word``, stops split into closure and burst."""
    if word.lower() in _PRONUNCIATIONS:
        phonemes = _PRONUNCIATIONS[word.lower()]
    else:
        letters = [c for c in word.lower() if c not in " -'"]
        unknown = [c for c in letters if c not in _LETTERS]
        if not letters or unknown:
            raise ValueError(
                f"Cannot pronounce the word {word!r}: words must be made of "
                "the letters a to z (spaces, hyphens and apostrophes are skipped)."
            )
        phonemes = []
        for c in letters:
            phonemes += ["k", "s"] if c == "x" else [_LETTERS[c]]
    segments = []
    for ph in phonemes:
        if ph in _STOPS:
            segments += [("closure", ph in _VOICE_BAR), (_STOPS[ph], False)]
        else:
            segments.append((_VOICE_BAR.get(ph, ph), ph in _VOICE_BAR))
    return segments


def _speak(segments, speaker, rng, sampling_rate):
    """One clip of a word spoken by ``speaker`` = (pitch Hz, formant scale)."""
    pitch, scale = speaker
    scale *= rng.normal(1.0, 0.05)
    speed = rng.uniform(0.7, 1.4)
    durations = np.array([_PHONEMES[ph][1] for ph, _ in segments])
    durations *= speed * rng.uniform(0.7, 1.4, len(segments))
    bounds = np.concatenate([[0], np.cumsum(durations)]) * sampling_rate
    bounds = np.round(bounds).astype(int)
    n = bounds[-1]

    # Sources: a glottal sawtooth with a falling pitch contour, and noise.
    f0 = pitch * rng.uniform(0.93, 1.07) * np.linspace(1.06, 0.9, n)
    glottal = sawtooth(2 * np.pi * np.cumsum(f0) / sampling_rate)
    hiss = rng.standard_normal(n)

    fade = int(0.012 * sampling_rate)  # cross-fade between segments
    wave = np.zeros(n)
    for (ph, voice_bar), start, stop in zip(
        segments, bounds[:-1], bounds[1:], strict=True
    ):
        kind, _, level, shape = _PHONEMES[ph]
        lo, hi = max(start - fade, 0), min(stop + fade, n)
        if kind == "voiced":
            part = np.zeros(hi - lo)
            jitter = rng.normal(1.0, 0.1, 3)
            for gain, formant, j in zip((1.0, 0.5, 0.25), shape, jitter, strict=True):
                freq = min(formant * scale * j, 0.47 * sampling_rate)
                b, a = iirpeak(freq, freq / (50 + 0.05 * freq), fs=sampling_rate)
                part += gain * lfilter(b, a, glottal[lo:hi])
        else:
            centre, quality = shape
            b, a = iirpeak(
                min(centre * scale, 0.47 * sampling_rate), quality, fs=sampling_rate
            )
            part = lfilter(b, a, hiss[lo:hi])
        part *= level
        if voice_bar:  # low voicing under a voiced fricative or stop
            b, a = iirpeak(
                min(250 * scale, 0.47 * sampling_rate), 2.0, fs=sampling_rate
            )
            part += 0.15 * lfilter(b, a, glottal[lo:hi])
        # sin^2 / cos^2 cross-fades with the neighbours sum to one.
        x = np.arange(lo, hi)
        up = np.clip((x - start + fade) / (2 * fade), 0, 1) if start else 1
        down = np.clip((stop + fade - x) / (2 * fade), 0, 1) if stop < n else 1
        wave[lo:hi] += (
            np.sin(np.pi / 2 * up) ** 2 * np.sin(np.pi / 2 * down) ** 2 * part
        )
    # Onset and release of the whole word.
    onset, release = int(0.01 * sampling_rate), int(0.03 * sampling_rate)
    wave[:onset] *= np.linspace(0, 1, onset)
    wave[n - release :] *= np.linspace(1, 0, release)
    # A microphone and room of its own: a random spectral tilt.
    return lfilter([1.0, -rng.uniform(-0.5, 0.9)], [1.0], wave)


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "words": [
            Interval(Integral, 2, len(DIGIT_WORDS), closed="both"),
            list,
            tuple,
            np.ndarray,
        ],
        "n_speakers": [Interval(Integral, 1, None, closed="left")],
        "sampling_rate": [Interval(Integral, 4000, None, closed="left")],
        "return_speaker": ["boolean"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_spoken_words(
    n_samples=500,
    *,
    words=DIGIT_WORDS,
    n_speakers=4,
    sampling_rate=8000,
    return_speaker=False,
    random_state=None,
):
    """Synthetic recordings of spoken words (like the Free Spoken Digit Dataset).

    Each word is a sequence of phoneme-like segments.  Voiced segments
    (vowels, glides, nasals) filter a glottal source (a sawtooth at the
    speaker's pitch, falling over the word) through three formant
    resonances (:func:`scipy.signal.iirpeak`); fricatives and stop bursts
    filter noise; neighbouring segments are cross-faded.  Each speaker has
    their own pitch (85 to 255 Hz) and vocal-tract scale (higher voices have
    higher formants).  Every clip has its own speed (0.7 to 1.4 times),
    segment timing, level and background noise (10 to 30 dB below the
    speech), and silence before and after.

    The words differ in the sequence of their formant patterns, so a
    spectrogram followed by an LSTM can tell them apart, while the clip
    length alone says little.  The ten digit words have hand-written
    pronunciations (``'six'`` and ``'seven'`` start alike, as do ``'four'``
    and ``'five'``); other words are spoken letter by letter.

    Parameters
    ----------
    n_samples : int, default=500
        Number of clips.  Words and speakers are balanced (counts differ by
        at most one).
    words : int or sequence of str, default=DIGIT_WORDS
        The vocabulary: the words ``'zero'`` ... ``'nine'``, the first
        ``words`` of them when an int, or your own words (letters a to z).
    n_speakers : int, default=4
        Number of synthetic speakers.
    sampling_rate : int, default=8000
        Samples per second (FSDD uses 8000): give the same rate to
        :class:`~sklstm.SpectrogramTransformer`.
    return_speaker : bool, default=False
        If True, also return the speaker of each clip.
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    X : list of ndarray of shape (n_samples_i,)
        The waveforms, float32 in [-1, 1], of different lengths (about 0.2
        to 1 s), as returned by :func:`load_wav_folder`.
    y : ndarray of str of shape (n_samples,)
        The word of each clip.
    speaker : ndarray of int of shape (n_samples,)
        Only if ``return_speaker``: the speaker, 0 to ``n_speakers - 1``.

    See Also
    --------
    load_wav_folder : Load real recordings from a folder of WAV files.

    Examples
    --------
    >>> from sklstm.datasets import make_spoken_words
    >>> X, y = make_spoken_words(20, random_state=0)
    >>> len(X), X[0].dtype, y[:4].tolist()
    (20, dtype('float32'), ['one', 'nine', 'zero', 'two'])
    """
    if isinstance(words, Integral):
        words = DIGIT_WORDS[:words]
    words = tuple(words)
    if len(words) < 2 or len(set(words)) != len(words):
        raise ValueError(f"words must hold at least two distinct words, got {words}.")
    if not all(isinstance(word, str) for word in words):
        raise TypeError("words must be strings.")
    pronunciations = [_pronounce(word) for word in words]
    rng = check_random_state(random_state)

    pitch = rng.uniform(85, 255, n_speakers)
    scale = 0.95 + 0.2 * (pitch - 85) / 170 + rng.normal(0, 0.06, n_speakers)
    labels = rng.permutation(np.resize(np.arange(len(words)), n_samples))
    speakers = rng.permutation(np.resize(np.arange(n_speakers), n_samples))

    X = []
    for label, who in zip(labels, speakers, strict=True):
        speech = _speak(
            pronunciations[label], (pitch[who], scale[who]), rng, sampling_rate
        )
        speech *= rng.uniform(0.3, 0.9) / np.abs(speech).max()
        pad = rng.randint(0, int(0.06 * sampling_rate) + 1, 2)
        clip = np.pad(speech, pad)
        rms = np.sqrt(np.mean(speech**2))
        clip += rms * 10 ** (-rng.uniform(10, 30) / 20) * rng.standard_normal(len(clip))
        X.append(np.clip(clip, -1, 1).astype(np.float32))
    y = np.array(words)[labels]
    return (X, y, speakers) if return_speaker else (X, y)
