"""Export tables as CSV (UTF-8 with BOM, so Excel shows Chinese) and Excel, safely.

Any *text* cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a
leading apostrophe so spreadsheet programs never run it as a formula (CSV injection).
Numbers stay numbers: numeric columns are untouched, and text cells that are plain
numbers (``-3``, ``+1.5``) are left as they are.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import UserError

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")
EXCEL_MAX_ROWS = 1_048_575


def neutralise_cell(v):
    if isinstance(v, str) and v and v[0] in FORMULA_PREFIXES and not _PLAIN_NUMBER.match(v):
        return "'" + v
    return v


def _flatten(v):
    if isinstance(v, (list, tuple, np.ndarray)):
        return "|".join(str(x) for x in v)
    return v


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with list cells joined by '|' and formula-like text cells neutralised."""
    out = df.copy()
    for c in out.columns:
        s = out[c]
        if (
            pd.api.types.is_numeric_dtype(s.dtype)
            or pd.api.types.is_datetime64_any_dtype(s.dtype)
            or pd.api.types.is_bool_dtype(s.dtype)
        ):
            continue
        obj = s.astype(object)
        if obj.map(lambda v: isinstance(v, (list, tuple, np.ndarray))).any():
            obj = obj.map(_flatten)
        st = obj.where(obj.map(lambda v: isinstance(v, str)), None)
        risky = st.astype("string").str.match(r"^[=+\-@\t\r]", na=False)
        if risky.any():
            obj = obj.copy()
            obj[risky] = obj[risky].map(neutralise_cell)
        out[c] = obj
    out.columns = [neutralise_cell(str(c)) for c in out.columns]
    return out


def _for_text(df: pd.DataFrame) -> pd.DataFrame:
    out = neutralise_frame(df)
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c].dtype):
            out[c] = out[c].dt.strftime("%Y-%m-%dT%H:%M:%S")
    return out


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """UTF-8 with BOM, comma-separated, formula cells neutralised."""
    buf = io.StringIO()
    _for_text(df).to_csv(buf, index=False, lineterminator="\r\n")
    return buf.getvalue().encode("utf-8-sig")


def to_excel_bytes(sheets: dict[str, pd.DataFrame] | pd.DataFrame) -> bytes:
    """An .xlsx workbook (one sheet per frame), formula cells neutralised; numbers stay numbers."""
    if isinstance(sheets, pd.DataFrame):
        sheets = {"data": sheets}
    for name, df in sheets.items():
        if len(df) > EXCEL_MAX_ROWS:
            raise UserError(f"sheet {name}: {len(df):,} rows exceed Excel's limit of 1,048,576 - export as CSV instead")
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        for name, df in sheets.items():
            safe = neutralise_frame(df)
            for c in safe.columns:
                if pd.api.types.is_datetime64_any_dtype(safe[c].dtype) and getattr(safe[c].dt, "tz", None) is not None:
                    safe[c] = safe[c].dt.tz_localize(None)
            sheet = re.sub(r"[\[\]:*?/\\]", "_", str(name))[:31] or "data"
            safe.to_excel(xw, sheet_name=sheet, index=False)
    return buf.getvalue()


def dataset_tables(ds) -> dict[str, pd.DataFrame]:
    out = {"interactions": ds.interactions}
    if ds.items is not None:
        out["items"] = ds.items
    if ds.users is not None:
        out["users"] = ds.users
    return out


def export_dataset(ds, path, table: str = "interactions") -> Path:
    """Write the interactions (or every table, for .xlsx) to ``path`` (.csv or .xlsx)."""
    p = Path(path)
    ext = p.suffix.lower()
    try:
        if ext in (".xlsx", ".xlsm"):
            p.write_bytes(to_excel_bytes(dataset_tables(ds)))
        else:
            tables = dataset_tables(ds)
            if table not in tables:
                raise UserError(f"{p.name}: the dataset has no {table} table - export interactions instead")
            p.write_bytes(to_csv_bytes(tables[table]))
    except OSError as e:
        raise UserError(f"{p}: cannot write the file ({e.strerror}) - choose another folder") from None
    return p
