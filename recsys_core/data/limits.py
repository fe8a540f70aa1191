"""Bounds on what one upload may cost: decompressed bytes, rows, header width, JSON nesting and memory.

Defaults: 2 GB of decompressed data and 50 million rows per upload, 10,000 columns, JSON nested 64 deep, and
1.5 GB of expected working memory for a file read whole (the in-memory reader: Excel, JSON, Parquet, several
files, text under the streaming size).
Each is settable with an environment variable (read when a file is read, so a running app picks up a change
at the next upload), or in code with :func:`use` (tests lower them to build small bombs)::

    CINELENS_MAX_UPLOAD_BYTES   decompressed bytes per upload (zip, gzip, Parquet, xlsx, plain text)
    CINELENS_MAX_ROWS           rows per upload
    CINELENS_MAX_COLUMNS        columns in a header
    CINELENS_MAX_JSON_DEPTH     nesting depth of JSON
    CINELENS_MAX_UPLOAD_MEMORY  expected memory of reading, cleaning and saving one upload read whole (the
                                estimate of :func:`recsys_core.data.readers.memory_estimate`, checked before
                                the cells are parsed). The default keeps the server under 2.5 GB: ~0.33 GB
                                for the app itself + up to ~0.45 GB for Streamlit's copy of a 200 MB upload +
                                1.5 GB. A CSV / TSV too big for it is read in parts instead (CINELENS_STREAM_BYTES)

Every refusal is one line naming the limit and how to raise it.
"""

from __future__ import annotations

import contextvars
import os
from contextlib import contextmanager
from dataclasses import dataclass, replace

from ..errors import UserError


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 2 * 1024**3
    max_rows: int = 50_000_000
    max_columns: int = 10_000
    max_json_depth: int = 64
    max_memory: int = 3 * 1024**3 // 2


_ENV = {
    "max_bytes": "CINELENS_MAX_UPLOAD_BYTES",
    "max_rows": "CINELENS_MAX_ROWS",
    "max_columns": "CINELENS_MAX_COLUMNS",
    "max_json_depth": "CINELENS_MAX_JSON_DEPTH",
    "max_memory": "CINELENS_MAX_UPLOAD_MEMORY",
}
_override: contextvars.ContextVar[Limits | None] = contextvars.ContextVar("cinelens_limits", default=None)
# memory already promised to the files of the upload being read, and each file's own need (None: not checked)
_spent: contextvars.ContextVar[list | None] = contextvars.ContextVar("cinelens_memory_spent", default=None)


def current() -> Limits:
    """The limits in force: those set with :func:`use`, else the environment, else the defaults."""
    o = _override.get()
    if o is not None:
        return o
    values = {}
    for field, var in _ENV.items():
        raw = os.environ.get(var, "").strip().replace("_", "")
        if raw:
            try:
                values[field] = max(1, int(float(raw)))
            except ValueError:
                raise UserError(f"{var}={raw!r} is not a number - set it to a whole number or unset it") from None
    return replace(Limits(), **values)


@contextmanager
def use(limits: Limits | None = None, **changes):
    """Read files under other limits inside the block (``use(max_bytes=1000)``)."""
    token = _override.set(replace(limits or current(), **changes))
    try:
        yield
    finally:
        _override.reset(token)


def human_bytes(n: int) -> str:
    for unit, size in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= size:
            v = n / size
            return f"{v:.0f} {unit}" if v == int(v) else f"{v:.1f} {unit}"
    return f"{n} bytes"


def refuse(filename: str, what: str, field: str) -> UserError:
    """The one-line error for a limit: what exceeded it, the limit, and how to raise it."""
    lim = getattr(current(), field)
    shown = human_bytes(lim) if field in ("max_bytes", "max_memory") else f"{lim:,}"
    return UserError(
        f"{filename}: {what} (limit {shown}) - upload a smaller file, or raise the limit with the environment "
        f"variable {_ENV[field]}"
    )


_TOO_BIG = "unpacks to more data than one upload may hold"


def check_bytes(filename: str, n: int) -> None:
    if n > current().max_bytes:
        raise refuse(filename, _TOO_BIG, "max_bytes")


def check_rows(filename: str, n: int) -> None:
    if n > current().max_rows:
        raise refuse(filename, f"holds {n:,} rows", "max_rows")


def check_columns(filename: str, n: int) -> None:
    if n > current().max_columns:
        raise refuse(filename, f"the header has {n:,} columns", "max_columns")


def read_capped(stream, filename: str, budget: int | None = None, chunk: int = 1 << 20) -> bytes:
    """Read a (decompressing) stream to the end, refusing as soon as it passes ``budget`` bytes."""
    cap = current().max_bytes if budget is None else budget
    parts, total = [], 0
    while True:
        block = stream.read(min(chunk, cap - total + 1))
        if not block:
            break
        total += len(block)
        if total > cap:
            raise refuse(filename, _TOO_BIG, "max_bytes")
        parts.append(block)
    return b"".join(parts)


@contextmanager
def bounded_memory():
    """Inside the block (one upload to the server, all its files), every file read whole is first checked
    with :func:`check_memory`; outside it (the command line, a notebook) memory is the caller's to spend."""
    token = _spent.set([0, {}])
    try:
        yield
    finally:
        _spent.reset(token)


def check_memory(filename: str, need: int, kind: str, instead: str, shared: int = 0) -> None:
    """Inside :func:`bounded_memory`: refuse a file whose expected memory when read whole (``need`` bytes, added
    to what the upload's earlier files take) passes the limit, before it is parsed. ``kind`` names the format
    ("Parquet file"); ``instead`` says how to get the data in another way; ``shared`` bytes of ``need`` are the
    fixed cost of reading an upload, counted once however many files it has.

    When the earlier files are what tips it over, the message names the upload's total and its biggest file (the
    one to upload on its own), not the last file's own cost."""
    spent = _spent.get()
    if spent is None:
        return
    lim = current().max_memory
    total, files = spent
    add = need - shared if files else need
    if total + add > lim:
        if not files:
            raise UserError(
                f"{filename}: reading this {kind} whole would take about {human_bytes(need)} of memory (limit "
                f"{human_bytes(lim)}) - {instead}, or raise the limit with the environment variable {_ENV['max_memory']}"
            )
        big, big_need = max([*files.items(), (filename, need)], key=lambda kv: kv[1])
        raise UserError(
            f"{filename}: the {len(files) + 1} files of this upload read together would take about "
            f"{human_bytes(total + add)} of memory (limit {human_bytes(lim)}; {big} alone about "
            f"{human_bytes(big_need)}) - upload {big} on its own (a CSV / TSV or Parquet file too big to read whole "
            f"is then read in parts), or raise the limit with the environment variable {_ENV['max_memory']}"
        )
    spent[0] += add
    files[filename] = need


def check_json_depth(filename: str, obj) -> None:
    """Refuse JSON nested deeper than the limit (checked iteratively: no recursion on hostile input)."""
    limit = current().max_json_depth
    stack = [(obj, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict):
            children = v.values()
        elif isinstance(v, list):
            children = v
        else:
            continue
        if d > limit:
            raise refuse(filename, f"the JSON is nested more than {limit} levels deep", "max_json_depth")
        stack.extend((c, d + 1) for c in children if isinstance(c, (dict, list)))
