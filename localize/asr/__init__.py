"""Speech recognition: bundled Whisper base through faster-whisper, to a Transcript."""

from localize.asr.dialects import DialectProfile, detect_dialect, get_profile, normalize, profile_names
from localize.asr.guard import GuardOptions, guard_segments
from localize.asr.options import AsrOptions
from localize.asr.whisper import load_model, resolve_model, transcribe

__all__ = [
    "AsrOptions",
    "DialectProfile",
    "GuardOptions",
    "detect_dialect",
    "get_profile",
    "guard_segments",
    "load_model",
    "normalize",
    "profile_names",
    "resolve_model",
    "transcribe",
]
