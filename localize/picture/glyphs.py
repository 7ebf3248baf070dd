"""Recover characters the recogniser cannot write: written-Cantonese glyphs missing from its dictionary.

PP-OCRv4's 6,623-character dictionary lacks the characters of written Cantonese (嘅 哋 咁 咗
佢 啲 嚟 冇 喺...), so on a Hong Kong-style subtitle it skips them (a gap between two
recognised characters) or writes a look-alike (吡 for 哋). Here each gap wide enough
for a glyph, and each recognised character, is compared with those characters drawn in
the Noto CJK fonts (regular and bold, sans and serif): the best match fills the gap, or
replaces the character when it matches clearly better than the character itself.
Shapes are compared after cropping to the ink and scaling to a small square, so size
and position do not matter; a very different typeface can still defeat it. So, first, a
character built from a radical and a character the recogniser knows (嘅 = 口 + 既) is
composed: the radical found by shape (localize.picture.radicals), the rest read by the
recogniser itself, which holds in any font and size (COMPOSED).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from localize.picture.radicals import glyph_columns, inked_runs, is_person, mouth_end, radical_end

log = logging.getLogger("localize")

# Characters of written Cantonese; those the recogniser's dictionary already has are dropped at load.
CANTONESE = "嘅哋咁咗佢啲嚟冇喺嗌嗰啱噉攞嘥冚揾搵瞓嚿咩嘞喎嚡晒嘢嚫咪囖嘢啩嘈噏躝嗱掟捩𠵱"
FONTS_DIR = Path("/usr/share/fonts/opentype/noto")
FONT_FACES: tuple[tuple[Path, int], ...] = (
    (FONTS_DIR / "NotoSansCJK-Regular.ttc", 4), (FONTS_DIR / "NotoSansCJK-Bold.ttc", 4),
    (FONTS_DIR / "NotoSerifCJK-Regular.ttc", 4))
# Written-Cantonese characters built from a radical on the left and, on the right, a character the
# recogniser does know: read the right-hand part on its own, check the radical's shape, and compose.
# This holds in any font and at any size, since the recogniser itself reads the complex part.
COMPOSED: dict[str, str] = {
    "既": "嘅", "地": "哋", "也": "哋", "甘": "咁", "的": "啲", "左": "咗", "黎": "嚟", "係": "喺", "系": "喺",
    "個": "嗰", "个": "嗰", "岩": "啱", "敢": "噉", "徙": "嘥", "益": "嗌", "卦": "啩", "拿": "嗱", "架": "㗎",
    "播": "噃", "巨": "佢", "罗": "攞", "羅": "攞", "定": "掟", "戾": "捩",
}
MOUTH = frozenset("嘅哋咁啲咗嚟喺嗰啱噉嘥嗌啩嗱㗎噃")  # the COMPOSED characters whose radical is 口
PERSON = frozenset("佢")  # ... and 亻 (the rest, 扌, are checked against the radical drawn in the fonts)
RADICAL_SHARE = 0.36  # the left-hand radical takes about this share of the glyph's width
_SIZE = 32  # side of the square both shapes are compared at
_INK = 190  # burned-in text is light: strokes are pixels at least this bright...
_MIN_INK = 120  # ...or, for a coloured or thin-stroked line, halfway from the background to the text's own level


@dataclass(frozen=True)
class GlyphOptions:
    """fill_score: a gap is filled only by a shape matching at least this well (correlation, 0-1;
        measured: real missing glyphs 0.68-0.93, spaces and stray strokes up to 0.63).
    replace_margin: a recognised character is replaced only by a shape matching this much better.
    min_ink: a gap with less of its area in strokes than this is a space, not a missing glyph.
    radical_score: a composed character (COMPOSED) is taken when its left-hand radical matches at least this well.
    """

    fill_score: float = 0.66
    replace_margin: float = 0.12
    min_ink: float = 0.05
    radical_score: float = 0.6


def _normalised(ink: np.ndarray) -> np.ndarray | None:
    """Crop a boolean stroke image to its ink, pad it square, scale to _SIZE x _SIZE, zero-mean unit-norm."""
    from PIL import Image

    rows, cols = np.nonzero(ink)
    if rows.size < 4:
        return None
    cut = ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    side = max(cut.shape)
    square = np.zeros((side, side), np.uint8)
    top, left = (side - cut.shape[0]) // 2, (side - cut.shape[1]) // 2
    square[top:top + cut.shape[0], left:left + cut.shape[1]] = cut * 255
    small = np.asarray(Image.fromarray(square).resize((_SIZE, _SIZE), Image.Resampling.BILINEAR), np.float64)
    small -= small.mean()
    norm = np.linalg.norm(small)
    return small / norm if norm else None


@lru_cache(maxsize=4096)
def _drawn_ink(char: str) -> tuple[np.ndarray, ...]:
    """The character drawn in each available font face: its strokes, cropped to the ink."""
    from PIL import Image, ImageDraw, ImageFont

    inks = []
    for path, index in FONT_FACES:
        if not path.is_file():
            continue
        font = ImageFont.truetype(str(path), 64, index=index)
        image = Image.new("L", (96, 96), 0)
        ImageDraw.Draw(image).text((16, 8), char, fill=255, font=font)
        ink = np.asarray(image) >= 128
        rows, cols = np.nonzero(ink)
        if rows.size >= 4:
            inks.append(ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1])
    return tuple(inks)


@lru_cache(maxsize=4096)
def _drawn(char: str) -> tuple[np.ndarray, ...]:
    """The character drawn in each available font face, normalised."""
    return tuple(shape for ink in _drawn_ink(char) if (shape := _normalised(ink)) is not None)


@lru_cache(maxsize=256)
def _drawn_left(char: str) -> tuple[np.ndarray, ...]:
    """The left-hand radical of a character, as each font face draws it, normalised."""
    return tuple(shape for ink in _drawn_ink(char)
                 if (shape := _normalised(ink[:, :round(RADICAL_SHARE * ink.shape[1])])) is not None)


def _score(cell: np.ndarray, char: str) -> float:
    return max((float(np.sum(cell * shape)) for shape in _drawn(char)), default=0.0)


@lru_cache(maxsize=1)
def candidates(dictionary: frozenset[str]) -> tuple[str, ...]:
    missing = tuple(dict.fromkeys(ch for ch in CANTONESE if ch not in dictionary))
    if not any(_drawn(ch) for ch in missing[:1]):
        log.warning("no Noto CJK font in %s: Cantonese characters the OCR lacks cannot be recovered", FONTS_DIR)
        return ()
    return missing


def _best(cell: np.ndarray, options: tuple[str, ...]) -> tuple[str, float]:
    scored = [(ch, _score(cell, ch)) for ch in options]
    return max(scored, key=lambda pair: pair[1], default=("", 0.0))


def _han(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff"


def complete(grey: np.ndarray, text: str, spans: Sequence[tuple[int, int]], dictionary: frozenset[str],
             options: GlyphOptions = GlyphOptions(), read_part: Callable[[np.ndarray], str] | None = None) -> str:
    """`text` with missing glyphs filled and look-alikes replaced; `spans` are each character's (x0, x1) in `grey`.

    Chinese glyphs sit on a fixed pitch: the line is laid on that grid, and a grid cell with
    strokes but no recognised character is a glyph the recogniser skipped. `read_part` (the
    recogniser on one image) reads the right-hand part of such a cell, and of a cell read as a
    COMPOSED component, so that a radical plus a known character gives the Cantonese one.
    """
    pool = candidates(dictionary)
    if not pool or len(spans) != len(text) or len(text) < 2 or not all(_han(c) for c in text):
        return text  # Latin, digits or punctuation break the grid: leave such lines as read
    ink = _main_rows(grey >= ink_level(grey))
    grid = _grid([(x0 + x1) / 2 for x0, x1 in spans])
    columns = np.nonzero(ink.any(axis=0))[0]
    if grid is None or columns.size == 0:
        return text  # two characters in one cell: the pitch is not regular
    origin, pitch, slots = grid
    before = max(0, round((origin - columns[0] - pitch / 2) / pitch))
    origin -= before * pitch
    cells = {slot + before: index for index, slot in enumerate(slots)}
    after = max(0, round((columns[-1] - (origin + max(cells) * pitch) - pitch / 2) / pitch))
    out = []
    for cell in range(max(cells) + 1 + after):
        x0 = round(origin + (cell - 0.5) * pitch)
        cut = slice(max(0, x0), max(0, x0 + round(pitch)))
        part = ink[:, cut]
        char = text[cells[cell]] if cell in cells else ""
        if read_part:
            fitted = _fitted(ink, x0, round(pitch))  # the grid is off by a few pixels here and there
            mouth = mouth_end(ink[:, fitted])
            if char in COMPOSED or (not char and _inked(part, options)) or mouth is not None:
                composed = _composed(ink[:, fitted], grey[:, fitted], mouth, read_part, dictionary, options)
                if composed:
                    out.append(composed)
                    continue
        if char:
            out.append(_checked(part, char, pool, options))
        elif _inked(part, options) and (shape := _normalised(part)) is not None:
            best, score = _best(shape, pool)
            log.debug("glyph cell %d of %r: best %s %.2f", cell, text, best, score)
            if best and score >= options.fill_score:
                out.append(best)
    return "".join(out)


def _main_rows(ink: np.ndarray, gap: int = 3) -> np.ndarray:
    """Only the line's own rows: strokes of a row above or below (a two-row subtitle) reaching into the crop cleared.

    Inked rows closer than `gap` blank rows form one block; the tallest block is the line.
    """
    blocks = inked_runs(ink.any(axis=1), gap)
    if len(blocks) < 2:
        return ink
    top, bottom = max(blocks, key=lambda block: block[1] - block[0])
    kept = np.zeros_like(ink)
    kept[top:bottom] = ink[top:bottom]
    return kept


def _fitted(ink: np.ndarray, x0: int, pitch: int) -> slice:
    """The cell [x0, x0 + pitch) moved by up to a third of the pitch to where its edges cut the least ink.

    A glyph's edges are blank columns (or nearly); a cell that cuts through strokes is off its glyph.
    """
    counts = ink.sum(axis=0)
    width = counts.size

    def cut_ink(start: int) -> float:
        left, right = max(0, start), min(width, start + pitch) - 1
        return float(counts[left] if left < width else 0) + float(counts[right] if right >= 0 else 0)

    reach = pitch // 3
    best = min(range(x0 - reach, x0 + reach + 1), key=lambda start: (cut_ink(start), abs(start - x0)))
    return slice(max(0, best), max(0, best + pitch))


def ink_level(grey: np.ndarray) -> float:
    """The brightness that separates the line's strokes from what is behind them.

    White text is at 255 and 190 separates it well; a yellow or grey line is darker, and thin
    serif strokes are anti-aliased below its level: halfway between the background (the median)
    and the text (the brightest pixels) then keeps them.
    """
    text_level = float(np.percentile(grey, 99.5))
    halfway = (float(np.median(grey)) + text_level) / 2
    return max(_MIN_INK, min(_INK, halfway))


def _grid(centres: Sequence[float]) -> tuple[float, float, list[int]] | None:
    """Fit centre = origin + pitch * slot: (origin, pitch, each character's slot); None if irregular.

    Recognised characters' positions are estimates (off by a few pixels, more next to a
    skipped glyph); a least-squares fit over the whole line puts the cells where the glyphs are.
    """
    gaps = np.diff(centres)
    if len(gaps) == 0 or gaps.min() <= 0:
        return None
    # A skipped glyph makes a double gap: count each gap in steps of the smallest before taking the median.
    pitch = float(np.median(gaps / np.maximum(1, np.round(gaps / gaps.min()))))
    slots = [round((c - centres[0]) / pitch) for c in centres]
    if len(set(slots)) != len(slots):
        return None
    fitted_pitch, origin = np.polyfit(slots, centres, 1) if slots[-1] > 0 else (pitch, centres[0])
    return float(origin), float(fitted_pitch), slots


def _inked(part: np.ndarray, options: GlyphOptions) -> bool:
    """Strokes in the middle half of the cell, not only at its edges where neighbours reach in."""
    width = part.shape[1]
    middle = part[:, width // 4:width - width // 4]
    return bool(middle.size) and float(middle.mean()) >= options.min_ink


def _composed(part: np.ndarray, grey: np.ndarray, mouth: int | None, read_part: Callable[[np.ndarray], str],
              dictionary: frozenset[str], options: GlyphOptions) -> str:
    """A COMPOSED character: its right-hand part read by the recogniser, its radical checked by shape ("" if not).

    `mouth` is where a 口 radical at the glyph's left ends (radicals.mouth_end), None if it has none.
    """
    span = glyph_columns(part)
    if span is None:
        return ""
    split = mouth if mouth is not None else radical_end(part)
    if split is None:
        return ""
    right = read_part(grey[:, split:span[1]])
    composed = COMPOSED.get(right, "")
    if not composed or composed in dictionary or (composed in MOUTH) != (mouth is not None):
        return ""
    radical = part[:, span[0]:split]
    if composed in PERSON:
        fits = is_person(radical, part)
    elif composed in MOUTH:
        fits = True
    else:
        left = _normalised(radical)
        fits = left is not None and max((float(np.sum(left * shape)) for shape in _drawn_left(composed)),
                                        default=0.0) >= options.radical_score
    log.debug("glyph %s read right of a radical: %s? %s", right, composed, fits)
    return composed if fits else ""


def _checked(part: np.ndarray, char: str, pool: tuple[str, ...], options: GlyphOptions) -> str:
    """The recognised character, or a Cantonese one its shape matches clearly better."""
    shape = _normalised(part)
    if shape is None:
        return char
    best, score = _best(shape, pool)
    if best and score >= options.fill_score and score >= _score(shape, char) + options.replace_margin:
        return best
    return char


