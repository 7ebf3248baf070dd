"""Per-market glossaries: load `glossaries/<market>.tsv`, protect terms, verify output.

File format (UTF-8, or UTF-16 with a byte-order mark as Excel saves "Unicode Text"):
a header `source<TAB>target<TAB>kind<TAB>note`, then one term per row; blank lines
and lines starting with `#` are skipped; the note column may be left off.

Engines do not enforce terms by themselves, so the pipeline does:

1. protect: every glossary source term in a line is replaced, longest match first,
   by its approved target before the line reaches the engine. Measured on the demo
   model (Gemma 3 270M, 8 sample lines with 12 terms, English): writing the target
   into the Chinese kept 12/12 terms; placeholders kept fewer (X1 11, #1 10, [1] 9,
   <1> 8) and some leaked into the output. So no placeholders, nothing to restore.
2. verify: for each term, the approved target must appear in the output (whole words,
   case-insensitive; `locked` terms case-sensitive) at least as often as the source
   term appears in the source; a `forbidden` word must not appear at all (when its
   source cell is filled, only in lines containing that source text). Each failure
   is a GlossaryMiss; for `forbidden`, `expected` holds the forbidden word.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from localize.errors import InputFormatError
from localize.markets import Market
from localize.types import GlossaryEntry, GlossaryMiss

log = logging.getLogger("localize")

KINDS: dict[str, str] = {
    "name": "a person, family, place or company name",
    "address": "a form of address (陈总 -> Mr. Chen)",
    "slang": "slang or an idiom with its approved rendering",
    "term": "any other recurring term",
    "locked": "a brand or title that must appear exactly as written, capitals included",
    "forbidden": "a word that must not appear in the output (source optional)",
}
FORBIDDEN = "forbidden"
HEADER = ("source", "target", "kind", "note")
GLOSSARIES_ENV = "LOCALIZE_GLOSSARIES_DIR"
_EXPECTED_ROW = "source<TAB>target<TAB>kind<TAB>note, the note may be empty"


@dataclass(frozen=True)
class Glossary:
    """The terms of one market; an empty glossary changes and checks nothing."""

    entries: tuple[GlossaryEntry, ...] = ()
    path: Path | None = None

    @property
    def terms(self) -> tuple[GlossaryEntry, ...]:
        """Entries whose source is rendered by an approved target, longest source first."""
        kept = (e for e in self.entries if e.kind != FORBIDDEN)
        return tuple(sorted(kept, key=lambda e: len(e.source), reverse=True))

    @property
    def forbidden(self) -> tuple[GlossaryEntry, ...]:
        return tuple(e for e in self.entries if e.kind == FORBIDDEN)

    def matches(self, text: str) -> list[GlossaryEntry]:
        """Terms found in `text`, scanning left to right, the longest term winning at each place."""
        terms = self.terms
        found: list[GlossaryEntry] = []
        i = 0
        while i < len(text):
            hit = next((t for t in terms if text.startswith(t.source, i)), None)
            if hit is None:
                i += 1
            else:
                found.append(hit)
                i += len(hit.source)
        return found

    def protect(self, text: str) -> str:
        """The source line with each term replaced by its approved target (see module docstring)."""
        terms = self.terms
        if not terms:
            return text
        out: list[str] = []
        i = 0
        while i < len(text):
            hit = next((t for t in terms if text.startswith(t.source, i)), None)
            out.append(text[i] if hit is None else hit.target)
            i += 1 if hit is None else len(hit.source)
        return "".join(out)

    def verify(self, line_index: int, source: str, target: str) -> list[GlossaryMiss]:
        """A GlossaryMiss for each term the translation does not render, or forbidden word it uses."""
        misses: list[GlossaryMiss] = []
        # Terms sharing a target (林晓, 小林 -> Lin Xiao) are counted together.
        groups: dict[tuple[str, bool], list[GlossaryEntry]] = {}
        for entry in self.matches(source):
            locked = entry.kind == "locked"
            groups.setdefault((entry.target if locked else entry.target.casefold(), locked), []).append(entry)
        for (_, locked), hits in groups.items():
            found = count_word(target, hits[0].target, case_sensitive=locked)
            if found >= len(hits):
                continue
            times = f" ({len(hits)} in the source, {found} in the translation)" if found else ""
            for entry in dict.fromkeys(hits):
                message = f"{entry.source} should be rendered {entry.target!r}{times}"
                misses.append(GlossaryMiss(line_index, entry.source, entry.target, entry.kind, message))
        for entry in self.forbidden:
            if entry.source and entry.source not in source:
                continue
            if count_word(target, entry.target):
                note = f" ({entry.note})" if entry.note else ""
                message = f"forbidden word {entry.target!r} in the translation{note}"
                misses.append(GlossaryMiss(line_index, entry.source, entry.target, FORBIDDEN, message))
        return misses


def count_word(text: str, word: str, *, case_sensitive: bool = False) -> int:
    """How often `word` occurs in `text` as whole words (not inside a longer word)."""
    pattern = rf"(?<!\w){re.escape(word.strip())}(?!\w)"
    return len(re.findall(pattern, text, 0 if case_sensitive else re.IGNORECASE))


def default_directory() -> Path:
    """$LOCALIZE_GLOSSARIES_DIR, else the `glossaries/` folder of the project checkout."""
    env = os.environ.get(GLOSSARIES_ENV)
    return Path(env).expanduser() if env else Path(__file__).resolve().parents[2] / "glossaries"


def glossary_for_market(market: Market, directory: Path | str | None = None) -> Glossary:
    """`<directory>/<market code>.tsv`; a market without a file gets an empty glossary (logged)."""
    path = Path(directory) if directory is not None else default_directory()
    path = path / f"{market.code}.tsv"
    if not path.is_file():
        log.warning("no glossary for %s at %s: terms will not be protected or checked", market.code, path)
        return Glossary()
    return load_glossary(path)


def load_glossary(path: Path | str) -> Glossary:
    """Parse a glossary file; any malformed row raises InputFormatError naming file:line."""
    path = Path(path)
    return Glossary(parse_glossary(_read_text(path), path), path)


def parse_glossary(text: str, path: Path | str = "<glossary>") -> tuple[GlossaryEntry, ...]:
    entries: list[GlossaryEntry] = []
    by_source: dict[str, GlossaryEntry] = {}
    header_seen = False
    for line_no, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        cells = _cells(raw)
        if not header_seen:
            if tuple(c.casefold() for c in cells) not in (HEADER, HEADER[:3]):
                raise InputFormatError(path, line_no, f"bad header {raw.strip()!r}", _EXPECTED_ROW)
            header_seen = True
            continue
        entry = _entry(cells, path, line_no)
        if entry.kind != FORBIDDEN:
            earlier = by_source.get(entry.source)
            if earlier is not None and earlier.target != entry.target:
                raise InputFormatError(
                    path,
                    line_no,
                    f"{entry.source} -> {entry.target!r}, but line {earlier.line_no} says {earlier.target!r}",
                    "one target per source term",
                )
            if earlier is not None:
                continue
            by_source[entry.source] = entry
        entries.append(entry)
    if not header_seen:
        raise InputFormatError(path, 0, "no header row", _EXPECTED_ROW)
    return tuple(entries)


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputFormatError(path, 0, f"cannot read the glossary: {exc.strerror}") from exc
    encoding = "utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputFormatError(path, 0, "not UTF-8 text", "a TSV file saved as UTF-8") from exc


def _cells(raw: str) -> list[str]:
    cells = [c.strip() for c in raw.split("\t")]
    while len(cells) > len(HEADER) and not cells[-1]:
        cells.pop()  # spreadsheets may add empty columns at the end
    return cells


def _entry(cells: list[str], path: Path | str, line_no: int) -> GlossaryEntry:
    if len(cells) not in (3, 4):
        raise InputFormatError(path, line_no, f"{len(cells)} columns", _EXPECTED_ROW)
    source, target, kind = cells[:3]
    note = cells[3] if len(cells) == 4 else ""
    if kind not in KINDS:
        raise InputFormatError(path, line_no, f"unknown kind {kind!r}", "one of " + ", ".join(KINDS))
    if not target:
        raise InputFormatError(path, line_no, "empty target", "the approved rendering (or forbidden word)")
    if not source and kind != FORBIDDEN:
        raise InputFormatError(path, line_no, f"empty source for kind {kind!r}", "the Chinese term")
    return GlossaryEntry(source, target, kind, note, line_no)
