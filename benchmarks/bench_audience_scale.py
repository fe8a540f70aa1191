"""Audience at scale: the lift benchmark's one-fit protocol, and one film's target audience on 1M ratings.

    python -m benchmarks.bench_audience_scale [--data /tmp/cinelens-synth] [--items 30] [--models neighbour,als,svd]

Part 1, ``audience --evaluate --items 30`` on a synthetic file shaped like MovieLens "latest small"
(100,836 ratings, 610 users x 9,742 films; seed 0): wall seconds of the command (load, hide, fit once per
scorer, score every film), beside the per-film protocol (one refit per film) on the same data and films.
Target: one-fit <= 120 s.

Part 2, a 1M-rating synthetic dataset (MovieLens-25M proportions, seed 0): fit seconds of each scorer, then
seconds for ``target_audience`` of five films with the fitted scorer (rank every user who has not rated
the film). Target: <= 5 s per film after the scorer is fitted.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _folder(base: Path, name: str, n: int, users=None, items=None) -> Path:
    from recsys_core.data.synth import SynthSpec, write

    out = base / name
    if not (out / "ratings.parquet").exists():
        write(SynthSpec.for_ratings(n, users, items, seed=0), out)
    return out


def part1(base: Path, items: int) -> None:
    folder = _folder(base, "latest-small-shape", 100_836, 610, 9_742)
    print(f"# part 1: audience --evaluate --items {items} on {folder} (610 users x 9,742 films shape)")
    print(f"{'protocol':<10} {'model':<10} {'seconds':>8} {'lift@10%':>9} {'popularity':>11}")
    for protocol, model in (("one-fit", "auto"), ("per-film", "neighbour"), ("one-fit", "neighbour")):
        cmd = [sys.executable, "-m", "recsys_core", "audience", str(folder), "--evaluate", "--items", str(items)]
        cmd += ["--seed", "0", "--model", model, "--protocol", protocol]
        t0 = time.perf_counter()
        r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        sec = time.perf_counter() - t0
        lift = pop = "-"
        for line in r.stdout.splitlines():
            if line.strip().startswith("lift@10%"):
                lift = line.split()[-1]
            if line.strip().startswith("popularity lift@10%"):
                pop = line.split()[-1]
            if line.startswith("films"):
                model = line.split("model")[1].split()[0]
        print(f"{protocol:<10} {model:<10} {sec:8.1f} {lift:>9} {pop:>11}", flush=True)


def part2(base: Path, models: list[str]) -> None:
    import numpy as np

    from recsys_core.data.io import load_path
    from recsys_core.profiling.audience import make_scorer, target_audience
    from recsys_core.trainset import Trainset

    folder = _folder(base, "1m", 1_000_000)
    t0 = time.perf_counter()
    ds = load_path(folder)
    ts = Trainset.from_dataset(ds)
    print(f"# part 2: target audience of one film, {len(ds.ratings):,} ratings ({time.perf_counter() - t0:.1f}s load)")
    counts = ds.ratings["item_id"].value_counts()
    films = [counts.index[0], counts.index[len(counts) // 10], counts.index[len(counts) // 2]]
    films += [counts.index[len(counts) // 4], counts.index[-1]]
    print(f"{'scorer':<12} {'fit s':>7} {'per film s (5 films)':>24} {'max':>6}")
    for name in models:
        t0 = time.perf_counter()
        scorer = make_scorer(name, seed=0, shape=(ts.n_users, ts.n_items, ts.n_ratings)).fit(ts, ds.relevance_threshold)
        fit_s = time.perf_counter() - t0
        secs = []
        for film in films:
            t0 = time.perf_counter()
            res = target_audience(ds, item_id=str(film), scorer=scorer, top=100)
            secs.append(time.perf_counter() - t0)
            assert len(res.table) == 100
        shown = " ".join(f"{s:.2f}" for s in secs)
        print(f"{scorer.name:<12} {fit_s:7.1f} {shown:>24} {np.max(secs):6.2f}", flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="/tmp/cinelens-synth")
    ap.add_argument("--items", type=int, default=30)
    ap.add_argument("--models", default="neighbour,als,svd,popularity")
    ap.add_argument("--part", choices=("1", "2", "both"), default="both")
    args = ap.parse_args(argv)
    base = Path(args.data)
    base.mkdir(parents=True, exist_ok=True)
    if args.part in ("1", "both"):
        part1(base, args.items)
    if args.part in ("2", "both"):
        part2(base, [m.strip() for m in args.models.split(",") if m.strip()])
    return 0


if __name__ == "__main__":
    sys.exit(main())
