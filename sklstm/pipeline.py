# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""scikit-learn's :class:`~sklearn.pipeline.Pipeline`, with the sequence
methods of sklstm's estimators and validation data that goes through the
pipeline.

A scikit-learn pipeline only offers the methods every estimator has
(``predict``, ``predict_proba``, ``score``, ...).  sklstm's estimators have
more: a language model's :meth:`~sklstm.LSTMLanguageModel.perplexity` and
:meth:`~sklstm.LSTMLanguageModel.generate`, a classifier's
:meth:`~sklstm.LSTMClassifier.predict_proba_steps`, a detector's
:meth:`~sklstm.LSTMAnomalyDetector.forecast`.  The pipeline here transforms
``X`` through its first steps and calls the final step's method, so that
``pipe.perplexity(texts)`` works as ``pipe.predict(texts)`` does; and the
same for the streaming methods (``predict_chunk``, ``predict_proba_chunk``,
...), whose chunks go through the first steps one at a time.
"""

import numpy as np
from sklearn import pipeline as _sk
from sklearn.utils.metaestimators import available_if

from sklstm._sequences import is_ragged_container
from sklstm.preprocessing import (
    Embedder,
    Normaliser,
    SpectrogramTransformer,
    TokenSequences,
)

# methods of the final step that take X first, beyond sklearn's own
SEQUENCE_METHODS = (
    "forecast",
    "generate",
    "perplexity",
    "predict_log_proba_frames",
    "predict_proba_steps",
    "predict_top_k",
    "top_k_accuracy",
)

# the final step's streaming methods: X_chunk and a state, (output, state) back
CHUNK_METHODS = (
    "decision_function_chunk",
    "forecast_chunk",
    "predict_chunk",
    "predict_log_proba_chunk",
    "predict_proba_chunk",
    "score_samples_chunk",
)


def _final_step_has(name):
    def check(pipe):
        getattr(pipe._final_estimator, name)  # AttributeError names the step
        return True

    return check


def _through_final_step(name):
    """A method that transforms X by every step but the last, then calls
    the last step's ``name`` with the result and the other arguments."""

    def method(self, X, *args, **kwargs):
        Xt = X
        for _, _, transformer in self._iter(with_final=False):
            Xt = transformer.transform(Xt)
        return getattr(self._final_estimator, name)(Xt, *args, **kwargs)

    method.__name__ = name
    method.__doc__ = (
        f"Transform ``X`` through the first steps, then call the final step's "
        f"``{name}`` with the result (and the other arguments as given)."
    )
    return available_if(_final_step_has(name))(method)


def _check_streams(step, transformer):
    """Refuse the steps of sklstm that cannot transform a stream chunk by
    chunk: whatever they make of a chunk must be what they make of those
    steps within the whole sequence."""
    why = None
    if isinstance(transformer, Normaliser) and transformer.per_sequence:
        why = (
            "Normaliser(per_sequence=True) scales each sequence by statistics of "
            "the whole sequence, which a stream has not read yet"
        )
    elif isinstance(transformer, SpectrogramTransformer):
        why = (
            "SpectrogramTransformer cuts each clip into overlapping frames, which "
            "straddle the chunks of a stream"
        )
    elif isinstance(transformer, Embedder) and transformer.output == "array":
        why = (
            "Embedder(output='array') pads the texts of a chunk to one length "
            "(use output='tokens' or 'list')"
        )
    elif isinstance(transformer, Embedder) and getattr(transformer, "ngrams_", 1) > 2:
        why = (
            f"Embedder with ngrams_={transformer.ngrams_} puts each n-gram after "
            "its first word, so the n-grams of more than two words that straddle "
            "two chunks would come out of order (ngrams=2 streams)"
        )
    if why is not None:
        raise ValueError(
            f"The pipeline cannot stream: its step {step!r} cannot transform a "
            f"stream one chunk at a time: {why}.  Transform the chunks with "
            "steps that treat every timestep on its own (e.g. Normaliser with "
            "statistics fitted in fit), or predict on whole sequences."
        )


def _tail_key(step):
    return f"{step}:last_word"


