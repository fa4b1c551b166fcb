# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""A stack of (bidirectional) recurrent layers with a dense head.

All parameters live in one flat array (``params``) with named views, so a
single vectorised optimizer update serves every layer; gradients live in a
flat array of the same layout (``grads``).  Batches are feature-major
``(F+1, T, B)`` with a final row of ones (see :mod:`sklstm._lstm`).

Padding: sequence ``b`` is valid for ``t < lengths[b]``.  Forward layers run
over padded steps harmlessly (they come after the valid ones); reverse
layers run on each sequence reversed within its own length; the head reads
each sequence's own last step, and losses give padded steps weight 0.

Token input: a network built with ``n_tokens`` reads token ids ``(T, B)``
instead of vectors, and looks each id up in its ``table`` (n_tokens, F).
When the table is trainable, :meth:`LSTMNetwork.backward` leaves its
gradient as a few rows (``table_rows``, ``table_grad``): only the tokens of
the batch, so the optimizer updates those rows alone.
"""

import math

import numpy as np

from sklstm._backend import to_numpy
from sklstm._cells import cell_named_by_shape, get_cell, glorot_uniform
from sklstm._lstm import Workspace


def reverse_index(lengths, T):
    """Index (T, B) reversing each sequence within its length.

    ``rev[t, b] = lengths[b] - 1 - t`` for valid steps; padded steps map to
    themselves, so the map is its own inverse.  None when no padding.
    """
    lengths = np.asarray(lengths)
    if np.all(lengths == T):
        return None
    t = np.arange(T)[:, None]
    return np.where(t < lengths[None, :], lengths[None, :] - 1 - t, t)


def reverse_time(X, rev, *, xp):
    """Reverse the valid part of each sequence of ``X`` (K, T, B)."""
    if rev is None:
        return xp.ascontiguousarray(X[:, ::-1])
    return X[:, rev, xp.arange(X.shape[2])[None, :]]


class _Cache:
    __slots__ = (
        "lengths",
        "rev",
        "last",
        "cols",
        "layers",
        "masks",
        "feat",
        "top",
        "ids",
        "in_mask",
        "pool",
    )


class LSTMNetwork:
    """Stacked recurrent layers and a dense output layer over one flat
    parameter array.

    Parameters
    ----------
    n_inputs : int
        Features per timestep.
    hidden_layer_sizes : tuple of int
        Units of each recurrent layer.
    n_outputs : int
        Units of the dense head (classes, or regression targets).
    bidirectional : bool
        Run each layer forward and backward in time, concatenating states.
    dropout : float
        Dropout rate between LSTM layers (not after the last one).
    dropout_outer : bool
        Also drop the input vectors and the last layer's states (the
        non-recurrent connections of Zaremba et al., 2014: language models).
    return_sequences : bool
        Apply the head at every timestep instead of only the last one.
    pooling : {'last', 'mean'}
        What the head reads without ``return_sequences``: the last layer's
        states at each sequence's last step (and, bidirectional, the reverse
        states at its first), or their mean over the sequence's valid steps.
    dtype : numpy dtype
    xp : array module
    n_tokens : int or None
        Read token ids and look them up in a table of ``n_tokens`` vectors
        of length ``n_inputs`` (set it with :meth:`set_embeddings`).
    trainable_embeddings : bool
        Compute the gradient of the table's rows in :meth:`backward`.
    cell : str or Cell
        The recurrence of every layer: a name in :data:`sklstm._cells.CELLS`
        (``'lstm'``, ``'gru'``) or a :class:`~sklstm._cells.Cell`.
    """

    def __init__(
        self,
        n_inputs,
        hidden_layer_sizes,
        n_outputs,
        *,
        bidirectional=False,
        dropout=0.0,
        dropout_outer=False,
        return_sequences=False,
        pooling="last",
        dtype=np.float32,
        xp=np,
        n_tokens=None,
        trainable_embeddings=False,
        cell="lstm",
    ):
        self.cell = get_cell(cell)
        self.n_inputs = n_inputs
        self.hidden_layer_sizes = tuple(int(h) for h in hidden_layer_sizes)
        self.n_outputs = n_outputs
        self.n_directions = 2 if bidirectional else 1
        self.dropout = dropout
        self.dropout_outer = dropout_outer
        self.return_sequences = return_sequences
        self.pooling = pooling
        self.dtype = np.dtype(dtype)
        self.xp = xp

        self.layout = []  # (name, shape)
        F = n_inputs
        for layer, H in enumerate(self.hidden_layer_sizes):
            wx, wh = self.cell.shapes(F, H)
            for d in range(self.n_directions):
                self.layout.append((f"Wx{layer}_{d}", wx))
                self.layout.append((f"Wh{layer}_{d}", wh))
            F = H * self.n_directions
        self.n_top = F
        self.layout.append(("Wy", (n_outputs, F + 1)))
        self.n_params = sum(math.prod(s) for _, s in self.layout)
        self.params = xp.zeros(self.n_params, dtype=self.dtype)
        self.grads = xp.zeros(self.n_params, dtype=self.dtype)
        self.P = self._views(self.params)
        self.G = self._views(self.grads)
        self.ws = Workspace(xp)
        mask = np.ones(self.n_params, dtype=self.dtype)  # 1 on weights, 0 on biases
        has_bias = dict(zip(("Wx", "Wh"), self.cell.bias_columns(), strict=True))
        for name, view in self._views(mask).items():
            if has_bias.get(name[:2], True):  # the head's last column: its bias
                view[:, -1] = 0
        self._decay_mask = xp.asarray(mask)
        self.table = None
        if n_tokens is not None:
            self.table = xp.zeros((n_tokens, n_inputs), dtype=self.dtype)
        self.trainable_embeddings = n_tokens is not None and trainable_embeddings
        self.table_rows = self.table_grad = None

    def set_embeddings(self, table):
        """Load the token vector table (n_tokens, n_inputs)."""
        self.table[...] = self.xp.asarray(np.asarray(table, dtype=self.dtype))

    def get_embeddings(self):
        """The token vector table as a NumPy array (a copy)."""
        return to_numpy(self.table).copy()

    def trainable_arrays(self):
        """The arrays the optimizer updates: the flat parameters, and the
        table when it is trainable (saved and restored by early stopping)."""
        if self.trainable_embeddings:
            return [self.params, self.table]
        return [self.params]

    def _views(self, flat):
        views, start = {}, 0
        for name, shape in self.layout:
            size = math.prod(shape)
            views[name] = flat[start : start + size].reshape(shape)
            start += size
        return views

    def add_weight_decay(self, scale):
        """Add the gradient of ``0.5 * scale * ||W||^2`` over the weights
        (not the biases) to ``grads``; return that penalty."""
        W = self.ws.get("decay", (self.n_params,), self.dtype)
        self.xp.multiply(self.params, self._decay_mask, out=W)
        penalty = 0.5 * scale * float(self.xp.dot(W, W))
        W *= scale
        self.grads += W
        return penalty

    # ------------------------------------------------------------ weights
    def initialize(self, random_state):
        """Each layer's weights as its cell initialises them (for the LSTM:
        Glorot-uniform input weights, one orthogonal matrix per gate, zero
        biases but the forget gate's, 1), and Glorot-uniform head weights
        with a zero bias.  Drawn on the host from ``random_state``, layer by
        layer and direction by direction."""
        host = np.zeros(self.n_params, dtype=self.dtype)
        V = self._views(host)
        for layer in range(len(self.hidden_layer_sizes)):
            for d in range(self.n_directions):
                self.cell.initialize(
                    V[f"Wx{layer}_{d}"], V[f"Wh{layer}_{d}"], random_state
                )
        glorot_uniform(V["Wy"], random_state)
        self.params[...] = self.xp.asarray(host)

    def get_coefs(self):
        """Weights as NumPy arrays in PyTorch's layout and gate order.

        Returns a list with one dict per LSTM layer (keys ``weight_ih``,
        ``weight_hh``, ``bias_ih``, ``bias_hh`` and the same with suffix
        ``_reverse`` for bidirectional layers) and a final dict for the dense
        head (``weight``, ``bias``).
        """
        V = {k: to_numpy(v) for k, v in self.P.items()}
        coefs = []
        for layer in range(len(self.hidden_layer_sizes)):
            entry = {}
            for d in range(self.n_directions):
                sfx = "_reverse" if d else ""
                arrays = self.cell.to_torch(V[f"Wx{layer}_{d}"], V[f"Wh{layer}_{d}"])
                entry.update({k + sfx: v for k, v in arrays.items()})
            coefs.append(entry)
        coefs.append({"weight": V["Wy"][:, :-1].copy(), "bias": V["Wy"][:, -1].copy()})
        return coefs

    def coefs_mismatch(self, coefs):
        """None if ``coefs`` (format of :meth:`get_coefs`) fit this network,
        else the architectures of both, ``(theirs, ours)``, as text."""
        theirs, ours = _coef_shapes(coefs), self._coef_shapes()
        if theirs == ours:
            return None
        return _describe(theirs), _describe(ours)

    def step_work(self):
        """Multiply-adds of the recurrent layers' matrix products per timestep
        of one sequence (what sizes the BLAS thread pool, :mod:`sklstm._threads`)."""
        work = 0
        for layer, H in enumerate(self.hidden_layer_sizes):
            G, F1 = self.P[f"Wx{layer}_0"].shape
            work += G * (F1 + H) * self.n_directions
        return work

    def _coef_shapes(self):
        """The shapes of :meth:`get_coefs`, read off the layout (no copies)."""
        shapes = []
        for layer, H in enumerate(self.hidden_layer_sizes):
            F = self.P[f"Wx{layer}_0"].shape[1] - 1
            G = self.cell.n_gates * H
            entry = {}
            for d in range(self.n_directions):
                sfx = "_reverse" if d else ""
                entry["weight_ih" + sfx] = (G, F)
                entry["weight_hh" + sfx] = (G, H)
                entry["bias_ih" + sfx] = entry["bias_hh" + sfx] = (G,)
            shapes.append(entry)
        K, D1 = self.P["Wy"].shape
        return shapes + [{"weight": (K, D1 - 1), "bias": (K,)}]

    def set_coefs(self, coefs):
        """Load weights given in the format of :meth:`get_coefs`."""
        mismatch = self.coefs_mismatch(coefs)
        if mismatch is not None:
            theirs, ours = mismatch
            raise ValueError(
                f"Cannot load weights for {theirs} into a network with {ours}."
            )
        host = np.zeros(self.n_params, dtype=self.dtype)
        V = self._views(host)
        for layer, entry in enumerate(coefs[:-1]):
            for d in range(self.n_directions):
                sfx = "_reverse" if d else ""
                self.cell.from_torch(
                    entry, V[f"Wx{layer}_{d}"], V[f"Wh{layer}_{d}"], sfx
                )
        V["Wy"][:, :-1] = coefs[-1]["weight"]
        V["Wy"][:, -1] = coefs[-1]["bias"]
        self.params[...] = self.xp.asarray(host)

    # ------------------------------------------------------------ forward
    def forward(self, X, lengths, *, training=False, random_state=None, state=None):
        """Scores for a batch.

        Parameters
        ----------
        X : array of shape (F+1, T, B), or (T, B) token ids
            Batch with a final row of ones, on this network's device; token
            ids (0 = padding) for a network with a table.
        lengths : ndarray of shape (B,)
            Valid steps per sequence (host array).
        training : bool
            Keep activations for :meth:`backward` and apply dropout.
        random_state : numpy.random.RandomState
            Dropout masks are drawn from it (host).
        state : list of tuples or None
            Initial state of each layer, arrays (H, B): the LSTM's (h, c),
            the GRU's (h,), as returned by :meth:`final_state`
            (unidirectional networks only); zeros when None.

        Returns
        -------
        Z : array of shape (n_outputs, B), or (n_outputs, T, B) with
            ``return_sequences``.
        cache : object
            Pass to :meth:`backward`.
        """
        xp = self.xp
        cache = _Cache()
        cache.ids = cache.in_mask = cache.pool = None
        if self.table is not None:
            cache.ids, X = X, self._lookup(X)
        _, T, B = X.shape
        drop_outer = training and self.dropout > 0 and self.dropout_outer
        if drop_outer:
            cache.in_mask = self._dropout_mask(X.shape[0] - 1, T, B, random_state)
            X = xp.concatenate([X[:-1] * cache.in_mask, X[-1:]], axis=0)
        cache.lengths = np.asarray(lengths)
        rev = reverse_index(cache.lengths, T)
        cache.rev = rev = None if rev is None else xp.asarray(rev)
        cache.last = xp.asarray(cache.lengths - 1)  # on the device, once per batch
        cache.cols = xp.arange(B)
        cache.layers, cache.masks = [], []
        n_layers = len(self.hidden_layer_sizes)
        inp = X
        for layer, H in enumerate(self.hidden_layer_sizes):
            D = H * self.n_directions
            Y = self.ws.get(f"Y{layer}", (D + 1, T, B), self.dtype)
            Y[D] = 1
            P = self.P
            cell_state = None if state is None else state[layer]
            dir_caches = [
                self.cell.forward(
                    inp,
                    P[f"Wx{layer}_0"],
                    P[f"Wh{layer}_0"],
                    Y[:H],
                    state=cell_state,
                    keep=training,
                    ws=self.ws,
                    key=f"l{layer}d0",
                    xp=xp,
                )
            ]
            if self.n_directions == 2:
                Xr = reverse_time(inp, rev, xp=xp)
                Yr = xp.empty((H, T, B), dtype=self.dtype)
                dir_caches.append(
                    self.cell.forward(
                        Xr,
                        P[f"Wx{layer}_1"],
                        P[f"Wh{layer}_1"],
                        Yr,
                        state=None,
                        keep=training,
                        ws=self.ws,
                        key=f"l{layer}d1",
                        xp=xp,
                    )
                )
                Y[H:D] = reverse_time(Yr, rev, xp=xp)
            cache.layers.append(dir_caches)
            mask = None
            if training and self.dropout > 0 and (layer < n_layers - 1 or drop_outer):
                mask = self._dropout_mask(D, T, B, random_state)
                Y = xp.concatenate([Y[:D] * mask, Y[D:]], axis=0)
            cache.masks.append(mask)
            inp = Y

        cache.top = inp
        Wy = self.P["Wy"]
        if self.return_sequences:
            Z = xp.matmul(Wy, inp.reshape(self.n_top + 1, T * B))
            cache.feat = None
            return Z.reshape(-1, T, B), cache
        if self.pooling == "mean":
            feat = self._mean_states(inp, cache)
        else:
            feat = self._last_states(inp, cache)
        cache.feat = feat
        return xp.matmul(Wy, feat), cache

    def _dropout_mask(self, D, T, B, random_state):
        keep = 1.0 - self.dropout
        m = (random_state.random_sample((D, T, B)) < keep) / keep
        return self.xp.asarray(m.astype(self.dtype))

    def final_state(self, cache):
        """Copies of each layer's state (the LSTM's (h, c), the GRU's (h,))
        after the last step of a batch whose
        sequences all have the full length: the initial ``state`` of the
        batch that continues them (truncated backpropagation through time)."""
        if self.n_directions != 1:
            raise ValueError("Carried states need a unidirectional network.")
        return [self.cell.final_state(d[0]) for d in cache.layers]

    def _lookup(self, ids):
        """(F+1, T, B) batch of the vectors of ``ids`` (T, B), ones row last."""
        T, B = ids.shape
        F = self.n_inputs
        X = self.ws.get("emb", (F + 1, T, B), self.dtype)
        X[:F] = self.xp.take(self.table, ids, axis=0).transpose(2, 0, 1)
        X[F] = 1
        return X

    def _table_gradient(self, dX, ids):
        """Rows of the table used by the batch and their gradients, summed
        over the occurrences of each token; padding (id 0) excluded."""
        xp = self.xp
        F = self.n_inputs
        rows, inv = xp.unique(ids.ravel(), return_inverse=True)
        grad = xp.zeros((len(rows), F), dtype=self.dtype)
        xp.add.at(grad, inv.ravel(), dX[:F].reshape(F, -1).T)
        if int(rows[0]) == 0:
            rows, grad = rows[1:], grad[1:]
        self.table_rows, self.table_grad = rows, grad

    def _last_states(self, Y, cache):
        """(D+1, B): forward states at each sequence's last step, reverse
        states at its first step (where the reverse pass ended), ones row."""
        H = self.hidden_layer_sizes[-1]
        feat = Y[:, cache.last, cache.cols]
        if self.n_directions == 2:
            feat[H : 2 * H] = Y[H : 2 * H, 0, :]
        return feat

    def _mean_states(self, Y, cache):
        """(D+1, B): the states averaged over each sequence's valid steps
        (the ones row stays one)."""
        T, B = Y.shape[1:]
        lengths = cache.lengths
        pool = (np.arange(T)[:, None] < lengths[None, :]) / lengths[None, :]
        cache.pool = self.xp.asarray(pool.astype(self.dtype))  # (T, B)
        return (Y * cache.pool[None]).sum(axis=1)

    # ----------------------------------------------------------- backward
    def backward(self, dZ, cache, *, need_dX=False):
        """Fill ``self.grads`` from the gradient ``dZ`` w.r.t. the scores.

        Returns the gradient w.r.t. the input (F, T, B) when ``need_dX``; it
        lives in this network's workspace, valid until the next call.
        """
        xp = self.xp
        top = cache.top
        Dp1, T, B = top.shape
        D = Dp1 - 1
        Wy, G = self.P["Wy"], self.G
        if self.return_sequences:
            dZ2 = dZ.reshape(-1, T * B)
            xp.matmul(dZ2, top.reshape(Dp1, T * B).T, out=G["Wy"])
            dY = xp.matmul(Wy[:, :D].T, dZ2).reshape(D, T, B)
        else:
            xp.matmul(dZ, cache.feat.T, out=G["Wy"])
            dfeat = xp.matmul(Wy[:, :D].T, dZ)
            dY = self.ws.get("dY", (D, T, B), self.dtype)
            if self.pooling == "mean":
                xp.multiply(dfeat[:, None, :], cache.pool[None], out=dY)
            else:
                dY[...] = 0
                H = self.hidden_layer_sizes[-1]
                dY[:H, cache.last, cache.cols] = dfeat[:H]
                if self.n_directions == 2:
                    dY[H:, 0, :] = dfeat[H:]
        rev = cache.rev
        P = self.P
        return_dX = need_dX
        need_dX = need_dX or self.trainable_embeddings  # the table needs dX too
        # under a per-sequence head only each sequence's last step gets a
        # gradient from above (in both directions' own time order)
        top_steps = None
        if not self.return_sequences and self.pooling == "last":
            top_steps = set((cache.lengths - 1).tolist())
        for layer in range(len(self.hidden_layer_sizes) - 1, -1, -1):
            steps = top_steps if layer == len(self.hidden_layer_sizes) - 1 else None
            H = self.hidden_layer_sizes[layer]
            dirs = cache.layers[layer]
            if cache.masks[layer] is not None:
                dY *= cache.masks[layer]
            want_dX = layer > 0 or need_dX
            dX = None
            for d in range(self.n_directions):
                # the reverse direction ran on time-reversed sequences
                dYd = dY[:H] if d == 0 else reverse_time(dY[H:], rev, xp=xp)
                dXd = self.cell.backward(
                    dYd,
                    dirs[d],
                    P[f"Wx{layer}_{d}"],
                    P[f"Wh{layer}_{d}"],
                    G[f"Wx{layer}_{d}"],
                    G[f"Wh{layer}_{d}"],
                    need_dX=want_dX,
                    steps=steps,
                    ws=self.ws,
                    key=f"l{layer}d{d}",
                    xp=xp,
                )
                if d == 0:
                    dX = dXd
                elif want_dX:
                    dX += reverse_time(dXd, rev, xp=xp)
            dY = dX
        if cache.in_mask is not None and dY is not None:
            dY *= cache.in_mask
        if self.trainable_embeddings:
            self._table_gradient(dY, cache.ids)
        return dY if return_dX else None


def _coef_shapes(coefs):
    """The shape of every array of weights in the format of ``get_coefs``."""
    return [{k: np.shape(v) for k, v in entry.items()} for entry in coefs]


def _describe(shapes):
    """The architecture of weights with these shapes (of :func:`_coef_shapes`)."""
    layers, head = shapes[:-1], shapes[-1]
    kind = cell_named_by_shape(layers[0]["weight_hh"]) if layers else "no"
    kind = kind.upper() if kind in ("lstm", "gru") else kind
    text = f"{kind} layers {tuple(int(e['weight_hh'][1]) for e in layers)}"
    if layers and "weight_hh_reverse" in layers[0]:
        text += " (bidirectional)"
    if layers:
        text = f"{layers[0]['weight_ih'][1]} input features, " + text
    return text + f", {head['weight'][0]} outputs"
