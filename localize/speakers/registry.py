"""The season's characters: voiceprints, names, pitch hints and the voice cast per market.

`OUT/characters.json` is meant to be edited by a person (or with `localize cast`): names,
gender, age and voices they set are never changed by a run. What a run learns of an episode is
kept apart, as that episode's observation (`OUT/.characters/episodes/<episode>.json`: its voices, the
script name each answers to, each line's voice), and the characters are folded from all the
observations in episode order. So the registry is the same whatever order the episodes ran in,
or how many runs shared the season; on top of the fold go what a person set (a name, a gender or
age other than the pitch's hint) and the voices cast so far, carried by the voices each character
was heard as. Every change re-reads the file under a lock and writes it atomically, so an edit
saved while a season runs is merged, not lost; a file that no longer parses stops the run with
the line to fix, and is never overwritten.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from localize.errors import InputFormatError, UnknownNameError, UserError
from localize.fsutil import file_lock, write_text_atomic
from localize.speakers.diarize import Voiceprint, voice_distance
from localize.speakers.pitch import age_hint, gender_hint

REGISTRY_NAME = "characters.json"
OBSERVATIONS = ".characters"  # beside the registry: one observation per episode
VERSION = 1
AUTO_PREFIX = "Speaker "
GENDERS = ("female", "male", "unknown")
AGES = ("child", "adult", "unknown")


@dataclass(frozen=True)
class Character:
    """One recurring voice of the season."""

    name: str
    named_by: str = "auto"  # "script" (the studio's script), "person" or "auto" ("Speaker 3")
    gender: str = "unknown"  # hint from pitch unless a person set it
    age: str = "unknown"
    f0_hz: float | None = None
    speech_ms: int = 0
    lines: dict[str, int] = field(default_factory=dict)  # episode -> lines spoken
    voices: dict[str, str] = field(default_factory=dict)  # market code -> voice id (localize.dub.voices)
    chosen: tuple[str, ...] = ()  # markets whose voice a person chose (kept); the others' are cast by the run
    aliases: tuple[str, ...] = ()  # earlier names: transcripts made before a rename still find the character
    heard: tuple[str, ...] = ()  # "episode:label" of each episode voice linked to it (who it is, across runs)
    voiceprint: tuple[float, ...] = ()

    def answers_to(self, name: str) -> bool:
        return name == self.name or name in self.aliases


@dataclass(frozen=True)
class Match:
    """The character an episode's voice was linked to, and how sure the link is."""

    name: str
    distance: float  # voice distance to the character's voiceprint (0 for script names and new characters)
    confident: bool
    new: bool = False


@dataclass(frozen=True)
class LinkOptions:
    """How an episode's voices are linked to the season's characters (same distance as clustering).

    Measured between the sample season's episode voiceprints (13 clusters, 3 episodes): one
    character's are 0.13-0.21 apart, two characters' 0.33 or more (bench/speaker_eval.py).

    match_below: a voice this close to a character is that character; farther, a new character.
    confident_below: closer than this is a sure match; between the two the lines are flagged.
    min_speech_ms: a voice heard for less has too weak a voiceprint to refine a character's.
    """

    match_below: float = 0.3
    confident_below: float = 0.25
    pitch_weight: float = 0.5
    min_speech_ms: int = 1500


