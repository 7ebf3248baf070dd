"""Voice actors' takes: a recording script out of a season run, their WAV files back into the dub.

    localize dub script OUT --market M      OUT/takes/<market>/script.csv and script.html
    localize dub import TAKES_DIR --out OUT --market M

The script lists every line the dub speaks, grouped by character: its id (the post-edit kit's,
`<episode>:<line number>`), the file name the take must have, the timecode, the longest the take
may run and still play untouched (its slot: to the next line's start less the gap; up to 1.2x
longer is sped up), the translation, the Chinese line and the character. CSV is UTF-8 with a BOM
(spreadsheets open it as such); the HTML prints one page per character.

Take files are named `<episode>_<line number, 4 digits>.wav` (`ep01_0003.wav` for `ep01:3`): no
colon, which Windows and many recorders refuse. `ep01_3.wav`, `ep01-3.wav` and `ep01:3.wav` are read
too. Import trims each take's leading and trailing room tone, fits it by the dub's rules (a take
too long is sped up to the limit, then flagged; it is never cut silently), re-renders the market's
dub, preview and QA of every episode with a take, from the inputs the run saved (no speech
recognition or translation again). A line with no take keeps the synthetic voice and is flagged.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from localize.dub.fit import DEFAULT_MIN_GAP_MS, slots_for
from localize.errors import UserError
from localize.fsutil import write_bytes_atomic
from localize.markets import get_market
from localize.paths import SeasonPaths
from localize.timecode import format_timecode
from localize.types import Line

TAKES = "takes"
_TAKE_NAME = re.compile(r"^(?P<episode>.+)[_:\-](?P<number>\d+)$")
NO_CHARACTER = "(no character)"


def take_name(episode: str, index: int) -> str:
    """The file a take of line `index` (0-based) of `episode` must be saved as."""
    return f"{episode}_{index + 1:04d}.wav"


def parse_take_name(path: Path) -> tuple[str, int] | None:
    """(episode, 0-based index) of a take file's name, or None when it does not name a line."""
    if path.suffix.lower() != ".wav":
        return None
    found = _TAKE_NAME.match(path.stem)
    if not found or int(found.group("number")) < 1:
        return None
    return found.group("episode"), int(found.group("number")) - 1


@dataclass(frozen=True)
class ScriptLine:
    id: str
    file: str
    episode: str
    character: str
    start_ms: int
    end_ms: int
    max_ms: int
    translation: str
    chinese: str


def _spoken(line: Line) -> bool:
    from localize.dub.dub import UNSPEAKABLE_FLAGS

    return bool(line.target.strip()) and not any(f.code in UNSPEAKABLE_FLAGS for f in line.flags)


def script_lines(out_dir: Path, market: str) -> list[ScriptLine]:
    """Every line the market's dub speaks in the season run in OUT, by character, then episode and time."""
    from localize.kit import season_translations
    from localize.translate.kit_format import line_id

    code = get_market(market).code
    lines: list[ScriptLine] = []
    for episode, translation in season_translations(out_dir, code).items():
        duration = _duration(out_dir, episode, code, translation.lines)
        slots = {s.line_index: s for s in slots_for(
            [(line.index, line.start_ms, line.end_ms) for line in translation.lines], duration)}
        for line in translation.lines:
            if not _spoken(line):
                continue
            slot = slots[line.index]
            lines.append(ScriptLine(
                line_id(episode, line.index), take_name(episode, line.index), episode,
                line.speaker or NO_CHARACTER, line.start_ms, line.end_ms,
                max(0, slot.next_start_ms - DEFAULT_MIN_GAP_MS - slot.start_ms), line.target, line.source))
    lines.sort(key=lambda s: (s.character, s.episode, s.start_ms))
    return lines


def _duration(out_dir: Path, episode: str, market: str, lines: tuple[Line, ...]) -> int:
    from localize.pipeline import load_delivery_inputs

    saved = SeasonPaths(out_dir).episode(episode).delivery_inputs(market)
    try:
        return load_delivery_inputs(saved).source.info.duration_ms
    except UserError:
        return max((line.end_ms for line in lines), default=0)


CSV_FIELDS = ("id", "file", "character", "timecode", "end", "max_seconds", "translation", "chinese")


def script_csv(lines: list[ScriptLine]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_FIELDS)
    for s in lines:
        writer.writerow((s.id, s.file, s.character, format_timecode(s.start_ms), format_timecode(s.end_ms),
                         f"{s.max_ms / 1000:.2f}", s.translation, s.chinese))
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


_STYLE = ("body{font-family:sans-serif;margin:2em}section{page-break-after:always}"
          "table{border-collapse:collapse;width:100%}td,th{border:1px solid #999;padding:4px;vertical-align:top}"
          "td.say{font-size:1.2em}td.zh{color:#555}")


