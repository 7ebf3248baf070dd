"""Translation engines and their registry.

An engine turns Chinese lines into a market's language, one output per input, and
nothing else: glossary protection, checks and timing belong to `translate.py`.

To add an engine:
1. write a class with a `name` attribute and
   `translate(sources, market, context=None) -> list[str]` (the TranslationEngine protocol);
   import any heavy library lazily, in one adapter module;
2. write a factory `(EngineSpec) -> engine` and add it to `ENGINES` under its name;
3. markets (or a user's config, via `localize.markets.with_engine`) select it with
   `EngineSpec(name=..., model=...)`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol, runtime_checkable

from localize.errors import UnknownNameError
from localize.markets import EngineSpec, Market
from localize.translate import ct2_adapter, fewshot, hf_adapter
from localize.translate.ct2_adapter import DecodeOptions as CTranslate2Options
from localize.translate.fewshot import Example
from localize.translate.term_repair import Scored
from localize.types import GlossaryEntry


@dataclass(frozen=True)
class LineContext:
    """What an engine may know about one line besides its text."""

    speaker: str | None = None
    previous: tuple[str, ...] = ()  # the Chinese lines just before it, oldest first
    terms: tuple[GlossaryEntry, ...] = ()  # glossary entries whose source occurs in the line
    examples: tuple[Example, ...] = ()  # approved pairs close to this line (translation memory), best first


@dataclass(frozen=True)
class TranslationContext:
    """What an engine may know besides the lines (engines are free to ignore it)."""

    lines: tuple[LineContext, ...] = ()  # one per source line, when known
    episode: str = ""
    notes: str = ""  # character notes from the studio, for engines that take a whole scene
    retry: int = 0  # 0: first try; 1: these lines failed the checks, decode against repetition;
    #                 2: failed again, also ask another way (another prompt)

    def line(self, index: int) -> LineContext:
        return self.lines[index] if index < len(self.lines) else LineContext()

    @property
    def speakers(self) -> tuple[str | None, ...]:
        return tuple(line.speaker for line in self.lines)


@dataclass(frozen=True)
class ShortenRequest:
    """One translated line to say again in at most `max_chars` characters (as subtitles count them)."""

    source: str  # the Chinese line, for the meaning
    target: str  # the translation that is too long
    max_chars: int
    context: LineContext = field(default_factory=LineContext)


@runtime_checkable
class Shortener(Protocol):
    """An engine that can also rephrase a translation shorter (localize.translate.shorten); one
    answer per request, in order, "" where it cannot."""

    def shorten(self, requests: Sequence[ShortenRequest], market: Market) -> list[str]: ...


class TranslationEngine(Protocol):
    name: str

    def translate(
        self, sources: Sequence[str], market: Market, context: TranslationContext | None = None
    ) -> list[str]: ...


@dataclass(frozen=True)
class CausalLMOptions:
    """How the few-shot causal LM engine generates."""

    batch_size: int = 16  # lines generated together (left-padded); bf16, 2 cores, 14 lines: 16 3.6 s, 4 7.0 s
    min_new_tokens: int = 16  # token budget of a line: min + per_char * Chinese characters
    tokens_per_char: float = 3.0
    max_new_tokens: int = 128  # hard cap, so a looping model stops
    script_only: bool = True  # never generate letters outside the market's script (see foreign_script_ids)


class CausalLMEngine:
    """A base (non-chat) causal LM continuing a few-shot prompt, greedily, one line at a time."""

    name = "causal-lm"

    def __init__(self, model: str, options: CausalLMOptions | None = None, device: str = "cpu",
                 dtype: str = "auto") -> None:
        self.model = model
        self.options = options or CausalLMOptions()
        self.device = device
        self.dtype = dtype

    def translate(self, sources: Sequence[str], market: Market, context: TranslationContext | None = None) -> list[str]:
        if not sources:
            return []
        lm = hf_adapter.load_causal_lm(self.model, self.device, self.dtype)
        ctx = context or TranslationContext()
        # Approved translation-memory pairs close to a line replace built-in examples in its prompt;
        # a second retry asks another way: the examples in another order, the closest last.
        examples = [ctx.line(i).examples for i in range(len(sources))]
        prompts = [fewshot.build_prompt(source, market, shots, rotate=ctx.retry >= 2)
                   for source, shots in zip(sources, examples, strict=True)]
        suppress = hf_adapter.foreign_script_ids(lm, market.script) if self.options.script_only else ()
        return hf_adapter.generate_lines(lm, prompts, [self._budget(s) for s in sources], self.options.batch_size,
                                         suppress_ids=suppress, decoding=_retry_decoding(ctx.retry))

    def continue_prefixes(self, sources: Sequence[str], prefixes: Sequence[str], market: Market,
                          max_chars: Sequence[int] | None = None) -> list[Scored]:
        """Each line's translation forced to start with its prefix, scored by the model in the pass that
        writes it (term repair). With `max_chars`, a line stops once it is surely longer (a batch runs until
        its longest line ends: one candidate that loops or rambles kept the whole batch writing to the budget)."""
        if not sources:
            return []
        lm = hf_adapter.load_causal_lm(self.model, self.device, self.dtype)
        prompts = [fewshot.build_prompt(source, market) for source in sources]
        suppress = hf_adapter.foreign_script_ids(lm, market.script) if self.options.script_only else ()
        budgets = [self._budget(s) for s in sources]
        if max_chars is not None:
            budgets = [min(budget, _tokens_past(most - len(prefix), market)) for budget, most, prefix
                       in zip(budgets, max_chars, prefixes, strict=True)]
        rows = hf_adapter.continue_scored(lm, prompts, [f" {prefix}" for prefix in prefixes], budgets,
                                          self.options.batch_size, suppress_ids=suppress)
        return [Scored(f"{prefix}{row.text}".split("\n", 1)[0].strip(), row.log_prob, complete=not row.cut)
                for prefix, row in zip(prefixes, rows, strict=True)]

    def shorten(self, requests: Sequence[ShortenRequest], market: Market) -> list[str]:
        """Shorter renderings (few-shot long -> short pairs); "" where the language has no examples."""
        prompts = [fewshot.build_shorter_prompt(r.target, market) for r in requests]
        asked = [i for i, prompt in enumerate(prompts) if prompt]
        if not asked:
            return [""] * len(requests)
        lm = hf_adapter.load_causal_lm(self.model, self.device, self.dtype)
        suppress = hf_adapter.foreign_script_ids(lm, market.script) if self.options.script_only else ()
        budgets = [min(self.options.max_new_tokens, 8 + requests[i].max_chars // 2) for i in asked]
        answers = hf_adapter.generate_lines(lm, [str(prompts[i]) for i in asked], budgets, self.options.batch_size,
                                            suppress_ids=suppress)
        found = dict(zip(asked, answers, strict=True))
        return [found.get(i, "") for i in range(len(requests))]

    def _budget(self, source: str) -> int:
        opts = self.options
        wanted = opts.min_new_tokens + opts.tokens_per_char * len("".join(source.split()))
        return min(opts.max_new_tokens, round(wanted))


# Fewest characters a token of the market's script writes, bar rare byte pieces (Gemma: Latin ~4, Thai and
# Japanese 1-2): a line cut after this many tokens per character still wanted is longer than wanted.
_CHARS_PER_TOKEN_AT_LEAST = {"latin": 2, "cyrillic": 2, "arabic": 2, "hangul": 1}


def _tokens_past(chars: int, market: Market) -> int:
    """A token budget that writes more than `chars` characters in the market's script."""
    return 2 + max(0, chars) // _CHARS_PER_TOKEN_AT_LEAST.get(market.script, 1)


