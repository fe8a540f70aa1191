"""First render of every page with a large dataset active (Streamlit AppTest, in one server process).

    python -m benchmarks.bench_pages_scale --workspace DIR [--pages 1_data,2_audience]

``DIR`` is a workspace whose active version is the large dataset (e.g. 10M synthetic ratings:
``python -m recsys_core synth --ratings 10M --out D`` then load ``D`` on the Data page, or
``recsys_core.data.io.load_path`` + ``Workspace.add_version``). For each page it prints the seconds of
the first run of a new session twice: ``cold`` (the first session of the process: the dataset is read from
the workspace into the shared cache) and ``warm`` (a second new session: caches filled, as for every user
after the first). Target: warm <= 3 s per page. It also prints the CPU seconds of this process for each run
(``time.process_time``): on a shared machine the wall seconds mostly measure the wait for a core.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PAGES = ("1_data", "2_audience", "3_reviews", "4_models", "5_recommend")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workspace", required=True)
    ap.add_argument("--pages", default=",".join(PAGES))
    ap.add_argument("--timeout", type=float, default=900)
    args = ap.parse_args(argv)
    os.environ["CINELENS_WORKSPACE"] = str(Path(args.workspace).resolve())
    os.chdir(ROOT)
    from streamlit.testing.v1 import AppTest

    from recsys_core.store import open_workspace

    ws = open_workspace(args.workspace)
    v = ws.active_version()
    info = ws.version_info(v) or {}
    print(f"# workspace {args.workspace}: active {v}, {info.get('rows', '?'):,} interactions")
    print(f"{'page':<14} {'cold s':>8} {'warm s':>8} {'cold cpu s':>11} {'warm cpu s':>11}  errors")
    for page in [p.strip() for p in args.pages.split(",") if p.strip()]:
        secs, cpu, errors = [], [], []
        for _ in range(2):
            at = AppTest.from_file(str(ROOT / "views" / f"{page}.py"), default_timeout=args.timeout)
            t0, c0 = time.perf_counter(), time.process_time()
            at.run()
            secs.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            errors = [str(e.value)[:80] for e in at.exception]
        print(
            f"{page:<14} {secs[0]:8.1f} {secs[1]:8.1f} {cpu[0]:11.1f} {cpu[1]:11.1f}  {'; '.join(errors)}", flush=True
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
