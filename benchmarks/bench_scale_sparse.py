"""Every model at 1M, 10M and 25M ratings (synthetic, MovieLens-25M proportions): fit seconds, peak
resident memory and top-10-for-all-users seconds, beside the `implicit` package's ALS / BPR and
Surprise's SVD run directly.

    python -m benchmarks.bench_scale_sparse --sizes 1M,10M [--models svd,als] [--data /tmp/cinelens-synth]
        [--cap 900] [--cpu-cap 900] [--mem-cap 12] [--json out.json]

The data comes from ``recsys_core.data.synth`` (seed 0), generated once per size into ``--data``
(``python -m recsys_core synth --ratings 10M --out DIR`` makes the same files). Each (size, model) runs
in its own subprocess, so the peak RSS printed is that process's own: loading the ratings into a
``Trainset`` (printed separately as ``load_rss_gb``) plus the model's fit and the top-10 lists. A model
whose declared cost envelope refuses the dataset prints the refusal and is not run (checked from the
generator's ``synth.json`` before anything is loaded, and again on the loaded ``Trainset``); one whose
declared fit time alone exceeds ``--cap`` (or ``--cpu-cap``) is listed as not run. ``CPU s`` is the worker
process's CPU time (load, fit and lists, all threads; ``fit CPU`` and ``top CPU`` are the two phases): on a
shared machine it is the steadier number. A run is stopped when it passes ``--cap``
seconds or ``--mem-cap`` GB resident (the machine is shared), and the row says so; with ``--cpu-cap`` it is
stopped past that many CPU seconds instead (``--cap`` then only bounds the wall time), so a busy machine
does not stop a model that is merely waiting for a core.

Peers, same data, same process layout: ``implicit.als`` / ``implicit.bpr`` (``implicit`` package,
binary confidences of every rating, 64 factors; ALS 15 iterations, BPR 30; 2 threads) and
``surprise.svd`` (Surprise's SVD, 100 factors, 20 epochs; its top-10 is one matrix product of the
learned factors per block of users, as in the guide's field notes, not ``predict`` per pair).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PEERS = ("implicit.als", "implicit.bpr", "surprise.svd")
THREADS = 2


# ---------------------------------------------------------------------------- worker (one model, one size)
def _rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _load(folder: Path):
    from recsys_core.data.synth import read_ratings
    from recsys_core.trainset import Trainset

    df = read_ratings(folder)
    ts = Trainset.from_frame(df, (0.5, 5.0))
    del df
    return ts


def _envelope(name: str, ts) -> str | None:
    """The refusal of the model's declared cost envelope, or None (fits, or no envelope declared)."""
    try:
        from recsys_core.models.cost import ModelTooLarge, check_fits
    except ImportError:
        return None
    try:
        check_fits(name, ts.n_users, ts.n_items, ts.n_ratings)
    except ModelTooLarge as e:
        return (str(e).splitlines() or ["refused"])[0]
    except (KeyError, ValueError):
        return None
    return None


def _ours(name: str, ts) -> dict:
    import numpy as np

    from recsys_core.models import make_model

    refusal = _envelope(name, ts)
    if refusal:
        return {"status": "refused", "note": refusal}
    model = make_model(name)
    t0, c0 = time.perf_counter(), time.process_time()
    model.fit(ts)
    fit_s, fit_cpu = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    top = model.top_n_inner(np.arange(ts.n_users), 10, exclude_seen=True)
    top_s, top_cpu = time.perf_counter() - t0, time.process_time() - c0
    return {
        "status": "ok",
        "fit_s": fit_s,
        "top10_s": top_s,
        "fit_cpu_s": fit_cpu,
        "top10_cpu_s": top_cpu,
        "filled": float((top >= 0).mean()),
    }


def _implicit(kind: str, ts) -> dict:
    import numpy as np
    from implicit.cpu.als import AlternatingLeastSquares
    from implicit.cpu.bpr import BayesianPersonalizedRanking
    from threadpoolctl import threadpool_limits

    X = ts.binary.astype(np.float32).tocsr()
    with threadpool_limits(1, "blas"):
        if kind == "als":
            model = AlternatingLeastSquares(
                factors=64, regularization=0.05, iterations=15, num_threads=THREADS, random_state=0
            )
        else:
            model = BayesianPersonalizedRanking(factors=64, iterations=30, num_threads=THREADS, random_state=0)
        t0, c0 = time.perf_counter(), time.process_time()
        model.fit(X, show_progress=False)
        fit_s, fit_cpu = time.perf_counter() - t0, time.process_time() - c0
        t0, c0 = time.perf_counter(), time.process_time()
        users = np.arange(ts.n_users)
        for s in range(0, ts.n_users, 10_000):
            model.recommend(users[s : s + 10_000], X[s : s + 10_000], N=10, filter_already_liked_items=True)
        top_s, top_cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"status": "ok", "fit_s": fit_s, "top10_s": top_s, "fit_cpu_s": fit_cpu, "top10_cpu_s": top_cpu}


