"""`localize serve-model`: a local causal LM behind an OpenAI-compatible chat endpoint.

The only module that imports fastapi and uvicorn. The model is loaded through
`localize.translate.hf_adapter` (a local directory, a `.gguf` file, a cached id, or
"gemma3-270m"), once, when the server starts; it answers

    POST /v1/chat/completions   {"model": ..., "messages": [...], "max_tokens": ...}
    GET  /v1/models             the one model served
    GET  /health

so a team can put the bundled model, or a better local one, on a GPU box and point every
market's "openai" engine at it (`base_url = "http://gpu-box:8000/v1"`).

Limits, on purpose: greedy decoding (temperature is ignored), no streaming, no key
(bind to 127.0.0.1, or put it behind a proxy that checks one), and an answer ends at its
first newline, as every generation in this project does: serve one line per request, for
the "openai" engine. The "openai-scene" engine still works against it, by repairing each
scene line by line, but gains nothing. A model with a chat template gets its template; a
base model gets the conversation as "User: ... / Assistant: ..." text, with approved pairs
as earlier turns, which such models continue well.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, ConfigDict

from localize.errors import ToolError
from localize.translate import hf_adapter

log = logging.getLogger("localize")

_ROLES = {"system": "", "user": "User: ", "assistant": "Assistant: "}
_STARTUP_S = 30.0


@dataclass(frozen=True)
class ServeOptions:
    """What to serve, where, and how much one answer may cost."""

    model: str  # as localize.translate.hf_adapter names models
    host: str = "127.0.0.1"
    port: int = 8000  # 0: any free port (see `running`)
    device: str = "cpu"  # "cpu", "cuda" or "auto"
    name: str = ""  # the model name clients send and /v1/models lists; default: the model's folder name
    max_new_tokens: int = 256  # cap on a request's max_tokens

    @property
    def served_name(self) -> str:
        return self.name or Path(self.model).name or self.model


class _Message(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: str
    content: str


class _ChatRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")  # temperature, top_p...: accepted, decoding stays greedy
    model: str = ""
    messages: list[_Message]
    max_tokens: int | None = None
    stream: bool = False


def chat_prompt(tokenizer: Any, messages: Sequence[tuple[str, str]]) -> str:
    """The text a causal LM continues: its chat template when it has one, else a plain transcript."""
    if getattr(tokenizer, "chat_template", None):
        return str(tokenizer.apply_chat_template([{"role": r, "content": c} for r, c in messages],
                                                 tokenize=False, add_generation_prompt=True))
    parts = []
    for role, content in messages:
        text = " ".join(content.split()) if role != "system" else content.strip()
        parts.append(text + "\n" if role == "system" else f"{_ROLES.get(role, 'User: ')}{text}")
    return "\n".join(parts) + "\nAssistant:"


def create_app(options: ServeOptions) -> FastAPI:
    """The application, with the model already loaded (a bad model fails here, not at the first request)."""
    lm = hf_adapter.load_causal_lm(options.model, options.device)
    # One request at a time: each would take all the cores (this process shares them with no other
    # piece of work), and two thread pools as wide as the machine spin against each other.
    answering = threading.Lock()
    app = FastAPI(title="localize serve-model", docs_url=None, redoc_url=None)
    served = options.served_name

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/v1/models")
    def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": served, "object": "model", "owned_by": "localize"}]}

    @app.post("/v1/chat/completions")
    def chat(request: _ChatRequest) -> dict[str, Any]:
        if request.stream:
            raise HTTPException(400, "streaming is not supported; send \"stream\": false")
        if not request.messages:
            raise HTTPException(400, "messages is empty")
        budget = max(1, min(request.max_tokens or options.max_new_tokens, options.max_new_tokens))
        with answering:
            prompt = chat_prompt(lm.tokenizer, [(m.role, m.content) for m in request.messages])
            began = time.perf_counter()
            text = hf_adapter.generate_lines(lm, [prompt], [budget], batch_size=1)[0]
        log.info("answered %d messages in %.2f s", len(request.messages), time.perf_counter() - began)
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:16]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request.model or served,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        }

    return app


def serve(options: ServeOptions) -> None:
    """Serve until interrupted (the CLI's `serve-model`)."""
    app = create_app(options)
    log.warning("serving %s as %r on http://%s:%d/v1", options.model, options.served_name, options.host, options.port)
    uvicorn.run(app, host=options.host, port=options.port, log_level="warning")


@contextmanager
def running(options: ServeOptions) -> Iterator[str]:
    """Serve in a background thread while the block runs; yields the base URL (".../v1").

    With port 0 the system picks a free port. For tests and for embedding in another program.
    """
    server = uvicorn.Server(uvicorn.Config(create_app(options), host=options.host, port=options.port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, name="localize-serve-model", daemon=True)
    thread.start()
    deadline = time.monotonic() + _STARTUP_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise ToolError("uvicorn", ["serve-model", options.model], 1,
                            f"the server did not start on {options.host}:{options.port}")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{options.host}:{port}/v1"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
