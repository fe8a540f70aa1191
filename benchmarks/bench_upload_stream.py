"""Upload a big ratings CSV through the real app (Data page, headless Chromium): peak server memory, wall and CPU.

    nice -n 10 python -m benchmarks.bench_upload_stream [--mb 1024] [--small-mb 100] [--dir DIR]
                                                        [--no-browser] [--no-direct] [--runs NAME,...]

Generates (seeded, cached in ``--dir``) a MovieLens-style ``ratings.csv`` (userId,movieId,rating,timestamp) of
about ``--mb`` MB from :mod:`recsys_core.data.synth`, and a ``--small-mb`` one. Then, each on a fresh
``streamlit run app.py`` with its own temporary workspace:

* ``browser``: Chromium opens the Data page, uploads the file (``set_input_files``), waits for the detection,
  clicks "preview cleaning", waits for the report, clicks "save as a new version" and waits for the saved
  message. The big file goes through the page's big-file picker (``ui/bigupload.py``: the app's route streams it
  to disk) and the streaming path (``recsys_core.data.ingest``); the small one through Streamlit's uploader, once
  read in parts and once with the streaming threshold raised (``CINELENS_STREAM_BYTES``): the old in-memory path.
* ``direct``: the same ingest function (read in parts, clean, save both versions) called from a fresh Python
  process without Streamlit, so the cost of the ingest itself is seen without the uploaded bytes Streamlit keeps.
* ``direct-*-steps``: the whole path without a browser, step by step in one fresh process: the file spooled and
  read in parts, each phase of the ingest, each part of the save, then what the app computes after a save (the
  sidebar and the Data page's tabs, run by Streamlit's ``AppTest``). Each step's peak is the process's ``VmHWM``
  reset at the step's start (``/proc/self/clear_refs``), with its wall and CPU seconds.

For each run it prints wall seconds, CPU seconds (user + system of the measured process, from ``/proc``) and the
peak resident memory: the server's ``VmHWM`` (the kernel's high-water mark, no peak missed between samples) and
the largest sampled RSS of the server's process tree. Targets: <= 2 GB for a 1 GB CSV (issue 11),
<= 2.5 GB for any upload under the default limits (issue 13).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from tests.e2e.helpers import CHROMIUM, CHROMIUM_ARGS, StreamlitServer, wait_for_app

ROOT = Path(__file__).resolve().parents[1]

BYTES_PER_ROW = 26.5  # userId,movieId,rating,timestamp of the synthetic MovieLens shape


def make_csv(path: Path, mb: float, seed: int = 0) -> Path:
    """A seeded ratings CSV of about ``mb`` MB in the MovieLens 25M shape (kept: the next run reuses it).

    Plain numpy, 2M rows at a time (the taste-structured generator of recsys_core.data.synth is much slower and
    the cleaning cost does not depend on tastes): users in order with heavy-tailed activity, films drawn from a
    long-tailed (log-normal) popularity, half-star ratings leaning to 3-4, Unix-second timestamps from 2000 to 2020."""
    if path.exists():
        return path
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    n = int(mb * 1024**2 / BYTES_PER_ROW)
    n_items = max(100, round(n * 59_047 / 25_000_095))
    stars = np.arange(1, 11) / 2
    p = np.array([1, 3, 2, 7, 5, 20, 13, 27, 10, 12], dtype=float)
    cdf = np.cumsum(rng.lognormal(0.0, 1.6, n_items))  # long-tailed film popularity
    tmp = path.with_suffix(".part")
    user = 1
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write("userId,movieId,rating,timestamp\n")
        done = 0
        while done < n:
            m = min(2_000_000, n - done)
            per_user = np.minimum(20 + rng.pareto(1.3, m // 20 + 10) * 40, 5000).astype(np.int64)
            users = np.repeat(np.arange(user, user + len(per_user)), per_user)[:m]
            user = int(users[-1]) + 1
            items = np.searchsorted(cdf, rng.random(m) * cdf[-1])
            chunk = pd.DataFrame(
                {
                    "userId": users,
                    "movieId": items + 1,
                    "rating": rng.choice(stars, m, p=p / p.sum()),
                    "timestamp": rng.integers(946_684_800, 1_577_836_800, m),
                }
            )
            chunk.to_csv(f, header=False, index=False)
            done += m
    tmp.replace(path)
    return path


def _proc(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _cpu(pid: int) -> float:
    """User + system seconds of a process (and of its waited-for children)."""
    try:
        f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(x) for x in f[11:15]) / os.sysconf("SC_CLK_TCK")


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            kids = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            kids = []
        todo += [int(k) for k in kids]
    return out


class Sampler:
    """Largest summed RSS of a process tree, sampled every 0.2 s."""

    def __init__(self, pid: int):
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, sum(_proc(p, "VmRSS") for p in _tree(self.pid)))
            time.sleep(0.2)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self.thread.join()


def _gb(n: int) -> str:
    return f"{n / 1024**3:.2f} GB"


def browser_run(
    csv: Path, label: str, stream_bytes: int | None, timeout_s: float, shots: Path | None = None, picker: bool = False
) -> dict:
    """One upload on the Data page; ``picker``: through the big-file picker (streamed to disk by the app's route)
    instead of Streamlit's uploader."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="cinelens-upload-") as tmp:
        env_before = os.environ.get("CINELENS_STREAM_BYTES")
        if stream_bytes is not None:
            os.environ["CINELENS_STREAM_BYTES"] = str(stream_bytes)
        (Path(tmp) / "ws").mkdir()
        srv = StreamlitServer(Path(tmp) / "ws").start()
        if env_before is None:
            os.environ.pop("CINELENS_STREAM_BYTES", None)
        else:
            os.environ["CINELENS_STREAM_BYTES"] = env_before
        pid = srv.proc.pid
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(srv.url)
                wait_for_app(page, timeout=180_000)
                page.get_by_role("tab", name="上传与清洗").click()
                wait_for_app(page, timeout=180_000)
                base_cpu, base_rss = _cpu(pid), _proc(pid, "VmRSS")
                ms = timeout_s * 1000
                with Sampler(pid) as s:
                    t0 = time.perf_counter()
                    if picker:
                        page.locator("input.cl-input").set_input_files(str(csv))
                        page.get_by_text("已收到大文件").first.wait_for(timeout=ms)
                    else:
                        page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(csv))
                    page.get_by_role("button", name="预览清洗结果").wait_for(timeout=ms)
                    t_read = time.perf_counter() - t0
                    wait_for_app(page, timeout=ms)
                    page.get_by_role("button", name="预览清洗结果").click()
                    page.locator("[data-testid='stMetricLabel']:has-text('输入行数')").first.wait_for(timeout=ms)
                    page.get_by_role("button", name="保存为新版本").wait_for(timeout=ms)
                    wait_for_app(page, timeout=ms)
                    t_clean = time.perf_counter() - t0
                    errors = page.locator("[data-testid='stAlertContentError']").all_inner_texts()
                    if shots is not None:
                        shot = shots / f"{label.replace(' ', '_')}_{csv.stem}_report.png"
                        page.screenshot(path=str(shot), full_page=True)
                    page.get_by_role("button", name="保存为新版本").click()
                    page.locator("p:has-text('清洗后版本'):visible").first.wait_for(timeout=ms)
                    wait_for_app(page, timeout=ms)
                    wall = time.perf_counter() - t0
                hwm = _proc(pid, "VmHWM")
                cpu = _cpu(pid) - base_cpu
                saved = page.locator("p:has-text('清洗后版本'):visible").first.inner_text()
                browser.close()
        finally:
            srv.stop()
    return {
        "run": label,
        "file_mb": csv.stat().st_size / 1024**2,
        "wall_s": wall,
        "read_s": t_read,
        "clean_s": t_clean,
        "cpu_s": cpu,
        "base_rss": base_rss,
        "peak_tree_rss": s.peak,
        "vmhwm": hwm,
        "saved": saved.strip()[:120],
        "errors": errors,
    }


