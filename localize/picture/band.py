"""Find where an episode burns in its dialogue subtitles: the band of the frame whose text changes.

A few frames spread over the episode are read with OCR. Text that recurs identically
in most of them (a series title, a watermark, a channel logo) is static, not dialogue.
The remaining text lines are grouped into horizontal bands by their vertical extent;
the dialogue band is the one that shows the most different texts.
"""

from __future__ import annotations

import logging
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from localize import media
from localize.picture.ocr import OcrEngine, TextLine
from localize.types import Box, MediaInfo, TextBand

log = logging.getLogger("localize")


@dataclass(frozen=True)
class BandOptions:
    """How the subtitle band is searched for.

    samples: frames read, spread evenly over the episode (each costs ~0.3 s on 2 cores).
    detect_scale: frames are reduced by this factor for text detection (recognition reads full size).
    static_share: text seen identically, at the same place, in at least this share of samples is static.
    min_texts: a band must show at least this many different texts to be dialogue.
    pad_rows: the band reaches this many text heights above and below the lines seen
        (a sampled one-row line must leave room for two-row lines).
    """

    samples: int = 8
    detect_scale: float = 0.5
    static_share: float = 0.6
    min_texts: int = 2
    pad_rows: float = 1.0


def sample_frame_numbers(info: MediaInfo, samples: int) -> list[int]:
    """Frame numbers spread evenly over the episode, half a second clear of both ends."""
    fps = info.fps or 25.0
    frames = max(1, int(info.duration_ms * fps / 1000))
    margin = min(int(fps / 2), frames // 4)
    usable = max(1, frames - 2 * margin)
    return sorted({margin + (usable * (2 * i + 1)) // (2 * samples) for i in range(samples)})


def _normal(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum())


def _place(box: Box, grid: int = 24) -> tuple[int, int]:
    return (box.x0 + box.x1) // 2 // grid, (box.y0 + box.y1) // 2 // grid


def is_static(line: TextLine, static: Sequence[tuple[Box, str]]) -> bool:
    """Whether a line read in a frame is one of the band's static texts (same place, same text)."""
    return any(_place(line.box) == _place(box) and _normal(line.text) == _normal(text) for box, text in static)


def find_static(frames: Sequence[Sequence[TextLine]], share: float) -> tuple[tuple[Box, str], ...]:
    """Text that sits unchanged at the same place in at least `share` of the frames (and in 3 or more)."""
    seen: Counter[tuple[tuple[int, int], str]] = Counter()
    example: dict[tuple[tuple[int, int], str], TextLine] = {}
    for lines in frames:
        for key in {(_place(line.box), _normal(line.text)) for line in lines if _normal(line.text)}:
            seen[key] += 1
        for line in lines:
            example.setdefault((_place(line.box), _normal(line.text)), line)
    needed = max(3, share * len(frames))
    return tuple((example[key].box, example[key].text) for key, count in seen.items() if count >= needed)


def _rows(lines: Sequence[TextLine]) -> list[tuple[int, int]]:
    """Vertical spans covered by text, lines less than ~half a line height apart merged."""
    spans = sorted((line.box.y0, line.box.y1) for line in lines)
    if not spans:
        return []
    gap = 0.6 * statistics.median(y1 - y0 for y0, y1 in spans)
    merged = [spans[0]]
    for y0, y1 in spans[1:]:
        if y0 <= merged[-1][1] + gap:
            merged[-1] = (merged[-1][0], max(merged[-1][1], y1))
        else:
            merged.append((y0, y1))
    return merged


def choose_band(frames: Sequence[Sequence[TextLine]], width: int, height: int,
                options: BandOptions = BandOptions()) -> TextBand | None:
    """The band whose text changes most between frames, or None when no text changes (a clean master)."""
    static = find_static(frames, options.static_share)
    moving = [[line for line in lines if not is_static(line, static)] for lines in frames]
    best: tuple[int, int, int, int] | None = None  # (texts, y1, y0, line height)
    for y0, y1 in _rows([line for lines in moving for line in lines]):
        texts = set()
        heights = []
        for lines in moving:
            inside = [line for line in lines if line.box.y0 >= y0 and line.box.y1 <= y1]
            heights += [line.box.height for line in inside]
            joined = "".join(_normal(line.text) for line in inside)
            if joined:
                texts.add(joined)
        if len(texts) >= options.min_texts and (best is None or (len(texts), y1) > best[:2]):
            best = (len(texts), y1, y0, round(statistics.median(heights)))
    if best is None:
        return None
    found, y1, y0, line_height = best
    pad = round(options.pad_rows * line_height)
    box = Box(0, max(0, y0 - pad), width, min(height, y1 + pad))
    log.info("subtitle band y %d-%d (%d different lines in the samples, %d static texts ignored)",
             box.y0, box.y1, found, len(static))
    return TextBand(box=box, frame_width=width, frame_height=height, static=static)


def find_band(info: MediaInfo, engine: OcrEngine, options: BandOptions = BandOptions()) -> TextBand | None:
    """Read sampled frames of the episode and return its dialogue subtitle band (None if there is none)."""
    if not info.width or not info.height:
        return None
    wanted = sample_frame_numbers(info, options.samples)
    frames = [engine.read(pixels, scale=options.detect_scale)
              for _, pixels in media.video_frames(info.path, info.width, info.height, frame_numbers=wanted)]
    return choose_band(frames, info.width, info.height, options)
