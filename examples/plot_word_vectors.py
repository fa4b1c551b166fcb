"""
===================================================================
Word vectors learned from the corpus, and fine-tuned by the LSTM
===================================================================

:class:`~sklstm.Embedder` turns raw texts into token ids and gives every
word of its vocabulary a vector.  By default the vectors are learned from the
training texts themselves, without labels and without downloading anything:
words that appear in similar contexts get similar vectors.  When an
:class:`~sklstm.LSTMClassifier` is fitted on the embedder's output, it also
fine-tunes this table of vectors, as a Keras ``Embedding`` layer does.

This example looks at the vectors of the words of film reviews before and
after that fine-tuning.  The corpus vectors group words by how they are
used (adjectives with adjectives, nouns with nouns); after a few epochs of
sentiment training, whether a word is positive or negative has become the
main direction of the table.
"""

# %%
# Loading review sentences
# ------------------------
#
# The sentence polarity data set of Pang and Lee (2005) holds 10,662 short
# sentences from Rotten Tomatoes reviews, half of them positive and half
# negative.  If the data folder is not there, the example falls back to
# generated review sentences.

import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from sklstm import Embedder, LSTMClassifier
from sklstm.datasets import find_shared_data, load_polarity, make_sentiment_texts

folder = find_shared_data("rt_polarity")  # None without the real data
if folder is not None:
    reviews = load_polarity(folder)
    texts, y = reviews.data, reviews.target
else:
    print("The polarity data was not found: using generated review sentences.")
    texts, y = make_sentiment_texts(3000, random_state=0)

print(f"{len(texts)} sentences, {np.mean(y):.0%} positive")
print(texts[0])

# %%
# Word vectors from co-occurrences
# --------------------------------
#
# With the default ``vectors='ppmi'``, the embedder counts which words occur
# within 5 tokens of each other, weighs the counts by positive pointwise
# mutual information (how much more often two words meet than chance
# predicts), and compresses that matrix into 100 dimensions with a
# truncated SVD.  :meth:`~sklstm.Embedder.most_similar` lists the words
# whose vectors point the most in the same direction (cosine similarity).

emb = Embedder(random_state=0).fit(texts)
print(f"Vocabulary: {len(emb.words_)} tokens, vectors of {emb.vectors_.shape[1]}")


def print_neighbours(embedder, words, n=8, vectors=None):
    """Print the ``n`` nearest words of each word in the vocabulary."""
    for word in words:
        try:
            neighbours = embedder.most_similar(word, n=n, vectors=vectors)
        except KeyError:
            continue  # not in this corpus
        print(f"{word:>8}: " + ", ".join(w for w, _ in neighbours))


print_neighbours(emb, ["good", "bad", "funny", "boring", "film"])

# %%
# The neighbours are words that could take the same place in a sentence:
# adjectives that describe a film, and often adjectives of the same
# polarity ("boring" sits with "dull" and "silly").  But the vectors only
# know about contexts, and opposite words share contexts: "a good film" and
# "a bad film".  So "good" and "bad" end up close, next to "pretty" or
# "plain", and frequent function words creep in.
#
# A compact output
# ----------------
#
# :meth:`~sklstm.Embedder.transform` does not return an array of vectors: it
# returns a :class:`~sklstm.TokenSequences`, one 4-byte token id per token
# plus a reference to the shared table.  The LSTM looks the vectors up per
# batch.  A dense zero-padded ``(n_samples, n_timesteps, n_dims)`` array of
# ``float32`` would be far larger, and it grows with the longest text:

X = emb.transform(texts)
ids_bytes = X.lengths.sum() * 4
table_bytes = emb.vectors_.nbytes
dense_bytes = len(X) * X.lengths.max() * emb.vectors_.shape[1] * 4
print(X)
print(f"token ids:   {ids_bytes / 1e6:6.1f} MB (+ table: {table_bytes / 1e6:.1f} MB)")
print(f"dense array: {dense_bytes / 1e6:6.1f} MB (longest text: {X.lengths.max()})")

