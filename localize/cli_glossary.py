"""`localize glossary ...`: check glossary files, and move them to and from CAT tools as TBX.

The commands are thin: the work is in localize.translate.glossary_check and .tbx_adapter.
`add_glossary_parser(sub)` is called by `localize.cli.build_parser`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from localize.errors import OutputExistsError, UserError

CHECK_HELP = """\
Check glossary files and list every problem with file:line:
  error    the file would stop a season run (columns, unknown kind, empty target,
           one source with two targets, no header, unreadable encoding);
  warning  it loads, but a row looks wrong (a duplicate row, a source without Chinese,
           Chinese or full-width punctuation in a target, a file name that is no market);
  info     worth knowing (the encoding it was read in; a series row that overrides
           the market's glossary).
Exit status: 0 clean, 1 errors or warnings, 2 a file could not be read."""


def cmd_glossary_check(args: argparse.Namespace) -> int:
    from localize.translate.glossary import default_directory
    from localize.translate.glossary_check import check_paths

    market_dir = args.over or default_directory()
    report = check_paths(args.paths or [default_directory()], market_dir if market_dir.is_dir() else None)
    for finding in report.findings:
        print(finding)
    print(report.summary())
    return report.exit_code


def cmd_glossary_export(args: argparse.Namespace) -> int:
    from localize.fsutil import write_bytes_atomic
    from localize.markets import get_market
    from localize.translate.glossary import load_glossary
    from localize.translate.tbx_adapter import export_tbx

    market = get_market(args.market or args.tsv.stem)  # an unknown code lists the markets
    _refuse_overwrite(args.out, args.force)
    glossary = load_glossary(args.tsv)
    write_bytes_atomic(args.out, export_tbx(glossary.entries, market.code))
    print(f"wrote {args.out}: {len(glossary.entries)} entries, zh -> {market.code}", file=sys.stderr)
    return 0


def cmd_glossary_import(args: argparse.Namespace) -> int:
    from localize.fsutil import write_text_atomic
    from localize.markets import get_market
    from localize.translate.glossary import format_glossary, parse_glossary
    from localize.translate.tbx_adapter import import_tbx

    language = get_market(args.market).code if args.market else None
    _refuse_overwrite(args.out, args.force)
    try:
        data = args.tbx.read_bytes()
    except OSError as exc:
        raise UserError(f"{args.tbx}: cannot read ({exc.strerror})") from exc
    imported = import_tbx(data, args.tbx, language)
    text = format_glossary(imported.entries, [f"Imported from {args.tbx.name} ({imported.language}) by "
                                              "`localize glossary import-tbx`; see glossaries/README.md."])
    parse_glossary(text, args.out)  # what is written must load
    write_text_atomic(args.out, text)
    for note in imported.notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"wrote {args.out}: {len(imported.entries)} entries, zh -> {imported.language}", file=sys.stderr)
    return 0


def _refuse_overwrite(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise OutputExistsError(path)


def add_glossary_parser(sub: Any) -> None:
    """The `glossary` command and its subcommands, on the main parser's subparsers."""
    gl = sub.add_parser("glossary", help="check glossaries; import and export TBX for CAT tools",
                        description="Tools for the glossaries translators edit (see glossaries/README.md).")
    gsub = gl.add_subparsers(dest="glossary_command", required=True, metavar="SUBCOMMAND")

    check = gsub.add_parser("check", help="list every problem in glossary files, with file:line",
                            description=CHECK_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    check.add_argument("paths", type=Path, nargs="*", metavar="PATH",
                       help="glossary files or folders of <market>.tsv (default: the project's glossaries/)")
    check.add_argument("--over", type=Path, metavar="DIR",
                       help="market glossaries that checked files are layered over, for override notes "
                            "(default: the project's glossaries/)")
    check.set_defaults(func=cmd_glossary_check)

    export = gsub.add_parser("export-tbx", help="write a glossary as TBX for a CAT tool",
                             description="Write MARKET_TSV as a TBX file: one concept per row, the kind as "
                                         "<descrip type=\"kind\">, the note as <note>, forbidden words as "
                                         "deprecated terms.")
    export.add_argument("tsv", type=Path, metavar="MARKET_TSV", help="a glossary, e.g. glossaries/en-US.tsv")
    export.add_argument("out", type=Path, metavar="OUT.tbx")
    export.add_argument("--market", help="target language (default: the file name, e.g. en-US)")
    export.add_argument("--force", action="store_true", help="overwrite OUT.tbx")
    export.set_defaults(func=cmd_glossary_export)

    imp = gsub.add_parser("import-tbx", help="turn a CAT tool's TBX into a glossary TSV",
                          description="Read the Chinese terms and one target language of a TBX file into a "
                                      "glossary TSV. Terms marked deprecated become forbidden words; what is "
                                      "left out is listed as notes.")
    imp.add_argument("tbx", type=Path, metavar="FILE.tbx")
    imp.add_argument("out", type=Path, metavar="OUT.tsv")
    imp.add_argument("--market", help="the market whose language to import (default: the file's only "
                                      "non-Chinese language)")
    imp.add_argument("--force", action="store_true", help="overwrite OUT.tsv")
    imp.set_defaults(func=cmd_glossary_import)
