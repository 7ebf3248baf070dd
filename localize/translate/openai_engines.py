"""Translation engines behind an OpenAI-compatible chat server (vLLM, llama.cpp, Ollama, hosted models).

Two engines, both configured by `EngineSpec` (`base_url`, `model`, `api_key_env`, `timeout_s`,
`retries`, `max_concurrency`, `scene_lines`; see `localize engines` and README):

- "openai": one request per line, `max_concurrency` of them in flight. Each request carries the
  line's context: speaker, the lines just before it, its glossary entries, the character notes,
  and approved pairs from the translation memory as few-shot turns.
- "openai-scene": the episode in scenes of at most `scene_lines` numbered lines, one request per
  scene (the model sees the whole exchange, so pronouns, tone and names stay consistent). An
  answer with lines missing, empty, duplicated or drowned in chatter is repaired line by line:
  only the lines that did not come back are asked for, one request each, with the lines before
  them (and their translations) as context. A scene the server refuses as too large (400, 413,
  422) is translated line by line. A malformed answer never aborts the episode; a server that
  stays down does (ServiceError, a tool's failure, retried by the run).

The API key is read from the environment variable named by `api_key_env` when a translation
starts, before any request; an unset or empty variable is an UnsetVariableError.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from localize.errors import UserError
from localize.markets import EngineSpec, Market
from localize.translate import chat_prompts
from localize.translate.chat_prompts import PREVIOUS_LINES, ChatMessage
from localize.translate.engines import ShortenRequest, TranslationContext
from localize.translate.errors import ServiceRefusedError, UnsetVariableError
from localize.translate.openai_client import ChatClient, ChatOptions
from localize.translate.term_repair import TermRequest

log = logging.getLogger("localize")

LINE_MAX_TOKENS = 256
RETRY_FREQUENCY_PENALTY = 0.8  # a retried line: repeated words cost more
RETRY_NOTE = ("Your earlier answer to the next line was rejected (it repeated itself, kept Chinese, or "
              "copied the source). Answer with one natural {language} sentence, no repetition.")
SCENE_TOKENS_PER_LINE = 80  # a scene's answer budget: generous, since a cut answer costs a repair per line
TOO_LARGE = (400, 413, 422)  # a scene refused with these is sent again line by line

T = TypeVar("T")
R = TypeVar("R")


HTTP_ENGINES = ("openai", "openai-scene")  # the names registered in localize.translate.engines.ENGINES


def chat_options(spec: EngineSpec, environ: Mapping[str, str] | None = None, backoff_s: float = 1.0) -> ChatOptions:
    """The client settings of a spec, with the API key read from its environment variable."""
    check_spec(spec)
    key = ""
    if spec.api_key_env:
        key = (os.environ if environ is None else environ).get(spec.api_key_env, "").strip()
        if not key:
            raise UnsetVariableError(spec.api_key_env, f"the API key for {spec.base_url}",
                                     f"api_key_env of the {spec.name!r} engine")
    return ChatOptions(base_url=spec.base_url, model=spec.model, api_key=key, timeout_s=spec.timeout_s,
                       retries=spec.retries, backoff_s=backoff_s, max_concurrency=spec.max_concurrency)


def check_spec(spec: EngineSpec) -> None:
    """A UserError naming the field when a spec cannot work (no server address, a count below 1...)."""
    if not spec.base_url.startswith(("http://", "https://")):
        raise UserError(f"base_url = {spec.base_url!r}: the {spec.name!r} engine needs the server's address, "
                        f"such as \"http://127.0.0.1:8000/v1\" (vLLM) or \"http://127.0.0.1:11434/v1\" (Ollama)")
    if not spec.model.strip():
        raise UserError(f"model = {spec.model!r}: give the model name the server serves")
    for field_name, value, least in (("timeout_s", spec.timeout_s, 0.001), ("retries", spec.retries, 0),
                                     ("max_concurrency", spec.max_concurrency, 1),
                                     ("scene_lines", spec.scene_lines, 1)):
        if value < least:
            raise UserError(f"{field_name} = {value!r}: must be at least {least:g}")


class OpenAIEngine:
    """One chat request per line, with the line's context; see the module docstring."""

    name = "openai"

    def __init__(self, spec: EngineSpec, *, backoff_s: float = 1.0) -> None:
        check_spec(spec)
        self.spec = spec
        self.backoff_s = backoff_s  # first retry's wait; doubles each retry

    def translate(self, sources: Sequence[str], market: Market, context: TranslationContext | None = None) -> list[str]:
        options = chat_options(self.spec, backoff_s=self.backoff_s)
        if not sources:
            return []
        ctx = context or TranslationContext()
        with ChatClient(options) as client:
            def one(i: int) -> str:
                line = ctx.line(i)
                return _ask_line(client, sources[i], market, ctx, i, [(src, "") for src in line.previous])


            return _parallel(one, range(len(sources)), options.max_concurrency)


    def shorten(self, requests: Sequence[ShortenRequest], market: Market) -> list[str]:
        """A shorter rendering of each line, one request each (see localize.translate.shorten)."""
        return self._ask_each(requests, lambda r: chat_prompts.shorter_messages(r.source, r.target, r.max_chars,
                                                                                market))

    def ask_terms(self, requests: Sequence[TermRequest], market: Market) -> list[str]:
        """Each translation corrected to hold its missing terms, one request each (term repair)."""
        return self._ask_each(requests, lambda r: chat_prompts.terms_messages(r.source, r.target, r.missing, market))

    def _ask_each(self, items: Sequence[T], messages: Callable[[T], list[ChatMessage]]) -> list[str]:
        """One single-line answer per item, asked `max_concurrency` at a time."""
        if not items:
            return []
        options = chat_options(self.spec, backoff_s=self.backoff_s)
        with ChatClient(options) as client:
            return _parallel(lambda item: chat_prompts.clean_line(client.complete(messages(item),
                                                                                  max_tokens=LINE_MAX_TOKENS)),
                             items, options.max_concurrency)


