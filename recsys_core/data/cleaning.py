"""Assemble raw tables into one dataset and clean it, step by step, with a report.

``apply_mapping(read_result, overrides)`` -> :class:`RawTables` (canonical column names,
raw values); ``clean(raw, options, progress)`` -> ``(Dataset, CleaningReport)``.

Every step is optional (see :class:`CleaningOptions`), vectorised (no per-row Python
except over *distinct* odd values), and reports rows in / out / affected with examples.
Nothing is ever dropped silently: suspicious users are only flagged unless the caller
asks to drop them.
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import UserError
from .dataset import Dataset
from .schema import INTERACTION_COLUMNS, ROLE_FIELDS, conform_items, conform_users, normalise_id_series

# ---------------------------------------------------------------------------------------
# mapping: read tables -> raw canonical tables
# ---------------------------------------------------------------------------------------

ROLES = ("interactions", "items", "users", "ignore")


@dataclass
class RawTables:
    interactions: pd.DataFrame
    items: pd.DataFrame | None = None
    users: pd.DataFrame | None = None
    sources: tuple = ()
    source_info: dict = field(default_factory=dict)
    scale_hint: tuple | None = None
    name: str = "dataset"
    warnings: list = field(default_factory=list)  # what reading the files found (e.g. mixed encodings)


def _table_frame(t, role: str, mapping: dict) -> pd.DataFrame:
    fields = ROLE_FIELDS[role]
    cols = {}
    for f, c in mapping.items():
        if not c or f not in fields:
            continue
        if c not in t.frame.columns:
            raise UserError(
                f"{t.name}: column {c!r} (mapped to {f}) is not in the file - choose one of: {', '.join(map(str, t.frame.columns[:20]))}"
            )
        cols[f] = t.frame[c]
    return pd.DataFrame(cols)


def apply_mapping(read_result, overrides: dict | None = None) -> RawTables:
    """Turn the tables of a :class:`ReadResult` into raw canonical tables.

    ``overrides``: table name -> {"role": ..., "mapping": {field: column}} (from the mapping
    form or a saved mapping); a bare mapping dict (field -> column) applies to the single
    interactions table (or the only table).
    """
    overrides = dict(overrides or {})
    tables = list(read_result.tables)
    if overrides and all(isinstance(v, str) or v is None for v in overrides.values()):
        # a bare mapping for the main table
        target = next((t for t in tables if t.role == "interactions"), None) or (
            tables[0] if len(tables) == 1 else None
        )
        if target is None:
            target = next((t for t in tables if t.role == "unknown"), tables[0])
        overrides = {target.name: {"role": "interactions", "mapping": overrides}}
    inter, items, users, sources = [], [], [], []
    scale_hint = None
    main_info = None
    for t in tables:
        o = overrides.get(t.name, {})
        role = o.get("role", t.role)
        mapping = {k: v for k, v in (o.get("mapping") or t.mapping).items() if v}
        if role in (None, "unknown", "ignore"):
            continue
        if role not in ROLES:
            raise UserError(f"{t.name}: unknown table role {role!r} - choose interactions, items, users or ignore")
        needed = {"interactions": ["user_id", "item_id"], "items": ["item_id"], "users": ["user_id"]}[role]
        missing = [f for f in needed if f not in mapping]
        if missing:
            raise UserError(
                f"{t.name}: no column chosen for {', '.join(missing)} - pick the {' and '.join(missing)} column(s) in the mapping"
            )
        used = [c for f, c in mapping.items() if f in ("user_id", "item_id")]
        if len(used) == 2 and used[0] == used[1]:
            raise UserError(
                f"{t.name}: user and film cannot be the same column ({used[0]!r}) - choose two different columns"
            )
        frame = _table_frame(t, role, mapping)
        sources.append(t.name)
        if role == "interactions":
            if main_info is None:
                main_info = {
                    "file": t.name,
                    "format": t.format,
                    "encoding": t.encoding,
                    "delimiter": t.delimiter,
                    "layout": t.layout,
                    "mapping": mapping,
                }
                scale_hint = t.rating_scale
            meta_cols = [c for c in ("title", "genres", "year") if c in frame]
            if meta_cols:
                items.append(frame[["item_id"] + meta_cols])
            inter.append(frame[[c for c in INTERACTION_COLUMNS if c in frame]])
        elif role == "items":
            items.append(frame)
        else:
            users.append(frame)
    if not inter:
        names = ", ".join(t.name for t in tables)
        cols = ", ".join(map(str, tables[0].frame.columns[:12])) if tables else ""
        raise UserError(
            f"{names}: no user and film columns recognised (columns: {cols}) - map them on the Data page, "
            "or rename them user_id,item_id,rating, or pass --map user=COL,item=COL,rating=COL"
        )
    interactions = pd.concat(inter, ignore_index=True) if len(inter) > 1 else inter[0].reset_index(drop=True)
    return RawTables(
        interactions,
        _combine_meta(items, "item_id"),
        _combine_meta(users, "user_id"),
        tuple(sources),
        main_info or {},
        scale_hint,
        name=_dataset_name(read_result.filename),
        warnings=list(read_result.warnings),
    )


def _dataset_name(filename: str) -> str:
    base = str(filename).replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    return re.sub(r"\.(csv|tsv|txt|dat|json|jsonl|parquet|xlsx|zip|gz)$", "", base, flags=re.I) or "dataset"


def _combine_meta(frames: list, key: str) -> pd.DataFrame | None:
    if not frames:
        return None
    df = pd.concat(frames, ignore_index=True)
    df[key] = normalise_id_series(df[key])
    df = df[df[key].notna()]
    # first non-empty value per id and column, across all sources
    return df.groupby(key, sort=False).first().reset_index()


# ---------------------------------------------------------------------------------------
# options and report
# ---------------------------------------------------------------------------------------


@dataclass
class CleaningOptions:
    exact_duplicates: bool = True
    normalise_ids: bool = True
    parse_ratings: bool = True
    unparseable_ratings: str = "drop"  # drop | blank (keep the row without a rating)
    missing_ratings: str = "keep"  # keep (review-/view-only rows) | drop
    target_scale: tuple | None = None  # None: keep the detected scale
    rating_step: float | None = None  # round normalised ratings to this step (e.g. 0.5)
    out_of_range: str = "drop"  # drop | clip | keep
    parse_timestamps: bool = True
    clean_text: bool = True
    text_max_len: int = 2000
    duplicate_pairs: str = "latest"  # latest | mean | first | keep
    flag_suspicious: bool = True
    suspicious_min_count: int = 100
    suspicious_window_minutes: float = 10.0
    drop_suspicious: bool = False
    mask_pii: bool = True  # phone numbers, e-mail, ID and bank card numbers, QQ/WeChat ids in text and ids

    @classmethod
    def from_dict(cls, d: dict | None) -> CleaningOptions:
        d = dict(d or {})
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        if known.get("target_scale") is not None:
            known["target_scale"] = tuple(float(x) for x in known["target_scale"])
        return cls(**known)

    @classmethod
    def minimal(cls) -> CleaningOptions:
        """Only what the canonical table needs (ids present, ratings numeric)."""
        return cls(
            exact_duplicates=False,
            parse_ratings=False,
            unparseable_ratings="blank",
            out_of_range="keep",
            clean_text=False,
            text_max_len=0,
            duplicate_pairs="keep",
            flag_suspicious=False,
            mask_pii=False,  # the raw version keeps what was uploaded; masking belongs to the cleaned one
        )

    def to_dict(self) -> dict:
        d = asdict(self)
        if d["target_scale"] is not None:
            d["target_scale"] = list(d["target_scale"])
        return d


STEP_LABELS = {
    "exact_duplicates": "exact duplicate rows",
    "normalise_ids": "id normalisation",
    "missing_ids": "missing user / film ids",
    "parse_ratings": "non-numeric ratings",
    "missing_ratings": "missing ratings",
    "rating_scale": "rating scale",
    "out_of_range": "out-of-range ratings",
    "timestamps": "timestamps",
    "review_text": "review text",
    "pii": "personal data",
    "duplicate_pairs": "repeated user-film pairs",
    "suspicious_users": "suspicious users",
}


@dataclass
class StepReport:
    name: str
    rows_in: int
    rows_out: int
    rows_affected: int = 0
    examples: list = field(default_factory=list)
    detail: str = ""
    enabled: bool = True
    counts: dict = field(default_factory=dict)  # e.g. personal data found, by kind
    by_column: dict = field(default_factory=dict)  # e.g. rows whose value was masked, by column

    @property
    def label(self) -> str:
        return STEP_LABELS.get(self.name, self.name)

    @property
    def rows_dropped(self) -> int:
        return self.rows_in - self.rows_out

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "label": self.label,
            "enabled": self.enabled,
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "rows_dropped": self.rows_dropped,
            "rows_affected": self.rows_affected,
            "detail": self.detail,
            "examples": self.examples,
            **({"counts": dict(self.counts)} if self.counts else {}),
            **({"by_column": dict(self.by_column)} if self.by_column else {}),
        }


@dataclass
class CleaningReport:
    source: dict
    rows_in: int
    rows_out: int = 0
    steps: list = field(default_factory=list)
    detected_scale: tuple = (1.0, 5.0)
    normalised_to: tuple = (1.0, 5.0)
    joins: dict = field(default_factory=dict)
    suspicious_users: list = field(default_factory=list)
    options: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)

    def step(self, name: str) -> StepReport | None:
        return next((s for s in self.steps if s.name == name), None)

    def to_dict(self) -> dict:
        src = dict(self.source)
        src.setdefault("format", None)
        src.setdefault("encoding", None)
        src.setdefault("delimiter", None)
        src.setdefault("mapping", {})
        return {
            "source": _jsonable(src),
            "rows_in": int(self.rows_in),
            "rows_out": int(self.rows_out),
            "steps": [_jsonable(s.to_dict()) for s in self.steps],
            "rating_scale": {
                "detected": [float(x) for x in self.detected_scale],
                "normalised_to": [float(x) for x in self.normalised_to],
            },
            "joins": _jsonable(self.joins),
            "suspicious_users": _jsonable(self.suspicious_users),
            "options": _jsonable(self.options),
            "warnings": list(self.warnings),
        }

    def table(self) -> pd.DataFrame:
        """One row per step: rows in, rows out, dropped, changed, detail."""
        return pd.DataFrame(
            [
                {
                    "step": s.name,
                    "label": s.label,
                    "enabled": s.enabled,
                    "rows_in": s.rows_in,
                    "rows_out": s.rows_out,
                    "dropped": s.rows_dropped,
                    "changed": s.rows_affected,
                    "detail": s.detail,
                }
                for s in self.steps
            ]
        )

    def funnel(self) -> pd.DataFrame:
        """Rows remaining after each step (starting with the input)."""
        rows = [{"stage": "input", "rows": int(self.rows_in)}]
        rows += [{"stage": s.name, "rows": int(s.rows_out)} for s in self.steps]
        return pd.DataFrame(rows)


def _jsonable(v):
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        f = float(v)
        return None if math.isnan(f) else f
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if isinstance(v, pd.Timestamp):
        return None if pd.isna(v) else v.isoformat()
    if v is None or isinstance(v, (str, int, bool)):
        return v
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return str(v)


def _without(df: pd.DataFrame, drop) -> pd.DataFrame:
    """``df`` without the rows flagged in ``drop`` (the frame itself when none is: no copy of a big table)."""
    return df[~drop] if drop.any() else df


def _examples(df: pd.DataFrame, mask=None, n: int = 5, cols=None) -> list[dict]:
    sub = df if mask is None else df[mask]
    sub = sub.head(n)
    if cols:
        sub = sub[[c for c in cols if c in sub.columns]]
    return [_jsonable(r) for r in sub.to_dict("records")]


# ---------------------------------------------------------------------------------------
# value parsers
# ---------------------------------------------------------------------------------------

WORD_RATINGS = {
    "力荐": 5.0,
    "推荐": 4.0,
    "还行": 3.0,
    "较差": 2.0,
    "很差": 1.0,
    "力薦": 5.0,
    "推薦": 4.0,
    "還行": 3.0,
    "較差": 2.0,
    "极好": 5.0,
    "很好": 4.0,
    "一般": 3.0,
    "差": 2.0,
    "极差": 1.0,
}
CN_NUM = {
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "兩": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
}
_NUM_RE = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)$")
_NUM_UNIT_RE = re.compile(r"^([-+]?\d+(?:\.\d+)?)\s*(分|星|颗星|顆星|stars?|pts?|points?)$", re.I)
_FRACTION_RE = re.compile(r"^(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)$")
_CN_STAR_RE = re.compile(r"^([零一二两兩三四五六七八九十])\s*(星|颗星|顆星|分)(半)?$")
_ALLSTAR_RE = re.compile(r"allstar(\d)(\d)", re.I)


def parse_rating_text(value) -> float:
    """'4.0', ' 3 ', '★★★', '★★★½', '五星', '力荐', '4分', '8/10' (-> 4.0 on 5), 'allstar40' -> float; else NaN."""
    if value is None:
        return float("nan")
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return float(value)
    s = str(value).strip()
    stars = s.count("★") + s.count("⭐")
    if stars and re.fullmatch(r"[★⭐☆✩½\s]+", s):
        return stars + (0.5 if "½" in s else 0.0)
    s = unicodedata.normalize("NFKC", s).strip()
    if not s:
        return float("nan")
    if _NUM_RE.match(s):
        return float(s)
    m = _NUM_UNIT_RE.match(s)
    if m:
        return float(m.group(1))
    m = _FRACTION_RE.match(s)
    if m and float(m.group(2)) > 0:
        return round(float(m.group(1)) / float(m.group(2)) * 5.0, 4)
    m = _CN_STAR_RE.match(s)
    if m:
        return CN_NUM[m.group(1)] + (0.5 if m.group(3) else 0.0)
    m = _ALLSTAR_RE.search(s)
    if m:
        return float(m.group(1)) + float(m.group(2)) / 10.0
    if s in WORD_RATINGS:
        return WORD_RATINGS[s]
    return float("nan")


def is_star_label(value) -> bool:
    """True for ratings written on a five-star scale whatever the file's own scale: 力荐 / 推荐 / 还行 / 较差 /
    很差, star glyphs, 五星, '4 stars', 'allstar40', fractions ('8/10' is read as 4 of 5)."""
    if value is None or not isinstance(value, str):
        return False
    s = unicodedata.normalize("NFKC", value.strip())
    if value.strip() and re.fullmatch(r"[★⭐☆✩½\s]+", value.strip()):
        return True
    if s in WORD_RATINGS or _ALLSTAR_RE.search(s) or _FRACTION_RE.match(s):
        return True
    m = _CN_STAR_RE.match(s)
    if m and "星" in m.group(2):
        return True
    m = _NUM_UNIT_RE.match(s)
    return bool(m) and m.group(2).lower() in ("星", "颗星", "顆星", "star", "stars")


def stars_onto_scale(stars, scale: tuple[float, float]):
    """Five-star values (1-5) on another scale: proportional (力荐 = top, 推荐 = 8 on 1-10, like Douban) when the
    scale starts low enough, else linear from its bottom to its top."""
    lo, hi = float(scale[0]), float(scale[1])
    if lo <= hi / 5 + 1e-9:
        return stars * hi / 5.0
    return lo + (stars - 1.0) / 4.0 * (hi - lo)


def dominant_ratings(r: pd.Series) -> pd.Series:
    """The ratings whose value is common (at least 2 rows and 0.5% of them), in files of 50+ ratings.

    A few planted or mistyped values (0, 6, 99 in a 1-5 file, a lone "-0") must not decide the scale; they are
    reported as out of range instead."""
    if len(r) < 50:
        return r
    counts = r.value_counts()
    common = counts[counts >= max(2, 0.005 * len(r))].index
    dom = r[r.isin(common)]
    return dom if len(dom) >= 0.9 * len(r) else r


def detect_rating_scale(r: pd.Series) -> tuple[float, float]:
    """Scale the bulk (>= 99%) of the common rating values lives on: (1,5), (0.5,5), (0,5), (1,10), (0,10),
    (0,100). Rare values outside it are outliers (the out-of-range step reports them), not a reason to widen it."""
    r = pd.to_numeric(r, errors="coerce").dropna()
    return scale_from_counts(r.value_counts())


def scale_from_counts(counts: pd.Series) -> tuple[float, float]:
    """:func:`detect_rating_scale` from the value counts of the ratings (value -> rows), so a table too big for
    memory is measured with one ``GROUP BY`` (the streaming ingest) and gets the same answer."""
    counts = counts[counts > 0]
    if counts.empty:
        return (1.0, 5.0)
    v = counts.index.to_numpy(dtype="float64")
    c = counts.to_numpy(dtype="float64")
    total = c.sum()
    if total >= 50:  # dominant_ratings
        common = c >= max(2, 0.005 * total)
        if c[common].sum() >= 0.9 * total:
            v, c = v[common], c[common]
            total = c.sum()
    for hi in (5.0, 10.0, 100.0):
        inside = (v >= 0) & (v <= hi)
        if c[inside].sum() >= 0.99 * total:
            vi = v[inside]
            lo_v = float(vi.min())
            if hi == 5.0:  # infer_rating_scale
                if lo_v < 0.5:
                    return (0.0, 5.0)
                if lo_v < 1 or (vi % 1 != 0).any():
                    return (0.5, 5.0)
                return (1.0, 5.0)
            if hi == 10.0:
                return (0.0, 10.0) if lo_v < 1 else (1.0, 10.0)
            return (0.0, 100.0)
    return (float(v.min()), float(v.max()))


def _step_pii(run: _Run) -> StepReport:
    """Mask personal data in review text (replaced by its kind) and in ids (replaced by its kind plus a keyed
    hash, so different people stay different users); counts by kind and rows masked by column go in the report,
    raw values nowhere."""
    from collections import Counter

    from . import pii

    df, n = run.df, len(run.df)
    if not run.opts.mask_pii:
        return StepReport("pii", n, n, 0, [], "off: personal data is not looked for", enabled=False)
    counts: Counter = Counter()
    by_column: dict = {}
    affected = np.zeros(n, dtype=bool)
    df = df.copy(deep=False)  # copy-on-write: masked columns never reach the caller's frame
    ex = []
    for col in ("text", "user_id", "item_id"):
        if col not in df:
            continue
        before = df[col]
        after, c = pii.mask_series(before) if col == "text" else pii.mask_ids(before)
        if not c:
            continue
        counts.update(c)
        changed = (before.astype("string") != after.astype("string")).fillna(False).to_numpy(dtype=bool)
        by_column[col] = int(changed.sum())
        affected |= changed
        ex += [{"column": col, "after": _jsonable(after.iloc[i])} for i in np.flatnonzero(changed)[:3]]
        df[col] = after
    run.df = df
    return StepReport(
        "pii",
        n,
        n,
        int(affected.sum()),
        ex[:5],
        pii.detail(counts, int(affected.sum()), by_column),
        counts={k: int(counts[k]) for k in pii.KINDS},
        by_column=by_column,
    )


def _star_labels_onto_own_scale(
    r: pd.Series, r_raw: pd.Series, odd: pd.Series, uniq, run: _Run | None = None
) -> tuple[pd.Series, str]:
    """Star labels (力荐 ... 很差) in a file whose numbers are on 1-10 or 0-100 go onto that scale (力荐 = 10), so a
    later rescale does not turn them into 2.78. The streaming ingest reads the file in parts: it first records
    which rows hold star labels (``run.fixed["own_scale"] == "defer"``), then gives every part the file's scale."""
    fixed = run.fixed.get("own_scale", "detect") if run is not None else "detect"
    star_tbl = {u: is_star_label(u) for u in uniq}
    star = odd & r_raw.map(star_tbl).fillna(False).astype(bool) & r.notna()
    if fixed == "defer":
        run.star = star
        return r, ""
    if fixed == "detect":
        numeric = r[~odd].dropna()
        if numeric.empty:
            return r, ""
        own = detect_rating_scale(numeric)
    else:
        own = fixed
    if own is None or own[1] <= 5:
        return r, ""
    if not star.any():
        return r, ""
    r = r.copy()
    r[star] = stars_onto_scale(r[star], own)
    return r, f" ({int(star.sum())} star labels such as 力荐 mapped onto the file's {own[0]:g}-{own[1]:g} scale)"


