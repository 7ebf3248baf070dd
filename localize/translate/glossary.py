"""Per-market glossaries: load `glossaries/<market>.tsv`, layer a series' terms over them,
protect terms, verify output.

File format: a header `source<TAB>target<TAB>kind<TAB>note`, then one term per row; blank lines
and lines starting with `#` are skipped; the note column may be left off. Encodings: whatever
a spreadsheet saves on a translator's machine (UTF-8 with or without BOM, UTF-16, GB18030/GBK),
detected by `localize.translate.text_encoding`; anything else is refused.

Layers: a season folder may hold `glossaries/<market>.tsv`, the series' own terms. They are
read over the market's glossary (`--glossaries`, else the project's `glossaries/`): a series
row replaces the market's row for the same source; every other market row still applies, and
forbidden words of both apply. `glossary_files` is the one place that finds the files.

Engines do not enforce terms by themselves, so the pipeline does:

1. protect: every glossary source term in a line is replaced, longest match first,
   by its approved target before the line reaches the engine. Measured on the demo
   model (Gemma 3 270M, 8 sample lines with 12 terms, English): writing the target
   into the Chinese kept 12/12 terms; placeholders kept fewer (X1 11, #1 10, [1] 9,
   <1> 8) and some leaked into the output. So no placeholders, nothing to restore.
2. verify: for each term, the approved target, or one of the forms a translator listed
   beside it (`señor Zhang|el señor Zhang`: articles, gender, cases), must appear in the output
   (whole words, case-insensitive; `locked` terms case-sensitive) at least as often as the source
   term appears in the source; a `forbidden` word must not appear at all (when its
   source cell is filled, only in lines containing that source text). Each failure
   is a GlossaryMiss; for `forbidden`, `expected` holds the forbidden word.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from localize.errors import InputFormatError
from localize.markets import Market
from localize.translate.text_encoding import Decoded, decode_table
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
SERIES_FOLDER = "glossaries"  # SEASON_DIR/glossaries/<market>.tsv: the series' own terms
EXPECTED_ROW = "source<TAB>target<TAB>kind<TAB>note, the note may be empty"
VARIANT_SEPARATOR = "|"  # in the target cell: the approved rendering first, then other accepted forms


@dataclass(frozen=True)
class Glossary:
    """The terms of one market (and series); an empty glossary changes and checks nothing."""

    entries: tuple[GlossaryEntry, ...] = ()
    path: Path | None = None  # the file read last (the series' when layered)
    layers: tuple[Path, ...] = field(default=(), compare=False)  # every file read, the market's first
    encoding: str = field(default="UTF-8", compare=False)  # of `path`, as `text_encoding` names it

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

    def _groups(self, source: str) -> dict[tuple[str, bool], list[GlossaryEntry]]:
        # Terms sharing a target (林晓, 小林 -> Lin Xiao) are counted together.
        groups: dict[tuple[str, bool], list[GlossaryEntry]] = {}
        for entry in self.matches(source):
            locked = entry.kind == "locked"
            groups.setdefault((entry.target if locked else entry.target.casefold(), locked), []).append(entry)
        return groups

    def verify(self, line_index: int, source: str, target: str) -> list[GlossaryMiss]:
        """A GlossaryMiss for each term the translation does not render, or forbidden word it uses."""
        misses: list[GlossaryMiss] = []
        for (_, locked), hits in self._groups(source).items():
            found = count_words(target, _forms(hits), case_sensitive=locked)
            if found >= len(hits):
                continue
            times = f" ({len(hits)} in the source, {found} in the translation)" if found else ""
            for entry in dict.fromkeys(hits):
                also = f" (or {' / '.join(repr(v) for v in entry.variants)})" if entry.variants else ""
                message = f"{entry.source} should be rendered {entry.target!r}{also}{times}"
                misses.append(GlossaryMiss(line_index, entry.source, entry.target, entry.kind, message))
        for entry in self.forbidden:
            if entry.source and entry.source not in source:
                continue
            used = [form for form in entry.forms if count_word(target, form)]
            if used:
                note = f" ({entry.note})" if entry.note else ""
                message = f"forbidden word {used[0]!r} in the translation{note}"
                misses.append(GlossaryMiss(line_index, entry.source, used[0], FORBIDDEN, message))
        return misses

    def honoured(self, source: str, target: str) -> tuple[int, int]:
        """(term occurrences in `source`, how many of them `target` renders), counted as `verify` does."""
        expected = found = 0
        for (_, locked), hits in self._groups(source).items():
            expected += len(hits)
            found += min(len(hits), count_words(target, _forms(hits), case_sensitive=locked))
        return expected, found


def _forms(hits: Sequence[GlossaryEntry]) -> tuple[str, ...]:
    """Every accepted rendering of terms sharing a target (each term's variants included)."""
    return tuple(dict.fromkeys(form for entry in hits for form in entry.forms))


@dataclass(frozen=True)
class Compliance:
    """How many glossary term occurrences an episode's lines hold, and how many were rendered."""

    terms: int
    honoured: int

    @property
    def rate(self) -> float:
        """The share honoured; 1.0 when the lines hold no term. Forbidden words are not counted here."""
        return self.honoured / self.terms if self.terms else 1.0


def compliance(glossary: Glossary, pairs: Iterable[tuple[str, str]]) -> Compliance:
    """Over (source, translation) pairs: term occurrences expected and honoured."""
    terms = honoured = 0
    for source, target in pairs:
        expected, found = glossary.honoured(source, target)
        terms += expected
        honoured += found
    return Compliance(terms, honoured)


def count_word(text: str, word: str, *, case_sensitive: bool = False) -> int:
    """How often `word` occurs in `text` as whole words (not inside a longer word).

    Only an end of `word` in a cased alphabet (Latin, Greek, Cyrillic) must meet a word
    boundary: Thai and Japanese write no spaces, and Korean and Arabic attach particles and
    clitics to a name (린샤오는, ولين شياو), so there `word` counts wherever it appears.
    """
    return count_words(text, (word,), case_sensitive=case_sensitive)


def count_words(text: str, words: Sequence[str], *, case_sensitive: bool = False) -> int:
    """How often any of `words` occurs in `text` (as `count_word`), each place counted once, longest form first."""
    patterns = []
    for word in sorted({w.strip() for w in words if w.strip()}, key=len, reverse=True):
        before = r"(?<!\w)" if _cased(word[0]) else ""
        after = r"(?!\w)" if _cased(word[-1]) else ""
        patterns.append(rf"{before}{re.escape(word)}{after}")
    if not patterns:
        return 0
    return len(re.findall("|".join(patterns), text, 0 if case_sensitive else re.IGNORECASE))


def _cased(char: str) -> bool:
    """A letter of a script with word spaces and no attached particles (Latin, Greek, Cyrillic), or a digit."""
    return char.isdigit() or char.lower() != char.upper() or not char.isalpha()


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


def series_glossary(season_dir: Path, market_code: str) -> Path:
    """Where a season keeps its series' terms for a market (the file may not exist)."""
    return season_dir / SERIES_FOLDER / f"{market_code}.tsv"


def glossary_files(market_code: str, glossary_dir: Path | None, season_dir: Path | None) -> tuple[Path, ...]:
    """The files a market's glossary is read from, lowest layer first: the market's, then the series'.

    The market's is `<glossary_dir>/<market>.tsv` (none when `glossary_dir` is None), or the
    project's when `glossary_dir` is the season's own glossaries folder (that folder is the series
    layer); the series' is `series_glossary(season_dir, ...)`. Files that do not exist are left out.
    """
    series = series_glossary(season_dir, market_code) if season_dir is not None else None
    market_dir = glossary_dir
    if market_dir is not None and series is not None and _same(market_dir, series.parent):
        market_dir = default_directory()
    files: list[Path] = []
    for path in (market_dir / f"{market_code}.tsv" if market_dir else None, series):
        if path is not None and path.is_file() and not any(_same(path, f) for f in files):
            files.append(path)
    return tuple(files)


def _same(a: Path, b: Path) -> bool:
    return a.resolve() == b.resolve()


def load_glossaries(paths: Sequence[Path]) -> Glossary:
    """Each file loaded and layered over the ones before it (see `layer`); empty for no files."""
    glossary = Glossary()
    for path in paths:
        glossary = layer(glossary, load_glossary(path)) if glossary.layers else load_glossary(path)
    return glossary


def layer(base: Glossary, top: Glossary) -> Glossary:
    """`top` read over `base`: top's rows replace base's rows with the same source; forbidden rows add up."""
    replaced = {e.source for e in top.terms}
    banned = {(e.source, e.target.casefold()) for e in top.forbidden}  # the same ban twice is one ban
    kept = [e for e in base.entries
            if (e.source not in replaced if e.kind != FORBIDDEN else (e.source, e.target.casefold()) not in banned)]
    return Glossary((*kept, *top.entries), top.path, (*base.layers, *top.layers), top.encoding)


def overrides(base: Glossary, top: Glossary) -> list[tuple[GlossaryEntry, GlossaryEntry]]:
    """(base row, top row) pairs where `top` renders a source differently from `base` (target or kind)."""
    by_source = {e.source: e for e in base.entries if e.kind != FORBIDDEN}
    return [(by_source[e.source], e) for e in top.entries
            if e.kind != FORBIDDEN and e.source in by_source
            and (by_source[e.source].target, by_source[e.source].kind) != (e.target, e.kind)]


def load_glossary(path: Path | str) -> Glossary:
    """Parse a glossary file; any malformed row raises InputFormatError naming file:line."""
    path = Path(path)
    decoded = read_glossary_text(path)
    return Glossary(parse_glossary(decoded.text, path), path, (path,), decoded.encoding)


def read_glossary_text(path: Path) -> Decoded:
    """The file's text in whichever accepted encoding it was saved (InputFormatError if none fits)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputFormatError(path, 0, f"cannot read the glossary: {exc.strerror}") from exc
    return decode_table(data, path, _has_header)


def parse_glossary(text: str, path: Path | str = "<glossary>") -> tuple[GlossaryEntry, ...]:
    entries: list[GlossaryEntry] = []
    by_source: dict[str, GlossaryEntry] = {}
    header_seen = False
    for line_no, cells in iter_rows(text):
        if not header_seen:
            if not is_header(cells):
                raise InputFormatError(path, line_no, f"bad header {_joined(cells)!r}", EXPECTED_ROW)
            header_seen = True
            continue
        problem = row_problem(cells)
        if problem is not None:
            raise InputFormatError(path, line_no, problem[1], problem[2])
        entry = row_entry(cells, line_no)
        if entry.kind != FORBIDDEN:
            earlier = by_source.get(entry.source)
            if earlier is not None and earlier.target != entry.target:
                raise InputFormatError(path, line_no, conflict_message(entry, earlier), "one target per source term")
            if earlier is not None:
                continue
            by_source[entry.source] = entry
        entries.append(entry)
    if not header_seen:
        raise InputFormatError(path, 0, "no header row", EXPECTED_ROW)
    return tuple(entries)


def iter_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of every line that is not blank or a comment."""
    for line_no, raw in enumerate(text.splitlines(), start=1):
        if raw.strip() and not raw.lstrip().startswith("#"):
            yield line_no, _cells(raw)


def is_header(cells: Sequence[str]) -> bool:
    return tuple(c.casefold() for c in cells) in (HEADER, HEADER[:3])


def _has_header(text: str) -> bool:
    first = next(iter_rows(text), None)
    return first is not None and is_header(first[1])


def row_problem(cells: Sequence[str]) -> tuple[str, str, str] | None:
    """(code, problem, expected) for a row the loader refuses, None for a good row."""
    if len(cells) not in (3, 4):
        return "columns", f"{len(cells)} columns", EXPECTED_ROW
    source, target, kind = cells[:3]
    if kind not in KINDS:
        return "unknown-kind", f"unknown kind {kind!r}", "one of " + ", ".join(KINDS)
    if not split_forms(target):
        return "empty-target", "empty target", "the approved rendering (or forbidden word)"
    if not source and kind != FORBIDDEN:
        return "empty-source", f"empty source for kind {kind!r}", "the Chinese term"
    return None


def row_entry(cells: Sequence[str], line_no: int) -> GlossaryEntry:
    """The entry of a row `row_problem` accepts (`a|b` in the target: approved `a`, also accepted `b`)."""
    target, *variants = split_forms(cells[1])
    return GlossaryEntry(cells[0], target, cells[2], cells[3] if len(cells) == 4 else "", line_no, tuple(variants))


def split_forms(cell: str) -> list[str]:
    """A target cell's forms: the approved one, then the other accepted ones (forbidden rows: each a word)."""
    return [form.strip() for form in cell.split(VARIANT_SEPARATOR) if form.strip()]


def conflict_message(entry: GlossaryEntry, earlier: GlossaryEntry) -> str:
    return f"{entry.source} -> {entry.target!r}, but line {earlier.line_no} says {earlier.target!r}"


def format_glossary(entries: Iterable[GlossaryEntry], comments: Sequence[str] = ()) -> str:
    """Glossary file text: `# comments`, the header, one row per entry (tabs and line breaks in cells
    become a space)."""
    rows = [f"# {c}" for c in comments] + ["\t".join(HEADER)]
    rows += ["\t".join(_cell(v) for v in (e.source, VARIANT_SEPARATOR.join(e.forms), e.kind, e.note))
             for e in entries]
    return "\n".join(rows) + "\n"


def _cell(value: str) -> str:
    return re.sub(r"[\t\r\n\v\f]+", " ", value).strip()


def _joined(cells: Sequence[str]) -> str:
    return "\t".join(cells)


def _cells(raw: str) -> list[str]:
    cells = [c.strip() for c in raw.split("\t")]
    while len(cells) > len(HEADER) and not cells[-1]:
        cells.pop()  # spreadsheets may add empty columns at the end
    return cells
