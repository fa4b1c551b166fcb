# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""Connectionist Temporal Classification: the loss, decoders and edit distance.

CTC (Graves et al., 2006) trains a network that emits one distribution per
frame over the labels plus a *blank* to output a shorter label sequence:
an alignment is a label (or blank) per frame, and it maps to a labelling by
merging repeated labels and then removing blanks (``-aa-b-`` → ``ab``).
The loss is ``-log`` of the summed probability of every alignment of the
target, computed in log space by the forward-backward recursion over the
*extended* target ``blank l1 blank l2 ... blank`` (``S = 2 L + 1`` states).

Layout follows :mod:`sklstm._functional`: scores are ``(K, T, B)``
(classes, frames, sequences) and the blank is class 0.  The recursions run
over frames with whole-batch array operations, so the same code serves
NumPy and CuPy; targets, lengths and decoding live on the host.
"""

import heapq
import math

import numpy as np

from sklstm._backend import to_numpy
from sklstm._functional import log_softmax

BLANK = 0


def min_frames(labels):
    """Frames a label sequence needs: its length plus one blank between
    each pair of equal neighbours (``'ee'`` needs ``e - e``)."""
    labels = np.asarray(labels)
    return len(labels) + int(np.count_nonzero(labels[1:] == labels[:-1]))


def _extended(labels):
    """Extended targets (B, S) and three (B, S) masks: the valid states,
    the allowed skips and the end states (host arrays)."""
    B = len(labels)
    L = np.array([len(lab) for lab in labels])
    S_len = 2 * L + 1
    S = max(int(S_len.max()), 3)  # room for the shifts of the recursions
    ext = np.full((B, S), BLANK, dtype=np.intp)
    for b, lab in enumerate(labels):
        ext[b, 1 : 2 * len(lab) : 2] = lab
    s = np.arange(S)
    valid = s[None, :] < S_len[:, None]
    # s - 2 -> s skips the blank between two different labels
    skip = np.zeros((B, S), dtype=bool)
    skip[:, 2:] = (ext[:, 2:] != BLANK) & (ext[:, 2:] != ext[:, :-2])
    end = (s[None, :] == S_len[:, None] - 1) | (s[None, :] == S_len[:, None] - 2)
    return ext, valid, skip & valid, end & valid


def _logaddexp3(a, b, c, xp):
    return xp.logaddexp(xp.logaddexp(a, b), c)


def _emissions(logp, labels, xp):
    """The extended targets and valid states (host), the emission
    log-probabilities of the states (T, B, S) and the allowed skips
    (device), and the end states (host)."""
    B = logp.shape[1]
    ext, valid, skip, end = _extended(labels)
    emit = logp[:, xp.arange(B)[:, None], xp.asarray(ext)]
    emit = xp.where(xp.asarray(valid)[None], emit, -np.inf)
    return ext, valid, emit, xp.asarray(skip), end


def _forward(emit, skip, lengths, xp):
    """alpha[t, b, s]: log-probability of the frames up to ``t`` of the
    alignments ending in state ``s``; frozen past each sequence's end."""
    T, B, S = emit.shape
    neg = xp.asarray(-np.inf, dtype=emit.dtype)
    pad1 = xp.full((B, 1), -np.inf, dtype=emit.dtype)
    pad2 = xp.full((B, 2), -np.inf, dtype=emit.dtype)
    alpha = xp.full((T, B, S), -np.inf, dtype=emit.dtype)
    alpha[0, :, :2] = emit[0, :, :2]
    # (T, B, 1) on the device once, not one host-to-device copy per frame
    running = xp.asarray(np.arange(T)[:, None] < lengths[None, :])[:, :, None]
    for t in range(1, T):
        prev = alpha[t - 1]
        one = xp.concatenate([pad1, prev[:, :-1]], axis=1)
        two = xp.where(skip, xp.concatenate([pad2, prev[:, :-2]], axis=1), neg)
        step = _logaddexp3(prev, one, two, xp) + emit[t]
        alpha[t] = xp.where(running[t], step, prev)
    return alpha


