"""A market's translation of an episode as JSON: every line with its times, speaker, source, target,
origin and flags, and the glossary misses. Written by each delivery (OUT/.work/<episode>/lines-<market>.json,
see localize.paths), read by the post-editing kit (localize.kit). Reading gives back the same Translation.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from localize.errors import InputFormatError
from localize.fsutil import write_text_atomic
from localize.types import GlossaryMiss, Line, LineOrigin, Severity, Translation, TranslationFlag

FORMAT = "localize-lines/1"


def translation_dict(translation: Translation, episode: str) -> dict[str, Any]:
    return {
        "format": FORMAT, "episode": episode, "market": translation.market, "engine": translation.engine,
        "lines": [
            {"index": line.index, "start_ms": line.start_ms, "end_ms": line.end_ms, "speaker": line.speaker,
             "source": line.source, "target": line.target, "origin": str(line.origin),
             "flags": [{"code": f.code, "severity": str(f.severity), "message": f.message} for f in line.flags]}
            for line in translation.lines
        ],
        "glossary_misses": [
            {"line_index": m.line_index, "source_term": m.source_term, "expected": m.expected, "kind": m.kind,
             "message": m.message}
            for m in translation.glossary_misses
        ],
    }


def write_translation_json(translation: Translation, episode: str, path: Path) -> Path:
    """Write it atomically; an unchanged file is left alone (its time stamp too)."""
    text = json.dumps(translation_dict(translation, episode), ensure_ascii=False, indent=1)
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return path
    return write_text_atomic(path, text)


def read_translation_json(path: Path) -> Translation:
    """The Translation a delivery wrote; a file of another format or a damaged one names the file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputFormatError(path, exc.lineno, f"not readable JSON ({exc.msg})", f"a {FORMAT} file") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputFormatError(path, 0, "not a translation written by localize", f"a {FORMAT} file")
    try:
        lines = tuple(
            Line(index=int(d["index"]), start_ms=int(d["start_ms"]), end_ms=int(d["end_ms"]), source=d["source"],
                 target=d["target"], speaker=d.get("speaker"), origin=LineOrigin(d.get("origin", "engine")),
                 flags=tuple(TranslationFlag(f["code"], f["message"], Severity(f["severity"])) for f in d["flags"]))
            for d in data["lines"])
        misses = tuple(GlossaryMiss(int(m["line_index"]), m["source_term"], m["expected"], m["kind"], m["message"])
                       for m in data.get("glossary_misses", ()))
        return Translation(str(data["market"]), str(data["engine"]), lines, misses)
    except (KeyError, TypeError, ValueError) as exc:
        raise InputFormatError(path, 0, f"damaged translation file ({type(exc).__name__}: {exc})",
                               f"a {FORMAT} file") from None
