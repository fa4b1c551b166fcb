# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""Recurrent cells: what one direction of one layer computes.

A cell is the one place that knows a recurrence.  The network
(:mod:`sklstm._network`) only stacks cells: it asks a cell for the shapes
of its two weight blocks, lets it initialise them, runs its forward and
backward passes over a whole sequence batch, and converts its weights to
and from PyTorch's layout.  Everything a cell does, it does for one
direction of one layer:

=================  ===================================================
member             meaning
=================  ===================================================
``name``           the ``cell=`` value that selects it
``n_gates``        gate blocks of H rows in its weights
``state_size``     arrays in its carried state: (h, c) or (h,)
``shapes(F, H)``   shapes of ``Wx`` (bias column last) and ``Wh``
``initialize``     draw ``Wx`` and ``Wh`` (host arrays) from a RandomState
``bias_columns``   which columns of ``(Wx, Wh)`` are biases (no decay)
``to_torch``       PyTorch's ``weight_ih, weight_hh, bias_ih, bias_hh``
``from_torch``     the reverse, into ``Wx`` and ``Wh``
``forward``        all T steps; returns a cache
``backward``       gradients of ``Wx``, ``Wh``, the input and the state
``final_state``    copies of the state after the last step (TBPTT)
=================  ===================================================

The step arithmetic lives beside each cell's math (:mod:`sklstm._lstm`,
:mod:`sklstm._gru`), with its fused kernels (:mod:`sklstm._kernels` for
CUDA, :mod:`sklstm._cpu_kernels` for numba) plugged in by ``fused``.

Adding a cell: write its forward/backward with a plain ``xp`` path (the
reference its kernels are tested against), a subclass of :class:`Cell`
here, and an entry in :data:`CELLS`; every estimator's ``cell=`` accepts
it from there.
"""

import numpy as np

from sklstm._gru import gru_backward, gru_forward
from sklstm._lstm import (
    from_torch_order,
    lstm_backward,
    lstm_forward,
    to_torch_order,
)


def glorot_uniform(W, random_state):
    """Glorot-uniform weights in every column but the last (the bias)."""
    rows, cols = W.shape
    limit = np.sqrt(6.0 / (rows + cols - 1))
    W[:, :-1] = random_state.uniform(-limit, limit, (rows, cols - 1))


def _orthogonal_blocks(W, n_blocks, H, random_state):
    """One random orthogonal (H, H) matrix per gate block of ``W[:, :H]``."""
    for k in range(n_blocks):
        q, r = np.linalg.qr(random_state.standard_normal((H, H)))
        W[k * H : (k + 1) * H, :H] = q * np.sign(np.diag(r))


class Cell:
    """The interface of a recurrent cell (see the module docstring)."""

    name = None
    n_gates = None
    state_size = 1

    def shapes(self, n_inputs, H):
        """Shapes of ``Wx`` (inputs plus a bias column) and ``Wh``."""
        raise NotImplementedError

    def initialize(self, Wx, Wh, random_state):
        """Fill the host arrays ``Wx`` and ``Wh`` with initial weights."""
        raise NotImplementedError

    def bias_columns(self):
        """For ``(Wx, Wh)``: whether the last column of each is a bias."""
        raise NotImplementedError

    def to_torch(self, Wx, Wh):
        """``{weight_ih, weight_hh, bias_ih, bias_hh}`` in PyTorch's layout."""
        raise NotImplementedError

    def from_torch(self, entry, Wx, Wh, sfx=""):
        """Write PyTorch-layout weights (keys with suffix ``sfx``) into the
        host arrays ``Wx`` and ``Wh``."""
        raise NotImplementedError

    def forward(self, X, Wx, Wh, Y, *, state, keep, ws, key, xp):
        """Run all steps of ``X`` (F+1, T, B), writing ``Y`` (H, T, B);
        ``state`` is a tuple of ``state_size`` arrays (H, B) or None."""
        raise NotImplementedError

    #: the cell's backward pass over all steps: ``(dY, cache, Wx, Wh, dWx,
    #: dWh, *, need_dX, dY_steps, ws, key, xp)`` -> a tuple, dX first
    _backward = None

    def backward(self, dY, cache, Wx, Wh, dWx, dWh, *, need_dX, steps, ws, key, xp):
        """Overwrite ``dWx`` and ``dWh``; return the input's gradient
        (F, T, B) when ``need_dX`` (else None)."""
        return type(self)._backward(
            dY,
            cache,
            Wx,
            Wh,
            dWx,
            dWh,
            need_dX=need_dX,
            dY_steps=steps,
            ws=ws,
            key=key,
            xp=xp,
        )[0]

    def final_state(self, cache):
        """Copies of the state after the last step, a tuple."""
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}()"


