"""``evaluate PATH --models a,b``: cross-validate recommenders and print / write the comparison."""
from __future__ import annotations

import sys

import numpy as np

from ..data.io import load_path
from ..errors import UserError
from ..evaluation import Holdout, KFold, compare
from ..evaluation.compare import metric_column
from ..models import REGISTRY, make_model
from .common import write_json


def add_parser(sub):
    p = sub.add_parser("evaluate", help="compare recommenders with k-fold or holdout")
    p.add_argument("path")
    p.add_argument("--models", default="baseline,svd", help=f"comma-separated: {', '.join(REGISTRY)}")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--folds", type=int, help="k-fold cross-validation with N folds (default 5)")
    g.add_argument("--test-size", type=float, help="random holdout with this test fraction instead of k-fold")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--k", type=int, default=10, help="list length for ranking metrics")
    p.add_argument("--json", metavar="OUT", help="write results as JSON")
    return p


def run(args) -> int:
    names = [m.strip() for m in args.models.split(",") if m.strip()]
    if not names:
        raise UserError("--models is empty; give e.g. --models baseline,svd")
    models = {n: make_model(n) for n in names}
    if args.k < 1:
        raise UserError("--k must be at least 1")
    ds = load_path(args.path)
    splitter = Holdout(args.test_size, args.seed) if args.test_size is not None else KFold(args.folds or 5, args.seed)

    def progress(msg, step, total):
        print(f"[{step}/{total}] {msg}", file=sys.stderr)

    res = compare(models, splitter, ds, k=args.k, progress=progress)
    metric_cols = ["rmse", "mae", metric_column("precision", args.k), metric_column("recall", args.k),
                   metric_column("ndcg", args.k), "coverage"]
    out_models = []
    for name in names:
        rows = res[res["model"] == name]
        entry = {"name": name, "params": models[name].get_params()}
        for c in metric_cols + ["fit_seconds", "test_seconds"]:
            entry[c] = float(rows[c].mean()) if rows[c].notna().any() else None
        entry["folds"] = [{c: (None if (isinstance(v, float) and np.isnan(v)) else v)
                           for c, v in r.items() if c != "model"} for r in rows.to_dict("records")]
        out_models.append(entry)
    desc = splitter.describe()
    result = {
        "dataset": {"path": str(args.path), "users": int(ds.ratings["user_id"].nunique()),
                    "items": int(ds.ratings["item_id"].nunique()), "ratings": int(len(ds.ratings)),
                    "rating_scale": list(ds.rating_scale)},
        "protocol": {**desc, "k": args.k, "relevance_threshold": ds.relevance_threshold},
        "models": out_models,
    }
    header = f"{'model':<14}" + "".join(f"{c:>14}" for c in metric_cols + ["fit_seconds"])
    print(header)
    for e in out_models:
        print(f"{e['name']:<14}" + "".join(f"{(e[c] if e[c] is not None else float('nan')):>14.4f}"
                                           for c in metric_cols + ["fit_seconds"]))
    if args.json:
        write_json(result, args.json)
        print(f"wrote {args.json}")
    return 0
