"""TBX (TermBase eXchange) import and export, for CAT tools (memoQ, Trados MultiTerm, Phrase...).

The only module that imports translate-toolkit (and lxml, which it builds on). One glossary row is
one concept (`termEntry`), laid out as CAT tools lay out custom fields:

    <termEntry id="c1">
      <descrip type="kind">name</descrip>        the row's kind (glossary.KINDS)
      <note>heroine</note>                       the row's note, if any
      <langSet xml:lang="zh"><tig><term>林晓</term></tig></langSet>
      <langSet xml:lang="en-US"><tig><term>Lin Xiao</term>
        <termNote type="administrativeStatus">preferredTerm-admn-sts</termNote></tig></langSet>
    </termEntry>

A forbidden word is a target term with the status `deprecatedTerm-admn-sts` (what CAT tools show as
"do not use"), and a forbidden word with no source has an empty Chinese term.

Import reads that layout and the usual TBX from other tools: the Chinese (`zh`, `zh-CN`, `zh-Hans`...)
terms are sources, one target language is chosen (the market's, or the only other one), a
concept's first preferred target is the rendering of each of its Chinese terms, and its deprecated
targets become forbidden words for those terms. A kind not in the file is `term`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localize.errors import InputFormatError, MissingDependencyError
from localize.translate.glossary import FORBIDDEN, KINDS
from localize.types import GlossaryEntry

SOURCE_LANGUAGE = "zh"
KIND_FIELD = "kind"
PREFERRED = "preferredTerm-admn-sts"
DEPRECATED = "deprecatedTerm-admn-sts"
_ACCEPTED = "a TBX (TermBase eXchange) file, as CAT tools export glossaries"


@dataclass(frozen=True)
class TbxImport:
    entries: tuple[GlossaryEntry, ...]
    language: str  # the target language read
    notes: tuple[str, ...] = ()  # what was left out or changed, for the person importing


def _toolkit() -> tuple[Any, Any]:
    try:
        from lxml import etree
        from translate.storage import tbx
    except ImportError as exc:
        raise MissingDependencyError("translate-toolkit",
                                     "pip install 'localize[cat]' (translate-toolkit, GPL-3.0)") from exc
    return tbx, etree


def export_tbx(entries: tuple[GlossaryEntry, ...] | list[GlossaryEntry], language: str) -> bytes:
    """A TBX document holding `entries`, Chinese to `language` (a market code such as en-US)."""
    tbx, etree = _toolkit()
    store = tbx.tbxfile(sourcelanguage=SOURCE_LANGUAGE, targetlanguage=language)
    for number, entry in enumerate(entries, start=1):
        unit = store.addsourceunit(entry.source)
        unit.setid(f"c{number}")
        unit.settarget(entry.target, language)
        concept = unit.xmlelement
        fields = [(etree.Element(unit.namespaced("descrip"), type=KIND_FIELD), entry.kind)]
        if entry.note:
            fields.append((etree.Element(unit.namespaced("note")), entry.note))
        for position, (node, text) in enumerate(fields):
            node.text = text  # lxml escapes < & > itself
            concept.insert(position, node)  # TBX wants a concept's fields before its languages
        tig = unit.get_target_dom(language).find(unit.namespaced("tig"))
        status = etree.SubElement(tig, unit.namespaced("termNote"), type="administrativeStatus")
        status.text = DEPRECATED if entry.kind == FORBIDDEN else PREFERRED
    return bytes(store)


def import_tbx(data: bytes, path: Path | str, language: str | None = None) -> TbxImport:
    """The glossary rows of a TBX document; `language`: the target language (default: the only non-Chinese one)."""
    tbx, etree = _toolkit()
    try:
        store = tbx.tbxfile.parsestring(data)
    except etree.XMLSyntaxError as exc:
        raise InputFormatError(path, exc.lineno or 0, f"not readable XML ({exc.msg})", _ACCEPTED) from None
    from translate.misc.xml_helpers import getXMLlang

    units = [u for u in store.units if u.getlanguageNodes()]
    codes = {getXMLlang(node) or "" for u in units for node in u.getlanguageNodes()}
    target = _choose_language(sorted(codes), language, path)
    entries: list[GlossaryEntry] = []
    notes: list[str] = []
    for unit in units:
        by_code = {getXMLlang(node) or "": node for node in unit.getlanguageNodes()}
        source_code = next((c for c in by_code if _is_chinese(c)), None)
        name = unit.getid() or "?"
        if source_code is None or target not in by_code:
            notes.append(f"concept {name}: no {'Chinese' if source_code is None else target} term, left out")
            continue
        sources = [t.text.strip() for t in unit.get_target_terms(source_code) if t.text.strip()]
        targets = [t for t in unit.get_target_terms(target) if t.text.strip()]
        entries += _rows(name, sources, targets, notes)
    return TbxImport(_one_target_per_source(entries, notes), target, tuple(notes))


def _rows(name: str, sources: list[str], targets: list[Any], notes: list[str]) -> list[GlossaryEntry]:
    if not targets:
        notes.append(f"concept {name}: no target term, left out")
        return []
    kind, note = _fields(targets[0].notes)
    if kind not in KINDS:
        if kind:
            notes.append(f"concept {name}: kind {kind!r} is not one of {', '.join(KINDS)}; imported as 'term'")
        kind = "term"
    preferred = [t.text.strip() for t in targets if not t.deprecated and kind != FORBIDDEN]
    banned = [t.text.strip() for t in targets if t.deprecated or kind == FORBIDDEN]
    if len(preferred) > 1:
        notes.append(f"concept {name}: kept {preferred[0]!r}, left out the other renderings {preferred[1:]}")
    rows: list[GlossaryEntry] = []
    if preferred and sources:
        rows += [GlossaryEntry(s, preferred[0], kind, note) for s in sources]
    elif preferred:
        notes.append(f"concept {name}: no Chinese term for {preferred[0]!r}, left out")
    rows += [GlossaryEntry(s, word, FORBIDDEN, note) for word in banned for s in (sources or [""])]
    return rows


def _fields(tbx_notes: tuple[Any, ...]) -> tuple[str, str]:
    """(kind, note) from a term's notes: the `kind` field, and notes and definitions joined."""
    kind = next((n.text.strip() for n in tbx_notes if (n.category or "").casefold() == KIND_FIELD), "")
    texts = [n.text.strip() for n in tbx_notes
             if n.origin != "pos" and (n.category or "").casefold() in ("", "definition") and n.text.strip()]
    return kind, "; ".join(dict.fromkeys(texts))


