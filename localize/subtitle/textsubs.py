"""Decode subtitle files and read SubRip/WebVTT strictly enough to notice a broken one.

Why our own SRT/VTT reader: pysubs2 reads leniently and silently glues a cue with a
broken or missing timing line into the text of the cue before it ("Caption #1\\n
00:00:1d.890 --> ...\\nCaption #2"), takes a VTT cue identifier for text, and drops a
last text line that is a number. A QA reviewer must hear about such files, so this
module parses blocks itself and names the line that is wrong. ASS/SSA stay with
pysubs2 (`formats.py`).

Accepted leniently, because the meaning is unambiguous: a UTF-8 byte-order mark,
GB2312/GBK files from Chinese studios, '.' instead of ',' in SRT times (and the
reverse), a missing VTT header, a cue starting right after the text of the previous
one without a blank line (what youtube-dl writes), cue settings and HTML-like tags.
"""

from __future__ import annotations

import html
import logging
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from localize.errors import InputFormatError
from localize.subtitle.errors import SubtitleFileError
from localize.translate.text_encoding import decode_table
from localize.types import Cue

log = logging.getLogger("localize")

_TS = r"(?:(\d+):)?(\d{1,2}):(\d{1,2})[,.](\d{1,3})"
_TIMING = re.compile(rf"^\s*{_TS}\s*-->\s*{_TS}(?:\s+.*)?$")
_TIMING_HINT = "a timing line like 00:00:01,000 --> 00:00:02,500"
_SSA_SECTION = re.compile(r"^\s*\[(script info|v4\+? styles|events)\]", re.IGNORECASE | re.MULTILINE)
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<\d[\d:.]*>")
_ASS_TAG = re.compile(r"\{\\[^{}]*\}")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?\s+([^>]+)>")
_VTT_SKIPPED_BLOCKS = ("NOTE", "STYLE", "REGION")
# SubRip has no escapes: writers put a WORD JOINER after a "<" that would start a tag, so players
# show it literally (ffmpeg's SRT decoder passes "<\u2060i>" through as text); readers drop it.
SRT_TAG_BREAK = "\u2060"


def decode(path: Path, data: bytes) -> str:
    """Text of a subtitle file, its encoding detected by `localize.translate.text_encoding` (the one
    detector): UTF-8/UTF-16 with or without BOM, GB18030 (GB2312/GBK) or Big5 Chinese."""
    if not data:
        raise SubtitleFileError(path, "file is empty (0 bytes)")
    try:
        decoded = decode_table(data, path, big5=True)
    except InputFormatError as exc:
        raise SubtitleFileError(path, f"{exc.problem}; save it as UTF-8") from None
    if decoded.encoding not in ("UTF-8", "UTF-8 with BOM"):
        log.info("%s is not UTF-8; read it as %s", path, decoded.encoding)
    return _newlines(decoded.text.lstrip("\ufeff"))


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def timing_text(line: str) -> str:
    """A line with full-width digits and separators made ASCII (NFKC: "００：０１，５００" ->
    "00:01,500"), as Chinese input methods type them; for matching timing lines only."""
    return unicodedata.normalize("NFKC", line).replace("—>", "-->").replace("→", "-->")


def sniff(path: Path, text: str) -> str:
    """"srt", "vtt", "ass" or "ssa", from the content first and the file extension second."""
    head = text.lstrip("\ufeff \t\n")
    if re.match(r"WEBVTT(?:[ \t\n]|$)", head):
        return "vtt"
    if _SSA_SECTION.search(text):
        return "ssa" if re.search(r"^\s*\[v4 styles\]", text, re.IGNORECASE | re.MULTILINE) else "ass"
    if "-->" in text or "-->" in timing_text(text):  # even a broken timing line says SRT/VTT
        return "vtt" if path.suffix.lower() == ".vtt" else "srt"
    if not head:
        raise SubtitleFileError(path, "file has only blank space; no subtitle cues")
    raise SubtitleFileError(path, "no subtitle cues found (no timing line like "
                                  "'00:00:01,000 --> 00:00:02,500' and no [Events] section)")


Problem = Callable[[SubtitleFileError], None]


def parse_srt(path: Path, text: str, on_problem: Problem | None = None) -> tuple[Cue, ...]:
    """Cues of SubRip text: blocks of [number], timing line, text lines.

    A malformed block raises `SubtitleFileError` with its line number or, when `on_problem`
    is given (lenient reading), is passed to it and skipped.
    """
    cues: list[Cue] = []
    for block in _blocks(text):
        try:
            cues.extend(_srt_block(path, block))
        except SubtitleFileError as exc:
            if on_problem is None:
                raise
            on_problem(exc)
    return tuple(cues)


def _srt_block(path: Path, block: list[tuple[int, str]]) -> list[Cue]:
    no, first = block[0]
    if _TIMING.match(first):
        return _cues_of_block(path, block, vtt=False)
    if not first.strip().isdigit():
        _bad_timing_or(path, no, first, f"expected a cue number or a timing line, found {first!r}")
    if len(block) < 2 or not _TIMING.match(block[1][1]):
        where, found = block[1] if len(block) > 1 else block[0]
        _bad_timing_or(path, where, found, f"cue {first.strip()} has no timing line (found {found!r})")
    return _cues_of_block(path, block[1:], vtt=False)


