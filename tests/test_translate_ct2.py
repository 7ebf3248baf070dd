"""The CTranslate2 engine against the transformers one, on a tiny random Marian converted here.

Random weights write gibberish; what is checked is that conversion, tokenization, decoding
and the language-token plumbing give the same tokens as transformers for the same search.
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest
from tiny_models import build_marian

from localize.errors import ModelError, OutputExistsError
from localize.markets import EngineSpec, get_market
from localize.translate import Seq2SeqEngine, Seq2SeqOptions, ct2_adapter, engine_names, get_engine, hf_adapter
from localize.translate.ct2_adapter import DecodeOptions, check_model_dir, compute_type_for, convert, load_model
from localize.translate.engines import CTranslate2Engine

pytest.importorskip("ctranslate2")
pytest.importorskip("transformers")

EN = get_market("en-US")
SOURCES = ["林晓，你给我站住！", "妈，我已经尽力了。", "陈总，这份合同您看一下。", "好"]


@pytest.fixture(scope="module")
def marian_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A tiny Marian (transformers) and its CTranslate2 conversion (float32: exact comparison)."""
    root = tmp_path_factory.mktemp("ct2")
    source = build_marian(root / "marian")
    return source, convert(source, root / "marian-ct2")


def test_conversion_writes_a_standalone_model_directory(marian_pair: tuple[Path, Path]) -> None:
    _, converted = marian_pair
    names = {p.name for p in converted.iterdir()}
    assert {"model.bin", "config.json", "tokenizer.json", "tokenizer_config.json"} <= names
    assert check_model_dir(str(converted)) == converted.resolve()


@pytest.mark.parametrize("length", [6, 24])
def test_ctranslate2_matches_transformers_greedy(marian_pair: tuple[Path, Path], length: int) -> None:
    source, converted = marian_pair
    hf = Seq2SeqEngine(str(source), Seq2SeqOptions(max_new_tokens=length), dtype="float32")
    # transformers forces </s> as the last of max_new_tokens (the config's forced_eos_token_id), so
    # it writes one real token fewer than CTranslate2 given the same number: give CTranslate2 one less.
    ct2 = CTranslate2Engine(str(converted), DecodeOptions(beam_size=1, max_decoding_length=length - 1),
                            dtype="float32")
    expected = hf.translate(SOURCES, EN)
    assert ct2.translate(SOURCES, EN) == expected
    assert any(expected)  # not comparing empty strings


def test_beam_search_and_anti_repetition_options_reach_the_decoder(marian_pair: tuple[Path, Path]) -> None:
    _, converted = marian_pair
    model = load_model(str(converted), dtype="float32")
    plain = ct2_adapter.translate_tokens(model, SOURCES, DecodeOptions(beam_size=1, max_decoding_length=30))
    strict = ct2_adapter.translate_tokens(model, SOURCES, DecodeOptions(beam_size=3, max_decoding_length=30,
                                                                        no_repeat_ngram_size=2))
    assert any(len(set(pairwise(t))) < len(t) - 1 for t in plain)  # a random model repeats itself
    for tokens in strict:  # never the same token bigram twice
        assert len(set(pairwise(tokens))) == len(tokens) - 1, tokens
    penalized = CTranslate2Engine(str(converted), DecodeOptions(beam_size=2, repetition_penalty=1.5,
                                                                max_decoding_length=30), dtype="float32")
    assert len(penalized.translate(SOURCES, EN)) == len(SOURCES)


def test_int8_model_loads_and_translates(marian_pair: tuple[Path, Path], tmp_path: Path) -> None:
    source, _ = marian_pair
    quantized = convert(source, tmp_path / "int8", quantization="int8")
    engine = get_engine(EngineSpec(name="ctranslate2", model=str(quantized)))
    assert isinstance(engine, CTranslate2Engine)
    assert len(engine.translate(SOURCES, EN)) == len(SOURCES)
    assert load_model(str(quantized)).compute_type.startswith("int8")  # "auto" is int8 on CPU


def test_the_tokenizer_may_live_elsewhere(marian_pair: tuple[Path, Path], tmp_path: Path) -> None:
    source, converted = marian_pair
    bare = tmp_path / "bare"
    bare.mkdir()
    for name in ("model.bin", "config.json", "shared_vocabulary.json"):
        (bare / name).write_bytes((converted / name).read_bytes())
    engine = CTranslate2Engine(str(bare), DecodeOptions(beam_size=1, max_decoding_length=5), dtype="float32",
                               tokenizer=str(source))
    reference = CTranslate2Engine(str(converted), DecodeOptions(beam_size=1, max_decoding_length=5), dtype="float32")
    assert engine.translate(SOURCES, EN) == reference.translate(SOURCES, EN)
    with pytest.raises(ModelError, match="tokenizer"):
        load_model(str(bare), dtype="float32")


def test_missing_or_unconverted_directories_are_named(marian_pair: tuple[Path, Path], tmp_path: Path) -> None:
    source, converted = marian_pair
    missing = tmp_path / "nowhere"
    with pytest.raises(ModelError, match=str(missing)):
        CTranslate2Engine(str(missing)).translate(SOURCES, EN)
    with pytest.raises(ModelError, match=f"{source}.*no model.bin.*convert-ct2"):
        CTranslate2Engine(str(source)).translate(SOURCES, EN)
    with pytest.raises(ModelError, match=f"{tmp_path}.*not a transformers model"):
        convert(tmp_path, tmp_path / "out")
    with pytest.raises(OutputExistsError, match=str(converted)):
        convert(source, converted)
    with pytest.raises(ModelError, match="quantization 'int4'"):
        convert(source, tmp_path / "q", quantization="int4")
    assert not (tmp_path / "q").exists()


def test_language_tokens_become_the_target_prefix(marian_pair: tuple[Path, Path]) -> None:
    """NLLB/M2M100 style: the language token is forced first (a special token there, dropped from
    the text; an ordinary one here, so it shows at the start)."""
    _, converted = marian_pair
    model = load_model(str(converted), dtype="float32")
    token = "Lin"
    assert model.has_token(token) and not model.has_token("spa_Latn")
    options = DecodeOptions(beam_size=1, max_decoding_length=4)
    forced = ct2_adapter.translate(model, SOURCES[:2], options, target_token=token)
    assert all(text.startswith("Lin") for text in forced), forced
    assert forced != ct2_adapter.translate(model, SOURCES[:2], options)


def test_registry_and_compute_types() -> None:
    assert "ctranslate2" in engine_names()
    assert compute_type_for("auto", "cpu") == "int8"
    assert compute_type_for("float32", "cpu") == "float32"
    with pytest.raises(ModelError, match="compute type 'fp4'"):
        compute_type_for("fp4", "cpu")
    assert hf_adapter.load_tokenizer  # the tokenizer comes through the transformers adapter


def test_convert_command_converts_once_and_refuses_to_overwrite(
    marian_pair: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from localize.cli import main

    source, _ = marian_pair
    target = tmp_path / "cli-ct2"
    assert main(["convert-ct2", str(source), str(target), "--quantization", "int8"]) == 0
    assert (target / "model.bin").is_file() and "ctranslate2" in capsys.readouterr().out
    assert main(["convert-ct2", str(source), str(target)]) == 2
    assert f"{target} already exists" in capsys.readouterr().err
    assert main(["engines"]) == 0
    assert "convert-ct2" in capsys.readouterr().out
