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

import functools
import logging
import re
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from localize.dub import espeak
from localize.dub.wav import mono, write_wav
from localize.errors import MediaError, UnknownNameError
from localize.markets import Market, VoiceSpec

log = logging.getLogger("localize")


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
    speaker_id: int = 0  # which speaker of a multi-speaker voice (LibriTTS, Arctic...)


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
                               noise_scale=member.noise_scale, speaker_id=member.speaker_id)
        return write_wav(mono(piper.synthesize(text, options), piper.sample_rate), out_wav)


@dataclass(frozen=True)
class KokoroCast:
    """One Kokoro cast member: a voice of the package and a speaking speed."""

    voice: str
    speed: float = 1.0


class KokoroEngineVoice:
    """A Kokoro Japanese voice ("jf_alpha"); other speakers get the package's other voices, then
    faster/slower readings of them, so up to ten numbered speakers sound different."""

    def __init__(self, voice: str) -> None:
        from localize.dub import kokoro

        self.voice = kokoro.check_voice(voice)
        others = [v.name for v in kokoro.VOICES if v.name != voice]
        names = [voice, *others]
        self.cast = tuple(KokoroCast(n, speed) for _, speed in KOKORO_VARIANTS[:2] for n in names)

    def cast_for(self, speaker: str | None) -> KokoroCast:
        return self.cast[cast_index(speaker, len(self.cast))]

    def voice_id(self, speaker: str | None) -> str:
        member = self.cast_for(speaker)
        return f"{member.voice}" + ("" if member.speed == 1.0 else f"@{member.speed:g}")

    def synthesize(self, text: str, out_wav: Path, speaker: str | None = None) -> Path:
        return _kokoro_speak(self.cast_for(speaker), text, out_wav)


_ENGINES: dict[str, VoiceFactory] = {
    "espeak": lambda spec: EspeakVoice(spec.voice),
    "piper": lambda spec: PiperEngineVoice(spec.voice),
    "kokoro": lambda spec: _kokoro_or_espeak(spec),
}


def _kokoro_or_espeak(spec: VoiceSpec) -> Voice:
    """Kokoro when installed; else espeak-ng's Japanese, with a warning (the fallback every market has)."""
    from localize.dub import kokoro

    if reason := kokoro.missing():
        log.warning("Kokoro voices unavailable (%s); the dub speaks with espeak-ng's Japanese", reason)
        return EspeakVoice(kokoro.ESPEAK_FALLBACK)
    return KokoroEngineVoice(spec.voice)


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


def voice_for(market: Market, cast: dict[str, str] | None = None) -> Voice:
    """The voice that speaks `market`'s dub; an unknown engine lists the accepted ones.

    With a `cast` (speaker name -> voice id from `market_voices`, as the season's character
    registry keeps it), each character's lines get their own voice in every episode.
    """
    if cast:
        return CastVoice(market, cast)
    return voice_from_spec(market.voice)


# --- Voices per character: each market's catalogue of distinct voices, and a cast that keeps them ---


@dataclass(frozen=True)
class VoiceOption:
    """One voice a character can be cast with in a market; `id` is what characters.json stores."""

    id: str  # "espeak:es-419+f3", "piper:joe", "piper:joe-brisk", "piper:<local voice stem>"
    gender: str  # "female", "male" or "any": casting matches it to the character's gender hint
    voice: Voice
    family: str = ""  # the voice this one is made from ("piper:joe" for "piper:joe-low"); "" for itself
    pitch: float = 1.0  # its pitch relative to the family's voice

    @property
    def lineage(self) -> str:
        return self.family or self.id


ESPEAK_VARIANTS: tuple[EspeakCast, ...] = (
    *ESPEAK_CAST,
    EspeakCast("m2", 50, 160), EspeakCast("m4", 38, 170), EspeakCast("m6", 48, 175), EspeakCast("f5", 62, 160),
)
PIPER_VARIANTS: tuple[tuple[str, PiperCast], ...] = (
    ("", PiperCast(1.0)), ("-brisk", PiperCast(0.95, 0.5)), ("-calm", PiperCast(1.06, 0.8)),
)
KOKORO_VARIANTS: tuple[tuple[str, float], ...] = (("", 1.0), ("-brisk", 1.08), ("-calm", 0.94))
# Pitch and formants moved together by three semitones: to the speaker encoder (Resemblyzer) Piper joe
# lowered or raised so is 0.30-0.34 (cosine distance) from joe, as far as two espeak-ng voices are from him
# (0.36-0.38), while joe-brisk and joe-calm are 0.01 from him: the same man at another pace.
PITCH_VARIANTS: tuple[tuple[str, float], ...] = (("-low", 0.84), ("-high", 1.19))
PIPER_FOLDER_ENV = "LOCALIZE_PIPER_VOICES"  # a folder of Piper voices (<name>.onnx + <name>.onnx.json)


