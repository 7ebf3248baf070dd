"""Post-editing round trip: export a market's lines of a season as a kit (XLIFF 2.0, CSV), import the
edited kit back.

Export reads what a season run left in OUT: each episode's Chinese transcript
(OUT/source/<episode>.transcript.json) and the market's translation of it
(OUT/.work/<episode>/lines-<market>.json, written by every delivery; see localize.paths).

Import checks every line of the file against OUT (known id, same Chinese source, one market), stores
each line whose target differs from the exported machine translation as an approved entry of the
translation memory the run used, then redoes that market's delivery of the episodes those lines are
in (and of other episodes with the same Chinese line), from the inputs the run saved
(OUT/.work/<episode>/delivery-<market>.pkl). The result store makes the source stages (audio, OCR,
ASR) cache hits; the translate stage's key holds the approved entries of the episode's lines, so it
runs again, takes the approved lines as they are and the other lines from the memory's machine
entries of the same engine (no engine call for them); subtitles, dub, preview and QA follow.
Only a line whose machine translation failed a check (never stored in the memory) goes to the
engine again, unless the translator fixed it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from localize.dub.fit import slots_for
from localize.errors import InputFormatError, LocalizeError, OutputExistsError, UserError
from localize.fsutil import write_bytes_atomic
from localize.markets import Market, get_market
from localize.paths import SeasonPaths
from localize.translate.kit_format import Kit, KitLine, line_id, parse_line_id, read_csv, write_csv
from localize.translation_io import read_translation_json
from localize.types import Line, Translation

if TYPE_CHECKING:
    pass

log = logging.getLogger("localize")

FORMATS = ("xliff", "csv", "both")
SUFFIXES = {"xliff": "xlf", "csv": "csv"}
XLIFF_SUFFIXES = (".xlf", ".xliff", ".xml")
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
DEFAULT_REVIEWER = "kit-import"


# -- export ------------------------------------------------------------------------------------


def season_translations(out_dir: Path, market: str) -> dict[str, Translation]:
    """Episode -> the market's translation, for every episode whose transcript is in OUT.

    An episode without one, or whose translation is older than its transcript, stops with a message
    saying to run the season for the market.
    """
    paths = SeasonPaths(out_dir)
    episodes = paths.episodes()
    if not episodes:
        raise UserError(f"{out_dir}: no episode transcripts in {out_dir / 'source'}; "
                            "give the --out folder of a season run")
    found: dict[str, Translation] = {}
    for episode in episodes:
        lines_path = paths.episode(episode).lines(market)
        if not lines_path.is_file():
            raise UserError(f"{episode}: no {market} translation in {out_dir} ({lines_path} is missing); "
                                f"run the season for {market} first")
        translation = read_translation_json(lines_path)
        sources = _transcript_sources(paths.episode(episode).transcript)
        if sources != [line.source for line in translation.lines]:
            raise UserError(f"{episode}: the {market} translation in {lines_path} is older than the "
                                f"transcript; run the season for {market} again")
        found[episode] = translation
    return found


def _transcript_sources(path: Path) -> list[str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [str(segment["text"]) for segment in data["segments"]]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise InputFormatError(path, 0, f"not a transcript localize wrote ({type(exc).__name__})") from None


def kit_lines(episode: str, translation: Translation, market: Market) -> list[KitLine]:
    """The kit's lines of one episode (lines with no Chinese text are left out)."""
    rules = market.rules
    lines = translation.lines
    end = max((line.end_ms for line in lines), default=0)
    # The dub's own slot rule (localize.dub.fit), the last line ending at its own end.
    slots = {s.line_index: s for s in slots_for([(line.index, line.start_ms, line.end_ms) for line in lines], end)}
    misses: dict[int, list[str]] = {}
    for miss in translation.glossary_misses:
        misses.setdefault(miss.line_index, []).append(f"glossary {miss.kind}: {miss.message}")
    kit: list[KitLine] = []
    for line in lines:
        if not line.source.strip():
            continue
        slot = slots[line.index]
        flags = tuple(f"{flag.severity} {flag.code}: {flag.message}" for flag in line.flags)
        kit.append(KitLine(
            id=line_id(episode, line.index), source=line.source, target=line.target, machine=line.target,
            speaker=line.speaker or "", start_ms=line.start_ms, end_ms=line.end_ms,
            max_chars=rules.max_chars_per_line * rules.max_lines,
            max_seconds=max(0, slot.next_start_ms - slot.start_ms) / 1000,
            flags=flags + tuple(misses.get(line.index, ())), origin=str(line.origin), market=market.code))
    return kit


def build_kit(out_dir: Path, market_code: str) -> Kit:
    market = get_market(market_code)
    lines = [line for episode, translation in season_translations(out_dir, market.code).items()
             for line in kit_lines(episode, translation, market)]
    return Kit(market.code, tuple(lines), str(out_dir.resolve()))


