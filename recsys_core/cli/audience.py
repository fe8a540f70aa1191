"""``audience PATH --item ID``: rank the users most likely to watch and like a film;
``audience PATH --evaluate``: the offline lift benchmark (hide half of a film's likers)."""

from __future__ import annotations

import sys
from pathlib import Path

from ..app import Lab
from ..audit import default_who, log_export
from ..data.export import write_export
from ..data.io import load_path, parse_mapping_arg
from ..errors import UserError
from ..profiling.audience import (
    audience_export_frame,
    available_models,
    evaluate_lift,
    make_scorer,
    pseudonymise,
    write_audience,
)
from ..store import default_path
from .common import write_json


def add_parser(sub):
    p = sub.add_parser("audience", help="target audience of a film, or the offline lift benchmark")
    p.add_argument("path", help="CSV/TSV file, MovieLens folder or CineLens dataset folder")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--item", metavar="ID", help="the film to find an audience for")
    g.add_argument("--genres", help="describe a new film: comma-separated genres (cold start)")
    g.add_argument("--evaluate", action="store_true", help="run the offline lift benchmark")
    p.add_argument("--keywords", default="", help="with --genres: comma-separated keywords of the new film")
    p.add_argument(
        "--model",
        default="auto",
        help="scorer: auto (the best whose cost envelope fits the data and the memory budget: ease, else neighbour), "
        "neighbour, popularity, random, or a registry model",
    )
    p.add_argument("--top", type=int, default=100, help="keep the best N users (default 100)")
    p.add_argument("--threshold", type=float, help="keep users whose score is at least this")
    p.add_argument(
        "--out",
        metavar="FILE",
        help="write the audience to FILE.csv or FILE.parquet, in chunks (user ids pseudonymised)",
    )
    p.add_argument("--raw-ids", action="store_true", help="write raw user ids instead of pseudonyms")
    p.add_argument(
        "--workspace", help="workspace folder holding the pseudonym secret (default $CINELENS_WORKSPACE or ./workspace)"
    )
    p.add_argument("--items", type=int, default=20, help="--evaluate: number of films sampled (default 20)")
    p.add_argument("--min-likers", type=int, default=30, help="--evaluate: films need at least this many likers")
    p.add_argument(
        "--protocol",
        choices=("one-fit", "per-film"),
        default="one-fit",
        help="--evaluate: hide all sampled films' likers at once and fit once (default), or refit per film",
    )
    p.add_argument("--compare", default="", help="--evaluate: extra comma-separated scorers to report, e.g. svd")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", metavar="OUT", help="write the result as JSON to OUT ('-' for stdout)")
    return p


def _check_model(name: str) -> str:
    try:
        make_scorer(name)
    except ValueError:
        raise UserError(f"unknown --model {name!r}; choose from: auto, {', '.join(available_models())}") from None
    return name


def run(args) -> int:
    _check_model(args.model)
    if args.top is not None and args.top < 1:
        raise UserError("--top must be at least 1")
    ds = load_path(args.path, mapping=parse_mapping_arg(getattr(args, "map", None)))
    if ds.ratings.empty:
        raise UserError(f"{args.path}: no ratings; a target audience needs rated films")
    if args.evaluate:
        return _evaluate(args, ds)
    extra = [m.strip() for m in args.compare.split(",") if m.strip()]
    if extra:
        raise UserError("--compare only applies with --evaluate")
    if args.item is not None:
        res = Lab().audience(
            ds, item_id=args.item, model=args.model, top=args.top, threshold=args.threshold, seed=args.seed
        )
    else:
        genres = [g.strip() for g in args.genres.replace("，", ",").split(",") if g.strip()]
        kws = [k.strip() for k in args.keywords.replace("，", ",").split(",") if k.strip()]
        res = Lab().audience(
            ds, genres=genres, keywords=kws, model=args.model, top=args.top, threshold=args.threshold, seed=args.seed
        )
    table = res.table
    what = f"film {res.item_id}" if res.item_id else "the described film"
    human = sys.stderr if args.json == "-" else sys.stdout  # keep stdout pure JSON with --json -
    print(f"audience of {what}: {len(table)} of {res.pool_size} candidate users (model {res.model})", file=human)
    for r in table.head(10).itertuples():
        print(f"  {r.rank:>5}  {r.user_id:>12}  {r.score:.4f}", file=human)
    secret = None
    if (args.out or args.json) and not args.raw_ids:
        from ..store import open_workspace

        secret = open_workspace(args.workspace).secret("pseudonym")
    if args.out:
        if args.out.lower().endswith((".csv", ".parquet", ".pq")):  # streamed in chunks of users
            write_audience(table, args.out, secret, pseudonymise_ids=not args.raw_ids)
        else:
            write_export(audience_export_frame(table, secret, not args.raw_ids), args.out)
        log_export(
            args.workspace or default_path(), default_who(), f"audience of {what}", len(table),
            not args.raw_ids, Path(args.out).suffix.lstrip(".").lower() or "csv", str(args.out),
        )  # fmt: skip
        print(f"wrote {args.out} ({'raw ids' if args.raw_ids else 'pseudonymised ids'})", file=human)
    if args.json:
        users = table.copy()
        if not args.raw_ids:
            users["user_id"] = pseudonymise(users["user_id"], secret)
            users = users.rename(columns={"user_id": "user_pseudonym"})
        write_json(
            {
                "item_id": res.item_id,
                "model": res.model,
                "pool": res.pool_size,
                "pseudonymised": not args.raw_ids,
                "users": users.to_dict("records"),
            },
            args.json,
        )
    return 0


def _evaluate(args, ds) -> int:
    if args.items < 1:
        raise UserError("--items must be at least 1")
    extra = [m.strip() for m in args.compare.split(",") if m.strip()]
    for m in extra:
        _check_model(m)

    def progress(k, n, label):
        if label:
            what = f"film {label}" if args.protocol == "per-film" else f"fitting {label}"
            print(f"[{k + 1}/{n}] {what}", file=sys.stderr)

    res = evaluate_lift(
        ds,
        n_items=args.items,
        model=args.model,
        seed=args.seed,
        min_likers=args.min_likers,
        extra_models=extra,
        progress=progress,
        protocol=args.protocol,
    )
    human = sys.stderr if args.json == "-" else sys.stdout  # keep stdout pure JSON with --json -
    print(f"films {res['items']}  model {res['model']}  protocol {res['protocol']}", file=human)
    print(f"  lift@10%             {res['lift_at_10pct']:.3f}", file=human)
    print(f"  popularity lift@10%  {res['popularity_lift_at_10pct']:.3f}", file=human)
    print(f"  random lift@10%      {res['random_lift_at_10pct']:.3f}", file=human)
    for m in extra:
        print(f"  {m + ' lift@10%':<20} {res[f'{m}_lift_at_10pct']:.3f}", file=human)
    if args.json:
        write_json(res, args.json)
    return 0