def _surprise_svd(ts) -> dict:
    import numpy as np
    import pandas as pd
    from surprise import SVD, Dataset, Reader

    df = pd.DataFrame({"u": ts.u, "i": ts.i, "r": ts.r})
    data = Dataset.load_from_df(df, Reader(rating_scale=ts.rating_scale))
    del df
    t0, c0 = time.perf_counter(), time.process_time()
    trainset = data.build_full_trainset()
    algo = SVD(n_factors=100, n_epochs=20, random_state=0)
    algo.fit(trainset)
    fit_s, fit_cpu = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    # inner ids of Surprise -> our inner ids, so "seen" comes from our CSR
    u_of = np.array([int(trainset.to_raw_uid(k)) for k in range(trainset.n_users)])
    i_of = np.array([int(trainset.to_raw_iid(k)) for k in range(trainset.n_items)])
    csr = ts.csr
    for s in range(0, trainset.n_users, 2048):
        rows = np.arange(s, min(s + 2048, trainset.n_users))
        S = algo.bu[rows, None] + algo.bi[None, :] + algo.pu[rows] @ algo.qi.T
        sub = csr[u_of[rows]]
        pos = np.empty(ts.n_items, dtype=np.int64)
        pos[i_of] = np.arange(len(i_of))
        r = np.repeat(np.arange(len(rows)), np.diff(sub.indptr))
        S[r, pos[sub.indices]] = -np.inf
        np.argpartition(-S, 10, axis=1)[:, :10]
    top_s, top_cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"status": "ok", "fit_s": fit_s, "top10_s": top_s, "fit_cpu_s": fit_cpu, "top10_cpu_s": top_cpu}


def worker(folder: str, name: str) -> None:
    t0 = time.perf_counter()
    ts = _load(Path(folder))
    out = {"load_s": time.perf_counter() - t0, "load_rss_gb": _rss_gb()}
    out.update({"users": ts.n_users, "items": ts.n_items, "ratings": ts.n_ratings})
    try:
        if name.startswith("implicit."):
            out.update(_implicit(name.split(".", 1)[1], ts))
        elif name == "surprise.svd":
            out.update(_surprise_svd(ts))
        else:
            out.update(_ours(name, ts))
    except (ValueError, RuntimeError, MemoryError, TypeError) as e:
        out.update({"status": "error", "note": (str(e).splitlines() or [type(e).__name__])[0][:200]})
    out["peak_rss_gb"] = _rss_gb()
    out["cpu_s"] = time.process_time()  # the whole process: load, fit and lists (all threads)
    print("RESULT " + json.dumps(out), flush=True)


# ---------------------------------------------------------------------------- driver
def _ensure_data(base: Path, label: str, n: int) -> Path:
    from recsys_core.data.synth import SynthSpec, write

    folder = base / label.lower()
    if not (folder / "ratings.parquet").exists():
        print(f"# generating {label} ratings into {folder} ...", flush=True)
        write(SynthSpec.for_ratings(n, seed=0), folder)
    return folder


def _vm_rss_gb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return 0.0


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system, all threads) the process has used so far."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def run_one(folder: Path, name: str, cap_s: float, mem_cap_gb: float, cpu_cap_s: float | None = None) -> dict:
    """One worker. Stopped past ``cap_s`` wall seconds, ``mem_cap_gb`` resident, or (when given)
    ``cpu_cap_s`` CPU seconds: on a shared machine a CPU cap stops what is slow, not what waits for a core."""
    env = dict(os.environ, OMP_NUM_THREADS=str(THREADS), OPENBLAS_NUM_THREADS=str(THREADS), MKL_NUM_THREADS="2")
    cmd = [sys.executable, "-m", "benchmarks.bench_scale_sparse", "--worker", str(folder), name]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    seen_rss, why = 0.0, None
    while proc.poll() is None:
        time.sleep(0.5)
        seen_rss = max(seen_rss, _vm_rss_gb(proc.pid))
        if seen_rss > mem_cap_gb:
            why = f"stopped: over {mem_cap_gb:g} GB resident"
        elif cpu_cap_s is not None and _cpu_s(proc.pid) > cpu_cap_s:
            why = f"stopped: over {cpu_cap_s:g} CPU s"
        elif time.perf_counter() - t0 > cap_s:
            why = f"stopped: over {cap_s:g} s"
        if why:
            proc.kill()
            break
    out_text, err_text = proc.communicate()
    for line in out_text.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    note = why or ((err_text.strip().splitlines() or ["no result"])[-1][:200])
    return {"status": "stopped" if why else "error", "note": note, "peak_rss_gb": seen_rss}


