"""The studio's script, read from a file beside an episode: lines, speakers and (maybe) times.

Formats (adding one: write `_read_<fmt>(path, text) -> list[ScriptLine]`, add it to `_READERS`
and, if episodes should find it on their own, its suffix to `SCRIPT_SUFFIXES`):

* `.tsv`  header `start_ms<TAB>end_ms<TAB>speaker<TAB>text` (what the sample season writes) or
          `start`/`end` columns of timecodes or seconds, in any order; without a header, rows of
          `speaker<TAB>text` or just `text` (no times).
* `.srt`  a Chinese SubRip file; a cue may start with a speaker: `林晓：你好`.
* `.txt`  one line per row, optional speaker prefix, `#` comments; no times.

Studios send UTF-8, UTF-16 (from Windows tools, always with a BOM) or GBK/GB2312 files.
"""

from __future__ import annotations

import codecs
import logging
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from localize.errors import InputFormatError
from localize.subtitle.textsubs import parse_srt

log = logging.getLogger("localize")

SCRIPT_SUFFIXES: tuple[str, ...] = (".script.tsv", ".zh.srt", ".script.txt")
ENCODINGS: tuple[str, ...] = ("UTF-8", "UTF-16 (with BOM)", "GB18030 (GBK/GB2312)")

_TIME_COLUMNS = {"start_ms": "start", "end_ms": "end", "start": "start", "end": "end"}
_COLUMNS = (*_TIME_COLUMNS, "speaker", "text")
_HEADER_HINT = "a header of start_ms, end_ms, speaker, text (or start, end as timecodes) separated by tabs"
_ROW_HINT = f"rows of 'speaker TAB text' or 'text', or {_HEADER_HINT} when rows carry times"
_TIMECODE = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[,.](\d{1,3}))?$")
_SECONDS = re.compile(r"^\d+(?:\.\d+)?$")
_TIMECODE_HINT = "a time like 00:01:02,500, 00:01:02.500 or 62.5 (seconds)"
_SPEAKER_PREFIX = re.compile(r"^([^\s:：]{1,8})\s*[:：]\s*(\S.*)$")
_NAME_MARKS = "·・•-_."  # inside foreign names: 约翰·史密斯


@dataclass(frozen=True)
class ScriptLine:
    """One spoken line of the script; times are set only when the file carries them."""

    text: str
    speaker: str | None = None
    start_ms: int | None = None
    end_ms: int | None = None
    line_no: int = 0  # in the script file, for messages


@dataclass(frozen=True)
class Script:
    path: Path
    lines: tuple[ScriptLine, ...]

    @property
    def timed(self) -> bool:
        """Every line has times: the script can be used without aligning it to speech."""
        return all(line.start_ms is not None and line.end_ms is not None for line in self.lines)


def find_script(video: Path) -> Path | None:
    """`<stem>.script.tsv`, `<stem>.zh.srt` or `<stem>.script.txt` beside the video, first found."""
    for suffix in SCRIPT_SUFFIXES:
        candidate = video.parent / f"{video.stem}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def read_script(path: Path) -> Script:
    path = Path(path)
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise InputFormatError(path, 0, f"unknown script format {path.suffix or '(no suffix)'!r}",
                               f"one of {', '.join(_READERS)}")
    lines = reader(path, decode(path, path.read_bytes()))
    if not lines:
        raise InputFormatError(path, 0, "no script lines in the file", "at least one line of text")
    return Script(path=path, lines=tuple(lines))


def decode(path: Path, data: bytes) -> str:
    """Text of a script file with '\\n' line ends, trying the encodings studios use."""
    codecs_to_try = ["utf-8", "gb18030"]
    if data.startswith(codecs.BOM_UTF8):
        codecs_to_try.insert(0, "utf-8-sig")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        codecs_to_try.insert(0, "utf-16")
    for codec in codecs_to_try:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if codec == "gb18030":
            log.info("%s is not UTF-8; read it as GB18030 (GBK/GB2312) Chinese", path)
        return text.replace("\r\n", "\n").replace("\r", "\n")
    raise InputFormatError(path, 0, "cannot decode the file as text", f"one of {', '.join(ENCODINGS)}")


def split_speaker(text: str) -> tuple[str | None, str]:
    """`林晓：你好` or `林晓: 你好` -> ("林晓", "你好"); text without such a prefix -> (None, text)."""
    match = _SPEAKER_PREFIX.match(text.strip())
    # Only letters make a name, so "10:30到了" or "(笑):" stay text.
    if match is None or not all(_is_name_char(c) for c in match.group(1)):
        return None, text.strip()
    return match.group(1), match.group(2).strip()


def _is_name_char(char: str) -> bool:
    return unicodedata.category(char).startswith("L") or char in _NAME_MARKS


def _read_txt(path: Path, text: str) -> list[ScriptLine]:
    lines: list[ScriptLine] = []
    for line_no, row in enumerate(text.split("\n"), start=1):
        row = row.strip()
        if not row or row.startswith("#"):
            continue
        speaker, body = split_speaker(row)
        lines.append(ScriptLine(text=body, speaker=speaker, line_no=line_no))
    return lines


