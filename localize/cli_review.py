"""`localize review OUT`: the review page, a web app a QA reviewer opens in a browser.

Thin: the app is localize.review.app. `add_review_parser(sub)` is called by `localize.cli.build_parser`.
"""

from __future__ import annotations

import argparse
import secrets
from pathlib import Path

LOOPBACK = ("127.0.0.1", "localhost", "::1")

REVIEW_HELP = """\
Review a season run in a browser: a grid of every episode and market with its status, and for each
delivery the 9:16 preview with its subtitles, the Chinese line beside its translation (flagged lines
first, a frame of each), and buttons to approve it or send it back with a comment.

Edit a translation and save: it is stored as an approved post-edit in the run's translation memory
(as `localize kit import` does) and that episode's subtitles, dub and preview are made again in the
background (no speech recognition, no other line translated again); the page shows the new findings.
An approved delivery is kept by later runs (`localize run --force` makes it again).

  localize review out/                        http://127.0.0.1:8765/
  localize review out/ --host 0.0.0.0         for colleagues on the network: a token is printed, needed to open it

On loopback (the default) no token is needed; bound to any other address every request needs the
printed token (the first visit sets a cookie)."""


def cmd_review(args: argparse.Namespace) -> int:
    import uvicorn

    from localize.review.app import create_app

    token = None if args.host in LOOPBACK else (args.token or secrets.token_urlsafe(24))
    app = create_app(args.out, token)
    host = f"[{args.host}]" if ":" in args.host else args.host
    address = f"http://{host}:{args.port}/" + (f"?token={token}" if token else "")
    print(f"reviewing {args.out} at {address}  (Ctrl+C stops)", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


def add_review_parser(sub: argparse._SubParsersAction) -> None:
    review = sub.add_parser("review", help="review a season in a browser: watch, fix lines, approve",
                            description=REVIEW_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    review.add_argument("out", type=Path, help="the --out folder of a season run")
    review.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback only)")
    review.add_argument("--port", type=int, default=8765, help="port (default: 8765)")
    review.add_argument("--token", help="the token to require off loopback (default: a new random one)")
    review.set_defaults(func=cmd_review)
