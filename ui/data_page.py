"""Helpers of the Data page: cached reading of uploads, mapping preview, summaries and charts,
saving versions.  The page (views/1_data.py) only draws widgets and calls these."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from recsys_core.data import limits
from recsys_core.data.export import dataset_tables, pseudonymise_frame, to_csv_bytes, to_excel_bytes
from recsys_core.data.readers import ReadResult, read_upload
from recsys_core.data.schema import ROLE_FIELDS
from recsys_core.errors import UserError

from . import charts
from .i18n import has, note_text, t
from .markup import md_text
from .state import K

# st.file_uploader's limit per file: keep in sync with .streamlit/config.toml server.maxUploadSize. Streamlit holds
# those bytes in memory, so bigger files (up to the 2 GB upload limit) take the big-file route (ui/bigupload.py)
MAX_UPLOAD_MB = 200
#: what the big-file route takes: text tables and Parquet files, which the streaming reader reads in parts
BIG_TYPES = [".csv", ".tsv", ".txt", ".dat", ".gz", ".zip", ".parquet"]
__all__ = ["ROLE_FIELDS"]  # the mapping form's fields per role come from the one schema


def files_signature(files: list[tuple[str, bytes]]) -> str:
    h = hashlib.sha256()
    for name, data in files:
        h.update(name.encode("utf-8", "replace") + b"\0" + hashlib.sha256(data).digest())
    return h.hexdigest()[:16]


ENCODINGS = ["auto", "UTF-8", "UTF-8-BOM", "GBK", "GB18030", "Big5", "Latin-1", "Windows-1252", "UTF-16"]
DELIMITERS = {"auto": None, ",": ",", "tab": "\t", ";": ";", "|": "|", "::": "::", "space": " "}
HEADERS = {"auto": None, "yes": True, "no": False}


def _read(encoding: str, delimiter: str, header: str, _files: tuple) -> ReadResult:
    kw = {
        "encoding": None if encoding == "auto" else encoding,
        "delimiter": DELIMITERS[delimiter],
        "has_header": HEADERS[header],
    }
    with limits.bounded_memory():  # the server's memory: every file read whole is checked first, all together
        results = [read_upload(name, data, **kw) for name, data in _files]
    return ReadResult.combine(results)


def read_files(
    files: list[tuple[str, bytes]], encoding: str = "auto", delimiter: str = "auto", header: str = "auto"
) -> tuple[str, ReadResult]:
    """(signature, ReadResult) for uploaded files; raises UserError (nothing is stored).

    ``encoding`` / ``delimiter`` / ``header`` override the detection ("auto" detects).
    """
    if not files:
        raise UserError("no file chosen - upload a ratings file")
    sig = files_signature(files)
    sig = hashlib.sha256(f"{sig}|{encoding}|{delimiter}|{header}".encode()).hexdigest()[:16]
    # held by this session only (never a server-wide cache): replaced by the next upload, gone with the session
    held = st.session_state.get(K.DATA_PARSED)
    if held is not None and held[0] == sig:
        return sig, held[1]
    st.session_state.pop(K.DATA_PARSED, None)  # let the previous upload go before parsing the next one
    result = _read(encoding, delimiter, header, tuple(files))
    st.session_state[K.DATA_PARSED] = (sig, result)
    return sig, result


# ------------------------------------------------------------------ big files: read and cleaned in parts


def stream_mb() -> int:
    from recsys_core.data.ingest import stream_min_bytes

    return max(1, stream_min_bytes() // 1024**2)


def is_big(uploaded) -> bool:
    """True when an upload takes the streaming path: a CSV/TSV (plain, .gz or one-file .zip) of CINELENS_STREAM_BYTES
    or more unpacked, or a CSV/TSV or Parquet file whose expected memory read whole passes
    CINELENS_MAX_UPLOAD_MEMORY. Other files are read whole, their expected memory checked first."""
    from recsys_core.data.ingest import read_in_parts

    return any(read_in_parts(f.name, f) for f in uploaded)


def _spool(f, folder) -> None:
    """The uploaded bytes to a file, 8 MB at a time (no second copy of the whole upload in memory)."""
    import shutil

    folder.mkdir(parents=True, exist_ok=True)
    f.seek(0)
    with open(folder / _safe_name(f.name), "wb") as out:
        shutil.copyfileobj(f, out, 8 * 1024**2)


def _safe_name(name: str) -> str:
    from pathlib import Path

    return Path(str(name)).name or "upload.csv"


def discard_stream() -> None:
    """Forget this session's big upload: its spooled bytes and any staged cleaning."""
    import shutil

    held = st.session_state.pop(K.DATA_STREAM, None)
    _discard_staged()
    if held:
        shutil.rmtree(held["dir"], ignore_errors=True)


