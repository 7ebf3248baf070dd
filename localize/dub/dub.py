"""Dub one episode for one market: voice each line, fit it, mix it over the music and effects, set loudness.

    dub_episode(translation, original_audio, market, out_m4a, work_dir, duration_ms=...,
                shorten=..., bed=..., takes=...)
        -> DubTrack(path, placements, integrated_lufs, true_peak_dbtp, dialogue_mode, residual_dialogue_db)
    dub_findings(track, market) -> list[Finding]     # for the QA report

Fitting follows localize.dub.fit (stretch <= the market's max speed with rubberband, borrow the
silence after the line, start up to 100 ms early); a line that still does not fit is sent once to
`shorten` (the translation engine's length-aware request, budget = the room times the voice's own
characters per second on that line) and spoken again; what still does not fit is sped up further or
cut, and flagged. Recorded takes (`takes`, line index -> WAV) replace the synthetic voice line by line.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from hashlib import sha256
from pathlib import Path
from typing import Any

import numpy as np

from localize import media
from localize.dub import loudness
from localize.dub.dialogue import (
    RESIDUAL_FLOOR_DB,
    DialogueBed,
    DialogueOptions,
    duck_gain,
    prepare_bed,
    residual_db,
    spans_mask,
)
from localize.dub.fit import DEFAULT_MIN_GAP_MS, plan_placements, slots_for
from localize.dub.mix import MixOptions, PlacedClip, export_audio, mix_dub
from localize.dub.voices import Voice, voice_for
from localize.dub.wav import Audio, pcm16_format, read_wav, resample, trim_silence, write_wav
from localize.errors import UserError
from localize.markets import Market
from localize.timecode import format_timecode
from localize.types import DubPlacement, DubTrack, Finding, Line, Severity, Translation

log = logging.getLogger("localize")

_SPEED_EPSILON = 1e-3  # speed-ups smaller than this are not worth an ffmpeg pass
_LOUDNESS_TOLERANCE_LU = 1.0
_ENCODE_ATTEMPTS = 3
# Translation flags (localize.translate.checks codes) that make a line unreadable for a voice.
UNSPEAKABLE_FLAGS = frozenset({"chinese-left", "wrong-script", "copied-source", "garbled", "empty", "repetition"})
TAKE_VOICE = "take"  # DubPlacement.voice of a recorded take

# index -> max characters; returns the translation with those lines rendered shorter where it could
Shorten = Callable[[dict[int, int]], Translation]


@dataclass(frozen=True)
class DubOptions:
    """Knobs of the dub stage; the market gives the speed limit and loudness target."""

    min_gap_ms: int = DEFAULT_MIN_GAP_MS  # silence kept before the next line
    lead_ms: int = 100  # a line may start this much before the original line (never more)
    hard_max_speed: float = 1.5  # past the market's limit only for lines that fit no other way (flagged)
    stretcher: str = "auto"  # media.change_tempo: rubberband when ffmpeg has it, else atempo
    shorten_margin: float = 0.9  # budget = room x the voice's characters per second x this
    trim_db: float = -45.0  # TTS padding quieter than this is cut before fitting
    take_trim_db: float = -40.0  # recorded takes: room tone under this (re full scale) is cut
    subtract_duck_db: float = -4.0  # over a subtracted bed, what is left of the speech is turned down this much
    mix: MixOptions = field(default_factory=MixOptions)
    dialogue: DialogueOptions = field(default_factory=DialogueOptions)
    write_wav: bool = True  # also deliver `<out>.wav` beside the .m4a
    # Speech already synthesized, by voice, speaker and text (a folder; None: synthesize every line):
    # an edited line is the only one voiced again, and a line said again in a later episode is reused.
    speech_cache: Path | None = None


@dataclass(frozen=True)
class _Spoken:
    line: Line
    text: str
    natural_ms: int
    voice: str
    shortened: bool = False


def dub_episode(translation: Translation, original_audio: Path, market: Market, out_m4a: Path,
                work_dir: Path, *, duration_ms: int, voice: Voice | None = None,
                options: DubOptions | None = None, shorten: Shorten | None = None,
                bed: DialogueBed | None = None, takes: Mapping[int, Path] | None = None) -> DubTrack:
    """Synthesize (or take), fit, mix and loudness-normalize the dub of one episode into `out_m4a`.

    Lines with an empty target are not voiced, but their start still bounds the
    line before (its original speech stays audible, so no dub is laid over it).
    `work_dir` keeps the per-line WAVs (useful when a reviewer asks why a line
    sounds rushed). `bed` is what the lines are laid over (localize.dub.dialogue; made here
    from the original when not given). Returns the placements and the loudness measured on
    the encoded file itself.
    """
    if duration_ms <= 0:
        raise UserError(f"episode duration must be positive, got {duration_ms} ms")
    options = options or DubOptions()
    voice = voice or voice_for(market)
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    rate = options.mix.sample_rate

    lines = [line for line in translation.lines if line.target.strip() and not _unspeakable(line)]
    skipped = tuple(line.index for line in translation.lines if line.target.strip() and _unspeakable(line))
    takes = dict(takes or {})
    spoken = {line.index: (_take(line, takes[line.index], work_dir, options) if line.index in takes
                           else _speak(voice, line, line.target, work_dir, options)) for line in lines}
    missing = tuple(line.index for line in lines if takes and line.index not in takes)
    slots = slots_for([(line.index, line.start_ms, line.end_ms) for line in translation.lines], duration_ms)
    slots = tuple(slot for slot in slots if slot.line_index in spoken)

    def plan(hard: float | None) -> tuple[DubPlacement, ...]:
        return plan_placements(slots, [spoken[slot.line_index].natural_ms for slot in slots],
                               max_speed=market.max_dub_speed, min_gap_ms=options.min_gap_ms,
                               lead_ms=options.lead_ms, hard_max_speed=hard)

    placements = plan(None)
    if shorten is not None:
        spoken.update(_shortened(placements, spoken, shorten, voice, work_dir, market, options))
    placements = tuple(_described(p, spoken[p.line_index]) for p in plan(options.hard_max_speed))
    voiced = [p for p in placements if p.end_ms > p.start_ms]
    fitted = _fitted_clips(voiced, work_dir, rate, options.stretcher)
    clips = [PlacedClip(p, path) for p, path in zip(voiced, fitted, strict=True)]

    original = Path(original_audio)
    if pcm16_format(original) != (rate, options.mix.channels):  # the flow already hands over a 48 kHz WAV
        original = media.extract_audio(original, work_dir / "original.wav", sample_rate=rate,
                                       channels=options.mix.channels)
    bed = bed or prepare_bed(original, work_dir, options=options.dialogue)
    bed_wav, residual = _laid_bed(bed, original, placements, work_dir, options)
    mixed = mix_dub(bed_wav, clips, duration_ms, replace(options.mix, duck_db=0.0))
    target = loudness.target_for(market)
    # Encoded and checked in the work folder, then moved into the delivery folder in one rename: the
    # file appears there finished, right before the caller records it as written by localize (a run
    # killed in between must not leave a delivery that looks like a person's edit).
    encoded = work_dir / f"dub{Path(out_m4a).suffix}"
    for _attempt in range(_ENCODE_ATTEMPTS):
        normalized, _ = loudness.normalize(mixed, target)
        export_audio(normalized, encoded, options.mix)
        check = media.extract_audio(encoded, work_dir / "final-check.wav", sample_rate=rate,
                                    channels=options.mix.channels)
        final = loudness.measure(read_wav(check))
        excess = final.true_peak_dbtp - market.true_peak_dbtp
        if excess <= 0:
            break
        # AAC encoding raised the peaks past the limit: leave more room and encode again.
        target = replace(target, codec_margin_db=target.codec_margin_db + excess + 0.2)
    if options.write_wav:
        export_audio(normalized, Path(out_m4a).with_suffix(".wav"), options.mix)
    Path(out_m4a).parent.mkdir(parents=True, exist_ok=True)
    os.replace(encoded, out_m4a)
    log.info("dub %s %s: %d lines, %.2f LUFS, %.2f dBTP, dialogue %s (%.1f dB left)", translation.market,
             Path(out_m4a).name, len(placements), final.integrated_lufs, final.true_peak_dbtp, bed.mode, residual)
    return DubTrack(path=Path(out_m4a), placements=placements, integrated_lufs=final.integrated_lufs,
                    true_peak_dbtp=final.true_peak_dbtp, skipped=skipped, dialogue_mode=bed.mode,
                    residual_dialogue_db=round(residual, 1), missing_takes=missing)


def _shortened(placements: Sequence[DubPlacement], spoken: dict[int, _Spoken], shorten: Shorten, voice: Voice,
               work_dir: Path, market: Market, options: DubOptions) -> dict[int, _Spoken]:
    """Ask once for shorter renderings of the synthetic lines that do not fit; speak the ones that came back."""
    budgets = {}
    for p in placements:
        said = spoken[p.line_index]
        if p.truncated_ms <= 0 or said.voice == TAKE_VOICE or said.natural_ms <= 0:
            continue
        chars_per_ms = len(said.text) / said.natural_ms  # this voice, on this very line
        room = p.end_ms - p.start_ms
        budgets[p.line_index] = max(1, math.floor(chars_per_ms * room * market.max_dub_speed * options.shorten_margin))
    if not budgets:
        return {}
    answered = {line.index: line for line in shorten(budgets).lines if line.index in budgets}
    redone = {}
    for index, line in answered.items():
        if line.target.strip() and line.target != spoken[index].text:
            again = _speak(voice, line, line.target, work_dir, options)
            redone[index] = replace(again, shortened=True)
    log.info("dub: asked for %d shorter lines, %d came back shorter", len(budgets), len(redone))
    return redone


def _described(p: DubPlacement, said: _Spoken) -> DubPlacement:
    return replace(p, speaker=said.line.speaker, voice=said.voice, shortened=said.shortened, text=said.text)


def _laid_bed(bed: DialogueBed, original: Path, placements: Sequence[DubPlacement], work_dir: Path,
              options: DubOptions) -> tuple[Path, float]:
    """The bed as the lines are laid over it (ducked where it still holds dialogue), and the dB of the
    original's speech left in it during the dubbed lines."""
    if bed.mode == "me":
        return bed.bed, RESIDUAL_FLOOR_DB
    audio = read_wav(bed.bed)
    depth = options.dialogue.duck_db if bed.mode == "duck" else options.subtract_duck_db
    gain = duck_gain(placements, audio.frames, audio.sample_rate, replace(options.dialogue, duck_db=depth))
    laid = write_wav(Audio((audio.samples * gain[:, None]).astype(np.float32), audio.sample_rate),
                     work_dir / "bed-laid.wav")
    during = spans_mask(placements, audio.frames, audio.sample_rate)
    if bed.mode == "duck":
        speech = read_wav(original).samples.mean(axis=1)  # all of it is the original: the gain is what is left
        return laid, residual_db(speech, speech * gain[: len(speech)], during)
    if bed.speech is None or bed.speech_left is None:
        return laid, RESIDUAL_FLOOR_DB
    speech = read_wav(bed.speech).samples[:, 0]
    left = read_wav(bed.speech_left).samples[:, 0]
    n = min(len(left), len(gain))
    return laid, residual_db(speech, left[:n] * gain[:n], during)


