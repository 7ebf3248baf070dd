"""Subtitle files: SRT/VTT/ASS round trips, the 9:16 ASS layout, and reading real-world files."""

from __future__ import annotations

import re
from pathlib import Path

import pysubs2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from localize.errors import InputFormatError, UnknownNameError
from localize.subtitle import (
    WRITERS,
    CoverBox,
    SubtitleFileError,
    VerticalLayout,
    read_cues,
    write_subtitles,
)
from localize.types import Cue

SHARED_SUBS = Path(__file__).resolve().parents[2] / "shared" / "eval" / "subs"

# Text a translation may contain; braces, backslashes and <> are escaped or replaced by writers.
_ALPHABET = "abcxyz ABC áéñçãõ.,!?'\"-—:;0123456789林晓&"
_text = st.text(alphabet=_ALPHABET, min_size=1, max_size=30).map(str.strip)
_line = _text.filter(bool)


@st.composite
def _cues(draw: st.DrawFn) -> list[Cue]:
    cues, t = [], 0
    for _ in range(draw(st.integers(1, 12))):
        start = t + draw(st.integers(0, 5000))
        end = start + draw(st.integers(1, 7000))
        lines = tuple(draw(st.lists(_line, min_size=1, max_size=2)))
        cues.append(Cue(start_ms=start, end_ms=end, lines=lines))
        t = end
    return cues


