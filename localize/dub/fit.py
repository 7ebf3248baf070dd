"""Fit synthesized lines into the episode's timeline: pure arithmetic in integer milliseconds.

The rule (DESIGN.md section 6), per line, in order:

1. if the speech fits between the line's start and its own end, play it as is;
2. else speed it up, at most `max_speed` (users hate more than ~1.2x);
3. else borrow the silence after the line, up to the next line's start minus `min_gap_ms`;
4. else start up to `lead_ms` (100 ms) before the original line, if the line before has ended;
5. else (the dub stage first asks for a shorter translation, localize.dub.dub) speed it up past
   `max_speed` up to `hard_max_speed`, flagged; what still does not fit is cut, recorded in
   `truncated_ms` for QA (the mixer fades it out).

A dub line never starts more than `lead_ms` before its source line, never before the line before
it has ended plus the gap, and never reaches into the next one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from localize.types import DubPlacement

DEFAULT_MAX_SPEED = 1.2
DEFAULT_MIN_GAP_MS = 80  # two frames at 25 fps: a breath between two speakers


@dataclass(frozen=True)
class Slot:
    """Where one line may speak: from its speech start to its own end, borrowing up to the next start.

    `next_start_ms` is the next line's start, or the episode's end for the last line.
    """

    line_index: int
    start_ms: int
    end_ms: int
    next_start_ms: int


def slots_for(starts_ends: Sequence[tuple[int, int, int]], duration_ms: int) -> tuple[Slot, ...]:
    """Slots from (line_index, start_ms, end_ms) triples: each runs to the next line's start."""
    clamped = []
    for index, start, end in starts_ends:
        start = min(max(0, start), duration_ms)  # times outside the episode are clamped into it
        clamped.append((index, start, min(max(start, end), duration_ms)))
    clamped.sort(key=lambda item: (item[1], item[0]))
    slots = []
    for pos, (index, start, end) in enumerate(clamped):
        following = clamped[pos + 1][1] if pos + 1 < len(clamped) else duration_ms
        slots.append(Slot(index, start, end, following))
    return tuple(slots)


def plan_placements(slots: Sequence[Slot], natural_ms: Sequence[int], max_speed: float = DEFAULT_MAX_SPEED,
                    min_gap_ms: int = DEFAULT_MIN_GAP_MS, *, lead_ms: int = 0,
                    hard_max_speed: float | None = None) -> tuple[DubPlacement, ...]:
    """Place each line's speech (`natural_ms[i]` long, for `slots[i]`) without overlaps.

    Slots are handled in order of start time; a slot's `next_start_ms` is also
    capped by the start of the slot that follows it, so bad input cannot make two
    placements overlap. The result is ordered like the slots after sorting by start.
    """
    if len(slots) != len(natural_ms):
        raise ValueError(f"{len(slots)} slots but {len(natural_ms)} speech lengths")
    if max_speed < 1.0:
        raise ValueError(f"max_speed {max_speed} must be at least 1.0 (speeding up only)")
    hard = max(max_speed, hard_max_speed or max_speed)
    order = sorted(range(len(slots)), key=lambda i: (slots[i].start_ms, i))
    placements: list[DubPlacement] = []
    previous_end = None
    for pos, i in enumerate(order):
        slot = slots[i]
        wall = slot.next_start_ms
        if pos + 1 < len(order):
            wall = min(wall, slots[order[pos + 1]].start_ms)
        earliest = slot.start_ms
        if lead_ms > 0:
            floor = 0 if previous_end is None else previous_end + min_gap_ms
            earliest = min(slot.start_ms, max(slot.start_ms - lead_ms, floor, 0))
        placed = _place(slot, max(0, natural_ms[i]), wall, max_speed, min_gap_ms, earliest, hard)
        placements.append(placed)
        previous_end = placed.end_ms
    return tuple(placements)


def _place(slot: Slot, natural: int, wall: int, max_speed: float, min_gap_ms: int, earliest: int,
           hard_max_speed: float) -> DubPlacement:
    start = slot.start_ms
    limit = max(start, wall - min_gap_ms)  # the furthest this line may reach
    own = max(0, min(slot.end_ms, limit) - start)
    if natural <= own:
        return DubPlacement(slot.line_index, start, start + natural, natural, 1.0)
    if own > 0 and natural / own <= max_speed:
        return DubPlacement(slot.line_index, start, start + own, natural, natural / own)
    fitted = math.ceil(natural / max_speed)  # length after the maximum speed-up
    if fitted <= limit - start:
        return DubPlacement(slot.line_index, start, start + fitted, natural, max_speed,
                            borrowed_ms=max(0, fitted - own))
    room = limit - earliest
    if fitted <= room:  # start a little early: just as early as needed
        begin = limit - fitted
        return DubPlacement(slot.line_index, begin, limit, natural, max_speed, borrowed_ms=max(0, limit - start - own),
                            early_ms=start - begin)
    borrowed = max(0, limit - start - own)
    if room > 0 and natural / room <= hard_max_speed:  # too fast: flagged for QA
        return DubPlacement(slot.line_index, earliest, limit, natural, natural / room, borrowed_ms=borrowed,
                            early_ms=start - earliest)
    speed = hard_max_speed
    fitted = math.ceil(natural / speed)
    return DubPlacement(
        line_index=slot.line_index,
        start_ms=earliest,
        end_ms=earliest + max(0, room),
        natural_ms=natural,
        speed=speed,
        borrowed_ms=borrowed,
        truncated_ms=fitted - max(0, room),
        early_ms=start - earliest,
    )
