"""Bring a finished Spark output folder into the workspace (no pyspark needed: Parquet via pyarrow).

* ``spark clean``     -> a new dataset version (kind ``spark``) with the cleaning report
* ``spark recommend`` -> a ``recommendations`` result table (user_id, rank, item_id, score)
* ``spark audience``  -> ``audiences`` (+ ``lift``) result tables
* ``spark profile``   -> ``profiles`` and ``segments`` result tables
* ``spark evaluate``  -> ``metrics`` (+ ``grid``) result tables

The folder is checked completely (manifest, format, schema version, every table and its columns and row
count) before anything is written, so a refused import leaves the workspace as it was.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .errors import UserError

MANIFEST = "_CINELENS.json"
OUTPUT_FORMAT = "cinelens-spark-output"
SCHEMA_VERSION = 1
MAX_MANIFEST_BYTES = 4 << 20
REQUIRED = {
    "clean": {"interactions": ["user_id", "item_id", "rating", "timestamp", "text"]},
    "recommend": {"recommendations": ["user_id", "rank", "item_id", "score"]},
    "audience": {"audiences": ["item_id", "rank", "user_id", "score"]},
    "profile": {"profiles": ["user_id", "activity", "mean_rating", "segment"], "segments": ["segment", "users"]},
    "evaluate": {"metrics": ["fold", "model"]},
}
RESULT_KIND = {
    "recommendations": "recommendations",
    "audiences": "audiences",
    "lift": "lift",
    "profiles": "profiles",
    "segments": "segments",
    "metrics": "metrics",
    "grid": "grid",
}


@dataclass
class SparkOutput:
    folder: Path
    manifest: dict
    summary: dict
    tables: dict  # name -> DataFrame

    @property
    def job(self) -> str:
        return self.manifest["job"]

    def origin(self) -> dict:
        m = self.manifest
        return {
            "engine": m.get("engine", "spark"),
            "spark_version": m.get("spark_version"),
            "job": m.get("job"),
            "master": m.get("master"),
            "parameters": m.get("parameters", {}),
            "started": m.get("started"),
            "finished": m.get("finished"),
            "seconds": m.get("seconds"),
            "folder": str(self.folder),
        }


def _refuse(folder, why: str) -> UserError:
    return UserError(f"{folder}: not a CineLens Spark output ({why}) - give a folder written by `spark JOB --out DIR`")


def _read_json(path: Path, folder) -> dict:
    if path.stat().st_size > MAX_MANIFEST_BYTES:
        raise _refuse(folder, f"{path.name} is larger than {MAX_MANIFEST_BYTES >> 20} MB")
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise _refuse(folder, f"{path.name} is not valid JSON") from None
    if not isinstance(obj, dict):
        raise _refuse(folder, f"{path.name} is not a JSON object")
    return obj


def _read_table(folder: Path, name: str, spec: dict) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rel = str(spec.get("path", name))
    path = (folder / rel).resolve()
    if folder.resolve() not in path.parents or not path.is_dir():
        raise _refuse(folder, f"table {name!r} is missing")
    parts = sorted(p for p in path.glob("*.parquet") if p.is_file())
    if not parts:
        if int(spec.get("rows", 0)) == 0:
            return pd.DataFrame({c["name"]: [] for c in spec.get("columns", [])})
        raise _refuse(folder, f"table {name!r} has no Parquet files")
    try:
        table = pa.concat_tables([pq.read_table(p) for p in parts], promote_options="default")
    except (pa.ArrowInvalid, OSError) as e:
        raise _refuse(folder, f"table {name!r} cannot be read: {str(e).splitlines()[0][:120]}") from None
    if table.num_rows != int(spec.get("rows", -1)):
        raise _refuse(folder, f"table {name!r} has {table.num_rows} rows, the manifest says {spec.get('rows')}")
    return table.to_pandas()


def read_output(folder) -> SparkOutput:
    """Read and check a Spark output folder completely; raises UserError saying why it is refused."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"{folder}: no such folder - give the folder written by `spark JOB --out DIR`")
    man_path = folder / MANIFEST
    if not man_path.is_file():
        partial = folder.name.rsplit("._tmp-", 1)
        why = "an unfinished job's temporary folder" if len(partial) == 2 else f"no {MANIFEST}"
        raise _refuse(folder, why)
    man = _read_json(man_path, folder)
    if man.get("format") != OUTPUT_FORMAT:
        raise _refuse(folder, f"{MANIFEST} has format {man.get('format')!r}")
    if not isinstance(man.get("schema_version"), int) or man["schema_version"] > SCHEMA_VERSION:
        raise _refuse(
            folder, f"schema version {man.get('schema_version')!r}; this CineLens reads up to {SCHEMA_VERSION}"
        )
    job = man.get("job")
    if job not in REQUIRED:
        raise _refuse(folder, f"unknown job {job!r}")
    specs = man.get("tables")
    if not isinstance(specs, dict):
        raise _refuse(folder, "the manifest lists no tables")
    tables = {}
    for name, spec in specs.items():
        if not isinstance(spec, dict):
            raise _refuse(folder, f"table {name!r} has no description")
        tables[str(name)] = _read_table(folder, str(name), spec)
    for name, cols in REQUIRED[job].items():
        if name not in tables:
            raise _refuse(folder, f"the {job} job's table {name!r} is missing")
        missing = [c for c in cols if c not in tables[name].columns]
        if missing:
            raise _refuse(folder, f"table {name!r} lacks column(s) {', '.join(missing)}")
    summary_path = folder / "summary.json"
    summary = _read_json(summary_path, folder) if summary_path.is_file() else {}
    return SparkOutput(folder, man, summary, tables)