def parse_timestamps(col: pd.Series) -> pd.Series:
    """Epoch seconds / milliseconds / microseconds, yyyymmdd, ISO strings, '2021/3/31', '2021年3月31日 10:00'.

    Returns datetime64[ns] (naive UTC); unreadable values become NaT.
    """
    n = len(col)
    if n == 0:
        return pd.Series(pd.NaT, index=col.index, dtype="datetime64[ns]")
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        ts = col
        if getattr(ts.dt, "tz", None) is not None:
            ts = ts.dt.tz_convert("UTC").dt.tz_localize(None)
        return ts.astype("datetime64[ns]")
    nat = np.iinfo(np.int64).min
    out = np.full(n, nat, dtype=np.int64)
    v = to_float(col)
    ok = ~np.isnan(v)
    if ok.any():
        whole = ok & (np.mod(v, 1, where=ok, out=np.zeros(n)) == 0)
        ymd = whole & (v >= 19000101) & (v <= 21001231)
        year = whole & (v >= 1900) & (v <= 2100)
        av = np.abs(np.where(ok, v, 0))
        factor = np.select([av >= 1e17, av >= 1e14, av >= 1e11], [1.0, 1e3, 1e6], 1e9)
        ns = np.where(ok, v, 0) * factor
        epoch = ok & ~ymd & ~year & (ns > -9.2e18) & (ns < 9.2e18)
        out[epoch] = np.round(ns[epoch]).astype(np.int64)
        for mask, fmt in ((ymd, "%Y%m%d"), (year, "%Y")):
            if mask.any():
                d = pd.to_datetime(pd.Series(v[mask].astype(np.int64).astype(str)), format=fmt, errors="coerce")
                out[mask] = d.to_numpy(dtype="datetime64[ns]").view(np.int64)
    rest = ~ok & col.notna().to_numpy()
    if rest.any():
        sub = col[rest]
        arr = pc.utf8_trim_whitespace(_as_arrow_text(sub))
        # 2021年3月31日 10点05分 -> 2021-3-31 10:05 ; 2021/3/31, 2021.3.31 -> 2021-3-31 (ISO 8601 allows 1-digit parts here)
        arr = _on_rows(
            arr,
            "年",
            lambda a: pc.replace_substring_regex(
                a, r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?", r"\1-\2-\3"
            ),
        )
        arr = _on_rows(
            arr,
            ["时", "時", "点", "點"],
            lambda a: pc.replace_substring_regex(
                pc.replace_substring_regex(a, r"(\d{1,2})\s*[时時点點]\s*(\d{1,2})\s*分\s*(\d{1,2})\s*秒", r"\1:\2:\3"),
                r"(\d{1,2})\s*[时時点點]\s*(\d{1,2})\s*分?",
                r"\1:\2",
            ),
        )
        arr = _on_rows(
            arr, ["/", "."], lambda a: pc.replace_substring_regex(a, r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})", r"\1-\2-\3")
        )
        arr = _on_rows(arr, "：", lambda a: pc.replace_substring(a, "：", ":"))
        positions = np.flatnonzero(rest)
        # the common spellings through Arrow's strptime, the rest through pandas (ISO 8601 with offsets, then anything)
        got = np.full(len(arr), nat, dtype=np.int64)
        todo = pc.is_valid(arr).to_numpy(zero_copy_only=False) & pc.not_equal(arr, "").fill_null(False).to_numpy(
            zero_copy_only=False
        )
        for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"):
            if not todo.any():
                break
            parsed = pc.strptime(arr, format=fmt, unit="ns", error_is_null=True)
            vals = parsed.cast(pa.int64()).fill_null(nat).to_numpy(zero_copy_only=False)
            hit = todo & (vals != nat)
            got[hit] = vals[hit]
            todo &= ~hit
        if todo.any():
            s = pd.Series(pc.filter(arr, pa.array(todo)).to_numpy(zero_copy_only=False), dtype=object)
            parsed = _to_dt(s, "ISO8601")
            bad = parsed.isna()
            if bad.any():
                uniq = pd.Series(s[bad].unique())
                if len(uniq) <= 200000:
                    conv = _to_dt(uniq, "mixed")
                    parsed[bad] = s[bad].map(dict(zip(uniq, conv, strict=False))).astype("datetime64[ns]")
            got[todo] = parsed.to_numpy(dtype="datetime64[ns]").view(np.int64)
        out[positions] = got
    return pd.Series(out.view("datetime64[ns]"), index=col.index)


