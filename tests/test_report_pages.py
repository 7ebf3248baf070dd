"""The reports people mail around read as reports: words for field names, yes/no, the Chinese beside its
translation with each line's findings, a frame of each flagged line, links both ways, every text escaped."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
import review_season
from PIL import Image
from stub_engines import EchoEngine

from localize import media
from localize.pipeline import line_frames
from localize.report import label, render_html, shown, write_season_summary
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
    assert "<td>你好。</td><td>Hola.</td>" in lines  # the Chinese beside its translation
    flagged, plain = lines.split('<tr class="flagged">')[1].split('<tr class="">')
    assert "glossary-name" in flagged and "林晓，" in flagged and "glossary-name" not in plain
    assert 'href="../season-summary.html"' in page


def test_unknown_keys_read_as_words_and_values_as_people_say_them() -> None:
    assert label("dub_lufs") == "Dub loudness (LUFS)" and label("errors") == "Errors"
    assert label("speech_cache_hits") == "Speech cache hits"
    assert (shown("passed", True), shown("passed", False), shown("dub_lufs", None)) == ("yes", "no", "—")


def _video(path: Path) -> Path:
    media.run_ffmpeg(["-f", "lavfi", "-i", "color=c=0x305070:s=270x480:r=25:d=6", "-c:v", "libx264",
                      "-pix_fmt", "yuv420p", str(path)])
    return path


def test_frames_are_small_jpegs_of_the_flagged_lines_only(tmp_path: Path) -> None:
    frames = line_frames(_video(tmp_path / "preview.mp4"), TRANSLATION, REPORT)
    assert list(frames) == [1]  # line 2 carries the error; line 1 nothing
    jpeg = Image.open(io.BytesIO(base64.b64decode(frames[1].removeprefix("data:image/jpeg;base64,"))))
    assert (jpeg.format, jpeg.size) == ("JPEG", (135, 240))
    page = render_html(REPORT, FACTS, translation=TRANSLATION, frames=frames)
    assert page.count('<img src="data:image/jpeg;base64,') == 1


def test_without_a_video_or_a_flagged_line_the_page_has_no_frames(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    assert line_frames(tmp_path / "missing.mp4", TRANSLATION, REPORT) == {}
    assert line_frames(None, TRANSLATION, REPORT) == {}
    assert "<img" not in render_html(REPORT, FACTS, translation=TRANSLATION, frames={})
    (tmp_path / "preview.mp4").write_bytes(b"not looked at")
    monkeypatch.setattr(media, "jpeg_frame", lambda *a, **k: pytest.fail("ffmpeg run with nothing flagged"))
    assert line_frames(tmp_path / "preview.mp4", TRANSLATION, QAReport("ep01", "es-419", ())) == {}


def test_the_season_summary_uses_words_and_links_each_report(tmp_path: Path) -> None:
    rows = [{"episode": "ep01", "market": "es-419", "status": "needs review", "passed": False, "errors": 2,
             "findings": 3, "dub_lufs": None, "qa": "es-419/ep01.qa.html"}]
    _, page_path = write_season_summary(rows, tmp_path)
    page = page_path.read_text(encoding="utf-8")
    assert "<th>Dub loudness (LUFS)</th>" in page and "<th>Passed</th>" in page
    assert "<td>no</td>" in page and "False" not in page and "<td>—</td>" in page
    assert 'href="es-419/ep01.qa.html"' in page


def test_a_delivered_qa_page_has_a_frame_of_each_flagged_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(engines.ENGINES, EchoEngine.name, lambda spec: EchoEngine())
    season = review_season.make_season(tmp_path / "season")  # "characters" is forbidden: both lines flagged
    assert not review_season.deliver(season, tmp_path / "out").failures
    page = (tmp_path / "out" / review_season.MARKET / "ep01.qa.html").read_text(encoding="utf-8")
    assert page.count("data:image/jpeg;base64,") == 2 and "林晓，你终于回来了。" in page
