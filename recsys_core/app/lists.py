"""Use cases of the Recommend page beside serving: the models one can fit, a user's history, cold-start
picks, how a list changed, the online A/B test's numbers and the monitoring tables. Data only."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..models import REGISTRY
from ..recommend import (
    Filters,
    assign_arm,
    list_changes,
    min_sample_size,
    onboarding_items,
    online_summary,
    online_verdict,
    overlap,
    user_history,
)
from ..recommend import monitoring as M
from ..recommend.feedback import supports_fold_in

__all__ = [
    "Filters",
    "Monitoring",
    "arm_of",
    "changes",
    "history",
    "list_overlap",
    "model_names",
    "monitoring",
    "onboarding",
    "online_test",
    "retrain_modes",
    "sample_size",
]


def model_names() -> list[str]:
    """Every registered algorithm, in registration order."""
    return list(REGISTRY)


def retrain_modes(model) -> list[str]:
    """How a model can take feedback in: a refit always, a fold-in when it declares it can."""
    return ["refit", "fold-in"] if supports_fold_in(model) else ["refit"]


def history(ds, eng, user, n: int = 6) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(recent, top-rated) films of a known user, with catalogue info."""
    return user_history(ds.ratings, eng.cat, user, n=n)


def onboarding(eng, genres=(), n: int = 10) -> list[str]:
    """Popular films spread over genres (favourites first) for a visitor to rate."""
    return onboarding_items(eng.cat, genres, n=n)


def changes(before: list[str], after: list[str]) -> pd.DataFrame:
    """One row per film in either list: item_id, before, after, change (entered / left / up / down / same)."""
    return list_changes(before, after)


def list_overlap(list_a, list_b) -> dict:
    """{"jaccard", "shared", "only_a", "only_b"} of two lists of ids."""
    return overlap(list_a, list_b)


def arm_of(user) -> str:
    """The online test's arm of a user (stable across sessions)."""
    return assign_arm(user)


def sample_size(baseline: float, lift: float) -> int:
    """Events per arm needed to detect a relative ``lift`` over a ``baseline`` like rate."""
    return min_sample_size(baseline, lift)


def online_test(feedback: pd.DataFrame, scale, lift: float = 0.1) -> tuple[pd.DataFrame, dict]:
    """(per-arm summary, verdict code and numbers) of the online A/B test from its feedback."""
    fb = feedback[feedback["arm"].notna()] if not feedback.empty else feedback
    summary = online_summary(fb, scale=scale)
    return summary, online_verdict(summary, lift=lift)


@dataclass(frozen=True)
class Monitoring:
    served: pd.DataFrame  # one row per served list
    served_per_model: pd.DataFrame
    feedback_counts: pd.DataFrame
    like_rate: pd.DataFrame  # per period and model
    registry: pd.DataFrame
    errors: pd.DataFrame
    feedback_events: int
    likes: int


def monitoring(ws, models: pd.DataFrame, scale, freq: str = "D") -> Monitoring:
    """The workspace's serving, feedback, registry and error tables."""
    events = ws.events(kind="recommendations_served")
    fb = ws.feedback()
    return Monitoring(
        served=M.served_table(events),
        served_per_model=M.served_per_model(events),
        feedback_counts=M.feedback_counts(fb),
        like_rate=M.like_rate_over_time(fb, scale, freq=freq),
        registry=M.registry_table(models),
        errors=M.errors_table(ws.events(level="error")),
        feedback_events=len(fb),
        likes=int(fb["action"].eq("like").sum()) if not fb.empty else 0,
    )
