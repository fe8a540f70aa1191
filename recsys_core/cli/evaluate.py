"""``evaluate PATH --models a,b``: compare recommenders and print / write the comparison.

Protocols: k-fold (default, ``--folds N``), random holdout (``--test-size F`` or ``--split random``),
temporal holdout (``--split temporal``: the latest ``--test-size`` of ratings by time) and per-user
leave-last-n (``--split user --leave-n N``). Model parameters: ``--param svd.n_factors=50`` (repeatable).
The JSON never contains NaN: metrics that do not apply (rating metrics of rankers) are null.
"""

from __future__ import annotations

import sys

import numpy as np

from ..app import Lab, protocol_dict, splitter_for
from ..data.io import load_path, parse_mapping_arg
from ..errors import UserError
from ..evaluation import ALL_METRICS
from ..evaluation.compare import metric_column
from ..models import REGISTRY
from .common import write_json
from .params import build_models, parse_models, parse_params

TABLE_METRICS = ("rmse", "mae", "precision", "recall", "ndcg", "map", "hit_rate", "coverage")


def add_parser(sub):
    p = sub.add_parser("evaluate", help="compare recommenders with k-fold, random, temporal or per-user splits")
    p.add_argument("path")
    p.add_argument("--models", default="baseline,svd", help=f"comma-separated (or 'all'): {', '.join(REGISTRY)}")
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="MODEL.NAME=VALUE",
        help="a model parameter, e.g. --param svd.n_factors=50 (repeatable)",
    )
    p.add_argument(
        "--split",
        choices=["kfold", "random", "temporal", "user"],
        default=None,
        help="kfold (default), random holdout, temporal holdout, or per-user leave-last-n",
    )
    g = p.add_mutually_exclusive_group()
    g.add_argument("--folds", type=int, help="k-fold cross-validation with N folds (default 5)")
    g.add_argument("--test-size", type=float, help="test fraction of a random or temporal holdout (default 0.2)")
    p.add_argument("--leave-n", type=int, default=1, help="ratings held out per user with --split user (default 1)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--k", type=int, default=10, help="list length for ranking metrics")
    p.add_argument("--json", metavar="OUT", help="write results as JSON")
    return p


def protocol_from_args(args) -> dict:
    split = args.split
    if split is None:
        split = "random" if args.test_size is not None else "kfold"
    if split != "kfold" and args.folds is not None:
        raise UserError(f"--folds only applies to k-fold; drop it or use --split kfold (got --split {split})")
    if split in ("kfold", "user") and args.test_size is not None:
        raise UserError(f"--test-size does not apply to --split {split}; use --split random or temporal")
    if args.folds is not None and args.folds < 2:
        raise UserError("--folds must be at least 2")
    if args.test_size is not None and not 0 < args.test_size < 1:
        raise UserError("--test-size must be between 0 and 1 (e.g. 0.2)")
    if args.leave_n < 1:
        raise UserError("--leave-n must be at least 1")
    return protocol_dict(split, args.folds or 5, args.test_size or 0.2, args.leave_n, args.seed, args.k)


def _mean_or_none(values) -> float | None:
    v = np.asarray(values, dtype=float)
    return float(np.nanmean(v)) if np.isfinite(v).any() else None


def skipped_entries(refused: dict) -> list[dict]:
    """Models left out before the run (over the memory or time budget): name, which budget, one-line
    reason, memory need and budget, fits; over time also the declared fit seconds and the time budget."""
    out = []
    for name, e in refused.items():
        entry = {
            "name": name,
            "budget": getattr(e, "resource", "memory"),
            "reason": (str(e).splitlines() or [type(e).__name__])[0],
            "need_bytes": e.need_bytes,
            "budget_bytes": e.budget_bytes,
            "fits": list(e.fits),
        }
        if entry["budget"] == "time":
            entry["need_seconds"] = e.need_seconds
            entry["budget_seconds"] = e.budget_seconds
        out.append(entry)
    return out


def _no_model_fits(skipped: list[dict]) -> str:
    kinds = sorted({e["budget"] for e in skipped})
    which = {("memory",): "the memory budget", ("time",): "the time budget"}.get(tuple(kinds), "the budgets")
    return f"no model fits {which}: " + " ".join(e["reason"] for e in skipped)


