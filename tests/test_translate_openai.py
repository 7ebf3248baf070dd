"""The OpenAI-compatible engines against real HTTP servers on 127.0.0.1 (never the network).

A scripted `http.server` plays vLLM/Ollama for the behaviours (order, repairs, timeouts,
retries, refusals, concurrency); `localize serve-model`'s app serves a tiny random causal LM
built here, to show a request round-trips through the project's own model loading.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from localize import cli
from localize.config import load_config
from localize.errors import InputFormatError, ToolError, UserError, whose_fault
from localize.markets import EngineSpec, get_market
from localize.translate import Glossary, get_engine, translate_texts
from localize.translate.chat_prompts import parse_numbered, scenes
from localize.translate.engines import LineContext, TranslationContext
from localize.translate.errors import ServiceError, ServiceRefusedError, UnsetVariableError
from localize.translate.fewshot import Example
from localize.translate.openai_engines import OpenAIEngine, OpenAISceneEngine
from localize.types import GlossaryEntry

EN = get_market("en-US")
SOURCES = ["林晓，你给我站住！", "妈，我已经尽力了。", "陈总，这份合同您看一下。", "我不会放弃的。"]
FAKE = {s: f"EN<{s}>" for s in SOURCES}  # what the scripted server "translates" each line to
KEY_ENV = "LOCALIZE_TEST_API_KEY"


@dataclass(frozen=True)
class Reply:
    status: int = 200
    content: str | None = None  # the assistant's text; None: a plain-text body (errors)
    body: str = ""
    delay_s: float = 0.0
    headers: tuple[tuple[str, str], ...] = ()
    usage: tuple[int, int] | None = None  # (prompt, completion) tokens reported with the answer


@dataclass
class FakeServer:
    """A chat-completions server whose answers a test scripts: script(n, request_json) -> Reply."""

    script: Callable[[int, dict[str, Any]], Reply]
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    in_flight: int = 0
    most_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        body = json.loads(handler.rfile.read(int(handler.headers["Content-Length"])))
        with self.lock:
            n = len(self.requests)
            self.requests.append(body)
            self.headers.append(dict(handler.headers))
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            reply = self.script(n, body)
            time.sleep(reply.delay_s)
        finally:
            with self.lock:
                self.in_flight -= 1
        if reply.content is not None:
            answer: dict[str, Any] = {"choices": [{"index": 0, "message": {"role": "assistant",
                                                                          "content": reply.content}}]}
            if reply.usage:
                answer["usage"] = {"prompt_tokens": reply.usage[0], "completion_tokens": reply.usage[1]}
            payload = json.dumps(answer)
        else:
            payload = reply.body
        data = payload.encode()
        try:
            handler.send_response(reply.status)
            for name, value in reply.headers:
                handler.send_header(name, value)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
            pass


@pytest.fixture
def serve_script() -> Iterator[Callable[[Callable[[int, dict[str, Any]], Reply]], FakeServer]]:
    servers: list[ThreadingHTTPServer] = []

    def start(script: Callable[[int, dict[str, Any]], Reply]) -> FakeServer:
        fake = FakeServer(script)

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                fake.handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(httpd)
        fake.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
        return fake

    yield start
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


def last_user(body: dict[str, Any]) -> str:
    return str(body["messages"][-1]["content"])


def per_line(n: int, body: dict[str, Any]) -> Reply:
    return Reply(content=FAKE.get(last_user(body), "?"))


def spec_for(fake: FakeServer, name: str = "openai", **fields: Any) -> EngineSpec:
    settings: dict[str, Any] = {"timeout_s": 5.0, "retries": 2, **fields}
    return EngineSpec(name=name, model="served-model", base_url=fake.url, **settings)


def engine(spec: EngineSpec) -> OpenAIEngine:
    cls = OpenAISceneEngine if spec.name == "openai-scene" else OpenAIEngine
    return cls(spec, backoff_s=0.01)


def numbered(answer_for: Callable[[int, str], str | None]) -> Callable[[int, dict[str, Any]], Reply]:
    """A scene server: per-line requests as `per_line`; scenes answered line by line by `answer_for`."""
    def script(n: int, body: dict[str, Any]) -> Reply:
        user = last_user(body)
        lines = re.findall(r"^(\d+)\. (?:\[[^\]]*\] )?(.*)$", user, re.M)
        if not lines:
            return per_line(n, body)
        out = [answer_for(int(k), src) for k, src in lines]
        return Reply(content="\n".join(a for a in out if a is not None))
    return script


def test_lines_come_back_in_order_with_their_context(serve_script: Any) -> None:
    fake = serve_script(per_line)
    memory = (Example("我不会放弃。", "I won't quit."),)
    context = TranslationContext(notes="林晓: the heroine, 24.", lines=(
        LineContext(speaker="陈总", terms=(GlossaryEntry("林晓", "Lin Xiao", "name"),), examples=memory),
        LineContext(previous=("林晓，你给我站住！",)),
    ))
    out = engine(spec_for(fake, max_concurrency=3)).translate(SOURCES, EN, context)
    assert out == [FAKE[s] for s in SOURCES]
    first = next(b for b in fake.requests if last_user(b) == SOURCES[0])
    system = first["messages"][0]["content"]
    assert "陈总" in system and "林晓 = Lin Xiao" in system and "the heroine" in system and "English" in system
    assert [m["content"] for m in first["messages"][1:3]] == ["我不会放弃。", "I won't quit."]  # memory as few-shot
    assert [m["role"] for m in first["messages"][1:3]] == ["user", "assistant"]
    second = next(b for b in fake.requests if last_user(b) == SOURCES[1])
    assert "林晓，你给我站住！" in second["messages"][0]["content"]  # the line before it
    assert first["model"] == "served-model" and first["temperature"] == 0


def test_a_scene_is_one_request_and_its_numbered_answer_is_read(serve_script: Any) -> None:
    fake = serve_script(numbered(lambda k, src: f"{k}. {FAKE[src]}"))
    context = TranslationContext(lines=(LineContext(speaker="林晓"),))
    out = engine(spec_for(fake, "openai-scene")).translate(SOURCES, EN, context)
    assert out == [FAKE[s] for s in SOURCES]
    assert len(fake.requests) == 1
    assert "1. [林晓] 林晓，你给我站住！" in last_user(fake.requests[0])


def test_scenes_respect_scene_lines(serve_script: Any) -> None:
    fake = serve_script(numbered(lambda k, src: f"{k}. {FAKE[src]}"))
    out = engine(spec_for(fake, "openai-scene", scene_lines=3)).translate(SOURCES, EN)
    assert out == [FAKE[s] for s in SOURCES]
    assert len(fake.requests) == 2  # 4 lines, 3 at most: 2 + 2
    assert scenes(41, 40) == [range(0, 21), range(21, 41)] and scenes(0, 40) == []


def test_a_malformed_scene_answer_is_repaired_line_by_line(serve_script: Any) -> None:
    def scene(n: int, body: dict[str, Any]) -> Reply:
        if re.search(r"^1\. ", last_user(body), re.M):
            return Reply(content="Sure! Here are the translations:\n\n1. " + FAKE[SOURCES[0]] + "\n3. first try\n"
                                 "3. second try\n7. out of range\nHope this helps.")
        return per_line(n, body)

    fake = serve_script(scene)
    out = engine(spec_for(fake, "openai-scene", max_concurrency=1)).translate(SOURCES, EN)
    assert out == [FAKE[s] for s in SOURCES]  # 2 missing, 3 duplicated, 4 missing: each asked for alone
    alone = fake.requests[1:]
    assert sorted(last_user(b) for b in alone) == sorted(SOURCES[1:])
    repair_of_2 = next(b for b in alone if last_user(b) == SOURCES[1])["messages"][0]["content"]
    assert f"{SOURCES[0]} => {FAKE[SOURCES[0]]}" in repair_of_2  # the previous line, translated


def test_an_answer_of_pure_chatter_never_aborts_the_episode(serve_script: Any) -> None:
    fake = serve_script(numbered(lambda k, src: None if k > 1 else "I cannot help with that."))
    out = engine(spec_for(fake, "openai-scene")).translate(SOURCES, EN)
    assert out == [FAKE[s] for s in SOURCES]
    assert len(fake.requests) == 1 + len(SOURCES)


def test_parse_numbered_keeps_only_clean_unique_numbers() -> None:
    answer = "<think>1. not this</think>\n1) One\n2. [林晓] Two\n2. Two again\n- 3: \"Three\"\n4.\n5. Five"
    assert parse_numbered(answer, 4, [None, "林晓"]) == ["One", None, "Three", None]
    assert parse_numbered("1. [林晓] Hi", 1, ["林晓"]) == ["Hi"]  # a copied speaker tag is dropped


def test_a_timeout_is_retried(serve_script: Any) -> None:
    fake = serve_script(lambda n, body: Reply(content="late", delay_s=1.0) if n == 0 else per_line(n, body))
    began = time.perf_counter()
    out = engine(replace(spec_for(fake), timeout_s=0.3)).translate(SOURCES[:1], EN)
    assert out == [FAKE[SOURCES[0]]]
    assert len(fake.requests) == 2 and time.perf_counter() - began < 3


@pytest.mark.parametrize("status", [500, 503, 429])
def test_a_server_error_or_busy_server_is_retried(serve_script: Any, status: int) -> None:
    fake = serve_script(lambda n, body: Reply(status, body="overloaded", headers=(("Retry-After", "0"),))
                        if n == 0 else per_line(n, body))
    assert engine(spec_for(fake)).translate(SOURCES[:1], EN) == [FAKE[SOURCES[0]]]
    assert len(fake.requests) == 2


def test_a_server_that_stays_down_is_a_tool_error_naming_url_and_status(serve_script: Any) -> None:
    fake = serve_script(lambda n, body: Reply(500, body="CUDA out of memory"))
    with pytest.raises(ServiceError) as caught:
        engine(spec_for(fake, retries=2)).translate(SOURCES[:1], EN)
    exc = caught.value
    assert isinstance(exc, ToolError) and whose_fault(exc) == "tool"
    assert f"{fake.url}/chat/completions" in str(exc) and "HTTP 500" in str(exc) and "CUDA out of memory" in str(exc)
    assert exc.status == 500 and exc.attempts == 3 and len(fake.requests) == 3


def test_no_server_at_all_is_a_tool_error(serve_script: Any) -> None:
    fake = serve_script(per_line)
    spec = replace(spec_for(fake, retries=1), base_url="http://127.0.0.1:9/v1")  # discard port: refused
    with pytest.raises(ServiceError, match=r"127\.0\.0\.1:9/") as caught:
        engine(spec).translate(SOURCES[:1], EN)
    assert caught.value.status == 0


def test_401_is_the_users_error_and_not_retried(serve_script: Any) -> None:
    fake = serve_script(lambda n, body: Reply(401, body='{"error": "invalid api key"}'))
    with pytest.raises(ServiceRefusedError) as caught:
        engine(spec_for(fake)).translate(SOURCES, EN)
    assert whose_fault(caught.value) == "user" and caught.value.status == 401
    assert "401" in str(caught.value) and "invalid api key" in str(caught.value) and "API key" in str(caught.value)
    assert len(fake.requests) <= 4  # one per line in flight at most, none retried


def test_a_scene_too_large_for_the_server_goes_line_by_line(serve_script: Any) -> None:
    fake = serve_script(lambda n, body: Reply(400, body="context length exceeded")
                        if "1. " in last_user(body) else per_line(n, body))
    assert engine(spec_for(fake, "openai-scene")).translate(SOURCES, EN) == [FAKE[s] for s in SOURCES]


def test_a_missing_api_key_is_named_before_any_request(serve_script: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = serve_script(per_line)
    monkeypatch.delenv(KEY_ENV, raising=False)
    spec = spec_for(fake, api_key_env=KEY_ENV)
    for variable_value in (None, "  "):
        if variable_value is not None:
            monkeypatch.setenv(KEY_ENV, variable_value)
        with pytest.raises(UnsetVariableError, match=KEY_ENV) as caught:
            engine(spec).translate(SOURCES, EN)
        assert whose_fault(caught.value) == "user" and caught.value.variable == KEY_ENV
    assert fake.requests == []
    monkeypatch.setenv(KEY_ENV, "sk-test")
    assert engine(spec).translate(SOURCES[:1], EN) == [FAKE[SOURCES[0]]]
    assert fake.headers[0]["Authorization"] == "Bearer sk-test"


def test_the_concurrency_limit_is_respected(serve_script: Any) -> None:
    fake = serve_script(lambda n, body: replace(per_line(n, body), delay_s=0.15))
    sources = SOURCES * 3
    out = engine(spec_for(fake, max_concurrency=3)).translate(sources, EN)
    assert out == [FAKE[s] for s in sources]
    assert fake.most_in_flight == 3


def test_registry_and_translate_texts_with_a_glossary(serve_script: Any) -> None:
    fake = serve_script(numbered(lambda k, src: f"{k}. {src.replace('林晓', 'Lin Xiao')} (en)"))
    market = replace(EN, engine=spec_for(fake, "openai-scene"))
    glossary = Glossary((GlossaryEntry("林晓", "Lin Xiao", "name"),))
    result = translate_texts(SOURCES[:2], market, glossary=glossary)
    assert result.engine == "openai-scene"
    assert result.lines[0].target.startswith("Lin Xiao") and not result.glossary_misses
    assert "林晓 = Lin Xiao" in fake.requests[0]["messages"][0]["content"]
    with pytest.raises(UserError, match="base_url"):
        get_engine(EngineSpec(name="openai", model="m"))


def test_config_reads_the_http_settings_and_names_mistakes(tmp_path: Path) -> None:
    path = tmp_path / "localize.toml"
    path.write_text('[markets.en-US]\nengine = "openai-scene"\nmodel = "qwen2.5:7b"\n'
                    'base_url = "http://127.0.0.1:11434/v1"\napi_key_env = "OLLAMA_KEY"\ntimeout_s = 30\n'
                    'retries = 1\nmax_concurrency = 2\nscene_lines = 20\n', encoding="utf-8")
    spec = load_config(path).market(EN).engine
    assert (spec.name, spec.model, spec.base_url, spec.api_key_env) == ("openai-scene", "qwen2.5:7b",
                                                                        "http://127.0.0.1:11434/v1", "OLLAMA_KEY")
    assert (spec.timeout_s, spec.retries, spec.max_concurrency, spec.scene_lines) == (30.0, 1, 2, 20)
    for text, key in [('engine = "openai"\nmodel = "m"\n', "base_url"),
                      ('engine = "openai"\nmodel = "m"\nbase_url = "localhost:8000"\n', "base_url"),
                      ('engine = "openai"\nmodel = "m"\nbase_url = "http://h/v1"\nretries = "3"\n', "retries"),
                      ('engine = "openai"\nmodel = "m"\nbase_url = "http://h/v1"\nmax_concurrency = 0\n',
                       "max_concurrency"),
                      ('engine = "seq2seq"\nbase_url = "http://h/v1"\n', "base_url")]:
        path.write_text("[markets.en-US]\n" + text, encoding="utf-8")
        with pytest.raises(InputFormatError, match=key) as caught:
            load_config(path)
        assert str(path) in str(caught.value)


def test_engines_command_explains_the_http_engine(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["engines"]) == 0
    out = capsys.readouterr().out
    assert "openai-scene" in out and "base_url" in out and "api_key_env" in out


# --- `localize serve-model`: a tiny random causal LM through the project's loading code ---

def tiny_qwen2_dir(directory: Path) -> Path:
    transformers = pytest.importorskip("transformers")
    torch = pytest.importorskip("torch")
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    core.train_from_iterator([*SOURCES, "Lin Xiao, stop!", "Mom, I did my best."], trainers.BpeTrainer(
        vocab_size=300, special_tokens=["<pad>", "</s>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tokenizer = transformers.PreTrainedTokenizerFast(tokenizer_object=core, pad_token="<pad>", eos_token="</s>")
    tokenizer.save_pretrained(directory)
    config = transformers.Qwen2Config(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64,
                                      num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=1,
                                      max_position_embeddings=1024, pad_token_id=0, eos_token_id=1)
    torch.manual_seed(0)
    transformers.AutoModelForCausalLM.from_config(config).save_pretrained(directory)
    return directory


@pytest.mark.slow  # about 5 s on 2 cores, mostly importing torch and transformers
def test_serve_model_answers_chat_completions_from_a_local_model(tmp_path: Path) -> None:
    import httpx

    from localize.translate.serve import ServeOptions, running

    model = tiny_qwen2_dir(tmp_path / "tiny-qwen2")
    with running(ServeOptions(model=str(model), port=0, max_new_tokens=8)) as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        listed = httpx.get(f"{base_url}/models", trust_env=False).json()
        assert listed["data"][0]["id"] == "tiny-qwen2"
        spec = EngineSpec(name="openai", model="tiny-qwen2", base_url=base_url, timeout_s=30, max_concurrency=2)
        out = OpenAIEngine(spec, backoff_s=0.01).translate(SOURCES[:2], EN)
        assert len(out) == 2 and all(isinstance(text, str) and "\n" not in text for text in out)
        refused = httpx.post(f"{base_url}/chat/completions", trust_env=False,
                             json={"model": "x", "messages": [{"role": "user", "content": "hi"}], "stream": True})
        assert refused.status_code == 400


def test_translate_command_reaches_a_server(serve_script: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    import io

    fake = serve_script(per_line)
    glossary = tmp_path / "empty.tsv"
    glossary.write_text("source\ttarget\tkind\tnote\n", encoding="utf-8")
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(SOURCES[:2]) + "\n"))
    assert cli.main(["translate", "--market", "en-US", "--engine", "openai", "--model", "served-model",
                     "--base-url", fake.url, "--glossary", str(glossary)]) == 0
    assert capsys.readouterr().out.splitlines() == [FAKE[s] for s in SOURCES[:2]]


def test_a_base_model_gets_the_conversation_as_plain_turns() -> None:
    from localize.translate.serve import chat_prompt

    class NoTemplate:
        chat_template = None

    turns = [("system", "Translate."), ("user", "我不会放弃。"), ("assistant", "I won't quit."),
             ("user", "妈，我已经尽力了。")]
    prompt = chat_prompt(NoTemplate(), turns)
    assert prompt == "Translate.\n\nUser: 我不会放弃。\nAssistant: I won't quit.\nUser: 妈，我已经尽力了。\nAssistant:"


def test_a_line_missing_a_term_is_asked_again_naming_it_and_the_tokens_are_counted(serve_script: Any) -> None:
    from localize.translate.glossary import Glossary, parse_glossary
    from localize.translate.openai_client import usage_lines, usage_totals
    from localize.translate.translate import translate_texts

    def script(n: int, body: dict[str, Any]) -> Reply:
        asked = body["messages"][0]["content"]
        if asked.startswith("You correct"):  # the re-ask names the term and its accepted forms
            assert "- Zhang Hao (for 张浩); also accepted: Hao" in asked
            return Reply(content="Zhang Hao, are you back?", usage=(40, 6))
        return Reply(content="Are you back?")  # no usage reported

    fake = serve_script(script)
    glossary = Glossary(parse_glossary("source\ttarget\tkind\tnote\n张浩\tZhang Hao|Hao\tname\t\n"))
    before = usage_totals()
    result = translate_texts(["张浩你回来了？"], EN, glossary=glossary, engine=engine(spec_for(fake)))
    assert result.lines[0].target == "Zhang Hao, are you back?"
    assert result.lines[0].terms_placed == ("Zhang Hao (asked again)",)
    assert usage_lines(before) == [f"served-model at {fake.url}/chat/completions: 2 requests, 40 prompt + 6 "
                                   "completion tokens (1 answers reported no token counts)"]
