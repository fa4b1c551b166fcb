"""The command line: ``python -m sklstm demo`` prints a result table."""

import io
import runpy
import subprocess
import sys
from importlib.machinery import ModuleSpec
from importlib.util import module_from_spec
from pathlib import Path

import numpy as np
import pytest

from sklstm import (
    LSTMAnomalyDetector,
    LSTMClassifier,
    LSTMLanguageModel,
    LSTMRegressor,
    LSTMTranscriber,
)
from sklstm import __main__ as cli
from sklstm.datasets import DIGIT_WORDS
from sklstm.metrics import character_error_rate


def _stub_row(seed, data_dir):
    return ("a stub task", "accuracy", 0.9, 0.5, "baseline", 1.0, 3)


def _tiny(estimator):
    """Build ``estimator`` as asked, then shrink it to one epoch of 4 units."""

    def make(*args, **kwargs):
        return estimator(*args, **kwargs).set_params(
            hidden_layer_sizes=(4,), max_iter=1
        )

    return make


# the demo's rows with one-epoch models hit max_iter on purpose
quiet = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture
def tiny_models(monkeypatch):
    """The demo's rows train one-epoch, 4-unit models: a smoke test."""
    monkeypatch.setattr(cli, "LSTMRegressor", _tiny(LSTMRegressor))
    monkeypatch.setattr(cli, "LSTMAnomalyDetector", _tiny(LSTMAnomalyDetector))
    monkeypatch.setattr(cli, "LSTMClassifier", _tiny(LSTMClassifier))
    monkeypatch.setattr(cli, "LSTMLanguageModel", _tiny(LSTMLanguageModel))
    monkeypatch.setattr(cli, "LSTMTranscriber", _tiny(LSTMTranscriber))


def test_demo_prints_one_line_per_row(monkeypatch):
    def two_rows(seed, data_dir):  # a row function may give several rows
        return [_stub_row(seed, data_dir)] * 2

    monkeypatch.setattr(cli, "ROWS", [_stub_row, two_rows])
    out = io.StringIO()
    rows = cli.demo(seed=0, out=out)
    assert rows == [("a stub task", "accuracy", 0.9, 0.5)] * 3
    lines = out.getvalue().splitlines()
    assert sum(line.startswith("a stub task") for line in lines) == 3


def test_table_states_whether_higher_or_lower_is_better(monkeypatch):
    def rows(seed, data_dir):
        return [
            cli.Row("task a", "accuracy", 0.9, 0.5, "majority class", 1.0, 3),
            cli.Row("task b", "CER", 0.1, 0.8, "always 'x'", 2.0, 4, "b's note"),
            cli.Row("  task c", "accuracy", 0.9, 0.8, "unadapted", 0.5, None),
        ]

    monkeypatch.setattr(cli, "ROWS", [rows])
    out = io.StringIO()
    cli.demo(out=out)
    lines = out.getvalue().splitlines()
    header = next(line for line in lines if line.startswith("task "))
    assert header.split()[:3] == ["task", "metric", "better"]
    a, b, c = (
        next(ln for ln in lines if ln.startswith(t))
        for t in ("task a", "task b", "  task c")
    )
    assert a.split()[2:4] == ["accuracy", "higher"]
    assert b.split()[2:4] == ["CER", "lower"]
    assert c.split()[-2:] == ["-", "0.5"]  # no epochs: nothing was trained
    # the notes under the table: what "better" means, then each row's note
    notes = "\n".join(lines[lines.index(a) :])
    assert "better: whether a higher or a lower figure is better" in notes
    assert notes.index("better:") < notes.index("b's note")


def test_every_metric_has_a_direction():
    assert set(cli.BETTER.values()) == {"higher", "lower"}
    assert {"accuracy", "ROC AUC", "test MSE", "test MAE", "perplexity", "CER"} <= (
        set(cli.BETTER)
    )


def test_command_line_needs_a_command(capsys):
    with pytest.raises(SystemExit):
        cli.main([])
    assert "demo" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--help"], ["demo", "--help"]])
