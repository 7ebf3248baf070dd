"""Optional `localize.toml`: point a market at a better translation model, tune ASR.

Example::

    [asr]
    model = "/models/faster-whisper-large-v3"   # any faster-whisper model directory
    beam_size = 5

    [markets.en-US]
    engine = "seq2seq"                          # see `localize engines`
    model = "/models/opus-mt-zh-en"             # a local transformers model directory
    dtype = "auto"                              # bfloat16 where the hardware computes it natively, else float32

    [markets.es-419]                            # an OpenAI-compatible server: vLLM, llama.cpp, Ollama...
    engine = "openai-scene"                     # whole scenes per request ("openai": one line per request)
    model = "Qwen/Qwen2.5-7B-Instruct"          # the name the server serves
    base_url = "http://127.0.0.1:8000/v1"       # requests go to {base_url}/chat/completions
    api_key_env = "LOCALIZE_API_KEY"            # optional: the environment variable holding the key
    timeout_s = 60                              # per request; retries = 3, max_concurrency = 4,
    scene_lines = 40                            # and scene_lines = 40 by default

    [picture]                                   # reading the burned-in Chinese subtitles (OCR)
    enabled = true                              # false: clean masters, or to save the OCR time
    device = "cpu"                              # "cpu", "cuda" or "auto"
    band = "0.72-0.88"                          # optional: where the dialogue line is burned in (shares
                                                # of the height, or pixel rows "1380-1700"); without it the
                                                # band is found by evidence (Chinese, changing with speech)
    removal = "inpaint"                         # the burned-in line: "inpaint" (fill its pixels from
                                                # around them), "blur", "box" (an opaque box: [cover])
                                                # or "avoid" (the picture untouched, new lines above it)

    [cover]                                     # removal "box": the box over the burned-in Chinese; without
    top = 1380                                  # this table it follows the band found in the picture
    bottom = 1620                               # (pixels of a 1080x1920 frame)
    enabled = true                              # false: no box (clean masters)

    [layout]                                    # where the subtitles sit
    platform = "tiktok"                         # safe-area preset: "micro-drama" (default), "tiktok",
                                                # "reels" or "shorts" (localize.subtitle.platforms)

    [memory]                                    # the translation memory (SQLite), shared by seasons
    path = "../tm/memory.sqlite"                # relative to this file; default: $LOCALIZE_MEMORY,
                                                # else localize-memory.sqlite beside the --out folder
    enabled = true                              # false: no reuse, no examples, nothing learned

    [speakers]                                  # who speaks each line (voices matched across the season)
    enabled = true                              # false: the script's speakers only, no diarization
    threshold = 0.4                             # voice distance above which two voices stay apart

    [release]                                   # the gate a delivery must pass to be released (every market)
    min_glossary_compliance = 1.0               # also: max_cps, max_chars_per_line, max_dub_speed,
    max_flagged_lines = 0                       # loudness_lufs, loudness_tolerance_lu, max_true_peak_dbtp,
    forbidden_words = ["damn"]                  # max_residual_chinese (unset: the market's own figures)

    [release.es-419]                            # one market's gate, over [release]
    max_cps = 15.0

Unknown sections, keys or markets are errors that name the file and key.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from localize.asr.options import AsrOptions
from localize.asr.source import PictureOptions
from localize.errors import InputFormatError, LocalizeError, UnknownMarketError, UserError
from localize.markets import EngineSpec, Market, get_market, with_engine
from localize.picture.band import BandSpec
from localize.picture.remove import REMOVAL_MODES, RemovalOptions
from localize.release import ReleaseRules, ReleaseSettings
from localize.speakers.diarize import DiarizeOptions
from localize.subtitle.layout import CoverBox
from localize.subtitle.platforms import DEFAULT_PLATFORM, platform_names

if TYPE_CHECKING:
    from localize.pipeline import RunSettings

CONFIG_NAME = "localize.toml"
DEVICES = ("cpu", "cuda", "auto")
# Keys of [markets.<code>] read by the OpenAI-compatible engines ("openai", "openai-scene"): EngineSpec's fields.
HTTP_KEYS = ("base_url", "api_key_env", "timeout_s", "retries", "max_concurrency", "scene_lines")


@dataclass(frozen=True)
class Config:
    asr: AsrOptions = field(default_factory=AsrOptions)
    engines: dict[str, EngineSpec] = field(default_factory=dict)  # market code -> engine
    cover: CoverBox | None = field(default_factory=CoverBox)
    cover_auto: bool = True  # no [cover] table: the box follows the subtitle band found in the picture
    picture: PictureOptions = field(default_factory=PictureOptions)
    removal: RemovalOptions = field(default_factory=RemovalOptions)  # [picture] removal
    memory: Path | None = None  # [memory] path; None: localize.translate.memory.default_memory_path
    memory_enabled: bool = True
    platform: str = DEFAULT_PLATFORM  # [layout] platform: the safe-area preset (localize.subtitle.platforms)
    speakers: DiarizeOptions = field(default_factory=DiarizeOptions)  # [speakers]: who speaks each line
    release: ReleaseSettings = field(default_factory=ReleaseSettings)  # [release]: the gate per market
    path: Path | None = None

    def market(self, market: Market) -> Market:
        spec = self.engines.get(market.code)
        return with_engine(market, spec) if spec else market

    def run_settings(self, out_dir: Path, *, glossary_dir: Path | None = None, preview: bool = True,
                     asr: AsrOptions | None = None, picture: PictureOptions | None = None) -> RunSettings:
        """The one settings object a season run hands to every stage (the CLI's flags already applied to
        `asr` and `picture` by the caller)."""
        from localize.pipeline import RunSettings

        return RunSettings(out_dir=out_dir, asr=asr or self.asr, picture=picture or self.picture,
                           glossary_dir=glossary_dir, memory=self.memory_for(out_dir), preview=preview,
                           cover=self.cover, cover_auto=self.cover_auto, removal=self.removal,
                           speakers=self.speakers, platform=self.platform, release=self.release)

    def memory_for(self, out_dir: Path) -> Path | None:
        """The translation memory file of a run delivering to `out_dir`; None when [memory] enabled = false."""
        from localize.translate.memory import default_memory_path

        if not self.memory_enabled:
            return None
        return self.memory or default_memory_path(out_dir)


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
    _check_keys(path, "", data, {"asr", "markets", "cover", "picture", "memory", "layout", "speakers", "release"})
    asr_table = _table(path, "asr", data.get("asr", {}))
    defaults = AsrOptions()
    _check_keys(path, "asr.", asr_table, {f.name for f in dataclasses.fields(AsrOptions)})
    for key, value in asr_table.items():
        default = getattr(defaults, key)
        _check_type(path, f"asr.{key}", value, str if default is None else type(default))
    if "model" in asr_table:
        asr_table["model"] = _relative_to(path, asr_table["model"])
    asr = dataclasses.replace(defaults, **asr_table)
    engines: dict[str, EngineSpec] = {}
    for code, raw in _table(path, "markets", data.get("markets", {})).items():
        table = _table(path, f"markets.{code}", raw)
        try:
            market = get_market(code)
        except UnknownMarketError as exc:
            raise InputFormatError(path, 0, f"[markets.{code}]: {exc}") from None
        engines[market.code] = _engine(path, code, table)
    return Config(asr=asr, engines=engines, cover=_cover(path, data.get("cover", {})),
                  cover_auto="cover" not in data, picture=_picture(path, data.get("picture", {})),
                  removal=_removal(path, data.get("picture", {})), path=path,
                  platform=_platform(path, data.get("layout", {})), speakers=_speakers(path, data.get("speakers", {})),
                  release=_release(path, data.get("release", {})),
                  **_memory(path, data.get("memory", {})))


SPEAKER_KEYS = ("enabled", "threshold", "pitch_weight")  # [speakers]: DiarizeOptions' fields a team may set


def _speakers(path: Path, raw: Any) -> DiarizeOptions:
    table = _table(path, "speakers", raw)
    _check_keys(path, "speakers.", table, set(SPEAKER_KEYS))
    defaults = DiarizeOptions()
    for key, value in table.items():
        _check_type(path, f"speakers.{key}", value, type(getattr(defaults, key)))
    given: dict[str, Any] = {k: float(v) if isinstance(getattr(defaults, k), float) else v for k, v in table.items()}
    return dataclasses.replace(defaults, **given)


def _release(path: Path, raw: Any) -> ReleaseSettings:
    table = _table(path, "release", raw)
    every = _release_rules(path, "release", {k: v for k, v in table.items() if not isinstance(v, dict)}, {})
    shared = {k: v for k, v in table.items() if not isinstance(v, dict)}
    markets = {}
    for code, sub in table.items():
        if isinstance(sub, dict):
            try:
                market = get_market(code)
            except UnknownMarketError as exc:
                raise InputFormatError(path, 0, f"[release.{code}]: {exc}") from None
            markets[market.code] = _release_rules(path, f"release.{code}", sub, shared)
    return ReleaseSettings(every, markets)


def _release_rules(path: Path, where: str, table: dict[str, Any], shared: dict[str, Any]) -> ReleaseRules:
    defaults = ReleaseRules()
    _check_keys(path, f"{where}.", table, {f.name for f in dataclasses.fields(ReleaseRules)})
    given: dict[str, Any] = {}
    for key, value in {**shared, **table}.items():
        if key == "forbidden_words":
            if not isinstance(value, list) or not all(isinstance(w, str) and w.strip() for w in value):
                raise InputFormatError(path, 0, f"{where}.forbidden_words = {value!r}", 'a list of words: ["..."]')
            given[key] = tuple(w.strip() for w in value)
            continue
        wanted = int if key == "max_flagged_lines" else (int if key == "max_chars_per_line" else float)
        if isinstance(value, bool) or not isinstance(value, int | float) or (wanted is int and not isinstance(
                value, int)):
            raise InputFormatError(path, 0, f"{where}.{key} = {value!r}", f"a number ({wanted.__name__})")
        given[key] = wanted(value)
    return dataclasses.replace(defaults, **given)


def _engine(path: Path, code: str, table: dict[str, Any]) -> EngineSpec:
    """A market's engine: "engine" and "model" for every engine, "dtype" for the transformers ones,
    plus HTTP_KEYS for a chat server."""
    from localize.translate.hf_adapter import DTYPES
    from localize.translate.openai_engines import HTTP_ENGINES, check_spec  # imports httpx: only when needed

    defaults = EngineSpec()
    _check_keys(path, f"markets.{code}.", table, {"engine", "model", "dtype", *HTTP_KEYS})
    for key, value in table.items():
        _check_type(path, f"markets.{code}.{key}", value, str if key == "engine" else type(getattr(defaults, key)))
    fields = {key: value for key, value in table.items() if key in HTTP_KEYS}
    name = table.get("engine", defaults.name)
    if "timeout_s" in fields:
        fields["timeout_s"] = float(fields["timeout_s"])
    model = table.get("model", defaults.model)
    if name not in HTTP_ENGINES:
        if fields:
            raise InputFormatError(path, 0, f"markets.{code}.{next(iter(fields))} is only read by the "
                                   f"{' and '.join(HTTP_ENGINES)} engines, not by {name!r}")
        dtype = table.get("dtype", defaults.dtype)
        if dtype not in DTYPES:
            raise InputFormatError(path, 0, f"markets.{code}.dtype = {dtype!r}", f"one of {', '.join(DTYPES)}")
        return EngineSpec(name=name, model=_relative_to(path, model), dtype=dtype)
    spec = EngineSpec(name=name, model=model, **fields)  # a model name the server knows, not a path
    try:
        check_spec(spec)
    except UserError as exc:
        raise InputFormatError(path, 0, f"[markets.{code}] {exc}") from None
    return spec


def _memory(path: Path, raw: Any) -> dict[str, Any]:
    table = _table(path, "memory", raw)
    _check_keys(path, "memory.", table, {"path", "enabled"})
    for key, wanted in (("path", str), ("enabled", bool)):
        if key in table:
            _check_type(path, f"memory.{key}", table[key], wanted)
    memory = Path(table["path"]).expanduser() if "path" in table else None
    if memory is not None and not memory.is_absolute():
        memory = path.parent / memory  # relative to the config file, not the shell's folder
    return {"memory": memory, "memory_enabled": table.get("enabled", True)}


def _picture(path: Path, raw: Any) -> PictureOptions:
    table = _table(path, "picture", raw)
    table.pop("removal", None)  # read by _removal
    defaults = PictureOptions()
    _check_keys(path, "picture.", table, {f.name for f in dataclasses.fields(PictureOptions)} | {"removal"})
    for key, value in table.items():
        _check_type(path, f"picture.{key}", value, type(getattr(defaults, key)))
    if table.get("device", "cpu") not in DEVICES:
        raise InputFormatError(path, 0, f"picture.device = {table['device']!r}", f"one of {', '.join(DEVICES)}")
    if table.get("band"):
        try:
            BandSpec.parse(table["band"])
        except ValueError as exc:
            raise InputFormatError(path, 0, f"picture.band: {exc}") from None
    return dataclasses.replace(defaults, **table)


def _removal(path: Path, raw: Any) -> RemovalOptions:
    """[picture] removal: how the burned-in line is taken out of the picture (localize.picture.remove)."""
    table = _table(path, "picture", raw)
    if "removal" not in table:
        return RemovalOptions()
    mode = table["removal"]
    _check_type(path, "picture.removal", mode, str)
    if mode not in REMOVAL_MODES:
        raise InputFormatError(path, 0, f"picture.removal = {mode!r}", f"one of {', '.join(REMOVAL_MODES)}")
    return RemovalOptions(mode=mode)


def _platform(path: Path, raw: Any) -> str:
    """[layout] platform: the safe-area preset the subtitles are placed in."""
    table = _table(path, "layout", raw)
    _check_keys(path, "layout.", table, {"platform"})
    name = table.get("platform", DEFAULT_PLATFORM)
    _check_type(path, "layout.platform", name, str)
    if name not in platform_names():
        raise InputFormatError(path, 0, f"layout.platform = {name!r}", f"one of {', '.join(platform_names())}")
    return str(name)


def _cover(path: Path, raw: Any) -> CoverBox | None:
    table = _table(path, "cover", raw)
    _check_keys(path, "cover.", table, {"top", "bottom", "enabled", "opacity"})
    for key, wanted in (("top", int), ("bottom", int), ("enabled", bool), ("opacity", float)):
        if key in table:
            _check_type(path, f"cover.{key}", table[key], wanted)
    if not table.get("enabled", True):
        return None
    default = CoverBox()
    try:
        return CoverBox(y0=table.get("top", default.y0), y1=table.get("bottom", default.y1),
                        opacity=float(table.get("opacity", default.opacity)))
    except LocalizeError as exc:
        raise InputFormatError(path, 0, f"[cover]: {exc}") from None


def _table(path: Path, where: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InputFormatError(path, 0, f"{where} must be a table ([{where}]), got {value!r}")
    return dict(value)


def _check_type(path: Path, where: str, value: Any, wanted: type) -> None:
    ok = isinstance(value, wanted) and not (wanted is int and isinstance(value, bool))
    if wanted is float and isinstance(value, int) and not isinstance(value, bool):
        ok = True
    if not ok:
        raise InputFormatError(path, 0, f"{where} = {value!r}", f"a {wanted.__name__}")


def _relative_to(path: Path, model: str) -> str:
    """A relative model path in the config means relative to the config file, not the shell's folder."""
    candidate = Path(model).expanduser()
    if not candidate.is_absolute() and (path.parent / candidate).exists():
        return str(path.parent / candidate)
    return model
