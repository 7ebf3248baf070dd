"""Frozen values that travel between pipeline stages.

Every time is an integer number of milliseconds; adapters convert a library's
float seconds once, at the boundary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


class Severity(StrEnum):
    """How bad a QA finding is; `error` fails the QA gate (exit status 1)."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class MediaInfo:
    """What ffprobe says about one media file."""

    path: Path
    duration_ms: int
    width: int | None
    height: int | None
    fps: float | None
    audio_streams: int
    video_codec: str | None = None
    audio_codec: str | None = None


@dataclass(frozen=True)
class Word:
    start_ms: int
    end_ms: int
    text: str
    probability: float = 1.0


Span = tuple[int, int]  # (start_ms, end_ms)


class TextOrigin(StrEnum):
    """Where a segment's words came from, best first."""

    SCRIPT = "script"  # the studio's script
    OCR = "ocr"  # the Chinese line burned into the picture
    ASR = "asr"  # what speech recognition heard


@dataclass(frozen=True)
class SourceFlag:
    """Something doubtful about one source segment (sources disagree, low confidence, hallucination...).

    `code` is one of localize.asr.flags.CODES; every flag reaches the QA report.
    """

    code: str
    message: str
    severity: Severity = Severity.WARNING


@dataclass(frozen=True)
class Segment:
    """One spoken unit of the source, as recognised, read from the picture or imported from a script."""

    start_ms: int
    end_ms: int
    text: str
    words: tuple[Word, ...] = ()
    speaker: str | None = None
    origin: TextOrigin = TextOrigin.ASR
    confidence: float = 1.0  # 0-1: mean word probability (ASR), recogniser score (OCR), match score (script)
    flags: tuple[SourceFlag, ...] = ()
    no_speech_prob: float = 0.0  # Whisper's estimate that the segment is not speech (ASR only)


@dataclass(frozen=True)
class Box:
    """A rectangle in frame pixels: x0/y0 inclusive, x1/y1 exclusive."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0


@dataclass(frozen=True)
class IgnoredText:
    """Text in the picture that is not the dialogue (a timecode, a ticker, a sign), and why it was ruled out."""

    box: Box
    text: str
    reason: str


@dataclass(frozen=True)
class TextBand:
    """Where an episode burns in its dialogue subtitles, found in the picture.

    `static` lists text that never changes (series title, watermark): not dialogue.
    `reason` says why this band was taken (the evidence, or that a person named it);
    `ignored` lists the other text in the picture that was ruled out, with its reason.
    """

    box: Box
    frame_width: int
    frame_height: int
    static: tuple[tuple[Box, str], ...] = ()
    reason: str = ""
    ignored: tuple[IgnoredText, ...] = ()


@dataclass(frozen=True)
class OcrCue:
    """One distinct burned-in line and the frames it is on screen (end exclusive)."""

    start_ms: int
    end_ms: int
    text: str
    box: Box
    confidence: float
    first_frame: int = 0
    last_frame: int = 0
    reads: tuple[tuple[str, float], ...] = ()  # every read of the line with its weight (frames x score)


@dataclass(frozen=True)
class Transcript:
    """All segments of one episode in the source language."""

    language: str
    segments: tuple[Segment, ...]
    duration_ms: int
    source: str = ""  # file name or script it came from
    model: str = ""  # model that produced it, for the QA report
    dialect: str = ""  # dialect profile used (localize.asr.dialects)
    band: TextBand | None = None  # the burned-in subtitle band, when one was found
    speech: tuple[Span, ...] = ()  # where a voice is heard (VAD), start/end ms, in order
    notes: tuple[SourceFlag, ...] = ()  # about the whole episode (the picture's text set aside, with figures)


@dataclass(frozen=True)
class TranslationFlag:
    """Something wrong with one machine-translated line (never passed silently)."""

    code: str  # one of localize.translate.checks.CODES: "chinese-left", "wrong-script", "repetition"...
    message: str
    severity: Severity = Severity.ERROR


@dataclass(frozen=True)
class GlossaryEntry:
    """One row of glossaries/<market>.tsv.

    `target` is the approved rendering (what protection writes); `variants` are the other forms a
    translator accepts (written `señor Zhang|el señor Zhang` in the target cell: articles, gender, cases).
    """

    source: str
    target: str
    kind: str  # see localize.translate.glossary.KINDS
    note: str = ""
    line_no: int = 0
    variants: tuple[str, ...] = ()

    @property
    def forms(self) -> tuple[str, ...]:
        """Every accepted rendering, the approved one first."""
        return (self.target, *self.variants)


@dataclass(frozen=True)
class GlossaryMiss:
    """A glossary term whose approved target is absent (or a forbidden word present).

    For kind "forbidden", `expected` holds the forbidden word that was found.
    """

    line_index: int
    source_term: str
    expected: str
    kind: str
    message: str


class LineOrigin(StrEnum):
    """Where a translated line's text came from."""

    ENGINE = "engine"  # the market's translation engine, this run
    MEMORY_APPROVED = "memory-approved"  # a translator's approved translation of the same source
    MEMORY_MACHINE = "memory-machine"  # the same engine's earlier output for the same source


