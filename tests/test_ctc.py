"""CTC: the loss against brute force, its gradient, decoding, edit distance."""

import itertools

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from sklstm._ctc import (
    beam_decode,
    ctc_loss,
    edit_distance,
    greedy_decode,
    lexicon_decode,
    min_frames,
)


def _collapse(path):
    out, prev = [], None
    for k in path:
        if k != prev and k != 0:
            out.append(k)
        prev = k
    return tuple(out)


def _log_softmax(Z):
    Z = Z - Z.max(axis=0)
    return Z - np.log(np.exp(Z).sum(axis=0))


def _brute_force(Z, labels):
    """log p(labels) summing every alignment of the (K, T) scores."""
    K, T = Z.shape
    logp = _log_softmax(Z)
    total = -np.inf
    for path in itertools.product(range(K), repeat=T):
        if _collapse(path) == tuple(labels):
            total = np.logaddexp(total, logp[list(path), np.arange(T)].sum())
    return total


@pytest.fixture
def batch():
    rng = np.random.RandomState(0)
    K, T = 4, 6
    Z = rng.randn(K, T, 5) * 2
    labels = [
        np.array([1, 2]),
        np.array([3, 3]),  # a repeat needs a blank between
        np.array([1]),
        np.array([2, 1, 2]),
        np.array([], dtype=int),  # an empty transcript: all blanks
    ]
    lengths = np.array([6, 4, 3, 6, 5])
    w = np.array([1.0, 2.0, 0.5, 1.0, 1.0])
    return Z, labels, lengths, w


def test_ctc_loss_equals_brute_force_sum_over_alignments(batch):
    Z, labels, lengths, w = batch
    loss, _ = ctc_loss(Z, labels, lengths, w, xp=np)
    per_seq = [
        -_brute_force(Z[:, :L, b], lab)
        for b, (lab, L) in enumerate(zip(labels, lengths, strict=True))
    ]
    np.testing.assert_allclose(loss, np.dot(w, per_seq) / w.sum(), rtol=1e-12)


def test_ctc_batch_with_padding_equals_one_at_a_time(batch):
    Z, labels, lengths, w = batch
    loss, dZ = ctc_loss(Z, labels, lengths, w, xp=np)
    total = w.sum()
    for b, L in enumerate(lengths):
        one, d_one = ctc_loss(Z[:, :L, b : b + 1], [labels[b]], [L], [1.0], xp=np)
        np.testing.assert_allclose(dZ[:, :L, b] * total / w[b], d_one[:, :, 0])
        assert np.all(dZ[:, L:, b] == 0)  # padded frames get no gradient


def test_ctc_gradient_passes_finite_differences(batch):
    Z, labels, lengths, w = batch
    _, dZ = ctc_loss(Z, labels, lengths, w, xp=np)
    eps, numeric = 1e-6, np.zeros_like(Z)
    for idx in np.ndindex(Z.shape):
        up, down = Z.copy(), Z.copy()
        up[idx] += eps
        down[idx] -= eps
        numeric[idx] = (
            ctc_loss(up, labels, lengths, w, xp=np)[0]
            - ctc_loss(down, labels, lengths, w, xp=np)[0]
        ) / (2 * eps)
    np.testing.assert_allclose(dZ, numeric, atol=1e-8)


def test_ctc_float32_matches_float64(batch):
    Z, labels, lengths, w = batch
    l64, d64 = ctc_loss(Z, labels, lengths, w, xp=np)
    l32, d32 = ctc_loss(Z.astype(np.float32), labels, lengths, w, xp=np)
    assert d32.dtype == np.float32
    np.testing.assert_allclose(l32, l64, rtol=1e-5)
    np.testing.assert_allclose(d32, d64, atol=1e-5)


def test_ctc_impossible_alignment_is_infinite():
    Z = np.zeros((3, 2, 1))
    assert min_frames([1, 1]) == 3 and min_frames([1, 2]) == 2
    loss, dZ = ctc_loss(Z, [np.array([1, 1])], [2], [1.0], xp=np)
    assert loss == np.inf and np.all(np.isfinite(dZ))


def test_greedy_decode_collapses_repeats_and_removes_blanks():
    path = np.array([[0, 1, 1, 0, 1, 2, 2, 0, 0, 3], [2, 2, 0, 2, 0, 0, 0, 0, 3, 3]])
    S = np.eye(4)[path]  # one-hot scores (n, T, K)
    decoded = greedy_decode(S, np.array([10, 5]))  # the second stops at t = 5
    assert [d.tolist() for d in decoded] == [[1, 1, 2, 3], [2, 2]]


def test_beam_decode_finds_the_most_probable_labelling():
    rng = np.random.RandomState(1)
    K, T = 3, 6
    for _ in range(5):
        logp = _log_softmax(rng.randn(K, T) * 2).T
        totals = {}
        for path in itertools.product(range(K), repeat=T):
            c = _collapse(path)
            p = logp[np.arange(T), list(path)].sum()
            totals[c] = np.logaddexp(totals.get(c, -np.inf), p)
        best = max(totals, key=totals.get)
        assert tuple(beam_decode(logp, beam_width=50, prune=0).tolist()) == best


def test_beam_beats_greedy_when_alignments_add_up():
    # Best path: blank, blank (0.6 * 0.6); but 'a' has more mass in total.
    p = np.array([[0.6, 0.4], [0.6, 0.4]])
    assert greedy_decode(np.log(p)[None], np.array([2]))[0].tolist() == []
    assert beam_decode(np.log(p), beam_width=4).tolist() == [1]


@pytest.mark.parametrize(
    "a, b, d",
    [
        ("kitten", "sitting", 3),
        ("", "abc", 3),
        ("abc", "", 3),
        ("abc", "abc", 0),
        ("flaw", "lawn", 2),
        (["one", "two"], ["one", "too"], 1),
    ],
)
def test_edit_distance(a, b, d):
    assert edit_distance(a, b) == d == edit_distance(b, a)


def test_lexicon_decode_picks_the_likeliest_entry():
    rng = np.random.RandomState(2)
    K, T, n = 4, 5, 6
    Z = rng.randn(n, T, K) * 2
    logp = np.stack([_log_softmax(z.T).T for z in Z])
    lexicon = [np.array([1, 2]), np.array([3]), np.array([2, 2, 1]), np.array([3] * 4)]
    lengths = np.array([5, 5, 4, 3, 5, 2])
    best = lexicon_decode(logp, lengths, lexicon, xp=np)
    for i, L in enumerate(lengths):
        scores = [_brute_force(Z[i, :L].T, entry) for entry in lexicon]
        assert best[i] == int(np.argmax(scores))
    for pairs in (1, 3, 8):  # batches split across sequences and entries
        assert_array_equal(
            lexicon_decode(logp, lengths, lexicon, xp=np, pairs=pairs), best
        )
    for pair_frames in (1, 5, 16):  # ... or by the frames they hold
        assert_array_equal(
            lexicon_decode(logp, lengths, lexicon, xp=np, pair_frames=pair_frames),
            best,
        )
    # an entry longer than every sequence is never chosen; none fitting is -1
    assert lexicon_decode(logp, lengths, [np.array([1] * 4)], xp=np)[0] == -1
