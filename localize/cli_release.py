"""`localize release OUT --market M`: pack what passed the market's release gate for hand-off.

Thin: the gate and the packing are localize.release. `add_release_parser(sub)` is called by
`localize.cli.build_parser`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

RELEASE_HELP = """\
Pack a market's released deliveries: the subtitles, dub and preview of every episode that passed the
market's release gate at the last run (or that a reviewer approved), with SHA256SUMS, into
OUT/release/<market>/ (or --to). Held deliveries are never packed; OUT/release/<market>.json lists
them with their reasons. The gate is set in localize.toml ([release], [release.<market>]):

  localize release out/ --market es-419
  localize release out/ --market es-419 --to /mnt/handoff/es-419"""


def cmd_release(args: argparse.Namespace) -> int:
    from localize.release import RELEASE, pack

    folder, episodes = pack(args.out, args.market, args.to)
    manifest = json.loads((args.out / RELEASE / f"{args.market}.json").read_text(encoding="utf-8"))
    print(f"packed {len(episodes)} deliveries into {folder}: {', '.join(episodes) or 'none'}")
    for row in manifest["held"]:
        print(f"held {row['episode']}: {'; '.join(row['reasons'])}")
    return 0


def print_release(released: dict[str, Any]) -> None:
    """One line per market after a run: how many deliveries were released, and why the others were held."""
    for market, verdicts in released.items():
        passed = [v for v in verdicts if v.released]
        print(f"release {market}: {len(passed)} of {len(verdicts)} released"
              + "".join(f"; {v.episode} held ({v.reasons[0]})" for v in verdicts if not v.released))


def print_manifests(out: Path, markets: list[str]) -> None:
    """The same lines from the manifests the last run wrote (a run with nothing to do)."""
    from localize.release import RELEASE

    for market in markets:
        try:
            manifest = json.loads((out / RELEASE / f"{market}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        total = len(manifest["released"]) + len(manifest["held"])
        print(f"release {market}: {len(manifest['released'])} of {total} released"
              + "".join(f"; {row['episode']} held ({row['reasons'][0]})" for row in manifest["held"]))


def add_release_parser(sub: Any) -> None:
    release = sub.add_parser("release", help="pack what passed a market's release gate, with checksums",
                             description=RELEASE_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    release.add_argument("out", type=Path, help="the --out folder of a season run")
    release.add_argument("--market", required=True, help="the market to pack (en-US, es-419...)")
    release.add_argument("--to", type=Path, help="where to put the files (default: OUT/release/<market>/)")
    release.set_defaults(func=cmd_release)
