"""Hear the voices before casting them: one short line of the market's language in each voice.

`localize cast OUT --voices MARKET --listen DIR` writes every voice a market can cast;
`localize cast OUT --listen DIR` writes each character's cast voice per market, named by character.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

from localize.dub.voices import VoiceOption
from localize.errors import OutputExistsError
from localize.markets import Market
from localize.translate.fewshot import EXAMPLES

_UNSAFE = re.compile(r"[^\w.@-]+")


def sample_line(market: Market) -> str:
    """A short everyday line (a name and a question) in the market's language: a built-in example's target."""
    pairs = EXAMPLES.get(market.language, EXAMPLES["en"])
    return pairs[min(1, len(pairs) - 1)].target


def file_name(label: str) -> str:
    """A file name from a voice id or a character name ("espeak:es-419+f3" -> "espeak_es-419_f3.wav")."""
    return _UNSAFE.sub("_", label).strip("_") + ".wav"


def write_auditions(market: Market, voices: Sequence[tuple[str, VoiceOption]], folder: Path,
                    on_written: Callable[[Path], None] = lambda _path: None) -> list[Path]:
    """Each (label, voice) speaks `sample_line(market)` into `folder/<label>.wav`; files already there are
    not overwritten (choose another folder)."""
    targets = [(folder / file_name(label), option) for label, option in voices]
    if taken := [str(path) for path, _ in targets if path.exists()]:
        raise OutputExistsError(taken[0], "choose an empty folder for the auditions")
    folder.mkdir(parents=True, exist_ok=True)
    text = sample_line(market)
    written = []
    for path, option in targets:
        written.append(option.voice.synthesize(text, path))
        on_written(path)
    return written
