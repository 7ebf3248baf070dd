"""Dub fitting arithmetic (localize.dub.fit) and the QA findings built from its placements."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from localize.dub.dub import dub_findings, timecode
from localize.dub.fit import Slot, plan_placements, slots_for
from localize.markets import get_market
from localize.types import DubPlacement, DubTrack, Severity

GAP = 80


def test_fits_untouched_when_short_enough() -> None:
    (p,) = plan_placements([Slot(0, 1000, 3000, 5000)], [1500], min_gap_ms=GAP)
    assert (p.start_ms, p.end_ms, p.speed, p.borrowed_ms, p.truncated_ms) == (1000, 2500, 1.0, 0, 0)


def test_speeds_up_within_limit_before_borrowing() -> None:
    (p,) = plan_placements([Slot(0, 1000, 3000, 5000)], [2200], min_gap_ms=GAP)
    assert p.end_ms == 3000 and p.borrowed_ms == 0 and p.truncated_ms == 0
    assert p.speed == pytest.approx(1.1)


def test_borrows_silence_after_max_speed() -> None:
    (p,) = plan_placements([Slot(0, 1000, 3000, 5000)], [3000], min_gap_ms=GAP)
    assert p.speed == 1.2
    assert p.end_ms == 1000 + 2500 and p.borrowed_ms == 500 and p.truncated_ms == 0


def test_truncates_at_next_line_minus_gap() -> None:
    p, q = plan_placements([Slot(0, 0, 1000, 1500), Slot(1, 1500, 2500, 4000)], [3600, 500], min_gap_ms=GAP)
    assert p.speed == 1.2 and p.end_ms == 1500 - GAP
    assert p.borrowed_ms == 1500 - GAP - 1000
    assert p.truncated_ms == 3000 - (1500 - GAP)
    assert q.start_ms == 1500 and q.end_ms == 2000


def test_bad_input_rejected() -> None:
    with pytest.raises(ValueError):
        plan_placements([Slot(0, 0, 1000, 2000)], [100, 200])
    with pytest.raises(ValueError):
        plan_placements([Slot(0, 0, 1000, 2000)], [100], max_speed=0.9)


def test_slots_run_to_next_start_and_clamp_into_episode() -> None:
    slots = slots_for([(1, 5000, 6000), (0, -100, 2000), (2, 9000, 12000)], duration_ms=10000)
    assert [s.line_index for s in slots] == [0, 1, 2]
    assert slots[0] == Slot(0, 0, 2000, 5000)
    assert slots[1].next_start_ms == 9000
    assert slots[2] == Slot(2, 9000, 10000, 10000)


@st.composite
def timelines(draw: st.DrawFn) -> tuple[int, list[tuple[int, int, int]], list[int]]:
    duration = draw(st.integers(min_value=0, max_value=120_000))
    count = draw(st.integers(min_value=0, max_value=12))
    lines = []
    for index in range(count):
        start = draw(st.integers(min_value=-500, max_value=duration + 500))
        end = start + draw(st.integers(min_value=-200, max_value=8000))
        lines.append((index, start, end))
    natural = draw(st.lists(st.integers(min_value=0, max_value=15_000), min_size=count, max_size=count))
    return duration, lines, natural


@settings(max_examples=300, deadline=None)
@given(timelines(), st.floats(min_value=1.0, max_value=2.0), st.integers(min_value=0, max_value=300))
def test_placement_properties(timeline: tuple[int, list[tuple[int, int, int]], list[int]],
                              max_speed: float, gap: int) -> None:
    duration, lines, natural = timeline
    slots = slots_for(lines, duration)
    placements = plan_placements(slots, [natural[s.line_index] for s in slots], max_speed, gap)
    by_index = {s.line_index: s for s in slots}
    assert len(placements) == len(slots)
    for p in placements:
        slot = by_index[p.line_index]
        assert 0 <= slot.start_ms <= p.start_ms  # never before the line, never before the episode
        assert p.start_ms == slot.start_ms  # in fact always on the line's first frame
        assert p.start_ms <= p.end_ms <= duration  # inside the episode
        assert 1.0 <= p.speed <= max_speed + 1e-9
        assert p.borrowed_ms >= 0 and p.truncated_ms >= 0
        assert p.end_ms <= max(p.start_ms, slot.next_start_ms - gap)
        # nothing lost or invented: what plays plus what was cut is the sped-up speech
        assert abs((p.end_ms - p.start_ms) + p.truncated_ms - natural[p.line_index] / p.speed) <= 1
        if p.speed < max_speed - 1e-9:
            assert p.borrowed_ms == 0 and p.truncated_ms == 0
    for first, second in itertools.pairwise(placements):
        assert first.end_ms <= second.start_ms  # never overlap the next line


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 50_000), st.integers(-1000, 50_000), st.integers(-1000, 60_000),
                          st.integers(0, 20_000)), max_size=10))
def test_no_overlap_even_for_inconsistent_slots(raw: list[tuple[int, int, int, int]]) -> None:
    slots = [Slot(i, start, start + length, nxt) for i, (start, length, nxt, _) in enumerate(raw)]
    placements = plan_placements(slots, [n for *_, n in raw], 1.2, GAP)
    ordered = sorted(placements, key=lambda p: p.start_ms)
    for first, second in itertools.pairwise(ordered):
        assert first.end_ms <= second.start_ms
    for p in placements:
        assert p.start_ms == slots[p.line_index].start_ms and p.end_ms >= p.start_ms


def _track(*placements: DubPlacement, lufs: float = -16.0, peak: float = -1.5) -> DubTrack:
    return DubTrack(Path("dub.m4a"), placements, lufs, peak)


def test_findings_for_borrowed_and_truncated_lines() -> None:
    market = get_market("es-419")
    track = _track(
        DubPlacement(0, 0, 1000, 900, 1.0),
        DubPlacement(1, 61_500, 64_000, 3000, 1.2, borrowed_ms=300),
        DubPlacement(2, 70_000, 71_000, 2000, 1.2, borrowed_ms=100, truncated_ms=667),
    )
    findings = dub_findings(track, market)
    assert [(f.code, f.severity) for f in findings] == [
        ("dub-borrowed", Severity.WARNING), ("dub-truncated", Severity.ERROR)]
    assert all(f.stage == "dub" for f in findings)
    assert findings[0].start_ms == 61_500 and "00:01:01.500" in findings[0].message
    assert "667 ms" in findings[1].message


def test_findings_for_loudness_and_true_peak() -> None:
    market = get_market("en-US")
    assert dub_findings(_track(lufs=-16.9, peak=-1.0), market) == []
    codes = {f.code: f.severity for f in dub_findings(_track(lufs=-18.2, peak=-0.3), market)}
    assert codes == {"dub-loudness": Severity.WARNING, "dub-true-peak": Severity.ERROR}
    assert "dub-loudness" in {f.code for f in dub_findings(_track(lufs=-math.inf), market)}


def test_timecode() -> None:
    assert timecode(3_723_045) == "01:02:03.045"
    assert timecode(-5) == "00:00:00.000"


def test_starts_early_at_most_lead_then_speeds_past_limit_then_cuts() -> None:
    # the line before ends at 900; line 1 owns 1000-2000 and must stop at 2500 - GAP
    slots = [Slot(0, 0, 900, 1000), Slot(1, 1000, 2000, 2500)]
    _, p = plan_placements(slots, [900, 1720], min_gap_ms=GAP, lead_ms=100)
    assert p.speed == 1.2 and p.end_ms == 2500 - GAP and p.early_ms == p.start_ms * -1 + 1000 > 0
    assert p.early_ms <= 100 and p.start_ms >= 900 + GAP and p.truncated_ms == 0
    _, q = plan_placements(slots, [900, 2000], min_gap_ms=GAP, lead_ms=100, hard_max_speed=1.5)
    assert 1.2 < q.speed <= 1.5 and q.truncated_ms == 0 and q.start_ms == 1000 - q.early_ms
    _, r = plan_placements(slots, [900, 5000], min_gap_ms=GAP, lead_ms=100, hard_max_speed=1.5)
    assert r.speed == 1.5 and r.truncated_ms > 0


@settings(max_examples=300, deadline=None)
@given(timelines(), st.integers(min_value=0, max_value=300), st.floats(min_value=1.2, max_value=2.0))
def test_lead_and_hard_speed_properties(timeline: tuple[int, list[tuple[int, int, int]], list[int]],
                                        lead: int, hard: float) -> None:
    duration, lines, natural = timeline
    slots = slots_for(lines, duration)
    placements = plan_placements(slots, [natural[s.line_index] for s in slots], 1.2, GAP, lead_ms=lead,
                                 hard_max_speed=hard)
    by_index = {s.line_index: s for s in slots}
    for p in placements:
        slot = by_index[p.line_index]
        assert 0 <= slot.start_ms - p.start_ms == p.early_ms <= lead  # never more than `lead` early
        assert 0 <= p.start_ms <= p.end_ms <= duration and 1.0 <= p.speed <= hard + 1e-9
        if p.early_ms:  # only lines that did not fit at 1.2x with the silence after them start early
            assert p.speed >= 1.2 - 1e-9
        assert abs((p.end_ms - p.start_ms) + p.truncated_ms - natural[p.line_index] / p.speed) <= 1
    for first, second in itertools.pairwise(placements):
        assert first.end_ms <= second.start_ms  # never overlap, early starts included
