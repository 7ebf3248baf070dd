"""Term repair: a name or form of address the engine left out is placed before delivery, or flagged with why.

Stub engines stand for each engine kind (fast); the tiny random models go through the real
prefix-constrained decoding of the transformers and CTranslate2 adapters (slow marks where a
model is built).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import pytest
from test_translate_engines import tiny_causal_dir  # noqa: F401  (a fixture: the tiny Gemma 3)

from localize.markets import get_market
from localize.qa import translation_findings
from localize.translate.glossary import Glossary, parse_glossary
from localize.translate.term_repair import (
    Scored,
    TermRequest,
    fix_without_model,
    kept_share,
    repair_lines,
    term_prefixes,
)
from localize.translate.translate import translate_texts

EN = get_market("en-US")
ES = get_market("es-419")
TH = get_market("th-TH")

GLOSSARY = Glossary(parse_glossary(
    "source\ttarget\tkind\tnote\n"
    "张浩\tZhang Hao\tname\t\n"
    "林晓\tLin Xiao\tname\t\n"
    "张先生\tseñor Zhang|el señor Zhang\taddress\t\n"
    "白眼狼\tingrate\tslang\t\n"))


class DropsNames:
    """Answers without the names (what a small model does now and then)."""

    name = "drops-names"

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers

    def translate(self, sources: Sequence[str], market: object, context: object = None) -> list[str]:
        return [self.answers[_unprotected(s)] for s in sources]


class PrefixStub(DropsNames):
    """A PrefixDecoder: continues a forced start with the rest of its answer; likes the name first."""

    def __init__(self, answers: dict[str, str]) -> None:
        super().__init__(answers)
        self.asked: list[str] = []

    def continue_prefixes(self, sources: Sequence[str], prefixes: Sequence[str], market: object,
                          max_chars: Sequence[int] | None = None) -> list[Scored]:
        self.asked += prefixes
        out = []
        for source, prefix in zip(sources, prefixes, strict=True):
            rest = self.answers[_unprotected(source)]
            head_words = len(prefix.split()) - 2  # the answer's words before the two-word name
            tail = " ".join(rest.split()[max(0, head_words):])
            out.append(Scored(f"{prefix}, {tail}" if head_words <= 0 else f"{prefix} {tail}", -1.0 - head_words))
        return out


class AskerStub(DropsNames):
    """A TermAsker: corrects its answer by writing each missing term in front."""

    def __init__(self, answers: dict[str, str], fixes: bool = True) -> None:
        super().__init__(answers)
        self.fixes = fixes
        self.requests: list[TermRequest] = []

    def ask_terms(self, requests: Sequence[TermRequest], market: object) -> list[str]:
        self.requests += requests
        if not self.fixes:
            return [r.target for r in requests]
        return [", ".join(t.target for t in r.missing) + ", " + r.target for r in requests]


def _unprotected(source: str) -> str:
    """The Chinese line the engine was given with the targets written in (Glossary.protect undone)."""
    for entry in GLOSSARY.terms:
        source = source.replace(entry.target, entry.source)
    return source


def test_constrained_decoding_places_a_dropped_name_where_the_model_likes_it_best() -> None:
    engine = PrefixStub({"张浩，你回来了。": "You're back."})
    translation = translate_texts(["张浩，你回来了。"], EN, glossary=GLOSSARY, engine=engine)
    line = translation.lines[0]
    assert line.target == "Zhang Hao, You're back."
    assert line.terms_placed == ("Zhang Hao (constrained decoding)",)
    assert translation.glossary_misses == ()
    assert set(engine.asked) == {"Zhang Hao", "You're Zhang Hao", "You're back. Zhang Hao"}
    finding = next(f for f in translation_findings(translation) if f.code == "mt-term-placed")
    assert "Zhang Hao (constrained decoding)" in finding.message


def test_a_chat_engine_is_asked_again_naming_the_missing_term_and_its_forms() -> None:
    engine = AskerStub({"张先生，请坐。": "Siéntese, por favor."})
    translation = translate_texts(["张先生，请坐。"], ES, glossary=GLOSSARY, engine=engine)
    assert translation.lines[0].target == "señor Zhang, Siéntese, por favor."
    assert translation.lines[0].terms_placed == ("señor Zhang (asked again)",)
    assert [t.source for t in engine.requests[0].missing] == ["张先生"]
    assert engine.requests[0].source == "señor Zhang，请坐。"  # the line as the engine saw it


def test_a_term_no_repair_can_place_is_flagged_with_the_reason() -> None:
    engine = AskerStub({"你真是个白眼狼。": "You are so ungrateful."}, fixes=False)
    translation = translate_texts(["你真是个白眼狼。"], EN, glossary=GLOSSARY, engine=engine)
    (miss,) = translation.glossary_misses
    assert miss.source_term == "白眼狼"
    assert "not placed: the engine was asked again, naming it, and still left it out" in miss.message
    assert "a slang is not placed without a model" in miss.message


@pytest.mark.parametrize(("source", "answer", "market", "repaired", "how"), [
    ("张浩，你回来了。", "张浩, you're back.", EN, "Zhang Hao, you're back.", "Chinese term replaced"),
    ("我是张浩。", "I am Zhanghao.", EN, "I am Zhang Hao.", "respelled"),
    ("我是张浩。", "I am Zhang hao.", EN, "I am Zhang hao.", ""),  # case does not count: nothing missing
    ("张浩，你回来了。", "You're back.", EN, "Zhang Hao, you're back.", "vocative"),
    ("你回来了，张先生！", "¡Ha vuelto!", ES, "¡Ha vuelto, señor Zhang!", "vocative"),
    ("张浩，你回来了。", "กลับมาแล้ว", TH, "กลับมาแล้ว", ""),  # no word spaces: left for the flag
    ("他说张浩回来了。", "He said he is back.", EN, "He said he is back.", ""),  # not a vocative
])
def test_repairs_without_a_model(source: str, answer: str, market: object, repaired: str, how: str) -> None:
    target, placed = fix_without_model(GLOSSARY, source, answer, market)  # type: ignore[arg-type]
    assert target == repaired
    assert placed == ([f"{'Zhang Hao' if '张浩' in source else 'señor Zhang'} ({how})"] if how else [])


def test_an_engine_that_cannot_be_constrained_still_gets_the_deterministic_repair_and_a_reason() -> None:
    engine = DropsNames({"张浩，你回来了。": "You're back.", "他说林晓走了。": "He said she left."})
    results = repair_lines(engine, GLOSSARY, EN, list(engine.answers), list(engine.answers.values()))
    assert results[0].target == "Zhang Hao, you're back." and results[0].unplaced == {}
    assert results[1].target == "He said she left."
    assert results[1].unplaced["林晓"].startswith("the engine cannot be constrained or asked again")


def test_prefixes_cut_the_answer_at_each_word_and_capitalise_a_sentence_start() -> None:
    assert term_prefixes("Ya casi está. Espere.", "mamá", ES) == [
        "Mamá", "Ya mamá", "Ya casi mamá", "Ya casi está. Mamá", "Ya casi está. Espere. Mamá"]
    assert term_prefixes("กลับมาแล้ว", "หลินเสี่ยว", TH) == ["หลินเสี่ยว", "กลับมาแล้วหลินเสี่ยว"]
    assert kept_share("You're back, my dear.", "Lin Xiao?", EN) == 0
    assert kept_share("You're back.", "Lin Xiao, you're back.", EN) == 1
    assert kept_share("どこにいるの？", "林暁さん？どこにいるの？", get_market("ja-JP")) == 1  # letter pairs, no spaces
    assert kept_share("どこにいるの？", "林暁さん？", get_market("ja-JP")) == 0


def test_two_missing_names_are_placed_one_per_round_and_the_first_is_never_lost() -> None:
    source = "张浩，林晓在哪？"
    engine = PrefixStub({source: "Where is she?"})
    translation = translate_texts([source], EN, glossary=GLOSSARY, engine=engine)
    line = translation.lines[0]
    assert "Zhang Hao" in line.target and "Lin Xiao" in line.target
    assert len(line.terms_placed) == 2 and translation.glossary_misses == ()


# --- the real prefix-constrained decoding, through tiny random models built here ---

@pytest.fixture(scope="module")
def tiny_marian(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("transformers")
    from tiny_models import build_marian

    return build_marian(tmp_path_factory.mktemp("terms") / "marian")


@pytest.mark.slow  # builds and loads a tiny Marian, and converts it for CTranslate2 (about 10 s)
def test_transformers_and_ctranslate2_continue_a_forced_prefix_and_score_it_alike(tiny_marian: Path) -> None:
    pytest.importorskip("ctranslate2")
    from localize.translate.ct2_adapter import DecodeOptions, convert
    from localize.translate.engines import CTranslate2Engine, Seq2SeqEngine, Seq2SeqOptions

    converted = convert(tiny_marian, tiny_marian.parent / "marian-ct2")
    # CTranslate2 counts the forced tokens ("Lin", " Xiao") in its length; transformers counts only new
    # tokens, and this model writes its end-of-sentence as the last of them (forced_eos_token_id).
    hf = Seq2SeqEngine(str(tiny_marian), Seq2SeqOptions(max_new_tokens=11), dtype="float32")
    ct2 = CTranslate2Engine(str(converted), DecodeOptions(beam_size=1, max_decoding_length=12), dtype="float32")
    (from_hf,) = hf.continue_prefixes(["林晓，你给我站住！"], ["Lin Xiao"], EN)
    (from_ct2,) = ct2.continue_prefixes(["林晓，你给我站住！"], ["Lin Xiao"], EN)
    assert from_hf.text.startswith("Lin Xiao") and from_hf.text == from_ct2.text
    assert math.isfinite(from_hf.log_prob) and from_hf.log_prob < 0
    assert from_hf.log_prob == pytest.approx(from_ct2.log_prob, abs=0.01)  # one scale: nats a token
    assert hf.continue_prefixes(["妈，我已经尽力了。"], ["Mom, I"], EN)[0].text.startswith("Mom, I")


@pytest.mark.slow  # builds and loads a tiny causal LM (about 5 s)
def test_the_causal_lm_engine_places_a_name_its_garbage_left_out(tiny_causal_dir: Path) -> None:  # noqa: F811
    from localize.translate.engines import CausalLMEngine, CausalLMOptions

    engine = CausalLMEngine(str(tiny_causal_dir), CausalLMOptions(batch_size=4, max_new_tokens=12,
                                                                  script_only=False))
    scored = engine.continue_prefixes(["Lin Xiao，你给我站住！"], ["Lin Xiao"], EN)
    assert scored[0].text.startswith("Lin Xiao") and scored[0].log_prob < 0
    translation = translate_texts(["林晓，你给我站住！"], EN, glossary=GLOSSARY, engine=engine)
    assert "Lin Xiao" in translation.lines[0].target
    assert translation.glossary_misses == ()


def test_a_candidate_cut_at_its_length_budget_loses_even_when_the_model_likes_it() -> None:
    limits: list[int] = []

    class Rambles(PrefixStub):
        def continue_prefixes(self, sources: Sequence[str], prefixes: Sequence[str], market: object,
                              max_chars: Sequence[int] | None = None) -> list[Scored]:
            limits.extend(max_chars or ())
            # the one after "You're back" would run on: the engine stopped it, unfinished and short enough
            return [Scored(f"{p} and", -0.1, complete=False) if len(p) > 9 else Scored(f"{p}, you're back.", -2.0)
                    for p in prefixes]

    translation = translate_texts(["你回来了，张浩？"], EN, glossary=GLOSSARY,
                                  engine=Rambles({"你回来了，张浩？": "You're back."}))
    assert translation.lines[0].target == "Zhang Hao, you're back."
    assert limits and set(limits) == {int(1.3 * len("You're back.Zhang Hao"))}  # 1.3 x (answer + term)


def test_a_row_stops_writing_at_its_own_budget_not_the_batch_s_largest() -> None:
    torch = pytest.importorskip("torch")
    from localize.translate import hf_adapter

    stop = hf_adapter._stop_on_loops(4, budgets=[3, 10])[0]
    written = torch.tensor([[9, 9, 9, 9, 11, 12, 13], [9, 9, 9, 9, 21, 22, 23]])  # 4 prompt tokens, 3 written
    assert stop(written, None).tolist() == [True, False]


def test_a_candidate_that_says_the_line_twice_loses_even_when_the_model_likes_it() -> None:
    class Repeats(PrefixStub):
        def continue_prefixes(self, sources: Sequence[str], prefixes: Sequence[str], market: object,
                              max_chars: Sequence[int] | None = None) -> list[Scored]:
            return [Scored(f"{p} You're back." if p.endswith("Zhang Hao") and len(p) > 9 else f"{p}, you're back.",
                           -0.1 if len(p) > 9 else -2.0) for p in prefixes]

    translation = translate_texts(["你回来了，张浩？"], EN, glossary=GLOSSARY,
                                  engine=Repeats({"你回来了，张浩？": "You're back."}))
    assert translation.lines[0].target == "Zhang Hao, you're back."
