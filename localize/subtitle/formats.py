"""Subtitle files in and out; the only module that imports pysubs2.

Writers live in the `WRITERS` registry, keyed by format name. To add one:

1. write `_render_x(cues: Sequence[Cue], job: WriteJob) -> str`, returning the whole
   file as text (use pysubs2's writer where it serves, or build it as `ttml.py` does);
2. add `SubtitleWriter("x", ".x", "description", _render_x)` to `WRITERS`;
3. teach `read_subtitles` to read it and add the format to the round-trip property in
   tests/test_subtitle_ttml.py (every writer round-trips through its reader).

Escaping: text from a translation or glossary is never read as markup. ASS: "{" and "}" are
written as libass's escapes "\\{" and "\\}", a backslash is followed by a WORD JOINER so it
starts no "\\N"/"\\h" sequence (ffmpeg's WebVTT decoder does the same); WebVTT and TTML:
entities (&amp; &lt; &gt;), braces kept; SubRip has no escapes: a "<" that would open a tag gets
a WORD JOINER after it, and braces and backslashes become look-alikes (players read "{\\an8}").

Reading: SRT and VTT go through our strict reader (`textsubs.py`, which says why), TTML
through `ttml.py`, ASS/SSA through pysubs2. Every failure becomes a `SubtitleFileError`
naming the file and line; `lenient=True` reports malformed cues and keeps the rest.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pysubs2

from localize.errors import UnknownNameError
from localize.fsutil import atomic_path
from localize.subtitle import textsubs, ttml
from localize.subtitle.errors import SubtitleFileError
from localize.subtitle.layout import CoverBox, VerticalLayout
from localize.subtitle.placement import AssPlacement
from localize.types import Cue

log = logging.getLogger("localize")

DIALOGUE_STYLE = "Default"
COVER_STYLE = "Cover"
DIALOGUE_LAYER = 1
COVER_LAYER = 0
_DRAWING = re.compile(r"\{[^{}]*\\p[1-9]")


@dataclass(frozen=True)
class WriteJob:
    """Everything a writer may need besides the cues."""

    layout: VerticalLayout
    cover: CoverBox | None
    episode_duration_ms: int
    language: str = ""  # BCP-47 language of the text, for formats that declare it (TTML xml:lang)


Renderer = Callable[[Sequence[Cue], WriteJob], str]


@dataclass(frozen=True)
class SubtitleWriter:
    """One output format: its name (the registry key), file extension and renderer."""

    name: str
    extension: str
    description: str
    render: Renderer


def write_subtitles(cues: Sequence[Cue], path: Path | str, fmt: str, *,
                    layout: VerticalLayout | None = None, cover: CoverBox | None = None,
                    episode_duration_ms: int | None = None, language: str = "") -> Path:
    """Write `cues` to `path` in format `fmt` ("srt", "vtt", "ass", "ttml"), atomically.

    `layout` and `cover` only matter to formats that position text (ASS); the cover
    box spans the whole episode (`episode_duration_ms`, default: the last cue's end).
    Cues are written sorted by time, as players expect.
    """
    writer = writer_for(fmt)
    ordered = sorted(cues, key=lambda c: (c.start_ms, c.end_ms))
    if not ordered:
        log.warning("writing %s with no subtitle cues", path)
    last_end = max((c.end_ms for c in ordered), default=0)
    duration = max(episode_duration_ms, last_end) if episode_duration_ms is not None else last_end
    text = writer.render(ordered, WriteJob(layout or VerticalLayout(), cover, duration, language))
    target = Path(path)
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    log.debug("wrote %d cues to %s (%s)", len(ordered), target, writer.name)
    return target


def writer_for(fmt: str) -> SubtitleWriter:
    """The writer registered for `fmt` (case and a leading dot ignored)."""
    key = fmt.strip().lower().lstrip(".")
    if key not in WRITERS:
        raise UnknownNameError("subtitle format", fmt, WRITERS)
    return WRITERS[key]


@dataclass(frozen=True)
class SubtitleRead:
    """What reading a subtitle file gave: its cues, format and the problems skipped (lenient mode)."""

    cues: tuple[Cue, ...]
    format: str  # "srt", "vtt", "ass", "ssa" or "ttml"
    problems: tuple[SubtitleFileError, ...] = ()


def read_cues(path: Path | str) -> tuple[Cue, ...]:
    """Cues of an .srt, .vtt, .ass, .ssa or .ttml file, format told by content (then extension).

    Tags are removed from the text; ASS drawings (such as our cover box) and comments
    are skipped. Raises `SubtitleFileError` (an `InputFormatError`) naming the file, the
    line when known, and what is accepted.
    """
    return read_subtitles(path).cues


def read_subtitles(path: Path | str, *, lenient: bool = False) -> SubtitleRead:
    """Like `read_cues`; with `lenient=True` a malformed cue is logged as a warning with its line
    number, kept in `problems`, and skipped. A file that is not subtitles at all still raises."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SubtitleFileError(path, "no such file") from None
    except OSError as exc:
        raise SubtitleFileError(path, f"cannot read it ({exc.strerror or exc})") from None
    text = textsubs.decode(path, data)
    kind = "ttml" if _looks_like_ttml(path, text) else textsubs.sniff(path, text)
    problems: list[SubtitleFileError] = []

    def skipped(problem: SubtitleFileError) -> None:
        log.warning("%s (skipped)", problem)
        problems.append(problem)

    on_problem = skipped if lenient else None
    if kind == "srt":
        cues = textsubs.parse_srt(path, text, on_problem)
    elif kind == "vtt":
        cues = textsubs.parse_vtt(path, text, on_problem)
    elif kind == "ttml":
        cues = ttml.parse_ttml(path, text, on_problem)
    else:
        cues = _read_ssa(path, text, kind, on_problem)
    return SubtitleRead(cues, kind, tuple(problems))


def _looks_like_ttml(path: Path, text: str) -> bool:
    head = text.lstrip("\ufeff \t\n")
    return head.startswith("<") and (ttml.TT in text[:4000] or path.suffix.lower() in (".ttml", ".dfxp", ".xml"))


def _read_ssa(path: Path, text: str, kind: str, on_problem: textsubs.Problem | None = None) -> tuple[Cue, ...]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            subs = pysubs2.SSAFile.from_string(text, format_=kind)
        except (pysubs2.Pysubs2Error, ValueError, KeyError, IndexError, TypeError) as exc:
            raise SubtitleFileError(path, f"not a valid {kind.upper()} file: {exc}",
                                    _line_of(text, str(exc))) from None
    for warning in caught:
        log.warning("%s: %s", path, warning.message)
    cues: list[Cue] = []
    for number, event in enumerate(subs.events, 1):
        if event.is_comment or _DRAWING.search(event.text):
            continue
        if event.end < event.start:
            problem = SubtitleFileError(path, f"event {number} ends before it starts", _line_of(text, event.text))
            if on_problem is None:
                raise problem
            on_problem(problem)
            continue
        lines = tuple(line.strip() for line in ass_plaintext(event.text).split("\n") if line.strip())
        cues.append(Cue(start_ms=int(event.start), end_ms=int(event.end), lines=lines,
                        speaker=event.name.strip() or None))
    return tuple(cues)


def _line_of(text: str, detail: str) -> int:
    """Line number of the event or style line a pysubs2 message quotes, or 0 when unknown."""
    quoted = re.search(r"'([^']+)'", detail)
    needle = quoted.group(1) if quoted else detail
    if not needle:
        return 0
    for number, line in enumerate(text.split("\n"), 1):
        if needle in line and line.lstrip().startswith(("Dialogue:", "Comment:", "Style:")):
            return number
    return 0


WORD_JOINER = "\u2060"  # invisible, zero width: ends an escape sequence without showing


def ass_escape(text: str) -> str:
    """Text libass shows literally: `{`/`}` as its escapes `\\{`/`\\}`, and each backslash followed
    by a WORD JOINER so it starts no `\\N`, `\\n` or `\\h` (the technique of ffmpeg's WebVTT decoder)."""
    return text.replace("\\", "\\" + WORD_JOINER).replace("{", "\\{").replace("}", "\\}")


def ass_plaintext(text: str) -> str:
    """The text an ASS event shows: override blocks dropped, `\\N`/`\\n` line breaks, `\\h` a space,
    and our escapes (`ass_escape`) undone. pysubs2's `plaintext` knows no `\\{` and would eat them."""
    out: list[str] = []
    i = 0
    while i < len(text):
        ch, following = text[i], text[i + 1] if i + 1 < len(text) else ""
        if ch == "\\" and following in ("N", "n", "h", "{", "}", WORD_JOINER):
            out.append({"N": "\n", "n": "\n", "h": " ", WORD_JOINER: "\\"}.get(following, following))
            i += 2
            continue
        close = text.find("}", i) if ch == "{" else -1
        if close >= 0:
            i = close + 1  # an override block
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _srt_escape(text: str) -> str:
    """SubRip has no escapes: braces and backslashes (which players read as ASS tags) become
    full-width look-alikes, and a WORD JOINER after "<" and inside "-->" keeps tags and timing
    lines from forming; `textsubs` removes those joiners again."""
    text = text.replace("\\", "＼").replace("{", "｛").replace("}", "｝")
    return text.replace("<", "<" + textsubs.SRT_TAG_BREAK).replace("-->", "--" + textsubs.SRT_TAG_BREAK + ">")


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _srt_time(ms: int) -> str:
    return ttml.clock_time(ms).replace(".", ",")


def _text_lines(cue: Cue, escape: Callable[[str], str]) -> list[str]:
    return [escape(line) for line in cue.lines if line.strip()]


def _render_srt(cues: Sequence[Cue], job: WriteJob) -> str:
    """SubRip: numbered cues, "00:00:01,000 --> 00:00:02,500" times, text only."""
    blocks = [
        "\n".join([str(n), f"{_srt_time(c.start_ms)} --> {_srt_time(c.end_ms)}", *_text_lines(c, _srt_escape)])
        for n, c in enumerate(cues, 1)
    ]
    return "".join(block + "\n\n" for block in blocks)


def _render_vtt(cues: Sequence[Cue], job: WriteJob) -> str:
    """WebVTT: like SRT with a header; &, < and > escaped as the format requires."""
    blocks = ["WEBVTT"] + [
        "\n".join([f"{ttml.clock_time(c.start_ms)} --> {ttml.clock_time(c.end_ms)}", *_text_lines(c, _vtt_escape)])
        for c in cues
    ]
    return "".join(block + "\n\n" for block in blocks)


def _render_ttml(cues: Sequence[Cue], job: WriteJob) -> str:
    """TTML, IMSC1 text profile, with a region over the 9:16 safe area (see `ttml.py`)."""
    return ttml.render_ttml(cues, job.layout, job.language)


def _ssa_file(cues: Sequence[Cue]) -> pysubs2.SSAFile:
    """Dialogue events for `cues`, their text escaped for libass."""
    subs = pysubs2.SSAFile()
    for cue in cues:
        event = pysubs2.SSAEvent(start=cue.start_ms, end=cue.end_ms, name=cue.speaker or "",
                                 layer=DIALOGUE_LAYER, style=DIALOGUE_STYLE)
        event.text = "\\N".join(ass_escape(line) for line in cue.lines)
        subs.events.append(event)
    return subs


def _color(rgb: tuple[int, int, int], alpha: int = 0) -> pysubs2.Color:
    return pysubs2.Color(rgb[0], rgb[1], rgb[2], alpha)


def _render_ass(cues: Sequence[Cue], job: WriteJob) -> str:
    """ASS for a 1080x1920 frame: dialogue in the safe area (layer 1) over the cover box (layer 0).

    ASS times have centisecond resolution. Times are floored to 10 ms rather than
    rounded: below 90 fps that keeps exactly the frames `apply_timing` chose (a cue
    starting at a frame's start, in whole ms, must not be rounded past it).
    """
    layout = job.layout
    subs = _ssa_file(cues)
    for event in subs.events:
        event.start, event.end = event.start // 10 * 10, event.end // 10 * 10
    subs.info.update({
        "Title": "localize", "ScriptType": "v4.00+", "WrapStyle": "0", "ScaledBorderAndShadow": "yes",
        "YCbCr Matrix": "None", "PlayResX": str(layout.play_res_x), "PlayResY": str(layout.play_res_y),
    })
    margins = layout.margins()
    subs.styles = {DIALOGUE_STYLE: pysubs2.SSAStyle(
        fontname=layout.font, fontsize=layout.font_size, bold=layout.bold,
        primarycolor=_color(layout.text_rgb), secondarycolor=_color(layout.text_rgb),
        outlinecolor=_color(layout.outline_rgb), backcolor=_color((0, 0, 0), layout.shadow_alpha),
        borderstyle=1, outline=layout.outline_px, shadow=layout.shadow_px,
        alignment=pysubs2.Alignment.BOTTOM_CENTER,
        marginl=margins.left, marginr=margins.right, marginv=margins.vertical)}
    cover = job.cover
    if cover is not None:
        if not cover.inside(layout):
            log.warning("cover box %s reaches outside the %dx%d frame", cover, layout.play_res_x,
                        layout.play_res_y)
        subs.styles[COVER_STYLE] = pysubs2.SSAStyle(
            fontname=layout.font, fontsize=20, primarycolor=_color(cover.rgb, cover.ass_alpha),
            outlinecolor=_color(cover.rgb, 255), backcolor=_color(cover.rgb, 255),
            borderstyle=1, outline=0, shadow=0, alignment=pysubs2.Alignment.TOP_LEFT,
            marginl=0, marginr=0, marginv=0)
        drawing = "{\\an7\\pos(0,0)\\p1}" + cover.ass_drawing() + "{\\p0}"
        subs.events.insert(0, pysubs2.SSAEvent(start=0, end=max(job.episode_duration_ms, 1),
                                               layer=COVER_LAYER, style=COVER_STYLE, text=drawing))
    return subs.to_string("ass")


_AN = re.compile(r"\\an([1-9])")
_POS = re.compile(r"\\pos\(\s*(-?[\d.]+)\s*,\s*(-?[\d.]+)\s*\)")


def ass_placements(path: Path | str) -> tuple[AssPlacement, ...]:
    """Where each dialogue event of an ASS/SSA file is anchored, for safe-area checks.

    Style alignment, margins and font size, overridden by the event's margins and by `\\an` and
    `\\pos` tags in its first override block. Comments and drawings are skipped.
    """
    path = Path(path)
    text = textsubs.decode(path, path.read_bytes())
    try:
        subs = pysubs2.SSAFile.from_string(text)
    except (pysubs2.Pysubs2Error, ValueError, KeyError, IndexError, TypeError) as exc:
        raise SubtitleFileError(path, f"not a valid ASS file: {exc}", _line_of(text, str(exc))) from None
    res_x = int(subs.info.get("PlayResX") or 384)
    res_y = int(subs.info.get("PlayResY") or 288)
    placements: list[AssPlacement] = []
    for event in subs.events:
        if event.is_comment or _DRAWING.search(event.text):
            continue
        style = subs.styles.get(event.style, pysubs2.SSAStyle.DEFAULT_STYLE)
        tags = "".join(re.findall(r"\{([^{}]*)\}", event.text))
        an = _AN.search(tags)
        pos = _POS.search(tags)
        lines = tuple(line for line in ass_plaintext(event.text).split("\n") if line.strip())
        placements.append(AssPlacement(
            start_ms=int(event.start), end_ms=int(event.end), lines=lines, play_res=(res_x, res_y),
            alignment=int(an.group(1)) if an else int(style.alignment),
            margins=(event.marginl or int(style.marginl), event.marginr or int(style.marginr),
                     event.marginv or int(style.marginv)),
            pos=(float(pos.group(1)), float(pos.group(2))) if pos else None,
            font_size=float(style.fontsize), font=style.fontname))
    return tuple(placements)


WRITERS: dict[str, SubtitleWriter] = {
    w.name: w for w in (
        SubtitleWriter("srt", ".srt", "SubRip", _render_srt),
        SubtitleWriter("vtt", ".vtt", "WebVTT", _render_vtt),
        SubtitleWriter("ass", ".ass", "Advanced SubStation Alpha, laid out for 1080x1920", _render_ass),
        SubtitleWriter("ttml", ".ttml", "TTML, IMSC1 text profile, region over the 9:16 safe area", _render_ttml),
    )
}
