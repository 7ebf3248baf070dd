"""Engines through the real loading code, with tiny random models built here (no hub, no weights).

The tiny models write garbage: the point is that loading, prompting, generation and
decoding run end to end, and that the checks flag what comes out.
"""

from __future__ import annotations

import functools
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from localize.errors import ModelError, UnknownNameError
from localize.markets import EngineSpec, get_market
from localize.translate import (
    CausalLMEngine,
    CausalLMOptions,
    Glossary,
    Seq2SeqEngine,
    engine_names,
    get_engine,
    hf_adapter,
    translate_texts,
)
from localize.translate.engines import LanguageSetup, language_setup

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")
tokenizers = pytest.importorskip("tokenizers")

EN = get_market("en-US")
TRAINING_LINES = [
    "林晓，你给我站住！",
    "Lin Xiao, stop right there!",
    "陈总，这份合同您看一下。",
    "Mr. Chen, please look at this contract.",
    "妈，我已经尽力了。",
    "Mom, I did my best.",
]
SOURCES = ["林晓，你给我站住！", "妈，我已经尽力了。", "陈总，这份合同您看一下。"]


def tiny_tokenizer(directory: Path) -> Any:
    """A byte-level BPE trained on six lines: any text encodes, newlines included."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=["<pad>", "</s>", "<s>", "<unk>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    core.train_from_iterator(TRAINING_LINES, trainer)
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=core, pad_token="<pad>", eos_token="</s>", bos_token="<s>", unk_token="<unk>"
    )
    tokenizer.save_pretrained(directory)
    return tokenizer


@pytest.fixture(scope="module")
def tiny_causal_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("tiny-gemma3")
    tokenizer = tiny_tokenizer(directory)
    config = transformers.Gemma3TextConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        head_dim=16,
        max_position_embeddings=512,
        sliding_window=64,
        pad_token_id=0,
        eos_token_id=1,
        bos_token_id=2,
    )
    torch.manual_seed(0)
    transformers.AutoModelForCausalLM.from_config(config).save_pretrained(directory)
    return directory


@pytest.fixture(scope="module")
def tiny_marian_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("tiny-marian")
    tokenizer = tiny_tokenizer(directory)
    config = transformers.MarianConfig(
        vocab_size=len(tokenizer),
        d_model=32,
        encoder_layers=2,
        decoder_layers=2,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        max_position_embeddings=128,
        pad_token_id=0,
        eos_token_id=1,
        decoder_start_token_id=0,
        forced_eos_token_id=1,
    )
    torch.manual_seed(0)
    transformers.MarianMTModel(config).save_pretrained(directory)
    return directory


def test_tiny_causal_lm_loads_once_through_the_shared_path(tiny_causal_dir: Path) -> None:
    first = hf_adapter.load_causal_lm(str(tiny_causal_dir))
    assert hf_adapter.load_causal_lm(str(tiny_causal_dir)) is first
    newline = first.tokenizer.convert_tokens_to_ids("Ċ")  # byte-level BPE's "\n"
    assert newline in first.stop_ids and 1 in first.stop_ids
    assert first.tokenizer.padding_side == "left"


def test_generation_stops_at_the_token_budget_and_the_newline(tiny_causal_dir: Path) -> None:
    lm = hf_adapter.load_causal_lm(str(tiny_causal_dir))
    prompt = "Chinese: 好\nEnglish:"
    short, long = hf_adapter.generate_lines(lm, [prompt, prompt], [2, 30], batch_size=2)
    assert "\n" not in long
    head = short.rstrip("\ufffd")  # a cut may split a character's bytes
    assert len(head) < len(long) and long.startswith(head)


def test_a_looping_line_stops_long_before_its_token_budget(tiny_causal_dir: Path) -> None:
    assert hf_adapter.looping([5, 9, *[7] * 8]) and hf_adapter.looping([1, 2, *[3, 4] * 8])
    assert not hf_adapter.looping([1, 2, 3, 4, 5, 6, 7, 8]) and not hf_adapter.looping([4] * 7)
    lm = hf_adapter.load_causal_lm(str(tiny_causal_dir))
    generated: list[int] = []
    original = lm.model.generate

    def watching(**kwargs: Any) -> Any:
        output = original(**kwargs)
        generated.append(output.shape[1] - kwargs["input_ids"].shape[1])
        return output

    lm.model.generate = watching  # type: ignore[method-assign]
    try:
        texts = hf_adapter.generate_lines(lm, ["Chinese: 好\nEnglish:"] * 2, [400, 400], batch_size=2)
    finally:
        lm.model.generate = original  # type: ignore[method-assign]
    # A random 2-layer model loops at once; without the stop it would run all 400 tokens (or to a newline).
    tokens = lm.tokenizer(texts[0])["input_ids"]
    assert generated[0] < 400 and (hf_adapter.looping(tokens) or generated[0] < 100)


def test_a_shared_prompt_start_runs_once_and_changes_no_answer_or_score(
        tiny_causal_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lm = hf_adapter.load_causal_lm(str(tiny_causal_dir), dtype="float32")
    # short enough in this tokenizer (byte-level, few merges) for the tiny model's 64-token attention window
    examples = "Lin Xiao, stop right there! Mom, I did my best. Mr. Chen, please look at this contract.\n"
    prompts = [f"{examples}{start}:" for start in ("Mom", "Mr. Chen", "Lin Xiao, stop")]
    forced = [" Lin Xiao", " Mom, I", " Mr. Chen"]
    calls: list[tuple[int, int]] = []  # (rows, tokens) of each pass through the model
    forward = lm.model.forward

    @functools.wraps(forward)  # generate reads the signature
    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(tuple(kwargs["input_ids"].shape))
        return forward(*args, **kwargs)

    monkeypatch.setattr(lm.model, "forward", counting)
    lm.head_caches.clear()
    shared = (hf_adapter.generate_raw(lm, prompts, [6, 9, 12], batch_size=3),
              hf_adapter.continue_scored(lm, prompts, forced, [5, 5, 5], batch_size=3))
    head = len(lm.tokenizer(examples)["input_ids"])
    # the shared start went through alone (once to write, once more for the forced starts' shorter one) ...
    assert lm.head_caches and all(rows == 1 for rows, width in calls if width >= head)
    # ... and never with the rows: they only sent their own tokens, to write and to score
    assert [width for rows, width in calls if rows == 3] and all(width < head for rows, width in calls if rows == 3)
    monkeypatch.setattr(hf_adapter, "MIN_SHARED_HEAD", 10**6)
    whole = (hf_adapter.generate_raw(lm, prompts, [6, 9, 12], batch_size=3),
             hf_adapter.continue_scored(lm, prompts, forced, [5, 5, 5], batch_size=3))
    assert shared[0] == whole[0]
    assert [row.text for row in shared[1]] == [row.text for row in whole[1]]
    assert [row.log_prob for row in shared[1]] == pytest.approx([row.log_prob for row in whole[1]], abs=1e-4)
    monkeypatch.setattr(hf_adapter, "MIN_SHARED_HEAD", 16)
    # a lone row is all shared start but what is forced and written
    (alone,) = hf_adapter.continue_scored(lm, prompts[:1], forced[:1], [5])
    assert (alone.text, alone.log_prob) == (whole[1][0].text, pytest.approx(whole[1][0].log_prob, abs=1e-4))
    # a batch sharing a little more than a remembered start (here "Mom") uses it rather than a new one
    lm.head_caches.clear()
    hf_adapter.generate_raw(lm, prompts, [4, 4, 4], batch_size=3)
    alike = [f"{examples}Mom:", f"{examples}Mom, I:"]
    reused = hf_adapter.generate_raw(lm, alike, [6, 9], batch_size=2)
    assert len(lm.head_caches) == 1
    monkeypatch.setattr(hf_adapter, "MIN_SHARED_HEAD", 10**6)
    assert reused == hf_adapter.generate_raw(lm, alike, [6, 9], batch_size=2)
    monkeypatch.setattr(hf_adapter, "MIN_SHARED_HEAD", 16)
    # rows that outgrow the attention window share nothing: padding inside a row would take places in it
    lm.head_caches.clear()
    long_prompts = [f"{examples * 3}{start}:" for start in ("Mom", "Mr. Chen")]
    assert hf_adapter.generate_raw(lm, long_prompts, [8, 8], batch_size=2) and not lm.head_caches


def test_a_forced_start_is_continued_and_scored_in_the_pass_that_writes_it(tiny_causal_dir: Path) -> None:
    lm = hf_adapter.load_causal_lm(str(tiny_causal_dir), dtype="float32")
    prompts = ["Chinese: 林晓，你给我站住！\nEnglish:", "Chinese: 妈\nEnglish:"]
    forced = [" Lin Xiao", " Mom, I did my"]
    budgets = [7, 3]

    def one_by_one(prompt: str, start: str, budget: int, banned: list[int]) -> tuple[str, float, list[int]]:
        """Greedy decoding and its score the plain way: each row alone, unpadded, the whole row each step."""
        tokens = list(lm.tokenizer(prompt + start)["input_ids"])
        given, written = len(lm.tokenizer(prompt)["input_ids"]), []
        with torch.inference_mode():
            while not written or not (written[-1] in lm.stop_ids or hf_adapter.looping(written)
                                      or len(written) >= budget):
                logits = lm.model(input_ids=torch.tensor([tokens])).logits[0, -1]
                logits[banned] = -float("inf")
                written.append(int(logits.argmax()))
                tokens.append(written[-1])
            logits = lm.model(input_ids=torch.tensor([tokens])).logits[0].float()
        token_lp = torch.log_softmax(logits[:-1], dim=-1).gather(-1, torch.tensor(tokens[1:])[:, None])[:, 0]
        return lm.tokenizer.decode(written, skip_special_tokens=True), float(token_lp[given - 1:].mean()), written

    banned = one_by_one(prompts[0], forced[0], 1, [])[2]  # the token this random model writes first: never again
    rows = hf_adapter.continue_scored(lm, prompts, forced, budgets, batch_size=2, suppress_ids=banned)
    for prompt, start, budget, row in zip(prompts, forced, budgets, rows, strict=True):
        text, score, written = one_by_one(prompt, start, budget, banned)
        assert row.text == text and row.log_prob == pytest.approx(score, abs=1e-4)
        assert banned[0] not in written
    assert rows[1].cut  # 3 tokens: no line end


def test_two_pieces_run_one_causal_lm_at_once_and_get_what_each_gets_alone(
        tiny_causal_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lm = hf_adapter.load_causal_lm(str(tiny_causal_dir), dtype="float32")
    prompts = [f"Chinese: {zh}\nEnglish:" for zh in ("林晓，你给我站住！", "妈", "陈总，这份合同您看一下。")]

    def piece(name: str) -> object:  # a market's translation, then its term repair
        written = hf_adapter.generate_raw(lm, prompts, [6, 9, 12], batch_size=2)
        forced = hf_adapter.continue_scored(lm, prompts, [" Lin Xiao", " Mom", f" {name}"], [5, 5, 5], batch_size=2)
        return written, [(row.text, round(row.log_prob, 4)) for row in forced]

    alone = {name: piece(name) for name in ("Chen", "Zhang")}
    inside, most, guard = 0, 0, threading.Lock()
    forward = lm.model.forward

    @functools.wraps(forward)  # generate reads the signature
    def overlapping(*args: Any, **kwargs: Any) -> Any:
        nonlocal inside, most
        with guard:
            inside += 1
            most = max(most, inside)
        try:
            time.sleep(0.01)  # room for the other piece to come in
            return forward(*args, **kwargs)
        finally:
            with guard:
                inside -= 1

    monkeypatch.setattr(lm.model, "forward", overlapping)
    together: dict[str, object] = {}
    failed: list[BaseException] = []

    def run(name: str) -> None:
        try:
            together[name] = piece(name)
        except BaseException as exc:  # reported below, from the test's thread
            failed.append(exc)

    threads = [threading.Thread(target=run, args=(name,)) for name in alone]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failed and together == alone
    assert most == 2  # the model ran in both pieces at the same time


def test_tiny_causal_lm_runs_end_to_end_and_its_garbage_is_flagged(tiny_causal_dir: Path) -> None:
    engine = CausalLMEngine(str(tiny_causal_dir), CausalLMOptions(batch_size=2, max_new_tokens=24))
    assert len(engine.translate(SOURCES, EN)) == len(SOURCES)
    result = translate_texts(SOURCES, EN, glossary=Glossary(), engine=engine)
    assert result.engine == "causal-lm"
    assert [line.source for line in result.lines] == SOURCES
    assert all(line.flags for line in result.lines), [(ln.target, [f.code for f in ln.flags]) for ln in result.lines]


def test_tiny_marian_runs_end_to_end_and_its_garbage_is_flagged(tiny_marian_dir: Path) -> None:
    lm = hf_adapter.load_seq2seq(str(tiny_marian_dir))
    assert lm.model_type == "marian"
    assert hf_adapter.load_seq2seq(str(tiny_marian_dir)) is lm
    engine = get_engine(EngineSpec(name="seq2seq", model=str(tiny_marian_dir)))
    assert isinstance(engine, Seq2SeqEngine)
    result = translate_texts(SOURCES, EN, glossary=Glossary(), engine=engine)
    assert result.engine == "seq2seq"
    assert all(line.flags for line in result.lines), [(ln.target, [f.code for f in ln.flags]) for ln in result.lines]


def test_a_seq2seq_model_is_not_a_causal_lm_and_back(tiny_causal_dir: Path, tiny_marian_dir: Path) -> None:
    with pytest.raises(ModelError, match="cannot load"):
        hf_adapter.load_seq2seq(str(tiny_causal_dir))
    with pytest.raises(ModelError, match="encoder-decoder model: use the 'seq2seq' engine"):
        hf_adapter.load_causal_lm(str(tiny_marian_dir))


def test_dequantized_cache_is_written_whole_and_recognised(tiny_causal_dir: Path, tmp_path: Path) -> None:
    lm = hf_adapter.load_causal_lm(str(tiny_causal_dir))
    cache = tmp_path / "models" / "dequantized"
    hf_adapter._save_cache(lm.model, lm.tokenizer, cache, "model.gguf 123")
    assert hf_adapter._cache_matches(cache, "model.gguf 123")
    assert not hf_adapter._cache_matches(cache, "model.gguf 456")  # another file: rebuilt
    assert (cache / "config.json").is_file()
    assert [p.name for p in cache.parent.iterdir()] == ["dequantized"]  # no temporary left behind
    hf_adapter._save_cache(lm.model, lm.tokenizer, cache, "model.gguf 456")  # replaces the stale copy
    assert hf_adapter._cache_matches(cache, "model.gguf 456")
    assert hf_adapter.load_causal_lm(str(cache)).model.config.num_hidden_layers == 2


def test_model_names_resolve_locally_or_fail_clearly(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        hf_adapter.resolve(str(tmp_path / "missing.gguf"))
    with pytest.raises(ModelError, match="not a directory"):
        hf_adapter.resolve(str(tmp_path / "missing-dir"))
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    assert hf_adapter.resolve(str(gguf)) == hf_adapter.ModelLocation(str(tmp_path.resolve()), "m.gguf")
    assert hf_adapter.resolve("Helsinki-NLP/opus-mt-zh-en").directory == "Helsinki-NLP/opus-mt-zh-en"


def test_a_model_id_missing_from_the_local_cache_is_not_downloaded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelError, match="local Hugging Face cache"):
        hf_adapter.load_seq2seq("localize-tests/no-such-model")


def test_registry() -> None:
    assert {"causal-lm", "seq2seq", "openai", "openai-scene"} <= set(engine_names())
    assert engine_names() == sorted(engine_names())
    assert isinstance(get_engine(EngineSpec()), CausalLMEngine)
    with pytest.raises(UnknownNameError) as info:
        get_engine(EngineSpec(name="deepl"))
    assert info.value.accepted == engine_names()
    assert ", ".join(engine_names()) in str(info.value)


def test_dtype_auto_is_bfloat16_only_where_the_hardware_computes_it() -> None:
    expected = "bfloat16" if hf_adapter.cpu_computes_bfloat16() else "float32"
    assert hf_adapter.torch_dtype("auto", "cpu") == expected
    assert hf_adapter.torch_dtype("float32", "cpu") == "float32"
    with pytest.raises(ModelError, match="dtype 'fp8'"):
        hf_adapter.torch_dtype("fp8", "cpu")


def test_a_model_loads_in_the_dtype_asked(tiny_causal_dir: Path) -> None:
    import torch

    lm = hf_adapter.load_causal_lm(str(tiny_causal_dir), dtype="bfloat16")
    assert next(lm.model.parameters()).dtype == torch.bfloat16
    assert hf_adapter.load_causal_lm(str(tiny_causal_dir), dtype="float32") is not lm
    assert hf_adapter.generate_lines(lm, ["a b c"], [3])[0] is not None


@pytest.mark.parametrize(
    ("vocab", "expected"),
    [
        ({"zho_Hans", "spa_Latn"}, LanguageSetup("zho_Hans", "spa_Latn")),  # NLLB-200
        ({"__zh__", "__es__"}, LanguageSetup("zh", "__es__")),  # M2M100
        ({"zh_CN", "es_XX"}, LanguageSetup("zh_CN", "es_XX")),  # mBART-50
        ({">>spa<<", ">>por<<"}, LanguageSetup(prefix=">>spa<< ")),  # multi-target Marian
        ({"hola"}, LanguageSetup()),  # a bilingual model needs nothing
    ],
)
def test_language_setup_per_model_family(vocab: set[str], expected: LanguageSetup) -> None:
    assert language_setup(vocab.__contains__, "es") == expected


def test_script_only_decoding_never_writes_chinese_for_a_latin_market(tiny_causal_dir: Path) -> None:
    from localize.translate import hf_adapter

    lm = hf_adapter.load_causal_lm(str(tiny_causal_dir))
    banned = set(hf_adapter.foreign_script_ids(lm, "latin"))
    vocab = lm.tokenizer.get_vocab()
    decoded = {i: lm.tokenizer.convert_tokens_to_string([t]) for t, i in vocab.items()}
    assert any(any("\u4e00" <= ch <= "\u9fff" for ch in text) for i, text in decoded.items() if i in banned)
    assert not any(text.strip().isascii() and text.strip().isalpha() for i, text in decoded.items() if i in banned)
    free = CausalLMEngine(str(tiny_causal_dir), CausalLMOptions(max_new_tokens=24, script_only=False))
    strict = CausalLMEngine(str(tiny_causal_dir), CausalLMOptions(max_new_tokens=24, script_only=True))
    free_out = free.translate(SOURCES, EN)
    strict_out = strict.translate(SOURCES, EN)
    assert len(strict_out) == len(free_out) == len(SOURCES)
    assert not any("\u4e00" <= ch <= "\u9fff" for text in strict_out for ch in text), strict_out


def test_a_retry_decodes_against_repetition(tiny_causal_dir: Path) -> None:
    lm = hf_adapter.load_causal_lm(str(tiny_causal_dir))
    greedy = hf_adapter.generate_lines(lm, ["a b c"], [12])[0]
    # no_repeat_ngram_size=1: no token of the prompt or the answer is generated twice
    against = hf_adapter.generate_lines(lm, ["a b c"], [12], decoding=hf_adapter.Decoding(no_repeat_ngram_size=1))[0]
    assert greedy != against  # the random tiny model repeats tokens ("stst") when decoding greedily


def test_token_ids_found_by_decoding_the_vocabulary_are_kept_for_the_next_process(
        tiny_causal_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Gemma's 262k tokens take seconds to decode: the ids found are kept per vocabulary and code, and
    read back; a cache that cannot be read is found again."""
    from localize.translate import hf_adapter

    monkeypatch.setenv("LOCALIZE_MODELS_DIR", str(tmp_path))
    lm = hf_adapter.load_causal_lm(str(tiny_causal_dir))
    found = hf_adapter._remembered(lm.tokenizer, "test", lambda: [3, 1, 2])
    assert found == (1, 2, 3)
    (kept,) = (tmp_path / "token-ids").iterdir()

    def not_again() -> list[int]:
        raise AssertionError("decoded the vocabulary again")

    assert hf_adapter._remembered(lm.tokenizer, "test", not_again) == (1, 2, 3)
    assert hf_adapter._remembered(lm.tokenizer, "other", lambda: [7]) == (7,)  # another question, its own
    kept.write_text("not json", encoding="utf-8")
    assert hf_adapter._remembered(lm.tokenizer, "test", lambda: [5]) == (5,)