def parse_vtt(path: Path, text: str, on_problem: Problem | None = None) -> tuple[Cue, ...]:
    """Cues of WebVTT text: header, then cue blocks ([identifier], timing line, text); NOTE,
    STYLE and REGION blocks skipped; `<v Name>` gives the speaker."""
    blocks = _blocks(text)
    if blocks and blocks[0][0][1].lstrip("\ufeff").startswith("WEBVTT"):
        blocks = blocks[1:]
    else:
        log.warning("%s has no WEBVTT header line; reading it as WebVTT anyway", path)
    cues: list[Cue] = []
    for block in blocks:
        try:
            cues.extend(_vtt_block(path, block))
        except SubtitleFileError as exc:
            if on_problem is None:
                raise
            on_problem(exc)
    return tuple(cues)


def _vtt_block(path: Path, block: list[tuple[int, str]]) -> list[Cue]:
    no, first = block[0]
    if first.split(" ", 1)[0].split("\t", 1)[0] in _VTT_SKIPPED_BLOCKS and "-->" not in first:
        return []
    if _TIMING.match(first):
        body = block
    elif len(block) > 1 and _TIMING.match(block[1][1]):
        body = block[1:]  # the first line is a cue identifier
    elif len(block) > 1 and "-->" in block[1][1]:
        _bad_timing_or(path, *block[1], "")
    else:
        _bad_timing_or(path, no, first, f"text outside a cue: {first!r} has no timing line")
    return _cues_of_block(path, body, vtt=True)


def _blocks(text: str) -> list[list[tuple[int, str]]]:
    """Runs of non-blank lines, each line with its 1-based number."""
    blocks: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    for no, line in enumerate(text.split("\n"), 1):
        if line.strip():
            ascii_line = timing_text(line)
            # "—>" or "→" after a time ("00:01,500 —>") is a timing line typed by an input method; in text
            # ("—>", "0—>") it stays text.
            timed = "-->" in line or re.search(r"\d[:.,]\d+\s*-->", ascii_line) is not None
            current.append((no, (ascii_line if timed else line).rstrip()))
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _bad_timing_or(path: Path, no: int, line: str, problem: str) -> NoReturn:
    if "-->" in line:
        raise SubtitleFileError(path, f"bad timing line {line.strip()!r}", no, _TIMING_HINT)
    raise SubtitleFileError(path, problem, no, _TIMING_HINT)


def _cues_of_block(path: Path, block: list[tuple[int, str]], *, vtt: bool) -> list[Cue]:
    """Cues of one block that starts with a timing line (more than one if a timing line follows text)."""
    cues: list[Cue] = []
    times: tuple[int, int] | None = None
    text: list[str] = []
    for no, line in block:
        if "-->" not in line:
            text.append(line)
            continue
        if times is not None and not text:
            raise SubtitleFileError(path, "two timing lines in a row (a cue with no text, or a "
                                          "timing line repeated in the text)", no, _TIMING_HINT)
        new_times = _times(path, no, line)
        if times is not None:
            if not vtt and text and text[-1].strip().isdigit():
                text.pop()  # the number of the next SRT cue, written without a blank line before it
            cues.append(_cue(times, text, vtt))
        times, text = new_times, []
    if times is not None:
        cues.append(_cue(times, text, vtt))
    return cues


def _times(path: Path, no: int, line: str) -> tuple[int, int]:
    match = _TIMING.match(line)
    if not match:
        raise SubtitleFileError(path, f"bad timing line {line.strip()!r}", no, _TIMING_HINT)
    groups = match.groups()
    start, end = _ms(groups[:4]), _ms(groups[4:])
    if start is None or end is None:
        raise SubtitleFileError(path, f"minutes or seconds above 59 in {line.strip()!r}", no, _TIMING_HINT)
    if end < start:
        raise SubtitleFileError(path, f"cue ends before it starts: {line.strip()!r}", no, _TIMING_HINT)
    return start, end


def _ms(parts: tuple[str | None, ...]) -> int | None:
    hours, minutes, seconds, fraction = parts
    if int(minutes or 0) > 59 or int(seconds or 0) > 59:
        return None
    return (((int(hours or 0) * 60 + int(minutes or 0)) * 60 + int(seconds or 0)) * 1000
            + int((fraction or "0").ljust(3, "0")))


def _cue(times: tuple[int, int], raw_lines: list[str], vtt: bool) -> Cue:
    speaker = None
    lines: list[str] = []
    for raw in raw_lines:
        voice = _VOICE.search(raw) if vtt else None
        if voice and speaker is None:
            speaker = voice.group(1).strip()
        line = _HTML_TAG.sub("", _ASS_TAG.sub("", raw))
        line = (html.unescape(line) if vtt else _srt_unescape(line)).strip()
        if line:
            lines.append(line)
    return Cue(start_ms=times[0], end_ms=times[1], lines=tuple(lines), speaker=speaker)


def _srt_unescape(line: str) -> str:
    """Undo the WORD JOINERs our SRT writer puts after "<" and inside "-->" (see `formats.py`)."""
    return line.replace("<" + SRT_TAG_BREAK, "<").replace("--" + SRT_TAG_BREAK + ">", "-->")
