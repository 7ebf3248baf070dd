"""Scores against references: CER for Chinese ASR, chrF for translations."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from localize.errors import MissingDependencyError


def letters_and_digits(text: str) -> str:
    """The letters and digits of `text` after NFKC (full-width Ａ１ become A1; Han counts as a letter):
    what CER counts and what alignment compares; no spaces or punctuation."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text) if unicodedata.category(ch)[0] in ("L", "N"))


def edit_distance(a: Sequence[str], b: Sequence[str]) -> int:
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def cer(hypothesis: str, reference: str) -> float:
    """Character error rate over letters and digits (the measure DESIGN.md's reference figures use)."""
    ref = letters_and_digits(unicodedata.normalize("NFKC", reference).lower())
    hyp = letters_and_digits(unicodedata.normalize("NFKC", hypothesis).lower())
    if not ref:
        return 0.0 if not hyp else 1.0
    return edit_distance(hyp, ref) / len(ref)


def chrf(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Corpus chrF (sacrebleu, a dev dependency)."""
    try:
        from sacrebleu.metrics import CHRF
    except ImportError as exc:
        raise MissingDependencyError("sacrebleu", "pip install -e '.[dev]'") from exc
    return float(CHRF().corpus_score(list(hypotheses), [list(references)]).score)
