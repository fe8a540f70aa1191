"""Spark input (CSV/TSV/Parquet paths, globs, CineLens folders; local, hdfs://, s3a://) and output folders.

Every job writes into ``<out>._tmp-<id>`` and renames it to ``<out>`` only when everything is written,
with the manifest :data:`MANIFEST` written last: a failed job leaves no folder that looks complete.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

from ..data.detect import sniff_delimiter, suggest_mapping
from ..data.readers import _clean_columns
from ..errors import UserError

MANIFEST = "_CINELENS.json"
OUTPUT_FORMAT = "cinelens-spark-output"
SCHEMA_VERSION = 1
CANONICAL = ("user_id", "item_id", "rating", "timestamp", "text")
ROW = "_row"  # input order (monotonically increasing), the tie-breaker every "first"/"latest" rule uses


# ---------------------------------------------------------------------------- hadoop file system
def _jpath(spark, path: str):
    jvm = spark.sparkContext._jvm
    p = jvm.org.apache.hadoop.fs.Path(path)
    return p, p.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())


def exists(spark, path: str) -> bool:
    p, fs = _jpath(spark, path)
    return bool(fs.exists(p))


def is_dir(spark, path: str) -> bool:
    p, fs = _jpath(spark, path)
    return bool(fs.exists(p) and fs.getFileStatus(p).isDirectory())


def _glob(spark, path: str) -> list[str]:
    p, fs = _jpath(spark, path)
    st = fs.globStatus(p)
    return [] if st is None else [str(s.getPath().toString()) for s in st]


def read_text(spark, path: str, limit: int = 64 * 1024) -> str:
    p, fs = _jpath(spark, path)
    stream = fs.open(p)
    try:
        buf = bytearray()
        while len(buf) < limit:
            b = stream.read()
            if b < 0:
                break
            buf.append(b)
    finally:
        stream.close()
    return bytes(buf).decode("utf-8", errors="replace").lstrip("\ufeff")


def write_text(spark, path: str, text: str) -> None:
    p, fs = _jpath(spark, path)
    out = fs.create(p, True)
    try:
        out.write(bytearray(text.encode("utf-8")))
    finally:
        out.close()


def delete(spark, path: str) -> None:
    p, fs = _jpath(spark, path)
    if fs.exists(p):
        fs.delete(p, True)


# ---------------------------------------------------------------------------- input
@dataclass
class Input:
    interactions: object  # Spark DataFrame: user_id, item_id, rating, timestamp, text (strings) + _row
    items: object = None
    users: object = None
    scale_hint: tuple | None = None
    source: dict = field(default_factory=dict)
    name: str = "dataset"


def _fmt(path: str) -> str:
    low = path.lower().rstrip("/")
    if low.endswith(".parquet") or low.endswith(".parq"):
        return "parquet"
    return "text"


_RATING_NAMES = ("ratings", "rating", "interactions", "interaction", "reviews", "comments")
_DATA_EXT = (".parquet", ".parq", ".csv", ".tsv", ".tab", ".txt", ".dat")


def _folder_files(spark, path: str) -> list[str]:
    """Names of the data files directly in folder ``path`` (hidden, ``_``-prefixed and marker files skipped)."""
    p, fs = _jpath(spark, path)
    names = [str(s.getPath().getName()) for s in fs.listStatus(p) if not s.isDirectory()]
    return sorted(n for n in names if not n.startswith((".", "_")) and n.lower().endswith(_DATA_EXT))


def _pick_in_folder(spark, path: str) -> str:
    """The path to read for a folder: the folder itself when it holds only Parquet parts (a Spark/Hive table),
    else its ratings file (``ratings.parquet``, ``interactions.csv`` ...); a folder of several other tables is
    refused with their names, since reading them as one table would mix films into ratings."""
    files = _folder_files(spark, path)
    if (
        files
        and all(f.lower().endswith((".parquet", ".parq")) for f in files)
        and not any(f.lower().split(".")[0] in _RATING_NAMES for f in files)
    ):
        return path
    for stem in _RATING_NAMES:
        for f in files:
            if f.lower().split(".")[0] == stem:
                return path.rstrip("/") + "/" + f
    if len(files) == 1:
        return path.rstrip("/") + "/" + files[0]
    shown = ", ".join(files[:8]) + (" ..." if len(files) > 8 else "")
    raise UserError(
        f"{path}: a folder of several tables ({shown or 'no data files'}) and none is named ratings or "
        "interactions - give the ratings file itself"
    )


def _read_table(spark, path: str):
    """(DataFrame of strings, source info) for one path or glob."""
    matches = _glob(spark, path)
    if not matches:
        raise UserError(f"{path}: no such file or folder (or the glob matches nothing) - check the path")
    if len(matches) == 1 and is_dir(spark, matches[0]):
        path = _pick_in_folder(spark, path)
        matches = _glob(spark, path)
    if _fmt(path) == "parquet" or (is_dir(spark, matches[0]) and _glob(spark, matches[0].rstrip("/") + "/*.parquet")):
        df = spark.read.parquet(path)
        df = df.select([df[c].cast("string").alias(c) for c in df.columns])
        return df, {"file": path, "format": "parquet", "encoding": None, "delimiter": None}
    first = matches[0]
    if is_dir(spark, first):
        raise UserError(f"{path}: a folder without Parquet files or interactions.csv - give the file(s) to read")
    try:
        head = read_text(spark, first)
    except Exception as e:  # noqa: BLE001 - Hadoop's IOExceptions
        raise UserError(f"{first}: cannot be read ({str(e).splitlines()[0][:160]})") from None
    delim = "\t" if path.lower().endswith((".tsv", ".tab")) else sniff_delimiter(head)
    if delim in ("::", " "):
        raise UserError(f"{path}: delimiter {delim!r} - the Spark engine reads comma, tab, ';' or '|' files")
    df = (
        spark.read.option("header", True)
        .option("sep", delim)
        .option("quote", '"')
        .option("escape", '"')
        .option("multiLine", False)
        .option("encoding", "UTF-8")
        .csv(path)
    )
    cols = _clean_columns(list(df.columns))
    df = df.toDF(*[str(c) for c in cols])
    return df, {"file": path, "format": "csv", "encoding": "utf-8", "delimiter": delim}


def _canonical(df, mapping_override: dict | None, where: str):
    from pyspark.sql import functions as F

    mapping = suggest_mapping(df.columns)
    mapping.update({k: v for k, v in (mapping_override or {}).items() if v})
    for f, c in mapping.items():
        if f in CANONICAL and c not in df.columns:
            raise UserError(
                f"{where}: column {c!r} (mapped to {f}) is not in the file - columns: {', '.join(df.columns[:20])}"
            )
    missing = [f for f in ("user_id", "item_id") if f not in mapping]
    if missing:
        raise UserError(
            f"{where}: no {' or '.join(missing)} column (columns: {', '.join(df.columns[:20])}) - "
            "rename it or pass --map user=COL,item=COL,rating=COL"
        )
    cols = [F.col(f"`{mapping[f]}`").cast("string").alias(f) for f in CANONICAL if f in mapping]
    out = df.select(*cols).withColumn(ROW, F.monotonically_increasing_id())
    return out, {k: v for k, v in mapping.items() if k in CANONICAL}


def _meta_table(spark, path: str):
    if not exists(spark, path):
        return None
    df, _ = _read_table(spark, path)
    return df


def read_input(spark, path: str, mapping: dict | None = None) -> Input:
    """Read the interactions (and, from a CineLens folder, the film and user tables and the rating scale)."""
    try:
        folder = is_dir(spark, path) and exists(spark, path.rstrip("/") + "/interactions.csv")
    except Exception as e:  # noqa: BLE001 - e.g. an unknown file-system scheme
        raise UserError(f"{path}: cannot be read ({str(e).splitlines()[0][:160]})") from None
    items = users = scale = None
    if folder:
        base = path.rstrip("/")
        inter, info = _read_table(spark, base + "/interactions.csv")
        items = _meta_table(spark, base + "/items.csv")
        users = _meta_table(spark, base + "/users.csv")
        if exists(spark, base + "/manifest.json"):
            try:
                sc = json.loads(read_text(spark, base + "/manifest.json")).get("rating_scale")
                scale = (float(sc[0]), float(sc[1])) if sc and float(sc[1]) > float(sc[0]) else None
            except (ValueError, TypeError, IndexError, AttributeError):
                scale = None
        name = base.rsplit("/", 1)[-1]
        info["file"] = "interactions.csv"
    else:
        try:
            inter, info = _read_table(spark, path)
        except UserError:
            raise
        except Exception as e:  # noqa: BLE001 - AnalysisException and friends
            raise UserError(f"{path}: cannot be read ({str(e).strip().splitlines()[0][:160]})") from None
        name = path.rstrip("/").rsplit("/", 1)[-1].split(".")[0] or "dataset"
    inter, used = _canonical(inter, mapping, path)
    info["mapping"] = used
    info.setdefault("layout", "spark")
    return Input(inter, items, users, scale, info, name)


# ---------------------------------------------------------------------------- output
def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class OutputFolder:
    """Write tables and JSON into a temporary folder; :meth:`commit` writes the manifest and renames it."""

    def __init__(self, spark, out: str, job: str, master: str, parameters: dict):
        self.spark, self.job, self.master, self.parameters = spark, job, master, dict(parameters)
        self.out = out.rstrip("/")
        if not self.out:
            raise UserError("--out: give a folder to write the results to")
        if exists(spark, self.out):
            p, fs = _jpath(spark, self.out)
            if not fs.getFileStatus(p).isDirectory() or len(fs.listStatus(p)) > 0:
                raise UserError(f"--out {out}: already exists and is not empty - choose a new folder")
        self.tmp = f"{self.out}._tmp-{uuid.uuid4().hex[:8]}"
        self.tables: dict[str, dict] = {}
        self.started = _now()
        self._t0 = time.perf_counter()

    def table(self, name: str, df, description: str = "") -> int:
        """Write ``df`` as Parquet under ``name/``; returns its row count."""
        df.write.mode("error").parquet(f"{self.tmp}/{name}")
        back = self.spark.read.parquet(f"{self.tmp}/{name}")
        rows = int(back.count())
        self.tables[name] = {
            "path": name,
            "rows": rows,
            "columns": [{"name": f.name, "type": f.dataType.simpleString()} for f in back.schema.fields],
            "description": description,
        }
        return rows

    def json(self, name: str, obj) -> None:
        write_text(self.spark, f"{self.tmp}/{name}", json.dumps(obj, ensure_ascii=False, indent=2) + "\n")

    def manifest(self, summary: dict) -> dict:
        from pyspark import __version__ as spark_version

        return {
            "format": OUTPUT_FORMAT,
            "schema_version": SCHEMA_VERSION,
            "engine": "spark",
            "spark_version": spark_version,
            "job": self.job,
            "master": self.master,
            "parameters": self.parameters,
            "started": self.started,
            "finished": _now(),
            "seconds": round(time.perf_counter() - self._t0, 3),
            "tables": self.tables,
            "summary": "summary.json",
            "headline": {k: v for k, v in summary.items() if isinstance(v, (int, float, str)) and k != "job"},
        }

    def commit(self, summary: dict) -> dict:
        man = self.manifest(summary)
        self.json("summary.json", summary)
        self.json(MANIFEST, man)  # last: its presence marks the folder complete
        src, fs = _jpath(self.spark, self.tmp)
        dst, _ = _jpath(self.spark, self.out)
        if fs.exists(dst):
            fs.delete(dst, True)  # empty (checked in __init__)
        if not fs.rename(src, dst):
            raise UserError(f"--out {self.out}: could not move the finished output into place from {self.tmp}")
        return man

    def abort(self) -> None:
        try:
            delete(self.spark, self.tmp)
        except Exception:  # noqa: BLE001 - best effort; the folder has no manifest anyway
            pass
