"""The workspace: one embedded DuckDB database plus a few folders, surviving restarts.

Layout of a workspace folder::

    cinelens.duckdb     catalogue + dataset tables + registry + feedback + events
    uploads/<sha256>/   raw uploaded bytes, exactly as received (never modified)
    models/<id>.npz     fitted models written by the workspace (sha256 recorded); arrays + JSON state, see
                        recsys_core.safestore (never a bare pickle: a workspace folder is data, not code)
    artifacts/<k>.npz   cached results (e.g. trained sentiment models), same format, sha256 recorded
    cache/<name>/       scratch folders (jieba's cache, ...)

Thread safety: one DuckDB connection per process and path; every call takes a cursor under a
lock, so several Streamlit sessions (threads of one server) share it safely. Writes that span
several statements run in a transaction: a failure leaves the workspace as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import threading
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd

from . import audit, keys, safestore
from .data.dataset import Dataset
from .errors import UserError
from .failures import WorkspaceCorrupt, WorkspaceLocked, classify

_SCHEMA = """
CREATE SEQUENCE IF NOT EXISTS version_seq START 1;
CREATE TABLE IF NOT EXISTS versions (
    version_id VARCHAR PRIMARY KEY, name VARCHAR, kind VARCHAR, parent VARCHAR,
    created TIMESTAMP, users INTEGER, items INTEGER, rows BIGINT, note VARCHAR,
    rating_lo DOUBLE, rating_hi DOUBLE, sources VARCHAR, meta VARCHAR, report VARCHAR,
    upload_id VARCHAR, has_items BOOLEAN, has_users BOOLEAN
);
CREATE TABLE IF NOT EXISTS uploads (
    upload_id VARCHAR PRIMARY KEY, filename VARCHAR, bytes BIGINT, created TIMESTAMP, path VARCHAR
);
CREATE TABLE IF NOT EXISTS models (
    model_id VARCHAR PRIMARY KEY, name VARCHAR, params VARCHAR, metrics VARCHAR,
    data_version VARCHAR, created TIMESTAMP, path VARCHAR, sha256 VARCHAR, note VARCHAR
);
CREATE SEQUENCE IF NOT EXISTS feedback_seq START 1;
CREATE TABLE IF NOT EXISTS feedback (
    event_id BIGINT PRIMARY KEY, ts TIMESTAMP, user_id VARCHAR, item_id VARCHAR, action VARCHAR,
    value DOUBLE, model_id VARCHAR, arm VARCHAR, session VARCHAR, data_version VARCHAR
);
CREATE TABLE IF NOT EXISTS events (ts TIMESTAMP, kind VARCHAR, level VARCHAR, payload VARCHAR);
CREATE TABLE IF NOT EXISTS segment_runs (
    run_id VARCHAR PRIMARY KEY, data_version VARCHAR, created TIMESTAMP, params VARCHAR, personas VARCHAR
);
CREATE TABLE IF NOT EXISTS segment_members (run_id VARCHAR, user_id VARCHAR, segment INTEGER);
CREATE TABLE IF NOT EXISTS settings (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS artifacts (kind VARCHAR, key VARCHAR, path VARCHAR, sha256 VARCHAR, created TIMESTAMP,
    PRIMARY KEY (kind, key));
CREATE TABLE IF NOT EXISTS mappings (name VARCHAR PRIMARY KEY, mapping VARCHAR, created TIMESTAMP);
CREATE TABLE IF NOT EXISTS accounts (name VARCHAR PRIMARY KEY, hash VARCHAR, role VARCHAR, created TIMESTAMP);
"""

_LOCK = threading.RLock()
_OPEN: dict[str, "Workspace"] = {}

#: DuckDB's memory for the workspace's connection (DuckDB's own default is 80% of the machine's memory, held by a
#: server for its whole life once reached): beyond it, sorts, joins and aggregates spill to ``cache/duckdb/``.
#: ``CINELENS_DUCKDB_MEMORY`` sets another size ("2GB", "512MB").
DUCKDB_MEMORY = "1GB"
_SIZE = re.compile(r"\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)")


def duckdb_memory() -> str:
    """The workspace connection's DuckDB memory limit: ``CINELENS_DUCKDB_MEMORY`` or :data:`DUCKDB_MEMORY`."""
    raw = os.environ.get("CINELENS_DUCKDB_MEMORY", "").strip()
    if not raw:
        return DUCKDB_MEMORY
    if not _SIZE.fullmatch(raw.upper()):
        raise UserError(f"CINELENS_DUCKDB_MEMORY={raw!r} is not a size - set it like '1GB' or '512MB', or unset it")
    return raw


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@contextmanager
def _removed_on_error(path: Path):
    """Delete ``path`` when the block fails (a file written for a database row that was never committed)."""
    try:
        yield
    except BaseException:
        path.unlink(missing_ok=True)
        raise


@contextmanager
def _memory_limit(cur, limit: str):
    """DuckDB's memory limit lowered for one big write (a version copied in from Parquet): the rows a transaction
    adds are written to the file as they come instead of being held in memory until it commits."""
    before = _one(cur.execute("SELECT current_setting('memory_limit')"))[0]
    cur.execute(f"SET memory_limit = '{limit}'")
    try:
        yield
    finally:
        cur.execute(f"SET memory_limit = '{before}'")


def _one(result):
    """First row of a result (or None), draining it so the connection is free for the next statement."""
    rows = result.fetchall()
    return rows[0] if rows else None


def _where(**filters) -> tuple[str, list]:
    """`` WHERE a = ? AND b = ?`` for the filters that are not None (column names are ours, never user input)."""
    used = {k: v for k, v in filters.items() if v is not None}
    if not used:
        return "", []
    return " WHERE " + " AND ".join(f"{k} = ?" for k in used), list(used.values())


def default_path() -> Path:
    return Path(os.environ.get("CINELENS_WORKSPACE") or "workspace")


def open_workspace(path: str | os.PathLike | None = None) -> "Workspace":
    """The process-wide workspace for ``path`` (created on first use)."""
    p = Path(path) if path is not None else default_path()
    key = str(p.resolve())
    with _LOCK:
        ws = _OPEN.get(key)
        if ws is None or ws._closed:
            ws = Workspace(p)
            _OPEN[key] = ws
        return ws


def _json(v) -> str:
    return json.dumps(v, ensure_ascii=False, default=_json_default)


def _json_default(o):
    import numpy as np

    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        f = float(o)
        return None if f != f else f
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (pd.Timestamp, datetime)):
        return o.isoformat()
    if isinstance(o, (set, tuple)):
        return list(o)
    return str(o)


