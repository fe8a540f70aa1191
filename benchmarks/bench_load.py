"""Load: 10 concurrent browser sessions open every page of the real app; page render times and server memory.

    python -m benchmarks.bench_load [--sessions 10] [--rounds 1] [--timeout 600] [--screenshots DIR]

Starts ``streamlit run app.py`` on a free localhost port with a temporary ``CINELENS_WORKSPACE`` holding the
demo data and one registered item-neighbour model (so the Recommend page serves a list on opening, as it does
for a user who has trained one), then drives ``--sessions`` headless Chromium sessions (one browser context
each, all at once). Each session opens the six pages in sidebar order (Data, Audience, Reviews, Models,
Recommend, Promotion), then goes back to Recommend and asks for 6 lists, one user id after another. A page
open is answered when the page's heading is shown, its main output is visible (the film table, the segment
chart, the recommendation list, the promotion tables; Reviews and Models show their settings and wait for a
button) and the script has finished (no running indicator, twice in a row 100 ms apart), with no error box;
a list is answered when the main block's text has changed (the other user's history and list) and the run has
finished. Render time = from the click on the sidebar link (the first ``goto``, or Enter in the user id box)
to that moment.

Prints every request's seconds per page, p50/p95 over all requests and per page, how many requests were
answered, and the server's peak resident memory: ``VmHWM`` of the server process from ``/proc`` (the
kernel's high-water mark, so no peak between samples is missed) and the largest sampled RSS of the server
and its children. Issue target: 10 concurrent sessions each requesting 6 lists all get answers; peak server memory <= 2.5 GB. Needs Debian's
chromium (``/usr/bin/chromium`` or ``$CINELENS_CHROMIUM``) and the ``playwright`` Python package.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from tests.e2e.helpers import CHROMIUM, CHROMIUM_ARGS, StreamlitServer  # noqa: E402

# url path, Chinese heading, main output shown on opening (CSS selector, and a text it must hold) or None
REC_LIST = ("[data-testid='stMainBlockContainer'] h3", "推荐 Top")
PAGES = [
    ("", "数据", ("[data-testid='stDataFrame']", "")),
    ("audience", "受众画像", ("[data-testid='stPlotlyChart'], [data-testid='stDataFrame']", "")),
    ("reviews", "影评分析", None),
    ("models", "模型对比", None),
    ("recommend", "个性化推荐", REC_LIST),
    ("promotion", "推广", ("[data-testid='stDataFrame'], [data-testid='stTable']", "")),
]
LISTS = 6  # recommendation lists each session asks for on the Recommend page (one user id each)
TARGET_PEAK_GB = 2.5

_READY_JS = """([heading, main, text, before]) => {
    const h = [...document.querySelectorAll('h1')].some(e => e.innerText.includes(heading));
    const idle = !document.querySelector('[data-testid="stStatusWidget"]');
    const vis = e => e && e.getClientRects().length > 0 && e.innerText.includes(text);
    const out = !main || [...document.querySelectorAll(main)].some(vis);
    const body = document.querySelector('[data-testid="stMainBlockContainer"]');
    const changed = before === null || (body && body.innerText !== before);
    const ok = h && idle && out && changed;
    window.__benchReady = ok ? (window.__benchReady || 0) + 1 : 0;
    return window.__benchReady >= 2;
}"""


def prepare_workspace(path: Path) -> str:
    """The app's first-start state (demo data as the default version) plus one registered model."""
    from recsys_core.app import Lab
    from recsys_core.data.demo import load as load_demo
    from recsys_core.store import Workspace

    ws = Workspace(path)
    try:
        vid = ws.add_version(load_demo(ROOT / "data" / "demo"), kind="demo", note="demo")
        reg = Lab(ws).fit_and_register(ws.load_version(vid), "itemcf")
        return reg.model_id
    finally:
        ws.close()


# ---------------------------------------------------------------------------- server memory
def _proc_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*") if Path(f"/proc/{p}/task").exists() else ():
            try:
                todo += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
    return out


