"""Fuse picture, sound and script into one Transcript: words from the best source, times from speech.

Text: the studio's script > the burned-in line (OCR) > what ASR heard. Times: the burned-in
line's frames, checked against speech (ASR word times) and replaced by them where the two
clearly disagree; script lines take the times of the OCR cues or ASR words they align to.
Where sources disagree the segment carries a flag (localize.asr.flags) that reaches QA.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from difflib import SequenceMatcher

from localize.asr.align import TimedChar, align_lines, fill_missing, letters, sound, timed_chars
from localize.asr.flags import source_flag
from localize.asr.script import Script
from localize.picture.vote import vote
from localize.types import OcrCue, Segment, SourceFlag, Span, TextOrigin, Transcript, Word


@dataclass(frozen=True)
class FuseOptions:
    """How sources are weighed.

    speech_window_ms: ASR words this close to a burned-in line count as its speech.
    snap_ms: a line's start/end moves to the speech's when they differ by more than this
        (burned-in lines are usually timed to the frame; Whisper's word times drift ~0.1-0.2 s).
    disagree_below: OCR and ASR texts less similar than this (by sound, 0-1) disagree...
    confident_ocr / confident_asr: ...and it is flagged only when both were this sure.
    min_script_score: script lines matching fewer of their characters count as not found.
    trust_picture_share: when, of the burned-in lines with speech under them, fewer than this share
        (by characters) sound like the speech at all (similarity >= disagree_below), the picture is
        set aside for the episode and the text comes from the speech: the band is wrong...
    min_checked_lines: ...judged only on at least this many lines with speech under them.
    """

    speech_window_ms: int = 300
    snap_ms: int = 400
    disagree_below: float = 0.3
    confident_ocr: float = 0.9
    confident_asr: float = 0.7
    min_script_score: float = 0.3
    trust_picture_share: float = 0.35
    min_checked_lines: int = 3


def similarity(a: str, b: str) -> float:
    """How alike two Chinese texts sound (0-1): homophones count as equal."""
    sa, sb = [sound(c) for c in letters(a)], [sound(c) for c in letters(b)]
    if not sa and not sb:
        return 1.0
    return SequenceMatcher(None, sa, sb, autojunk=False).ratio()


def _words_in(words: Sequence[Word], start_ms: int, end_ms: int, pad_ms: int) -> list[Word]:
    return [w for w in words if w.end_ms > start_ms - pad_ms and w.start_ms < end_ms + pad_ms]


def _snap(start: int, end: int, speech: Sequence[Span], options: FuseOptions) -> tuple[int, int]:
    """Keep the picture's frame-exact times unless the speech under them clearly starts later.

    `speech` is voice activity (VAD) spans. A line shown well before anyone speaks (a caption
    that stays on into the dialogue, or a line timed early) starts where the voice starts.
    """
    inside = [(s, e) for s, e in speech if e > start and s < end]
    if inside and inside[0][0] - start > options.snap_ms:
        start = inside[0][0]
    return start, max(end, start + 1)


def nearest_onset(time_ms: int, speech: Sequence[Span], reach_ms: int, *, end: bool = False) -> int:
    """The voice onset (or offset) nearest to `time_ms` within `reach_ms`, else `time_ms` itself."""
    edges = [e if end else s for s, e in speech]
    best = min(edges, key=lambda edge: abs(edge - time_ms), default=time_ms)
    return best if abs(best - time_ms) <= reach_ms else time_ms


def voice_onset(inside_ms: int, fallback_ms: int, speech: Sequence[Span], reach_ms: int) -> int:
    """Where the voice carrying a line starts: the onset of the VAD span holding `inside_ms`.

    Whisper often starts a segment's first word in the silence before it (0.4-0.9 s early);
    the end of that first character is inside the voice, so the span around it has the real onset.
    A span that began long before (speech running on from the previous line) keeps `fallback_ms`.
    """
    for start, end in speech:
        if start <= inside_ms < end:
            return start if inside_ms - start <= reach_ms + (inside_ms - fallback_ms) else fallback_ms
    return nearest_onset(fallback_ms, speech, reach_ms)


def _asr_confidence(words: Sequence[Word]) -> float:
    return sum(w.probability for w in words) / len(words) if words else 0.0


def _from_cue(cue: OcrCue, words: Sequence[Word], speech: Sequence[Span], options: FuseOptions) -> Segment:
    heard_words = _words_in(words, cue.start_ms, cue.end_ms, options.speech_window_ms)
    voiced = any(e > cue.start_ms and s < cue.end_ms for s, e in speech) if speech else bool(heard_words)
    start, end = _snap(cue.start_ms, cue.end_ms, speech, options)
    flags: list[SourceFlag] = []
    heard = "".join(w.text for w in heard_words)
    if len(cue.reads) > 1:  # read differently in different frames: the speech settles ties per character
        cue = replace(cue, text=vote(cue.reads, heard))
    if not voiced:
        flags.append(source_flag("subtitle-without-speech", repr(cue.text)))
    elif (heard_words and similarity(cue.text, heard) < options.disagree_below
          and cue.confidence >= options.confident_ocr and _asr_confidence(heard_words) >= options.confident_asr):
        flags.append(source_flag("ocr-asr-disagree", f"picture {cue.text!r}, speech {heard!r}"))
    return Segment(start_ms=start, end_ms=end, text=cue.text, words=tuple(heard_words), origin=TextOrigin.OCR,
                   confidence=cue.confidence, flags=tuple(flags))


def _uncovered_speech(asr: Transcript, covered: Sequence[tuple[int, int]], pad_ms: int) -> list[Segment]:
    """ASR segments (or their uncovered stretches of words) where no burned-in line is on screen."""
    found = []
    for seg in asr.segments:
        words = seg.words or (Word(seg.start_ms, seg.end_ms, seg.text, seg.confidence),)
        free = [w for w in words if not any(w.end_ms > s - pad_ms and w.start_ms < e + pad_ms for s, e in covered)]
        if not free or len(free) < len(words) / 2:
            continue  # mostly under a burned-in line: that line already speaks for it
        text = "".join(w.text for w in free) if seg.words else seg.text
        flag = source_flag("speech-without-subtitle", repr(text))
        found.append(replace(seg, start_ms=free[0].start_ms, end_ms=max(free[-1].end_ms, free[0].start_ms + 1),
                             text=text, words=tuple(free) if seg.words else seg.words, flags=(*seg.flags, flag)))
    return found


PICTURE_SET_ASIDE = "picture-set-aside"  # the note a transcript carries when its picture's text was not used


@dataclass(frozen=True)
class PictureCheck:
    """How far the burned-in lines agree with the speech under them, over the episode."""

    lines: int  # burned-in lines with recognised speech under them
    agreeing: int  # of those, lines that sound like the speech at all
    share: float  # of their characters, the share in agreeing lines
    trusted: bool

    def describe(self) -> str:
        return (f"{self.agreeing} of {self.lines} burned-in lines with speech under them sound like it "
                f"({round(100 * self.share)}% of their characters)")


def check_picture(asr: Transcript, cues: Sequence[OcrCue], options: FuseOptions = FuseOptions()) -> PictureCheck:
    """Whether the burned-in lines are the dialogue: most of them must sound, at least a little, like the speech."""
    words = [w for seg in asr.segments for w in seg.words]
    checked, agreeing, chars, agreeing_chars = 0, 0, 0, 0
    for cue in cues:
        heard = "".join(w.text for w in _words_in(words, cue.start_ms, cue.end_ms, options.speech_window_ms))
        if not letters(heard) or not letters(cue.text):
            continue
        checked += 1
        chars += len(letters(cue.text))
        if similarity(cue.text, heard) >= options.disagree_below:
            agreeing += 1
            agreeing_chars += len(letters(cue.text))
    share = agreeing_chars / chars if chars else 1.0
    trusted = checked < options.min_checked_lines or share >= options.trust_picture_share
    return PictureCheck(checked, agreeing, round(share, 3), trusted)


def fuse_ocr(asr: Transcript, cues: Sequence[OcrCue], options: FuseOptions = FuseOptions()) -> tuple[Segment, ...]:
    """Burned-in lines as the text, speech for timing; speech with no line on screen kept from ASR."""
    words = [w for seg in asr.segments for w in seg.words]
    segments = [_from_cue(cue, words, asr.speech, options) for cue in cues]
    covered = [(cue.start_ms, cue.end_ms) for cue in cues]
    segments += _uncovered_speech(asr, covered, options.speech_window_ms)
    return tuple(sorted(segments, key=lambda s: (s.start_ms, s.end_ms)))


def cue_chars(cues: Sequence[OcrCue]) -> list[TimedChar]:
    """The burned-in lines as a timed character stream (each cue's time spread over its characters)."""
    return timed_chars([Word(c.start_ms, c.end_ms, c.text, c.confidence) for c in cues])


def fuse_script(script: Script, asr: Transcript, cues: Sequence[OcrCue],
                options: FuseOptions = FuseOptions()) -> tuple[Segment, ...]:
    """The script's words and speakers, with times from the burned-in lines they match, else from speech."""
    words = [w for seg in asr.segments for w in seg.words]
    texts = [line.text for line in script.lines]
    stream = cue_chars(cues) if cues else timed_chars(words)
    alignments = align_lines(texts, stream)
    if cues:  # lines the picture does not show (cut from the burned-in subtitles) may still be heard
        by_speech = align_lines(texts, timed_chars(words))
        alignments = [a if a.score >= options.min_script_score or b.score < a.score else b
                      for a, b in zip(alignments, by_speech, strict=True)]
    found = [a.score >= options.min_script_score for a in alignments]
    fallback = [replace(a, start_ms=line.start_ms, end_ms=line.end_ms, matched=a.total)
                if not ok and line.start_ms is not None and line.end_ms is not None else a
                for a, ok, line in zip(alignments, found, script.lines, strict=True)]
    duration = max(asr.duration_ms, max((line.end_ms or 0 for line in script.lines), default=0), len(texts))
    times = fill_missing(fallback, duration, min_score=options.min_script_score)
    segments = []
    for line, alignment, ok, (start, end) in zip(script.lines, alignments, found, times, strict=True):
        if ok and cues:
            start, end = _snap(start, end, asr.speech, options)
        elif ok:  # Whisper's word times drift; the voice's onset and offset are sharper
            inside = alignment.first_end_ms if alignment.first_end_ms is not None else start
            start = voice_onset(inside, start, asr.speech, options.snap_ms)
            end = max(nearest_onset(end, asr.speech, options.snap_ms, end=True), start + 1)
        flags = () if ok else (source_flag("script-unmatched", f"line {line.line_no}: {line.text!r}"),)
        heard = tuple(_words_in(words, start, end, 0))
        segments.append(Segment(start_ms=start, end_ms=end, text=line.text, words=heard, speaker=line.speaker,
                                origin=TextOrigin.SCRIPT,
                                confidence=round(alignment.score, 3), flags=flags))
    return tuple(_no_overlap(segments))


def _no_overlap(segments: list[Segment]) -> list[Segment]:
    """Snapping can move a start before the previous line's: keep starts in order, trim the previous end."""
    for i in range(1, len(segments)):
        before, after = segments[i - 1], segments[i]
        if after.start_ms <= before.start_ms:
            after = replace(after, start_ms=before.start_ms + 1, end_ms=max(after.end_ms, before.start_ms + 2))
        if before.end_ms > after.start_ms:
            segments[i - 1] = replace(before, end_ms=after.start_ms)
        segments[i] = after
    return segments


def fuse(asr: Transcript, cues: Sequence[OcrCue] = (), script: Script | None = None,
         options: FuseOptions = FuseOptions()) -> Transcript:
    """One Transcript from whatever the episode offers: script, burned-in lines, speech.

    Burned-in lines that do not sound like the speech over most of the episode are set aside
    (the band was wrong): the speech gives the text, and `notes` says so with the figures.
    """
    notes: tuple[SourceFlag, ...] = ()
    if cues:
        check = check_picture(asr, cues, options)
        if not check.trusted:
            notes = (source_flag(PICTURE_SET_ASIDE, check.describe()),)
            cues = ()
    if script is not None and script.lines:
        segments = fuse_script(script, asr, cues, options)
    elif cues:
        segments = fuse_ocr(asr, cues, options)
    else:
        return replace(asr, notes=(*asr.notes, *notes)) if notes else asr
    origin = "script" if script is not None and script.lines else "ocr"
    return replace(asr, segments=segments, model=f"{asr.model}+{origin}", notes=(*asr.notes, *notes))
