"""Streaming ingest: a big delimited file (CSV / TSV, plain, gzip or a zip member) into the workspace in parts.

The in-memory path (:func:`recsys_core.data.readers.read_upload` then :func:`recsys_core.data.cleaning.clean`)
holds the text, the parsed table and the cleaned table at once: several times the file's size. Here the stored
upload is read in blocks instead, and memory stays bounded whatever the file's size:

1. **Encoding** over the whole file in blocks (strict UTF-8, else the same mixed-encoding rule and the same
   candidates as the in-memory reader); a file that is not UTF-8 is written once as UTF-8 next to the upload.
   What the user uploaded is kept byte for byte.
2. **Pass 1** parses the file in blocks (Arrow's streaming CSV reader): a 128-bit hash of every raw row (exact
   duplicates are found in DuckDB), the raw version's rows (minimal cleaning, row by row), and the cleaned
   ratings before the scale is known.
3. **Scale** from ``GROUP BY rating`` counts (:func:`~recsys_core.data.cleaning.scale_from_counts`), with the
   file's own scale for star labels (力荐 ...) measured the same way.
4. **Pass 2** runs the row-level cleaning steps (ids, ratings, scale, out-of-range, times, text, personal data)
   on each block without its exact duplicates, with the scales of step 3, and appends the rows to DuckDB.
5. **Repeated user-film pairs** and **suspicious users** in DuckDB SQL, with the same rules and the same
   counts as the in-memory steps.

Everything is staged in a scratch DuckDB file under ``<workspace>/cache/ingest/``; :meth:`StagedIngest.commit`
adds the upload and both versions to the workspace in one transaction, so a failure at any point leaves the
workspace as it was. The cleaning report has the same counts as the in-memory path on the same file (checked
by ``tests/data_io/test_stream_ingest.py``).
"""

from __future__ import annotations

import codecs
import gzip
import io
import os
import re
import shutil
import uuid
import zipfile
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from ..errors import UserError
from . import cleaning as C
from . import detect, limits, readers
from .cleaning import CleaningOptions, CleaningReport, StepReport
from .schema import INTERACTION_COLUMNS

#: files (unpacked size) from this size on take the streaming path in the app and the CLI; below it a CSV of
#: ratings read whole takes ~1.1 GB at most (``python -m benchmarks.bench_upload_formats``), and a smaller one that
#: would take more than the memory limit (many short cells) is read in parts too (:func:`read_in_parts`)
STREAM_MIN_BYTES = 64 * 1024**2
#: bytes of text parsed per block (about 150,000 rating rows); Arrow reads about 37 blocks ahead, so this bounds
#: the raw text held in memory to ~150 MB
BLOCK_BYTES = 4 * 1024**2
#: DuckDB's memory for the staging work (sorts and windows spill to disk beyond it)
DUCKDB_MEMORY = "512MB"
_HEAD_BYTES = 1024**2
_SCAN_BYTES = 8 * 1024**2
_HASH_KEYS = ("cinelens-row-h1!", "cinelens-row-h2!")
_STREAMABLE_EXT = {"csv", "tsv", "txt", "dat", "data", "tab", "gz", "zip"}
_PARQUET_EXT = {"parquet", "pq"}
#: rows of a Parquet part at most (fewer when its rows are wide: about BLOCK_BYTES of decoded values per part)
PARQUET_BATCH_ROWS = 200_000
_PARQUET_HEAD_ROWS = 1000


def stream_min_bytes() -> int:
    raw = os.environ.get("CINELENS_STREAM_BYTES", "").strip().replace("_", "")
    try:
        return max(1, int(float(raw))) if raw else STREAM_MIN_BYTES
    except ValueError:
        raise UserError(
            f"CINELENS_STREAM_BYTES={raw!r} is not a number - set it to a whole number or unset it"
        ) from None


def read_in_parts(filename: str, f) -> bool:
    """True when the upload in the seekable binary stream ``f`` takes the streaming path: a delimited text (plain, a
    .gz or a one-file .zip) of CINELENS_STREAM_BYTES or more unpacked, or a delimited text or a Parquet file whose
    expected memory read whole passes CINELENS_MAX_UPLOAD_MEMORY. Other files (Excel, JSON, several tables) are read
    whole, where their expected memory is checked before parsing."""
    return parts_reason(filename, f) is not None


def parts_reason(filename: str, f) -> tuple[str, int] | None:
    """Why :func:`read_in_parts` sends a file to the streaming path: ``("size", unpacked bytes)`` from
    CINELENS_STREAM_BYTES on, ``("memory", expected bytes read whole)`` past CINELENS_MAX_UPLOAD_MEMORY; else None."""
    try:
        f.seek(0, 2)
        size = f.tell()
        f.seek(0)
        text = _text_head(filename, f, size)
        if text is None:
            need = _parquet_need(filename, f)
        else:
            unpacked, head = text
            if unpacked >= stream_min_bytes():
                return "size", unpacked
            need = readers.text_memory(head, unpacked)
        return ("memory", need) if need is not None and need > limits.current().max_memory else None
    finally:
        f.seek(0)


def _ext(filename: str) -> str:
    """The lower-case extension of a file name ('' without one)."""
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def _is_parquet(filename: str, head: bytes) -> bool:
    """A Parquet upload: named .parquet / .pq and starting with Parquet's magic bytes."""
    return _ext(filename) in _PARQUET_EXT and head[:4] == b"PAR1"


def _parquet_need(filename: str, f) -> int | None:
    """Expected memory of a .parquet file read whole, from its metadata (its row, column and byte limits are checked
    when it is read, in parts or whole); None for other files."""
    f.seek(0)
    if not _is_parquet(filename, f.read(4)):
        return None
    f.seek(0)
    return readers.parquet_memory(filename, f, check=False)


def _text_head(filename: str, f, size: int) -> tuple[int, bytes] | None:
    """(unpacked bytes, first unpacked bytes) of a delimited text, plain, a .gz or a one-file .zip; else None."""
    head = f.read(_HEAD_BYTES)
    ext = _ext(filename)
    fmt = detect.sniff_format(filename, head[:4096])
    if fmt in ("csv", "text", "tsv"):
        return (size, head) if ext in _STREAMABLE_EXT - {"gz", "zip"} else None
    if fmt == "gzip":
        inner = filename[:-3] if filename.lower().endswith(".gz") else filename + ".csv"
        if _ext(inner) not in _STREAMABLE_EXT - {"gz", "zip"}:
            return None
        f.seek(-4, 2)  # the gzip trailer: the unpacked size (modulo 4 GB)
        unpacked = max(size, int.from_bytes(f.read(4), "little"))
        try:
            return unpacked, zlib.decompressobj(31).decompress(head, _HEAD_BYTES)
        except zlib.error:
            return None
    if fmt == "zip":
        try:
            with zipfile.ZipFile(f) as z:
                infos = {i.filename: i for i in z.infolist() if not i.is_dir()}
                members = readers._select_folder_files(list(infos))
                if len(members) != 1 or members[0].rsplit(".", 1)[-1].lower() not in _STREAMABLE_EXT - {"gz", "zip"}:
                    return None
                with z.open(members[0]) as m:
                    return infos[members[0]].file_size, m.read(_HEAD_BYTES)
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError, zlib.error):
            return None
    return None


# ---------------------------------------------------------------------------------------
# the stored file as a stream of text bytes
# ---------------------------------------------------------------------------------------


