# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""Where the real data sets of the examples, tests and benchmarks live."""

import os
from pathlib import Path

DATA_ENV = "SKLSTM_DATA"
# The folder above sklstm/: a source checkout, when sklstm is imported from one.
_CHECKOUT = Path(__file__).resolve().parents[2]


def _candidates():
    """The folders that may hold the data sets, in the order they are tried."""
    env = os.environ.get(DATA_ENV)
    if env:  # an explicit choice: nothing else is tried
        return [Path(env).expanduser()]
    cwd = Path.cwd()
    folders = [_CHECKOUT.parent, cwd, cwd.parent, cwd.parent.parent]
    return list(dict.fromkeys(folder / "shared" / "data" for folder in folders))


def find_shared_data(name=None, *, required=False):
    """Locate a real data set on this machine (nothing is downloaded).

    The data sets the gallery examples, the ``slow`` tests and the
    benchmarks read (ECG5000, FSDD, the S&P 500, ...) live in one folder,
    ``shared/data`` beside a source checkout.  It is found, in this order:

    1. the ``SKLSTM_DATA`` environment variable, when set (then nothing
       else is tried);
    2. ``../shared/data`` relative to the source checkout sklstm is
       imported from;
    3. ``shared/data``, ``../shared/data`` or ``../../shared/data``
       relative to the current directory (a script run from the folder
       above a checkout, from the checkout, or from its ``examples/``).

    Parameters
    ----------
    name : str or path-like, default=None
        A file or folder inside the data folder, e.g. ``"fsdd/recordings"``
        or ``"sp500_daily/sp500.csv"``.  ``None`` locates the data folder
        itself.

    required : bool, default=False
        What happens when it is not found: return ``None`` (so the caller
        can fall back to generated data), or raise a
        :class:`FileNotFoundError` that lists the places searched.

    Returns
    -------
    path : pathlib.Path or None
        The existing file or folder, or ``None`` when it is absent and
        ``required=False``.

    See Also
    --------
    load_wav_folder, load_ucr, load_price_csv : Loaders for the files found.

    Examples
    --------
    >>> from sklstm.datasets import find_shared_data, make_price_series
    >>> csv = find_shared_data("sp500_daily/sp500.csv")
    >>> if csv is None:  # no real data here: a generated series instead
    ...     close = make_price_series(500, random_state=0)
    """
    if not isinstance(name, str | os.PathLike | type(None)):
        raise TypeError(
            f"name must be a str, a path or None, got {type(name).__name__}."
        )
    folders = _candidates()
    for folder in folders:
        path = folder if name is None else folder / name
        if folder.is_dir() and path.exists():
            return path
    if required:
        what = "The data folder" if name is None else f"{str(name)!r}"
        searched = ", ".join(str(folder) for folder in folders)
        raise FileNotFoundError(
            f"{what} was not found in {searched}. Set the {DATA_ENV} environment "
            "variable to the folder that holds the data sets."
        )
    return None