@dataclass(frozen=True)
class LanguageCodes:
    """How multilingual seq2seq families name one language."""

    nllb: str  # NLLB-200: "spa_Latn" (token and src_lang)
    iso3: str  # multi-target Marian prefixes: ">>spa<<"
    mbart: str  # mBART-50: "es_XX" (token and src_lang)


# Keyed by ISO 639-1 (Market.language); M2M100 uses "__es__" tokens and "es" as src_lang.
LANGUAGE_CODES: dict[str, LanguageCodes] = {
    "zh": LanguageCodes("zho_Hans", "cmn_Hans", "zh_CN"),
    "en": LanguageCodes("eng_Latn", "eng", "en_XX"),
    "es": LanguageCodes("spa_Latn", "spa", "es_XX"),
    "pt": LanguageCodes("por_Latn", "por", "pt_XX"),
    "id": LanguageCodes("ind_Latn", "ind", "id_ID"),
    "vi": LanguageCodes("vie_Latn", "vie", "vi_VN"),
    "th": LanguageCodes("tha_Thai", "tha", "th_TH"),
    "ar": LanguageCodes("arb_Arab", "ara", "ar_AR"),
    "fr": LanguageCodes("fra_Latn", "fra", "fr_XX"),
    "de": LanguageCodes("deu_Latn", "deu", "de_DE"),
    "tr": LanguageCodes("tur_Latn", "tur", "tr_TR"),
    "ja": LanguageCodes("jpn_Jpan", "jpn", "ja_XX"),
    "ko": LanguageCodes("kor_Hang", "kor", "ko_KR"),
}


