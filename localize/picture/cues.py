"""Read the burned-in line where it changes: one OCR cue per distinct line, with its frames.

Every frame of the subtitle band is decoded (grey, one ffmpeg pass) and reduced to a
mask of subtitle-like pixels: bright pixels next to dark ones, i.e. outlined or
shadowed text. OCR runs only when that mask changes and has settled for a couple of
frames, so a line costs one read however long it stays, and a 0.5 s line (12 frames
at 25 fps) is still read. Consecutive reads of the same line are merged.
"""

from __future__ import annotations

import difflib
import itertools
import logging
import re
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from localize import media
from localize.picture.band import han_share, is_static
from localize.picture.ocr import OcrEngine, TextLine
from localize.picture.vote import vote
from localize.scoring import edit_distance
from localize.types import Box, MediaInfo, OcrCue, TextBand

log = logging.getLogger("localize")


@dataclass(frozen=True)
class CueOptions:
    """How the band is watched.

    settle_frames: a changed band is read this many frames after the change (past fades).
    change_share: the subtitle mask must differ by this share of its pixels to count as a new line.
    min_text_pixels: fewer subtitle-like pixels than this (on the half-size mask) is an empty band.
    text_share_cap: a line's strokes cover at most about this share of the band.
    detect_scale: the band is reduced by this factor for text detection.
    min_confidence: lines the recogniser scores lower are ignored.
    merge_similarity: consecutive reads at least this similar are one line read twice...
    jitter_share: ...and so are reads at the same place on screen, of about the same length, that differ in
        at most this share of their characters (OCR jitter: a character or two read differently in another frame).
    jitter_gap_frames: reads of one line may be this many frames apart (unread flickers between).
    min_han_share: a read with fewer Chinese characters than this share of its letters is not dialogue.
    """

    settle_frames: int = 2
    change_share: float = 0.25
    min_text_pixels: int = 40
    text_share_cap: float = 0.04
    detect_scale: float = 0.5
    min_confidence: float = 0.6
    merge_similarity: float = 0.7
    jitter_share: float = 0.34
    jitter_gap_frames: int = 6
    min_han_share: float = 0.5


def subtitle_mask(grey: np.ndarray, step: int = 2) -> np.ndarray:
    """Bright pixels within two pixels of a dark one: outlined or shadowed text.

    The mask is taken on every `step`-th pixel (half size by default: enough to see a line change;
    1 for a full-size mask of the strokes, on a frame already reduced to half size).
    """
    small = grey[::step, ::step]
    bright = small >= 190
    dark = small <= 70
    near = dark.copy()
    for dy in (-2, -1, 0, 1, 2):
        for dx in (-2, -1, 0, 1, 2):
            if dy or dx:
                near |= np.roll(dark, (dy, dx), axis=(0, 1))
    return bright & near


def _changed(mask: np.ndarray, ref: np.ndarray, options: CueOptions) -> bool:
    diff = int(np.count_nonzero(mask ^ ref))
    # Relative to the text's own pixels; capped, so a busy background that looks like text
    # everywhere (a checkerboard, leaves) does not hide a new line under its pixel count.
    base = min(int(np.count_nonzero(mask)), int(np.count_nonzero(ref)), int(options.text_share_cap * mask.size))
    return diff > max(options.min_text_pixels, options.change_share * base)


def join_lines(lines: Sequence[TextLine]) -> str:
    """Rows top to bottom; within a row, a wide gap (where a comma was shown as a space) becomes '，'."""
    if not lines:
        return ""
    height = statistics.median(line.box.height for line in lines)
    rows: list[list[TextLine]] = []
    for line in sorted(lines, key=lambda item: (item.box.y0 + item.box.y1) / 2):
        centre = (line.box.y0 + line.box.y1) / 2
        if rows and abs(centre - (rows[-1][0].box.y0 + rows[-1][0].box.y1) / 2) < height / 2:
            rows[-1].append(line)
        else:
            rows.append([line])
    parts = []
    for row in rows:
        row.sort(key=lambda item: item.box.x0)
        text = row[0].text
        for before, after in itertools.pairwise(row):
            text += ("，" if after.box.x0 - before.box.x1 > 0.6 * height else "") + after.text
        parts.append(text)
    # A space between Chinese characters is a pause shown as a space (burned-in lines drop commas).
    return re.sub(r"(?<=[^\x00-\x7f\s\u3000])[\s\u3000]+(?=[^\x00-\x7f\s\u3000])", "，", "".join(parts).strip())