_UPLOAD_ONLY = """
import streamlit as st
f = st.file_uploader("file", key="f")
if f is not None:
    st.write(f"received {f.size} bytes")
"""


def upload_only_run(csv: Path, timeout_s: float) -> dict:
    """Streamlit alone receiving the file (a one-widget script that never reads it): what the server holds for an
    upload before CineLens touches a byte."""
    import subprocess as sp

    from playwright.sync_api import sync_playwright

    from tests.e2e.helpers import free_port

    with tempfile.TemporaryDirectory(prefix="cinelens-upload-only-") as tmp:
        script = Path(tmp) / "upload_only.py"
        script.write_text(_UPLOAD_ONLY, encoding="utf-8")
        port = free_port()
        cmd = [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true", "--server.port",
               str(port), "--server.address", "127.0.0.1", "--server.maxUploadSize", "2048",
               "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]  # fmt: skip
        proc = sp.Popen(cmd, stdout=sp.DEVNULL, stderr=sp.DEVNULL, cwd=tmp)
        try:
            import urllib.request

            for _ in range(240):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
                    break
                except OSError:
                    time.sleep(0.5)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page()
                page.goto(f"http://127.0.0.1:{port}")
                page.locator("[data-testid='stFileUploader']").wait_for(timeout=120_000)
                base = _cpu(proc.pid)
                with Sampler(proc.pid) as s:
                    t0 = time.perf_counter()
                    page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(csv))
                    page.get_by_text("received").first.wait_for(timeout=timeout_s * 1000)
                    wall = time.perf_counter() - t0
                    time.sleep(2)
                hwm, cpu = _proc(proc.pid, "VmHWM"), _cpu(proc.pid) - base
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return {"run": "browser upload only (Streamlit)", "file_mb": csv.stat().st_size / 1024**2, "wall_s": wall,
            "cpu_s": cpu, "peak_tree_rss": s.peak, "vmhwm": hwm}  # fmt: skip


