"""Recognition options, documented in one place."""

from __future__ import annotations

from dataclasses import dataclass, field

from localize.asr.guard import GuardOptions


@dataclass(frozen=True)
class AsrOptions:
    """How an episode's dialogue is recognised.

    model: "base" (the bundled multilingual Whisper base) or a path to any
        faster-whisper (CTranslate2) model directory.
    dialect: a profile of localize.asr.dialects ("mandarin", "cantonese", "sichuanese") or "auto":
        recognise as Mandarin, detect the dialect from the text, recognise again only if the detected
        profile recognises differently.
    language: Whisper language code; None takes the dialect profile's ("zh" for all bundled ones:
        Whisper base has no "yue" token).
    normalize: rewrite the dialect's spellings in standard written Chinese (佢哋 -> 他们), which translation
        needs; does nothing for Mandarin. Segment words keep what was heard. On by default: Whisper base
        already writes Cantonese speech mostly in standard Chinese, where it changes nothing; it fixes text
        that does carry dialect spellings, and changed none of 511 Mandarin sentences (bench/dialect_eval.py).
    beam_size: 5 is Whisper's default; 1 (greedy) is ~2x faster and a little worse.
    vad: skip non-speech with the Silero VAD bundled in faster-whisper.
    temperature: 0 keeps run time predictable (no sampling fallback loop).
    simplified: convert Whisper's traditional characters to simplified (OpenCC t2s).
    initial_prompt: short context such as character names; long prompts make Whisper hallucinate.
        None takes the dialect profile's prompt (none of the bundled profiles has one).
    guard: what the hallucination and repetition guard drops, cuts and flags.
    """

    model: str = "base"
    dialect: str = "mandarin"
    language: str | None = None
    normalize: bool = True
    beam_size: int = 5
    vad: bool = True
    min_silence_ms: int = 500
    temperature: float = 0.0
    simplified: bool = True
    initial_prompt: str | None = None
    compute_type: str = "int8"
    device: str = "cpu"  # "cpu", "cuda" or "auto" (CTranslate2 picks CUDA when a GPU is there)
    cpu_threads: int = 0  # 0 = this process's share of the cores (localize.cores)
    guard: GuardOptions = field(default_factory=GuardOptions)
