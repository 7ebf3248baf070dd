"""The only module that imports ctranslate2 for translation: converted seq2seq models.

A CTranslate2 model is a directory with `model.bin` (written by `convert`, or by
`ct2-transformers-converter`) and, beside it or in a separate directory, the original
model's transformers tokenizer files (loaded through `hf_adapter.load_tokenizer`).
Marian, NLLB-200, M2M100 and mBART models convert. Each model is loaded once per
process, device and compute type.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localize import cores
from localize.errors import MissingDependencyError, ModelError, OutputExistsError
from localize.translate import hf_adapter

log = logging.getLogger("localize")

MODEL_FILE = "model.bin"
# What a transformers seq2seq model keeps its tokenizer in (Marian: *.spm + vocab.json; NLLB/M2M100/mBART:
# sentencepiece.bpe.model or tokenizer.json), copied beside model.bin so the directory stands alone.
TOKENIZER_FILES = (
    "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "source.spm",
    "target.spm", "sentencepiece.bpe.model", "spm.model", "added_tokens.json", "generation_config.json",
)
QUANTIZATIONS = ("float32", "int8", "int8_float32", "int8_float16", "int8_bfloat16", "int16", "float16", "bfloat16")
COMPUTE_TYPES = ("auto", "default", *QUANTIZATIONS)

_lock = threading.Lock()
_loaded: dict[str, CT2Model] = {}


@dataclass(frozen=True)
class CT2Model:
    """A loaded CTranslate2 translator and the transformers tokenizer of its vocabulary."""

    source: str
    translator: Any
    tokenizer: Any
    device: str
    compute_type: str  # what CTranslate2 actually computes in (after "auto" was resolved)
    lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    def has_token(self, token: str) -> bool:
        return token in self.tokenizer.get_vocab()


@dataclass(frozen=True)
class DecodeOptions:
    """How CTranslate2 searches (its `translate_batch` arguments)."""

    beam_size: int = 4
    max_decoding_length: int = 128  # tokens generated at most (the language token included)
    repetition_penalty: float = 1.0  # > 1 penalizes tokens already generated
    no_repeat_ngram_size: int = 0  # > 0: never repeat an n-gram of this size
    batch_size: int = 8


def _ct2() -> Any:
    try:
        import ctranslate2
    except ImportError as exc:
        raise MissingDependencyError("ctranslate2", "pip install ctranslate2==4.8.5") from exc
    return ctranslate2


def ct2_device(device: str) -> str:
    """"cpu", "cuda" or "auto" (CUDA when CTranslate2 sees a GPU) as a CTranslate2 device."""
    if device not in ("cpu", "cuda", "auto"):
        raise ModelError(f"device {device!r}: give cpu, cuda or auto")
    if device == "cpu":
        return "cpu"
    if _ct2().get_cuda_device_count() > 0:
        return "cuda"
    if device == "cuda":
        raise ModelError("device 'cuda' asked for CTranslate2, but it sees no GPU: use --device auto or cpu")
    return "cpu"


def compute_type_for(dtype: str, device: str) -> str:
    """The CTranslate2 compute type for a market's `dtype`.

    "auto" is int8 on CPU (measured with bench/mt_eval.py on an opus-mt-sized Marian, 2 cores:
    see the README) and CTranslate2's own choice on a GPU; other names pass through.
    """
    if dtype not in COMPUTE_TYPES:
        raise ModelError(f"compute type {dtype!r}: give one of {', '.join(COMPUTE_TYPES)}")
    if dtype == "auto":
        return "int8" if device == "cpu" else "auto"
    return dtype


def check_model_dir(model: str) -> Path:
    """The directory of a converted model, or a ModelError that names the path and says what to do."""
    path = Path(model).expanduser()
    if not path.exists():
        raise ModelError(f"CTranslate2 model {path} does not exist")
    if not path.is_dir():
        raise ModelError(f"CTranslate2 model {path} is not a directory (expected {MODEL_FILE} inside)")
    if not (path / MODEL_FILE).is_file():
        hint = (" (it looks like a transformers model: convert it with `localize models convert-ct2 "
                f"{path} DST_DIR`)" if (path / "config.json").is_file() else "")
        raise ModelError(f"{path} is not a CTranslate2 model: no {MODEL_FILE} in it{hint}")
    return path.resolve()


def load_model(model: str, device: str = "cpu", dtype: str = "auto", tokenizer: str | None = None) -> CT2Model:
    """A converted model by directory, loaded once per process, device and compute type."""
    path = check_model_dir(model)
    where = ct2_device(device)
    compute = compute_type_for(dtype, where)
    tokenizer_path = str(Path(tokenizer).expanduser()) if tokenizer else str(path)
    key = f"{path}@{where}/{compute}/{tokenizer_path}/{_threads()} threads"
    with _lock:
        if key not in _loaded:
            began = time.perf_counter()
            _loaded[key] = _build(path, where, compute, tokenizer_path)
            log.info("loaded CTranslate2 model %s (%s, %s) in %.1f s", path, where, _loaded[key].compute_type,
                     time.perf_counter() - began)
        return _loaded[key]


def _build(path: Path, device: str, compute_type: str, tokenizer_path: str) -> CT2Model:
    ctranslate2 = _ct2()
    try:
        translator = ctranslate2.Translator(str(path), device=device, compute_type=compute_type,
                                            intra_threads=_threads() if device == "cpu" else 0)
    except (RuntimeError, ValueError) as exc:
        raise ModelError(f"cannot load CTranslate2 model {path}: {exc}") from exc
    tok = hf_adapter.load_tokenizer(tokenizer_path)
    return CT2Model(str(path), translator, tok, device, str(translator.compute_type))


def _threads() -> int:
    """This process's share of the cores (localize.cores), as for the transformers engines."""
    return cores.per_piece()


