"""Small helpers shared by the sub-commands."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np


def clean_json(obj):
    """Replace NaN/inf with None and numpy scalars with Python ones, recursively."""
    if isinstance(obj, dict):
        return {str(k): clean_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean_json(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return None if (math.isnan(f) or math.isinf(f)) else f
    if isinstance(obj, np.ndarray):
        return clean_json(obj.tolist())
    return obj


def write_json(obj, out: str | None, note: str = "") -> None:
    """Write ``obj`` as JSON: to stdout when ``out`` is None or "-", else to the file ``out``
    (then say so on stdout, with ``note`` appended)."""
    text = json.dumps(clean_json(obj), ensure_ascii=False, indent=2)
    if out in (None, "-"):
        print(text)
        return
    Path(out).write_text(text + "\n", encoding="utf-8")
    print(f"wrote {out}{note}")
