"""QA lint for any subtitle file a reviewer is handed: `localize qa FILE`.

Reads the file (strictly, or leniently: malformed cues become findings with their line
numbers), then checks its cues against a market's rules (`subtitle.lint.check_cues`: reading
speed, characters per line by the market's width rules, lines, durations, gaps of 2 frames,
overlaps, empty cues), Chinese left untranslated (`translate.checks.chinese_left`), glossary
terms left in Chinese and forbidden words (`Glossary.verify`, with each cue as both source and
target: a file holds no separate source), and, for ASS, text placed outside the 9:16 safe area.
With a video, each flagged cue gets a 9:16 thumbnail with the subtitles burned in.
"""

from __future__ import annotations

import base64
import csv
import io
import logging
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from localize.markets import Market
from localize.qa import build_report
from localize.report import finding_dict
from localize.subtitle.formats import SubtitleRead, ass_placements, read_subtitles, write_subtitles
from localize.subtitle.layout import VerticalLayout
from localize.subtitle.lint import check_cues
from localize.subtitle.placement import outside_safe_area
from localize.subtitle.platforms import DEFAULT_PLATFORM
from localize.timecode import format_timecode
from localize.translate.checks import chinese_left
from localize.translate.glossary import Glossary
from localize.types import Cue, Finding, QAReport, Severity

log = logging.getLogger("localize")

STAGE = "subtitle"
THUMBNAIL_SIZE = (270, 480)  # 9:16, a quarter of 1080x1920 each way
MAX_THUMBNAILS = 50  # one ffmpeg run each: enough to review, bounded on long files


@dataclass(frozen=True)
class LintOptions:
    """What `lint_file` checks against.

    `fps` sets the 2-frame gap rule (a video's own rate wins when `video` is given);
    `glossary` adds term and forbidden-word checks; `lenient` reads past malformed cues;
    `video` renders a thumbnail of each flagged cue; `platform` is the safe-area preset ASS text must
    stay inside (`subtitle.platforms`, default micro-drama).
    """

    market: Market
    fps: float = 25.0
    glossary: Glossary | None = None
    lenient: bool = False
    video: Path | None = None
    platform: str = DEFAULT_PLATFORM


@dataclass(frozen=True)
class Thumbnail:
    start_ms: int
    png: bytes


@dataclass(frozen=True)
class LintResult:
    report: QAReport
    read: SubtitleRead
    thumbnails: tuple[Thumbnail, ...] = ()

    def thumbnail_at(self, start_ms: int | None) -> Thumbnail | None:
        return next((t for t in self.thumbnails if t.start_ms == start_ms), None)


def lint_file(path: Path | str, options: LintOptions) -> LintResult:
    """Findings for one subtitle file; raises `SubtitleFileError` when it cannot be read at all."""
    path = Path(path)
    read = read_subtitles(path, lenient=options.lenient)
    fps = options.fps
    if options.video is not None:
        from localize.media import probe

        fps = probe(options.video).fps or fps
    market = options.market
    findings = [*_read_findings(read), *check_cues(read.cues, market.rules, fps, language=market.language)]
    findings += _text_findings(read.cues, market, options.glossary)
    if read.format in ("ass", "ssa"):
        findings += _placement_findings(path, options.platform)
    report = build_report(path.name, market.code, findings)
    thumbnails = _thumbnails(path, read, report, options.video) if options.video is not None else ()
    return LintResult(report, read, thumbnails)


# Codes a subtitle file's check adds to the subtitle rules' (localize.subtitle.lint.CODES).
CODES: dict[str, tuple[Severity, str]] = {
    "malformed-cue": (Severity.WARNING, "a cue the file's reader could not read (skipped)"),
    "chinese-left": (Severity.ERROR, "Chinese characters left in a cue of another language"),
    "glossary-untranslated": (Severity.ERROR, "a glossary term left in Chinese"),
    "glossary-forbidden": (Severity.ERROR, "a word the market forbids"),
    "outside-safe-area": (Severity.ERROR, "text outside the platform's safe area"),
}


def _where(number: int, cue: Cue) -> str:
    return f"cue {number} at {format_timecode(cue.start_ms)}"