def _total(alpha, end, lengths, xp):
    """log p(target) of each sequence: the end states at its last frame."""
    B = alpha.shape[1]
    last = alpha[xp.asarray(lengths - 1), xp.arange(B)]  # (B, S)
    last = xp.where(xp.asarray(end), last, -np.inf)
    top = last.max(axis=1)
    safe = xp.where(xp.isfinite(top), top, 0)
    with np.errstate(divide="ignore"):  # no alignment: log 0 = -inf
        return safe + xp.log(xp.exp(last - safe[:, None]).sum(axis=1))


def ctc_log_likelihood(logp, labels, input_lengths, *, xp):
    """``log p(labels[b] | frames of b)`` for each b (the forward pass only).

    Parameters are those of :func:`ctc_forward_backward`.
    """
    lengths = np.asarray(input_lengths)
    _, _, emit, skip, end = _emissions(logp, labels, xp)
    return _total(_forward(emit, skip, lengths, xp), end, lengths, xp)


def ctc_forward_backward(logp, labels, input_lengths, *, xp):
    """Log-likelihood of each target and the state posteriors.

    Parameters
    ----------
    logp : array of shape (T, B, K)
        Log-probabilities of each class at each frame.
    labels : list of B int arrays
        Targets, values in ``1 .. K - 1`` (0 is the blank).
    input_lengths : ndarray of shape (B,)
        Valid frames of each sequence (host).

    Returns
    -------
    log_likelihood : array of shape (B,)
        ``log p(labels[b] | frames of b)``; ``-inf`` when the target needs
        more frames than the sequence has.
    occupancy : array of shape (T, B, K)
        Posterior probability that frame ``t`` emits class ``k``, summed
        over the alignments (0 on padded frames).
    """
    T, B, K = logp.shape
    lengths = np.asarray(input_lengths)
    ext, valid, emit, skip, end = _emissions(logp, labels, xp)
    S = ext.shape[1]
    neg = xp.asarray(-np.inf, dtype=logp.dtype)
    pad1 = xp.full((B, 1), -np.inf, dtype=logp.dtype)
    pad2 = xp.full((B, 2), -np.inf, dtype=logp.dtype)
    alpha = _forward(emit, skip, lengths, xp)
    log_likelihood = _total(alpha, end, lengths, xp)

    # beta[t, b, s]: log-probability of the frames after t given state s at t
    beta = xp.full((T, B, S), -np.inf, dtype=logp.dtype)
    final = xp.where(xp.asarray(end), xp.asarray(0.0, dtype=logp.dtype), neg)
    frames = np.arange(T)[:, None]
    at_end = xp.asarray(frames == lengths[None, :] - 1)[:, :, None]
    inside = xp.asarray(frames < lengths[None, :] - 1)[:, :, None]
    for t in range(T - 1, -1, -1):
        if t == T - 1:
            step = xp.full((B, S), -np.inf, dtype=logp.dtype)
        else:
            nxt = beta[t + 1] + emit[t + 1]
            one = xp.concatenate([nxt[:, 1:], pad1], axis=1)
            two_src = xp.where(skip, nxt, neg)  # skip[s + 2] allows s -> s + 2
            two = xp.concatenate([two_src[:, 2:], pad2], axis=1)
            step = _logaddexp3(nxt, one, two, xp)
        beta[t] = xp.where(at_end[t], final, xp.where(inside[t], step, neg))

    with np.errstate(invalid="ignore"):
        post = xp.exp(alpha + beta - log_likelihood[None, :, None])
    post = xp.where(xp.isfinite(log_likelihood)[None, :, None], post, 0)
    # sum the states of each class: (B, T, S) @ (B, S, K) -> (B, T, K)
    onehot = np.zeros((B, S, K), dtype=logp.dtype)
    onehot[np.arange(B)[:, None], np.arange(S)[None, :], ext] = valid
    occupancy = xp.matmul(post.transpose(1, 0, 2), xp.asarray(onehot))
    return log_likelihood, occupancy.transpose(1, 0, 2)