def _to_dt(s: pd.Series, fmt: str) -> pd.Series:
    try:
        ts = pd.to_datetime(s, format=fmt, errors="coerce", utc=True)
    except (ValueError, TypeError, OverflowError):
        ts = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns, UTC]")
    return ts.dt.tz_localize(None).astype("datetime64[ns]")


_TAG_RE = re.compile(r"<[^<>]{0,500}>")
_BR_RE = re.compile(r"<\s*(br|/p|p|/div)\s*/?\s*>", re.I)
_ENTITY_RE = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]{2,8});")
_CTRL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")
_WS_RE = re.compile(r"\s+")


_ARROW_BR = r"(?i)<\s*(br|/p|p|/div)\s*/?\s*>"
_ARROW_TAG = r"<[^<>]{0,500}>"
_ARROW_CTRL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\x{200b}-\x{200f}\x{2028}\x{2029}\x{feff}]"
_ARROW_WS = r"[\s\x{3000}\x{a0}\x{2000}-\x{200a}]+"


def _as_arrow_text(s: pd.Series) -> pa.Array:
    arr = _arrow_strings(s)
    if arr is None:
        st = s.astype("string")
        arr = pa.array(st, type=pa.string(), from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr


def _on_rows(arr, needles, fn):
    """Apply ``fn`` (Arrow array -> Arrow array) only to the rows containing one of ``needles``."""
    mask = None
    for needle in [needles] if isinstance(needles, str) else needles:
        m = pc.match_substring(arr, needle).fill_null(False)
        mask = m if mask is None else pc.or_(mask, m)
    if not pc.any(mask).as_py():
        return arr
    return pc.replace_with_mask(arr, mask, fn(pc.filter(arr, mask)))


def clean_text_series(t: pd.Series, max_len: int = 2000) -> tuple[pd.Series, pd.Series]:
    """HTML tags and entities, control characters, whitespace; returns (clean text, truncated flag).

    Arrow (RE2) kernels over the whole column; only texts holding HTML entities go through Python.
    """
    arr = _as_arrow_text(t)
    arr = _on_rows(
        arr, "<", lambda a: pc.replace_substring_regex(pc.replace_substring_regex(a, _ARROW_BR, " "), _ARROW_TAG, "")
    )

    def unescape(a):
        vals = a.to_pylist()
        table = {v: html.unescape(v) for v in set(vals)}
        return pa.array([table[v] for v in vals], type=pa.string())

    arr = _on_rows(arr, "&", unescape)
    arr = pc.replace_substring_regex(arr, _ARROW_CTRL, " ")
    arr = pc.replace_substring_regex(arr, _ARROW_WS, " ")
    arr = pc.utf8_trim_whitespace(arr)
    arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)
    trunc = np.zeros(len(t), dtype=bool)
    if max_len and max_len > 0:
        trunc = pc.greater(pc.utf8_length(arr), max_len).fill_null(False).to_numpy(zero_copy_only=False)
        if trunc.any():
            arr = pc.if_else(pa.array(trunc), pc.utf8_slice_codeunits(arr, 0, max_len), arr)
    out = pd.Series(arr.to_numpy(zero_copy_only=False), index=t.index, dtype=object)
    out = out.where(out.notna(), None)
    return out, pd.Series(trunc, index=t.index)