def _finding(code: str, message: str, cue: Cue | None = None) -> Finding:
    return Finding(code=code, severity=CODES[code][0], message=message, stage=STAGE,
                   start_ms=cue.start_ms if cue else None, end_ms=cue.end_ms if cue else None)


def _read_findings(read: SubtitleRead) -> list[Finding]:
    return [_finding("malformed-cue",
                     f"line {p.line_no}: {p.problem} (skipped)" if p.line_no else f"{p.problem} (skipped)")
            for p in read.problems]


def _ordered(cues: Sequence[Cue]) -> list[Cue]:
    return sorted(cues, key=lambda c: (c.start_ms, c.end_ms))  # numbered as `check_cues` numbers them


def _text_findings(cues: Sequence[Cue], market: Market, glossary: Glossary | None) -> list[Finding]:
    findings: list[Finding] = []
    for number, cue in enumerate(_ordered(cues), 1):
        text = " ".join(cue.lines)
        flag = chinese_left(text, market.language)
        if flag is not None and market.language != "zh":
            findings.append(_finding(flag.code, f"{_where(number, cue)}: {flag.message}", cue))
        if glossary is not None:
            for miss in glossary.verify(number - 1, text, text):
                code = "glossary-forbidden" if miss.kind == "forbidden" else "glossary-untranslated"
                message = miss.message if miss.kind == "forbidden" else \
                    f"glossary term {miss.source_term} left in Chinese; should be rendered {miss.expected!r}"
                findings.append(_finding(code, f"{_where(number, cue)}: {message}", cue))
    return findings


def _placement_findings(path: Path, platform: str) -> list[Finding]:
    findings: list[Finding] = []
    for placement in ass_placements(path):
        where = outside_safe_area(placement, platform)
        if where:
            cue = Cue(placement.start_ms, placement.end_ms, placement.lines)
            text = " / ".join(placement.lines)
            findings.append(_finding("outside-safe-area",
                                     f"event at {format_timecode(placement.start_ms)}: text {where} of the "
                                     f"{platform} safe area: {text!r}", cue))
    return findings


def _thumbnails(path: Path, read: SubtitleRead, report: QAReport, video: Path) -> tuple[Thumbnail, ...]:
    """A PNG of each flagged cue's middle frame with the subtitles burned in."""
    from localize.media import subtitle_thumbnail

    flagged = sorted({(f.start_ms, f.end_ms or f.start_ms) for f in report.findings if f.start_ms is not None})
    if len(flagged) > MAX_THUMBNAILS:
        log.warning("%d flagged cues; thumbnails for the first %d", len(flagged), MAX_THUMBNAILS)
    shots: list[Thumbnail] = []
    with tempfile.TemporaryDirectory(prefix="localize-qa-") as tmp:
        ass = path if read.format in ("ass", "ssa") else write_subtitles(read.cues, Path(tmp) / "cues.ass", "ass",
                                                                         layout=VerticalLayout())
        for start, end in flagged[:MAX_THUMBNAILS]:
            png = subtitle_thumbnail(ass, Path(tmp) / f"{start}.png", (start + max(start, end)) // 2, video=video,
                                     width=THUMBNAIL_SIZE[0], height=THUMBNAIL_SIZE[1])
            shots.append(Thumbnail(start, png.read_bytes()))
    return tuple(shots)


def render_csv(report: QAReport) -> str:
    """One row per finding (the JSON report's fields), UTF-8 text for spreadsheets."""
    fields = ["start", "end", "severity", "code", "stage", "message", "start_ms", "end_ms"]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for finding in report.findings:
        writer.writerow(finding_dict(finding))
    return out.getvalue()


def thumbnail_uris(result: LintResult) -> dict[int, str]:
    """Finding index -> `data:` URI of its cue's thumbnail, so the HTML report is one file."""
    uris: dict[int, str] = {}
    for index, finding in enumerate(result.report.findings):
        shot = result.thumbnail_at(finding.start_ms)
        if shot is not None:
            uris[index] = "data:image/png;base64," + base64.b64encode(shot.png).decode("ascii")
    return uris