def ctc_loss(Z, labels, input_lengths, w, *, xp):
    """Weighted mean CTC loss of the scores ``Z`` and its gradient.

    Parameters
    ----------
    Z : array of shape (K, T, B)
        Scores (logits) of the blank (class 0) and the labels at each frame.
    labels : list of B int arrays
        Target label sequences, values in ``1 .. K - 1``.
    input_lengths : ndarray of shape (B,)
        Valid frames of each sequence (host).
    w : array of shape (B,)
        Non-negative weight of each sequence.

    Returns
    -------
    loss : float
        ``sum_b w_b * -log p(labels[b]) / sum(w)``; ``inf`` when a target
        cannot be aligned to its frames.
    dZ : array of shape (K, T, B)
        Gradient of ``loss`` w.r.t. ``Z``: ``(softmax - occupancy) * w_b /
        sum(w)`` on valid frames, 0 on padding.
    """
    K, T, B = Z.shape
    logp = log_softmax(Z.reshape(K, -1), xp=xp).reshape(K, T, B)
    logp = logp.transpose(1, 2, 0)  # (T, B, K)
    log_likelihood, occupancy = ctc_forward_backward(logp, labels, input_lengths, xp=xp)
    w = xp.asarray(w, dtype=Z.dtype)
    total = float(w.sum())
    if total <= 0:
        return 0.0, xp.zeros_like(Z)
    loss = -float((w * log_likelihood).sum()) / total
    frames = xp.asarray(np.arange(T)[:, None] < np.asarray(input_lengths)[None, :])
    scale = xp.where(frames, w[None, :] / total, 0).astype(Z.dtype)  # (T, B)
    dZ = (xp.exp(logp) - occupancy) * scale[:, :, None]
    return loss, xp.ascontiguousarray(dZ.transpose(2, 0, 1))


# ------------------------------------------------------------------ decoding
def greedy_decode(S, lengths):
    """Best path decoding: the likeliest class per frame, repeats merged,
    blanks removed.

    Parameters
    ----------
    S : ndarray of shape (n, T, K)
        Scores (or probabilities) per frame; class 0 is the blank.
    lengths : ndarray of shape (n,)
        Valid frames of each sequence.

    Returns
    -------
    list of n int arrays
        Label sequences (values in ``1 .. K - 1``).
    """
    best = np.asarray(S).argmax(axis=-1)  # (n, T)
    T = best.shape[1]
    changed = np.ones_like(best, dtype=bool)
    changed[:, 1:] = best[:, 1:] != best[:, :-1]
    keep = changed & (best != BLANK) & (np.arange(T)[None, :] < lengths[:, None])
    return [best[i][keep[i]] for i in range(len(best))]


def _logaddexp(a, b):
    """log(exp(a) + exp(b)) of two Python floats."""
    if a < b:
        a, b = b, a
    if b == -math.inf:
        return a
    return a + math.log1p(math.exp(b - a))


def _score(pair):
    return _logaddexp(*pair)


def _add(beams, prefix, blank, label):
    old = beams.get(prefix)
    if old is None:
        beams[prefix] = (blank, label)
    else:
        beams[prefix] = (_logaddexp(old[0], blank), _logaddexp(old[1], label))


