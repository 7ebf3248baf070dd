"""TTML in the IMSC1 text profile: the writer and a reader, on the standard library's XML tools.

Why not pysubs2's TTML: its writer has no `xml:lang`, `ttp:profile`, time base, regions or
writing direction, which IMSC1 deliveries need, and its reader ignores parent time offsets,
frame times and line numbers. Elements are built with `xml.etree.ElementTree`, which escapes
text (`<`, `&`) itself; nothing is written by string concatenation.

The file places one region over the 9:16 safe area (percentages of the frame, so any player
size works), text bottom-aligned and centred; right-to-left markets get `tts:direction="rtl"`
and `tts:writingMode="rltb"`. Times are media time `hh:mm:ss.mmm`, line breaks `<br/>`.

Reading is done with expat directly so every element keeps its line number for errors, and
document type declarations (entity expansion) are refused.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from xml.parsers import expat

from localize.subtitle.errors import SubtitleFileError
from localize.subtitle.layout import VerticalLayout
from localize.types import Cue

TT = "http://www.w3.org/ns/ttml"
TTP = "http://www.w3.org/ns/ttml#parameter"
TTS = "http://www.w3.org/ns/ttml#styling"
TTM = "http://www.w3.org/ns/ttml#metadata"
XML = "http://www.w3.org/XML/1998/namespace"
IMSC1_TEXT = "http://www.w3.org/ns/ttml/profile/imsc1/text"
REGION_ID = "safe"
STYLE_ID = "dialogue"
ACCEPTED = "TTML/IMSC1 XML: <tt xmlns=\"http://www.w3.org/ns/ttml\"> with <p begin=... end=...> cues"

_NAMESPACES = {"": TT, "ttp": TTP, "tts": TTS, "ttm": TTM}


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def clock_time(ms: int) -> str:
    """63_345 -> "00:01:03.345" (TTML clock time; hours may exceed 99)."""
    hours, rest = divmod(max(0, int(ms)), 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.3f}%"


def render_ttml(cues: Sequence[Cue], layout: VerticalLayout, language: str) -> str:
    """The whole IMSC1 text-profile document for `cues` (in the order given)."""
    root = ET.Element(_q(TT, "tt"), {
        _q(XML, "lang"): language or "und",
        _q(TTP, "timeBase"): "media",
        _q(TTP, "profile"): IMSC1_TEXT,
        _q(TTS, "extent"): f"{layout.play_res_x}px {layout.play_res_y}px",
    })
    head = ET.SubElement(root, _q(TT, "head"))
    styling = ET.SubElement(head, _q(TT, "styling"))
    r, g, b = layout.text_rgb
    o_r, o_g, o_b = layout.outline_rgb
    ET.SubElement(styling, _q(TT, "style"), {
        _q(XML, "id"): STYLE_ID,
        _q(TTS, "fontFamily"): f"{layout.font}, proportionalSansSerif",
        _q(TTS, "fontSize"): f"{layout.font_size}px",
        _q(TTS, "lineHeight"): f"{round(layout.font_size * layout.line_spacing)}px",
        _q(TTS, "color"): f"#{r:02x}{g:02x}{b:02x}",
        _q(TTS, "textOutline"): f"#{o_r:02x}{o_g:02x}{o_b:02x} {layout.outline_px:g}px",
        _q(TTS, "textAlign"): "center",
        _q(TTS, "fontWeight"): "bold" if layout.bold else "normal",
    })
    region_attrs = {
        _q(XML, "id"): REGION_ID,
        _q(TTS, "origin"): f"{_percent(layout.safe_left, layout.play_res_x)} "
                           f"{_percent(layout.safe_top, layout.play_res_y)}",
        _q(TTS, "extent"): f"{_percent(layout.safe_width, layout.play_res_x)} "
                           f"{_percent(layout.safe_height, layout.play_res_y)}",
        _q(TTS, "displayAlign"): "after",
        _q(TTS, "writingMode"): "rltb" if layout.rtl else "lrtb",
    }
    ET.SubElement(ET.SubElement(head, _q(TT, "layout")), _q(TT, "region"), region_attrs)
    body = ET.SubElement(root, _q(TT, "body"), {"style": STYLE_ID, "region": REGION_ID})
    div = ET.SubElement(body, _q(TT, "div"))
    for cue in cues:
        attrs = {"begin": clock_time(cue.start_ms), "end": clock_time(cue.end_ms), _q(XML, "space"): "preserve"}
        if layout.rtl:
            attrs[_q(TTS, "direction")] = "rtl"
        p = ET.SubElement(div, _q(TT, "p"), attrs)
        _append_lines(p, cue.lines)
    ET.indent(root, space="  ")
    # Text inside <p> must not gain indentation whitespace: ET.indent only touches element tails
    # and text of elements with children; re-set <p> contents afterwards to keep them exact.
    for p, cue in zip(div, cues, strict=True):
        for child in list(p):
            p.remove(child)
        p.text = None
        _append_lines(p, cue.lines)
    return ET.tostring(root, encoding="unicode", xml_declaration=True, default_namespace=None,
                       short_empty_elements=True) + "\n"


def _append_lines(p: ET.Element, lines: Sequence[str]) -> None:
    p.text = lines[0] if lines else ""
    for line in lines[1:]:
        ET.SubElement(p, _q(TT, "br")).tail = line


for _prefix, _uri in _NAMESPACES.items():
    ET.register_namespace(_prefix, _uri)


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class _Clock:
    """What a document says about time: frames and ticks per second."""

    frame_rate: Fraction
    tick_rate: Fraction


_CLOCK = re.compile(r"^(\d+):(\d{2}):(\d{2})(?:(\.\d+)|:(\d+)(?:\.(\d+))?)?$")
_OFFSET = re.compile(r"^(\d+(?:\.\d+)?)(h|m|s|ms|f|t)$")


def _time_ms(expr: str, clock: _Clock) -> int | None:
    """Milliseconds of a TTML time expression, or None if it is not one."""
    expr = expr.strip()
    match = _CLOCK.match(expr)
    if match:
        hours, minutes, seconds, fraction, frames, _sub = match.groups()
        if int(minutes) > 59 or int(seconds) > 59:
            return None
        total = Fraction(int(hours) * 3600 + int(minutes) * 60 + int(seconds))
        if fraction:
            total += Fraction(fraction[1:]) / 10 ** (len(fraction) - 1)
        if frames:
            total += Fraction(int(frames)) / clock.frame_rate
        return round(total * 1000)
    match = _OFFSET.match(expr)
    if not match:
        return None
    value, unit = Fraction(match.group(1)), match.group(2)
    seconds = {"h": value * 3600, "m": value * 60, "s": value, "ms": value / 1000,
               "f": value / clock.frame_rate, "t": value / clock.tick_rate}[unit]
    return round(seconds * 1000)


def _document_clock(root: ET.Element, path: Path, lines: dict[ET.Element, int]) -> _Clock:
    def number(name: str, default: str) -> Fraction:
        raw = root.get(_q(TTP, name), default)
        try:
            value = Fraction(raw.replace(" ", "/")) if name == "frameRateMultiplier" else Fraction(raw)
        except (ValueError, ZeroDivisionError):
            raise SubtitleFileError(path, f"bad ttp:{name} {raw!r}", lines.get(root, 0), ACCEPTED) from None
        if value <= 0:
            raise SubtitleFileError(path, f"ttp:{name} must be positive, found {raw!r}", lines.get(root, 0),
                                    ACCEPTED)
        return value

    frame_rate = number("frameRate", "30") * number("frameRateMultiplier", "1 1")
    return _Clock(frame_rate=frame_rate, tick_rate=number("tickRate", "1"))


def _parse_xml(path: Path, text: str) -> tuple[ET.Element, dict[ET.Element, int]]:
    """The element tree of `text` and each element's line number; DTDs and entities refused."""
    builder = ET.TreeBuilder()
    lines: dict[ET.Element, int] = {}
    parser = expat.ParserCreate(namespace_separator="}")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def name(raw: str) -> str:
        return "{" + raw if "}" in raw else raw

    def start(tag: str, attrs: dict[str, str]) -> None:
        element = builder.start(name(tag), {name(k): v for k, v in attrs.items()})
        lines[element] = parser.CurrentLineNumber

    def refuse_doctype(*_args: object) -> None:
        raise SubtitleFileError(path, "document type declarations (DTDs, entities) are not accepted",
                                parser.CurrentLineNumber, ACCEPTED)

    parser.StartElementHandler = start
    parser.EndElementHandler = lambda tag: builder.end(name(tag))
    parser.CharacterDataHandler = builder.data
    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.EntityDeclHandler = refuse_doctype
    try:
        parser.Parse(text, True)
    except expat.ExpatError as exc:
        raise SubtitleFileError(path, f"not well-formed XML: {expat.ErrorString(exc.code)} "
                                      f"(column {exc.offset + 1})", exc.lineno, ACCEPTED) from None
    return builder.close(), lines


