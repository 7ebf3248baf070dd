"""`localize run` never lets a broken line pass silently: deliveries with error findings are written,
marked "needs review" in the season summary, and the run exits 3 unless --allow-findings."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from localize.cli import EXIT_NEEDS_REVIEW, main
from localize.markets import Market
from localize.translate import engines

pytestmark = pytest.mark.slow


class StubbornEngine:
    """Leaves the Chinese in, however often it is asked."""

    name = "stubborn-stub"
    calls = 0

    def translate(self, sources: Sequence[str], market: Market, context: Any = None) -> list[str]:
        StubbornEngine.calls += 1
        return [f"Line {i + 1}: {source}" for i, source in enumerate(sources)]


def test_flagged_lines_are_delivered_for_review_and_the_run_exits_3(
        tmp_path: Path, tiny_episode: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(engines.ENGINES, StubbornEngine.name, lambda spec: StubbornEngine())
    season = tmp_path / "season"
    season.mkdir()
    shutil.copy(tiny_episode, season / "ep01.mp4")
    (season / "localize.toml").write_text('[markets.en-US]\nengine = "stubborn-stub"\n', encoding="utf-8")
    out = tmp_path / "out"
    args = ["run", str(season), "--markets", "en-US", "--out", str(out), "--no-preview", "--no-ocr", "-q"]

    assert main(args) == EXIT_NEEDS_REVIEW
    assert StubbornEngine.calls == 3  # the first answer, and two retries of the failing lines
    summary = json.loads((out / "season-summary.json").read_text(encoding="utf-8"))
    assert [row["status"] for row in summary["deliveries"]] == ["needs review"]
    srt = (out / "en-US" / "ep01.srt").read_text(encoding="utf-8")
    assert "Line 1:" in srt  # visible to the reviewer, with its flag in the QA report
    qa = json.loads((out / "en-US" / "ep01.qa.json").read_text(encoding="utf-8"))
    assert any(f["code"] == "mt-chinese-left" for f in qa["findings"])
    assert qa["lines_with_errors"] >= 1 and qa["lines_retried"] >= 1

    capsys.readouterr()
    assert main([*args, "--allow-findings"]) == 0  # the same deliveries, accepted (reused, not redone)
    assert StubbornEngine.calls == 3
    assert "nothing changed since the run" in capsys.readouterr().out  # answered without running anything
    assert main(args) == EXIT_NEEDS_REVIEW  # and still not silently passed
    (out / "en-US" / "ep01.vtt").unlink()
    assert main([*args, "--allow-findings"]) == 0  # a delivery gone: the run runs, the stages are reused
    assert (out / "en-US" / "ep01.vtt").is_file() and StubbornEngine.calls == 3
