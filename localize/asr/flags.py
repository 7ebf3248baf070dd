"""The flags a source segment can carry: one definition, read by fusion, the guard and QA."""

from __future__ import annotations

from localize.types import Severity, SourceFlag

# code -> (severity, what it means for a reviewer)
CODES: dict[str, tuple[Severity, str]] = {
    "speech-without-subtitle": (Severity.WARNING, "speech was heard but no burned-in line is on screen"),
    "subtitle-without-speech": (Severity.WARNING, "a burned-in line with no speech under it (a sign, a caption?)"),
    "ocr-asr-disagree": (Severity.WARNING, "the burned-in line and the speech say different things"),
    "low-confidence": (Severity.WARNING, "the recogniser was unsure of these words"),
    "repetition": (Severity.WARNING, "looping text from the recogniser was cut"),
    "no-speech": (Severity.WARNING, "text recognised over music or silence"),
    "script-unmatched": (Severity.WARNING, "a script line not found in the audio or picture; its times are estimated"),
    "speaker-uncertain": (Severity.WARNING, "the voice matches a season character only loosely; check who speaks"),
    "recap": (Severity.INFO, "this line replays an earlier episode: its text (and its translation and dub, "
                             "from the memory and the speech cache) are reused"),
    # About the whole episode (Transcript.notes):
    "band-chosen": (Severity.INFO, "the dialogue is read from this band of the picture"),
    "picture-set-aside": (Severity.WARNING, "the picture's text and the speech disagree over most of the episode; "
                                            "the text comes from the speech"),
}


def source_flag(code: str, detail: str = "") -> SourceFlag:
    """A flag with the severity its code has; `detail` is appended to the code's meaning."""
    severity, meaning = CODES[code]
    return SourceFlag(code=code, message=f"{meaning}: {detail}" if detail else meaning, severity=severity)