def read_big(uploaded, encoding: str = "auto", delimiter: str = "auto", header: str = "auto"):
    """(signature, ReadResult, StreamRead) of one big ``st.file_uploader`` upload: spooled to the workspace's
    scratch folder once, then read as :func:`read_big_file` does. Held by this session only."""
    import uuid

    from .services import workspace

    if len(uploaded) != 1:
        raise UserError(several_big_message(uploaded))
    f = uploaded[0]
    sig = hashlib.sha256(f"{f.file_id}|{f.name}|{f.size}|{encoding}|{delimiter}|{header}".encode()).hexdigest()[:16]
    held = st.session_state.get(K.DATA_STREAM)
    if held is not None and held["sig"] == sig:
        return sig, held["read"].result, held["read"]
    discard_stream()
    folder = workspace().cache_dir("ingest") / uuid.uuid4().hex[:12]
    _spool(f, folder)
    return sig, *_read_spooled(sig, f.name, folder / _safe_name(f.name), encoding, delimiter, header)


def several_big_message(uploaded) -> str:
    """Why several files cannot be read together when one of them is read in parts: that file, and the real reason
    (its size, or the memory it would take read whole), in the UI language."""
    from recsys_core.data.ingest import parts_reason, stream_min_bytes

    reasons = [(f, parts_reason(f.name, f)) for f in uploaded]
    f, (why, n) = max(((f, r) for f, r in reasons if r is not None), key=lambda fr: fr[1][1])
    others = ", ".join(md_text(g.name) for g in uploaded if g is not f)
    return t(
        f"data.big.several.{why}",
        name=md_text(f.name),
        size=size_text(n if why == "size" else f.size),  # unpacked, for a .gz or a .zip
        need=size_text(n),
        limit=size_text(limits.current().max_memory),
        threshold=size_text(stream_min_bytes()),
        others=others,
    )


def read_session_upload(uploaded, bigf, files, encoding: str, delimiter: str, header: str):
    """(signature, ReadResult, StreamRead or None) of this session's upload: the big file on disk, else the
    uploader's files (one big one read in parts, small ones in memory as ``files``)."""
    if bigf is not None:
        return read_big_file(bigf, encoding, delimiter, header)
    if files is None:
        return read_big(uploaded, encoding, delimiter, header)
    return (*read_files(files, encoding, delimiter, header), None)


def read_big_file(ticket, encoding: str = "auto", delimiter: str = "auto", header: str = "auto"):
    """(signature, ReadResult, StreamRead) of a big file the upload route put on disk (``ticket.state == "done"``):
    its encoding checked over every byte, its layout detected from the first lines. Held by this session only."""
    sig = hashlib.sha256(f"{ticket.token}|{ticket.name}|{encoding}|{delimiter}|{header}".encode()).hexdigest()[:16]
    held = st.session_state.get(K.DATA_STREAM)
    if held is not None and held["sig"] == sig:
        return sig, held["read"].result, held["read"]
    _discard_staged()
    if held is not None and Path(held["dir"]) != ticket.folder:
        discard_stream()
    return sig, *_read_spooled(sig, ticket.name, ticket.path, encoding, delimiter, header)


