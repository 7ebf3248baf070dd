"""Translation: engines (few-shot causal LM, seq2seq), per-market glossaries, output checks.

Modules, one job each: `translate` (the entry points below), `engines` (registry and
engines), `fewshot` (prompts for base models), `checks` (flags on each output line),
`glossary` (load, protect, verify), `memory` (translation memory, SQLite), `hf_adapter`
(the only importer of transformers and torch, imported when a model is first used).

    from localize.markets import get_market
    from localize.translate import translate_texts
    result = translate_texts(["林晓，你给我站住！"], get_market("en-US"))
"""

from localize.translate.checks import CODES as FLAG_CODES
from localize.translate.checks import check_line
from localize.translate.engines import (
    ENGINES,
    CausalLMEngine,
    CausalLMOptions,
    Seq2SeqEngine,
    Seq2SeqOptions,
    TranslationContext,
    TranslationEngine,
    engine_names,
    get_engine,
)
from localize.translate.glossary import KINDS, Glossary, glossary_for_market, load_glossary
from localize.translate.memory import TranslationMemory
from localize.translate.translate import (
    DEMO_QUALITY_NOTE,
    MemoryOptions,
    problems,
    translate_texts,
    translate_transcript,
)

__all__ = [
    "DEMO_QUALITY_NOTE",
    "ENGINES",
    "FLAG_CODES",
    "KINDS",
    "CausalLMEngine",
    "CausalLMOptions",
    "Glossary",
    "MemoryOptions",
    "Seq2SeqEngine",
    "Seq2SeqOptions",
    "TranslationContext",
    "TranslationEngine",
    "TranslationMemory",
    "check_line",
    "engine_names",
    "get_engine",
    "glossary_for_market",
    "load_glossary",
    "problems",
    "translate_texts",
    "translate_transcript",
]
