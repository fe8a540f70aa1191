"""Monitoring tables built from the workspace's events, feedback and model registry."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from .abtest import positive

SERVED_EVENT = "recommendations_served"


def served_table(events: pd.DataFrame) -> pd.DataFrame:
    """One row per ``recommendations_served`` event: ts, model_id, user_id, n, source, arm."""
    cols = ["ts", "model_id", "user_id", "n", "source", "arm"]
    if events is None or events.empty:
        return pd.DataFrame(columns=cols)
    d = events[events["kind"] == SERVED_EVENT]
    rows = [
        {
            "ts": ts,
            "model_id": p.get("model_id"),
            "user_id": p.get("user_id"),
            "n": p.get("n"),
            "source": p.get("source"),
            "arm": p.get("arm"),
        }
        for ts, p in zip(d["ts"], d["payload"], strict=False)
    ]
    return pd.DataFrame(rows, columns=cols)


def served_per_model(events: pd.DataFrame) -> pd.DataFrame:
    s = served_table(events)
    if s.empty:
        return pd.DataFrame(columns=["model_id", "lists", "users", "last"])
    g = s.groupby("model_id", dropna=False)
    return (
        pd.DataFrame({"lists": g.size(), "users": g["user_id"].nunique(), "last": g["ts"].max()})
        .reset_index()
        .sort_values("last", ascending=False)
        .reset_index(drop=True)
    )


def feedback_counts(fb: pd.DataFrame) -> pd.DataFrame:
    """Events per model and action: model_id, like, dislike, rate, not_interested, total."""
    actions = ["like", "dislike", "rate", "not_interested"]
    if fb is None or fb.empty:
        return pd.DataFrame(columns=["model_id", *actions, "total"])
    t = pd.crosstab(fb["model_id"].fillna("-"), fb["action"]).reindex(columns=actions, fill_value=0)
    t["total"] = t.sum(axis=1)
    return t.reset_index().rename(columns={"index": "model_id"})


def like_rate_over_time(fb: pd.DataFrame, scale=(1.0, 5.0), freq: str = "D") -> pd.DataFrame:
    """Like-rate (positive feedback / all feedback) per model and period: model_id, period, events, likes, like_rate."""
    cols = ["model_id", "period", "events", "likes", "like_rate"]
    if fb is None or fb.empty:
        return pd.DataFrame(columns=cols)
    d = fb.assign(
        pos=positive(fb["action"], fb["value"], scale).astype(int),
        model_id=fb["model_id"].fillna("-"),
        period=pd.to_datetime(fb["ts"]).dt.floor(freq),
    )
    g = d.groupby(["model_id", "period"])
    out = pd.DataFrame({"events": g.size(), "likes": g["pos"].sum()}).reset_index()
    out["like_rate"] = out["likes"] / out["events"]
    return out[cols].sort_values(["period", "model_id"]).reset_index(drop=True)


def registry_table(models: pd.DataFrame) -> pd.DataFrame:
    """The model registry flattened for display: model_id, name, data_version, created, note, params, metrics..."""
    if models is None or models.empty:
        return pd.DataFrame(columns=["model_id", "label", "name", "data_version", "created", "note", "params"])
    rows = []
    for r in models.itertuples(index=False):
        row = {
            "model_id": r.model_id,
            "label": getattr(r, "display", None) or getattr(r, "label", None) or r.name,
            "name": r.name,
            "data_version": r.data_version,
            "created": r.created,
            "note": getattr(r, "note", "") or "",
            "params": json.dumps(r.params, ensure_ascii=False),
        }
        for k, v in (r.metrics or {}).items():
            if isinstance(v, (int, float, np.floating, np.integer)) and not isinstance(v, bool):
                row[k] = float(v)
        rows.append(row)
    return pd.DataFrame(rows).sort_values("created", ascending=False).reset_index(drop=True)


def errors_table(events: pd.DataFrame) -> pd.DataFrame:
    if events is None or events.empty:
        return pd.DataFrame(columns=["ts", "kind", "message"])
    d = events[events["level"] == "error"]
    return pd.DataFrame(
        {
            "ts": d["ts"],
            "kind": d["kind"],
            "message": [p.get("message") or json.dumps(p, ensure_ascii=False) for p in d["payload"]],
        }
    ).reset_index(drop=True)