class PitchedVoice:
    """Another voice's speech with its pitch and formants moved (`media.shift_pitch`): a new character."""

    def __init__(self, voice: Voice, factor: float) -> None:
        self.voice = voice
        self.factor = factor

    def synthesize(self, text: str, out_wav: Path, speaker: str | None = None) -> Path:
        from localize import media
        from localize.dub.wav import pcm16_format, wav_duration_ms

        out_wav = Path(out_wav)
        raw = self.voice.synthesize(text, out_wav.with_name(out_wav.stem + ".unpitched.wav"), speaker)
        if wav_duration_ms(raw) == 0:  # no speech (a line of punctuation): nothing to move
            return raw.replace(out_wav)
        found = pcm16_format(raw)
        if found is None:
            raise MediaError(raw, "expected 16-bit PCM WAV from the voice (see localize.dub.voices: To add an engine)")
        media.shift_pitch(raw, out_wav, self.factor, found[0])
        raw.unlink()
        return out_wav


def _pitch_variants(options: list[VoiceOption]) -> list[VoiceOption]:
    return [VoiceOption(f"{option.id}{suffix}", option.gender, PitchedVoice(option.voice, factor), option.id, factor)
            for suffix, factor in PITCH_VARIANTS for option in options]


class FixedVoice:
    """A voice that ignores the speaker: one catalogue entry."""

    def __init__(self, speak: Callable[[str, Path], Path]) -> None:
        self._speak = speak

    def synthesize(self, text: str, out_wav: Path, speaker: str | None = None) -> Path:
        return self._speak(text, out_wav)


def _espeak_option(language: str, member: EspeakCast) -> VoiceOption:
    voice_id = f"{language}+{member.variant}"
    gender = "female" if member.variant.startswith("f") else "male"
    return VoiceOption(f"espeak:{voice_id}", gender, FixedVoice(
        lambda text, out: espeak.synthesize(text, voice_id, out, words_per_minute=member.words_per_minute,
                                            pitch=member.pitch)))


MAX_SPEAKERS_PER_VOICE = 12  # of a multi-speaker Piper voice (LibriTTS has 900): enough for a season's cast


def _local_piper_options(model: Path, config: dict[str, Any]) -> list[VoiceOption]:
    """A local Piper voice; a multi-speaker one gives its first speakers, each a catalogue voice
    ("piper:<stem>#<speaker>", named by the voice's speaker_id_map where it has one)."""
    try:
        speakers = int(config.get("num_speakers", 1))
        names = {int(i): str(n) for n, i in dict(config.get("speaker_id_map") or {}).items()}
    except (ValueError, TypeError, AttributeError):
        speakers, names = 1, {}
    if speakers <= 1:
        return [_piper_option(str(model), "", PiperCast(1.0), "any")]
    return [_piper_option(str(model), f"#{names.get(sid, sid)}", PiperCast(1.0, speaker_id=sid), "any")
            for sid in range(min(speakers, MAX_SPEAKERS_PER_VOICE))]


def _piper_option(name: str, suffix: str, member: PiperCast, gender: str, family: str = "") -> VoiceOption:
    engine = PiperEngineVoice(name, (member,))
    return VoiceOption(f"piper:{Path(name).stem}{suffix}", gender, FixedVoice(
        lambda text, out: engine.synthesize(text, out)), family)


def _kokoro_options(readings: Sequence[tuple[str, float]]) -> list[VoiceOption]:
    """Every Kokoro voice at each of `readings` (suffix, speed); none when the package is not installed."""
    from localize.dub import kokoro

    if kokoro.missing():
        return []
    return [VoiceOption(f"kokoro:{info.name}{suffix}", info.gender,
                        FixedVoice(functools.partial(_kokoro_speak, KokoroCast(info.name, speed))),
                        f"kokoro:{info.name}" if suffix else "")
            for suffix, speed in readings for info in kokoro.VOICES]


def _kokoro_speak(member: KokoroCast, text: str, out: Path) -> Path:
    from localize.dub import kokoro

    samples, rate = kokoro.synthesize(text, member.voice, member.speed)
    return write_wav(mono(samples, rate), out)


def piper_folders() -> list[Path]:
    """Where a user keeps Piper voices: $LOCALIZE_PIPER_VOICES, then ~/.local/share/piper."""
    import os

    folders = [Path(os.environ[PIPER_FOLDER_ENV])] if os.environ.get(PIPER_FOLDER_ENV) else []
    return [*folders, Path.home() / ".local" / "share" / "piper"]


def local_piper_voices(language: str) -> list[tuple[Path, dict[str, Any]]]:
    """Piper voices on this machine whose config says they speak `language` ("en", "es"...), with that config."""
    import json

    found = []
    for folder in piper_folders():
        for model in sorted(folder.glob("*.onnx")) if folder.is_dir() else []:
            try:
                config = json.loads(model.with_name(model.name + ".json").read_text(encoding="utf-8"))
                code = str(config.get("language", {}).get("code", "") or config.get("espeak", {}).get("voice", ""))
            except (OSError, ValueError, AttributeError):
                continue
            if code.replace("_", "-").lower().split("-")[0] == language:
                found.append((model, config))
    return found


