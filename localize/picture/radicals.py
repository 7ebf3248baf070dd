"""Where a glyph's left-hand radical ends, and which radical it is, by shape alone (any font, any size).

Written-Cantonese characters the recogniser lacks are mostly a radical on the left (口, 亻, 扌)
and a character it knows on the right (嘅 = 口 + 既). These functions take one glyph's strokes
(a boolean image, True = ink) and find the radical:

- 口 is a closed box: the one shape with a hole on the glyph's left (found by filling holes);
- 亻 is tall and narrow, one vertical stroke with nothing to its right;
- any other radical ends at the first blank (or nearly blank) column of the glyph's left half.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def glyph_columns(glyph: np.ndarray) -> tuple[int, int] | None:
    """The glyph's first and past-last inked columns, without a neighbour's strokes at the cell's edges.

    Runs of inked columns narrower than a sixth of the cell touching its left or right edge are
    a neighbouring glyph reaching in.
    """
    runs = _column_runs(glyph)
    thin = glyph.shape[1] / 6
    while runs and runs[0][0] <= 1 and runs[0][1] - runs[0][0] < thin:
        runs.pop(0)
    while runs and runs[-1][1] >= glyph.shape[1] - 1 and runs[-1][1] - runs[-1][0] < thin:
        runs.pop()
    return (runs[0][0], runs[-1][1]) if runs else None


def _column_runs(glyph: np.ndarray) -> list[list[int]]:
    return inked_runs(glyph.any(axis=0))


def inked_runs(inked: Any, gap: int = 0) -> list[list[int]]:
    """[start, end) of each run of True in a row or column profile; runs at most `gap` apart are one run."""
    runs: list[list[int]] = []
    for index in np.flatnonzero(inked).tolist():
        if runs and index - runs[-1][1] <= gap:
            runs[-1][1] = index + 1
        else:
            runs.append([index, index + 1])
    return runs


def mouth_end(glyph: np.ndarray) -> int | None:
    """The column after a 口 radical at the glyph's left, or None when the glyph does not start with one.

    The 口 is the leftmost enclosed hole that starts in the glyph's left quarter, ends before its middle,
    and is at least a quarter of the glyph's height but not all of it; the radical ends where its right-hand
    stroke does.
    """
    from scipy import ndimage

    span = glyph_columns(glyph)
    rows = np.nonzero(glyph.any(axis=1))[0]
    if span is None or rows.size == 0:
        return None
    start, end = span
    width, height = end - start, int(rows[-1] + 1 - rows[0])
    holes, _ = ndimage.label(ndimage.binary_fill_holes(glyph) & ~glyph)
    for found in sorted(ndimage.find_objects(holes), key=lambda box: box[1].start):
        hole_rows, hole_cols = found
        tall = hole_rows.stop - hole_rows.start
        if (hole_cols.start - start <= 0.3 * width and hole_cols.stop - start <= 0.5 * width
                and 0.2 * height <= tall <= 0.8 * height and hole_cols.stop - hole_cols.start >= max(2, 0.04 * width)):
            column = hole_cols.stop
            while column < end and glyph[hole_rows, column].mean() >= 0.5:  # the box's right-hand stroke
                column += 1
            return column if column - start <= 0.5 * width else None
    return None


def radical_end(glyph: np.ndarray) -> int | None:
    """The column after a left-hand radical standing apart (a blank column, or one nearly so), or None."""
    span = glyph_columns(glyph)
    if span is None:
        return None
    start, end = span
    width = end - start
    counts = glyph[:, start:end].sum(axis=0)
    typical = float(np.median(counts[counts > 0])) if counts.any() else 0.0
    for column in range(max(2, round(0.15 * width)), width // 2 + 1):
        if counts[column] == 0 or counts[column] <= typical / 4:
            return start + column
    return None


def is_person(radical: np.ndarray, glyph: np.ndarray) -> bool:
    """A 亻 radical: about the glyph's height, one vertical stroke down most of it, nothing beside it below the top.

    (扌 has the same stroke, but a bar and a rising stroke cross it.)
    """
    rows, cols = np.nonzero(radical)
    glyph_rows = np.nonzero(glyph.any(axis=1))[0]
    if rows.size < 8 or glyph_rows.size == 0:
        return False
    box = radical[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    height, width = box.shape
    cover = [float(box[:, column:column + 2].any(axis=1).mean()) for column in range(width)]
    stroke = int(np.argmax(cover))
    first, last = stroke, stroke
    while first > 0 and cover[first - 1] >= 0.5 * cover[stroke]:  # bold strokes are wide
        first -= 1
    while last + 1 < width and cover[last + 1] >= 0.5 * cover[stroke]:
        last += 1
    # Below the first stroke, which slants over it, 亻 has nothing beside its vertical; 扌's rising stroke crosses it.
    lower = box[round(0.45 * height):]
    beside = float(lower[:, :max(0, first - 1)].sum()) + float(lower[:, min(width, last + 2):].sum())
    return (height >= 0.75 * (glyph_rows[-1] + 1 - glyph_rows[0]) and cover[stroke] >= 0.55
            and beside <= 0.1 * float(box.sum()))
