"""Model registry: CLI / UI name -> class. Add a model by adding one line here."""
from __future__ import annotations

from .base import Recommender
from .baselines import BiasBaseline, GlobalMean, Popularity
from .mf import SVD

REGISTRY: dict[str, type[Recommender]] = {
    "baseline": GlobalMean,
    "bias": BiasBaseline,
    "popularity": Popularity,
    "svd": SVD,
}


def make_model(name: str, **params) -> Recommender:
    key = name.strip().lower()
    if key not in REGISTRY:
        raise ValueError(f"unknown model {name!r}; choose from: {', '.join(REGISTRY)}")
    return REGISTRY[key](**params)


__all__ = ["Recommender", "REGISTRY", "make_model", "GlobalMean", "BiasBaseline", "Popularity", "SVD"]
