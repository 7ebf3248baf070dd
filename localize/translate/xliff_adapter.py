"""The post-editing kit as XLIFF 2.0, for CAT tools (memoQ, Trados, Phrase, OmegaT, Okapi...).

The only module that imports translate-toolkit's `translate.storage.xliff2`. Layout, one `<file>`
per episode (`original` = the episode), one `<unit>` per line:

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

What xliff2 cannot carry by itself: it has no API for the Metadata module, and `addnote` puts
`<notes>` inside `<segment>` (XLIFF 2.0 wants it in `<unit>`, before the segments). So the unit's
`<mda:metadata>` and `<notes>` are built here as lxml elements on the unit translate-toolkit made
(lxml escapes text; no XML is written by hand). The exported machine translation travels in the
metadata, so `kit import` can tell edited lines from untouched ones; a CAT tool that drops the
metadata still imports (the caller compares with the translation kept in OUT). Limits and flags are
also notes, which CAT tools show to the translator.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from localize.errors import InputFormatError, MissingDependencyError
from localize.timecode import format_timecode
from localize.translate.kit_format import Kit, KitLine, parse_line_id, seconds_text

SOURCE_LANGUAGE = "zh"
MDA = "urn:oasis:names:tc:xliff:metadata:2.0"
GROUP = "localize"
_ACCEPTED = "an XLIFF 2.0 file exported by `localize kit export`"


def _toolkit() -> tuple[Any, Any]:
    try:
        from lxml import etree
        from translate.storage import xliff2
    except ImportError as exc:
        raise MissingDependencyError("translate-toolkit",
                                     "pip install 'localize[cat]' (translate-toolkit, GPL-3.0)") from exc
    return xliff2, etree


def _metadata(etree: Any, values: dict[str, str]) -> Any:
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
    xliff2, etree = _toolkit()
    store = xliff2.Xliff2File(sourcelanguage=SOURCE_LANGUAGE, targetlanguage=kit.market)
    episodes: dict[str, list[KitLine]] = {}
    for line in kit.lines:
        episodes.setdefault((parse_line_id(line.id) or (line.id, 0))[0], []).append(line)
    root = store.document.getroot()
    for number, (episode, lines) in enumerate(episodes.items(), start=1):
        if number > 1:
            store.body = store.createfilenode(f"f{number}")
            root.append(store.body)
        store.body.set("original", episode)
        store.body.insert(0, _metadata(etree, {"episode": episode, "market": kit.market, "out": kit.out_dir}))
        for line in lines:
            _add_unit(store, etree, line, kit.market)
    return bytes(store)


def _add_unit(store: Any, etree: Any, line: KitLine, market: str) -> None:
    unit = store.addsourceunit(line.source)
    unit.setid(f"L{(parse_line_id(line.id) or ('', 0))[1] + 1}")
    unit.settarget(line.target if line.target is not None else "", market)
    element = unit.getunitelement()
    element.set("name", line.id)
    element.set("canResegment", "no")  # one line, one segment: the id stays the line's
    element.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")  # the metadata's texts too
    element.insert(0, _metadata(etree, {
        "machine-translation": line.machine or "", "start-ms": str(line.start_ms), "end-ms": str(line.end_ms),
        "speaker": line.speaker, "max-chars": str(line.max_chars), "max-seconds": seconds_text(line.max_seconds),
        "origin": line.origin}))
    notes = etree.SubElement(element, unit.namespaced("notes"))
    for category, text in (("limits", _limits(line)), *(("flag", flag) for flag in line.flags)):
        etree.SubElement(notes, unit.namespaced("note"), category=category).text = text
    element.insert(1, notes)


def read_xliff(data: bytes, path: Path | str) -> Kit:
    """The kit lines of an XLIFF 2.0 file; targets as the translator left them (None: no target)."""
    xliff2, etree = _toolkit()
    try:
        store = xliff2.Xliff2File.parsestring(data)
    except etree.XMLSyntaxError as exc:
        raise InputFormatError(path, exc.lineno or 0, f"not readable XML ({exc.msg})", _ACCEPTED) from None
    except (ValueError, AssertionError) as exc:
        raise InputFormatError(path, 0, f"not XLIFF 2.0 ({exc})", _ACCEPTED) from None
    root = store.document.getroot()
    files = list(root.iterchildren(store.namespaced("file")))
    file_meta = [_read_metadata(node) for node in files]
    markets = {m["market"] for m in file_meta if m.get("market")} | ({root.get("trgLang")} - {None})
    if len(markets) > 1:
        raise InputFormatError(path, 0, f"target languages {', '.join(sorted(markets))} in one file",
                               "one market's kit per file")
    lines = [_read_unit(unit, path) for unit in store.units]
    out_dir = next((m["out"] for m in file_meta if m.get("out")), "")
    return Kit(next(iter(markets), ""), tuple(lines), out_dir)


def _read_unit(unit: Any, path: Path | str) -> KitLine:
    element = unit.getunitelement()
    where = element.sourceline or 0
    unit_id = unit.getid() or ""
    if "::" in unit_id:
        raise InputFormatError(path, where, f"unit {unit_id.split('::')[0]} was split into several segments",
                               "one segment per unit, as exported (canResegment=\"no\")")
    line_id = element.get("name") or ""
    if not line_id:
        file_node = next((a for a in element.iterancestors() if a.tag == unit.namespaced("file")), None)
        episode = file_node.get("original", "") if file_node is not None else ""
        line_id = f"{episode}:{unit_id[1:]}" if episode and unit_id[:1] == "L" else unit_id
    meta = _read_metadata(element)
    target = None if unit.get_target_dom() is None else str(unit.target or "")
    return KitLine(id=line_id, source=str(unit.source or ""), target=target,
                   machine=meta.get("machine-translation"), speaker=meta.get("speaker", ""),
                   start_ms=_int(meta.get("start-ms")), end_ms=_int(meta.get("end-ms")), where=where)


def _int(value: str | None) -> int:
    return int(value) if value and value.strip().lstrip("-").isdigit() else 0
