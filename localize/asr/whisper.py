"""The only module that imports faster_whisper: load once, transcribe to a Transcript.

faster-whisper gives float seconds; they become integer milliseconds here, once.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from localize import cores
from localize.asr.chinese import to_simplified
from localize.asr.dialects import AUTO, DEFAULT, DialectProfile, detect_dialect, get_profile, normalize, profile_names
from localize.asr.guard import guard_segments
from localize.asr.options import AsrOptions
from localize.errors import MissingDependencyError, ModelError, UnknownNameError
from localize.models import whisper_base_dir
from localize.types import Segment, Transcript, Word

log = logging.getLogger("localize")

BUNDLED = {"base": whisper_base_dir}
_models: dict[tuple[str, str, str, int, int], Any] = {}
_lock = threading.Lock()

Progress = Callable[[int, int], None]


def resolve_model(name: str) -> Path:
    """A bundled model name or a local faster-whisper model directory (never a hub download)."""
    if name in BUNDLED:
        return BUNDLED[name]()
    path = Path(name).expanduser()
    needed = ("model.bin", "config.json", "tokenizer.json")  # without tokenizer.json faster-whisper asks a hub
    if path.is_dir() and all((path / f).is_file() for f in needed):
        return path
    raise ModelError(
        f"ASR model {name!r} is neither bundled ({', '.join(BUNDLED)}) nor a directory with a CTranslate2 "
        f"Whisper model ({', '.join(needed)}; convert one with ct2-transformers-converter)"
    )


def load_model(options: AsrOptions) -> Any:
    """The WhisperModel for these options, loaded once per process."""
    path = resolve_model(options.model)
    threads = options.cpu_threads or cores.per_piece()  # 0: this process's share of the cores
    # One CTranslate2 worker runs one transcription at a time: two pieces transcribing at once waited for
    # each other (sample season, 2 cores: one core idle ~18 s). A worker per piece runs them side by side.
    workers = cores.pieces() if options.device == "cpu" else 1
    key = (str(path), options.device, options.compute_type, threads, workers)
    with _lock:
        if key not in _models:
            try:
                from faster_whisper import WhisperModel
            except ImportError as exc:
                raise MissingDependencyError("faster-whisper", "pip install faster-whisper") from exc
            log.info("loading ASR model %s", path)
            _models[key] = WhisperModel(
                str(path), device=options.device, compute_type=options.compute_type,
                cpu_threads=threads, num_workers=workers, local_files_only=True,
            )
        return _models[key]


def model_languages(model: Any) -> tuple[str, ...]:
    """Language codes the model's vocabulary has a token for (Whisper base: 99, no "yue")."""
    return tuple(code for code in model.supported_languages
                 if model.hf_tokenizer.token_to_id(f"<|{code}|>") is not None)


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def _word(raw: Any, simplified: bool) -> Word:
    text = to_simplified(raw.word) if simplified else raw.word
    return Word(start_ms=_ms(raw.start), end_ms=_ms(raw.end), text=text.strip(),
                probability=float(raw.probability))


def _settings(options: AsrOptions, profile: DialectProfile) -> tuple[str, str | None]:
    """What the recogniser is given: the user's language and prompt, else the profile's."""
    language = options.language or profile.language
    prompt = options.initial_prompt if options.initial_prompt is not None else profile.initial_prompt
    return language, prompt


def _segment(raw: Any, simplified: bool) -> Segment | None:
    text = raw.text.strip()
    if not text:
        return None
    if simplified:
        text = to_simplified(text)
    words = tuple(_word(w, simplified) for w in (raw.words or ()))
    start = words[0].start_ms if words else _ms(raw.start)
    end = words[-1].end_ms if words else _ms(raw.end)
    confidence = (sum(w.probability for w in words) / len(words)) if words else math.exp(raw.avg_logprob)
    return Segment(start_ms=start, end_ms=max(end, start + 1), text=text, words=words,
                   confidence=round(confidence, 4), no_speech_prob=round(float(raw.no_speech_prob), 4))


def _recognise(model: Any, audio: Any, options: AsrOptions, language: str, prompt: str | None,
               on_progress: Progress | None) -> tuple[tuple[Segment, ...], int]:
    """One pass of the model over the audio: guarded segments and the audio's length."""
    if language not in (accepted := model_languages(model)):
        raise UnknownNameError(f"Whisper language for model {options.model!r}", language, accepted)
    vad_parameters = {"min_silence_duration_ms": options.min_silence_ms} if options.vad else None
    raw_segments, info = model.transcribe(
        audio, language=language, beam_size=options.beam_size,
        temperature=options.temperature, vad_filter=options.vad, vad_parameters=vad_parameters,
        word_timestamps=True, initial_prompt=prompt, condition_on_previous_text=False,
    )
    total_ms = _ms(info.duration)
    segments: list[Segment] = []
    for raw in raw_segments:
        segment = _segment(raw, options.simplified)
        if segment:
            segments.append(segment)
        if on_progress:
            on_progress(min(_ms(raw.end), total_ms), total_ms)
    return guard_segments(segments, options.guard), total_ms


def decode(audio: Path | str) -> Any:
    """The audio as 16 kHz mono float samples, decoded once for recognition and voice activity."""
    from faster_whisper.audio import decode_audio

    return decode_audio(str(audio), sampling_rate=16000)


def speech_spans(samples: Any, min_silence_ms: int = 200, pad_ms: int = 30) -> tuple[tuple[int, int], ...]:
    """Where a voice is heard (Silero VAD, bundled with faster-whisper), as (start_ms, end_ms) in order.

    Tighter than the VAD that feeds recognition (which pads speech by 0.4 s): these edges time lines.
    `samples` are 16 kHz (see `decode`).
    """
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    chunks = get_speech_timestamps(samples, VadOptions(min_silence_duration_ms=min_silence_ms, speech_pad_ms=pad_ms))
    return tuple((round(c["start"] / 16), round(c["end"] / 16)) for c in chunks)


def _profile(name: str) -> DialectProfile:
    if name == AUTO:
        return get_profile(DEFAULT)
    if name not in profile_names():
        raise UnknownNameError("dialect", name, (*profile_names(), AUTO))
    return get_profile(name)


def transcribe(audio: Path | str, options: AsrOptions | None = None,
               on_progress: Progress | None = None) -> Transcript:
    """Recognise the speech in a 16 kHz mono WAV (or any file ffmpeg/PyAV can decode).

    `on_progress(done_ms, total_ms)` is called after each segment (from 0 again if dialect "auto"
    recognises a second time).
    """
    options = options or AsrOptions()
    profile = _profile(options.dialect)
    model = load_model(options)
    settings = _settings(options, profile)
    samples = decode(audio)
    segments, total_ms = _recognise(model, samples, options, *settings, on_progress)
    if options.dialect == AUTO:
        name, reason = detect_dialect([s.text for s in segments])
        profile = get_profile(name)
        if _settings(options, profile) != settings:
            log.info("dialect %s (auto, %s); recognising again with its settings", name, reason)
            settings = _settings(options, profile)
            segments, total_ms = _recognise(model, samples, options, *settings, on_progress)
        else:
            log.info("dialect %s (auto, %s)", name, reason)
    if options.normalize and profile.lexicon:
        segments = tuple(replace(s, text=normalize(s.text, profile)) for s in segments)
    speech = speech_spans(samples) if options.vad else ()
    return Transcript(language=settings[0], segments=segments, duration_ms=total_ms,
                      source=Path(audio).name, model=str(options.model), dialect=profile.name, speech=speech)