def script_html(lines: list[ScriptLine], market: str) -> bytes:
    esc = html.escape
    sections = []
    for character in dict.fromkeys(s.character for s in lines):
        rows = "".join(
            f"<tr><td>{esc(s.id)}<br><small>{esc(s.file)}</small></td><td>{esc(format_timecode(s.start_ms))}</td>"
            f"<td>{s.max_ms / 1000:.2f} s</td><td class=say>{esc(s.translation)}</td><td class=zh>{esc(s.chinese)}</td>"
            "</tr>" for s in lines if s.character == character)
        sections.append(f"<section><h2>{esc(character)}</h2><table><tr><th>line / file</th><th>timecode</th>"
                        f"<th>at most</th><th>say</th><th>Chinese</th></tr>{rows}</table></section>")
    page = (f"<!doctype html><html><head><meta charset=utf-8><title>Dub script {esc(market)}</title>"
            f"<style>{_STYLE}</style></head><body><h1>Dub script, {esc(market)}</h1>"
            "<p>Record each line as its own WAV file, named as shown; keep it within the time given "
            "(up to 1.2 times longer is sped up).</p>" + "".join(sections) + "</body></html>")
    return page.encode("utf-8")


def export_script(out_dir: Path, market: str, to: Path | None = None) -> tuple[list[ScriptLine], tuple[Path, ...]]:
    """Write the market's recording script as CSV and HTML (default OUT/takes/<market>/)."""
    code = get_market(market).code
    folder = to or out_dir / TAKES / code
    lines = script_lines(out_dir, code)
    written = (write_bytes_atomic(folder / "script.csv", script_csv(lines)),
               write_bytes_atomic(folder / "script.html", script_html(lines, code)))
    return lines, written


@dataclass(frozen=True)
class TakesResult:
    market: str
    episodes: tuple[str, ...]  # re-rendered
    takes: int
    missing: dict[str, tuple[int, ...]]  # episode -> line indexes voiced synthetically
    ignored: tuple[str, ...]  # take files for lines the dub does not speak
    files: tuple[Path, ...] = ()
    ran: dict[str, int] = field(default_factory=dict)


def find_takes(takes_dir: Path, known: dict[str, set[int]]) -> tuple[dict[str, dict[int, Path]], list[str]]:
    """episode -> line index -> take file, and the files that name a line the dub does not speak.

    A WAV file whose name is not a line id, or names an unknown episode, is the user's mistake: refused.
    """
    if not takes_dir.is_dir():
        raise UserError(f"{takes_dir}: not a folder of takes")
    found: dict[str, dict[int, Path]] = {}
    ignored: list[str] = []
    for path in sorted(takes_dir.iterdir()):
        if path.suffix.lower() != ".wav":
            continue
        parsed = parse_take_name(path)
        if parsed is None or parsed[0] not in known:
            raise UserError(f"{path.name}: not a take of this season (name takes <episode>_<line>.wav, e.g. "
                            f"{take_name(next(iter(known), 'ep01'), 2)}, as the dub script lists them)")
        episode, index = parsed
        if index not in known[episode]:
            ignored.append(path.name)
            continue
        if index in found.setdefault(episode, {}):
            raise UserError(f"{path.name}: a second take of {episode} line {index + 1} "
                            f"(also {found[episode][index].name}); keep one")
        found[episode][index] = path
    return found, ignored


def import_takes(takes_dir: Path, out_dir: Path, market: str, *, force: bool = False,
                 on_step: Callable[[str], None] | None = None) -> TakesResult:
    """Dub every episode that has takes with them (synthetic voice for the rest) and re-render its deliveries."""
    from localize.kit import season_translations
    from localize.season_run import check_unedited, delivery_inputs, redeliver

    code = get_market(market).code
    translations = season_translations(out_dir, code)
    known = {ep: {line.index for line in t.lines if _spoken(line)} for ep, t in translations.items()}
    found, ignored = find_takes(takes_dir, known)
    if not found:
        raise UserError(f"{takes_dir}: no takes for {code} of {out_dir} (expected files such as "
                        f"{take_name(next(iter(known), 'ep01'), 0)})")
    inputs = delivery_inputs(out_dir, code, sorted(found))
    if not force:
        check_unedited(out_dir, code, inputs)
    done = redeliver(out_dir, inputs, takes={ep: {i: p.resolve() for i, p in takes.items()}
                                             for ep, takes in found.items()}, on_step=on_step)
    missing = {ep: tuple(sorted(known[ep] - set(found[ep]))) for ep in sorted(found)}
    return TakesResult(code, tuple(sorted(found)), sum(len(t) for t in found.values()), missing, tuple(ignored),
                       done.files, done.ran)
