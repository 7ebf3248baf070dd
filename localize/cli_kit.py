"""`localize kit export|import`: the post-editing round trip (XLIFF 2.0 for CAT tools, CSV for spreadsheets).

The commands are thin: the work is in localize.kit. `add_kit_parser(sub)` is called by
`localize.cli.build_parser`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

KIT_HELP = """\
Post-editing: export a market's lines of a season run, edit the targets in a CAT tool (XLIFF 2.0)
or a spreadsheet (CSV), import the file back.

  localize kit export out/ --market en-US          out/kit/en-US.xlf and out/kit/en-US.csv
  localize kit import out/kit/en-US.xlf --reviewer anna

Each line carries its id (<episode>:<line number>), the Chinese source, the machine translation,
times, speaker, the cue's character limit, the seconds the dub has, and its QA flags. Edit only
the target. Import stores every changed target as an approved translation in the translation
memory the run used, then redoes that market's subtitles, dub, preview and QA report for the
episodes concerned: no speech recognition again, no engine call for the lines left as they were."""


def cmd_kit_export(args: argparse.Namespace) -> int:
    from localize.kit import export_kit
    from localize.translate.kit_format import parse_line_id

    kit, files = export_kit(args.out, args.market, fmt=args.format, to=args.to, force=args.force)
    episodes = len({(parse_line_id(line.id) or (line.id, 0))[0] for line in kit.lines})
    for path in files:
        print(f"wrote {path}: {len(kit.lines)} lines of {episodes} episodes, zh -> {kit.market}", file=sys.stderr)
    return 0


def cmd_kit_import(args: argparse.Namespace) -> int:
    from localize.kit import import_kit, summary
    from localize.plugins import load_plugins

    load_plugins()  # the run's engine may be a plugin's
    result = import_kit(args.file, out_dir=args.out, market=args.market, reviewer=args.reviewer, force=args.force,
                        on_step=None if args.quiet else (lambda step: print(step, file=sys.stderr)))
    for line in summary(result):
        print(line)
    return 0


def add_kit_parser(sub: Any) -> None:
    """`localize kit export|import` under the main parser's subcommands."""
    kit = sub.add_parser("kit", help="post-editing kits: export lines as XLIFF/CSV, import the edits",
                         description=KIT_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = kit.add_subparsers(dest="kit_command", required=True, metavar="COMMAND")
    export = commands.add_parser("export", help="write a market's lines of a season as XLIFF 2.0 and/or CSV")
    export.add_argument("out", type=Path, metavar="OUT", help="the --out folder of a season run")
    export.add_argument("--market", required=True, help="market code, e.g. en-US")
    export.add_argument("--to", type=Path, metavar="FILE_OR_DIR",
                        help="a file, or a folder for <market>.xlf/.csv (default: OUT/kit/)")
    export.add_argument("--format", choices=("xliff", "csv", "both"), default="both",
                        help="xliff (CAT tools), csv (spreadsheets; UTF-8 with BOM) or both (default)")
    export.add_argument("--force", action="store_true", help="overwrite an existing kit file")
    export.set_defaults(func=cmd_kit_export)
    imp = commands.add_parser("import", help="approve a kit's edited lines and re-render what they change")
    imp.add_argument("file", type=Path, metavar="FILE", help="the edited .xlf or .csv")
    imp.add_argument("--out", type=Path, metavar="OUT",
                     help="the season's --out folder (default: the one the kit was exported from)")
    imp.add_argument("--market", help="refuse the file unless it is this market's kit")
    imp.add_argument("--reviewer", default="", help="who post-edited, recorded with each approval")
    imp.add_argument("--force", action="store_true", help="re-render even over delivery files edited by hand")
    imp.add_argument("-q", "--quiet", action="store_true", help="no line per stage")
    imp.set_defaults(func=cmd_kit_import)