def _unspeakable(line: Line) -> bool:
    """A translation the voice cannot read (Chinese left in, wrong script...): leave the original audible."""
    return any(flag.code in UNSPEAKABLE_FLAGS for flag in line.flags)


def _line_path(work_dir: Path, index: int, kind: str) -> Path:
    return work_dir / f"line-{index:04d}.{kind}.wav"


def voice_label(voice: Voice, speaker: str | None) -> str:
    """A name for the voice that speaks `speaker`'s lines, for QA (engines name themselves differently)."""
    named = getattr(voice, "voice_id", None)
    if callable(named):
        return str(named(speaker))
    return str(getattr(voice, "voice", "") or type(voice).__name__)


def _speak(voice: Voice, line: Line, text: str, work_dir: Path, options: DubOptions) -> _Spoken:
    """Synthesize one line (or take it from the speech cache), trim the engine's padding; its length in ms."""
    label = voice_label(voice, line.speaker)
    cached = None
    if options.speech_cache is not None:
        kind = f"{type(voice).__module__}.{type(voice).__qualname__}"
        key = sha256("\x1f".join((kind, label, line.speaker or "", text, str(options.trim_db))).encode()).hexdigest()
        cached = Path(options.speech_cache) / f"{key[:32]}.wav"
    if cached is not None and cached.is_file():
        speech = read_wav(cached)
    else:
        raw = voice.synthesize(text, _line_path(work_dir, line.index, "tts"), line.speaker)
        speech = trim_silence(read_wav(raw), threshold_db=options.trim_db)
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            write_wav(speech, cached)
    write_wav(speech, _line_path(work_dir, line.index, "speech"))
    return _Spoken(line, text, speech.duration_ms, label)


