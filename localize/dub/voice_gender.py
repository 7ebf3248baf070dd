"""The gender a voice sounds, measured once by its pitch: for catalogue voices that do not say
(a user's own Piper voices and the speakers of a multi-speaker one), so casting can still match
characters by gender. Measurements are kept in the models folder (`voice-pitch.json`)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np

from localize.dub.voices import VoiceOption
from localize.fsutil import write_text_atomic
from localize.markets import Market

CACHE_NAME = "voice-pitch.json"


def _cache_path() -> Path:
    from localize.models import models_dir

    return models_dir() / CACHE_NAME


def measured_f0(option: VoiceOption, market: Market) -> float | None:
    """Median pitch (Hz) of the voice saying a short line of the market's language; measured once per voice id."""
    from localize.dub.audition import sample_line
    from localize.dub.wav import read_wav, resample
    from localize.speakers.pitch import median_f0

    path = _cache_path()
    try:
        cache = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except ValueError:
        cache = {}  # a damaged cache is measured again
    if option.id in cache:
        return None if cache[option.id] is None else float(cache[option.id])
    with tempfile.TemporaryDirectory(prefix="localize-voice-") as tmp:
        audio = read_wav(option.voice.synthesize(sample_line(market), Path(tmp) / "line.wav"))
        f0 = median_f0(resample(audio, 16000).samples[:, 0].astype(np.float32), 16000) if audio.frames else None
    cache[option.id] = None if f0 is None else round(f0, 1)
    write_text_atomic(path, json.dumps(cache, ensure_ascii=False, indent=1, sort_keys=True))
    return f0


def sounding_gender(option: VoiceOption, market: Market) -> str:
    """The option's gender; for "any", the one its pitch suggests ("any" still when between the ranges)."""
    if option.gender != "any":
        return option.gender
    from localize.speakers.pitch import gender_hint

    hint = gender_hint(measured_f0(option, market))
    return hint if hint in ("female", "male") else "any"