class CharacterRegistry:
    """The registry file of one season's output folder."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @classmethod
    def in_folder(cls, out_dir: Path) -> CharacterRegistry:
        return cls(Path(out_dir) / REGISTRY_NAME)

    def characters(self) -> list[Character]:
        return _parse(self.path, self.path.read_text(encoding="utf-8")) if self.path.is_file() else []

    def find(self, name: str) -> Character:
        characters = self.characters()
        found = next((c for c in characters if c.answers_to(name)), None)
        if found is None:
            raise UnknownNameError(f"character in {self.path}", name, (c.name for c in characters))
        return found

    def update(self, change: Callable[[list[Character]], list[Character]]) -> list[Character]:
        """Apply `change` to the file's current characters and save, under a lock (re-read inside it).

        A voice that differs from what the run last wrote was chosen by a person: it is marked so and kept.
        """
        with file_lock(self.path.with_name(f".{self.path.name}.lock")):
            characters = self.characters()
            written = self.path.with_name(OBSERVATIONS) / "as-written.json"
            if characters:
                before = _parse(written, written.read_text(encoding="utf-8")) if written.is_file() else None
                characters = _mark_chosen(characters, before)
            changed = change(characters)
            text = _dump(changed)
            write_text_atomic(self.path, text)
            write_text_atomic(written, text)
            return changed

    @property
    def observations(self) -> Path:
        """One observation per episode, `<episode>.json`."""
        return self.path.with_name(OBSERVATIONS) / "episodes"

    def link(self, episode: str, voices: Sequence[tuple[Voiceprint, str | None]],
             options: LinkOptions | None = None,
             lines: Sequence[tuple[str | None, str | None]] = ()) -> dict[str, Match]:
        """Episode voice label -> character, for each (voiceprint, name the script gives it or None).

        `lines`: each line's (script speaker, voice label), to count the lines each character speaks.
        The episode's observation replaces any earlier one and the characters are folded again from
        every episode's (in name order), so the result does not depend on which episode came first.
        """
        options = options or LinkOptions()
        seen = Observation(episode, tuple(voices), tuple(lines))
        result: dict[str, Match] = {}

        def change(characters: list[Character]) -> list[Character]:
            write_text_atomic(self.observations / f"{episode}.json", seen.dump())
            folded, matches = _fold(self._observed(), options)
            merged, names = _carry(folded, characters)
            for label, match in matches.get(episode, {}).items():
                result[label] = replace(match, name=names.get(match.name, match.name))
            return merged

        self.update(change)
        return result

    def _observed(self) -> list[Observation]:
        files = sorted(self.observations.glob("*.json")) if self.observations.is_dir() else []
        return [Observation.load(f) for f in files]

    def cast(self, market_code: str,
             caster: Callable[[list[tuple[str, str, float | None]], dict[str, str]], dict[str, str]]
             ) -> dict[str, str]:
        """Character name -> voice id for a market: the voices people chose, the others cast by `caster`.

        Cast episode by episode, each episode's new characters after those already heard, so a later
        episode never changes an earlier character's voice, and the cast is the same whatever order
        the episodes ran in.
        """
        chosen: dict[str, str] = {}

        def change(characters: list[Character]) -> list[Character]:
            picked = {c.name: c.voices[market_code] for c in characters if market_code in c.chosen}
            by_episode: dict[str, list[Character]] = {}
            for c in characters:
                by_episode.setdefault(min(c.lines, default="~"), []).append(c)
            for episode in sorted(by_episode):
                group = by_episode[episode]
                chosen.update({c.name: picked[c.name] for c in group if c.name in picked})
                chosen.update(caster([(c.name, c.gender, c.f0_hz) for c in group], dict(chosen)))
            return [replace(c, voices={**c.voices, market_code: chosen[c.name]}) for c in characters]

        self.update(change)
        cast = {}
        for c in self.characters():
            for name in (c.name, *c.aliases):
                cast[name] = chosen.get(c.name, c.voices.get(market_code, ""))
        return {k: v for k, v in cast.items() if v}

    def rename(self, old: str, new: str) -> None:
        def change(characters: list[Character]) -> list[Character]:
            target = next((c for c in characters if c.answers_to(old)), None)
            if target is None:
                raise UnknownNameError(f"character in {self.path}", old, (c.name for c in characters))
            if any(c.answers_to(new) and c is not target for c in characters):
                raise UserError(f"{self.path}: a character is already called {new!r}")
            aliases = tuple(a for a in (*target.aliases, target.name) if a != new)
            renamed = replace(target, name=new, named_by="person", aliases=aliases)
            return [renamed if c is target else c for c in characters]

        self.update(change)

    def set_voice(self, name: str, market_code: str, voice_id: str) -> None:
        def change(characters: list[Character]) -> list[Character]:
            target = next((c for c in characters if c.answers_to(name)), None)
            if target is None:
                raise UnknownNameError(f"character in {self.path}", name, (c.name for c in characters))
            return [replace(c, voices={**c.voices, market_code: voice_id},
                            chosen=tuple(sorted({*c.chosen, market_code}))) if c is target else c
                    for c in characters]

        self.update(change)


@dataclass(frozen=True)
class Observation:
    """What one episode tells the registry: its voices (with the script name each answers to) and
    each line's (script speaker, voice label)."""

    episode: str
    voices: tuple[tuple[Voiceprint, str | None], ...]
    lines: tuple[tuple[str | None, str | None], ...] = ()

    def dump(self) -> str:
        return json.dumps({"episode": self.episode,
                           "voices": [{**asdict(v), "embedding": list(v.embedding), "script_name": name}
                                      for v, name in self.voices],
                           "lines": [list(line) for line in self.lines]}, ensure_ascii=False) + "\n"

    @classmethod
    def load(cls, path: Path) -> Observation:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            voices = tuple((Voiceprint(v["label"], tuple(v["embedding"]), int(v["speech_ms"]), v.get("f0_hz")),
                            v.get("script_name")) for v in data["voices"])
            lines = tuple((a, b) for a, b in data.get("lines", []))
            return cls(str(data["episode"]), voices, lines)
        except (ValueError, KeyError, TypeError) as exc:  # written by the run: damaged, not a person's edit
            raise InputFormatError(path, 0, f"not an episode observation ({exc}); delete it and run again",
                                   "the JSON localize wrote") from exc