class OpenAISceneEngine(OpenAIEngine):
    """Numbered scenes in one request each, repaired line by line; see the module docstring."""

    name = "openai-scene"

    def translate(self, sources: Sequence[str], market: Market, context: TranslationContext | None = None) -> list[str]:
        options = chat_options(self.spec, backoff_s=self.backoff_s)
        if not sources:
            return []
        ctx = context or TranslationContext()
        if ctx.retry:  # lines that failed the checks are scattered, not a scene: ask for each alone
            return super().translate(sources, market, ctx)
        chunks = chat_prompts.scenes(len(sources), self.spec.scene_lines)
        with ChatClient(options) as client:
            answers = _parallel(lambda chunk: _ask_scene(client, sources, chunk, market, ctx), chunks,
                                options.max_concurrency)
            results: list[str | None] = [line for answer in answers for line in answer]
            missing = [i for i, text in enumerate(results) if text is None]
            if missing:
                log.warning("%s: %d of %d lines missing or malformed in the scene answers; asking for them "
                            "one at a time", self.name, len(missing), len(sources))

            def repair(i: int) -> str:
                before = range(max(0, i - PREVIOUS_LINES), i)
                return _ask_line(client, sources[i], market, ctx, i, [(sources[j], results[j] or "") for j in before])

            for i, text in zip(missing, _parallel(repair, missing, options.max_concurrency), strict=True):
                results[i] = text
        return [text or "" for text in results]


def _ask_line(client: ChatClient, source: str, market: Market, ctx: TranslationContext, index: int,
              previous: Sequence[tuple[str, str]]) -> str:
    line = ctx.line(index)
    messages = chat_prompts.line_messages(source, market, speaker=line.speaker, previous=previous,
                                          terms=line.terms, examples=line.examples, notes=ctx.notes)
    if ctx.retry >= 2:  # asked another way: the earlier answers failed the checks
        messages.insert(-1, ChatMessage("system", RETRY_NOTE.format(language=market.language_name)))
    penalty = RETRY_FREQUENCY_PENALTY if ctx.retry else 0.0
    return chat_prompts.clean_line(client.complete(messages, max_tokens=LINE_MAX_TOKENS, frequency_penalty=penalty))


def _ask_scene(client: ChatClient, sources: Sequence[str], chunk: range, market: Market,
               ctx: TranslationContext) -> list[str | None]:
    """The scene's lines, None where the answer has no usable line (to be asked for alone)."""
    lines = [ctx.line(i) for i in chunk]
    speakers = [line.speaker for line in lines]
    messages = chat_prompts.scene_messages(
        [sources[i] for i in chunk], market, speakers=speakers,
        terms=[t for line in lines for t in line.terms], examples=[e for line in lines for e in line.examples],
        notes=ctx.notes)
    try:
        answer = client.complete(messages, max_tokens=64 + SCENE_TOKENS_PER_LINE * len(chunk))
    except ServiceRefusedError as exc:
        if exc.status not in TOO_LARGE:
            raise
        log.warning("scene of lines %d-%d refused (%s); translating it line by line", chunk.start + 1, chunk.stop, exc)
        return [None] * len(chunk)
    return chat_prompts.parse_numbered(answer, len(chunk), speakers)


def _parallel(work: Callable[[T], R], items: Sequence[T], workers: int) -> list[R]:
    """`work` on each item, at most `workers` at once, results in order; the first error propagates."""
    if len(items) <= 1 or workers <= 1:
        return [work(item) for item in items]
    pool = ThreadPoolExecutor(max_workers=min(workers, len(items)), thread_name_prefix="localize-chat")
    try:
        return list(pool.map(work, items))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # after an error, start no further requests
