"""Optional `localize.toml`: point a market at a better translation model, tune ASR.

Example::

    [asr]
    model = "/models/faster-whisper-large-v3"   # any faster-whisper model directory
    beam_size = 5

    [markets.en-US]
    engine = "seq2seq"                          # see `localize engines`
    model = "/models/opus-mt-zh-en"             # a local transformers model directory

Unknown sections, keys or markets are errors that name the file and key.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localize.asr.options import AsrOptions
from localize.errors import InputFormatError, UnknownMarketError
from localize.markets import EngineSpec, Market, get_market, with_engine

CONFIG_NAME = "localize.toml"


@dataclass(frozen=True)
class Config:
    asr: AsrOptions = field(default_factory=AsrOptions)
    engines: dict[str, EngineSpec] = field(default_factory=dict)  # market code -> engine
    path: Path | None = None

    def market(self, market: Market) -> Market:
        spec = self.engines.get(market.code)
        return with_engine(market, spec) if spec else market


def _check_keys(path: Path, where: str, table: dict[str, Any], allowed: set[str]) -> None:
    for key in table:
        if key not in allowed:
            raise InputFormatError(path, 0, f"unknown key {where}{key!r}",
                                   f"one of {', '.join(sorted(allowed))}")


def load_config(path: Path | None) -> Config:
    """Read a config file; `None` or a missing default file gives the built-in defaults."""
    if path is None:
        return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputFormatError(path, 0, "config file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputFormatError(path, getattr(exc, "lineno", 0), f"not valid TOML: {exc}") from None
    _check_keys(path, "", data, {"asr", "markets"})
    asr_fields = {f.name for f in dataclasses.fields(AsrOptions)}
    asr_table = data.get("asr", {})
    _check_keys(path, "asr.", asr_table, asr_fields)
    asr = dataclasses.replace(AsrOptions(), **asr_table)
    engines: dict[str, EngineSpec] = {}
    for code, table in data.get("markets", {}).items():
        try:
            market = get_market(code)
        except UnknownMarketError as exc:
            raise InputFormatError(path, 0, f"[markets.{code}]: {exc}") from None
        _check_keys(path, f"markets.{code}.", table, {"engine", "model"})
        engines[market.code] = EngineSpec(name=table.get("engine", "causal-lm"),
                                          model=table.get("model", EngineSpec().model))
    return Config(asr=asr, engines=engines, path=path)
