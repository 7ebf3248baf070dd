"""Errors of the HTTP translation engines (an OpenAI-compatible chat server), by whose fault.

- `ServiceError` (a tool's: `localize.errors.ToolError`): the server timed out, refused the
  connection, answered 5xx or 429, or sent something that is not a chat completion, and kept
  doing so through every retry. Running again later may work.
- `ServiceRefusedError` (the user's): the server refused the request itself (401/403 a wrong
  key, 404 a wrong URL or model name, 400 a request it cannot take). Never retried.
- `UnsetVariableError` (the user's): the environment variable meant to hold the API key is
  unset or empty; raised before any request.
"""

from __future__ import annotations

from localize.errors import LocalizeError, ToolError, UserError

_BODY_CHARS = 300


def _short(body: str) -> str:
    text = " ".join(body.split())
    return text if len(text) <= _BODY_CHARS else text[:_BODY_CHARS] + "..."


class ServiceError(ToolError):
    """An HTTP service failed after its retries; keeps `url`, `status` (0: no HTTP answer),
    `problem`, `attempts`, and ToolError's fields (tool, command, returncode=status, stderr=body)."""

    def __init__(self, url: str, status: int, problem: str, attempts: int = 1) -> None:
        self.url = url
        self.status = status
        self.problem = problem
        self.attempts = attempts
        self.tool = "translation server"
        self.command = ["POST", url]
        self.returncode = status
        self.stderr = _short(problem)
        self.path = None
        answer = f"HTTP {status}" if status else "no answer"
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        LocalizeError.__init__(self, f"translation server {url} failed{tries} ({answer}): {self.stderr}")


class ServiceRefusedError(UserError):
    """The server refused the request (4xx other than 429): wrong key, URL, model name or request."""

    def __init__(self, url: str, status: int, body: str, hint: str = "") -> None:
        self.url = url
        self.status = status
        self.body = _short(body)
        self.hint = hint
        tail = f"; {hint}" if hint else ""
        super().__init__(f"translation server {url} refused the request (HTTP {status}): "
                         f"{self.body or 'no details'}{tail}")


class UnsetVariableError(UserError):
    """An environment variable the configuration names is unset or empty (e.g. the API key's)."""

    def __init__(self, variable: str, purpose: str, where: str = "") -> None:
        self.variable = variable
        self.purpose = purpose
        self.where = where
        origin = f" ({where} names it)" if where else ""
        super().__init__(f"environment variable {variable} is unset or empty{origin}; it must hold {purpose}: "
                         f"export {variable}=..., or remove api_key_env for a server without a key")
