"""Speech recognition: bundled Whisper base through faster-whisper, to a Transcript."""

from localize.asr.options import AsrOptions
from localize.asr.whisper import load_model, resolve_model, transcribe

__all__ = ["AsrOptions", "load_model", "resolve_model", "transcribe"]
