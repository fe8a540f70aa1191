"""Peak memory of one upload per format and size, on the route the Data page takes (no Streamlit).

    nice -n 5 python -m benchmarks.bench_upload_formats [--dir /tmp/uc] [--runs csv-32,parquet-5m,...]
                                                         [--routes old,new] [--cap-gb 8]

Generates seeded files in ``--dir`` (kept: the next run reuses them): ratings CSV of 32, 64 and 128 MB, Parquet
of 5M, 15M and 30M rows plus a 30M-row one of a few hundred KB (long runs of equal values), a JSON list of
records and JSON Lines of 32 and 64 MB, Excel (.xlsx) of about 10 MB and of a full sheet (1,048,000 rows, ~23 MB),
and ratings with a long Chinese review on every row (150-650 characters) as CSV, JSON Lines and Parquet of about 50
and 150 MB (``reviews-*``). Then, one fresh Python process per file and route (``python -c``), what the Data page
does with a file coming through ``st.file_uploader``:

* a CSV / TSV of ``CINELENS_STREAM_BYTES`` or more, or a CSV / TSV or Parquet file whose expected memory read whole
  passes ``CINELENS_MAX_UPLOAD_MEMORY`` (``ingest.read_in_parts``), is spooled to a scratch folder and read and
  cleaned in parts (:mod:`recsys_core.data.ingest`), then saved (``Lab.save_staged``);
* anything else is read whole (``read_upload``), cleaned (``Lab.clean_upload``) and saved (``Lab.save_upload``)
  into a temporary workspace, the upload's bytes, the parsed table and both versions held together as the page
  holds them, unless the reader refuses it up front for its expected memory (``CINELENS_MAX_UPLOAD_MEMORY``).

Routes: ``old`` sets ``CINELENS_STREAM_BYTES`` to 200 MB and ``CINELENS_MAX_UPLOAD_MEMORY`` out of reach (what the
app did before both existed); ``new`` runs with the defaults. For each run it prints the route taken, the rows
saved (or the refusal), CPU seconds (user + system) and the peak resident memory (``VmHWM``, the kernel's
high-water mark, read by the process itself at the end). A process passing ``--cap-gb`` is stopped and shown as
``> cap``. Streamlit's own copy of an upload (about twice the file, ~0.45 GB for a 200 MB upload) comes on top in
the app; the target (issue 13) is <= 2.5 GB for the server, so <= ~2.05 GB here.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
BYTES_PER_ROW = 25.4  # userId,movieId,rating,timestamp in CSV (measured on these files)
STARS = np.arange(1, 11) / 2
STAR_P = np.array([1, 3, 2, 7, 5, 20, 13, 27, 10, 12], dtype=float)


def ratings_chunk(rng, n: int, first_user: int, n_items: int) -> pd.DataFrame:
    """``n`` ratings in the MovieLens shape: users in order with heavy-tailed activity, long-tailed film
    popularity, half stars leaning to 3-4, Unix-second timestamps from 2000 to 2020."""
    per_user = np.minimum(20 + rng.pareto(1.3, n // 20 + 10) * 40, 5000).astype(np.int64)
    users = np.repeat(np.arange(first_user, first_user + len(per_user)), per_user)[:n]
    cdf = np.cumsum(np.random.default_rng(7).lognormal(0.0, 1.6, n_items))
    items = np.searchsorted(cdf, rng.random(n) * cdf[-1])
    return pd.DataFrame(
        {
            "userId": users,
            "movieId": items + 1,
            "rating": rng.choice(STARS, n, p=STAR_P / STAR_P.sum()),
            "timestamp": rng.integers(946_684_800, 1_577_836_800, n),
        }
    )


def _chunks(n: int, seed: int, size: int = 2_000_000):
    rng = np.random.default_rng(seed)
    n_items = max(100, round(n * 59_047 / 25_000_095))
    user, done = 1, 0
    while done < n:
        m = min(size, n - done)
        chunk = ratings_chunk(rng, m, user, n_items)
        user = int(chunk["userId"].iloc[-1]) + 1
        done += m
        yield chunk


def _write(path: Path, write) -> Path:
    if not path.exists():
        tmp = path.with_name(path.name + ".part")
        write(tmp)
        tmp.replace(path)
    return path


def make_csv(path: Path, mb: float, seed: int = 0) -> Path:
    def write(tmp):
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            f.write("userId,movieId,rating,timestamp\n")
            for chunk in _chunks(int(mb * 1024**2 / BYTES_PER_ROW), seed):
                chunk.to_csv(f, header=False, index=False)

    return _write(path, write)


def make_parquet(path: Path, rows: int, seed: int = 0, tiny: bool = False) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    def write(tmp):
        w = None
        done = 0
        for chunk in _chunks(rows, seed):
            if tiny:  # long runs of equal values: dictionary + run-length encoding make 30M rows a few hundred KB
                i = np.arange(done, done + len(chunk))
                chunk = pd.DataFrame(
                    {"userId": i // 1000 + 1, "movieId": np.ones(len(i), np.int64), "rating": 4.0,
                     "timestamp": np.full(len(i), 1_500_000_000, np.int64)}
                )  # fmt: skip
            done += len(chunk)
            table = pa.Table.from_pandas(chunk, preserve_index=False)
            if w is None:
                w = pq.ParquetWriter(tmp, table.schema, compression="zstd" if tiny else "snappy")
            w.write_table(table)
        w.close()

    return _write(path, write)


def make_json(path: Path, mb: float, lines: bool, seed: int = 0) -> Path:
    per_row = 65 if lines else 66  # {"userId":1234,"movieId":5678,"rating":3.5,"timestamp":1234567890}
    n = int(mb * 1024**2 / per_row)

    def write(tmp):
        with open(tmp, "w", encoding="utf-8") as f:
            first = True
            if not lines:
                f.write("[")
            for chunk in _chunks(n, seed, 500_000):
                if lines:
                    f.write(chunk.to_json(orient="records", lines=True))
                    if not chunk.empty:
                        f.write("\n")
                else:
                    body = chunk.to_json(orient="records")[1:-1]
                    f.write(("" if first else ",") + body)
                    first = False
            if not lines:
                f.write("]")

    return _write(path, write)


def make_xlsx(path: Path, rows: int, seed: int = 0) -> Path:
    import openpyxl

    def write(tmp):
        wb = openpyxl.Workbook(write_only=True)
        ws = wb.create_sheet("ratings")
        ws.append(["userId", "movieId", "rating", "timestamp"])
        for chunk in _chunks(rows, seed, 200_000):
            for r in chunk.itertuples(index=False):
                ws.append([int(r[0]), int(r[1]), float(r[2]), int(r[3])])
        wb.save(tmp)

    return _write(path, write)


#: characters of the generated reviews: common Chinese characters and punctuation
HANZI = (
    "的一是不了人我在有他这中大来上个国到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而"
    "能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意"
    "进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口"
    "使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件"
    "安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许八特觉望直"
    "服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功指思非流每青管夫连远资队跟带花快条院变联言权往展该领传近留红"
    "电影剧情演员导演镜头配乐节奏故事结局画面角色表演感人推荐失望无聊精彩经典特效票房观众好看一般力荐还行较差很差"
    "，。！？、；：“”（）…"
)


def review_texts(rng, n: int, lo: int = 150, hi: int = 650) -> list:
    """``n`` reviews of ``lo``..``hi`` Chinese characters (about 1.2 KB of UTF-8 each on average)."""
    chars = np.array(list(HANZI))
    lens = rng.integers(lo, hi, n)
    pool = "".join(chars[rng.integers(0, len(chars), int(lens.sum()))])
    ends = np.cumsum(lens)
    return [pool[e - k : e] for e, k in zip(ends, lens)]


def _review_chunks(mb: float, seed: int, size: int = 2_000):
    """Ratings with a long Chinese review on every row, about ``mb`` MB of UTF-8 CSV in all."""
    rng = np.random.default_rng(seed)
    target, done, first = mb * 1024**2, 0, 1
    while done < target:
        chunk = ratings_chunk(rng, size, first, 2000)
        first = int(chunk["userId"].iloc[-1]) + 1
        chunk["review"] = review_texts(rng, size)
        done += int(chunk["review"].str.len().sum()) * 3 + size * 30
        yield chunk


def make_reviews_csv(path: Path, mb: float, seed: int = 0) -> Path:
    def write(tmp):
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            f.write("userId,movieId,rating,timestamp,review\n")
            for chunk in _review_chunks(mb, seed):
                chunk.to_csv(f, header=False, index=False)

    return _write(path, write)


def make_reviews_jsonl(path: Path, mb: float, seed: int = 0) -> Path:
    def write(tmp):
        with open(tmp, "w", encoding="utf-8") as f:
            for chunk in _review_chunks(mb, seed):
                f.write(chunk.to_json(orient="records", lines=True, force_ascii=False))
                f.write("\n")

    return _write(path, write)


def make_reviews_parquet(path: Path, mb: float, seed: int = 0) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    def write(tmp):
        w = None
        for chunk in _review_chunks(mb, seed, 20_000):
            table = pa.Table.from_pandas(chunk, preserve_index=False)
            w = w or pq.ParquetWriter(tmp, table.schema)
            w.write_table(table)
        w.close()

    return _write(path, write)


#: run name -> (file name, maker)
FILES = {
    "csv-32": ("ratings_32mb.csv", lambda p: make_csv(p, 32, 1)),
    "csv-64": ("ratings_64mb.csv", lambda p: make_csv(p, 64, 2)),
    "csv-128": ("ratings_128mb.csv", lambda p: make_csv(p, 128, 3)),
    "parquet-5m": ("ratings_5m.parquet", lambda p: make_parquet(p, 5_000_000, 4)),
    "parquet-15m": ("ratings_15m.parquet", lambda p: make_parquet(p, 15_000_000, 5)),
    "parquet-30m": ("ratings_30m.parquet", lambda p: make_parquet(p, 30_000_000, 6)),
    "parquet-30m-tiny": ("ratings_30m_tiny.parquet", lambda p: make_parquet(p, 30_000_000, 7, tiny=True)),
    "json-32": ("ratings_32mb.json", lambda p: make_json(p, 32, False, 8)),
    "json-64": ("ratings_64mb.json", lambda p: make_json(p, 64, False, 9)),
    "jsonl-32": ("ratings_32mb.jsonl", lambda p: make_json(p, 32, True, 10)),
    "jsonl-64": ("ratings_64mb.jsonl", lambda p: make_json(p, 64, True, 11)),
    "xlsx-10": ("ratings_10mb.xlsx", lambda p: make_xlsx(p, 470_000, 12)),
    "xlsx-1m": ("ratings_1m.xlsx", lambda p: make_xlsx(p, 1_048_000, 13)),  # a sheet's most rows: ~23 MB
    "reviews-csv-50": ("reviews_50mb.csv", lambda p: make_reviews_csv(p, 50, 14)),  # under CINELENS_STREAM_BYTES
    "reviews-csv-150": ("reviews_150mb.csv", lambda p: make_reviews_csv(p, 150, 15)),
    "reviews-jsonl-50": ("reviews_50mb.jsonl", lambda p: make_reviews_jsonl(p, 50, 16)),
    "reviews-jsonl-150": ("reviews_150mb.jsonl", lambda p: make_reviews_jsonl(p, 150, 17)),
    "reviews-parquet-50": ("reviews_50mb.parquet", lambda p: make_reviews_parquet(p, 50, 18)),
    "reviews-parquet-150": ("reviews_150mb.parquet", lambda p: make_reviews_parquet(p, 150, 19)),
}

_CHILD = r"""
import json, resource, shutil, sys, tempfile
from pathlib import Path

def peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0

path = Path(sys.argv[1])
out = {"route": "memory"}
tmp = Path(tempfile.mkdtemp(prefix="cinelens-formats-"))
try:
    from recsys_core.app.lab import Lab
    from recsys_core.data import ingest, limits
    from recsys_core.data.cleaning import CleaningOptions
    from recsys_core.data.readers import ReadResult, read_upload
    from recsys_core.errors import UserError
    from recsys_core.store import Workspace

    out["base"] = peak()
    ws = Workspace(tmp / "ws")
    try:
        src = None
        with open(path, "rb") as f:
            parts = ingest.read_in_parts(path.name, f)  # the Data page's test (ui.data_page.is_big)
        if parts:
            spool = tmp / "spool"
            spool.mkdir()
            shutil.copyfile(path, spool / path.name)
            src = ingest.source_for(path.name, spool / path.name)
        if src is not None:
            out["route"] = "parts"
            staged = ingest.ingest(ingest.read_stream(src, spool), None, CleaningOptions())
            saved = Lab(ws).save_staged(staged)
        else:
            files = [(path.name, path.read_bytes())]
            with limits.bounded_memory():  # as ui.data_page reads uploads
                result = ReadResult.combine([read_upload(n, d) for n, d in files])
            raw, ds, rep = Lab.clean_upload(result, None, CleaningOptions())
            saved = Lab(ws).save_upload(files, raw, ds, rep)
        out["rows"] = saved.rows
    except UserError as e:
        out["route"], out["refused"] = "refused", str(e)
    ws.close()
