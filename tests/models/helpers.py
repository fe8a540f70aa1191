"""Shared checks for model tests: each model beats the global mean on planted structure."""

from __future__ import annotations

from recsys_core.evaluation import Holdout, compare, summarise
from recsys_core.models import GlobalMean, Popularity

from .contract import planted_frame


def planted_scores(model, items_meta=None, seed: int = 3) -> dict:
    """{model name: {metric: value}} for the model, the global mean and popularity on one holdout."""
    df = planted_frame(seed=seed)
    res = summarise(
        compare(
            {"baseline": GlobalMean(), "popularity": Popularity(), "model": model},
            Holdout(0.2, seed=0),
            df,
            rating_scale=(1, 5),
            items_meta=items_meta,
        )
    )
    return {row["model"]: row for row in res.to_dict("records")}
