"""
===================================
Next-word prediction on Shakespeare
===================================

An :class:`~sklstm.LSTMLanguageModel` learns which word comes next in a
text.  This example trains one on part of the *tiny-shakespeare* corpus,
compares its perplexity with counting baselines, scores it on held-out
text, and uses it to suggest and to generate words.

The model trains on a bounded part of the corpus for a few epochs, so that
the example runs in about a minute; the full run, on the whole training
part until early stopping, is ``benchmarks/bench_language_model.py``:
test perplexity 120.6-122.2, top-5 accuracy 0.38, in 11-12 epochs.
"""

# %%
# The corpus and a split by position
# ----------------------------------
#
# *tiny-shakespeare* is one plain-text file of about a million characters:
# speeches from Shakespeare's plays in script layout, a speaker's name on
# its own line and then the speech.  If the data folder is not there, the
# example falls back to a generated corpus of simple English sentences.
#
# A language model is tested on text that follows its training text, so
# the split is by position: the first 90 % of the tokens train, the last
# 10 % test.  The :class:`~sklstm.Embedder`'s token pattern (words, and
# punctuation marks as tokens of their own) tells where each token starts
# in the lower-cased text; we cut the text at the start of the token at
# 90 %.

import re
import time

import matplotlib.pyplot as plt
import numpy as np
import scipy.sparse as sp
from sklearn.pipeline import make_pipeline

from sklstm import Embedder, LSTMLanguageModel
from sklstm.datasets import find_shared_data, load_text, make_text_corpus

corpus = find_shared_data("tiny_shakespeare/input.txt")  # None without it
if corpus is not None:
    text = load_text(corpus)
else:
    print("The tiny-shakespeare data was not found: using a generated corpus.")
    text = make_text_corpus(80_000, random_state=0)

pattern = re.compile(Embedder().token_pattern)
starts = [match.start() for match in pattern.finditer(text.lower())]
n_train = int(0.9 * len(starts))
train_text, test_text = text[: starts[n_train]], text[starts[n_train] :]
print(f"{len(starts)} tokens: {n_train} to train, {len(starts) - n_train} to test")
print(test_text[:180])

# %%
# A bounded training part
# -----------------------
#
# To keep this example fast, the model sees only the first 60,000 tokens of
# the training part, and stops at the first epoch that does not improve
# its validation loss (``n_iter_no_change=1``, see below).  The test part
# stays the whole last 10 %.

N_TOKENS = 60_000
train_text = train_text[: starts[min(N_TOKENS, n_train)]]

# %%
# The model
# ---------
#
# The embedder, with its defaults, builds the vocabulary: the words seen at
# least twice in the training text, the others being one out-of-vocabulary
# token ``<unk>``.  It also gives each word a first vector, learned from
# co-occurrences, which the language model fine-tunes.
#
# The language model, with its defaults (two LSTM layers of 200 units,
# dropout 0.3, Adam), reads its training text as **one stream of tokens**.
# It cuts the stream into ``batch_size=20`` parallel streams and trains on
# chunks of ``bptt=35`` tokens with truncated backpropagation through time:
# the LSTM state at the end of a chunk is where the next chunk starts, so
# the model sees context beyond 35 tokens, while the gradients stop at the
# chunk's start.  Every position is a training example (predict token
# ``t + 1`` from the tokens up to ``t``), through a softmax over the whole
# vocabulary.  Training starts from the unigram model (the output biases are
# the words' log frequencies).  The first 10 % of each tenth of the stream
# is held out to watch the validation loss after each epoch; the learning
# rate is divided by 4 when it stops improving, training stops after
# ``n_iter_no_change`` such epochs (3 by default, 1 here), and the weights
# of the best epoch are kept.

pipe = make_pipeline(
    Embedder(random_state=0), LSTMLanguageModel(n_iter_no_change=1, random_state=0)
)
start = time.perf_counter()
pipe.fit([train_text])
fit_seconds = time.perf_counter() - start
embedder, lm = pipe[0], pipe[-1]
speed = np.median([epoch["tokens_per_s"] for epoch in lm.history_])
print(f"Vocabulary: {len(embedder.words_)} tokens (with <pad> and <unk>)")
print(f"Training: {fit_seconds:.0f} s, {lm.n_iter_} epochs, {speed:.0f} tokens/s")

