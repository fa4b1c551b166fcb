# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""Loaders for the file formats that sequence data usually comes in.

Each loader reads a user's own file or folder (nothing is ever downloaded)
and returns a :class:`sklearn.utils.Bunch`, or ``(X, y)`` with
``return_X_y=True`` where that makes sense.  Malformed content raises a
:class:`ValueError` that names the file and, for text formats, the line.
"""

import csv
import os
import re
import warnings
from datetime import datetime
from pathlib import Path

import numpy as np
from scipy.io import wavfile
from sklearn.utils import Bunch

FSDD_PATTERN = r"(?P<label>[^_]+)_(?P<speaker>.+)_(?P<index>\d+)"

# Scale of the integer WAV sample types, so that waveforms land in [-1, 1].
_WAV_SCALE = {
    np.dtype(np.uint8): (128.0, 128.0),
    np.dtype(np.int16): (0.0, 32768.0),
    np.dtype(np.int32): (0.0, 2147483648.0),
    np.dtype(np.int64): (0.0, 9223372036854775808.0),
}


def _existing(path, *, folder):
    """``path`` as a Path, with a clear error when it is missing."""
    if not isinstance(path, str | os.PathLike):
        raise TypeError(
            f"Expected a path (str or pathlib.Path), got {type(path).__name__}."
        )
    path = Path(path)
    kind = "folder" if folder else "file"
    if not path.exists():
        raise FileNotFoundError(f"No such {kind}: '{path}'.")
    if folder and not path.is_dir():
        raise NotADirectoryError(f"Expected a folder, got the file '{path}'.")
    if not folder and path.is_dir():
        raise IsADirectoryError(f"Expected a file, got the folder '{path}'.")
    return path


def _decode_lines(path, encoding):
    """Lines of a text file, with the line number in any decoding error."""
    raw = path.read_bytes()
    if b"\x00" in raw:
        line = raw.count(b"\n", 0, raw.index(b"\x00")) + 1
        raise ValueError(f"{path.name}, line {line}: NUL byte; not a text file.")
    lines = []
    for number, line in enumerate(raw.splitlines(), start=1):
        try:
            lines.append(line.decode(encoding))
        except UnicodeDecodeError as exc:
            byte = line[exc.start : exc.start + 1].hex()
            raise ValueError(
                f"{path.name}, line {number}: byte 0x{byte} cannot be decoded as "
                f"{encoding!r}; pass the file's encoding (e.g. encoding='latin-1')."
            ) from None
    return lines


# --------------------------------------------------------------------------
# Audio
# --------------------------------------------------------------------------


def _read_wav(path):
    """One mono WAV file as float32 in [-1, 1] and its sampling rate."""
    try:
        with warnings.catch_warnings():
            # Unknown chunks (LIST, metadata) are harmless; scipy warns on them.
            warnings.simplefilter("ignore", wavfile.WavFileWarning)
            rate, samples = wavfile.read(path)
    except (ValueError, EOFError, OSError) as exc:
        raise ValueError(f"{path.name}: not a readable WAV file ({exc}).") from None
    if samples.ndim != 1:
        raise ValueError(
            f"{path.name}: has {samples.shape[1]} channels; only mono WAV files "
            "are read.  Mix the channels down first (e.g. average them)."
        )
    if samples.dtype in _WAV_SCALE:
        offset, scale = _WAV_SCALE[samples.dtype]
        wave = (samples.astype(np.float64) - offset) / scale
    else:  # float WAV: already in [-1, 1] by convention
        wave = samples
    return wave.astype(np.float32), int(rate)


def load_wav_folder(path, *, pattern=None, return_X_y=False):
    """Load a folder of labelled WAV files (e.g. the Free Spoken Digit Dataset).

    Every ``*.wav`` file directly inside ``path`` is read with
    :func:`scipy.io.wavfile.read`.  Its label, speaker and index are parsed
    from the file name, by default with the FSDD naming
    ``{label}_{speaker}_{index}.wav`` (``7_jackson_32.wav``).  Files are
    sorted by label, speaker and numeric index, so the order does not depend
    on the file system.

    Parameters
    ----------
    path : str or pathlib.Path
        Folder holding the WAV files (sub-folders are not searched).
    pattern : str, default=None
        Regular expression that must match the whole file name without its
        ``.wav`` suffix.  It must have a named group ``label``; named groups
        ``speaker`` and ``index`` (digits) are optional.  ``None`` means the
        FSDD naming, ``r"(?P<label>[^_]+)_(?P<speaker>.+)_(?P<index>\\d+)"``.
        For example ``r"(?P<label>[a-z]+)-.*"`` reads ``yes-0042.wav``.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the keys:

        data : list of ndarray of shape (n_samples_i,)
            The waveforms, float32 scaled to [-1, 1] (integer samples are
            divided by the largest magnitude of their type, e.g. 32768 for
            16-bit PCM).  A ragged list, since clips differ in length.
        target : ndarray of str of shape (n_files,)
            The labels, as strings (FSDD digits are ``'0'`` ... ``'9'``; use
            ``target.astype(int)`` for integers).
        speaker : ndarray of str of shape (n_files,) or None
            The speakers, or None when ``pattern`` has no ``speaker`` group.
        index : ndarray of int of shape (n_files,) or None
            The recording indices, or None when ``pattern`` has no ``index``
            group.
        sampling_rate : int
            Samples per second, shared by all files: the rate to give
            :class:`~sklstm.SpectrogramTransformer`, which needs it
            (``SpectrogramTransformer(sampling_rate=data.sampling_rate)``).
        filenames : ndarray of str of shape (n_files,)
            Full path of each file.

    (data, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    FileNotFoundError
        If the folder does not exist or holds no ``.wav`` file.
    ValueError
        If a file name does not match ``pattern``, a file is not a readable
        WAV file or not mono, or the files have different sampling rates.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from scipy.io import wavfile
    >>> from sklstm.datasets import load_wav_folder
    >>> folder = Path(tempfile.mkdtemp())
    >>> for name in ["3_ann_0.wav", "3_ann_1.wav", "5_bob_0.wav"]:
    ...     wavfile.write(folder / name, 8000, np.zeros(400, dtype=np.int16))
    >>> wavs = load_wav_folder(folder)
    >>> wavs.target, wavs.speaker, wavs.sampling_rate
    (array(['3', '3', '5'], dtype='<U1'), array(['ann', 'ann', 'bob'], dtype='<U3'), 8000)
    >>> wavs.data[0].dtype, wavs.data[0].shape
    (dtype('float32'), (400,))
    """  # noqa: E501
    folder = _existing(path, folder=True)
    regex = re.compile(FSDD_PATTERN if pattern is None else pattern)
    if "label" not in regex.groupindex:
        raise ValueError(
            f"pattern {regex.pattern!r} needs a named group 'label', "
            "e.g. r'(?P<label>[^_]+)_.*'."
        )
    has_speaker = "speaker" in regex.groupindex
    has_index = "index" in regex.groupindex
    files = [p for p in folder.iterdir() if p.suffix.lower() == ".wav" and p.is_file()]
    if not files:
        raise FileNotFoundError(f"No .wav files in the folder '{folder}'.")

    records = []
    for file in files:
        match = regex.fullmatch(file.stem)
        if match is None:
            naming = " ({label}_{speaker}_{index}.wav)" if pattern is None else ""
            raise ValueError(
                f"{file.name}: the name does not match the pattern "
                f"{regex.pattern!r}{naming}; pass pattern= for another naming."
            )
        speaker = match["speaker"] if has_speaker else ""
        index = match["index"] if has_index else "0"
        if not index.isdigit():
            raise ValueError(f"{file.name}: index {index!r} is not a whole number.")
        records.append((match["label"], speaker, int(index), file.name, file))
    records.sort(key=lambda record: record[:4])

    data, rate = [], None
    for *_, name, file in records:
        wave, file_rate = _read_wav(file)
        if rate is None:
            rate, first = file_rate, name
        elif file_rate != rate:
            raise ValueError(
                f"The files have different sampling rates: {first} has {rate} Hz, "
                f"{name} has {file_rate} Hz.  Resample them first."
            )
        data.append(wave)

    target = np.array([record[0] for record in records])
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        speaker=np.array([r[1] for r in records]) if has_speaker else None,
        index=np.array([r[2] for r in records]) if has_index else None,
        sampling_rate=rate,
        filenames=np.array([str(r[4]) for r in records]),
    )


# --------------------------------------------------------------------------
# UCR time series
# --------------------------------------------------------------------------

_SEPARATORS = re.compile(r"[,\s]+")


def _parse_floats(tokens, path, number):
    """Tokens of one line as floats, naming the offending token on failure."""
    try:
        return np.array(tokens, dtype=np.float64)
    except ValueError:
        for column, token in enumerate(tokens, start=2):
            try:
                float(token)
            except ValueError:
                raise ValueError(
                    f"{path.name}, line {number}: value {token!r} in column "
                    f"{column} is not a number."
                ) from None
        raise  # pragma: no cover


def _labels(tokens):
    """UCR labels as ints when all are whole numbers, else floats or strings."""
    try:
        values = np.array(tokens, dtype=np.float64)
    except ValueError:
        return np.array(tokens)
    if np.all(np.isfinite(values)) and np.all(values == np.round(values)):
        return values.astype(np.int64)
    return values


def load_ucr(path, *, return_X_y=False):
    """Load a file of the UCR time series classification archive.

    The UCR format has one series per line: the class label first, then the
    values.  Fields may be separated by tabs (the 2018 ``.tsv`` files),
    commas, or spaces (the older ``.txt`` files).  Blank lines are skipped.

    Parameters
    ----------
    path : str or pathlib.Path
        The ``.tsv``, ``.txt`` or ``.csv`` file.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the keys:

        data : ndarray of shape (n_samples, n_timesteps) or list of ndarray
            The series, float64.  Variable-length archives pad short series
            with trailing NaN; when the padded lengths differ, the padding
            is removed and ``data`` is a ragged list of 1-D arrays (which
            sklstm's estimators accept).  NaN inside a series (missing
            values) is kept.
        target : ndarray of shape (n_samples,)
            The labels: int when every label is a whole number (``1``,
            ``-1``, ``1.0000000e+00``), else float, else the strings as
            written.
        filename : str
            Path of the file.

    (data, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If the file is empty, a value is not a number, a line has no values,
        or lines have different numbers of fields.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklstm.datasets import load_ucr
    >>> file = Path(tempfile.mkdtemp()) / "Toy_TRAIN.tsv"
    >>> _ = file.write_text("1\\t0.5\\t0.25\\t-1.0\\n2\\t1.5\\t0.0\\t2.0\\n")
    >>> X, y = load_ucr(file, return_X_y=True)
    >>> X
    array([[ 0.5 ,  0.25, -1.  ],
           [ 1.5 ,  0.  ,  2.  ]])
    >>> y
    array([1, 2])
    """
    file = _existing(path, folder=False)
    labels, rows, numbers, width, first = [], [], [], None, None
    for number, line in enumerate(_decode_lines(file, "utf-8"), start=1):
        tokens = _SEPARATORS.split(line.strip())
        if tokens == [""]:
            continue
        if len(tokens) < 2:
            raise ValueError(
                f"{file.name}, line {number}: only a label, no values "
                "(expected the label followed by the series)."
            )
        if width is None:
            width, first = len(tokens), number
        elif len(tokens) != width:
            raise ValueError(
                f"{file.name}, line {number}: {len(tokens) - 1} values, but line "
                f"{first} has {width - 1}.  UCR files pad shorter series with NaN."
            )
        labels.append(tokens[0])
        numbers.append(number)
        rows.append(_parse_floats(tokens[1:], file, number))
    if not rows:
        raise ValueError(f"{file.name}: the file holds no series.")

    data = np.vstack(rows)
    # Trailing NaN is padding: count the valid steps of each series.
    padded = np.isnan(data)
    lengths = width - 1 - np.argmin(padded[:, ::-1], axis=1)
    lengths[padded.all(axis=1)] = 0
    if np.any(lengths == 0):
        number = numbers[int(np.flatnonzero(lengths == 0)[0])]
        raise ValueError(f"{file.name}, line {number}: the series is all NaN.")
    if np.any(lengths != data.shape[1]):
        data = [row[:n].copy() for row, n in zip(data, lengths, strict=True)]
    target = _labels(labels)
    if return_X_y:
        return data, target
    return Bunch(data=data, target=target, filename=str(file))


# --------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------

_POLARITY_FILES = ("rt-polarity.pos", "rt-polarity.neg")


def _sentences(file, encoding):
    """Non-blank lines of a one-sentence-per-line file, stripped."""
    sentences = [line.strip() for line in _decode_lines(file, encoding)]
    sentences = [s for s in sentences if s]
    if not sentences:
        raise ValueError(f"{file.name}: the file holds no sentences.")
    return sentences


def load_polarity(path, *, encoding="cp1252", return_X_y=False):
    """Load a sentence polarity data set (one sentence per line).

    Reads the positive and the negative sentences of Pang & Lee's *sentence
    polarity dataset v1.0* (``rt-polarity.pos`` / ``rt-polarity.neg``), or
    any pair of files in the same format.  Leading and trailing white space
    is stripped and blank lines are skipped.

    Parameters
    ----------
    path : str, pathlib.Path or tuple of two paths
        A folder holding ``rt-polarity.pos`` and ``rt-polarity.neg``, or the
        pair ``(positive_file, negative_file)``.
    encoding : str, default='cp1252'
        Text encoding of the files.  The original files are Windows-1252;
        ``'latin-1'`` decodes any byte, ``'utf-8'`` suits re-encoded copies.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the keys:

        data : list of str
            The sentences: all positive ones in file order, then all
            negative ones in file order.
        target : ndarray of int of shape (n_samples,)
            1 for a positive sentence, 0 for a negative one.
        target_names : ndarray of str
            ``['neg', 'pos']``, indexed by ``target``.
        filenames : list of str
            The positive and the negative file.

    (data, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    FileNotFoundError
        If a file is missing.
    ValueError
        If a line cannot be decoded with ``encoding`` (the message names the
        line) or a file holds no sentence.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklstm.datasets import load_polarity
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "rt-polarity.pos").write_text("a gem .\\nfunny .\\n")
    >>> _ = (folder / "rt-polarity.neg").write_text("a mess .\\n")
    >>> texts, y = load_polarity(folder, return_X_y=True)
    >>> texts, y
    (['a gem .', 'funny .', 'a mess .'], array([1, 1, 0]))
    """
    if isinstance(path, tuple | list):
        if len(path) != 2:
            raise ValueError(
                f"Expected a folder or a pair (positive_file, negative_file), "
                f"got {len(path)} paths."
            )
        files = [_existing(p, folder=False) for p in path]
    else:
        folder = _existing(path, folder=True)
        files = [_existing(folder / name, folder=False) for name in _POLARITY_FILES]
    positive, negative = (_sentences(file, encoding) for file in files)
    target = np.repeat([1, 0], [len(positive), len(negative)])
    if return_X_y:
        return positive + negative, target
    return Bunch(
        data=positive + negative,
        target=target,
        target_names=np.array(["neg", "pos"]),
        filenames=[str(file) for file in files],
    )


def load_text(path, *, encoding="utf-8"):
    """Load a plain-text corpus as one string.

    Line endings are normalised to ``"\\n"`` and a leading byte-order mark
    is dropped; the text is otherwise returned exactly as written (not
    lower-cased, not tokenised).

    Parameters
    ----------
    path : str or pathlib.Path
        The text file.
    encoding : str, default='utf-8'
        Text encoding of the file.

    Returns
    -------
    text : str
        The whole corpus.  A plain string rather than a Bunch: there is no
        target; split it (e.g. the first 90 % for training) as you need.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If the file is empty, is binary, or a byte cannot be decoded with
        ``encoding`` (the message names the line).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklstm.datasets import load_text
    >>> file = Path(tempfile.mkdtemp()) / "corpus.txt"
    >>> _ = file.write_bytes(b"To be, or not to be.\\r\\nThat is the question.\\r\\n")
    >>> load_text(file)
    'To be, or not to be.\\nThat is the question.\\n'
    """
    file = _existing(path, folder=False)
    raw = file.read_bytes()
    if not raw.strip():
        raise ValueError(f"{file.name}: the file is empty.")
    if b"\x00" in raw:
        line = raw.count(b"\n", 0, raw.index(b"\x00")) + 1
        raise ValueError(f"{file.name}, line {line}: NUL byte; not a text file.")
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        byte = raw[exc.start : exc.start + 1].hex()
        raise ValueError(
            f"{file.name}, line {line}: byte 0x{byte} cannot be decoded as "
            f"{encoding!r}; pass the file's encoding (e.g. encoding='latin-1')."
        ) from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


# --------------------------------------------------------------------------
# Prices
# --------------------------------------------------------------------------

# Tried in this order when ``date_format`` is None; see ``_parse_dates``.
DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y%m%d",
    "%Y-%m-%d %H:%M:%S",
    "%d-%m-%Y",
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%m/%d/%Y",
    "%m-%d-%Y",
    "%d-%m-%y",
    "%d/%m/%y",
    "%d.%m.%y",
    "%m/%d/%y",
    "%m-%d-%y",
)


def _strptime_all(strings, fmt):
    """Parse every string with ``fmt``; return (dates, None) or (None, row)."""
    dates = []
    for row, string in enumerate(strings):
        try:
            dates.append(datetime.strptime(string, fmt))
        except ValueError:
            return None, row
    return dates, None


def _parse_dates(strings, date_format, name, line_numbers):
    """Dates as datetime64, detecting the format when not given."""
    if date_format is not None:
        dates, bad = _strptime_all(strings, date_format)
        if bad is not None:
            raise ValueError(
                f"{name}, line {line_numbers[bad]}: date {strings[bad]!r} does not "
                f"match date_format={date_format!r}."
            )
    else:
        parsed, last_bad = {}, 0
        for fmt in DATE_FORMATS:
            dates, bad = _strptime_all(strings, fmt)
            if bad is None:
                parsed[fmt] = dates
            else:
                last_bad = max(last_bad, bad)
        if not parsed:
            raise ValueError(
                f"{name}, line {line_numbers[last_bad]}: cannot recognise the date "
                f"{strings[last_bad]!r}; pass date_format (e.g. '%d-%m-%y')."
            )
        if len(parsed) > 1:
            # Day-first and month-first both fit (no day above 12): keep the
            # reading in which the dates are ordered, if only one is.
            ordered = {
                fmt: d
                for fmt, d in parsed.items()
                if d == sorted(d) or d == sorted(d, reverse=True)
            }
            if len(ordered) != 1:
                raise ValueError(
                    f"{name}: the dates are ambiguous (they fit "
                    f"{', '.join(repr(f) for f in parsed)}); pass date_format."
                )
            parsed = ordered
        (dates,) = parsed.values()
    out = np.array(dates, dtype="datetime64[s]")
    if np.all(out == out.astype("datetime64[D]")):
        out = out.astype("datetime64[D]")
    return out


def load_price_csv(path, *, column="Close", date_column="Date", date_format=None):
    """Load a CSV file of prices (a header row, one row per date).

    Reads with the :mod:`csv` module (pandas is not needed).  Only the date
    column and the requested price columns are parsed; other columns are
    ignored.  Rows are returned in chronological order: a file sorted newest
    first (as some exports are) is reversed; any other disorder, or a
    repeated date, is an error.

    Parameters
    ----------
    path : str or pathlib.Path
        The CSV file, e.g. a Yahoo Finance export with the header
        ``Date,Open,High,Low,Close,Volume``.
    column : str, list of str or None, default='Close'
        The price column to read; a list of columns gives a 2-D ``data``
        (e.g. ``['Open', 'High', 'Low', 'Close']``); None reads every column
        but the date.
    date_column : str, default='Date'
        Name of the date column.
    date_format : str, default=None
        A :func:`datetime.datetime.strptime` format such as ``'%d-%m-%y'``.
        None detects it among common layouts (ISO ``2018-08-31``,
        ``31-08-18``, ``31/08/2018``, ``08/31/2018``, ...); when both the
        day-first and the month-first reading fit every date, the one that
        gives ordered dates is taken, else a ValueError asks for
        ``date_format``.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the keys:

        data : ndarray of shape (n_rows,) or (n_rows, n_columns)
            The prices, float64; 1-D when ``column`` is a str.
        dates : ndarray of datetime64 of shape (n_rows,)
            The dates (unit ``'D'``, or ``'s'`` when times are given),
            increasing.
        feature_names : list of str
            The columns read, in the order of ``data``'s columns.
        filename : str
            Path of the file.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If a column is missing, a row has the wrong number of fields, a value
        is missing or not a number, a date cannot be parsed, or the dates are
        not in order.  Messages give the line number.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklstm.datasets import load_price_csv
    >>> file = Path(tempfile.mkdtemp()) / "prices.csv"
    >>> _ = file.write_text(
    ...     "Date,Open,Close\\n30-08-18,2908.94,2901.13\\n31-08-18,2898.37,2901.52\\n"
    ... )
    >>> prices = load_price_csv(file)
    >>> prices.data
    array([2901.13, 2901.52])
    >>> prices.dates
    array(['2018-08-30', '2018-08-31'], dtype='datetime64[D]')
    >>> load_price_csv(file, column=["Open", "Close"], date_format="%d-%m-%y").data
    array([[2908.94, 2901.13],
           [2898.37, 2901.52]])
    """
    file = _existing(path, folder=False)
    with open(file, newline="", encoding="utf-8-sig") as handle:
        try:
            rows = list(csv.reader(handle))
        except (csv.Error, UnicodeDecodeError) as exc:
            raise ValueError(f"{file.name}: not a readable CSV file ({exc}).") from None
    numbered = [(n, row) for n, row in enumerate(rows, start=1) if any(row)]
    if not numbered:
        raise ValueError(f"{file.name}: the file is empty.")
    (_, header), body = numbered[0], numbered[1:]
    header = [name.strip() for name in header]
    if date_column not in header:
        raise ValueError(
            f"{file.name}: no date column {date_column!r}; the columns are {header}."
        )
    single = isinstance(column, str)
    if column is None:
        names = [name for name in header if name != date_column]
    else:
        names = [column] if single else list(column)
    missing = [name for name in names if name not in header]
    if missing or not names:
        raise ValueError(
            f"{file.name}: no column {missing or names!r}; the columns are {header}."
        )
    if not body:
        raise ValueError(f"{file.name}: the file has a header but no rows.")

    positions = [header.index(name) for name in names]
    values = np.empty((len(body), len(names)))
    for i, (number, row) in enumerate(body):
        if len(row) != len(header):
            raise ValueError(
                f"{file.name}, line {number}: {len(row)} fields, but the header "
                f"has {len(header)}."
            )
        for j, position in enumerate(positions):
            cell = row[position].strip()
            try:
                values[i, j] = float(cell)
            except ValueError:
                what = "missing" if cell == "" else f"{cell!r}, not a number"
                raise ValueError(
                    f"{file.name}, line {number}: {names[j]} is {what}."
                ) from None
            if not np.isfinite(values[i, j]):
                raise ValueError(
                    f"{file.name}, line {number}: {names[j]} is {cell!r}, "
                    "not a finite number."
                )

    date_strings = [row[header.index(date_column)].strip() for _, row in body]
    line_numbers = [number for number, _ in body]
    dates = _parse_dates(date_strings, date_format, file.name, line_numbers)
    steps = np.diff(dates)
    if np.any(steps <= np.timedelta64(0)):
        if len(dates) > 1 and np.all(steps < np.timedelta64(0)):
            dates, values = dates[::-1], values[::-1]
        else:
            i = int(np.flatnonzero(steps <= np.timedelta64(0))[0]) + 1
            problem = "repeats" if steps[i - 1] == np.timedelta64(0) else "precedes"
            raise ValueError(
                f"{file.name}, line {line_numbers[i]}: the date {date_strings[i]!r} "
                f"{problem} the date of the line before; rows must be in "
                "chronological order."
            )
    return Bunch(
        data=values[:, 0].copy() if single else values,
        dates=dates,
        feature_names=names,
        filename=str(file),
    )