# ---------------------------------------------------------------------------------------
# vectorised helpers (Arrow compute kernels for text columns; pandas fallbacks)
# ---------------------------------------------------------------------------------------

_NUM_PATTERN = r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$"


def _is_number_dtype(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype)


def _arrow_strings(s: pd.Series):
    """The column as an Arrow string array, or None when it is not (only) text."""
    if _is_number_dtype(s) or pd.api.types.is_datetime64_any_dtype(s.dtype):
        return None
    try:
        return pa.array(s, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return None


def to_float(s: pd.Series) -> np.ndarray:
    """Plain numbers (' 3 ', '4.0', '1e3') -> float64; anything else -> NaN."""
    if _is_number_dtype(s):
        return s.to_numpy(dtype="float64", na_value=np.nan)
    arr = _arrow_strings(s)
    if arr is None:
        return pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    ok = pc.match_substring_regex(arr, _NUM_PATTERN)
    good = pc.if_else(ok, pc.utf8_trim_whitespace(arr), pa.scalar(None, pa.string()))
    return pc.cast(good, pa.float64()).to_numpy(zero_copy_only=False)


_CTRL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")


def _holds_no_text(s: pd.Series) -> bool:
    """A column of numbers, booleans or times: no value can hold a character (so no control character)."""
    return (
        pd.api.types.is_numeric_dtype(s.dtype)
        or pd.api.types.is_bool_dtype(s.dtype)
        or pd.api.types.is_datetime64_any_dtype(s.dtype)
    )


def strip_control(s: pd.Series) -> pd.Series:
    """Text values without NUL and other control / invisible characters (numbers and None unchanged)."""
    if _holds_no_text(s):
        return s
    return s.map(lambda v: _CTRL_RE.sub("", v) if isinstance(v, str) else v)


def count_control(s: pd.Series) -> int:
    """How many values of a column hold NUL or other control / invisible characters."""
    if _holds_no_text(s):
        return 0
    arr = _arrow_strings(s)
    if arr is None:
        return int(s.map(lambda v: isinstance(v, str) and bool(_CTRL_RE.search(v))).sum())
    return int(pc.sum(pc.match_substring_regex(arr, _ARROW_CTRL)).as_py() or 0)


def normalise_ids_fast(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """(normalised ids as object/None, mask of values whose spelling changed)."""
    if pd.api.types.is_integer_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype) and not s.hasnans:
        # whole numbers are already written one way: "12" (nothing re-spelt); one string object per distinct id
        codes, uniq = pd.factorize(s.to_numpy(), use_na_sentinel=False)
        ids = pa.array(uniq).cast(pa.string()).to_numpy(zero_copy_only=False)
        return pd.Series(ids[codes], index=s.index, dtype=object), np.zeros(len(s), dtype=bool)
    arr = _arrow_strings(s)
    if arr is None:
        after = normalise_id_series(strip_control(s))
        changed = (s.astype("string") != after.astype("string")).fillna(False).to_numpy(
            dtype=bool
        ) & after.notna().to_numpy()
        return after, changed
    trimmed = pc.utf8_trim_whitespace(arr)
    need = pc.or_(pc.not_equal(trimmed, arr), pc.ends_with(arr, ".0"))
    need = pc.or_(need, pc.match_substring_regex(arr, _ARROW_CTRL))
    need = pc.or_(need, pc.is_in(pc.utf8_lower(trimmed), value_set=pa.array(["", "nan", "none", "null", "<na>"])))
    need = need.fill_null(False).to_numpy(zero_copy_only=False)
    out = pd.Series(interned_objects(arr), index=s.index, dtype=object)
    changed = np.zeros(len(s), dtype=bool)
    if need.any():
        fixed = normalise_id_series(strip_control(s[need]))
        before = out[need]
        out[need] = fixed.to_numpy()
        changed[np.flatnonzero(need)] = (before.to_numpy() != fixed.to_numpy()) & fixed.notna().to_numpy()
    return out, changed


def interned_objects(arr) -> np.ndarray:
    """An Arrow string array as an object array (None for nulls) holding one ``str`` per distinct value.

    Ids repeat (25M ratings name ~160K users): sharing the string objects keeps a column at 8 bytes a row instead
    of ~60, and later hashing of the column is cheap (a ``str`` caches its hash)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    enc = pc.dictionary_encode(arr)
    words = np.append(enc.dictionary.to_numpy(zero_copy_only=False).astype(object), None)
    idx = enc.indices.fill_null(len(words) - 1).to_numpy(zero_copy_only=False)
    return words[idx]


def _column_codes(s: pd.Series) -> tuple[np.ndarray, int]:
    """(codes >= 0, number of codes) with equal values -> equal codes and every missing value -> code 0, the
    equality ``DataFrame.duplicated`` uses. pandas' Arrow-backed text goes through Arrow's hash kernel (pandas' own
    is several times slower on it); numbers, times and object columns through ``pd.factorize``."""
    if isinstance(s.dtype, pd.StringDtype) or isinstance(s.dtype, pd.ArrowDtype):
        arr = _arrow_strings(s)
        if arr is not None:
            if isinstance(arr, pa.ChunkedArray):
                arr = arr.combine_chunks()
            enc = pc.dictionary_encode(arr)
            codes = enc.indices.cast(pa.int64()).fill_null(-1).to_numpy(zero_copy_only=False) + 1
            return codes, len(enc.dictionary) + 1
    codes, uniq = pd.factorize(s, use_na_sentinel=True)
    return codes.astype(np.int64) + 1, len(uniq) + 1


def row_codes(df: pd.DataFrame, cols=None) -> np.ndarray:
    """One int64 per row, equal exactly when the rows hold equal values in ``cols`` (missing equals missing)."""
    cols = list(df.columns if cols is None else cols)
    key, size = np.zeros(len(df), dtype=np.int64), 1
    for c in cols:
        codes, n = _column_codes(df[c])
        if size * n >= 2**62:  # renumber before the product could overflow
            key, uniq = pd.factorize(key)
            size = len(uniq)
        key = key * n + codes
        size *= n
    return key


def _duplicated_codes(key: np.ndarray, keep) -> np.ndarray:
    """``duplicated`` of an int64 array: ``pd.factorize`` numbers values in order of first appearance, so a row
    is a first occurrence exactly when its code is larger than every code before it."""
    if keep == "last":
        return _duplicated_codes(key[::-1], "first")[::-1]
    codes, uniq = pd.factorize(key)
    if keep is False:
        return np.bincount(codes, minlength=len(uniq))[codes] > 1
    seen = np.maximum.accumulate(np.concatenate(([-1], codes[:-1])))
    return codes <= seen


def duplicated_rows(df: pd.DataFrame, cols=None, keep="first") -> pd.Series:
    """``df.duplicated(cols, keep=keep)``, computed on integer row codes (several times faster on big tables)."""
    if not len(df):
        return pd.Series(False, index=df.index, dtype=bool)
    return pd.Series(_duplicated_codes(row_codes(df, cols), keep), index=df.index)


def duplicated_full_rows(df: pd.DataFrame) -> pd.Series:
    """``df.duplicated(keep="first")`` over every column. Identical rows share their user-film pair, so only rows
    whose pair repeats are compared in full (a clean file costs two columns, not all of them)."""
    cand = duplicated_rows(df, ["user_id", "item_id"], keep=False)
    out = pd.Series(False, index=df.index, dtype=bool)
    if cand.any():
        out[cand.to_numpy()] = duplicated_rows(df[cand.to_numpy()], keep="first").to_numpy()
    return out


# ---------------------------------------------------------------------------------------
# the pipeline
# ---------------------------------------------------------------------------------------


def _as_raw_tables(raw) -> RawTables:
    """Raw tables from whatever ``clean`` was given: raw tables, a read result, a Dataset or a frame."""
    from .readers import ReadResult

    if isinstance(raw, ReadResult):
        return apply_mapping(raw)
    if isinstance(raw, Dataset):
        return RawTables(
            raw.interactions,
            raw.items,
            raw.users,
            raw.sources,
            dict(raw.meta.get("source", {})),
            tuple(raw.rating_scale),
            raw.name,
        )
    if isinstance(raw, pd.DataFrame):
        return RawTables(raw)
    return raw


@dataclass
class _Run:
    """What the cleaning steps share: the rows so far, the options, the input, the report being written."""

    df: pd.DataFrame
    opts: CleaningOptions
    raw: RawTables
    rep: CleaningReport
    raw_rating: pd.Series | None = None  # the rating column as read (for orig_rating)
    target: tuple = (1.0, 5.0)  # the rating scale of the result
    ctrl: dict = field(default_factory=dict)  # values holding control characters, per column
    fixed: dict = field(default_factory=dict)  # what the streaming ingest measured over the whole file
    star: pd.Series | None = None  # rows holding star labels (when the own scale is deferred)


def clean(raw, options: CleaningOptions | dict | None = None, progress=None, *, name: str | None = None):
    """Clean raw tables (or a Dataset, or a read result) -> ``(Dataset, CleaningReport)``.

    ``progress(fraction, label)`` is called between steps.  The input is never modified.
    """
    raw = _as_raw_tables(raw)
    opts = options if isinstance(options, CleaningOptions) else CleaningOptions.from_dict(options)
    prog = progress or (lambda f, label="": None)
    df = raw.interactions
    if "user_id" not in df or "item_id" not in df:
        raise UserError(
            f"{raw.name}: the interactions table has no user or film column - map the user and film columns"
        )
    df = df[[c for c in INTERACTION_COLUMNS if c in df.columns]].reset_index(drop=True)
    rep = CleaningReport(source=dict(raw.source_info), rows_in=len(df), options=opts.to_dict())
    rep.warnings += list(getattr(raw, "warnings", []) or [])
    run = _Run(df, opts, raw, rep)
    prog(0.0, "start")
    for k, step in enumerate(_STEPS, start=1):
        rep.steps.append(step(run))
        prog(min(k / len(STEP_LABELS), 1.0), rep.steps[-1].label)
    prog(0.97, "assemble")
    ds = _assemble(run, name)
    prog(1.0, "done")
    return ds, rep


# 1 exact duplicates -------------------------------------------------------------
def _step_exact_duplicates(run: _Run) -> StepReport:
    df, n = run.df, len(run.df)
    if not (run.opts.exact_duplicates and n):
        return StepReport("exact_duplicates", n, n, 0, [], "off", enabled=bool(run.opts.exact_duplicates))
    dup = duplicated_full_rows(df)
    ex = _examples(df, dup)
    run.df = _without(df, dup)
    return StepReport(
        "exact_duplicates", n, len(run.df), int(dup.sum()), ex, f"{int(dup.sum())} identical rows removed"
    )


# 2 id normalisation ----------------------------------------------------------------
def _trimmed_ids(col: pd.Series) -> tuple[pd.Series, np.ndarray]:
    st = col.astype("string").str.strip()
    st = st.mask(st.eq(""))
    return st.astype(object).where(st.notna(), None), np.zeros(len(col), dtype=bool)


def _count_control_chars(run: _Run) -> dict:
    """Values holding NUL or other control characters per column; a report warning when there are any."""
    df = run.df
    ctrl = {c: count_control(df[c]) for c in ("user_id", "item_id", "text") if c in df}
    if any(ctrl.values()):
        run.rep.warnings.append(control_warning(ctrl))
    return ctrl


def control_warning(ctrl: dict) -> str:
    return (
        "control characters (NUL, ...) removed from "
        + ", ".join(f"{v} {k} value(s)" for k, v in ctrl.items() if v)
        + " - they are never part of an id or a review"
    )


def _step_normalise_ids(run: _Run) -> StepReport:
    df, n = run.df, len(run.df)
    changed_total, ex = 0, []
    ctrl = run.ctrl = _count_control_chars(run)
    for c in ("user_id", "item_id"):
        before = df[c]
        if not run.opts.normalise_ids and ctrl.get(c):
            before = strip_control(before)
        after, changed = normalise_ids_fast(before) if run.opts.normalise_ids else _trimmed_ids(before)
        cnt = int(changed.sum())
        if cnt:
            changed_total += cnt
            idx = before.index[changed][:3]
            ex += [{"column": c, "before": _jsonable(before.loc[i]), "after": _jsonable(after.loc[i])} for i in idx]
        df[c] = after
    detail = (
        f"{changed_total} ids re-spelt (e.g. ' 1', '1.0' -> '1')"
        if run.opts.normalise_ids
        else "off (ids only trimmed)"
    )
    return StepReport("normalise_ids", n, n, changed_total, ex[:5], detail, enabled=run.opts.normalise_ids)


# 3 missing ids ---------------------------------------------------------------------
def _step_missing_ids(run: _Run) -> StepReport:
    df, n = run.df, len(run.df)
    miss = df["user_id"].isna() | df["item_id"].isna()
    ex = _examples(df, miss)
    run.df = _without(df, miss)
    return StepReport(
        "missing_ids", n, len(run.df), int(miss.sum()), ex, f"{int(miss.sum())} rows without a user or film id dropped"
    )


# 4 ratings --------------------------------------------------------------------------
def _odd_ratings(r_raw: pd.Series, r: pd.Series) -> pd.Series:
    """Ratings present as written but not numbers (blank strings do not count)."""
    if _is_number_dtype(r_raw):
        return pd.Series(False, index=r.index)
    odd = r_raw.notna() & r.isna()
    if odd.any():
        blank = r_raw[odd].astype("string").str.strip().eq("").fillna(True)
        odd[blank[blank].index] = False
    return odd


def _step_parse_ratings(run: _Run) -> StepReport:
    df, n, opts = run.df, len(run.df), run.opts
    if "rating" not in df:
        df["rating"] = np.nan
        return StepReport("parse_ratings", n, n, 0, [], "no rating column: all rows are review/view-only")
    r_raw = run.raw_rating = df["rating"]
    r = pd.Series(to_float(r_raw), index=df.index) + 0.0  # "-0" is 0
    odd = _odd_ratings(r_raw, r)
    parsed_n, orig_rating, star_note = 0, None, ""
    if odd.any():
        orig_rating = r_raw.astype(object).copy()
        if opts.parse_ratings:
            uniq = pd.unique(r_raw[odd])
            table = {u: parse_rating_text(u) for u in uniq}
            vals = r_raw[odd].map(table).astype("float64")
            r = r.copy()
            r[odd] = vals
            parsed_n = int(vals.notna().sum())
            r, star_note = _star_labels_onto_own_scale(r, r_raw, odd, uniq, run)
    unparsed = odd & r.isna()
    shown = pd.DataFrame({"rating": r_raw, "parsed": r})
    ex = _examples(shown, odd & r.notna(), 3) + _examples(shown, unparsed, 3)
    df = df.copy(deep=False)  # copy-on-write: the new column never reaches the caller's frame
    df["rating"] = r
    if orig_rating is not None:
        df["orig_rating"] = orig_rating
    if opts.unparseable_ratings == "drop":
        df = _without(df, unparsed)
    run.df = df
    detail = f"{parsed_n} text ratings parsed{star_note}; {int(unparsed.sum())} unreadable " + (
        "rows dropped" if opts.unparseable_ratings == "drop" else "kept without a rating"
    )
    return StepReport("parse_ratings", n, len(df), int(odd.sum()), ex, detail, enabled=opts.parse_ratings)


# 5 missing ratings -------------------------------------------------------------------
def _step_missing_ratings(run: _Run) -> StepReport:
    df, n = run.df, len(run.df)
    miss = df["rating"].isna()
    if run.opts.missing_ratings == "drop":
        ex = _examples(df, miss)
        run.df = _without(df, miss)
        return StepReport(
            "missing_ratings", n, len(run.df), int(miss.sum()), ex, f"{int(miss.sum())} rows without a rating dropped"
        )
    return StepReport(
        "missing_ratings",
        n,
        n,
        int(miss.sum()),
        _examples(df, miss, 3),
        f"{int(miss.sum())} rows without a rating kept as review/view-only rows",
    )


# 6 scale -----------------------------------------------------------------------------
def _detected_scale(run: _Run) -> tuple[float, float]:
    """The scale of the ratings, or the file's own scale hint when 99% of the ratings lie on it."""
    df, hint = run.df, run.raw.scale_hint
    if "detected_scale" in run.fixed:
        return run.fixed["detected_scale"]
    detected = detect_rating_scale(df["rating"])
    if hint and df["rating"].notna().any():
        lo_h, hi_h = hint
        rr = df["rating"].dropna()
        if ((rr >= lo_h) & (rr <= hi_h)).mean() >= 0.99:
            detected = (float(lo_h), float(hi_h))
    return detected


def _step_rating_scale(run: _Run) -> StepReport:
    df, n, opts, rep = run.df, len(run.df), run.opts, run.rep
    detected = _detected_scale(run)
    target = tuple(float(x) for x in opts.target_scale) if opts.target_scale else detected
    rep.detected_scale, rep.normalised_to = detected, target
    run.target = target
    if target == detected or not df["rating"].notna().any():
        return StepReport("rating_scale", n, n, 0, [], f"detected {detected[0]:g}-{detected[1]:g}; kept")
    (lo, hi), (tlo, thi) = detected, target
    if hi <= lo or thi <= tlo:
        raise UserError(
            f"{run.raw.name}: rating scale {list(target)} is not a range - give the lowest and highest rating, e.g. 1,5"
        )
    if "orig_rating" not in df:
        df["orig_rating"] = run.raw_rating if run.raw_rating is not None else df["rating"].astype(object)
    new = (df["rating"] - lo) / (hi - lo) * (thi - tlo) + tlo
    if opts.rating_step:
        new = (new / opts.rating_step).round() * opts.rating_step
    ex = _examples(pd.DataFrame({"before": df["rating"], "after": new}), df["rating"].notna(), 5)
    changed = int((new != df["rating"]).fillna(False).sum())
    df["rating"] = new
    return StepReport(
        "rating_scale",
        n,
        n,
        changed,
        ex,
        f"detected {detected[0]:g}-{detected[1]:g}, normalised to {tlo:g}-{thi:g} (original kept in orig_rating)",
    )


# 7 out of range -------------------------------------------------------------------------
def _step_out_of_range(run: _Run) -> StepReport:
    df, n, how = run.df, len(run.df), run.opts.out_of_range
    lo, hi = run.target
    oor = df["rating"].notna() & ((df["rating"] < lo - 1e-9) | (df["rating"] > hi + 1e-9))
    cnt = int(oor.sum())
    ex = _examples(df, oor)
    if cnt and how == "drop":
        run.df = _without(df, oor)
        detail = f"{cnt} ratings outside {lo:g}-{hi:g} dropped"
    elif cnt and how == "clip":
        run.df = df.copy(deep=False)
        run.df["rating"] = run.df["rating"].clip(lo, hi)
        detail = f"{cnt} ratings outside {lo:g}-{hi:g} clipped"
    else:
        detail = f"{cnt} ratings outside {lo:g}-{hi:g}" + (" kept" if cnt else "")
    return StepReport("out_of_range", n, len(run.df), cnt, ex, detail, enabled=how != "keep")


# 8 timestamps -----------------------------------------------------------------------------
def _step_timestamps(run: _Run) -> StepReport:
    df, n = run.df, len(run.df)
    if "timestamp" in df and run.opts.parse_timestamps:
        raw_ts = df["timestamp"]
        ts = parse_timestamps(raw_ts)
        bad = raw_ts.notna() & ts.isna()
        if bad.any():
            blank = raw_ts[bad].astype("string").str.strip().eq("").fillna(True)
            bad[blank[blank].index] = False
        present = raw_ts.notna()
        ex = _examples(pd.DataFrame({"timestamp": raw_ts}), bad)
        run.df = df.copy(deep=False)
        run.df["timestamp"] = ts
        return StepReport(
            "timestamps",
            n,
            n,
            int(bad.sum()),
            ex,
            f"{int(ts.notna().sum())} of {int(present.sum())} times read; {int(bad.sum())} unreadable left empty",
        )
    if "timestamp" in df:
        df = run.df = df.copy(deep=False)
        df["timestamp"] = (
            parse_timestamps(df["timestamp"]) if pd.api.types.is_datetime64_any_dtype(df["timestamp"].dtype) else pd.NaT
        )
    else:
        df["timestamp"] = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    detail = "no time column" if "timestamp" not in run.raw.interactions else "off"
    return StepReport("timestamps", n, n, 0, [], detail, enabled=run.opts.parse_timestamps)


# 9 text --------------------------------------------------------------------------------
def _step_review_text(run: _Run) -> StepReport:
    df, n, opts = run.df, len(run.df), run.opts
    if "text" not in df or not opts.clean_text:
        if "text" not in df:
            df["text"] = None
        else:
            t = df["text"].astype(object)
            if run.ctrl.get("text"):
                t = strip_control(t)
            df["text"] = t.where(t.notna(), None)
        detail = "no text column" if "text" not in run.raw.interactions else "off"
        return StepReport("review_text", n, n, 0, [], detail, enabled=opts.clean_text)
    before = df["text"]
    after, trunc = clean_text_series(before, opts.text_max_len)
    b_s = before.astype("string")
    a_s = pd.Series(after, index=before.index).astype("string")
    changed = ~((b_s == a_s).fillna(False).astype(bool) | (b_s.isna() & a_s.isna()))
    ex = [
        {
            "before": _jsonable(before.loc[i])[:120] if isinstance(before.loc[i], str) else _jsonable(before.loc[i]),
            "after": (after.loc[i] or "")[:120],
        }
        for i in changed[changed].index[:5]
    ]
    df = run.df = df.copy(deep=False)
    df["text"] = after
    if trunc.any():
        df["orig_text_truncated"] = trunc
    return StepReport(
        "review_text",
        n,
        n,
        int(changed.sum()),
        ex,
        f"{int(changed.sum())} texts cleaned (HTML, control characters, spaces); "
        f"{int(trunc.sum())} longer than {opts.text_max_len} characters truncated and flagged",
    )


# 10 repeated pairs ---------------------------------------------------------------------------
def _step_duplicate_pairs(run: _Run) -> StepReport:
    df, n, how = run.df, len(run.df), run.opts.duplicate_pairs
    dup = duplicated_rows(df, ["user_id", "item_id"], keep=False)
    nd = int(dup.sum())
    if not nd or how == "keep":
        return StepReport(
            "duplicate_pairs",
            n,
            n,
            nd,
            _examples(df, dup, 4),
            f"{nd} rows share a user-film pair" + (" (kept)" if nd else ""),
            enabled=how != "keep",
        )
    ex = _examples(df[dup].sort_values(["user_id", "item_id"], kind="stable"), None, 6)
    run.df = _merge_pairs(df, dup, how)
    kept = nd - (n - len(run.df))
    return StepReport(
        "duplicate_pairs",
        n,
        len(run.df),
        nd,
        ex,
        f"{nd} rows shared a user-film pair; merged to {kept} rows (keep {how})",
    )


# 11 suspicious users ---------------------------------------------------------------------------
def _step_suspicious_users(run: _Run) -> StepReport:
    df, n, opts = run.df, len(run.df), run.opts
    if not (opts.flag_suspicious and len(df)):
        return StepReport("suspicious_users", n, n, 0, [], "off", enabled=False)
    sus = suspicious_users(df, opts.suspicious_min_count, opts.suspicious_window_minutes)
    run.rep.suspicious_users = sus
    ids = [s["user_id"] for s in sus]
    if ids and opts.drop_suspicious:
        run.df = df[~df["user_id"].isin(ids)]
        detail = f"{len(ids)} users flagged and dropped at your request"
    else:
        detail = f"{len(ids)} users flagged (not dropped; decide on the Data page)"
    return StepReport("suspicious_users", n, len(run.df), len(ids), sus[:5], detail)


_STEPS = (
    _step_exact_duplicates,
    _step_normalise_ids,
    _step_missing_ids,
    _step_parse_ratings,
    _step_missing_ratings,
    _step_rating_scale,
    _step_out_of_range,
    _step_timestamps,
    _step_review_text,
    _step_pii,
    _step_duplicate_pairs,
    _step_suspicious_users,
)


def _assemble(run: _Run, name: str | None) -> Dataset:
    """The cleaned Dataset: canonical interactions, conformed film and user tables, the join report."""
    raw, rep = run.raw, run.rep
    inter = _canonical(run.df)
    rep.rows_out = len(inter)
    if rep.rows_out == 0:
        raise UserError(f"{raw.name}: no rows left after cleaning - check the column mapping and the cleaning options")
    items = _items_with_year(raw.items)
    items_c = conform_items(items) if items is not None else None
    users_c = conform_users(raw.users) if raw.users is not None else None
    rep.joins = join_report(inter, items_c, users_c)
    meta = {
        "cleaning": rep.to_dict(),
        "source": dict(raw.source_info),
        "suspicious_users": [s["user_id"] for s in rep.suspicious_users],
    }
    ds = Dataset(
        inter,
        items_c,
        users_c,
        tuple(float(x) for x in run.target),
        name=name or raw.name,
        sources=tuple(raw.sources),
        meta=meta,
    )
    rep.warnings += _join_warnings(rep.joins)
    ds.meta["cleaning"] = rep.to_dict()
    return ds


def _merge_pairs(df: pd.DataFrame, dup: pd.Series, how: str) -> pd.DataFrame:
    """One row per repeated user-film pair, placed where the pair first appeared."""
    single, many = df[~dup], df[dup]
    positions = many.index  # _order -> original index label
    many = many.assign(_order=np.arange(len(many)))
    if how not in ("latest", "first", "mean"):
        raise UserError(f"unknown duplicate policy {how!r} - choose latest, mean, first or keep")
    if how == "latest":
        many = many.sort_values(["timestamp", "_order"], kind="stable", na_position="first")
    g = many.groupby(["user_id", "item_id"], sort=False)
    merged = g.first() if how == "first" else g.last()  # first/last non-null per column
    if how == "mean":
        merged["rating"] = g["rating"].mean()
    first_pos = g["_order"].min().reindex(merged.index).to_numpy()
    merged = merged.drop(columns="_order").reset_index()
    merged.index = positions[first_pos]
    merged = merged[[c for c in single.columns if c in merged.columns]]
    return pd.concat([single, merged]).sort_index(kind="stable")


def _bursts_sorted(u: np.ndarray, rv: np.ndarray, t: np.ndarray, min_count: int):
    """The (user, rating, time) rows that could form a burst - those of a (user, rating value) group with at least
    ``min_count`` rows - sorted by user, rating value, then time (one two-key sort instead of three keys over
    every row)."""
    rcode, rvals = pd.factorize(rv, sort=True)  # rank of the rating value: sorting by it sorts by the value
    g = u.astype(np.int64) * max(len(rvals), 1) + rcode
    gcode, guniq = pd.factorize(g)
    big = np.bincount(gcode, minlength=len(guniq))[gcode] >= min_count
    u, rv, t, g = u[big], rv[big], t[big], g[big]
    order = np.lexsort((t, g))
    return u[order], rv[order], t[order]


def suspicious_users(df: pd.DataFrame, min_count: int = 100, window_minutes: float = 10.0) -> list[dict]:
    """Users with >= ``min_count`` identical ratings within ``window_minutes`` (or, without
    times, >= ``min_count`` ratings that are all identical)."""
    r = df[df["rating"].notna()]
    if len(r) < min_count or min_count < 2:
        return []
    ucode, uniques = pd.factorize(r["user_id"])
    out = []
    ts = r["timestamp"]
    has_ts = ts.notna()
    if has_ts.any():
        m = has_ts.to_numpy()
        u, rv = ucode[m], r["rating"].to_numpy()[m]
        t = ts[has_ts].to_numpy().astype("datetime64[ns]").astype("int64")
        u, rv, t = _bursts_sorted(u, rv, t, min_count)
        k = min_count - 1
        if len(u) > k:
            same = (u[k:] == u[:-k]) & (rv[k:] == rv[:-k])
            span = t[k:] - t[:-k]
            hit = same & (span <= window_minutes * 60e9)
            if hit.any():
                idx = np.nonzero(hit)[0]
                flagged = {}
                for j in idx:
                    code = int(u[j + k])
                    if code not in flagged:
                        flagged[code] = (float(rv[j + k]), int(t[j + k]), int(span[j]))
                counts = np.bincount(ucode, minlength=len(uniques))
                for code, (val, _tend, sp) in flagged.items():
                    out.append(
                        {
                            "user_id": str(uniques[code]),
                            "ratings": int(counts[code]),
                            "rating": val,
                            "burst": int(min_count),
                            "minutes": round(sp / 60e9, 2),
                            "rule": "burst",  # >= burst ratings of the same value within window minutes
                            "window": float(window_minutes),
                        }
                    )
    no_ts_users = pd.Series(ucode[~has_ts.to_numpy()])
    if len(no_ts_users):
        sub = pd.DataFrame({"u": no_ts_users.to_numpy(), "r": r["rating"].to_numpy()[~has_ts.to_numpy()]})
        g = sub.groupby("u")["r"].agg(["size", "nunique", "first"])
        seen = {o["user_id"] for o in out}
        for code, row in g[(g["size"] >= min_count) & (g["nunique"] == 1)].iterrows():
            uid = str(uniques[code])
            if uid not in seen:
                out.append(
                    {
                        "user_id": uid,
                        "ratings": int(row["size"]),
                        "rating": float(row["first"]),
                        "burst": int(row["size"]),
                        "minutes": None,
                        "rule": "constant",  # burst ratings, all the same value, no timestamps
                        "window": None,
                    }
                )
    out.sort(key=lambda d: -d["ratings"])
    return out


def _canonical(df: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "user_id": df["user_id"].astype(object),
            "item_id": df["item_id"].astype(object),
            "rating": pd.to_numeric(df["rating"], errors="coerce").astype("float64"),
            "timestamp": df["timestamp"]
            if pd.api.types.is_datetime64_any_dtype(df["timestamp"].dtype)
            else pd.to_datetime(df["timestamp"], errors="coerce"),
            "text": df["text"].astype(object),
        }
    )
    out["timestamp"] = out["timestamp"].astype("datetime64[ns]")
    out["text"] = out["text"].where(out["text"].notna(), None).astype(object)
    for c in df.columns:
        if c == "orig_text_truncated":
            out[c] = df[c].fillna(False).astype(bool).values
        elif c == "orig_rating":
            # as written in the file, one type (text) so every store can hold it
            codes, uniq = pd.factorize(df[c], use_na_sentinel=True)
            labels = [f"{x:g}" if isinstance(x, (float, np.floating)) else str(x) for x in uniq]
            out[c] = np.array(labels + [None], dtype=object)[codes]
        elif str(c).startswith("orig_"):
            out[c] = df[c].values
    return out.reset_index(drop=True)