def _one_target_per_source(entries: list[GlossaryEntry], notes: list[str]) -> tuple[GlossaryEntry, ...]:
    """A glossary allows one target per source: the first concept wins, the others are noted."""
    kept: dict[tuple[str, str], GlossaryEntry] = {}
    for entry in entries:
        key = (entry.source, entry.target if entry.kind == FORBIDDEN else "")
        first = kept.get(key)
        if first is None:
            kept[key] = entry
        elif first != entry:
            notes.append(f"{entry.source}: kept {first.target!r}, left out {entry.target!r}")
    return tuple(kept.values())


def _is_chinese(code: str) -> bool:
    return code.casefold().split("-")[0].split("_")[0] == SOURCE_LANGUAGE


def _choose_language(codes: list[str], wanted: str | None, path: Path | str) -> str:
    others = [c for c in codes if c and not _is_chinese(c)]
    if not any(_is_chinese(c) for c in codes):
        raise InputFormatError(path, 0, f"no Chinese terms (languages: {', '.join(codes) or 'none'})",
                               "terms in zh, zh-CN or zh-Hans")
    if wanted is None:
        if len(others) == 1:
            return others[0]
        raise InputFormatError(path, 0, f"languages {', '.join(others) or 'none'} besides Chinese",
                               "--market naming which one to import")
    exact = [c for c in others if c.casefold() == wanted.casefold()]
    same_language = [c for c in others if c.casefold().split("-")[0] == wanted.casefold().split("-")[0]]
    chosen = exact or same_language
    if len(chosen) != 1:
        raise InputFormatError(path, 0, f"no single {wanted} language in the file (languages: {', '.join(others)})",
                               f"{wanted}, or one language sharing its first part")
    return chosen[0]