def _read_spooled(sig: str, name: str, path, encoding: str, delimiter: str, header: str):
    """(ReadResult, StreamRead) of a file on disk in its own scratch folder, which is removed if it cannot be read."""
    import shutil

    from recsys_core.data import ingest

    folder = Path(path).parent
    st.session_state.pop(K.DATA_PARSED, None)
    src = ingest.source_for(Path(path).name, Path(path))
    if src is None:
        shutil.rmtree(folder, ignore_errors=True)
        raise UserError(
            f"{name}: files of {stream_mb()} MB or more are read in parts, which works for CSV / TSV text, a .gz of "
            "one, a .zip holding one, or Parquet - save the table as CSV or Parquet, or split it into smaller files"
        )
    kw = {"encoding": None if encoding == "auto" else encoding, "delimiter": DELIMITERS[delimiter]}
    try:
        read = ingest.read_stream(src, folder, has_header=HEADERS[header], **kw)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    st.session_state[K.DATA_STREAM] = {"sig": sig, "read": read, "dir": folder}
    return read.result, read


# ------------------------------------------------------------------ big files sent to the upload route


def big_file_words() -> dict:
    """The picker's words in the UI language (set as text in the browser, never as markup)."""
    keys = ("choose", "hint", "too_big", "sending", "received", "failed", "network")
    holes = {"size": "{size}", "done": "{done}", "total": "{total}"}  # filled in the browser
    return {k: t(f"data.big.{k}", mb=stream_mb(), limit=upload_limit_mb(), **holes) for k in keys}


def size_text(n: int) -> str:
    """59.3 KB / 1.0 GB: a file's size as people read it."""
    return limits.human_bytes(int(n))


