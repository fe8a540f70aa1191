"""``sentiment PATH [--method auto|snownlp|stars|general]``: score every review and measure agreement with stars."""

from __future__ import annotations

import sys

from ..app import Lab
from ..data.io import load_path, parse_mapping_arg
from ..text.sentiment import METHODS, per_item
from .common import write_json


def add_parser(sub):
    p = sub.add_parser("sentiment", help="Chinese review sentiment (film-domain model vs SnowNLP baseline)")
    p.add_argument("path", help="CSV/TSV file or folder with a review text column")
    p.add_argument(
        "--method",
        default="auto",
        choices=("auto",) + METHODS,
        help="stars: film-domain model trained on the file's own stars (out-of-fold); snownlp: the "
        "SnowNLP baseline; general: general-domain model; auto (default): stars when there are "
        "enough rated reviews, else snownlp",
    )
    p.add_argument("--folds", type=int, default=5, help="folds for the out-of-fold scores (default 5)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", metavar="OUT", help="write the result as JSON to OUT ('-' for stdout)")
    return p


def _progress(frac, msg=""):
    print(f"\r{msg or 'working'} {frac:6.1%}", end="", file=sys.stderr, flush=True)


def run(args) -> int:
    from ..errors import UserError

    if args.folds < 2:
        raise UserError("--folds must be at least 2")
    ds = load_path(args.path, mapping=parse_mapping_arg(getattr(args, "map", None)))
    res = Lab().score_reviews(
        ds,
        args.method,
        n_folds=args.folds,
        random_state=args.seed,
        progress=_progress if sys.stderr.isatty() else None,
    )
    if sys.stderr.isatty():
        print(file=sys.stderr)
    items = per_item(res.frame)
    out = {
        "n": res.n,
        "method": res.method,
        "accuracy": res.metrics["accuracy"],
        "balanced_accuracy": res.metrics["balanced_accuracy"],
        "reviews_per_second": res.reviews_per_second,
        "n_eval": res.metrics["n_eval"],
        "confusion": res.metrics["confusion"],
        "per_item": [
            {
                "item_id": r.item_id,
                "n": int(r.n),
                "mean_score": float(r.mean_score),
                "positive_share": float(r.positive_share),
            }
            for r in items.itertuples()
        ],
    }
    if args.json:
        write_json(out, args.json)
        return 0
    acc = "n/a (no stars)" if out["accuracy"] is None else f"{out['accuracy']:.3f}"
    bal = "n/a" if out["balanced_accuracy"] is None else f"{out['balanced_accuracy']:.3f}"
    print(f"reviews            {out['n']}")
    print(f"method             {out['method']}")
    print(f"accuracy           {acc}  (on {out['n_eval']} reviews with 1-2 or 4-5 stars)")
    print(f"balanced accuracy  {bal}")
    print(f"reviews/s          {out['reviews_per_second']:,.0f}")
    print("top films by number of reviews:")
    for r in items.head(10).itertuples():
        print(f"  {r.item_id:<16} n={r.n:<5} mean={r.mean_score:.3f} positive={r.positive_share:.1%}")
    return 0
