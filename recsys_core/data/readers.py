"""Readers: bytes of an uploaded file (or a path) -> raw tables with what was detected.

A :class:`ReadResult` holds one :class:`TableRead` per table found (a zip or an Excel
workbook can hold several).  Frames are *raw*: values as written (strings for text
files), columns named as in the file (or by the known layout for header-less MovieLens
files).  Cleaning happens later, in :mod:`recsys_core.data.cleaning`.

Every problem with the input raises :class:`recsys_core.errors.UserError` with a one-line
message naming the file, the problem and the fix.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import UserError
from . import detect, limits
from .detect import Layout
from .schema import ALL_FIELDS

SUPPORTED_EXT = {
    "csv",
    "tsv",
    "txt",
    "dat",
    "data",
    "tab",
    "json",
    "jsonl",
    "ndjson",
    "parquet",
    "xlsx",
    "xlsm",
    "zip",
    "gz",
}
ML100K_GENRES = [
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
]
ML1M_AGE_BANDS = {"1": "<18", "18": "18-24", "25": "25-34", "35": "35-44", "45": "45-54", "50": "45-54", "56": "55+"}
ML1M_OCCUPATIONS = [
    "other",
    "academic/educator",
    "artist",
    "clerical/admin",
    "college/grad student",
    "customer service",
    "doctor/health care",
    "executive/managerial",
    "farmer",
    "homemaker",
    "K-12 student",
    "lawyer",
    "programmer",
    "retired",
    "sales/marketing",
    "scientist",
    "self-employed",
    "technician/engineer",
    "tradesman/craftsman",
    "unemployed",
    "writer",
]


@dataclass
class TableRead:
    name: str  # file name ("ratings.csv", "ml.zip/ml-100k/u.data", "book.xlsx[Sheet1]")
    frame: pd.DataFrame  # raw values
    format: str  # csv | xlsx | json | jsonl | parquet
    encoding: str | None = None
    delimiter: str | None = None
    has_header: bool = True
    layout: str = "generic"
    role: str = "unknown"  # interactions | items | users | unknown
    mapping: dict = field(default_factory=dict)
    rating_scale: tuple | None = None
    warnings: list = field(default_factory=list)
    rows_hint: int | None = None  # rows of the whole file when ``frame`` holds only its first lines (big files)

    @property
    def n_rows(self) -> int:
        return int(len(self.frame)) if self.rows_hint is None else int(self.rows_hint)

    def describe(self) -> dict:
        return {
            "table": self.name,
            "format": self.format,
            "encoding": self.encoding,
            "delimiter": detect.DELIMITER_NAMES.get(self.delimiter, self.delimiter) if self.delimiter else None,
            "header": self.has_header,
            "layout": self.layout,
            "role": self.role,
            "rows": self.n_rows,
            "columns": len(self.frame.columns),
        }


@dataclass
class ReadResult:
    filename: str
    format: str
    tables: list[TableRead] = field(default_factory=list)
    warnings: list = field(default_factory=list)

    # summaries shown in the UI / the CLI report -------------------------------------
    def _first(self, attr):
        vals = [getattr(t, attr) for t in self.tables if getattr(t, attr)]
        return vals[0] if vals else None

    @property
    def encoding(self):
        encs = sorted({t.encoding for t in self.tables if t.encoding})
        return encs[0] if len(encs) == 1 else (", ".join(encs) if encs else None)

    @property
    def delimiter(self):
        return self._first("delimiter")

    @property
    def layout(self):
        lays = [t.layout for t in self.tables if t.role != "unknown"] or [t.layout for t in self.tables]
        return lays[0] if lays else None

    @property
    def needs_mapping(self) -> bool:
        return not any(t.role == "interactions" for t in self.tables)

    def suggested_mapping(self) -> dict:
        """table name -> {"role", "mapping"} as detected."""
        return {t.name: {"role": t.role, "mapping": dict(t.mapping)} for t in self.tables}

    def describe(self) -> pd.DataFrame:
        return pd.DataFrame([t.describe() for t in self.tables])

    def source_info(self) -> dict:
        main = next((t for t in self.tables if t.role == "interactions"), self.tables[0] if self.tables else None)
        return {
            "file": self.filename,
            "format": self.format,
            "encoding": main.encoding if main else None,
            "delimiter": main.delimiter if main else None,
            "layout": main.layout if main else None,
            "mapping": dict(main.mapping) if main else {},
        }

    @staticmethod
    def combine(results: list[ReadResult]) -> ReadResult:
        if len(results) == 1:
            return results[0]
        out = ReadResult(" + ".join(r.filename for r in results), "multiple")
        seen = set()
        for r in results:
            for t in r.tables:
                name = t.name
                k = 2
                while name in seen:
                    name = f"{t.name} ({k})"
                    k += 1
                seen.add(name)
                t.name = name
                out.tables.append(t)
            out.warnings.extend(r.warnings)
        fmts = {r.format for r in results}
        out.format = fmts.pop() if len(fmts) == 1 else "multiple"
        return out


# ---------------------------------------------------------------------------------------
# expected memory of reading a file whole (checked for uploads to the app, before parsing)
# ---------------------------------------------------------------------------------------

#: working memory of reading, cleaning and saving a table in memory (the parsed table, the raw and the cleaned
#: versions are held at once), fitted on generated ratings files with ``python -m benchmarks.bench_upload_formats``
#: (README, "Uploads are bounded"): a fixed part, bytes per cell of the table, bytes per byte of text
MEM_FIXED = 100 * 1024**2
MEM_PER_CELL = {"text": 80, "parquet": 80, "json": 100, "xlsx": 200}
MEM_PER_BYTE = {"text": 3, "parquet": 1, "json": 6, "xlsx": 0}
#: more bytes per byte of long text (a review: cells of LONG_CELL bytes or more): each is held as a string in the
#: parsed, the raw and the cleaned tables and again by the text steps, several times its UTF-8 size (fitted on
#: files of long Chinese reviews, ``bench_upload_formats --runs reviews-csv-50,reviews-jsonl-50,...``)
MEM_PER_LONG_BYTE = {"text": 8, "parquet": 10, "json": 5, "xlsx": 0}
LONG_CELL = 64
_LONG_JSON = re.compile(rb'"((?:[^"\\]|\\.){%d,})"' % LONG_CELL)
_MEM_HEAD = 1 << 20
_XLSX_CELL_XML = 40  # bytes of sheet XML per cell, for a number: <c r="A1234" t="n"><v>1234567890</v></c>
_INSTEAD = (
    "save it as CSV (a big CSV is read in parts, in bounded memory), or clean it on the command line "
    "(python -m recsys_core clean {name} --out cleaned.csv) and upload the CSV"
)
# a CSV / TSV or Parquet file read whole only beside other files (a zip, several files) or outside the Data page
_ALONE = "split it into smaller files, or upload it alone on the Data page, where a {what} too big to read whole is read in parts"


def _check_memory(filename: str, need: int, kind: str, instead: str) -> None:
    """The memory check of one file of an upload; the fixed part of the estimate counts once per upload."""
    limits.check_memory(filename, need, kind, instead, shared=MEM_FIXED)


def memory_cost(fmt: str, cells: int, nbytes: int, long_bytes: int = 0) -> int:
    """Expected bytes of memory to read, clean and save a table of ``cells`` cells from ``nbytes`` of input, of
    which ``long_bytes`` are in long text cells."""
    return int(MEM_FIXED + MEM_PER_CELL[fmt] * cells + MEM_PER_BYTE[fmt] * nbytes + MEM_PER_LONG_BYTE[fmt] * long_bytes)


def _scaled(part: int, sample: int, size: int) -> int:
    """``part`` bytes of a ``sample``-byte sample, scaled to a ``size``-byte file."""
    return round(part * size / sample) if sample else 0


def long_text_bytes(sample: bytes, delim: str, size: int) -> int:
    """Bytes of a ``size``-byte delimited text in cells of LONG_CELL bytes or more, from a sample of its lines."""
    sep = delim.encode("utf-8")
    long = 0
    for line in sample.split(b"\n"):
        for cell in line.split() if delim == " " else line.split(sep):
            if len(cell) >= LONG_CELL:
                long += len(cell)
    return _scaled(long, len(sample), size)


def text_memory(head: bytes, size: int, delimiter: str | None = None) -> int:
    """Expected memory of a delimited text of ``size`` bytes read whole, from its first bytes ``head`` (the
    whole file when ``len(head) == size``): rows from the line breaks, columns from the first line."""
    head = bytes(head[:_MEM_HEAD]) if len(head) > _MEM_HEAD else bytes(head)
    if not head:
        return MEM_FIXED
    lines = head.count(b"\n") or 1
    rows = lines if len(head) >= size else int(size * lines / len(head)) + 1
    sample = head[:65536].decode("utf-8", errors="replace")
    delim = delimiter or detect.sniff_delimiter(sample)
    first = sample.split("\n", 1)[0]
    cols = max(1, len(first.split()) if delim == " " else first.count(delim) + 1)
    return memory_cost("text", rows * cols, size, long_text_bytes(head[:65536], delim, size))


def json_memory(data: bytes) -> int:
    """Expected memory of JSON / JSON Lines read whole: one cell per key ("name": ...) of every record, long
    strings from the first MB."""
    cells = data.count(b'":') + data.count(b'" :')
    head = data[:_MEM_HEAD]
    long = sum(len(m.group(1)) for m in _LONG_JSON.finditer(head))
    return memory_cost("json", cells, len(data), _scaled(long, len(head), len(data)))


def _check_text_memory(filename: str, data: bytes, delimiter: str | None) -> None:
    need = text_memory(data, len(data), delimiter)
    _check_memory(filename, need, "text table", _ALONE.format(what="CSV / TSV file"))


# ---------------------------------------------------------------------------------------
# public entry points
# ---------------------------------------------------------------------------------------


def read_upload(
    filename: str,
    data: bytes,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    has_header: bool | None = None,
) -> ReadResult:
    """Read one uploaded file.  ``data`` is never modified."""
    filename = str(filename) or "upload"
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise UserError(f"{filename}: expected file contents as bytes - upload the file again")
    data = bytes(data)
    limits.check_bytes(filename, len(data))
    fmt = detect.sniff_format(filename, data)
    result = ReadResult(filename, fmt)
    if fmt == "empty":
        raise UserError(f"{filename}: the file is empty - choose a file with a header row and data rows")
    if fmt == "binary":
        raise UserError(
            f"{filename}: looks like binary data, not a table - upload CSV, TSV, Excel (.xlsx), JSON, Parquet or a .zip of them"
        )
    if fmt == "xls":
        raise UserError(
            f"{filename}: old Excel .xls format is not supported - save it as .xlsx or CSV and upload again"
        )
    if fmt == "gzip":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
                inner = limits.read_capped(gz, filename)
        except (OSError, EOFError, zlib.error) as e:
            raise UserError(f"{filename}: the gzip archive is corrupt ({e}) - compress the file again") from None
        inner_name = filename[:-3] if filename.lower().endswith(".gz") else filename + ".csv"
        r = read_upload(inner_name, inner, encoding=encoding, delimiter=delimiter, has_header=has_header)
        r.filename, r.format = filename, "gzip/" + r.format
        return r
    if fmt == "zip":
        return _read_zip(filename, data)
    if fmt == "xlsx":
        result.tables = _read_xlsx(filename, data)
    elif fmt == "parquet":
        result.tables = [_finish(filename, _read_parquet(filename, data), "parquet")]
    elif fmt in ("json", "jsonl"):
        need = json_memory(data)
        _check_memory(filename, need, "JSON file", _INSTEAD.format(name=_basename(filename)))
        frame, enc = _read_json(filename, data, fmt, encoding)
        result.tables = [_finish(filename, frame, fmt, encoding=enc)]
    else:
        _check_text_memory(filename, data, delimiter)
        result.tables = [
            _read_text_table(filename, data, encoding=encoding, delimiter=delimiter, has_header=has_header)
        ]
    for t in result.tables:
        result.warnings.extend(w for w in t.warnings if w not in result.warnings)
    return result


def read_path(path, **kw) -> ReadResult:
    """Read a file, a zip or a folder (e.g. an unpacked MovieLens or CineLens folder)."""
    p = Path(path)
    if not p.exists():
        raise UserError(f"{path}: no such file or folder - check the path")
    if p.is_dir():
        files = _select_folder_files(sorted(x for x in p.rglob("*") if x.is_file()), base=p)
        if not files:
            raise UserError(
                f"{path}: the folder holds no data files (csv, tsv, dat, json, parquet, xlsx) - point at the file instead"
            )
        scale = _manifest_scale(p / "manifest.json")
        results, errors = [], []
        for f in files:
            rel = str(f.relative_to(p))
            if rel == "manifest.json":
                continue
            try:
                results.append(read_upload(rel, f.read_bytes(), **kw))
            except UserError as e:
                errors.append(str(e))
        if not results:
            raise UserError(
                errors[0] if errors else f"{path}: the folder holds no readable data files - point at the file instead"
            )
        out = ReadResult.combine(results)
        out.filename = str(p)
        out.format = "folder"
        out.warnings.extend(f"skipped {e}" for e in errors)
        if scale:
            for t in out.tables:
                if t.role == "interactions" and t.rating_scale is None:
                    t.rating_scale = scale
        return out
    try:
        data = p.read_bytes()
    except OSError as e:
        raise UserError(f"{path}: cannot be read ({e.strerror}) - check the permissions") from None
    r = read_upload(p.name, data, **kw)
    return r


# ---------------------------------------------------------------------------------------
# folders and zips
# ---------------------------------------------------------------------------------------


def _manifest_scale(path: Path):
    """A CineLens dataset folder may declare its rating scale in manifest.json."""
    if not path.is_file():
        return None
    try:
        sc = json.loads(path.read_text(encoding="utf-8")).get("rating_scale")
        lo, hi = float(sc[0]), float(sc[1])
        return (lo, hi) if hi > lo else None
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OSError):
        return None


_SKIP_NAMES = re.compile(r"(^|/)(readme[^/]*|license[^/]*|\.[^/]*|__macosx/.*|thumbs\.db|desktop\.ini)$", re.I)
# a CineLens dataset folder keeps its Promotion-page tables (films, campaign and behaviour logs) here;
# they are read by recsys_core.promotion, not as ratings
_PROMOTION_SUBFOLDER = re.compile(r"^promotion/", re.I)
_ML100K_KEEP = {"u.data", "u.item", "u.user"}
_ML100K_SKIP = re.compile(r"^(u\d\.(base|test)|u[ab]\.(base|test)|u\.(genre|occupation|info)|allbut\.pl|mku\.sh)$")
_ML_SKIP = {"links.csv", "genome-scores.csv", "genome-tags.csv"}


def _select_folder_files(names: list, base=None) -> list:
    """Keep data files; for a MovieLens 100K folder keep u.data / u.item / u.user only."""

    def bn(x):
        return str(x).replace("\\", "/").rsplit("/", 1)[-1].lower()

    def rel(x):
        return str(x.relative_to(base)) if base is not None else str(x)

    keep = []
    for x in names:
        b = bn(x)
        r = rel(x).replace("\\", "/")
        if _SKIP_NAMES.search(r.lower()) or b in _ML_SKIP or (base is not None and _PROMOTION_SUBFOLDER.match(r)):
            continue
        if _ML100K_SKIP.match(b):
            continue
        ext = b.rsplit(".", 1)[-1] if "." in b else ""
        if b in _ML100K_KEEP or ext in SUPPORTED_EXT - {"zip"}:
            keep.append(x)
    return keep


def _read_zip(filename: str, data: bytes) -> ReadResult:
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError) as e:
        raise UserError(
            f"{filename}: the zip archive is corrupt or incomplete ({e}) - zip the files again and re-upload"
        ) from None
    infos = [i for i in z.infolist() if not i.is_dir()]
    members = _select_folder_files([i.filename for i in infos])
    # declared sizes bound what a member can unpack to (the zip reader stops there); checked before reading
    chosen = set(members)
    limits.check_bytes(filename, sum(i.file_size for i in infos if i.filename in chosen))
    if not members:
        raise UserError(
            f"{filename}: the archive holds no data files (csv, tsv, dat, json, parquet, xlsx) - add them and zip again"
        )
    results = []
    budget = limits.current().max_bytes
    for m in members:
        try:
            with z.open(m) as f:  # a stream: unpacked in blocks, refused as soon as the budget is spent
                payload = limits.read_capped(f, filename, budget)
        except zipfile.BadZipFile as e:
            raise UserError(
                f"{filename}: the zip archive is corrupt (member {m}: {e}) - zip the files again and re-upload"
            ) from None
        except (EOFError, OSError, RuntimeError, NotImplementedError, zlib.error) as e:
            raise UserError(
                f"{filename}: member {m} cannot be unpacked ({e}) - zip the files again without a password"
            ) from None
        budget -= len(payload)
        if detect.sniff_format(m, payload) == "empty":
            continue
        results.append(read_upload(f"{filename}/{m}", payload))
    if not results:
        raise UserError(f"{filename}: every file in the archive is empty - add data files and zip again")
    out = ReadResult.combine(results)
    out.filename, out.format = filename, "zip"
    return out


# ---------------------------------------------------------------------------------------
# text tables
# ---------------------------------------------------------------------------------------

_KNOWN_HEADERLESS = {
    # basename: (layout, role, columns, scale)
    "u.data": ("movielens-100k", "interactions", ["user_id", "item_id", "rating", "timestamp"], (1.0, 5.0)),
    "u.item": ("movielens-100k", "items", None, None),
    "u.user": ("movielens-100k", "users", ["user_id", "age", "gender", "occupation", "zip"], None),
    "ratings.dat": ("movielens-1m", "interactions", ["user_id", "item_id", "rating", "timestamp"], None),
    "movies.dat": ("movielens-1m", "items", ["item_id", "title", "genres"], None),
    "users.dat": ("movielens-1m", "users", ["user_id", "gender", "age", "occupation", "zip"], None),
    "tags.dat": ("movielens-10m", "interactions", ["user_id", "item_id", "text", "timestamp"], None),
}


def _basename(name: str) -> str:
    return name.replace("\\", "/").rsplit("/", 1)[-1].lower()


def _decode_auto(filename, data, encoding) -> tuple[str, str, list]:
    """(text, encoding label, warnings): a file that is UTF-8 but for a few lines is decoded line by line and
    says so, instead of the whole file becoming Latin-1 mojibake."""
    enc = encoding or detect.detect_encoding(data)
    if encoding is None and enc not in ("UTF-8", "UTF-8-BOM", "UTF-16"):
        mixed = detect.decode_mostly_utf8(data, filename)
        if mixed is not None:
            return mixed.text, f"UTF-8 + {mixed.fallback} ({len(mixed.lines)} lines)", [mixed.warning(filename)]
    return detect.decode(data, enc, filename), enc, []


def _read_text_table(filename, data, *, encoding=None, delimiter=None, has_header=None) -> TableRead:
    text, enc, enc_warnings = _decode_auto(filename, data, encoding)
    if not text.strip():
        raise UserError(f"{filename}: the file is empty - choose a file with a header row and data rows")
    if "\x00" in text[:4096]:
        raise UserError(
            f"{filename}: looks like binary data, not a table - upload CSV, TSV, Excel (.xlsx), JSON or Parquet"
        )
    _check_text_shape(filename, text)
    base = _basename(filename)
    known = _KNOWN_HEADERLESS.get(base)
    if re.fullmatch(r"u\d\.(base|test)|u[ab]\.(base|test)", base):
        known = _KNOWN_HEADERLESS["u.data"]
    delim = delimiter or detect.sniff_delimiter(text)
    sample_rows = _sample_rows(text, delim)
    if has_header is None:
        has_header = detect.sniff_header(sample_rows)
        if known and sample_rows and not any(detect.normalise_header(c) in detect.ALIASES for c in sample_rows[0]):
            has_header = False
    frame = _parse_delimited(
        filename,
        text,
        delim,
        has_header,
        quote=not (known or delim == "::"),
        fast=not known or known[1] == "interactions",
    )
    del text
    if frame.shape[1] < 2:
        raise UserError(
            f"{filename}: found only one column (delimiter not recognised) - save the table with commas or tabs between "
            "columns, e.g. user,film,rating"
        )
    if has_header and len(frame) == 0:
        raise UserError(f"{filename}: has a header row but no data rows - add data rows below the header")
    if len(frame) == 0:
        raise UserError(f"{filename}: no data rows found - check the file")
    t = TableRead(filename, frame, "csv", encoding=enc, delimiter=delim, has_header=has_header, warnings=enc_warnings)
    if known and not has_header:
        return _apply_known(t, base, known)
    return _finish(filename, frame, "csv", encoding=enc, delimiter=delim, has_header=has_header, table=t)


def _check_text_shape(filename: str, text: str) -> None:
    """Header width and row count, from the raw text before any parsing (cheap even for hostile files)."""
    end = text.find("\n")
    first = text[: end if end >= 0 else len(text)]
    widest = max(first.count(d) for d in (",", "\t", ";", "|", " ")) + 1
    limits.check_columns(filename, widest)
    limits.check_rows(filename, text.count("\n") - 1)


def _sample_rows(text: str, delim: str) -> list[list[str]]:
    lines = detect._sample_lines(text[: detect.SAMPLE_BYTES], 25)
    if delim == "::":
        return [line.split("::") for line in lines]
    if delim == " ":
        return [line.split() for line in lines]
    try:
        return list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delim))
    except csv.Error:
        return [line.split(delim) for line in lines]


_RAGGED = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def _parse_delimited(filename, text, delim, has_header, quote=True, fast=True) -> pd.DataFrame:
    sep = delim
    if delim == "::":
        sub = "\x1f" if "\x1f" not in text else "\x1e"
        text = text.replace("::", sub)
        sep = sub
    if fast and delim != " " and len(text) > 1_000_000:
        # Arrow's multi-threaded parser: several times faster on big files; any doubt -> the C parser below,
        # which also gives the precise message for ragged rows
        try:
            frame = pd.read_csv(
                io.BytesIO(text.encode("utf-8")),
                sep=sep,
                header=0 if has_header else None,
                dtype=str,
                keep_default_na=False,
                na_values=[""],
                engine="pyarrow",
            )
            if not has_header:
                frame.columns = [f"col{i + 1}" for i in range(frame.shape[1])]
            else:
                frame.columns = _clean_columns(frame.columns)
            return frame
        except Exception:  # noqa: BLE001 - fall back to the strict parser
            pass
    kw = dict(
        sep=r"\s+" if delim == " " else sep,
        header=0 if has_header else None,
        dtype=str,
        keep_default_na=False,
        na_values=[""],
        skip_blank_lines=True,
        engine="c",
    )
    if not quote:
        kw["quoting"] = csv.QUOTE_NONE
    try:
        frame = pd.read_csv(io.StringIO(text), **kw)
    except pd.errors.EmptyDataError:
        raise UserError(f"{filename}: the file is empty - choose a file with a header row and data rows") from None
    except pd.errors.ParserError as e:
        m = _RAGGED.search(str(e))
        dname = detect.DELIMITER_NAMES.get(delim, delim)
        if m:
            exp, line, saw = m.groups()
            raise UserError(
                f"{filename}: line {line} has {saw} fields but the rows above have {exp} (ragged rows) - "
                f"fix that line (quote text that contains '{dname}') or check the delimiter"
            ) from None
        msg = str(e).strip().splitlines()[-1][:160]
        raise UserError(
            f"{filename}: cannot be parsed as a '{dname}'-separated table ({msg}) - check the file and the delimiter"
        ) from None
    if not has_header:
        frame.columns = [f"col{i + 1}" for i in range(frame.shape[1])]
    else:
        frame.columns = _clean_columns(frame.columns)
    return frame


def _clean_columns(cols) -> list[str]:
    out, seen = [], {}
    for i, c in enumerate(cols):
        s = str(c).strip().lstrip("\ufeff")
        if not s or s.startswith("Unnamed:"):
            s = f"col{i + 1}"
        if s in seen:
            seen[s] += 1
            s = f"{s}.{seen[s]}"
        else:
            seen[s] = 0
        out.append(s)
    return out


def _apply_known(t: TableRead, base: str, known) -> TableRead:
    layout, role, cols, scale = known
    f = t.frame
    if base == "u.item":
        n = f.shape[1]
        if n < 5:
            return _finish(t.name, f, t.format, encoding=t.encoding, delimiter=t.delimiter, has_header=False, table=t)
        flags = f.iloc[:, 5 : 5 + len(ML100K_GENRES)]
        names = np.array(ML100K_GENRES[: flags.shape[1]], dtype=object)
        fl = flags.apply(pd.to_numeric, errors="coerce").fillna(0).to_numpy() > 0
        genres = ["|".join(names[row]) for row in fl]
        title = f.iloc[:, 1]
        out = pd.DataFrame(
            {
                "item_id": f.iloc[:, 0],
                "title": title,
                "genres": genres,
                "release_date": f.iloc[:, 2],
                "imdb_url": f.iloc[:, 4] if n > 4 else None,
            }
        )
        t.frame = out
        mapping = {"item_id": "item_id", "title": "title", "genres": "genres"}
    else:
        if f.shape[1] != len(cols):
            t.warnings.append(
                f"{t.name}: expected {len(cols)} columns for {layout} but found {f.shape[1]}; please map the columns"
            )
            return _finish(t.name, f, t.format, encoding=t.encoding, delimiter=t.delimiter, has_header=False, table=t)
        f.columns = cols
        mapping = {c: c for c in cols if c in ALL_FIELDS}
        if base == "users.dat":
            f["age_band"] = f["age"].map(ML1M_AGE_BANDS)
            occ = pd.to_numeric(f["occupation"], errors="coerce")
            f["occupation"] = occ.map(lambda v: ML1M_OCCUPATIONS[int(v)] if pd.notna(v) and 0 <= v < 21 else None)
            mapping["age_band"] = "age_band"
        if base == "tags.dat":
            t.frame = f = _aggregate_tags(f)
    if base == "ratings.dat" and layout == "movielens-1m":
        # 10M has half stars; 1M does not
        r = pd.to_numeric(f["rating"].head(100000), errors="coerce")
        scale = (0.5, 5.0) if ((r % 1) != 0).any() else (1.0, 5.0)
        if scale == (0.5, 5.0):
            layout = "movielens-10m"
    t.layout, t.role, t.mapping, t.rating_scale = layout, role, mapping, scale
    return t


def _aggregate_tags(f: pd.DataFrame) -> pd.DataFrame:
    """Several tags for one user-film pair become one comma-joined text row."""
    g = f.dropna(subset=["text"]).groupby(["user_id", "item_id"], sort=False)
    return pd.DataFrame(
        {"text": g["text"].agg(lambda s: ", ".join(dict.fromkeys(s))), "timestamp": g["timestamp"].max()}
    ).reset_index()


def _finish(
    name, frame, fmt, encoding=None, delimiter=None, has_header=True, table: TableRead | None = None
) -> TableRead:
    """Layout detection from column names, shared by every format."""
    limits.check_columns(name, frame.shape[1])
    limits.check_rows(name, len(frame))
    if frame.shape[1] < 2:
        raise UserError(
            f"{name}: found only one column - a table needs at least a user column and a film column; "
            "check the delimiter or the sheet"
        )
    if len(frame) == 0:
        raise UserError(f"{name}: has a header row but no data rows - add data rows below the header")
    t = table or TableRead(name, frame, fmt, encoding=encoding, delimiter=delimiter, has_header=has_header)
    t.frame = frame
    lay: Layout = detect.detect_layout(name, [str(c) for c in frame.columns], has_header)
    t.layout, t.role, t.mapping, t.rating_scale = lay.name, lay.role, lay.mapping, lay.rating_scale
    if lay.role == "unknown" and not has_header:
        t.mapping = _guess_headerless(frame)
        if t.mapping:
            t.role, t.layout = "interactions", "headerless-numeric"
            guess = ", ".join(f"{FIELD_WORDS.get(f, f)}={c}" for f, c in t.mapping.items())
            t.warnings.append(
                f"{name}: no header row; guessed the columns as {guess} - change them in the column mapping "
                "(or with --map on the command line) if that is wrong"
            )
    if _basename(name) == "tags.csv" and lay.role == "interactions" and "text" in t.mapping:
        m = t.mapping
        sub = frame.rename(
            columns={
                m["user_id"]: "user_id",
                m["item_id"]: "item_id",
                m["text"]: "text",
                **({m["timestamp"]: "timestamp"} if "timestamp" in m else {}),
            }
        )
        if "timestamp" not in sub:
            sub["timestamp"] = None
        t.frame = _aggregate_tags(sub[["user_id", "item_id", "text", "timestamp"]])
        t.mapping = {"user_id": "user_id", "item_id": "item_id", "text": "text", "timestamp": "timestamp"}
        t.layout = "movielens-latest"
    return t


FIELD_WORDS = {"user_id": "user", "item_id": "film", "rating": "rating", "timestamp": "timestamp"}


def _guess_headerless(frame: pd.DataFrame) -> dict:
    """Suggest user,item,rating[,timestamp] for numeric header-less tables (FilmTrust, Epinions, u.data style):
    two integer id columns, then a bounded numeric rating, then an optional Unix timestamp. Shown, not imposed."""
    if frame.shape[1] < 3:
        return {}
    head = frame.head(200)
    num = [pd.to_numeric(head[c], errors="coerce") for c in head.columns[:4]]
    ids_ok = all(x.notna().mean() > 0.9 and (x.dropna() % 1 == 0).all() for x in num[:2])
    if ids_ok and num[2].notna().mean() > 0.9 and num[2].dropna().between(0, 100).all():
        m = {"user_id": head.columns[0], "item_id": head.columns[1], "rating": head.columns[2]}
        if len(num) > 3 and num[3].notna().mean() > 0.9 and num[3].dropna().gt(1e8).all():
            m["timestamp"] = head.columns[3]
        return m
    return {}


# ---------------------------------------------------------------------------------------
# Excel, JSON, Parquet
# ---------------------------------------------------------------------------------------


def _check_xlsx_size(filename, data) -> None:
    """Unpacked size of the workbook and every sheet's declared dimensions, before a cell is parsed."""
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            unpacked = sum(i.file_size for i in z.infolist())
            limits.check_bytes(filename, unpacked)
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    except UserError:
        raise
    except Exception:  # noqa: BLE001 - a corrupt workbook gets its message from the reader below
        return
    dims = 0
    try:
        for ws in wb.worksheets:
            limits.check_rows(f"{filename}[{ws.title}]", int(ws.max_row or 0))
            limits.check_columns(f"{filename}[{ws.title}]", int(ws.max_column or 0))
            dims += int(ws.max_row or 0) * int(ws.max_column or 0)
    finally:
        wb.close()
    cells = dims or unpacked // _XLSX_CELL_XML  # a workbook that declares no dimensions: from its unpacked size
    _check_memory(
        filename, memory_cost("xlsx", cells, len(data)), "Excel file", _INSTEAD.format(name=_basename(filename))
    )


