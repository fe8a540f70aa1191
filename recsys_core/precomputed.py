"""Browse results computed elsewhere (a Spark cluster) without fitting a local model.

:func:`user_list` turns one user's rows of an imported ``recommendations`` table into a list with
titles and, where the active dataset knows the user and the films, reasons from the same
:class:`~recsys_core.recommend.explain.Explainer` the local lists use (similar films the user liked,
shared genres, popularity). :func:`origin_fields` gives the origin every result carries.
"""

from __future__ import annotations

import pandas as pd

from .results import list_results, load_result


class _NoModel:
    """Reasons for a list nobody fitted here: item similarity, content, popularity (no model-specific kinds)."""

    name = "precomputed"


def origin_fields(origin: dict) -> dict:
    """engine, master, parameters, finished, seconds: how and where a result was computed."""
    params = origin.get("parameters") or {}
    shown = ", ".join(f"{k}={v}" for k, v in params.items() if k != "input" and v not in (None, "", [], {}))
    return {
        "engine": f"{origin.get('engine', '?')} {origin.get('spark_version') or ''}".strip(),
        "job": origin.get("job"),
        "master": origin.get("master"),
        "parameters": shown,
        "input": params.get("input"),
        "finished": origin.get("finished"),
        "seconds": None if origin.get("seconds") is None else round(float(origin["seconds"]), 1),
    }


def result_choices(ws, kind: str) -> pd.DataFrame:
    return list_results(ws, kind)


def user_list(ws, result_id: str, user: str, ds=None, cat=None) -> pd.DataFrame:
    """rank, item_id, title, score, reason (a :class:`~recsys_core.recommend.explain.Reason` or None) of
    ``user`` in a recommendations result, by rank; the UI words the reasons.

    ``cat``: a :class:`~recsys_core.recommend.catalogue.Catalogue` of the active dataset, for reasons.
    """
    rows = load_result(ws, result_id, {"user_id": str(user)}, order="rank")
    out = rows[["rank", "item_id", "score"]].copy()
    out["rank"] = out["rank"].astype(int)
    out["item_id"] = out["item_id"].astype(str)
    titles = ds.item_titles() if ds is not None else {}
    out["title"] = [titles.get(i) or i for i in out["item_id"]]
    out["reason"] = None
    if cat is not None and len(out):
        from .recommend.explain import Explainer

        if cat.ts.knows_user(str(user)):
            reasons = Explainer(_NoModel(), cat).explain(str(user), out["item_id"].tolist())
            out["reason"] = [reasons[i] for i in out["item_id"]]
    return out[["rank", "item_id", "title", "score", "reason"]]