def test_help_is_plain_text(capsys, argv):
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    assert "--data-dir" in text and "higher or a lower" in text
    for markup in ("``", ":class:", ":func:", ":ref:", "`"):
        assert markup not in text
    assert "sklstm demo" in text  # the console script, which works anywhere


def test_shadowing_folder_gives_a_clear_message(monkeypatch, tmp_path):
    # what Python imports for "sklstm" from the folder above a checkout
    # named sklstm, with an editable install: that folder, as a namespace
    # package; __main__.py itself is still found through the install
    folder = tmp_path / "sklstm"
    folder.mkdir()
    spec = ModuleSpec("sklstm", None, is_package=True)
    spec.submodule_search_locations = [str(folder)]
    monkeypatch.setitem(sys.modules, "sklstm", module_from_spec(spec))
    with pytest.raises(SystemExit) as exit_:
        runpy.run_path(cli.__file__, run_name="__main__")
    message = exit_.value.code
    assert isinstance(message, str)  # printed on stderr, exit status 1
    assert str(folder) in message and "no __init__.py" in message
    assert str(Path(cli.__file__).resolve().parent) in message
    assert "sklstm demo" in message and "python -P -m sklstm" in message


def test_python_m_sklstm_beside_a_folder_named_sklstm(tmp_path):
    # the real thing, in a subprocess: a regular install is found anyway;
    # an editable one says what happened instead of an ImportError
    (tmp_path / "sklstm").mkdir()
    run = subprocess.run(
        [sys.executable, "-m", "sklstm", "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "Traceback" not in run.stderr, run.stderr
    if run.returncode == 0:
        assert "demo" in run.stdout
    else:
        assert run.returncode == 1
        assert str(tmp_path / "sklstm") in run.stderr
        assert "sklstm demo" in run.stderr


def test_rows_receive_the_seed_and_the_data_dir(monkeypatch, tmp_path):
    seen = []

    def row(seed, data_dir):
        seen.append((seed, data_dir))
        return _stub_row(seed, data_dir)

    monkeypatch.setattr(cli, "ROWS", [row])
    cli.demo(seed=3, out=io.StringIO(), data_dir=str(tmp_path))
    cli.demo(seed=4, out=io.StringIO())
    assert seen == [(3, tmp_path), (4, None)]


@pytest.mark.parametrize(
    "argv, env, expected",
    [
        (["demo"], None, None),
        (["demo", "--data-dir", "some/where"], None, Path("some/where")),
        (["demo"], "from/env", Path("from/env")),
        (["demo", "--data-dir", "some/where"], "from/env", Path("some/where")),
        (["demo"], "", None),
    ],
)
def test_data_dir_option_and_environment(monkeypatch, argv, env, expected):
    if env is None:
        monkeypatch.delenv("SKLSTM_DATA", raising=False)
    else:
        monkeypatch.setenv("SKLSTM_DATA", env)
    calls = []
    monkeypatch.setattr(cli, "demo", lambda **kwargs: calls.append(kwargs))
    assert cli.main(argv + ["--seed", "2"]) == 0
    assert calls == [{"seed": 2, "data_dir": expected, "n_jobs": -1}]


def test_missing_data_dir_falls_back_to_generated_data(
    tiny_models, monkeypatch, tmp_path
):
    missing = tmp_path / "no_such_folder"
    monkeypatch.setattr(cli, "ROWS", [cli._forecast_row, cli._ecg_row])
    out = io.StringIO()
    rows = cli.demo(seed=0, out=out, data_dir=missing)
    text = out.getvalue()
    assert f"generated data ({missing} not found)" in text
    (forecast, metric, score, base), (ecg, *_) = rows
    assert forecast == "forecast: noisy cycle, generated (no sp500.csv)"
    assert metric == "test MAE" and score > 0 and base > 0
    assert ecg == "ECG anomalies (30 epochs), generated: no ecg5000"


@quiet
def test_rows_without_data_dir_say_nothing_is_missing(tiny_models):
    row = cli._forecast_row(0, None)
    assert row.task == "forecast: next day of a noisy 20-day cycle"
    assert row.baseline_name == "persistence" and row.epochs == 1
    assert cli._ecg_row(0, None)[0] == "ECG anomalies (30 epochs)"


@quiet
def test_forecast_row_is_winnable_and_says_prices_are_not(tiny_models):
    row = cli._forecast_row(0, None)
    assert row.metric == "test MAE" and cli.BETTER[row.metric] == "lower"
    # the note gives the best possible MAE, computed in the run, far below
    # persistence's: the cycle has structure persistence cannot use
    best = float(row.note.split("scores MAE ")[1].split(".  ")[0])
    assert best < 0.6 * row.baseline
    assert "random walk" in row.note and "0.99 times persistence" in row.note


def test_generated_cycle_is_reproducible_and_has_momentum():
    series = cli._make_cycle(2000, 0)
    assert series.shape == (2000,) and series.min() > 0  # window-scalable
    np.testing.assert_array_equal(series, cli._make_cycle(2000, 0))
    assert not np.array_equal(series, cli._make_cycle(2000, 1))
    # lag-1 autocorrelation of the daily changes: persistence leaves it
    change = np.diff(series)
    assert np.corrcoef(change[1:], change[:-1])[0, 1] > 0.5


def test_forecast_split_keeps_a_gap_before_the_test_windows():
    prices = 100.0 + 0.5 * np.arange(500)
    (X, y), (X_test, y_test) = cli._forecast_windows(prices)
    assert X.shape[1] == X_test.shape[1] == cli.FORECAST_WINDOW
    # no value of a training window or target is seen by a test window
    assert y.max() < X_test.min()
    n_windows = 500 - cli.FORECAST_WINDOW
    assert len(X_test) == round(cli.FORECAST_TEST_FRACTION * n_windows)


def test_data_dir_must_be_a_folder(tmp_path):
    file = tmp_path / "file.txt"
    file.write_text("not a folder")
    with pytest.raises(ValueError, match="is a file, not a folder"):
        cli.demo(out=io.StringIO(), data_dir=file)
    with pytest.raises(TypeError, match="data_dir must be a path"):
        cli.demo(out=io.StringIO(), data_dir=3)


@quiet
def test_real_data_rows(tiny_models, data_dir):
    stock = cli._forecast_row(0, data_dir)
    assert stock.task == "stock: S&P 500 next close"
    assert 5 < stock.baseline < 50  # persistence MAE in index points
    assert "random walk" in stock.note
    ecg = cli._ecg_row(0, data_dir)
    assert ecg[0] == "ECG5000 anomalies (30 epochs)"
    assert 0.5 < ecg[3] <= 1  # IsolationForest's ROC AUC


@quiet
def test_text_rows(tiny_models, tmp_path):
    task, metric, score, base, name, seconds, epochs, _ = cli._sentiment_row(0, None)
    assert task == "sentiment: generated review sentences" and metric == "accuracy"
    assert 0 <= score <= 1 and name == "majority class" and epochs == 1
    task, metric, score, base, name, seconds, epochs, _ = cli._next_word_row(
        0, tmp_path
    )
    assert task == "next word: generated (no tiny_shakespeare)"
    assert metric == "perplexity" and name == "unigram" and score > 1 and base > 1


@quiet
def test_real_text_rows(tiny_models, data_dir):
    if not (data_dir / "rt_polarity").is_dir():
        pytest.skip("rt_polarity not available")
    assert cli._sentiment_row(0, data_dir)[0] == "sentiment: MR movie-review sentences"
    assert cli._next_word_row(0, data_dir)[0].startswith("next word: Shakespeare")


@quiet
def test_speech_rows(tiny_models, tmp_path):
    words, adapted = cli._spoken_word_rows(0, None)
    task, metric, score, base, name, seconds, epochs, note = words
    assert task == "speech: word, generated spoken digits" and metric == "accuracy"
    assert 0 <= score <= 1 and name == "majority class" and epochs == 1
    # VTLN: the same model on deeper voices, adapted against unadapted, timed
    assert "VTLN" in adapted.task and adapted.metric == "accuracy"
    assert 0 <= adapted.score <= 1 and 0 <= adapted.baseline <= 1
    assert adapted.baseline_name == "unadapted" and adapted.epochs is None
    assert adapted.seconds > 0 and "no labels" in adapted.note
    row = cli._spelling_row(0, tmp_path)
    assert row.task == "speech: spelling, generated (no fsdd)" and row.metric == "CER"
    # the baseline: the best constant transcript, whose CER is below 1
    assert row.score >= 0 and row.baseline_name == "always 'five'"
    assert 0.5 < row.baseline < 1 and "'five'" in row.note


def test_lower_voices_play_longer():
    clip = np.sin(np.linspace(0, 100, 1000)).astype(np.float32)
    (deeper,) = cli._lower_voices([clip])
    assert deeper.dtype == np.float32 and len(deeper) == 1200


def test_spelling_baseline_is_the_best_constant_transcript():
    digits = np.array(DIGIT_WORDS)
    word = cli._constant_transcript(digits)
    assert word == "five"
    best = character_error_rate(digits, [word] * 10)
    assert best < 1 and all(
        best <= character_error_rate(digits, [w] * 10) for w in DIGIT_WORDS
    )
    # the most frequent word (the first in sorted order on a tie) is worse
    assert character_error_rate(digits, ["eight"] * 10) > 1
    assert cli._constant_transcript(["ab", "ab", "abc"]) == "ab"


@quiet
def test_real_speech_rows(tiny_models, data_dir):
    if not (data_dir / "fsdd").is_dir():
        pytest.skip("fsdd not available")
    words, adapted = cli._spoken_word_rows(0, data_dir)
    assert words.task == "speech: word, FSDD spoken digits" and words.epochs == 1
    assert adapted.baseline_name == "unadapted" and adapted.epochs is None
    assert (
        cli._spelling_row(0, data_dir)[0]
        == "speech: spelling (CTC), FSDD spoken digits"
    )


def test_rows_run_in_processes_by_name_and_print_in_order(monkeypatch):
    # with n_jobs, ROWS entries travel by name to joblib's processes (which
    # import them); here a stand-in runs them in this process, out of order
    jobs = []

    class Recorder:
        def __init__(self, n_jobs, return_as):
            assert (n_jobs, return_as) == (2, "generator")

        def __call__(self, tasks):
            tasks = list(tasks)
            jobs.extend(args[0] for _, args, _ in tasks)
            done = {args[0]: fn(*args) for fn, args, _ in reversed(tasks)}
            return (done[args[0]] for _, args, _ in tasks)

    def first(seed, data_dir):
        return cli.Row("first", "accuracy", 0.9, 0.5, "majority class", 1.0, 3)

    def second(seed, data_dir):
        return cli.Row("second", "accuracy", 0.8, 0.5, "majority class", 1.0, 3)

    monkeypatch.setattr(cli, "first", first, raising=False)
    monkeypatch.setattr(cli, "second", second, raising=False)
    monkeypatch.setattr(cli, "ROWS", [first, second])
    monkeypatch.setattr(cli, "Parallel", Recorder)
    monkeypatch.setattr(cli, "effective_n_jobs", lambda n: 2)
    rows = cli.demo(out=io.StringIO(), n_jobs=2)
    assert jobs == ["first", "second"]
    assert [r[0] for r in rows] == ["first", "second"]


def test_rows_that_are_not_module_functions_run_here(monkeypatch):
    monkeypatch.setattr(cli, "ROWS", [_stub_row])
    monkeypatch.setattr(cli, "Parallel", None)  # would fail if used
    rows = cli.demo(out=io.StringIO(), n_jobs=2)
    assert rows == [("a stub task", "accuracy", 0.9, 0.5)]