def _read_xlsx(filename, data) -> list[TableRead]:
    _check_xlsx_size(filename, data)
    try:
        sheets = pd.read_excel(io.BytesIO(data), sheet_name=None, header=None, dtype=object, engine="openpyxl")
    except Exception as e:  # openpyxl raises many types for corrupt files
        msg = str(e).splitlines()[0][:120] if str(e) else type(e).__name__
        raise UserError(
            f"{filename}: the Excel file cannot be opened ({msg}) - open it in Excel and save it again as .xlsx"
        ) from None
    tables, errors = [], []
    for sheet, raw in sheets.items():
        raw = raw.dropna(how="all").dropna(axis=1, how="all")
        if raw.empty:
            continue
        # a title line above the table ("2021年影评数据") fills one cell of a wide sheet: skip such lines
        filled = raw.notna().sum(axis=1).to_numpy()
        skip = 0
        while skip < min(10, len(raw) - 1) and filled[skip] < max(2, raw.shape[1] // 2):
            skip += 1
        raw = raw.iloc[skip:]
        rows = [["" if pd.isna(v) else str(v) for v in r] for r in raw.head(25).itertuples(index=False)]
        header = detect.sniff_header(rows)
        if header:
            frame = raw.iloc[1:].reset_index(drop=True)
            frame.columns = _clean_columns(raw.iloc[0].tolist())
        else:
            frame = raw.reset_index(drop=True)
            frame.columns = [f"col{i + 1}" for i in range(frame.shape[1])]
        name = filename if len(sheets) == 1 else f"{filename}[{sheet}]"
        try:
            tables.append(_finish(name, frame, "xlsx", has_header=header))
        except UserError as e:
            errors.append(str(e))
    if not tables:
        raise UserError(
            errors[0]
            if errors
            else f"{filename}: every sheet is empty - put the table in the first sheet with a header row"
        )
    return tables


def parquet_memory(filename, source, check: bool = True) -> int | None:
    """Expected memory of reading a Parquet file (``source``: bytes, a path or a seekable binary stream) whole,
    from its row-group metadata, before any column is read; None when the metadata cannot be read (the reader
    then says why). With ``check``, its rows, columns and unpacked bytes are first checked against the limits."""
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source).metadata
    except Exception:  # noqa: BLE001 - a corrupt file gets its message from the reader
        return None
    # encoded pages can be far smaller than the table in memory (dictionary / run-length encoding): every cell
    # takes at least 8 bytes once read
    encoded = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    long = _parquet_long_bytes(meta)
    if check:
        limits.check_rows(filename, meta.num_rows)
        limits.check_columns(filename, meta.num_columns)
        limits.check_bytes(filename, max(encoded, meta.num_rows * meta.num_columns * 8))
    return memory_cost("parquet", meta.num_rows * meta.num_columns, encoded, long)


