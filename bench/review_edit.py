"""Review page: the time from a reviewer's edit to the new .srt (and to the whole delivery re-rendered).

Runs the built-in sample season (real models, one market, previews on) through the season run into a
fresh OUT with its own translation memory, starts the review app for real on 127.0.0.1 (uvicorn), and
edits lines through its HTTP API as the page does: each edit is timed from the request to the moment
the .srt on disk holds the new words, and to the end of the re-render (dub and preview too). The same
edit is then made with `localize kit import`'s function (kit.approve_lines) for comparison, side by side.

    .venv/bin/python bench/review_edit.py [--episodes 1] [--market en-US] [--edits 3] [--screenshots DIR]

With --screenshots (Playwright and Debian's chromium, the dev install), the season page and the first
episode's page are saved as PNG before the edits.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from localize.kit import Approval, approve_lines, season_translations  # noqa: E402
from localize.markets import parse_markets  # noqa: E402
from localize.paths import SeasonPaths  # noqa: E402
from localize.pipeline import RunSettings  # noqa: E402
from localize.review.app import create_app  # noqa: E402
from localize.sample import generate_season  # noqa: E402
from localize.season_run import ThreadSubmitter, run_season  # noqa: E402


def _loopback(url: str) -> str:
    """The bench talks only to the review app it started itself, on 127.0.0.1."""
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"{url}: the bench only calls its own server on 127.0.0.1")
    return url


def post(url: str, body: dict[str, object]) -> dict[str, object]:
    request = urllib.request.Request(_loopback(url), json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return dict(json.loads(answer.read()))


def get(url: str) -> dict[str, object]:
    with urllib.request.urlopen(_loopback(url), timeout=30) as answer:
        return dict(json.loads(answer.read()))


def screenshots(base: str, base_out: Path, folder: Path) -> None:
    from playwright.sync_api import sync_playwright

    folder.mkdir(parents=True, exist_ok=True)
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                             args=flags)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(base + "/")
        page.screenshot(path=str(folder / "season-page.png"), full_page=True)
        from localize.review.model import season

        cells = season(Path(base_out)).cells.values()
        shown = max(cells, key=lambda c: (c.errors or 0, c.findings or 0))  # the delivery a reviewer opens first
        page.goto(f"{base}/episode/{shown.market}/{shown.episode}")
        page.wait_for_function("(p => !p || p.readyState >= 1)(document.getElementById('player'))")
        page.wait_for_timeout(1500)  # the frames of the flagged lines
        page.screenshot(path=str(folder / "episode-page.png"), full_page=True)
        browser.close()
    print(f"screenshots in {folder}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--season", type=Path, default=REPO / "bench" / ".cache" / "sample-season")
    parser.add_argument("--episodes", type=int, default=1)
    parser.add_argument("--market", default="en-US")
    parser.add_argument("--edits", type=int, default=3)
    parser.add_argument("--screenshots", type=Path, help="save the season and episode pages here (PNG)")
    parser.add_argument("--out", type=Path, help="keep the season run here (default: a temporary folder)")
    args = parser.parse_args()
    import uvicorn

    generate_season(args.season, episodes=max(args.episodes, 1))
    markets = parse_markets(args.market)
    with tempfile.TemporaryDirectory(prefix="localize-review-bench-") as tmp:
        season_dir, out = Path(tmp) / "season", args.out or Path(tmp) / "out"
        season_dir.mkdir()
        videos = [Path(shutil.copy2(v, season_dir / v.name)) for v in sorted(args.season.glob("ep*.mp4"))]
        videos = videos[: args.episodes]
        memory = (args.out.parent if args.out else Path(tmp)) / "review-memory.sqlite"
        settings = RunSettings(out_dir=out, memory=memory)
        started = time.perf_counter()
        submit = ThreadSubmitter()
        try:
            run = run_season(videos, markets, settings, submit, show_progress=True)
        finally:
            submit.close()
        print(f"season run (cold, models loaded inside): {time.perf_counter() - started:.1f} s, "
              f"{len(run.results)} deliveries, {len(run.failures)} failed")
        code = markets[0].code
        episode = videos[0].stem
        srt = SeasonPaths(out).episode(episode).market(code).subtitle("srt")
        lines = season_translations(out, code)[episode].lines

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(create_app(out), host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        if args.screenshots:
            screenshots(base, out, args.screenshots)
        page: list[tuple[float, float]] = []
        for number in range(args.edits):
            line = lines[number % len(lines)]
            words = f"Edited {number}: {line.target[:40]}"
            t0 = time.perf_counter()
            job = post(base + "/api/edit", {"market": code, "episode": episode, "index": line.index, "target": words})
            to_srt = None
            while True:
                if to_srt is None and " ".join(words.split()) in " ".join(srt.read_text(encoding="utf-8").split()):
                    to_srt = time.perf_counter() - t0
                state = get(f"{base}/api/jobs/{job['id']}")
                if state["state"] in ("done", "failed"):
                    break
                time.sleep(0.05)
            whole = time.perf_counter() - t0
            if state["state"] == "failed":
                print(f"edit {number} failed: {state['message']}")
                return 1
            to_srt = to_srt if to_srt is not None else whole
            page.append((to_srt, whole))
            print(f"review page edit {number}: new .srt after {to_srt:.2f} s, delivery re-rendered after {whole:.2f} s")
        server.should_exit = True
        thread.join(10)

        direct = []
        for number in range(args.edits):
            line = lines[number % len(lines)]
            t0 = time.perf_counter()
            edited = Approval(episode, line.index, line.source, f"Direct {number}: {line.target[:40]}")
            approve_lines(out, code, [edited], season_translations(out, code), reviewer="bench", force=True)
            direct.append(time.perf_counter() - t0)
        journal = SeasonPaths(out).journal.read_text(encoding="utf-8").splitlines()
        last = [json.loads(raw) for raw in journal if '"stages"' in raw][-1]
        print("last re-render, seconds per stage: "
              + ", ".join(f"{name} {seconds:.2f}" for name, seconds in (last.get("stages") or {}).items()))
        mean_srt = sum(s for s, _ in page) / len(page)
        mean_whole = sum(w for _, w in page) / len(page)
        mean_direct = sum(direct) / len(direct)
        print(f"\nsample season, {episode} [{code}], {args.edits} edits each way:")
        print(f"  edit -> new .srt (review page, HTTP)        {mean_srt:6.2f} s mean")
        print(f"  edit -> delivery re-rendered (review page)  {mean_whole:6.2f} s mean")
        print(f"  approve_lines alone (kit import's path)     {mean_direct:6.2f} s mean "
              f"(page / direct: {mean_whole / mean_direct:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