def kit_targets(out_dir: Path, market: str, fmt: str, to: Path | None) -> dict[str, Path]:
    """Format -> file: SeasonPaths.kit by default; `to` a folder (or `--format both`): <market>.<suffix> in it."""
    if fmt not in FORMATS:
        raise UserError(f"kit format {fmt!r}: give one of {', '.join(FORMATS)}")
    wanted = ("xliff", "csv") if fmt == "both" else (fmt,)
    if to is None:
        return {f: SeasonPaths(out_dir).kit(market, SUFFIXES[f]) for f in wanted}
    if to.is_dir() or not to.suffix:
        return {f: to / f"{market}.{SUFFIXES[f]}" for f in wanted}
    if fmt == "both":
        return {f: to.with_suffix("." + SUFFIXES[f]) for f in wanted}
    return {fmt: to}


def export_kit(out_dir: Path, market: str, *, fmt: str = "both", to: Path | None = None,
               force: bool = False) -> tuple[Kit, tuple[Path, ...]]:
    """Write the market's kit; an existing file (perhaps being edited) is kept unless `force`."""
    targets = kit_targets(out_dir, market, fmt, to)
    for path in targets.values():
        if path.exists() and not force:
            raise OutputExistsError(path, "it may hold a translator's edits; import it first, or pass --force")
    kit = build_kit(out_dir, market)
    for kind, path in targets.items():
        write_bytes_atomic(path, _writer(kind)(kit))
    return kit, tuple(targets.values())


def _writer(kind: str) -> Callable[[Kit], bytes]:
    if kind == "csv":
        return write_csv
    from localize.translate.xliff_adapter import write_xliff

    return write_xliff


# -- import ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Edit:
    """A line whose target a translator changed."""

    line: KitLine
    episode: str
    index: int


@dataclass(frozen=True)
class ImportResult:
    file: Path
    market: str
    out_dir: Path
    edits: tuple[Edit, ...]
    unchanged: int
    empty: int  # lines whose target was left empty or removed: ignored
    memory: Path | None
    episodes: tuple[str, ...]  # re-rendered
    files: tuple[Path, ...] = ()
    ran: dict[str, int] = field(default_factory=dict)  # stage -> times its work ran in the re-render
    notes: tuple[str, ...] = ()