def _key(cue: Cue) -> tuple[int, int, tuple[str, ...]]:
    return cue.start_ms, cue.end_ms, cue.lines


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cues=_cues(), fmt=st.sampled_from(["srt", "vtt", "ass"]))
def test_write_then_read_round_trips(tmp_path: Path, cues: list[Cue], fmt: str) -> None:
    path = write_subtitles(cues, tmp_path / f"ep.{fmt}", fmt, cover=CoverBox(), episode_duration_ms=90_000)
    back = read_cues(path)
    if fmt == "ass":  # centisecond times, floored so the same frames show
        expected = [(c.start_ms // 10 * 10, c.end_ms // 10 * 10, c.lines) for c in cues]
    else:
        expected = [_key(c) for c in cues]
    assert [_key(c) for c in back] == expected


def test_speaker_survives_ass_and_cues_are_written_in_time_order(tmp_path: Path) -> None:
    cues = [Cue(5000, 6000, ("Second",), speaker="B"), Cue(1000, 2000, ("First",), speaker="A")]
    back = read_cues(write_subtitles(cues, tmp_path / "ep.ass", "ass"))
    assert [(c.lines, c.speaker) for c in back] == [(("First",), "A"), (("Second",), "B")]
    srt = write_subtitles(cues, tmp_path / "ep.srt", "srt").read_text(encoding="utf-8")
    assert srt.index("First") < srt.index("Second") and srt.startswith("1\n00:00:01,000 --> 00:00:02,000")


def test_characters_special_to_a_format_are_escaped(tmp_path: Path) -> None:
    cues = [Cue(0, 1000, ("R&D <3 > all", "tom & jerry"))]
    vtt = write_subtitles(cues, tmp_path / "x.vtt", "vtt")
    assert "R&amp;D &lt;3 &gt; all" in vtt.read_text(encoding="utf-8")
    assert read_cues(vtt)[0].lines == cues[0].lines
    ass = write_subtitles([Cue(0, 1000, ("a {b} c\\N",))], tmp_path / "x.ass", "ass")
    assert read_cues(ass)[0].lines == ("a {b} c\\N",)  # escaped: read back literally, no tag, no line break


def test_ass_is_laid_out_for_a_vertical_frame(tmp_path: Path) -> None:
    layout = VerticalLayout(font="Noto Sans")
    cues = [Cue(1000, 2000, ("Hello", "there"))]
    path = write_subtitles(cues, tmp_path / "ep.ass", "ass", layout=layout, cover=CoverBox(),
                           episode_duration_ms=95_000)
    text = path.read_text(encoding="utf-8")
    assert re.search(r"^PlayResX: 1080$", text, re.M) and re.search(r"^PlayResY: 1920$", text, re.M)
    subs = pysubs2.load(str(path))
    style = subs.styles["Default"]
    assert style.fontname == "Noto Sans" and 54 <= style.fontsize <= 60
    assert style.alignment == pysubs2.Alignment.BOTTOM_CENTER
    assert (style.marginl, style.marginr, style.marginv) == (120, 1080 - 888, 1920 - 1248)
    # text stays inside the safe area x 120-888, y 288-1248
    assert style.marginl >= layout.safe_left and 1080 - style.marginr <= layout.safe_right
    assert 1920 - style.marginv <= layout.safe_bottom
    assert 1920 - style.marginv - layout.text_height(2) >= layout.safe_top
    cover = [e for e in subs.events if e.style == "Cover"]
    dialogue = [e for e in subs.events if e.style == "Default"]
    assert len(cover) == 1 and cover[0].layer == 0 and (cover[0].start, cover[0].end) == (0, 95_000)
    assert "\\p1" in cover[0].text and "m 0 1380 l 1080 1380 l 1080 1620 l 0 1620" in cover[0].text
    assert subs.styles["Cover"].primarycolor.a == 0  # opaque
    assert [e.layer for e in dialogue] == [1] and dialogue[0].text == "Hello\\Nthere"


def test_ass_without_cover_has_only_dialogue(tmp_path: Path) -> None:
    subs = pysubs2.load(str(write_subtitles([Cue(0, 900, ("Hi",))], tmp_path / "a.ass", "ass")))
    assert [e.style for e in subs.events] == ["Default"]


def test_unknown_format_lists_the_accepted_ones(tmp_path: Path) -> None:
    with pytest.raises(UnknownNameError) as info:
        write_subtitles([], tmp_path / "x.sub", "sub")
    assert info.value.accepted == sorted(WRITERS) and "srt" in str(info.value)
    assert write_subtitles([Cue(0, 900, ("Hi",))], tmp_path / "x.srt", ".SRT").is_file()


def test_a_failing_writer_leaves_no_file_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(cues: object, job: object) -> str:
        raise RuntimeError("disk full")

    monkeypatch.setitem(WRITERS, "srt", WRITERS["srt"].__class__("srt", ".srt", "broken", broken))
    with pytest.raises(RuntimeError):
        write_subtitles([Cue(0, 900, ("Hi",))], tmp_path / "x.srt", "srt")
    assert list(tmp_path.iterdir()) == []


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_reading_strips_tags_and_skips_drawings_and_comments(tmp_path: Path) -> None:
    ass = _write(tmp_path, "t.ass", (
        "[Script Info]\nScriptType: v4.00+\n\n[V4+ Styles]\n"
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, "
        "Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, "
        "Alignment, MarginL, MarginR, MarginV, Encoding\n"
        "Style: Default,Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,2,2,"
        "10,10,10,1\n\n[Events]\n"
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
        "Dialogue: 0,0:00:00.00,0:01:00.00,Default,,0,0,0,,{\\an7\\pos(0,0)\\p1}m 0 0 l 10 0 l 10 10{\\p0}\n"
        "Comment: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,,a note\n"
        "Dialogue: 1,0:00:01.00,0:00:02.50,Default,Lin,0,0,0,,{\\i1}Hello{\\i0}\\Nthere\n"))
    assert read_cues(ass) == (Cue(1000, 2500, ("Hello", "there"), speaker="Lin"),)
    vtt = _write(tmp_path, "t.vtt", "WEBVTT\n\nNOTE hi\n\nid-1\n00:01.000 --> 00:02.000 line:80%\n"
                                    "<v Mom>Come <i>home</i> &amp; eat\n7\n")
    assert read_cues(vtt) == (Cue(1000, 2000, ("Come home & eat", "7"), speaker="Mom"),)
    srt = _write(tmp_path, "t.srt", "1\r\n00:00:01,000 --> 00:00:02,000\r\n"
                                    "{\\an8}<font color=red>Up</font>\r\n2\r\n"
                                    "00:00:03,000 --> 00:00:04,000\r\nno blank line before me\r\n")
    assert read_cues(srt) == (Cue(1000, 2000, ("Up",)), Cue(3000, 4000, ("no blank line before me",)))


@pytest.mark.parametrize("name, content, message", [
    ("empty.srt", b"", "empty"),
    ("blank.srt", b"\n\n  \n", "blank"),
    ("garbage.srt", "just some words\n", "no subtitle cues"),
    ("binary.srt", bytes(range(256)), "binary data (NUL bytes), not text"),
    ("latin1.srt", "1\n00:00:01,000 --> 00:00:02,000\nEspañol, ¿qué tal? Mañana\n".encode("cp1252"),
     "not UTF-8"),
    ("badtime.srt", "1\n00:00:01,000 --> 00:00:0x,000\nHi\n", "bad timing line"),
    ("backwards.srt", "1\n00:00:05,000 --> 00:00:02,000\nHi\n", "ends before it starts"),
    ("sixty.vtt", "WEBVTT\n\n00:00:61.000 --> 00:01:02.000\nHi\n", "above 59"),
    ("badass.ass", "[Script Info]\n\n[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, "
                   "MarginV, Effect, Text\nDialogue: 0,0:00:xx.00,0:00:02.00,Default,,0,0,0,,Hi\n",
     "not a valid ASS"),
])
def test_malformed_files_are_rejected_with_the_file_and_what_is_accepted(
        tmp_path: Path, name: str, content: str | bytes, message: str) -> None:
    path = _write(tmp_path, name, content)
    with pytest.raises(SubtitleFileError) as info:
        read_cues(path)
    assert isinstance(info.value, InputFormatError)
    text = str(info.value)
    assert message in text and name in text
    assert "SubRip" in text or "timing line" in text


def test_malformed_ass_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "bad.ass", "[Script Info]\n\n[Events]\nFormat: Layer, Start, End, Style, Name, "
                                       "MarginL, MarginR, MarginV, Effect, Text\n"
                                       "Dialogue: 0,0:00:xx.00,0:00:02.00,Default,,0,0,0,,Hi\n")
    with pytest.raises(SubtitleFileError) as info:
        read_cues(path)
    assert info.value.line_no == 5


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SubtitleFileError, match="no such file"):
        read_cues(tmp_path / "nope.srt")
    with pytest.raises(SubtitleFileError, match="cannot read"):
        read_cues(tmp_path)


