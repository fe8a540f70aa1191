"""Declared fit time against measured fit time: each model's ``cost()`` envelope beside one real fit.

    python -m benchmarks.bench_cost_envelopes --data DIR [--models svd,bpr,als] [--ratings 1M]

``DIR`` holds a synthetic rating set (``python -m recsys_core synth --ratings 1M --out DIR``; made there
when missing). Every model is fitted once in this process with its default parameters, under a memory and
time budget large enough to admit it (the point is to measure, not to refuse). Printed per model: the
declared fit seconds (on 2 cores), the fit's wall seconds and CPU seconds (all threads of this process),
and CPU / declared. On a shared machine the CPU seconds are the steadier number; a ratio above 1 means the
declaration is too low and the time budget would admit a fit that runs longer than it says.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

DEFAULT_MODELS = "baseline,als,bpr,lmf,coclustering,nmf,svd,itemcf"


def measure(folder: Path, names: list[str]) -> list[dict]:
    from recsys_core.data.synth import read_ratings
    from recsys_core.models import make_model
    from recsys_core.models.cost import budget_scope, model_cost, time_budget_scope
    from recsys_core.trainset import Trainset

    df = read_ratings(folder)
    ts = Trainset.from_frame(df, (0.5, 5.0))
    del df
    shape = (ts.n_users, ts.n_items, ts.n_ratings)
    rows = []
    for name in names:
        declared = model_cost(name, *shape).fit_seconds
        model = make_model(name)
        t0, c0 = time.perf_counter(), time.process_time()
        with budget_scope("1000G"), time_budget_scope("1000h"):
            model.fit(ts)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        row = {"model": name, "shape": shape, "declared_s": declared, "wall_s": wall, "cpu_s": cpu}
        rows.append(row)
        print(
            f"{name:<14} {declared:>10.1f} {wall:>9.1f} {cpu:>9.1f} {cpu / max(declared, 1e-9):>8.2f}",
            flush=True,
        )
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="folder of a synthetic rating set (made when missing)")
    ap.add_argument("--ratings", default="1M", help="size to generate when --data has no ratings yet")
    ap.add_argument("--models", default=DEFAULT_MODELS)
    args = ap.parse_args(argv)
    folder = Path(args.data)
    if not (folder / "ratings.parquet").exists():
        from recsys_core.data.synth import SynthSpec, parse_count, write

        print(f"# generating {args.ratings} ratings into {folder} ...", flush=True)
        write(SynthSpec.for_ratings(parse_count(args.ratings), seed=0), folder)
    names = [m.strip() for m in args.models.split(",") if m.strip()]
    print(f"{'model':<14} {'declared s':>10} {'fit s':>9} {'fit CPU':>9} {'CPU/decl':>8}", flush=True)
    measure(folder, names)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
