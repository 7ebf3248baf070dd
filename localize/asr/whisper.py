"""The only module that imports faster_whisper: load once, transcribe to a Transcript.

faster-whisper gives float seconds; they become integer milliseconds here, once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from localize.asr.chinese import to_simplified
from localize.asr.options import AsrOptions
from localize.errors import MissingDependencyError, ModelError
from localize.models import whisper_base_dir
from localize.types import Segment, Transcript, Word

log = logging.getLogger("localize")

BUNDLED = {"base": whisper_base_dir}
_models: dict[tuple[str, str, str, int], Any] = {}
_lock = threading.Lock()


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
    key = (str(path), options.device, options.compute_type, options.cpu_threads)
    with _lock:
        if key not in _models:
            try:
                from faster_whisper import WhisperModel
            except ImportError as exc:
                raise MissingDependencyError("faster-whisper", "pip install faster-whisper") from exc
            log.info("loading ASR model %s", path)
            _models[key] = WhisperModel(
                str(path), device=options.device, compute_type=options.compute_type,
                cpu_threads=options.cpu_threads, local_files_only=True,
            )
        return _models[key]


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def _word(raw: Any, simplified: bool) -> Word:
    text = to_simplified(raw.word) if simplified else raw.word
    return Word(start_ms=_ms(raw.start), end_ms=_ms(raw.end), text=text.strip(),
                probability=float(raw.probability))


def transcribe(audio: Path | str, options: AsrOptions | None = None,
               on_progress: Callable[[int, int], None] | None = None) -> Transcript:
    """Recognise the speech in a 16 kHz mono WAV (or any file ffmpeg/PyAV can decode).

    `on_progress(done_ms, total_ms)` is called after each segment.
    """
    options = options or AsrOptions()
    model = load_model(options)
    vad_parameters = {"min_silence_duration_ms": options.min_silence_ms} if options.vad else None
    raw_segments, info = model.transcribe(
        str(audio), language=options.language, beam_size=options.beam_size,
        temperature=options.temperature, vad_filter=options.vad, vad_parameters=vad_parameters,
        word_timestamps=True, initial_prompt=options.initial_prompt, condition_on_previous_text=False,
    )
    total_ms = _ms(info.duration)
    segments: list[Segment] = []
    for raw in raw_segments:
        text = raw.text.strip()
        if options.simplified:
            text = to_simplified(text)
        words = tuple(_word(w, options.simplified) for w in (raw.words or ()))
        start = words[0].start_ms if words else _ms(raw.start)
        end = words[-1].end_ms if words else _ms(raw.end)
        if text:
            segments.append(Segment(start_ms=start, end_ms=max(end, start + 1), text=text, words=words))
        if on_progress:
            on_progress(min(end, total_ms), total_ms)
    return Transcript(language=options.language, segments=tuple(segments), duration_ms=total_ms,
                      source=Path(audio).name, model=str(options.model))
