"""One SparkSession for every Spark test (local[2], 4 shuffle partitions, no UI); skipped without pyspark."""

from __future__ import annotations

import pytest

pytest.importorskip("pyspark", reason="the Spark engine is optional: pip install -r requirements-spark.txt")


@pytest.fixture(scope="session")
def spark():
    from recsys_core.spark.session import build_session

    s = build_session(
        "local[2]",
        "CineLens tests",
        {"spark.sql.shuffle.partitions": "4", "spark.ui.enabled": "false", "spark.default.parallelism": "2"},
    )
    yield s
    s.stop()