def _embed_chunk(embedder, step, texts, state):
    """A chunk of texts through an embedder with bigrams: each text continues
    its stream, whose last word (kept in ``state.extra``) makes a bigram
    with the text's first.  Returns the sequences and the streams' last
    words."""
    tails = None
    if state is not None:
        key = _tail_key(step)
        if key not in getattr(state, "extra", {}):
            raise ValueError(
                f"state.extra lacks {key!r}, the last word of each stream: pass "
                "the state this pipeline returned."
            )
        tails = state.extra[key]
    return embedder._transform_chunk(texts, tails)


def _is_2d(X):
    """Whether ``X`` is a 2-D array-like of numbers (univariate streams)."""
    if isinstance(X, TokenSequences) or is_ragged_container(X):
        return False
    if isinstance(X, (list, tuple)):
        try:
            return np.asarray(X).ndim == 2 and np.asarray(X).dtype.kind in "biuf"
        except ValueError:
            return False
    return getattr(X, "ndim", None) == 2


def _chunk_through_final_step(name):
    """A streaming method: ``X_chunk`` through every step but the last, each
    checked to transform timesteps on their own, then the last step's
    ``name`` with the result and the state.  A 2-D chunk holds univariate
    streams, as for the estimators: the steps get it as (n_streams,
    chunk_len, 1) (a Normaliser fitted on 2-D windows takes 2-D input for
    windows of its fitted length only) and the final step as 2-D again."""

    def method(self, X_chunk, state=None, **kwargs):
        Xt = X_chunk
        steps = list(self._iter(with_final=False))
        two_d = bool(steps) and _is_2d(Xt)
        if two_d:
            if not hasattr(Xt, "__array_namespace__"):  # device arrays stay
                Xt = np.asarray(Xt)
            Xt = Xt[:, :, None]
        for _, step, transformer in steps:
            _check_streams(step, transformer)
        tails = {}  # the last word of each stream, for an embedder's bigrams
        for _, step, transformer in steps:
            try:
                if (
                    isinstance(transformer, Embedder)
                    and getattr(transformer, "ngrams_", 1) > 1
                ):
                    Xt, tails[step] = _embed_chunk(transformer, step, Xt, state)
                else:
                    Xt = transformer.transform(Xt)
            except ValueError as error:
                raise ValueError(
                    f"The pipeline's step {step!r} could not transform the chunk "
                    f"(n_streams, chunk_len[, n_features]): {error}"
                ) from error
        if two_d and getattr(Xt, "ndim", None) == 3 and Xt.shape[2] == 1:
            Xt = Xt[:, :, 0]
        out = getattr(self._final_estimator, name)(Xt, state, **kwargs)
        if not tails:
            return out
        *result, new_state = out
        new_state.extra = {
            **new_state.extra,
            **{_tail_key(step): tail for step, tail in tails.items()},
        }
        return (*result, new_state)

    method.__name__ = name
    method.__doc__ = (
        f"Transform the chunk ``X_chunk`` through the first steps, then call "
        f"the final step's ``{name}`` with the result and ``state``; returns "
        "its (output, state).  Every step but the last must transform each "
        "timestep on its own (see the streaming guide)."
    )
    return available_if(_final_step_has(name))(method)