def _shape(folder: Path) -> tuple[int, int, int] | None:
    """(users, films, ratings) from the generator's synth.json, when it is there."""
    try:
        info = json.loads((folder / "synth.json").read_text())
        return int(info["users"]), int(info["items"]), int(info["ratings"])
    except (OSError, KeyError, ValueError):
        return None


def precheck(folder: Path, name: str, cap_s: float) -> dict | None:
    """A row for a registry model that is not started: refused by its cost envelope (memory, or time
    over ``CINELENS_TIME_BUDGET``, which is the run cap unless set), or its declared fit time alone is
    over the run cap. None when the model should run."""
    shape = _shape(folder)
    if shape is None or "." in name:
        return None
    from recsys_core.models.cost import ModelTooLarge, check_fits

    try:
        cost = check_fits(name, *shape)
    except ModelTooLarge as e:
        return {"status": "refused", "note": (str(e).splitlines() or ["refused"])[0]}
    except (KeyError, ValueError):
        return None
    if cost.fit_seconds > cap_s:
        return {"status": "not run", "note": f"declared fit time {cost.fit_seconds:,.0f} s is over the {cap_s:g} s cap"}
    return None


def _fmt(v, spec):
    return format(v, spec) if isinstance(v, (int, float)) else "-"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worker", nargs=2, metavar=("FOLDER", "MODEL"), help=argparse.SUPPRESS)
    ap.add_argument("--sizes", default="1M,10M,25M")
    ap.add_argument("--models", default="", help="comma-separated; default: every registry model and the peers")
    ap.add_argument("--data", default="/tmp/cinelens-synth", help="folder for the generated datasets")
    ap.add_argument("--cap", type=float, default=900.0, help="seconds per run before it is stopped")
    ap.add_argument(
        "--cpu-cap",
        type=float,
        default=None,
        help="CPU seconds per run before it is stopped (then --cap, the wall limit, is only a backstop and"
        " the declared-fit-time check uses this cap)",
    )
    ap.add_argument("--mem-cap", type=float, default=12.0, help="GB resident before a run is stopped")
    ap.add_argument("--json", help="also write the rows as JSON")
    args = ap.parse_args(argv)
    if args.worker:
        worker(*args.worker)
        return 0
    from recsys_core.data.synth import parse_count
    from recsys_core.models import REGISTRY

    names = [m.strip() for m in args.models.split(",") if m.strip()] or [*REGISTRY, *PEERS]
    base = Path(args.data)
    base.mkdir(parents=True, exist_ok=True)
    rows = []
    header = (
        f"{'size':>5} {'model':<14} {'fit s':>9} {'peak GB':>8} {'top-10 s':>9} {'load GB':>8} {'CPU s':>8}"
        f" {'fit CPU':>8} {'top CPU':>8}  note"
    )
    print(header, flush=True)
    time_cap = args.cpu_cap if args.cpu_cap is not None else args.cap
    # the run cap is the fit-time budget of this benchmark (its workers inherit it), unless one is set
    os.environ.setdefault("CINELENS_TIME_BUDGET", f"{time_cap}")
    for label in [s.strip() for s in args.sizes.split(",") if s.strip()]:
        folder = _ensure_data(base, label, parse_count(label))
        for name in names:
            r = precheck(folder, name, time_cap) or run_one(folder, name, args.cap, args.mem_cap, args.cpu_cap)
            r.update({"size": label, "model": name})
            rows.append(r)
            note = r.get("note", "") if r.get("status") != "ok" else ""
            print(
                f"{label:>5} {name:<14} {_fmt(r.get('fit_s'), '9.1f')} {_fmt(r.get('peak_rss_gb'), '8.2f')} "
                f"{_fmt(r.get('top10_s'), '9.1f')} {_fmt(r.get('load_rss_gb'), '8.2f')} {_fmt(r.get('cpu_s'), '8.1f')}"
                f" {_fmt(r.get('fit_cpu_s'), '8.1f')} {_fmt(r.get('top10_cpu_s'), '8.1f')}  {r.get('status')} {note}",
                flush=True,
            )
            if args.json:
                Path(args.json).write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
