"""Subtitles for vertical micro-drama: segmentation, timing, 9:16 layout, files, QA checks.

The usual path of one market's lines::

    cues = apply_timing(make_cues(lines, rules, fps, language), rules, fps, duration_ms)
    write_subtitles(cues, "ep01.ass", "ass", layout=VerticalLayout.for_market(market),
                    cover=CoverBox(), episode_duration_ms=duration_ms)
    findings = check_cues(cues, rules, fps, language=language)
"""

from localize.subtitle.deliver import DELIVERY_FORMATS, SubtitleDelivery, deliver_subtitles
from localize.subtitle.errors import InvalidSettingError, SubtitleFileError
from localize.subtitle.formats import WRITERS, SubtitleWriter, read_cues, write_subtitles, writer_for
from localize.subtitle.frames import FrameClock, frame_rate
from localize.subtitle.layout import AssMargins, CoverBox, VerticalLayout
from localize.subtitle.lint import check_cues, format_timecode
from localize.subtitle.measure import text_length
from localize.subtitle.segment import break_text, make_cues
from localize.subtitle.timing import apply_timing

__all__ = [
    "DELIVERY_FORMATS",
    "WRITERS",
    "AssMargins",
    "CoverBox",
    "FrameClock",
    "InvalidSettingError",
    "SubtitleDelivery",
    "SubtitleFileError",
    "SubtitleWriter",
    "VerticalLayout",
    "apply_timing",
    "break_text",
    "check_cues",
    "deliver_subtitles",
    "format_timecode",
    "frame_rate",
    "make_cues",
    "read_cues",
    "text_length",
    "write_subtitles",
    "writer_for",
]