def _take(line: Line, take: Path, work_dir: Path, options: DubOptions) -> _Spoken:
    """A voice actor's recording of the line: any WAV format (ffmpeg decodes it), room tone trimmed."""
    decoded = media.extract_audio(take, work_dir / f"line-{line.index:04d}.take.wav",
                                  sample_rate=options.mix.sample_rate, channels=1)
    audio = read_wav(decoded)
    peak = float(np.max(np.abs(audio.samples))) if audio.frames else 0.0
    # room tone: whatever is 35 dB under the take's peak, and never less than take_trim_db
    threshold = max(options.take_trim_db, 20 * math.log10(peak) - 35.0) if peak > 0 else options.take_trim_db
    speech = trim_silence(audio, threshold_db=threshold)
    write_wav(speech, _line_path(work_dir, line.index, "speech"))
    return _Spoken(line, line.target, speech.duration_ms, TAKE_VOICE)


def _fitted_clips(placements: Sequence[DubPlacement], work_dir: Path, sample_rate: int,
                  stretcher: str = "auto") -> list[Path]:
    """Each line sped up where the plan says so (rubberband, else atempo; all in one ffmpeg run), at the
    mix's sample rate."""
    def source(p: DubPlacement) -> Path:
        return _line_path(work_dir, p.line_index, "speech")

    def fitted(p: DubPlacement) -> Path:
        return _line_path(work_dir, p.line_index, "fit")

    faster = [p for p in placements if p.speed > 1.0 + _SPEED_EPSILON]
    media.change_tempos([(source(p), fitted(p), min(2.0, p.speed)) for p in faster], sample_rate, stretcher)
    for p in placements:
        if p not in faster:
            write_wav(resample(read_wav(source(p)), sample_rate), fitted(p))
    return [fitted(p) for p in placements]


