"""Collect every stage's observations into one QA report per episode and market."""

from __future__ import annotations

from collections.abc import Iterable

from localize.asr.flags import source_flag
from localize.translate.glossary import FORBIDDEN, KINDS
from localize.types import Finding, QAReport, Severity, TextBand, Transcript, Translation

# Codes this module adds to the stages' own: severity and meaning.
CODES: dict[str, tuple[Severity, str]] = {
    "mt-shortened": (Severity.INFO, "the line was rendered shorter to be read in its time"),
    "mt-retried": (Severity.INFO, "the engine was asked again: its earlier answers failed the checks"),
    "mt-term-placed": (Severity.INFO, "glossary terms the engine left out, placed back by term repair"),
    **{f"glossary-{kind}": (Severity.ERROR, "a word the market forbids is used" if kind == FORBIDDEN
                            else f"a glossary {kind} not rendered as approved ({meaning})")
       for kind, meaning in KINDS.items()},
}


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def translation_findings(translation: Translation) -> list[Finding]:
    """Each flagged line and each glossary miss becomes a finding a reviewer can act on."""
    findings: list[Finding] = []
    for line in translation.lines:
        for flag in line.flags:
            findings.append(Finding(
                code=f"mt-{flag.code}", severity=flag.severity, stage="translate",
                start_ms=line.start_ms, end_ms=line.end_ms,
                message=f"line {line.index + 1}: {flag.message} — source {_short(line.source)!r}, "
                        f"output {_short(line.target)!r}",
            ))
        if line.before_shortening:
            findings.append(Finding(
                code="mt-shortened", severity=CODES["mt-shortened"][0], stage="translate",
                start_ms=line.start_ms, end_ms=line.end_ms,
                message=f"line {line.index + 1}: rendered shorter to be read in its time "
                        f"({len(line.before_shortening)} -> {len(line.target)} characters; was "
                        f"{_short(line.before_shortening)!r})",
            ))
        if line.terms_placed:
            findings.append(Finding(
                code="mt-term-placed", severity=CODES["mt-term-placed"][0], stage="translate",
                start_ms=line.start_ms, end_ms=line.end_ms,
                message=f"line {line.index + 1}: glossary terms the engine's answer left out, placed by term "
                        f"repair: {', '.join(line.terms_placed)} — now {_short(line.target)!r}",
            ))
        if line.attempts > 1:
            findings.append(Finding(
                code="mt-retried", severity=CODES["mt-retried"][0], stage="translate",
                start_ms=line.start_ms, end_ms=line.end_ms,
                message=f"line {line.index + 1}: asked {line.attempts} times (earlier answers failed the checks)",
            ))
    by_index = {line.index: line for line in translation.lines}
    for miss in translation.glossary_misses:
        hit = by_index.get(miss.line_index)
        findings.append(Finding(
            code=f"glossary-{miss.kind}", severity=CODES[f"glossary-{miss.kind}"][0], stage="glossary",
            start_ms=hit.start_ms if hit else None, end_ms=hit.end_ms if hit else None,
            message=f"line {miss.line_index + 1}: {miss.message}",
        ))
    return findings


def source_findings(transcript: Transcript) -> list[Finding]:
    """Doubts about the Chinese source itself (sources disagree, unsure recognition, hallucination cut),
    and where in the picture it was read (the band, its reason, the text ruled out)."""
    findings = [band_finding(transcript.band)] if transcript.band else []
    findings += [Finding(code=f"source-{flag.code}", severity=flag.severity, stage="source", message=flag.message)
                 for flag in transcript.notes]
    return findings + [Finding(code=f"source-{flag.code}", severity=flag.severity, stage="source",
                               start_ms=seg.start_ms, end_ms=seg.end_ms,
                               message=f"line {index + 1} ({seg.origin}): {flag.message}")
                       for index, seg in enumerate(transcript.segments) for flag in seg.flags]


def band_finding(band: TextBand) -> Finding:
    """Where the dialogue was read, why there, and what other text in the picture was ruled out."""
    ignored = "; ".join(f"{_short(item.text, 24)!r} at rows {item.box.y0}-{item.box.y1}: {item.reason}"
                        for item in band.ignored)
    detail = (f"rows {band.box.y0}-{band.box.y1} of the {band.frame_width}x{band.frame_height} frame "
              f"({band.reason})" + (f"; ignored: {ignored}" if ignored else ""))
    flag = source_flag("band-chosen", detail)
    return Finding(code=f"source-{flag.code}", severity=flag.severity, stage="source", message=flag.message)


def build_report(episode: str, market: str, *groups: Iterable[Finding]) -> QAReport:
    """Merge findings from all stages, ordered by time then severity."""
    rank = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    merged = [f for group in groups for f in group]
    merged.sort(key=lambda f: (f.start_ms if f.start_ms is not None else -1, rank[f.severity], f.code))
    return QAReport(episode=episode, market=market, findings=tuple(merged))