@dataclass
class Source:
    """The stored upload: ``path`` holds the bytes exactly as uploaded."""

    filename: str
    path: Path
    kind: str = "plain"  # plain | gzip | zip | parquet
    member: str | None = None

    @property
    def name(self) -> str:
        """The table's name as the in-memory reader spells it."""
        if self.kind == "gzip":
            return self.filename[:-3] if self.filename.lower().endswith(".gz") else self.filename + ".csv"
        if self.kind == "zip":
            return f"{self.filename}/{self.member}"
        return self.filename

    def open(self):
        """The unpacked bytes as a binary stream, refused as soon as they pass the upload limit."""
        f = open(self.path, "rb")
        if self.kind == "gzip":
            return _Capped(gzip.GzipFile(fileobj=f), self.filename, f)
        if self.kind == "zip":
            z = zipfile.ZipFile(f)
            return _Capped(z.open(self.member), self.filename, f, z)
        return _Capped(f, self.filename)


class _Capped(io.RawIOBase):
    """A read-only stream that counts what it gives and refuses past ``limits.max_bytes``."""

    def __init__(self, inner, filename, *closers):
        self.inner, self.filename, self.closers, self.count = inner, filename, closers, 0
        self.cap = limits.current().max_bytes

    def readable(self):
        return True

    def read(self, n=-1):
        try:
            block = self.inner.read(n)
        except (OSError, EOFError, zlib.error, zipfile.BadZipFile) as e:
            raise UserError(f"{self.filename}: the archive is corrupt ({e}) - compress the file again") from None
        self.count += len(block)
        if self.count > self.cap:
            raise limits.refuse(self.filename, limits._TOO_BIG, "max_bytes")
        return block

    def readinto(self, b):
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def close(self):
        self.inner.close()
        for c in self.closers:
            c.close()
        super().close()


def source_for(filename: str, path) -> Source | None:
    """The stream to read for an upload, or None when it is not one delimited table (then the in-memory
    reader decides: Excel, JSON, Parquet, several files in a zip, ...)."""
    path = Path(path)
    ext = _ext(filename)
    if ext not in _STREAMABLE_EXT | _PARQUET_EXT:
        return None
    with open(path, "rb") as f:
        head = f.read(4096)
    if ext in _PARQUET_EXT:
        return Source(filename, path, "parquet") if _is_parquet(filename, head) else None
    fmt = detect.sniff_format(filename, head)
    if fmt == "gzip":
        inner = filename[:-3] if filename.lower().endswith(".gz") else filename + ".csv"
        iext = _ext(inner)
        return Source(filename, path, "gzip") if iext in _STREAMABLE_EXT - {"gz", "zip"} else None
    if fmt == "zip":
        try:
            with zipfile.ZipFile(path) as z:
                infos = [i for i in z.infolist() if not i.is_dir()]
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        members = readers._select_folder_files([i.filename for i in infos])
        data = [m for m in members if m.rsplit(".", 1)[-1].lower() in _STREAMABLE_EXT - {"gz", "zip"}]
        if len(members) != 1 or len(data) != 1:
            return None
        return Source(filename, path, "zip", data[0])
    if fmt in ("csv", "text", "tsv"):
        return Source(filename, path)
    return None


def _blocks(src: Source, size: int = _SCAN_BYTES):
    """Blocks of the unpacked bytes that end at a line end (the last one wherever the file ends)."""
    with src.open() as f:
        rest = b""
        while True:
            got = f.read(size)
            if not got:
                if rest:
                    yield rest
                return
            data = rest + got
            cut = data.rfind(b"\n")
            if cut < 0:
                rest = data
                continue
            yield data[: cut + 1]
            rest = data[cut + 1 :]


# ---------------------------------------------------------------------------------------
# encoding over the whole file
# ---------------------------------------------------------------------------------------

_SURR = re.compile("[\udc80-\udcff]")


@dataclass
class Text:
    """The table as UTF-8 text on disk, with what decoding found."""

    path: Path
    encoding: str
    warnings: list
    lines: int
    head: bytes  # the first lines, UTF-8


def _scan(src: Source) -> dict:
    """One pass: bytes, lines, whether it is strict UTF-8, and the mixed-encoding counts."""
    out = {"bytes": 0, "lines": 0, "utf8": True, "bad": 0, "valid": 0, "bad_lines": 0, "head": b"", "c1": False}
    line0 = 0
    for block in _blocks(src):
        if not out["head"]:
            out["head"] = (
                block[:_HEAD_BYTES] if len(block) <= _HEAD_BYTES else block[: block.rfind(b"\n", 0, _HEAD_BYTES) + 1]
            )
        out["bytes"] += len(block)
        n = block.count(b"\n")
        try:
            block.decode("utf-8")
        except UnicodeDecodeError:
            out["utf8"] = False
            text = block.decode("utf-8", errors="surrogateescape")
            out["bad"] += sum(1 for _ in _SURR.finditer(text))
            out["valid"] += sum(1 for _ in detect._VALID_NON_ASCII.finditer(text))
            out["bad_lines"] += len({text.rfind("\n", 0, m.start()) for m in _SURR.finditer(text)})
        if not out["c1"] and re.search(rb"[\x80-\x9f]", block):
            out["c1"] = True
        line0 += n
    out["lines"] = line0
    return out


def _decodes_whole(src: Source, codec: str) -> bool:
    dec = codecs.getincrementaldecoder(codec)()
    try:
        for block in _blocks(src):
            dec.decode(block)
        dec.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _whole_file_label(src: Source, head: bytes, c1: bool) -> str:
    """detect.detect_encoding for a file too big to hold: the same candidates, each checked over every byte."""
    for label in detect._candidates(head):
        if _decodes_whole(src, detect.codec_for(label)):
            if label == "GB18030":
                return "GBK" if _decodes_whole(src, "gbk") else "GB18030"
            if label == "Windows-1252" and not c1:
                return "Latin-1"
            return label
    return "Latin-1"


def _fix_line(raw: bytes, used: set, filename: str, line_no: int) -> str:
    for label in ("GB18030", "Big5"):
        try:
            out = raw.decode(detect.codec_for(label))
            used.add(label)
            return out
        except UnicodeDecodeError:
            continue
    raise UserError(
        f"{filename}: line {line_no} is neither UTF-8 nor GBK/Big5 (mixed encodings) - re-save the file as UTF-8"
    )


def _transcode(src: Source, out_path: Path, label: str | None, sub: str | None) -> tuple[list, set]:
    """Write the text as UTF-8 (``label`` None: UTF-8 with some lines in GBK/Big5, decoded line by line); ``sub``
    replaces the '::' delimiter. Returns (numbers of the re-decoded lines, encodings used for them)."""
    lines_fixed, used, line0 = [], set(), 0
    dec = codecs.getincrementaldecoder(detect.codec_for(label))() if label else None
    first = True
    with open(out_path, "w", encoding="utf-8", newline="") as out:
        for block in _blocks(src):
            if dec is not None:
                try:
                    text = dec.decode(block)
                except UnicodeDecodeError as e:
                    line = line0 + block[: e.start].count(b"\n") + 1
                    raise UserError(
                        f"{src.name}: cannot be read as {label} (bad byte in line {line}) "
                        "- choose another encoding or re-save the file as UTF-8"
                    ) from None
            else:
                text = block.decode("utf-8", errors="surrogateescape")
                if _SURR.search(text):
                    parts = text.split("\n")
                    for i, line in enumerate(parts):
                        if _SURR.search(line):
                            parts[i] = _fix_line(line.encode("utf-8", "surrogateescape"), used, src.name, line0 + i + 1)
                            lines_fixed.append(line0 + i + 1)
                            if len(lines_fixed) > 10_000:
                                raise UserError(
                                    f"{src.name}: more than 10,000 lines are not UTF-8 - choose the file's encoding "
                                    "under 'Read options' or re-save the file as UTF-8"
                                )
                    text = "\n".join(parts)
            if first:
                text = text.lstrip("\ufeff")
                first = False
            if sub:
                text = text.replace("::", sub)
            out.write(text)
            line0 += block.count(b"\n")
    return lines_fixed, used


