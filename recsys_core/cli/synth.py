"""``synth --ratings 10M --out DIR [--users N] [--items N] [--seed S]``: write a realistic synthetic
rating set (long-tail films, heavy-tailed users, taste groups, timestamps) as Parquet, in chunks."""

from __future__ import annotations

import sys
import time

from ..data.synth import SynthSpec, parse_count, write
from ..errors import UserError


def add_parser(sub):
    p = sub.add_parser("synth", help="write a synthetic rating set of a chosen size (Parquet, streamed)")
    p.add_argument("--ratings", required=True, help="number of ratings, e.g. 1M, 10M, 25M, 250k")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (ratings.parquet, movies.csv)")
    p.add_argument("--users", help="number of users (default: MovieLens-25M proportions)")
    p.add_argument("--items", help="number of films (default: MovieLens-25M proportions)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--chunk", default="2M", help="ratings generated and written per chunk (default 2M)")
    return p


def run(args) -> int:
    try:
        n = parse_count(args.ratings)
        users = parse_count(args.users) if args.users else None
        items = parse_count(args.items) if args.items else None
        chunk = parse_count(args.chunk)
        spec = SynthSpec.for_ratings(n, users, items, seed=args.seed)
    except ValueError as e:
        raise UserError(str(e)) from None

    def progress(done, total):
        print(f"\r{done:,} / {total:,} ratings", end="", file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    info = write(spec, args.out, chunk_ratings=chunk, progress=progress)
    print("", file=sys.stderr)
    print(
        f"wrote {info['path']}: {info['ratings']:,} ratings, {info['users']:,} users, {info['items']:,} films "
        f"in {time.perf_counter() - t0:.1f}s"
    )
    return 0