@dataclass(frozen=True)
class LanguageSetup:
    """What to tell a seq2seq model about the languages: src_lang, forced first token, text prefix."""

    source_language: str | None = None
    target_token: str | None = None
    prefix: str = ""


def language_setup(has_token: Callable[[str], bool], language: str) -> LanguageSetup:
    """Probe the vocabulary for the family's language tokens; a bilingual model needs none."""
    codes = LANGUAGE_CODES.get(language)
    source = LANGUAGE_CODES["zh"]
    if codes is None:
        return LanguageSetup()
    if has_token(codes.nllb):
        return LanguageSetup(source.nllb, codes.nllb)
    if has_token(f"__{language}__"):
        return LanguageSetup("zh", f"__{language}__")
    if has_token(codes.mbart):
        return LanguageSetup(source.mbart, codes.mbart)
    if has_token(f">>{codes.iso3}<<"):
        return LanguageSetup(prefix=f">>{codes.iso3}<< ")
    return LanguageSetup()


@dataclass(frozen=True)
class Seq2SeqOptions:
    batch_size: int = 8
    max_new_tokens: int = 128


def _retry_decoding(retry: int) -> hf_adapter.Decoding:
    """Greedy first; a line that failed the checks again with repetition penalised (Keskar et al.'s
    penalty, and no repeated 3-grams): the loops "la, la, la..." of small models stop there."""
    return hf_adapter.Decoding() if retry == 0 else hf_adapter.Decoding(repetition_penalty=1.3, no_repeat_ngram_size=3)


class Seq2SeqEngine:
    """An encoder-decoder MT model (Marian, NLLB, M2M100, mBART-50) from a local path or cache."""

    name = "seq2seq"

    def __init__(self, model: str, options: Seq2SeqOptions | None = None, device: str = "cpu",
                 dtype: str = "auto") -> None:
        self.model = model
        self.options = options or Seq2SeqOptions()
        self.device = device
        self.dtype = dtype

    def translate(self, sources: Sequence[str], market: Market, context: TranslationContext | None = None) -> list[str]:
        if not sources:
            return []
        lm = hf_adapter.load_seq2seq(self.model, self.device, self.dtype)
        setup = language_setup(lm.has_token, market.language)
        return hf_adapter.generate_seq2seq(
            lm,
            [setup.prefix + source for source in sources],
            max_new_tokens=self.options.max_new_tokens,
            source_language=setup.source_language,
            target_token=setup.target_token,
            batch_size=self.options.batch_size,
            decoding=_retry_decoding(context.retry if context else 0),
        )

    def continue_prefixes(self, sources: Sequence[str], prefixes: Sequence[str], market: Market,
                          max_chars: Sequence[int] | None = None) -> list[Scored]:
        """Each line's translation forced to start with its prefix, scored by the model (term repair);
        `max_chars` is not used (the whole batch is decoded at once)."""
        if not sources:
            return []
        lm = hf_adapter.load_seq2seq(self.model, self.device, self.dtype)
        setup = language_setup(lm.has_token, market.language)
        found = hf_adapter.continue_seq2seq(lm, [setup.prefix + source for source in sources], prefixes,
                                            max_new_tokens=self.options.max_new_tokens,
                                            source_language=setup.source_language, target_token=setup.target_token)
        return [Scored(text, score) for text, score in found]