def prepare_text(src: Source, workdir: Path, encoding: str | None = None, delimiter: str | None = None) -> Text:
    """The upload as UTF-8 text: the stored file itself when it is UTF-8, else a UTF-8 copy in ``workdir``."""
    scan = _scan(src)
    if scan["bytes"] == 0 or not scan["head"].strip():
        raise UserError(f"{src.name}: the file is empty - choose a file with a header row and data rows")
    limits.check_rows(src.name, scan["lines"] - 1)
    head = scan["head"]
    warnings: list = []
    sub = "\x1f" if delimiter == "::" or (delimiter is None and _sniffed_delimiter(head) == "::") else None
    if encoding is None and scan["utf8"]:
        label, mixed = ("UTF-8-BOM" if head.startswith(b"\xef\xbb\xbf") else "UTF-8"), False
    elif encoding is None and head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _not_streamable(src, "UTF-16 text")
    elif encoding is None and scan["valid"] >= scan["bad"] and scan["bad_lines"] <= 10_000:
        label, mixed = None, True
    else:
        label, mixed = encoding or _whole_file_label(src, head, scan["c1"]), False
    if src.kind == "plain" and label in ("UTF-8", "UTF-8-BOM") and not sub and not mixed:
        return Text(src.path, label, warnings, scan["lines"], head.lstrip(b"\xef\xbb\xbf"))
    out = workdir / "text.utf8"
    codec_label = None if mixed else ("UTF-8" if label == "UTF-8-BOM" else label)
    fixed, used = _transcode(src, out, codec_label, sub)
    if mixed:
        md = detect.MixedDecode("", fixed, " / ".join(sorted(used)))
        label = f"UTF-8 + {md.fallback} ({len(fixed)} lines)"
        warnings.append(md.warning(src.name))
    with open(out, "rb") as f:
        head = f.read(_HEAD_BYTES)
    if len(head) == _HEAD_BYTES:
        head = head[: head.rfind(b"\n") + 1]
    return Text(out, label, warnings, scan["lines"], head)


def _sniffed_delimiter(head: bytes) -> str:
    return detect.sniff_delimiter(head.decode("utf-8", errors="replace"))


def _not_streamable(src: Source, what: str) -> UserError:
    return UserError(f"{src.name}: {what} cannot be read in parts - save it as UTF-8 CSV, or as a smaller file")


# ---------------------------------------------------------------------------------------
# detection from the first lines, then the whole file in blocks
# ---------------------------------------------------------------------------------------


@dataclass
class StreamRead:
    """What the page shows after 'reading' a big file: detection from its first lines, counts from all of it."""

    source: Source
    text: Text
    result: readers.ReadResult  # one table; its frame holds the first lines only (for the column pickers)
    delimiter: str
    has_header: bool
    columns: list
    workdir: Path

    @property
    def table(self) -> readers.TableRead:
        return self.result.tables[0]


