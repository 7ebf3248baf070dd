"""Hallucination and repetition guard over recognised segments.

Whisper invents text over silence and music: credits and subscribe requests from the subtitled videos it
was trained on (字幕由Amara.org社区提供, 请不吝点赞 订阅 转发...), and it loops (the same words again and
again). The guard drops the stock phrases and segments with no words, cuts loops to their first
repetitions and flags what a reviewer should look at (codes from localize.asr.flags).

Phrases are matched on a normalized form (simplified, lower case, letters and digits only). Short stock
phrases (谢谢观看) must be the whole segment, so a character who says 谢谢 keeps the line; long distinctive
fragments (amaraorg, 明镜与点点) drop the segment wherever they occur in it.
"""

from __future__ import annotations

import logging
import re
import unicodedata
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from localize.asr.chinese import to_simplified
from localize.asr.flags import source_flag
from localize.types import Segment, SourceFlag, Word

log = logging.getLogger("localize")

# Whole segment only (normalized): closing lines of videos, never a drama's dialogue on their own.
PHANTOM_SEGMENTS = frozenset({
    "谢谢观看", "感谢观看", "感谢收看", "谢谢收看", "谢谢观赏", "多谢观看", "谢谢大家观看", "谢谢大家收看",
    "感谢您的观看", "谢谢您的观看", "请订阅", "订阅", "欢迎订阅", "点赞订阅", "请点赞订阅", "订阅我的频道",
    "请订阅我的频道", "字幕", "中文字幕", "下期再见", "我们下期再见",
})
# Anywhere in a segment (normalized): long or odd enough that no line of dialogue contains them.
PHANTOM_FRAGMENTS = (
    "请不吝点赞", "明镜与点点", "点点栏目", "打赏支持明镜", "欢迎订阅明镜", "订阅转发", "amaraorg",
    "优优独播剧场", "yoyotelevisionseries", "televisionseriesexclusive", "字幕志愿者", "字幕by", "索兰娅",
)
_ANNOTATION = re.compile(r"^\s*[\[(（【][^\])）】]*[\])）】]\s*$")  # [音乐], (笑声): a caption, not speech


@dataclass(frozen=True)
class GuardOptions:
    """What the guard drops, cuts and flags; the defaults follow Whisper's own thresholds where it has them.

    drop_phantoms: drop Whisper's stock phrases (PHANTOM_SEGMENTS, PHANTOM_FRAGMENTS).
    min_repeats: a unit of 2 to max_unit_chars characters repeated this many times in a row is a loop.
    min_single_char_repeats: the same for one character; higher, because 对对对对 and 哈哈哈哈 are speech.
    keep_repeats: a loop is cut down to this many repetitions of its unit.
    max_compression_ratio: Whisper's loop test (UTF-8 length / zlib-compressed length); above it, longer
        repeated units (up to max_long_unit_chars, 3+ times) are cut too, and the segment is flagged.
    no_speech_prob, no_speech_confidence: flag "no-speech" when the segment's no_speech_prob is above the
        first and its confidence below the second (Whisper skips such windows; a reviewer decides here).
    low_confidence: flag "low-confidence" when the mean word probability is below this.
    """

    drop_phantoms: bool = True
    min_repeats: int = 4
    min_single_char_repeats: int = 6
    max_unit_chars: int = 8
    keep_repeats: int = 2
    max_compression_ratio: float = 2.4
    max_long_unit_chars: int = 60
    no_speech_prob: float = 0.6
    no_speech_confidence: float = 0.5
    low_confidence: float = 0.45


def normalized(text: str) -> str:
    """The form phrases are matched on: simplified, NFKC, lower case, letters and digits only."""
    text = unicodedata.normalize("NFKC", to_simplified(text)).lower()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in ("L", "N"))


def phantom_reason(text: str) -> str | None:
    """Why this text is a stock Whisper phantom, or None when it may be speech."""
    norm = normalized(text)
    if not norm:
        return "no words (music symbols or punctuation)"
    if _ANNOTATION.match(text):
        return "a sound caption, not speech"
    if norm in PHANTOM_SEGMENTS:
        return f"stock phrase {norm!r}"
    for fragment in PHANTOM_FRAGMENTS:
        if fragment in norm:
            return f"stock phrase fragment {fragment!r}"
    return None