def espeak_language(market: Market) -> str:
    """The espeak-ng voice that reads the market's language (its own voice, or the language's)."""
    if market.voice.engine == "espeak":
        return market.voice.voice.split("+", 1)[0]
    return "en-us" if market.language == "en" else market.language


def market_voices(market: Market) -> tuple[VoiceOption, ...]:
    """Every voice a character of `market` can be given, the market's own engine first."""
    neural: list[VoiceOption] = []  # each its own speaker; then each moved in pitch
    paced: list[VoiceOption] = []
    if market.voice.engine == "piper":
        gender = "male" if market.voice.voice == "joe" else "any"
        own = _piper_option(market.voice.voice, "", PIPER_VARIANTS[0][1], gender)
        neural.append(own)
        paced += [_piper_option(market.voice.voice, suffix, member, gender, family=own.id)
                  for suffix, member in PIPER_VARIANTS[1:]]
    neural += [option for model, config in local_piper_voices(market.language)
               for option in _local_piper_options(model, config)]
    if market.language == "ja":
        neural += _kokoro_options(KOKORO_VARIANTS[:1])
        paced += _kokoro_options(KOKORO_VARIANTS[1:])
    espeak_voices = [_espeak_option(espeak_language(market), member) for member in ESPEAK_VARIANTS]
    # the other paces last: to a listener (and the speaker encoder) they are the voice they come from
    options = [*neural, *_pitch_variants(neural), *espeak_voices, *paced]
    unique = {option.id: option for option in reversed(options)}
    return tuple(unique[option.id] for option in options if unique[option.id] is option)


def find_voice(market: Market, voice_id: str) -> VoiceOption:
    """A catalogue entry by id; an unknown id lists the market's voices."""
    options = {option.id: option for option in market_voices(market)}
    if voice_id not in options:
        raise UnknownNameError(f"voice for {market.code}", voice_id, options)
    return options[voice_id]


def cast_voices(market: Market, characters: Sequence[tuple[str, str, float | None]],
                cast: dict[str, str]) -> dict[str, str]:
    """Voice ids for characters not yet cast, given (name, gender hint, median pitch in Hz or None), leads first.

    Each gets the first voice of its gender (or any) that no one in `cast` has; when all are
    taken, the least used. Characters given voices of one family (a voice and its pitch-moved
    copies) then swap so the deeper character has the lower voice. `cast` (name -> id) is kept as
    it is: a character keeps its voice.
    """
    options = market_voices(market)
    chosen = dict(cast)
    if any(gender in ("female", "male") for name, gender, _ in characters if name not in chosen):
        from localize.dub.voice_gender import sounding_gender  # voices that do not say: measured once

        options = tuple(replace(o, gender=sounding_gender(o, market)) if o.gender == "any" else o for o in options)
    for name, gender, _ in characters:
        if name in chosen:
            continue
        fitting = [o for o in options if gender not in ("female", "male") or o.gender in (gender, "any")]
        fitting = fitting or list(options)
        used = list(chosen.values())
        chosen[name] = min(fitting, key=lambda o: (used.count(o.id), fitting.index(o))).id
    by_id = {o.id: o for o in options}
    new = [(name, f0) for name, _, f0 in characters if name not in cast and f0]
    for lineage in {by_id[chosen[name]].lineage for name, _ in new}:
        group = [(name, f0) for name, f0 in new if by_id[chosen[name]].lineage == lineage]
        voices = sorted((by_id[chosen[name]] for name, _ in group), key=lambda o: o.pitch)
        if len({o.pitch for o in voices}) < 2:
            continue
        for (name, _), option in zip(sorted(group, key=lambda g: g[1]), voices, strict=True):
            chosen[name] = option.id
    return chosen


class CastVoice:
    """Speaks each character's lines with the voice cast for them (`cast`: speaker name -> voice id);
    speakers outside the cast fall back to the market's own voice and its per-speaker variants."""

    def __init__(self, market: Market, cast: dict[str, str]) -> None:
        self.market = market
        self.cast = dict(cast)
        self._fallback = voice_from_spec(market.voice)
        self._options = {option.id: option for option in market_voices(market)}
        for voice_id in self.cast.values():
            if voice_id not in self._options:
                raise UnknownNameError(f"voice for {market.code}", voice_id, self._options)

    def voice_id(self, speaker: str | None) -> str | None:
        return self.cast.get(speaker) if speaker else None

    def synthesize(self, text: str, out_wav: Path, speaker: str | None = None) -> Path:
        voice_id = self.voice_id(speaker)
        if voice_id is None:
            return self._fallback.synthesize(text, out_wav, speaker)
        return self._options[voice_id].voice.synthesize(text, out_wav, speaker)
