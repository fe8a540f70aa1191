"""The promotion tables: film-level table, daily box office, campaign exposure log, behaviour log.

Reading goes through the Data page's readers (encoding, delimiter, header, Excel/JSON/zip
detection); columns are mapped by header aliases (Chinese and English) the same way, can be
overridden with ``mapping`` (canonical field -> source column), and cleaned with the same
parsers (ids, timestamps). Every problem raises :class:`UserError` naming the column and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..data.cleaning import parse_timestamps
from ..data.detect import normalise_header
from ..data.schema import normalise_id_series
from ..errors import UserError

KINDS = ("films", "box_office_daily", "exposures", "behaviour")

ALIASES: dict[str, dict[str, list[str]]] = {
    "films": {
        "item_id": ["item_id", "film_id", "movie_id", "film", "movie", "id", "影片id", "电影id"],
        "title": ["title", "name", "movie_title", "film_name", "片名", "电影名", "影片名"],
        "genres": ["genres", "genre", "类型", "题材"],
        "release_date": ["release_date", "release", "released", "上映日期", "上映时间", "首映日期"],
        "budget": ["budget", "production_budget", "预算", "制作成本", "成本"],
        "runtime": ["runtime", "duration", "length_min", "片长", "时长"],
        "certificate": ["certificate", "mpaa", "mpaa_rating", "rated", "age_rating", "分级"],
        "distributor": ["distributor", "studio", "发行方", "发行公司", "出品方"],
        "director": ["director", "directors", "导演"],
        "cast": ["cast", "actors", "stars", "主演", "演员"],
        "want_to_see": ["want_to_see", "wishlist", "wish_count", "想看", "想看人数"],
        "trailer_views": ["trailer_views", "trailer_plays", "预告片播放量", "预告播放"],
        "social_mentions": ["social_mentions", "mentions", "buzz", "社交提及", "讨论量", "话题量"],
        "gross": [
            "gross",
            "total_gross",
            "worldwide_gross",
            "box_office",
            "boxoffice",
            "revenue",
            "票房",
            "总票房",
            "累计票房",
        ],
        "opening_gross": ["opening_gross", "opening", "opening_weekend", "首周票房", "首日票房", "首周末票房"],
        "rating": ["rating", "score", "vote_average", "imdb_rating", "douban_rating", "评分", "豆瓣评分"],
        "votes": ["votes", "vote_count", "num_votes", "评分人数", "投票数"],
        "reviews": ["reviews", "review_count", "num_reviews", "评论数", "影评数"],
    },
    "box_office_daily": {
        "item_id": ["item_id", "film_id", "movie_id", "film", "movie", "影片id"],
        "date": ["date", "day", "日期"],
        "gross": ["gross", "daily_gross", "box_office", "revenue", "票房", "当日票房"],
    },
    "exposures": {
        "user_id": ["user_id", "userid", "user", "uid", "用户id", "用户"],
        "campaign": ["campaign", "campaign_id", "活动", "投放活动", "广告活动"],
        "item_id": ["item_id", "film_id", "movie_id", "影片id"],
        "arm": ["arm", "group", "variant", "treatment", "分组", "实验组"],
        "channel": ["channel", "placement", "media", "渠道", "媒体", "广告位"],
        "exposed_at": ["exposed_at", "exposure_time", "timestamp", "time", "date", "曝光时间", "时间"],
        "impressions": ["impressions", "imps", "曝光次数", "展示次数"],
        "click": ["click", "clicked", "clicks", "点击"],
        "converted": ["converted", "conversion", "purchase", "bought", "watched", "转化", "购票", "观看"],
        "cost": ["cost", "spend", "花费", "费用", "消耗"],
    },
    "behaviour": {
        "user_id": ["user_id", "userid", "user", "uid", "用户id", "用户"],
        "timestamp": ["timestamp", "time", "datetime", "event_time", "时间"],
        "action": ["action", "event", "event_type", "behaviour", "behavior", "行为", "事件"],
        "item_id": ["item_id", "film_id", "movie_id", "影片id"],
        "duration_s": ["duration_s", "duration", "watch_time", "dwell", "时长", "观看时长"],
        "channel": ["channel", "source", "渠道", "来源"],
    },
}
# what each table needs (the rest is optional)
REQUIRED = {
    "films": ["gross"],
    "box_office_daily": ["item_id", "date", "gross"],
    "exposures": ["user_id", "arm", "converted"],
    "behaviour": ["user_id", "timestamp"],
}
DATE_FIELDS = {"release_date", "date", "exposed_at", "timestamp"}
NUMBER_FIELDS = {
    "budget",
    "runtime",
    "want_to_see",
    "trailer_views",
    "social_mentions",
    "gross",
    "opening_gross",
    "rating",
    "votes",
    "reviews",
    "impressions",
    "cost",
    "duration_s",
}
FLAG_FIELDS = {"click", "converted"}
ID_FIELDS = {"item_id", "user_id"}
NON_NEGATIVE = {"budget", "cost", "impressions", "gross", "opening_gross", "duration_s", "runtime"}
_TRUE = {"1", "true", "yes", "y", "t", "是", "有", "已转化", "converted", "clicked"}
_FALSE = {"0", "false", "no", "n", "f", "否", "无", "", "nan", "none"}


@dataclass
class PromoTable:
    kind: str
    frame: pd.DataFrame  # canonical names, cleaned values; unmapped columns kept as they are
    mapping: dict  # canonical field -> source column
    notes: list = field(default_factory=list)  # what was dropped or fixed, one line each

    def has(self, *fields) -> bool:
        return all(f in self.frame.columns and self.frame[f].notna().any() for f in fields)


def suggest_mapping(columns, kind: str) -> dict[str, str]:
    """canonical field -> source column, from header aliases (the earlier alias wins)."""
    table = ALIASES[kind]
    out: dict[str, str] = {}
    rank: dict[str, int] = {}
    for col in columns:
        h = normalise_header(col)
        for f, names in table.items():
            norm = [normalise_header(n) for n in names]
            if h in norm and (f not in out or norm.index(h) < rank[f]) and col not in out.values():
                out[f], rank[f] = col, norm.index(h)
                break
    return out


def guess_kind(columns) -> str | None:
    """Which promotion table a set of headers looks like (None when none fits)."""
    best, score = None, 0
    for kind in KINDS:
        m = suggest_mapping(columns, kind)
        if not all(f in m for f in REQUIRED[kind]):
            continue
        s = (
            len(m)
            + (3 if kind == "exposures" and "arm" in m else 0)
            + (3 if kind == "behaviour" and "action" in m else 0)
        )
        if kind == "box_office_daily" and len(columns) > 5:
            s -= 5
        if s > score:
            best, score = kind, s
    return best


def _label(kind: str) -> str:
    return {
        "films": "film table",
        "box_office_daily": "daily box-office table",
        "exposures": "campaign exposure log",
        "behaviour": "behaviour log",
    }[kind]


def _numbers(s: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(s.dtype):
        return pd.to_numeric(s, errors="coerce").astype("float64")
    t = s.astype("string").str.strip().str.replace(",", "", regex=False).str.replace("，", "", regex=False)
    t = t.str.replace(r"^[¥$￥]", "", regex=True)
    return pd.to_numeric(t, errors="coerce").astype("float64")


def _flags(s: pd.Series, col: str, label: str) -> pd.Series:
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.astype(int)
    if pd.api.types.is_numeric_dtype(s.dtype):
        v = pd.to_numeric(s, errors="coerce").fillna(0)
        return (v > 0).astype(int)
    t = s.astype("string").str.strip().str.lower().fillna("")
    num = pd.to_numeric(t, errors="coerce")
    ok = t.isin(_TRUE) | t.isin(_FALSE) | num.notna()
    if not ok.all():
        bad = t[~ok].iloc[0]
        raise UserError(
            f"{label}: column {col!r} should hold 0/1 (or yes/no) but has {int((~ok).sum())} other values "
            f"(e.g. {bad!r}) - write 1 for yes and 0 for no"
        )
    return (t.isin(_TRUE) | (num.fillna(0) > 0)).astype(int)


def _check_dates(raw: pd.Series, parsed: pd.Series, col: str, label: str) -> None:
    given = raw.notna() & (raw.astype("string").str.strip() != "")
    bad = given & parsed.isna()
    if given.sum() and bad.sum() > 0.5 * given.sum():
        ex = str(raw[bad].iloc[0])
        raise UserError(
            f"{label}: column {col!r} is not dates ({int(bad.sum())} of {int(given.sum())} values unreadable, "
            f"e.g. {ex!r}) - write dates like 2025-03-01 or 2025-03-01 20:15, or map another column"
        )


def _resolve_mapping(frame: pd.DataFrame, kind: str, mapping: dict | None, label: str) -> dict:
    """canonical field -> column: the header suggestions, overridden by the user's choices."""
    m = suggest_mapping(frame.columns, kind)
    for f, col in (mapping or {}).items():
        if col is None:  # the user unmapped a field the headers suggested
            m.pop(f, None)
            continue
        if col not in frame.columns:
            raise UserError(
                f"{label}: mapping {f}={col!r} names no column; columns are {', '.join(map(str, frame.columns))}"
            )
        m = {k: v for k, v in m.items() if v != col}
        m[f] = col
    return m


