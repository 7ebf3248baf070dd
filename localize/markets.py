"""Market registry: language, subtitle rules, voices, loudness, translation engine.

To add a market: add one `Market(...)` to `_MARKETS` below with its language's
subtitle rules (DESIGN.md section 6), a voice, a font (a Debian Noto package, added to
scripts/install.sh), and a glossary file `glossaries/<code>.tsv`; add few-shot pairs for
its language to `localize.translate.fewshot` (EXAMPLES and SHORTER) and its codes to
`localize.translate.engines.LANGUAGE_CODES`. `localize.market_check.check_market` (run by
the season preflight) names any piece still missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from localize.errors import UnknownMarketError


@dataclass(frozen=True)
class SubtitleRules:
    """Netflix-style timed-text limits for one language."""

    max_chars_per_line: int = 42
    max_lines: int = 2
    max_cps: float = 17.0
    min_duration_ms: int = 833
    max_duration_ms: int = 7000
    min_gap_frames: int = 2
    chain_gap_frames: int = 12  # gaps of this many frames or fewer are closed to min_gap_frames
    end_pad_frames: int = 12  # how far a cue may linger after speech ends


@dataclass(frozen=True)
class VoiceSpec:
    """Which text-to-speech engine speaks a market's dub, and with what voice."""

    engine: str  # key in localize.dub.voices registry: "piper", "kokoro" or "espeak"
    voice: str  # engine-specific: piper voice name, Kokoro voice ("jf_alpha"), or espeak-ng voice id


@dataclass(frozen=True)
class EngineSpec:
    """Which translation engine a market uses, and its settings.

    `model` is a path or transformers id for the local engines ("causal-lm", "seq2seq"), and the
    name the server serves for the OpenAI-compatible ones ("openai", "openai-scene"), which also
    read the fields after it.
    """

    name: str = "causal-lm"
    model: str = "gemma3-270m"  # the bundled demo model (demo quality only)
    device: str = "cpu"  # cpu, cuda, or auto (a GPU when one is there)
    dtype: str = "auto"  # transformers engines: auto (bfloat16 where the CPU or GPU computes it natively), float32...
    # OpenAI-compatible chat servers (vLLM, llama.cpp, Ollama, hosted Qwen/DeepSeek, `localize serve-model`)
    base_url: str = ""  # e.g. "http://127.0.0.1:8000/v1"; requests go to {base_url}/chat/completions
    api_key_env: str = ""  # the environment variable holding the API key ("" sends none)
    timeout_s: float = 60.0  # per request
    retries: int = 3  # further attempts on timeouts, connection errors, 5xx and 429, with backoff
    max_concurrency: int = 4  # requests in flight at once
    scene_lines: int = 40  # "openai-scene": lines sent in one request at most


@dataclass(frozen=True)
class Market:
    code: str  # BCP-47-ish code used in folder names: en-US, es-419...
    language: str  # ISO 639-1 language of the target text
    language_name: str  # used in translation prompts
    rules: SubtitleRules
    voice: VoiceSpec
    engine: EngineSpec = field(default_factory=EngineSpec)
    script: str = "latin"  # expected writing system of the output, checked per line
    rtl: bool = False
    loudness_lufs: float = -16.0
    true_peak_dbtp: float = -1.0
    max_dub_speed: float = 1.2
    font: str = "Noto Sans CJK SC"  # from fonts-noto-cjk; its Latin glyphs fit 42 chars in 768 px at 56 px
    # Letters the font must have (checked before a run): those a fallback font would otherwise draw.
    font_must_cover: str = ""
    description: str = ""  # who the market is for, shown by `localize markets`
    aliases: tuple[str, ...] = ()  # other codes `get_market` accepts for it (folders use `code`)


