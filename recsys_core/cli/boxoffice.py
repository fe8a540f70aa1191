"""``boxoffice FILMS --target gross``: out-of-fold box-office forecast from pre-release columns,
against a budget-only log-log baseline; post-release columns are excluded unless opted in."""

from __future__ import annotations

import sys

from ..app import promotion as PL
from .common import write_json
from .promo_common import parse_map


def add_parser(sub):
    p = sub.add_parser("boxoffice", help="box-office forecast (gradient boosting vs budget-only baseline)")
    p.add_argument("path", help="film table: CSV/TSV/Excel/JSON with one row per film")
    p.add_argument("--target", default="gross", help="column to forecast (default gross; e.g. opening_gross)")
    p.add_argument("--include-post-release", action="store_true", help="also use columns known only after release")
    p.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
    p.add_argument("--map", help="FIELD=COLUMN pairs for unusual headers, e.g. gross=revenue,budget=cost")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", metavar="OUT", help="write the result as JSON to OUT ('-' for stdout)")
    return p


def run(args) -> int:
    table = PL.read_table(args.path, "films", parse_map(args.map))
    films = table.frame
    res = PL.forecast(
        films, target=args.target, include_post_release=args.include_post_release, folds=args.folds, seed=args.seed
    )
    s = res.summary()
    out = {
        "r2": s["r2"],
        "mae": s["mae"],
        "within_50pct": s["within_50pct"],
        "interval_coverage": s["interval_coverage"],
        "baseline_r2": s["baseline_r2"],
        "baseline_mae": s["baseline_mae"],
        "baseline_within_50pct": s["baseline_within_50pct"],
        "films": s["films"],
        "target": s["target"],
        "features_used": s["features_used"],
        "features_excluded_as_post_release": s["features_excluded_as_post_release"],
        "include_post_release": s["include_post_release"],
        "other_way": s["other_way"],
        "importance": res.importance.to_dict("records"),
        "notes": table.notes,
    }
    human = sys.stderr if args.json == "-" else sys.stdout
    print(f"films {s['films']}  target {s['target']} (out-of-fold, {args.folds} folds)", file=human)
    print(f"  R² of log {s['target']}   {s['r2']:.3f}   (budget-only baseline {_f(s['baseline_r2'])})", file=human)
    print(f"  MAE                {s['mae']:,.0f}   (baseline {_f(s['baseline_mae'], ',.0f')})", file=human)
    print(f"  within ±50%        {s['within_50pct']:.1%}", file=human)
    if s["features_excluded_as_post_release"]:
        print(f"  excluded as post-release: {', '.join(s['features_excluded_as_post_release'])}", file=human)
    if s["other_way"]:
        print(
            f"  with post-release columns {'included' if s['other_way']['include_post_release'] else 'excluded'}: R² {s['other_way']['r2']:.3f}",
            file=human,
        )
    if args.json:
        write_json(out, args.json)
    return 0


def _f(v, fmt=".3f") -> str:
    return "n/a (no budget column)" if v is None else format(v, fmt)