def _open_error(path: Path, e: Exception) -> UserError:
    """A locked workspace and a damaged database are different problems with different fixes."""
    code = classify(e)
    if code == "db_locked":
        return WorkspaceLocked(
            f"workspace {path} is in use by another CineLens process; close it or set CINELENS_WORKSPACE to another "
            "folder"
        )
    if code == "db_corrupt":
        return WorkspaceCorrupt(
            f"workspace {path}: cinelens.duckdb is damaged (not a readable DuckDB database); restore it from a copy "
            "or set CINELENS_WORKSPACE to a new folder"
        )
    return UserError(f"workspace {path} cannot be opened ({str(e).splitlines()[0][:200]})")


class Workspace:
    def __init__(self, path: Path):
        self.path = Path(path)
        for sub in ("uploads", "models", "artifacts", "cache"):
            (self.path / sub).mkdir(parents=True, exist_ok=True)
        self.db_path = self.path / "cinelens.duckdb"
        limit = duckdb_memory()
        try:
            self._con = duckdb.connect(str(self.db_path))
        except duckdb.Error as e:
            raise _open_error(self.path, e) from None
        spill = str(self.path / "cache" / "duckdb").replace("'", "''")
        self._con.execute(f"SET memory_limit = '{limit}'")
        self._con.execute(f"SET temp_directory = '{spill}'")
        self._con.execute("SET enable_progress_bar = false")  # no bar on the server's or the CLI's stdout
        self._lock = threading.RLock()
        self._tx = threading.local()  # the cursor of this thread's open transaction, if any
        self._closed = False
        with self._cursor() as c:
            c.execute(_SCHEMA)
            c.execute("ALTER TABLE models ADD COLUMN IF NOT EXISTS label VARCHAR")
        self.swept = self.sweep()

    # ------------------------------------------------------------------ plumbing
    @contextmanager
    def _cursor(self):
        with self._lock:
            open_tx = getattr(self._tx, "cursor", None)
            if open_tx is not None:  # inside transaction(): every statement joins it
                yield open_tx
                return
            cur = self._con.cursor()
            try:
                yield cur
            finally:
                cur.close()

    @contextmanager
    def _transaction(self):
        with self._lock:
            if getattr(self._tx, "cursor", None) is not None:  # nested: part of the outer transaction
                yield self._tx.cursor
                return
            with self._cursor() as c:
                c.execute("BEGIN TRANSACTION")
                self._tx.cursor = c
                try:
                    yield c
                except BaseException:
                    c.execute("ROLLBACK")
                    raise
                else:
                    c.execute("COMMIT")
                finally:
                    self._tx.cursor = None

    def transaction(self):
        """All workspace writes inside ``with ws.transaction():`` commit together or not at all."""
        return self._transaction()

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._con.close()
                self._closed = True

    def cache_dir(self, name: str) -> Path:
        p = self.path / "cache" / name
        p.mkdir(parents=True, exist_ok=True)
        return p

    # ------------------------------------------------------------------ uploads
    def save_upload(self, filename: str, data: bytes) -> str:
        """Keep the raw bytes forever; identical uploads are stored once."""
        return self._keep_upload(
            filename, hashlib.sha256(data).hexdigest(), len(data), lambda tmp: tmp.write_bytes(data)
        )

    def save_upload_file(self, filename: str, source) -> str:
        """:meth:`save_upload` for a file on disk (a big upload spooled by the app): copied in blocks, never held in
        memory; the same id (SHA-256 of the bytes) and layout."""
        source = Path(source)
        return self._keep_upload(
            filename, _sha256_file(source), source.stat().st_size, lambda tmp: shutil.copyfile(source, tmp)
        )

    def _keep_upload(self, filename: str, digest: str, size: int, write) -> str:
        """Write the upload under ``uploads/<digest>/<name>`` through a ``.part`` file (``write(tmp)``), then its row."""
        folder = self.path / "uploads" / digest
        safe_name = Path(filename).name or "upload.bin"
        target = folder / safe_name
        if not target.exists():
            folder.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(target.suffix + ".part")
            try:
                write(tmp)
                tmp.replace(target)
            except BaseException:  # disk full, permissions: no half-written file stays behind
                tmp.unlink(missing_ok=True)
                raise
        with self._cursor() as c:
            c.execute(
                "INSERT INTO uploads SELECT ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM uploads WHERE upload_id = ?)",
                [digest, safe_name, int(size), _now(), str(target.relative_to(self.path)), digest],
            )
        return digest

    def sweep(self) -> dict:
        """Start-up clean-up of what an interrupted write can leave: ``.part`` files, upload / model / artifact
        files that no database row points to (their transaction never committed), and rows whose file is gone.
        Returns {kind: count} of what was removed and logs it."""
        removed: dict[str, int] = {}

        def bump(kind: str) -> None:
            removed[kind] = removed.get(kind, 0) + 1

        scratch = self.path / "cache" / "ingest"  # big uploads being read in parts by a server that stopped
        if scratch.is_dir() and any(scratch.iterdir()):
            shutil.rmtree(scratch, ignore_errors=True)
            bump("partial_files")
        for sub in ("uploads", "models", "artifacts"):
            for part in (self.path / sub).rglob("*.part"):
                part.unlink(missing_ok=True)
                bump("partial_files")
        with self._cursor() as c:
            tracked = {
                "uploads": {r[0] for r in c.execute("SELECT path FROM uploads").fetchall()},
                "models": {r[0] for r in c.execute("SELECT path FROM models").fetchall()},
                "artifacts": {r[0] for r in c.execute("SELECT path FROM artifacts").fetchall()},
            }
        for sub, paths in tracked.items():
            for f in (self.path / sub).rglob("*"):
                if f.is_file() and str(f.relative_to(self.path)) not in paths:
                    f.unlink(missing_ok=True)
                    bump(f"orphan_{sub}")
            for d in sorted((self.path / sub).rglob("*"), reverse=True):
                if d.is_dir() and not any(d.iterdir()):
                    d.rmdir()
        with self._cursor() as c:
            for table, key in (("uploads", "upload_id"), ("models", "model_id"), ("artifacts", "path")):
                for k, path in c.execute(f"SELECT {key}, path FROM {table}").fetchall():
                    if not (self.path / path).is_file():
                        c.execute(f"DELETE FROM {table} WHERE {key} = ?", [k])
                        bump(f"rows_without_file_{table}")
        if removed:
            self.log_event("startup_sweep", removed, level="warning")
        return removed

    def upload_bytes(self, upload_id: str) -> tuple[str, bytes]:
        with self._cursor() as c:
            row = _one(c.execute("SELECT filename, path FROM uploads WHERE upload_id = ?", [upload_id]))
        if row is None:
            raise UserError(f"upload {upload_id} is not in this workspace")
        return row[0], (self.path / row[1]).read_bytes()

    # ------------------------------------------------------------------ dataset versions
    @staticmethod
    def _table(version_id: str, part: str) -> str:
        if not version_id.replace("v", "").isdigit():
            raise UserError(f"invalid version id {version_id!r}")
        return f"data_{version_id}_{part}"

    def add_version(
        self,
        dataset: Dataset,
        kind: str = "raw",
        parent: str | None = None,
        note: str = "",
        report: dict | None = None,
        upload_id: str | None = None,
    ) -> str:
        """Store ``dataset`` as a new immutable version; returns its id ("v1", "v2", …)."""
        inter = dataset.interactions.copy()
        items = dataset.items
        users = dataset.users
        with self._transaction() as c:
            n = _one(c.execute("SELECT nextval('version_seq')"))[0]
            vid = f"v{n}"
            c.register("_inter", inter)
            c.execute(f"CREATE TABLE {self._table(vid, 'interactions')} AS SELECT * FROM _inter")
            c.unregister("_inter")
            if items is not None:
                c.register("_items", items)
                c.execute(f"CREATE TABLE {self._table(vid, 'items')} AS SELECT * FROM _items")
                c.unregister("_items")
            if users is not None:
                c.register("_users", users)
                c.execute(f"CREATE TABLE {self._table(vid, 'users')} AS SELECT * FROM _users")
                c.unregister("_users")
            s = dataset.summary()
            self._record_version(
                c, vid, dataset.name, kind, parent, (s["users"], s["items"], s["interactions"]), note,
                dataset.rating_scale, _json(list(dataset.sources)), dataset.meta, report, upload_id,
                items is not None, users is not None,
            )  # fmt: skip
        self._log_version(vid, kind, dataset.name, s["interactions"], parent)
        return vid

    def add_version_from_parquet(
        self,
        parquet_path,
        name: str,
        rating_scale: tuple,
        sources: tuple,
        meta: dict,
        kind: str = "raw",
        parent: str | None = None,
        note: str = "",
        report: dict | None = None,
        upload_id: str | None = None,
    ) -> str:
        """A new version whose interactions DuckDB reads from a Parquet file (the streaming ingest): the rows never
        pass through a pandas frame; counted in SQL like :meth:`add_version`'s summary."""
        src = str(Path(parquet_path)).replace("'", "''")
        with self._transaction() as c, _memory_limit(c, "512MB"):
            n = _one(c.execute("SELECT nextval('version_seq')"))[0]
            vid = f"v{n}"
            table = self._table(vid, "interactions")
            c.execute(f"CREATE TABLE {table} AS SELECT * FROM read_parquet('{src}')")
            users, items, rows = _one(
                c.execute(f"SELECT count(DISTINCT user_id), count(DISTINCT item_id), count(*) FROM {table}")
            )
            self._record_version(
                c, vid, name, kind, parent, (users, items, rows), note, rating_scale, _json(list(sources)), meta,
                report, upload_id, False, False,
            )  # fmt: skip
        self._log_version(vid, kind, name, rows, parent)
        return vid

    def add_version_without_users(self, version_id: str, user_ids, meta: dict, note: str = "") -> str:
        """A new cleaned version: ``version_id`` without these users' rows (and without them in its users table),
        copied by DuckDB, so no row passes through pandas; its films table is kept. Raises UserError when no row
        would be left."""
        if not self.has_version(version_id):
            raise UserError(f"dataset version {version_id} does not exist in this workspace")
        drop = pd.DataFrame({"user_id": sorted({str(u) for u in user_ids})}, dtype=object)
        with self._transaction() as c:
            name, lo, hi, sources, has_items, has_users = _one(
                c.execute(
                    "SELECT name, rating_lo, rating_hi, sources, has_items, has_users FROM versions "
                    "WHERE version_id = ?",
                    [version_id],
                )
            )
            n = _one(c.execute("SELECT nextval('version_seq')"))[0]
            vid = f"v{n}"
            c.register("_drop", drop)
            for part, keep in (("interactions", True), ("items", has_items), ("users", has_users)):
                if not keep:
                    continue
                src, dst = self._table(version_id, part), self._table(vid, part)
                where = "" if part == "items" else " WHERE user_id NOT IN (SELECT user_id FROM _drop)"
                c.execute(f"CREATE TABLE {dst} AS SELECT * FROM {src}{where}")
            c.unregister("_drop")
            inter = self._table(vid, "interactions")
            users, items, rows = _one(
                c.execute(f"SELECT count(DISTINCT user_id), count(DISTINCT item_id), count(*) FROM {inter}")
            )
            if not rows:
                raise UserError("dropping these users would leave no rows - keep at least one user")
            self._record_version(
                c, vid, name, "cleaned", version_id, (users, items, rows), note, (lo, hi), sources, meta, None, None,
                has_items, has_users,
            )  # fmt: skip
        self._log_version(vid, "cleaned", name, rows, version_id)
        return vid

    @staticmethod
    def _record_version(
        c, vid, name, kind, parent, counts, note, scale, sources_json, meta, report, upload_id, has_items, has_users
    ) -> None:
        """The ``versions`` row of a new version (inside the caller's transaction); the first version becomes the
        default of new sessions."""
        users, items, rows = counts
        c.execute(
            "INSERT INTO versions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [vid, name, kind, parent, _now(), users, items, rows, note, float(scale[0]), float(scale[1]), sources_json,
             _json(meta), _json(report) if report is not None else None, upload_id, bool(has_items), bool(has_users)],
        )  # fmt: skip
        if _one(c.execute("SELECT value FROM settings WHERE key = 'active_version'")) is None:
            c.execute("INSERT INTO settings VALUES ('active_version', ?)", [vid])

    def _log_version(self, vid: str, kind: str, name: str, rows: int, parent) -> None:
        self.log_event(
            "dataset_version_added", {"version_id": vid, "kind": kind, "name": name, "rows": rows, "parent": parent}
        )

    def list_versions(self) -> pd.DataFrame:
        active = self.active_version()
        with self._cursor() as c:
            df = c.execute(
                "SELECT version_id, name, kind, parent, created, users, items, rows, note FROM versions "
                "ORDER BY CAST(substr(version_id, 2) AS INTEGER)"
            ).df()
        df["active"] = df["version_id"] == active
        return df

    def has_version(self, version_id: str) -> bool:
        with self._cursor() as c:
            return _one(c.execute("SELECT 1 FROM versions WHERE version_id = ?", [version_id])) is not None

    def load_version(self, version_id: str) -> Dataset:
        with self._cursor() as c:
            row = _one(
                c.execute(
                    "SELECT name, rating_lo, rating_hi, sources, meta, has_items, has_users FROM versions WHERE version_id = ?",
                    [version_id],
                )
            )
            if row is None:
                raise UserError(f"dataset version {version_id} does not exist in this workspace")
            name, lo, hi, sources, meta, has_items, has_users = row
            inter = c.execute(f"SELECT * FROM {self._table(version_id, 'interactions')}").df()
            items = c.execute(f"SELECT * FROM {self._table(version_id, 'items')}").df() if has_items else None
            users = c.execute(f"SELECT * FROM {self._table(version_id, 'users')}").df() if has_users else None
        inter["timestamp"] = pd.to_datetime(inter["timestamp"]).astype("datetime64[ns]")
        inter["text"] = inter["text"].astype(object).where(inter["text"].notna(), None)
        if items is not None:
            for col in ("genres", "people"):
                items[col] = items[col].map(lambda v: [] if v is None else list(v))
        return Dataset(
            inter,
            items,
            users,
            (lo, hi),
            name=name,
            sources=tuple(json.loads(sources or "[]")),
            version=version_id,
            meta=json.loads(meta or "{}"),
        )

    def version_meta(self, version_id: str) -> dict:
        """A version's metadata (source, cleaning report, flags) without reading its rows."""
        with self._cursor() as c:
            row = _one(c.execute("SELECT meta FROM versions WHERE version_id = ?", [version_id]))
        if row is None:
            raise UserError(f"dataset version {version_id} does not exist in this workspace")
        return json.loads(row[0] or "{}")

    # ------------------------------------------------------------------ aggregates in SQL (no frame in memory)
    def version_summary(self, version_id: str) -> dict:
        """The numbers of :meth:`Dataset.summary` computed by DuckDB over the stored version."""
        inter = self._table(version_id, "interactions")
        with self._cursor() as c:
            if not _one(c.execute("SELECT 1 FROM versions WHERE version_id = ?", [version_id])):
                raise UserError(f"dataset version {version_id} does not exist in this workspace")
            row = _one(
                c.execute(
                    "SELECT count(DISTINCT user_id), count(DISTINCT item_id), count(*), count(rating), "
                    "count(DISTINCT CASE WHEN rating IS NOT NULL THEN user_id END), "
                    "count(DISTINCT CASE WHEN rating IS NOT NULL THEN item_id END), avg(rating), "
                    "count(*) FILTER (WHERE text IS NOT NULL AND trim(CAST(text AS VARCHAR)) <> ''), "
                    f"min(timestamp), max(timestamp) FROM {inter}"
                )
            )
            name, lo, hi, has_items, has_users = _one(
                c.execute(
                    "SELECT name, rating_lo, rating_hi, has_items, has_users FROM versions WHERE version_id = ?",
                    [version_id],
                )
            )
        users, items, n_inter, n_ratings, r_users, r_items, mean, reviews, first, last = row
        density = n_ratings / (r_users * r_items) if n_ratings else 0.0
        return {
            "name": name,
            "version": version_id,
            "users": int(users),
            "items": int(items),
            "interactions": int(n_inter),
            "ratings": int(n_ratings),
            "reviews": int(reviews),
            "rating_scale": [float(lo), float(hi)],
            "mean_rating": float(mean) if n_ratings else None,
            "sparsity": float(1.0 - density) if n_ratings else None,
            "first_time": pd.Timestamp(first).isoformat() if first is not None else None,
            "last_time": pd.Timestamp(last).isoformat() if last is not None else None,
            "has_items": bool(has_items),
            "has_users": bool(has_users),
        }

    def compare_versions(self, a: str, b: str) -> pd.DataFrame:
        """:func:`recsys_core.data.io.compare_datasets` of two stored versions, counted by DuckDB (no rows in pandas):
        ``measure, a, b, difference``. A pair's rating is its first row's (insertion order), as in the frame."""
        sa, sb = self.version_summary(a), self.version_summary(b)
        rows = []
        for k in ("interactions", "ratings", "reviews", "users", "items", "mean_rating", "sparsity"):
            va, vb = sa.get(k), sb.get(k)
            diff = (vb - va) if isinstance(va, (int, float)) and isinstance(vb, (int, float)) else None
            rows.append({"measure": k, "a": va, "b": vb, "difference": diff})
        ta, tb = self._table(a, "interactions"), self._table(b, "interactions")
        same = "x.user_id IS NOT DISTINCT FROM y.user_id AND x.item_id IS NOT DISTINCT FROM y.item_id"

        def only(t1: str, t2: str) -> str:  # rows of t1 whose pair is nowhere in t2
            return f"SELECT count(*) FROM {t1} x ANTI JOIN (SELECT DISTINCT user_id, item_id FROM {t2}) y ON {same}"

        def first(t: str) -> str:  # each pair's first row
            return (
                f"SELECT user_id, item_id, rating FROM {t} "
                f"WHERE rowid IN (SELECT min(rowid) FROM {t} GROUP BY user_id, item_id)"
            )

        with self._cursor() as c:
            only_a = _one(c.execute(only(ta, tb)))[0]
            only_b = _one(c.execute(only(tb, ta)))[0]
            changed = _one(
                c.execute(
                    f"SELECT count(*) FROM ({first(ta)}) x JOIN ({first(tb)}) y ON {same} "
                    "WHERE x.rating IS DISTINCT FROM y.rating"
                )
            )[0]
        rows += [
            {"measure": "pairs_only_in_a", "a": int(only_a), "b": None, "difference": None},
            {"measure": "pairs_only_in_b", "a": None, "b": int(only_b), "difference": None},
            {"measure": "pairs_with_changed_rating", "a": int(changed), "b": int(changed), "difference": None},
            {
                "measure": "rating_scale",
                "a": str(list(sa["rating_scale"])),
                "b": str(list(sb["rating_scale"])),
                "difference": None,
            },
        ]
        return pd.DataFrame(rows)

    def rating_counts(self, version_id: str) -> pd.DataFrame:
        """rating, n: how many ratings have each value (ascending)."""
        inter = self._table(version_id, "interactions")
        with self._cursor() as c:
            return c.execute(
                f"SELECT rating, count(*) AS n FROM {inter} WHERE rating IS NOT NULL GROUP BY rating ORDER BY rating"
            ).df()

    def top_items(self, version_id: str, n: int = 10) -> pd.DataFrame:
        """item_id, title, n, mean_rating of the ``n`` most rated films (ties: higher mean, then id)."""
        inter = self._table(version_id, "interactions")
        with self._cursor() as c:
            has_items = _one(c.execute("SELECT has_items FROM versions WHERE version_id = ?", [version_id]))
            top = c.execute(
                f"SELECT item_id, count(*) AS n, avg(rating) AS mean_rating FROM {inter} GROUP BY item_id "
                "ORDER BY n DESC, mean_rating DESC NULLS LAST, item_id LIMIT ?",
                [int(n)],
            ).df()
            titles = {}
            if has_items and has_items[0] and len(top):
                c.register("_top", top[["item_id"]])
                t = c.execute(
                    f"SELECT i.item_id, coalesce(i.title, i.item_id) AS title FROM {self._table(version_id, 'items')} i "
                    "JOIN _top USING (item_id)"
                ).df()
                c.unregister("_top")
                titles = dict(zip(t["item_id"], t["title"]))
        top.insert(1, "title", [titles.get(i) or "" for i in top["item_id"]])
        return top

    def activity_stats(self, version_id: str, by: str = "user_id") -> pd.DataFrame:
        """Per user (``by="user_id"``) or per film (``"item_id"``): n ratings and mean rating, in SQL."""
        if by not in ("user_id", "item_id"):
            raise ValueError("by must be user_id or item_id")
        inter = self._table(version_id, "interactions")
        with self._cursor() as c:
            return c.execute(
                f"SELECT {by}, count(rating) AS n, avg(rating) AS mean_rating FROM {inter} "
                f"WHERE rating IS NOT NULL GROUP BY {by} ORDER BY {by}"
            ).df()

    def sample_interactions(self, version_id: str, n: int, seed: int = 0) -> pd.DataFrame:
        """A seeded random sample of at most ``n`` interaction rows (for scatter and map charts)."""
        inter = self._table(version_id, "interactions")
        with self._cursor() as c:
            return c.execute(
                f"SELECT * FROM {inter} USING SAMPLE reservoir({int(n)} ROWS) REPEATABLE ({int(seed)})"
            ).df()

    def get_report(self, version_id: str) -> dict | None:
        with self._cursor() as c:
            row = _one(c.execute("SELECT report FROM versions WHERE version_id = ?", [version_id]))
        return json.loads(row[0]) if row and row[0] else None

    def version_info(self, version_id: str) -> dict | None:
        df = self.list_versions()
        row = df[df["version_id"] == version_id]
        return None if row.empty else row.iloc[0].to_dict()

    def active_version(self) -> str | None:
        v = self.get_setting("active_version")
        return v if v and self.has_version(v) else None

    def set_active(self, version_id: str) -> None:
        if not self.has_version(version_id):
            raise UserError(f"dataset version {version_id} does not exist in this workspace")
        self.set_setting("active_version", version_id)
        self.log_event("dataset_version_activated", {"version_id": version_id})

    def delete_version(self, version_id: str) -> None:
        if not self.has_version(version_id):
            raise UserError(f"dataset version {version_id} does not exist in this workspace")
        with self._transaction() as c:
            for part in ("interactions", "items", "users"):
                c.execute(f"DROP TABLE IF EXISTS {self._table(version_id, part)}")
            c.execute("DELETE FROM versions WHERE version_id = ?", [version_id])
        if self.get_setting("active_version") == version_id:
            remaining = self.list_versions()
            self.set_setting("active_version", remaining["version_id"].iloc[-1] if len(remaining) else "")
        self.log_event("dataset_version_deleted", {"version_id": version_id})

    # ------------------------------------------------------------------ model registry
    def register_model(
        self,
        model,
        name: str,
        metrics: dict | None,
        data_version: str | None,
        note: str = "",
        label: str | None = None,
    ) -> str:
        """Store a fitted model; ``name`` is the algorithm, ``label`` the readable name people see."""
        model_id = f"m-{_now():%Y%m%d%H%M%S}-{uuid.uuid4().hex[:6]}"
        path = self.path / "models" / f"{model_id}.npz"
        safestore.save(model, path)
        digest = _sha256_file(path)
        params = model.get_params() if hasattr(model, "get_params") else {}
        with self._cursor() as c, _removed_on_error(path):
            c.execute(
                "INSERT INTO models (model_id, name, params, metrics, data_version, created, path, sha256, note, label) "
                "VALUES (?,?,?,?,?,?,?,?,?,?)",
                [
                    model_id,
                    name,
                    _json(params),
                    _json(metrics or {}),
                    data_version,
                    _now(),
                    str(path.relative_to(self.path)),
                    digest,
                    note,
                    label,
                ],
            )
        self.log_event("model_registered", {"model_id": model_id, "name": name, "data_version": data_version})
        return model_id

    def list_models(self, data_version: str | None = None) -> pd.DataFrame:
        where, args = _where(data_version=data_version)
        with self._cursor() as c:
            df = c.execute(
                "SELECT model_id, name, params, metrics, data_version, created, path, sha256, note, label "
                f"FROM models{where} ORDER BY created",
                args,
            ).df()
        df["params"] = df["params"].map(lambda s: json.loads(s) if s else {})
        df["metrics"] = df["metrics"].map(lambda s: json.loads(s) if s else {})
        return df

    def load_model(self, model_id: str):
        """Load a model file the workspace itself wrote (path inside models/, sha256 must match)."""
        with self._cursor() as c:
            row = _one(c.execute("SELECT path, sha256 FROM models WHERE model_id = ?", [model_id]))
        if row is None:
            raise UserError(f"model {model_id} is not in this workspace's registry")
        path = (self.path / row[0]).resolve()
        models_dir = (self.path / "models").resolve()
        if models_dir not in path.parents or not path.is_file():
            raise UserError(f"model file for {model_id} is missing or outside the workspace; retrain it")
        if path.suffix != ".npz":
            raise safestore.UntrustedState(
                f"model {model_id} was saved as a pickle by an older CineLens, which is never loaded "
                "(a pickle can run code); retrain it"
            )
        if _sha256_file(path) != row[1]:
            raise UserError(f"model file for {model_id} was modified outside CineLens (sha256 mismatch); retrain it")
        return safestore.load(path, what=f"model {model_id}")

    def rename_model(self, model_id: str, label: str) -> None:
        label = " ".join(str(label).split())
        if not label:
            raise UserError("a model name cannot be empty - type a name or keep the current one")
        if len(label) > 120:
            raise UserError(f"a model name has at most 120 characters (got {len(label)})")
        with self._cursor() as c:
            if _one(c.execute("SELECT 1 FROM models WHERE model_id = ?", [model_id])) is None:
                raise UserError(f"model {model_id} is not in this workspace's registry")
            c.execute("UPDATE models SET label = ? WHERE model_id = ?", [label, model_id])
        self.log_event("model_renamed", {"model_id": model_id, "label": label})

    def delete_model(self, model_id: str) -> None:
        with self._cursor() as c:
            row = _one(c.execute("SELECT path FROM models WHERE model_id = ?", [model_id]))
            c.execute("DELETE FROM models WHERE model_id = ?", [model_id])
        if row:
            (self.path / row[0]).unlink(missing_ok=True)

    # ------------------------------------------------------------------ feedback and events
    def add_feedback(
        self,
        user_id,
        item_id,
        action: str,
        value: float | None = None,
        model_id: str | None = None,
        arm: str | None = None,
        session: str | None = None,
        data_version: str | None = None,
    ) -> int:
        with self._cursor() as c:
            eid = _one(c.execute("SELECT nextval('feedback_seq')"))[0]
            c.execute(
                "INSERT INTO feedback VALUES (?,?,?,?,?,?,?,?,?,?)",
                [eid, _now(), str(user_id), str(item_id), action, value, model_id, arm, session, data_version],
            )
        return int(eid)

    def feedback(self, data_version: str | None = None, user_id: str | None = None) -> pd.DataFrame:
        where, args = _where(data_version=data_version, user_id=None if user_id is None else str(user_id))
        with self._cursor() as c:
            return c.execute(f"SELECT * FROM feedback{where} ORDER BY event_id", args).df()

    def log_event(self, kind: str, payload: dict | None = None, level: str = "info") -> None:
        with self._cursor() as c:
            c.execute("INSERT INTO events VALUES (?,?,?,?)", [_now(), kind, level, _json(payload or {})])

    def events(self, kind: str | None = None, limit: int | None = None, level: str | None = None) -> pd.DataFrame:
        where, args = _where(kind=kind, level=level)
        q = f"SELECT ts, kind, level, payload FROM events{where} ORDER BY ts DESC"
        if limit:
            q += f" LIMIT {int(limit)}"
        with self._cursor() as c:
            df = c.execute(q, args).df()
        df["payload"] = df["payload"].map(lambda s: json.loads(s) if s else {})
        return df

    # ------------------------------------------------------------------ segments
    def save_segments(
        self, data_version: str, memberships: pd.DataFrame, personas: list[dict], params: dict | None = None
    ) -> str:
        run_id = f"s-{_now():%Y%m%d%H%M%S}-{uuid.uuid4().hex[:6]}"
        m = pd.DataFrame(
            {
                "run_id": run_id,
                "user_id": memberships["user_id"].astype(str),
                "segment": memberships["segment"].astype(int),
            }
        )
        with self._transaction() as c:
            c.execute(
                "INSERT INTO segment_runs VALUES (?,?,?,?,?)",
                [run_id, data_version, _now(), _json(params or {}), _json(personas)],
            )
            c.register("_m", m)
            c.execute("INSERT INTO segment_members SELECT * FROM _m")
            c.unregister("_m")
        self.log_event("segments_saved", {"run_id": run_id, "data_version": data_version, "k": len(personas)})
        return run_id

    def segments(self, data_version: str):
        """(memberships, personas) of the latest segmentation of ``data_version``, or (None, None)."""
        with self._cursor() as c:
            row = _one(
                c.execute(
                    "SELECT run_id, personas FROM segment_runs WHERE data_version = ? ORDER BY created DESC LIMIT 1",
                    [data_version],
                )
            )
            if row is None:
                return None, None
            m = c.execute("SELECT user_id, segment FROM segment_members WHERE run_id = ?", [row[0]]).df()
        return m, json.loads(row[1])

    # ------------------------------------------------------------------ settings, secrets, mappings
    def get_setting(self, key: str, default=None):
        with self._cursor() as c:
            row = _one(c.execute("SELECT value FROM settings WHERE key = ?", [key]))
        return default if row is None else row[0]

    def set_setting(self, key: str, value) -> None:
        with self._cursor() as c:
            c.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", [key, None if value is None else str(value)])

    def secret(self, name: str) -> bytes:
        """A 32-byte key for ``name`` (e.g. "pseudonym"), derived from the key kept *outside* the workspace
        (recsys_core.keys): a copied workspace folder does not carry the key that maps pseudonyms back to ids."""
        return keys.derived_key(f"workspace:{name}")  # the same key recsys_core.keys.pseudonym_key() gives

    # ------------------------------------------------------------------ export audit log
    def log_export(self, who: str, what: str, rows: int, pseudonymised: bool, fmt: str, target: str = "") -> None:
        """Every export is recorded (recsys_core.audit): who, when, what, how many rows, pseudonymised or not."""
        audit.log_export(self.path, who, what, rows, pseudonymised, fmt, target)

    def exports(self, limit: int | None = None) -> pd.DataFrame:
        """The export audit log, newest first: ts, who, what, rows, pseudonymised, format, target."""
        return audit.read_exports(self.path, limit)

    # ------------------------------------------------------------------ accounts (recsys_core.accounts)
    def save_account(self, name: str, password_hash: str, role: str) -> None:
        with self._cursor() as c:
            c.execute("INSERT OR REPLACE INTO accounts VALUES (?, ?, ?, ?)", [name, password_hash, role, _now()])
        self.log_event("account_saved", {"name": name, "role": role})

    def account(self, name: str) -> dict | None:
        with self._cursor() as c:
            row = _one(c.execute("SELECT name, hash, role FROM accounts WHERE name = ?", [name]))
        return None if row is None else {"name": row[0], "hash": row[1], "role": row[2]}

    def accounts(self) -> pd.DataFrame:
        with self._cursor() as c:
            return c.execute("SELECT name, role, created FROM accounts ORDER BY name").df()

    def save_mapping(self, name: str, mapping: dict) -> None:
        with self._cursor() as c:
            c.execute("INSERT OR REPLACE INTO mappings VALUES (?, ?, ?)", [name, _json(mapping), _now()])

    def mappings(self) -> dict:
        with self._cursor() as c:
            rows = c.execute("SELECT name, mapping FROM mappings ORDER BY name").fetchall()
        return {n: json.loads(m) for n, m in rows}

    # ------------------------------------------------------------------ artifacts
    def save_artifact(self, kind: str, key: str, obj) -> None:
        digest_key = hashlib.sha256(f"{kind}\x00{key}".encode()).hexdigest()[:24]
        path = self.path / "artifacts" / f"{digest_key}.npz"
        safestore.save(obj, path)
        with self._cursor() as c:
            c.execute(
                "INSERT OR REPLACE INTO artifacts VALUES (?,?,?,?,?)",
                [kind, key, str(path.relative_to(self.path)), _sha256_file(path), _now()],
            )

    def load_artifact(self, kind: str, key: str):
        with self._cursor() as c:
            row = _one(c.execute("SELECT path, sha256 FROM artifacts WHERE kind = ? AND key = ?", [kind, key]))
        if row is None:
            return None
        path = (self.path / row[0]).resolve()
        if (
            (self.path / "artifacts").resolve() not in path.parents
            or path.suffix != ".npz"
            or not path.is_file()
            or _sha256_file(path) != row[1]
        ):
            return None
        try:
            return safestore.load(path, what=f"cached {kind}")
        except UserError as e:  # a cache: recompute instead, and say why in the event log
            self.log_event("artifact_refused", {"kind": kind, "key": key, "reason": str(e)}, level="warning")
            return None
