"""The pipeline's stages, declared once: name, scope, the inputs of its key, the function that does it.

Every stage whose result is kept between runs is one row here. `localize.store` reads this table:
a stage's key holds exactly the inputs listed (a call with other fields is a bug, refused), and the
code it depends on is derived from the imports of its function's module (`localize.code_graph`),
so editing a module redoes the stages that run it and no others. `docs/architecture.md` draws the
table; a test keeps the two in step.

To add a stage: one row below, its function in the library, and one `store.run(name, inputs, work)`
call where the pipeline runs it (localize/pipeline.py).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from hashlib import sha256
from pathlib import Path
from typing import Any, Literal

from localize.code_graph import ROOT, dependency_files

Scope = Literal["episode", "market"]


@dataclass(frozen=True)
class Stage:
    name: str
    scope: Scope  # "episode": once per episode, for every market; "market": once per episode and market
    inputs: tuple[str, ...]  # what its key holds (file contents, dataclass fields, values)
    work: str  # "module:function": the library function that does the work
    makes: str  # what it leaves, in words

    @property
    def module(self) -> str:
        return self.work.partition(":")[0]


STAGES: tuple[Stage, ...] = (
    Stage("extract-audio", "episode", ("video", "rate", "channels"), "localize.media:extract_audio",
          "the episode's sound: 16 kHz mono for speech, 48 kHz stereo for the mix"),
    Stage("fingerprint", "episode", ("video",), "localize.recaps:fingerprint",
          "the sound as 32-bit words every 8 ms, to find what an episode replays"),
    Stage("find-recaps", "episode", ("video", "earlier", "options"), "localize.recaps:find_recaps",
          "the spans that replay an earlier episode (sound, then picture, agree)"),
    Stage("transcribe", "episode", ("audio", "options"), "localize.asr.whisper:transcribe",
          "what is said, with word times and voice activity (recaps muted: their text is reused)"),
    Stage("read-picture", "episode", ("info", "options", "speech", "skip"), "localize.asr.source:read_picture",
          "the burned-in Chinese line: its band, chosen by evidence, and its text where it changes"),
    Stage("diarize", "episode", ("audio", "options", "model"), "localize.speakers.diarize:diarize_file",
          "who speaks when (voice turns and voiceprints)"),
    Stage("clean-picture", "episode", ("video", "band", "cues", "options"), "localize.picture.remove:clean_picture",
          "the picture without its burned-in line (inpainted or blurred), once for every market"),
    Stage("dialogue", "episode", ("audio", "me", "options"), "localize.dub.dialogue:prepare_bed",
          "the sound every dub is laid over: the M&E stem, or the original with its dialogue taken out"),
    Stage("translate", "market", ("transcript", "market", "glossary", "memory"),
          "localize.translate.translate:translate_transcript",
          "each line in the market's language, terms placed, checked"),
    Stage("subtitles", "market", ("translation", "market", "info", "cover", "episode", "clear_of", "platform"),
          "localize.subtitle.deliver:deliver_subtitles", ".srt .vtt .ass .ttml laid out for a phone held upright"),
    Stage("dub", "market", ("translation", "audio", "market", "bed", "glossary", "takes", "cast"),
          "localize.dub.dub:dub_episode", "the dubbed track: a voice per character, fitted, mixed, loudness set"),
    Stage("preview", "market", ("video", "dub", "ass"), "localize.media:render_preview",
          "the 9:16 preview: clean picture, the market's subtitles burned in, the dub"),
)
BY_NAME: dict[str, Stage] = {stage.name: stage for stage in STAGES}


_REPLACED: dict[str, Callable[..., Any]] = {}  # stage -> a stand-in (tests: fast stages without models)


def call(name: str, *args: Any, **kwargs: Any) -> Any:
    """Run a stage's function (the table's `work`, or a stand-in put there by `replaced`)."""
    stand_in = _REPLACED.get(name)
    if stand_in is not None:
        return stand_in(*args, **kwargs)
    module, _, function = get_stage(name).work.partition(":")
    return getattr(importlib.import_module(module), function)(*args, **kwargs)


@contextmanager
def replaced(stand_ins: Mapping[str, Callable[..., Any]]) -> Iterator[None]:
    """Run these stages' stand-ins instead of their functions while the block runs (this process).

    For tests of the season's logic without models: a stand-in takes the same arguments and returns
    the same type. Their keys still hold the stage's real code, so a result made by a stand-in is
    kept apart only by the store folder a test uses.
    """
    unknown = set(stand_ins) - set(BY_NAME)
    if unknown:
        raise KeyError(f"no stage {sorted(unknown)} in localize.stages.STAGES")
    before = dict(_REPLACED)
    _REPLACED.update(stand_ins)
    try:
        yield
    finally:
        _REPLACED.clear()
        _REPLACED.update(before)


def get_stage(name: str) -> Stage:
    """The table's row for `name`; an unknown name is a bug in the caller (there is no user input here)."""
    stage = BY_NAME.get(name)
    if stage is None:
        raise KeyError(f"no stage {name!r} in localize.stages.STAGES (known: {', '.join(BY_NAME)})")
    return stage


def stage_code_files(name: str, root: Path = ROOT) -> tuple[Path, ...]:
    """The project's source files a stage's result depends on (its function's module and all it imports)."""
    return dependency_files(get_stage(name).module, root)


@cache
def code_version(name: str, root: Path = ROOT) -> str:
    """sha256 over those files' paths and contents: any edit there redoes the stage."""
    digest = sha256()
    for file in stage_code_files(name, root):
        digest.update(file.relative_to(root).as_posix().encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()