# %%
# A map of the word vectors
# -------------------------
#
# To draw the vectors, we project them on their first two principal
# components, computed over the 2,000 most frequent words (so that the axes
# are directions of the whole table, not of the words we picked).  Each word
# is coloured by a simple polarity score taken from the labels: the log
# ratio of its frequency in positive and in negative sentences.  Above 0, a
# word is more common in positive reviews.

POSITIVE = (
    "good great best funny charming beautiful wonderful moving touching "
    "brilliant clever entertaining"
).split()
NEGATIVE = (
    "bad boring dull tedious silly predictable awful terrible weak mess stupid worst"
).split()
NEUTRAL = (
    "film movie story plot script performance cast acting director characters"
).split()


def polarity_scores(embedder, texts, y):
    """Log ratio of each token's frequency in positive vs negative texts."""
    X = embedder.transform(texts)
    n_tokens = len(embedder.words_)
    counts = [
        np.bincount(
            np.concatenate([X.ids(i) for i in np.flatnonzero(y == label)]),
            minlength=n_tokens,
        )
        + 1  # add-one smoothing: rare words get scores near 0
        for label in (0, 1)
    ]
    return np.log(counts[1] / counts[1].sum()) - np.log(counts[0] / counts[0].sum())


def word_map(ax, embedder, vectors, scores, title):
    """Scatter the chosen words in the first two principal components."""
    frequent = np.argsort(-embedder.counts_, kind="stable")
    frequent = frequent[frequent >= 2][:2000]  # neither padding nor <unk>
    pca = PCA(n_components=2, random_state=0).fit(vectors[frequent])
    # a principal component's sign is arbitrary: point it to positive words
    sign = np.sign(pca.transform(vectors[frequent]).T @ scores[frequent])
    words = [w for w in POSITIVE + NEGATIVE + NEUTRAL if w in embedder.vocabulary_]
    ids = [embedder.vocabulary_[w] for w in words]
    xy = pca.transform(vectors[ids]) * sign
    points = ax.scatter(
        xy[:, 0],
        xy[:, 1],
        c=scores[ids],
        cmap="RdBu",
        vmin=-2.5,
        vmax=2.5,
        s=25,
        edgecolors="0.5",
        linewidths=0.5,
    )
    for word, (x_, y_) in zip(words, xy, strict=True):
        ax.annotate(word, (x_, y_), xytext=(3, 3), textcoords="offset points", size=8)
    ratio = pca.explained_variance_ratio_
    ax.set(
        title=title,
        xlabel=f"1st principal component ({ratio[0]:.1%} of variance)",
        ylabel=f"2nd principal component ({ratio[1]:.1%})",
    )
    ax.grid(alpha=0.3)
    return points


scores = polarity_scores(emb, texts, y)
fig, ax = plt.subplots(figsize=(7, 6), layout="constrained")
points = word_map(ax, emb, emb.vectors_, scores, "Word vectors learned from the texts")
fig.colorbar(points, ax=ax, label="polarity score (log ratio pos / neg)")
plt.show()

# %%
# The corpus vectors separate kinds of words: the nouns of film criticism
# ("plot", "script", "characters") lie apart from the adjectives.  Red and
# blue words are mixed, though; the first two components explain only a few
# per cent of the variance each, and neither is about sentiment.
#
# Fine-tuning the table inside the LSTM
# -------------------------------------
#
# We now fit an embedder and an LSTM classifier in a pipeline.  The
# embedder's ``trainable=True`` (the default) lets the classifier update the
# word vectors by gradient descent together with its own weights; the
# fine-tuned table is the classifier's ``embeddings_``, with the same token
# ids as the embedder's ``vocabulary_`` (the embedder's own ``vectors_`` are
# left untouched).  With more than 1,000 sentences, early stopping is on
# by default (``early_stopping='auto'``): 10% of the training sentences are
# held out, and the classifier keeps the weights, table included, of the
# epoch with the lowest validation loss.  To keep the example fast, training
# stops two epochs after the best one (``n_iter_no_change=1`` instead of
# 10).

