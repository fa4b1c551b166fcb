# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""Export fitted models to ONNX, to run them without Python or sklstm.

:func:`to_onnx` turns a fitted :class:`~sklstm.LSTMClassifier`,
:class:`~sklstm.LSTMRegressor`, :class:`~sklstm.LSTMAnomalyDetector` or
:class:`~sklstm.WindowScaledRegressor`, alone or at the end of a pipeline
whose earlier steps are :class:`~sklstm.Normaliser`, into an
``onnx.ModelProto``.  The recurrent layers become ONNX's own ``LSTM`` and
``GRU`` operators (one per layer, not an unrolled loop), so any ONNX
runtime runs them with its fused kernels.  :func:`make_feed` builds the
inputs of such a model from sequences in sklstm's forms (a 3-D or 2-D
array, or a list of sequences of different lengths).

The graph's inputs, batch first: ``X`` float32 (batch, time, F), padded
past each sequence's length (int64 token ids (batch, time) for a model
fitted on :class:`~sklstm.Embedder` output); ``sequence_lens`` int32
(batch,); and, per recurrent layer ``l``, ``initial_h_<l>`` (and
``initial_c_<l>`` for an LSTM) float32 (D, batch, H_l), its state before
the first step, with ``D`` 2 for bidirectional layers (forward first), else
1.  The outputs ``final_h_<l>`` (and ``final_c_<l>``) hold each layer's
state after each sequence's last valid step: fed back as the ``initial_*``
inputs of the next chunk of the same sequences, they continue them
(streaming).  With ``cell_state=False`` the graph has neither.  The
estimator's outputs are ``label`` and ``probabilities`` (classifier),
``prediction`` (regressors), ``label``, ``score_samples`` and
``decision_function`` (detector): see :func:`to_onnx` and
:ref:`onnx_guide`.
"""

import json
import numbers

import numpy as np
from sklearn.utils.validation import check_is_fitted

from sklstm._bag import BAG_WEIGHT

__all__ = ["make_feed", "to_onnx"]

#: The opset :func:`to_onnx` targets by default: onnxruntime 1.13 and later
#: run it.
DEFAULT_OPSET = 17
_MIN_OPSET = 13  # Squeeze, Unsqueeze, ReduceSum and Split take axes as inputs

# PyTorch's gate blocks -> ONNX's: LSTM (i, f, g, o) -> (i, o, f, c),
# GRU (r, z, n) -> (z, r, h)
_GATE_ORDER = {"lstm": (0, 3, 1, 2), "gru": (1, 0, 2)}
_SAME_SEQUENCE = 1e-5  # as sklstm._anomaly: states closer belong to one sequence
# the graph's input and output names, kept off intermediate values
_IO_NAMES = {
    "X",
    "sequence_lens",
    "label",
    "probabilities",
    "prediction",
    "score_samples",
    "decision_function",
}
_IO_PREFIXES = ("initial_", "final_")


def _import_onnx():
    try:
        import onnx
    except ImportError as error:  # pragma: no cover - depends on the install
        raise ImportError(
            "sklstm.onnx.to_onnx needs the onnx package: pip install "
            "'sklstm[onnx]' (or pip install onnx onnxruntime)."
        ) from error
    return onnx


# --------------------------------------------------------------------- graph
class _Graph:
    """Nodes, constants, inputs and outputs of the graph being built, with
    one method per operator pattern the converter uses."""

    def __init__(self, onnx, opset):
        self.onnx, self.opset = onnx, opset
        self.nodes, self.initializers = [], []
        self.inputs, self.outputs = [], []
        self._names = set()
        self.domains = {}  # operator sets beside the default one: {domain: version}

    def name(self, hint):
        """A fresh name for an intermediate value (never one of the graph's
        input or output names)."""
        name, k = hint, 1
        while name in self._names or name in _IO_NAMES or name.startswith(_IO_PREFIXES):
            k += 1
            name = f"{hint}_{k}"
        self._names.add(name)
        return name

    def const(self, value, hint="const", dtype=None):
        """An initializer holding ``value``; strings become string tensors."""
        array = np.asarray(value, dtype=dtype)
        if array.dtype.kind == "U":
            array = array.astype(object)
        name = self.name(hint)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def op(self, op_type, inputs, hint=None, n_out=1, **attrs):
        """Add a node; return its output name (a list when ``n_out > 1``)."""
        outs = [self.name(hint or op_type.lower()) for _ in range(n_out)]
        self.nodes.append(
            self.onnx.helper.make_node(
                op_type, list(inputs), outs, name=self.name("n_" + outs[0]), **attrs
            )
        )
        return outs[0] if n_out == 1 else outs

    def input(self, name, elem_type, shape):
        self._names.add(name)
        self.inputs.append(
            self.onnx.helper.make_tensor_value_info(name, elem_type, shape)
        )
        return name

    def output(self, value, name, elem_type, shape):
        """Expose ``value`` as the graph output ``name``."""
        self._names.add(name)
        self.nodes.append(
            self.onnx.helper.make_node("Identity", [value], [name], name=f"n_{name}")
        )
        self.outputs.append(
            self.onnx.helper.make_tensor_value_info(name, elem_type, shape)
        )

    def prune(self):
        """Drop the nodes and constants no output depends on (a pattern may
        compute a value, such as the number of steps, that goes unused)."""
        needed = {v.name for v in self.outputs}
        kept = []
        for node in reversed(self.nodes):
            if any(out in needed for out in node.output):
                kept.append(node)
                needed.update(node.input)
        self.nodes = kept[::-1]
        self.initializers = [i for i in self.initializers if i.name in needed]

    # -- patterns
    def reduce(self, op_type, x, axes, keepdims=1, hint=None):
        """``ReduceSum`` and friends over ``axes`` (an attribute before
        opset 18, an input from it; ReduceSum's from opset 13)."""
        if op_type == "ReduceSum" or self.opset >= 18:
            axes_in = self.const(np.array(axes, dtype=np.int64), "axes")
            return self.op(op_type, [x, axes_in], hint, keepdims=keepdims)
        return self.op(op_type, [x], hint, axes=list(axes), keepdims=keepdims)

    def slice(self, x, start, end, axis, hint=None):
        """``x[start:end]`` along ``axis``: ``end`` an int, None (to the
        end) or the name of a 1-element int64 tensor."""
        if end is None:
            end = np.iinfo(np.int64).max
        if not isinstance(end, str):
            end = self.const(np.array([end], dtype=np.int64), "end")
        start = self.const(np.array([start], dtype=np.int64), "start")
        axes = self.const(np.array([axis], dtype=np.int64), "axis")
        return self.op("Slice", [x, start, end, axes], hint)

    def dim(self, x, axis, hint="dim"):
        """Size of axis ``axis`` of ``x``, a 1-element int64 tensor."""
        shape = self.op("Shape", [x], "shape")
        return self.op("Gather", [shape, self.const(np.array([axis]), "axis")], hint)

    def cast(self, x, to, hint=None):
        return self.op("Cast", [x], hint or "cast", to=to)

    def valid_steps(self, lens, n_steps, layout):
        """Bool mask of the valid steps: (T, B) for ``layout='tb'``, (B, T)
        for ``'bt'``; ``lens`` int32 (B,), ``n_steps`` int64 (1,)."""
        zero, one = self.const(np.int64(0), "zero"), self.const(np.int64(1), "one")
        T = self.op("Squeeze", [n_steps, self.const(np.array([0]), "axis")], "T")
        steps = self.op("Range", [zero, T, one], "steps")  # (T,)
        lens64 = self.cast(lens, self.onnx.TensorProto.INT64, "lens64")
        if layout == "tb":
            a = self.op("Unsqueeze", [steps, self.const(np.array([1]), "axis")])
            b = self.op("Unsqueeze", [lens64, self.const(np.array([0]), "axis")])
        else:
            a = self.op("Unsqueeze", [steps, self.const(np.array([0]), "axis")])
            b = self.op("Unsqueeze", [lens64, self.const(np.array([1]), "axis")])
        return self.op("Less", [a, b], "valid")


# ----------------------------------------------------------------- unwrapping
def _is_pipeline(model):
    from sklearn.pipeline import Pipeline

    return isinstance(model, Pipeline)


def _unwrap(model, where="the model"):
    """``(normalisers, estimator)``: the Normaliser steps in order and the
    final estimator, pipelines flattened; anything else raises."""
    from sklstm import (
        LSTMAnomalyDetector,
        LSTMClassifier,
        LSTMRegressor,
        Normaliser,
        WindowScaledRegressor,
    )

    supported = (LSTMClassifier, LSTMRegressor, LSTMAnomalyDetector)
    if _is_pipeline(model):
        steps = [(n, s) for n, s in model.steps if s is not None and s != "passthrough"]
        if not steps:
            raise ValueError("The pipeline has no steps to export.")
        normalisers = []
        for name, step in steps[:-1]:
            if _is_pipeline(step):
                inner, final = _unwrap(step, f"step {name!r}")
                if final is not None:
                    raise TypeError(
                        f"Step {name!r} is a pipeline that ends in "
                        f"{type(final).__name__}; only Normaliser steps may "
                        "come before the estimator."
                    )
                normalisers += inner
                continue
            if not isinstance(step, Normaliser):
                raise TypeError(_step_error(name, step))
            normalisers.append((name, step))
        name, last = steps[-1]
        if isinstance(last, Normaliser):
            normalisers.append((name, last))
            return normalisers, None
        inner, final = _unwrap(last, f"step {name!r}")
        return normalisers + inner, final
    if isinstance(model, supported + (WindowScaledRegressor,)):
        check_is_fitted(model)
        return [], model
    raise TypeError(
        f"Cannot export {where} ({type(model).__name__}): to_onnx exports "
        "LSTMClassifier, LSTMRegressor, LSTMAnomalyDetector and "
        "WindowScaledRegressor, alone or at the end of a Pipeline whose earlier "
        f"steps are Normaliser.{_WHY_NOT.get(type(model).__name__, '')}"
    )


_WHY_NOT = {
    "LSTMLanguageModel": "  Language models are not exported: their methods "
    "start from a state read off the training text (start_state_) and "
    "generate() samples word after word, beyond one pass over a batch.",
    "LSTMTranscriber": "  A transcriber's output is a CTC decoding (a "
    "search over label sequences of any length), which is not exported.",
    "SpeakerAdaptedClassifier": "  Its spectrograms are warped per speaker "
    "at predict time (a search over warps in Python), which ONNX cannot "
    "express.",
    "Embedder": "  Embedder turns texts into token ids in Python "
    "(tokenisation and a vocabulary lookup); export the estimator alone, "
    "whose graph reads the token ids (see make_feed).",
    "SpectrogramTransformer": "  Its short-time Fourier transform and mel "
    "filters are not exported; export the estimator alone and compute the "
    "spectrograms before the ONNX model.",
}


def _step_error(name, step):
    kind = type(step).__name__
    text = (
        f"Cannot export the pipeline step {name!r} ({kind}): to_onnx exports "
        "Normaliser steps before the estimator, nothing else."
    )
    return text + _WHY_NOT.get(kind, "")


def _check_normaliser(name, norm):
    check_is_fitted(norm)
    if getattr(norm, "_input_kind", None) == "table":
        raise ValueError(
            f"Cannot export the Normaliser step {name!r}: it was fitted with "
            "two_d='columns' on a table, so its statistics belong to columns "
            "(timesteps of the sequences the estimator reads), not to features."
        )


# ------------------------------------------------------------------ to_onnx
def to_onnx(
    model,
    *,
    n_features=None,
    cell_state=True,
    opset=DEFAULT_OPSET,
    class_labels=True,
    name=None,
):
    """Export a fitted model to an ONNX graph built on ONNX's LSTM and GRU
    operators.

    Parameters
    ----------
    model : estimator or Pipeline
        A fitted :class:`~sklstm.LSTMClassifier`,
        :class:`~sklstm.LSTMRegressor`, :class:`~sklstm.LSTMAnomalyDetector`
        or :class:`~sklstm.WindowScaledRegressor` (whose regressor is an
        :class:`~sklstm.LSTMRegressor`), or a
        :class:`sklearn.pipeline.Pipeline` (or :class:`sklstm.pipeline.Pipeline`)
        of :class:`~sklstm.Normaliser` steps followed by one of them.
        Models fitted on token sequences (:class:`~sklstm.Embedder` output)
        are exported with their token vector table: the graph reads the
        token ids.
    n_features : int or None, default=None
        Features per timestep of ``X``; None reads it from the fitted
        weights (a model fitted on 2-D univariate input has 1: pass its
        sequences as ``X[:, :, None]``, or through :func:`make_feed`).
        A value that disagrees with the model raises a ValueError.
    cell_state : bool, default=True
        Give the graph each recurrent layer's initial state as inputs
        (``initial_h_<l>``, and ``initial_c_<l>`` for an LSTM) and its
        final state as outputs (``final_h_<l>``, ``final_c_<l>``), to run a
        stream chunk by chunk.  False: every sequence starts from zeros and
        the graph has neither.  Detectors never take states (their scores
        read whole sequences).
    opset : int, default=17
        The ONNX opset of the graph, 13 or later.
    class_labels : bool, default=True
        Classifiers: the ``label`` output holds the classes themselves
        (strings, integers, floats or booleans, from a constant table of
        ``classes_``); False gives their int64 index into ``classes_``.
    name : str or None, default=None
        Name of the graph; the estimator's class name by default.

    Returns
    -------
    model_proto : onnx.ModelProto
        The graph; save it with ``onnx.save(model_proto, "model.onnx")``.

    Raises
    ------
    TypeError
        For an estimator or pipeline step that cannot be exported (the
        message names it and says why).
    ValueError
        For a supported estimator whose settings cannot be exported, or
        arguments that disagree with the model.

    Notes
    -----
    The outputs, batch first (``B`` sequences, ``T`` steps):

    - classifier: ``label`` (B,) and ``probabilities`` (B, n_classes), or
      (B, T) and (B, T, n_classes) with per-timestep labels;
    - regressor: ``prediction`` (B,) or (B, n_outputs) float32, per
      timestep (B, T) or (B, T, n_outputs), in the units of ``y``
      (``y_scale_`` and ``y_mean_`` applied);
    - detector: ``label`` (B,) int64 (+1 normal, -1 anomalous),
      ``score_samples`` and ``decision_function`` (B,) float64, for both
      ``anomaly_score`` settings (the state distance embeds the states of
      the training sequences, ``reference_states_``, in the graph);
    - ``final_h_<l>`` / ``final_c_<l>`` (D, B, H_l) with ``cell_state``.

    Per-timestep outputs past a sequence's ``sequence_lens`` are
    meaningless.  Everything runs in float32 as in sklstm, except the
    statistics of per-sequence Normaliser steps and the detector's scores
    (float64, as in sklstm); results agree with sklstm's to float32
    rounding (about 1e-7, growing slowly along sequences of hundreds of
    steps).

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort  # doctest: +SKIP
    >>> from sklstm import LSTMClassifier
    >>> from sklstm.onnx import make_feed, to_onnx
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(60, 12, 2)).astype(np.float32)
    >>> y = np.where(X[:, 0, 0] > 0, "up", "down")
    >>> clf = LSTMClassifier(8, max_iter=5, random_state=0).fit(X, y)  # doctest: +SKIP
    >>> proto = to_onnx(clf)  # doctest: +SKIP
    >>> sess = ort.InferenceSession(proto.SerializeToString())  # doctest: +SKIP
    >>> label, proba = sess.run(["label", "probabilities"], make_feed(proto, X[:3]))
    ... # doctest: +SKIP
    >>> bool((label == clf.predict(X[:3])).all())  # doctest: +SKIP
    True
    """
    onnx = _import_onnx()
    from sklstm import (
        LSTMAnomalyDetector,
        LSTMClassifier,
        WindowScaledRegressor,
    )

    if not isinstance(opset, numbers.Integral) or not (
        _MIN_OPSET <= opset <= onnx.defs.onnx_opset_version()
    ):
        raise ValueError(
            f"opset must be an int from {_MIN_OPSET} to "
            f"{onnx.defs.onnx_opset_version()} (this onnx package's latest); "
            f"got {opset!r}."
        )
    normalisers, est = _unwrap(model)
    if est is None:
        raise TypeError(
            "The pipeline ends in a Normaliser: to_onnx exports an estimator "
            "(LSTMClassifier, LSTMRegressor, LSTMAnomalyDetector, "
            "WindowScaledRegressor), optionally after Normaliser steps."
        )
    window = None
    if isinstance(est, WindowScaledRegressor):
        if getattr(est, "n_series_features", None) is not None:
            raise ValueError(
                "Cannot export a WindowScaledRegressor fitted with "
                f"n_series_features={est.n_series_features}: the graph would "
                "scale its covariates with the series; refit without "
                "covariates, or predict in Python."
            )
        window = est
        inner, est = _unwrap(est.regressor_, "the regressor_ of WindowScaledRegressor")
        normalisers = normalisers + [("normaliser_", window.normaliser_)] + inner
        if not _is_lstm_regressor(est):
            raise TypeError(
                "Cannot export a WindowScaledRegressor whose regressor_ is a "
                f"{type(est).__name__}; it needs an LSTMRegressor."
            )
    for step_name, norm in normalisers:
        _check_normaliser(step_name, norm)
    if getattr(est, "quantiles_", None) is not None:
        raise ValueError(
            f"Cannot export an LSTMRegressor fitted with loss='quantile' (levels "
            f"{tuple(est.quantiles_)}): its quantile head is not exported yet; "
            "predict its quantiles in Python."
        )

    tokens = getattr(est, "embeddings_", None) is not None
    if tokens and normalisers:
        raise TypeError(
            "A model fitted on token sequences reads token ids, which a "
            "Normaliser does not scale; export the estimator alone."
        )
    coefs = est.coefs_
    layers, head = coefs[:-1], coefs[-1]
    cell = est.cell
    n_in = int(layers[0]["weight_ih"].shape[1])  # the table's width for tokens
    if n_features is not None and tokens:
        raise ValueError(
            "n_features does not apply to a model fitted on token sequences: its "
            "graph reads token ids (batch, time)."
        )
    if n_features is not None and n_features != n_in:
        raise ValueError(
            f"n_features={n_features}, but the model reads {n_in} feature(s) per "
            "timestep."
        )
    detector = isinstance(est, LSTMAnomalyDetector)
    states = bool(cell_state) and not detector

    g = _Graph(onnx, int(opset))
    TP = onnx.TensorProto
    if tokens:
        X = g.input("X", TP.INT64, ["batch", "time"])
    else:
        X = g.input("X", TP.FLOAT, ["batch", "time", int(n_in)])
    lens = g.input("sequence_lens", TP.INT32, ["batch"])
    n_steps = g.dim(X, 1, "n_steps")
    D = 2 if "weight_ih_reverse" in layers[0] else 1
    sizes = [int(e["weight_hh"].shape[1]) for e in layers]
    init = []
    if states:
        for layer, H in enumerate(sizes):
            names = ["h", "c"] if cell == "lstm" else ["h"]
            init.append(
                [
                    g.input(f"initial_{s}_{layer}", TP.FLOAT, [D, "batch", H])
                    for s in names
                ]
            )

    # the network's input vectors (B, T, F)
    if tokens:
        table = g.const(est.embeddings_.astype(np.float32), "embeddings")
        x = g.op("Gather", [table, X], "vectors", axis=0)  # (B, T, F)
    else:
        x = X
        for _, norm in normalisers:
            x, stats = _normalise(g, x, lens, n_steps, norm)
            if window is not None and norm is window.normaliser_:
                window_stats = stats
    if detector:
        outputs = _detector(g, est, x, lens, n_steps, cell)
    else:
        top, finals = _network(g, x, lens, layers, cell, D, init if states else None)
        scores, shape = _head(g, est, top, finals[-1][0], lens, n_steps, head)
        if getattr(est, "bag_", False):
            scores = _bag(g, est, X, lens, n_steps, scores)
        if window is not None:
            k = window.target_feature if n_in > 1 else 0  # 2-D X: one feature
            outputs = _window_outputs(g, est, scores, shape, window_stats, k)
        else:
            outputs = _estimator_outputs(g, est, scores, shape, class_labels)
        if states:
            for layer, (fin, H) in enumerate(zip(finals, sizes, strict=True)):
                for s, value in zip(["h", "c"], fin, strict=False):
                    outputs.append(
                        (value, f"final_{s}_{layer}", TP.FLOAT, [D, "batch", H])
                    )
    for value, out_name, elem_type, shape in outputs:
        g.output(value, out_name, elem_type, shape)
    g.prune()

    kind = type(est if window is None else window).__name__
    graph = onnx.helper.make_graph(
        g.nodes, name or kind, g.inputs, g.outputs, g.initializers
    )
    opsets = [onnx.helper.make_opsetid("", int(opset))]
    opsets += [onnx.helper.make_opsetid(d, v) for d, v in g.domains.items()]
    proto = onnx.helper.make_model(
        graph,
        opset_imports=opsets,
        producer_name="sklstm",
        producer_version=_version(),
        doc_string=f"{kind} exported by sklstm.onnx.to_onnx",
    )
    proto.ir_version = onnx.helper.find_min_ir_version_for(opsets)
    meta = {"estimator": kind, "cell": cell, "bidirectional": str(D == 2)}
    if isinstance(est, LSTMClassifier):
        meta["classes"] = _classes_json(est.classes_)
    onnx.helper.set_model_props(proto, meta)
    onnx.checker.check_model(proto)
    return proto


def _version():
    import sklstm

    return sklstm.__version__


def _is_lstm_regressor(est):
    from sklstm import LSTMRegressor

    return isinstance(est, LSTMRegressor)


def _classes_json(classes):
    try:
        return json.dumps(np.asarray(classes).tolist())
    except TypeError:
        return json.dumps([str(c) for c in classes])


# ------------------------------------------------------------ preprocessing
def _normalise(g, x, lens, n_steps, norm):
    """``(x - center) / scale`` of a Normaliser on x (B, T, F) float32;
    returns the result and the (center, scale) float64 tensors (B, 1, F) of
    per-sequence statistics (None for global ones)."""
    TP = g.onnx.TensorProto
    if not norm.per_sequence:
        # sklstm casts the statistics to the data's dtype, then subtracts
        center = g.const(np.asarray(norm.center_).astype(np.float32), "center")
        scale = g.const(np.asarray(norm.scale_).astype(np.float32), "scale")
        return g.op("Div", [g.op("Sub", [x, center]), scale], "normalised"), None
    center, scale = _sequence_statistics(g, x, lens, n_steps, norm)
    c32, s32 = g.cast(center, TP.FLOAT), g.cast(scale, TP.FLOAT)
    return g.op("Div", [g.op("Sub", [x, c32]), s32], "normalised"), (center, scale)


def _sequence_statistics(g, x, lens, n_steps, norm):
    """Center and scale (B, 1, F) float64 of each sequence's valid steps, as
    :class:`~sklstm.Normaliser` computes them with ``per_sequence=True``."""
    TP = g.onnx.TensorProto
    xd = g.cast(x, TP.DOUBLE, "x64")
    valid = g.valid_steps(lens, n_steps, "bt")  # (B, T)
    valid = g.op("Unsqueeze", [valid, g.const(np.array([2]), "axis")], "valid3")
    L = g.cast(lens, TP.DOUBLE, "L")
    L = g.op("Reshape", [L, g.const(np.array([-1, 1, 1]), "shape")], "L3")
    one = g.const(np.float64(1.0), "one_f64")
    inf = g.const(np.float64(np.inf), "inf")
    ninf = g.const(np.float64(-np.inf), "ninf")

    def lowest():
        return g.reduce("ReduceMin", g.op("Where", [valid, xd, inf]), [1], hint="lo")

    def highest():
        return g.reduce("ReduceMax", g.op("Where", [valid, xd, ninf]), [1], hint="hi")

    method = norm.method
    if method == "standard":
        zero = g.const(np.float64(0.0), "zero_f64")
        total = g.reduce("ReduceSum", g.op("Where", [valid, xd, zero]), [1])
        mean = g.op("Div", [total, L], "mean")
        dev = g.op("Where", [valid, g.op("Sub", [xd, mean]), zero], "dev")
        var = g.op("Div", [g.reduce("ReduceSum", g.op("Mul", [dev, dev]), [1]), L])
        std = g.op("Sqrt", [var], "std")
        lo, hi = lowest(), highest()
        constant = g.op("Equal", [lo, hi], "constant")
        center = g.op("Where", [constant, lo, mean], "center")
        scale = g.op("Where", [constant, one, std], "scale")
        return center, scale
    if method == "minmax":
        a, b = (float(v) for v in norm.feature_range)
        lo, hi = lowest(), highest()
        data_range = g.op("Sub", [hi, lo], "range")
        is_zero = g.op("Equal", [data_range, g.const(np.float64(0.0), "zero_f64")])
        width = g.const(np.float64(b - a), "width")
        scale = g.op("Where", [is_zero, one, g.op("Div", [data_range, width])], "scale")
        shift = g.op("Mul", [g.const(np.float64(a), "range_min"), scale])
        return g.op("Sub", [lo, shift], "center"), scale
    if method == "last":
        last = _gather_steps(
            g, xd, g.op("Sub", [lens, g.const(np.int32(1), "one_i32")])
        )
        is_zero = g.op("Equal", [last, g.const(np.float64(0.0), "zero_f64")])
        scale = g.op("Where", [is_zero, one, g.op("Abs", [last])], "scale")
        return last, scale
    # robust: percentiles of the valid steps, numpy's 'linear' method
    ordered = g.op(
        "TopK",
        [g.op("Where", [valid, xd, inf]), n_steps],  # padding sorts last
        "sorted",
        n_out=2,
        axis=1,
        largest=0,
        sorted=1,
    )[0]
    q_lo, median, q_hi = (
        _percentile(g, ordered, lens, q)
        for q in (norm.quantile_range[0], 50.0, norm.quantile_range[1])
    )
    iqr = g.op("Sub", [q_hi, q_lo], "iqr")
    is_zero = g.op("Equal", [iqr, g.const(np.float64(0.0), "zero_f64")])
    return median, g.op("Where", [is_zero, one, iqr], "scale")


def _gather_steps(g, x, index):
    """``x[b, index[b], :]`` for x (B, T, F) and int index (B,): (B, 1, F)."""
    TP = g.onnx.TensorProto
    idx = g.cast(index, TP.INT64, "step_index")
    idx = g.op("Reshape", [idx, g.const(np.array([-1, 1, 1]), "shape")])
    target = g.op("Shape", [g.slice(x, 0, 1, axis=1)], "step_shape")
    return g.op("GatherElements", [x, g.op("Expand", [idx, target])], "at_step", axis=1)


def _percentile(g, ordered, lens, q):
    """numpy.percentile(..., q) (method 'linear') of each sequence's valid
    steps, from its values sorted ascending along axis 1 (padding last)."""
    TP = g.onnx.TensorProto
    quantile = float(np.true_divide(q, 100))
    n = g.cast(lens, TP.DOUBLE, "n")
    # numpy: virtual index n * q + (1 - q) - 1 (alpha = beta = 1)
    virtual = g.op(
        "Sub",
        [
            g.op(
                "Add",
                [
                    g.op("Mul", [n, g.const(np.float64(quantile))]),
                    g.const(np.float64(1 - quantile)),
                ],
            ),
            g.const(np.float64(1.0)),
        ],
        "virtual",
    )
    last = g.op("Sub", [n, g.const(np.float64(1.0))], "last_index")
    below = g.op("Floor", [virtual], "below")
    above = g.op("Min", [g.op("Add", [below, g.const(np.float64(1.0))]), last])
    below = g.op("Min", [g.op("Max", [below, g.const(np.float64(0.0))]), last])
    gamma = g.op("Sub", [virtual, g.op("Floor", [virtual])], "gamma")
    a = _gather_steps(g, ordered, g.cast(below, TP.INT64))
    b = _gather_steps(g, ordered, g.cast(above, TP.INT64))
    t = g.op("Reshape", [gamma, g.const(np.array([-1, 1, 1]), "shape")], "t")
    diff = g.op("Sub", [b, a])
    low_side = g.op("Add", [a, g.op("Mul", [diff, t])])
    one_minus_t = g.op("Sub", [g.const(np.float64(1.0)), t])
    high_side = g.op("Sub", [b, g.op("Mul", [diff, one_minus_t])])
    upper = g.op("GreaterOrEqual", [t, g.const(np.float64(0.5))])
    return g.op("Where", [upper, high_side, low_side], "percentile")


def _window_outputs(g, est, scores, shape, stats, k):
    """A WindowScaledRegressor's prediction: its regressor's, mapped back
    with the statistics (B, 1, F) of each window's target feature ``k``."""
    TP = g.onnx.TensorProto
    value, shape = _regressor_prediction(g, est, scores, shape)  # float64
    center, scale = stats
    pick = g.const(np.array([k]), "target_feature")
    flat = g.const(np.array([-1] + [1] * (len(shape) - 1)), "shape")
    c = g.op("Reshape", [g.op("Gather", [center, pick], axis=2), flat], "target_center")
    s = g.op("Reshape", [g.op("Gather", [scale, pick], axis=2), flat], "target_scale")
    value = g.op("Add", [g.op("Mul", [value, s]), c], "window_prediction")
    return [(g.cast(value, TP.FLOAT, "prediction32"), "prediction", TP.FLOAT, shape)]


# ---------------------------------------------------------------- recurrence
def _onnx_weights(entry, cell, D):
    """W (D, G·H, F), R (D, G·H, H) and B (D, 2·G·H) of one layer in ONNX's
    gate order, from PyTorch-layout weights."""
    order = _GATE_ORDER[cell]

    def gates(a):
        H = a.shape[0] // len(order)
        return np.concatenate([a[k * H : (k + 1) * H] for k in order], axis=0)

    W, R, B = [], [], []
    for d in range(D):
        sfx = "_reverse" if d else ""
        W.append(gates(np.asarray(entry["weight_ih" + sfx])))
        R.append(gates(np.asarray(entry["weight_hh" + sfx])))
        B.append(
            np.concatenate(
                [
                    gates(np.asarray(entry["bias_ih" + sfx])),
                    gates(np.asarray(entry["bias_hh" + sfx])),
                ]
            )
        )
    return (np.stack(a).astype(np.float32) for a in (W, R, B))


def _network(g, x, lens, layers, cell, D, init):
    """Run the recurrent layers on x (B, T, F); returns the top layer's
    states (T, B, D·H) and each layer's final states [(Y_h, Y_c), ...]."""
    x = g.op("Transpose", [x], "time_major", perm=[1, 0, 2])
    finals = []
    for layer, entry in enumerate(layers):
        H = int(entry["weight_hh"].shape[1])
        W, R, B = _onnx_weights(entry, cell, D)
        inputs = [
            x,
            g.const(W, f"W_{layer}"),
            g.const(R, f"R_{layer}"),
            g.const(B, f"B_{layer}"),
            lens,
        ]
        if init is not None:
            inputs += init[layer]
        attrs = {
            "hidden_size": H,
            "direction": "bidirectional" if D == 2 else "forward",
        }
        if cell == "lstm":
            Y, Y_h, Y_c = g.op("LSTM", inputs, f"Y_{layer}", n_out=3, **attrs)
            finals.append((Y_h, Y_c))
        else:
            Y, Y_h = g.op(
                "GRU", inputs, f"Y_{layer}", n_out=2, linear_before_reset=1, **attrs
            )
            finals.append((Y_h,))
        # (T, D, B, H) -> (T, B, D·H): the directions side by side, as sklstm
        Y = g.op("Transpose", [Y], perm=[0, 2, 1, 3])
        x = g.op(
            "Reshape", [Y, g.const(np.array([0, 0, -1]), "shape")], f"states_{layer}"
        )
    return x, finals


def _head(g, est, top, top_h, lens, n_steps, head):
    """The dense head on the top layer's states: float32 scores (B, K), or
    (B, T, K) per timestep, and that shape (with symbolic dimensions)."""
    weight = g.const(np.asarray(head["weight"]).T.astype(np.float32), "head_weight")
    bias = g.const(np.asarray(head["bias"]).astype(np.float32), "head_bias")
    K = int(np.asarray(head["bias"]).shape[0])
    if est._sequence_targets:
        feat = g.op("Transpose", [top], "batch_major", perm=[1, 0, 2])  # (B, T, DH)
        shape = ["batch", "time", K]
    elif est._head_pooling(getattr(est, "embeddings_", None) is not None) == "mean":
        feat = _mean_over_steps(g, top, lens, n_steps, "tb", "mean_states")
        shape = ["batch", K]
    else:
        # Y_h: forward states at each sequence's last valid step, reverse
        # ones at step 0 (where the reverse pass ends), (D, B, H)
        feat = g.op("Transpose", [top_h], perm=[1, 0, 2])
        feat = g.op(
            "Reshape", [feat, g.const(np.array([0, -1]), "shape")], "last_states"
        )
        shape = ["batch", K]
    scores = g.op("Add", [g.op("MatMul", [feat, weight]), bias], "scores")
    return scores, shape


def _mean_over_steps(g, x, lens, n_steps, layout, hint):
    """float32 x (T, B, F) for ``layout='tb'``, (B, T, F) for ``'bt'``,
    averaged over each sequence's valid steps: (B, F)."""
    valid = g.valid_steps(lens, n_steps, layout)
    valid = g.op("Unsqueeze", [valid, g.const(np.array([2]), "axis")])
    zero = g.const(np.float32(0.0), "zero_f32")
    axis = 0 if layout == "tb" else 1
    total = g.reduce("ReduceSum", g.op("Where", [valid, x, zero]), [axis], keepdims=0)
    count = g.op(
        "Unsqueeze",
        [g.cast(lens, g.onnx.TensorProto.FLOAT), g.const(np.array([1]), "axis")],
    )
    return g.op("Div", [total, count], hint)


def _bag(g, est, ids, lens, n_steps, scores):
    """A classifier's scores with its bag of n-grams averaged in: the mean
    over the texts' steps of their token's and pair's score rows plus the
    intercept (``bag=True``)."""
    table = g.const(est.bag_token_scores_.astype(np.float32), "bag_token_scores")
    rows = g.op("Gather", [table, ids], "bag_rows", axis=0)  # (B, T, K)
    if len(est.bag_pair_keys_):
        rows = g.op("Add", [rows, _bag_pair_rows(g, est, ids)], "bag_step_rows")
    mean = _mean_over_steps(g, rows, lens, n_steps, "bt", "bag_mean")
    intercept = g.const(est.bag_intercept_.astype(np.float32), "bag_intercept")
    bag = g.op("Add", [mean, intercept], "bag_scores")
    w = g.const(np.float32(BAG_WEIGHT), "bag_weight")
    w_net = g.const(np.float32(1 - BAG_WEIGHT), "network_weight")
    return g.op(
        "Add", [g.op("Mul", [scores, w_net]), g.op("Mul", [bag, w])], "mixed_scores"
    )


def _bag_pair_rows(g, est, ids):
    """The score rows of the pairs each step of ``ids`` (B, T) ends, (B, T,
    K): found by an ``ai.onnx.ml`` LabelEncoder from a pair's key to its row
    (row 0 of the padded pair table is zeros, for pairs not seen in
    training); a text's first step ends none."""
    keys = est.bag_pair_keys_
    K = est.bag_pair_scores_.shape[1]
    pairs = np.vstack([np.zeros((1, K)), est.bag_pair_scores_])
    pairs = g.const(pairs.astype(np.float32), "bag_pair_scores")
    before = g.slice(ids, 0, -1, 1, "ids_before")
    after = g.slice(ids, 1, None, 1, "ids_after")
    n_tokens = g.const(np.int64(len(est.bag_token_scores_)), "n_tokens")
    code = g.op("Add", [g.op("Mul", [before, n_tokens]), after], "pair_keys")
    g.domains["ai.onnx.ml"] = 2
    index = g.op(
        "LabelEncoder",
        [code],
        "pair_rows",
        domain="ai.onnx.ml",
        keys_int64s=keys.tolist(),
        values_int64s=list(range(1, len(keys) + 1)),
        default_int64=0,
    )
    pair_rows = g.op("Gather", [pairs, index], "bag_pair_rows", axis=0)
    # a text's first step ends no pair: (B, T - 1, K) -> (B, T, K)
    pads = g.const(np.array([0, 1, 0, 0, 0, 0]), "pads")
    return g.op("Pad", [pair_rows, pads], "bag_pair_steps")


def _detector(g, est, x, lens, n_steps, cell):
    """The outputs of an LSTMAnomalyDetector on x (B, T, F): its
    ``score_samples`` (either ``anomaly_score``), ``decision_function`` and
    ``label``."""
    TP = g.onnx.TensorProto
    if est.anomaly_score == "forecast_error":
        score = _forecast_score(g, est, x, lens, cell)
    else:
        score = None
        snapshots = (est.initial_coefs_, est.coefs_)
        for k, (coefs, ref, scale, w) in enumerate(
            zip(
                snapshots,
                est.reference_states_,
                est.state_scales_,
                est.unit_weights_,
                strict=True,
            )
        ):
            top, _ = _network(g, x, lens, coefs[:-1], cell, 1, None)
            top = g.op("Mul", [top, g.const(w, "unit_weights")])
            near = _nearest_reference(g, top, lens, n_steps, ref, est, k)
            part = g.op("Div", [near, g.const(np.float64(scale), "state_scale")])
            score = g.op("Neg", [part]) if score is None else g.op("Sub", [score, part])
        score = g.op("Div", [score, g.const(np.float64(len(snapshots)))], "score")
    decision = g.op("Sub", [score, g.const(np.float64(est.offset_), "offset")])
    normal = g.op("GreaterOrEqual", [decision, g.const(np.float64(0.0))])
    label = g.op(
        "Where",
        [normal, g.const(np.int64(1), "inlier"), g.const(np.int64(-1), "outlier")],
        "label",
    )
    return [
        (label, "label", TP.INT64, ["batch"]),
        (score, "score_samples", TP.DOUBLE, ["batch"]),
        (decision, "decision_function", TP.DOUBLE, ["batch"]),
    ]


def _forecast_score(g, est, x, lens, cell):
    """Minus the mean squared forecast error of each sequence: the network
    reads steps ``0 .. L - horizon - 1`` and forecasts, at each, the
    ``horizon`` steps that follow."""
    TP = g.onnx.TensorProto
    K = int(est.horizon)
    inputs = g.slice(x, 0, -K, axis=1)
    in_lens = g.op("Sub", [lens, g.const(np.int32(K), "horizon")], "input_lens")
    top, _ = _network(g, inputs, in_lens, est.coefs_[:-1], cell, 1, None)
    n_in = g.dim(inputs, 1, "n_input_steps")
    forecast, _ = _head(g, est, top, None, in_lens, n_in, est.coefs_[-1])
    # target at step t: steps t + 1 .. t + K, k-major as sklstm lays them out
    targets = [
        g.slice(x, 1 + k, k + 1 - K if k + 1 < K else None, 1, f"target_{k}")
        for k in range(K)
    ]
    target = g.op("Concat", targets, "targets", axis=2) if K > 1 else targets[0]
    diff = g.op(
        "Sub", [g.cast(forecast, TP.DOUBLE), g.cast(target, TP.DOUBLE)], "error"
    )
    err = g.reduce("ReduceMean", g.op("Mul", [diff, diff]), [2], keepdims=0)
    valid = g.valid_steps(in_lens, n_in, "bt")
    err = g.op("Where", [valid, err, g.const(np.float64(0.0), "zero_f64")])
    total = g.reduce("ReduceSum", err, [1], keepdims=0)
    mean = g.op("Div", [total, g.cast(in_lens, TP.DOUBLE)])
    return g.op("Neg", [mean], "score")


def _nearest_reference(g, top, lens, n_steps, ref, est, snapshot):
    """Distance (B,) float64 of each sequence's states (top: (T, B, Dh)) to
    those of its nearest training sequence, a sequence at distance 0 (its
    own states) excepted, as :func:`sklstm._anomaly.state_distances` and
    :func:`~sklstm._anomaly.nearest_other` compute it."""
    from sklstm._anomaly import cumulative_norms

    TP = g.onnx.TensorProto
    ref = np.asarray(ref, dtype=np.float32)  # (N, Tr, Dh), zero past lengths
    N, Tr, _ = ref.shape
    s = f"_{snapshot}"
    valid = g.valid_steps(lens, n_steps, "bt")
    valid = g.op("Unsqueeze", [valid, g.const(np.array([2]), "axis")])
    A = g.cast(g.op("Transpose", [top], perm=[1, 0, 2]), TP.DOUBLE, "states64")
    A = g.op("Where", [valid, A, g.const(np.float64(0.0), "zero_f64")], "states")
    sq = g.reduce("ReduceSum", g.op("Mul", [A, A]), [2], keepdims=0)
    norms_a = g.op("CumSum", [sq, g.const(np.int64(1), "axis")], "norms")  # (B, T)
    norms_b = g.const(cumulative_norms(ref).T.copy(), "reference_norms" + s)  # (Tr, N)
    lengths_b = np.asarray(est.reference_lengths_, dtype=np.int64)
    lens64 = g.op("Unsqueeze", [g.cast(lens, TP.INT64), g.const(np.array([1]), "axis")])
    m = g.op("Min", [lens64, g.const(lengths_b[None, :], "reference_lengths")], "m")
    last = g.op("Sub", [m, g.const(np.int64(1), "one")], "last_common")
    d2 = g.op(
        "Add",
        [
            g.op("GatherElements", [norms_a, last], axis=1),
            g.op("GatherElements", [norms_b, last], axis=0),
        ],
    )
    # the products over the steps both have (past the shorter, one is zero)
    a = g.slice(A, 0, Tr, axis=1)
    b = g.const(ref.transpose(1, 2, 0).copy(), "reference_states" + s)  # (Tr, Dh, N)
    b = g.slice(b, 0, n_steps, axis=0)
    a = g.op("Reshape", [a, g.const(np.array([0, -1]), "shape")])
    b = g.op("Reshape", [g.cast(b, TP.DOUBLE), g.const(np.array([-1, N]), "shape")])
    ab = g.op("MatMul", [a, b], "products")
    d2 = g.op("Sub", [d2, g.op("Mul", [ab, g.const(np.float64(2.0))])])
    d2 = g.op("Max", [d2, g.const(np.float64(0.0), "zero_f64")])
    dist = g.op("Sqrt", [g.op("Div", [d2, g.cast(m, TP.DOUBLE)])], "distances")
    eps = g.const(np.float64(_SAME_SEQUENCE), "same_sequence")
    zero = g.const(np.float64(0.0), "zero_f64")
    if N < 2:
        d = g.op("Squeeze", [dist, g.const(np.array([1]), "axis")])
        return g.op("Where", [g.op("Greater", [d, eps]), d, zero], "nearest")
    two = g.op(
        "TopK",
        [dist, g.const(np.array([2]), "k")],
        n_out=2,
        axis=1,
        largest=0,
        sorted=1,
    )[0]
    first = g.op("Gather", [two, g.const(np.int64(0))], axis=1)
    second = g.op("Gather", [two, g.const(np.int64(1))], axis=1)
    second = g.op("Where", [g.op("Greater", [second, eps]), second, zero])
    return g.op("Where", [g.op("Greater", [first, eps]), first, second], "nearest")


def _estimator_outputs(g, est, scores, shape, class_labels):
    """The estimator's outputs from the head's scores."""
    from sklstm import LSTMClassifier

    TP = g.onnx.TensorProto
    if isinstance(est, LSTMClassifier):
        proba = g.op("Softmax", [scores], "proba", axis=-1)
        # on the scores, as sklstm (ties in rounded probabilities aside)
        index = g.op("ArgMax", [scores], "class_index", axis=-1, keepdims=0)
        label, label_type = index, TP.INT64
        if class_labels:
            classes, label_type = _class_table(g.onnx, est.classes_)
            label = g.op("Gather", [g.const(classes, "classes"), index], axis=0)
        return [
            (label, "label", label_type, shape[:-1]),
            (proba, "probabilities", TP.FLOAT, shape),
        ]
    value, shape = _regressor_prediction(g, est, scores, shape)
    return [(g.cast(value, TP.FLOAT, "prediction32"), "prediction", TP.FLOAT, shape)]


def _regressor_prediction(g, est, scores, shape):
    """A regressor's prediction in float64 (as sklstm computes it): the
    scores in the units of y, the target axis dropped for 1-D y; and its
    shape."""
    TP = g.onnx.TensorProto
    value = g.cast(scores, TP.DOUBLE, "scores64")
    if est.y_mean_ is not None:
        scale = g.const(np.asarray(est.y_scale_, dtype=np.float64), "y_scale")
        mean = g.const(np.asarray(est.y_mean_, dtype=np.float64), "y_mean")
        value = g.op("Add", [g.op("Mul", [value, scale]), mean], "unscaled")
    if est._squeeze_output:
        value = g.op("Squeeze", [value, g.const(np.array([-1]), "axis")])
        shape = shape[:-1]
    return value, shape


def _class_table(onnx, classes):
    """``classes_`` as an array ONNX can hold, and its element type."""
    TP = onnx.TensorProto
    classes = np.asarray(classes)
    if classes.dtype.kind in "US" or (
        classes.dtype == object and all(isinstance(c, str) for c in classes)
    ):
        return classes.astype(str).astype(object), TP.STRING
    if classes.dtype.kind in "iu":
        return classes.astype(np.int64), TP.INT64
    if classes.dtype.kind == "b":
        return classes, TP.BOOL
    if classes.dtype.kind == "f":
        return classes.astype(np.float64), TP.DOUBLE
    raise ValueError(
        f"The classes_ of this classifier ({classes.dtype} values such as "
        f"{classes[0]!r}) have no ONNX tensor type; export with "
        "class_labels=False, whose label output is the index into classes_."
    )


# ---------------------------------------------------------------- make_feed
_ELEM_TYPES = {1: np.float32, 6: np.int32, 7: np.int64}  # TensorProto codes
_TYPE_NAMES = {
    "tensor(float)": np.float32,
    "tensor(int32)": np.int32,
    "tensor(int64)": np.int64,
}


def _input_specs(model):
    """``{name: (dtype, shape)}`` of the inputs of a ModelProto or of an
    onnxruntime InferenceSession; symbolic dimensions are strings."""
    if hasattr(model, "get_inputs"):
        return {
            i.name: (_TYPE_NAMES[i.type], list(i.shape)) for i in model.get_inputs()
        }
    graph = model.graph
    constants = {init.name for init in graph.initializer}
    specs = {}
    for value in graph.input:
        if value.name in constants:
            continue
        tensor = value.type.tensor_type
        dims = [
            d.dim_param if d.HasField("dim_param") else d.dim_value
            for d in tensor.shape.dim
        ]
        specs[value.name] = (_ELEM_TYPES[tensor.elem_type], dims)
    return specs


def _padded(X, n_features, dtype):
    """Sequences in sklstm's forms as a zero-padded (B, T[, F]) array and
    their lengths."""
    tokens = n_features is None
    if hasattr(X, "ids") and hasattr(X, "lengths"):  # TokenSequences
        X = [X.ids(i) for i in range(len(X))]
    elif not isinstance(X, (list, tuple)) and hasattr(X, "__array__"):
        X = np.asarray(X)  # DataFrames, arrays of other libraries
    if isinstance(X, np.ndarray) and X.dtype != object:
        if tokens and X.ndim == 2:
            return X.astype(dtype), np.full(len(X), X.shape[1], np.int32)
        if not tokens and X.ndim == 2 and n_features == 1:
            X = X[:, :, None]
        if not tokens and X.ndim == 3:
            if X.shape[2] != n_features:
                raise ValueError(
                    f"X has {X.shape[2]} features per timestep; the model reads "
                    f"{n_features}."
                )
            return X.astype(dtype), np.full(len(X), X.shape[1], np.int32)
        if not tokens:
            raise ValueError(
                f"X of shape {X.shape}: give a 3-D array (n_samples, n_timesteps, "
                f"{n_features}), a 2-D array of univariate sequences, or a list of "
                "sequences."
            )
    seqs = [np.asarray(s) for s in X]
    if not seqs:
        raise ValueError("X holds no sequences.")
    if not tokens:
        seqs = [s[:, None] if s.ndim == 1 else s for s in seqs]
        for i, s in enumerate(seqs):
            if s.ndim != 2 or s.shape[1] != n_features:
                raise ValueError(
                    f"X[{i}] has shape {s.shape}; the model reads sequences of shape "
                    f"(n_timesteps, {n_features})."
                )
    lengths = np.array([len(s) for s in seqs], dtype=np.int32)
    if lengths.min() < 1:
        raise ValueError("Every sequence needs at least one timestep.")
    shape = (len(seqs), int(lengths.max())) + (() if tokens else (n_features,))
    out = np.zeros(shape, dtype=dtype)
    for i, s in enumerate(seqs):
        out[i, : len(s)] = s
    return out, lengths


def make_feed(model, X, *, states=None):
    """The inputs of a model exported by :func:`to_onnx`, for sequences ``X``.

    Pads ``X`` into the ``X`` input, fills ``sequence_lens`` with the
    sequences' lengths and the ``initial_*`` state inputs (when the graph
    has them) with zeros or with ``states``.  NumPy only: it needs neither
    onnx nor onnxruntime beyond the model given.

    Parameters
    ----------
    model : onnx.ModelProto or onnxruntime.InferenceSession
        The exported model, or a session running it.
    X : array-like of shape (n_samples, n_timesteps, n_features) or \
(n_samples, n_timesteps), or list of arrays
        Sequences in the forms sklstm's estimators take: a 3-D array, a 2-D
        array of univariate sequences, or a list of ``(T_i, n_features)``
        or ``(T_i,)`` arrays of different lengths (zero-padded here).  For a
        model fitted on token sequences: :class:`~sklstm.TokenSequences`,
        a list of token id arrays, or a 2-D int array of ids.
    states : dict or None, default=None
        The states to continue from: the outputs of the previous run as a
        dict (its ``final_h_<l>`` / ``final_c_<l>`` arrays become this run's
        ``initial_h_<l>`` / ``initial_c_<l>``; ``initial_*`` keys are taken
        as they are).  None: zeros, the start of every sequence.

    Returns
    -------
    feed : dict of str to ndarray
        The input arrays by name, for ``session.run(None, feed)``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm import LSTMRegressor
    >>> from sklstm.onnx import make_feed, to_onnx
    >>> X = np.random.RandomState(0).normal(size=(40, 10, 1))
    >>> reg = LSTMRegressor(8, max_iter=3).fit(X, X[:, :, 0])  # doctest: +SKIP
    >>> proto = to_onnx(reg)  # doctest: +SKIP
    >>> feed = make_feed(proto, [X[0, :4], X[1]])  # doctest: +SKIP
    >>> feed["X"].shape, feed["sequence_lens"].tolist()  # doctest: +SKIP
    ((2, 10, 1), [4, 10])
    """
    specs = _input_specs(model)
    if "X" not in specs or "sequence_lens" not in specs:
        raise ValueError(
            "The model has no 'X' and 'sequence_lens' inputs: give a model made "
            "by sklstm.onnx.to_onnx (or a session running one)."
        )
    dtype, x_shape = specs["X"]
    tokens = len(x_shape) == 2
    n_features = None if tokens else x_shape[2]
    Xp, lengths = _padded(X, n_features, dtype)
    feed = {"X": Xp, "sequence_lens": lengths}
    B = len(lengths)
    for name, (dtype, shape) in specs.items():
        if not name.startswith("initial_"):
            continue
        D, _, H = shape
        final = "final_" + name[len("initial_") :]
        given = None
        if states is not None:
            given = states.get(final, states.get(name))
            if given is None:
                raise ValueError(
                    f"states has neither {final!r} nor {name!r}; pass the outputs "
                    "of the previous run as a dict (names to arrays)."
                )
        if given is None:
            feed[name] = np.zeros((D, B, H), dtype=dtype)
            continue
        given = np.asarray(given, dtype=dtype)
        if given.shape != (D, B, H):
            raise ValueError(
                f"The state for {name!r} has shape {given.shape}; this batch of "
                f"{B} sequence(s) needs ({D}, {B}, {H})."
            )
        feed[name] = given
    return feed
