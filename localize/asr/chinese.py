"""The only module that imports OpenCC: traditional to simplified Chinese."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from localize.errors import MissingDependencyError


@lru_cache(maxsize=4)
def _converter(config: str) -> Any:
    try:
        import opencc
    except ImportError as exc:
        raise MissingDependencyError("opencc", "pip install opencc") from exc
    return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    """Whisper writes many traditional characters for Mandarin; deliveries use simplified."""
    return str(_converter("t2s").convert(text))
