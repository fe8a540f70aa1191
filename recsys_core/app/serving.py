"""Serving lists: arm routing of the workspace-wide online A/B test, filters from feedback, visitors."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import pandas as pd

from ..recommend import Filters, assign_arm, cold_scores, feedback_ratings
from ..recommend.feedback import latest_feedback

# latest feedback actions that take a film out of the user's lists at once (filtering, no retraining)
HIDING_ACTIONS = ("dislike", "not_interested")
AB_SETTING = "online_ab"


@dataclass(frozen=True)
class ABState:
    """The online A/B test of a dataset version: on or off and the two arms' model ids (all sessions)."""

    on: bool = False
    a: str | None = None
    b: str | None = None

    @property
    def running(self) -> bool:
        return bool(self.on and self.a and self.b)

    def to_json(self) -> str:
        return json.dumps({"on": self.on, "a": self.a, "b": self.b})

    @classmethod
    def from_json(cls, text: str | None) -> ABState:
        try:
            d = json.loads(text) if text else {}
        except ValueError:
            d = {}
        return cls(bool(d.get("on")), d.get("a") or None, d.get("b") or None)


def route(ab: ABState, model_id: str, user: str) -> tuple[str, str | None]:
    """(model id that serves ``user``, arm or None): while the test runs, the user's arm decides."""
    if not ab.running:
        return model_id, None
    arm = assign_arm(user)
    return (ab.a if arm == "A" else ab.b), arm


def feedback_marks(fb: pd.DataFrame, user: str) -> dict[str, str]:
    """{film: latest action} of one user (like, dislike, rate, not_interested)."""
    d = latest_feedback(fb)
    d = d[d["user_id"] == str(user)]
    return dict(zip(d["item_id"], d["action"], strict=False))


def hidden_items(marks: dict[str, str]) -> set[str]:
    return {i for i, a in marks.items() if a in HIDING_ACTIONS}


@dataclass
class Served:
    """One served list: rows (``recommend.listing.LIST_COLUMNS`` + ``feedback``), how it was made.

    ``visitor`` is the cold-start state of a user the model does not know (None for known users);
    ``hidden``: films left out because of the user's dislike / not-interested feedback;
    ``liked``: films in the list the user liked. ``known`` is False for a user with no ratings at all.
    """

    frame: pd.DataFrame | None
    visitor: object | None = None
    ms: float = 0.0
    hidden: set = field(default_factory=set)
    liked: set = field(default_factory=set)

    @property
    def known(self) -> bool:
        return self.frame is not None

    @property
    def items(self) -> list[str]:
        return [] if self.frame is None else self.frame["item_id"].tolist()


def serve(eng, user: str, fb: pd.DataFrame, filters: Filters, opts: dict, genres_of_visitor=()) -> Served:
    """A user's list from an engine: known users from the model, visitors from their feedback ratings.

    ``fb`` is the user's feedback; films whose latest action is a dislike or "not interested" are
    filtered out; the ``feedback`` column marks the latest action on each listed film.
    """
    marks = feedback_marks(fb, user)
    hidden = hidden_items(marks)
    visitor = None
    t0 = time.perf_counter()
    common = dict(diversity=opts["diversity"], novelty=opts["novelty"], features=opts.get("features", "auto"))
    if eng.knows(user):
        f = Filters(filters.genres, filters.year_min, filters.year_max, filters.regions, frozenset(hidden))
        lst = eng.recommend(user, opts["n"], f, exclude_seen=opts["exclude_seen"], **common)
    else:
        r = feedback_ratings(fb, eng.ts.rating_scale)
        if r.empty:
            return Served(None)
        ratings = dict(zip(r["item_id"], r["rating"], strict=False))
        visitor = cold_scores(eng.model, eng.cat, ratings, list(genres_of_visitor))
        rated = {str(eng.cat.item_ids[j]) for j in visitor.rated}
        f = Filters(filters.genres, filters.year_min, filters.year_max, filters.regions, frozenset(hidden | rated))
        lst = eng.recommend(
            user,
            opts["n"],
            f,
            scores=visitor.scores,
            liked=visitor.liked,
            pref_genres=list(genres_of_visitor),
            **common,
        )
    ms = (time.perf_counter() - t0) * 1000
    lst = lst.assign(feedback=[marks.get(i) for i in lst["item_id"]])
    liked = {i for i in lst["item_id"] if marks.get(i) == "like"}
    return Served(lst, visitor, ms, hidden, liked)
