"""The post-editing kit's lines, and the kit as CSV (stdlib csv; the XLIFF side is xliff_adapter).

A kit holds one market's lines of a season: per line a stable id (`<episode>:<line number>`, lines
numbered from 1 as in QA reports), the Chinese source, the machine translation as exported, the
target a translator edits (the machine translation until then), times, speaker, the cue's character
limit, the dub's time slot and the line's flags. Texts are data: they are written and read back
exactly (markup, quotes, braces, newlines).

CSV: UTF-8 with a byte-order mark (so Excel opens it as UTF-8), comma-separated, a header row,
quoted where needed; newlines inside a text stay in its cell. Read back: any column order, a comma,
semicolon or tab separator (what a spreadsheet set to another locale writes), UTF-8 or UTF-16
(Excel's "Unicode Text").
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from localize.errors import InputFormatError
from localize.timecode import format_timecode
from localize.translate.text_encoding import decode_table

ID_SEPARATOR = ":"
CSV_COLUMNS = ("id", "speaker", "source", "target", "machine_translation", "max_chars", "max_seconds", "start",
               "end", "flags", "episode", "line", "market")
_REQUIRED = ("id", "source", "target")
_SEPARATORS = ",;\t"


@dataclass(frozen=True)
class KitLine:
    """One line of a kit. `machine` and `target` are None when a file read back does not carry them."""

    id: str
    source: str
    target: str | None
    machine: str | None = None
    speaker: str = ""
    start_ms: int = 0
    end_ms: int = 0
    max_chars: int = 0  # the cue's limit: the market's characters per line x lines
    max_seconds: float = 0.0  # the dub's slot: until the next line starts (the last line: its own end)
    flags: tuple[str, ...] = ()  # "severity code: message"
    origin: str = ""  # where the machine translation came from (localize.types.LineOrigin)
    market: str = ""
    where: int = field(default=0, compare=False)  # the line of the file it was read from (0: not read)


@dataclass(frozen=True)
class Kit:
    market: str
    lines: tuple[KitLine, ...]
    out_dir: str = ""  # the delivery folder it was exported from ("" when the file does not say)


def line_id(episode: str, index: int) -> str:
    """The stable id of a line: its episode and 1-based number (`ep01:3` for index 2)."""
    return f"{episode}{ID_SEPARATOR}{index + 1}"


def parse_line_id(value: str) -> tuple[str, int] | None:
    """(episode, index) of an id, or None when it is not one."""
    episode, sep, number = value.strip().rpartition(ID_SEPARATOR)
    if not sep or not episode or not number.isdigit() or int(number) < 1:
        return None
    return episode, int(number) - 1


def seconds_text(value: float) -> str:
    return f"{value:.2f}"


def write_csv(kit: Kit) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for line in kit.lines:
        episode, index = parse_line_id(line.id) or ("", -1)
        writer.writerow([line.id, line.speaker, line.source, line.target or "", line.machine or "",
                         line.max_chars, seconds_text(line.max_seconds), format_timecode(line.start_ms),
                         format_timecode(line.end_ms), "\n".join(line.flags), episode, index + 1,
                         line.market or kit.market])
    return buffer.getvalue().encode("utf-8-sig")


def read_csv(data: bytes, path: Path | str) -> Kit:
    """The kit lines of a CSV file; the market is the one its rows name (they must agree)."""
    text = decode_table(data, path, lambda t: t.lstrip("\ufeff").lower().startswith("id")).text.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    separator = next((ch for ch in first if ch in _SEPARATORS), ",")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        raise InputFormatError(path, 1, "empty file", "a header row: " + ",".join(CSV_COLUMNS)) from None
    missing = [name for name in _REQUIRED if name not in header]
    if missing:
        raise InputFormatError(path, 1, f"no {', '.join(missing)} column", "a header row: " + ",".join(CSV_COLUMNS))
    column = {name: header.index(name) for name in CSV_COLUMNS if name in header}
    lines: list[KitLine] = []
    markets: dict[str, str] = {}
    row_start = reader.line_num + 1
    for row in reader:
        where, row_start = row_start, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue

        def cell(name: str, row: Sequence[str] = row) -> str | None:
            position = column.get(name)
            return row[position] if position is not None and position < len(row) else None

        line = KitLine(id=(cell("id") or "").strip(), source=cell("source") or "", target=cell("target"),
                       machine=cell("machine_translation"), speaker=cell("speaker") or "",
                       market=(cell("market") or "").strip(), where=where)
        if line.market:
            markets.setdefault(line.market, line.id)
        lines.append(line)
    if len(markets) > 1:
        named = ", ".join(f"{m} (line {i})" for m, i in markets.items())
        raise InputFormatError(path, 0, f"rows of several markets: {named}", "one market's kit per file")
    return Kit(next(iter(markets), ""), tuple(lines))