def _fold(observations: Sequence[Observation], options: LinkOptions
          ) -> tuple[list[Character], dict[str, dict[str, Match]]]:
    """The characters every observation makes, taken in episode order, and each episode's matches."""
    characters: list[Character] = []
    matches: dict[str, dict[str, Match]] = {}
    for seen in sorted(observations, key=lambda o: o.episode):
        found: dict[str, Match] = {}
        for voice, script_name in seen.voices:
            match, characters = _link_one(characters, seen.episode, voice, script_name, options)
            found[voice.label] = match
            characters = [replace(c, heard=tuple(sorted({*c.heard, f"{seen.episode}:{voice.label}"})))
                          if c.name == match.name else c for c in characters]
        matches[seen.episode] = found
        counts = Counter(speaker or (found[label].name if label in found else None) for speaker, label in seen.lines)
        characters = [replace(c, lines={**c.lines, seen.episode: counts.get(c.name, 0)})
                      if c.name in counts or seen.episode in c.lines else c for c in characters]
    # Hints from the whole season's pitch, not the first episode's: the same whatever came first.
    return [replace(c, gender=gender_hint(c.f0_hz), age=age_hint(c.f0_hz)) for c in characters], matches


_AUTO_NAME = re.compile(re.escape(AUTO_PREFIX) + r"\d+")


def _carry(folded: list[Character], current: list[Character]) -> tuple[list[Character], dict[str, str]]:
    """The fold with what the file holds that a fold cannot know: names, genders and ages a person set,
    voices cast so far. A character of the file is the folded one heard as the same voices (or, for a
    script's name, called the same). Returns the characters and fold name -> name kept."""
    out: list[Character] = []
    names: dict[str, str] = {}
    used: set[int] = set()
    for c in folded:
        known = _counterpart(c, current, used)
        if known is None:
            out.append(c)
            continue
        used.add(id(known))
        by_person = known.named_by == "person" or (known.named_by == "auto" and not _AUTO_NAME.fullmatch(known.name))
        name = known.name if by_person or known.name == c.name else c.name
        aliases = tuple(dict.fromkeys(a for a in (*known.aliases, c.name) if a != name)) if name != c.name else \
            tuple(a for a in known.aliases if a != name)
        out.append(replace(
            c, name=name, named_by="person" if by_person else c.named_by, aliases=aliases, voices=known.voices,
            chosen=known.chosen,
            gender=known.gender if known.gender != gender_hint(known.f0_hz) else c.gender,
            age=known.age if known.age != age_hint(known.f0_hz) else c.age))
        names[c.name] = name
    # Characters no observation makes (a file from before observations, or written by a person) stay.
    observed = {e for c in folded for e in c.lines}
    out += [k for k in current if id(k) not in used and (k.named_by == "person" or not set(k.lines) <= observed)]
    taken = [c.name for c in out]  # an old name another character now has is no longer an alias
    return [replace(c, aliases=tuple(a for a in c.aliases if a not in taken)) for c in out], names


