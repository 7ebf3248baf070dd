"""The review app's rules, through its real routes (FastAPI's test client) on a small delivered season
(tests/review_season.py): a token off loopback, OUT's files only, text shown as text, edits applied
in order and undone when the re-render fails, decisions kept by later runs."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import review_season
import stub_stages
from fastapi.testclient import TestClient
from stub_engines import EchoEngine

from localize.cli import build_parser, main
from localize.journal import read_status
from localize.ledger import Ledger
from localize.paths import SeasonPaths
from localize.review.app import create_app
from localize.stages import replaced
from localize.translate import engines
from localize.translate.memory import TranslationMemory

MARKET = review_season.MARKET


@pytest.fixture(scope="module")
def season(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return review_season.make_season(tmp_path_factory.mktemp("review-season"))


@pytest.fixture
def out(season: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setitem(engines.ENGINES, EchoEngine.name, lambda spec: EchoEngine())
    stub_stages.FAIL_FOR.clear()
    folder = tmp_path / "out"
    assert not review_season.deliver(season, folder).failures
    with replaced(review_season.STAND_INS):  # re-renders run the same stand-ins
        yield folder
    stub_stages.FAIL_FOR.clear()


def wait(client: TestClient, job: dict[str, Any]) -> dict[str, Any]:
    for _ in range(300):
        state: dict[str, Any] = client.get(f"/api/jobs/{job['id']}").json()
        if state["state"] in ("done", "failed"):
            return state
        time.sleep(0.05)
    raise AssertionError(f"job {job} did not finish")


def edit(client: TestClient, index: int, target: str, episode: str = "ep01") -> dict[str, Any]:
    response = client.post("/api/edit", json={"market": MARKET, "episode": episode, "index": index,
                                              "target": target})
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_loopback_needs_no_token_and_any_other_address_gets_one(out: Path) -> None:
    args = build_parser().parse_args(["review", str(out)])
    assert args.host == "127.0.0.1"
    with TestClient(create_app(out)) as client:
        assert client.get("/").status_code == 200
    with TestClient(create_app(out, token="s3cret")) as client:
        assert client.get("/").status_code == 403
        assert client.get("/?token=wrong").status_code == 403
        assert client.get("/files/season-summary.json").status_code == 403
        assert client.get("/?token=s3cret").status_code == 200
        assert client.get(f"/episode/{MARKET}/ep01").status_code == 200  # the cookie set by the first visit


def test_only_files_of_out_are_served(out: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.json"
    secret.write_text("{}", encoding="utf-8")
    (out / MARKET / "link.json").symlink_to(secret)
    with TestClient(create_app(out)) as client:
        assert client.get(f"/files/{MARKET}/ep01.srt").status_code == 200
        for path in ("../secret.json", "%2e%2e/secret.json", f"{MARKET}/link.json", ".work/ep01/lines-en-US.json",
                     "characters.json.lock", "/etc/passwd", f"{MARKET}/../../secret.json"):
            assert client.get(f"/files/{path}").status_code == 404, path


def test_a_season_page_and_an_episode_page_show_status_lines_and_findings(out: Path) -> None:
    with TestClient(create_app(out)) as client:
        season = client.get("/").text
        assert "needs review" in season and f"/episode/{MARKET}/ep02" in season
        assert season.count("held: forbidden words") == 2  # the release gate's word, from its manifest
        page = client.get(f"/episode/{MARKET}/ep01").text
        assert "林晓，你终于回来了。" in page and "Line 1 (10 characters)" in page
        assert "glossary-forbidden" in page and "2 of 2 lines flagged" in page
        assert f"/files/{MARKET}/ep01.mp4" in page and f"/files/{MARKET}/ep01.vtt" in page
        frame = client.get(f"/frame/{MARKET}/ep01/0.png")
        assert frame.status_code == 200 and frame.content[:4] == b"\x89PNG"


def test_an_edit_is_approved_rerendered_and_shown_as_text(out: Path) -> None:
    srt = out / MARKET / "ep01.srt"
    with TestClient(create_app(out)) as client:
        done = wait(client, edit(client, 0, "<script>alert(1)</script> {\\b1}Lin Xiao{\\b0}"))
        assert done["state"] == "done", done
        page = client.get(f"/episode/{MARKET}/ep01").text
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; {\\b1}Lin Xiao" in page
    assert page.count("glossary-forbidden") == 1  # the fixed line's finding is gone (a long line now reads fast)
    assert "script>alert(1)" in srt.read_text(encoding="utf-8")  # the words, escaped as the format needs
    memory = TranslationMemory(out.parent / "memory.sqlite")
    found = memory.exact("林晓，你终于回来了。", MARKET)
    assert found is not None and found.approved


def test_two_quick_edits_of_a_line_leave_the_last_everywhere(out: Path) -> None:
    with TestClient(create_app(out)) as client:
        first = edit(client, 1, "Let us go to the park.")
        last = edit(client, 1, "Shall we go to the park together?")
        assert wait(client, first)["state"] == "done" and wait(client, last)["state"] == "done"
    assert "Shall we go to the park together?" in (out / MARKET / "ep01.srt").read_text(encoding="utf-8")
    assert "Let us go" not in (out / MARKET / "ep01.vtt").read_text(encoding="utf-8")
    lines = json.loads(SeasonPaths(out).episode("ep01").lines(MARKET).read_text(encoding="utf-8"))
    assert lines["lines"][1]["target"] == "Shall we go to the park together?"
    found = TranslationMemory(out.parent / "memory.sqlite").exact("我们一起去公园吧。", MARKET)
    assert found is not None and found.entry.target == "Shall we go to the park together?"


def test_a_crash_during_the_rerender_leaves_the_previous_delivery(out: Path) -> None:
    deliveries = SeasonPaths(out).episode("ep01").market(MARKET).deliveries()
    before = {path: path.read_bytes() for path in deliveries}
    stub_stages.FAIL_FOR.add("dub")  # after the subtitles were made again
    with TestClient(create_app(out)) as client:
        failed = wait(client, edit(client, 0, "Lin Xiao, you are back."))
    assert failed["state"] == "failed" and "as it was" in failed["message"]
    assert {path: path.read_bytes() for path in deliveries} == before
    Ledger(out).check(list(deliveries))  # still localize's own files: the next run may replace them


def test_an_approved_delivery_is_kept_by_later_runs_unless_forced(out: Path, season: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    with TestClient(create_app(out)) as client:
        response = client.post("/api/decision", json={"market": MARKET, "episode": "ep01", "decision": "approved",
                                                      "reviewer": "Anna", "comment": "fine"})
        assert response.status_code == 200
        refused = client.post("/api/decision", json={"market": MARKET, "episode": "ep02", "decision": "sent back"})
        assert refused.status_code == 400 and "comment" in refused.json()["detail"]
        assert client.post("/api/decision", json={"market": MARKET, "episode": "ep02", "decision": "sent back",
                                                  "comment": "line 2 is wrong"}).status_code == 200
        season_page = client.get("/").text
    assert "data-status='approved'" in season_page and "data-status='sent back'" in season_page
    srt = out / MARKET / "ep01.srt"
    srt_before = srt.stat().st_mtime_ns
    again = review_season.deliver(season, out)
    assert {r.episode for r in again.results} == {"ep02"} and srt.stat().st_mtime_ns == srt_before
    status = read_status(SeasonPaths(out).journal)
    assert status is not None and {e.episode: e.state for e in status.entries}["ep01"] == "approved"
    assert main(["status", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "ep01 [en-US] approved by Anna" in printed and "sent back" in printed
    forced = review_season.deliver(season, out, force=True)
    assert {r.episode for r in forced.results} == {"ep01", "ep02"}


def test_characters_can_be_renamed_and_recast_from_the_page(out: Path) -> None:
    from localize.speakers.diarize import Voiceprint
    from localize.speakers.registry import CharacterRegistry

    registry = CharacterRegistry.in_folder(out)
    registry.link("ep01", [(Voiceprint("S1", (1.0, 0.0), 4000, 210.0), None)])
    with TestClient(create_app(out)) as client:
        assert "Speaker 1" in client.get(f"/episode/{MARKET}/ep01").text
        renamed = client.post("/api/cast", json={"action": "rename", "old": "Speaker 1", "new": "林晓"})
        assert renamed.status_code == 200, renamed.text
        unknown = client.post("/api/cast", json={"action": "voice", "character": "林晓", "market": MARKET,
                                                 "voice": "no-such-voice"})
        assert unknown.status_code == 400 and "no-such-voice" in unknown.json()["detail"]
        chosen = client.post("/api/cast", json={"action": "voice", "character": "林晓", "market": MARKET,
                                                "voice": "espeak:en-us+f3"})
        assert chosen.status_code == 200, chosen.text
        assert "espeak:en-us+f3" in client.get(f"/episode/{MARKET}/ep01").text
    character = registry.find("林晓")
    assert character.voices[MARKET] == "espeak:en-us+f3" and MARKET in character.chosen


def test_a_recaps_line_is_shown_as_such_and_not_queued_twice(out: Path) -> None:
    transcript = SeasonPaths(out).episode("ep02").transcript
    data = json.loads(transcript.read_text(encoding="utf-8"))
    data["segments"][0]["flags"] = [{"code": "recap", "severity": "info",
                                     "message": "this line replays an earlier episode: ep01 at 0.0 s"}]
    transcript.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with TestClient(create_app(out)) as client:
        page = client.get(f"/episode/{MARKET}/ep02").text
    assert "replays ep01 at 0.0 s" in page and "1 of 2 lines flagged" in page