@dataclass
class _Run:
    """Frames [start, end) over which the band's mask stayed the same."""

    start: int
    end: int
    text: str = ""
    confidence: float = 0.0
    box: Box | None = None
    read: bool = False
    reads: tuple[tuple[str, float], ...] = ()  # merged runs: each read and its weight


def _read(engine: OcrEngine, grey: np.ndarray, band: TextBand, options: CueOptions) -> tuple[str, float, Box | None]:
    found = engine.read(grey, scale=options.detect_scale, min_confidence=options.min_confidence)
    if options.detect_scale < 1.0 and _text_missed(grey, found):
        # Small or thin text (a 720p frame, a serif font) can escape detection on the reduced frame: look at full size.
        again = engine.read(grey, scale=1.0, min_confidence=options.min_confidence)
        if sum(len(line.text) for line in again) > sum(len(line.text) for line in found):
            found = again
    lines = [TextLine(Box(b.box.x0, b.box.y0 + band.box.y0, b.box.x1, b.box.y1 + band.box.y0), b.text, b.confidence)
             for b in found]
    # Static text and text that is not Chinese (a timecode or a Latin caption reaching into the band) are not dialogue.
    lines = [line for line in lines if not is_static(line, band.static)
             and han_share(line.text) >= options.min_han_share]
    if not lines:
        return "", 0.0, None
    box = Box(min(line.box.x0 for line in lines), min(line.box.y0 for line in lines),
              max(line.box.x1 for line in lines), max(line.box.y1 for line in lines))
    return join_lines(lines), statistics.fmean(line.confidence for line in lines), box


