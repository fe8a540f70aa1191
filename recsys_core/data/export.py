"""Export tables as CSV (UTF-8 with BOM, so Excel shows Chinese) and Excel, safely.

Every CSV/Excel download of the app and every ``--out`` of the command line goes through
:func:`export_bytes` / :func:`write_export` (OWASP's CSV-injection advice):

* any *text* cell (and header) starting with ``=``, ``+``, ``-``, ``@``, tab, carriage return or NUL (or
  their full-width forms) gets a leading apostrophe, so spreadsheet programs never run it as a formula;
* NUL and other control characters (not tab, CR, LF) inside text cells are removed (they end the cell early in
  many readers, and Excel refuses them).

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

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\x00", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_PLAIN_NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")
EXCEL_MAX_ROWS = 1_048_575


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # never text; Excel refuses them


def neutralise_cell(v):
    if isinstance(v, str) and v:
        if _CONTROL.search(v):
            v = _CONTROL.sub("", v)
        if v and v[0] in FORMULA_PREFIXES and not _PLAIN_NUMBER.match(v):
            v = "'" + v
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
        risky = st.astype("string").str.contains(
            r"^[=+\-@\t\r\uff1d\uff0b\uff0d\uff20]|[\x00-\x08\x0b\x0c\x0e-\x1f]", na=False
        )
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


def export_bytes(tables: dict[str, pd.DataFrame] | pd.DataFrame, fmt: str = "csv") -> bytes:
    """The one export function: ``fmt`` "csv" (first table) or "xlsx" (one sheet per table), neutralised."""
    if fmt == "xlsx":
        return to_excel_bytes(tables)
    if isinstance(tables, dict):
        tables = next(iter(tables.values()))
    return to_csv_bytes(tables)


def write_export_bytes(data: bytes, path) -> Path:
    """Write already-neutralised export bytes to ``path`` via a temporary name (never half a file)."""
    p = Path(path)
    tmp = p.with_name(p.name + ".part")
    try:
        tmp.write_bytes(data)
        tmp.replace(p)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise UserError(f"{p}: cannot write the file ({e.strerror}) - choose another folder") from None
    return p


def write_export(tables: dict[str, pd.DataFrame] | pd.DataFrame, path) -> Path:
    """Write an export to ``path`` (.xlsx/.xlsm as a workbook, anything else as CSV), neutralised; a temporary
    name is written first, so a failed write never leaves half a file."""
    p = Path(path)
    fmt = "xlsx" if p.suffix.lower() in (".xlsx", ".xlsm") else "csv"
    return write_export_bytes(export_bytes(tables, fmt), p)


ID_COLUMNS = ("user_id",)


def pseudonymise_frame(df: pd.DataFrame, secret: bytes, columns=ID_COLUMNS) -> pd.DataFrame:
    """A copy with the id columns replaced by keyed pseudonyms (HMAC-SHA256, stable for the same key)."""
    from ..profiling.audience import pseudonymise

    out = df.copy()
    for c in columns:
        if c in out.columns:
            ok = out[c].notna()
            vals = out[c].astype(object)
            vals[ok] = pseudonymise(out.loc[ok, c], secret)
            out[c] = vals
    return out


def dataset_tables(ds) -> dict[str, pd.DataFrame]:
    out = {"interactions": ds.interactions}
    if ds.items is not None:
        out["items"] = ds.items
    if ds.users is not None:
        out["users"] = ds.users
    return out


def export_dataset(ds, path, table: str = "interactions", secret: bytes | None = None) -> Path:
    """Write the interactions (or every table, for .xlsx) to ``path`` (.csv or .xlsx); with ``secret`` the user
    ids are pseudonymised in every table."""
    p = Path(path)
    tables = dataset_tables(ds)
    if secret is not None:
        tables = {k: pseudonymise_frame(v, secret) for k, v in tables.items()}
    if p.suffix.lower() in (".xlsx", ".xlsm"):
        return write_export(tables, p)
    if table not in tables:
        raise UserError(f"{p.name}: the dataset has no {table} table - export interactions instead")
    return write_export(tables[table], p)
