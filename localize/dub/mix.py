"""Lay fitted dub lines over the ducked original and export: the only module importing pydub.

Inputs are WAV files (dub.py decodes and resamples with ffmpeg through
localize.media first), so pydub reads them without calling ffmpeg; it calls
ffmpeg only to encode the AAC `.m4a` (format "ipod", see DESIGN.md section 5).
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from localize import media
from localize.dub.wav import Audio, write_wav
from localize.errors import MissingDependencyError, UserError
from localize.types import DubPlacement

log = logging.getLogger("localize")


@dataclass(frozen=True)
class MixOptions:
    """How the dub sits in the original sound."""

    sample_rate: int = 48000
    channels: int = 2
    duck_db: float = -12.0  # original audio level while a dub line plays
    duck_fade_ms: int = 80  # ramp into and out of the duck, around each line
    duck_merge_ms: int = 300  # lines closer than this share one duck (no pumping in between)
    line_level_dbfs: float = -20.0  # each dub line's average level before the final loudness pass
    cut_fade_ms: int = 15  # fade-out where a line is truncated, so the cut does not click
    aac_bitrate: str = "128k"


@dataclass(frozen=True)
class PlacedClip:
    """A fitted (already sped-up) line and where it plays."""

    placement: DubPlacement
    path: Path  # WAV at MixOptions.sample_rate


def _pydub() -> Any:
    try:
        import pydub
    except ImportError as exc:
        raise MissingDependencyError("pydub", "install it with: pip install pydub") from exc
    return pydub


def duck_intervals(placements: Sequence[DubPlacement], duration_ms: int,
                   options: MixOptions) -> list[tuple[int, int]]:
    """Spans of the original to turn down: each line plus its fades, merged when close together."""
    spans = sorted(
        (max(0, p.start_ms - options.duck_fade_ms), min(duration_ms, p.end_ms + options.duck_fade_ms))
        for p in placements if p.end_ms > p.start_ms
    )
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1] + options.duck_merge_ms:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _fit_length(segment: Any, duration_ms: int, options: MixOptions) -> Any:
    pydub = _pydub()
    segment = segment.set_frame_rate(options.sample_rate).set_channels(options.channels).set_sample_width(2)
    if len(segment) >= duration_ms:
        return segment[:duration_ms]
    pad = pydub.AudioSegment.silent(duration_ms - len(segment), frame_rate=options.sample_rate)
    return segment + pad.set_channels(options.channels)


def _ducked(original: Any, spans: Sequence[tuple[int, int]], options: MixOptions) -> Any:
    """The original with each span turned down by duck_db, ramping in and out over duck_fade_ms."""
    pieces = []
    cursor = 0
    for start, end in spans:
        pieces.append(original[cursor:start])
        span = original[start:end]
        fade = min(options.duck_fade_ms, len(span) // 2)
        if fade > 0:
            span = span.fade(to_gain=options.duck_db, start=0, duration=fade)
            span = span.fade(to_gain=-options.duck_db, start=len(span) - fade, duration=fade)
        else:
            span = span.apply_gain(options.duck_db)
        pieces.append(span)
        cursor = end
    pieces.append(original[cursor:])
    return _pydub().AudioSegment(data=b"".join(piece.raw_data for piece in pieces), sample_width=2,
                                 frame_rate=options.sample_rate, channels=options.channels)


def _line(path: Path, placement: DubPlacement, options: MixOptions) -> Any:
    pydub = _pydub()
    clip = pydub.AudioSegment.from_wav(str(path)).set_frame_rate(options.sample_rate)
    clip = clip.set_channels(options.channels).set_sample_width(2)
    if clip.dBFS != float("-inf"):
        clip = clip.apply_gain(options.line_level_dbfs - clip.dBFS)
    room = placement.end_ms - placement.start_ms
    if len(clip) > room:
        clip = clip[:room].fade_out(min(options.cut_fade_ms, room))
    return clip


def mix_dub(original_wav: Path, clips: Sequence[PlacedClip], duration_ms: int,
            options: MixOptions | None = None) -> Audio:
    """Overlay the lines on a silent track the episode's length, over the ducked original."""
    options = options or MixOptions()
    pydub = _pydub()
    original = _fit_length(pydub.AudioSegment.from_wav(str(original_wav)), duration_ms, options)
    track = _fit_length(pydub.AudioSegment.silent(duration_ms, frame_rate=options.sample_rate),
                        duration_ms, options)
    for clip in clips:
        if clip.placement.end_ms <= clip.placement.start_ms:
            continue
        track = track.overlay(_line(clip.path, clip.placement, options), position=clip.placement.start_ms)
    spans = duck_intervals([c.placement for c in clips], duration_ms, options)
    mixed = _ducked(original, spans, options).overlay(track)
    samples = np.frombuffer(mixed.raw_data, dtype="<i2").astype(np.float32) / 32768.0
    return Audio(samples.reshape(-1, options.channels), options.sample_rate)


def export_audio(audio: Audio, out: Path, options: MixOptions | None = None) -> Path:
    """Write `.wav` (16-bit PCM) or `.m4a` (AAC in MP4, encoded by localize.media), atomically."""
    options = options or MixOptions()
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix == ".wav":
        return write_wav(audio, out)
    if suffix not in (".m4a", ".mp4", ".aac"):
        raise UserError(f"cannot export dub audio as {out.name!r}; use .wav or .m4a")  # a name a user chose
    with tempfile.TemporaryDirectory(prefix="localize-dub-") as work:
        wav = write_wav(audio, Path(work) / "mix.wav")
        log.debug("encoding %s (AAC %s)", out, options.aac_bitrate)
        return media.encode_aac(wav, out, options.aac_bitrate)  # every ffmpeg call goes through localize.media
