"""Find where an episode burns in its dialogue subtitles, by what dialogue is.

A few frames spread over the episode are read with OCR. Text that recurs identically
in most of them (a series title, a watermark, a channel logo) is static. The rest is
grouped into horizontal bands by vertical extent, and each band is judged on evidence:

- dialogue is Chinese: a band of digits, a timecode or Latin UI text is not it;
- dialogue changes: a band that shows one text only (a sign in a scene) is not it;
- dialogue stays inside the frame: text that runs off its left or right edge is a ticker;
- dialogue comes and goes with the voice: shown while someone speaks, gone in silence;
- dialogue sits in the usual places: centred, and more often low than high.

The band with the most evidence is taken and the others are reported as ignored, each with
its reason. A person who knows better names the band (`BandSpec`, localize.toml or --band).
"""

from __future__ import annotations

import logging
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from localize import media
from localize.errors import MediaError
from localize.picture.ocr import OcrEngine, TextLine
from localize.translate.scripts import is_han
from localize.types import Box, IgnoredText, MediaInfo, Span, TextBand

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
    min_han_share: at least this share of a band's letters and digits must be Chinese characters.
    edge_share: a band whose text touches the frame's left or right edge in this share of the
        samples showing it is a ticker (dialogue keeps a margin).
    speech_reach_ms: a sample counts as spoken when a voice is heard this close to it.
    """

    samples: int = 10
    detect_scale: float = 0.5
    static_share: float = 0.6
    min_texts: int = 2
    pad_rows: float = 1.0
    min_han_share: float = 0.5
    edge_share: float = 0.5
    speech_reach_ms: int = 400


BAND_FORMAT = ('"TOP-BOTTOM", top above bottom: shares of the frame height such as "0.72-0.88", '
               'or pixel rows such as "1380-1700"')


@dataclass(frozen=True)
class BandSpec:
    """A band a person names: rows `top` to `bottom` as shares of the frame height (0-1), or pixels (> 1)."""

    top: float
    bottom: float

    @classmethod
    def parse(cls, text: str) -> BandSpec:
        """"0.72-0.88" (shares of the frame height) or "1380-1700" (pixel rows); ValueError says what is accepted."""
        try:
            top, bottom = (float(part) for part in text.replace(" ", "").split("-"))
        except ValueError:
            raise ValueError(f"{text!r} is not a band: {BAND_FORMAT}") from None
        if not (0 <= top < bottom and (bottom <= 1 or top >= 1)):
            raise ValueError(f"{text!r} is not a band: {BAND_FORMAT}")
        return cls(top, bottom)

    def box(self, width: int, height: int) -> Box | None:
        """The band in a frame of this size (None when it lies below the frame)."""
        scale = height if self.bottom <= 1 else 1
        top, bottom = max(0, round(self.top * scale)), min(height, round(self.bottom * scale))
        return Box(0, top, width, bottom) if top < bottom else None

    def __str__(self) -> str:
        return f"{self.top:g}-{self.bottom:g}"


def sample_frame_numbers(info: MediaInfo, samples: int) -> list[int]:
    """Frame numbers spread evenly over the episode, half a second clear of both ends."""
    fps = info.fps or 25.0
    frames = max(1, int(info.duration_ms * fps / 1000))
    margin = min(int(fps / 2), frames // 4)
    usable = max(1, frames - 2 * margin)
    return sorted({margin + (usable * (2 * i + 1)) // (2 * samples) for i in range(samples)})


def _normal(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum())


def han_share(text: str) -> float:
    """The share of a text's letters and digits that are Chinese characters (0 for no letters)."""
    letters = _normal(text)
    return sum(is_han(ch) for ch in letters) / len(letters) if letters else 0.0


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


@dataclass(frozen=True)
class Candidate:
    """One band of moving text and the evidence for and against it being the dialogue."""

    y0: int
    y1: int
    texts: tuple[str, ...]  # what each sample shows there ("" when nothing)
    boxes: tuple[Box, ...]  # every line read there
    line_height: int
    han: float  # share of Chinese characters in its text
    at_edge: float  # share of the samples showing text where it touches the left or right edge
    in_step: float | None  # share of samples where "text shown" and "voice heard" agree (None: no speech known)
    centred: float  # 1 when the text's centre is the frame's, 0 at an edge

    @property
    def distinct(self) -> int:
        return len({text for text in self.texts if text})

    @property
    def example(self) -> str:
        return max(self.texts, key=len)

    def ruled_out(self, options: BandOptions) -> str:
        """Why this band is not dialogue ("" if it may be)."""
        if self.han < options.min_han_share:
            return f"not Chinese text ({round(100 * self.han)}% Chinese characters: a timecode, numbers or UI text)"
        if self.at_edge >= options.edge_share:
            return f"runs off the frame's edge in {round(100 * self.at_edge)}% of the samples (a scrolling ticker)"
        if self.distinct < options.min_texts:
            return "shows one text only (a sign or a caption)"
        return ""

    def score(self, height: int) -> float:
        """More different lines, in step with the voice, centred, lower in the frame: more likely dialogue."""
        step = 1.0 if self.in_step is None else 0.25 + self.in_step
        low = 0.75 + 0.25 * (self.y1 / height)
        return self.distinct * step * (0.5 + 0.5 * self.centred) * low

    def evidence(self, samples: int) -> str:
        parts = [f"{self.distinct} different Chinese lines in {samples} sampled frames"]
        if self.in_step is not None:
            parts.append(f"shown with the voice in {round(100 * self.in_step)}% of them")
        return ", ".join(parts)


