"""`localize glossary check`: every problem in glossary files at once, each with file:line.

The loader (`glossary.load_glossary`) stops at the first row it refuses; a translator fixing a
file wants the whole list, and also the rows the loader accepts that are probably mistakes.
Severities:

- error: the loader refuses the file (a season run would stop at preflight);
- warning: the file loads, but a row is probably wrong (a duplicate, Chinese in a target...);
- info: worth knowing, nothing to fix (the encoding a file was read in, a series row that
  overrides the market's).

Exit status of the command: 0 no errors or warnings, 1 some, 2 a file could not be read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from localize.errors import InputFormatError, UnknownMarketError
from localize.markets import get_market, market_codes
from localize.translate.glossary import (
    EXPECTED_ROW,
    FORBIDDEN,
    Glossary,
    conflict_message,
    is_header,
    iter_rows,
    load_glossary,
    overrides,
    read_glossary_text,
    row_entry,
    row_problem,
)
from localize.types import GlossaryEntry

Severity = Literal["error", "warning", "info"]

# Every finding's code and what it means; `row_problem` supplies the loader's own codes.
CODES: dict[str, tuple[Severity, str]] = {
    "unreadable": ("error", "the file cannot be read, or not in an accepted encoding"),
    "header": ("error", "no header row, or a first row that is not the header"),
    "columns": ("error", "a row without 3 or 4 columns"),
    "unknown-kind": ("error", "a kind that is not one of glossary.KINDS"),
    "empty-target": ("error", "a row without a target"),
    "empty-source": ("error", "a row without a source (allowed only for forbidden words)"),
    "conflict": ("error", "one source with two different targets"),
    "duplicate": ("warning", "the same row again"),
    "no-chinese": ("warning", "a source without a Chinese character (it will rarely match the dialogue)"),
    "cjk-target": ("warning", "a target with Chinese, Japanese or Korean characters or full-width punctuation"),
    "file-name": ("warning", "a file in a glossary folder whose name is not <market>.tsv"),
    "encoding": ("info", "the file was read in an encoding other than UTF-8"),
    "override": ("info", "a series row that renders a source differently from the market's glossary"),
}
# Sources in Latin letters are expected for brands (ReelShort) and optional for forbidden words.
_LATIN_SOURCE_OK = frozenset({"locked", FORBIDDEN})
_HANZI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef"
                  r"\U00020000-\U0002ffff]")

# Characters a market's own glossary targets are written in, where they fall inside _CJK.
_OWN_SCRIPT = {
    "japanese": re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]"),
    "hangul": re.compile(r"[\uac00-\ud7af]"),
}


def _market_script(path: Path) -> str:
    """The script of the market a glossary file is named after ("ja-JP.tsv"), or ""."""
    try:
        return get_market(path.stem).script
    except UnknownMarketError:
        return ""


@dataclass(frozen=True)
class Finding:
    path: Path
    line_no: int  # 0: the whole file
    code: str  # a key of CODES
    message: str

    @property
    def severity(self) -> Severity:
        return CODES[self.code][0]

    def __str__(self) -> str:
        where = f"{self.path}:{self.line_no}" if self.line_no else str(self.path)
        return f"{where}: {self.severity}: {self.message}"


@dataclass(frozen=True)
class FileCheck:
    path: Path
    entries: int
    findings: tuple[Finding, ...]
    readable: bool = True


@dataclass(frozen=True)
class CheckReport:
    files: tuple[FileCheck, ...]

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for file in self.files for f in file.findings)

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def exit_code(self) -> int:
        """0 clean, 1 errors or warnings, 2 a file could not be read."""
        if not all(file.readable for file in self.files):
            return 2
        return 1 if self.count("error") or self.count("warning") else 0

    def summary(self) -> str:
        entries = sum(file.entries for file in self.files)
        files = len(self.files)
        return (f"{files} file{'s' * (files != 1)}, {entries} entries: {self.count('error')} errors, "
                f"{self.count('warning')} warnings, {self.count('info')} notes")


def check_paths(paths: Sequence[Path], market_dir: Path | None = None) -> CheckReport:
    """Check files, and the `*.tsv` files of folders; rows that override `market_dir/<same name>` are noted."""
    checks: list[FileCheck] = []
    for path in paths:
        if path.is_dir():
            files = sorted(path.glob("*.tsv"))
            if not files:
                checks.append(_unreadable(path, "a folder without .tsv glossaries"))
            for file in files:
                checks.append(check_file(file, market_dir, in_folder=True))
        else:
            checks.append(check_file(path, market_dir))
    return CheckReport(tuple(checks))


def check_file(path: Path, market_dir: Path | None = None, in_folder: bool = False) -> FileCheck:
    """Every finding for one file; `in_folder`: it was found in a folder, so its name must be a market's."""
    try:
        decoded = read_glossary_text(path)
    except InputFormatError as exc:
        return _unreadable(path, str(exc).removeprefix(f"{path}: "))
    findings: list[Finding] = []
    if decoded.encoding != "UTF-8":
        findings.append(Finding(path, 0, "encoding", f"read as {decoded.encoding}"))
    if in_folder and path.stem not in market_codes():
        findings.append(Finding(path, 0, "file-name", f"{path.name} is not read by any market "
                                                      f"(expected <market>.tsv, one of {', '.join(market_codes())})"))
    entries = _check_rows(path, decoded.text, findings)
    base = _market_glossary(path, market_dir)
    if base is not None and base.path is not None:
        top = Glossary(tuple(entries))
        for old, new in overrides(base, top):
            findings.append(Finding(path, new.line_no, "override",
                                    f"{new.source} -> {new.target!r} ({new.kind}) overrides {base.path}:{old.line_no} "
                                    f"{old.target!r} ({old.kind})"))
    findings.sort(key=lambda f: f.line_no)
    return FileCheck(path, len(entries), tuple(findings))