# %%
# Counting baselines
# ------------------
#
# Perplexity is ``exp`` of the mean negative log-likelihood per token: a
# model with perplexity 100 is as unsure as if it picked among 100 equally
# likely words at each step.  Lower is better.  To know what a figure is
# worth we compare it with counting models fitted on the same tokens: a
# **unigram** model (each word with its frequency, whatever came before)
# and a **bigram** model (the frequency of each word after the previous
# one), both with add-one smoothing so that no word gets probability 0; and
# a bigram model smoothed better, by mixing it half and half with the
# unigram one (*interpolation*).  Top-k accuracy is the share of tokens
# among a model's k most likely words.  The ids of the embedder are the
# model's classes shifted by one (id 0 is padding, which is never
# predicted).


def ngram_models(train_ids, n_words):
    """Next-word probabilities of counting models: row = previous word."""
    train = train_ids - 1
    unigram = np.bincount(train, minlength=n_words) + 1.0
    unigram /= unigram.sum()
    pairs = sp.coo_matrix(  # duplicates are summed: pair counts
        (np.ones(len(train) - 1), (train[:-1], train[1:])), shape=(n_words, n_words)
    ).toarray()
    seen = pairs.sum(axis=1, keepdims=True)
    return {
        "unigram": unigram[None, :],  # the same row whatever came before
        "bigram, add-one": (pairs + 1) / (seen + n_words),
        "bigram, interpolated": 0.5 * pairs / np.maximum(seen, 1) + 0.5 * unigram,
    }


def ngram_scores(models, eval_ids):
    """Perplexity, top-1 and top-5 accuracy of each model on ``eval_ids``."""
    previous, target = eval_ids[:-1] - 1, eval_ids[1:] - 1
    scores = {}
    for name, proba in models.items():
        rows = previous if len(proba) > 1 else np.zeros_like(previous)
        # ties go to the lower id: ids follow decreasing frequency (after <unk>)
        best = np.argsort(-proba, axis=1, kind="stable")[:, :5][rows]
        scores[name] = (
            np.exp(-np.mean(np.log(proba[rows, target]))),
            np.mean(best[:, 0] == target),
            np.mean((best == target[:, None]).any(axis=1)),
        )
    return scores


n_words = len(lm.classes_)
train_ids = embedder.transform([train_text]).ids(0)
# the model's held-out tokens: the first 10 % of each tenth of the stream
held = np.zeros(len(train_ids), dtype=bool)
for tenth in np.array_split(np.arange(len(train_ids)), 10):
    held[tenth[: int(lm.validation_fraction * len(tenth))]] = True
validation = ngram_scores(ngram_models(train_ids[~held], n_words), train_ids[held])

epochs = np.arange(1, lm.n_iter_ + 1)
fig, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
ax.plot(epochs, np.exp(-np.array(lm.validation_scores_)), "o-", label="LSTM")
for (name, (perplexity, _, _)), style in zip(
    validation.items(), ["--", ":", "-."], strict=True
):
    ax.axhline(perplexity, color="0.4", ls=style, label=name)
ax.set(
    xlabel="epoch",
    ylabel="validation perplexity",
    title="Perplexity on the held-out part of the training text",
)
ax.legend()
ax.grid(alpha=0.3)
plt.show()

# %%
# The add-one bigram model is worse than the unigram one: 54,000 tokens
# show only a small share of the possible word pairs, and add-one smoothing
# gives the unseen pairs far too much probability.  Interpolation does much
# better.  The LSTM starts from the unigram model (its output biases are
# the words' log frequencies) and drops below it as it learns to use the
# context.  On 54,000 tokens it reaches a first plateau after 6 epochs and
# stops one epoch later; the default patience would lower the learning
# rate there and train on, and more text takes it further down.
#
# Scores on the test text
# -----------------------
#
# In the pipeline, :meth:`~sklstm.LSTMLanguageModel.score` is the mean
# log-likelihood per token of the test stream (read with carried state, as
# in training), :meth:`~sklstm.LSTMLanguageModel.perplexity` its ``exp(-)``,
# and :meth:`~sklstm.LSTMLanguageModel.top_k_accuracy` the top-k accuracies;
# the last two are methods of the model, so they take the embedder's
# output, ``pipe[:-1].transform(...)``.

