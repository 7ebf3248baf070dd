"""Timing rules: snap cues to frames, enforce durations, gaps and chaining (DESIGN.md section 6).

All arithmetic is in whole frames (`FrameClock`), converted back to integer
milliseconds at the end, so "2 frames apart" holds exactly at 23.976 or 29.97 fps.

Rules, in the order they give way to each other:

1. hard: cues are sorted, never overlap, are at least `min_gap_frames` apart, last at
   most `max_duration_ms`, and stay inside the media when its duration is known;
2. a cue starts on the frame where its speech starts (later only when the previous
   cue starts on the same frame, which is overlapping speech);
3. gaps of `chain_gap_frames` or fewer close to exactly `min_gap_frames` ("chaining"),
   so the text does not flicker off and on between lines; closing a gap may stretch a
   cue at most `end_pad_frames` past its speech, or past its minimum duration (never
   binding with the default rules, where the pad is as long as the chaining threshold);
4. a cue shorter than `min_duration_ms` is extended into the following gap, as far as
   rule 1 allows, even beyond `end_pad_frames` (readability beats lingering);
5. otherwise a cue ends on the frame where its speech ends.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

from localize.markets import SubtitleRules
from localize.subtitle.errors import InvalidSettingError
from localize.subtitle.frames import FrameClock
from localize.subtitle.measure import check_rules
from localize.types import Cue

log = logging.getLogger("localize")


@dataclass(frozen=True)
class _Limits:
    """The rules expressed in frames at one frame rate."""

    gap: int
    chain: int
    pad: int
    min_frames: int
    max_frames: int
    last_frame: int | None  # no cue may end after the start of this frame


def apply_timing(cues: Sequence[Cue], rules: SubtitleRules, fps: float,
                 media_duration_ms: int | None = None) -> tuple[Cue, ...]:
    """Cues re-timed to the rules, sorted by start; pure and idempotent.

    Cues that would start at or after the end of the media are dropped (with a
    warning in the log): they cannot be shown.
    """
    check_rules(rules)
    clock = FrameClock.from_fps(fps)
    limits = _limits(rules, clock, media_duration_ms)
    # Stable: pieces of one line that start at the same instant (a line too short for its text) keep
    # their reading order; the timed pieces then start in that order, so a second pass keeps it.
    ordered = sorted(cues, key=lambda c: (c.start_ms, c.end_ms, c.line_index))
    starts = _starts(ordered, clock, limits)
    kept = [(cue, start) for cue, start in zip(ordered, starts, strict=True)
            if limits.last_frame is None or start < limits.last_frame]
    if len(kept) < len(ordered):
        log.warning("%d cue(s) start after the end of the media (%s ms) and were dropped",
                    len(ordered) - len(kept), media_duration_ms)
    timed: list[Cue] = []
    for k, (cue, start) in enumerate(kept):
        next_start = kept[k + 1][1] if k + 1 < len(kept) else None
        end = _end(start, clock.frame_at_or_after(cue.end_ms), next_start, limits)
        timed.append(replace(cue, start_ms=clock.ms(start), end_ms=clock.ms(end)))
    return tuple(timed)


def _limits(rules: SubtitleRules, clock: FrameClock, media_duration_ms: int | None) -> _Limits:
    max_frames = clock.frames_at_most(rules.max_duration_ms)
    if max_frames < 1:
        raise InvalidSettingError("max_duration_ms", rules.max_duration_ms,
                                  f"at least one frame ({float(clock.frame_ms):.1f} ms)")
    last = None
    if media_duration_ms is not None:
        last = clock.frame_at_or_before(media_duration_ms)
    return _Limits(gap=rules.min_gap_frames, chain=rules.chain_gap_frames, pad=rules.end_pad_frames,
                   min_frames=clock.frames_at_least(rules.min_duration_ms),
                   max_frames=max_frames, last_frame=last)


def _starts(ordered: Sequence[Cue], clock: FrameClock, limits: _Limits) -> list[int]:
    """First frame of each cue: its speech's first frame, pushed only to leave room for the previous cue."""
    starts: list[int] = []
    for cue in ordered:
        start = max(0, clock.frame_at_or_before(cue.start_ms))
        if starts:
            start = max(start, starts[-1] + 1 + limits.gap)
        starts.append(start)
    return starts


def _end(start: int, speech_end: int, next_start: int | None, limits: _Limits) -> int:
    """End frame (exclusive) of one cue, given where the next one starts."""
    longest = start + limits.max_frames
    end = max(speech_end, start + 1, start + limits.min_frames)
    if next_start is not None and next_start - end <= limits.chain:
        chained = next_start - limits.gap  # close the gap (or open one that is too small)
        if chained <= end + limits.pad:  # stretch at most the pad past speech (or past min duration)
            end = chained
    end = min(end, longest)
    if next_start is not None:
        end = min(end, next_start - limits.gap)
    if limits.last_frame is not None:
        end = min(end, limits.last_frame)
    return max(end, start + 1)
