"""``clean PATH [--out FILE] [--report FILE.json]``: read, clean and report on any supported input."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..audit import default_who, log_export
from ..data.cleaning import CleaningOptions
from ..data.export import export_dataset
from ..data.io import load_path_with_report, parse_mapping_arg
from ..errors import UserError
from ..keys import pseudonym_key
from ..store import default_path
from .common import clean_json


def add_parser(sub):
    p = sub.add_parser("clean", help="read and clean a ratings file, zip or folder; print the cleaning report")
    p.add_argument("path", help="CSV/TSV/TXT/DAT, .xlsx, JSON/JSON Lines, Parquet, .zip, MovieLens or CineLens folder")
    p.add_argument("--out", metavar="FILE", help="write the cleaned interactions as CSV (UTF-8 with BOM) or .xlsx")
    p.add_argument("--report", metavar="FILE.json", help="write the cleaning report as JSON")
    p.add_argument("--map", metavar="FIELD=COL,...", help="column mapping, e.g. user=uid,item=film,rating=score")
    p.add_argument("--scale", metavar="LO,HI", help="normalise ratings to this scale, e.g. 1,5 (original kept)")
    p.add_argument(
        "--pairs",
        choices=["latest", "mean", "first", "keep"],
        default="latest",
        help="repeated user-film pairs: keep the latest, the mean, the first or all rows",
    )
    p.add_argument(
        "--missing-ratings",
        choices=["keep", "drop"],
        default="keep",
        help="rows without a rating: keep as review-only rows or drop",
    )
    p.add_argument("--text-max", type=int, default=2000, help="truncate (and flag) review texts longer than this")
    p.add_argument(
        "--drop-suspicious", action="store_true", help="drop users flagged as suspicious (default: flag only)"
    )
    p.add_argument(
        "--keep-pii",
        action="store_true",
        help="do not mask personal data (phones, e-mail, ID and card numbers, QQ/WeChat ids; default: masked)",
    )
    p.add_argument("--raw-ids", action="store_true", help="with --out: write raw user ids (default: keyed pseudonyms)")
    p.add_argument("--workspace", help="workspace whose export audit log records --out (default $CINELENS_WORKSPACE)")
    p.add_argument("--quiet", action="store_true", help="do not print the report")
    return p


def _scale(text):
    if not text:
        return None
    try:
        lo, hi = (float(x) for x in text.split(","))
    except ValueError:
        raise UserError(f"--scale {text!r}: give the lowest and highest rating, e.g. --scale 1,5") from None
    if hi <= lo:
        raise UserError(f"--scale {text!r}: the highest rating must be above the lowest, e.g. --scale 1,5")
    return (lo, hi)


def run(args) -> int:
    if args.text_max < 0:
        raise UserError("--text-max must be 0 (no limit) or more")
    opts = CleaningOptions(
        duplicate_pairs=args.pairs,
        missing_ratings=args.missing_ratings,
        target_scale=_scale(args.scale),
        text_max_len=args.text_max,
        drop_suspicious=args.drop_suspicious,
        mask_pii=not args.keep_pii,
    )

    def progress(frac, label=""):
        if not args.quiet and sys.stderr.isatty():
            print(f"\r[{frac:4.0%}] {label:<30}", end="", file=sys.stderr)

    src = _big_file(args.path)
    if src is not None:  # read and cleaned in parts, like a big upload on the Data page
        return _clean_in_parts(args, src, opts, progress)
    ds, report, _ = load_path_with_report(
        args.path, mapping=parse_mapping_arg(args.map), options=opts, progress=progress
    )
    text = _write_report(args, report)
    if args.out:
        export_dataset(ds, args.out, secret=None if args.raw_ids else pseudonym_key())
        log_export(
            args.workspace or default_path(), default_who(), f"cleaned dataset {ds.name}", len(ds.interactions),
            not args.raw_ids, Path(args.out).suffix.lstrip(".") or "csv", str(args.out),
        )  # fmt: skip
    _print(args, report, text)
    return 0


def _print(args, report, text: str) -> None:
    if not args.quiet:
        print(text)
    else:
        print(f"{report.rows_in} rows in, {report.rows_out} rows out")


def _big_file(path):
    """The stream of a delimited file of CINELENS_STREAM_BYTES (64 MB) or more unpacked (or too big to read whole
    within CINELENS_MAX_UPLOAD_MEMORY), else None."""
    from ..data import ingest

    p = Path(path)
    if not p.is_file():
        return None
    with open(p, "rb") as f:
        if not ingest.read_in_parts(p.name, f):
            return None
    return ingest.source_for(p.name, p)


def _write_report(args, report) -> str:
    """End the progress line; the report as JSON text, also written to ``--report`` when given."""
    if not args.quiet and sys.stderr.isatty():
        print(file=sys.stderr)
    text = json.dumps(clean_json(report.to_dict()), ensure_ascii=False, indent=2)
    if args.report:
        try:
            Path(args.report).write_text(text + "\n", encoding="utf-8")
        except OSError as e:
            raise UserError(f"{args.report}: cannot write the report ({e.strerror}) - choose another path") from None
    return text


def _clean_in_parts(args, src, opts, progress) -> int:
    """``clean`` of a big CSV / TSV (.gz, one-file .zip): the streaming ingest in a scratch folder, memory bounded
    whatever the file's size; ``--out`` (.csv or .parquet) written part by part."""
    import tempfile

    from ..data import ingest

    if args.out and Path(args.out).suffix.lower() not in (".csv", ".parquet", ".pq"):
        raise UserError(f"{args.out}: a file this big is written as .csv or .parquet, not Excel - change the name")
    with tempfile.TemporaryDirectory(prefix="cinelens-clean-") as tmp:
        read = ingest.read_stream(src, tmp)
        staged = ingest.ingest(
            read, parse_mapping_arg(args.map), opts, progress=lambda f, phase, *_: progress(f, f"{phase} (in parts)")
        )
        report = staged.report
        text = _write_report(args, report)
        if args.out:
            n = staged.export(args.out, secret=None if args.raw_ids else pseudonym_key())
            log_export(
                args.workspace or default_path(), default_who(), f"cleaned dataset {staged.name}", n,
                not args.raw_ids, Path(args.out).suffix.lstrip(".") or "csv", str(args.out),
            )  # fmt: skip
        staged.discard()
    _print(args, report, text)
    return 0