def upload_limit_mb() -> int:
    return max(1, limits.current().max_bytes // 1024**2)


def big_ticket():
    """This session's ticket for the big-file route: the current one while it is usable, else a fresh one for a
    new scratch folder (a failed one's message is kept for the page to show)."""
    import uuid

    from . import bigupload
    from .services import workspace

    tk = st.session_state.get(K.DATA_BIG)
    if tk is not None and bigupload.get(tk.token) is tk and tk.state != "failed":
        return tk
    if tk is not None:
        if tk.state == "failed":
            st.session_state[K.DATA_BIG_ERROR] = t(f"data.big.err.{tk.error}", name=md_text(tk.name), **tk.args)
        _drop_ticket(tk)
    folder = workspace().cache_dir("ingest") / uuid.uuid4().hex[:12]
    tk = bigupload.issue(folder, limits.current().max_bytes)
    st.session_state[K.DATA_BIG] = tk
    return tk


def big_file():
    """The big-file picker; the ticket once its file is on disk, else None."""
    from . import bigupload

    tk = big_ticket()
    bigupload.picker(tk, key=K.DATA_BIG_PICKER, accept=BIG_TYPES, words=big_file_words())
    if tk.state == "done":
        st.session_state.pop(K.DATA_BIG_ERROR, None)
        return tk
    return None


def forget_big_file() -> None:
    """Drop this session's big file: its bytes, its reading and any staged cleaning."""
    discard_stream()
    tk = st.session_state.pop(K.DATA_BIG, None)
    if tk is not None:
        _drop_ticket(tk)


def _drop_ticket(tk) -> None:
    """Forget a big-file ticket and remove its scratch folder (the file, or what arrived of it)."""
    import shutil

    from . import bigupload

    bigupload.forget(tk.token)
    shutil.rmtree(tk.folder, ignore_errors=True)


def _discard_staged() -> None:
    prev = st.session_state.get(K.DATA_PREVIEW)
    if prev and prev.get("staged") is not None:
        prev["staged"].discard()
        st.session_state[K.DATA_PREVIEW] = None


def clean_big(read, overrides: dict, opts, bar):
    """The streaming ingest behind the page's progress bar: MB read and rows stored as it goes."""
    from recsys_core.data import ingest

    _discard_staged()  # one staged cleaning per session

    def show(frac, phase, done, total, rows):
        text = t(f"data.stream.{phase}", mb=done / 1024**2, total=total / 1024**2, rows=rows)
        bar.progress(min(max(frac, 0.0), 1.0), text=text)

    return ingest.ingest(read, overrides, opts, progress=show)


def mapping_preview(table, role: str, mapping: dict, n: int = 5) -> pd.DataFrame:
    """First rows of a table renamed to the canonical fields (what the mapping would produce)."""
    cols = {
        f: table.frame[c].head(n)
        for f, c in mapping.items()
        if c and c in table.frame.columns and f in ROLE_FIELDS.get(role, [])
    }
    return pd.DataFrame(cols)


def saved_mapping_for(table, saved: dict) -> str | None:
    """Name of a saved mapping whose columns all exist in this table."""
    cols = set(map(str, table.frame.columns))
    for name, m in saved.items():
        mp = m.get("mapping", {}) if isinstance(m, dict) else {}
        if mp and set(mp.values()) <= cols:
            return name
    return None


# ------------------------------------------------------------------ summaries and charts


@st.cache_data(show_spinner=False, max_entries=16)
def _sql_aggregate(path: str, version_id: str, what: str):
    """One aggregate of a stored version, from DuckDB (versions are immutable, so it is cached)."""
    from .services import workspace

    ws = workspace()
    if what == "summary":
        return ws.version_summary(version_id)
    if what == "ratings":
        return ws.rating_counts(version_id)
    if what.startswith("compare:"):
        return ws.compare_versions(version_id, what.split(":", 1)[1])
    return ws.top_items(version_id, int(what.split(":")[1]))


@dataclass(frozen=True)
class StoredVersion:
    """A stored version's name and metadata without its rows: what the overview needs besides the numbers and
    charts, which come from DuckDB (a 40M-row version is never read into pandas to draw them)."""

    version: str
    name: str
    meta: dict


def stored_version(version_id: str) -> StoredVersion:
    """The version's name and metadata (UserError when it is not in the workspace)."""
    from .services import workspace

    ws = workspace()
    meta = ws.version_meta(version_id)
    info = ws.version_info(version_id) or {}
    return StoredVersion(version_id, str(info.get("name") or version_id), meta)


def _stored(ds, what: str):
    """The aggregate from the workspace when ``ds`` is a stored version, else None (an unsaved dataset)."""
    from recsys_core.store import default_path

    from .services import workspace

    v = getattr(ds, "version", None)
    if not v or not workspace().has_version(v):
        return None
    return _sql_aggregate(str(default_path().resolve()), v, what)


def summary_numbers(ds) -> dict:
    s = _stored(ds, "summary") or ds.summary()
    return {
        "users": s["users"],
        "items": s["items"],
        "ratings": s["ratings"],
        "reviews": s["reviews"],
        "sparsity": s["sparsity"],
        "mean_rating": s["mean_rating"],
        "rating_scale": s["rating_scale"],
        "first_time": s["first_time"],
        "last_time": s["last_time"],
    }


def rating_histogram(ds, title: str = "", xlabel: str = "rating", ylabel: str = "count") -> go.Figure:
    stored = _stored(ds, "ratings")
    if stored is not None:
        counts = pd.Series(stored["n"].to_numpy(), index=stored["rating"].to_numpy(float))
    else:
        counts = ds.ratings["rating"].value_counts().sort_index()
    fig = go.Figure(go.Bar(x=[f"{v:g}" for v in counts.index], y=counts.values, marker_color=charts.PALETTE[0]))
    fig.update_layout(title=title, xaxis_title=xlabel, yaxis_title=ylabel)
    return charts.style(fig, height=300)


def version_note(note) -> str:
    """A version's note in the UI language: the notes the app writes itself are translated, the user's kept."""
    return note_text(note, "data.note")


def versions_view(vers: pd.DataFrame) -> pd.DataFrame:
    """The version list as shown: kinds and the app's own notes in the UI language, a dash for no parent."""
    out = vers.copy()
    if "kind" in out:
        out["kind"] = [t(f"data.kind.{k}") if has(f"data.kind.{k}") else k for k in out["kind"]]
    if "parent" in out:
        out["parent"] = [p if isinstance(p, str) and p else "—" for p in out["parent"]]
    if "note" in out:
        out["note"] = [version_note(n) for n in out["note"]]
    return out


def top_films(ds, n: int = 10) -> pd.DataFrame:
    stored = _stored(ds, f"top:{int(n)}")
    if stored is not None:
        g = stored[["item_id", "title", "n", "mean_rating"]].copy()
        g["mean_rating"] = g["mean_rating"].round(2)
        return g
    inter = ds.interactions
    g = inter.groupby("item_id").agg(n=("user_id", "size"), mean_rating=("rating", "mean"))
    g = g.sort_values(["n", "mean_rating"], ascending=[False, False]).head(n).reset_index()
    titles = ds.item_titles()
    g.insert(1, "title", [titles.get(i) or "" for i in g["item_id"]])
    g["mean_rating"] = g["mean_rating"].round(2)
    return g


def compare_histogram(
    a: str, b: str, name_a: str, name_b: str, title: str = "", xlabel: str = "rating", ylabel: str = "count"
) -> go.Figure:
    """Rating counts of two stored versions side by side (counted by DuckDB)."""
    from recsys_core.store import default_path

    fig = go.Figure()
    for v, name, color in ((a, name_a, charts.PALETTE[0]), (b, name_b, charts.PALETTE[1])):
        c = _sql_aggregate(str(default_path().resolve()), v, "ratings")
        fig.add_bar(
            x=[f"{x:g}" for x in c["rating"].to_numpy(float)], y=c["n"].to_numpy(), name=name, marker_color=color
        )
    fig.update_layout(barmode="group", title=title, xaxis_title=xlabel, yaxis_title=ylabel)
    return charts.legend_below(charts.style(fig, height=300))


def funnel_steps(report, labels: dict | None = None) -> list[tuple[str, int]]:
    """(label, rows left) for the input and each step that removed rows; steps that removed none are left out."""
    labels = labels or {}
    out = [(labels.get("input", "input"), int(report.rows_in))]
    for s in report.steps:
        if int(s.rows_out) != int(s.rows_in):
            out.append((f"{labels.get(s.name, s.name)} (−{int(s.rows_in) - int(s.rows_out):,})", int(s.rows_out)))
    return out


def funnel_chart(report, labels: dict | None = None) -> go.Figure:
    steps = funnel_steps(report, labels)
    title = t("data.funnel_title", n=len(steps) - 1) if len(steps) > 1 else t("data.funnel_none")
    return charts.funnel(steps, title)


def step_detail(report, step, t) -> str:
    """One sentence per step in the UI language (``t`` is ui.i18n.t)."""
    if not step.enabled and step.name != "out_of_range":
        return t("detail.off")
    (lo, hi), (tlo, thi) = report.detected_scale, report.normalised_to
    sep = t("pii.sep")
    kinds = sep.join(f"{t(f'pii.kind.{k}')} {n}" for k, n in step.counts.items() if n)
    columns = sep.join(f"{t(f'pii.col.{c}')} {n}" for c, n in step.by_column.items() if n)
    return t(
        f"detail.{step.name}",
        kinds=kinds or "-",
        columns=columns or "-",
        dropped=step.rows_dropped,
        affected=step.rows_affected,
        lo=f"{lo:g}",
        hi=f"{hi:g}",
        tlo=f"{tlo:g}",
        thi=f"{thi:g}",
    )


def joins_table(report) -> pd.DataFrame:
    """Ids that match / do not match between the interactions and the film / user tables."""
    rows = []
    for kind, d in report.joins.items():
        key = "films" if kind == "items" else "users"
        rows.append(
            {
                "table": kind,
                "in_interactions": d[f"{key}_in_interactions"],
                "in_metadata": d[f"{key}_in_metadata"],
                "without_metadata": d[f"{key}_without_metadata"],
                "examples_without_metadata": ", ".join(d["examples_without_metadata"]),
                "metadata_without_interactions": d["metadata_without_interactions"],
                "examples_unused": ", ".join(d["examples_metadata_without_interactions"]),
            }
        )
    return pd.DataFrame(rows)


def report_json(report) -> bytes:
    import json

    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2).encode("utf-8")


