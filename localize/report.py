"""QA reports as JSON (for tools and gating), HTML (for reviewers) and text (for terminals)."""

from __future__ import annotations

import html
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from localize.fsutil import write_text_atomic
from localize.timecode import format_timecode
from localize.translate.consistency import Inconsistency
from localize.types import Finding, QAReport, Severity, Translation


def timecode(ms: int | None) -> str:
    return "—" if ms is None else format_timecode(ms)


def finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "code": f.code, "severity": f.severity.value, "stage": f.stage, "message": f.message,
        "start_ms": f.start_ms, "end_ms": f.end_ms,
        "start": timecode(f.start_ms), "end": timecode(f.end_ms),
    }


def report_dict(report: QAReport, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    counts = Counter(f.severity.value for f in report.findings)
    return {
        "episode": report.episode, "market": report.market,
        "passed": report.errors == 0,
        "counts": {s.value: counts.get(s.value, 0) for s in Severity},
        **(extra or {}),
        "findings": [finding_dict(f) for f in report.findings],
    }


def write_json(report: QAReport, path: Path, extra: dict[str, Any] | None = None) -> Path:
    return write_text_atomic(path, json.dumps(report_dict(report, extra), ensure_ascii=False, indent=2))


_STYLE = """body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;
vertical-align:top}th{background:#f4f4f4}.error{background:#fde2e2}.warning{background:#fff6d6}
.info{background:#eef6ff}.pass{color:#1a7f37}.fail{color:#b42318}.review{color:#9a6700;font-weight:bold}
.flagged td:first-child{border-left:4px solid #b42318}code{font-size:90%}"""


# What each fact and column is called in the pages people read (JSON keeps the keys).
LABELS: dict[str, str] = {
    "episode": "Episode", "market": "Market", "status": "Status", "passed": "Passed", "errors": "Errors",
    "findings": "Findings", "dub_lufs": "Dub loudness (LUFS)", "qa": "QA report",
    "asr_model": "Speech recogniser", "translation_engine": "Translation engine", "source_dialect": "Dialect",
    "source_lines_by_origin": "Chinese lines by origin", "lines": "Lines", "flagged_lines": "Lines flagged",
    "lines_with_errors": "Lines with an error", "lines_retried": "Lines asked again",
    "lines_shortened": "Lines shortened", "glossary_misses": "Glossary misses",
    "memory_reuse": "Lines from the translation memory", "memory_lines_approved": "Approved lines reused",
    "memory_lines_machine": "Machine lines reused", "glossary_terms": "Glossary terms in the episode",
    "glossary_compliance": "Glossary terms as approved", "picture_removal": "Burned-in line removal",
    "residual_chinese_share": "Burned-in Chinese still readable", "dub_true_peak_dbtp": "Dub true peak (dBTP)",
    "dub_dialogue": "Original dialogue under the dub", "dub_residual_dialogue_db": "Original dialogue left (dB)",
    "dub_lines": "Dubbed lines", "dub_lines_sped_up": "Dub lines sped up",
    "dub_lines_within_speed": "Dub lines within the speed limit", "dub_lines_shortened": "Dub lines shortened",
    "dub_lines_flagged": "Dub lines too fast or cut", "dub_missing_takes": "Recorded takes missing",
    "dub_line_details": "Dub, line by line", "recap_seconds": "Recap seconds reused",
    "recap_lines_reused": "Recap lines reused", "recaps": "Recaps",
}
SHARES = {"glossary_compliance", "residual_chinese_share", "memory_reuse"}  # 0-1, shown as percentages


def label(key: str) -> str:
    return LABELS.get(key, key.replace("_", " ").capitalize())


def shown(key: str, value: Any) -> str:
    """A value as a person reads it: yes/no, a dash for nothing, shares as percentages."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key in SHARES and isinstance(value, int | float):
        return f"{value:.0%}"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {shown(k, v)}" for k, v in value.items())
    if isinstance(value, list):
        return "; ".join(shown(key, v) for v in value)
    return str(value)


def render_html(report: QAReport, extra: dict[str, Any] | None = None,
                images: Mapping[int, str] | None = None, translation: Translation | None = None,
                frames: Mapping[int, str] | None = None) -> str:
    """The report as one HTML page for people: the verdict, the facts in words, the episode's lines
    (the Chinese beside its translation, with each line's findings and, for flagged lines, a frame:
    `frames` maps a line index to an image URL) and every finding. `images` maps a finding's index to
    an image URL (a frame of the flagged cue). Every value is escaped."""
    data = report_dict(report, extra)
    esc = html.escape
    images = images or {}
    frame_head = "<th>Frame</th>" if images else ""
    verdict = ('<p class="pass">Passed: no errors</p>' if data["passed"]
               else f'<p class="fail">Needs review: {data["counts"]["error"]} error(s)</p>')
    facts = "".join(f"<tr><th>{esc(label(str(k)))}</th><td>{esc(shown(str(k), v))}</td></tr>"
                    for k, v in (extra or {}).items() if not _is_table(v))
    tables = "".join(_fact_table(str(k), v) for k, v in (extra or {}).items() if _is_table(v))
    rows = "".join(
        f'<tr class="{esc(f["severity"])}"><td>{esc(f["start"])}</td><td>{esc(f["end"])}</td>'
        f'<td>{esc(f["severity"])}</td><td>{esc(f["stage"])}</td><td><code>{esc(f["code"])}</code></td>'
        f'<td>{esc(f["message"])}</td>{_image_cell(images, i) if images else ""}</tr>'
        for i, f in enumerate(data["findings"])
    ) or '<tr><td colspan="6">No findings.</td></tr>'
    title = f"QA — {esc(report.episode)} — {esc(report.market)}"
    counts = ", ".join(f"{n} {s}" for s, n in data["counts"].items())
    lines = _lines_table(report, translation, frames or {}) if translation else ""
    return (f"<!doctype html><html lang=en><meta charset=utf-8><title>{title}</title>"
            f"<style>{_STYLE}</style><p><a href=\"../season-summary.html\">← season summary</a></p>"
            f"<h1>{title}</h1>{verdict}<p>{esc(counts)}</p><table>{facts}</table>{lines}"
            "<h2>Findings</h2><table><tr><th>Start</th><th>End</th><th>Severity</th><th>Stage</th><th>Code</th>"
            f"<th>Message</th>{frame_head}</tr>{rows}</table>{tables}</html>\n")


def on_line(message: str, start_ms: int | None, end_ms: int | None, index: int, line_start: int,
            line_end: int) -> bool:
    """Whether a finding belongs to line `index`: the line it names ("line 3: ...") or, naming none,
    the line it spans."""
    if message.startswith("line "):
        number = message[5:].partition(":")[0].partition(" ")[0]
        if number.isdigit():
            return int(number) - 1 == index
    if start_ms is None or end_ms is None:
        return False
    return start_ms < line_end and end_ms > line_start


def _line_of(finding: Finding, index: int, start_ms: int, end_ms: int) -> bool:
    return on_line(finding.message, finding.start_ms, finding.end_ms, index, start_ms, end_ms)


def flagged_lines(report: QAReport, translation: Translation) -> list[int]:
    """Indexes of the lines with an error or warning finding, in time order."""
    return [line.index for line in translation.lines
            if any(f.severity in (Severity.ERROR, Severity.WARNING) and _line_of(f, line.index, line.start_ms,
                                                                               line.end_ms) for f in report.findings)]


def _lines_table(report: QAReport, translation: Translation, frames: Mapping[int, str]) -> str:
    esc = html.escape
    rows = []
    for line in translation.lines:
        mine = [f for f in report.findings if _line_of(f, line.index, line.start_ms, line.end_ms)]
        flagged = any(f.severity in (Severity.ERROR, Severity.WARNING) for f in mine)
        said = "".join(f'<div class="{esc(f.severity.value)}">{esc(f.severity.value)} <code>{esc(f.code)}</code> '
                       f"{esc(f.message)}</div>" for f in mine)
        url = frames.get(line.index)
        frame = (f'<img src="{esc(url, quote=True)}" width="68" height="120" alt="frame">' if url else "")
        rows.append((not flagged, line.start_ms,
                     f'<tr class="{"flagged" if flagged else ""}"><td>{line.index + 1}</td>'
                     f"<td>{esc(timecode(line.start_ms))}<br>{frame}</td><td>{esc(line.speaker or '—')}</td>"
                     f"<td>{esc(line.source)}</td><td>{esc(line.target)}</td><td>{said}</td></tr>"))
    body = "".join(row for *_, row in sorted(rows, key=lambda r: (r[0], r[1])))
    return ("<h2>Lines (flagged first)</h2><table><tr><th>Line</th><th>Time</th><th>Speaker</th><th>Chinese</th>"
            f"<th>Translation</th><th>Findings</th></tr>{body}</table>")


def _is_table(value: Any) -> bool:
    """A fact that is a list of rows (dicts), such as the dub's line by line figures."""
    return isinstance(value, list) and bool(value) and all(isinstance(row, dict) for row in value)


def _fact_table(name: str, rows: list[dict[str, Any]]) -> str:
    esc = html.escape
    keys = list(dict.fromkeys(k for row in rows for k in row))
    head = "".join(f"<th>{esc(label(str(k)))}</th>" for k in keys)
    body = "".join("<tr>" + "".join(f"<td>{esc(shown(str(k), row.get(k)))}</td>"
                                     for k in keys) + "</tr>" for row in rows)
    return f"<h2>{esc(label(name))}</h2><table><tr>{head}</tr>{body}</table>"


def _image_cell(images: Mapping[int, str], index: int) -> str:
    url = images.get(index)
    if url is None:
        return "<td></td>"
    return f'<td><img src="{html.escape(url, quote=True)}" width="135" height="240" alt="frame"></td>'


def write_html(report: QAReport, path: Path, extra: dict[str, Any] | None = None,
               translation: Translation | None = None, frames: Mapping[int, str] | None = None) -> Path:
    return write_text_atomic(path, render_html(report, extra, translation=translation, frames=frames))


def render_text(report: QAReport) -> str:
    lines = [f"{report.episode} [{report.market}]: {len(report.findings)} finding(s), {report.errors} error(s)"]
    for f in report.findings:
        lines.append(f"  {timecode(f.start_ms)}  {f.severity.value:<7} {f.code:<22} {f.message}")
    return "\n".join(lines)


def _cell(key: str, value: Any) -> str:
    esc = html.escape
    text = "" if value is None else str(value)
    if key == "qa" and text.endswith(".qa.html"):  # a relative link inside OUT; anything else is shown as text
        return f'<td><a href="{esc(text, quote=True)}">open the report</a></td>'
    if key == "status":
        css = {"passed": "pass", "approved": "pass", "needs review": "review", "failed": "fail"}.get(text, "")
        return f'<td class="{css}">{esc(text)}</td>'
    return f"<td>{esc(shown(key, value))}</td>"


def write_season_summary(rows: Sequence[dict[str, Any]], out_dir: Path,
                         stage_seconds: dict[str, float] | None = None,
                         inconsistent: Sequence[Inconsistency] = ()) -> tuple[Path, Path]:
    """`season-summary.json` and `.html`: one row per episode and market with its verdict, a link to its
    QA report, the lines translated differently in different episodes, and the run's time per stage."""
    stage_seconds = {k: round(v, 1) for k, v in (stage_seconds or {}).items()}
    differing = [{"market": i.market, "source": i.source, "speaker": i.speaker, "message": i.message,
                  "occurrences": [{"episode": o.episode, "line": o.line, "translation": o.target}
                                  for o in i.occurrences]} for i in inconsistent]
    json_path = write_text_atomic(out_dir / "season-summary.json",
                                  json.dumps({"deliveries": list(rows), "inconsistent_translations": differing,
                                              "stage_seconds": stage_seconds}, ensure_ascii=False, indent=2))
    esc = html.escape
    keys = list(rows[0]) if rows else []
    head = "".join(f"<th>{esc(label(k))}</th>" for k in keys)
    body = "".join("<tr>" + "".join(_cell(k, r.get(k)) for k in keys) + "</tr>" for r in rows)
    times = "".join(f"<tr><td>{esc(k)}</td><td>{v:.1f} s</td></tr>" for k, v in stage_seconds.items())
    timing = f"<h2>Time per stage (all episodes and markets)</h2><table>{times}</table>" if times else ""
    same = "".join(f"<tr><td>{esc(i.market)}</td><td>{esc(i.message)}</td></tr>" for i in inconsistent)
    if same:
        timing = (f"<h2>The same line translated differently ({len(inconsistent)})</h2><p>Same Chinese, speaker and "
                  f"line before it, in several episodes: choose one translation and approve it (`localize kit`)."
                  f"</p><table><tr><th>market</th><th>line</th></tr>{same}</table>") + timing
    page = (f"<!doctype html><html lang=en><meta charset=utf-8><title>Season summary</title>"
            f"<style>{_STYLE}</style><h1>Season summary</h1><table><tr>{head}</tr>{body}</table>{timing}</html>\n")
    html_path = write_text_atomic(out_dir / "season-summary.html", page)
    return json_path, html_path
