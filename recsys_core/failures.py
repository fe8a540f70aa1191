"""Every failure is one line: what kind of failure it is, and an id that finds its details in the error log.

``classify(exc)`` gives a short code (``memory``, ``recursion``, ``disk_full``, ``permission``, ``os``,
``db_corrupt``, ``db_locked``, ``user``, ``unexpected``); the CLI prints :func:`one_line`, the app words the code
in the UI language. :func:`record` appends the full details (type, message, traceback, context) as one JSON line
to ``<workspace>/errors.log`` and returns the id shown to the user.
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import traceback
from datetime import datetime, timezone
from pathlib import Path

from .errors import UserError

ERROR_LOG = "errors.log"


class WorkspaceLocked(UserError):
    """Another process holds the workspace database."""


class WorkspaceCorrupt(UserError):
    """The workspace database file is not a readable database."""


def classify(exc: BaseException) -> str:
    if isinstance(exc, WorkspaceLocked):
        return "db_locked"
    if isinstance(exc, WorkspaceCorrupt):
        return "db_corrupt"
    if isinstance(exc, UserError):
        return "user"
    if isinstance(exc, MemoryError):
        return "memory"
    if isinstance(exc, RecursionError):
        return "recursion"
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return "disk_full"
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            return "permission"
        return "os"
    return _duckdb_code(exc) or "unexpected"


def _duckdb_code(exc: BaseException) -> str | None:
    try:
        import duckdb
    except ImportError:  # pragma: no cover
        return None
    if not isinstance(exc, duckdb.Error):
        return None
    msg = str(exc)
    if "Could not set lock" in msg or "Conflicting lock" in msg:
        return "db_locked"
    if "not a valid DuckDB database" in msg or "Corrupt" in msg or "checksum" in msg.lower():
        return "db_corrupt"
    if "No space left" in msg:
        return "disk_full"
    return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else exc.__class__.__name__


def one_line(exc: BaseException, error_id: str | None = None) -> str:
    """The English one-line message of the command line (no traceback)."""
    code = classify(exc)
    ref = f" (error id {error_id})" if error_id else ""
    where = f" ({exc.filename})" if isinstance(exc, OSError) and exc.filename else ""
    messages = {
        "user": _first_line(exc),
        "memory": "not enough memory for this step - use a smaller file or sample, or lower the upload limits",
        "recursion": "the input is nested too deeply to process - flatten it (e.g. JSON records of plain values)",
        "disk_full": f"the disk is full{where} - free some space and try again; nothing half-written was kept",
        "permission": f"permission denied{where} - choose a folder you can write to, or fix its permissions",
        "os": f"the system refused a file operation{where}: {exc.strerror if isinstance(exc, OSError) else ''} - "
        "check the path and try again",
        "db_locked": "the workspace is in use by another CineLens process - close it, or set CINELENS_WORKSPACE "
        "to another folder",
        "db_corrupt": "the workspace database is damaged (not a readable DuckDB file) - restore it from a copy, "
        "or set CINELENS_WORKSPACE to a new folder",
        "unexpected": f"unexpected {exc.__class__.__name__}: {_first_line(exc)}",
    }
    return messages[code] + ref


def new_id() -> str:
    return f"E-{datetime.now(timezone.utc):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def record(exc: BaseException, workspace_path: str | os.PathLike | None, **context) -> str:
    """Append the failure to the workspace's error log; returns its id (also when the log cannot be written)."""
    error_id = new_id()
    entry = {
        "id": error_id,
        "ts": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "code": classify(exc),
        "type": f"{exc.__class__.__module__}.{exc.__class__.__qualname__}",
        "message": _first_line(exc),
        "context": {k: str(v) for k, v in context.items()},
        "traceback": "".join(traceback.format_exception(exc))[-20000:],
    }
    if workspace_path is not None:
        try:
            path = Path(workspace_path) / ERROR_LOG
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "a", encoding="utf-8") as f:
                f.write(json.dumps(entry, ensure_ascii=False) + "\n")
        except OSError:
            pass  # a full or read-only disk must not turn one failure into two
    return error_id


def read_log(workspace_path: str | os.PathLike, limit: int | None = None) -> list[dict]:
    """The error log's entries, newest first."""
    path = Path(workspace_path) / ERROR_LOG
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    out.reverse()
    return out[:limit] if limit else out