def session_who() -> str:
    """Who exports, for the audit log: the signed-in user, else this browser session."""
    user = st.session_state.get(K.AUTH_USER) if hasattr(K, "AUTH_USER") else None
    return f"user:{user}" if user else f"session:{st.session_state.get(K.SESSION_ID) or '?'}"


def _export_tables(ds, raw_ids: bool) -> dict:
    tables = dataset_tables(ds)
    if raw_ids:
        return tables
    from .services import workspace

    key = workspace().secret("pseudonym")
    return {k: pseudonymise_frame(v, key) for k, v in tables.items()}


def export_csv(ds, raw_ids: bool = False, who: str = "") -> bytes:
    """The interactions as CSV, user ids pseudonymised unless ``raw_ids``; recorded in the export audit log."""
    from .services import workspace

    df = _export_tables(ds, raw_ids)["interactions"]
    data = to_csv_bytes(df)
    workspace().log_export(who, f"dataset {ds.name} ({ds.version})", len(df), not raw_ids, "csv")
    return data


def export_excel(ds, raw_ids: bool = False, who: str = "") -> bytes:
    from .services import workspace

    tables = _export_tables(ds, raw_ids)
    data = to_excel_bytes(tables)
    workspace().log_export(who, f"dataset {ds.name} ({ds.version})", len(tables["interactions"]), not raw_ids, "xlsx")
    return data


