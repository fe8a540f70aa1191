"""``keywords PATH [--method tfidf|textrank] [--top N] [--item ID] [--side positive|negative]``."""

from __future__ import annotations

from ..data.io import load_path, parse_mapping_arg
from ..errors import UserError
from ..text.aspects import aspect_summary
from ..text.keywords import METHODS, dataset_index, keywords, select_rows
from .common import write_json


def add_parser(sub):
    p = sub.add_parser("keywords", help="review keywords (jieba TF-IDF / TextRank) and the aspect summary")
    p.add_argument("path", help="CSV/TSV file or folder with a review text column")
    p.add_argument("--method", default="tfidf", choices=METHODS)
    p.add_argument("--top", type=int, default=20, help="number of keywords (default 20)")
    p.add_argument("--item", metavar="ID", help="only reviews of this film")
    p.add_argument(
        "--side",
        choices=("positive", "negative"),
        help="only praise (positive) or complaints (negative), by review sentiment",
    )
    p.add_argument("--json", metavar="OUT", help="write the result as JSON to OUT ('-' for stdout)")
    return p


def run(args) -> int:
    if args.top < 1:
        raise UserError("--top must be at least 1")
    ds = load_path(args.path, mapping=parse_mapping_arg(getattr(args, "map", None)))
    ri = dataset_index(ds)
    labels = None
    method = None
    if args.side:
        from ..text.sentiment import score_dataset

        res = score_dataset(ds, method="auto", tokens=ri.tokens)
        labels, method = res.frame["label"].to_numpy(), res.method
    if args.item is not None and not ri.reviews["item_id"].astype(str).eq(str(args.item)).any():
        raise UserError(f"film {args.item!r} has no reviews in {args.path}; check the id (see `info`)")
    rows, contrast = select_rows(ri.reviews, item=args.item, side=args.side, labels=labels)
    kw = keywords(ri.index, rows, method=args.method, top=args.top, contrast_rows=contrast)
    sel = ri.reviews[rows]
    asp = aspect_summary(sel["text"].astype(str).tolist(), labels=None if labels is None else labels[rows])
    out = {
        "n_reviews": int(rows.sum()),
        "method": args.method,
        "item_id": args.item,
        "side": args.side,
        "sentiment_method": method,
        "keywords": [
            {"word": w, "score": float(s), "reviews": int(n)} for w, s, n in zip(kw["word"], kw["score"], kw["reviews"])
        ],
        "aspects": asp.to_dict("records"),
    }
    if args.json:
        write_json(out, args.json)
        return 0
    print(
        f"{out['n_reviews']} reviews · {args.method}"
        + (f" · film {args.item}" if args.item else "")
        + (f" · {args.side} side ({method})" if args.side else "")
    )
    for r in kw.itertuples():
        print(f"  {r.word:<12} {r.score:8.4f}  in {r.reviews} reviews")
    print("aspects: " + ", ".join(f"{a} {m}" for a, m in zip(asp["aspect"], asp["mentions"]) if m))
    return 0
