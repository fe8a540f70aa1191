"""What a model can do beyond the base contract, declared as small runtime-checkable protocols.

Every :class:`~recsys_core.models.base.Recommender` scores users over all items, recommends and
predicts (rating models) or ranks (``predicts_ratings = False``). The rest is optional, and the code
that uses an optional capability asks ``isinstance(model, Capability)`` instead of probing learned
attributes or model names:

* :class:`FoldsIn`              a new user's ratings become scores without refitting (cold start)
* :class:`FoldsInFeedback`      a copy of the model on a grown trainset, some users re-solved (feedback)
* :class:`ExplainsByNeighbours` similar users or films behind a recommendation
* :class:`ExplainsByFeatures`   shared features (genre, people, keywords) behind a recommendation
* :class:`HasItemVectors`       one vector per film (latent reasons, diversity features)
* :class:`ScoresUsersForItem`   every user's score for one film in one product (audiences)
* :class:`HasCostEnvelope`      memory and fit time as functions of (users, films, ratings)

A model declares a capability by implementing its methods with the documented meaning; the
contract test (``tests/models/contract.py``) checks every registered model against what it
declares. :func:`capabilities` lists the names for a model or a registered class.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class FoldsIn(Protocol):
    """A visitor who rated a few known films gets scores at once, without refitting.

    ``items`` are inner item ids, ``ratings`` their ratings; returns scores over all items in
    inner-id order (the model's rating estimates for rating models).
    """

    def fold_in(self, items: np.ndarray, ratings: np.ndarray, reg: float = 0.5) -> np.ndarray: ...


@runtime_checkable
class FoldsInFeedback(Protocol):
    """Feedback without a refit: a copy of the fitted model on ``trainset`` (same films, same order,
    possibly more users) where the raw ``users`` are re-solved by fold-in; items and other users
    keep their learned state."""

    def fold_in_users(self, trainset, users, reg: float = 0.5): ...


@runtime_checkable
class ExplainsByNeighbours(Protocol):
    """Neighbours behind a (user, item) score.

    ``neighbour_kind`` is ``"item"`` (films the user liked that resemble the item) or ``"user"``
    (similar users who liked the item). ``neighbour_reasons`` returns ``[(raw id, similarity)]``,
    most similar first, similarities > 0, ids that exist in the trainset; ``[]`` for unknown ids.
    """

    neighbour_kind: str

    def neighbour_reasons(self, user, item, n: int = 3) -> list[tuple[str, float]]: ...


@runtime_checkable
class ExplainsByFeatures(Protocol):
    """Features the user's taste profile shares with an item: ``[(label, contribution)]``, largest
    first, contributions > 0; labels are ``kind:value`` with kind in genre, person, keyword, year,
    region; ``[]`` for unknown ids."""

    def feature_reasons(self, user, item, n: int = 3) -> list[tuple[str, float]]: ...


@runtime_checkable
class HasItemVectors(Protocol):
    """One row per trainset item (inner-id order): latent factors or another item embedding."""

    def item_vectors(self) -> np.ndarray: ...


@runtime_checkable
class ScoresUsersForItem(Protocol):
    """Every trainset user's score for one item (inner id) in one product: shape ``(n_users,)``,
    equal to that item's column of ``score_users(all users)``."""

    def score_users_for_item(self, inner_item: int) -> np.ndarray: ...


@runtime_checkable
class HasCostEnvelope(Protocol):
    """``cost(n_users, n_items, n_ratings, **params) -> recsys_core.models.cost.Cost`` (a classmethod):
    the memory and fit time a model needs, so a fit can be refused before it starts."""

    def cost(self, n_users: int, n_items: int, n_ratings: int, **params): ...


CAPABILITIES: dict[str, type] = {
    "folds_in": FoldsIn,
    "folds_in_feedback": FoldsInFeedback,
    "explains_by_neighbours": ExplainsByNeighbours,
    "explains_by_features": ExplainsByFeatures,
    "item_vectors": HasItemVectors,
    "scores_users_for_item": ScoresUsersForItem,
    "cost_envelope": HasCostEnvelope,
}


def predicts_ratings(model) -> bool:
    """True for rating predictors; False for rankers (rating metrics are N/A, ``predict`` returns
    the bias baseline with ``details['reason']`` saying so). Works on a model or a model class."""
    return bool(getattr(model, "predicts_ratings", True))


def capabilities(model) -> tuple[str, ...]:
    """Names (keys of :data:`CAPABILITIES`) of what ``model`` declares; a class is instantiated with
    its default parameters first (cheap: ``__init__`` only stores them)."""
    obj = model() if isinstance(model, type) else model
    names = [name for name, proto in CAPABILITIES.items() if isinstance(obj, proto)]
    return ("rating_prediction" if predicts_ratings(obj) else "ranking_only", *names)


__all__ = [
    "FoldsIn",
    "FoldsInFeedback",
    "ExplainsByNeighbours",
    "ExplainsByFeatures",
    "HasItemVectors",
    "ScoresUsersForItem",
    "HasCostEnvelope",
    "CAPABILITIES",
    "capabilities",
    "predicts_ratings",
]