def _check_rows(path: Path, text: str, findings: list[Finding]) -> list[GlossaryEntry]:
    entries: list[GlossaryEntry] = []
    by_source: dict[str, GlossaryEntry] = {}
    banned: dict[tuple[str, str], GlossaryEntry] = {}
    rows = iter_rows(text)
    first = next(rows, None)
    if first is None:
        findings.append(Finding(path, 0, "header", f"no header row (expected {EXPECTED_ROW})"))
        return entries
    if not is_header(first[1]):
        findings.append(Finding(path, first[0], "header", f"first row is not the header (expected {EXPECTED_ROW})"))
    for line_no, cells in rows:
        problem = row_problem(cells)
        if problem is not None:
            code, what, expected = problem
            findings.append(Finding(path, line_no, code, f"{what} (expected {expected})"))
            continue
        entry = row_entry(cells, line_no)
        findings += _row_warnings(path, entry)
        earlier = banned.get((entry.source, entry.target)) if entry.kind == FORBIDDEN else by_source.get(entry.source)
        if earlier is not None and earlier.target != entry.target:
            findings.append(Finding(path, line_no, "conflict", conflict_message(entry, earlier)))
        elif earlier is not None:
            findings.append(Finding(path, line_no, "duplicate", f"{entry.source or entry.target} repeats line "
                                                                f"{earlier.line_no}"))
        else:
            if entry.kind == FORBIDDEN:
                banned[(entry.source, entry.target)] = entry
            else:
                by_source[entry.source] = entry
            entries.append(entry)
    return entries


def _row_warnings(path: Path, entry: GlossaryEntry) -> list[Finding]:
    found: list[Finding] = []
    if entry.source and entry.kind not in _LATIN_SOURCE_OK and not _HANZI.search(entry.source):
        found.append(Finding(path, entry.line_no, "no-chinese",
                             f"source {entry.source!r} has no Chinese character (columns swapped?)"))
    own = _OWN_SCRIPT.get(_market_script(path))  # Japanese and Korean targets are written in CJK
    cjk = "".join(dict.fromkeys(ch for ch in _CJK.findall(entry.target) if not (own and own.match(ch))))
    if cjk:
        found.append(Finding(path, entry.line_no, "cjk-target", f"target {entry.target!r} contains {cjk!r}"))
    return found


def _market_glossary(path: Path, market_dir: Path | None) -> Glossary | None:
    """The market glossary `path` is layered over, if it is another file that loads."""
    if market_dir is None:
        return None
    base = market_dir / path.name
    if not base.is_file() or base.resolve() == path.resolve():
        return None
    try:
        return load_glossary(base)
    except InputFormatError:
        return None  # its own check reports it


def _unreadable(path: Path, problem: str) -> FileCheck:
    return FileCheck(path, 0, (Finding(path, 0, "unreadable", problem),), readable=False)
