"""Write a large table chunk by chunk (CSV or Parquet) instead of building one frame in memory.

:class:`ChunkedTableWriter` picks the format from the file name (``.csv``, ``.parquet`` / ``.pq``).
CSV is UTF-8 with a BOM (Excel shows Chinese), one header, formula-like text cells neutralised
chunk by chunk as in :mod:`recsys_core.data.export`. Rows go to ``<name>.part`` and the file takes
its final name only when the writer closes without an error, so a failed run never leaves a
half-written file under the name asked for (nor replaces an older complete one).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import UserError
from .export import _for_text

FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def format_for(path) -> str:
    fmt = FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise UserError(f"{path}: write to a .csv or .parquet file (the name's ending picks the format)")
    return fmt


class ChunkedTableWriter:
    """``with ChunkedTableWriter(path) as w: w.write(chunk) ...``; ``w.rows`` counts rows written."""

    def __init__(self, path, columns=None):
        self.path = Path(path)
        self.columns = list(columns or [])
        self.format = format_for(self.path)
        if self.path.parent and not self.path.parent.exists():
            raise UserError(f"{path}: the folder {self.path.parent} does not exist")
        self.tmp = self.path.with_name(self.path.name + ".part")
        self.rows = 0
        self.chunks = 0
        self._fh = None
        self._pq = None
        self._schema = None

    def write(self, df: pd.DataFrame) -> None:
        if self.format == "csv":
            self._write_csv(df)
        else:
            self._write_parquet(df)
        self.rows += len(df)
        self.chunks += 1

    def _write_csv(self, df):
        first = self._fh is None
        if first:
            self._fh = open(self.tmp, "w", encoding="utf-8-sig", newline="")
        _for_text(df).to_csv(self._fh, index=False, header=first, lineterminator="\r\n")

    def _write_parquet(self, df):
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self._pq is None:
            table = pa.Table.from_pandas(df, preserve_index=False)
            self._schema = table.schema
            self._pq = pq.ParquetWriter(self.tmp, self._schema, compression="zstd")
        else:
            table = pa.Table.from_pandas(df, schema=self._schema, preserve_index=False)
        self._pq.write_table(table)

    def close(self, ok: bool = True) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        if self._pq is not None:
            self._pq.close()
            self._pq = None
        if not ok:
            self.tmp.unlink(missing_ok=True)
            return
        if self.chunks == 0:  # nothing written: still leave a valid, empty file
            self.write(pd.DataFrame({c: pd.Series(dtype=object) for c in self.columns}))
            self.close()
            return
        self.tmp.replace(self.path)

    def __enter__(self) -> ChunkedTableWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(ok=exc_type is None)