def test_gb2312_chinese_is_read(tmp_path: Path) -> None:
    path = _write(tmp_path, "zh.srt", "1\n00:00:01,000 --> 00:00:02,000\n你好，林晓\n".encode("gb2312"))
    assert read_cues(path)[0].lines == ("你好，林晓",)


# Real-world files (see ../shared/eval/subs/../MANIFEST.tsv): what each must give.
_REAL_WORLD: dict[str, tuple[int, str] | str] = {
    "pysubs2_subtitle_with_attached_fonts_aegisub.ass": (1, "Test subtitle."),
    "pysubs2_subtitle_with_attached_images_aegisub.ass": (1, ""),  # one empty dialogue event
    "srt_gb2312.srt": (3, "宇宙守护神  保护我们远离邪恶"),
    "webvttpy_captions_with_bom.vtt": (4, "Caption text #1"),
    "webvttpy_comments.vtt": (3, "- Ta en kopp varmt te.\n- Det är inte varmt."),
    "webvttpy_cue_tags.vtt": (3, "When the moon hits your eye"),
    "webvttpy_empty.vtt": "file is empty",
    "webvttpy_invalid.vtt": (7, "Caption text #1"),  # no WEBVTT header: read, with a warning
    "webvttpy_invalid_format1.srt": "no subtitle cues",
    "webvttpy_invalid_format2.srt": "no subtitle cues",
    "webvttpy_invalid_format4.srt": ":1: expected a cue number or a timing line",
    "webvttpy_invalid_timeframe.srt": (5, "Caption text #1"),  # '.' for ',' is unambiguous
    "webvttpy_invalid_timeframe.vtt": ":6: bad timing line '00:00:07.000 --> 00:00:1d.890'",
    "webvttpy_invalid_timeframe_in_cue_text.vtt": ":7: two timing lines in a row",
    "webvttpy_metadata_headers_multiline.vtt": (2, "Caption text #1"),
    "webvttpy_missing_caption_text.srt": (5, "Caption text #1"),
    "webvttpy_missing_timeframe.srt": ":6: cue 2 has no timing line",
    "webvttpy_missing_timeframe.vtt": ":6: text outside a cue",
    "webvttpy_netflix_chicas_del_cable.vtt": (865, "[Alba] En 1928,"),
    "webvttpy_styles.vtt": (1, "- Hello world."),
    "webvttpy_using_identifiers.vtt": (6, "Caption text #1"),
    "webvttpy_youtube_dl.vtt": (4, "yeah"),
}


def _shared_sub(name: str) -> Path:
    path = SHARED_SUBS / name
    if not path.is_file():
        pytest.skip(f"evaluation data not available: {path}")
    return path


@pytest.mark.parametrize("name", sorted(_REAL_WORLD))
def test_real_world_files_are_read_or_rejected_clearly(name: str) -> None:
    path = _shared_sub(name)
    expected = _REAL_WORLD[name]
    if isinstance(expected, str):
        with pytest.raises(SubtitleFileError) as info:
            read_cues(path)
        assert expected in str(info.value) and name in str(info.value)
        return
    count, first_text = expected
    cues = read_cues(path)
    assert len(cues) == count
    assert cues[0].text == first_text
    for cue in cues:
        assert 0 <= cue.start_ms <= cue.end_ms
        assert not any(re.search(r"<[a-z/\d]|\{\\", line) for line in cue.lines)  # no tags left
        assert not any("-->" in line for line in cue.lines)


def test_real_world_quirks_are_handled() -> None:
    ids = read_cues(_shared_sub("webvttpy_using_identifiers.vtt"))
    assert all(c.lines == (f"Caption text #{n}",) for n, c in enumerate(ids, 1))  # identifiers are not text
    yt = read_cues(_shared_sub("webvttpy_youtube_dl.vtt"))
    assert yt[1].lines == ("yeah", "what") and yt[2].lines == ("this will happen is I'm telling",)
    empty = read_cues(_shared_sub("webvttpy_missing_caption_text.srt"))
    assert empty[1].lines == ()


def test_every_manifest_subtitle_file_is_covered() -> None:
    if not SHARED_SUBS.is_dir():
        pytest.skip(f"evaluation data not available: {SHARED_SUBS}")
    names = {p.name for p in SHARED_SUBS.iterdir() if p.suffix in (".srt", ".vtt", ".ass", ".ssa")}
    assert names <= set(_REAL_WORLD), f"add an expectation for {sorted(names - set(_REAL_WORLD))}"