def _parquet_long_bytes(meta) -> int:
    """Unpacked bytes of the text columns whose values average LONG_CELL bytes or more (reviews)."""
    long = 0
    for g in range(meta.num_row_groups):
        rg = meta.row_group(g)
        for j in range(meta.num_columns):
            c = rg.column(j)
            if c.physical_type == "BYTE_ARRAY" and c.total_uncompressed_size >= LONG_CELL * max(c.num_values, 1):
                long += c.total_uncompressed_size
    return long


def _check_parquet_size(filename, data) -> None:
    """Rows, columns and unpacked bytes from the row-group metadata, before any column is read."""
    need = parquet_memory(filename, data)
    if need is not None:
        _check_memory(filename, need, "Parquet file", _ALONE.format(what="Parquet file"))


def parquet_frame(table) -> pd.DataFrame:
    """A Parquet table (or one batch of it) as the raw frame: a named index as a column, lists and records inside
    cells as text, columns named as the other readers name them."""
    frame = table if isinstance(table, pd.DataFrame) else table.to_pandas()
    frame = _flatten_nested(frame.reset_index(drop=not any(n for n in frame.index.names)))
    frame.columns = _clean_columns(frame.columns)
    return frame


def _read_parquet(filename, data) -> pd.DataFrame:
    _check_parquet_size(filename, data)
    try:
        frame = pd.read_parquet(io.BytesIO(data))
    except Exception as e:
        msg = str(e).splitlines()[0][:120] if str(e) else type(e).__name__
        raise UserError(f"{filename}: the Parquet file cannot be read ({msg}) - export it again") from None
    return parquet_frame(frame)