texts_train, texts_test, y_train, y_test = train_test_split(
    texts, y, test_size=0.25, stratify=y, random_state=0
)
pipe = make_pipeline(
    Embedder(random_state=0), LSTMClassifier(random_state=0, n_iter_no_change=1)
)
pipe.fit(texts_train, y_train)
validation_loss = [record["validation_loss"] for record in pipe[-1].history_]
print("Validation loss per epoch:", np.round(validation_loss, 3))
print(f"Weights kept from epoch {np.argmin(validation_loss) + 1}")
print(f"Test accuracy: {pipe.score(texts_test, y_test):.3f}")

# %%
# The neighbours of a word in the fine-tuned table are found by passing it
# to :meth:`~sklstm.Embedder.most_similar` as ``vectors``.  Before and after
# fine-tuning:

embedder, tuned = pipe[0], pipe[-1].embeddings_
for name, vectors in [("corpus vectors", None), ("fine-tuned", tuned)]:
    print(f"--- {name}")
    print_neighbours(embedder, ["good", "bad", "funny", "boring"], vectors=vectors)

# %%
# After fine-tuning, the neighbours of "good" are mostly positive words and those
# of "bad" are negative ones: the classifier has pulled apart the words it
# needs to tell apart, while the words keep much of the meaning learned from
# the contexts ("funny" still sits with "amusing" and "hilarious").
#
# The two maps side by side, with the polarity scores of the training
# sentences:

scores = polarity_scores(embedder, texts_train, y_train)
fig, axes = plt.subplots(1, 2, figsize=(13, 5.5), layout="constrained")
word_map(axes[0], embedder, embedder.vectors_, scores, "Before fine-tuning")
points = word_map(axes[1], embedder, tuned, scores, "After fine-tuning")
fig.colorbar(points, ax=axes, label="polarity score (log ratio pos / neg)")
plt.show()

# %%
# After fine-tuning, the first principal component of the table explains
# a much larger share of the variance than before, and it orders the words
# from negative (left) to positive (right): sentiment has become the
# dominant direction of the vectors.  Nouns such as "film" or "director"
# stay near the middle of that axis, and the second component still
# separates them from the adjectives, as the corpus vectors did: the
# structure learned from the contexts survives under the new direction.
# "good" and "great" are not far right: in these reviews they also appear
# in negative sentences ("not very good", "the waste of a good cast"), and their
# polarity scores are small.
#
# The correlation of each principal component with the polarity score,
# over the 2,000 most frequent words, tells the same story:

frequent = np.argsort(-embedder.counts_, kind="stable")
frequent = frequent[frequent >= 2][:2000]
for name, vectors in [("before", embedder.vectors_), ("after", tuned)]:
    pca = PCA(n_components=3, random_state=0).fit(vectors[frequent])
    components = pca.transform(vectors[frequent])
    corr = [np.corrcoef(c, scores[frequent])[0, 1] for c in components.T]
    print(
        f"{name:>6}: variance explained "
        + ", ".join(f"{r:.3f}" for r in pca.explained_variance_ratio_)
        + " | correlation with polarity "
        + ", ".join(f"{abs(c):.2f}" for c in corr)
    )

# %%
# Before fine-tuning no component has much to do with sentiment; after it,
# the first one does, and it carries several times the variance of any
# other.  The corpus vectors are a good starting point (they need no labels,
# and they give words seen in few labelled sentences a sensible place from
# their contexts); fine-tuning then specialises them for the task.  With
# little labelled data, or with good vectors from a large external corpus,
# keeping the table frozen (``Embedder(trainable=False)``) can be the better
# choice.

# sphinx_gallery_thumbnail_number = 2
