"""`localize cast OUT`: the season's characters and the voice each market gives them; rename, recast.

Thin: the work is in localize.speakers.registry and localize.dub.voices.
`add_cast_parser(sub)` is called by `localize.cli.build_parser`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from localize.errors import UserError

if TYPE_CHECKING:
    from localize.dub.voices import VoiceOption
    from localize.markets import Market

CAST_HELP = """\
OUT/characters.json is written by `localize run`: one entry per recurring voice of the season
(named from the studio's script, else "Speaker 1"...), its pitch and the gender/age hints read
from it, the lines it speaks per episode, and per market the voice cast for it, kept so a
character sounds the same in every episode. Edit the file by hand or with these options; a run
keeps what a person set. Voice ids per market: `localize cast OUT --voices MARKET`.

Listen before casting: `--listen DIR` writes one short line of the market's language in each
voice, as WAV files (with --voices MARKET: every voice the market offers, DIR/<voice id>.wav;
without: each character's cast voice, DIR/<market>/<character>.wav)."""


def _split(value: str, sep: str, shape: str) -> tuple[str, str]:
    left, found, right = value.partition(sep)
    if not found or not left.strip() or not right.strip():
        raise UserError(f"{value!r}: expected {shape}")
    return left.strip(), right.strip()


def cmd_cast(args: argparse.Namespace) -> int:
    from localize.dub.voices import find_voice, market_voices
    from localize.markets import get_market
    from localize.speakers.registry import CharacterRegistry

    if args.voices:
        market = get_market(args.voices)
        options = market_voices(market)
        for option in options:
            print(f"{option.id}\t{option.gender}")
        if args.listen:
            _listen(market, [(o.id, o) for o in options], args.listen)
        return 0
    registry = CharacterRegistry.in_folder(args.out)
    if not registry.path.is_file():
        raise UserError(f"{registry.path}: no character registry (run `localize run` with --out {args.out} first)")
    for rename in args.rename:
        old, new = _split(rename, "=", '"OLD NAME=NEW NAME"')
        registry.rename(old, new)
    for assignment in args.voice:
        who, voice_id = _split(assignment, "=", '"NAME:MARKET=VOICE"')
        name, market_code = _split(who, ":", '"NAME:MARKET=VOICE"')
        registry.find(name)
        market = get_market(market_code)
        registry.set_voice(name, market.code, find_voice(market, voice_id).id)
    characters = registry.characters()
    if args.listen:
        for code in sorted({m for c in characters for m in c.voices}):
            market = get_market(code)
            cast = [(c.name, find_voice(market, c.voices[code])) for c in characters if code in c.voices]
            _listen(market, cast, args.listen / market.code)
        return 0
    if args.format == "json":
        print(json.dumps([{k: v for k, v in vars(c).items() if k != "voiceprint"} for c in characters],
                         ensure_ascii=False, indent=1, default=list))
        return 0
    print(f"{registry.path}: {len(characters)} characters")
    for c in characters:
        pitch = f"{c.f0_hz:.0f} Hz" if c.f0_hz else "pitch ?"
        aka = f" (was {', '.join(c.aliases)})" if c.aliases else ""
        print(f"- {c.name}{aka} [{c.named_by}] {c.gender}, {c.age}, {pitch}, {c.speech_ms / 1000:.1f} s of speech")
        print("    lines: " + (", ".join(f"{ep} {n}" for ep, n in sorted(c.lines.items())) or "none"))
        print("    voices: " + (", ".join(f"{m} {v}" for m, v in sorted(c.voices.items())) or "not cast yet"))
    return 0


def _listen(market: Market, voices: list[tuple[str, VoiceOption]], folder: Path) -> None:
    from localize.dub.audition import sample_line, write_auditions

    print(f"{market.code}: {len(voices)} voices say {sample_line(market)!r} into {folder}/", file=sys.stderr)
    write_auditions(market, voices, folder, on_written=lambda path: print(path, file=sys.stderr))


def add_cast_parser(sub: argparse._SubParsersAction) -> None:
    cast = sub.add_parser("cast", help="show and edit the season's characters and their voices",
                          description=CAST_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    cast.add_argument("out", type=Path, metavar="OUT", help="the --out folder of `localize run`")
    cast.add_argument("--rename", action="append", default=[], metavar='"OLD=NEW"',
                      help='rename a character, e.g. --rename "Speaker 2=陈默" (repeatable)')
    cast.add_argument("--voice", action="append", default=[], metavar='"NAME:MARKET=VOICE"',
                      help='cast a voice, e.g. --voice "陈默:en-US=espeak:en-us+m3" (repeatable)')
    cast.add_argument("--voices", metavar="MARKET", help="list the voice ids a market can cast, and exit")
    cast.add_argument("--listen", type=Path, metavar="DIR",
                      help="write a short line in each voice (with --voices: every voice of that market; "
                           "else each character's cast voice) as WAV files into DIR")
    cast.add_argument("--format", choices=("text", "json"), default="text", help="output (default: %(default)s)")
    cast.set_defaults(func=cmd_cast)
