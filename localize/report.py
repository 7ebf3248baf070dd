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
from localize.types import Finding, QAReport, Severity


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
code{font-size:90%}"""


def render_html(report: QAReport, extra: dict[str, Any] | None = None,
                images: Mapping[int, str] | None = None) -> str:
    """The report as one HTML page; `images` maps a finding's index to an image URL (a frame of
    the flagged cue), shown in an extra column. Every value is escaped."""
    data = report_dict(report, extra)
    esc = html.escape
    images = images or {}
    frame_head = "<th>frame</th>" if images else ""
    verdict = ('<p class="pass">PASS: no errors</p>' if data["passed"]
               else f'<p class="fail">FAIL: {data["counts"]["error"]} error(s)</p>')
    facts = "".join(f"<li>{esc(str(k))}: {esc(str(v))}</li>" for k, v in (extra or {}).items()
                    if not _is_table(v))
    tables = "".join(_fact_table(str(k), v) for k, v in (extra or {}).items() if _is_table(v))
    rows = "".join(
        f'<tr class="{esc(f["severity"])}"><td>{esc(f["start"])}</td><td>{esc(f["end"])}</td>'
        f'<td>{esc(f["severity"])}</td><td>{esc(f["stage"])}</td><td><code>{esc(f["code"])}</code></td>'
        f'<td>{esc(f["message"])}</td>{_image_cell(images, i) if images else ""}</tr>'
        for i, f in enumerate(data["findings"])
    ) or '<tr><td colspan="6">No findings.</td></tr>'
    title = f"QA — {esc(report.episode)} — {esc(report.market)}"
    counts = ", ".join(f"{n} {s}" for s, n in data["counts"].items())
    return (f"<!doctype html><html lang=en><meta charset=utf-8><title>{title}</title>"
            f"<style>{_STYLE}</style><h1>{title}</h1>{verdict}<p>{esc(counts)}</p><ul>{facts}</ul>"
            "<table><tr><th>start</th><th>end</th><th>severity</th><th>stage</th><th>code</th>"
            f"<th>message</th>{frame_head}</tr>{rows}</table>{tables}</html>\n")


def _is_table(value: Any) -> bool:
    """A fact that is a list of rows (dicts), such as the dub's line by line figures."""
    return isinstance(value, list) and bool(value) and all(isinstance(row, dict) for row in value)


def _fact_table(name: str, rows: list[dict[str, Any]]) -> str:
    esc = html.escape
    keys = list(dict.fromkeys(k for row in rows for k in row))
    head = "".join(f"<th>{esc(str(k))}</th>" for k in keys)
    body = "".join("<tr>" + "".join(f"<td>{esc('' if row.get(k) is None else str(row.get(k)))}</td>"
                                     for k in keys) + "</tr>" for row in rows)
    return f"<h2>{esc(name.replace('_', ' '))}</h2><table><tr>{head}</tr>{body}</table>"


def _image_cell(images: Mapping[int, str], index: int) -> str:
    url = images.get(index)
    if url is None:
        return "<td></td>"
    return f'<td><img src="{html.escape(url, quote=True)}" width="135" height="240" alt="frame"></td>'


def write_html(report: QAReport, path: Path, extra: dict[str, Any] | None = None) -> Path:
    return write_text_atomic(path, render_html(report, extra))


def render_text(report: QAReport) -> str:
    lines = [f"{report.episode} [{report.market}]: {len(report.findings)} finding(s), {report.errors} error(s)"]
    for f in report.findings:
        lines.append(f"  {timecode(f.start_ms)}  {f.severity.value:<7} {f.code:<22} {f.message}")
    return "\n".join(lines)


def _cell(key: str, value: Any) -> str:
    esc = html.escape
    text = "" if value is None else str(value)
    if key == "qa" and text.endswith(".qa.html"):  # a relative link inside OUT; anything else is shown as text
        return f'<td><a href="{esc(text, quote=True)}">{esc(text)}</a></td>'
    if key == "status":
        css = {"passed": "pass", "needs review": "review", "failed": "fail"}.get(text, "")
        return f'<td class="{css}">{esc(text)}</td>'
    return f"<td>{esc(text)}</td>"


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
    head = "".join(f"<th>{esc(k)}</th>" for k in keys)
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
