"""`localize dub script|import`: voice actors' takes (the work is in localize.takes).

`add_dub_parser(sub)` is called by `localize.cli.build_parser`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

DUB_HELP = """\
Recorded takes for a market's dub.

  localize dub script out/ --market es-419          out/takes/es-419/script.csv and script.html
  localize dub import takes/ --out out/ --market es-419

The script lists, per character, each line's id (<episode>:<line number>, as in the post-edit kit),
the file name its take must have (<episode>_<line, 4 digits>.wav: ep01_0003.wav for ep01:3), the
timecode, the longest the take may run (its slot), the translation, the Chinese line and the character.
Import trims each take's silence, fits it by the dub's rules (too long: sped up to the market's
limit, then flagged, never cut silently), and re-renders the market's dub, preview and QA report of
each episode with takes; lines without a take keep the synthetic voice and are flagged."""


def cmd_dub_script(args: argparse.Namespace) -> int:
    from localize.takes import export_script

    lines, files = export_script(args.out, args.market, args.to)
    characters = len({s.character for s in lines})
    for path in files:
        print(f"wrote {path}: {len(lines)} lines for {characters} characters", file=sys.stderr)
    return 0


def cmd_dub_import(args: argparse.Namespace) -> int:
    from localize.plugins import load_plugins
    from localize.takes import import_takes

    load_plugins()  # the run's engine or voice may be a plugin's
    result = import_takes(args.takes, args.out, args.market, force=args.force,
                          on_step=None if args.quiet else (lambda step: print(step, file=sys.stderr)))
    print(f"{result.takes} takes dubbed into {result.market} of {len(result.episodes)} episodes: "
          f"{', '.join(result.episodes)}")
    for episode, missing in result.missing.items():
        if missing:
            print(f"{episode}: no take for lines {', '.join(str(i + 1) for i in missing)} (synthetic voice, flagged)")
    for name in result.ignored:
        print(f"{name}: ignored, the dub does not speak that line")
    return 0


def add_dub_parser(sub: Any) -> None:
    """`localize dub script|import` under the main parser's subcommands."""
    dub = sub.add_parser("dub", help="recorded takes: export a script per character, import the takes",
                         description=DUB_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = dub.add_subparsers(dest="dub_command", required=True, metavar="COMMAND")
    script = commands.add_parser("script", help="write the market's recording script (CSV and printable HTML)")
    script.add_argument("out", type=Path, metavar="OUT", help="the --out folder of a season run")
    script.add_argument("--market", required=True, help="market code, e.g. es-419")
    script.add_argument("--to", type=Path, metavar="DIR", help="folder for script.csv/.html (default OUT/takes/M)")
    script.set_defaults(func=cmd_dub_script)
    imp = commands.add_parser("import", help="dub the market with recorded takes and re-render")
    imp.add_argument("takes", type=Path, metavar="TAKES_DIR", help="folder of <episode>_<line>.wav files")
    imp.add_argument("--out", type=Path, required=True, metavar="OUT", help="the season run's --out folder")
    imp.add_argument("--market", required=True, help="market code, e.g. es-419")
    imp.add_argument("--force", action="store_true", help="re-render even over delivery files edited by hand")
    imp.add_argument("-q", "--quiet", action="store_true", help="no line per stage")
    imp.set_defaults(func=cmd_dub_import)