_DIRECT = """
import sys, time, json, shutil, tempfile, resource
from pathlib import Path
from recsys_core.app.lab import Lab
from recsys_core.data import ingest
from recsys_core.data.cleaning import CleaningOptions
from recsys_core.data.readers import read_upload
from recsys_core.store import Workspace
csv, mode = Path({csv!r}), {mode!r}
tmp = Path(tempfile.mkdtemp(prefix="cinelens-direct-"))
ws = Workspace(tmp / "ws")
t0 = time.perf_counter()
if mode == "stream":
    spool = tmp / "spool"; spool.mkdir()
    shutil.copyfile(csv, spool / csv.name)   # what the page does with the uploaded bytes
    sr = ingest.read_stream(ingest.source_for(csv.name, spool / csv.name), spool)
    staged = ingest.ingest(sr, None, CleaningOptions())
    saved = Lab(ws).save_staged(staged)
else:
    data = csv.read_bytes()
    res = read_upload(csv.name, data)
    raw, ds, rep = Lab.clean_upload(res, None, CleaningOptions())
    saved = Lab(ws).save_upload([(csv.name, data)], raw, ds, rep)
wall = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({{"wall_s": wall, "cpu_s": ru.ru_utime + ru.ru_stime, "rows": saved.rows}}))
shutil.rmtree(tmp, ignore_errors=True)
"""


def direct_run(csv: Path, mode: str) -> dict:
    code = _DIRECT.format(csv=str(csv), mode=mode)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    hwm = 0
    with Sampler(proc.pid) as s:
        while proc.poll() is None:
            hwm = max(hwm, _proc(proc.pid, "VmHWM"))
            time.sleep(0.2)
    out = proc.stdout.read().strip().splitlines()
    import json

    res = json.loads(out[-1]) if proc.returncode == 0 and out else {"wall_s": float("nan"), "cpu_s": float("nan")}
    return {
        "run": f"direct {mode}",
        "file_mb": csv.stat().st_size / 1024**2,
        **res,
        "peak_tree_rss": s.peak,
        "vmhwm": hwm,
    }


