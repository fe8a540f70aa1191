"""Named result tables in the workspace: precomputed recommendation lists, audiences, segments, metrics.

Each table records its origin (engine, master, parameters, time) so every page can say where a
result came from. Tables are plain DuckDB tables ``result_r<n>``; nothing is pickled.
"""

from __future__ import annotations

import json

import pandas as pd

from .errors import UserError

KINDS = ("recommendations", "audiences", "profiles", "segments", "metrics", "lift", "grid")
_SCHEMA = """
CREATE SEQUENCE IF NOT EXISTS result_seq START 1;
CREATE TABLE IF NOT EXISTS result_tables (
    result_id VARCHAR PRIMARY KEY, kind VARCHAR, name VARCHAR, created TIMESTAMP, rows BIGINT,
    data_version VARCHAR, origin VARCHAR
);
"""


def _ensure(c) -> None:
    c.execute(_SCHEMA)


def _table(result_id: str) -> str:
    if not (result_id.startswith("r") and result_id[1:].isdigit()):
        raise UserError(f"invalid result id {result_id!r}")
    return f"result_{result_id}"


def save_results(ws, tables: list[tuple[str, str, pd.DataFrame]], origin: dict, data_version: str | None) -> list[str]:
    """Store ``[(kind, name, frame)]`` in one transaction; returns the new result ids (all or nothing)."""
    from .store import _json, _now, _one

    ids = []
    with ws._cursor() as c:
        _ensure(c)
    with ws._transaction() as c:
        for kind, name, frame in tables:
            n = _one(c.execute("SELECT nextval('result_seq')"))[0]
            rid = f"r{n}"
            c.register("_res", frame)
            c.execute(f"CREATE TABLE {_table(rid)} AS SELECT * FROM _res")
            c.unregister("_res")
            c.execute(
                "INSERT INTO result_tables VALUES (?,?,?,?,?,?,?)",
                [rid, kind, name, _now(), int(len(frame)), data_version, _json(origin)],
            )
            ids.append(rid)
    return ids


def list_results(ws, kind: str | None = None) -> pd.DataFrame:
    """result_id, kind, name, created, rows, data_version, origin (dict); newest first."""
    with ws._cursor() as c:
        _ensure(c)
        q = "SELECT * FROM result_tables"
        args = []
        if kind:
            q += " WHERE kind = ?"
            args.append(kind)
        df = c.execute(q + " ORDER BY CAST(substr(result_id, 2) AS INTEGER) DESC", args).df()
    df["origin"] = df["origin"].map(lambda s: json.loads(s) if s else {})
    return df


def load_result(ws, result_id: str, where: dict | None = None, order: str | None = None) -> pd.DataFrame:
    """The rows of one result table, optionally filtered by equality on columns (``{"user_id": "u1"}``)."""
    table = _table(result_id)
    with ws._cursor() as c:
        _ensure(c)
        if c.execute("SELECT 1 FROM result_tables WHERE result_id = ?", [result_id]).fetchone() is None:
            raise UserError(f"result {result_id} does not exist in this workspace")
        cols = [r[0] for r in c.execute(f"DESCRIBE {table}").fetchall()]
        q, args = f"SELECT * FROM {table}", []
        if where:
            bad = [k for k in where if k not in cols]
            if bad:
                raise UserError(f"result {result_id} has no column {bad[0]!r}")
            q += " WHERE " + " AND ".join(f'"{k}" = ?' for k in where)
            args = [str(v) for v in where.values()]
        if order:
            if order not in cols:
                raise UserError(f"result {result_id} has no column {order!r}")
            q += f' ORDER BY "{order}"'
        return c.execute(q, args).df()


def distinct_values(ws, result_id: str, column: str, limit: int = 5000) -> list[str]:
    table = _table(result_id)
    with ws._cursor() as c:
        cols = [r[0] for r in c.execute(f"DESCRIBE {table}").fetchall()]
        if column not in cols:
            raise UserError(f"result {result_id} has no column {column!r}")
        rows = c.execute(f'SELECT DISTINCT "{column}" FROM {table} ORDER BY 1 LIMIT {int(limit)}').fetchall()
    return [str(r[0]) for r in rows]
