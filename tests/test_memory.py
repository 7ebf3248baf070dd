"""Translation memory: lookups, approvals, concurrency, reuse in translate_transcript, prompts, the store key."""

from __future__ import annotations

import multiprocessing
import pickle
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest

from localize.errors import InputFormatError
from localize.markets import EngineSpec, Market, get_market, with_engine
from localize.translate import Glossary, TranslationContext, translate_transcript
from localize.translate.fewshot import EXAMPLES, MAX_SHOTS, Example, build_prompt
from localize.translate.memory import (
    Entry,
    TranslationMemory,
    default_memory_path,
    normalize,
    read_pairs_tsv,
)
from localize.translate.translate import MemoryOptions
from localize.types import GlossaryEntry, LineOrigin, Segment, Transcript

EN = get_market("en-US")
PT = get_market("pt-BR")


@pytest.fixture
def memory(tmp_path: Path) -> TranslationMemory:
    return TranslationMemory(tmp_path / "tm" / "memory.sqlite")


# -- the store ---------------------------------------------------------------------------------


def test_normalize_ignores_width_spaces_and_punctuation() -> None:
    assert normalize("我们 离婚吧！") == normalize("我们离婚吧!") == normalize("我们离婚吧。") == "我们离婚吧"
    assert normalize("Ｗａｎｇ Wei，走") == "wangwei走"


def test_exact_match_keeps_the_original_source(memory: TranslationMemory) -> None:
    memory.add_machine("我们离婚吧。", "Let's divorce.", "en-US", engine="x", episode="ep01", line="3")
    match = memory.exact("我们 离婚吧！", "en-US")
    assert match is not None and match.score == 100
    assert (match.entry.source, match.target, match.entry.origin) == ("我们离婚吧。", "Let's divorce.", "machine")
    assert (match.entry.episode, match.entry.line) == ("ep01", "3")
    assert memory.exact("我们离婚吧", "pt-BR") is None  # another market
    assert memory.exact("你好", "en-US") is None
    assert memory.exact("。。", "en-US") is None


def test_approved_beats_machine_and_the_newest_approval_wins(memory: TranslationMemory) -> None:
    memory.add([Entry("我们离婚吧", "We divorce.", "en-US", "machine", "x", updated=300.0)])
    memory.add([Entry("我们离婚吧", "Let's get divorced.", "en-US", "approved", updated=100.0)])
    memory.add([Entry("我们离婚吧", "Let's get a divorce.", "en-US", "approved", updated=200.0)])
    match = memory.exact("我们离婚吧", "en-US")
    assert match is not None and match.approved and match.target == "Let's get a divorce."
    # Approving the older wording again makes it the newest.
    memory.add([Entry("我们离婚吧", "Let's get divorced.", "en-US", "approved", updated=400.0)])
    assert memory.exact("我们离婚吧", "en-US").target == "Let's get divorced."  # type: ignore[union-attr]


def test_machine_output_never_overwrites_an_approval(memory: TranslationMemory) -> None:
    memory.approve("你说什么？", "What did you say?", "en-US")
    memory.add_machine("你说什么？", "You say what?", "en-US", engine="x")
    memory.add_machine("你说什么？", "What you say?", "en-US", engine="x")  # replaces the first machine entry
    assert memory.exact("你说什么", "en-US").target == "What did you say?"  # type: ignore[union-attr]
    machine = memory.exact("你说什么", "en-US", engine="x")
    assert machine is not None and machine.approved  # an approval is returned whatever the engine
    stats = memory.stats()
    assert (stats.entries, stats.approved, stats.machine) == (2, 1, 1)
    assert [(m.market, m.approved, m.machine) for m in stats.markets] == [("en-US", 1, 1)]


def test_machine_entries_are_per_engine(memory: TranslationMemory) -> None:
    memory.add_machine("走吧", "Let's go.", "en-US", engine="a")
    memory.add_machine("走吧", "Go.", "en-US", engine="b")
    assert memory.exact("走吧", "en-US", engine="a").target == "Let's go."  # type: ignore[union-attr]
    assert memory.exact("走吧", "en-US", engine="b").target == "Go."  # type: ignore[union-attr]
    assert memory.exact("走吧", "en-US", engine="c") is None