class _Steps:
    """Peak resident memory of each step in this process: the kernel's high-water mark (``VmHWM``) is reset at
    the start of a step (``/proc/self/clear_refs``) and read at its end, so no peak between samples is missed."""

    def __init__(self):
        self.rows, self.name = [], None

    @staticmethod
    def _cpu() -> float:
        import resource

        ru = resource.getrusage(resource.RUSAGE_SELF)
        return ru.ru_utime + ru.ru_stime

    def begin(self, name: str) -> None:
        self.end()
        Path("/proc/self/clear_refs").write_text("5")
        self.name, self.t0, self.c0 = name, time.perf_counter(), self._cpu()

    def end(self) -> None:
        if self.name is None:
            return
        pid = os.getpid()
        row = {
            "step": self.name,
            "wall_s": time.perf_counter() - self.t0,
            "cpu_s": self._cpu() - self.c0,
            "peak": _proc(pid, "VmHWM"),
            "rss_end": _proc(pid, "VmRSS"),
        }
        self.rows.append(row)
        print(f"  {row['step']:58} {row['wall_s']:7.1f} {row['cpu_s']:7.1f} {_gb(row['peak']):>9} {_gb(row['rss_end']):>9}",
              flush=True)  # fmt: skip
        self.name = None


def steps_main(csv: Path, pages: bool = True) -> None:
    """The Data page's whole path for one big file, step by step, in this process and without a server: spool the
    file, read it in parts (encoding, detection), the ingest's phases (pass 1, scale, pass 2, repeated pairs and
    suspicious users), the save (versions written out of the scratch database, the upload kept, both versions
    copied into the workspace), then what the app computes after a save: the sidebar and the Data page's tabs,
    run by Streamlit's ``AppTest`` on ``app.py`` with this workspace (overview, versions with their comparison,
    export). Prints one row per step and a JSON line with the totals."""
    import json
    import shutil

    from recsys_core.app.lab import Lab
    from recsys_core.data import ingest
    from recsys_core.data.cleaning import CleaningOptions
    from recsys_core.store import Workspace, open_workspace

    steps = _Steps()
    tmp = Path(tempfile.mkdtemp(prefix="cinelens-steps-"))
    print(f"  {'step':58} {'wall s':>7} {'CPU s':>7} {'peak':>9} {'RSS end':>9}")
    try:
        ws = open_workspace(tmp / "ws")
        t0, c0 = time.perf_counter(), _Steps._cpu()
        steps.begin("spool + read_stream (encoding over every byte, detection)")
        spool = ws.cache_dir("ingest") / "spool"
        spool.mkdir(parents=True)
        shutil.copyfile(csv, spool / csv.name)  # what the page does with the uploaded bytes
        sr = ingest.read_stream(ingest.source_for(csv.name, spool / csv.name), spool)
        phase = {"now": None}

        def progress(frac, name, done, total, rows):
            if name != phase["now"]:
                phase["now"] = name
                steps.begin(f"ingest: {name}")

        staged = ingest.ingest(sr, None, CleaningOptions(), progress=progress)
        keep_upload, add_version = Workspace.save_upload_file, Workspace.add_version_from_parquet

        def timed_upload(self, *a, **k):
            steps.begin("save: upload kept (SHA-256, copy)")
            return keep_upload(self, *a, **k)

        def timed_version(self, *a, **k):
            steps.begin(f"save: {k.get('kind')} version into the workspace")
            return add_version(self, *a, **k)

        Workspace.save_upload_file, Workspace.add_version_from_parquet = timed_upload, timed_version
        try:
            steps.begin("save: versions out of the scratch database")
            saved = Lab(ws).save_staged(staged)
        finally:
            Workspace.save_upload_file, Workspace.add_version_from_parquet = keep_upload, add_version
        steps.end()
        total = {"rows": saved.rows, "wall_s": time.perf_counter() - t0, "cpu_s": _Steps._cpu() - c0}
        if pages:
            _pages_after_save(steps, tmp / "ws")
        steps.end()
        peak = max(r["peak"] for r in steps.rows)
        print(json.dumps({**total, "peak": peak, "steps": steps.rows}))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _pages_after_save(steps: _Steps, ws_path: Path) -> None:
    """The app after a save, as a session sees it: the sidebar and the Data page's four tabs (AppTest)."""
    import logging

    from streamlit.testing.v1 import AppTest

    from tests.pages import open_tab
    from ui.state import K

    # opening a tab sets session state between runs, outside a script run: Streamlit warns about that on every run
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)
    os.environ["CINELENS_WORKSPACE"] = str(ws_path)
    os.chdir(ROOT)
    steps.begin("after save: app.py, sidebar + Data overview (AppTest)")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=3600)
    at.run()
    for position, name in ((1, "upload"), (2, "versions + comparison"), (3, "export")):
        steps.begin(f"after save: Data {name} tab (AppTest)")
        open_tab(at, K.DATA_TABS, position).run()
    errors = [e.value for e in at.exception]
    if errors:
        print("  page errors:", errors, flush=True)


