"""The review web app (FastAPI): the season page, a delivery's page, and the few calls its buttons make.

Rules it keeps whatever the request:
- it serves files of OUT only: a path that resolves outside OUT (`..`, a link) or into its work
  folders is refused, and only the kinds of file a delivery has are served;
- bound to anything but loopback it needs a token (`create_app(token=...)`, printed at start): the
  first visit carries it as `?token=`, which sets a cookie for the rest;
- every text is escaped on the page (localize.review.pages); calls that change something take JSON
  (a form on another site cannot send it without the browser asking first).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from localize.decisions import Decisions
from localize.errors import LocalizeError
from localize.paths import SeasonPaths
from localize.review import model, pages
from localize.review.jobs import Rerenders
from localize.season_run import refresh_release

log = logging.getLogger("localize")
COOKIE = "localize_review"
SERVED = {".html", ".json", ".srt", ".vtt", ".ass", ".ttml", ".m4a", ".mp4", ".png", ".jpg", ".xlf", ".csv"}


class Edit(BaseModel):
    market: str
    episode: str
    index: int = Field(ge=0)
    target: str = Field(max_length=2000)
    reviewer: str = Field(default="", max_length=100)


class Verdict(BaseModel):
    market: str
    episode: str
    decision: str
    comment: str = Field(default="", max_length=4000)
    reviewer: str = Field(default="", max_length=100)


class CastChange(BaseModel):
    action: str  # "rename" or "voice"
    old: str = ""
    new: str = ""
    character: str = ""
    market: str = ""
    voice: str = ""


def create_app(out: Path, token: str | None = None) -> FastAPI:
    out = out.resolve()
    if not SeasonPaths(out).summary_json.is_file():
        raise LocalizeError(f"{out}: no season run here (no season-summary.json); run `localize run` first")
    app = FastAPI(title="localize review", docs_url=None, redoc_url=None, openapi_url=None)
    rerenders = Rerenders(out)
    app.state.rerenders = rerenders
    app.router.on_shutdown.append(rerenders.close)

    @app.middleware("http")
    async def require_token(request: Request, call_next: Any) -> Response:
        if token is None:
            return await call_next(request)
        given = request.query_params.get("token") or request.cookies.get(COOKIE) or ""
        if not hmac.compare_digest(given.encode(), token.encode()):
            return JSONResponse({"detail": "a token is needed: open the address `localize review` printed"}, 403)
        response: Response = await call_next(request)
        if request.query_params.get("token"):
            response.set_cookie(COOKIE, token, httponly=True, samesite="strict")
        return response

    @app.exception_handler(LocalizeError)
    async def user_error(request: Request, exc: LocalizeError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, 400)

    @app.get("/", response_class=HTMLResponse)
    def season_page() -> str:
        return pages.season_page(model.season(out), out.name)

    @app.get("/episode/{market}/{episode}", response_class=HTMLResponse)
    def delivery_page(market: str, episode: str) -> str:
        view = model.delivery(out, episode, market)
        if view is None:
            raise HTTPException(404, f"no {market} delivery of {episode} in this season")
        return pages.delivery_page(view, *_cast(out, market))

    @app.get("/files/{path:path}")
    def files(path: str) -> FileResponse:
        return FileResponse(_served(out, path))

    @app.get("/frame/{market}/{episode}/{index}.png")
    def frame(market: str, episode: str, index: int) -> FileResponse:
        return FileResponse(_frame(out, market, episode, index), media_type="image/png")

    @app.post("/api/edit")
    def edit(change: Edit) -> dict[str, Any]:
        job = rerenders.edit(change.episode, change.market, change.index, change.target, change.reviewer)
        return {"id": job.id, "state": job.state}

    @app.get("/api/jobs/{job_id}")
    def job_state(job_id: str) -> dict[str, Any]:
        job = rerenders.jobs.get(job_id)
        if job is None:
            raise HTTPException(404, f"no job {job_id}")
        return {"id": job.id, "state": job.state, "step": job.step, "message": job.message,
                "seconds": job.seconds, "episodes": list(job.episodes)}

    @app.post("/api/decision")
    def decide(verdict: Verdict) -> dict[str, Any]:
        if model.delivery(out, verdict.episode, verdict.market) is None:
            raise HTTPException(404, f"no {verdict.market} delivery of {verdict.episode} in this season")
        made = Decisions(out).decide(verdict.episode, verdict.market, verdict.decision, verdict.comment,
                                     verdict.reviewer)
        refresh_release(out, verdict.market)  # an approved delivery is released, a sent back one held
        return {"decision": made.decision, "at": made.at}

    @app.post("/api/cast")
    def cast(change: CastChange) -> dict[str, str]:
        from localize.speakers.registry import CharacterRegistry

        registry = CharacterRegistry.in_folder(out)
        if change.action == "rename":
            registry.rename(change.old.strip(), change.new.strip())
        elif change.action == "voice":
            from localize.dub.voices import find_voice
            from localize.markets import get_market

            market = get_market(change.market)
            registry.set_voice(change.character.strip(), market.code, find_voice(market, change.voice.strip()).id)
        else:
            raise HTTPException(400, f"action {change.action!r}: expected rename or voice")
        return {"done": change.action}

    return app


def _served(out: Path, path: str) -> Path:
    """The file of OUT that `path` names; 404 for anything outside OUT, in a hidden folder, or not a delivery."""
    target = (out / path).resolve()
    if not target.is_relative_to(out) or any(part.startswith(".") for part in target.relative_to(out).parts):
        raise HTTPException(404, "not a file of this season")
    if target.suffix.lower() not in SERVED or not target.is_file():
        raise HTTPException(404, "not a file of this season")
    return target


def _cast(out: Path, market: str) -> tuple[list[tuple[str, str]], list[str]]:
    from localize.speakers.registry import CharacterRegistry

    try:
        characters = CharacterRegistry.in_folder(out).characters()
    except LocalizeError as exc:
        log.warning("%s", exc)
        return [], []
    if not characters:
        return [], []
    try:
        from localize.dub.voices import market_voices
        from localize.markets import get_market

        voices = [o.id for o in market_voices(get_market(market))]
    except LocalizeError:
        voices = []
    return [(c.name, c.voices.get(market, "")) for c in characters], voices


def _frame(out: Path, market: str, episode: str, index: int) -> Path:
    """A 9:16 still of a line's middle with its subtitle as delivered now (cached until the subtitles change)."""
    from localize import media

    paths = SeasonPaths(out).episode(episode)
    view = model.delivery(out, episode, market)
    line = next((v for v in view.lines if v.index == index), None) if view else None
    ass = paths.market(market).ass
    if line is None or not ass.is_file():
        raise HTTPException(404, "no such line")
    picture = paths.clean_picture if paths.clean_picture.is_file() else paths.market(market).preview
    if not picture.is_file():
        raise HTTPException(404, "no picture for this episode")
    stamp = hashlib.sha256(ass.read_bytes()).hexdigest()[:12]
    still = out / ".work" / "review-frames" / market / episode / f"{index}-{stamp}.png"
    if not still.is_file():
        still.parent.mkdir(parents=True, exist_ok=True)
        media.subtitle_thumbnail(ass, still, (line.start_ms + line.end_ms) // 2, video=picture, width=270, height=480)
    return still
