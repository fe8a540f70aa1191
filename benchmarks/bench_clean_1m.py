"""Load + clean a 1,000,000-row ratings file; print wall time and peak memory.

Target (issue 3): under 30 s and under 2 GB.  Peers, measured the same way in fresh processes:
  * pandas.read_csv alone (no detection, no cleaning) - the floor;
  * Surprise's Dataset.load_from_file (its own line reader, no cleaning).

The generated file has the dirt real exports have: text ratings ("力荐", "★★★"), ids written
as "1.0" / " 1", missing ids, exact duplicates, repeated user-film pairs, a few out-of-range
values and mixed timestamp formats.

    python -m benchmarks.bench_clean_1m [--rows 1000000] [--keep FILE]
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

ROOT = Path(__file__).resolve().parents[1]


def generate(path: Path, n: int, seed: int = 7, dirty: bool = True) -> None:
    rng = np.random.default_rng(seed)
    users = rng.integers(1, 60_000, n)
    items = rng.integers(1, 20_000, n)
    ratings = rng.integers(1, 6, n).astype(object)
    ts = rng.integers(1_400_000_000, 1_700_000_000, n)
    u = users.astype(str).astype(object)
    it = items.astype(str).astype(object)
    t = ts.astype(str).astype(object)
    k = max(n // 1000, 1) if dirty else 0
    idx = rng.choice(n, size=8 * k, replace=False)
    a, b, c, d, e, f, g, h = np.array_split(idx, 8)
    ratings[a] = "力荐"
    ratings[b] = "★★★"
    u[c] = np.char.add(u[c].astype(str), ".0")
    u[d] = np.char.add(" ", u[d].astype(str))
    it[e] = ""
    ratings[f] = "11"
    t[g] = "2021-03-31 10:00:00"
    t[h] = "2021年3月31日"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("userId,movieId,rating,timestamp\n")
        lines = [f"{x},{y},{r},{z}\n" for x, y, r, z in zip(u, it, ratings, t, strict=True)]
        fh.writelines(lines)
        fh.writelines(lines[: 2 * k])  # exact duplicates at the end


def generate_reviews(path: Path, n: int, seed: int = 3) -> None:
    """Douban-style export: GBK, Chinese headers, short reviews (some with HTML), dates like 2021年3月31日."""
    rng = np.random.default_rng(seed)
    texts = np.array(
        [
            "这部电影真好看，强烈推荐！",
            "剧情一般，演员还行",
            "<b>太棒了</b>&amp;好看",
            "画面很美 但是节奏慢",
            "力荐",
            "",
        ],
        dtype=object,
    )
    u = rng.integers(1, 80_000, n).astype(str)
    m = rng.integers(1, 5_000, n).astype(str)
    r = rng.integers(1, 6, n).astype(str)
    t = texts[rng.integers(0, len(texts), n)]
    d = rng.integers(1, 29, n).astype(str)
    lines = [f"{a},{b},{c},{x},2021年3月{y}日\n" for a, b, c, x, y in zip(u, m, r, t, d, strict=True)]
    with open(path, "w", encoding="gbk") as fh:
        fh.write("用户ID,电影ID,评分,短评,时间\n")
        fh.writelines(lines)


CHILD = r"""
import json, resource, sys, time
which, path = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
out = {{}}
if which == "cinelens":
    from recsys_core.data.io import load_path_with_report
    ds, rep, _ = load_path_with_report(path)
    out = {{"rows_in": rep.rows_in, "rows_out": rep.rows_out,
           "steps": {{s.name: [s.rows_in - s.rows_out, s.rows_affected] for s in rep.steps}}}}
elif which == "pandas":
    import pandas as pd
    df = pd.read_csv(path)
    out = {{"rows_in": len(df), "rows_out": len(df)}}
elif which == "surprise":
    from surprise import Dataset, Reader
    data = Dataset.load_from_file(path, Reader(line_format="user item rating timestamp", sep=",", skip_lines=1,
                                                rating_scale=(1, 5)))
    out = {{"rows_in": len(data.raw_ratings), "rows_out": len(data.raw_ratings)}}
out["seconds"] = time.perf_counter() - t0
out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def run_child(which: str, path: Path) -> dict:
    code = CHILD.format(root=str(ROOT))
    r = subprocess.run(  # run from the repository root, so the child imports this checkout's recsys_core
        [sys.executable, "-c", code, which, str(path)], capture_output=True, text=True, timeout=600, cwd=ROOT
    )
    if r.returncode != 0:
        return {"error": (r.stderr.strip().splitlines() or ["failed"])[-1][:160]}
    return json.loads(r.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--keep", help="also write the generated file here")
    ap.add_argument("--peers", default="pandas,surprise", help="comma-separated peers to run (or empty)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as d:
        path = Path(args.keep) if args.keep else Path(d) / "ratings_1m.csv"
        t0 = time.perf_counter()
        generate(path, args.rows)
        print(
            f"generated {args.rows:,} rows (+ duplicates) in {time.perf_counter() - t0:.1f}s: "
            f"{os.path.getsize(path) / 1e6:.1f} MB"
        )
        rows = [("cinelens load+clean (dirty)", run_child("cinelens", path))]
        for p in [x for x in args.peers.split(",") if x]:
            rows.append((f"{p} read only (dirty)", run_child(p, path)))
        reviews_path = Path(d) / "reviews_1m_gbk.csv"
        generate_reviews(reviews_path, args.rows)
        rows.append(("cinelens load+clean (GBK reviews, CN dates)", run_child("cinelens", reviews_path)))
        clean_path = Path(d) / "ratings_1m_clean.csv"
        generate(clean_path, args.rows, dirty=False)
        rows.append(("cinelens load+clean (clean file)", run_child("cinelens", clean_path)))
        for p in [x for x in args.peers.split(",") if x]:
            rows.append((f"{p} read only (clean file)", run_child(p, clean_path)))
    print(f"\n{'tool':<40}{'seconds':>9}{'peak MB':>10}{'rows in':>11}{'rows out':>11}")
    for name, r in rows:
        if "error" in r:
            print(f"{name:<40}  error: {r['error']}")
            continue
        print(f"{name:<40}{r['seconds']:>9.1f}{r['peak_mb']:>10.0f}{r['rows_in']:>11,}{r['rows_out']:>11,}")
    print("\n(dirty = text ratings, '1.0'/' 1' ids, missing ids, duplicates, out-of-range values, mixed time formats)")
    ours = rows[0][1]
    if "steps" in ours:
        print("\ncleaning steps (dropped, affected):")
        for k, v in ours["steps"].items():
            print(f"  {k:<20} {v[0]:>8,} {v[1]:>8,}")
    mine = [r for name, r in rows if name.startswith("cinelens") and "error" not in r]
    ok = bool(mine) and all(r["seconds"] < 30 and r["peak_mb"] < 2048 for r in mine)
    print(f"\ntarget < 30 s and < 2048 MB for every cinelens run: {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
