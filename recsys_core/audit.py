"""The export audit log: every export (app download or CLI ``--out``) is one JSON line in
``<workspace>/exports.log`` - who, when, what, how many rows, and whether ids were pseudonymised. A plain
append-only file, so the command line can write it while the app holds the workspace database."""

from __future__ import annotations

import getpass
import json
import os
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

AUDIT_LOG = "exports.log"
COLUMNS = ["ts", "who", "what", "rows", "pseudonymised", "format", "target"]


def default_who() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # pragma: no cover - no user name on this system
        return "cli"


def log_export(
    workspace_path: str | os.PathLike,
    who: str,
    what: str,
    rows: int,
    pseudonymised: bool,
    fmt: str,
    target: str = "",
) -> dict:
    entry = {
        "ts": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "who": who or "unknown",
        "what": what,
        "rows": int(rows),
        "pseudonymised": bool(pseudonymised),
        "format": fmt,
        "target": str(target),
    }
    path = Path(workspace_path) / AUDIT_LOG
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(entry, ensure_ascii=False) + "\n")
    return entry


def read_exports(workspace_path: str | os.PathLike, limit: int | None = None) -> pd.DataFrame:
    """The audit log, newest first."""
    path = Path(workspace_path) / AUDIT_LOG
    rows = []
    if path.is_file():
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                rows.append(json.loads(line))
            except ValueError:
                continue
    rows.reverse()
    return pd.DataFrame(rows[:limit] if limit else rows, columns=COLUMNS)