def timecode(ms: int) -> str:
    """HH:MM:SS.mmm, the way reviewers read times (never negative here)."""
    return format_timecode(max(0, ms))


# Every code the dub finds: severity and what it means for a reviewer.
CODES: dict[str, tuple[Severity, str]] = {
    "dub-skipped": (Severity.WARNING, "a line not voiced: its translation is unusable"),
    "dub-take-missing": (Severity.WARNING, "no recorded take for the line: the synthetic voice speaks it"),
    "dub-shortened": (Severity.INFO, "the line is spoken in a shorter wording to fit its time"),
    "dub-truncated": (Severity.ERROR, "speech cut: the line does not fit even at the speed limit"),
    "dub-too-fast": (Severity.WARNING, "spoken faster than the market's speed limit"),
    "dub-borrowed": (Severity.WARNING, "the line runs past the original into the silence after it"),
    "dub-loudness": (Severity.WARNING, "the dub's loudness is off the market's target"),
    "dub-true-peak": (Severity.ERROR, "the dub's true peak is over the market's limit"),
}


def _finding(code: str, message: str = "", **where: Any) -> Finding:
    return Finding(code=code, severity=CODES[code][0], stage="dub", message=message, **where)


def dub_findings(track: DubTrack, market: Market) -> list[Finding]:
    """QA findings: lines that did not fit at the market's max speed, shortened lines, missing takes,
    and loudness off target."""
    findings = [f for p in track.placements for f in _placement_findings(p, market)]
    findings.extend(
        _finding("dub-skipped",
                message=f"line {index + 1} not voiced: its translation is unusable (see the translate findings)")
        for index in track.skipped
    )
    by_index = {p.line_index: p for p in track.placements}
    findings.extend(
        _finding("dub-take-missing",
                start_ms=by_index[index].start_ms if index in by_index else None,
                end_ms=by_index[index].end_ms if index in by_index else None,
                message=f"line {index + 1}: no recorded take; the synthetic voice speaks it")
        for index in track.missing_takes
    )
    findings.extend(_loudness_findings(track, market))
    return findings


