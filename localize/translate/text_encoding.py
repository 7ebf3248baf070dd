"""Decode a table a person saved from a spreadsheet, whatever encoding their machine chose.

Accepted, in the order tried:

1. a byte-order mark: UTF-8 (LibreOffice, some Excel exports), UTF-16 LE or BE (Excel's
   "Unicode Text");
2. UTF-16 without a mark, recognised by NUL bytes: the ASCII of the header row puts a NUL
   beside every letter, on one side (odd offsets for LE, even for BE);
3. strict UTF-8: multi-byte UTF-8 checks itself, so other encodings almost never pass;
4. GB18030 (which contains GBK and GB2312, the "ANSI" of Chinese Windows), only if the result is
   plausible. GB18030 decodes almost any byte string: Big5, Shift-JIS or Latin-1 come out as rare
   hanzi. So the text must have no control or private-use characters, its non-ASCII characters
   must mostly (`PLAUSIBLE_SHARE`) be common simplified Chinese (GB2312) or Latin letters, and the
   caller must recognise it (a glossary: its header row). Measured on glossaries/en-US.tsv:
   as GBK 55 of 55 non-ASCII characters are GB2312; the same file in Big5 read as GB18030, 27 of 55.

5. Big5, only when the caller asks (`big5=True`) and the text is plausible traditional Chinese.

Anything else (an .xlsx workbook, Big5 unless asked, Shift-JIS, Latin-1, binary) is refused with an
InputFormatError naming the file and what was tried.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from localize.errors import InputFormatError

ACCEPTED = "text saved as UTF-8, UTF-16 (Excel's \"Unicode Text\") or GB18030/GBK"
PLAUSIBLE_SHARE = 0.9
_NUL_RATIO = 4  # NULs on one side of the byte pairs at least this many times the other side
_MIN_NULS = 4
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig", "UTF-8 with BOM"), (b"\xff\xfe", "utf-16", "UTF-16 LE with BOM"),
         (b"\xfe\xff", "utf-16", "UTF-16 BE with BOM"))
_WORKBOOKS = ((b"PK\x03\x04", "an Excel workbook (.xlsx) or other zip file"),
              (b"\xd0\xcf\x11\xe0", "an Excel 97-2003 workbook (.xls)"))
_ALLOWED_CONTROLS = frozenset("\t\n\r")


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # as a person would name it: "UTF-8", "UTF-16 LE with BOM", "GB18030"...


def decode_table(data: bytes, path: Path | str, recognised: Callable[[str], bool] = lambda _: True, *,
                 big5: bool = False) -> Decoded:
    """`data` as text (see the module docstring); `recognised(text)` says the content is what was expected.

    `big5=True` also accepts plausible Big5 after GB18030 (subtitle files from Taiwan and Hong Kong);
    glossaries keep refusing it.
    """
    for magic, what in _WORKBOOKS:
        if data.startswith(magic):
            raise InputFormatError(path, 0, f"{what}, not text", "the sheet saved as tab-separated " + ACCEPTED)
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            return Decoded(_strict(data, codec, name, path), name)
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        codec, name = utf16
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            text = ""
        if not text or not _clean(text) or not recognised(text):
            raise InputFormatError(path, 0, f"binary data, or {name} that does not read as a table", ACCEPTED)
        return Decoded(text, name)
    if b"\x00" in data:
        raise InputFormatError(path, 0, "binary data (NUL bytes), not text", ACCEPTED)
    try:
        return Decoded(data.decode("utf-8"), "UTF-8")
    except UnicodeDecodeError as exc:
        utf8_error = f"not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})"
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise InputFormatError(path, 0, f"{utf8_error}, nor GB18030 (byte 0x{data[exc.start]:02x} at offset "
                                        f"{exc.start}): Big5, Shift-JIS or Latin-1?", ACCEPTED) from None
    share = _common_share(text)
    if not _clean(text) or share < PLAUSIBLE_SHARE or not recognised(text):
        big5_text = _big5(data, recognised) if big5 else None
        if big5_text is not None:
            return Decoded(big5_text, "Big5")
        accepted = ACCEPTED + (" or Big5" if big5 else "")
        raise InputFormatError(path, 0, f"{utf8_error}; read as GB18030 it is not plausible Chinese ({share:.0%} "
                                        "common characters): " + ("Shift-JIS or Latin-1?" if big5 else
                                                                  "Big5, Shift-JIS or Latin-1?"), accepted)
    return Decoded(text, "GB18030")


def _big5(data: bytes, recognised: Callable[[str], bool]) -> str | None:
    """Big5 (cp950) text, if it is plausible traditional Chinese: tried only after GB18030 failed.

    Big5 text read as GB18030 is mostly rare hanzi (26-35% common on the test lines), so it
    reaches here; GB2312 text passes the GB18030 check first. Plausible: clean, recognised, and
    mostly (`PLAUSIBLE_SHARE`) Big5's frequently used hanzi (lead bytes 0xA4-0xC6), its
    punctuation (0xA1-0xA3) or Latin.
    """
    try:
        text = data.decode("cp950")
    except UnicodeDecodeError:
        return None
    wide = [ch for ch in text if ord(ch) > 0x7F]
    if not wide or not _clean(text) or not recognised(text):
        return None
    common = sum(1 for ch in wide if "\u00a0" <= ch <= "\u024f" or _big5_common(ch))
    return text if common / len(wide) >= PLAUSIBLE_SHARE else None


def _big5_common(ch: str) -> bool:
    try:
        lead = ch.encode("cp950")[0]
    except UnicodeEncodeError:
        return False
    return 0xA1 <= lead <= 0xC6


def _strict(data: bytes, codec: str, name: str, path: Path | str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise InputFormatError(path, 0, f"not valid {name} (offset {exc.start})", ACCEPTED) from None


def _utf16_without_bom(data: bytes) -> tuple[str, str] | None:
    if len(data) % 2:
        return None
    even, odd = data[0::2].count(0), data[1::2].count(0)
    if odd >= _MIN_NULS and odd >= _NUL_RATIO * even:
        return "utf-16-le", "UTF-16 LE (no BOM)"
    if even >= _MIN_NULS and even >= _NUL_RATIO * odd:
        return "utf-16-be", "UTF-16 BE (no BOM)"
    return None


def _clean(text: str) -> bool:
    """No control characters but tab and line ends, no private-use or unassigned code points."""
    return not any(
        (ch not in _ALLOWED_CONTROLS and unicodedata.category(ch) in ("Cc", "Co", "Cs", "Cn")) for ch in text
    )


def _common(ch: str) -> bool:
    if "\u00a0" <= ch <= "\u024f" or "\u2000" <= ch <= "\u206f":  # Latin letters, general punctuation
        return True
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _common_share(text: str) -> float:
    """Of the non-ASCII characters, the share that is common simplified Chinese or Latin (1.0 if none)."""
    wide = [ch for ch in text if ord(ch) > 0x7F]
    return sum(map(_common, wide)) / len(wide) if wide else 1.0
