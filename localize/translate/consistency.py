"""The same line, the same translation, all season: find where a market's deliveries disagree.

A season repeats itself: recaps replay the last episode's ending, catchphrases and forms of address
recur. The translation memory gives a recurring line its approved, or first stored, translation in
every later episode (`translate.py`); what can still differ is a line translated by two episodes at
once, or edited by a person in one episode only. A line counts as the same line when its Chinese
(normalized as the memory normalizes it) and its speaker are the same, and it has a neighbouring
line in common (or is at an episode's start or end, where a recap begins or ends): a short line
said in another scene ("什么？") may fairly be translated otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from localize.translate.memory import normalize
from localize.types import Translation


@dataclass(frozen=True)
class Occurrence:
    episode: str
    line: int  # 1-based, as reports count lines
    target: str


@dataclass(frozen=True)
class Inconsistency:
    """One line of the season translated in more than one way, in one market."""

    market: str
    source: str
    speaker: str | None
    occurrences: tuple[Occurrence, ...]

    @property
    def message(self) -> str:
        where = "; ".join(f"{o.episode} line {o.line}: {o.target!r}" for o in self.occurrences)
        who = f" ({self.speaker})" if self.speaker else ""
        return f"{self.source!r}{who} is translated {len({o.target for o in self.occurrences})} ways: {where}"


def inconsistencies(market: str, translations: Mapping[str, Translation]) -> list[Inconsistency]:
    """Lines said the same way in the same context whose translations differ, across `translations`
    (episode -> that episode's translation for `market`)."""
    groups: dict[tuple[str, str | None], list[_Said]] = {}
    for episode in sorted(translations):
        lines = translations[episode].lines
        texts = [normalize(line.source) for line in lines]
        for position, line in enumerate(lines):
            if texts[position]:
                said = _Said(line.source, Occurrence(episode, line.index + 1, line.target.strip()),
                             texts[position - 1] if position else "",
                             texts[position + 1] if position + 1 < len(lines) else "")
                groups.setdefault((texts[position], line.speaker), []).append(said)
    found = []
    for (_, speaker), members in groups.items():
        differing = [a for a in members if any(a.occurrence.target != b.occurrence.target and a.same_scene(b)
                                               for b in members)]
        if differing:
            found.append(Inconsistency(market, differing[0].source, speaker, tuple(d.occurrence for d in differing)))
    return found


@dataclass(frozen=True)
class _Said:
    source: str
    occurrence: Occurrence
    before: str  # the Chinese line before it (normalized), "" at the start of an episode
    after: str

    def same_scene(self, other: _Said) -> bool:
        """One neighbouring line in common, or a neighbour unknown (a recap starts or ends an episode)."""
        if not (self.before and other.before) or not (self.after and other.after):
            return True
        return self.before == other.before or self.after == other.after
