"""Model registry: CLI / UI name -> class. Add a model by adding one line here."""

from __future__ import annotations

from .autorec import IAutoRec, UAutoRec
from .base import Recommender
from .baselines import BiasBaseline, GlobalMean, Popularity
from .content import ContentBased
from .hybrid import Hybrid
from .implicit_rankers import ALS, BPR, EASE, LMF
from .knn import ItemCF, UserCF
from .mf import SVD
from .random_model import RandomPredictor
from .surprise_family import NMF, CoClustering, KNNBaseline, SlopeOne, SVDpp

REGISTRY: dict[str, type[Recommender]] = {
    "baseline": GlobalMean,
    "bias": BiasBaseline,
    "popularity": Popularity,
    "random": RandomPredictor,
    "svd": SVD,
    "usercf": UserCF,
    "itemcf": ItemCF,
    "svdpp": SVDpp,
    "nmf": NMF,
    "slopeone": SlopeOne,
    "coclustering": CoClustering,
    "knnbaseline": KNNBaseline,
    "content": ContentBased,
    "autorec-i": IAutoRec,
    "autorec-u": UAutoRec,
    "ease": EASE,
    "als": ALS,
    "bpr": BPR,
    "lmf": LMF,
    "hybrid": Hybrid,
}


def make_model(name: str, **params) -> Recommender:
    key = name.strip().lower()
    if key not in REGISTRY:
        raise ValueError(f"unknown model {name!r}; choose from: {', '.join(REGISTRY)}")
    return REGISTRY[key](**params)


__all__ = [
    "Recommender",
    "REGISTRY",
    "make_model",
    "GlobalMean",
    "BiasBaseline",
    "Popularity",
    "SVD",
    "UserCF",
    "ItemCF",
    "SVDpp",
    "NMF",
    "SlopeOne",
    "CoClustering",
    "KNNBaseline",
    "RandomPredictor",
    "ContentBased",
    "IAutoRec",
    "UAutoRec",
    "EASE",
    "ALS",
    "BPR",
    "LMF",
    "Hybrid",
]
