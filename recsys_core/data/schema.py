"""The canonical tables every part of CineLens speaks.

Interactions (one row per user-film event)::

    user_id    str        never empty; ids are normalised strings ("1", "1.0", " 1" -> "1")
    item_id    str        never empty
    rating     float64    NaN for review-only / viewing-only rows
    timestamp  datetime64[ns] (naive, UTC) or NaT
    text       object (str or None)   a short review

Items (optional)::

    item_id str, title str, genres list[str], year Int64, region str,
    synopsis str, people list[str]

Users (optional)::

    user_id str, age Int64, age_band str, gender str, city str, occupation str
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

INTERACTION_COLUMNS = ["user_id", "item_id", "rating", "timestamp", "text"]
ITEM_COLUMNS = ["item_id", "title", "genres", "year", "region", "synopsis", "people"]
USER_COLUMNS = ["user_id", "age", "age_band", "gender", "city", "occupation"]
LIST_COLUMNS = ("genres", "people")
# film fields an interactions file may carry beside each rating (MovieLens-style joined exports)
INTERACTION_FILM_FIELDS = ["title", "genres", "year"]
# the fields a table of each role can be mapped to, and every canonical field
ROLE_FIELDS = {
    "interactions": INTERACTION_COLUMNS + INTERACTION_FILM_FIELDS,
    "items": ITEM_COLUMNS,
    "users": USER_COLUMNS,
}
ALL_FIELDS = list(dict.fromkeys(INTERACTION_COLUMNS + ITEM_COLUMNS + USER_COLUMNS))


def normalise_id(value) -> str | None:
    """One spelling per id: ``1``, ``1.0``, ``" 1"`` and ``"1"`` all become ``"1"``.

    Returns None for missing / blank values.
    """
    if value is None:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    s = str(value).strip()
    if not s or s.lower() in {"nan", "none", "null", "<na>"}:
        return None
    # "12.0" -> "12" but keep "1.5" and "007" as they are written
    if s.endswith(".0") and s[:-2].lstrip("-").isdigit():
        s = s[:-2]
    return s


def normalise_id_series(s: pd.Series) -> pd.Series:
    """Vectorised :func:`normalise_id` (fast path for numeric and clean string columns)."""
    if pd.api.types.is_integer_dtype(s.dtype) and not s.isna().any():
        return s.astype("int64").astype(str).astype(object)
    if pd.api.types.is_float_dtype(s.dtype):
        out = pd.Series([None] * len(s), index=s.index, dtype=object)
        ok = s.notna()
        vals = s[ok]
        integral = np.isclose(vals, np.round(vals))
        out.loc[vals.index[integral]] = vals[integral].round().astype("int64").astype(str).values
        out.loc[vals.index[~integral]] = vals[~integral].map(repr).values
        return out
    st = s.astype("string").str.strip()
    st = st.str.replace(r"^(-?\d+)\.0$", r"\1", regex=True)
    st = st.mask(st.isna() | st.eq("") | st.str.lower().isin(["nan", "none", "null", "<na>"]))
    return st.astype(object).where(st.notna(), None)


def _as_list(v) -> list[str]:
    if v is None:
        return []
    if isinstance(v, float) and math.isnan(v):
        return []
    if isinstance(v, (list, tuple, np.ndarray)):
        return [str(x).strip() for x in v if x is not None and str(x).strip()]
    s = str(v)
    for sep in ("|", "/", ",", "，", "、", ";"):
        if sep in s:
            return [p.strip() for p in s.split(sep) if p.strip()]
    return [s.strip()] if s.strip() else []


def conform_interactions(df: pd.DataFrame) -> pd.DataFrame:
    """Return a new frame with exactly the canonical interaction columns and dtypes.

    Extra columns whose names start with ``orig_`` (e.g. ``orig_rating``) are kept.
    """
    out = pd.DataFrame(index=df.index)
    out["user_id"] = normalise_id_series(df["user_id"]) if "user_id" in df else None
    out["item_id"] = normalise_id_series(df["item_id"]) if "item_id" in df else None
    out["rating"] = pd.to_numeric(df["rating"], errors="coerce").astype("float64") if "rating" in df else np.nan
    if "timestamp" in df:
        ts = df["timestamp"]
        if not pd.api.types.is_datetime64_any_dtype(ts.dtype):
            ts = pd.to_datetime(ts, errors="coerce")
        if getattr(ts.dt, "tz", None) is not None:
            ts = ts.dt.tz_convert("UTC").dt.tz_localize(None)
        out["timestamp"] = ts.astype("datetime64[ns]")
    else:
        out["timestamp"] = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    if "text" in df:
        t = df["text"].astype(object)
        out["text"] = t.where(t.notna(), None)
    else:
        out["text"] = None
    out["text"] = out["text"].astype(object)
    for c in df.columns:
        if str(c).startswith("orig_"):
            out[c] = df[c]
    return out.reset_index(drop=True)


def conform_items(df: pd.DataFrame | None) -> pd.DataFrame | None:
    if df is None:
        return None
    out = pd.DataFrame(index=df.index)
    out["item_id"] = normalise_id_series(df["item_id"])
    out["title"] = df["title"].astype(object) if "title" in df else None
    for c in LIST_COLUMNS:
        out[c] = df[c].map(_as_list) if c in df else [[] for _ in range(len(df))]
    out["year"] = (
        pd.to_numeric(df["year"], errors="coerce").astype("Int64")
        if "year" in df
        else pd.array([pd.NA] * len(df), dtype="Int64")
    )
    for c in ("region", "synopsis"):
        out[c] = df[c].astype(object).where(df[c].notna(), None) if c in df else None
    out = out[ITEM_COLUMNS]
    out = out[out["item_id"].notna()].drop_duplicates("item_id", keep="first")
    return out.reset_index(drop=True)


def age_band(age) -> str | None:
    if age is None or pd.isna(age):
        return None
    a = int(age)
    for hi, label in ((17, "<18"), (24, "18-24"), (34, "25-34"), (44, "35-44"), (54, "45-54")):
        if a <= hi:
            return label
    return "55+"


def conform_users(df: pd.DataFrame | None) -> pd.DataFrame | None:
    if df is None:
        return None
    out = pd.DataFrame(index=df.index)
    out["user_id"] = normalise_id_series(df["user_id"])
    out["age"] = (
        pd.to_numeric(df["age"], errors="coerce").astype("Int64")
        if "age" in df
        else pd.array([pd.NA] * len(df), dtype="Int64")
    )
    if "age_band" in df:
        out["age_band"] = df["age_band"].astype(object).where(df["age_band"].notna(), None)
    else:
        out["age_band"] = out["age"].map(age_band).astype(object)
    for c in ("gender", "city", "occupation"):
        out[c] = df[c].astype(object).where(df[c].notna(), None) if c in df else None
    out = out[USER_COLUMNS]
    out = out[out["user_id"].notna()].drop_duplicates("user_id", keep="first")
    return out.reset_index(drop=True)
