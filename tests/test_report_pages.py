"""The reports people mail around read as reports: words for field names, yes/no, the Chinese beside its
translation with each line's findings, a frame of each flagged line, links both ways, every text escaped."""

from __future__ import annotations

from pathlib import Path

import pytest
import review_season
from stub_engines import EchoEngine

from localize.report import render_html, write_season_summary
from localize.translate import engines
from localize.types import Finding, Line, QAReport, Severity, Translation

REPORT = QAReport("ep01", "es-419", (
    Finding("glossary-name", Severity.ERROR, "line 2: 林晓 not rendered as 'Lin Xiao'", 3000, 5000, "glossary"),
    Finding("dub-loudness", Severity.WARNING, "dub measures -20 LUFS", None, None, "dub"),
))
TRANSLATION = Translation("es-419", "stub", (
    Line(0, 0, 2500, "你好。", "Hola.", "张浩"),
    Line(1, 3000, 5000, "林晓，<script>alert(1)</script>", "{\\b1}<script>alert(1)</script>", "林晓"),
))
FACTS = {"dub_lufs": -20.0, "lines_retried": 0, "glossary_compliance": 0.5, "memory_reuse": 0.25,
         "residual_chinese_share": None, "dub_line_details": [{"line": 1, "shortened": True, "speed": 1.1}]}


def test_a_qa_page_uses_words_and_shows_each_line_beside_its_translation() -> None:
    page = render_html(REPORT, FACTS, translation=TRANSLATION, frames={1: "data:image/jpeg;base64,AAAA"})
    assert "Dub loudness (LUFS)" in page and "dub_lufs" not in page
    assert "Glossary terms as approved</th><td>50%" in page and "Lines asked again</th><td>0" in page
    assert "Burned-in Chinese still readable</th><td>—" in page
    assert "<td>yes</td>" in page and "True" not in page  # the dub table's "shortened"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert "{\\b1}" in page
    lines = page[page.index("Lines (flagged first)"):page.index("<h2>Findings")]
    assert lines.index("林晓，") < lines.index("你好。")  # the flagged line first
    assert "glossary-name" in lines and "Hola." in lines and "data:image/jpeg;base64,AAAA" in lines
    assert lines.count("<img") == 1
    assert 'href="../season-summary.html"' in page


def test_the_season_summary_uses_words_and_links_each_report(tmp_path: Path) -> None:
    rows = [{"episode": "ep01", "market": "es-419", "status": "needs review", "passed": False, "errors": 2,
             "findings": 3, "dub_lufs": None, "qa": "es-419/ep01.qa.html"}]
    _, page_path = write_season_summary(rows, tmp_path)
    page = page_path.read_text(encoding="utf-8")
    assert "<th>Dub loudness (LUFS)</th>" in page and "<th>Passed</th>" in page
    assert "<td>no</td>" in page and "False" not in page
    assert 'href="es-419/ep01.qa.html"' in page


def test_a_delivered_qa_page_has_a_frame_of_each_flagged_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(engines.ENGINES, EchoEngine.name, lambda spec: EchoEngine())
    season = review_season.make_season(tmp_path / "season")  # "characters" is forbidden: both lines flagged
    assert not review_season.deliver(season, tmp_path / "out").failures
    page = (tmp_path / "out" / review_season.MARKET / "ep01.qa.html").read_text(encoding="utf-8")
    assert page.count("data:image/jpeg;base64,") == 2 and "林晓，你终于回来了。" in page
