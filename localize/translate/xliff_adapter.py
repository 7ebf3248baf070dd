"""The post-editing kit as XLIFF 2.0, for CAT tools (memoQ, Trados, Phrase, OmegaT, Okapi...).

The only module that reads or writes XLIFF, with lxml (BSD) alone: no GPL code in the default install.
Layout, one `<file>` per episode (`original` = the episode), one `<unit>` per line:

    <xliff version="2.0" srcLang="zh" trgLang="en-US" xmlns:mda="urn:oasis:names:tc:xliff:metadata:2.0">
      <file id="f1" original="ep01">
        <mda:metadata><mda:metaGroup category="localize">
          <mda:meta type="market">en-US</mda:meta> <mda:meta type="out">/abs/OUT</mda:meta> ...
        <unit id="L3" name="ep01:3" canResegment="no">
          <mda:metadata><mda:metaGroup category="localize">
            <mda:meta type="machine-translation">...</mda:meta>  start, end (ms), speaker,
            max-chars, max-seconds, origin
          <notes><note category="limits">00:00:01.200 - 00:00:02.500, ...: at most 84 characters...</note>
                 <note category="flag">error chinese-left: ...</note></notes>
          <segment><source>...</source><target>...</target></segment>

Every element is built with lxml, which escapes text (no XML is written by hand), in the order the
XLIFF 2.0 core schema wants (a unit's metadata, then notes, then its one segment). The exported machine
translation travels in the metadata (the Metadata module), so `kit import` can tell edited lines from
untouched ones; a CAT tool that drops the metadata still imports (the caller compares with the
translation kept in OUT). Limits and flags are also notes, which CAT tools show to the translator.
Reading never loads a DTD or expands an external entity. Inline markup a CAT tool adds inside a
source or target (`<ph/>`, `<pc>`) is read as its text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lxml import etree

from localize.errors import InputFormatError
from localize.timecode import format_timecode
from localize.translate.kit_format import Kit, KitLine, parse_line_id, seconds_text

SOURCE_LANGUAGE = "zh"
XLIFF = "urn:oasis:names:tc:xliff:document:2.0"
MDA = "urn:oasis:names:tc:xliff:metadata:2.0"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
GROUP = "localize"
_ACCEPTED = "an XLIFF 2.0 file exported by `localize kit export`"


def _x(name: str) -> str:
    return f"{{{XLIFF}}}{name}"


def _metadata(values: dict[str, str]) -> Any:
    metadata = etree.Element(f"{{{MDA}}}metadata", nsmap={"mda": MDA})
    group = etree.SubElement(metadata, f"{{{MDA}}}metaGroup", category=GROUP)
    for key, value in values.items():
        etree.SubElement(group, f"{{{MDA}}}meta", type=key).text = value
    return metadata


def _read_metadata(element: Any) -> dict[str, str]:
    """The localize metaGroup of an element's own `<mda:metadata>` child."""
    values: dict[str, str] = {}
    for metadata in element.iterchildren(f"{{{MDA}}}metadata"):
        for group in metadata.iterchildren(f"{{{MDA}}}metaGroup"):
            if group.get("category") == GROUP:
                values.update({meta.get("type", ""): meta.text or "" for meta in group.iterchildren(f"{{{MDA}}}meta")})
    return values


def _limits(line: KitLine) -> str:
    who = f", {line.speaker}" if line.speaker else ""
    return (f"{format_timecode(line.start_ms)} - {format_timecode(line.end_ms)}{who}: at most {line.max_chars} "
            f"characters on screen; the dub has {seconds_text(line.max_seconds)} s")


