"""One text from several reads of the same burned-in line: a vote per character.

OCR jitters: the same line read in two frames may differ by a character or two
(你自己小心的 / 你自包小心哟). Each read is aligned with the heaviest one, and at
every position the character with the most weight wins; a character the speech also
has (by sound, so homophones count) gets a bonus, so the speech settles a tie.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from difflib import SequenceMatcher

from localize.asr.align import sound

SPEECH_BONUS = 0.5  # share of the reads' total weight a character heard in the speech gains


def vote(reads: Sequence[tuple[str, float]], heard: str = "") -> str:
    """The best-supported text of `reads` ((text, weight) pairs); `heard` is what the speech says there."""
    reads = [(text, weight) for text, weight in reads if text]
    if not reads:
        return ""
    if len({text for text, _ in reads}) == 1:
        return reads[0][0]
    pivot = max(reads, key=lambda read: (read[1], len(read[0])))[0]
    total = sum(weight for _, weight in reads)
    sounds = {sound(ch) for ch in heard}
    slots: list[dict[str, float]] = [defaultdict(float) for _ in pivot]  # "" = the character is absent
    inserted: list[dict[str, float]] = [defaultdict(float) for _ in range(len(pivot) + 1)]
    for text, weight in reads:
        for tag, i0, i1, j0, j1 in SequenceMatcher(None, pivot, text, autojunk=False).get_opcodes():
            if tag == "equal" or (tag == "replace" and i1 - i0 == j1 - j0):
                for offset in range(i1 - i0):
                    slots[i0 + offset][text[j0 + offset]] += weight
                continue
            for index in range(i0, i1):  # deleted, or replaced by a run of another length
                slots[index][""] += weight
            if j1 > j0:
                inserted[i0][text[j0:j1]] += weight

    def best(choices: dict[str, float]) -> tuple[str, float]:
        return max(((text, weight + (SPEECH_BONUS * total if text and all(sound(ch) in sounds for ch in text)
                                     else 0.0)) for text, weight in choices.items()),
                   key=lambda pair: pair[1])

    out = []
    for index in range(len(pivot) + 1):
        if inserted[index]:
            text, weight = best(inserted[index])
            if weight > total / 2:
                out.append(text)
        if index < len(pivot):
            out.append(best(slots[index])[0])
    return "".join(out)
