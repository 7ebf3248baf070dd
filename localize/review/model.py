"""What the review pages show, read from a season's OUT: the grid of deliveries and one delivery's lines.

Everything here is read from files the run wrote (season-summary.json, <market>/<episode>.qa.json,
.work/<episode>/lines-<market>.json, source/<episode>.transcript.json) and the reviewers' decisions
(localize.decisions); nothing is computed again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from localize.decisions import Decision, Decisions
from localize.paths import SeasonPaths
from localize.report import on_line

ORIGINS = {"script": "studio script", "ocr": "burned-in subtitle", "asr": "speech", "fused": "speech + picture"}


@dataclass(frozen=True)
class Cell:
    """One episode x market on the season page."""

    episode: str
    market: str
    status: str  # passed, needs review, failed, approved, sent back, not run
    errors: int | None
    findings: int | None
    glossary_compliance: float | None
    dub_too_fast: int | None
    residual_chinese: float | None
    decision: Decision | None
    error: str = ""  # why it failed
    release: str = ""  # "released", or "held: <first reason>" (OUT/release/<market>.json), "" before a gate ran


@dataclass(frozen=True)
class Season:
    episodes: tuple[str, ...]
    markets: tuple[str, ...]
    cells: dict[tuple[str, str], Cell]

    def count(self, status: str) -> int:
        return sum(1 for c in self.cells.values() if c.status == status)


@dataclass(frozen=True)
class LineFinding:
    severity: str
    code: str
    message: str


@dataclass(frozen=True)
class LineView:
    index: int
    start_ms: int
    end_ms: int
    source: str
    origin: str  # where the Chinese came from, in words
    target: str
    speaker: str
    findings: tuple[LineFinding, ...]
    dub_speed: float | None
    replays: str = ""  # a recap's line: which episode it replays ("ep01 at 38.5 s"); edited there, it follows

    @property
    def cps(self) -> float:
        """Characters per second the viewer must read."""
        seconds = max(self.end_ms - self.start_ms, 1) / 1000
        return round(len(self.target.replace("\n", "")) / seconds, 1)

    @property
    def flagged(self) -> bool:
        """Worth a reviewer's look here: a recap's line is looked at once, in the episode it replays."""
        return not self.replays and any(f.severity in ("error", "warning") for f in self.findings)


@dataclass(frozen=True)
class Delivery:
    episode: str
    market: str
    lines: tuple[LineView, ...]  # flagged first, then in time order
    other_findings: tuple[LineFinding, ...]  # findings of the whole episode (loudness, band...)
    facts: dict[str, Any]
    decision: Decision | None
    files: dict[str, str]  # kind (preview, vtt, srt, dub, qa) -> path relative to OUT, where it exists


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def season(out: Path) -> Season:
    paths = SeasonPaths(out)
    summary = _read_json(paths.summary_json) or {}
    rows = [r for r in summary.get("deliveries", []) if isinstance(r, dict)]
    decisions = Decisions(out).all()
    episodes = sorted({str(r.get("episode")) for r in rows} | set(paths.episodes()) | {e for e, _ in decisions})
    markets = sorted({str(r.get("market")) for r in rows} | {m for _, m in decisions})
    cells: dict[tuple[str, str], Cell] = {}
    by_pair = {(str(r.get("episode")), str(r.get("market"))): r for r in rows}
    gate = _release(out, markets)
    for episode in episodes:
        for market in markets:
            cells[(episode, market)] = replace(_cell(out, episode, market, by_pair.get((episode, market)),
                                                     decisions.get((episode, market))),
                                               release=gate.get((episode, market), ""))
    return Season(tuple(episodes), tuple(markets), cells)


def _release(out: Path, markets: list[str]) -> dict[tuple[str, str], str]:
    """(episode, market) -> the release gate's word on it, from the manifests the last run wrote."""
    found = {}
    for market in markets:
        manifest = _read_json(out / "release" / f"{market}.json") or {}
        for row in manifest.get("released", []):
            found[(str(row.get("episode")), market)] = "released"
        for row in manifest.get("held", []):
            reasons = row.get("reasons") or ["held"]
            found[(str(row.get("episode")), market)] = f"held: {reasons[0]}"
    return found


def _cell(out: Path, episode: str, market: str, row: dict[str, Any] | None, decision: Decision | None) -> Cell:
    qa = _read_json(SeasonPaths(out).episode(episode).market(market).qa_json) or {}
    status = str(row.get("status", "not run")) if row else "not run"
    if decision is not None and status != "failed":
        status = decision.decision
    error = str(row.get("qa", "")) if row and status == "failed" else ""
    return Cell(episode, market, status, qa.get("counts", {}).get("error") if qa else None,
                len(qa.get("findings", [])) if qa else None, qa.get("glossary_compliance"),
                qa.get("dub_lines_flagged"), qa.get("residual_chinese_share"), decision, error)


def delivery(out: Path, episode: str, market: str) -> Delivery | None:
    """One delivery's lines and findings, or None when the run has not written its translation."""
    paths = SeasonPaths(out).episode(episode)
    lines_file = _read_json(paths.lines(market))
    if not isinstance(lines_file, dict):
        return None
    qa = _read_json(paths.market(market).qa_json) or {}
    transcript = _read_json(paths.transcript) or {}
    segments = transcript.get("segments", [])
    speeds = {int(row["line"]) - 1: float(row["speed"]) for row in qa.get("dub_line_details", [])
              if isinstance(row, dict) and "line" in row and "speed" in row}
    findings = [f for f in qa.get("findings", []) if isinstance(f, dict)]
    lines, used = [], set()
    for line in lines_file.get("lines", []):
        index = int(line["index"])
        mine = [i for i, f in enumerate(findings) if _on_line(f, line)]
        used.update(mine)
        segment = segments[index] if index < len(segments) else {}
        origin = str(segment.get("source", ""))
        recap = next((str(f.get("message", "")) for f in segment.get("flags", []) if f.get("code") == "recap"), "")
        lines.append(LineView(index, int(line["start_ms"]), int(line["end_ms"]), str(line["source"]),
                              ORIGINS.get(origin, origin), str(line["target"]), str(line.get("speaker") or ""),
                              tuple(_finding(findings[i]) for i in mine), speeds.get(index),
                              recap.rpartition(": ")[2] if recap else ""))
    lines.sort(key=lambda v: (not v.flagged, v.start_ms))
    rest = tuple(_finding(f) for i, f in enumerate(findings) if i not in used)
    market_paths = paths.market(market)
    files = {kind: path.relative_to(out).as_posix() for kind, path in (
        ("preview", market_paths.preview), ("vtt", market_paths.subtitle("vtt")),
        ("srt", market_paths.subtitle("srt")), ("dub", market_paths.dub), ("qa", market_paths.qa_html))
        if path.is_file()}
    facts = {k: v for k, v in qa.items() if not isinstance(v, list | dict)}
    return Delivery(episode, market, tuple(lines), rest, facts, Decisions(out).get(episode, market), files)


def _on_line(finding: dict[str, Any], line: dict[str, Any]) -> bool:
    start, end = finding.get("start_ms"), finding.get("end_ms")
    return on_line(str(finding.get("message", "")), None if start is None else int(start),
                   None if end is None else int(end), int(line["index"]), int(line["start_ms"]), int(line["end_ms"]))


def _finding(f: dict[str, Any]) -> LineFinding:
    return LineFinding(str(f.get("severity", "")), str(f.get("code", "")), str(f.get("message", "")))
