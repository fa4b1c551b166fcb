"""The command line: ``python -m sklstm demo`` prints a result table."""

import io

import pytest

from sklstm import __main__ as cli


def test_demo_prints_one_line_per_row(monkeypatch):
    def row(seed):
        return ("a stub task", "metric", 0.9, 0.5, "baseline", 1.0, 3)

    monkeypatch.setattr(cli, "ROWS", [row, row])
    out = io.StringIO()
    rows = cli.demo(seed=0, out=out)
    assert rows == [("a stub task", "metric", 0.9, 0.5)] * 2
    lines = out.getvalue().splitlines()
    assert sum(line.startswith("a stub task") for line in lines) == 2


def test_command_line_needs_a_command(capsys):
    with pytest.raises(SystemExit):
        cli.main([])
    assert "demo" in capsys.readouterr().err