class MemorySampler(threading.Thread):
    """Largest summed RSS of the server process and its children, sampled every ``every`` seconds."""

    def __init__(self, pid: int, every: float = 0.25):
        super().__init__(daemon=True)
        self.pid, self.every, self.peak_kb = pid, every, 0
        self._halt = threading.Event()

    def run(self):
        while not self._halt.is_set():
            self.peak_kb = max(self.peak_kb, sum(_proc_kb(p, "VmRSS") for p in _tree(self.pid)))
            self._halt.wait(self.every)

    def stop(self):
        self._halt.set()
        self.join(timeout=5)


# ---------------------------------------------------------------------------- sessions
async def _open(page, base: str, k: int, timeout_ms: float) -> float:
    url, heading, main = PAGES[k]
    t0 = time.perf_counter()
    if k == 0:
        await page.goto(f"{base}/{url}")
    else:  # inside the same session: the sidebar link, as a user moves between pages
        await page.locator(f"[data-testid='stSidebarNav'] a[href$='/{url}']").first.click(timeout=timeout_ms)
    sel, text = main or (None, "")
    await page.wait_for_function(_READY_JS, arg=[heading, sel, text, None], timeout=timeout_ms, polling=100)
    secs = time.perf_counter() - t0
    if await page.locator("[data-testid='stException']").count():
        raise RuntimeError(f"error box on /{url}")
    return secs


async def _list(page, user: str, timeout_ms: float) -> float:
    """One recommendation list on the Recommend page: type a user id, press Enter, wait for the new list (the
    main block's text changes: another user's history and list) and the end of the run."""
    body = page.locator("[data-testid='stMainBlockContainer']")
    before = await body.inner_text()
    box = page.locator("[data-testid='stTextInput'] input[aria-label='用户 ID']").first
    await box.fill(user)
    t0 = time.perf_counter()
    await box.press("Enter")
    await page.wait_for_function(_READY_JS, arg=["个性化推荐", *REC_LIST, before], timeout=timeout_ms, polling=100)
    secs = time.perf_counter() - t0
    if await page.locator("[data-testid='stException']").count():
        raise RuntimeError(f"error box for user {user}")
    return secs


async def session(browser, base: str, n: int, rounds: int, timeout_ms: float, shots: Path | None) -> list[dict]:
    ctx = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await ctx.new_page()
    rows = []
    try:
        for rnd in range(rounds):
            for k, (url, _h, _m) in enumerate(PAGES):
                try:
                    secs = await _open(page, base, k, timeout_ms)
                    rows.append({"session": n, "page": url or "data", "secs": secs, "ok": True, "error": ""})
                    if shots is not None and n == 0 and rnd == 0:
                        await page.screenshot(path=str(shots / f"{url or 'data'}.png"), full_page=True)
                except Exception as e:  # noqa: BLE001 - an unanswered request is a result, not a crash
                    rows.append({"session": n, "page": url or "data", "secs": None, "ok": False, "error": str(e)[:160]})
            try:  # the lists: back on the Recommend page, one user id after another
                await _open(page, base, 4, timeout_ms)
            except Exception:  # noqa: BLE001 - counted below: its lists are not answered
                pass
            for j in range(LISTS):
                user = f"U{(n * LISTS + j + 1) % 800 + 1:04d}"
                try:
                    secs = await _list(page, user, timeout_ms)
                    rows.append({"session": n, "page": "list", "secs": secs, "ok": True, "error": ""})
                    if shots is not None and n == 0 and rnd == 0:
                        await page.screenshot(path=str(shots / f"list-{user}.png"), full_page=True)
                except Exception as e:  # noqa: BLE001
                    rows.append({"session": n, "page": "list", "secs": None, "ok": False, "error": str(e)[:160]})
    finally:
        await ctx.close()
    return rows


async def drive(base: str, sessions: int, rounds: int, timeout_ms: float, shots: Path | None) -> list[dict]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            results = await asyncio.gather(
                *[session(browser, base, n, rounds, timeout_ms, shots) for n in range(sessions)]
            )
        finally:
            await browser.close()
    return [r for rows in results for r in rows]


