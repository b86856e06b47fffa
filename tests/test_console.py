"""What the console says: metric names with their meaning in words, no warm-up wording without a warm-up,
and --quiet printing nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.cli import main
from sim.experiments.report.tables import metric_words
from sim.model.metrics import METRICS


def test_metric_words_read_as_a_sentence() -> None:
    assert metric_words("application_rate") == (
        "plea agreements standing when review ended, of cases whose review ended"
    )
    assert metric_words("hours_per_case_total").endswith("per cases arrived")
    assert all("(" not in metric_words(m) and metric_words(m) for m in METRICS)
    assert metric_words("no_such_metric") == ""


def test_run_prints_meanings_and_no_warm_up_when_there_is_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["run", "--scale", "classroom", "--set", "run.warmup_days=0", "--out", str(tmp_path / "a")]) == 0
    )
    out = capsys.readouterr().out
    assert "meaning" in out and metric_words("pretrial_detention_rate") in out
    assert "warm-up" not in out and "from day 0 to day" in out
    args = ["run", "--scale", "classroom", "--set", "run.warmup_days=5", "--out", str(tmp_path / "b")]
    assert main(args) == 0
    assert "from day 5 (after the warm-up)" in capsys.readouterr().out


def test_quiet_run_prints_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--scale", "classroom", "--out", str(tmp_path / "q"), "--quiet"]) == 0
    assert capsys.readouterr() == ("", "")
