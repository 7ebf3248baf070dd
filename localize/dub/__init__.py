"""Dubbing: voices (TTS engines), duration fitting, mixing over the original, loudness.

Modules, one job each: `dub` (the entry points below), `voices` (engine registry,
casting per speaker), `piper` (Piper voices on onnxruntime), `espeak` (espeak-ng),
`fit` (placement arithmetic), `mix` (pydub), `loudness` (pyloudnorm, true peak),
`wav` (PCM WAV files). Heavy libraries are imported only when first used.
"""

from localize.dub.dub import DubOptions, dub_episode, dub_findings

__all__ = ["DubOptions", "dub_episode", "dub_findings"]
