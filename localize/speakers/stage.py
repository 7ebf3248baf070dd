"""The speakers stage as the pipeline runs it: diarize through the result store, then assign characters."""

from __future__ import annotations

import logging
from pathlib import Path

from localize.errors import MissingDependencyError, ModelError
from localize.markets import Market
from localize.speakers.assign import assign_speakers
from localize.speakers.diarize import Diarization, DiarizeOptions, model_identity
from localize.speakers.registry import CharacterRegistry
from localize.stages import call
from localize.store import ResultStore
from localize.types import Transcript

log = logging.getLogger("localize")


def identify_speakers(store: ResultStore, audio_16k: Path, transcript: Transcript, out_dir: Path, episode: str,
                      options: DiarizeOptions) -> Transcript:
    """Each segment's character (script names first), linked to the season's registry in `out_dir`."""
    if not options.enabled or not transcript.segments:
        return transcript
    try:
        diarization: Diarization = store.run(
            "diarize", {"audio": audio_16k, "options": options, "model": model_identity()},
            lambda: call("diarize", audio_16k, options))
    except (MissingDependencyError, ModelError) as exc:
        log.warning("%s: speakers not identified (%s); lines keep the script's speakers", episode, exc)
        return transcript
    return assign_speakers(transcript, diarization, CharacterRegistry.in_folder(out_dir), episode)


def market_cast(out_dir: Path, market: Market) -> dict[str, str]:
    """Character name -> voice id for the market, casting characters that have none (empty: no registry)."""
    from localize.dub.voices import cast_voices

    registry = CharacterRegistry.in_folder(out_dir)
    if not registry.path.is_file():
        return {}
    return registry.cast(market.code, lambda characters, current: cast_voices(market, characters, current))
