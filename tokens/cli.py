"""The ``glyphveil`` command: ``keygen | encode TEXT | decode TOKEN | protect DIR | serve``.

``python -m tokens`` runs the same commands but ``serve``. The helper never imports the
service: ``serve`` runs the command that the ``glyphveil-server`` distribution registers
under the entry point group ``glyphveil.commands``, and says what to install without it.
"""

from __future__ import annotations

import argparse
import codecs
import json
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import Literal, TextIO, cast

from .api import decode, encode, image_url
from .errors import KeyConfigError, OptionError, TokenError
from .keys import generate_key
from .options import FONTS, PADDING_RANGE, SIZE_RANGE, Noise

__all__ = ["COMMANDS_GROUP", "main"]

#: The entry point group where other distributions add commands (``glyphveil-server``:
#: ``serve``); each is called as ``command(argv, prog="glyphveil serve")``.
COMMANDS_GROUP = "glyphveil.commands"


def _parser(prog: str, *, serve: bool) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Mint and read glyphveil tokens.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    if serve:
        commands.add_parser(
            "serve", help="run the image service (flags: glyphveil serve --help)", add_help=False
        )
    commands.add_parser("keygen", help="print a new random key")
    enc = commands.add_parser("encode", help="print the token (or URL) for TEXT")
    enc.add_argument("text", metavar="TEXT")
    enc.add_argument("--font", choices=FONTS, default="sans")
    enc.add_argument(
        "--size",
        type=int,
        default=16,
        metavar="PX",
        help=f"{SIZE_RANGE.start}-{SIZE_RANGE.stop - 1} (default 16)",
    )
    enc.add_argument("--color", default="#222222", metavar="C", help="hex or CSS name")
    enc.add_argument("--background", default="#ffffff", metavar="C|transparent")
    enc.add_argument("--noise", choices=[str(n) for n in Noise], default="medium")
    enc.add_argument(
        "--padding",
        type=int,
        default=4,
        metavar="PX",
        help=f"{PADDING_RANGE.start}-{PADDING_RANGE.stop - 1} (default 4)",
    )
    enc.add_argument("--ttl", type=float, metavar="SECONDS", help="expire after this long")
    enc.add_argument("--url", metavar="BASE", help="print BASE/t/<token>.png instead")
    dec = commands.add_parser("decode", help="print a token's payload as JSON")
    dec.add_argument("token", metavar="TOKEN")
    _add_protect(commands)
    return parser


def _add_protect(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``protect DIR --url BASE``: the static-site rewriter (:mod:`tokens.static_site`)."""
    protect = commands.add_parser(
        "protect", help="replace emails, phone numbers and marked text in a folder of HTML files"
    )
    protect.add_argument("folder", metavar="DIR", type=Path)
    protect.add_argument("--url", required=True, metavar="BASE", help="where the service answers")
    protect.add_argument("--out", type=Path, metavar="OUT", help="write here instead of in place")
    protect.add_argument("--region", metavar="CC", help="for numbers without +: GB, US, DE, ...")
    protect.add_argument("--phone-leniency", choices=["valid", "possible"], default="valid")
    protect.add_argument("--code", action="store_true", help="rewrite inside pre and code too")
    protect.add_argument("--reveal", action="store_true", help="mint revealable tokens")
    protect.add_argument("--noise", choices=[str(n) for n in Noise], default="medium")
    protect.add_argument("--font", choices=FONTS, default="sans")
    protect.add_argument(
        "--compact",
        choices=["inline", "always", "never"],
        default="inline",
        help="draw values compact: inside running text (default), all, or none",
    )
    protect.add_argument(
        "--dark", action="store_true", help="offer light images to dark colour schemes"
    )


#: ``--compact`` as :class:`tokens.rewrite.Rewriter` takes it.
_COMPACT: dict[str, Literal["inline"] | bool] = {"inline": "inline", "always": True, "never": False}


def _protect(args: argparse.Namespace) -> int:
    """Run ``protect``: one line per HTML file that changed or failed, then the totals."""
    try:
        from .rewrite import Rewriter
        from .static_site import protect_tree
    except ImportError as exc:
        print(f"glyphveil protect: {exc}", file=sys.stderr)
        return 2
    if not args.folder.is_dir():
        print(f"glyphveil protect: {args.folder} is not a folder", file=sys.stderr)
        return 2
    rewriter = Rewriter(
        args.url,
        region=args.region,
        phone_leniency=args.phone_leniency,
        code=args.code,
        reveal=args.reveal,
        noise=args.noise,
        font=args.font,
        compact=_COMPACT[args.compact],
        dark=args.dark or None,
    )
    files = changed = failed = 0
    for done in protect_tree(args.folder, rewriter, args.out):
        files += 1
        if done.error is not None:
            failed += 1
            print(f"{done.path}: error: {done.error} (left as it was)")
        elif done.result is not None and (done.result.changed or done.result.left):
            changed += done.result.changed
            print(f"{done.path}: {done.result.summary()}")
    print(f"{files} HTML files: {changed} rewritten, {files - changed - failed} unchanged", end="")
    print(f", {failed} failed" if failed else "")
    return 1 if failed else 0


def _utf8(stream: TextIO) -> bool:
    """Whether ``stream`` takes any text; JSON escapes the rest (``\\u00e9``) when not."""
    return codecs.lookup(stream.encoding or "ascii").name == "utf-8"


def _serve(prog: str, argv: Sequence[str]) -> int:
    found = entry_points(group=COMMANDS_GROUP, name="serve")
    if not found:
        print(
            f"{prog}: the service is not installed: install the glyphveil-server "
            "distribution (`make dist` builds its wheel; README.md, Install)",
            file=sys.stderr,
        )
        return 2
    serve = cast(Callable[..., int], next(iter(found)).load())
    return serve(list(argv), prog=prog)


def main(argv: Sequence[str] | None = None, *, prog: str = "glyphveil") -> int:
    """Run the CLI; returns the exit status (1: token rejected, 2: bad arguments or keys).

    ``prog`` ``glyphveil`` (the console script) has ``serve`` too.
    """
    arguments = list(sys.argv[1:] if argv is None else argv)
    with_serve = prog == "glyphveil"
    if with_serve and arguments[:1] == ["serve"]:
        return _serve(f"{prog} serve", arguments[1:])
    parser = _parser(prog, serve=with_serve)
    args = parser.parse_args(arguments)
    try:
        if args.command == "protect":
            return _protect(args)
        if args.command == "keygen":
            print(generate_key())
        elif args.command == "encode":
            options = {
                "font": args.font,
                "size": args.size,
                "color": args.color,
                "background": args.background,
                "noise": args.noise,
                "padding": args.padding,
            }
            if args.url is not None:  # "" gives a root-relative URL: /t/<token>.png
                print(image_url(args.text, args.url, ttl=args.ttl, **options))
            else:
                print(encode(args.text, ttl=args.ttl, **options))
        else:
            print(json.dumps(decode(args.token).to_dict(), ensure_ascii=not _utf8(sys.stdout)))
    except (OptionError, KeyConfigError) as exc:
        parser.exit(2, f"{parser.prog}: error: {exc}\n")
    except TokenError as exc:
        print(f"{parser.prog}: {exc}", file=sys.stderr)
        return 1
    return 0
