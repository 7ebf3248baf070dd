"""Frame arithmetic in integer milliseconds, exact for NTSC rates (23.976, 29.97...).

Why a class: a frame at 29.97 fps lasts 33.366... ms, so frame boundaries are not
whole milliseconds. Every conversion goes through one convention, kept exact with
`Fraction`, so that snapping a time that is already on a frame is a no-op and
`apply_timing` is idempotent:

* frame `f` starts at `ms(f) = floor(f * 1000 / fps)`;
* a cue starting at `t` ms is first seen on `frame_at_or_before(t)`, the last frame
  starting at or before `t` (so a cue never starts after the speech it carries);
* a cue ending at `t` ms is last seen on the frame before `frame_at_or_after(t)`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from localize.subtitle.errors import InvalidSettingError

_NTSC_BASES = (24, 30, 48, 60, 120)


def frame_rate(fps: float) -> Fraction:
    """The exact rate behind a float fps: 29.97 means 30000/1001, not 2997/100."""
    if not isinstance(fps, int | float | Fraction) or not math.isfinite(fps) or not 1 <= fps <= 1000:
        raise InvalidSettingError("frame rate", fps, "a number of frames per second from 1 to 1000")
    for base in _NTSC_BASES:
        ntsc = Fraction(base * 1000, 1001)
        if abs(fps - ntsc) < 0.005:
            return ntsc
    return Fraction(fps).limit_denominator(1001)


@dataclass(frozen=True)
class FrameClock:
    """Converts between integer milliseconds and frame numbers at one frame rate."""

    rate: Fraction  # frames per second

    @classmethod
    def from_fps(cls, fps: float) -> FrameClock:
        return cls(frame_rate(fps))

    @property
    def frame_ms(self) -> Fraction:
        return 1000 / self.rate

    def ms(self, frame: int) -> int:
        """Start of `frame` in whole milliseconds."""
        return math.floor(frame * self.frame_ms)

    def frame_at_or_before(self, ms: int) -> int:
        """The last frame whose start is at or before `ms` (largest f with ms(f) <= ms)."""
        return math.ceil((ms + 1) * self.rate / 1000) - 1

    def frame_at_or_after(self, ms: int) -> int:
        """The first frame whose start is at or after `ms` (smallest f with ms(f) >= ms)."""
        return math.ceil(ms * self.rate / 1000)

    def frames_at_least(self, ms: int) -> int:
        """Fewest whole frames that last at least `ms` whatever frame they start on."""
        return math.ceil(ms * self.rate / 1000)

    def frames_at_most(self, ms: int) -> int:
        """Most whole frames that last at most `ms` whatever frame they start on."""
        return math.floor(ms * self.rate / 1000)

    def span_ms(self, frames: int) -> int:
        """The shortest a span of `frames` frames can measure in whole milliseconds."""
        return math.floor(frames * self.frame_ms)