def _text_missed(grey: np.ndarray, found: Sequence[TextLine]) -> bool:
    """Whether subtitle-like strokes lie outside every detected line, over more than two text heights of width."""
    mask = subtitle_mask(grey)  # half size
    if not found:
        return bool(np.count_nonzero(mask))
    height = statistics.median(line.box.height for line in found)
    covered = np.zeros(mask.shape[1], bool)
    for line in found:
        covered[line.box.x0 // 2:(line.box.x1 + 1) // 2] = True
    rows = slice(min(line.box.y0 for line in found) // 2, (max(line.box.y1 for line in found) + 1) // 2)
    strokes = mask[rows].any(axis=0)
    return int(np.count_nonzero(strokes & ~covered)) * 2 > 2 * height


def watch_band(frames: Iterable[tuple[int, np.ndarray]], band: TextBand, engine: OcrEngine,
               options: CueOptions = CueOptions()) -> list[_Run]:
    """Split the band's frames into runs of an unchanged line and read each run once."""
    runs: list[_Run] = []
    ref: np.ndarray | None = None
    for number, grey in frames:
        mask = subtitle_mask(grey)
        if ref is None or _changed(mask, ref, options):
            runs.append(_Run(start=number, end=number + 1))
            ref = mask
            continue
        run = runs[-1]
        run.end = number + 1
        if not run.read and number - run.start >= options.settle_frames:
            run.read = True
            ref = mask  # compare later frames with the settled line, not a fading one
            if np.count_nonzero(mask) >= options.min_text_pixels:
                run.text, run.confidence, run.box = _read(engine, grey, band, options)
    return runs


def _same(a: str, b: str, threshold: float) -> bool:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= threshold


def _same_place(a: Box, b: Box) -> bool:
    """Two reads sit where one line would: rows level within half a line, columns mostly shared."""
    height = max(1, min(a.height, b.height))
    overlap = min(a.x1, b.x1) - max(a.x0, b.x0)
    return abs((a.y0 + a.y1) - (b.y0 + b.y1)) / 2 < height / 2 and overlap >= 0.5 * min(a.width, b.width)


def _one_line(last: _Run, run: _Run, options: CueOptions) -> bool:
    """Whether `run` shows the same line as `last`: read again right after, or jitter at the same place."""
    if last.end >= run.start - 1 and _same(last.text, run.text, options.merge_similarity):
        return True
    return (run.start - last.end <= options.jitter_gap_frames and last.box is not None and run.box is not None
            and _same_place(last.box, run.box) and _jitter(last.text, run.text, options.jitter_share))


def _jitter(a: str, b: str, share: float) -> bool:
    """Two reads of one line: lengths within one character, at most `share` of the characters different."""
    return abs(len(a) - len(b)) <= 1 and edit_distance(a, b) <= max(1, int(share * max(len(a), len(b))))


def _weighted(run: _Run) -> tuple[tuple[str, float], ...]:
    return run.reads or ((run.text, (run.end - run.start) * run.confidence),)


def runs_to_cues(runs: Sequence[_Run], fps: float, options: CueOptions = CueOptions()) -> tuple[OcrCue, ...]:
    """Merge runs showing the same line into cues, the text voted per character; empty runs are gaps."""
    merged: list[_Run] = []
    for run in runs:
        if not run.text or run.box is None:
            continue
        last = merged[-1] if merged else None
        if last and _one_line(last, run, options):
            reads = (*_weighted(last), *_weighted(run))
            merged[-1] = _Run(last.start, run.end, vote(reads), max(last.confidence, run.confidence),
                              _union(last.box, run.box), True, reads)
        else:
            merged.append(run)
    return tuple(OcrCue(start_ms=round(r.start * 1000 / fps), end_ms=round(r.end * 1000 / fps), text=r.text,
                        box=r.box, confidence=round(r.confidence, 4), first_frame=r.start, last_frame=r.end - 1,
                        reads=tuple((text, round(weight, 2)) for text, weight in r.reads))
                 for r in merged if r.box is not None)


def _union(a: Box | None, b: Box | None) -> Box | None:
    if a is None or b is None:
        return a or b
    return Box(min(a.x0, b.x0), min(a.y0, b.y0), max(a.x1, b.x1), max(a.y1, b.y1))


def read_cues(info: MediaInfo, band: TextBand, engine: OcrEngine, options: CueOptions = CueOptions(),
              on_progress: Callable[[int, int], None] | None = None,
              skip: Sequence[tuple[int, int]] = (), spill: media.Spill | None = None) -> tuple[OcrCue, ...]:
    """Every distinct burned-in line of the episode, with the frames it is on screen (frames inside a
    `skip` span, in ms, are not read).

    `spill`: the same decode also keeps every frame at the spill's size (the picture stage that removes
    the lines reads it instead of decoding the episode again)."""
    if not info.width or not info.height:
        return ()
    fps = info.fps or 25.0
    total = max(1, int(info.duration_ms * fps / 1000))
    box = band.box
    opening = max((end for start, end in skip if start <= 0), default=0)  # a recap that opens the episode
    first = 0 if spill else int(opening * fps / 1000)  # its frames are not even decoded, unless kept
    frames = media.video_frames(info.path, info.width, info.height, crop=(box.x0, box.y0, box.x1, box.y1), gray=True,
                                start_frame=first, fps=fps, spill=spill)

    def reporting() -> Iterable[tuple[int, np.ndarray]]:
        for number, grey in frames:
            if on_progress and number % 25 == 0:
                on_progress(number, total)
            at = number * 1000 / fps
            if not any(a <= at < b for a, b in skip):
                yield number, grey

    cues = runs_to_cues(watch_band(reporting(), band, engine, options), fps, options)
    log.info("%s: %d burned-in lines read", info.path.name, len(cues))
    return cues