def audit_table(ws, limit: int = 50) -> pd.DataFrame:
    """The export audit log with column names in the UI language."""
    df = ws.exports(limit)
    df["pseudonymised"] = df["pseudonymised"].map(lambda v: t("audit.pseudonymised") if v else t("audit.raw_ids"))
    return df.rename(columns={c: t(f"audit.col.{c}") for c in df.columns})


def _fmt(v) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "—"
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def compare_table(a: str, b: str) -> pd.DataFrame:
    """compare_datasets of two stored versions, counted by DuckDB, as text (one type per column, so every cell
    displays), measures in the UI language."""
    from recsys_core.store import default_path

    df = _sql_aggregate(str(default_path().resolve()), a, f"compare:{b}").copy()
    for c in ("a", "b", "difference"):
        df[c] = df[c].map(_fmt)
    df["measure"] = [t(f"data.measure.{m}") if has(f"data.measure.{m}") else m for m in df["measure"]]
    return df


def detected_table(result) -> pd.DataFrame:
    """The tables found in an upload, with what each holds in the UI language."""
    df = result.describe()
    if "role" in df:
        df["role"] = [t(f"data.role.{r}") if has(f"data.role.{r}") else r for r in df["role"]]
    return df.fillna("—")


def suspicious_table(users: list[dict]) -> pd.DataFrame:
    """Flagged users with the rule that caught them, worded in the UI language; a dash for no time span."""
    rows = []
    for u in users:
        rule = u.get("rule", "burst")
        reason = t(
            f"data.sus.{rule}",
            n=u.get("burst", 0),
            rating=f"{u.get('rating', 0):g}",
            window=f"{u.get('window') or 0:g}",
        )
        minutes = u.get("minutes")
        rows.append(
            {
                "user_id": u["user_id"],
                "ratings": u["ratings"],
                "rating": u.get("rating"),
                "burst": u.get("burst"),
                "minutes": "—" if minutes is None else f"{minutes:g}",
                "reason": reason,
            }
        )
    return pd.DataFrame(rows)
