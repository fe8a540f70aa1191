"""Spark (local[N]) beside the local engine on synthetic ratings of growing size: clean, ALS fit, top-10 for all users.

    python -m benchmarks.bench_spark --sizes 100k,1m [--master local[2]] [--cap 1800] [--json out.json]

Data: :mod:`recsys_core.data.synth` (MovieLens-25M proportions, seeded), one Parquet file per size,
cached under ``$TMPDIR/cinelens-bench-spark``. Each engine runs in its own subprocess per size:

* **spark**: ``spark clean`` on the Parquet (all cleaning steps, report), then ALS (explicit, rank 10,
  regParam 0.1, 10 iterations) fit, then ``recommendForAllUsers(10)`` written to Parquet. Peak memory is
  the JVM's peak resident set (driver and executors share one JVM in local mode, ``VmHWM``) plus the
  Python driver's peak RSS.
* **local**: ``clean`` (the pandas/Arrow pipeline), the registry's ``als`` (implicit ALS, rank 10,
  10 iterations; the local engine's ALS), and top-10 for all users (``top_n_inner`` in blocks). Peak memory
  is the subprocess's peak RSS.

A stage that exceeds ``--cap`` seconds (whole engine run) is reported as not finished.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CACHE = Path(tempfile.gettempdir()) / "cinelens-bench-spark"


def parse_size(text: str) -> int:
    t = text.strip().lower().replace("_", "")
    mult = {"k": 1_000, "m": 1_000_000}.get(t[-1], 1)
    return int(float(t[:-1] if t[-1] in "km" else t) * mult)


def data_for(n: int) -> Path:
    from recsys_core.data.synth import ML25M_ITEMS_PER_RATING, ML25M_USERS_PER_RATING, SynthSpec, write

    out = CACHE / f"synth-{n}"
    if not (out / "ratings.parquet").exists():
        users = max(1000, round(n * ML25M_USERS_PER_RATING))  # MovieLens-25M proportions, at least 1,000 each
        items = max(1000, round(n * ML25M_ITEMS_PER_RATING))
        write(SynthSpec.for_ratings(n, users, items, seed=0), out)
    return out / "ratings.parquet"


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _jvm_peak_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return float(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float("nan")


def _jvm_cpu_s(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (all its threads), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def _self_cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class _Clock:
    """Wall and CPU seconds per stage; CPU counts this process plus ``pid`` (the JVM) when given. On a shared
    machine the CPU seconds are the comparable figure: wall time then mostly measures the wait for a core."""

    def __init__(self, out: dict, pid: int | None = None):
        self.out, self.pid = out, pid
        self._mark()

    def _cpu(self) -> float:
        return _self_cpu_s() + (_jvm_cpu_s(self.pid) if self.pid else 0.0)

    def _mark(self) -> None:
        self.t, self.c = time.perf_counter(), self._cpu()

    def stage(self, name: str) -> None:
        self.out[f"{name}_s"] = time.perf_counter() - self.t
        self.out[f"{name}_cpu_s"] = self._cpu() - self.c
        self._mark()


def run_spark(path: str, master: str) -> dict:
    from recsys_core.data.cleaning import CleaningOptions
    from recsys_core.spark.clean import clean
    from recsys_core.spark.io import read_input
    from recsys_core.spark.jobs import fit_als, ratings_frame
    from recsys_core.spark.session import build_session

    out = {}
    t = time.perf_counter()
    spark = build_session(master, "CineLens bench", {"spark.driver.memory": "6g", "spark.ui.enabled": "false"})
    out["start_s"] = time.perf_counter() - t
    jvm = spark.sparkContext._gateway.proc.pid
    clock = _Clock(out, jvm)
    df, rep = clean(read_input(spark, path), CleaningOptions())
    tmp = tempfile.mkdtemp(prefix="bench-spark-")
    df.write.parquet(f"{tmp}/clean")
    clock.stage("clean")
    out["rows"] = rep.rows_out
    r = ratings_frame(spark.read.parquet(f"{tmp}/clean"))
    r.count()
    model = fit_als(r, 10, 0.1, 10, seed=0)
    clock.stage("als_fit")
    model.recommendForAllUsers(10).write.parquet(f"{tmp}/top10")
    clock.stage("top10_all_users")
    out["users"] = int(r.select("uid").distinct().count())
    out["peak_mb"] = _jvm_peak_mb(jvm) + _peak_rss_mb()
    spark.stop()
    shutil.rmtree(tmp, ignore_errors=True)  # the cleaned copy and the lists: hundreds of MB at 25M
    return out


def run_local(path: str) -> dict:
    import numpy as np

    from recsys_core.data.io import load_path_with_report
    from recsys_core.models import make_model
    from recsys_core.trainset import Trainset

    out = {}
    clock = _Clock(out)
    ds, rep, _ = load_path_with_report(path)
    clock.stage("clean")
    out["rows"] = rep.rows_out
    ts = Trainset.from_dataset(ds)
    model = make_model("als", factors=10, iterations=10).fit(ts)
    clock.stage("als_fit")
    model.top_n_inner(np.arange(ts.n_users), 10)
    clock.stage("top10_all_users")
    out["users"] = int(ts.n_users)
    out["peak_mb"] = _peak_rss_mb()
    return out


LIMIT_MODELS = ("als", "bpr", "svd", "itemcf", "popularity", "baseline")


def local_limit(model: str = "als", budget: int | None = None) -> dict:
    """The largest rating count (MovieLens-25M proportions) whose declared envelope for ``model`` fits the memory
    budget of this machine: where the local engine stops admitting the job and Spark is the path."""
    from recsys_core.data.synth import ML25M_ITEMS_PER_RATING, ML25M_USERS_PER_RATING
    from recsys_core.models.cost import format_bytes, memory_budget, model_cost

    budget = memory_budget() if budget is None else int(budget)

    def cost(n: int):
        users = max(1000, round(n * ML25M_USERS_PER_RATING))
        items = max(1000, round(n * ML25M_ITEMS_PER_RATING))
        return model_cost(model, users, items, n)

    lo, hi = 1_000, 1_000_000
    while cost(hi).memory_bytes <= budget and hi < 10**12:
        lo, hi = hi, hi * 2
    while hi - lo > max(1, lo // 1000):  # to 0.1 %
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if cost(mid).memory_bytes <= budget else (lo, mid)
    c = cost(lo)
    return {
        "model": model,
        "budget": format_bytes(budget),
        "largest_ratings": lo,
        "memory": format_bytes(c.memory_bytes),
        "declared_fit_s": round(c.fit_seconds, 1),
    }


def child(engine: str, path: str, master: str, cap: float) -> dict:
    cmd = [sys.executable, "-m", "benchmarks.bench_spark", "--child", engine, "--path", path, "--master", master]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=cap, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"error": f"not finished within {cap:.0f} s"}
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
    if p.returncode != 0 or not lines:
        tail = (p.stderr.strip().splitlines() or ["?"])[-1]
        return {"error": tail[:200]}
    return json.loads(lines[-1])


def _fmt(v, unit="") -> str:
    return "-" if v is None else f"{v:,.1f}{unit}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100k,1m")
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--cap", type=float, default=1800.0, help="seconds per engine and size")
    ap.add_argument("--engines", default="local,spark")
    ap.add_argument("--json")
    ap.add_argument("--child")
    ap.add_argument("--path")
    args = ap.parse_args()
    if args.child:
        res = run_spark(args.path, args.master) if args.child == "spark" else run_local(args.path)
        print(json.dumps(res))
        return
    rows = []
    for size in [parse_size(s) for s in args.sizes.split(",") if s.strip()]:
        path = str(data_for(size))
        for engine in args.engines.split(","):
            res = child(engine, path, args.master, args.cap)
            res.update(engine=engine if engine == "local" else f"spark {args.master}", size=size)
            rows.append(res)
            print(json.dumps(res), flush=True)
    print()
    print("wall seconds (CPU seconds: driver + JVM for Spark)")
    print("| ratings | engine | clean s | ALS fit s | top-10 all users s | peak memory MB | note |")
    print("|---:|---|---:|---:|---:|---:|---|")
    for r in rows:
        cells = [
            f"{_fmt(r.get(f'{k}_s'))} ({_fmt(r.get(f'{k}_cpu_s'))})" for k in ("clean", "als_fit", "top10_all_users")
        ]
        print(
            f"| {r['size']:,} | {r['engine']} | {' | '.join(cells)} | {_fmt(r.get('peak_mb'))} | {r.get('error', '')} |"
        )
    lim = local_limit("als")
    done = [r["size"] for r in rows if r["engine"] != "local" and "error" not in r]
    print()
    print(
        f"local engine: the largest MovieLens-25M-shaped set whose `{lim['model']}` envelope fits the memory budget "
        f"({lim['budget']}) is {lim['largest_ratings']:,} ratings (needs {lim['memory']}, declared fit "
        f"{lim['declared_fit_s']:,} s); Spark completed here: {max(done):,} ratings"
        if done
        else f"local engine admits up to {lim['largest_ratings']:,} ratings ({lim['budget']}); Spark completed none"
    )
    limits = [local_limit(m) for m in LIMIT_MODELS]
    for x in limits:
        print(f"  {x['model']:10s} up to {x['largest_ratings']:>13,} ratings (declared fit {x['declared_fit_s']:,} s)")
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "local_limits": limits}, indent=2), encoding="utf-8")
    os.sys.stdout.flush()


if __name__ == "__main__":
    main()