def test_fuzzy_scores_characters_best_first(memory: TranslationMemory) -> None:
    memory.add_machine("我们明天离婚吧。", "Let's divorce tomorrow.", "en-US", engine="x")
    memory.approve("我们离婚吧。", "Let's get a divorce.", "en-US")
    memory.approve("今天天气很好。", "Nice weather today.", "en-US")
    memory.approve("我们离婚吧。", "Divorce me.", "pt-BR")
    found = memory.fuzzy("我们今天离婚吧！", "en-US", min_score=60)
    assert [m.target for m in found] == ["Let's divorce tomorrow.", "Let's get a divorce."]
    assert found[0].score == pytest.approx(85.7) and 60 <= found[1].score < found[0].score
    assert memory.fuzzy("我们今天离婚吧", "en-US", origin="approved")[0].target == "Let's get a divorce."
    assert memory.fuzzy("我们今天离婚吧", "en-US", limit=1)[0].target == "Let's divorce tomorrow."
    assert memory.fuzzy("完全不一样的句子", "en-US") == []


def test_fuzzy_sees_entries_added_after_the_first_lookup(memory: TranslationMemory, tmp_path: Path) -> None:
    assert memory.fuzzy("我们离婚吧", "en-US") == []
    TranslationMemory(memory.path).approve("我们离婚了", "We got divorced.", "en-US")  # another connection
    assert [m.target for m in memory.fuzzy("我们离婚吧", "en-US")] == ["We got divorced."]


def test_fuzzy_ties_prefer_approved_entries(memory: TranslationMemory) -> None:
    memory.add_machine("他走了", "He left.", "en-US", engine="x")
    memory.approve("她走了", "She's gone.", "en-US")
    found = memory.fuzzy("你走了", "en-US", min_score=50)
    assert [m.entry.origin for m in found] == ["approved", "machine"]


def test_approved_digest_follows_approvals_of_these_sources_only(memory: TranslationMemory) -> None:
    sources = ["我们离婚吧。", "你说什么？"]
    before = memory.approved_digest(sources, "en-US")
    memory.add_machine("我们离婚吧", "We divorce.", "en-US", engine="x")
    memory.approve("别的句子", "Another line.", "en-US")
    memory.approve("我们离婚吧", "Divórcio.", "pt-BR")
    assert memory.approved_digest(sources, "en-US") == before
    memory.approve("我们离婚吧！", "Let's get a divorce.", "en-US")
    after = memory.approved_digest(sources, "en-US")
    assert after != before
    assert memory.approved_digest(reversed(sources), "en-US") == after


def test_a_file_that_is_not_a_memory_is_the_users_error(tmp_path: Path) -> None:
    bad = tmp_path / "notes.sqlite"
    bad.write_text("not a database, just notes\n" * 100)
    with pytest.raises(InputFormatError, match="not a translation memory"):
        TranslationMemory(bad).stats()
    with pytest.raises(InputFormatError, match="is a folder"):
        TranslationMemory(tmp_path).stats()


def test_pickles_as_its_path(memory: TranslationMemory) -> None:
    memory.approve("好的", "Okay.", "en-US")
    copy = pickle.loads(pickle.dumps(memory))
    assert copy.path == memory.path and copy.exact("好的", "en-US").target == "Okay."  # type: ignore[union-attr]


def test_default_path_is_beside_the_delivery_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOCALIZE_MEMORY", raising=False)
    assert default_memory_path(tmp_path / "out" / "s1") == tmp_path / "out" / "localize-memory.sqlite"
    monkeypatch.setenv("LOCALIZE_MEMORY", str(tmp_path / "shared.sqlite"))
    assert default_memory_path(tmp_path / "out") == tmp_path / "shared.sqlite"


def test_read_pairs_tsv(tmp_path: Path) -> None:
    good = tmp_path / "pairs.tsv"
    good.write_text("source\ttarget\n# a comment\n我们离婚吧。\tLet's get a divorce.\n\n你说什么？\tWhat?\n",
                    encoding="utf-8")
    assert read_pairs_tsv(good) == [("我们离婚吧。", "Let's get a divorce."), ("你说什么？", "What?")]
    utf16 = tmp_path / "excel.tsv"
    utf16.write_text("好的\tOkay.\n", encoding="utf-16")
    assert read_pairs_tsv(utf16) == [("好的", "Okay.")]
    bad = tmp_path / "bad.tsv"
    bad.write_text("好的\tOkay.\n只有一列\n", encoding="utf-8")
    with pytest.raises(InputFormatError, match=r"bad.tsv:2: 1 cells"):
        read_pairs_tsv(bad)


