# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""Optimizers over one flat parameter array, updated in place.

Each optimizer has the tiny interface of scikit-learn's MLP optimizers:
``update_params(params, grads)``; its state is plain arrays, so it pickles
and can move between devices (:meth:`to`).  ``update_rows(params, rows,
grads)`` updates only some rows of a 2-D parameter (an embedding table) and
their state, lazily, as PyTorch's ``SparseAdam`` does: rows a batch does
not use keep their values and their moments.
"""

import math

from sklstm._backend import to_device, to_numpy


def clip_grad_norm(grads, max_norm, *, xp):
    """Scale ``grads`` in place so that its L2 norm is at most ``max_norm``.

    ``grads`` is one array or a list of arrays (clipped by their joint
    norm).  Returns the norm before clipping.
    """
    arrays = grads if isinstance(grads, (list, tuple)) else [grads]
    norm = math.sqrt(sum(float(xp.vdot(g, g)) for g in arrays))
    if max_norm is not None and norm > max_norm:
        for g in arrays:
            g *= max_norm / (norm + 1e-12)
    return norm


def apply_gradients(net, opts, clip_norm, *, xp):
    """Clip a network's gradients and update its parameters in place.

    ``opts`` is ``[optimizer of the flat parameters, optimizer of the token
    table or None]``.  When the table is fine-tuned, the gradient of the
    batch's rows is clipped jointly with the others and only those rows are
    updated.
    """
    opt, table_opt = opts
    if net.trainable_embeddings:
        clip_grad_norm([net.grads, net.table_grad], clip_norm, xp=xp)
        table_opt.update_rows(net.table, net.table_rows, net.table_grad, xp=xp)
    else:
        clip_grad_norm(net.grads, clip_norm, xp=xp)
    opt.update_params(net.params, net.grads, xp=xp)


class Optimizer:
    _state = ()

    def __init__(self, learning_rate):
        self.learning_rate = learning_rate

    def _state_rows(self, params, rows, xp):
        """The state arrays (allocated like ``params``) restricted to ``rows``."""
        for name in self._state:
            if getattr(self, name) is None:
                setattr(self, name, xp.zeros_like(params))
        return [getattr(self, name)[rows] for name in self._state]

    def update_rows(self, params, rows, grads, *, xp):
        """Update ``params[rows]`` from their gradients ``grads`` (lazily)."""
        state = self._state_rows(params, rows, xp)
        values = params[rows]
        self._step(values, grads, state, xp)
        params[rows] = values
        for name, value in zip(self._state, state, strict=True):
            getattr(self, name)[rows] = value

    def to(self, xp):
        """Move the state arrays to the array module ``xp`` (in place)."""
        for name in self._state:
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, to_device(value, xp))
        return self

    def __getstate__(self):
        state = self.__dict__.copy()
        for name in self._state:
            if state.get(name) is not None:
                state[name] = to_numpy(state[name])
        return state


class SGD(Optimizer):
    """Stochastic gradient descent with (optionally Nesterov) momentum."""

    _state = ("velocity",)

    def __init__(self, learning_rate=0.01, momentum=0.9, nesterov=False):
        super().__init__(learning_rate)
        self.momentum, self.nesterov = momentum, nesterov
        self.velocity = None

    def update_params(self, params, grads, *, xp):
        if self.momentum and self.velocity is None:
            self.velocity = xp.zeros_like(params)
        self._step(params, grads, [self.velocity], xp)

    def _step(self, params, grads, state, xp):
        (v,) = state
        if self.momentum == 0:
            params -= self.learning_rate * grads
            return
        v *= self.momentum
        v -= self.learning_rate * grads
        if self.nesterov:
            params += self.momentum * v - self.learning_rate * grads
        else:
            params += v


class RMSprop(Optimizer):
    """RMSprop (Tieleman & Hinton, 2012), Keras' defaults."""

    _state = ("square_avg",)

    def __init__(self, learning_rate=0.001, rho=0.9, epsilon=1e-7):
        super().__init__(learning_rate)
        self.rho, self.epsilon = rho, epsilon
        self.square_avg = None

    def update_params(self, params, grads, *, xp):
        if self.square_avg is None:
            self.square_avg = xp.zeros_like(params)
        self._step(params, grads, [self.square_avg], xp)

    def _step(self, params, grads, state, xp):
        (s,) = state
        s *= self.rho
        s += (1 - self.rho) * grads * grads
        params -= self.learning_rate * grads / (xp.sqrt(s) + self.epsilon)


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with bias correction."""

    _state = ("m", "v")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        super().__init__(learning_rate)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.t = 0
        self.m = self.v = None
        self._tmp = None

    def update_params(self, params, grads, *, xp):
        if self.m is None:
            self.m, self.v = xp.zeros_like(params), xp.zeros_like(params)
        if self._tmp is None or self._tmp.shape != params.shape:
            self._tmp = xp.empty_like(params)
        self._step(params, grads, [self.m, self.v], xp, tmp=self._tmp)

    def _step(self, params, grads, state, xp, tmp=None):
        if tmp is None:
            tmp = xp.empty_like(params)
        self.t += 1
        b1, b2 = self.beta_1, self.beta_2
        m, v = state
        m *= b1
        xp.multiply(grads, 1 - b1, out=tmp)
        m += tmp
        v *= b2
        xp.multiply(grads, grads, out=tmp)
        tmp *= 1 - b2
        v += tmp
        step = self.learning_rate * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        xp.sqrt(v, out=tmp)
        tmp += self.epsilon * math.sqrt(1 - b2**self.t)
        xp.divide(m, tmp, out=tmp)
        tmp *= step
        params -= tmp

    def __getstate__(self):
        state = super().__getstate__()
        state["_tmp"] = None
        return state


# every solver name the estimators accept: add an optimizer here, and its
# name is valid everywhere
SOLVERS = {"adam": Adam, "rmsprop": RMSprop, "sgd": SGD}


def make_optimizer(solver, learning_rate, **kwargs):
    """Instantiate the optimizer named ``solver``."""
    return SOLVERS[solver](learning_rate, **kwargs)


__all__ = [
    "Adam",
    "RMSprop",
    "SGD",
    "SOLVERS",
    "apply_gradients",
    "clip_grad_norm",
    "make_optimizer",
]