def _unmapped(mapping: dict | None, m: dict) -> list[str]:
    return [f for f, col in (mapping or {}).items() if col is None and f not in m]


def clean_table(frame: pd.DataFrame, kind: str, mapping: dict | None = None) -> PromoTable:
    """Rename mapped columns to canonical names and clean their values (input frame untouched)."""
    if kind not in KINDS:
        raise UserError(f"unknown table kind {kind!r}; choose one of {', '.join(KINDS)}")
    label = _label(kind)
    m = _resolve_mapping(frame, kind, mapping, label)
    missing = [f for f in REQUIRED[kind] if f not in m]
    if missing:
        raise UserError(_missing_message(kind, missing, frame.columns))
    rename = {col: f for f, col in m.items()}
    df = frame[[c for c in frame.columns if c not in rename or True]].copy()
    df = df.drop(columns=[c for c in df.columns if c in m and c not in rename], errors="ignore")
    df = df.rename(columns=rename)
    df = df.drop(columns=_unmapped(mapping, m), errors="ignore")  # a field the user chose to leave out
    df = df.loc[:, ~df.columns.duplicated()]
    notes: list[str] = []
    for f in list(df.columns):
        col = next((c for c, g in rename.items() if g == f), f)
        if f in ID_FIELDS:
            df[f] = normalise_id_series(df[f])
        elif f in DATE_FIELDS:
            parsed = parse_timestamps(df[f])
            _check_dates(df[f], parsed, col, label)
            df[f] = parsed
        elif f in NUMBER_FIELDS:
            raw = df[f]
            v = _numbers(raw)
            if f in NON_NEGATIVE and (v < 0).any():
                k = int(np.flatnonzero((v < 0).to_numpy())[0])
                raise UserError(
                    f"{label}: column {col!r} has {int((v < 0).sum())} negative values (row {k + 2}: {raw.iloc[k]}) - "
                    f"{'spend' if f == 'cost' else f} cannot be negative; fix those rows or drop the column"
                )
            df[f] = v
        elif f in FLAG_FIELDS:
            df[f] = _flags(df[f], col, label)
    if kind == "films" and "gross" in df:
        bad = ~(df["gross"] > 0)
        if bad.all():
            raise UserError(
                f"{label}: column {m['gross']!r} has no positive numbers - it should hold box-office takings"
            )
        if bad.any():
            notes.append(f"{int(bad.sum())} films without a positive {m['gross']} are left out of the forecast")
    if kind == "films" and "item_id" not in df:
        df.insert(0, "item_id", df["title"].astype(str) if "title" in df else [f"F{k + 1}" for k in range(len(df))])
    return PromoTable(kind, df.reset_index(drop=True), m, notes)


