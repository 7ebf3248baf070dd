"""`localize qa FILE`: lint any subtitle file; exit 0 clean, 1 errors, 2 unreadable."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from localize.cli import main
from localize.markets import get_market
from localize.qa_lint import LintOptions, lint_file, render_csv
from localize.report import render_html
from localize.subtitle import CoverBox, write_subtitles
from localize.subtitle.placement import AssPlacement, outside_safe_area
from localize.types import Cue

CLEAN = [Cue(1000, 3000, ("Where were you last night?",)), Cue(3500, 5500, ("At the office, working late.",))]


def _codes(path: Path, **kw: object) -> list[str]:
    options = LintOptions(market=get_market("en-US"), **kw)  # type: ignore[arg-type]
    return [f.code for f in lint_file(path, options).report.findings]


def _srt(tmp_path: Path, text: str, name: str = "ep.srt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", ["srt", "vtt", "ass", "ttml"])
def test_a_clean_file_in_any_format_passes(tmp_path: Path, fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_subtitles(CLEAN, tmp_path / f"ep.{fmt}", fmt, cover=CoverBox(), language="en")
    assert main(["qa", str(path), "--market", "en-US"]) == 0
    assert "0 error(s)" in capsys.readouterr().out


def test_every_rule_is_checked(tmp_path: Path) -> None:
    path = _srt(tmp_path, (
        "1\n00:00:01,000 --> 00:00:01,400\nThis line is far too long to be read on a phone screen, truly\n\n"
        "2\n00:00:01,410 --> 00:00:09,000\none\ntwo\nthree\n\n"
        "3\n00:00:08,000 --> 00:00:10,000\n他说了什么\n\n"
        "4\n00:00:11,000 --> 00:00:12,000\n\n\n"))
    codes = set(_codes(path))
    assert {"line-too-long", "cps-too-high", "duration-too-short", "gap-too-small", "too-many-lines",
            "duration-too-long", "overlap", "chinese-left", "empty-cue"} <= codes


def test_width_rules_follow_the_market(tmp_path: Path) -> None:
    path = _srt(tmp_path, "1\n00:00:01,000 --> 00:00:05,000\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n")  # 40 chars
    en = lint_file(path, LintOptions(market=get_market("en-US"))).report.findings
    assert "line-too-long" not in [f.code for f in en]


def test_gap_rule_uses_the_frame_rate(tmp_path: Path) -> None:
    path = _srt(tmp_path, "1\n00:00:01,000 --> 00:00:02,000\nOne\n\n2\n00:00:02,050 --> 00:00:03,000\nTwo\n")
    assert "gap-too-small" in _codes(path, fps=25.0)  # 50 ms < 2 frames of 40 ms
    assert "gap-too-small" not in _codes(path, fps=60.0)  # 2 frames of 16.7 ms


def test_glossary_terms_left_in_chinese_and_forbidden_words(tmp_path: Path) -> None:
    from localize.translate.glossary import load_glossary

    glossary = tmp_path / "g.tsv"
    glossary.write_text("source\ttarget\tkind\tnote\n林晓\tLin Xiao\tname\t\n\tdamn\tforbidden\tno swearing\n",
                        encoding="utf-8")
    path = _srt(tmp_path, "1\n00:00:01,000 --> 00:00:03,000\nWhere is 林晓?\n\n"
                          "2\n00:00:04,000 --> 00:00:06,000\nDamn it, Lin Xiao.\n")
    codes = _codes(path, glossary=load_glossary(glossary))
    assert "glossary-untranslated" in codes and "glossary-forbidden" in codes


def test_ass_text_outside_the_safe_area_is_flagged(tmp_path: Path) -> None:
    inside = write_subtitles(CLEAN, tmp_path / "in.ass", "ass")
    assert "outside-safe-area" not in _codes(inside)
    text = inside.read_text(encoding="utf-8").replace(",,Where", ",,{\\an8\\pos(540,60)}Where")
    outside = tmp_path / "out.ass"
    outside.write_text(text, encoding="utf-8")
    findings = lint_file(outside, LintOptions(market=get_market("en-US"))).report.findings
    [top] = [f for f in findings if f.code == "outside-safe-area"]
    assert "past the top" in top.message and top.start_ms == 1000


def test_placement_estimate() -> None:
    base = AssPlacement(0, 1000, ("Hello",), (1080, 1920), 2, (120, 192, 672), None, 56.0)
    assert outside_safe_area(base) == ""
    low = AssPlacement(0, 1000, ("Hello",), (1080, 1920), 2, (120, 192, 20), None, 56.0)
    assert "bottom" in outside_safe_area(low)
    left = AssPlacement(0, 1000, ("Hello",), (1080, 1920), 1, (10, 10, 700), None, 56.0)
    assert "left" in outside_safe_area(left)
    small = AssPlacement(0, 1000, ("Hello",), (384, 288), 2, (10, 10, 10), None, 20.0)
    assert "bottom" in outside_safe_area(small)  # the safe area scales with PlayRes


def test_exit_status_and_formats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = _srt(tmp_path, "1\n00:00:01,000 --> 00:00:09,000\n<b>x</b> & 林\n")
    assert main(["qa", str(bad), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["passed"] is False and {"duration-too-long", "chinese-left"} <= {f["code"] for f in data["findings"]}
    assert main(["qa", str(bad), "--format", "csv"]) == 1
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows and rows[0].keys() >= {"start", "severity", "code", "message"}
    assert main(["qa", str(bad), "--format", "html"]) == 1
    page = capsys.readouterr().out
    assert page.startswith("<!doctype html>") and "<b>x</b>" not in page


def test_html_escapes_everything_it_shows(tmp_path: Path) -> None:
    path = _srt(tmp_path, '1\n00:00:01,000 --> 00:00:09,000\n<script>alert("x")</script> & 林\n',
                name='<img src=x onerror="y">.srt')
    result = lint_file(path, LintOptions(market=get_market("en-US")))
    page = render_html(result.report, {"file": path.name}, {0: 'data:image/png;base64,"><script>'})
    assert "<script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page


def test_line_by_line_facts_show_as_a_table_escaped(tmp_path: Path) -> None:
    path = _srt(tmp_path, "1\n00:00:01,000 --> 00:00:03,000\nHello there\n")
    result = lint_file(path, LintOptions(market=get_market("en-US")))
    rows = [{"line": 1, "character": "林晓", "voice": "piper:joe", "text": "<b>Run</b> & hide"},
            {"line": 2, "character": "陈默", "voice": "take", "text": "Wait"}]
    page = render_html(result.report, {"dub_lufs": -16.0, "dub_line_details": rows})
    assert "Dub loudness (LUFS)</th><td>-16.0" in page and "dub_line_details" not in page  # words, not a dump
    assert "<h2>Dub, line by line</h2>" in page and page.count("<tr><td>") >= 2
    assert "<th>Character</th>" in page and "<td>陈默</td>" in page
    assert "<b>Run</b>" not in page and "&lt;b&gt;Run&lt;/b&gt; &amp; hide" in page


def test_unreadable_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["qa", str(tmp_path / "missing.srt")]) == 2
    assert "no such file" in capsys.readouterr().err
    broken = _srt(tmp_path, "1\n00:00:0x,000 --> 00:00:02,000\nHi\n\n2\n00:00:03,000 --> 00:00:04,000\nOk there\n")
    assert main(["qa", str(broken)]) == 2
    assert f"{broken}:2:" in capsys.readouterr().err


def test_lenient_reports_malformed_cues_with_line_numbers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = _srt(tmp_path, "1\n00:00:0x,000 --> 00:00:02,000\nHi\n\n2\n00:00:03,000 --> 00:00:04,000\nOk there\n")
    assert main(["qa", str(broken), "--lenient", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    [problem] = [f for f in data["findings"] if f["code"] == "malformed-cue"]
    assert problem["severity"] == "warning" and problem["message"].startswith("line 2:")
    assert data["cues"] == 1


def test_csv_is_one_row_per_finding(tmp_path: Path) -> None:
    path = _srt(tmp_path, "1\n00:00:01,000 --> 00:00:01,200\nHi, \"you\", there, and you, and everyone else here\n")
    report = lint_file(path, LintOptions(market=get_market("en-US"))).report
    rows = list(csv.DictReader(io.StringIO(render_csv(report))))
    assert len(rows) == len(report.findings) == 3
    assert any('"you"' in row["message"] for row in rows)  # quotes and commas survive the CSV


@pytest.mark.slow
def test_video_gives_a_9x16_thumbnail_of_each_flagged_cue(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from PIL import Image

    from localize.media import run_ffmpeg

    video = tmp_path / "v.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=540x960:r=25:d=4", "-pix_fmt", "yuv420p", str(video)])
    path = _srt(tmp_path, "1\n00:00:01,000 --> 00:00:01,300\nToo quick\n\n2\n00:00:02,000 --> 00:00:03,500\nFine\n")
    result = lint_file(path, LintOptions(market=get_market("en-US"), video=video))
    assert [t.start_ms for t in result.thumbnails] == [1000]
    image = Image.open(io.BytesIO(result.thumbnails[0].png))
    assert image.size == (270, 480)
    assert main(["qa", str(path), "--video", str(video), "--format", "html"]) == 0
    assert 'src="data:image/png;base64,' in capsys.readouterr().out
