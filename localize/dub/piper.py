"""Run a Piper voice (VITS exported to ONNX) with onnxruntime: the only module importing onnxruntime.

The GPL `piper-tts` runtime is not used. What a voice needs is small:
its `.onnx.json` says the sample rate, the espeak-ng voice to phonemize with,
the inference scales and the map from IPA symbols to input ids. Text is split
into clauses at punctuation, each clause is phonemized by espeak-ng (IPA), the
clause's punctuation is put back (the voices were trained with it), and each
sentence becomes one id sequence in Piper's layout:

    ^ _ p1 _ p2 _ ... pn _ $      (BOS, pad after every symbol, EOS)

Each sentence is one model call; sentences are joined with a short silence.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from localize import cores
from localize.dub import espeak
from localize.errors import InputFormatError, MissingDependencyError, ModelError
from localize.models import piper_voice_files

log = logging.getLogger("localize")

PAD, BOS, EOS = "_", "^", "$"
_SENTENCE_END = frozenset(".!?…")
# Punctuation that ends a clause when followed by space or the end (so "3.5" and "1,000" stay whole);
# closing quotes and brackets after it are dropped.
_CLAUSE = re.compile(r"([.,!?;:…]+)[\"'”’)\]]*(?=\s|$)")
_FULL_WIDTH = str.maketrans({"，": ", ", "。": ". ", "！": "! ", "？": "? ", "；": "; ", "：": ": ",
                             "、": ", ", "…": "… "})
_warned_symbols: set[str] = set()


@dataclass(frozen=True)
class PiperConfig:
    """What a voice's `.onnx.json` says, reduced to what inference needs."""

    sample_rate: int
    espeak_voice: str
    phoneme_id_map: Mapping[str, tuple[int, ...]]
    noise_scale: float = 0.667
    length_scale: float = 1.0
    noise_w: float = 0.8
    num_speakers: int = 1

    @classmethod
    def load(cls, path: Path | str) -> PiperConfig:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ModelError(f"cannot read Piper voice config {path}: {exc}") from exc
        except json.JSONDecodeError as exc:
            raise InputFormatError(path, exc.lineno, f"invalid JSON: {exc.msg}") from exc
        try:
            inference = data.get("inference", {})
            id_map = {str(sym): tuple(int(i) for i in ids) for sym, ids in data["phoneme_id_map"].items()}
            config = cls(
                sample_rate=int(data["audio"]["sample_rate"]),
                espeak_voice=str(data["espeak"]["voice"]),
                phoneme_id_map=id_map,
                noise_scale=float(inference.get("noise_scale", 0.667)),
                length_scale=float(inference.get("length_scale", 1.0)),
                noise_w=float(inference.get("noise_w", 0.8)),
                num_speakers=int(data.get("num_speakers", 1)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputFormatError(path, 0, f"not a Piper voice config ({exc!r})",
                                   expected="audio.sample_rate, espeak.voice, phoneme_id_map") from exc
        for symbol in (PAD, BOS, EOS):
            if symbol not in id_map:
                raise InputFormatError(path, 0, f"phoneme_id_map lacks {symbol!r}", expected="_ ^ $")
        return config


@dataclass(frozen=True)
class PiperOptions:
    """Per-call settings; None keeps the voice's own value from its config."""

    length_scale: float | None = None  # > 1 speaks slower, < 1 faster
    noise_scale: float | None = None  # variation in the voice
    noise_w: float | None = None  # variation in phoneme durations
    speaker_id: int = 0  # only used by multi-speaker voices
    sentence_silence_ms: int = 120  # pause inserted between sentences


def split_clauses(text: str) -> list[tuple[str, str]]:
    """Split text into (clause, punctuation) pairs; the clause keeps its punctuation for espeak."""
    text = " ".join(text.translate(_FULL_WIDTH).split())
    clauses: list[tuple[str, str]] = []
    pos = 0
    for match in _CLAUSE.finditer(text):
        piece = text[pos:match.end()].strip()
        if any(ch.isalnum() for ch in piece):
            clauses.append((piece, match.group(1)))
        pos = match.end()
    tail = text[pos:].strip()
    if any(ch.isalnum() for ch in tail):
        clauses.append((tail, ""))
    return clauses


def _piper_punctuation(punct: str) -> str:
    """The one symbol Piper voices know for a run of punctuation ("?!" -> "?", "..." -> ".")."""
    for symbol in "?!.":
        if symbol in punct or (symbol == "." and "…" in punct):
            return symbol
    return punct[:1]


def phonemes_to_ids(phonemes: str, id_map: Mapping[str, tuple[int, ...]]) -> list[int]:
    """Piper's id layout: BOS, pad, then every symbol followed by pad, then EOS.

    A symbol missing from the map is tried in its decomposed form (a letter plus
    combining mark); what still does not fit is skipped, and logged once per process.
    """
    pad = list(id_map[PAD])
    ids = [*id_map[BOS], *pad]
    for symbol in phonemes:
        parts = [symbol] if symbol in id_map else _decompose(symbol)
        for part in parts:
            if part in id_map:
                ids.extend(id_map[part])
                ids.extend(pad)
            elif part not in _warned_symbols:
                _warned_symbols.add(part)
                log.warning("Piper voice has no id for phoneme %r (U+%04X); skipping it", part, ord(part))
    ids.extend(id_map[EOS])
    return ids


def _decompose(symbol: str) -> list[str]:
    return list(unicodedata.normalize("NFD", symbol))


class PiperVoice:
    """One Piper voice: a config and a (process-wide cached) onnxruntime session."""

    def __init__(self, model: Path | str, config: PiperConfig) -> None:
        self.model = Path(model)
        self.config = config

    @property
    def sample_rate(self) -> int:
        return self.config.sample_rate

    def sentence_phonemes(self, text: str) -> list[str]:
        """IPA phonemes per sentence, clause punctuation kept, clauses joined by a space."""
        sentences: list[str] = []
        current: list[str] = []
        for clause, punct in split_clauses(text):
            ipa = " ".join(espeak.phonemize_ipa(clause, self.config.espeak_voice))
            if ipa:
                current.append(ipa + _piper_punctuation(punct))
            if current and any(ch in _SENTENCE_END for ch in punct):
                sentences.append(" ".join(current))
                current = []
        if current:
            sentences.append(" ".join(current))
        return sentences

    def synthesize(self, text: str, options: PiperOptions | None = None) -> np.ndarray:
        """Speak `text`; float32 mono samples in [-1, 1] at `sample_rate` (empty for no speech)."""
        options = options or PiperOptions()
        silence = np.zeros(round(options.sentence_silence_ms * self.sample_rate / 1000), dtype=np.float32)
        chunks: list[np.ndarray] = []
        for phonemes in self.sentence_phonemes(text):
            if chunks:
                chunks.append(silence)
            chunks.append(self._infer(phonemes_to_ids(phonemes, self.config.phoneme_id_map), options))
        if not chunks:
            return np.zeros(0, dtype=np.float32)
        return np.concatenate(chunks)

    def _infer(self, ids: Sequence[int], options: PiperOptions) -> np.ndarray:
        session = _session(str(self.model), cores.per_piece())
        cfg = self.config
        scales = [
            cfg.noise_scale if options.noise_scale is None else options.noise_scale,
            cfg.length_scale if options.length_scale is None else options.length_scale,
            cfg.noise_w if options.noise_w is None else options.noise_w,
        ]
        feeds: dict[str, Any] = {
            "input": np.asarray([ids], dtype=np.int64),
            "input_lengths": np.asarray([len(ids)], dtype=np.int64),
            "scales": np.asarray(scales, dtype=np.float32),
        }
        if "sid" in {i.name for i in session.get_inputs()}:
            feeds["sid"] = np.asarray([options.speaker_id], dtype=np.int64)
        audio = session.run(None, feeds)[0]
        return np.clip(np.asarray(audio, dtype=np.float32).reshape(-1), -1.0, 1.0)


@functools.lru_cache(maxsize=4)
def _session(model_path: str, threads: int) -> Any:
    """One onnxruntime session per model file and share of the cores (loading takes about a second)."""
    try:
        import onnxruntime
    except ImportError as exc:
        raise MissingDependencyError("onnxruntime", "install it with: pip install onnxruntime") from exc
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # ORT warns about unused initializers in exported VITS graphs
    log.info("loading Piper voice %s", model_path)
    try:
        return onnxruntime.InferenceSession(model_path, sess_options=options,
                                            providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own untyped errors for bad files
        raise ModelError(f"cannot load Piper voice {model_path}: {exc}") from exc


@functools.lru_cache(maxsize=8)
def load_voice(name: str) -> PiperVoice:
    """A Piper voice by bundled name ("joe") or path to a `.onnx` with its `.onnx.json` beside it."""
    files = piper_voice_files(name)
    return PiperVoice(files.model, PiperConfig.load(files.config))