def _mark_chosen(characters: list[Character], written: list[Character] | None) -> list[Character]:
    """Mark as a person's choice each voice the file holds that the run did not write (all of them
    when there is no copy of what it wrote: a file from an older version is kept as it is)."""
    out = []
    for c in characters:
        before = None if written is None else _counterpart(c, written, set())
        edited = {m for m, v in c.voices.items() if before is None or before.voices.get(m) != v}
        out.append(replace(c, chosen=tuple(sorted({*c.chosen, *edited}))) if edited - set(c.chosen) else c)
    return out


def _counterpart(c: Character, current: list[Character], used: set[int]) -> Character | None:
    free = [k for k in current if id(k) not in used]
    if c.named_by == "script":
        by_name = next((k for k in free if k.answers_to(c.name)), None)
        if by_name is not None:
            return by_name
    shared = [(len(set(k.heard) & set(c.heard)), k) for k in free]
    best = max(shared, key=lambda pair: pair[0], default=(0, None))
    if best[0]:
        return best[1]
    # A file written before `heard` was kept: the same name, or the same voiceprint.
    return next((k for k in free if not k.heard and (k.answers_to(c.name) or (
        k.voiceprint and k.voiceprint == c.voiceprint))), None)


def _link_one(characters: list[Character], episode: str, voice: Voiceprint, script_name: str | None,
              options: LinkOptions) -> tuple[Match, list[Character]]:
    if script_name:
        known = next((c for c in characters if c.answers_to(script_name)), None)
        if known is None:
            return Match(script_name, 0.0, True, new=True), [*characters, _new(script_name, "script", episode, voice)]
        return Match(known.name, 0.0, True), _refined(characters, known, episode, voice, options)
    heard = [c for c in characters if c.voiceprint]
    if heard:
        vector = np.asarray(voice.embedding)
        scored = [(voice_distance(vector, voice.f0_hz, np.asarray(c.voiceprint), c.f0_hz, options.pitch_weight), c)
                  for c in heard]
        distance, best = min(scored, key=lambda pair: pair[0])
        if distance < options.match_below:
            confident = distance < options.confident_below and voice.speech_ms >= options.min_speech_ms
            return (Match(best.name, round(distance, 3), confident),
                    _refined(characters, best, episode, voice, options))
    name = _next_auto_name(characters)
    return Match(name, 0.0, True, new=True), [*characters, _new(name, "auto", episode, voice)]


def _new(name: str, named_by: str, episode: str, voice: Voiceprint) -> Character:
    return Character(name=name, named_by=named_by, gender=gender_hint(voice.f0_hz), age=age_hint(voice.f0_hz),
                     f0_hz=voice.f0_hz, speech_ms=voice.speech_ms, lines={episode: 0}, voiceprint=voice.embedding)