_YEAR_RE = r"\((\d{4})\)\s*$"


def _items_with_year(items):
    if items is None:
        return None
    if "title" in items and ("year" not in items or items["year"].isna().all()):
        items = items.copy()
        items["year"] = pd.to_numeric(
            items["title"].astype("string").str.extract(_YEAR_RE, expand=False), errors="coerce"
        )
    return items


def join_report(inter: pd.DataFrame, items: pd.DataFrame | None, users: pd.DataFrame | None) -> dict:
    """Ids that do not match between the interactions and the metadata tables."""
    out = {}
    if items is not None:
        ids_i = pd.Index(inter["item_id"].unique())
        meta = pd.Index(items["item_id"])
        missing = ids_i.difference(meta)
        unused = meta.difference(ids_i)
        out["items"] = {
            "films_in_interactions": int(len(ids_i)),
            "films_in_metadata": int(len(meta)),
            "films_without_metadata": int(len(missing)),
            "examples_without_metadata": [str(x) for x in missing[:5]],
            "metadata_without_interactions": int(len(unused)),
            "examples_metadata_without_interactions": [str(x) for x in unused[:5]],
        }
    if users is not None:
        ids_u = pd.Index(inter["user_id"].unique())
        meta = pd.Index(users["user_id"])
        missing = ids_u.difference(meta)
        unused = meta.difference(ids_u)
        out["users"] = {
            "users_in_interactions": int(len(ids_u)),
            "users_in_metadata": int(len(meta)),
            "users_without_metadata": int(len(missing)),
            "examples_without_metadata": [str(x) for x in missing[:5]],
            "metadata_without_interactions": int(len(unused)),
            "examples_metadata_without_interactions": [str(x) for x in unused[:5]],
        }
    return out


def _join_warnings(joins: dict) -> list[str]:
    w = []
    it = joins.get("items")
    if it and it["films_without_metadata"]:
        w.append(
            f"{it['films_without_metadata']} of {it['films_in_interactions']} films have no row in the film table "
            f"(e.g. {', '.join(it['examples_without_metadata'][:3])})"
        )
    us = joins.get("users")
    if us and us["users_without_metadata"]:
        w.append(
            f"{us['users_without_metadata']} of {us['users_in_interactions']} users have no row in the user table "
            f"(e.g. {', '.join(us['examples_without_metadata'][:3])})"
        )
    return w