# -- concurrency -------------------------------------------------------------------------------


def _write_many(path: str, worker: int, count: int) -> None:
    memory = TranslationMemory(path)
    for i in range(count):
        memory.add_machine(f"第{worker}号的第{i}句话", f"worker {worker} line {i}", "en-US", engine="x")
        if i % 5 == 0:
            memory.approve(f"共同的第{i}句", f"approved by {worker}", "en-US")
        memory.fuzzy(f"第{worker}号的第{i}句", "en-US")


def test_threads_write_and_read_at_once(memory: TranslationMemory) -> None:
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            _write_many(str(memory.path), worker, 40)
        except BaseException as exc:
            errors.append(exc)

    shared = TranslationMemory(memory.path)  # one object used by every thread, too
    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    threads += [threading.Thread(target=lambda: [shared.fuzzy("第1号的第3句", "en-US") for _ in range(40)])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert memory.stats().machine == 4 * 40 and memory.stats().approved == 8 * 4


def test_processes_write_at_once(tmp_path: Path) -> None:
    path = tmp_path / "memory.sqlite"  # not created yet: both processes race to create it
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_write_many, args=(str(path), w, 60)) for w in range(2)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    assert [p.exitcode for p in processes] == [0, 0]
    assert TranslationMemory(path).stats().machine == 2 * 60


# -- translate_transcript ----------------------------------------------------------------------


class CountingEngine:
    """Answers from a table and remembers every call and its context."""

    name = "counting"
    model = "table-v1"

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers
        self.calls: list[tuple[list[str], TranslationContext | None]] = []

    @property
    def lines(self) -> int:
        return sum(len(sources) for sources, _ in self.calls)

    def translate(self, sources: Sequence[str], market: Market, context: TranslationContext | None = None) -> list[str]:
        self.calls.append((list(sources), context))
        return [self.answers[source] for source in sources]


ANSWERS = {"我们离婚吧。": "Let's divorce.", "你说什么？": "What did you say?", "我爱你。": "我爱你。",
           "我们明天离婚吧。": "Let's divorce tomorrow."}


def _transcript(*texts: str) -> Transcript:
    return Transcript("zh", tuple(Segment(i * 1000, i * 1000 + 900, t) for i, t in enumerate(texts)),
                      duration_ms=len(texts) * 1000, source="season/ep01.mp4")


def test_reuse_from_memory_skips_the_engine(memory: TranslationMemory) -> None:
    transcript = _transcript("我们离婚吧。", "你说什么？", "我爱你。")
    first = CountingEngine(ANSWERS)
    result = translate_transcript(transcript, EN, glossary=Glossary(), engine=first, memory=memory)
    # 3 lines, and the one with Chinese left in asked for twice more (retries) before it is flagged
    assert first.lines == 3 + 2 and result.memory_hits == 0 and result.lines[2].attempts == 3
    assert {line.origin for line in result.lines} == {LineOrigin.ENGINE}
    # The two clean outputs were learned; the one with Chinese left in was not.
    assert memory.stats().machine == 2
    entry = memory.exact("我们离婚吧", "en-US")
    assert entry is not None and (entry.entry.engine, entry.entry.episode, entry.entry.line) == (
        "counting:table-v1", "ep01", "0")

    memory.approve("你说什么？", "Excuse me?", "en-US")
    again = CountingEngine(ANSWERS)
    rerun = translate_transcript(transcript, EN, glossary=Glossary(), engine=again, memory=memory)
    assert again.lines == 3 and {tuple(sources) for sources, _ in again.calls} == {("我爱你。",)}  # + 2 retries
    assert [(line.target, line.origin) for line in rerun.lines] == [
        ("Let's divorce.", LineOrigin.MEMORY_MACHINE),
        ("Excuse me?", LineOrigin.MEMORY_APPROVED),
        ("我爱你。", LineOrigin.ENGINE),
    ]
    assert rerun.memory_hits == 2 and rerun.memory_reuse == pytest.approx(2 / 3)
    assert rerun.lines[2].flags  # still checked


