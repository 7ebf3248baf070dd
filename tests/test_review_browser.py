"""The review page end to end in headless Chromium (Debian's, driven by Playwright): a reviewer opens the
season, opens an episode, clicks a flagged line (the player seeks to it), fixes the translation (the
finding goes, the .srt on disk changes), approves the episode and sees it on the season page.

The app runs for real under uvicorn on 127.0.0.1 on a small delivered season (tests/review_season.py).
Screenshots of both pages go to $LOCALIZE_SCREENSHOTS when it is set.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import review_season
from stub_engines import EchoEngine

from localize.review.app import create_app
from localize.stages import replaced
from localize.translate import engines

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the dev extra")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).is_file(),
                                reason="Debian's chromium is installed by scripts/install.sh --dev")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path]]:
    import uvicorn

    monkeypatch.setitem(engines.ENGINES, EchoEngine.name, lambda spec: EchoEngine())
    season = review_season.make_season(tmp_path / "season")
    out = tmp_path / "out"
    assert not review_season.deliver(season, out).failures
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(out), host="127.0.0.1", port=port, log_level="warning"))
    with replaced(review_season.STAND_INS):
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        for _ in range(200):
            if server.started:
                break
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}", out
        server.should_exit = True
        thread.join(10)


def test_a_reviewer_fixes_a_line_and_approves_the_episode(served: tuple[str, Path], tmp_path: Path) -> None:
    base, out = served
    shots = Path(os.environ.get("LOCALIZE_SCREENSHOTS", tmp_path / "shots"))
    shots.mkdir(parents=True, exist_ok=True)
    srt = out / review_season.MARKET / "ep01.srt"
    before = srt.read_text(encoding="utf-8")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(base + "/")
        assert page.locator("#season td[data-status='needs review']").count() == 2
        page.screenshot(path=str(shots / "season-page.png"), full_page=True)

        page.click(f"a[href='/episode/{review_season.MARKET}/ep01']")
        page.wait_for_selector("#lines")
        page.wait_for_function("document.getElementById('player').readyState >= 1")
        assert "2 of 2 lines flagged" in page.inner_text("body")
        second = page.locator("tr.line[data-index='1']")
        second.locator("td").first.click()
        seconds = page.evaluate("document.getElementById('player').currentTime")
        assert abs(seconds - float(second.get_attribute("data-start") or 0)) < 0.05 and seconds > 1.5
        page.screenshot(path=str(shots / "episode-page.png"), full_page=True)

        first = page.locator("tr.line[data-index='0']")
        first.locator("textarea").fill("Lin Xiao, you are back.")
        with page.expect_navigation(timeout=60_000):  # the page reloads when the re-render is done
            first.locator("button.save").click()
        page.wait_for_selector("#lines")
        assert "1 of 2 lines flagged" in page.inner_text("body")
        assert page.locator("tr.line[data-index='0'] .finding.error").count() == 0
        after = srt.read_text(encoding="utf-8")
        assert after != before and "Lin Xiao, you are back." in after

        page.fill("#reviewer", "Anna")
        page.fill("#comment", "checked on the phone layout")
        with page.expect_navigation():
            page.click("#approve")
        assert "approved by Anna" in page.inner_text("#decision")
        page.click("text=← season")
        page.wait_for_selector("#season")
        assert page.locator("#season td[data-status='approved']").count() == 1
        assert "approved by Anna" in page.inner_text("#season")
        browser.close()
