"""Is everything a market needs installed and written? Checked before a run starts.

A market needs: its font installed with the letters of its language (fontconfig would
silently draw another font, or none, in the burned-in preview), its voice (espeak-ng, Kokoro or a
Piper voice), few-shot examples for the bundled causal LM if that engine translates it,
and the Thai word segmenter for Thai. `check_market` lists what is missing; `require_markets`
refuses a run with every missing piece named. A missing glossary stays a warning (the run
goes on without term protection), logged where glossaries are loaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from localize.errors import LocalizeError, UserError
from localize.markets import Market, VoiceSpec


@dataclass(frozen=True)
class Missing:
    """One piece a market lacks, and how to get it."""

    market: str
    piece: str  # "font", "voice", "few-shot examples", "word segmenter"
    problem: str
    fix: str = ""

    def __str__(self) -> str:
        tail = f" ({self.fix})" if self.fix else ""
        return f"{self.market}: {self.piece}: {self.problem}{tail}"


class MarketIncompleteError(UserError):
    """Markets that lack a font, a voice, examples or a segmenter: nothing has started."""

    def __init__(self, missing: Sequence[Missing]) -> None:
        self.missing = tuple(missing)
        lines = "\n  ".join(str(m) for m in self.missing)
        super().__init__(f"cannot localize for these markets, pieces are missing:\n  {lines}")


def check_market(market: Market) -> list[Missing]:
    """Every piece `market` lacks (empty when it is ready)."""
    return [*_font(market), *_voice(market), *_examples(market), *_segmenter(market)]


def require_markets(markets: Sequence[Market]) -> None:
    """Raise MarketIncompleteError naming every missing piece of every market."""
    missing = [m for market in markets for m in check_market(market)]
    if missing:
        raise MarketIncompleteError(missing)


def _font(market: Market) -> list[Missing]:
    from localize import fonts

    try:
        found = fonts.match_font(market.font)
    except LocalizeError as exc:
        return [Missing(market.code, "font", str(exc))]
    package = fonts.package_for(market.font)
    fix = f"install it with: sudo apt-get install {package}" if package else "install the font"
    if not found.is_exact:
        given = ", ".join(found.families) or "nothing"
        return [Missing(market.code, "font", f"{market.font!r} is not installed (fontconfig gives {given})", fix)]
    if lacking := found.missing(market.font_must_cover):
        return [Missing(market.code, "font", f"{market.font!r} ({found.file}) has no glyphs for {lacking!r}", fix)]
    return []


def _voice(market: Market) -> list[Missing]:
    spec = market.voice
    if spec.engine == "espeak":
        from localize.dub import espeak

        try:
            if espeak.has_voice(spec.voice):
                return []
        except LocalizeError as exc:
            return [Missing(market.code, "voice", str(exc))]
        return [Missing(market.code, "voice", f"espeak-ng has no voice {spec.voice!r}",
                        "see `espeak-ng --voices`; install espeak-ng-data")]
    if spec.engine == "piper":
        from localize.models import piper_voice_files

        try:
            files = piper_voice_files(spec.voice)
        except LocalizeError as exc:
            return [Missing(market.code, "voice", str(exc))]
        absent = [str(p) for p in (files.model, files.config) if not p.is_file()]
        return [Missing(market.code, "voice", f"Piper voice files missing: {', '.join(absent)}",
                        "run: bash scripts/install.sh")] if absent else []
    if spec.engine == "kokoro":
        from localize.dub import kokoro

        if kokoro.missing():  # the dub falls back to espeak-ng's Japanese (with a warning)
            return _voice(replace(market, voice=VoiceSpec("espeak", kokoro.ESPEAK_FALLBACK)))
        try:
            kokoro.check_voice(spec.voice)
            kokoro.model_file()
        except LocalizeError as exc:
            return [Missing(market.code, "voice", str(exc))]
        return []
    from localize.dub.voices import engine_names

    if spec.engine not in engine_names():
        return [Missing(market.code, "voice", f"unknown voice engine {spec.engine!r}",
                        f"known: {', '.join(engine_names())}")]
    return []


def _examples(market: Market) -> list[Missing]:
    if market.engine.name != "causal-lm":
        return []  # other engines are told the language, not shown examples
    from localize.translate.fewshot import EXAMPLES, SHORTER

    lacking = [name for name, table in (("EXAMPLES", EXAMPLES), ("SHORTER", SHORTER)) if market.language not in table]
    if not lacking:
        return []
    return [Missing(market.code, "few-shot examples", f"no {market.language_name} ({market.language}) pairs in "
                    f"{' and '.join(lacking)}", "add them to localize/translate/fewshot.py, or choose another engine")]


def _segmenter(market: Market) -> list[Missing]:
    if market.language != "th":
        return []
    import importlib.util

    if importlib.util.find_spec("pythainlp") is None:
        return [Missing(market.code, "word segmenter", "pythainlp is not installed",
                        "install it with: .venv/bin/pip install pythainlp==5.4.0")]
    return []