class LSTMCell(Cell):
    """Long short-term memory (Hochreiter & Schmidhuber, 1997), with
    PyTorch's ``nn.LSTM`` equations; internal gate order (o, i, f, g), one
    folded bias (see :mod:`sklstm._lstm`).  Initialisation: Glorot-uniform
    input weights, one orthogonal matrix per gate, forget-gate bias 1."""

    name = "lstm"
    n_gates = 4
    state_size = 2
    _backward = staticmethod(lstm_backward)

    def shapes(self, n_inputs, H):
        return (4 * H, n_inputs + 1), (4 * H, H)

    def initialize(self, Wx, Wh, random_state):
        H = Wh.shape[1]
        glorot_uniform(Wx, random_state)
        Wx[2 * H : 3 * H, -1] = 1.0  # forget gate bias
        _orthogonal_blocks(Wh, 4, H, random_state)

    def bias_columns(self):
        return True, False  # the one bias is folded into Wx

    def to_torch(self, Wx, Wh):
        return {
            "weight_ih": to_torch_order(Wx[:, :-1]).copy(),
            "weight_hh": to_torch_order(Wh).copy(),
            "bias_ih": to_torch_order(Wx[:, -1]).copy(),
            "bias_hh": np.zeros_like(Wx[:, -1]),
        }

    def from_torch(self, entry, Wx, Wh, sfx=""):
        Wx[:, :-1] = from_torch_order(np.asarray(entry["weight_ih" + sfx]))
        Wh[...] = from_torch_order(np.asarray(entry["weight_hh" + sfx]))
        bias = np.asarray(entry["bias_ih" + sfx]) + np.asarray(entry["bias_hh" + sfx])
        Wx[:, -1] = from_torch_order(bias)

    def forward(self, X, Wx, Wh, Y, *, state, keep, ws, key, xp):
        h0, c0 = (None, None) if state is None else state
        return lstm_forward(
            X, Wx, Wh, Y, h0=h0, c0=c0, keep=keep, ws=ws, key=key, xp=xp
        )

    def final_state(self, cache):
        return cache.Y[:, -1].copy(), cache.C[-1].copy()


class GRUCell(Cell):
    """Gated recurrent unit (Cho et al., 2014) with PyTorch's ``nn.GRU``
    equations and layout: gates (r, z, n), the recurrent bias kept apart
    (it sits inside ``r * (W_hn h + b_hn)``) as the last column of ``Wh``.
    Initialisation: Glorot-uniform input weights, one orthogonal matrix per
    gate, zero biases but the update gate's input bias, 1: a fresh GRU then
    keeps about three quarters of its state at each step (``z`` near 0.73),
    as the LSTM's forget-gate bias 1 makes a fresh LSTM keep its cell.  With
    zero biases it halves its state at every step: carrying a label over
    40 noisy steps (40 epochs, 700 sequences) it learned with one of two
    seeds, against both with the bias 1 (over 60 steps: none, and one)."""

    name = "gru"
    n_gates = 3
    state_size = 1
    _backward = staticmethod(gru_backward)

    def shapes(self, n_inputs, H):
        return (3 * H, n_inputs + 1), (3 * H, H + 1)

    def initialize(self, Wx, Wh, random_state):
        H = Wh.shape[1] - 1
        glorot_uniform(Wx, random_state)
        Wx[H : 2 * H, -1] = 1.0  # update gate bias: see the class docstring
        _orthogonal_blocks(Wh, 3, H, random_state)

    def bias_columns(self):
        return True, True

    def to_torch(self, Wx, Wh):
        return {
            "weight_ih": Wx[:, :-1].copy(),
            "weight_hh": Wh[:, :-1].copy(),
            "bias_ih": Wx[:, -1].copy(),
            "bias_hh": Wh[:, -1].copy(),
        }

    def from_torch(self, entry, Wx, Wh, sfx=""):
        Wx[:, :-1] = entry["weight_ih" + sfx]
        Wh[:, :-1] = entry["weight_hh" + sfx]
        Wx[:, -1] = entry["bias_ih" + sfx]
        Wh[:, -1] = entry["bias_hh" + sfx]

    def forward(self, X, Wx, Wh, Y, *, state, keep, ws, key, xp):
        h0 = None if state is None else state[0]
        return gru_forward(X, Wx, Wh, Y, h0=h0, keep=keep, ws=ws, key=key, xp=xp)

    def final_state(self, cache):
        return (cache.Y[:, -1].copy(),)


#: The cells every estimator's ``cell=`` parameter accepts, by name.
CELLS = {cell.name: cell for cell in (LSTMCell(), GRUCell())}


def get_cell(cell):
    """The cell named ``cell`` (a key of :data:`CELLS`), or ``cell`` itself
    when it is a :class:`Cell`."""
    if isinstance(cell, Cell):
        return cell
    try:
        return CELLS[cell]
    except (KeyError, TypeError):
        raise ValueError(
            f"cell must be one of {sorted(CELLS)}; got {cell!r}."
        ) from None


def cell_named_by_shape(weight_hh_shape):
    """The name of the cell whose PyTorch-layout recurrent weights have
    this shape (gates·H, H), from its gate count; 'recurrent' if none."""
    rows, H = weight_hh_shape
    for cell in CELLS.values():
        if rows == cell.n_gates * H:
            return cell.name
    return "recurrent"
