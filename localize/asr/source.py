"""The episode's Chinese source text from all it offers: the picture, the sound and the studio's script.

Three stage functions, each called by the season flow as its own cached task, and
together by `source_transcript` for the CLI and the benchmarks:

    read_picture(video)            -> PictureText (subtitle band + OCR cues), or empty for a clean master
    localize.asr.transcribe(wav)   -> what the speech says, with word times
    fuse(asr, cues, script)        -> one Transcript (localize.asr.fuse)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from localize import media
from localize.asr import dialects
from localize.asr.fuse import PICTURE_SET_ASIDE, FuseOptions, fuse
from localize.asr.options import AsrOptions
from localize.asr.script import Script, find_script, read_script
from localize.asr.whisper import transcribe
from localize.picture.band import BandOptions
from localize.types import MediaInfo, OcrCue, Span, TextBand, Transcript

log = logging.getLogger("localize")


@dataclass(frozen=True)
class PictureOptions:
    """Reading the burned-in subtitles.

    enabled: False for clean masters (no burned-in Chinese): skips OCR entirely.
    device: "cpu", "cuda" (onnxruntime's CUDA provider) or "auto".
    samples: frames read to find the subtitle band.
    band: where the dialogue is burned in, when a person knows better than the search:
        "TOP-BOTTOM" as shares of the frame height ("0.72-0.88") or pixel rows ("1380-1700");
        "" finds it by evidence (localize.picture.band).
    """

    enabled: bool = True
    device: str = "cpu"
    samples: int = field(default_factory=lambda: BandOptions().samples)
    band: str = ""


@dataclass(frozen=True)
class PictureText:
    """What the picture says: the band where dialogue is burned in, and each distinct line."""

    band: TextBand | None = None
    cues: tuple[OcrCue, ...] = ()


@dataclass(frozen=True)
class SourceOptions:
    asr: AsrOptions = field(default_factory=AsrOptions)
    picture: PictureOptions = field(default_factory=PictureOptions)
    fuse: FuseOptions = field(default_factory=FuseOptions)


def read_picture(info: MediaInfo, options: PictureOptions = PictureOptions(),
                 on_progress: Callable[[int, int], None] | None = None, speech: Sequence[Span] = (),
                 skip: Sequence[Span] = (), spill: media.Spill | None = None) -> PictureText:
    """Find the subtitle band and read every line burned into it (nothing for audio or clean masters).

    `speech` (voice activity, from the speech stage) is evidence for the band: dialogue comes and goes with it.
    `skip`: spans not read (recaps, whose text is taken from the episode they replay).
    `spill`: the decode that reads the lines also keeps every frame there, for the removal stage.
    """
    if not options.enabled or not info.width or not info.height:
        return PictureText()
    from localize.picture.band import BandSpec, find_band
    from localize.picture.cues import read_cues
    from localize.picture.ocr import load_engine

    engine = load_engine(device=onnx_device(options.device))
    named = BandSpec.parse(options.band) if options.band else None
    band = find_band(info, engine, BandOptions(samples=options.samples), speech=speech, named=named)
    if band is None:
        log.info("%s: no burned-in subtitles found (no text that changes)", info.path.name)
        return PictureText()
    return PictureText(band=band, cues=read_cues(info, band, engine, on_progress=on_progress, skip=skip,
                                                 spill=spill))


def onnx_device(device: str) -> str:
    """The onnxruntime device for a "cpu", "cuda" or "auto" setting."""
    if device != "auto":
        return device
    import onnxruntime

    return "cuda" if "CUDAExecutionProvider" in onnxruntime.get_available_providers() else "cpu"


def episode_script(video: Path, explicit: Path | None = None) -> Script | None:
    """The studio's script: `explicit`, else epNN.script.tsv / epNN.zh.srt / epNN.script.txt beside the video."""
    path = explicit or find_script(video)
    return read_script(path) if path else None


def combine(asr: Transcript, picture: PictureText, script: Script | None,
            options: FuseOptions | None = None, detect_dialect: bool = False) -> Transcript:
    """The fused transcript, carrying the band for the subtitle layout.

    When the picture's text was set aside (it contradicts the speech: the band is wrong), the band is
    not carried either, so nothing downstream covers or removes text there; the note says which rows it was.
    `detect_dialect` (dialect "auto"): the dialect is told from the fused text, since a script or
    a burned-in line in written Cantonese shows it when Whisper's standard-Chinese output does not.
    """
    fused = fuse(asr, picture.cues, script, options or FuseOptions())
    band = picture.band
    if band is not None and any(note.code == PICTURE_SET_ASIDE for note in fused.notes):
        rows = f"; the text read at rows {band.box.y0}-{band.box.y1} ({band.reason}) is not used"
        fused = replace(fused, notes=tuple(replace(note, message=note.message + rows)
                                           if note.code == PICTURE_SET_ASIDE else note for note in fused.notes))
        band = None
    fused = replace(fused, band=band)
    if detect_dialect and (picture.cues or (script is not None and script.lines)):
        name, reason = dialects.detect_dialect([s.text for s in fused.segments])
        log.info("%s: dialect %s (from the %s text: %s)", asr.source, name,
                 "script" if script and script.lines else "burned-in", reason)
        fused = replace(fused, dialect=name)
    return fused


def source_transcript(video: Path, audio_16k: Path, options: SourceOptions = SourceOptions(),
                      script: Script | None = None) -> Transcript:
    """Everything in one call (CLI, benchmarks): picture, speech and script fused into one Transcript."""
    info = media.probe(video)
    picture = read_picture(info, options.picture)
    asr = replace(transcribe(audio_16k, options.asr), source=video.name)
    return combine(asr, picture, script, options.fuse, detect_dialect=options.asr.dialect == dialects.AUTO)
