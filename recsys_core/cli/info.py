"""``info PATH``: a one-screen summary of a dataset."""

from __future__ import annotations

from ..data.io import load_path, parse_mapping_arg
from .common import write_json


def add_parser(sub):
    p = sub.add_parser("info", help="summarise a ratings file or folder")
    p.add_argument("path", help="CSV/TSV file, MovieLens folder or CineLens dataset folder")
    p.add_argument("--json", metavar="OUT", help="write the summary as JSON to OUT ('-' for stdout)")
    return p


def run(args) -> int:
    ds = load_path(args.path, mapping=parse_mapping_arg(getattr(args, "map", None)))
    s = ds.summary()
    s["path"] = str(args.path)
    if args.json:
        write_json(s, args.json)
        return 0
    width = max(len(k) for k in s)
    for k, v in s.items():
        if isinstance(v, float):
            v = f"{v:.4f}"
        print(f"{k:<{width}}  {v}")
    return 0