# ---------------------------------------------------------------------------- report
def percentile(xs: list[float], q: float) -> float:
    """Linear-interpolated percentile (numpy's default method)."""
    xs = sorted(xs)
    if not xs:
        return float("nan")
    pos = (len(xs) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def report(rows: list[dict], hwm_kb: int, sampled_kb: int, idle_kb: int, sessions: int, rounds: int) -> None:
    ok = [r for r in rows if r["ok"]]
    print(f"\n{'page':<10} {'answered':>9} {'p50 s':>7} {'p95 s':>7} {'max s':>7}")
    for name in [url or "data" for url, _h, _m in PAGES] + ["list"]:
        xs = [r["secs"] for r in ok if r["page"] == name]
        n_all = sum(r["page"] == name for r in rows)
        print(
            f"{name:<10} {len(xs):>4}/{n_all:<4} {percentile(xs, 50):7.2f} {percentile(xs, 95):7.2f} "
            f"{max(xs) if xs else float('nan'):7.2f}"
        )
    for label, sub in (("all pages", [r for r in rows if r["page"] != "list"]), ("all", rows)):
        xs = [r["secs"] for r in sub if r["ok"]]
        print(
            f"{label:<10} {len(xs):>4}/{len(sub):<4} {percentile(xs, 50):7.2f} {percentile(xs, 95):7.2f} "
            f"{max(xs) if xs else float('nan'):7.2f}"
        )
    for r in rows:
        if not r["ok"]:
            print(f"  unanswered: session {r['session']} /{r['page']}: {r['error']}")
    gb = 1024 * 1024
    print(f"\nserver memory: {idle_kb / gb:.2f} GB after start-up; peak {hwm_kb / gb:.2f} GB (VmHWM of the server)")
    print(f"  largest sampled RSS of the server and its children: {sampled_kb / gb:.2f} GB")
    verdict = "met" if len(ok) == len(rows) and max(hwm_kb, sampled_kb) <= TARGET_PEAK_GB * gb else "NOT met"
    print(
        f"target: all {sessions} sessions x {rounds} x ({len(PAGES)} pages + {LISTS} lists) answered and peak "
        f"<= {TARGET_PEAK_GB} GB: {verdict}"
    )
    try:
        print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    except OSError:
        pass


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=1, help="times each session goes through the six pages")
    ap.add_argument("--timeout", type=float, default=600, help="seconds one page may take before it counts as lost")
    ap.add_argument("--screenshots", metavar="DIR", help="save the first session's pages as PNG here")
    args = ap.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"error: Chromium not found at {CHROMIUM} (set CINELENS_CHROMIUM)", file=sys.stderr)
        return 2
    shots = Path(args.screenshots) if args.screenshots else None
    if shots:
        shots.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cinelens-load-") as tmp:
        ws = Path(tmp) / "workspace"
        os.environ.setdefault("CINELENS_CONFIG_DIR", str(Path(tmp) / "config"))
        t0 = time.perf_counter()
        model = prepare_workspace(ws)
        print(f"# workspace {ws}: demo data + model {model} ({time.perf_counter() - t0:.1f} s)")
        srv = StreamlitServer(ws, log_dir=Path(tmp)).start(timeout=180)
        sampler = MemorySampler(srv.proc.pid)
        try:
            idle_kb = _proc_kb(srv.proc.pid, "VmRSS")
            sampler.start()
            print(f"# server {srv.url} (pid {srv.proc.pid}); {args.sessions} sessions x {len(PAGES)} pages", flush=True)
            t0 = time.perf_counter()
            rows = asyncio.run(drive(srv.url, args.sessions, args.rounds, args.timeout * 1000, shots))
            wall = time.perf_counter() - t0
            hwm_kb = _proc_kb(srv.proc.pid, "VmHWM")
        finally:
            sampler.stop()
            srv.stop()
        for r in rows:
            if r["ok"]:
                print(f"session {r['session']:>2} /{r['page']:<10} {r['secs']:7.2f} s")
        print(f"# {len(rows)} requests in {wall:.1f} s wall")
        report(rows, hwm_kb, sampler.peak_kb, idle_kb, args.sessions, args.rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