finally:
    shutil.rmtree(tmp, ignore_errors=True)
ru = resource.getrusage(resource.RUSAGE_SELF)
out.update(cpu=ru.ru_utime + ru.ru_stime, peak=peak())
print(json.dumps(out))
"""

OLD_ENV = {"CINELENS_STREAM_BYTES": str(200 * 1024**2), "CINELENS_MAX_UPLOAD_MEMORY": str(1 << 50)}


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def run(path: Path, route: str, cap: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in OLD_ENV}
    if route == "old":
        env.update(OLD_ENV)
    # the child's output goes to files, not pipes: a pipe nobody reads while the child runs fills up and blocks it
    with tempfile.TemporaryFile("w+") as fout, tempfile.TemporaryFile("w+") as ferr:
        proc = subprocess.Popen([sys.executable, "-c", _CHILD, str(path)], stdout=fout, stderr=ferr, cwd=ROOT, env=env)
        t0, top = time.perf_counter(), 0
        while proc.poll() is None:
            top = max(top, _rss(proc.pid))
            if top > cap:
                proc.kill()
                proc.wait()
                return {"route": "stopped", "peak": top, "over": True, "wall": time.perf_counter() - t0}
            time.sleep(0.1)
        wall = time.perf_counter() - t0
        fout.seek(0)
        ferr.seek(0)
        out, err = fout.read(), ferr.read()
    try:
        res = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"route": "failed", "peak": top, "wall": wall, "refused": (err.strip().splitlines() or ["?"])[-1]}
    return {**res, "wall": wall}


def _gb(n: int) -> str:
    return f"{n / 1024**3:.2f} GB"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", default=str(Path(tempfile.gettempdir()) / "uc"))
    ap.add_argument("--runs", help="comma-separated subset of: " + ", ".join(FILES))
    ap.add_argument("--routes", default="old,new", help="old, new or both (default old,new)")
    ap.add_argument("--cap-gb", type=float, default=8.0, help="stop a run whose resident memory passes this")
    args = ap.parse_args()
    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    names = [r.strip() for r in args.runs.split(",") if r.strip()] if args.runs else list(FILES)
    routes = [r.strip() for r in args.routes.split(",") if r.strip()]
    cap = int(args.cap_gb * 1024**3)
    rows = []
    for name in names:
        fname, maker = FILES[name]
        t0 = time.perf_counter()
        path = maker(folder / fname)
        made = time.perf_counter() - t0
        for route in routes:
            r = run(path, route, cap)
            r.update(run=name, mb=path.stat().st_size / 1024**2, which=route)
            rows.append(r)
            print(json.dumps({**r, "made_s": round(made, 1)}), flush=True)
    print()
    print(f"{'file':18} {'MB':>7} {'code':>4} {'route':>8} {'rows saved':>11} {'CPU s':>7} {'peak':>9}  note")
    for r in rows:
        peak = ("> " if r.get("over") else "") + _gb(r["peak"])
        saved = f"{r['rows']:,}" if "rows" in r else "-"
        note = (r.get("refused") or "")[:110]
        cpu = f"{r['cpu']:7.1f}" if "cpu" in r else f"{'-':>7}"
        print(f"{r['run']:18} {r['mb']:7.1f} {r['which']:>4} {r['route']:>8} {saved:>11} {cpu} {peak:>9}  {note}")
    print("target (issue 13): <= 2.5 GB server peak, Streamlit's ~2x copy of an upload of <= 200 MB included")


if __name__ == "__main__":
    main()