def read_kit(path: Path) -> Kit:
    """A kit file: XLIFF 2.0 or CSV, told by its name (or its first byte)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: cannot read the kit ({exc.strerror})") from None
    suffix = path.suffix.lower()
    is_xml = suffix in XLIFF_SUFFIXES or (suffix not in CSV_SUFFIXES and data.lstrip(b"\xef\xbb\xbf \r\n")[:1] == b"<")
    if is_xml:
        from localize.translate.xliff_adapter import read_xliff

        return read_xliff(data, path)
    return read_csv(data, path)


def _out_dir(path: Path, kit: Kit, given: Path | None) -> Path:
    """--out, else the folder the kit says it came from, else the OUT around a kit left in OUT/kit/."""
    candidates = [given] if given else [Path(kit.out_dir)] if kit.out_dir else []
    candidates += [] if given else [path.resolve().parent.parent]
    for candidate in candidates:
        if candidate is not None and SeasonPaths(candidate).episodes():
            return candidate
    tried = ", ".join(str(c) for c in candidates if c is not None)
    raise UserError(f"{path}: no season run found for this kit (tried {tried}); give --out OUT")


def check_kit(path: Path, kit: Kit, out_dir: Path, market: str,
              translations: dict[str, Translation]) -> tuple[list[Edit], int, int]:
    """(edits, unchanged, empty) of a kit checked line by line against OUT: errors name file, line and id."""
    edits: list[Edit] = []
    seen: dict[str, int] = {}
    unchanged = empty = 0
    for line in kit.lines:
        if line.market and line.market != market:
            raise InputFormatError(path, line.where, f"line {line.id}: market {line.market}, the file is {market}")
        if line.id in seen:
            raise InputFormatError(path, line.where, f"line id {line.id} twice (also at line {seen[line.id]})")
        seen[line.id] = line.where
        current = _current(path, line, translations, out_dir, market)
        if line.source.strip() != current.source.strip():
            raise InputFormatError(
                path, line.where, f"line {line.id}: the Chinese source no longer matches {out_dir} (file: "
                f"{line.source!r}, now: {current.source!r}); the kit is stale: export it again and redo the edits")
        reference = line.machine if line.machine is not None else current.target
        if line.target is None or not line.target.strip():
            empty += 1
        elif line.target in (reference, current.target):  # as exported, or already imported
            unchanged += 1
        else:
            episode, index = parse_line_id(line.id) or ("", 0)
            edits.append(Edit(line, episode, index))
    return edits, unchanged, empty


def _current(path: Path, line: KitLine, translations: dict[str, Translation], out_dir: Path, market: str) -> Line:
    parsed = parse_line_id(line.id)
    translation = translations.get(parsed[0]) if parsed else None
    if parsed is None or translation is None or not 0 <= parsed[1] < len(translation.lines):
        raise InputFormatError(path, line.where, f"unknown line id {line.id!r}: no such line of {market} in "
                                                 f"{out_dir}", "ids as exported, <episode>:<line number>")
    return translation.lines[parsed[1]]


def import_kit(path: Path, *, out_dir: Path | None = None, market: str | None = None, reviewer: str = "",
               force: bool = False, on_step: Callable[[str], None] | None = None) -> ImportResult:
    """Approve the kit's edited lines in the run's translation memory and redo the affected deliveries."""
    kit = read_kit(path)
    code = _market(path, kit, market)
    out = _out_dir(path, kit, out_dir)
    try:
        translations = season_translations(out, code)
    except LocalizeError as exc:  # OUT lacks what the kit needs: say which kit it was
        raise UserError(f"{path}: {exc}") from None
    edits, unchanged, empty = check_kit(path, kit, out, code, translations)
    if not edits:
        return ImportResult(path, code, out, (), unchanged, empty, None, ())
    applied = approve_lines(out, code, [Approval(e.episode, e.index, e.line.source, e.line.target or "")
                                        for e in edits], translations, reviewer=reviewer or DEFAULT_REVIEWER,
                            force=force, on_step=on_step)
    return ImportResult(path, code, out, tuple(edits), unchanged, empty, applied.memory, applied.episodes,
                        applied.files, applied.ran, applied.notes)


@dataclass(frozen=True)
class Approval:
    """A person's translation of one line of a delivery (line `index` of the episode's translation)."""

    episode: str
    index: int
    source: str
    target: str


@dataclass(frozen=True)
class Applied:
    memory: Path
    episodes: tuple[str, ...]  # re-rendered
    files: tuple[Path, ...]
    ran: dict[str, int]
    notes: tuple[str, ...]


def approve_lines(out: Path, code: str, approvals: Sequence[Approval], translations: dict[str, Translation], *,
                  reviewer: str, force: bool = False, on_step: Callable[[str], None] | None = None,
                  all_or_nothing: bool = False) -> Applied:
    """Store each approval in the translation memory the run used and redo the market's deliveries of the
    episodes that have those lines (the same Chinese line elsewhere takes the approval too).

    `all_or_nothing`: a failed re-render leaves every delivery as it was (the approvals stay stored)."""
    from localize.season_run import check_unedited, delivery_inputs, redeliver
    from localize.translate.memory import APPROVED, Entry, TranslationMemory, normalize

    edited = {normalize(a.source) for a in approvals}
    touched = [ep for ep, t in translations.items()
               if any(a.episode == ep for a in approvals) or any(normalize(line.source) in edited for line in t.lines)]
    inputs = delivery_inputs(out, code, touched)
    memories = {i.settings.memory for i in inputs.values()}
    memory_path = next(iter(memories)) if len(memories) == 1 else None
    if memory_path is None:
        raise UserError(f"{out}: the season run used {'no translation memory' if None in memories else 'several'} "
                        "([memory] in localize.toml); approvals need the memory the run reads: enable it, run "
                        "the season, then approve")
    if not force:
        check_unedited(out, code, inputs)
    TranslationMemory(memory_path).add(
        Entry(a.source, a.target, code, APPROVED, engine=reviewer,
              series=inputs[a.episode].source.video.parent.name, episode=a.episode, line=str(a.index))
        for a in approvals)
    done = redeliver(out, inputs, on_step=on_step, all_or_nothing=all_or_nothing)  # journal and summary too
    notes = tuple(f"{ep}: re-rendered too, it has an approved line" for ep in touched
                  if not any(a.episode == ep for a in approvals))
    return Applied(memory_path, tuple(touched), done.files, done.ran, notes)


def _market(path: Path, kit: Kit, wanted: str | None) -> str:
    """The kit's market, which must be the one asked for (a kit edited for another market is refused)."""
    asked = get_market(wanted).code if wanted else None
    if kit.market:
        code = get_market(kit.market).code
        if asked and code != asked:
            raise InputFormatError(path, 0, f"a kit for {code}, not {asked}", f"the {asked} kit of the season")
        return code
    if asked is None:
        raise InputFormatError(path, 0, "the file does not say its market", "--market M")
    return asked


def summary(result: ImportResult) -> list[str]:
    """Lines for a person: what was approved, what was re-rendered."""
    head = (f"{result.file}: {len(result.edits)} lines approved for {result.market}, {result.unchanged} unchanged"
            + (f", {result.empty} left empty (ignored)" if result.empty else ""))
    if not result.edits:
        return [head, "nothing to re-render"]
    lines = [f"{head}; stored in {result.memory}",
             f"re-rendered {result.market} of {len(result.episodes)} episodes: {', '.join(result.episodes)}"]
    if result.ran:
        lines.append("stages run: " + ", ".join(f"{k} {v}" for k, v in sorted(result.ran.items())))
    return lines + list(result.notes)

