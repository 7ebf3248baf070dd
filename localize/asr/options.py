"""Recognition options, documented in one place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AsrOptions:
    """How an episode's dialogue is recognised.

    model: "base" (the bundled multilingual Whisper base) or a path to any
        faster-whisper (CTranslate2) model directory.
    language: Whisper language code of the dialogue ("zh"; "yue" for Cantonese later).
    beam_size: 5 is Whisper's default; 1 (greedy) is ~2x faster and a little worse.
    vad: skip non-speech with the Silero VAD bundled in faster-whisper.
    temperature: 0 keeps run time predictable (no sampling fallback loop).
    simplified: convert Whisper's traditional characters to simplified (OpenCC t2s).
    initial_prompt: short context such as character names; long prompts make Whisper hallucinate.
    """

    model: str = "base"
    language: str = "zh"
    beam_size: int = 5
    vad: bool = True
    min_silence_ms: int = 500
    temperature: float = 0.0
    simplified: bool = True
    initial_prompt: str | None = None
    compute_type: str = "int8"
    device: str = "cpu"
    cpu_threads: int = 0  # 0 = let CTranslate2 choose