def read_stream(src: Source, workdir, *, encoding=None, delimiter=None, has_header=None) -> StreamRead:
    """Detect encoding (whole file), delimiter, header and layout (first lines) of a big delimited file."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    if src.kind == "parquet":
        return _read_parquet_head(src, workdir)
    text = prepare_text(src, workdir, encoding, delimiter)
    head_text = text.head.decode("utf-8", errors="replace")
    if "\x00" in head_text[:4096]:
        raise UserError(
            f"{src.name}: looks like binary data, not a table - upload CSV, TSV, Excel (.xlsx), JSON or Parquet"
        )
    readers._check_text_shape(src.name, head_text)
    sub = "\x1f" in head_text and "::" not in head_text
    delim = "::" if sub else (delimiter or detect.sniff_delimiter(head_text))
    if delim == " ":
        raise _not_streamable(src, "a table separated by spaces")
    probe = head_text.replace("\x1f", "::") if sub else head_text
    result = readers.read_upload(
        src.name, probe.encode("utf-8"), encoding="UTF-8", delimiter=delim, has_header=has_header
    )
    if len(result.tables) != 1:
        raise _not_streamable(src, "a file with several tables")
    t = result.tables[0]
    if t.role not in ("interactions", "unknown") or t.layout == "movielens-latest" and "text" in t.mapping:
        raise _not_streamable(src, f"a {t.role} table of layout {t.layout}")
    t.encoding = text.encoding
    t.warnings = [w for w in t.warnings if "were not UTF-8" not in w] + text.warnings
    t.rows_hint = max(0, text.lines - (1 if t.has_header else 0))
    result.warnings = list(dict.fromkeys(t.warnings))
    if src.kind != "plain":
        result.filename, result.format = src.filename, f"{src.kind}/csv"
    return StreamRead(src, text, result, delim, t.has_header, [str(c) for c in t.frame.columns], workdir)


def _batches(sr: StreamRead, block_bytes: int):
    """(first row number, raw frame, bytes read) per block of the whole file, columns named as in the first lines."""
    if sr.source.kind == "parquet":
        yield from _parquet_batches(sr, block_bytes)
        return
    sep = "\x1f" if sr.delimiter == "::" else sr.delimiter
    base = readers._basename(sr.source.name)
    quote = not (readers._KNOWN_HEADERLESS.get(base) or sr.delimiter == "::")
    n_cols = len(sr.columns)
    names = [f"_c{i}" for i in range(n_cols)]
    opts = (
        pacsv.ReadOptions(block_size=block_bytes, column_names=names, skip_rows=1 if sr.has_header else 0),
        pacsv.ParseOptions(delimiter=sep, quote_char='"' if quote else False, newlines_in_values=quote),
        pacsv.ConvertOptions(column_types={c: pa.string() for c in names}, null_values=[""], strings_can_be_null=True),
    )
    f = open(sr.text.path, "rb")
    try:
        if sr.text.path == sr.source.path and sr.text.encoding == "UTF-8-BOM":
            f.read(3)
        try:
            reader = pacsv.open_csv(f, read_options=opts[0], parse_options=opts[1], convert_options=opts[2])
        except pa.ArrowInvalid as e:
            raise _parse_error(sr, e) from None
        rn = 0
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                return
            except pa.ArrowInvalid as e:
                raise _parse_error(sr, e) from None
            if batch.num_rows == 0:
                continue
            frame = batch.to_pandas()
            frame.columns = sr.columns
            if rn + len(frame) > limits.current().max_rows:
                raise limits.refuse(sr.source.name, f"holds more than {limits.current().max_rows:,} rows", "max_rows")
            yield rn, frame, f.tell()
            rn += len(frame)
    finally:
        f.close()


# ---------------------------------------------------------------------------------------
# Parquet: read by batches of bounded size
# ---------------------------------------------------------------------------------------


def _parquet_file(src: Source):
    """The file opened for reading in batches: pages are read through a 1 MB buffer, not a whole row group at once
    (a file written as one huge row group is still read in bounded memory)."""
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(src.path, pre_buffer=False, buffer_size=1 << 20)
    except Exception as e:  # noqa: BLE001 - pyarrow raises several types for a corrupt file
        raise _parquet_error(src, e) from None


def _parquet_error(src: Source, e: Exception) -> UserError:
    msg = str(e).splitlines()[0][:120] if str(e) else type(e).__name__
    return UserError(f"{src.name}: the Parquet file cannot be read ({msg}) - export it again")


def _read_parquet_head(src: Source, workdir: Path) -> StreamRead:
    """Limits from the metadata (rows, columns, unpacked bytes), then detection from the first rows."""
    readers.parquet_memory(src.name, src.path)
    pf = _parquet_file(src)
    try:
        first = next(pf.iter_batches(batch_size=_PARQUET_HEAD_ROWS), None)
        rows = pf.metadata.num_rows
        table = first if first is not None else pf.schema_arrow.empty_table()
        frame = readers.parquet_frame(table)
    except (pa.ArrowException, OSError) as e:
        raise _parquet_error(src, e) from None
    finally:
        pf.close()
    t = readers._finish(src.name, frame, "parquet")
    if t.role not in ("interactions", "unknown"):
        raise _not_streamable(src, f"a {t.role} table of layout {t.layout}")
    t.rows_hint = rows
    result = readers.ReadResult(src.filename, "parquet", [t], list(dict.fromkeys(t.warnings)))
    text = Text(src.path, None, [], rows, b"")
    return StreamRead(src, text, result, "", True, [str(c) for c in t.frame.columns], workdir)


def _parquet_nullable(pf) -> tuple[list, list]:
    """(integer columns, boolean columns) holding a null somewhere in the file: read whole, pandas makes them
    float64 / object, so every part must too (a part without a null would otherwise give 1 instead of 1.0)."""
    meta = pf.metadata
    leaf = {meta.schema.column(j).path: j for j in range(meta.num_columns)}
    # columns pandas wrote with a nullable dtype (Int64, boolean) come back as that dtype in every part
    own = {c.get("name"): c.get("numpy_type") for c in (pf.schema_arrow.pandas_metadata or {}).get("columns", [])}
    ints, bools, unknown = [], [], []
    for f in pf.schema_arrow:
        is_int, is_bool = pa.types.is_integer(f.type), pa.types.is_boolean(f.type)
        if (
            not (is_int or is_bool)
            or f.name not in leaf
            or str(own.get(f.name, "int")).startswith(("Int", "UInt", "boolean"))
        ):
            continue
        stats = [meta.row_group(g).column(leaf[f.name]).statistics for g in range(meta.num_row_groups)]
        if all(s is not None and s.has_null_count for s in stats):
            if sum(s.null_count for s in stats):
                (ints if is_int else bools).append(f.name)
        else:
            unknown.append(f.name)
    if unknown:  # no statistics: count the nulls of those columns only
        nulls = dict.fromkeys(unknown, 0)
        for b in pf.iter_batches(batch_size=PARQUET_BATCH_ROWS, columns=unknown):
            for name in unknown:
                nulls[name] += b.column(name).null_count
        for name, n in nulls.items():
            if n:
                (ints if pa.types.is_integer(pf.schema_arrow.field(name).type) else bools).append(name)
    return ints, bools


def _parquet_batch_rows(meta, block_bytes: int) -> int:
    """Rows per part: about ``block_bytes`` of decoded values (at least 8 bytes a cell), at most PARQUET_BATCH_ROWS."""
    encoded = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    row_bytes = max(8.0 * max(meta.num_columns, 1), encoded / max(meta.num_rows, 1))
    return int(min(max(1, block_bytes // row_bytes), PARQUET_BATCH_ROWS))


def _parquet_batches(sr: StreamRead, block_bytes: int):
    pf = _parquet_file(sr.source)
    meta = pf.metadata
    size, total = os.path.getsize(sr.source.path), max(meta.num_rows, 1)
    try:
        ints, bools = _parquet_nullable(pf)
        batches = pf.iter_batches(batch_size=_parquet_batch_rows(meta, block_bytes))
        rn = 0
        while True:
            try:
                batch = next(batches, None)
            except (pa.ArrowException, OSError) as e:
                raise _parquet_error(sr.source, e) from None
            if batch is None:
                return
            if batch.num_rows == 0:
                continue
            table = pa.Table.from_batches([batch])
            for name in ints:
                i = table.schema.get_field_index(name)
                table = table.set_column(i, name, table.column(i).cast(pa.float64()))
            frame = table.to_pandas()
            for name in bools:
                frame[name] = frame[name].astype(object)
            frame = readers.parquet_frame(frame)
            frame.columns = sr.columns
            if rn + len(frame) > limits.current().max_rows:
                raise limits.refuse(sr.source.name, f"holds more than {limits.current().max_rows:,} rows", "max_rows")
            rn += len(frame)
            yield rn - len(frame), frame, int(size * min(1.0, rn / total))
    finally:
        pf.close()


def _parse_error(sr: StreamRead, e: Exception) -> UserError:
    msg = str(e).strip().splitlines()[0][:200]
    m = re.search(r"Expected (\d+) columns, got (\d+): (.{0,80})", msg)
    dname = detect.DELIMITER_NAMES.get(sr.delimiter, sr.delimiter)
    if m:
        exp, saw, row = m.groups()
        return UserError(
            f"{sr.source.name}: the row '{row.strip()}' has {saw} fields but the rows above have {exp} (ragged rows) - "
            f"fix that line (quote text that contains '{dname}') or check the delimiter"
        )
    return UserError(
        f"{sr.source.name}: cannot be parsed as a '{dname}'-separated table ({msg}) - check the file and the delimiter"
    )


# ---------------------------------------------------------------------------------------
# the staged ingest
# ---------------------------------------------------------------------------------------


@dataclass
class StagedIngest:
    """Both versions of a big upload, cleaned and held in a scratch DuckDB file until :meth:`commit`."""

    source: Source
    workdir: Path
    db: Path
    report: CleaningReport
    raw_report: CleaningReport
    name: str
    sources: tuple
    source_info: dict
    raw_scale: tuple
    scale: tuple
    columns: dict = field(default_factory=dict)  # part -> columns to keep
    rows: int = 0

    def discard(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)

    def export(self, path, secret: bytes | None = None, rows_per_part: int = 500_000) -> int:
        """The cleaned rows to ``path`` (.csv or .parquet) part by part, user ids pseudonymised with ``secret``
        (formula-like cells neutralised as in every export); returns the rows written."""
        from .export import pseudonymise_frame
        from .stream import ChunkedTableWriter

        cols = ", ".join(f'"{c}"' for c in self.columns["clean"])
        con = _connect(self.db, read_only=True)
        try:
            reader = con.execute(f"SELECT {cols} FROM clean_rows ORDER BY rn").to_arrow_reader(rows_per_part)
            with ChunkedTableWriter(path, self.columns["clean"]) as w:
                for batch in reader:
                    df = batch.to_pandas()
                    w.write(pseudonymise_frame(df, secret) if secret is not None else df)
                return w.rows
        finally:
            con.close()

    def commit(self, ws, note: str = "", upload_name: str | None = None) -> tuple[str, str, str]:
        """(upload id, raw version, cleaned version): the upload bytes and both versions in one transaction."""
        con = _connect(self.db)  # the sort by row number spills to disk beyond DuckDB's limit
        try:
            paths = {}
            for part in ("raw", "clean"):
                p = self.workdir / f"{part}.parquet"
                cols = ", ".join(f'"{c}"' for c in self.columns[part])
                con.execute(f"COPY (SELECT {cols} FROM {part}_rows ORDER BY rn) TO '{p}' (FORMAT parquet)")
                paths[part] = p
        finally:
            con.close()
        raw_meta = {"cleaning": self.raw_report.to_dict(), "source": dict(self.source_info), "suspicious_users": []}
        meta = {
            "cleaning": self.report.to_dict(),
            "source": dict(self.source_info),
            "suspicious_users": [s["user_id"] for s in self.report.suspicious_users],
        }
        try:
            with ws.transaction():
                up = ws.save_upload_file(upload_name or self.source.filename, self.source.path)
                raw_id = ws.add_version_from_parquet(
                    paths["raw"],
                    self.name,
                    self.raw_scale,
                    self.sources,
                    raw_meta,
                    kind="raw",
                    note=note or "raw",
                    upload_id=up,
                )
                clean_id = ws.add_version_from_parquet(
                    paths["clean"],
                    self.name,
                    self.scale,
                    self.sources,
                    meta,
                    kind="cleaned",
                    parent=raw_id,
                    note=note or "cleaned",
                    report=self.report.to_dict(),
                    upload_id=up,
                )
        finally:
            for p in paths.values():
                p.unlink(missing_ok=True)
        return up, raw_id, clean_id


def _connect(path: Path, read_only: bool = False):
    """The scratch database with a memory limit (DuckDB's default is 80% of the machine) and a folder to spill to:
    every connection to it, also the one that writes the versions out for the save."""
    con = duckdb.connect(str(path), read_only=read_only)
    con.execute(f"SET memory_limit = '{DUCKDB_MEMORY}'")
    con.execute("SET threads = 2")
    con.execute("SET preserve_insertion_order = false")
    con.execute(f"SET temp_directory = '{path.parent / 'spill'}'")
    # a long query would otherwise draw DuckDB's progress bar on stdout: the server's log, the CLI's report
    con.execute("SET enable_progress_bar = false")
    return con


def _chunk_raw(sr: StreamRead, frame: pd.DataFrame, mapping: dict) -> pd.DataFrame:
    t = replace(sr.table, frame=frame)
    out = C._table_frame(t, "interactions", mapping)
    return out[[c for c in INTERACTION_COLUMNS if c in out]]


def _run(df, opts, raw, fixed) -> C._Run:
    rep = CleaningReport(source=dict(raw.source_info), rows_in=len(df), options=opts.to_dict())
    return C._Run(df, opts, raw, rep, fixed=dict(fixed))


_ROW_STEPS = C._STEPS[1:10]  # ids ... personal data: each row on its own once the scales are known
_PRE_SCALE = C._STEPS[1:5]  # ids, missing ids, ratings, missing ratings


def _canonical_rows(df: pd.DataFrame, rn0: int, raw_rating) -> pd.DataFrame:
    """Rows as the workspace stores them, with their row number and the raw rating / truncation flag (kept in
    every part: the in-memory table has these columns when any row of the file needs them)."""
    rn = df.index.to_numpy(dtype=np.int64) + rn0
    if "orig_rating" not in df:
        df = df.copy(deep=False)
        df["orig_rating"] = raw_rating.reindex(df.index).astype(object) if raw_rating is not None else None
    if "orig_text_truncated" not in df:
        df = df.copy(deep=False)
        df["orig_text_truncated"] = False
    out = C._canonical(df)
    out.insert(0, "rn", rn)
    return out[["rn", "user_id", "item_id", "rating", "timestamp", "text", "orig_rating", "orig_text_truncated"]]


_ROWS_SCHEMA = (
    "rn BIGINT, user_id VARCHAR, item_id VARCHAR, rating DOUBLE, timestamp TIMESTAMP_NS, text VARCHAR, "
    "orig_rating VARCHAR, orig_text_truncated BOOLEAN"
)


def _append(con, table: str, df: pd.DataFrame) -> None:
    con.register("_part", df)
    con.execute(f"INSERT INTO {table} SELECT * FROM _part")
    con.unregister("_part")


@dataclass
class _Merge:
    """Step reports of the parts added up into one."""

    steps: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)
    ctrl: dict = field(default_factory=dict)
    any_orig: bool = False
    any_trunc: bool = False

    def add(self, run: C._Run, reports: list) -> None:
        for s in reports:
            cur = self.steps.get(s.name)
            if cur is None:
                self.steps[s.name] = replace(
                    s, examples=list(s.examples), counts=dict(s.counts), by_column=dict(s.by_column)
                )
            else:
                cur.rows_in += s.rows_in
                cur.rows_out += s.rows_out
                cur.rows_affected += s.rows_affected
                cur.examples = (cur.examples + list(s.examples))[: max(len(cur.examples), 5)]
                for k, v in s.counts.items():
                    cur.counts[k] = cur.counts.get(k, 0) + v
                for k, v in s.by_column.items():
                    cur.by_column[k] = cur.by_column.get(k, 0) + v
            if s.name == "rating_scale" and "normalised" in s.detail:
                self.steps[s.name].detail = s.detail
            for i, v in enumerate(_counts_in(s.name, s.detail)):
                self.extra[(s.name, i)] = self.extra.get((s.name, i), 0) + v
        for k, v in run.ctrl.items():
            self.ctrl[k] = self.ctrl.get(k, 0) + v
        self.any_orig |= "orig_rating" in run.df
        self.any_trunc |= "orig_text_truncated" in run.df

    def orig_columns(self) -> list:
        return (["orig_rating"] if self.any_orig else []) + (["orig_text_truncated"] if self.any_trunc else [])

    def reports(self, opts: CleaningOptions, target: tuple, empty: list) -> list:
        out = []
        for s in empty:
            s = self.steps.get(s.name, s)
            s.detail = _detail(s, self.extra, opts, target)
            out.append(s)
        return out


# the numbers of a step's detail that are counts (added up over the parts); the rest of its words are fixed
_COUNTS_RE = {
    "parse_ratings": re.compile(r"^(\d+) text ratings parsed(?: \((\d+) star labels[^)]*\))?; (\d+) unreadable"),
    "timestamps": re.compile(r"^(\d+) of (\d+) times read; (\d+) unreadable"),
    "review_text": re.compile(r"^(\d+) texts cleaned .*; (\d+) longer than"),
}


def _counts_in(name: str, detail: str) -> tuple:
    m = _COUNTS_RE[name].match(detail) if name in _COUNTS_RE else None
    return tuple(int(g or 0) for g in m.groups()) if m else ()


def _detail(s: StepReport, extra: dict, opts: CleaningOptions, target) -> str:
    """The step's sentence with the counts of the whole file (the same words the in-memory step writes)."""
    n, d = s.rows_affected, s.detail
    if s.name == "normalise_ids" and opts.normalise_ids:
        return f"{n} ids re-spelt (e.g. ' 1', '1.0' -> '1')"
    if s.name == "missing_ids":
        return f"{n} rows without a user or film id dropped"
    if s.name == "parse_ratings" and re.match(r"^\d+ text ratings parsed", d):
        parsed, stars, unread = (extra.get(("parse_ratings", i), 0) for i in range(3))
        note = re.search(r" \(\d+ star labels such as 力荐 mapped onto the file's ([\d.]+-[\d.]+) scale\)", d)
        star_note = (
            f" ({stars} star labels such as 力荐 mapped onto the file's {note.group(1)} scale)"
            if note and stars
            else ""
        )
        how = "rows dropped" if opts.unparseable_ratings == "drop" else "kept without a rating"
        return f"{parsed} text ratings parsed{star_note}; {unread} unreadable {how}"
    if s.name == "missing_ratings":
        if opts.missing_ratings == "drop":
            return f"{n} rows without a rating dropped"
        return f"{n} rows without a rating kept as review/view-only rows"
    if s.name == "out_of_range":
        lo, hi = target
        how = opts.out_of_range
        if n and how == "drop":
            return f"{n} ratings outside {lo:g}-{hi:g} dropped"
        if n and how == "clip":
            return f"{n} ratings outside {lo:g}-{hi:g} clipped"
        return f"{n} ratings outside {lo:g}-{hi:g}" + (" kept" if n else "")
    if s.name == "timestamps" and re.match(r"^\d+ of \d+ times read", d):
        read, present, bad = (extra.get(("timestamps", i), 0) for i in range(3))
        return f"{read} of {present} times read; {bad} unreadable left empty"
    if s.name == "review_text" and re.match(r"^\d+ texts cleaned", d):
        changed, trunc = (extra.get(("review_text", i), 0) for i in range(2))
        return (
            f"{changed} texts cleaned (HTML, control characters, spaces); "
            f"{trunc} longer than {opts.text_max_len} characters truncated and flagged"
        )
    if s.name == "pii" and s.enabled:
        from . import pii

        return pii.detail(s.counts, n, s.by_column)
    return d


def _value_counts(con, sql: str) -> pd.Series:
    df = con.execute(sql).df()
    return pd.Series(df["n"].to_numpy(), index=df["v"].to_numpy(dtype="float64"))


class _Progress:
    def __init__(self, cb, total: int):
        self.cb, self.total = cb or (lambda *a: None), max(total, 1)

    def __call__(self, lo, hi, phase, done_bytes, rows):
        self.cb(lo + (hi - lo) * min(done_bytes / self.total, 1.0), phase, done_bytes, self.total, rows)


def ingest(
    sr: StreamRead,
    overrides: dict | None,
    options: CleaningOptions | None = None,
    progress=None,
    *,
    block_bytes: int | None = None,
) -> StagedIngest:
    """Clean a big file into a scratch DuckDB file; ``progress(fraction, phase, bytes_read, bytes_total, rows)``.

    Raises UserError (one line) for bad input; nothing is written to the workspace here."""
    opts = options or CleaningOptions()
    block = block_bytes or BLOCK_BYTES
    raw = C.apply_mapping(sr.result, overrides)
    if raw.items is not None or raw.users is not None:
        raise _not_streamable(sr.source, "film or user columns beside the ratings (title, genres)")
    mapping = dict(raw.source_info.get("mapping") or {})
    run_dir = sr.workdir / f"run-{uuid.uuid4().hex[:8]}"
    run_dir.mkdir(parents=True, exist_ok=True)
    db = run_dir / "stage.duckdb"
    con = _connect(db)
    try:
        staged = _ingest(con, sr, raw, mapping, opts, block, _Progress(progress, os.path.getsize(sr.text.path)))
    except BaseException:
        con.close()
        shutil.rmtree(run_dir, ignore_errors=True)
        raise
    con.close()
    staged.workdir, staged.db = run_dir, db
    return staged


def _pass1_part(con, df, rn0, raw, opts, has_rating, raw_merge) -> None:
    """One part of pass 1: row hashes, the raw version's rows, the cleaned ratings before the scale."""
    n = len(df)
    hashes = pd.DataFrame(
        {
            "rn": np.arange(rn0, rn0 + n, dtype=np.int64),
            "h1": pd.util.hash_pandas_object(df, index=False, hash_key=_HASH_KEYS[0]).to_numpy(),
            "h2": pd.util.hash_pandas_object(df, index=False, hash_key=_HASH_KEYS[1]).to_numpy(),
        }
    )
    _append(con, "hashes", hashes)
    run = _run(df.copy(deep=False), CleaningOptions.minimal(), raw, {"detected_scale": (1.0, 5.0), "own_scale": None})
    reps = [step(run) for step in _ROW_STEPS]
    raw_merge.add(run, reps)
    _append(con, "raw_rows", _canonical_rows(run.df, rn0, run.raw_rating))
    if not has_rating:
        return
    pre = _run(df.copy(deep=False), opts, raw, {"own_scale": "defer"})
    for step in _PRE_SCALE:
        step(pre)
    star = pre.star if pre.star is not None else pd.Series(False, index=pre.df.index)
    part = pd.DataFrame(
        {
            "rn": pre.df.index.to_numpy(dtype=np.int64) + rn0,
            "rating": pd.to_numeric(pre.df["rating"], errors="coerce").to_numpy(dtype="float64"),
            "odd": _odd_rows(pre, df),
            "star": star.reindex(pre.df.index).fillna(False).to_numpy(dtype=bool),
        }
    )
    _append(con, "pre", part)


def _exact_duplicates(con, opts) -> np.ndarray:
    """Row numbers of exact duplicates (every raw value equal to an earlier row's: equal 128-bit hashes)."""
    if opts.exact_duplicates:  # GROUP BY and a join (they spill to disk), not a window over every row
        con.execute(
            "CREATE TABLE dups AS SELECT h.rn FROM hashes h JOIN (SELECT h1, h2, min(rn) AS first FROM hashes "
            "GROUP BY 1, 2 HAVING count(*) > 1) d ON h.h1 = d.h1 AND h.h2 = d.h2 WHERE h.rn > d.first"
        )
    else:
        con.execute("CREATE TABLE dups (rn BIGINT)")
    con.execute("DROP TABLE hashes")
    return np.sort(con.execute("SELECT rn FROM dups").fetchnumpy()["rn"].astype(np.int64))


def _pass2(con, sr, raw, mapping, opts, block, prog, dup_rn, fixed, target) -> tuple:
    """The row steps on every part without its exact duplicates; (merged reports, examples of duplicates)."""
    merge, dup_examples = _Merge(), []
    for rn0, frame, pos in _batches(sr, block):
        df = _chunk_raw(sr, frame, mapping).reset_index(drop=True)
        lo, hi = np.searchsorted(dup_rn, [rn0, rn0 + len(df)])
        drop = np.zeros(len(df), dtype=bool)
        drop[dup_rn[lo:hi] - rn0] = True
        if drop.any():
            if len(dup_examples) < 5:
                dup_examples += C._examples(df, pd.Series(drop), 5 - len(dup_examples))
            df = df[~drop]
        run = _run(df, opts, raw, fixed)
        run.target = target
        reps = [step(run) for step in _ROW_STEPS]
        merge.add(run, reps)
        _append(con, "clean_rows", _canonical_rows(run.df, rn0, run.raw_rating))
        prog(0.5, 0.9, "clean", pos, rn0 + len(frame))
    return merge, dup_examples


def _ingest(con, sr, raw, mapping, opts, block, prog) -> StagedIngest:
    con.execute(f"CREATE TABLE raw_rows ({_ROWS_SCHEMA})")
    con.execute(f"CREATE TABLE clean_rows ({_ROWS_SCHEMA})")
    con.execute("CREATE TABLE hashes (rn BIGINT, h1 UBIGINT, h2 UBIGINT)")
    con.execute("CREATE TABLE pre (rn BIGINT, rating DOUBLE, odd BOOLEAN, star BOOLEAN)")
    raw_merge, n_total, has_rating = _Merge(), 0, "rating" in mapping
    for rn0, frame, pos in _batches(sr, block):  # pass 1
        df = _chunk_raw(sr, frame, mapping).reset_index(drop=True)
        n_total = rn0 + len(df)
        _pass1_part(con, df, rn0, raw, opts, has_rating, raw_merge)
        prog(0.0, 0.45, "read", pos, n_total)
    if n_total == 0:
        raise UserError(f"{sr.source.name}: has a header row but no data rows - add data rows below the header")
    dup_rn = _exact_duplicates(con, opts)
    own, detected = _scales(con, raw, opts) if has_rating else (None, (1.0, 5.0))
    target = tuple(float(x) for x in opts.target_scale) if opts.target_scale else detected
    prog(0.45, 0.5, "scale", 1, n_total)
    fixed = {"own_scale": own, "detected_scale": detected}
    merge, dup_examples = _pass2(con, sr, raw, mapping, opts, block, prog, dup_rn, fixed, target)
    n_dup = int(len(dup_rn))
    rep = CleaningReport(source=dict(raw.source_info), rows_in=n_total, options=opts.to_dict())
    rep.warnings += list(raw.warnings) + ([C.control_warning(merge.ctrl)] if any(merge.ctrl.values()) else [])
    rep.detected_scale, rep.normalised_to = detected, target
    exact = (
        StepReport("exact_duplicates", n_total, n_total - n_dup, n_dup, dup_examples, f"{n_dup} identical rows removed")
        if opts.exact_duplicates
        else StepReport("exact_duplicates", n_total, n_total, 0, [], "off", enabled=False)
    )
    rep.steps = [exact] + merge.reports(opts, target, _templates(opts, n_total - n_dup))
    prog(0.9, 0.95, "pairs", 1, n_total)
    rep.steps.append(_pairs_sql(con, opts, rep.steps[-1].rows_out))
    rep.steps.append(_suspicious_sql(con, opts, rep.steps[-1].rows_out, rep))
    rep.rows_out = int(con.execute("SELECT count(*) FROM clean_rows").fetchone()[0])
    if rep.rows_out == 0:
        raise UserError(f"{raw.name}: no rows left after cleaning - check the column mapping and the cleaning options")
    raw_rep = _raw_report(con, raw, raw_merge, n_total)
    prog(0.95, 1.0, "done", 1, rep.rows_out)
    cols = ["user_id", "item_id", "rating", "timestamp", "text"]
    return StagedIngest(
        sr.source,
        Path(),
        Path(),
        rep,
        raw_rep,
        raw.name,
        tuple(raw.sources),
        dict(raw.source_info),
        raw_rep.detected_scale,
        target,
        {"raw": cols + raw_merge.orig_columns(), "clean": cols + merge.orig_columns()},
        rep.rows_out,
    )


def _raw_report(con, raw, raw_merge, n_total: int) -> CleaningReport:
    """The raw version's report (minimal cleaning: every parsable row as written), scale measured in SQL."""
    minimal = CleaningOptions.minimal()
    scale = C.scale_from_counts(
        _value_counts(con, "SELECT rating AS v, count(*) AS n FROM raw_rows WHERE rating IS NOT NULL GROUP BY 1")
    )
    if raw.scale_hint:
        scale = _with_hint(con, "raw_rows", scale, raw.scale_hint)
    rep = CleaningReport(source=dict(raw.source_info), rows_in=n_total, options=minimal.to_dict())
    rep.warnings += list(raw.warnings) + ([C.control_warning(raw_merge.ctrl)] if any(raw_merge.ctrl.values()) else [])
    rep.detected_scale = rep.normalised_to = scale
    steps = raw_merge.reports(minimal, scale, _templates(minimal, n_total))
    for s in steps:
        if s.name == "rating_scale":
            s.detail = f"detected {scale[0]:g}-{scale[1]:g}; kept"
        if s.name == "out_of_range":
            s.rows_affected, s.examples = _outside(con, "raw_rows", scale), []
            s.detail = _detail(s, {}, minimal, scale)
    rep.rows_out = n = int(con.execute("SELECT count(*) FROM raw_rows").fetchone()[0])
    rep.steps = [StepReport("exact_duplicates", n_total, n_total, 0, [], "off", enabled=False)] + steps
    rep.steps += [_pairs_count_only(con, n), StepReport("suspicious_users", n, n, 0, [], "off", enabled=False)]
    return rep


def _odd_rows(pre: C._Run, df: pd.DataFrame) -> np.ndarray:
    """Ratings written as text rather than numbers (they do not decide the file's own scale)."""
    r_raw = df["rating"].reindex(pre.df.index)
    r = pd.Series(C.to_float(r_raw), index=r_raw.index)
    return C._odd_ratings(r_raw, r).to_numpy(dtype=bool)


def _with_hint(con, table: str, detected: tuple, hint: tuple, where: str = "") -> tuple:
    lo_h, hi_h = hint
    n, inside = con.execute(
        f"SELECT count(rating), count(rating) FILTER (WHERE rating >= ? AND rating <= ?) FROM {table} {where}",
        [lo_h, hi_h],
    ).fetchone()
    if n and inside / n >= 0.99:
        return (float(lo_h), float(hi_h))
    return detected


def _scales(con, raw, opts) -> tuple:
    """(the own scale of numeric ratings for star labels, the detected scale) of the rows kept so far."""
    keep = "WHERE rn NOT IN (SELECT rn FROM dups)"
    own = C.scale_from_counts(
        _value_counts(
            con, f"SELECT rating AS v, count(*) AS n FROM pre {keep} AND NOT odd AND rating IS NOT NULL GROUP BY 1"
        )
    )
    has_numeric = con.execute(f"SELECT count(*) FROM pre {keep} AND NOT odd AND rating IS NOT NULL").fetchone()[0]
    own = own if (has_numeric and opts.parse_ratings) else None
    if own is not None and own[1] > 5:
        lo, hi = own
        mapped = f"stars * {hi} / 5.0" if lo <= hi / 5 + 1e-9 else f"{lo} + (stars - 1.0) / 4.0 * ({hi} - {lo})"
        con.execute(f"UPDATE pre SET rating = {mapped.replace('stars', 'rating')} WHERE star")
    counts = _value_counts(con, f"SELECT rating AS v, count(*) AS n FROM pre {keep} AND rating IS NOT NULL GROUP BY 1")
    detected = C.scale_from_counts(counts)
    if raw.scale_hint and counts.sum() > 0:
        detected = _with_hint(con, "pre", detected, raw.scale_hint, keep)
    return own, detected


def _outside(con, table: str, scale: tuple) -> int:
    lo, hi = scale
    return int(
        con.execute(f"SELECT count(*) FROM {table} WHERE rating < ? OR rating > ?", [lo - 1e-9, hi + 1e-9]).fetchone()[
            0
        ]
    )


def _templates(opts: CleaningOptions, n: int) -> list:
    """Placeholders for the row steps, used when no part reached them (every row dropped before)."""
    return [StepReport(step.__name__.removeprefix("_step_"), n, n, 0, [], "") for step in _ROW_STEPS]


# ---------------------------------------------------------------------------------------
# the whole-table steps in SQL
# ---------------------------------------------------------------------------------------

_PAIR_COLS = ["user_id", "item_id", "rating", "timestamp", "text", "orig_rating", "orig_text_truncated"]


def _pairs_count_only(con, n: int) -> StepReport:
    nd = int(
        con.execute(
            "SELECT coalesce(sum(c), 0) FROM (SELECT count(*) AS c FROM raw_rows GROUP BY user_id, item_id HAVING c > 1)"
        ).fetchone()[0]
    )
    return StepReport(
        "duplicate_pairs", n, n, nd, [], f"{nd} rows share a user-film pair" + (" (kept)" if nd else ""), enabled=False
    )


def _pair_examples(con, limit: int, keep_all: bool) -> list:
    df = con.execute(
        "WITH p AS (SELECT user_id, item_id FROM clean_rows GROUP BY 1, 2 HAVING count(*) > 1) "
        "SELECT c.* FROM clean_rows c JOIN p USING (user_id, item_id) "
        + ("ORDER BY c.rn " if keep_all else "ORDER BY c.user_id, c.item_id, c.rn ")
        + f"LIMIT {int(limit)}"
    ).df()
    return C._examples(_as_step_frame(df), None, limit)


def _as_step_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Rows read back from DuckDB in the shape the in-memory steps show them (no row number, NaT for no time)."""
    df = df.drop(columns=["rn"]).copy()
    df["timestamp"] = pd.to_datetime(df["timestamp"]).astype("datetime64[ns]")
    return df


def _pairs_sql(con, opts: CleaningOptions, n: int) -> StepReport:
    """Repeated user-film pairs: one row per pair where it first appeared (latest / first / mean)."""
    how = opts.duplicate_pairs
    nd = int(
        con.execute(
            "SELECT coalesce(sum(c), 0) FROM (SELECT count(*) AS c FROM clean_rows GROUP BY user_id, item_id "
            "HAVING c > 1)"
        ).fetchone()[0]
    )
    if not nd or how == "keep":
        return StepReport(
            "duplicate_pairs",
            n,
            n,
            nd,
            _pair_examples(con, 4, True) if nd else [],
            f"{nd} rows share a user-film pair" + (" (kept)" if nd else ""),
            enabled=how != "keep",
        )
    if how not in ("latest", "first", "mean"):
        raise UserError(f"unknown duplicate policy {how!r} - choose latest, mean, first or keep")
    ex = _pair_examples(con, 6, False)
    order = "timestamp ASC NULLS FIRST, rn" if how == "latest" else "rn"
    pick = "arg_min" if how == "first" else "arg_max"
    aggs = ", ".join(
        f"{pick}({c}, k) FILTER (WHERE {c} IS NOT NULL) AS {c}" for c in _PAIR_COLS if c not in ("user_id", "item_id")
    )
    if how == "mean":
        aggs = aggs.replace("arg_max(rating, k) FILTER (WHERE rating IS NOT NULL) AS rating", "avg(rating) AS rating")
    # only the rows of repeated pairs go through the window (windows are held in memory; GROUP BY and joins spill)
    con.execute("CREATE TABLE pairs AS SELECT user_id, item_id FROM clean_rows GROUP BY 1, 2 HAVING count(*) > 1")
    con.execute(
        "CREATE TABLE many AS SELECT c.* FROM clean_rows c SEMI JOIN pairs p "
        "ON c.user_id = p.user_id AND c.item_id = p.item_id"
    )
    con.execute(
        f"""CREATE TABLE merged AS
        SELECT c.* FROM clean_rows c ANTI JOIN pairs p ON c.user_id = p.user_id AND c.item_id = p.item_id
        UNION ALL
        SELECT min(rn) AS rn, user_id, item_id, {aggs} FROM (
            SELECT *, row_number() OVER (PARTITION BY user_id, item_id ORDER BY {order}) AS k FROM many
        ) GROUP BY user_id, item_id"""
    )
    con.execute("DROP TABLE clean_rows")
    con.execute("ALTER TABLE merged RENAME TO clean_rows")
    con.execute("DROP TABLE many")
    con.execute("DROP TABLE pairs")
    out = int(con.execute("SELECT count(*) FROM clean_rows").fetchone()[0])
    kept = nd - (n - out)
    return StepReport(
        "duplicate_pairs", n, out, nd, ex, f"{nd} rows shared a user-film pair; merged to {kept} rows (keep {how})"
    )


def _suspicious_sql(con, opts: CleaningOptions, n: int, rep: CleaningReport) -> StepReport:
    """:func:`recsys_core.data.cleaning.suspicious_users` in SQL: a burst of ``min_count`` equal ratings within the
    window (first burst per user by rating value, then time), or without times ``min_count`` ratings all equal."""
    if not (opts.flag_suspicious and n):
        return StepReport("suspicious_users", n, n, 0, [], "off", enabled=False)
    k, window = int(opts.suspicious_min_count), float(opts.suspicious_window_minutes)
    n_rated = con.execute("SELECT count(rating) FROM clean_rows").fetchone()[0]
    sus: list = []
    if n_rated >= k and k >= 2:
        rows = con.execute(
            f"""
            WITH r AS (SELECT rn, user_id, rating, timestamp FROM clean_rows WHERE rating IS NOT NULL),
            users AS (SELECT user_id, count(*) AS ratings, min(rn) AS first_rn FROM r GROUP BY 1),
            big AS (
                SELECT r.* FROM r JOIN (
                    SELECT user_id, rating FROM r WHERE timestamp IS NOT NULL GROUP BY 1, 2 HAVING count(*) >= {k}
                ) g USING (user_id, rating) WHERE r.timestamp IS NOT NULL
            ),
            spans AS (
                SELECT user_id, rating, timestamp, rn,
                    epoch_ns(timestamp) - epoch_ns(lag(timestamp, {k - 1}) OVER (
                        PARTITION BY user_id, rating ORDER BY timestamp, rn)) AS span
                FROM big
            ),
            hits AS (
                SELECT user_id, arg_min(rating, (rating, timestamp, rn)) AS rating,
                    arg_min(span, (rating, timestamp, rn)) AS span
                FROM spans WHERE span <= {window * 60e9} GROUP BY 1
            ),
            constant AS (
                SELECT user_id, count(*) AS size, min(rating) AS rating FROM r WHERE timestamp IS NULL
                GROUP BY 1 HAVING count(*) >= {k} AND count(DISTINCT rating) = 1
            )
            SELECT u.user_id, u.ratings, h.rating, h.span, 0 AS rule, u.first_rn, NULL AS size
                FROM hits h JOIN users u USING (user_id)
            UNION ALL
            SELECT u.user_id, u.ratings, c.rating, NULL, 1, u.first_rn, c.size
                FROM constant c JOIN users u USING (user_id) WHERE c.user_id NOT IN (SELECT user_id FROM hits)
            ORDER BY 5, 6
            """
        ).fetchall()
        for uid, ratings, rating, span, rule, _first, size in rows:
            if rule == 0:
                sus.append(
                    {
                        "user_id": str(uid),
                        "ratings": int(ratings),
                        "rating": float(rating),
                        "burst": k,
                        "minutes": round(span / 60e9, 2),
                        "rule": "burst",
                        "window": window,
                    }
                )
            else:
                sus.append(
                    {
                        "user_id": str(uid),
                        "ratings": int(size),
                        "rating": float(rating),
                        "burst": int(size),
                        "minutes": None,
                        "rule": "constant",
                        "window": None,
                    }
                )
        sus.sort(key=lambda d: -d["ratings"])
    rep.suspicious_users = sus
    ids = [s["user_id"] for s in sus]
    out = n
    if ids and opts.drop_suspicious:
        con.execute("CREATE TEMP TABLE sus_ids (user_id VARCHAR)")
        con.executemany("INSERT INTO sus_ids VALUES (?)", [[i] for i in ids])
        con.execute("DELETE FROM clean_rows WHERE user_id IN (SELECT user_id FROM sus_ids)")
        out = int(con.execute("SELECT count(*) FROM clean_rows").fetchone()[0])
        detail = f"{len(ids)} users flagged and dropped at your request"
    else:
        detail = f"{len(ids)} users flagged (not dropped; decide on the Data page)"
    return StepReport("suspicious_users", n, out, len(ids), sus[:5], detail)
