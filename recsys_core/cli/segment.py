"""``segment PATH [--k auto|N]``: cluster users into audience segments and name their personas."""

from __future__ import annotations

import sys

from ..app import Lab
from ..data.io import load_path, parse_mapping_arg
from ..errors import UserError
from ..profiling.segments import ALGORITHMS, personas_summary
from .common import write_json


def _named(summary: dict) -> dict:
    """A persona summary with its names in both languages, worded from the app's locale catalogue."""
    from ui.sentences import persona_name

    zh, en = persona_name(summary, "zh"), persona_name(summary, "en")
    return {**summary, "name": f"{zh} / {en}", "name_zh": zh, "name_en": en}


def add_parser(sub):
    p = sub.add_parser("segment", help="audience segments (K-Means / Gaussian mixture) with personas")
    p.add_argument("path", help="CSV/TSV file, MovieLens folder or CineLens dataset folder")
    p.add_argument("--k", default="auto", help="number of segments, or 'auto' to pick k by silhouette (default)")
    p.add_argument("--k-max", type=int, default=10, help="largest k tried by --k auto (default 10)")
    p.add_argument("--algorithm", default="kmeans", choices=ALGORITHMS)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tags", action="store_true", help="also extract review keywords for personas (slower)")
    p.add_argument("--no-demographics", action="store_true", help="leave age band / gender / city out of the features")
    p.add_argument("--json", metavar="OUT", help="write the result as JSON to OUT ('-' for stdout)")
    return p


def _k(value: str):
    v = str(value).strip().lower()
    if v == "auto":
        return "auto"
    try:
        k = int(v)
    except ValueError:
        raise UserError(f"--k must be 'auto' or a whole number, got {value!r}") from None
    if k < 2:
        raise UserError(f"--k must be at least 2, got {k}")
    return k


def run(args) -> int:
    k = _k(args.k)
    if args.k_max < 2:
        raise UserError("--k-max must be at least 2")
    ds = load_path(args.path, mapping=parse_mapping_arg(getattr(args, "map", None)))
    if ds.ratings.empty:
        raise UserError(f"{args.path}: no ratings to segment users on")
    print(f"profiling {ds.interactions['user_id'].nunique()} users (with ratings or reviews) ...", file=sys.stderr)
    lab = Lab()
    prof = lab.profiles(ds, tags=args.tags)

    def progress(step, total, kk):
        print(f"[{step + 1}/{total}] silhouette for k={kk}", file=sys.stderr)

    res = lab.segments(
        prof,
        ds,
        k,
        args.algorithm,
        k_max=args.k_max,
        random_state=args.seed,
        include_demographics=not args.no_demographics,
        progress=progress,
    )
    out = {
        "k": res.k,
        "silhouette": res.silhouette,
        "algorithm": res.algorithm,
        "k_mode": res.params["k_mode"],
        "k_rule": res.params.get("k_rule"),
        "users": int(len(res.memberships)),
        "silhouette_curve": res.curve.to_dict("records") if res.curve is not None else None,
        "segments": [_named(s) for s in personas_summary(res.personas)],
    }
    human = sys.stderr if args.json == "-" else sys.stdout  # keep stdout pure JSON with --json -
    print(f"k={res.k}  silhouette={res.silhouette:.3f}  algorithm={res.algorithm}", file=human)
    for s in out["segments"]:
        print(f"  {s['id']:>2}  {s['size']:>6}  {s['name']}  [{', '.join(s['top_genres'])}]", file=human)
    if args.json:
        write_json(out, args.json)
    return 0
