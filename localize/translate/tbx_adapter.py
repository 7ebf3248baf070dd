"""TBX (TermBase eXchange) import and export, for CAT tools (memoQ, Trados MultiTerm, Phrase...).

The only module that reads or writes TBX. It uses lxml alone (BSD-licensed, permissive), so the default
install holds no GPL code. One glossary row is one concept (`termEntry`), laid out as CAT tools lay out
custom fields:

    <termEntry id="c1">
      <descrip type="kind">name</descrip>        the row's kind (glossary.KINDS)
      <note>heroine</note>                       the row's note, if any
      <langSet xml:lang="zh"><tig><term>林晓</term></tig></langSet>
      <langSet xml:lang="en-US"><tig><term>Lin Xiao</term>
        <termNote type="administrativeStatus">preferredTerm-admn-sts</termNote></tig></langSet>
    </termEntry>

A row's other accepted forms (`señor Zhang|el señor Zhang`) follow as more terms of the target
language with the status `admittedTerm-admn-sts`. A forbidden word is a target term with the status
`deprecatedTerm-admn-sts` (what CAT tools show as "do not use"), and a forbidden word with no source
has an empty Chinese term.

Import reads that layout and the usual TBX from other tools (TBX 2008 `martif` or TBX v3 `tbx`,
namespaced or not; a DTD or external entity the file names is never fetched or expanded): the Chinese
(`zh`, `zh-CN`, `zh-Hans`...) terms are sources, one target language is chosen (the market's, or the only
other one), a concept's first preferred target is the rendering of each of its Chinese terms, its other
targets are accepted forms of it, and its deprecated targets become forbidden words for those terms.
A kind not in the file is `term`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from localize.errors import InputFormatError
from localize.translate.glossary import FORBIDDEN, KINDS
from localize.types import GlossaryEntry

SOURCE_LANGUAGE = "zh"
KIND_FIELD = "kind"
PREFERRED = "preferredTerm-admn-sts"
DEPRECATED = "deprecatedTerm-admn-sts"
ADMITTED = "admittedTerm-admn-sts"  # a glossary row's other accepted forms (`a|b` in its target cell)
_ACCEPTED = "a TBX (TermBase eXchange) file, as CAT tools export glossaries"
_DOCTYPE = '<!DOCTYPE martif SYSTEM "TBXcoreStructV02.dtd">'
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# TBX 2008 (martif, no namespace) and TBX v3 (tbx, urn:iso:std:iso:30042:ed-2) name the same levels differently.
_ROOTS = ("martif", "tbx")
_CONCEPTS = ("termEntry", "conceptEntry")
_LANGUAGES = ("langSet", "langSec")
_TERMS = ("tig", "ntig", "termSec")
_STATUS_TYPES = ("administrativestatus", "normativeauthorization")


@dataclass(frozen=True)
class TbxImport:
    entries: tuple[GlossaryEntry, ...]
    language: str  # the target language read
    notes: tuple[str, ...] = ()  # what was left out or changed, for the person importing


@dataclass(frozen=True)
class _Note:
    """A descrip, note or termNote: its text, `origin` (definition / pos / a note's `from`) and `type`."""

    text: str
    origin: str | None = None
    category: str | None = None


@dataclass(frozen=True)
class _Term:
    """One term of a language, with the concept's, the language's and its own notes."""

    text: str
    deprecated: bool = False
    notes: tuple[_Note, ...] = ()


def export_tbx(entries: tuple[GlossaryEntry, ...] | list[GlossaryEntry], language: str) -> bytes:
    """A TBX document holding `entries`, Chinese to `language` (a market code such as en-US)."""
    root = etree.Element("martif", type="TBX")
    root.set(_XML_LANG, SOURCE_LANGUAGE)
    source_desc = etree.SubElement(etree.SubElement(etree.SubElement(root, "martifHeader"), "fileDesc"), "sourceDesc")
    etree.SubElement(source_desc, "p").text = "localize"
    body = etree.SubElement(etree.SubElement(root, "text"), "body")
    for number, entry in enumerate(entries, start=1):
        body.append(_concept(number, entry, language))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True, doctype=_DOCTYPE))


def _concept(number: int, entry: GlossaryEntry, language: str) -> etree._Element:
    """One `termEntry`: the kind, the note, the Chinese term, then the target term and its status."""
    concept = etree.Element("termEntry", id=f"c{number}")
    etree.SubElement(concept, "descrip", type=KIND_FIELD).text = entry.kind  # lxml escapes < & > itself
    if entry.note:
        etree.SubElement(concept, "note").text = entry.note
    _lang_set(concept, SOURCE_LANGUAGE, entry.source)
    tig = _lang_set(concept, language, entry.target)
    status = etree.SubElement(tig, "termNote", type="administrativeStatus")
    status.text = DEPRECATED if entry.kind == FORBIDDEN else PREFERRED
    lang_set = tig.getparent()
    for variant in entry.variants:  # the other accepted forms: admitted terms of the same language
        other = etree.SubElement(lang_set, "tig")
        etree.SubElement(other, "term").text = variant
        etree.SubElement(other, "termNote", type="administrativeStatus").text = (
            DEPRECATED if entry.kind == FORBIDDEN else ADMITTED)
    return concept


