"""Registry of text-to-speech engines, and the voices a market's dub is spoken with.

A market names an engine and an engine-specific voice (`Market.voice`, a
`VoiceSpec`); `voice_for(market)` builds the `Voice` that speaks its lines.
A speaker label picks a cast member: a deterministic variant of that voice, so
the same label always sounds the same in every episode and different labels
("SPEAKER_00", "SPEAKER_01"...) sound different.

To add an engine:
1. write a class with `synthesize(text, out_wav, speaker=None) -> Path` that writes a WAV
   (16-bit PCM, any rate, mono) and returns its path; import its heavy library lazily,
   in one adapter module of its own;
2. write a factory `(VoiceSpec) -> Voice` and add it to `_ENGINES` below (or call
   `register_engine` from outside);
3. set `VoiceSpec(engine="<name>", voice="...")` on the markets that should use it.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from localize.dub import espeak
from localize.dub.wav import mono, write_wav
from localize.errors import UnknownNameError
from localize.markets import Market, VoiceSpec


class Voice(Protocol):
    """Something that speaks one line of text into a WAV file."""

    def synthesize(self, text: str, out_wav: Path, speaker: str | None = None) -> Path: ...


VoiceFactory = Callable[[VoiceSpec], Voice]

_TRAILING_NUMBER = re.compile(r"(\d+)\s*$")


def cast_index(speaker: str | None, size: int) -> int:
    """Which of `size` cast members speaks for `speaker` (0 for no speaker).

    Labels ending in a number (diarization's "SPEAKER_03") use that number, so up
    to `size` numbered speakers never share a voice; other labels are hashed with
    crc32 (stable across processes, unlike `hash`).
    """
    if not speaker or size <= 1:
        return 0
    found = _TRAILING_NUMBER.search(speaker)
    if found:
        return int(found.group(1)) % size
    return zlib.crc32(speaker.strip().lower().encode("utf-8")) % size


@dataclass(frozen=True)
class EspeakCast:
    """One espeak-ng cast member: a voice variant (`+m3`), a pitch (0-99) and a rate."""

    variant: str
    pitch: int
    words_per_minute: int = 170


ESPEAK_CAST: tuple[EspeakCast, ...] = (
    EspeakCast("m3", 45),
    EspeakCast("f3", 65),
    EspeakCast("m1", 32),
    EspeakCast("f2", 75),
    EspeakCast("m5", 55, 175),
    EspeakCast("f4", 58, 165),
    EspeakCast("m7", 40, 165),
    EspeakCast("f1", 70, 175),
)


class EspeakVoice:
    """An espeak-ng language voice ("es-419", "pt-br"); each speaker gets a distinct variant and pitch."""

    def __init__(self, voice: str, cast: tuple[EspeakCast, ...] = ESPEAK_CAST) -> None:
        self.voice = voice
        self.cast = cast

    def cast_for(self, speaker: str | None) -> EspeakCast:
        return self.cast[cast_index(speaker, len(self.cast))]

    def voice_id(self, speaker: str | None) -> str:
        return f"{self.voice}+{self.cast_for(speaker).variant}"

    def synthesize(self, text: str, out_wav: Path, speaker: str | None = None) -> Path:
        member = self.cast_for(speaker)
        return espeak.synthesize(text, self.voice_id(speaker), out_wav,
                                 words_per_minute=member.words_per_minute, pitch=member.pitch)


@dataclass(frozen=True)
class PiperCast:
    """One Piper cast member: small changes to tempo and expressiveness of the same voice."""

    length_scale: float = 1.0  # multiplies the voice's own length_scale
    noise_scale: float | None = None  # None keeps the voice's own


# A single-speaker voice cannot change who speaks; these only make speakers less alike.
PIPER_CAST: tuple[PiperCast, ...] = (PiperCast(1.0), PiperCast(0.95, 0.5), PiperCast(1.04, 0.8))


class PiperEngineVoice:
    """A Piper voice by bundled name ("joe") or `.onnx` path; the model loads on first use."""

    def __init__(self, voice: str, cast: tuple[PiperCast, ...] = PIPER_CAST) -> None:
        self.voice = voice
        self.cast = cast

    def synthesize(self, text: str, out_wav: Path, speaker: str | None = None) -> Path:
        from localize.dub.piper import PiperOptions, load_voice  # loads onnxruntime only when speaking

        piper = load_voice(self.voice)
        member = self.cast[cast_index(speaker, len(self.cast))]
        options = PiperOptions(length_scale=piper.config.length_scale * member.length_scale,
                               noise_scale=member.noise_scale)
        return write_wav(mono(piper.synthesize(text, options), piper.sample_rate), out_wav)


_ENGINES: dict[str, VoiceFactory] = {
    "espeak": lambda spec: EspeakVoice(spec.voice),
    "piper": lambda spec: PiperEngineVoice(spec.voice),
}


def engine_names() -> list[str]:
    return sorted(_ENGINES)


def register_engine(name: str, factory: VoiceFactory) -> None:
    """Add (or replace) a TTS engine under `name`."""
    _ENGINES[name] = factory


def voice_from_spec(spec: VoiceSpec) -> Voice:
    factory = _ENGINES.get(spec.engine)
    if factory is None:
        raise UnknownNameError("TTS engine", spec.engine, _ENGINES)
    return factory(spec)


def voice_for(market: Market) -> Voice:
    """The voice that speaks `market`'s dub; an unknown engine lists the accepted ones."""
    return voice_from_spec(market.voice)
