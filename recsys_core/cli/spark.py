"""``spark JOB INPUT --out DIR [--master M] [--json SUMMARY.json]``: the batch jobs on Apache Spark.

pyspark is optional: without it this command says how to install it; every other command works.
"""

from __future__ import annotations

from ..errors import UserError
from .clean import _scale
from .common import clean_json

JOB_HELP = {
    "clean": "the cleaning steps of `clean` in Spark; writes the same report",
    "evaluate": "ALS (explicit, implicit), bias and popularity on a random/k-fold/temporal/per-user split",
    "recommend": "top-N films for every user (recommendForAllUsers), seen films excluded",
    "audience": "top users for chosen films (recommendForItemSubset) plus the lift@10%% evaluation",
    "profile": "per-user aggregates and KMeans segments (Spark ML)",
}


def _common(p):
    p.add_argument(
        "input",
        help="CSV/TSV/Parquet path or glob (local, hdfs://, s3a://), a CineLens folder, or a spark clean output",
    )
    p.add_argument(
        "--out", required=True, metavar="DIR", help="output folder (Parquet + _CINELENS.json); must not exist yet"
    )
    p.add_argument(
        "--master", default="local[*]", help="local[*] (default), local[N], spark://HOST:7077, yarn, k8s://..."
    )
    p.add_argument("--json", metavar="SUMMARY.json", help="also write the job summary here")
    p.add_argument("--map", metavar="FIELD=COL,...", help="column mapping, e.g. user=uid,item=film,rating=score")
    p.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE", help="extra Spark configuration")


def _als(p, seed_only=False):
    p.add_argument("--seed", type=int, default=0)
    if seed_only:
        return
    p.add_argument("--rank", type=int, default=10, help="ALS rank (latent factors)")
    p.add_argument("--reg", type=float, default=0.1, help="ALS regParam")
    p.add_argument("--iters", type=int, default=10, help="ALS maxIter")
    p.add_argument("--alpha", type=float, default=1.0, help="implicit ALS confidence scale")


def add_parser(sub):
    p = sub.add_parser("spark", help="run a batch job on Apache Spark (needs requirements-spark.txt)")
    jobs = p.add_subparsers(dest="job", required=True, parser_class=type(p))
    c = jobs.add_parser("clean", help=JOB_HELP["clean"])
    _common(c)
    c.add_argument("--scale", metavar="LO,HI", help="normalise ratings to this scale, e.g. 1,5 (original kept)")
    c.add_argument("--pairs", choices=["latest", "mean", "first", "keep"], default="latest")
    c.add_argument("--missing-ratings", choices=["keep", "drop"], default="keep")
    c.add_argument("--text-max", type=int, default=2000)
    c.add_argument("--drop-suspicious", action="store_true")
    c.add_argument("--keep-pii", action="store_true", help="do not mask personal data (default: masked)")
    e = jobs.add_parser("evaluate", help=JOB_HELP["evaluate"])
    _common(e)
    _als(e)
    e.add_argument("--split", choices=["random", "kfold", "temporal", "user"], default="random")
    e.add_argument("--test-size", type=float, default=0.2)
    e.add_argument("--folds", type=int, default=5)
    e.add_argument("--n", type=int, default=1, help="ratings held out per user (--split user)")
    e.add_argument("--k", type=int, default=10, help="cut-off of the ranking metrics")
    e.add_argument("--grid", metavar="rank=8,16;reg=0.05,0.1", help="grid search over rank and regParam")
    e.add_argument("--no-implicit", action="store_true", help="skip implicit ALS")
    r = jobs.add_parser("recommend", help=JOB_HELP["recommend"])
    _common(r)
    _als(r)
    r.add_argument("--n", type=int, default=10, help="films per user")
    a = jobs.add_parser("audience", help=JOB_HELP["audience"])
    _common(a)
    _als(a)
    a.add_argument("--films", metavar="ID,ID", help="film ids (default: the 5 most rated)")
    a.add_argument("--top", type=int, default=100, help="users per film")
    a.add_argument("--eval-items", type=int, default=20, help="films sampled for lift@10%%")
    a.add_argument("--min-likers", type=int, default=30)
    a.add_argument("--no-evaluate", action="store_true")
    pr = jobs.add_parser("profile", aliases=["segment"], help=JOB_HELP["profile"])
    _common(pr)
    _als(pr, seed_only=True)
    pr.add_argument("--k", type=int, default=5, help="number of KMeans segments")
    return p


def _grid(text):
    if not text:
        return None
    out = {}
    try:
        for part in text.split(";"):
            if not part.strip():
                continue
            key, vals = part.split("=", 1)
            key = key.strip().lower()
            if key not in ("rank", "reg"):
                raise ValueError(key)
            out[key] = [int(v) if key == "rank" else float(v) for v in vals.split(",") if v.strip()]
    except ValueError:
        raise UserError(f"--grid {text!r}: write e.g. --grid 'rank=8,16;reg=0.05,0.1'") from None
    return out


def _conf(items):
    out = {}
    for it in items:
        if "=" not in it:
            raise UserError(f"--conf {it!r}: write KEY=VALUE, e.g. --conf spark.driver.memory=4g")
        k, v = it.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def _params(args) -> dict:
    job = "profile" if args.job == "segment" else args.job
    p = {}
    if job == "clean":
        p = {
            "scale": list(_scale(args.scale)) if args.scale else None,
            "pairs": args.pairs,
            "missing_ratings": args.missing_ratings,
            "text_max": args.text_max,
            "drop_suspicious": args.drop_suspicious,
            "mask_pii": not args.keep_pii,
        }
    else:
        p["seed"] = args.seed
    if job in ("evaluate", "recommend", "audience"):
        p.update(rank=args.rank, reg=args.reg, iters=args.iters, alpha=args.alpha)
        if min(args.rank, args.iters) < 1 or args.reg < 0:
            raise UserError("--rank and --iters must be >= 1 and --reg >= 0")
    if job == "evaluate":
        p.update(
            split=args.split,
            test_size=args.test_size,
            folds=args.folds,
            n=args.n,
            k=args.k,
            grid=_grid(args.grid),
            implicit=not args.no_implicit,
        )
    elif job == "recommend":
        p["n"] = args.n
    elif job == "audience":
        p.update(
            films=args.films or "",
            top=args.top,
            eval_items=args.eval_items,
            min_likers=args.min_likers,
            evaluate=not args.no_evaluate,
        )
    elif job == "profile":
        p["k"] = args.k
    return p


def run(args) -> int:
    from ..data.io import parse_mapping_arg
    from ..spark import require_pyspark
    from ..spark.session import validate_master

    job = "profile" if args.job == "segment" else args.job
    params = _params(args)
    validate_master(args.master)
    require_pyspark()
    from ..spark.run import run_job, write_summary

    man = run_job(job, args.input, args.out, args.master, params, parse_mapping_arg(args.map), _conf(args.conf))
    write_summary(clean_json(man["result"]), args.json)
    tables = ", ".join(f"{k} ({v['rows']:,} rows)" for k, v in man["tables"].items())
    print(f"wrote {args.out}: {tables} in {man['seconds']:.1f} s on {args.master}")
    if args.json:
        print(f"wrote {args.json}")
    return 0
