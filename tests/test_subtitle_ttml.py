"""TTML (IMSC1 text) writing and reading; every writer round-trips through its reader; markup
from a translation is escaped, never interpreted; readers cope with real-world files."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from localize.subtitle import SubtitleFileError, VerticalLayout, read_cues, write_subtitles
from localize.subtitle.formats import read_subtitles
from localize.subtitle.ttml import IMSC1_TEXT, TT, TTP, TTS, XML
from localize.types import Cue

SHARED_SUBS = Path(__file__).resolve().parents[2] / "shared" / "eval" / "subs"
FORMATS = ["srt", "vtt", "ass", "ttml"]

# Markup a translation or glossary may carry: written so that it reads back as the same text.
_MARKUP = "{}\\<>&/"
_PLAIN = "abcxyz ABC áéñçãõ.,!?'\"-—:;0123456789林晓مرحبا"


def _lines(alphabet: str) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=1, max_size=30).map(str.strip).filter(bool)


@st.composite
def _cues(draw: st.DrawFn, alphabet: str) -> list[Cue]:
    cues, t = [], 0
    for _ in range(draw(st.integers(1, 10))):
        start = t + draw(st.integers(0, 5000))
        end = start + draw(st.integers(1, 7000))
        cues.append(Cue(start_ms=start, end_ms=end, lines=tuple(draw(st.lists(_lines(alphabet), min_size=1,
                                                                              max_size=2)))))
        t = end
    return cues


@st.composite
def _case(draw: st.DrawFn) -> tuple[str, list[Cue]]:
    fmt = draw(st.sampled_from(FORMATS))
    # SubRip has no escapes: braces and backslashes become look-alikes there (see formats.py).
    alphabet = _PLAIN + ("<>&/" if fmt == "srt" else _MARKUP)
    return fmt, draw(_cues(alphabet))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=_case())
def test_every_writer_round_trips_through_its_reader(tmp_path: Path, case: tuple[str, list[Cue]]) -> None:
    fmt, cues = case
    path = write_subtitles(cues, tmp_path / f"ep.{fmt}", fmt, language="en")
    back = read_cues(path)
    step = 10 if fmt == "ass" else 1  # ASS: centiseconds, floored
    assert [(c.start_ms, c.end_ms, c.lines) for c in back] == \
        [(c.start_ms // step * step, c.end_ms // step * step, c.lines) for c in cues]


def _ttml(tmp_path: Path, cues: list[Cue], **kw: object) -> ET.Element:
    path = write_subtitles(cues, tmp_path / "ep.ttml", "ttml", **kw)  # type: ignore[arg-type]
    return ET.parse(path).getroot()


def test_ttml_declares_the_imsc1_text_profile_language_and_media_time(tmp_path: Path) -> None:
    root = _ttml(tmp_path, [Cue(1000, 2500, ("Hello", "there"))], language="es")
    assert root.tag == f"{{{TT}}}tt"
    assert root.get(f"{{{XML}}}lang") == "es"
    assert root.get(f"{{{TTP}}}timeBase") == "media"
    assert root.get(f"{{{TTP}}}profile") == IMSC1_TEXT
    p = root.find(f".//{{{TT}}}p")
    assert p is not None and p.get("begin") == "00:00:01.000" and p.get("end") == "00:00:02.500"
    assert p.text == "Hello" and [c.tag for c in p] == [f"{{{TT}}}br"] and p[0].tail == "there"


def test_ttml_region_covers_the_vertical_safe_area(tmp_path: Path) -> None:
    root = _ttml(tmp_path, [Cue(0, 1000, ("x",))])
    region = root.find(f".//{{{TT}}}region")
    assert region is not None
    assert region.get(f"{{{TTS}}}origin") == "11.111% 15.000%"  # x 120, y 288 of 1080x1920
    assert region.get(f"{{{TTS}}}extent") == "71.111% 50.000%"  # 768 x 960
    assert region.get(f"{{{TTS}}}displayAlign") == "after"
    assert region.get(f"{{{TTS}}}writingMode") == "lrtb"


def test_ttml_for_a_right_to_left_market(tmp_path: Path) -> None:
    root = _ttml(tmp_path, [Cue(0, 1000, ("مرحبا",))], layout=VerticalLayout(rtl=True), language="ar")
    region = root.find(f".//{{{TT}}}region")
    p = root.find(f".//{{{TT}}}p")
    assert region is not None and region.get(f"{{{TTS}}}writingMode") == "rltb"
    assert p is not None and p.get(f"{{{TTS}}}direction") == "rtl"


def test_ttml_markup_in_text_is_escaped_as_xml(tmp_path: Path) -> None:
    path = write_subtitles([Cue(0, 1000, ("<i>R&D</i> {\\an8}",))], tmp_path / "x.ttml", "ttml")
    raw = path.read_text(encoding="utf-8")
    assert "&lt;i&gt;R&amp;D&lt;/i&gt; {\\an8}" in raw
    assert read_cues(path)[0].lines == ("<i>R&D</i> {\\an8}",)


_TTML_HEAD = '<tt xmlns="http://www.w3.org/ns/ttml" xmlns:ttp="http://www.w3.org/ns/ttml#parameter" '


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_ttml_reader_resolves_frames_offsets_ticks_and_parent_times(tmp_path: Path) -> None:
    doc = (_TTML_HEAD + 'ttp:frameRate="25" ttp:tickRate="10000000"><body><div begin="10s">'
           '<p begin="00:00:01:05" end="00:00:02:00">frames <span>and</span><br/>spans</p>'
           '<p begin="3s" dur="500ms">offset</p>'
           '<p begin="40000000t" end="45000000t">ticks</p></div></body></tt>')
    cues = read_cues(_write(tmp_path, "a.ttml", doc))
    assert [(c.start_ms, c.end_ms, c.lines) for c in cues] == [
        (11200, 12000, ("frames and", "spans")), (13000, 13500, ("offset",)), (14000, 14500, ("ticks",))]


def test_ttml_malformed_p_names_its_line_and_lenient_skips_it(tmp_path: Path) -> None:
    doc = (_TTML_HEAD + '>\n<body>\n<div>\n<p begin="1s" end="2s">ok</p>\n'
           '<p begin="zz" end="3s">bad</p>\n</div></body></tt>')
    path = _write(tmp_path, "b.ttml", doc)
    with pytest.raises(SubtitleFileError, match=r"b\.ttml:5: bad begin time 'zz'"):
        read_cues(path)
    read = read_subtitles(path, lenient=True)
    assert [c.lines for c in read.cues] == [("ok",)]
    assert [p.line_no for p in read.problems] == [5]


def test_ttml_not_xml_or_with_a_dtd_is_refused_with_a_line(tmp_path: Path) -> None:
    with pytest.raises(SubtitleFileError, match=r"c\.ttml:2: not well-formed XML"):
        read_cues(_write(tmp_path, "c.ttml", _TTML_HEAD + ">\n<body><p begin='1s'></body></tt>"))
    bomb = '<?xml version="1.0"?>\n<!DOCTYPE tt [<!ENTITY a "aaaa">]>\n' + _TTML_HEAD + '><body/></tt>'
    with pytest.raises(SubtitleFileError, match="document type declarations"):
        read_cues(_write(tmp_path, "d.ttml", bomb))


def test_full_width_timing_separators_are_read(tmp_path: Path) -> None:
    text = ("1\n００：００：０１，５００ －－＞ ００：００：０３，０００\n你好\n\n"
            "2\n00：00：04，000 --> 00：00：05，000\n再见\n")
    cues = read_cues(_write(tmp_path, "fw.srt", text))
    assert [(c.start_ms, c.end_ms, c.lines) for c in cues] == [(1500, 3000, ("你好",)), (4000, 5000, ("再见",))]


@pytest.mark.parametrize("encoding", ["big5", "utf-16-le", "utf-16", "gbk", "utf-8-sig"])
def test_chinese_encodings_are_detected(tmp_path: Path, encoding: str) -> None:
    line = "林曉說：我們明天見。" if encoding == "big5" else "林晓说：我们明天见。"
    path = _write(tmp_path, "zh.srt", f"1\n00:00:01,000 --> 00:00:02,000\n{line}\n".encode(encoding))
    assert read_cues(path)[0].lines == (line,)


def test_lenient_reading_keeps_good_cues_and_reports_bad_ones_with_lines(tmp_path: Path) -> None:
    text = ("1\n00:00:01,000 --> 00:00:02,000\nGood\n\n2\n00:00:0x,000 --> 00:00:04,000\nBad\n\n"
            "garbage line\n\n4\n00:00:05,000 --> 00:00:06,000\nAlso good\n")
    path = _write(tmp_path, "l.srt", text)
    with pytest.raises(SubtitleFileError, match=r"l\.srt:6"):
        read_cues(path)
    read = read_subtitles(path, lenient=True)
    assert [c.lines for c in read.cues] == [("Good",), ("Also good",)]
    assert [p.line_no for p in read.problems] == [6, 9]


def test_srt_markup_is_broken_not_interpreted(tmp_path: Path) -> None:
    path = write_subtitles([Cue(0, 1000, ("<i>x</i> {\\an8} -->",))], tmp_path / "m.srt", "srt")
    raw = path.read_text(encoding="utf-8")
    assert "<i>" not in raw and "{\\an8}" not in raw and "\n1\n" not in raw
    assert read_cues(path)[0].lines == ("<i>x</i> ｛＼an8｝ -->",)


def test_ass_override_tags_are_escaped(tmp_path: Path) -> None:
    path = write_subtitles([Cue(0, 1000, ("{\\an8}top? \\N no",))], tmp_path / "e.ass", "ass")
    dialogue = next(line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("Dialogue"))
    assert "\\{\\\u2060an8\\}" in dialogue and "{\\an8}" not in dialogue
    assert read_cues(path)[0].lines == ("{\\an8}top? \\N no",)


@pytest.mark.slow
def test_ass_override_tag_renders_literally(tmp_path: Path) -> None:
    """libass draws an escaped `{\\alpha&HFF&}` (which would hide the line) as visible text."""
    from PIL import Image

    from localize.media import subtitle_thumbnail

    cues = [Cue(0, 2000, ("{\\alpha&HFF&}HIDDEN?",))]
    escaped = write_subtitles(cues, tmp_path / "lit.ass", "ass")
    png = subtitle_thumbnail(escaped, tmp_path / "lit.png", 1000)
    ink = np.asarray(Image.open(png).convert("L")) > 128
    assert ink.sum() > 100
    columns = np.flatnonzero(ink.any(axis=0))
    assert columns[-1] - columns[0] > 100  # the braces and tag are drawn, not only "HIDDEN?"
    raw = tmp_path / "raw.ass"  # the same tag unescaped hides the line: the check can tell
    raw.write_text(escaped.read_text(encoding="utf-8").replace("\\{\\\u2060", "{\\").replace("\\}", "}"),
                   encoding="utf-8")
    hidden = np.asarray(Image.open(subtitle_thumbnail(raw, tmp_path / "raw.png", 1000)).convert("L")) > 128
    assert hidden.sum() == 0


# What each real-world file (../shared/eval/subs, see MANIFEST.tsv) gives: cues read, or the line of the error.
_REAL: dict[str, int | str] = {
    "pysubs2_subtitle_with_attached_fonts_aegisub.ass": 1,
    "pysubs2_subtitle_with_attached_images_aegisub.ass": 1,
    "srt_gb2312.srt": 3,
    "webvttpy_captions_with_bom.vtt": 4,
    "webvttpy_comments.vtt": 3,
    "webvttpy_cue_tags.vtt": 3,
    "webvttpy_empty.vtt": "empty",
    "webvttpy_invalid.vtt": 7,
    "webvttpy_invalid_format1.srt": "no subtitle cues",
    "webvttpy_invalid_format2.srt": "no subtitle cues",
    "webvttpy_invalid_format4.srt": ":1:",
    "webvttpy_invalid_timeframe.srt": 5,
    "webvttpy_invalid_timeframe.vtt": ":6:",
    "webvttpy_invalid_timeframe_in_cue_text.vtt": ":7:",
    "webvttpy_metadata_headers_multiline.vtt": 2,
    "webvttpy_missing_caption_text.srt": 5,
    "webvttpy_missing_timeframe.srt": ":6:",
    "webvttpy_missing_timeframe.vtt": ":6:",
    "webvttpy_netflix_chicas_del_cable.vtt": 865,
    "webvttpy_styles.vtt": 1,
    "webvttpy_using_identifiers.vtt": 6,
    "webvttpy_youtube_dl.vtt": 4,
}


_LENIENT_CUES = {  # cues kept when the malformed one is skipped
    "webvttpy_invalid_format4.srt": 0,  # text, then a timing line with no text after it
    "webvttpy_invalid_timeframe.vtt": 6,
    "webvttpy_invalid_timeframe_in_cue_text.vtt": 2,  # the block with the repeated timing line goes
    "webvttpy_missing_timeframe.srt": 4,
    "webvttpy_missing_timeframe.vtt": 6,
}


@pytest.mark.parametrize("name", sorted(_REAL))
def test_real_world_files_read_or_fail_with_a_line_and_lenient_keeps_going(name: str) -> None:
    path = SHARED_SUBS / name
    if not path.is_file():
        pytest.skip(f"evaluation data not available: {path}")
    expected = _REAL[name]
    if isinstance(expected, int):
        assert len(read_cues(path)) == expected
        return
    with pytest.raises(SubtitleFileError) as info:
        read_cues(path)
    assert expected in str(info.value)
    if expected.startswith(":"):  # a malformed cue: lenient reading skips it and keeps the rest
        read = read_subtitles(path, lenient=True)
        assert [p.line_no for p in read.problems] == [int(expected.strip(":"))]
        assert len(read.cues) == _LENIENT_CUES[name]


@pytest.mark.parametrize("seed", range(3))
def test_random_corruptions_of_real_files_never_crash(tmp_path: Path, seed: int) -> None:
    if not SHARED_SUBS.is_dir():
        pytest.skip(f"evaluation data not available: {SHARED_SUBS}")
    rng = np.random.default_rng(seed)
    for path in sorted(SHARED_SUBS.iterdir()):
        data = bytearray(path.read_bytes()[:20000])
        for _ in range(max(1, len(data) // 200)):
            if data:
                data[int(rng.integers(len(data)))] = int(rng.integers(256))
        broken = tmp_path / path.name
        broken.write_bytes(bytes(data))
        for lenient in (False, True):
            try:
                read_subtitles(broken, lenient=lenient)
            except SubtitleFileError as exc:  # a clear error naming the file is the other accepted outcome
                assert path.name in str(exc)


@pytest.mark.parametrize("fmt", ["srt", "vtt"])
@pytest.mark.parametrize("text", ["—>", "a → b", "wait —> go", "0—>"])
def test_an_arrow_in_the_text_is_text_not_a_timing_line(tmp_path: Path, fmt: str, text: str) -> None:
    """Found by the round-trip property: "—>" is read as "-->" only after a time (an input method's timing line)."""
    path = write_subtitles([Cue(0, 1000, (text,))], tmp_path / f"ep.{fmt}", fmt, language="en")
    assert [c.lines for c in read_cues(path)] == [(text,)]
