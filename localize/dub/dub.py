"""Dub one episode for one market: voice each line, fit it, mix it over the original, set loudness.

    dub_episode(translation, original_audio, market, out_m4a, work_dir, duration_ms=...)
        -> DubTrack(path, placements, integrated_lufs, true_peak_dbtp)
    dub_findings(track, market) -> list[Finding]     # for the QA report
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from localize import media
from localize.dub import loudness
from localize.dub.fit import DEFAULT_MIN_GAP_MS, plan_placements, slots_for
from localize.dub.mix import MixOptions, PlacedClip, export_audio, mix_dub
from localize.dub.voices import Voice, voice_for
from localize.dub.wav import pcm16_format, read_wav, resample, trim_silence, write_wav
from localize.errors import LocalizeError
from localize.markets import Market
from localize.timecode import format_timecode
from localize.types import DubPlacement, DubTrack, Finding, Line, Severity, Translation

log = logging.getLogger("localize")

_SPEED_EPSILON = 1e-3  # speed-ups smaller than this are not worth an ffmpeg pass
_LOUDNESS_TOLERANCE_LU = 1.0
_ENCODE_ATTEMPTS = 3
# Translation flags (localize.translate.checks codes) that make a line unreadable for a voice.
UNSPEAKABLE_FLAGS = frozenset({"chinese-left", "wrong-script", "copied-source", "garbled", "empty", "repetition"})


@dataclass(frozen=True)
class DubOptions:
    """Knobs of the dub stage; the market gives the speed limit and loudness target."""

    min_gap_ms: int = DEFAULT_MIN_GAP_MS  # silence kept before the next line
    trim_db: float = -45.0  # TTS padding quieter than this is cut before fitting
    mix: MixOptions = field(default_factory=MixOptions)
    write_wav: bool = True  # also deliver `<out>.wav` beside the .m4a


def dub_episode(translation: Translation, original_audio: Path, market: Market, out_m4a: Path,
                work_dir: Path, *, duration_ms: int, voice: Voice | None = None,
                options: DubOptions | None = None) -> DubTrack:
    """Synthesize, fit, mix and loudness-normalize the dub of one episode into `out_m4a`.

    Lines with an empty target are not voiced, but their start still bounds the
    line before (its original speech stays audible, so no dub is laid over it).
    `work_dir` keeps the per-line WAVs (useful when a reviewer asks why a line
    sounds rushed). Returns the placements and the loudness measured on the
    encoded file itself.
    """
    if duration_ms <= 0:
        raise LocalizeError(f"episode duration must be positive, got {duration_ms} ms")
    options = options or DubOptions()
    voice = voice or voice_for(market)
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    rate = options.mix.sample_rate

    spoken = [line for line in translation.lines if line.target.strip() and not _unspeakable(line)]
    skipped = tuple(line.index for line in translation.lines if line.target.strip() and _unspeakable(line))
    natural = {line.index: _speak(voice, line, work_dir, options) for line in spoken}
    slots = slots_for([(line.index, line.start_ms, line.end_ms) for line in translation.lines], duration_ms)
    slots = tuple(slot for slot in slots if slot.line_index in natural)
    placements = plan_placements(slots, [natural[slot.line_index] for slot in slots],
                                 max_speed=market.max_dub_speed, min_gap_ms=options.min_gap_ms)
    clips = [PlacedClip(p, _fitted_clip(p, work_dir, rate)) for p in placements if p.end_ms > p.start_ms]

    original = Path(original_audio)
    if pcm16_format(original) != (rate, options.mix.channels):  # the flow already hands over a 48 kHz WAV
        original = media.extract_audio(original, work_dir / "original.wav", sample_rate=rate,
                                       channels=options.mix.channels)
    mixed = mix_dub(original, clips, duration_ms, options.mix)
    target = loudness.target_for(market)
    for _attempt in range(_ENCODE_ATTEMPTS):
        normalized, _ = loudness.normalize(mixed, target)
        export_audio(normalized, Path(out_m4a), options.mix)
        check = media.extract_audio(out_m4a, work_dir / "final-check.wav", sample_rate=rate,
                                    channels=options.mix.channels)
        final = loudness.measure(read_wav(check))
        excess = final.true_peak_dbtp - market.true_peak_dbtp
        if excess <= 0:
            break
        # AAC encoding raised the peaks past the limit: leave more room and encode again.
        target = replace(target, codec_margin_db=target.codec_margin_db + excess + 0.2)
    if options.write_wav:
        export_audio(normalized, Path(out_m4a).with_suffix(".wav"), options.mix)
    log.info("dub %s %s: %d lines, %.2f LUFS, %.2f dBTP", translation.market, Path(out_m4a).name,
             len(placements), final.integrated_lufs, final.true_peak_dbtp)
    return DubTrack(path=Path(out_m4a), placements=placements, integrated_lufs=final.integrated_lufs,
                    true_peak_dbtp=final.true_peak_dbtp, skipped=skipped)


def _unspeakable(line: Line) -> bool:
    """A translation the voice cannot read (Chinese left in, wrong script...): leave the original audible."""
    return any(flag.code in UNSPEAKABLE_FLAGS for flag in line.flags)


def _line_path(work_dir: Path, index: int, kind: str) -> Path:
    return work_dir / f"line-{index:04d}.{kind}.wav"


def _speak(voice: Voice, line: Line, work_dir: Path, options: DubOptions) -> int:
    """Synthesize one line, trim the engine's padding, and return the speech length in ms."""
    raw = voice.synthesize(line.target, _line_path(work_dir, line.index, "tts"), line.speaker)
    speech = trim_silence(read_wav(raw), threshold_db=options.trim_db)
    write_wav(speech, _line_path(work_dir, line.index, "speech"))
    return speech.duration_ms