def _read_json(filename, data, fmt, encoding) -> tuple[pd.DataFrame, str]:
    text, enc, _ = _decode_auto(filename, data, encoding)
    text = text.strip()
    if not text:
        raise UserError(f"{filename}: the file is empty - choose a file with records")
    if fmt == "json":
        try:
            obj = _loads(filename, text)
        except json.JSONDecodeError as e:
            # maybe JSON Lines after all
            if text.startswith("{") and "\n" in text:
                try:
                    return _json_lines(filename, text), enc
                except UserError:
                    pass
            end = " (the file ends early)" if e.pos >= len(text) - 1 else ""
            raise UserError(
                f"{filename}: invalid JSON at line {e.lineno} column {e.colno}: {e.msg}{end} - export the file again"
            ) from None
        records = _records(obj)
        if records is None:
            raise UserError(
                f'{filename}: JSON holds no list of records - use [{{"user": ..., "film": ..., "rating": ...}}, ...] or JSON Lines'
            )
        frame = _records_frame(filename, records)
    else:
        frame = _json_lines(filename, text)
    return frame, enc


def _loads(filename, text: str):
    """json.loads with the nesting-depth limit (deeper input would end in a RecursionError)."""
    try:
        obj = json.loads(text)
    except RecursionError:
        raise limits.refuse(
            filename, f"the JSON is nested more than {limits.current().max_json_depth} levels deep", "max_json_depth"
        ) from None
    limits.check_json_depth(filename, obj)
    return obj