def write_xliff(kit: Kit) -> bytes:
    """An XLIFF 2.0 document of the kit: targets are the machine translations."""
    root = etree.Element(_x("xliff"), nsmap={None: XLIFF, "mda": MDA}, version="2.0", srcLang=SOURCE_LANGUAGE,
                         trgLang=kit.market)
    episodes: dict[str, list[KitLine]] = {}
    for line in kit.lines:
        episodes.setdefault((parse_line_id(line.id) or (line.id, 0))[0], []).append(line)
    for number, (episode, lines) in enumerate(episodes.items(), start=1):
        node = etree.SubElement(root, _x("file"), id=f"f{number}", original=episode)
        node.append(_metadata({"episode": episode, "market": kit.market, "out": kit.out_dir}))
        for line in lines:
            node.append(_unit(line))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _unit(line: KitLine) -> Any:
    unit = etree.Element(_x("unit"), id=f"L{(parse_line_id(line.id) or ('', 0))[1] + 1}", name=line.id,
                         canResegment="no")  # one line, one segment: the id stays the line's
    unit.set(XML_SPACE, "preserve")  # texts keep their spaces and line breaks, the metadata's too
    unit.append(_metadata({
        "machine-translation": line.machine or "", "start-ms": str(line.start_ms), "end-ms": str(line.end_ms),
        "speaker": line.speaker, "max-chars": str(line.max_chars), "max-seconds": seconds_text(line.max_seconds),
        "origin": line.origin}))
    notes = etree.SubElement(unit, _x("notes"))
    for category, text in (("limits", _limits(line)), *(("flag", flag) for flag in line.flags)):
        etree.SubElement(notes, _x("note"), category=category).text = text
    segment = etree.SubElement(unit, _x("segment"))
    etree.SubElement(segment, _x("source")).text = line.source
    etree.SubElement(segment, _x("target")).text = line.target if line.target is not None else ""
    return unit


def _parse(data: bytes, path: Path | str) -> Any:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise InputFormatError(path, exc.lineno or 0, f"not readable XML ({exc.msg})", _ACCEPTED) from None
    if root.tag != _x("xliff") or not str(root.get("version", "")).startswith("2."):
        found = f"<{etree.QName(root).localname}> version {root.get('version')!r}"
        raise InputFormatError(path, root.sourceline or 0, f"not XLIFF 2.0 (found {found})", _ACCEPTED)
    return root


def read_xliff(data: bytes, path: Path | str) -> Kit:
    """The kit lines of an XLIFF 2.0 file; targets as the translator left them (None: no target)."""
    root = _parse(data, path)
    files = list(root.iterchildren(_x("file")))
    file_meta = [_read_metadata(node) for node in files]
    markets = {m["market"] for m in file_meta if m.get("market")} | ({root.get("trgLang")} - {None})
    if len(markets) > 1:
        raise InputFormatError(path, 0, f"target languages {', '.join(sorted(markets))} in one file",
                               "one market's kit per file")
    lines = [_read_unit(unit, node, path) for node in files for unit in node.iter(_x("unit"))]
    out_dir = next((m["out"] for m in file_meta if m.get("out")), "")
    return Kit(next(iter(markets), ""), tuple(lines), out_dir)


def _text(element: Any | None) -> str:
    """An element's text with inline markup (<ph/>, <pc>...) read as its text."""
    return "" if element is None else "".join(element.itertext())


def _read_unit(unit: Any, file_node: Any, path: Path | str) -> KitLine:
    where = unit.sourceline or 0
    unit_id = unit.get("id", "")
    segments = list(unit.iterchildren(_x("segment")))
    if len(segments) != 1:
        raise InputFormatError(path, where, f"unit {unit_id} has {len(segments)} segments",
                               "one segment per unit, as exported (canResegment=\"no\")")
    line_id = unit.get("name") or ""
    if not line_id:
        episode = file_node.get("original", "")
        line_id = f"{episode}:{unit_id[1:]}" if episode and unit_id[:1] == "L" else unit_id
    meta = _read_metadata(unit)
    target = segments[0].find(_x("target"))
    return KitLine(id=line_id, source=_text(segments[0].find(_x("source"))),
                   target=None if target is None else _text(target),
                   machine=meta.get("machine-translation"), speaker=meta.get("speaker", ""),
                   start_ms=_int(meta.get("start-ms")), end_ms=_int(meta.get("end-ms")), where=where)


def _int(value: str | None) -> int:
    return int(value) if value and value.strip().lstrip("-").isdigit() else 0