def _refined(characters: list[Character], known: Character, episode: str, voice: Voiceprint,
             options: LinkOptions) -> list[Character]:
    """Fold an episode not heard before into the character's voiceprint and pitch (speech-weighted)."""
    if episode in known.lines or voice.speech_ms < options.min_speech_ms or not voice.embedding:
        updated = replace(known, lines={**known.lines, episode: known.lines.get(episode, 0)})
    else:
        weight_old = min(known.speech_ms, 120_000) if known.voiceprint else 0  # recent episodes still count
        merged = np.asarray(voice.embedding) * voice.speech_ms
        if known.voiceprint:
            merged = merged + np.asarray(known.voiceprint) * weight_old
        merged = merged / max(float(np.linalg.norm(merged)), 1e-9)
        f0 = known.f0_hz
        if voice.f0_hz:
            f0 = voice.f0_hz if not f0 else (f0 * weight_old + voice.f0_hz * voice.speech_ms) / (
                weight_old + voice.speech_ms)
        updated = replace(known, voiceprint=tuple(round(float(x), 6) for x in merged),
                          f0_hz=round(f0, 1) if f0 else None, speech_ms=known.speech_ms + voice.speech_ms,
                          lines={**known.lines, episode: 0},
                          gender=known.gender if known.gender != "unknown" else gender_hint(f0),
                          age=known.age if known.age != "unknown" else age_hint(f0))
    return [updated if c is known else c for c in characters]


def _next_auto_name(characters: list[Character]) -> str:
    taken = {n for c in characters for n in (c.name, *c.aliases)}
    number = 1
    while f"{AUTO_PREFIX}{number}" in taken:
        number += 1
    return f"{AUTO_PREFIX}{number}"


def _dump(characters: list[Character]) -> str:
    rows = []
    for c in characters:
        row = asdict(c)
        row["aliases"] = list(c.aliases)
        row["heard"] = list(c.heard)
        row["chosen"] = list(c.chosen)
        row["voiceprint"] = list(c.voiceprint)  # last: the long one
        rows.append(row)
    body = json.dumps({"version": VERSION, "characters": rows}, ensure_ascii=False, indent=1)
    return body + "\n"


_FIELDS = {f for f in Character.__dataclass_fields__}


def _parse(path: Path, text: str) -> list[Character]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputFormatError(path, exc.lineno, f"not valid JSON ({exc.msg}); fix the edit, then run again",
                               "the JSON localize wrote") from exc
    rows = data.get("characters") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise InputFormatError(path, 0, "no list of characters", '{"version": 1, "characters": [...]}')
    characters = []
    for number, row in enumerate(rows, start=1):
        characters.append(_character(path, number, row))
    names = [n for c in characters for n in (c.name, *c.aliases)]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise InputFormatError(path, 0, f"two characters answer to {duplicated[0]!r}", "names unique in the season")
    return characters


def _character(path: Path, number: int, row: Any) -> Character:
    where = f"character {number}"
    if not isinstance(row, dict) or not isinstance(row.get("name"), str) or not row["name"].strip():
        raise InputFormatError(path, 0, f"{where} has no name", "a non-empty \"name\"")
    unknown = sorted(set(row) - _FIELDS)
    if unknown:
        raise InputFormatError(path, 0, f"{where} ({row['name']}): unknown field {unknown[0]!r}",
                               f"fields among {', '.join(sorted(_FIELDS))}")
    for key, allowed in (("gender", GENDERS), ("age", AGES)):
        if key in row and row[key] not in allowed:
            raise InputFormatError(path, 0, f"{where} ({row['name']}): {key} {row[key]!r}", " or ".join(allowed))
    try:
        return Character(
            name=row["name"].strip(), named_by=str(row.get("named_by", "person")),
            gender=row.get("gender", "unknown"), age=row.get("age", "unknown"),
            f0_hz=float(row["f0_hz"]) if row.get("f0_hz") is not None else None,
            speech_ms=int(row.get("speech_ms", 0)),
            lines={str(k): int(v) for k, v in dict(row.get("lines", {})).items()},
            voices={str(k): str(v) for k, v in dict(row.get("voices", {})).items()},
            aliases=tuple(str(a) for a in row.get("aliases", [])),
            heard=tuple(str(h) for h in row.get("heard", [])),
            chosen=tuple(str(m) for m in row.get("chosen", [])),
            voiceprint=tuple(float(x) for x in row.get("voiceprint", [])))
    except (TypeError, ValueError) as exc:
        raise InputFormatError(path, 0, f"{where} ({row['name']}): {exc}", "the types localize wrote") from exc

