"""Clean + load a large rating set into a workspace; print seconds per phase and peak memory.

Issue 11's target: 25M ratings cleaned and stored in a workspace in <= 5 minutes and <= 8 GB. The phases are the
product's own path (what the Data page and ``python -m recsys_core import`` do): ``load_path`` (read + the default
cleaning with its report), then ``Workspace.add_version`` (store in DuckDB). Peers, in fresh processes on the same
file: ``pandas`` / ``duckdb`` reading it only (no cleaning), the floor any cleaner sits on. ``CPU s`` is the process's user + system CPU time: on a shared machine the wall
seconds also count the wait for a core.

    python -m benchmarks.bench_clean_scale --data DIR_OR_FILE [--peers pandas,duckdb] [--keep-workspace DIR]

``DIR_OR_FILE``: a ``python -m recsys_core synth --ratings 10M --out DIR`` folder, a CSV, or anything
``load_path`` reads. Run it under ``/usr/bin/time -v`` for the whole process's peak as the OS counts it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time
which, path, ws_dir = sys.argv[1], sys.argv[2], sys.argv[3]
peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
out = {}
t0 = time.perf_counter()
if which == "cinelens":
    from recsys_core.data.io import load_path_with_report
    from recsys_core.store import open_workspace
    marks = [("read", time.process_time())]
    c0 = marks[0][1]
    def progress(fraction, label=""):
        marks.append((label, time.process_time()))
    ds, rep, _ = load_path_with_report(path, progress=progress)
    t1 = time.perf_counter()
    # seconds up to each progress label: "start" = reading the file, then each cleaning step
    names = {"start": "read file", "done": "assemble dataset"}
    phases = {}
    prev = c0
    for label, t in marks[1:]:
        if label != "assemble":
            phases[names.get(label, label)] = round(t - prev, 2)
        prev = t
    out.update(clean_s=t1 - t0, clean_peak_gb=peak(), rows_in=rep.rows_in, rows_out=rep.rows_out, phases=phases,
               steps={s.name: [s.rows_in - s.rows_out, s.rows_affected] for s in rep.steps})
    ws = open_workspace(ws_dir)
    vid = ws.add_version(ds, kind="raw", note="bench_clean_scale", report=rep.to_dict())
    ws.set_active(vid)
    out["store_s"] = time.perf_counter() - t1
elif which == "pandas":
    import pandas as pd
    p = path
    df = pd.read_parquet(p) if p.endswith(".parquet") else pd.read_csv(p, engine="pyarrow")
    out.update(rows_in=len(df), rows_out=len(df))
elif which == "duckdb":
    import duckdb
    fn = "read_parquet" if path.endswith(".parquet") else "read_csv_auto"
    con = duckdb.connect(ws_dir + "/peer.duckdb")
    con.execute(f"CREATE TABLE t AS SELECT * FROM {fn}(?)", [path])
    n = con.execute("SELECT count(*) FROM t").fetchone()[0]
    out.update(rows_in=n, rows_out=n)
out["seconds"] = time.perf_counter() - t0
out["peak_gb"] = peak()
ru = resource.getrusage(resource.RUSAGE_SELF)
out["cpu_s"] = ru.ru_utime + ru.ru_stime
print(json.dumps(out))
"""


def run_child(which: str, path: str, ws_dir: str, timeout: float) -> dict:
    r = subprocess.run(  # from the repository root, so the child imports this checkout
        [sys.executable, "-c", CHILD, which, path, ws_dir], capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )
    if r.returncode != 0:
        return {"error": (r.stderr.strip().splitlines() or ["failed"])[-1][:200]}
    return json.loads(r.stdout.strip().splitlines()[-1])


def _ratings_file(data: Path) -> str:
    """The ratings file of a synth folder (for the read-only peers); the path itself otherwise."""
    if data.is_dir():
        for name in ("ratings.parquet", "ratings.csv"):
            if (data / name).exists():
                return str(data / name)
    return str(data)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="synth folder, CSV or anything load_path reads")
    ap.add_argument("--peers", default="pandas,duckdb", help="comma-separated read-only peers (or empty)")
    ap.add_argument("--keep-workspace", help="store the version in this workspace folder (kept afterwards)")
    ap.add_argument("--timeout", type=float, default=3600)
    args = ap.parse_args(argv)
    from benchmarks._data import machine_note

    data = Path(args.data)
    print(f"# {data}  ({machine_note()})", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as d:
        ws_dir = args.keep_workspace or str(Path(d) / "ws")
        rows.append(("cinelens load_path + add_version", run_child("cinelens", str(data), ws_dir, args.timeout)))
        for p in [x for x in args.peers.split(",") if x]:
            rows.append((f"{p} read only", run_child(p, _ratings_file(data), d, args.timeout)))
    print(
        f"\n{'tool':<36}{'clean s':>9}{'store s':>9}{'total s':>9}{'CPU s':>8}{'peak GB':>9}{'rows in':>13}{'rows out':>13}"
    )
    for name, r in rows:
        if "error" in r:
            print(f"{name:<36}  error: {r['error']}")
            continue
        clean, store = r.get("clean_s"), r.get("store_s")
        print(
            f"{name:<36}{'' if clean is None else f'{clean:.1f}':>9}{'' if store is None else f'{store:.1f}':>9}"
            f"{r['seconds']:>9.1f}{r['cpu_s']:>8.1f}{r['peak_gb']:>9.2f}{r['rows_in']:>13,}{r['rows_out']:>13,}"
        )
    ours = rows[0][1]
    if "steps" in ours:
        print("\ncleaning steps (dropped, affected):")
        for k, v in ours["steps"].items():
            print(f"  {k:<20} {v[0]:>10,} {v[1]:>10,}")
        print("\nCPU seconds per phase (store not included):")
        print("  " + ", ".join(f"{k} {v:g}" for k, v in ours["phases"].items()))
        print(f"peak after cleaning {ours['clean_peak_gb']:.2f} GB")
        ok = ours["seconds"] <= 300 and ours["peak_gb"] <= 8
        print(f"\ntarget (25M ratings) <= 300 s and <= 8 GB: {'met' if ok else 'NOT met'} at this size")
    return 0


if __name__ == "__main__":
    sys.exit(main())