def beam_decode(logp, beam_width, *, prune=1e-3):
    """Prefix beam search over one sequence's frames.

    Keeps the ``beam_width`` most probable label prefixes, each with the
    probability of its alignments ending in a blank and in its last label,
    so that alignments of the same labelling are summed (unlike best path
    decoding, which scores one alignment).

    Parameters
    ----------
    logp : ndarray of shape (T, K)
        Log-probabilities per frame (valid frames only); class 0 is blank.
    beam_width : int
        Prefixes kept after each frame.
    prune : float
        Labels less likely than this at a frame are not tried there (the
        likeliest label always is).

    Returns
    -------
    int array
        The most probable labelling found.
    """
    logp = np.asarray(logp, dtype=np.float64)
    neg = -math.inf
    floor = math.log(prune) if prune > 0 else -math.inf
    # prefix -> [log p ending in blank, log p ending in its last label];
    # Python floats and math: NumPy's scalar calls cost ~10x more here
    beams = {(): (0.0, neg)}
    for row in logp:
        frame = row.tolist()
        tried = [k for k in np.flatnonzero(row >= floor).tolist() if k != BLANK]
        if not tried and int(row.argmax()) != BLANK:
            tried = [int(row.argmax())]
        nxt = {}
        for prefix, (pb, pnb) in beams.items():
            total = _logaddexp(pb, pnb)
            _add(nxt, prefix, total + frame[BLANK], neg)  # a blank keeps it
            last = prefix[-1] if prefix else None
            for k in tried:
                if k == last:
                    _add(nxt, prefix, neg, pnb + frame[k])  # repeat merges
                    _add(nxt, prefix + (k,), neg, pb + frame[k])  # after a blank
                else:
                    _add(nxt, prefix + (k,), neg, total + frame[k])
        beams = dict(
            heapq.nlargest(beam_width, nxt.items(), key=lambda kv: _score(kv[1]))
        )
    best = max(beams.items(), key=lambda kv: _score(kv[1]))[0]
    return np.array(best, dtype=np.intp)


def lexicon_decode(logp, lengths, lexicon, *, xp, pairs=4096, pair_frames=2**18):
    """The entry of ``lexicon`` with the highest CTC likelihood, per sequence.

    Parameters
    ----------
    logp : ndarray of shape (n, T, K)
        Log-probabilities per frame; class 0 is the blank.
    lengths : ndarray of shape (n,)
        Valid frames of each sequence.
    lexicon : list of W int arrays
        The allowed label sequences.
    pairs : int
        At most this many (sequence, entry) pairs are scored at once.
    pair_frames : int
        ... and at most this many pairs times the longest sequence's frames
        (a long recording is scored with fewer entries or sequences at a
        time).

    Returns
    -------
    best : ndarray of shape (n,)
        Index into ``lexicon`` of each sequence's choice, or -1 where no
        entry fits in the sequence's frames.
    """
    n, W = len(logp), len(lexicon)
    best = np.full(n, -1, dtype=np.intp)
    top = np.full(n, -np.inf)
    # batches of at most ``pairs`` (sequence, entry) pairs, and of at most
    # ``pair_frames`` pair-frames, bound the memory
    cap = max(1, min(pairs, pair_frames // max(1, int(np.max(lengths, initial=0)))))
    n_entries = min(W, cap)
    n_rows = max(1, cap // n_entries)
    for first in range(0, W, n_entries):
        entries = list(lexicon[first : first + n_entries])
        w = len(entries)
        for start in range(0, n, n_rows):
            rows = np.arange(start, min(start + n_rows, n))
            T = int(lengths[rows].max())
            # every (sequence, entry) pair as one column of the batch
            batch = xp.asarray(np.repeat(logp[rows, :T], w, axis=0)).transpose(1, 0, 2)
            scores = ctc_log_likelihood(
                batch, entries * len(rows), np.repeat(lengths[rows], w), xp=xp
            )
            scores = to_numpy(scores).reshape(-1, w)
            arg = scores.argmax(axis=1)
            value = scores[np.arange(len(rows)), arg]
            better = value > top[rows]  # ties keep the earlier entry
            top[rows] = np.where(better, value, top[rows])
            best[rows] = np.where(better, first + arg, best[rows])
    return best


def edit_distance(a, b):
    """Levenshtein distance between two sequences (unit costs).

    One row of the dynamic programme per item of ``a``, each computed with
    array operations: the insertions along a row are a running minimum.
    """
    a, b = list(a), np.array(list(b), dtype=object)
    row = np.arange(len(b) + 1)
    j = np.arange(1, len(b) + 1)
    for i, x in enumerate(a, 1):
        # substitution (or match) and deletion
        best = np.minimum(row[:-1] + (b != x), row[1:] + 1)
        # insertion: new[j] = min over j' <= j of (best'[j'] + j - j')
        start = np.concatenate([[i], best - j])
        row = np.minimum.accumulate(start) + np.arange(len(b) + 1)
    return int(row[-1])