def print_table(out_models: list[dict], skipped: list[dict], k: int) -> None:
    """The summary table, then notes: sampled diversity, models skipped before the run."""
    shown = [metric_column(m, k) for m in TABLE_METRICS] + ["fit_seconds"]
    print(f"{'model':<14}" + "".join(f"{c:>13}" for c in shown))
    for e in out_models:
        print(f"{e['name']:<14}" + "".join(f"{e[c]:>13.4f}" if e[c] is not None else f"{'n/a':>13}" for c in shown))
    for e in out_models:
        used, total = e.get("diversity_pairs"), e.get("diversity_pairs_total")
        if used is not None and total and used < total:
            print(f"# {e['name']}: diversity from a seeded sample of {used:,} of {total:,} item pairs")
    for e in skipped:
        print(f"# {e['name']}: skipped, {e['reason']}")


def run(args) -> int:
    names = parse_models(args.models)
    params = parse_params(args.param, names)
    if args.k < 1:
        raise UserError("--k must be at least 1")
    protocol = protocol_from_args(args)
    models = build_models(names, params)  # parameters are checked before the data is read
    ds = load_path(args.path, mapping=parse_mapping_arg(getattr(args, "map", None)))
    if ds.ratings.empty:
        raise UserError(f"{args.path} has no ratings to evaluate on")

    def on_cell(cell, compute):
        print(f"[{cell.step}/{cell.total}] {cell.label} · fold {cell.fold + 1}/{cell.n_folds}", file=sys.stderr)
        return compute()

    configs = {name: m.get_params() for name, m in models.items()}
    try:
        # with several models, one that cannot run on this data (e.g. content without film metadata) is
        # reported and the others still run; a single model's failure is the command's error
        exp = Lab().experiment(ds, configs, protocol, on_cell=on_cell, curve_ks=None, skip_failures=len(models) > 1)
    except (ValueError, TypeError, RuntimeError, ArithmeticError) as e:  # a split or a model that cannot run
        raise UserError((str(e).splitlines() or [type(e).__name__])[0]) from None
    skipped = skipped_entries(exp.refused)
    failed = [{"name": n, "reason": r} for n, r in exp.failures.items()]
    for e in skipped:
        print(f"skipped {e['name']}: {e['reason']}", file=sys.stderr)
    for e in failed:
        print(f"failed {e['name']}: {e['reason']}", file=sys.stderr)
    if exp.evaluation is None:
        if not failed:
            raise UserError(_no_model_fits(skipped))
        reasons = [f"{e['name']}: {e['reason']}" for e in skipped + failed]
        raise UserError("no model could run on this data - " + "; ".join(reasons))
    ev = exp.evaluation
    total = (len(models) - len(skipped) - len(failed)) * (protocol.get("folds") or 1)
    print(f"[{total}/{total}] done", file=sys.stderr)
    splitter = splitter_for(protocol)
    res = ev.folds
    metric_cols = [metric_column(m, args.k) for m in ALL_METRICS]
    out_models = []
    for name in names:
        if name in exp.refused or name in exp.failures:
            continue
        rows = res[res["model"] == name]
        entry = {"name": name, "params": models[name].get_params()}
        for c in metric_cols + ["fit_seconds", "test_seconds"]:
            entry[c] = _mean_or_none(rows[c])
        if "diversity_pairs" in rows:  # diversity measured on a seeded sample of lists when the data is large
            entry["diversity_pairs"] = int(rows["diversity_pairs"].sum())
            entry["diversity_pairs_total"] = int(rows["diversity_pairs_total"].sum())
        entry["folds"] = [{c: v for c, v in r.items() if c != "model"} for r in rows.to_dict("records")]
        out_models.append(entry)
    result = {
        "dataset": {
            "path": str(args.path),
            "users": int(ds.ratings["user_id"].nunique()),
            "items": int(ds.ratings["item_id"].nunique()),
            "ratings": int(len(ds.ratings)),
            "rating_scale": list(ds.rating_scale),
        },
        "protocol": {
            **splitter.describe(),
            "k": args.k,
            "relevance_threshold": ds.relevance_threshold,
            "diversity_basis": ev.diversity_basis,
        },
        "models": out_models,
        "skipped": skipped,
        "failed": failed,
    }
    print_table(out_models, skipped, args.k)
    for e in failed:
        print(f"# {e['name']}: could not run on this data, {e['reason']}")
    if args.json:
        write_json(result, args.json)  # clean_json turns NaN into null
    return 0
