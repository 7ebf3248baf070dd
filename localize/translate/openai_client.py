"""The only module that imports httpx: POST chat completions to an OpenAI-compatible server.

vLLM, llama.cpp's server, Ollama, LM Studio, `localize serve-model`, and hosted Qwen or
DeepSeek all answer `POST {base_url}/chat/completions` the same way. A request is retried
with exponential backoff on timeouts, connection errors, 5xx and 429 (a busy server); any
other 4xx is the user's (a wrong key, URL or model name) and is never retried. At most
`max_concurrency` requests are in flight at once per client, whatever the callers' threads.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from localize.translate.chat_prompts import ChatMessage
from localize.translate.errors import ServiceError, ServiceRefusedError

log = logging.getLogger("localize")

_HINTS = {
    401: "check the API key (api_key_env in localize.toml names its environment variable)",
    403: "the API key may not use this model",
    404: "check base_url (it usually ends in /v1) and the model name the server serves",
}


@dataclass(frozen=True)
class ChatOptions:
    """Where the server is and how to talk to it."""

    base_url: str  # e.g. http://127.0.0.1:8000/v1 ({base_url}/chat/completions is posted to)
    model: str  # the name the server knows the model by
    api_key: str = field(default="", repr=False)  # sent as a Bearer token when not empty
    timeout_s: float = 60.0  # per request (connect, read, write)
    retries: int = 3  # further attempts after the first, on timeouts, connection errors, 5xx and 429
    backoff_s: float = 1.0  # wait before retry n: backoff_s * 2**(n-1), at most max_backoff_s
    max_backoff_s: float = 30.0
    max_concurrency: int = 4  # requests in flight at once
    temperature: float = 0.0  # translation wants the most likely answer
    max_tokens: int = 1024  # per answer; a scene of 40 lines fits

    @property
    def url(self) -> str:
        base = self.base_url.rstrip("/")
        return base if base.endswith("/chat/completions") else f"{base}/chat/completions"


@dataclass(frozen=True)
class Usage:
    """What the requests to one server and model cost: answered requests and the tokens they reported."""

    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    unreported: int = 0  # answers without a `usage` object (some servers leave it out)

    def plus(self, other: Usage) -> Usage:
        return Usage(self.requests + other.requests, self.prompt_tokens + other.prompt_tokens,
                     self.completion_tokens + other.completion_tokens, self.unreported + other.unreported)


_USAGE: dict[tuple[str, str], Usage] = {}  # (url, model) -> usage, this process, since it started
_USAGE_LOCK = threading.Lock()


def usage_totals() -> dict[tuple[str, str], Usage]:
    """Requests and tokens per (url, model) answered in this process so far (`localize run` prints the
    difference over a run)."""
    with _USAGE_LOCK:
        return dict(_USAGE)


def usage_lines(before: dict[tuple[str, str], Usage]) -> list[str]:
    """What was asked of each server and model since `before` (a `usage_totals()`), in words."""
    lines = []
    for (url, model), now in sorted(usage_totals().items()):
        was = before.get((url, model), Usage())
        spent = Usage(now.requests - was.requests, now.prompt_tokens - was.prompt_tokens,
                      now.completion_tokens - was.completion_tokens, now.unreported - was.unreported)
        if spent.requests:
            gap = f" ({spent.unreported} answers reported no token counts)" if spent.unreported else ""
            lines.append(f"{model} at {url}: {spent.requests:,} requests, {spent.prompt_tokens:,} prompt + "
                         f"{spent.completion_tokens:,} completion tokens{gap}")
    return lines


def _count(url: str, model: str, used: Usage) -> None:
    with _USAGE_LOCK:
        _USAGE[(url, model)] = _USAGE.get((url, model), Usage()).plus(used)


class _Retry(Exception):
    """One failed attempt worth another try; what it says ends up in ServiceError."""

    def __init__(self, status: int, problem: str, wait_s: float | None = None) -> None:
        super().__init__(problem)
        self.status = status
        self.problem = problem
        self.wait_s = wait_s


class ChatClient:
    """A thread-safe client for one server and model; use it as a context manager (or `close`)."""

    def __init__(self, options: ChatOptions) -> None:
        self.options = options
        self._slots = threading.BoundedSemaphore(max(1, options.max_concurrency))
        headers = {"Authorization": f"Bearer {options.api_key}"} if options.api_key else {}
        self._http = httpx.Client(
            timeout=httpx.Timeout(options.timeout_s),
            headers=headers,
            limits=httpx.Limits(max_connections=max(1, options.max_concurrency)),
            trust_env=False,  # no proxy from the environment between us and a local server
        )

    def __enter__(self) -> ChatClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def complete(self, messages: Sequence[ChatMessage], max_tokens: int | None = None,
                 frequency_penalty: float = 0.0) -> str:
        """The assistant's answer to `messages`; ServiceError once every retry failed.

        `frequency_penalty` (OpenAI's, -2..2; vLLM, llama.cpp and Ollama accept it too) is sent
        only when set: for a line whose first answer looped."""
        opts = self.options
        body: dict[str, Any] = {
            "model": opts.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "temperature": opts.temperature,
            "max_tokens": max_tokens or opts.max_tokens,
            "stream": False,
        }
        if frequency_penalty:
            body["frequency_penalty"] = frequency_penalty
        attempts = max(0, opts.retries) + 1
        for attempt in range(1, attempts + 1):
            try:
                with self._slots:
                    return self._post_once(body)
            except _Retry as failure:
                if attempt == attempts:
                    raise ServiceError(opts.url, failure.status, failure.problem, attempts) from None
                wait = min(opts.max_backoff_s, opts.backoff_s * 2 ** (attempt - 1))
                if failure.wait_s is not None:
                    wait = min(opts.max_backoff_s, max(wait, failure.wait_s))
                log.warning("translation server %s: %s; retry %d of %d in %.1f s",
                            opts.url, failure.problem, attempt, attempts - 1, wait)
                time.sleep(wait)
        raise AssertionError("unreachable")  # the loop returns or raises

    def _post_once(self, body: dict[str, Any]) -> str:
        url = self.options.url
        try:
            response = self._http.post(url, json=body)
        except httpx.TimeoutException:
            raise _Retry(0, f"no answer within {self.options.timeout_s:g} s") from None
        except httpx.TransportError as exc:  # refused, reset, DNS, protocol errors
            raise _Retry(0, f"{type(exc).__name__}: {exc}") from None
        status = response.status_code
        if status == 429 or status >= 500:
            raise _Retry(status, response.text, _retry_after(response.headers.get("retry-after")))
        if status >= 400:
            raise ServiceRefusedError(url, status, response.text, _HINTS.get(status, ""))
        text = _answer_text(url, status, response)
        _count(url, self.options.model, _usage(response))
        return text


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:  # an HTTP date: fall back to our own backoff
        return None


def _answer_text(url: str, status: int, response: Any) -> str:
    """The first choice's message content; a body of another shape is the server's fault."""
    try:
        content = response.json()["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise _Retry(status, f"not a chat completion: {response.text[:200]}") from None
    return content if isinstance(content, str) else ""


def _usage(response: Any) -> Usage:
    """The answer's `usage` (prompt and completion tokens), as OpenAI, vLLM, llama.cpp and Ollama report it."""
    try:
        reported = response.json().get("usage") or {}
        return Usage(1, int(reported["prompt_tokens"]), int(reported.get("completion_tokens", 0)))
    except (ValueError, KeyError, TypeError, AttributeError):
        return Usage(1, unreported=1)