def _spoken(time_ms: int, speech: Sequence[Span], reach_ms: int) -> bool:
    return any(start - reach_ms <= time_ms < end + reach_ms for start, end in speech)


def _candidate(y0: int, y1: int, moving: Sequence[Sequence[TextLine]], width: int, times: Sequence[int] | None,
               speech: Sequence[Span], options: BandOptions) -> Candidate:
    texts, boxes, touching = [], [], 0
    for lines in moving:
        inside = [line for line in lines if line.box.y0 >= y0 and line.box.y1 <= y1]
        boxes += [line.box for line in inside]
        texts.append("".join(_normal(line.text) for line in inside))
        margin = max(2, width // 100)
        if any(line.box.x0 <= margin or line.box.x1 >= width - margin for line in inside):
            touching += 1
    shown = sum(bool(text) for text in texts)
    in_step = None
    if speech and times is not None:
        agree = [bool(text) == _spoken(time, speech, options.speech_reach_ms) for text, time in zip(texts, times,
                                                                                                   strict=True)]
        in_step = sum(agree) / len(agree)
    centre = statistics.fmean((box.x0 + box.x1) / 2 for box in boxes)
    return Candidate(y0, y1, tuple(texts), tuple(boxes), round(statistics.median(box.height for box in boxes)),
                     han_share("".join(texts)), touching / shown if shown else 0.0, in_step,
                     max(0.0, 1 - abs(centre - width / 2) / (width / 2)))


def choose_band(frames: Sequence[Sequence[TextLine]], width: int, height: int,
                options: BandOptions = BandOptions(), *, times: Sequence[int] | None = None,
                speech: Sequence[Span] = (), named: BandSpec | None = None) -> TextBand | None:
    """The dialogue band of sampled frames, or None when no text looks like dialogue (a clean master).

    `times` are the samples' times (ms) and `speech` the voice activity: with both, a band in step
    with the voice is preferred. `named` is a band a person set: it is taken as given.
    """
    static = find_static(frames, options.static_share)
    moving = [[line for line in lines if not is_static(line, static)] for lines in frames]
    candidates = [_candidate(y0, y1, moving, width, times, speech, options)
                  for y0, y1 in _rows([line for lines in moving for line in lines])]
    ignored = [IgnoredText(box, text, "never changes (a title, a watermark, a logo)") for box, text in static]
    if named is not None:
        box = named.box(width, height)
        if box is None:
            raise MediaError("band", f"the band {named} that was set lies outside the {width}x{height} frame")
        others = [c for c in candidates if c.y1 <= box.y0 or c.y0 >= box.y1]
        ignored += [IgnoredText(Box(0, c.y0, width, c.y1), c.example, "outside the band that was set")
                    for c in others]
        return TextBand(box, width, height, static, f"set by hand ({named})", tuple(ignored))
    usable = [c for c in candidates if not c.ruled_out(options)]
    ignored += [IgnoredText(Box(0, c.y0, width, c.y1), c.example, c.ruled_out(options))
                for c in candidates if c.ruled_out(options)]
    if not usable:
        return None
    best = max(usable, key=lambda c: (c.score(height), c.y1))
    ignored += [IgnoredText(Box(0, c.y0, width, c.y1), c.example,
                            f"less like dialogue than the band taken ({c.evidence(len(frames))})")
                for c in usable if c is not best]
    box = _padded(best, ignored, width, height, options)
    reason = f"{best.evidence(len(frames))}, at {round(100 * (best.y0 + best.y1) / 2 / height)}% of the height"
    log.info("subtitle band y %d-%d: %s; %d other texts ignored", box.y0, box.y1, reason, len(ignored))
    return TextBand(box=box, frame_width=width, frame_height=height, static=static, reason=reason,
                    ignored=tuple(ignored))


def _padded(best: Candidate, ignored: Sequence[IgnoredText], width: int, height: int, options: BandOptions) -> Box:
    """The band with room for a second row above and below, but never over the text ruled out."""
    pad = round(options.pad_rows * best.line_height)
    top, bottom = max(0, best.y0 - pad), min(height, best.y1 + pad)
    for other in ignored:
        if other.box.y1 <= best.y0:
            top = max(top, other.box.y1)
        elif other.box.y0 >= best.y1:
            bottom = min(bottom, other.box.y0)
    return Box(0, top, width, bottom)


def find_band(info: MediaInfo, engine: OcrEngine, options: BandOptions = BandOptions(),
              speech: Sequence[Span] = (), named: BandSpec | None = None) -> TextBand | None:
    """Read sampled frames of the episode and return its dialogue subtitle band (None if there is none)."""
    if not info.width or not info.height:
        return None
    wanted = sample_frame_numbers(info, options.samples)
    fps = info.fps or 25.0
    read = [(number, engine.read(pixels, scale=options.detect_scale))
            for number, pixels in media.video_frames(info.path, info.width, info.height, frame_numbers=wanted)]
    return choose_band([lines for _, lines in read], info.width, info.height, options,
                       times=[round(number * 1000 / fps) for number, _ in read], speech=speech, named=named)
