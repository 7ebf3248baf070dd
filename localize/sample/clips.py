"""An evaluation episode from real speech clips: the clips in a row, their reference text burned in.

This is how `bench/source_eval.py` and the tests measure the fused transcript on real
voices: the picture is drawn and the text burned in exactly as for the sample season
(localize.sample.video), one display line at a time, each timed over the part of its clip
its share of characters takes. `burn=False` renders the same episode as a clean master.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from localize import media
from localize.dub.wav import mono, read_wav, write_wav
from localize.sample import video
from localize.sample.furniture import LOOKS, STYLES, Look, ass_events, extra_styles, letterbox
from localize.types import Segment

GAP_MS = 800  # silence between clips
MAX_DISPLAY = 2 * video.MAX_CHARS_PER_LINE  # two rows
_BREAK = re.compile(r"(?<=[，。！？；：、,.!?;:])")


@dataclass(frozen=True)
class ClipEpisode:
    video: Path
    lines: tuple[Segment, ...]  # the burned-in display lines with their times
    references: tuple[str, ...]  # each clip's whole reference text, in order
    duration_ms: int


def display_pieces(text: str, limit: int = MAX_DISPLAY) -> list[str]:
    """Split a transcript into burned-in lines: at punctuation, then into pieces of at most `limit`."""
    pieces = []
    for part in _BREAK.split(re.sub(r"\[S\d\]", "", text)):
        part = part.strip()
        while len(part) > limit:
            cut = len(part) // ((len(part) + limit - 1) // limit)  # even pieces, no 1-character tail
            pieces.append(part[:cut])
            part = part[cut:]
        if part:
            pieces.append(part)
    return pieces


def _timed(pieces: Sequence[str], start_ms: int, end_ms: int) -> list[Segment]:
    weights = [max(1, sum(ch.isalnum() for ch in p)) for p in pieces]
    total, span = sum(weights), end_ms - start_ms
    segments, done = [], 0
    for piece, weight in zip(pieces, weights, strict=True):
        begin = start_ms + span * done // total
        done += weight
        segments.append(Segment(begin, start_ms + span * done // total, piece))
    return segments


def build_clip_episode(clips: Sequence[tuple[Path, str]], dst: Path, work: Path, *, burn: bool = True,
                       episode: int = 1, look: Look = LOOKS["plain"]) -> ClipEpisode:
    """Concatenate (audio, reference) clips with short gaps into an episode at `dst`.

    `look` sets the frame size, the dialogue's style and the screen furniture around it
    (localize.sample.furniture); the default is the sample season's 1080x1920 picture.
    """
    work.mkdir(parents=True, exist_ok=True)
    rate = 16000
    parts: list[np.ndarray] = []
    lines: list[Segment] = []
    offset = GAP_MS
    for index, (audio, reference) in enumerate(clips):
        wav = media.extract_audio(audio, work / f"clip{index:02d}.wav", sample_rate=rate)
        samples = read_wav(wav).samples[:, 0]  # extracted as mono
        length_ms = len(samples) * 1000 // rate
        parts += [np.zeros(rate * GAP_MS // 1000, np.float32), samples.astype(np.float32)]
        lines += _timed(display_pieces(reference), offset, offset + length_ms)
        offset += length_ms + GAP_MS
    parts.append(np.zeros(rate * GAP_MS // 1000, np.float32))
    track = write_wav(mono(np.concatenate(parts), rate), work / "dialogue.wav")
    duration_ms = offset
    shown = lines if burn else []
    background = video.write_background(work / "scene.ppm", episode, look.size)
    if look.letterbox:
        letterbox(background)
    style = STYLES[look.style]
    ass = work / "lines.ass"
    ass.write_text(video.ass_script(shown, episode, "评测", duration_ms, line_style=style.ass_style(),
                                    line_y=style.centre_y, extra_styles=extra_styles(),
                                    extra_events=ass_events(look, duration_ms)), encoding="utf-8")
    media.render_still(background, track, ass, dst, duration_ms=duration_ms, fps=video.FPS,
                       fonts_dir=video.check_font().parent)
    return ClipEpisode(dst, tuple(lines), tuple(text for _, text in clips), duration_ms)
