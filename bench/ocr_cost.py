"""What reading the picture costs now against an earlier commit, side by side on the same videos.

Each version runs `read_picture` in its own process (a git worktree of REV, this checkout's .venv),
alternately, ROUNDS times per video; the best time of each is kept. Prints seconds of OCR per second
of video and the ratio new / old.

    .venv/bin/python bench/ocr_cost.py --base REV VIDEO [VIDEO...] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYTHON = REPO / ".venv" / "bin" / "python"
TIMER = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from localize import media
from localize.asr.source import read_picture
from localize.picture.ocr import load_engine
load_engine()
info = media.probe(sys.argv[2])
started = time.perf_counter()
picture = read_picture(info)
print(json.dumps({"seconds": time.perf_counter() - started, "media": info.duration_ms / 1000,
                  "lines": len(picture.cues)}))
"""


def timed(code_root: Path, video: Path) -> dict[str, float]:
    out = subprocess.run([str(PYTHON), "-c", TIMER, str(code_root), str(video)], check=True, capture_output=True,
                         text=True, cwd=code_root).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", required=True, help="the earlier commit to compare with")
    parser.add_argument("videos", type=Path, nargs="+")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(base), args.base], check=True,
                       capture_output=True)
        try:
            print(f"{'video':<40} {'old s/s':>8} {'new s/s':>8} {'new/old':>8} {'lines old/new':>14}")
            for video in args.videos:
                best: dict[str, dict[str, float]] = {}
                for _ in range(args.rounds):
                    for name, root in (("old", base), ("new", REPO)):
                        result = timed(root, video.resolve())
                        if name not in best or result["seconds"] < best[name]["seconds"]:
                            best[name] = result
                old, new = (best[n]["seconds"] / best[n]["media"] for n in ("old", "new"))
                lines = f"{best['old']['lines']:.0f}/{best['new']['lines']:.0f}"
                print(f"{video.name:<40} {old:8.3f} {new:8.3f} {new / old:8.2f} {lines:>14}", flush=True)
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(base)], check=False,
                           capture_output=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
