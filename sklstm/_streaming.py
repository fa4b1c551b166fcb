# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""Streaming: reading sequences a chunk of timesteps at a time.

The estimators' ``*_chunk`` methods (``predict_chunk``,
``predict_proba_chunk``, the detector's ``score_samples_chunk``...) run the
network on one chunk from the state the previous chunk left, through the
helpers here; :class:`StreamState` is what they carry from call to call.
"""

import zlib

import numpy as np

from sklstm._backend import to_numpy


class StreamState:
    """Where streams read one chunk at a time stand: the recurrent state
    that the streaming methods (``predict_chunk`` and the other
    ``*_chunk`` methods) carry from one chunk to the next.

    Every streaming method takes ``state`` and returns the state after the
    chunk: pass it to the next call with the next chunk of the same
    streams, in the same order; ``state=None`` starts new streams.  A state
    holds NumPy arrays only, so it pickles: save it, and resume the streams
    later, in another process, or with the same fitted model loaded on
    another device.  A state is never modified by a call; each call
    returns a new one.

    Attributes
    ----------
    layers : list of tuple of ndarray
        Each recurrent layer's state after the last step read, bottom layer
        first: the LSTM's ``(h, c)``, the GRU's ``(h,)``; float32 arrays of
        shape (units, n_streams), the layout of
        :attr:`LSTMLanguageModel.start_state_`.
    n_steps : int
        Timesteps read so far by every stream.
    extra : dict
        What else the model carries from chunk to chunk, NumPy arrays:
        ``'pooled_sum'``, the float64 sum of the top layer's states over
        the steps read (a head with ``pooling='mean'``); for
        :class:`LSTMAnomalyDetector`, the states of its initial snapshot
        (``'initial_layers'``) and the summed squared distances to its
        training sequences (``'squared_distances'``), or the last
        ``horizon`` inputs and forecasts and the summed forecast errors.
    model : str
        The model that made the state: its class and a checksum of its
        weights.  Another model refuses the state.

    Notes
    -----
    ``n_streams`` (a property) is the number of streams the state covers.
    """

    def __init__(self, layers, n_steps, extra, model):
        self.layers = layers
        self.n_steps = int(n_steps)
        self.extra = extra
        self.model = model

    @property
    def n_streams(self):
        """Number of streams the state covers."""
        return int(self.layers[0][0].shape[1])

    def __repr__(self):
        units = tuple(int(s[0].shape[0]) for s in self.layers)
        return (
            f"StreamState(n_streams={self.n_streams}, n_steps={self.n_steps}, "
            f"units={units}, model={self.model!r})"
        )


def stream_key(estimator, tag=""):
    """What identifies a fitted model's stream states: its class, ``tag``
    (what else shapes its state), and a checksum of its biases (cheap, and
    different for any two fits)."""
    crc = 0
    for entry in estimator.coefs_:
        for name in sorted(entry):
            if name.startswith("bias"):
                data = np.ascontiguousarray(entry[name], dtype=np.float32)
                crc = zlib.crc32(data.tobytes(), crc)
    tag = f"[{tag}]" if tag else ""
    return f"{type(estimator).__name__}{tag}:{crc:08x}"


def check_stream_state(state, key, net, n_streams, extra=()):
    """``state`` (a :class:`StreamState` or None) checked against the
    model ``key`` with network ``net`` and a chunk of ``n_streams``
    streams; ``extra`` names the entries of ``state.extra`` it needs."""
    if state is None:
        return None
    if not isinstance(state, StreamState):
        raise TypeError(
            "state must be the StreamState returned by the previous call on "
            f"the same streams, or None to start new streams; got "
            f"{type(state).__name__}."
        )
    if state.model != key:
        raise ValueError(
            f"This state was made by another model ({state.model}), not by this "
            f"one ({key}): a state continues the streams of the model that "
            "returned it.  Start new streams with state=None."
        )
    sizes, size = net.hidden_layer_sizes, net.cell.state_size
    layers = state.layers
    if (
        not isinstance(layers, list)
        or len(layers) != len(sizes)
        or any(len(s) != size for s in layers)
    ):
        raise ValueError(
            f"state.layers must hold {len(sizes)} layer state(s) of {size} "
            "array(s) each, as the model returned them."
        )
    if state.n_streams != n_streams:
        raise ValueError(
            f"The state covers {state.n_streams} stream(s), but X_chunk holds "
            f"{n_streams}: give every call a chunk of each of the same streams, "
            "in the same order (or keep one state per stream)."
        )
    for H, s in zip(sizes, layers, strict=True):
        if any(np.shape(a) != (H, n_streams) for a in s):
            raise ValueError(
                f"state.layers hold arrays of shapes {[np.shape(a) for a in s]}; "
                f"this model's layer of {H} units needs ({H}, {n_streams})."
            )
    missing = [name for name in extra if name not in state.extra]
    if missing:
        raise ValueError(f"state.extra lacks {missing}; pass the state as returned.")
    return state


def check_chunk_lengths(seqs):
    """The steps of a chunk, the same for every stream."""
    lengths = seqs.lengths
    if np.any(lengths != lengths[0]):
        raise ValueError(
            "The streams of a chunk advance together: X_chunk holds chunks of "
            f"{sorted(set(lengths.tolist()))} timesteps.  Give every stream the "
            "same number of steps per call, or keep one state per stream."
        )
    return int(lengths[0])


def layers_on(layers, xp):
    """Layer states (of :attr:`StreamState.layers`) as arrays of ``xp``, for
    :meth:`LSTMNetwork.forward`; None stays None (zeros)."""
    if layers is None:
        return None
    return [tuple(xp.asarray(a) for a in s) for s in layers]


def run_chunk(net, X, lengths, layers):
    """Run ``net`` over a chunk ``X`` (F+1, T, B) from the device states
    ``layers`` (None: zeros); returns the scores, the cache and each layer's
    state after the chunk as NumPy arrays."""
    Z, cache = net.forward(X, lengths, training=False, state=layers)
    return Z, cache, [tuple(to_numpy(a) for a in s) for s in net.final_state(cache)]


NOT_UNIDIRECTIONAL = (
    "{name} was fitted with bidirectional=True: its reverse direction reads "
    "each sequence from its end, which a stream has not reached.  Streaming "
    "needs a unidirectional model (bidirectional=False); predict on whole "
    "sequences instead."
)