Problem = Callable[[SubtitleFileError], None]


def parse_ttml(path: Path, text: str, on_problem: Problem | None = None) -> tuple[Cue, ...]:
    """Cues of a TTML document: every `<p>` with text, times resolved through its ancestors
    (parallel time containers: a child's times count from its parent's begin).

    A malformed `<p>` raises `SubtitleFileError` with its line, or, when `on_problem` is given,
    is reported to it and skipped.
    """
    root, lines = _parse_xml(path, text.lstrip("\ufeff"))
    if root.tag != _q(TT, "tt"):
        raise SubtitleFileError(path, f"root element is {root.tag!r}, not TTML's <tt>", lines.get(root, 1), ACCEPTED)
    clock = _document_clock(root, path, lines)
    body = root.find(_q(TT, "body"))
    if body is None:
        return ()
    cues: list[Cue] = []

    def walk(element: ET.Element, parent_begin: int, parent_end: int | None) -> None:
        try:
            begin, end = _interval(element, parent_begin, parent_end, clock, path, lines)
        except SubtitleFileError as exc:
            if on_problem is None:
                raise
            on_problem(exc)
            return
        if element.tag == _q(TT, "p"):
            cue = _cue_of(element, begin, end, path, lines)
            if cue is not None:
                cues.append(cue)
            elif on_problem is None:
                raise SubtitleFileError(path, "<p> has no end time (no end, dur or timed parent)",
                                        lines.get(element, 0), ACCEPTED)
            else:
                on_problem(SubtitleFileError(path, "<p> has no end time; skipped", lines.get(element, 0), ACCEPTED))
            return
        for child in element:
            if child.tag in (_q(TT, "div"), _q(TT, "p")):
                walk(child, begin, end)

    walk(body, 0, None)
    return tuple(sorted(cues, key=lambda c: (c.start_ms, c.end_ms)))


