"""A season run as asked (`localize run`'s options, or a deployment's parameters), checked and resolved
before any work: plugins, localize.toml, markets, options, preflight. Prefect-free, so a run with
nothing to do (localize.uptodate) answers before Prefect is even imported.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from localize.asr.dialects import check_dialect
from localize.config import CONFIG_NAME, Config, load_config
from localize.errors import InputFormatError, UserError
from localize.markets import Market, parse_markets
from localize.picture.band import BandSpec
from localize.pipeline import RunSettings
from localize.plugins import load_plugins
from localize.season_run import preflight
from localize.subtitle.platforms import get_platform

DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class RunRequest:
    """What a user asks of a season run (the options of `localize run`)."""

    season: Path
    markets: str  # comma-separated market codes
    out: Path
    config: Path | None = None  # default: SEASON/localize.toml when present
    glossaries: Path | None = None  # the markets' glossaries (default: the project's glossaries/);
    #                                SEASON/glossaries/<market>.tsv is always layered over them
    dialect: str | None = None
    device: str | None = None  # auto, cpu or cuda: ASR, OCR and translation
    no_ocr: bool = False
    band: str | None = None  # where the dialogue is burned in ("0.72-0.88"); default: [picture] band, else found
    preview: bool = True
    force: bool = False
    runner: str = "threads"
    workers: int | None = None
    show_progress: bool = False
    platform: str | None = None  # safe-area preset; default: localize.toml [layout] platform, else micro-drama


@dataclass(frozen=True)
class PreparedRun:
    """A request checked and resolved (preflight passed), ready to run."""

    request: RunRequest
    config: Config
    markets: tuple[Market, ...]
    settings: RunSettings  # what every stage reads: localize.toml with the request's flags applied
    episodes: tuple[Path, ...]


def glossary_dir(arg: Path | None) -> Path | None:
    """The folder of the markets' <market>.tsv glossaries: given, else the project's. A series'
    own glossaries (SEASON/glossaries) are a layer over these (`glossary.glossary_files`)."""
    if arg:
        if not arg.is_dir():
            raise UserError(f"{arg}: glossary folder not found")
        return arg
    from localize.translate.glossary import default_directory

    return default_directory() if default_directory().is_dir() else None


def prepare(request: RunRequest) -> PreparedRun:
    """Everything checked in seconds before hours of work: plugins, config, markets, options, preflight."""
    load_plugins()
    if request.device is not None and request.device not in DEVICES:
        raise UserError(f"device {request.device!r}: give one of {', '.join(DEVICES)}")
    if request.workers is not None and request.workers < 1:
        raise UserError(f"workers {request.workers}: give 1 or more")
    own_config = request.season / CONFIG_NAME
    config = load_config(request.config or (own_config if own_config.is_file() else None))
    markets = tuple(config.market(m) for m in parse_markets(request.markets))
    asr = dataclasses.replace(config.asr, dialect=request.dialect) if request.dialect else config.asr
    check_dialect(asr.dialect)
    picture = dataclasses.replace(config.picture, enabled=False) if request.no_ocr else config.picture
    if request.band:
        try:
            BandSpec.parse(request.band)
        except ValueError as exc:
            raise InputFormatError("--band", 0, str(exc)) from None
        picture = dataclasses.replace(picture, band=request.band)
    if request.device:
        asr = dataclasses.replace(asr, device=request.device)
        picture = dataclasses.replace(picture, device=request.device)
        markets = tuple(dataclasses.replace(m, engine=dataclasses.replace(m.engine, device=request.device))
                        for m in markets)
    if request.platform is not None:
        get_platform(request.platform)  # an unknown name fails here, listing the presets
        config = dataclasses.replace(config, platform=request.platform)
    glossaries = glossary_dir(request.glossaries)
    episodes = preflight(request.season, markets, request.out, request.force, glossaries)
    settings = config.run_settings(request.out, glossary_dir=glossaries, preview=request.preview, asr=asr,
                                   picture=picture)
    return PreparedRun(request, config, markets, settings, tuple(episodes))
