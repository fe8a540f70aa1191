"""Command line: ``python -m recsys_core <command> ...``. Errors are one line on stderr, exit code 2."""

from __future__ import annotations

import argparse
import os
import sys

from . import failures
from .cli import load_commands
from .errors import UserError


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, like every other error
        print(f"error: {message} (see --help)", file=sys.stderr)
        raise SystemExit(2)


def _add_map_option(p) -> None:
    """Every command that reads a data file takes --map (as clean always did)."""
    dests = {a.dest for a in p._actions}
    if "path" in dests and "map" not in dests:
        p.add_argument(
            "--map", metavar="FIELD=COL,...", help="column mapping, e.g. user=uid,item=film,rating=score (or col1,...)"
        )


def build_parser():
    parser = _Parser(prog="python -m recsys_core", description="CineLens batch jobs")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    handlers = {}
    for mod in load_commands():
        p = mod.add_parser(sub)
        _add_map_option(p)
        handlers[p.prog.split()[-1]] = mod.run
    return parser, handlers


def main(argv=None) -> int:
    parser, handlers = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(handlers[args.command](args) or 0)
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except (ValueError, KeyError) as e:
        msg = str(e).splitlines()[0] if str(e) else e.__class__.__name__
        print(f"error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 2
    except Exception as e:  # noqa: BLE001 - memory, recursion, disk, database, anything: one line, exit 2
        if os.environ.get("CINELENS_DEBUG"):
            raise
        ws = getattr(args, "workspace", None) or os.environ.get("CINELENS_WORKSPACE")
        error_id = failures.record(e, ws if ws and os.path.isdir(ws) else None, command=args.command)
        print(f"error: {failures.one_line(e, error_id if ws else None)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
