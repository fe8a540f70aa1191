"""One entry point from files to datasets, used by the CLI, the tests and the Data page.

* ``load_path(path, *, mapping=None, clean=True) -> Dataset`` - any file, zip or folder
  the readers understand (CSV/TSV/TXT/DAT, Excel, JSON, JSON Lines, Parquet, zip,
  MovieLens 100K/1M/10M/latest folders, Douban comment files, CineLens folders).
* ``load_path_with_report(...) -> (Dataset, CleaningReport, ReadResult)`` for ``clean``.
* ``read_upload(filename, data) -> ReadResult``, ``apply_mapping(result, overrides)``,
  ``clean(raw, options, progress) -> (Dataset, CleaningReport)`` for the UI.

Errors are :class:`recsys_core.errors.UserError` with one-line messages.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import UserError
from .cleaning import CleaningOptions, CleaningReport, RawTables, apply_mapping, clean
from .dataset import Dataset
from .readers import ReadResult, TableRead, read_path, read_upload

__all__ = [
    "load_path",
    "load_path_with_report",
    "read_upload",
    "read_path",
    "apply_mapping",
    "clean",
    "CleaningOptions",
    "CleaningReport",
    "RawTables",
    "ReadResult",
    "TableRead",
    "parse_mapping_arg",
]


def load_path_with_report(path, *, mapping=None, clean: bool = True, options=None, progress=None):
    """Read ``path`` and clean it; returns ``(dataset, report, read_result)``."""
    p = Path(path)
    result = read_path(p)
    raw = apply_mapping(result, mapping)
    if raw.name in ("", "dataset"):
        raw.name = p.stem or p.name
    if options is None:
        options = CleaningOptions() if clean else CleaningOptions.minimal()
    ds, report = _clean(raw, options, progress)
    report.source.setdefault("file", str(p))
    return ds, report, result


def load_path(path, *, mapping=None, clean: bool = True, options=None, progress=None) -> Dataset:
    """Any supported file / zip / folder -> a canonical :class:`Dataset`.

    ``mapping``: field -> column for the main table (e.g. ``{"user_id": "uid", "item_id": "film"}``)
    or table name -> {"role", "mapping"}.  ``clean=False`` only applies what the canonical
    table needs (ids present, ratings numeric); ``clean=True`` runs the default cleaning.
    """
    ds, _, _ = load_path_with_report(path, mapping=mapping, clean=clean, options=options, progress=progress)
    return ds


def _clean(raw: RawTables, options, progress):
    return clean(raw, options, progress)


def parse_mapping_arg(text: str | None) -> dict | None:
    """``"user=uid,item=film,rating=score"`` -> ``{"user_id": "uid", "item_id": "film", "rating": "score"}``."""
    if not text:
        return None
    short = {
        "user": "user_id",
        "item": "item_id",
        "film": "item_id",
        "movie": "item_id",
        "time": "timestamp",
        "review": "text",
        "comment": "text",
    }
    out = {}
    for part in text.split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise UserError(
                f"--map: {part.strip()!r} is not FIELD=COLUMN - write e.g. --map user=uid,item=film,rating=score"
            )
        k, v = part.split("=", 1)
        k = short.get(k.strip().lower(), k.strip().lower())
        from .schema import ALL_FIELDS

        if k not in ALL_FIELDS:
            raise UserError(f"--map: unknown field {k!r} - use user, item, rating, timestamp, text, title, genres")
        out[k] = v.strip()
    return out


def compare_datasets(a: Dataset, b: Dataset):
    """Side-by-side numbers of two versions plus the rows only in one of them.

    Returns a DataFrame with one row per measure: ``measure, a, b, difference``.
    """
    import pandas as pd

    sa, sb = a.summary(), b.summary()
    rows = []
    for k in ("interactions", "ratings", "reviews", "users", "items", "mean_rating", "sparsity"):
        va, vb = sa.get(k), sb.get(k)
        diff = (vb - va) if isinstance(va, (int, float)) and isinstance(vb, (int, float)) else None
        rows.append({"measure": k, "a": va, "b": vb, "difference": diff})
    ka = a.interactions["user_id"] + "\x1f" + a.interactions["item_id"]
    kb = b.interactions["user_id"] + "\x1f" + b.interactions["item_id"]
    only_a = int((~ka.isin(kb)).sum())
    only_b = int((~kb.isin(ka)).sum())
    both = a.interactions.assign(_k=ka).drop_duplicates("_k").set_index("_k")["rating"]
    other = b.interactions.assign(_k=kb).drop_duplicates("_k").set_index("_k")["rating"]
    common = both.index.intersection(other.index)
    ra, rb = both.loc[common], other.loc[common]
    changed = int((~((ra == rb) | (ra.isna() & rb.isna()))).sum())
    rows += [
        {"measure": "pairs_only_in_a", "a": only_a, "b": None, "difference": None},
        {"measure": "pairs_only_in_b", "a": None, "b": only_b, "difference": None},
        {"measure": "pairs_with_changed_rating", "a": changed, "b": changed, "difference": None},
        {"measure": "rating_scale", "a": str(list(a.rating_scale)), "b": str(list(b.rating_scale)), "difference": None},
    ]
    return pd.DataFrame(rows)
