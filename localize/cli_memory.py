"""`localize memory ...`: look into the translation memory, and load translators' approved pairs.

The commands are thin: the work is in localize.translate.memory.
`add_memory_parser(sub)` is called by `localize.cli.build_parser`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from localize.errors import UserError

MEMORY_HELP = """\
The translation memory is one SQLite file shared by every season run that uses it: the
engine's checked outputs ("machine") and translators' post-edits ("approved"). A season
run reuses an approved translation of the same Chinese line as is, and shows close
approved pairs to the engine as examples.

Where it is: [memory] path in localize.toml, else $LOCALIZE_MEMORY, else
localize-memory.sqlite beside the delivery folder (`--out out/s1` -> out/localize-memory.sqlite),
so seasons delivered side by side share one memory. These commands default to
$LOCALIZE_MEMORY, else ./localize-memory.sqlite."""


def _path(arg: Path | None) -> Path:
    from localize.translate.memory import default_memory_path

    return arg if arg is not None else default_memory_path()


def cmd_memory_stats(args: argparse.Namespace) -> int:
    from localize.translate.memory import TranslationMemory

    path = _path(args.path)
    if not path.is_file():
        raise UserError(f"{path}: no translation memory here (give its path, or set $LOCALIZE_MEMORY)")
    stats = TranslationMemory(path).stats()
    print(f"{stats.path}: {stats.entries} entries ({stats.approved} approved, {stats.machine} machine), "
          f"{stats.size_bytes / 1e6:.1f} MB")
    for market in stats.markets:
        print(f"  {market.market:<8} {market.approved:>7} approved {market.machine:>8} machine")
    return 0


def cmd_memory_import(args: argparse.Namespace) -> int:
    from localize.markets import get_market
    from localize.translate.memory import APPROVED, Entry, TranslationMemory, read_pairs_tsv

    market = get_market(args.market)  # an unknown code lists the markets
    pairs = read_pairs_tsv(args.file)
    path = _path(args.memory)
    written = TranslationMemory(path).add(
        Entry(source, target, market.code, APPROVED, engine=args.by, series=args.series)
        for source, target in pairs)
    print(f"{path}: {written} approved pairs for {market.code} from {args.file}", file=sys.stderr)
    return 0


def add_memory_parser(sub: Any) -> None:
    """`localize memory stats|import-tsv` under the main parser's subcommands."""
    memory = sub.add_parser("memory", help="the translation memory: statistics, import approved pairs",
                            description=MEMORY_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = memory.add_subparsers(dest="memory_command", required=True, metavar="COMMAND")
    stats = commands.add_parser("stats", help="entries per market, approved and machine")
    stats.add_argument("path", type=Path, nargs="?", metavar="PATH",
                       help="the memory file (default $LOCALIZE_MEMORY, else ./localize-memory.sqlite)")
    stats.set_defaults(func=cmd_memory_stats)
    imp = commands.add_parser("import-tsv", help="add approved pairs from a 2-column TSV (source, target)",
                              description="Add approved translations from a TSV file: Chinese source<TAB>target "
                              "per row (UTF-8, or UTF-16 as Excel saves it); an optional source<TAB>target "
                              "header, blank lines and # comments are skipped. An approved pair is used as is "
                              "for the same Chinese line in later runs.")
    imp.add_argument("file", type=Path, metavar="FILE")
    imp.add_argument("--market", required=True, help="market code of the targets, e.g. en-US")
    imp.add_argument("--memory", type=Path, metavar="PATH",
                     help="the memory file (default $LOCALIZE_MEMORY, else ./localize-memory.sqlite)")
    imp.add_argument("--series", default="", help="series name recorded with each pair")
    imp.add_argument("--by", default="import-tsv", help="who or what approved them, recorded with each pair")
    imp.set_defaults(func=cmd_memory_import)
