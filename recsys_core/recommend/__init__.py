"""Serving-side recommendation: lists with reasons, re-ranking, cold start, feedback, A/B tests, monitoring."""

from .abtest import (
    assign_arm,
    min_sample_size,
    offline_ab,
    online_summary,
    online_verdict,
    overlap,
    two_proportion_ztest,
)
from .catalogue import Catalogue, Filters
from .coldstart import cold_scores, new_user_id, onboarding_items
from .explain import Explainer, Reason, liked_items
from .feedback import (
    ACTIONS,
    action_rating,
    excluded_items,
    feedback_ratings,
    fold_in_update,
    list_changes,
    retrain,
    training_frame,
)
from .listing import Engine, user_history
from .rerank import mmr, novelty_adjusted

__all__ = [
    "assign_arm",
    "min_sample_size",
    "offline_ab",
    "online_summary",
    "online_verdict",
    "overlap",
    "two_proportion_ztest",
    "Catalogue",
    "Filters",
    "cold_scores",
    "new_user_id",
    "onboarding_items",
    "Explainer",
    "Reason",
    "liked_items",
    "ACTIONS",
    "action_rating",
    "excluded_items",
    "feedback_ratings",
    "fold_in_update",
    "list_changes",
    "retrain",
    "training_frame",
    "Engine",
    "user_history",
    "mmr",
    "novelty_adjusted",
]
