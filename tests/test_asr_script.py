"""Reading the studio's script: TSV/SRT/TXT, speakers, times, encodings, malformed rows."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from localize.asr.script import Script, ScriptLine, find_script, read_script, split_speaker
from localize.errors import InputFormatError
from localize.sample.script import format_script
from localize.types import Segment


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _error(path: Path) -> InputFormatError:
    with pytest.raises(InputFormatError) as info:
        read_script(path)
    return info.value


# --- TSV ---------------------------------------------------------------------------------------

def test_tsv_written_by_the_sample_season(tmp_path: Path) -> None:
    segments = [Segment(1000, 2500, "你好，陈总。", speaker="林晓"), Segment(2600, 4000, "坐吧。", speaker=None)]
    script = read_script(_write(tmp_path / "ep01.script.tsv", format_script(segments)))
    assert script == Script(tmp_path / "ep01.script.tsv", (
        ScriptLine("你好，陈总。", "林晓", 1000, 2500, 2),
        ScriptLine("坐吧。", None, 2600, 4000, 3),
    ))
    assert script.timed


def test_tsv_timecode_columns_in_any_order(tmp_path: Path) -> None:
    text = ("text\tSpeaker\tend\tstart\n"
            "你回来了\t王桂芳\t00:00:03,250\t00:00:01.5\n"
            "嗯\t\t4.75\t00:00:04,000\n")
    lines = read_script(_write(tmp_path / "a.tsv", text)).lines
    assert [(x.text, x.speaker, x.start_ms, x.end_ms) for x in lines] == [
        ("你回来了", "王桂芳", 1500, 3250), ("嗯", None, 4000, 4750)]


def test_tsv_without_header_speaker_and_text_rows(tmp_path: Path) -> None:
    text = "林晓\t我回来了\n\n陈默\t欢迎回家\t\t\n只有台词\n"
    script = read_script(_write(tmp_path / "a.tsv", text))
    assert [(x.speaker, x.text, x.line_no) for x in script.lines] == [
        ("林晓", "我回来了", 1), ("陈默", "欢迎回家", 3), (None, "只有台词", 4)]
    assert not script.timed


def test_tsv_skips_rows_without_text(tmp_path: Path) -> None:
    text = "start_ms\tend_ms\tspeaker\ttext\n0\t900\t林晓\t\n1000\t2000\t林晓\t好\n"
    assert [x.text for x in read_script(_write(tmp_path / "a.tsv", text)).lines] == ["好"]


def test_tsv_with_bom_still_has_its_header(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.tsv", "start_ms\tend_ms\ttext\n0\t800\t走\n", "utf-8-sig")
    assert read_script(path).lines == (ScriptLine("走", None, 0, 800, 2),)


def test_tsv_unknown_column_names_it_and_the_accepted_ones(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.tsv", "start\tend\tcharacter\ttext\n0\t1\t林晓\t好\n")
    error = _error(path)
    assert error.line_no == 1
    assert "'character'" in str(error) and "start_ms" in str(error) and "speaker" in str(error)


@pytest.mark.parametrize(("row", "problem"), [
    ("2000\t1000\t林晓\t好", "before it starts"),
    ("1s\t2000\t林晓\t好", "not whole milliseconds"),
    ("1000\t林晓\t好", "3 cells"),
    ("1000\t\t林晓\t好", "start time without an end"),
])
def test_tsv_malformed_row_names_file_and_line(tmp_path: Path, row: str, problem: str) -> None:
    path = _write(tmp_path / "a.tsv", f"start_ms\tend_ms\tspeaker\ttext\n0\t500\t\t嗯\n{row}\n")
    error = _error(path)
    assert f"{path}:3" in str(error) and problem in str(error)


def test_tsv_bad_timecode(tmp_path: Path) -> None:
    error = _error(_write(tmp_path / "a.tsv", "start\tend\ttext\n00:00:01,000\t00:00:75,000\t好\n"))
    assert error.line_no == 2 and "00:01:02,500" in error.expected


def test_tsv_times_without_header_ask_for_one(tmp_path: Path) -> None:
    error = _error(_write(tmp_path / "a.tsv", "0\t1000\t林晓\t你好\n"))
    assert error.line_no == 1 and "header" in error.expected


def test_tsv_header_needs_text_and_both_times(tmp_path: Path) -> None:
    assert "no text column" in str(_error(_write(tmp_path / "a.tsv", "start_ms\tend_ms\n1\t2\n")))
    assert "without an end" in str(_error(_write(tmp_path / "b.tsv", "start_ms\ttext\n1\t好\n")))
    assert "two start columns" in str(_error(_write(tmp_path / "c.tsv", "start\tstart_ms\ttext\n")))


# --- SRT ---------------------------------------------------------------------------------------

_SRT = """1
00:00:01,000 --> 00:00:02,500
林晓：你怎么
在这里？