def _placement_findings(p: DubPlacement, market: Market) -> list[Finding]:
    span = f"{timecode(p.start_ms)}-{timecode(p.end_ms)}"
    where = {"start_ms": p.start_ms, "end_ms": p.end_ms}
    found = []
    if p.shortened:
        found.append(_finding("dub-shortened", **where,
                             message=f"line {p.line_index + 1} at {span}: spoken shorter to fit: {p.text!r}"))
    if p.truncated_ms > 0:
        found.append(_finding("dub-truncated", **where,
            message=(f"line {p.line_index + 1} at {span}: {p.truncated_ms} ms of speech cut even at "
                     f"{p.speed:.2f}x and {p.borrowed_ms} ms borrowed; shorten the translation"
                     + (" or record the take again shorter" if p.voice == TAKE_VOICE else ""))))
    elif p.speed > market.max_dub_speed + _SPEED_EPSILON:
        found.append(_finding("dub-too-fast", **where,
            message=(f"line {p.line_index + 1} at {span}: spoken at {p.speed:.2f}x, past the "
                     f"{market.max_dub_speed:.2f}x limit, even with {p.borrowed_ms} ms borrowed and "
                     f"{p.early_ms} ms early; shorten the translation")))
    elif p.borrowed_ms > 0:
        found.append(_finding("dub-borrowed", **where,
            message=(f"line {p.line_index + 1} at {span}: too long at {market.max_dub_speed:.2f}x, runs "
                     f"{p.borrowed_ms} ms past the original line"
                     + (f" and starts {p.early_ms} ms early" if p.early_ms else "")
                     + "; a shorter translation would fit")))
    return found


def dub_facts(track: DubTrack, market: Market) -> dict[str, object]:
    """Per-episode figures and one row per dubbed line, for the QA report's facts."""
    placements = track.placements
    within = sum(1 for p in placements if p.speed <= market.max_dub_speed + _SPEED_EPSILON and not p.truncated_ms)
    return {
        "dub_lufs": round(track.integrated_lufs, 1), "dub_true_peak_dbtp": round(track.true_peak_dbtp, 1),
        "dub_dialogue": track.dialogue_mode, "dub_residual_dialogue_db": track.residual_dialogue_db,
        "dub_lines": len(placements), "dub_lines_sped_up": sum(1 for p in placements if p.speed > 1.0),
        "dub_lines_within_speed": within,
        "dub_lines_shortened": sum(1 for p in placements if p.shortened),
        "dub_lines_flagged": len(placements) - within,
        "dub_missing_takes": len(track.missing_takes),
        "dub_line_details": [
            {"line": p.line_index + 1, "start": timecode(p.start_ms), "character": p.speaker or "",
             "voice": p.voice, "speed": round(p.speed, 3), "borrowed_ms": p.borrowed_ms,
             "start_offset_ms": -p.early_ms, "shortened": p.shortened,
             "flagged": p.truncated_ms > 0 or p.speed > market.max_dub_speed + _SPEED_EPSILON, "text": p.text}
            for p in placements],
    }


def _loudness_findings(track: DubTrack, market: Market) -> Sequence[Finding]:
    findings = []
    off = track.integrated_lufs - market.loudness_lufs
    if not math.isfinite(off) or abs(off) > _LOUDNESS_TOLERANCE_LU:
        findings.append(_finding("dub-loudness",
            message=(f"dub measures {track.integrated_lufs:.1f} LUFS; {market.code} expects "
                     f"{market.loudness_lufs:.1f} ± {_LOUDNESS_TOLERANCE_LU:.0f} LU"),
        ))
    if track.true_peak_dbtp > market.true_peak_dbtp:
        findings.append(_finding("dub-true-peak",
            message=(f"dub true peak {track.true_peak_dbtp:.2f} dBTP exceeds the "
                     f"{market.true_peak_dbtp:.1f} dBTP limit of {market.code}"),
        ))
    return findings