def test_machine_reuse_can_be_disabled_and_needs_the_same_engine(memory: TranslationMemory) -> None:
    transcript = _transcript("我们离婚吧。")
    translate_transcript(transcript, EN, glossary=Glossary(), engine=CountingEngine(ANSWERS), memory=memory)
    off = CountingEngine(ANSWERS)
    translate_transcript(transcript, EN, glossary=Glossary(), engine=off, memory=memory,
                         memory_options=MemoryOptions(reuse_machine=False))
    assert off.lines == 1
    other = CountingEngine(ANSWERS)
    other.model = "table-v2"
    translate_transcript(transcript, EN, glossary=Glossary(), engine=other, memory=memory)
    assert other.lines == 1


def test_reused_machine_output_must_still_pass_the_glossary(memory: TranslationMemory) -> None:
    memory.add_machine("林晓，走！", "Lin Jiao, go!", "en-US", engine="counting:table-v1")
    glossary = Glossary((GlossaryEntry("林晓", "Lin Xiao", "name"),))
    engine = CountingEngine({"Lin Xiao，走！": "Lin Xiao, go!"})
    result = translate_transcript(_transcript("林晓，走！"), EN, glossary=glossary, engine=engine, memory=memory)
    assert engine.lines == 1 and result.lines[0].target == "Lin Xiao, go!"


def test_close_pairs_reach_the_engine_context(memory: TranslationMemory) -> None:
    memory.approve("林晓，我们离婚吧。", "Lin Xiao, let's get a divorce.", "en-US")
    memory.add_machine("我们今天离婚吧。", "We divorce today.", "en-US", engine="other")
    memory.approve("今天天气很好。", "Nice weather today.", "en-US")
    glossary = Glossary((GlossaryEntry("林晓", "Lin Xiao", "name"),))
    engine = CountingEngine(ANSWERS)
    translate_transcript(_transcript("我们明天离婚吧。"), EN, glossary=glossary, engine=engine, memory=memory)
    ((_, context),) = engine.calls
    assert context is not None
    examples = context.line(0).examples
    assert [(ex.origin, ex.target) for ex in examples] == [
        ("approved", "Lin Xiao, let's get a divorce."), ("machine", "We divorce today.")]
    assert examples[0].source == "Lin Xiao，我们离婚吧。"  # protected like the line itself


def test_without_memory_nothing_changes() -> None:
    engine = CountingEngine(ANSWERS)
    result = translate_transcript(_transcript("我们离婚吧。"), EN, glossary=Glossary(), engine=engine)
    assert engine.calls[0][1] is not None and engine.calls[0][1].line(0).examples == ()
    assert result.memory_hits == 0 and result.memory_reuse == 0.0


# -- the few-shot prompt -----------------------------------------------------------------------


def test_prompt_uses_the_closest_approved_pairs() -> None:
    close = (Example("我们离婚吧。", "Vamos nos divorciar.", "approved"),
             Example("你说什么？", "O que você disse?", "machine"),
             Example("我恨你。", "Eu te odeio.", "approved"))
    lines = build_prompt("我们明天离婚吧。", PT, close).split("\n")
    assert len(lines) == 2 * MAX_SHOTS + 2
    # Two built-in pairs are kept, the approved ones follow with the best last; machine pairs are left out.
    assert lines[:4] == [f"Chinese: {EXAMPLES['pt'][0].source}", f"Portuguese: {EXAMPLES['pt'][0].target}",
                         f"Chinese: {EXAMPLES['pt'][1].source}", f"Portuguese: {EXAMPLES['pt'][1].target}"]
    assert lines[4:8] == ["Chinese: 我恨你.", "Portuguese: Eu te odeio.",
                          "Chinese: 我们离婚吧.", "Portuguese: Vamos nos divorciar."]
    assert lines[-2:] == ["Chinese: 我们明天离婚吧.", "Portuguese:"]
    assert "O que você disse?" not in "\n".join(lines)


