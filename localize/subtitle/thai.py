"""Thai word boundaries: the only module that imports PyThaiNLP.

Thai is written without spaces between words (spaces separate phrases and sentences), so
a line may only break where a word ends; the segmenter finds those places. `newmm`
(maximal matching over PyThaiNLP's bundled dictionary) works offline: it reads the
dictionary shipped inside the wheel and downloads nothing. PyThaiNLP creates an empty
`~/pythainlp-data` folder when imported (set PYTHAINLP_DATA_DIR to put it elsewhere).
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Callable
from typing import Any

from localize.errors import MissingDependencyError

ENGINE = "newmm"


@functools.cache
def _tokenizer() -> Callable[..., Any]:
    try:
        module = importlib.import_module("pythainlp.tokenize")
    except ImportError:
        raise MissingDependencyError("pythainlp", "install it with: .venv/bin/pip install pythainlp==5.4.0") from None
    tokenize: Callable[..., Any] = module.word_tokenize
    return tokenize


_THAI_RUN = re.compile(r"[\u0e00-\u0e7f]+")


def words(text: str) -> list[str]:
    """The words of a run of text without spaces, in order; joined they give `text` back.

    Only Thai runs are segmented: "OK", "3D" or a Latin name inside Thai text stay whole.
    """
    pieces: list[str] = []
    at = 0
    for run in _THAI_RUN.finditer(text):
        if run.start() > at:
            pieces.append(text[at:run.start()])
        pieces += _segment(run.group())
        at = run.end()
    if at < len(text):
        pieces.append(text[at:])
    return pieces


def _segment(run: str) -> list[str]:
    pieces = [str(p) for p in _tokenizer()(run, engine=ENGINE, keep_whitespace=True) if p]
    if "".join(pieces) != run:  # never lose or reorder a character, whatever the segmenter does
        return [run]
    return pieces


def boundaries(text: str) -> set[int]:
    """Character offsets in `text` where a word starts or ends (0 and len(text) included)."""
    offsets, at = {0, len(text)}, 0
    for chunk in text.split(" "):
        for word in words(chunk):
            offsets.add(at)
            at += len(word)
            offsets.add(at)
        at += 1  # the space
    return offsets