_MARKETS: dict[str, Market] = {
    m.code: m
    for m in (
        Market(
            code="en-US",
            language="en",
            language_name="English",
            rules=SubtitleRules(max_chars_per_line=42, max_cps=20.0),
            voice=VoiceSpec(engine="piper", voice="joe"),
        ),
        Market(
            code="es-419",
            language="es",
            language_name="Spanish",
            rules=SubtitleRules(max_chars_per_line=42, max_cps=17.0),
            voice=VoiceSpec(engine="espeak", voice="es-419"),
        ),
        Market(
            code="pt-BR",
            language="pt",
            language_name="Portuguese",
            rules=SubtitleRules(max_chars_per_line=42, max_cps=17.0),
            voice=VoiceSpec(engine="espeak", voice="pt-br"),
        ),
        # Noto Sans (fonts-noto-core) for the Latin markets below: Noto Sans CJK lacks Turkish
        # ğ ı ş İ and some French/German letters (Ÿ, ẞ).
        Market(
            code="fr-FR",
            language="fr",
            language_name="French",
            rules=SubtitleRules(max_chars_per_line=42, max_cps=17.0),
            voice=VoiceSpec(engine="espeak", voice="fr-fr"),
            font="Noto Sans",
            font_must_cover="àâæçéèêëîïôœùûüÿÀÇÉÈÊŒŸ«»",
            description="French; also the delivery for francophone Africa (Côte d'Ivoire, Senegal, Cameroon, DRC)",
            aliases=("fr", "fr-CI", "fr-SN", "fr-CM", "fr-CD"),
        ),
        Market(
            code="de-DE",
            language="de",
            language_name="German",
            rules=SubtitleRules(max_chars_per_line=42, max_cps=17.0),
            voice=VoiceSpec(engine="espeak", voice="de"),
            font="Noto Sans",
            font_must_cover="äöüßÄÖÜẞ„“",
            aliases=("de",),
        ),
        Market(
            code="id-ID",
            language="id",
            language_name="Indonesian",
            rules=SubtitleRules(max_chars_per_line=42, max_cps=17.0),
            voice=VoiceSpec(engine="espeak", voice="id"),
            font="Noto Sans",
            aliases=("id",),
        ),
        Market(
            code="vi-VN",
            language="vi",
            language_name="Vietnamese",
            rules=SubtitleRules(max_chars_per_line=42, max_cps=17.0),
            voice=VoiceSpec(engine="espeak", voice="vi"),
            font="Noto Sans",
            font_must_cover="ăâđêôơưĂÂĐÊÔƠƯảãạằẳẵắặầẩẫấậẻẽẹềểễếệỉĩịỏọồổỗốộờởỡớợủũụừửữứựỳỷỹỵ",
            aliases=("vi",),
        ),
        Market(
            code="th-TH",
            language="th",
            language_name="Thai",
            rules=SubtitleRules(max_chars_per_line=35, max_cps=17.0),
            voice=VoiceSpec(engine="espeak", voice="th"),
            script="thai",
            font="Noto Sans Thai",
            font_must_cover="กขคงจฉชญณดตถทนบปผพภมยรลวศษสหอฮะัาำิีึืุูเแโใไ็่้๊๋์ๆ",
            description="Thai; lines break only between words (PyThaiNLP segmenter)",
            aliases=("th",),
        ),
        Market(
            code="ar",
            language="ar",
            language_name="Arabic",
            rules=SubtitleRules(max_chars_per_line=42, max_cps=20.0),
            voice=VoiceSpec(engine="espeak", voice="ar"),
            script="arabic",
            rtl=True,
            font="Noto Sans Arabic",
            font_must_cover="ابتثجحخدذرزسشصضطظعغفقكلمنهويءآأؤإئةىً،؛؟",
            description="Modern Standard Arabic for the whole region; right to left",
            aliases=("arb", "ar-SA", "ar-AE", "ar-EG"),
        ),
        Market(
            code="tr-TR",
            language="tr",
            language_name="Turkish",
            rules=SubtitleRules(max_chars_per_line=42, max_cps=17.0),
            voice=VoiceSpec(engine="espeak", voice="tr"),
            font="Noto Sans",
            font_must_cover="çğıöşüÇĞİÖŞÜ",
            aliases=("tr",),
        ),
        Market(
            code="ja-JP",
            language="ja",
            language_name="Japanese",
            # 13 full-width characters a line (half-width count 0.5), 4 characters a second.
            rules=SubtitleRules(max_chars_per_line=13, max_cps=4.0),
            voice=VoiceSpec(engine="kokoro", voice="jf_alpha"),  # espeak-ng "ja" where Kokoro is absent
            script="japanese",
            font="Noto Sans CJK JP",
            font_must_cover="あいうえおアイウエオー々暁",
            aliases=("ja",),
        ),
        Market(
            code="ko-KR",
            language="ko",
            language_name="Korean",
            # 16 a line: Hangul counts 1, Latin letters, digits, spaces and punctuation 0.5.
            rules=SubtitleRules(max_chars_per_line=16, max_cps=12.0),
            voice=VoiceSpec(engine="espeak", voice="ko"),
            script="hangul",
            font="Noto Sans CJK KR",
            font_must_cover="가나다라마바사아자차카타파하린샤오",
            aliases=("ko",),
        ),
    )
}


def market_codes() -> list[str]:
    return sorted(_MARKETS)


def get_market(code: str) -> Market:
    """Look up a market by code (case-insensitive); unknown codes list the accepted ones."""
    wanted = code.strip().lower()
    for known, market in _MARKETS.items():
        if wanted == known.lower() or wanted in (alias.lower() for alias in market.aliases):
            return market
    raise UnknownMarketError(code, _MARKETS)


def parse_markets(spec: str) -> list[Market]:
    """Parse a comma-separated list such as "en-US,es-419"."""
    codes = [c for c in (part.strip() for part in spec.split(",")) if c]
    if not codes:
        raise UnknownMarketError(spec, _MARKETS)
    return [get_market(c) for c in codes]


def with_engine(market: Market, engine: EngineSpec) -> Market:
    """The same market translated by another engine (from a user's config)."""
    return replace(market, engine=engine)
