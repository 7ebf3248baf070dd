"""Transcripts as JSON (segments with ms times and words) and plain text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from localize.fsutil import write_text_atomic
from localize.types import Cue, Transcript


def transcript_dict(transcript: Transcript) -> dict[str, Any]:
    band = transcript.band
    return {
        "source": transcript.source, "language": transcript.language, "model": transcript.model,
        "dialect": transcript.dialect, "duration_ms": transcript.duration_ms,
        "subtitle_band": None if band is None else {
            "x0": band.box.x0, "y0": band.box.y0, "x1": band.box.x1, "y1": band.box.y1,
            "frame_width": band.frame_width, "frame_height": band.frame_height,
            "reason": band.reason,
            "static_text_ignored": [text for _, text in band.static],
            "other_text_ignored": [{"y0": item.box.y0, "y1": item.box.y1, "text": item.text, "reason": item.reason}
                                   for item in band.ignored]},
        "notes": [{"code": f.code, "severity": str(f.severity), "message": f.message} for f in transcript.notes],
        "segments": [
            {"start_ms": s.start_ms, "end_ms": s.end_ms, "text": s.text, "speaker": s.speaker,
             "source": str(s.origin), "confidence": round(s.confidence, 3),
             "flags": [{"code": f.code, "severity": str(f.severity), "message": f.message} for f in s.flags],
             "words": [{"start_ms": w.start_ms, "end_ms": w.end_ms, "text": w.text,
                        "probability": round(w.probability, 3)} for w in s.words]}
            for s in transcript.segments
        ],
    }


def transcript_json(transcript: Transcript) -> str:
    return json.dumps(transcript_dict(transcript), ensure_ascii=False, indent=2)


def write_transcript_json(transcript: Transcript, path: Path) -> Path:
    return write_text_atomic(path, transcript_json(transcript))


def transcript_text(transcript: Transcript) -> str:
    return "\n".join(s.text for s in transcript.segments)


def transcript_cues(transcript: Transcript) -> tuple[Cue, ...]:
    """Source segments as cues, for a Chinese reference subtitle file."""
    return tuple(Cue(start_ms=s.start_ms, end_ms=s.end_ms, lines=(s.text,), line_index=i, speaker=s.speaker)
                 for i, s in enumerate(transcript.segments))