def steps_run(csv: Path, label: str) -> dict:
    """:func:`steps_main` in a fresh Python process, its tree's RSS sampled besides the per-step peaks."""
    import json

    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.bench_upload_stream", "--steps-of", str(csv)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    lines = []
    with Sampler(proc.pid) as s:
        for line in proc.stdout:
            print(line, end="", flush=True)
            lines.append(line)
        proc.wait()
    res = json.loads(lines[-1]) if proc.returncode == 0 and lines else {"wall_s": float("nan"), "cpu_s": float("nan")}
    return {"run": label, "file_mb": csv.stat().st_size / 1024**2, **res, "peak_tree_rss": s.peak,
            "vmhwm": res.get("peak", 0)}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=1024)
    ap.add_argument("--small-mb", type=float, default=100)
    ap.add_argument("--dir", default=str(Path(tempfile.gettempdir()) / "cinelens-bench-upload"))
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--no-direct", action="store_true")
    ap.add_argument("--timeout", type=float, default=3600)
    ap.add_argument("--runs", help="comma-separated subset, e.g. browser-big-stream,direct-small-memory (default: all)")
    ap.add_argument("--steps-of", help="(internal) measure the direct path of this file step by step, in this process")
    args = ap.parse_args()
    if args.steps_of:
        steps_main(Path(args.steps_of))
        return
    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    big = make_csv(folder / f"ratings_{int(args.mb)}mb.csv", args.mb)
    small = make_csv(folder / f"ratings_{int(args.small_mb)}mb.csv", args.small_mb, seed=1)
    print(
        f"files: {big} ({big.stat().st_size / 1024**2:.0f} MB), {small} ({small.stat().st_size / 1024**2:.0f} MB)"
        f" made or found in {time.perf_counter() - t0:.0f} s",
        flush=True,
    )
    runs = {
        "browser-big-upload-only": lambda: upload_only_run(big, args.timeout),
        "browser-small-memory": lambda: browser_run(
            small, "browser in-memory (old path)", 1 << 40, args.timeout, folder
        ),
        "browser-small-stream": lambda: browser_run(small, "browser streaming", 1, args.timeout, folder),
        "browser-big-stream": lambda: browser_run(
            big, "browser big-file picker", None, args.timeout, folder, picker=True
        ),
        "direct-small-memory": lambda: direct_run(small, "memory"),
        "direct-small-stream": lambda: direct_run(small, "stream"),
        "direct-big-stream": lambda: direct_run(big, "stream"),
        "direct-small-steps": lambda: steps_run(small, "direct steps + pages"),
        "direct-big-steps": lambda: steps_run(big, "direct steps + pages"),
    }
    chosen = [r.strip() for r in args.runs.split(",") if r.strip()] if args.runs else list(runs)
    if args.no_browser:
        chosen = [r for r in chosen if not r.startswith("browser")]
    if args.no_direct:
        chosen = [r for r in chosen if not r.startswith("direct")]
    rows = []
    for name in chosen:
        rows.append(runs[name]())
        print(name, rows[-1], flush=True)
    print()
    print(f"{'run':32} {'file MB':>8} {'wall s':>8} {'CPU s':>8} {'peak RSS (tree)':>16} {'VmHWM':>9}")
    for r in rows:
        print(
            f"{r['run']:32} {r['file_mb']:8.0f} {r['wall_s']:8.1f} {r['cpu_s']:8.1f} {_gb(r['peak_tree_rss']):>16} "
            f"{_gb(r['vmhwm']):>9}"
        )
    print("targets: a 1 GB CSV <= 2 GB (issue 11); any upload under the default limits <= 2.5 GB (issue 13)")


if __name__ == "__main__":
    main()