def compression_ratio(text: str) -> float:
    """Whisper's repetition measure: high when the text compresses well, i.e. repeats itself."""
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


@lru_cache(maxsize=16)
def _loop_pattern(min_unit: int, max_unit: int, min_repeats: int) -> re.Pattern[str]:
    return re.compile(rf"(.{{{min_unit},{max_unit}}}?)\1{{{min_repeats - 1},}}", re.DOTALL)


def _cut(text: str, pattern: re.Pattern[str], keep: int) -> tuple[str, list[tuple[int, int]]]:
    """Cut each loop the pattern finds to `keep` units; also return the removed spans of `text`."""
    removed: list[tuple[int, int]] = []
    parts: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        unit = match.group(1)
        if not any(ch.isalnum() for ch in unit):
            continue  # "……" or "。。。。" is punctuation, not a loop
        kept_end = match.start() + keep * len(unit)
        parts.append(text[last:kept_end])
        removed.append((kept_end, match.end()))
        last = match.end()
    parts.append(text[last:])
    return "".join(parts), removed


def _trim_words(words: Sequence[Word], text: str, removed: Sequence[tuple[int, int]]) -> tuple[Word, ...]:
    """The words outside the removed spans; if words cannot be located in the text, keep a proportional prefix."""
    kept: list[Word] = []
    pos = 0
    for word in words:
        at = text.find(word.text, pos) if word.text else pos
        if at < 0:
            share = 1 - sum(e - s for s, e in removed) / max(len(text), 1)
            return tuple(words[: max(1, round(len(words) * share))])
        end = at + len(word.text)
        if not any(s <= at and end <= e for s, e in removed):
            kept.append(word)
        pos = end
    return tuple(kept)


def _with_flag(flags: tuple[SourceFlag, ...], flag: SourceFlag) -> tuple[SourceFlag, ...]:
    return flags if any(f.code == flag.code for f in flags) else (*flags, flag)


def _cut_loops(segment: Segment, options: GuardOptions) -> Segment:
    text, words = segment.text, segment.words
    passes = [
        _loop_pattern(1, 1, options.min_single_char_repeats),
        _loop_pattern(2, options.max_unit_chars, options.min_repeats),
    ]
    if compression_ratio(text) > options.max_compression_ratio:
        passes.append(_loop_pattern(options.max_unit_chars + 1, options.max_long_unit_chars, 3))
    cut = False
    for pattern in passes:
        new_text, removed = _cut(text, pattern, options.keep_repeats)
        if removed:
            words = _trim_words(words, text, removed)
            text, cut = new_text, True
    ratio = compression_ratio(text)
    if not cut and ratio <= options.max_compression_ratio:
        return segment
    detail = f"{len(segment.text)} -> {len(text)} characters" if cut else f"compression ratio {ratio:.1f}"
    start = words[0].start_ms if words else segment.start_ms
    end = words[-1].end_ms if words else segment.end_ms
    return replace(segment, text=text, words=words, start_ms=start, end_ms=max(end, start + 1),
                   flags=_with_flag(segment.flags, source_flag("repetition", detail)))


def _confidence_flags(segment: Segment, options: GuardOptions) -> Segment:
    flags = segment.flags
    if segment.no_speech_prob > options.no_speech_prob and segment.confidence < options.no_speech_confidence:
        detail = f"no-speech probability {segment.no_speech_prob:.2f}, confidence {segment.confidence:.2f}"
        flags = _with_flag(flags, source_flag("no-speech", detail))
    if segment.confidence < options.low_confidence:
        flags = _with_flag(flags, source_flag("low-confidence", f"confidence {segment.confidence:.2f}"))
    return segment if flags == segment.flags else replace(segment, flags=flags)


def guard_segments(segments: Iterable[Segment], options: GuardOptions = GuardOptions()) -> tuple[Segment, ...]:
    """Drop phantom and wordless segments, cut loops, flag doubtful ones; the others pass unchanged."""
    kept: list[Segment] = []
    for segment in segments:
        reason = phantom_reason(segment.text)
        if reason and (options.drop_phantoms or not normalized(segment.text)):
            log.info("ASR guard dropped %r at %d ms: %s", segment.text, segment.start_ms, reason)
            continue
        kept.append(_confidence_flags(_cut_loops(segment, options), options))
    return tuple(kept)