class Pipeline(_sk.Pipeline):
    """:class:`sklearn.pipeline.Pipeline` with sklstm's sequence methods.

    It is scikit-learn's pipeline (same parameters, cloning, grid search,
    caching and metadata routing), with three additions:

    - the final step's methods :meth:`perplexity`, :meth:`top_k_accuracy`,
      :meth:`predict_top_k`, :meth:`generate` (language models),
      :meth:`predict_proba_steps` (classifiers), :meth:`forecast`
      (detectors) and :meth:`predict_log_proba_frames` (transcribers),
      called on ``X`` transformed by the first steps;
    - the final step's streaming methods (:meth:`predict_chunk`,
      :meth:`predict_proba_chunk`, :meth:`predict_log_proba_chunk`,
      :meth:`forecast_chunk`, :meth:`score_samples_chunk`,
      :meth:`decision_function_chunk`), called on a chunk of streams
      transformed by the first steps, which must transform every timestep
      on its own (a per-sequence :class:`~sklstm.Normaliser`, a
      :class:`~sklstm.SpectrogramTransformer` or an
      :class:`~sklstm.Embedder` with ``output='array'`` raise a
      ValueError; see :ref:`streaming_guide`);
    - ``fit(X, y, validation_data=(X_val, y_val))``: the validation data is
      transformed by the first steps once they are fitted on ``X``, then
      given to the final step's ``fit`` (a plain scikit-learn pipeline
      would hand the final step the raw ``X_val``).

    Parameters
    ----------
    steps : list of (str, estimator) tuples
        As in :class:`sklearn.pipeline.Pipeline`.
    transform_input : list of str, default=None
        As in :class:`sklearn.pipeline.Pipeline`.
    memory : str or object with the joblib.Memory interface, default=None
        As in :class:`sklearn.pipeline.Pipeline`.
    verbose : bool, default=False
        As in :class:`sklearn.pipeline.Pipeline`.

    See Also
    --------
    make_pipeline : Build a pipeline without naming its steps.

    Examples
    --------
    >>> from sklstm import Embedder, LSTMLanguageModel
    >>> from sklstm.pipeline import make_pipeline
    >>> texts = ["the cat sat on the mat", "the dog sat on the log"] * 30
    >>> pipe = make_pipeline(
    ...     Embedder(vectors="random", n_dims=8, random_state=0),
    ...     LSTMLanguageModel(8, batch_size=4, bptt=5, max_iter=2, random_state=0),
    ... ).fit(texts)  # doctest: +SKIP
    >>> pipe.predict_top_k(["the cat sat on the"], k=2)  # doctest: +SKIP
    """

    def fit(self, X, y=None, **params):
        """Fit the steps in turn, as :meth:`sklearn.pipeline.Pipeline.fit`.

        Parameters
        ----------
        X : iterable
            Training data, as the first step takes it.
        y : iterable, default=None
            Training targets.
        **params : dict
            Parameters of the steps' ``fit`` (``step__name=value``), and
            ``validation_data=(X_val, y_val)`` (or
            ``<last step>__validation_data=...``): held-out data, in the
            form of ``X`` and ``y``, that the first steps transform before
            the final step validates on it.

        Returns
        -------
        self : Pipeline
            Fitted pipeline.
        """
        last = self.steps[-1][0]
        keys = [
            k for k in ("validation_data", f"{last}__validation_data") if k in params
        ]
        if not keys:
            return super().fit(X, y, **params)
        if len(keys) > 1:
            raise TypeError(
                f"Pass validation_data once: got both {keys[0]!r} and {keys[1]!r}."
            )
        validation = params.pop(keys[0])
        if not isinstance(validation, tuple) or len(validation) != 2:
            raise TypeError(
                "validation_data must be a tuple (X_val, y_val); got "
                f"{type(validation).__name__}."
            )
        X_val, y_val = validation
        final = {
            k[len(last) + 2 :]: v
            for k, v in params.items()
            if k.startswith(last + "__")
        }
        head = {k: v for k, v in params.items() if not k.startswith(last + "__")}
        if len(self.steps) > 1:
            first = self[:-1]
            Xt = first.fit_transform(X, y, **head)
            X_val = first.transform(X_val)
        elif head:
            raise TypeError(f"Unknown fit parameters: {sorted(head)}.")
        else:
            Xt = X
        estimator = self._final_estimator
        if estimator != "passthrough":
            estimator.fit(Xt, y, validation_data=(X_val, y_val), **final)
        return self


for _name in SEQUENCE_METHODS:
    setattr(Pipeline, _name, _through_final_step(_name))
for _name in CHUNK_METHODS:
    setattr(Pipeline, _name, _chunk_through_final_step(_name))
del _name


def make_pipeline(*steps, memory=None, transform_input=None, verbose=False):
    """Build a :class:`Pipeline` from estimators, naming the steps after
    their classes, as :func:`sklearn.pipeline.make_pipeline` does.

    Parameters
    ----------
    *steps : list of estimators
        The steps, in order.
    memory : str or object with the joblib.Memory interface, default=None
        As in :func:`sklearn.pipeline.make_pipeline`.
    transform_input : list of str, default=None
        As in :func:`sklearn.pipeline.make_pipeline`.
    verbose : bool, default=False
        As in :func:`sklearn.pipeline.make_pipeline`.

    Returns
    -------
    p : Pipeline
    """
    named = _sk.make_pipeline(
        *steps, memory=memory, transform_input=transform_input, verbose=verbose
    )
    return Pipeline(
        named.steps, memory=memory, transform_input=transform_input, verbose=verbose
    )