2
00:00:03,000 --> 00:00:04,000
Chen Mo: 我来接你

3
00:00:04,500 --> 00:00:05,000
10:30到了
"""


def test_srt_speakers_joined_lines_and_line_numbers(tmp_path: Path) -> None:
    script = read_script(_write(tmp_path / "ep.zh.srt", _SRT))
    assert script.lines == (
        ScriptLine("你怎么在这里？", "林晓", 1000, 2500, 2),
        ScriptLine("Chen Mo: 我来接你", None, 3000, 4000, 7),  # a space: not a speaker label
        ScriptLine("10:30到了", None, 4500, 5000, 11),
    )
    assert script.timed


def test_srt_gbk_and_utf16(tmp_path: Path) -> None:
    expected = read_script(_write(tmp_path / "a.srt", _SRT)).lines
    assert read_script(_write(tmp_path / "b.srt", _SRT, "gbk")).lines == expected
    assert read_script(_write(tmp_path / "c.srt", _SRT.replace("\n", "\r\n"), "utf-16")).lines == expected


def test_srt_broken_timing_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.srt", "1\n00:00:01,000 --> 00:00:0x,000\n好\n")
    error = _error(path)
    assert f"{path}:2" in str(error)


# --- TXT ---------------------------------------------------------------------------------------

def test_txt_speakers_comments_and_blank_lines(tmp_path: Path) -> None:
    text = "# 第一集\n\n林晓：我回来了\n陈默: 欢迎\n没有说话人的台词\n"
    script = read_script(_write(tmp_path / "ep.script.txt", text))
    assert script.lines == (
        ScriptLine("我回来了", "林晓", line_no=3),
        ScriptLine("欢迎", "陈默", line_no=4),
        ScriptLine("没有说话人的台词", None, line_no=5),
    )
    assert not script.timed


@pytest.mark.parametrize(("text", "expected"), [
    ("林晓：你好", ("林晓", "你好")),
    ("约翰·史密斯: Hi", ("约翰·史密斯", "Hi")),
    ("一个很长很长的名字啊：你好", (None, "一个很长很长的名字啊：你好")),  # over 8 characters
    ("他 说：你好", (None, "他 说：你好")),
    ("(笑)：哈哈", (None, "(笑)：哈哈")),
    ("林晓：", (None, "林晓：")),
])
def test_split_speaker(text: str, expected: tuple[str | None, str]) -> None:
    assert split_speaker(text) == expected


def test_txt_in_gb18030_and_utf16(tmp_path: Path) -> None:
    text = "林晓：我回来了\n王桂芳：你还知道回来？\n"
    expected = read_script(_write(tmp_path / "a.txt", text)).lines
    assert read_script(_write(tmp_path / "b.txt", text, "gb18030")).lines == expected
    assert read_script(_write(tmp_path / "c.txt", text, "utf-16")).lines == expected
    big_endian = tmp_path / "d.txt"
    big_endian.write_bytes(codecs.BOM_UTF16_BE + text.encode("utf-16-be"))
    assert read_script(big_endian).lines == expected


# --- files -------------------------------------------------------------------------------------

def test_undecodable_file_names_the_encodings_tried(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"\x80\xff\xfe garbage")
    error = _error(path)
    assert str(path) in str(error)
    assert "UTF-8" in error.expected and "UTF-16" in error.expected and "GB18030" in error.expected


def test_unknown_suffix_lists_accepted(tmp_path: Path) -> None:
    error = _error(_write(tmp_path / "a.docx", "好"))
    assert ".tsv" in error.expected and ".srt" in error.expected and ".txt" in error.expected


def test_empty_script_is_an_error(tmp_path: Path) -> None:
    assert "no script lines" in str(_error(_write(tmp_path / "a.txt", "# only a comment\n\n")))


def test_find_script_precedence(tmp_path: Path) -> None:
    video = tmp_path / "ep01.mp4"
    assert find_script(video) is None
    for suffix in (".script.txt", ".zh.srt", ".script.tsv"):
        (tmp_path / f"ep01{suffix}").write_text("好", encoding="utf-8")
        assert find_script(video) == tmp_path / f"ep01{suffix}"
    (tmp_path / "ep02.script.tsv").write_text("好", encoding="utf-8")
    assert find_script(video) == tmp_path / "ep01.script.tsv"
