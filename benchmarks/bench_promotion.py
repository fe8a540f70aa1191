"""Promotion targets: box-office forecast vs the budget-only baseline on shaped synthetic film tables
(no public film table is available offline), the campaign interval's coverage of the planted uplift
over 100 seeds of the demo's campaign, and the demo film table's forecast.

    python -m benchmarks.bench_promotion [--seeds 100]
"""

from __future__ import annotations

import argparse
import os
import time

from recsys_core.data import demo
from recsys_core.data.demo_promotion import generate_demo_campaign, shaped_film_table
from recsys_core.promotion.boxoffice import forecast
from recsys_core.promotion.campaign import campaign_lift
from recsys_core.promotion.tables import clean_table, read_table


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=100)
    a = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("box office, shaped synthetic table (600 films; budget, date, genre, certificate, distributor, runtime):")
    for seed in (0, 1, 2):
        t0 = time.perf_counter()
        r = forecast(clean_table(shaped_film_table(600, seed), "films").frame, "gross", seed=0).summary()
        print(
            f"  seed {seed}: R² {r['r2']:.3f} vs budget-only {r['baseline_r2']:.3f}; within ±50% "
            f"{r['within_50pct']:.1%} vs {r['baseline_within_50pct']:.1%}; with post-release columns "
            f"R² {r['other_way']['r2']:.3f} (excluded: {', '.join(r['features_excluded_as_post_release'])}); "
            f"{time.perf_counter() - t0:.1f} s"
        )
    films = demo.DEFAULT_FOLDER / demo.PROMOTION_FOLDER / "films.csv"
    if films.exists():
        r = forecast(read_table(films, "films").frame, "gross", seed=0).summary()
        print(
            f"  demo films.csv: R² {r['r2']:.3f} vs budget-only {r['baseline_r2']:.3f}; 80% interval covers {r['interval_coverage']:.1%}"
        )
    covered = 0
    for seed in range(a.seeds):
        log, planted = generate_demo_campaign(seed)
        s = campaign_lift(log, n_boot=200, seed=seed).stats
        covered += s["ci_low"] <= planted <= s["ci_high"]
    print(f"campaign: the 95% interval covers the planted uplift in {covered} of {a.seeds} seeds (800 users each)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
