"""One way to write times for people: HH:MM:SS.mmm."""

from __future__ import annotations


def format_timecode(ms: int) -> str:
    """63_345 -> "00:01:03.345" (negative times keep their sign)."""
    sign = "-" if ms < 0 else ""
    ms = abs(int(ms))
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{sign}{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"