def _fitted_clip(placement: DubPlacement, work_dir: Path, sample_rate: int) -> Path:
    """Speed the line up if the plan says so (ffmpeg atempo), at the mix's sample rate."""
    source = _line_path(work_dir, placement.line_index, "speech")
    fitted = _line_path(work_dir, placement.line_index, "fit")
    if placement.speed > 1.0 + _SPEED_EPSILON:
        return media.change_tempo(source, fitted, placement.speed, sample_rate)
    return write_wav(resample(read_wav(source), sample_rate), fitted)


def timecode(ms: int) -> str:
    """HH:MM:SS.mmm, the way reviewers read times (never negative here)."""
    return format_timecode(max(0, ms))


def dub_findings(track: DubTrack, market: Market) -> list[Finding]:
    """QA findings: lines that did not fit at the market's max speed, and loudness off target."""
    findings = [f for p in track.placements if (f := _placement_finding(p, market)) is not None]
    findings.extend(
        Finding(code="dub-skipped", severity=Severity.WARNING, stage="dub",
                message=f"line {index + 1} not voiced: its translation is unusable (see the translate findings)")
        for index in track.skipped
    )
    findings.extend(_loudness_findings(track, market))
    return findings


def _placement_finding(p: DubPlacement, market: Market) -> Finding | None:
    span = f"{timecode(p.start_ms)}-{timecode(p.end_ms)}"
    if p.truncated_ms > 0:
        return Finding(
            code="dub-truncated", severity=Severity.ERROR, start_ms=p.start_ms, end_ms=p.end_ms, stage="dub",
            message=(f"line {p.line_index + 1} at {span}: {p.truncated_ms} ms of speech cut even at "
                     f"{p.speed:.2f}x and {p.borrowed_ms} ms borrowed; shorten the translation"),
        )
    if p.borrowed_ms > 0:
        return Finding(
            code="dub-borrowed", severity=Severity.WARNING, start_ms=p.start_ms, end_ms=p.end_ms, stage="dub",
            message=(f"line {p.line_index + 1} at {span}: too long at {market.max_dub_speed:.2f}x, runs "
                     f"{p.borrowed_ms} ms past the original line; a shorter translation would fit"),
        )
    return None


def _loudness_findings(track: DubTrack, market: Market) -> Sequence[Finding]:
    findings = []
    off = track.integrated_lufs - market.loudness_lufs
    if not math.isfinite(off) or abs(off) > _LOUDNESS_TOLERANCE_LU:
        findings.append(Finding(
            code="dub-loudness", severity=Severity.WARNING, stage="dub",
            message=(f"dub measures {track.integrated_lufs:.1f} LUFS; {market.code} expects "
                     f"{market.loudness_lufs:.1f} ± {_LOUDNESS_TOLERANCE_LU:.0f} LU"),
        ))
    if track.true_peak_dbtp > market.true_peak_dbtp:
        findings.append(Finding(
            code="dub-true-peak", severity=Severity.ERROR, stage="dub",
            message=(f"dub true peak {track.true_peak_dbtp:.2f} dBTP exceeds the "
                     f"{market.true_peak_dbtp:.1f} dBTP limit of {market.code}"),
        ))
    return findings