def _json_lines(filename, text) -> pd.DataFrame:
    records = []
    for no, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not s:
            continue
        try:
            obj = _loads(filename, s)
        except json.JSONDecodeError as e:
            raise UserError(f"{filename}: line {no} is not valid JSON ({e.msg}) - fix or delete that line") from None
        if not isinstance(obj, dict):
            raise UserError(f"{filename}: line {no} is not a JSON object - each line must be one record {{...}}")
        records.append(obj)
    return _records_frame(filename, records)


def _records(obj):
    if isinstance(obj, list):
        return obj
    if isinstance(obj, dict):
        lists = [v for v in obj.values() if isinstance(v, list)]
        if len(lists) == 1 and all(isinstance(x, dict) for x in lists[0][:50]):
            return lists[0]
        if obj and all(isinstance(v, list) for v in obj.values()) and len({len(v) for v in obj.values()}) == 1:
            return pd.DataFrame(obj).to_dict("records")  # column-oriented
        if obj and all(isinstance(v, dict) for v in obj.values()):
            return [{"id": k, **v} for k, v in obj.items()]
    return None


def _records_frame(filename, records) -> pd.DataFrame:
    if not records:
        raise UserError(f"{filename}: holds no records - add at least one record")
    if not all(isinstance(r, dict) for r in records[:1000]):
        raise UserError(
            f'{filename}: the JSON list must hold objects (one per rating) - e.g. [{{"user": 1, "film": 2, "rating": 4}}]'
        )
    frame = _flatten_nested(pd.DataFrame.from_records([r for r in records if isinstance(r, dict)]))
    frame.columns = _clean_columns(frame.columns)
    return frame


def _nested_cell(v):
    """A list cell as 'a|b' (how genre lists are written), a record as JSON text; other values as they are."""
    if isinstance(v, (list, tuple, np.ndarray)):
        return "|".join(map(str, list(v)))
    if isinstance(v, dict):
        return json.dumps(v, ensure_ascii=False, default=str)
    return v


def _flatten_nested(frame: pd.DataFrame) -> pd.DataFrame:
    """Lists and records inside cells (JSON, Parquet list/struct columns) become text, so every later
    step sees plain values."""
    for c in frame.columns:
        if frame[c].dtype == object and frame[c].map(lambda v: isinstance(v, (dict, list, tuple, np.ndarray))).any():
            frame[c] = frame[c].map(_nested_cell)
    return frame