def _missing_message(kind: str, missing: list[str], columns) -> str:
    label = _label(kind)
    hint = {
        "gross": "add total box office as a column named gross (or 票房)",
        "arm": "add a column arm with test / control for each row (none when there was no control group)",
        "converted": "add a column converted with 1 when the user bought a ticket or watched, else 0",
        "user_id": "add a column user_id",
        "timestamp": "add a column timestamp with the time of each event",
        "item_id": "add a column item_id naming the film",
        "date": "add a column date",
    }
    fixes = "; ".join(hint.get(f, f"add a column {f}") for f in missing)
    cols = ", ".join(map(str, list(columns)[:12]))
    return (
        f"{label}: no {' / '.join(missing)} column (columns found: {cols}) - {fixes}, or map yours "
        f"(the column pickers under the upload, or --map {missing[0]}=YOUR_COLUMN on the command line)"
    )


def read_frame(source, filename: str | None = None) -> pd.DataFrame:
    """The first table of a path or of (``filename``, bytes), as read (headers and values untouched)."""
    from ..data.readers import read_path, read_upload

    if isinstance(source, (bytes, bytearray)):
        res = read_upload(filename or "upload.csv", bytes(source))
        name = filename or "upload"
    else:
        res = read_path(source)
        name = str(source)
    if not res.tables:
        raise UserError(f"{name}: no table found - upload a CSV or Excel file with a header row")
    return res.tables[0].frame


