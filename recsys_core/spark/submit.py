"""Entry file for ``spark-submit``: ``spark-submit [spark options] recsys_core/spark/submit.py JOB INPUT --out DIR ...``.

The arguments are those of ``python -m recsys_core spark``; give the same ``--master`` to both.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from recsys_core.__main__ import main

    sys.exit(main(["spark", *sys.argv[1:]]))