def _interval(element: ET.Element, parent_begin: int, parent_end: int | None, clock: _Clock, path: Path,
              lines: dict[ET.Element, int]) -> tuple[int, int | None]:
    def read(attr: str) -> int | None:
        raw = element.get(attr)
        if raw is None:
            return None
        value = _time_ms(raw, clock)
        if value is None:
            raise SubtitleFileError(path, f"bad {attr} time {raw!r}", lines.get(element, 0),
                                    "hh:mm:ss.mmm, hh:mm:ss:ff or an offset such as 1.5s, 1500ms, 40f")
        return value

    begin = parent_begin + (read("begin") or 0)
    end_attr, dur = read("end"), read("dur")
    end = parent_begin + end_attr if end_attr is not None else (begin + dur if dur is not None else parent_end)
    if end is not None and parent_end is not None:
        end = min(end, parent_end)
    if end is not None and end < begin:
        raise SubtitleFileError(path, f"ends before it begins ({clock_time(end)} < {clock_time(begin)})",
                                lines.get(element, 0), ACCEPTED)
    return begin, end


def _cue_of(p: ET.Element, begin: int, end: int | None, path: Path, lines: dict[ET.Element, int]) -> Cue | None:
    if end is None:
        return None
    parts: list[str] = []

    def collect(element: ET.Element) -> None:
        parts.append(element.text or "")
        for child in element:
            if child.tag == _q(TT, "br"):
                parts.append("\n")
            elif child.tag == _q(TT, "span"):
                collect(child)
            parts.append(child.tail or "")

    collect(p)
    text = "".join(parts)
    if p.get(_q(XML, "space")) == "preserve":  # what we write: spaces kept as they are
        out = tuple(line.strip() for line in text.split("\n") if line.strip())
    else:  # XML's default handling, as TTML presents text: whitespace runs collapse
        out = tuple(line for line in (" ".join(raw.split()) for raw in text.split("\n")) if line)
    agent = p.get(_q(TTM, "agent"))
    return Cue(start_ms=begin, end_ms=end, lines=out, speaker=agent or None)