@dataclass(frozen=True)
class Line:
    """The translation of one source segment."""

    index: int  # index of the source segment
    start_ms: int
    end_ms: int
    source: str
    target: str
    speaker: str | None = None
    flags: tuple[TranslationFlag, ...] = ()
    origin: LineOrigin = LineOrigin.ENGINE
    attempts: int = 1  # engine calls for this line: 2-3 when its first answers failed the checks
    before_shortening: str = ""  # the longer translation, when the engine was asked for a shorter one
    terms_placed: tuple[str, ...] = ()  # glossary terms the first answer left out, placed by term repair, and how


@dataclass(frozen=True)
class Translation:
    """All lines of one episode for one market."""

    market: str
    engine: str
    lines: tuple[Line, ...]
    glossary_misses: tuple[GlossaryMiss, ...] = ()

    @property
    def retried(self) -> int:
        """Lines the engine was asked for again because an answer failed the checks."""
        return sum(1 for line in self.lines if line.attempts > 1)

    @property
    def flagged(self) -> int:
        """Lines still carrying an error flag: delivered for a person to review, never silently."""
        return sum(1 for line in self.lines if any(f.severity is Severity.ERROR for f in line.flags))

    @property
    def terms_placed(self) -> int:
        """Glossary terms the engine's first answers left out and term repair placed."""
        return sum(len(line.terms_placed) for line in self.lines)

    @property
    def shortened(self) -> int:
        """Lines rendered shorter on request, to fit their cue or their dub slot."""
        return sum(1 for line in self.lines if line.before_shortening)

    @property
    def memory_hits(self) -> int:
        """Lines whose text was reused from the translation memory (no engine call)."""
        return sum(1 for line in self.lines if line.origin is not LineOrigin.ENGINE)

    @property
    def memory_reuse(self) -> float:
        """Share of the lines with source text that were reused from the translation memory."""
        spoken = sum(1 for line in self.lines if line.source.strip())
        return self.memory_hits / spoken if spoken else 0.0


@dataclass(frozen=True)
class Cue:
    """One subtitle event: at most two text lines on screen for a time span."""

    start_ms: int
    end_ms: int
    lines: tuple[str, ...]
    line_index: int = -1  # index of the Line it came from
    speaker: str | None = None

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms


@dataclass(frozen=True)
class SubtitleTrack:
    market: str
    cues: tuple[Cue, ...]
    fps: float


@dataclass(frozen=True)
class DubPlacement:
    """Where one dubbed line landed and how hard it had to be squeezed."""

    line_index: int
    start_ms: int
    end_ms: int
    natural_ms: int  # length of the synthesized speech before fitting
    speed: float  # 1.0 = untouched; at most the market's limit
    borrowed_ms: int = 0  # silence taken after the line's own slot
    truncated_ms: int = 0  # speech cut because even borrowing was not enough
    early_ms: int = 0  # started this much before the original line (at most 100 ms)
    speaker: str | None = None  # the character speaking it
    voice: str = ""  # the synthetic voice, or "take" for a recorded take
    shortened: bool = False  # the text spoken is a shorter rendering asked for the dub
    text: str = ""  # what was spoken (the translation, or its shorter rendering)


@dataclass(frozen=True)
class DubTrack:
    path: Path
    placements: tuple[DubPlacement, ...]
    integrated_lufs: float
    true_peak_dbtp: float
    skipped: tuple[int, ...] = ()  # indexes of lines not voiced because their translation is unusable
    dialogue_mode: str = "duck"  # how the original dialogue was kept out: me | subtract | duck
    residual_dialogue_db: float | None = None  # original speech left under the dubbed lines, dB re the original
    missing_takes: tuple[int, ...] = ()  # lines a recorded-takes dub had no take for (synthetic voice instead)


@dataclass(frozen=True)
class Finding:
    """One QA observation a reviewer can act on."""

    code: str
    severity: Severity
    message: str
    start_ms: int | None = None
    end_ms: int | None = None
    stage: str = ""  # "subtitle", "glossary", "translate", "dub", "asr"


@dataclass(frozen=True)
class QAReport:
    episode: str
    market: str
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.ERROR)
