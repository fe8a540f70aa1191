"""Model registry: CLI / UI name -> class. Add a model by adding one line here."""
from __future__ import annotations

from .base import Recommender
from .baselines import BiasBaseline, GlobalMean, Popularity
from .knn import ItemCF, UserCF
from .mf import SVD
from .surprise_family import NMF, SVDpp, CoClustering, KNNBaseline, SlopeOne

REGISTRY: dict[str, type[Recommender]] = {
    "baseline": GlobalMean,
    "bias": BiasBaseline,
    "popularity": Popularity,
    "svd": SVD,
    "usercf": UserCF,
    "itemcf": ItemCF,
    "svdpp": SVDpp,
    "nmf": NMF,
    "slopeone": SlopeOne,
    "coclustering": CoClustering,
    "knnbaseline": KNNBaseline,
}


def make_model(name: str, **params) -> Recommender:
    key = name.strip().lower()
    if key not in REGISTRY:
        raise ValueError(f"unknown model {name!r}; choose from: {', '.join(REGISTRY)}")
    return REGISTRY[key](**params)


__all__ = ["Recommender", "REGISTRY", "make_model", "GlobalMean", "BiasBaseline", "Popularity", "SVD",
           "UserCF", "ItemCF", "SVDpp", "NMF", "SlopeOne", "CoClustering", "KNNBaseline"]