def read_table(source, kind: str | None = None, mapping: dict | None = None, filename: str | None = None) -> PromoTable:
    """Read one promotion table from a path or from (``filename``, bytes) and clean it.

    ``kind`` None guesses it from the headers.
    """
    frame = read_frame(source, filename)
    name = (filename or "upload") if isinstance(source, (bytes, bytearray)) else str(source)
    if kind is None:
        kind = guess_kind(frame.columns)
        if kind is None:
            raise UserError(
                f"{name}: cannot tell which promotion table this is from its columns "
                f"({', '.join(map(str, frame.columns[:10]))}) - name the table kind"
            )
    return clean_table(frame, kind, mapping)


def read_folder(folder) -> dict[str, PromoTable]:
    """Every promotion table in a folder (e.g. ``data/demo/promotion``), by kind."""
    from pathlib import Path

    out: dict[str, PromoTable] = {}
    p = Path(folder)
    if not p.is_dir():
        raise UserError(f"{folder}: not a folder - point at the folder holding the promotion tables")
    for f in sorted(p.glob("*.csv")):
        kind = f.stem if f.stem in KINDS else None
        t = read_table(f, kind)
        out[t.kind] = t
    return out


def per_user(exposures: pd.DataFrame, campaign: str | None = None) -> pd.DataFrame:
    """One row per (campaign, user): arm (normalised), first channel, first exposure, any click /
    conversion, summed cost and impressions."""
    df = exposures
    if campaign is not None and "campaign" in df:
        df = df[df["campaign"].astype(str) == str(campaign)]
    arm = df["arm"].astype("string").str.strip().str.lower().fillna("none")
    arm = arm.map(lambda a: ARM_NAMES.get(a, a)).astype(object)
    d = df.assign(arm=arm)
    keys = ["campaign", "user_id"] if "campaign" in d else ["user_id"]
    agg = {"arm": "first", "converted": "max"}
    for c, how in (
        ("click", "max"),
        ("channel", "first"),
        ("exposed_at", "min"),
        ("cost", "sum"),
        ("impressions", "sum"),
    ):
        if c in d:
            agg[c] = how
    return d.groupby(keys, sort=True, dropna=False).agg(agg).reset_index()


ARM_NAMES = {
    "test": "test",
    "treatment": "test",
    "treated": "test",
    "exposed": "test",
    "ad": "test",
    "b": "test",
    "1": "test",
    "实验": "test",
    "实验组": "test",
    "测试": "test",
    "测试组": "test",
    "control": "control",
    "holdout": "control",
    "ctrl": "control",
    "a": "control",
    "0": "control",
    "对照": "control",
    "对照组": "control",
    "none": "none",
    "": "none",
    "no_control": "none",
    "无": "none",
}