def _dataset(out: SparkOutput):
    from .data.dataset import Dataset
    from .data.schema import conform_items, conform_users

    inter = out.tables["interactions"].copy()
    for c in ("user_id", "item_id"):
        inter[c] = inter[c].astype(str).astype(object)
    inter["rating"] = pd.to_numeric(inter["rating"], errors="coerce").astype("float64")
    inter["timestamp"] = pd.to_datetime(inter["timestamp"], errors="coerce").astype("datetime64[ns]")
    inter["text"] = inter["text"].astype(object).where(inter["text"].notna(), None)
    if "orig_text_truncated" in inter:
        inter["orig_text_truncated"] = inter["orig_text_truncated"].fillna(False).astype(bool)
    items = conform_items(out.tables["items"]) if "items" in out.tables else None
    users = conform_users(out.tables["users"]) if "users" in out.tables else None
    rep = out.summary if out.summary.get("steps") else {}
    scale = (rep.get("rating_scale") or {}).get("normalised_to") or [1.0, 5.0]
    meta = {"cleaning": rep, "origin": out.origin(), "source": rep.get("source", {})}
    meta["suspicious_users"] = [s.get("user_id") for s in rep.get("suspicious_users", [])]
    name = str(out.summary.get("name") or out.folder.name)
    return Dataset(
        inter, items, users, (float(scale[0]), float(scale[1])), name=name, sources=(str(out.folder),), meta=meta
    )


def import_output(ws, folder, activate: bool = False) -> dict:
    """Import a checked Spark output into ``ws``; returns {"job", "version_id", "results": [(id, kind, rows)], "origin"}."""
    from .results import save_results

    out = read_output(folder)
    origin = out.origin()
    res = {"job": out.job, "version_id": None, "results": [], "origin": origin}
    if out.job == "clean":
        ds = _dataset(out)
        note = f"spark clean on {origin['master']} ({origin['finished']})"
        vid = ws.add_version(ds, kind="spark", note=note, report=ds.meta.get("cleaning") or None)
        if activate:
            ws.set_active(vid)
        res["version_id"] = vid
        ws.log_event("spark_output_imported", {"job": out.job, "version_id": vid, "folder": str(out.folder)})
        return res
    data_version = ws.active_version()
    todo = [
        (RESULT_KIND[name], f"{out.job}: {name}", frame) for name, frame in out.tables.items() if name in RESULT_KIND
    ]
    origin["summary"] = {
        k: v for k, v in out.summary.items() if isinstance(v, (int, float, str, list)) and k != "per_item"
    }
    ids = save_results(ws, todo, origin, data_version)
    res["results"] = [(rid, kind, int(len(frame))) for rid, (kind, _, frame) in zip(ids, todo)]
    ws.log_event("spark_output_imported", {"job": out.job, "results": ids, "folder": str(out.folder)})
    return res