def _lang_set(concept: etree._Element, language: str, text: str) -> etree._Element:
    """Append `<langSet xml:lang=language><tig><term>text</term></tig></langSet>`; the tig."""
    lang_set = etree.SubElement(concept, "langSet")
    lang_set.set(_XML_LANG, language)
    tig = etree.SubElement(lang_set, "tig")
    etree.SubElement(tig, "term").text = text
    return tig


def import_tbx(data: bytes, path: Path | str, language: str | None = None) -> TbxImport:
    """The glossary rows of a TBX document; `language`: the target language (default: the only non-Chinese one)."""
    concepts = [(c, _languages(c)) for c in _elements(_parse(data, path), _CONCEPTS)]
    concepts = [(c, langs) for c, langs in concepts if langs]
    codes = {code for _, langs in concepts for code, _ in langs}
    target = _choose_language(sorted(codes), language, path)
    entries: list[GlossaryEntry] = []
    notes: list[str] = []
    for concept, langs in concepts:
        by_code: dict[str, etree._Element] = {}
        for code, node in langs:
            by_code.setdefault(code, node)
        source_code = next((c for c in by_code if _is_chinese(c)), None)
        name = concept.get("id") or "?"
        if source_code is None or target not in by_code:
            notes.append(f"concept {name}: no {'Chinese' if source_code is None else target} term, left out")
            continue
        sources = [t.text.strip() for t in _terms(concept, by_code[source_code]) if t.text.strip()]
        targets = [t for t in _terms(concept, by_code[target]) if t.text.strip()]
        entries += _rows(name, sources, targets, notes)
    return TbxImport(_one_target_per_source(entries, notes), target, tuple(notes))


def _parse(data: bytes, path: Path | str) -> etree._Element:
    """The root of a TBX document; never loads a DTD, an external entity or anything over the network."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise InputFormatError(path, exc.lineno or 0, f"not readable XML ({exc.msg})", _ACCEPTED) from None
    if _local(root) not in _ROOTS:
        raise InputFormatError(path, root.sourceline or 0, f"the document is <{_local(root)}>, not <martif> or <tbx>",
                               _ACCEPTED)
    return root


def _local(node: etree._Element) -> str:
    """An element's name without its namespace: TBX v3 files are namespaced, TBX 2008 files are not."""
    return str(etree.QName(node).localname)


def _children(node: etree._Element) -> list[etree._Element]:
    """The child elements (not comments, processing instructions or entity references)."""
    return [child for child in node if isinstance(child.tag, str)]


def _elements(node: etree._Element, names: tuple[str, ...]) -> list[etree._Element]:
    return [el for el in node.iter() if isinstance(el.tag, str) and _local(el) in names]


def _text(node: etree._Element) -> str:
    return "".join(node.itertext())


def _languages(concept: etree._Element) -> list[tuple[str, etree._Element]]:
    """A concept's language sections with their codes (`xml:lang`), in document order."""
    return [(node.get(_XML_LANG) or "", node) for node in _children(concept) if _local(node) in _LANGUAGES]


def _terms(concept: etree._Element, language: etree._Element) -> list[_Term]:
    """The terms of a language section (tig, ntig or termSec), each with the notes in scope for it."""
    common = _notes(concept) + _notes(language)
    terms: list[_Term] = []
    for holder in _children(language):
        if _local(holder) not in _TERMS:
            continue
        term = next(iter(_elements(holder, ("term",))), None)
        own = _notes(holder)
        deprecated = any(n.origin == "pos" and (n.category or "").casefold() in _STATUS_TYPES
                         and "deprecated" in n.text.casefold() for n in own)
        terms.append(_Term("" if term is None else _text(term), deprecated, common + own))
    return terms


def _notes(node: etree._Element) -> tuple[_Note, ...]:
    """The descrip, note and termNote fields of one level, also in groups, not those of the levels below."""
    return tuple(_note(child) for child in _fields_of(node) if _local(child) in ("descrip", "note", "termNote"))


def _fields_of(node: etree._Element) -> Iterator[etree._Element]:
    for child in _children(node):
        if _local(child) in (*_LANGUAGES, *_TERMS, "term"):
            continue
        yield child
        yield from _fields_of(child)


def _note(node: etree._Element) -> _Note:
    kind = _local(node)
    origin = "definition" if kind == "descrip" else "pos" if kind == "termNote" else node.get("from")
    return _Note(_text(node), origin, node.get("type"))


def _rows(name: str, sources: list[str], targets: list[_Term], notes: list[str]) -> list[GlossaryEntry]:
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
    rows: list[GlossaryEntry] = []
    if preferred and sources:  # the first rendering is the approved one; the others are accepted forms
        rows += [GlossaryEntry(s, preferred[0], kind, note, variants=tuple(preferred[1:])) for s in sources]
    elif preferred:
        notes.append(f"concept {name}: no Chinese term for {preferred[0]!r}, left out")
    rows += [GlossaryEntry(s, word, FORBIDDEN, note) for word in banned for s in (sources or [""])]
    return rows


def _fields(tbx_notes: tuple[_Note, ...]) -> tuple[str, str]:
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