def _read_srt(path: Path, text: str) -> list[ScriptLine]:
    # parse_srt makes one cue per timing line, in order, so the n-th '-->' line is cue n's line number.
    timing_lines = [no for no, row in enumerate(text.split("\n"), start=1) if "-->" in row]
    lines: list[ScriptLine] = []
    for cue, line_no in zip(parse_srt(path, text), timing_lines, strict=False):
        speaker, body = split_speaker(_join(cue.lines))
        if body:
            lines.append(ScriptLine(body, speaker, cue.start_ms, cue.end_ms, line_no))
    return lines


def _join(parts: tuple[str, ...]) -> str:
    """Chinese wraps without spaces; only two Latin words on either side of a break need one."""
    joined = ""
    for part in parts:
        if joined and _is_latin_word_char(joined[-1]) and _is_latin_word_char(part[0]):
            joined += " "
        joined += part
    return joined


def _is_latin_word_char(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _read_tsv(path: Path, text: str) -> list[ScriptLine]:
    rows = [(no, row) for no, row in enumerate(text.split("\n"), start=1) if row.strip()]
    if not rows:
        return []
    first_no, first = rows[0]
    cells = [c.strip().lower() for c in first.split("\t")]
    if not any(c in _COLUMNS for c in cells):
        return [line for no, row in rows if (line := _headerless_row(path, no, row)) is not None]
    columns = _header(path, first_no, cells)
    return [line for no, row in rows[1:] if (line := _header_row(path, no, row, columns)) is not None]


def _header(path: Path, line_no: int, names: list[str]) -> dict[str, tuple[int, str]]:
    """Role ("start", "end", "speaker", "text") -> (cell index, column name)."""
    columns: dict[str, tuple[int, str]] = {}
    for index, name in enumerate(names):
        if name not in _COLUMNS:
            raise InputFormatError(path, line_no, f"unknown column {name!r} in the header",
                                   f"columns named {', '.join(_COLUMNS)}")
        role = _TIME_COLUMNS.get(name, name)
        if role in columns:
            raise InputFormatError(path, line_no, f"two {role} columns ({columns[role][1]!r} and {name!r})",
                                   _HEADER_HINT)
        columns[role] = (index, name)
    if "text" not in columns:
        raise InputFormatError(path, line_no, "no text column in the header", _HEADER_HINT)
    if ("start" in columns) != ("end" in columns):
        raise InputFormatError(path, line_no, "a start column without an end column or the reverse",
                               _HEADER_HINT)
    return columns


def _headerless_row(path: Path, line_no: int, row: str) -> ScriptLine | None:
    cells = [c.strip() for c in row.split("\t")]
    while len(cells) > 1 and not cells[-1]:
        cells.pop()  # spreadsheet tools pad rows with empty cells
    if len(cells) > 2:
        raise InputFormatError(path, line_no, f"{len(cells)} cells in a file without a header row", _ROW_HINT)
    speaker, body = (cells[0] or None, cells[1]) if len(cells) == 2 else (None, cells[0])
    return ScriptLine(text=body, speaker=speaker, line_no=line_no) if body else None


def _header_row(path: Path, line_no: int, row: str, columns: dict[str, tuple[int, str]]) -> ScriptLine | None:
    cells = [c.strip() for c in row.split("\t")]
    width = max(index for index, _ in columns.values()) + 1
    if len(cells) < width or any(cells[width:]):
        raise InputFormatError(path, line_no, f"{len(cells)} cells under a header of {width} columns",
                               f"{width} tab-separated cells")
    body = cells[columns["text"][0]]
    if not body:
        return None
    speaker = (cells[columns["speaker"][0]] or None) if "speaker" in columns else None
    start = end = None
    if "start" in columns:
        start = _time(path, line_no, *columns["start"], cells)
        end = _time(path, line_no, *columns["end"], cells)
        if (start is None) != (end is None):
            raise InputFormatError(path, line_no, "a start time without an end time or the reverse",
                                   "both times or neither")
        if start is not None and end is not None and end < start:
            raise InputFormatError(path, line_no, f"line ends ({end} ms) before it starts ({start} ms)",
                                   "an end time at or after the start time")
    return ScriptLine(body, speaker, start, end, line_no)


def _time(path: Path, line_no: int, index: int, name: str, cells: list[str]) -> int | None:
    value = cells[index]
    if not value:
        return None
    if name.endswith("_ms"):
        if not value.isdigit():
            raise InputFormatError(path, line_no, f"{name} {value!r} is not whole milliseconds",
                                   "a whole number of milliseconds like 1200")
        return int(value)
    if _SECONDS.match(value):
        return round(float(value) * 1000)
    match = _TIMECODE.match(value)
    if match is None or int(match.group(2)) > 59 or int(match.group(3)) > 59:
        raise InputFormatError(path, line_no, f"{name} {value!r} is not a time", _TIMECODE_HINT)
    hours, minutes, seconds, fraction = match.groups()
    return ((int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + int((fraction or "0").ljust(3, "0"))


_READERS: dict[str, Callable[[Path, str], list[ScriptLine]]] = {
    ".tsv": _read_tsv,
    ".srt": _read_srt,
    ".txt": _read_txt,
}
