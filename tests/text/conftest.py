from pathlib import Path

import pandas as pd
import pytest

from recsys_core.data.dataset import Dataset

DATA = Path(__file__).resolve().parents[1] / "data" / "text"


@pytest.fixture(scope="session")
def reviews_csv() -> Path:
    return DATA / "reviews_zh.csv"


@pytest.fixture(scope="session")
def zh_dataset() -> Dataset:
    inter = pd.read_csv(DATA / "reviews_zh.csv", dtype={"user_id": str, "item_id": str})
    films = pd.read_csv(DATA / "films_zh.csv", dtype=str)
    films["people"] = films["people"].str.split("|")
    return Dataset.from_frames(inter, items=films, rating_scale=(1, 5), name="zh-fixture")