class CTranslate2Engine:
    """A seq2seq model converted to CTranslate2 (`localize models convert-ct2`): the same models
    as "seq2seq", faster on CPU (int8). `dtype` is the compute type ("auto": int8 on CPU)."""

    name = "ctranslate2"

    def __init__(self, model: str, options: CTranslate2Options | None = None, device: str = "cpu",
                 dtype: str = "auto", tokenizer: str | None = None) -> None:
        self.model = model
        self.options = options or CTranslate2Options()
        self.device = device
        self.dtype = dtype
        self.tokenizer = tokenizer  # a directory with the tokenizer, when it is not beside model.bin

    def translate(self, sources: Sequence[str], market: Market, context: TranslationContext | None = None) -> list[str]:
        if not sources:
            return []
        model = ct2_adapter.load_model(self.model, self.device, self.dtype, self.tokenizer)
        setup = language_setup(model.has_token, market.language)
        options = self.options
        if context and context.retry:
            against = _retry_decoding(context.retry)
            options = replace(options, repetition_penalty=against.repetition_penalty,
                              no_repeat_ngram_size=against.no_repeat_ngram_size)
        return ct2_adapter.translate(model, [setup.prefix + source for source in sources], options,
                                     source_language=setup.source_language, target_token=setup.target_token)

    def continue_prefixes(self, sources: Sequence[str], prefixes: Sequence[str], market: Market,
                          max_chars: Sequence[int] | None = None) -> list[Scored]:
        """Each line's translation forced to start with its prefix, scored by the model (term repair);
        `max_chars` is not used (the whole batch is decoded at once)."""
        if not sources:
            return []
        model = ct2_adapter.load_model(self.model, self.device, self.dtype, self.tokenizer)
        setup = language_setup(model.has_token, market.language)
        found = ct2_adapter.continue_prefixes(model, [setup.prefix + source for source in sources], prefixes,
                                              self.options, source_language=setup.source_language,
                                              target_token=setup.target_token)
        return [Scored(text, score) for text, score in found]


EngineFactory = Callable[[EngineSpec], TranslationEngine]


def _openai_engine(spec: EngineSpec) -> TranslationEngine:
    from localize.translate.openai_engines import OpenAIEngine  # imports httpx, and this module

    return OpenAIEngine(spec)


def _openai_scene_engine(spec: EngineSpec) -> TranslationEngine:
    from localize.translate.openai_engines import OpenAISceneEngine

    return OpenAISceneEngine(spec)


ENGINES: dict[str, EngineFactory] = {
    CausalLMEngine.name: lambda spec: CausalLMEngine(spec.model, device=spec.device, dtype=spec.dtype),
    Seq2SeqEngine.name: lambda spec: Seq2SeqEngine(spec.model, device=spec.device, dtype=spec.dtype),
    CTranslate2Engine.name: lambda spec: CTranslate2Engine(spec.model, device=spec.device, dtype=spec.dtype),
    "openai": _openai_engine,  # localize.translate.openai_engines: an OpenAI-compatible server
    "openai-scene": _openai_scene_engine,
}


def engine_names() -> list[str]:
    return sorted(ENGINES)


def get_engine(spec: EngineSpec) -> TranslationEngine:
    """The engine a spec names; unknown names list the registered ones."""
    factory = ENGINES.get(spec.name)
    if factory is None:
        raise UnknownNameError("translation engine", spec.name, ENGINES)
    return factory(spec)
