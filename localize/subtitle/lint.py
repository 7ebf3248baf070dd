"""QA checks of subtitle cues against a market's rules (DESIGN.md section 6).

Each problem becomes a `Finding` a reviewer can act on without opening a tool:
it says which cue (number and time, as a player shows them), what is wrong and
what the limit is, e.g. "cue 12 at 00:01:02.345: line 2 has 47 characters (max 42)".
Severity follows the delivery specs: what a platform rejects is an error (too many
characters or lines, overlaps, cues over 7 s, empty cues); what only reads badly is a
warning (fast reading speed, short cues, cramped gaps).
"""

from __future__ import annotations

from collections.abc import Sequence

from localize.markets import SubtitleRules
from localize.subtitle.frames import FrameClock
from localize.subtitle.measure import check_rules, format_count, text_length
from localize.timecode import format_timecode
from localize.types import Cue, Finding, Severity

STAGE = "subtitle"
# Every code this module finds: severity (what a platform rejects is an error) and meaning.
CODES: dict[str, tuple[Severity, str]] = {
    "empty-cue": (Severity.ERROR, "a cue with no text"),
    "too-many-lines": (Severity.ERROR, "more lines than the market allows"),
    "line-too-long": (Severity.ERROR, "a line longer than the market allows"),
    "duration-not-positive": (Severity.ERROR, "a cue that ends before or as it starts"),
    "duration-too-short": (Severity.WARNING, "shown too briefly to read"),
    "duration-too-long": (Severity.ERROR, "shown longer than the market allows"),
    "cps-too-high": (Severity.WARNING, "more characters a second than the market's reading speed"),
    "overlap": (Severity.ERROR, "a cue that starts before the previous one ends"),
    "gap-too-small": (Severity.WARNING, "too few frames between two cues"),
}


def _seconds(ms: int) -> str:
    return f"{ms / 1000:.3f} s"


# (code, message) of one problem with one cue, before it is placed in a Finding.
_Problem = tuple[str, str]


def check_cues(cues: Sequence[Cue], rules: SubtitleRules, fps: float, *, language: str) -> list[Finding]:
    """Findings for `cues` (in time order), numbered as the cues appear in a written file."""
    check_rules(rules)
    clock = FrameClock.from_fps(fps)
    ordered = sorted(cues, key=lambda c: (c.start_ms, c.end_ms))
    findings: list[Finding] = []
    latest: Cue | None = None  # the cue that ends last so far: what a later cue may overlap
    for number, cue in enumerate(ordered, 1):
        problems = _check_text(cue, rules, language) + _check_duration(cue, rules, language)
        if latest is not None:
            problems += _check_gap(latest, cue, rules, clock)
        where = f"cue {number} at {format_timecode(cue.start_ms)}"
        findings.extend(Finding(code=code, severity=CODES[code][0], message=f"{where}: {message}",
                                start_ms=cue.start_ms, end_ms=cue.end_ms, stage=STAGE)
                        for code, message in problems)
        if latest is None or cue.end_ms >= latest.end_ms:
            latest = cue
    return findings


def _check_text(cue: Cue, rules: SubtitleRules, language: str) -> list[_Problem]:
    if not any(line.strip() for line in cue.lines):
        return [("empty-cue", "has no text")]
    problems: list[_Problem] = []
    if len(cue.lines) > rules.max_lines:
        problems.append(("too-many-lines",
                         f"has {len(cue.lines)} lines (max {rules.max_lines})"))
    for n, line in enumerate(cue.lines, 1):
        length = text_length(line, language)
        if length > rules.max_chars_per_line:
            problems.append(("line-too-long",
                             f"line {n} has {format_count(length)} characters "
                             f"(max {rules.max_chars_per_line}): {line!r}"))
    return problems


def _check_duration(cue: Cue, rules: SubtitleRules, language: str) -> list[_Problem]:
    duration = cue.duration_ms
    if duration <= 0:
        when = "before" if duration < 0 else "as"
        return [("duration-not-positive",
                 f"ends at {format_timecode(cue.end_ms)}, {when} it starts")]
    problems: list[_Problem] = []
    if duration < rules.min_duration_ms:
        problems.append(("duration-too-short",
                         f"is shown for {_seconds(duration)} (min {_seconds(rules.min_duration_ms)})"))
    elif duration > rules.max_duration_ms:
        problems.append(("duration-too-long",
                         f"is shown for {_seconds(duration)} (max {_seconds(rules.max_duration_ms)})"))
    characters = sum(text_length(line, language) for line in cue.lines)
    cps = characters / (duration / 1000)
    if cps > rules.max_cps + 1e-9:
        problems.append(("cps-too-high",
                         f"reads at {cps:.1f} characters per second (max {format_count(rules.max_cps)}): "
                         f"{format_count(characters)} characters in {_seconds(duration)}"))
    return problems


def _check_gap(previous: Cue, cue: Cue, rules: SubtitleRules, clock: FrameClock) -> list[_Problem]:
    gap = cue.start_ms - previous.end_ms
    if gap < 0:
        return [("overlap",
                 f"starts {-gap} ms before the previous cue ends (at {format_timecode(previous.end_ms)})")]
    needed = clock.span_ms(rules.min_gap_frames)
    if gap < needed:
        frames = float(gap / clock.frame_ms)
        return [("gap-too-small",
                 f"starts {gap} ms ({frames:.1f} frames) after the previous cue "
                 f"(min {rules.min_gap_frames} frames, {needed} ms)")]
    return []
