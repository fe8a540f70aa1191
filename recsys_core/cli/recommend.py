"""``recommend PATH --model NAME (--user ID | --all-users) [--n N] [--json OUT | --out FILE]``: fit on all
ratings, list top-N. ``--out FILE.csv|FILE.parquet`` streams the lists in chunks of users (for catalogues with
millions of ratings: one chunk of lists in memory at a time).

``fit_seconds`` is the model fit; ``recommend_seconds`` covers only producing the lists (the models'
one top-N path, ``recommend_many`` -> ``top_n_inner``, scoring users in blocks of a few thousand),
not loading or fitting.
"""

from __future__ import annotations

import time

from ..data.io import load_path, parse_mapping_arg
from ..data.schema import normalise_id
from ..data.stream import ChunkedTableWriter, format_for
from ..errors import UserError
from ..models import REGISTRY
from ..trainset import Trainset
from .common import write_json
from .params import build_models, parse_models, parse_params


def add_parser(sub):
    p = sub.add_parser("recommend", help="fit one model on all ratings and print top-N lists")
    p.add_argument("path")
    p.add_argument("--model", required=True, help=f"one of: {', '.join(REGISTRY)}")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--user", action="append", metavar="ID", help="a user id (repeatable)")
    who.add_argument("--all-users", action="store_true", help="every user with a rating")
    p.add_argument("--n", type=int, default=10, help="list length (default 10)")
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="MODEL.NAME=VALUE",
        help="a model parameter, e.g. --param svd.n_factors=50 (repeatable)",
    )
    p.add_argument("--include-seen", action="store_true", help="do not drop films the user already rated")
    p.add_argument("--json", metavar="OUT", help="write the lists as JSON ('-' for stdout)")
    p.add_argument(
        "--out",
        metavar="FILE",
        help="write rows user_id, rank, item_id, score to FILE.csv or FILE.parquet, streamed in chunks of users",
    )
    p.add_argument("--chunk-users", type=int, default=10_000, help="users per written chunk (default 10,000)")
    return p


def stream_lists(model, ts, inner_users, n: int, writer, exclude_seen: bool = True, chunk: int = 10_000) -> int:
    """Top-n lists of ``inner_users`` written chunk by chunk as rows (user_id, rank, item_id, score).

    Memory holds one chunk of lists at a time, never every user's list. Returns the rows written.
    """
    import numpy as np
    import pandas as pd

    inner_users = np.asarray(inner_users, dtype=np.int64)
    rows = 0
    for start in range(0, len(inner_users), max(int(chunk), 1)):
        us = inner_users[start : start + chunk]
        top, vals = model.top_n_inner(us, n, exclude_seen, return_scores=True)
        ok = top >= 0
        r, c = np.nonzero(ok)
        frame = pd.DataFrame(
            {
                "user_id": ts.users_raw[us[r]].astype(str),
                "rank": (c + 1).astype(np.int32),
                "item_id": ts.items_raw[top[r, c]].astype(str),
                "score": vals[r, c].astype(float),
            }
        )
        writer.write(frame)
        rows += len(frame)
    return rows


def batched_lists(model, users: list[str], n: int, exclude_seen: bool = True) -> dict:
    """{user: [(item, score), ...]}: top-N and their scores from the model's blockwise batch top-N."""
    return model.recommend_many(users, n, exclude_seen)


def run(args) -> int:
    names = parse_models(args.model)
    if len(names) != 1:
        raise UserError("--model takes one name; use evaluate to compare several")
    name = names[0]
    if args.n < 1:
        raise UserError("--n must be at least 1")
    if args.out and args.json:
        raise UserError("--out and --json both write the lists; pick one")
    if args.chunk_users < 1:
        raise UserError("--chunk-users must be at least 1")
    if args.out:
        format_for(args.out)  # a bad file name fails before loading and fitting
    model = build_models(names, parse_params(args.param, names))[name]
    ds = load_path(args.path, mapping=parse_mapping_arg(getattr(args, "map", None)))
    if ds.ratings.empty:
        raise UserError(f"{args.path} has no ratings to learn from")
    ts = Trainset.from_dataset(ds)
    if args.all_users:
        users = [str(u) for u in ts.users_raw]
    else:
        users = []
        for raw in args.user:
            u = normalise_id(raw)
            u = str(u) if u is not None else str(raw)
            if not ts.knows_user(u):
                raise UserError(f"user {raw!r} has no ratings in {args.path}; pick a user id from its user column")
            users.append(u)
    t0 = time.perf_counter()
    try:
        model.fit(ts)
    except (ValueError, TypeError, RuntimeError, ArithmeticError) as e:
        raise UserError(f"{name} could not be fitted: {(str(e).splitlines() or [type(e).__name__])[0]}") from None
    fit_s = time.perf_counter() - t0
    if args.out:
        return _run_streamed(args, name, model, ts, users, fit_s)
    t0 = time.perf_counter()
    recs = batched_lists(model, users, n=args.n, exclude_seen=not args.include_seen)
    rec_s = time.perf_counter() - t0
    result = {
        "model": name,
        "params": model.get_params(),
        "fit_seconds": fit_s,
        "recommend_seconds": rec_s,
        "users": len(users),
        "n": args.n,
        "recommendations": {u: [[item, float(score)] for item, score in recs[u]] for u in users},
    }
    if args.json:
        write_json(result, args.json, note=f": {len(users)} users, fit {fit_s:.3f}s, recommend {rec_s:.3f}s")
        return 0
    titles = ds.item_titles()
    for u in users:
        items = ", ".join(f"{titles.get(i, i)} ({s:.3f})" for i, s in recs[u])
        print(f"{u}\t{items}")
    print(f"# {name}: {len(users)} users, fit {fit_s:.3f}s, recommend {rec_s:.3f}s")
    return 0


def _run_streamed(args, name, model, ts, users, fit_s) -> int:
    inner = ts.inner_uids(users)
    t0 = time.perf_counter()
    with ChunkedTableWriter(args.out, columns=["user_id", "rank", "item_id", "score"]) as w:
        rows = stream_lists(model, ts, inner, args.n, w, exclude_seen=not args.include_seen, chunk=args.chunk_users)
    rec_s = time.perf_counter() - t0
    print(
        f"wrote {args.out}: {rows:,} rows for {len(users):,} users in {w.chunks} chunks "
        f"({name}: fit {fit_s:.3f}s, recommend {rec_s:.3f}s)"
    )
    return 0