def test_prompt_keeps_at_most_four_pairs_and_the_built_in_ones_without_memory() -> None:
    many = tuple(Example(f"第{i}句。", f"Line {i}.", "approved") for i in range(6))
    lines = build_prompt("你好", EN, many).split("\n")
    assert len(lines) == 2 * MAX_SHOTS + 2
    assert lines[6:8] == ["Chinese: 第0句.", "English: Line 0."]  # the best, right before the line
    assert not any(ex.target in lines for ex in EXAMPLES["en"])
    assert build_prompt("你好", EN, ()) == build_prompt("你好", EN)
    assert build_prompt("你好", EN, (Example("x", "y", "machine"),)) == build_prompt("你好", EN)


# -- the pipeline's result store ---------------------------------------------------------------


def test_an_approved_edit_invalidates_the_cached_translation(tmp_path: Path) -> None:
    from localize import pipeline
    from localize.store import ResultStore
    from localize.translate import engines

    store = ResultStore(tmp_path / "results")
    path = tmp_path / "memory.sqlite"
    transcript = _transcript("我们离婚吧。", "你说什么？")
    engine = CountingEngine(ANSWERS)
    engines.ENGINES["counting"] = lambda spec: engine
    try:
        market = with_engine(EN, EngineSpec(name="counting"))
        key = pipeline.memory_digest(path, transcript, market)
        first = pipeline._translate(store, transcript, market, (), path)
        assert store.ran["translate"] == 1 and engine.lines == 2
        pipeline._translate(store, transcript, market, (), path)  # machine entries were added: same key
        assert store.ran["translate"] == 1 and store.reused["translate"] == 1
        assert pipeline.memory_digest(path, transcript, market) == key
        TranslationMemory(path).approve("你说什么？", "Excuse me?", "en-US")
        assert pipeline.memory_digest(path, transcript, market) != key
        second = pipeline._translate(store, transcript, market, (), path)
        assert store.ran["translate"] == 2 and engine.lines == 2  # nothing sent to the engine again
        assert [line.target for line in second.lines] == [first.lines[0].target, "Excuse me?"]
        assert pipeline.memory_digest(None, transcript, market) is None
    finally:
        del engines.ENGINES["counting"]


# -- config and command line -------------------------------------------------------------------


def test_config_memory_table(tmp_path: Path) -> None:
    from localize.config import load_config

    config_file = tmp_path / "season" / "localize.toml"
    config_file.parent.mkdir()
    config_file.write_text('[memory]\npath = "../tm/memory.sqlite"\n', encoding="utf-8")
    config = load_config(config_file)
    assert config.memory_for(tmp_path / "out") == tmp_path / "season" / ".." / "tm" / "memory.sqlite"
    config_file.write_text("[memory]\nenabled = false\n", encoding="utf-8")
    assert load_config(config_file).memory_for(tmp_path / "out") is None
    config_file.write_text("[memory]\nsize = 3\n", encoding="utf-8")
    with pytest.raises(InputFormatError, match=r"unknown key memory\.'size'"):
        load_config(config_file)


def test_config_default_memory_is_beside_the_delivery_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from localize.config import Config

    monkeypatch.delenv("LOCALIZE_MEMORY", raising=False)
    assert Config().memory_for(tmp_path / "out") == tmp_path / "localize-memory.sqlite"


def test_cli_import_tsv_then_stats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from localize.cli import main

    pairs = tmp_path / "approved.tsv"
    pairs.write_text("source\ttarget\n我们离婚吧。\tLet's get a divorce.\n你说什么？\tExcuse me?\n", encoding="utf-8")
    path = tmp_path / "memory.sqlite"
    assert main(["memory", "import-tsv", str(pairs), "--market", "en-US", "--memory", str(path)]) == 0
    assert "2 approved pairs for en-US" in capsys.readouterr().err
    assert TranslationMemory(path).exact("我们离婚吧", "en-US").approved  # type: ignore[union-attr]
    assert main(["memory", "stats", str(path)]) == 0
    out = capsys.readouterr().out
    assert "2 entries (2 approved, 0 machine)" in out and "en-US" in out
    assert main(["memory", "stats", str(tmp_path / "none.sqlite")]) == 2
    assert "no translation memory here" in capsys.readouterr().err
    assert main(["memory", "import-tsv", str(pairs), "--market", "xx-XX", "--memory", str(path)]) == 2
