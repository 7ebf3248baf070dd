"""Direction marks for right-to-left subtitles (Arabic).

A player lays out each subtitle line as a paragraph. Many (and libass, for the
`Encoding: 1` styles our ASS files carry) give that paragraph a left-to-right base
direction, so neutral characters at the ends of an Arabic line, "!", ".", "...", a
quote, land on the wrong side. A RIGHT-TO-LEFT EMBEDDING (U+202B) at the start of each
line makes the line right-to-left whatever the player's base direction; it is invisible
and takes no cell in the character count (`measure.text_length` skips format characters).
Measured with libass: a leading RLM (U+200F) does not help an LTR paragraph, RLE does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from localize.types import Cue

RLE = "\u202b"  # RIGHT-TO-LEFT EMBEDDING
PDF = "\u202c"  # POP DIRECTIONAL FORMATTING
RLM = "\u200f"  # RIGHT-TO-LEFT MARK
LRM = "\u200e"
DIRECTION_MARKS = frozenset({RLE, PDF, RLM, LRM, "\u202a", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"})


def rtl_line(text: str) -> str:
    """`text` with one RLE in front (any direction marks it had removed first)."""
    return RLE + strip_marks(text)


def mark_rtl(cues: Sequence[Cue]) -> tuple[Cue, ...]:
    """The cues with every line marked right-to-left, for the files of a right-to-left market."""
    return tuple(replace(cue, lines=tuple(rtl_line(line) for line in cue.lines)) for cue in cues)


def strip_marks(text: str) -> str:
    """`text` without bidi control characters (to compare what was written with what was read)."""
    return "".join(ch for ch in text if ch not in DIRECTION_MARKS)