def translate(
    model: CT2Model,
    texts: Sequence[str],
    options: DecodeOptions = DecodeOptions(),
    *,
    source_language: str | None = None,
    target_token: str | None = None,
) -> list[str]:
    """Translate `texts` (see `translate_tokens`), decoded without special tokens, first line only."""
    tokenizer = model.tokenizer
    hypotheses = translate_tokens(model, texts, options, source_language=source_language, target_token=target_token)
    decoded = [tokenizer.decode(tokenizer.convert_tokens_to_ids(tokens), skip_special_tokens=True)
               for tokens in hypotheses]
    return [text.split("\n", 1)[0].strip() for text in decoded]


def translate_tokens(
    model: CT2Model,
    texts: Sequence[str],
    options: DecodeOptions = DecodeOptions(),
    *,
    source_language: str | None = None,
    target_token: str | None = None,
) -> list[list[str]]:
    """The best hypothesis' tokens for each text: tokenized by the model's tokenizer (with
    `src_lang` where it has one), `target_token` as the target prefix (NLLB/M2M100/mBART)."""
    tokenizer = model.tokenizer
    prefix = [[target_token]] if target_token else None
    hypotheses: list[list[str]] = []
    step = max(1, options.batch_size)
    with model.lock:
        if source_language is not None and hasattr(tokenizer, "src_lang"):
            tokenizer.src_lang = source_language
        for start in range(0, len(texts), step):
            chunk = list(texts[start : start + step])
            tokens = [tokenizer.convert_ids_to_tokens(tokenizer.encode(text, truncation=True, max_length=512))
                      for text in chunk]
            results = model.translator.translate_batch(
                tokens,
                target_prefix=prefix * len(chunk) if prefix else None,
                beam_size=options.beam_size,
                max_decoding_length=options.max_decoding_length,
                repetition_penalty=options.repetition_penalty,
                no_repeat_ngram_size=options.no_repeat_ngram_size,
            )
            hypotheses += [list(result.hypotheses[0]) for result in results]
    return hypotheses


def continue_prefixes(
    model: CT2Model,
    texts: Sequence[str],
    prefixes: Sequence[str],
    options: DecodeOptions = DecodeOptions(),
    *,
    source_language: str | None = None,
    target_token: str | None = None,
) -> list[tuple[str, float]]:
    """Per text, the translation forced to start with its prefix (CTranslate2's target_prefix), and
    the model's mean log-probability per token of the whole translation (score_batch)."""
    tokenizer = model.tokenizer
    start = [target_token] if target_token else []
    with model.lock:
        if source_language is not None and hasattr(tokenizer, "src_lang"):
            tokenizer.src_lang = source_language
        sources = [tokenizer.convert_ids_to_tokens(tokenizer.encode(text, truncation=True, max_length=512))
                   for text in texts]
        forced = [start + tokenizer.convert_ids_to_tokens(
            tokenizer(text_target=prefix, add_special_tokens=False)["input_ids"]) for prefix in prefixes]
        results = model.translator.translate_batch(
            sources, target_prefix=forced, beam_size=1, max_batch_size=max(1, options.batch_size),
            max_decoding_length=options.max_decoding_length,
        )
        hypotheses = [list(result.hypotheses[0]) for result in results]
        scores = model.translator.score_batch(sources, hypotheses, max_batch_size=max(1, options.batch_size))
    out = []
    for tokens, score in zip(hypotheses, scores, strict=True):
        text = tokenizer.decode(tokenizer.convert_tokens_to_ids(tokens), skip_special_tokens=True)
        log_probs = list(score.log_probs)
        out.append((text.split("\n", 1)[0].strip(), sum(log_probs) / max(1, len(log_probs))))
    return out


def convert(source: Path | str, destination: Path | str, quantization: str | None = None) -> Path:
    """Convert a local transformers seq2seq model into a CTranslate2 directory (offline).

    The tokenizer files are copied beside `model.bin`. Never overwrites: an existing
    `destination` is refused.
    """
    src = Path(source).expanduser()
    dst = Path(destination).expanduser()
    if not (src / "config.json").is_file():
        raise ModelError(f"{src} is not a transformers model directory (no config.json in it)")
    if dst.exists():
        raise OutputExistsError(dst, "choose another folder, or delete it first")
    if quantization is not None and quantization not in QUANTIZATIONS:
        raise ModelError(f"quantization {quantization!r}: give one of {', '.join(QUANTIZATIONS)}")
    _ct2()
    from ctranslate2.converters import TransformersConverter

    copy = [name for name in TOKENIZER_FILES if (src / name).is_file()]
    converter = TransformersConverter(str(src), copy_files=copy)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the converter loads through transformers: never the hub
    try:
        converter.convert(str(dst), quantization=quantization)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        if dst.exists():
            shutil.rmtree(dst, ignore_errors=True)  # half written: do not leave it to be loaded later
        raise ModelError(f"cannot convert {src} to CTranslate2: {exc}") from exc
    return dst
