# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""set_output for transformers of sequences: tables in a DataFrame, sequences as
they are."""

from sklearn.base import TransformerMixin
from sklearn.utils._set_output import ADAPTERS_MANAGER, _get_container_adapter


class SequenceTransformerMixin(TransformerMixin, auto_wrap_output_keys=None):
    """:class:`~sklearn.base.TransformerMixin` for outputs that are tables
    only sometimes.

    scikit-learn's ``set_output`` wraps every result of ``transform`` and
    ``fit_transform`` in a DataFrame, which cannot hold a 3-D array, a list
    of arrays or :class:`~sklstm.preprocessing.TokenSequences`.  Here no
    method is wrapped automatically (in subclasses of subclasses neither):
    :meth:`set_output` records the container as scikit-learn's does, so
    :meth:`Pipeline.set_output <sklearn.pipeline.Pipeline.set_output>` and
    ``sklearn.set_config(transform_output=...)`` reach the transformer, and a
    ``transform`` whose result is a table passes it through
    :meth:`_wrap_table`, with the columns of ``get_feature_names_out``.
    """

    def __init_subclass__(cls, **kwargs):
        kwargs["auto_wrap_output_keys"] = None
        super().__init_subclass__(**kwargs)

    def set_output(self, *, transform=None):
        """Set the container of table outputs.

        Only a 2-D output, a table, is put in a DataFrame; sequences (3-D
        arrays, lists of arrays, token sequences) are returned as they are,
        since no DataFrame can hold them.  This is what lets
        :meth:`Pipeline.set_output <sklearn.pipeline.Pipeline.set_output>`
        and :func:`sklearn.set_config` ``(transform_output=...)`` configure a
        pipeline of sequence steps.

        Parameters
        ----------
        transform : {'default', 'pandas', 'polars'}, default=None
            Container of the tables :meth:`transform` and ``fit_transform``
            return:

            - ``'default'``: NumPy arrays;
            - ``'pandas'``: a pandas DataFrame (with the index of a DataFrame
              input);
            - ``'polars'``: a polars DataFrame;
            - ``None``: the configuration is left unchanged.

        Returns
        -------
        self : estimator instance
            The transformer.
        """
        if transform is None:
            return self
        supported = sorted(ADAPTERS_MANAGER.supported_outputs)
        if transform not in supported:
            raise ValueError(
                f"set_output(transform=...) must be one of {supported} or None; "
                f"got {transform!r}."
            )
        if not hasattr(self, "_sklearn_output_config"):
            self._sklearn_output_config = {}
        self._sklearn_output_config["transform"] = transform
        return self

    def _wrap_table(self, Xt, X):
        """The table ``Xt`` computed from ``X``, in the configured container
        (its own, else the global one of :func:`sklearn.set_config`)."""
        adapter = _get_container_adapter("transform", self)
        if adapter is None:  # 'default'
            return Xt
        return adapter.create_container(Xt, X, columns=self.get_feature_names_out)