X_test = pipe[:-1].transform([test_text])
test = ngram_scores(ngram_models(train_ids, n_words), X_test.ids(0))
top1, top5 = lm.top_k_accuracy(X_test, k=[1, 5])
test["LSTM"] = (np.exp(-pipe.score([test_text])), top1, top5)
unk = embedder.vocabulary_["<unk>"]
print(
    f"<unk> is {np.mean(X_test.ids(0) == unk):.1%} of the {X_test.lengths[0]} test "
    f"tokens and {np.mean(train_ids[held] == unk):.1%} of the validation tokens"
)
print(f"{'':>20} perplexity  top-1  top-5")
for name, (perplexity, top1, top5) in test.items():
    print(f"{name:>20} {perplexity:10.1f} {top1:6.3f} {top5:6.3f}")

# %%
# The test perplexities are lower than the validation ones above because
# more of the test tokens are ``<unk>``: the vocabulary comes from the
# first 60,000 tokens only, so many words of the later plays are outside
# it, and ``<unk>``, standing for all of them, is a frequent and easy
# guess.  ``<unk>`` counts in the perplexity and in the top-k accuracies
# like any word, for the baselines too, so the comparison between the rows
# is fair; but perplexities over different vocabularies cannot be compared,
# and a good part of every top-1 accuracy here is ``<unk>`` predicted right.
# (``top_k_accuracy`` is therefore not the accuracy of the suggestions of
# ``predict_top_k`` below, which never include ``<unk>``.)
#
# Suggesting the next word
# ------------------------
#
# ``pipe.predict`` gives the most likely next word after each text, and
# :meth:`~sklstm.LSTMLanguageModel.predict_top_k` the ``k`` most likely,
# best first.  Each prompt is read from the state the model was in at the
# end of its training text, as text that follows it.  ``<unk>`` is never
# suggested, but prompt words outside the vocabulary are read as ``<unk>``
# (:meth:`~sklstm.Embedder.inverse` shows how a prompt was read):

prompts = ["to be or not to", "my lord ,", "o romeo , romeo , wherefore art"]
X_prompts = pipe[:-1].transform(prompts)
print("predict:", pipe.predict(prompts))
for i, suggestions in enumerate(lm.predict_top_k(X_prompts, k=5)):
    read = " ".join(embedder.inverse(X_prompts.ids(i)))
    print(f"{read!r:>40} -> {', '.join(suggestions)}")

# %%
# The suggestions are frequent words that can follow the last word or two
# ("the" or "be" after "to").  Hamlet is not in this corpus, and *Romeo and
# Juliet* comes after the 60,000 training tokens: "romeo" is ``<unk>`` and
# the model has never seen Juliet's line.
#
# :meth:`~sklstm.LSTMLanguageModel.predict_proba` gives the whole
# distribution over the vocabulary (columns in the order of ``classes_``).
# After "my lord ,", the ten most likely words (``<unk>`` has a probability
# like any word, though it is never suggested):

proba = lm.predict_proba(X_prompts[[1]])[0]
best = np.argsort(-proba)[:10]
fig, ax = plt.subplots(figsize=(5, 3.5), layout="constrained")
ax.barh(lm.classes_[best][::-1], proba[best][::-1], color="tab:blue")
ax.set(xlabel="probability of coming next", title='After "my lord ,"')
plt.show()

# %%
# Generating text
# ---------------
#
# :meth:`~sklstm.LSTMLanguageModel.generate` continues each prompt word by
# word, feeding each new word back in.  With ``temperature=0`` it always
# takes the most likely word, which soon falls into a loop; with a
# temperature near 1 it draws each word from the model's distribution
# (below 1 the likely words are favoured), which gives more varied text
# with more mistakes.

for temperature in (0, 0.8):
    print(f"--- temperature {temperature}")
    continuations = lm.generate(
        X_prompts, n_words=20, temperature=temperature, random_state=0
    )
    for prompt, continuation in zip(prompts, continuations, strict=True):
        print(f"{prompt} | {continuation}")

# %%
# After under a minute of training on the first 60,000 tokens (about a
# quarter of the training part), the model has learned the look of the
# text (names followed by ":", punctuation, frequent phrases such as "my
# lord") more than its sense.  ``benchmarks/bench_language_model.py``
# trains the same model on the whole training part until early stopping:
# test perplexity 120.6-122.2 and top-5 accuracy 0.38 after 11-12 epochs
# (5 minutes on two cores), against 335 and 0.252 for a unigram model and 752
# and 0.331 for an add-one bigram.

# sphinx_gallery_thumbnail_number = 1
