"""The command line: ``python -m sklstm demo`` prints a result table."""

import io
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


def _stub_row(seed, data_dir):
    return ("a stub task", "metric", 0.9, 0.5, "baseline", 1.0, 3)


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
    assert rows == [("a stub task", "metric", 0.9, 0.5)] * 3
    lines = out.getvalue().splitlines()
    assert sum(line.startswith("a stub task") for line in lines) == 3


def test_command_line_needs_a_command(capsys):
    with pytest.raises(SystemExit):
        cli.main([])
    assert "demo" in capsys.readouterr().err


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
    assert calls == [{"seed": 2, "data_dir": expected}]


def test_missing_data_dir_falls_back_to_generated_data(
    tiny_models, monkeypatch, tmp_path
):
    missing = tmp_path / "no_such_folder"
    monkeypatch.setattr(cli, "ROWS", [cli._stock_row, cli._ecg_row])
    out = io.StringIO()
    rows = cli.demo(seed=0, out=out, data_dir=missing)
    text = out.getvalue()
    assert f"generated data ({missing} not found)" in text
    (stock, metric, score, base), (ecg, *_) = rows
    assert stock == "stock: next close, generated (no sp500.csv)"
    assert metric == "test MAE" and score > 0 and base > 0
    assert ecg == "ECG anomalies (30 epochs), generated: no ecg5000"


@quiet
def test_rows_without_data_dir_say_nothing_is_missing(tiny_models):
    task, metric, score, base, name, seconds, epochs = cli._stock_row(0, None)
    assert task == "stock: next close, generated prices"
    assert name == "persistence" and epochs == 1
    assert cli._ecg_row(0, None)[0] == "ECG anomalies (30 epochs)"


def test_stock_split_keeps_a_gap_before_the_test_windows():
    prices = 100.0 + 0.5 * np.arange(500)
    (X, y), (X_test, y_test) = cli._stock_windows(prices)
    assert X.shape[1] == X_test.shape[1] == cli.STOCK_WINDOW
    # no close of a training window or target is seen by a test window
    assert y.max() < X_test.min()
    assert len(X_test) == round(cli.STOCK_TEST_FRACTION * (500 - cli.STOCK_WINDOW))


def test_data_dir_must_be_a_folder(tmp_path):
    file = tmp_path / "file.txt"
    file.write_text("not a folder")
    with pytest.raises(ValueError, match="is a file, not a folder"):
        cli.demo(out=io.StringIO(), data_dir=file)
    with pytest.raises(TypeError, match="data_dir must be a path"):
        cli.demo(out=io.StringIO(), data_dir=3)


@quiet
def test_real_data_rows(tiny_models, data_dir):
    stock = cli._stock_row(0, data_dir)
    assert stock[0] == "stock: S&P 500 next close"
    assert 5 < stock[3] < 50  # persistence MAE in index points
    ecg = cli._ecg_row(0, data_dir)
    assert ecg[0] == "ECG5000 anomalies (30 epochs)"
    assert 0.5 < ecg[3] <= 1  # IsolationForest's ROC AUC


@quiet
def test_text_rows(tiny_models, tmp_path):
    task, metric, score, base, name, seconds, epochs = cli._sentiment_row(0, None)
    assert task == "sentiment: generated review sentences" and metric == "accuracy"
    assert 0 <= score <= 1 and name == "majority class" and epochs == 1
    task, metric, score, base, name, seconds, epochs = cli._next_word_row(0, tmp_path)
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
    task, metric, score, base, name, seconds, epochs = words
    assert task == "speech: word, generated spoken digits" and metric == "accuracy"
    assert 0 <= score <= 1 and name == "majority class" and epochs == 1
    task, metric, adapted_score, base, name, seconds, epochs = adapted
    assert "adapted to each speaker" in task and metric == "accuracy"
    assert 0 <= adapted_score <= 1 and base == score and name == "unadapted"
    task, metric, score, base, name, seconds, epochs = cli._spelling_row(0, tmp_path)
    assert task == "speech: spelling, generated (no fsdd)" and metric == "CER"
    assert score >= 0 and base > 0.5 and name == "most common word"


@quiet
def test_real_speech_rows(tiny_models, data_dir):
    if not (data_dir / "fsdd").is_dir():
        pytest.skip("fsdd not available")
    (task, *_, epochs), _ = cli._spoken_word_rows(0, data_dir)
    assert task == "speech: word, FSDD spoken digits" and epochs == 1
    assert (
        cli._spelling_row(0, data_dir)[0]
        == "speech: spelling (CTC), FSDD spoken digits"
    )
